import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { MESSAGE_TYPE_CODES } from "../messages.ts";
import { parseXml, type XmlElement } from "../xml.ts";
import {
  type ReconciliationReport,
  readErrorReply,
  readReconciliationReport,
  readTechnicalReceipt,
  type TechnicalReceipt,
  writeErrorReply,
  writeReconciliationReport,
  writeTechnicalReceipt,
} from "./receipt.ts";

const VI = [..."aăâđêôơưAĂÂĐÊÔƠƯàáảãạềếểễệờớởỡợừứửữựỳýỷỹỵ bcdghklmnpqrstvxy0123456789.,-&<>\"'"];
const viText = (max: number) =>
  fc
    .array(fc.constantFrom(...VI), { minLength: 1, maxLength: max })
    .map((a) => a.join(""))
    .filter((s) => s.trim() !== "");
const hex32 = fc.string({ unit: fc.constantFrom(..."0123456789ABCDEF"), minLength: 32, maxLength: 32 });
const messageId = fc
  .tuple(fc.constantFrom("TCT", "V0401486901", "K0100109106001", "0100109106"), hex32)
  .map(([s, h]) => s + h);
const dateTime = fc
  .date({ min: new Date("2000-01-01T00:00:00Z"), max: new Date("2099-12-31T00:00:00Z"), noInvalidDate: true })
  .map((d) => d.toISOString().slice(0, 19));
const reason = fc.record({
  code: fc.stringMatching(/^[0-9]{1,4}$/),
  description: viText(80),
});

function clean<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

function root(xml: string): XmlElement {
  const p = parseXml(xml);
  if (!p.ok) throw new Error(JSON.stringify(p.problems));
  return p.value.root;
}

function problemsOf(r: { ok: true } | { ok: false; problems: Array<{ code: string; path: string }> }) {
  return r.ok ? [] : r.problems.map(({ code, path }) => ({ code, path }));
}

const receipt: fc.Arbitrary<TechnicalReceipt> = fc
  .record({
    messageId: fc.option(messageId, { nil: undefined }),
    dossierId: fc.option(fc.stringMatching(/^[A-Z0-9]{1,46}$/), { nil: undefined }),
    sender: fc.option(fc.constantFrom("TCT", "V0401486901", "0100109106"), { nil: undefined }),
    receivedAt: dateTime,
    status: fc.constantFrom(0 as const, 1 as const),
    reasons: fc.option(fc.array(reason, { maxLength: 3 }), { nil: undefined }),
  })
  .map(clean);

describe("999 technical receipt", () => {
  it("writes the reference order: MTDiep, MHSGoc, MNGui, NNhan, TTTNhan, DSLDo", () => {
    expect(
      writeTechnicalReceipt({
        messageId: "V040148690141B924C263C34C13B5EF49E1DDB10CA5",
        sender: "V0401486901",
        receivedAt: "2022-01-12T16:24:22",
        status: 1,
        reasons: [{ code: "9001", description: "Sai định dạng" }],
      }),
    ).toBe(
      "<TBao><MTDiep>V040148690141B924C263C34C13B5EF49E1DDB10CA5</MTDiep><MNGui>V0401486901</MNGui>" +
        "<NNhan>2022-01-12T16:24:22</NNhan><TTTNhan>1</TTTNhan>" +
        "<DSLDo><LDo><MLoi>9001</MLoi><MTa>Sai định dạng</MTa></LDo></DSLDo></TBao>",
    );
  });

  it("write → read is the identity", () => {
    fc.assert(
      fc.property(receipt, (x) => {
        const r = readTechnicalReceipt(root(writeTechnicalReceipt(x)));
        expect(r).toEqual({ ok: true, value: x });
      }),
      { numRuns: 300 },
    );
  });

  it("accepts a receipt without MTDiep (the original could not be read)", () => {
    expect(
      problemsOf(
        readTechnicalReceipt(root("<TBao><NNhan>2022-01-12T16:24:22</NNhan><TTTNhan>1</TTTNhan></TBao>")),
      ),
    ).toEqual([]);
  });

  it("refuses a missing NNhan or TTTNhan, a bad status and an over-long error code", () => {
    const r = readTechnicalReceipt(
      root("<TBao><TTTNhan>2</TTTNhan><DSLDo><LDo><MLoi>12345</MLoi><MTa>x</MTa></LDo></DSLDo></TBao>"),
    );
    expect(problemsOf(r)).toEqual([
      { code: "FORM_FIELD_MISSING", path: "/TBao/NNhan" },
      { code: "FORM_FIELD_BAD_CODE", path: "/TBao/TTTNhan" },
      { code: "FORM_FIELD_TOO_LONG", path: "/TBao/DSLDo/LDo[1]/MLoi" },
    ]);
    expect(problemsOf(readTechnicalReceipt(root("<TBao><NNhan>2022-01-12</NNhan></TBao>")))).toEqual([
      { code: "FORM_FIELD_MISSING", path: "/TBao/TTTNhan" },
    ]);
  });

  it("refuses an MTDiep longer than 46 characters", () => {
    const x = writeTechnicalReceipt({ messageId: "V".repeat(47), receivedAt: "2022-01-12", status: 0 });
    expect(problemsOf(readTechnicalReceipt(root(x)))).toEqual([
      { code: "FORM_FIELD_TOO_LONG", path: "/TBao/MTDiep" },
    ]);
  });
});

