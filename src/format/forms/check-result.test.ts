import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parseXml } from "../xml.ts";
import { type CheckResult, readCheckResult, writeCheckResult } from "./check-result.ts";
import type { Reason, SignatureSlot } from "./common.ts";

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
    y: fc.integer({ min: 2020, max: 2030 }),
    m: fc.integer({ min: 1, max: 12 }),
    d: fc.integer({ min: 1, max: 28 }),
  })
  .map(({ y, m, d }) => `${y}-${String(m).padStart(2, "0")}-${String(d).padStart(2, "0")}`);
const reason: fc.Arbitrary<Reason> = fc.record({
  index: opt(fc.integer({ min: 1, max: 9999 })),
  code: opt(fc.stringMatching(/^[0-9]{1,4}$/)),
  description: opt(viText()),
  content: fc.constant(undefined),
  advice: opt(viText()),
  note: opt(viText()),
});
const reasons = opt(fc.array(reason, { maxLength: 3 }));
const signatures: fc.Arbitrary<SignatureSlot[]> = fc.oneof(
  fc.constant(null).map((): SignatureSlot[] => []),
  fc.constant(null).map((): SignatureSlot[] => [{ name: "CQT", xml: "" }]),
  fc.stringMatching(/^[A-Za-z0-9+/]{4,40}$/).map((v): SignatureSlot[] => [
    {
      name: "CQT",
      xml: `<Signature xmlns="http://www.w3.org/2000/09/xmldsig#"><SignatureValue>${v}</SignatureValue></Signature>`,
    },
  ]),
);
const table = fc.record({
  index: opt(fc.integer({ min: 1, max: 9999 })),
  period: fc.constantFrom("06/2025", "2/2025", "15/06/2025"),
  first: fc.constantFrom(0 as const, 1 as const),
  supplementNo: opt(fc.integer({ min: 1, max: 999 })),
  tableNumber: opt(fc.integer({ min: 1, max: 99999 })),
  generalReasons: reasons,
  invoices: opt(
    fc.array(
      fc.record({
        index: opt(fc.integer({ min: 1, max: 9999 })),
        template: opt(fc.constant("1")),
        series: opt(fc.constant("K25TAA")),
        number: opt(fc.stringMatching(/^[0-9]{1,8}$/)),
        date: opt(date),
        buyerName: opt(viText()),
        reasons,
      }),
      { maxLength: 2 },
    ),
  ),
  items: opt(
    fc.array(
      fc.record({
        index: opt(fc.integer({ min: 1, max: 9999 })),
        itemCode: fc.constantFrom("E5", "DO-0.05S"),
        itemName: viText(),
        period: opt(fc.constant("05/2025")),
        reasons,
      }),
      { maxLength: 2 },
    ),
  ),
});

const checkResult: fc.Arbitrary<CheckResult> = fc.record({
  id: opt(fc.constant("Id-1")),
  version: fc.constantFrom("2.0.1", "2.1.0"),
  form: fc.constant("01/TB-KTDL"),
  name: viText(),
  number: viText(30),
  place: viText(),
  date,
  taxCode: fc.constant("0100109106-001"),
  budgetUnitCode: opt(fc.constant("1234567")),
  taxpayerName: viText(),
  sentAt: opt(date.map((d) => `${d}T10:11:12`)),
  noticeType: fc.constantFrom(
    1 as const,
    2 as const,
    3 as const,
    4 as const,
    5 as const,
    6 as const,
    7 as const,
    9 as const,
  ),
  basis: viText(),
  transactionId: opt(fc.constant("K0100109106A1B2C3D4E5F60718293A4B5C6D7E8F90")),
  count: opt(fc.integer({ min: 0, max: 9999999 })),
  codeRefusal: opt(
    fc.record({
      template: fc.constant("1"),
      series: fc.constant("C25TAA"),
      number: fc.constant("7"),
      date,
      reasons,
    }),
  ),
  noCodeInvoices: opt(
    fc.array(
      fc.record({
        index: opt(fc.integer({ min: 1, max: 9999 })),
        template: fc.constant("2"),
        series: fc.constant("K25TBB"),
        number: fc.stringMatching(/^[0-9]{1,8}$/),
        reasons,
      }),
      { maxLength: 3 },
    ),
  ),
  nonFuelTables: opt(fc.array(table, { maxLength: 2 })),
  fuelTables: opt(fc.array(table, { maxLength: 2 })),
  otherReasons: reasons,
  cashRegisterReasons: reasons,
  stamp: opt(fc.record({ id: opt(fc.constant("Id-2")), number: viText(30), date })),
  signatures,
});

function parse(xml: string) {
  const p = parseXml(xml);
  if (!p.ok) throw new Error(JSON.stringify(p.problems));
  return p.value;
}

