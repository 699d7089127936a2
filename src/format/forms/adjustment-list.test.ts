import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { Dec } from "../../domain/decimal.ts";
import { parseXml } from "../xml.ts";
import { type AdjustmentList, readAdjustmentList, writeAdjustmentList } from "./adjustment-list.ts";
import type { SignatureSlot } from "./common.ts";

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
    y: fc.integer({ min: 2025, max: 2030 }),
    m: fc.integer({ min: 1, max: 12 }),
    d: fc.integer({ min: 1, max: 28 }),
  })
  .map(({ y, m, d }) => `${y}-${String(m).padStart(2, "0")}-${String(d).padStart(2, "0")}`);
const dec = fc
  .tuple(fc.bigInt({ min: -(10n ** 21n) + 1n, max: 10n ** 21n - 1n }), fc.integer({ min: 0, max: 6 }))
  .map(([u, s]) => Dec.parse(Dec.of(u, s).toPlain()));
const sig = (name: string) =>
  fc.stringMatching(/^[A-Za-z0-9+/]{4,40}$/).map((v) => ({
    name,
    xml: `<Signature xmlns="http://www.w3.org/2000/09/xmldsig#"><SignatureValue>${v}</SignatureValue></Signature>`,
  }));
const signatures: fc.Arbitrary<SignatureSlot[]> = fc.oneof(
  fc.constant(null).map((): SignatureSlot[] => [
    { name: "NBan", xml: "" },
    { name: "NMua", xml: "" },
  ]),
  fc.tuple(sig("NBan"), sig("NMua")).map((s): SignatureSlot[] => [...s]),
);
const rate = fc.constantFrom("10%", "8%", "5%", "0%", "KCT");

const list: fc.Arbitrary<AdjustmentList> = fc.record({
  id: opt(fc.constant("BKe-1")),
  version: fc.constantFrom("2.1.0", "2.1.1"),
  title: opt(fc.constantFrom("Bảng kê hóa đơn điện tử bị điều chỉnh", "Bảng kê hóa đơn điện tử bị thay thế")),
  form: fc.constant("01/BK-ĐCTT"),
  number: fc.stringMatching(/^[0-9A-Z/-]{1,20}$/),
  date,
  nature: fc.constantFrom(1 as const, 2 as const, 3 as const, 4 as const),
  sellerName: viText(),
  sellerTaxCode: fc.constant("0100109106"),
  sellerAddress: opt(viText()),
  bank: opt(fc.constantFrom(0 as const, 1 as const)),
  buyerName: opt(viText()),
  buyerTaxCode: opt(fc.constant("0309478306")),
  buyerAddress: opt(viText()),
  reasons: opt(fc.array(viText(), { maxLength: 3 })),
  extra: opt(
    fc.array(
      fc.record({
        name: fc.constantFrom("SoHopDong", "GhiChu"),
        type: fc.constant("string"),
        value: viText(),
      }),
      { maxLength: 2 },
    ),
  ),
  lines: fc.array(
    fc.record({
      original: fc.record({
        index: opt(fc.integer({ min: 1, max: 9999 })),
        template: fc.constant("1"),
        series: fc.constantFrom("C25TAA", "K25TBB"),
        number: fc.stringMatching(/^[0-9]{1,8}$/),
        itemName: opt(viText()),
        quantity: opt(dec),
        unitPrice: opt(dec),
        amount: opt(dec),
        vatRate: opt(rate),
        vatAmount: opt(dec),
        otherTotal: opt(dec),
        totalWithVat: opt(dec),
      }),
      corrected: opt(
        fc.record({
          itemName: opt(viText()),
          quantity: opt(dec),
          unitPrice: opt(dec),
          amount: opt(dec),
          vatRate: opt(rate),
          vatAmount: opt(dec),
          otherTotal: opt(dec),
          totalWithVat: opt(dec),
        }),
      ),
      difference: opt(
        fc.record({
          amountBeforeVat: opt(dec),
          vatAmount: opt(dec),
          otherTotal: opt(dec),
          totalPayable: opt(dec),
        }),
      ),
    }),
    { minLength: 1, maxLength: 4 },
  ),
  signatures,
});

function parse(xml: string) {
  const p = parseXml(xml);
  if (!p.ok) throw new Error(JSON.stringify(p.problems));
  return p.value;
}