describe("−1 / −2 error reply", () => {
  it("has the 999 shape and reads back", () => {
    const x: TechnicalReceipt = {
      receivedAt: "2025-07-01T08:00:00",
      status: 1,
      reasons: [{ code: "1", description: "Không đọc được XML" }],
    };
    expect(readErrorReply(root(writeErrorReply(x)))).toEqual({ ok: true, value: x });
  });

  it("refuses an error reply that says 'no error' or gives no reason", () => {
    const r = readErrorReply(root(writeErrorReply({ receivedAt: "2025-07-01T08:00:00", status: 0 })));
    expect(problemsOf(r)).toEqual([
      { code: "RECEIPT_NOT_AN_ERROR", path: "/TBao/TTTNhan" },
      { code: "RECEIPT_NO_REASON", path: "/TBao/DSLDo" },
    ]);
  });
});

const report: fc.Arbitrary<ReconciliationReport> = fc
  .record({
    id: fc.option(fc.stringMatching(/^Id-[0-9]{1,8}$/), { nil: undefined }),
    version: fc.constantFrom("2.0.1", "2.1.0"),
    date: fc
      .date({
        min: new Date("2022-01-01T00:00:00Z"),
        max: new Date("2030-12-31T00:00:00Z"),
        noInvalidDate: true,
      })
      .map((d) => d.toISOString().slice(0, 10)),
    entries: fc.uniqueArray(
      fc
        .record({
          type: fc.constantFrom(...MESSAGE_TYPE_CODES),
          direction: fc.constantFrom(1 as const, 2 as const),
          ids: fc.option(fc.array(messageId, { maxLength: 3 }), { nil: undefined }),
          count: fc.integer({ min: 0, max: 9_999_999 }),
        })
        .map((g) =>
          clean({
            type: g.type,
            direction: g.direction,
            count: g.ids ? g.ids.length : g.count,
            messageIds: g.ids,
          }),
        ),
      { selector: (e) => `${e.type}/${e.direction}`, maxLength: 6 },
    ),
  })
  .map(clean);

describe("901/902 reconciliation report (hddt's structure)", () => {
  it("write → read is the identity", () => {
    fc.assert(
      fc.property(report, (x) => {
        expect(readReconciliationReport(root(writeReconciliationReport(x)))).toEqual({ ok: true, value: x });
      }),
      { numRuns: 300 },
    );
  });

  it("writes the documented structure", () => {
    expect(
      writeReconciliationReport({
        version: "2.1.0",
        date: "2025-07-01",
        entries: [{ type: 203, direction: 1, count: 1, messageIds: [`V0401486901${"A".repeat(32)}`] }],
      }),
    ).toBe(
      "<BCDSoat><DLBCDSoat><PBan>2.1.0</PBan><NDSoat>2025-07-01</NDSoat><DSLTDiep><LTDiep><MLTDiep>203</MLTDiep>" +
        `<CGui>1</CGui><SLuong>1</SLuong><DSMTDiep><MTDiep>V0401486901${"A".repeat(32)}</MTDiep></DSMTDiep>` +
        "</LTDiep></DSLTDiep></DLBCDSoat></BCDSoat>",
    );
  });

  it("refuses a count that differs from the ids listed, a bad id, an unknown type and a repeated entry", () => {
    const xml =
      "<BCDSoat><DLBCDSoat><PBan>2.1.0</PBan><NDSoat>2025-07-01</NDSoat><DSLTDiep>" +
      "<LTDiep><MLTDiep>203</MLTDiep><CGui>1</CGui><SLuong>2</SLuong><DSMTDiep><MTDiep>x</MTDiep></DSMTDiep></LTDiep>" +
      "<LTDiep><MLTDiep>777</MLTDiep><CGui>1</CGui><SLuong>0</SLuong></LTDiep>" +
      "<LTDiep><MLTDiep>203</MLTDiep><CGui>1</CGui><SLuong>a</SLuong></LTDiep>" +
      "</DSLTDiep></DLBCDSoat></BCDSoat>";
    expect(problemsOf(readReconciliationReport(root(xml)))).toEqual([
      {
        code: "RECONCILIATION_BAD_MESSAGE_ID",
        path: "/BCDSoat/DLBCDSoat/DSLTDiep/LTDiep[1]/DSMTDiep/MTDiep[1]",
      },
      { code: "RECONCILIATION_COUNT_MISMATCH", path: "/BCDSoat/DLBCDSoat/DSLTDiep/LTDiep[1]/SLuong" },
      { code: "RECONCILIATION_UNKNOWN_TYPE", path: "/BCDSoat/DLBCDSoat/DSLTDiep/LTDiep[2]/MLTDiep" },
      { code: "FORM_FIELD_NOT_INTEGER", path: "/BCDSoat/DLBCDSoat/DSLTDiep/LTDiep[3]/SLuong" },
      { code: "RECONCILIATION_DUPLICATE_ENTRY", path: "/BCDSoat/DLBCDSoat/DSLTDiep/LTDiep[3]" },
    ]);
  });

  it("refuses missing required parts", () => {
    expect(problemsOf(readReconciliationReport(root("<BCDSoat><DLBCDSoat></DLBCDSoat></BCDSoat>")))).toEqual([
      { code: "FORM_FIELD_MISSING", path: "/BCDSoat/DLBCDSoat/PBan" },
      { code: "FORM_FIELD_MISSING", path: "/BCDSoat/DLBCDSoat/NDSoat" },
      { code: "FORM_FIELD_MISSING", path: "/BCDSoat/DLBCDSoat/DSLTDiep" },
    ]);
  });
});
