import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { Dec } from "../../domain/decimal.ts";
import { parseXml } from "../xml.ts";
import type { SignatureSlot } from "./common.ts";
import { readSummaryTable, type SummaryTable, writeSummaryTable } from "./summary-table.ts";

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
/** Exact decimals up to 21 digits with up to 6 decimals, negatives included, in the form the writer emits. */
const dec = fc
  .tuple(fc.bigInt({ min: -(10n ** 21n) + 1n, max: 10n ** 21n - 1n }), fc.integer({ min: 0, max: 6 }))
  .map(([u, s]) => Dec.parse(Dec.of(u, s).toPlain()));
const period = fc.constantFrom("06/2025", "1/2026", "15/06/2025", "3/2025");
const signatures: fc.Arbitrary<SignatureSlot[]> = fc.oneof(
  fc.constant(null).map((): SignatureSlot[] => [{ name: "NNT", xml: "" }]),
  fc.stringMatching(/^[A-Za-z0-9+/]{4,40}$/).map((v): SignatureSlot[] => [
    {
      name: "NNT",
      xml: `<Signature xmlns="http://www.w3.org/2000/09/xmldsig#"><SignatureValue>${v}</SignatureValue></Signature>`,
    },
  ]),
);

const row = fc.record({
  index: opt(fc.integer({ min: 1, max: 999999 })),
  template: opt(fc.constantFrom("1", "2", "01GTKT0/001")),
  series: opt(fc.constantFrom("C25TAA", "K26TYY")),
  number: opt(fc.stringMatching(/^[0-9]{1,8}$/)),
  issueDate: opt(date),
  buyerName: opt(viText()),
  buyerTaxCode: opt(fc.constantFrom("0100109106", "0309478306-002")),
  customerCode: opt(viText(20)),
  itemCode: opt(fc.constantFrom("E5", "DO")),
  itemName: opt(viText()),
  unit: opt(fc.constantFrom("lít", "chiếc", "kWh")),
  quantity: opt(dec),
  amountBeforeVat: opt(dec),
  vatRate: opt(fc.constantFrom("10%", "8%", "KCT", "KHAC:5.26%")),
  vatAmount: opt(dec),
  fees: opt(dec),
  otherAmount: opt(dec),
  totalPayable: opt(dec),
  status: fc.constantFrom(0 as const, 1 as const, 2 as const, 3 as const, 4 as const, 5 as const),
  relatedKind: opt(fc.constantFrom(1 as const, 2 as const, 3 as const, 4 as const)),
  relatedTemplate: opt(fc.constant("1")),
  relatedSeries: opt(fc.constant("C24TAA")),
  relatedNumber: opt(fc.constant("00000012")),
  adjustedPeriodKind: opt(fc.constantFrom("T" as const, "Q" as const, "N" as const)),
  adjustedPeriod: opt(period),
  reviewNoticeNumber: opt(viText(20)),
  reviewNoticeDate: opt(date),
  note: opt(viText()),
  exchangeRate: opt(dec),
});

const table: fc.Arbitrary<SummaryTable> = fc.record({
  id: opt(fc.constant("BTH-1")),
  header: fc.record({
    version: fc.constantFrom("2.0.0", "2.1.0"),
    form: fc.constant("01/TH-HĐĐT"),
    name: viText(),
    tableNumber: fc.integer({ min: 1, max: 99999 }),
    periodKind: fc.constantFrom("T" as const, "Q" as const, "N" as const),
    period,
    first: fc.constantFrom(0 as const, 1 as const),
    supplementNo: opt(fc.integer({ min: 1, max: 999 })),
    date,
    taxpayerName: viText(),
    taxCode: fc.constant("0100109106"),
    printed: fc.constantFrom(0 as const, 1 as const),
    goodsKind: fc.constantFrom(1 as const, 2 as const, 9 as const),
    currency: opt(fc.constantFrom("VND", "USD")),
  }),
  rows: fc.array(row, { maxLength: 4 }),
  signatures,
});

function parse(xml: string) {
  const p = parseXml(xml);
  if (!p.ok) throw new Error(JSON.stringify(p.problems));
  return p.value;
}

const HEAD =
  "<BTHDLieu><DLBTHop><TTChung><PBan>2.1.0</PBan><MSo>01/TH-HĐĐT</MSo><Ten>Bảng tổng hợp dữ liệu hóa đơn điện tử</Ten>" +
  "<SBTHDLieu>3</SBTHDLieu><LKDLieu>T</LKDLieu><KDLieu>06/2025</KDLieu><LDau>1</LDau><NLap>2025-07-10</NLap>" +
  "<TNNT>Công ty Xăng dầu Ánh Dương</TNNT><MST>0100109106</MST><HDDIn>0</HDDIn><LHHoa>1</LHHoa></TTChung>";