describe("01/BK-ĐCTT adjustment list", () => {
  it("reads back what it writes, negative differences included", () => {
    fc.assert(
      fc.property(list, (x) => {
        const doc = parse(writeAdjustmentList(x));
        expect(readAdjustmentList(doc.root, { source: doc.source })).toEqual({ ok: true, value: x });
      }),
      { numRuns: 200 },
    );
  });

  it("writes the list in the order of the reference", () => {
    const xml = writeAdjustmentList({
      id: "BKe-7",
      version: "2.1.0",
      form: "01/BK-ĐCTT",
      number: "07",
      date: "2025-07-31",
      nature: 2,
      sellerName: "Công ty Ánh Dương",
      sellerTaxCode: "0100109106",
      bank: 0,
      buyerName: "Công ty Bình Minh",
      reasons: ["Sai đơn giá"],
      lines: [
        {
          original: {
            index: 1,
            template: "1",
            series: "C25TAA",
            number: "15",
            amount: Dec.parse("1000000"),
            vatRate: "10%",
          },
          corrected: { amount: Dec.parse("900000"), vatRate: "10%" },
          difference: {
            amountBeforeVat: Dec.parse("-100000"),
            vatAmount: Dec.parse("-10000"),
            totalPayable: Dec.parse("-110000"),
          },
        },
      ],
      signatures: [
        { name: "NBan", xml: "" },
        { name: "NMua", xml: "" },
      ],
    });
    expect(xml).toBe(
      '<BKe><NDBKe Id="BKe-7"><TTChung><PBan>2.1.0</PBan><KHMBKe>01/BK-ĐCTT</KHMBKe><SBKe>07</SBKe><NBKe>2025-07-31</NBKe>' +
        "<TCHDon>2</TCHDon><NBan>Công ty Ánh Dương</NBan><MSTNBan>0100109106</MSTNBan><TCTCNHang>0</TCTCNHang>" +
        "<NMua>Công ty Bình Minh</NMua><DSLDTDoi><LDo>Sai đơn giá</LDo></DSLDTDoi></TTChung><DSHHDVu><HHDVu><TTTDChinh>" +
        "<STT>1</STT><KHMSHDon>1</KHMSHDon><KHHDon>C25TAA</KHHDon><SHDon>15</SHDon><ThTGoc>1000000</ThTGoc><TSGoc>10%</TSGoc>" +
        "</TTTDChinh><TTSDChinh><ThTTDoi>900000</ThTTDoi><TSTDoi>10%</TSTDoi></TTSDChinh><CLech><TgTCTCLech>-100000</TgTCTCLech>" +
        "<TgTTCLech>-10000</TgTTCLech><TgTTTCLech>-110000</TgTTTCLech></CLech></HHDVu></DSHHDVu></NDBKe>" +
        "<DSCKS><NBan></NBan><NMua></NMua></DSCKS></BKe>",
    );
  });

  it("refuses a list without lines and a line without its original invoice number", () => {
    const head =
      "<BKe><NDBKe><TTChung><PBan>2.1.0</PBan><KHMBKe>01/BK-ĐCTT</KHMBKe><SBKe>1</SBKe><NBKe>2025-07-31</NBKe>" +
      "<TCHDon>1</TCHDon><NBan>A</NBan><MSTNBan>0100109106</MSTNBan></TTChung>";
    const empty = readAdjustmentList(parse(`${head}<DSHHDVu></DSHHDVu></NDBKe></BKe>`).root);
    expect(empty.ok ? [] : empty.problems.map((p) => [p.code, p.path])).toEqual([
      ["ADJUSTMENT_LIST_EMPTY", "/BKe/NDBKe/DSHHDVu"],
    ]);
    const noNumber = readAdjustmentList(
      parse(
        `${head}<DSHHDVu><HHDVu><TTTDChinh><KHMSHDon>1</KHMSHDon><KHHDon>C25TAA</KHHDon></TTTDChinh></HHDVu></DSHHDVu></NDBKe></BKe>`,
      ).root,
    );
    expect(noNumber.ok ? [] : noNumber.problems.map((p) => [p.code, p.path])).toEqual([
      ["FORM_FIELD_MISSING", "/BKe/NDBKe/DSHHDVu/HHDVu[1]/TTTDChinh/SHDon"],
    ]);
  });

  it("refuses a TCHDon outside 1–4", () => {
    const xml =
      "<BKe><NDBKe><TTChung><PBan>2.1.0</PBan><KHMBKe>01/BK-ĐCTT</KHMBKe><SBKe>1</SBKe><NBKe>2025-07-31</NBKe>" +
      "<TCHDon>5</TCHDon><NBan>A</NBan><MSTNBan>0100109106</MSTNBan></TTChung><DSHHDVu><HHDVu><TTTDChinh><KHMSHDon>1</KHMSHDon>" +
      "<KHHDon>C25TAA</KHHDon><SHDon>1</SHDon></TTTDChinh></HHDVu></DSHHDVu></NDBKe></BKe>";
    const r = readAdjustmentList(parse(xml).root);
    expect(r.ok ? [] : r.problems.map((p) => [p.code, p.path])).toEqual([
      ["FORM_FIELD_BAD_CODE", "/BKe/NDBKe/TTChung/TCHDon"],
    ]);
  });
});
