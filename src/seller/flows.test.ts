import { describe, expect, it } from "vitest";
import { Dec } from "../domain/decimal.ts";
import type { Invoice } from "../domain/invoice.ts";
import {
  checkNoticeType,
  contractOf,
  periodOver,
  perOccurrenceResult,
  type SummaryPeriod,
  summaryPeriod,
  summaryRows,
} from "./flows.ts";

const period = (p: string, sector: Parameters<typeof summaryPeriod>[1]) => {
  const r = summaryPeriod(p, sector);
  if ("code" in r) throw new Error(r.message);
  return r;
};

describe("summary table periods", () => {
  it("writes a month as MM/YYYY and covers its days, February of a leap year included", () => {
    expect(period("2028-02", "electricity")).toEqual({
      kind: "T",
      text: "02/2028",
      from: "2028-02-01",
      to: "2028-02-29",
    });
  });

  it("writes a quarter by its first month and covers three months", () => {
    expect(period("2026-Q4", "telecom")).toEqual({
      kind: "Q",
      text: "10/2026",
      from: "2026-10-01",
      to: "2026-12-31",
    });
  });

  it("gives fuel retailers daily tables only, and the others monthly or quarterly ones only", () => {
    expect(period("2026-12-03", "fuel")).toMatchObject({ kind: "N", text: "03/12/2026" });
    const monthlyFuel = summaryPeriod("2026-12", "fuel");
    expect("code" in monthlyFuel && monthlyFuel.code).toBe("SELLER_SUMMARY_PERIOD");
    const dailyWater = summaryPeriod("2026-12-03", "water");
    expect("code" in dailyWater && dailyWater.code).toBe("SELLER_SUMMARY_PERIOD");
    const nonsense = summaryPeriod("2026-13", "water");
    expect("code" in nonsense && nonsense.code).toBe("SELLER_SUMMARY_PERIOD");
  });

  it("counts a period over only from the day after its last day", () => {
    const p: SummaryPeriod = period("2026-11", "water");
    expect(periodOver(p, "2026-11-30")).toBe(false);
    expect(periodOver(p, "2026-12-01")).toBe(true);
  });
});

describe("the contract an invoice names", () => {
  it("reads SoHopDong from the header's TTKhac, ignoring other fields and blanks", () => {
    const input = (extra: unknown) => ({ header: { template: "1", series: "C26TAA", extra }, lines: [] });
    expect(contractOf(input([{ name: "SoHopDong", type: "string", value: " HD-1 " }]))).toBe("HD-1");
    expect(contractOf(input([{ name: "Khac", type: "string", value: "HD-1" }]))).toBeUndefined();
    expect(contractOf(input([{ name: "SoHopDong", type: "string", value: " " }]))).toBeUndefined();
    expect(contractOf(input(undefined))).toBeUndefined();
  });
});

function invoice(number: string, groups: [string, string, string][], total: string): Invoice {
  return {
    header: {
      version: "2.1.0",
      name: "HĐ",
      template: "1",
      series: "K26TAA",
      number,
      issueDate: "2026-11-05",
    },
    seller: { name: "S", taxCode: "0100109106", address: "HN" },
    buyer: { name: "Người mua" },
    lines: groups.map(([rate, amount]) => ({
      nature: 1,
      itemName: `Xăng ${rate}`,
      unit: "lít",
      quantity: Dec.from("1.5"),
      amount: Dec.from(amount),
      vatRate: rate,
    })),
    totals: {
      byRate: groups.map(([rate, amount, vat]) => ({
        vatRate: rate,
        amount: Dec.from(amount),
        vatAmount: Dec.from(vat),
      })),
      fees: [],
      totalPayable: Dec.from(total),
      totalPayableInWords: "",
    },
    signatures: [],
  } as unknown as Invoice;
}

describe("summary table rows", () => {
  it("gives a row per invoice and rate, the total payable once per invoice, so the rows add up exactly", () => {
    const rows = summaryRows(
      [
        invoice(
          "1",
          [
            ["10%", "100000", "10000"],
            ["8%", "50000", "4000"],
          ],
          "164000",
        ),
        invoice("2", [["10%", "0.5", "0.05"]], "0.55"),
      ],
      9,
    );
    expect(
      rows.map((r) => [r.number, r.vatRate, r.amountBeforeVat?.toString(), r.totalPayable?.toString()]),
    ).toEqual([
      ["1", "10%", "100000", "164000"],
      ["1", "8%", "50000", "0"],
      ["2", "10%", "0.5", "0.55"],
    ]);
    const sum = rows.reduce((s, r) => s.add(r.totalPayable!), Dec.from(0));
    expect(sum.toString()).toBe("164000.55");
    expect(rows[0]!.itemName).toBeUndefined();
  });

  it("names the goods and sums their quantity on fuel tables", () => {
    const [row] = summaryRows([invoice("3", [["10%", "30000", "3000"]], "33000")], 1);
    expect(row).toMatchObject({ itemName: "Xăng 10%", unit: "lít" });
    expect(row!.quantity?.toString()).toBe("1.5");
  });
});

describe("answers of the authority", () => {
  it("reads LTBao of a 204 and KQKTra with its reasons of a 205", () => {
    expect(checkNoticeType("<DLTBao><LTBao>2</LTBao></DLTBao>")).toBe(2);
    expect(checkNoticeType("<DLTBao></DLTBao>")).toBeUndefined();
    expect(perOccurrenceResult("<KQKTra>1</KQKTra>")).toEqual({ valid: true, reasons: [] });
    expect(
      perOccurrenceResult("<KQKTra>0</KQKTra><DSLDo><LDo><NDung>Sai</NDung><HDXLy>X_Y</HDXLy></LDo></DSLDo>"),
    ).toEqual({ valid: false, reasons: [{ code: "X_Y", description: "Sai" }] });
  });
});
