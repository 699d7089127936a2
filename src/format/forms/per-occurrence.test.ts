import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parseXml } from "../xml.ts";
import type { Reason, SignatureSlot } from "./common.ts";
import {
  type PerOccurrenceRequest,
  type PerOccurrenceResult,
  readPerOccurrenceRequest,
  readPerOccurrenceResult,
  writePerOccurrenceRequest,
  writePerOccurrenceResult,
} from "./per-occurrence.ts";

const VI_CHARS = [
  ..."aăâbcdđeêghiklmnoôơpqrstuưvxyAĐƯáàảãạấầẩẫậắéèẻếềểễệíìóòỏốồổỗộớờởúùủứừửữựýỳ0123456789 -/.,&<>\"'",
];
const viText = (max = 40) =>
  fc
    .array(fc.constantFrom(...VI_CHARS), { minLength: 1, maxLength: max })
    .map((a) => a.join(""))
    .filter((s) => s.trim() !== "");
const opt = <T>(a: fc.Arbitrary<T>) => fc.option(a, { nil: undefined });
const date = fc
  .record({
    y: fc.integer({ min: 1990, max: 2030 }),
    m: fc.integer({ min: 1, max: 12 }),
    d: fc.integer({ min: 1, max: 28 }),
  })
  .map(({ y, m, d }) => `${y}-${String(m).padStart(2, "0")}-${String(d).padStart(2, "0")}`);
const slots = (name: string): fc.Arbitrary<SignatureSlot[]> =>
  fc.oneof(
    fc.constant(null).map((): SignatureSlot[] => []),
    fc.constant(null).map((): SignatureSlot[] => [{ name, xml: "" }]),
    fc.stringMatching(/^[A-Za-z0-9+/]{4,40}$/).map((v): SignatureSlot[] => [
      {
        name,
        xml: `<Signature xmlns="http://www.w3.org/2000/09/xmldsig#"><SignatureValue>${v}</SignatureValue></Signature>`,
      },
    ]),
  );
const reason: fc.Arbitrary<Reason> = fc.record({
  index: opt(fc.integer({ min: 1, max: 9999 })),
  code: fc.constant(undefined),
  description: fc.constant(undefined),
  content: opt(viText()),
  advice: opt(viText()),
  note: opt(viText()),
});
const reasons = fc.array(reason, { maxLength: 3 });

const request: fc.Arbitrary<PerOccurrenceRequest> = fc.record({
  id: opt(fc.constant("DN-1")),
  applicant: fc.record({
    version: fc.constantFrom("2.0.0", "2.1.0"),
    form: fc.constant("06/ĐN-PSĐT"),
    name: viText(),
    authorityName: viText(),
    authorityCode: fc.stringMatching(/^[0-9]{5}$/),
    applicantName: viText(),
    contactAddress: viText(),
    email: opt(fc.constant("an@example.vn")),
    phone: fc.stringMatching(/^0[0-9]{9}$/),
    foundingDecisionNumber: opt(viText(20)),
    foundingDecisionDate: opt(date),
    foundingAuthority: opt(viText()),
    taxCode: opt(fc.constant("8012345678")),
    receiverName: viText(),
    receiverIdNumber: fc.stringMatching(/^[0-9]{12}$/),
    receiverIdDate: date,
    receiverIdPlace: viText(),
    place: viText(),
    date,
  }),
  sale: fc.record({
    itemName: viText(),
    buyerName: viText(),
    buyerAddress: viText(),
    buyerTaxCode: opt(fc.constant("0100109106")),
    contractNumber: opt(viText(20)),
    contractDate: opt(date),
  }),
  signatures: slots("CQT"),
});

const result: fc.Arbitrary<PerOccurrenceResult> = fc.record({
  id: opt(fc.constant("TB-1")),
  version: fc.constantFrom("2.0.0", "2.1.0"),
  form: fc.constant("01-1/QTr-HĐĐT"),
  name: viText(),
  number: viText(30),
  place: viText(),
  date,
  taxCode: opt(fc.constant("8012345678")),
  taxpayerName: viText(),
  sentAt: date.map((d) => `${d}T08:00:00`),
  basis: viText(),
  transactionId: opt(fc.constant("K0100109106A1B2C3D4E5F60718293A4B5C6D7E8F90")),
  result: fc.constantFrom(0 as const, 1 as const),
  contactAddress: opt(viText()),
  dossierReasons: opt(reasons),
  documentReasons: opt(reasons),
  contentCheck: opt(
    fc.record({
      template: fc.constant("1"),
      series: fc.constant("C25TPS"),
      number: fc.constant("1"),
      date,
      reasons: opt(reasons),
    }),
  ),
  stamp: opt(fc.record({ id: opt(fc.constant("ST-1")), number: viText(30), date })),
  signatures: slots("CQT"),
});

