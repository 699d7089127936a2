/**
 * Export of invoice lists and sales reports to .xlsx, streaming: rows are written as the caller's
 * AsyncIterable (a database cursor) yields them, so memory does not grow with the number of invoices.
 * Amounts are written exactly (`encodeDecimal`: numbers Excel can hold, text beyond 15 digits); the
 * report's totals row is summed exactly while streaming.
 */
import type { Writable } from "node:stream";
import { Dec } from "../domain/decimal.ts";
import type { Invoice } from "../domain/invoice.ts";
import { parseVatRate } from "../domain/vat.ts";
import type { CellInput, ColumnSpec } from "./xlsx.ts";
import { writeWorkbook } from "./xlsx.ts";

/** One invoice of a list. */
export interface InvoiceListRow {
  readonly template: string;
  readonly series: string;
  readonly number?: string;
  readonly issueDate: string;
  readonly buyerTaxCode?: string;
  readonly buyerName?: string;
  readonly currency: string;
  readonly totalBeforeVat?: Dec;
  readonly totalVat?: Dec;
  readonly totalPayable: Dec;
  /** The seller's state of the invoice (draft, issued, coded, …). */
  readonly state?: string;
  readonly authorityCode?: string;
}

/** One invoice of a sales report: the amounts before VAT and the VAT of each rate. */
export interface SalesReportRow {
  readonly template: string;
  readonly series: string;
  readonly number?: string;
  readonly issueDate: string;
  readonly buyerTaxCode?: string;
  readonly buyerName?: string;
  readonly byRate: ReadonlyArray<{
    readonly vatRate: string;
    readonly amount: Dec;
    readonly vatAmount?: Dec;
  }>;
  readonly totalVat?: Dec;
  readonly totalPayable: Dec;
}

export function listRowOf(inv: Invoice, extra: { state?: string } = {}): InvoiceListRow {
  const h = inv.header;
  const b = inv.buyer;
  const t = inv.totals;
  return {
    template: h.template,
    series: h.series,
    issueDate: h.issueDate,
    currency: h.currency,
    totalPayable: t.totalPayable,
    ...(h.number !== undefined ? { number: h.number } : {}),
    ...(b.taxCode !== undefined ? { buyerTaxCode: b.taxCode } : {}),
    ...(b.name !== undefined ? { buyerName: b.name } : {}),
    ...(t.totalBeforeVat !== undefined ? { totalBeforeVat: t.totalBeforeVat } : {}),
    ...(t.totalVat !== undefined ? { totalVat: t.totalVat } : {}),
    ...(extra.state !== undefined ? { state: extra.state } : {}),
    ...(inv.authorityCode !== undefined ? { authorityCode: inv.authorityCode } : {}),
  };
}

export function reportRowOf(inv: Invoice): SalesReportRow {
  const h = inv.header;
  return {
    template: h.template,
    series: h.series,
    issueDate: h.issueDate,
    byRate: inv.totals.byRate,
    totalPayable: inv.totals.totalPayable,
    ...(h.number !== undefined ? { number: h.number } : {}),
    ...(inv.buyer.taxCode !== undefined ? { buyerTaxCode: inv.buyer.taxCode } : {}),
    ...(inv.buyer.name !== undefined ? { buyerName: inv.buyer.name } : {}),
    ...(inv.totals.totalVat !== undefined ? { totalVat: inv.totals.totalVat } : {}),
  };
}

const header = (vi: string[], en: string[]): CellInput[][] => [
  vi.map((value) => ({ value, style: "header" as const })),
  en.map((value) => ({ value, style: "subheader" as const })),
];

const LIST_COLUMNS: Array<[string, string, number]> = [
  ["Mẫu số", "Template", 8],
  ["Ký hiệu", "Series", 10],
  ["Số hóa đơn", "Number", 10],
  ["Ngày lập", "Issue date", 12],
  ["MST người mua", "Buyer tax code", 15],
  ["Tên người mua", "Buyer name", 34],
  ["Loại tiền", "Currency", 8],
  ["Tiền chưa thuế", "Amount before VAT", 16],
  ["Tiền thuế GTGT", "VAT", 14],
  ["Tổng thanh toán", "Total payable", 16],
  ["Trạng thái", "State", 12],
  ["Mã CQT", "Authority code", 36],
];