describe("01/TB-KTDL check result", () => {
  it("reads back what it writes", () => {
    fc.assert(
      fc.property(checkResult, (x) => {
        const doc = parse(writeCheckResult(x));
        expect(readCheckResult(doc.root, { source: doc.source })).toEqual({ ok: true, value: x });
      }),
      { numRuns: 200 },
    );
  });

  it("writes a code refusal with its error lines in the reference order", () => {
    const xml = writeCheckResult({
      version: "2.1.0",
      form: "01/TB-KTDL",
      name: "Thông báo về kết quả kiểm tra dữ liệu hóa đơn điện tử",
      number: "123/TB-KTDL",
      place: "Hà Nội",
      date: "2025-07-02",
      taxCode: "0100109106",
      taxpayerName: "Công ty Ánh Dương",
      noticeType: 1,
      basis: "Thông điệp 200",
      codeRefusal: {
        template: "1",
        series: "C25TAA",
        number: "9",
        date: "2025-07-01",
        reasons: [{ code: "4001", description: "Sai mã số thuế người mua", advice: "Kiểm tra lại MST" }],
      },
      signatures: [],
    });
    expect(xml).toBe(
      "<TBao><DLTBao><PBan>2.1.0</PBan><MSo>01/TB-KTDL</MSo><Ten>Thông báo về kết quả kiểm tra dữ liệu hóa đơn điện tử</Ten>" +
        "<So>123/TB-KTDL</So><DDanh>Hà Nội</DDanh><NTBao>2025-07-02</NTBao><MST>0100109106</MST><TNNT>Công ty Ánh Dương</TNNT>" +
        "<LTBao>1</LTBao><CCu>Thông điệp 200</CCu><LCMa><KHMSHDon>1</KHMSHDon><KHHDon>C25TAA</KHHDon><SHDon>9</SHDon>" +
        "<Ngay>2025-07-01</Ngay><DSLDo><LDo><MLoi>4001</MLoi><MTLoi>Sai mã số thuế người mua</MTLoi>" +
        "<HDXLy>Kiểm tra lại MST</HDXLy></LDo></DSLDo></LCMa></DLTBao><DSCKS></DSCKS></TBao>",
    );
  });

  it("refuses an LTBao outside the list and a missing CCu", () => {
    const xml =
      "<TBao><DLTBao><PBan>2.1.0</PBan><MSo>01/TB-KTDL</MSo><Ten>TB</Ten><So>1</So><DDanh>HN</DDanh>" +
      "<NTBao>2025-07-02</NTBao><MST>0100109106</MST><TNNT>A</TNNT><LTBao>0</LTBao></DLTBao></TBao>";
    const r = readCheckResult(parse(xml).root);
    expect(r.ok ? [] : r.problems.map((p) => [p.code, p.path])).toEqual([
      ["FORM_FIELD_BAD_CODE", "/TBao/DLTBao/LTBao"],
      ["FORM_FIELD_MISSING", "/TBao/DLTBao/CCu"],
    ]);
  });

  it("refuses a fuel-table item without its item code, with the item's path", () => {
    const xml =
      "<TBao><DLTBao><PBan>2.1.0</PBan><MSo>01/TB-KTDL</MSo><Ten>TB</Ten><So>1</So><DDanh>HN</DDanh>" +
      "<NTBao>2025-07-02</NTBao><MST>0100109106</MST><TNNT>A</TNNT><LTBao>5</LTBao><CCu>400</CCu><LBTHXDau><DSBTHop>" +
      "<BTHop><KDLieu>01/07/2025</KDLieu><LDau>1</LDau><DSLMHang><MHang><THHDVu>Xăng E5</THHDVu></MHang>" +
      "</DSLMHang></BTHop></DSBTHop></LBTHXDau></DLTBao></TBao>";
    const r = readCheckResult(parse(xml).root);
    expect(r.ok ? [] : r.problems.map((p) => [p.code, p.path])).toEqual([
      ["FORM_FIELD_MISSING", "/TBao/DLTBao/LBTHXDau/DSBTHop/BTHop[1]/DSLMHang/MHang[1]/MHHoa"],
    ]);
  });

  it("reads error lines of the table's general information from LDTTChung", () => {
    const xml =
      "<TBao><DLTBao><PBan>2.1.0</PBan><MSo>01/TB-KTDL</MSo><Ten>TB</Ten><So>1</So><DDanh>HN</DDanh>" +
      "<NTBao>2025-07-02</NTBao><MST>0100109106</MST><TNNT>A</TNNT><LTBao>4</LTBao><CCu>400</CCu><Extra>x</Extra>" +
      "<LBTHKXDau><DSBTHop><BTHop><KDLieu>06/2025</KDLieu><LDau>0</LDau><BSLThu>2</BSLThu><DSLDTTChung><LDTTChung>" +
      "<MLoi>30</MLoi><MTLoi>Sai kỳ</MTLoi><HDXLy>Sửa kỳ</HDXLy></LDTTChung></DSLDTTChung></BTHop></DSBTHop>" +
      "</LBTHKXDau></DLTBao></TBao>";
    const r = readCheckResult(parse(xml).root);
    expect(r.ok && r.value.nonFuelTables?.[0]).toMatchObject({
      first: 0,
      supplementNo: 2,
      generalReasons: [{ code: "30", description: "Sai kỳ", advice: "Sửa kỳ" }],
    });
  });
});