function parse(xml: string) {
  const p = parseXml(xml);
  if (!p.ok) throw new Error(JSON.stringify(p.problems));
  return p.value;
}

describe("06/ĐN-PSĐT per-occurrence request", () => {
  it("reads back what it writes", () => {
    fc.assert(
      fc.property(request, (x) => {
        const doc = parse(writePerOccurrenceRequest(x));
        expect(readPerOccurrenceRequest(doc.root, { source: doc.source })).toEqual({ ok: true, value: x });
      }),
      { numRuns: 200 },
    );
  });

  it("refuses a request without the collector's ID number or the buyer's address", () => {
    const xml =
      "<DNghi><DLDNghi><TTChung><PBan>2.1.0</PBan><MSo>06/ĐN-PSĐT</MSo><Ten>Đề nghị cấp hóa đơn</Ten><TCQT>Chi cục Thuế</TCQT>" +
      "<MCQT>10101</MCQT><TTCCNhan>Trần Thị Bích</TTCCNhan><DCLHe>Huế</DCLHe><DTLHe>0912345678</DTLHe><TNNHDon>Trần Thị Bích</TNNHDon>" +
      "<NgCCMND>2015-03-04</NgCCMND><NCCMND>Huế</NCCMND><DDanh>Huế</DDanh><NLap>2025-08-01</NLap></TTChung><NDDNghi>" +
      "<THHDVu>Bán lô gỗ</THHDVu><Ten>Công ty Gỗ Việt</Ten></NDDNghi></DLDNghi></DNghi>";
    const r = readPerOccurrenceRequest(parse(xml).root);
    expect(r.ok ? [] : r.problems.map((p) => [p.code, p.path])).toEqual([
      ["FORM_FIELD_MISSING", "/DNghi/DLDNghi/TTChung/CMND"],
      ["FORM_FIELD_MISSING", "/DNghi/DLDNghi/NDDNghi/DChi"],
    ]);
  });
});

describe("01-1/QTr-HĐĐT per-occurrence result", () => {
  it("reads back what it writes", () => {
    fc.assert(
      fc.property(result, (x) => {
        const doc = parse(writePerOccurrenceResult(x));
        expect(readPerOccurrenceResult(doc.root, { source: doc.source })).toEqual({ ok: true, value: x });
      }),
      { numRuns: 200 },
    );
  });

  it("writes an invalid result with its reason lines (NDung, HDXLy, GChu)", () => {
    const xml = writePerOccurrenceResult({
      version: "2.1.0",
      form: "01-1/QTr-HĐĐT",
      name: "Thông báo kết quả kiểm tra hồ sơ",
      number: "5/TB",
      place: "Huế",
      date: "2025-08-02",
      taxpayerName: "Trần Thị Bích",
      sentAt: "2025-08-01T09:00:00",
      basis: "Thông điệp 106",
      result: 0,
      dossierReasons: [{ content: "Thiếu hợp đồng", advice: "Bổ sung hợp đồng mua bán", note: "Bản sao" }],
      signatures: [{ name: "CQT", xml: "" }],
    });
    expect(xml).toBe(
      "<TBao><DLTBao><PBan>2.1.0</PBan><MSo>01-1/QTr-HĐĐT</MSo><Ten>Thông báo kết quả kiểm tra hồ sơ</Ten><So>5/TB</So>" +
        "<DDanh>Huế</DDanh><NTBao>2025-08-02</NTBao><TNNT>Trần Thị Bích</TNNT><TGGui>2025-08-01T09:00:00</TGGui>" +
        "<CCu>Thông điệp 106</CCu><KQKTra>0</KQKTra><LHSo><DSLDo><LDo><NDung>Thiếu hợp đồng</NDung>" +
        "<HDXLy>Bổ sung hợp đồng mua bán</HDXLy><GChu>Bản sao</GChu></LDo></DSLDo></LHSo></DLTBao><DSCKS><CQT></CQT></DSCKS></TBao>",
    );
  });

  it("refuses a KQKTra other than 0 or 1 and a bad date", () => {
    const xml =
      "<TBao><DLTBao><PBan>2.1.0</PBan><MSo>01-1/QTr-HĐĐT</MSo><Ten>TB</Ten><So>5</So><DDanh>Huế</DDanh>" +
      "<NTBao>02/08/2025</NTBao><TNNT>A</TNNT><TGGui>2025-08-01T09:00:00</TGGui><CCu>106</CCu><KQKTra>2</KQKTra></DLTBao></TBao>";
    const r = readPerOccurrenceResult(parse(xml).root);
    expect(r.ok ? [] : r.problems.map((p) => [p.code, p.path])).toEqual([
      ["FORM_FIELD_BAD_DATE", "/TBao/DLTBao/NTBao"],
      ["FORM_FIELD_BAD_CODE", "/TBao/DLTBao/KQKTra"],
    ]);
  });
});