/** Streams a list of invoices (one row each) to an .xlsx file or stream. */
export async function exportInvoices(
  rows: AsyncIterable<InvoiceListRow> | Iterable<InvoiceListRow>,
  output: string | Writable,
): Promise<{ rows: number }> {
  let count = 0;
  await writeWorkbook(output, async (w) => {
    await w.addSheet(
      {
        name: "Danh sách hóa đơn",
        columns: LIST_COLUMNS.map(([, , width]): ColumnSpec => ({ width })),
        frozenRows: 2,
      },
      (async function* () {
        yield* header(
          LIST_COLUMNS.map((c) => c[0]),
          LIST_COLUMNS.map((c) => c[1]),
        );
        for await (const r of rows) {
          count++;
          yield [
            r.template,
            r.series,
            r.number,
            { date: r.issueDate },
            r.buyerTaxCode,
            r.buyerName,
            r.currency,
            r.totalBeforeVat,
            r.totalVat,
            r.totalPayable,
            r.state,
            r.authorityCode,
          ];
        }
      })(),
    );
  });
  return { rows: count };
}

/** The report's rate columns; any other rate (KHAC:…, CTTC) goes to "other". */
const REPORT_RATES = ["0%", "5%", "8%", "10%", "KCT", "KKKNT"] as const;

export interface ReportPeriod {
  /** First and last day, YYYY-MM-DD. */
  readonly from: string;
  readonly to: string;
}

function vnDate(iso: string): string {
  const [y, m, d] = iso.split("-");
  return `${d}/${m}/${y}`;
}

/**
 * Streams a sales report (bảng kê hóa đơn bán ra) for a period: one row per invoice with its amount
 * before VAT per rate, its VAT and its total, and a totals row.
 */
export async function exportSalesReport(
  rows: AsyncIterable<SalesReportRow> | Iterable<SalesReportRow>,
  output: string | Writable,
  period: ReportPeriod,
): Promise<{ rows: number; totals: { byRate: Record<string, Dec>; vat: Dec; payable: Dec } }> {
  const rateKeys = [...REPORT_RATES, "other"];
  const sums = new Map<string, Dec>(rateKeys.map((k) => [k, Dec.ZERO]));
  let vat = Dec.ZERO;
  let payable = Dec.ZERO;
  let count = 0;
  const vi = ["STT", "Mẫu số - Ký hiệu", "Số hóa đơn", "Ngày lập", "Tên người mua", "MST người mua"];
  const en = ["No", "Template - series", "Number", "Issue date", "Buyer name", "Buyer tax code"];
  for (const r of REPORT_RATES) {
    vi.push(
      `Doanh thu ${r === "KCT" ? "không chịu thuế" : r === "KKKNT" ? "không kê khai" : `thuế suất ${r}`}`,
    );
    en.push(`Sales at ${r}`);
  }
  vi.push("Doanh thu thuế suất khác", "Tiền thuế GTGT", "Tổng cộng thanh toán");
  en.push("Sales at other rates", "VAT", "Total payable");
  const widths = [6, 14, 10, 12, 34, 15, ...rateKeys.map(() => 15), 15, 17];
  await writeWorkbook(output, async (w) => {
    await w.addSheet(
      { name: "Bảng kê bán ra", columns: widths.map((width) => ({ width })), frozenRows: 4 },
      (async function* () {
        yield [{ value: "BẢNG KÊ HÓA ĐƠN BÁN RA / SALES REPORT", style: "title" as const }];
        yield [`Kỳ (period): từ ngày ${vnDate(period.from)} đến ngày ${vnDate(period.to)}`];
        yield* header(vi, en);
        for await (const r of rows) {
          count++;
          const amounts = new Map<string, Dec>();
          for (const g of r.byRate) {
            const rate = parseVatRate(g.vatRate);
            const key = rate && (REPORT_RATES as readonly string[]).includes(rate.code) ? rate.code : "other";
            amounts.set(key, (amounts.get(key) ?? Dec.ZERO).add(g.amount));
          }
          for (const [k, v] of amounts) sums.set(k, sums.get(k)!.add(v));
          const rowVat = r.totalVat ?? Dec.sum(r.byRate.map((g) => g.vatAmount ?? Dec.ZERO));
          vat = vat.add(rowVat);
          payable = payable.add(r.totalPayable);
          yield [
            count,
            `${r.template}${r.series}`,
            r.number,
            { date: r.issueDate },
            r.buyerName,
            r.buyerTaxCode,
            ...rateKeys.map((k) => amounts.get(k)),
            rowVat,
            r.totalPayable,
          ];
        }
        yield [
          { value: "Tổng cộng / Total", style: "total" as const },
          ...Array<CellInput>(5).fill(undefined),
          ...rateKeys.map((k) => ({ value: sums.get(k)!, style: "total" as const })),
          { value: vat, style: "total" as const },
          { value: payable, style: "total" as const },
        ];
      })(),
    );
  });
  return { rows: count, totals: { byRate: Object.fromEntries(sums), vat, payable } };
}
