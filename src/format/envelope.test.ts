import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  inspectMessage,
  isMessageId,
  isPartyCode,
  type MessageHeader,
  newMessageId,
  payloadXml,
  readMessage,
  validateHeader,
  writeMessage,
} from "./envelope.ts";
import { MESSAGE_TYPE_CODES, type MessageTypeCode, messageTypeInfo } from "./messages.ts";

const HEX = "0123456789ABCDEF";
const hex32 = fc.string({ unit: fc.constantFrom(...HEX), minLength: 32, maxLength: 32 });
const digits = (n: number) =>
  fc.string({ unit: fc.constantFrom(..."0123456789"), minLength: n, maxLength: n });
const mst = fc.oneof(digits(10), digits(13));
const partyCode = fc.oneof(
  fc.constant("TCT"),
  fc.tuple(fc.constantFrom("V", "K"), mst).map(([p, m]) => p + m),
  mst,
);

function codesOf(xml: string): string[] {
  const r = readMessage(xml);
  return r.ok ? [] : r.problems.map((p) => p.code);
}

function problemsOf(xml: string): Array<{ code: string; path: string }> {
  const r = readMessage(xml);
  return r.ok ? [] : r.problems.map((p) => ({ code: p.code, path: p.path }));
}

const base: MessageHeader = {
  version: "2.1.0",
  sender: "V0102519041",
  receiver: "TCT",
  type: 203,
  messageId: "V0102519041CD324886BF4D4DA6A69BF07100C1D617",
  taxCode: "2700842301",
  count: 1,
};
const invoice = `<HDon><DLHDon Id="a"><TTChung><PBan>2.1.0</PBan></TTChung></DLHDon><DSCKS><NBan></NBan></DSCKS></HDon>`;

describe("writeMessage", () => {
  it("writes the header in the reference order and the payload byte-exact, with no namespace", () => {
    const xml = writeMessage({ ...base, replyTo: "TCTA8A1907031A84C92A5787D219D2BBF50" }, invoice);
    expect(xml).toBe(
      "<TDiep><TTChung><PBan>2.1.0</PBan><MNGui>V0102519041</MNGui><MNNhan>TCT</MNNhan><MLTDiep>203</MLTDiep>" +
        "<MTDiep>V0102519041CD324886BF4D4DA6A69BF07100C1D617</MTDiep>" +
        "<MTDTChieu>TCTA8A1907031A84C92A5787D219D2BBF50</MTDTChieu><MST>2700842301</MST><SLuong>1</SLuong>" +
        `</TTChung><DLieu>${invoice}</DLieu></TDiep>`,
    );
    expect(xml).not.toContain("xmlns");
  });

  it("keeps a signed payload's bytes (whitespace, attribute order, self-closing tags) untouched", () => {
    const odd = `<HDon xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><DLHDon z="1" Id="x"><A/></DLHDon></HDon>`;
    const r = readMessage(writeMessage(base, [odd]));
    expect(r.ok).toBe(true);
    if (r.ok) expect(payloadXml(r.value, 0)).toBe(odd);
  });

  it("drops an XML declaration in front of a payload", () => {
    const xml = writeMessage(base, `<?xml version="1.0" encoding="UTF-8"?>\n${invoice}\n`);
    expect(xml).toContain(`<DLieu>${invoice}</DLieu>`);
  });

  it("writes the taxpayer's message signature (CKSNNT) after DLieu as given", () => {
    const sig = `<Signature xmlns="http://www.w3.org/2000/09/xmldsig#"><SignedInfo/></Signature>`;
    const xml = writeMessage({ ...base, type: 206 }, [invoice, invoice], { taxpayerSignature: sig });
    expect(xml.endsWith(`</DLieu><CKSNNT>${sig}</CKSNNT></TDiep>`)).toBe(true);
  });
});