describe("01/TH-HĐĐT summary table", () => {
  it("reads back what it writes, amounts exact", () => {
    fc.assert(
      fc.property(table, (x) => {
        const doc = parse(writeSummaryTable(x));
        expect(readSummaryTable(doc.root, { source: doc.source })).toEqual({ ok: true, value: x });
      }),
      { numRuns: 200 },
    );
  });

  it("writes every column of a row in the reference order", () => {
    const xml = writeSummaryTable({
      id: "BTH1",
      header: {
        version: "2.1.0",
        form: "01/TH-HĐĐT",
        name: "Bảng tổng hợp",
        tableNumber: 1,
        periodKind: "T",
        period: "06/2025",
        first: 1,
        date: "2025-07-10",
        taxpayerName: "Công ty A",
        taxCode: "0100109106",
        printed: 0,
        goodsKind: 9,
        currency: "VND",
      },
      rows: [
        {
          index: 1,
          template: "1",
          series: "C25TAA",
          number: "5",
          issueDate: "2025-06-03",
          buyerName: "Nguyễn Văn Ánh",
          quantity: Dec.parse("2"),
          amountBeforeVat: Dec.parse("-100000"),
          vatRate: "8%",
          vatAmount: Dec.parse("-8000"),
          totalPayable: Dec.parse("-108000"),
          status: 2,
          relatedKind: 1,
          relatedTemplate: "1",
          relatedSeries: "C25TAA",
          relatedNumber: "4",
          note: "Điều chỉnh giảm",
        },
      ],
      signatures: [{ name: "NNT", xml: "" }],
    });
    expect(xml).toBe(
      '<BTHDLieu><DLBTHop Id="BTH1"><TTChung><PBan>2.1.0</PBan><MSo>01/TH-HĐĐT</MSo><Ten>Bảng tổng hợp</Ten>' +
        "<SBTHDLieu>1</SBTHDLieu><LKDLieu>T</LKDLieu><KDLieu>06/2025</KDLieu><LDau>1</LDau><NLap>2025-07-10</NLap>" +
        "<TNNT>Công ty A</TNNT><MST>0100109106</MST><HDDIn>0</HDDIn><LHHoa>9</LHHoa><DVTTe>VND</DVTTe></TTChung>" +
        "<NDBTHDLieu><DSDLieu><DLieu><STT>1</STT><KHMSHDon>1</KHMSHDon><KHHDon>C25TAA</KHHDon><SHDon>5</SHDon>" +
        "<NLap>2025-06-03</NLap><TNMua>Nguyễn Văn Ánh</TNMua><SLuong>2</SLuong><TTCThue>-100000</TTCThue><TSuat>8%</TSuat>" +
        "<TgTThue>-8000</TgTThue><TgTTToan>-108000</TgTTToan><TThai>2</TThai><LHDCLQuan>1</LHDCLQuan>" +
        "<KHMSHDCLQuan>1</KHMSHDCLQuan><KHHDCLQuan>C25TAA</KHHDCLQuan><SHDCLQuan>4</SHDCLQuan><GChu>Điều chỉnh giảm</GChu>" +
        "</DLieu></DSDLieu></NDBTHDLieu></DLBTHop><DSCKS><NNT></NNT></DSCKS></BTHDLieu>",
    );
  });

  it("refuses a malformed period, a bad amount and an unknown status with their paths", () => {
    const xml =
      HEAD.replace("<KDLieu>06/2025</KDLieu>", "<KDLieu>2025-06</KDLieu>") +
      "<NDBTHDLieu><DSDLieu><DLieu><SLuong>1,5</SLuong><TThai>9</TThai></DLieu></DSDLieu></NDBTHDLieu></DLBTHop></BTHDLieu>";
    const r = readSummaryTable(parse(xml).root);
    expect(r.ok ? [] : r.problems.map((p) => [p.code, p.path])).toEqual([
      ["SUMMARY_TABLE_BAD_PERIOD", "/BTHDLieu/DLBTHop/TTChung/KDLieu"],
      ["FORM_FIELD_NOT_NUMBER", "/BTHDLieu/DLBTHop/NDBTHDLieu/DSDLieu/DLieu[1]/SLuong"],
      ["FORM_FIELD_BAD_CODE", "/BTHDLieu/DLBTHop/NDBTHDLieu/DSDLieu/DLieu[1]/TThai"],
    ]);
  });

  it("refuses a table without its data list and accepts one without signatures", () => {
    const missing = readSummaryTable(parse(`${HEAD}</DLBTHop></BTHDLieu>`).root);
    expect(missing.ok ? [] : missing.problems.map((p) => [p.code, p.path])).toEqual([
      ["FORM_FIELD_MISSING", "/BTHDLieu/DLBTHop/NDBTHDLieu"],
    ]);
    const ok = readSummaryTable(
      parse(
        `${HEAD}<NDBTHDLieu><DSDLieu><DLieu><TThai>0</TThai><Extra>1</Extra></DLieu></DSDLieu></NDBTHDLieu></DLBTHop></BTHDLieu>`,
      ).root,
    );
    expect(ok.ok && ok.value.rows.length).toBe(1);
    expect(ok.ok && ok.value.signatures).toEqual([]);
  });
});