describe("newMessageId", () => {
  it("is the sender code followed by an uppercase UUIDv4 without dashes", () => {
    const id = newMessageId("V0102519041", () => "0123456789abcdef0123456789abcdef");
    expect(id).toBe("V01025190410123456789AB4DEF8123456789ABCDEF");
    expect(id).toHaveLength(11 + 32);
    expect(isMessageId(id)).toBe(true);
  });

  it("always gives a valid id that the header check accepts", () => {
    fc.assert(
      fc.property(partyCode, hex32, (sender, hex) => {
        const id = newMessageId(sender, () => hex.toLowerCase());
        expect(id.startsWith(sender)).toBe(true);
        expect(id.length).toBeLessThanOrEqual(46);
        const uuid = id.slice(sender.length);
        expect(uuid[12]).toBe("4");
        expect("89AB").toContain(uuid[16]);
        expect(validateHeader({ ...base, sender, messageId: id })).toEqual([]);
      }),
    );
  });

  it("throws on a bad sender or random source (programming errors)", () => {
    expect(() => newMessageId("X123", () => "0".repeat(32))).toThrow(RangeError);
    expect(() => newMessageId("TCT", () => "0".repeat(31))).toThrow(RangeError);
    expect(() => newMessageId("TCT", () => "g".repeat(32))).toThrow(RangeError);
  });
});

describe("party codes", () => {
  it.each([
    ["TCT", true],
    ["V0102519041", true],
    ["K0102519041001", true],
    ["0102519041", true],
    ["0102519041001", true],
    ["V0102519041-001", false],
    ["T0102519041", false],
    ["V010251904", false],
    ["tct", false],
    ["", false],
  ])("%j is a party code: %s", (code, ok) => {
    expect(isPartyCode(code)).toBe(ok);
  });
});

describe("readMessage header checks", () => {
  it("accepts a well-formed message", () => {
    expect(codesOf(writeMessage(base, invoice))).toEqual([]);
  });

  it("refuses a document that is not a TDiep", () => {
    expect(problemsOf("<HDon></HDon>")).toEqual([{ code: "ENVELOPE_NOT_MESSAGE", path: "/HDon" }]);
  });

  it("passes XML-level refusals through (size limit, DOCTYPE)", () => {
    expect(codesOf(`<!DOCTYPE x><TDiep></TDiep>`)).toEqual(["XML_DOCTYPE"]);
    expect(readMessage(`<TDiep>${" ".repeat(100)}</TDiep>`, { maxBytes: 50 })).toMatchObject({
      ok: false,
      problems: [{ code: "XML_TOO_LARGE" }],
    });
  });

  it("refuses a message over 2 MB by default", () => {
    const big = writeMessage(base, `<HDon><X>${"a".repeat(2 * 1024 * 1024)}</X></HDon>`);
    expect(codesOf(big)).toEqual(["XML_TOO_LARGE"]);
  });

  it("reports every missing required field with its path", () => {
    expect(problemsOf("<TDiep><TTChung></TTChung><DLieu><HDon></HDon></DLieu></TDiep>")).toEqual([
      { code: "ENVELOPE_FIELD_MISSING", path: "/TDiep/TTChung/PBan" },
      { code: "ENVELOPE_FIELD_MISSING", path: "/TDiep/TTChung/MNGui" },
      { code: "ENVELOPE_FIELD_MISSING", path: "/TDiep/TTChung/MNNhan" },
      { code: "ENVELOPE_FIELD_MISSING", path: "/TDiep/TTChung/MLTDiep" },
      { code: "ENVELOPE_FIELD_MISSING", path: "/TDiep/TTChung/MTDiep" },
    ]);
    expect(problemsOf("<TDiep><DLieu><HDon></HDon></DLieu></TDiep>")).toEqual([
      { code: "ENVELOPE_FIELD_MISSING", path: "/TDiep/TTChung" },
    ]);
    expect(problemsOf(writeMessage(base, invoice).replace(/<DLieu>.*<\/DLieu>/, ""))).toEqual([
      { code: "ENVELOPE_FIELD_MISSING", path: "/TDiep/DLieu" },
    ]);
  });

  it("refuses an unknown message type", () => {
    const xml = writeMessage(base, invoice).replace("<MLTDiep>203<", "<MLTDiep>502<");
    expect(problemsOf(xml)).toEqual([{ code: "ENVELOPE_UNKNOWN_TYPE", path: "/TDiep/TTChung/MLTDiep" }]);
  });

  it("refuses bad party codes", () => {
    expect(validateHeader({ ...base, receiver: "CQT" }).map((p) => [p.code, p.path])).toEqual([
      ["ENVELOPE_BAD_PARTY_CODE", "/TDiep/TTChung/MNNhan"],
    ]);
  });

  it("refuses a message id that is not the sender code + 32 uppercase hex digits", () => {
    const lower = { ...base, messageId: base.messageId.toLowerCase().replace("v", "V") };
    expect(validateHeader(lower).map((p) => p.code)).toEqual(["ENVELOPE_BAD_MESSAGE_ID"]);
    const short = { ...base, messageId: base.messageId.slice(0, -1) };
    expect(validateHeader(short).map((p) => p.code)).toEqual(["ENVELOPE_BAD_MESSAGE_ID"]);
  });

  it("refuses a message id made by another sender", () => {
    const other = { ...base, messageId: "TCTA8A1907031A84C92A5787D219D2BBF50" };
    expect(validateHeader(other).map((p) => [p.code, p.path])).toEqual([
      ["ENVELOPE_ID_SENDER_MISMATCH", "/TDiep/TTChung/MTDiep"],
    ]);
  });

  it("refuses a message id longer than 46 characters", () => {
    const sender = "V0107001729001";
    const long = { ...base, sender, messageId: `${sender}F6CA05C0FAD546FCA237A8E930E7CB49F` };
    expect(validateHeader(long).map((p) => p.code)).toEqual(["ENVELOPE_FIELD_TOO_LONG"]);
  });

  it("refuses a malformed MTDTChieu", () => {
    expect(validateHeader({ ...base, replyTo: "nope" }).map((p) => [p.code, p.path])).toEqual([
      ["ENVELOPE_BAD_MESSAGE_ID", "/TDiep/TTChung/MTDTChieu"],
    ]);
  });

  it("accepts branch tax codes with the dash and refuses other shapes", () => {
    expect(validateHeader({ ...base, taxCode: "5300100276-019" })).toEqual([]);
    expect(validateHeader({ ...base, taxCode: "53001002" }).map((p) => p.code)).toEqual([
      "ENVELOPE_BAD_TAX_CODE",
    ]);
  });

  it("requires MTDTChieu on a reply, MST and SLuong on a data message", () => {
    const reply: MessageHeader = { ...base, sender: "TCT", receiver: "V0102519041", type: 202 };
    reply.messageId = "TCTA8A1907031A84C92A5787D219D2BBF50";
    expect(validateHeader(reply).map((p) => [p.code, p.path])).toEqual([
      ["ENVELOPE_FIELD_MISSING", "/TDiep/TTChung/MTDTChieu"],
    ]);
    const { taxCode: _t, count: _c, ...bare } = base;
    expect(validateHeader(bare).map((p) => p.path)).toEqual(["/TDiep/TTChung/MST", "/TDiep/TTChung/SLuong"]);
  });

  it("accepts a 999 without MST, SLuong and (when the original was unreadable) MTDTChieu", () => {
    const h: MessageHeader = {
      version: "2.0.0",
      sender: "TCT",
      receiver: "V0401486901",
      type: 999,
      messageId: "TCT9CCBD05C4DAF43E787B29CF15C055F7B",
    };
    expect(
      codesOf(writeMessage(h, "<TBao><NNhan>2022-01-12T16:24:22</NNhan><TTTNhan>1</TTTNhan></TBao>")),
    ).toEqual([]);
  });

  it("refuses SLuong that does not match the items in DLieu", () => {
    const xml = writeMessage({ ...base, count: 2 }, invoice);
    expect(problemsOf(xml)).toEqual([{ code: "ENVELOPE_COUNT_MISMATCH", path: "/TDiep/TTChung/SLuong" }]);
  });

  it.each(["0", "-1", "1.0", "12345678", "x"])("refuses SLuong %j", (bad) => {
    const xml = writeMessage(base, invoice).replace("<SLuong>1<", `<SLuong>${bad}<`);
    expect(problemsOf(xml)).toEqual([{ code: "ENVELOPE_BAD_COUNT", path: "/TDiep/TTChung/SLuong" }]);
  });

  it("refuses an empty DLieu", () => {
    expect(problemsOf(writeMessage(base, []))).toEqual([
      { code: "ENVELOPE_NO_PAYLOAD", path: "/TDiep/DLieu" },
    ]);
  });

  it("refuses a payload element that does not belong to the message type", () => {
    const xml = writeMessage({ ...base, type: 100 }, "<TBao></TBao>");
    expect(problemsOf(xml)).toEqual([{ code: "ENVELOPE_WRONG_PAYLOAD", path: "/TDiep/DLieu/TBao[1]" }]);
  });

  it("refuses many items in a one-item message (code requests carry one invoice)", () => {
    const xml = writeMessage({ ...base, type: 200, count: 2 }, [invoice, invoice]);
    expect(problemsOf(xml)).toEqual([{ code: "ENVELOPE_TOO_MANY_PAYLOADS", path: "/TDiep/DLieu" }]);
  });

  it("reads many invoices in a 203", () => {
    const r = readMessage(writeMessage({ ...base, count: 3 }, [invoice, invoice, invoice]));
    expect(r.ok && r.value.payloads.length).toBe(3);
  });

  it("collects all problems at once", () => {
    const h = { ...base, sender: "X", receiver: "Y", taxCode: "1", count: 5 };
    expect(codesOf(writeMessage(h, invoice)).sort()).toEqual(
      [
        "ENVELOPE_BAD_PARTY_CODE",
        "ENVELOPE_BAD_PARTY_CODE",
        "ENVELOPE_BAD_TAX_CODE",
        "ENVELOPE_COUNT_MISMATCH",
      ].sort(),
    );
  });
});

describe("inspectMessage", () => {
  it("gives what it could read of a broken message (to answer it with a 999 listing the errors)", () => {
    const xml = writeMessage(base, invoice).replace("<MLTDiep>203<", "<MLTDiep>777<");
    const m = inspectMessage(xml);
    expect(m.header.messageId).toBe(base.messageId);
    expect(m.header.sender).toBe(base.sender);
    expect(m.typeText).toBe("777");
    expect(m.problems.map((p) => p.code)).toEqual(["ENVELOPE_UNKNOWN_TYPE"]);
  });

  it("never throws on arbitrary input", () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 300 }), (s) => {
        inspectMessage(s);
        inspectMessage(`<TDiep><TTChung>${s}</TTChung><DLieu>${s}</DLieu></TDiep>`);
      }),
      { numRuns: 500 },
    );
  });
});

describe("write → read", () => {
  const header = fc
    .record({
      version: fc.constantFrom("2.0.0", "2.0.1", "2.1.0"),
      sender: partyCode,
      receiver: partyCode,
      type: fc.constantFrom(...MESSAGE_TYPE_CODES),
      hex: hex32,
      replyTo: fc.option(
        fc.tuple(partyCode, hex32).map(([p, h]) => p + h),
        { nil: undefined },
      ),
      taxCode: fc.option(
        fc.oneof(
          digits(10),
          digits(10).map((d) => `${d}-001`),
        ),
        { nil: undefined },
      ),
      items: fc.integer({ min: 1, max: 3 }),
      withCount: fc.boolean(),
    })
    .map((g) => {
      const info = messageTypeInfo(g.type)!;
      const items = info.many ? g.items : 1;
      const h: MessageHeader = {
        version: g.version,
        sender: g.sender,
        receiver: g.receiver,
        type: g.type as MessageTypeCode,
        messageId: g.sender + g.hex,
      };
      const replyTo = g.replyTo ?? (info.replyTo === "required" ? `TCT${g.hex}` : undefined);
      if (replyTo !== undefined) h.replyTo = replyTo;
      const taxCode = g.taxCode ?? (info.taxCode === "required" ? "0100109106" : undefined);
      if (taxCode !== undefined) h.taxCode = taxCode;
      if (g.withCount || info.count === "required") h.count = items;
      const payloads = Array.from({ length: items }, (_, i) => {
        const name = info.payload ?? "DSMST";
        return `<${name} n="${i}"><X>Hóa đơn &amp; &lt;${i}&gt;</X></${name}>`;
      });
      return { h, payloads };
    });

  it("gives back the header and the payload bytes", () => {
    fc.assert(
      fc.property(header, ({ h, payloads }) => {
        const r = readMessage(writeMessage(h, payloads));
        if (!r.ok) throw new Error(JSON.stringify(r.problems));
        expect(r.value.header).toEqual(h);
        expect(r.value.payloads.map((_, i) => payloadXml(r.value, i))).toEqual(payloads);
      }),
      { numRuns: 300 },
    );
  });
});
