/**
 * The seller's reports, read from what was signed (never from drafts or request bodies):
 *
 * - **Sales list** for a period: every invoice of the period that has legal effect, with its amounts per
 *   VAT rate, VAT and total payable, and exact sums. "Legal effect": a coded series' invoice once the
 *   authority coded it (coded, delivered, or later adjusted); a no-code series' invoice once issued. Left
 *   out: drafts, invoices waiting for or refused a code, replaced originals (their replacement counts) and
 *   cancelled ones. Adjusting invoices count with their own (possibly negative) amounts.
 * - **Series usage**: per template and series, how many numbers were used in the period, the first and last,
 *   and how many sit in each state — the seller's own check that nothing is missing.
 * - **The provider's 6-monthly report** (Circular 32/2011 Art 5, form 3): for an e-invoice service provider,
 *   the businesses it served in a half-year and, per business, the invoices used by template (kind),
 *   series and number range.
 *
 * Amounts come from the stored XML (the coded one when there is one) read by the format layer, so a report
 * shows exactly what the buyer and the authority hold. Sums are exact (Dec). Periods are invoice dates
 * (YYYY-MM-DD, both ends included).
 */
import { sql } from "kysely";
import { Dec } from "../domain/decimal.ts";
import type { Invoice, VatRateCode } from "../domain/invoice.ts";
import { defineCodes, makeProblem, type Result } from "../domain/problem.ts";
import { readInvoice } from "../format/invoice.ts";
import type { Database } from "../store/database.ts";

export const reportCodes = defineCodes({
  REPORT_BAD_PERIOD: {
    vi: 'Kỳ báo cáo "{value}" không hợp lệ: cần ngày dạng YYYY-MM-DD, từ ngày không sau đến ngày',
    en: 'The report period "{value}" is not valid: dates as YYYY-MM-DD, from not after to',
  },
  REPORT_BAD_HALF_YEAR: {
    vi: 'Kỳ báo cáo 6 tháng "{value}" không hợp lệ: cần dạng YYYY-H1 hoặc YYYY-H2',
    en: 'The half-year "{value}" is not valid: write YYYY-H1 or YYYY-H2',
  },
  REPORT_UNREADABLE_INVOICE: {
    vi: "Không đọc được hóa đơn đã lưu {template}{series} số {number}",
    en: "The stored invoice {template}{series} number {number} cannot be read",
  },
});

export interface Period {
  readonly from: string;
  readonly to: string;
}

export interface SalesRow {
  readonly id: string;
  readonly state: string;
  readonly invoice: Invoice;
}

export interface RateSum {
  readonly vatRate: VatRateCode;
  readonly amount: Dec;
  readonly vatAmount: Dec;
}

export interface SalesSummary {
  readonly count: number;
  readonly byRate: readonly RateSum[];
  readonly totalVat: Dec;
  readonly totalPayable: Dec;
}

export interface SeriesUsage {
  readonly template: string;
  readonly series: string;
  readonly used: number;
  readonly firstNumber: number;
  readonly lastNumber: number;
  readonly byState: Readonly<Record<string, number>>;
}

export interface ProviderReport {
  readonly period: string;
  readonly from: string;
  readonly to: string;
  readonly businesses: readonly {
    readonly taxCode: string;
    readonly name: string;
    readonly series: readonly SeriesUsage[];
  }[];
}

const DATE = /^\d{4}-\d{2}-\d{2}$/;

export function checkPeriod(period: Period): Result<Period> {
  if (!DATE.test(period.from) || !DATE.test(period.to) || period.from > period.to)
    return {
      ok: false,
      problems: [
        makeProblem(reportCodes, "REPORT_BAD_PERIOD", "/from", { value: `${period.from}..${period.to}` }),
      ],
    };
  return { ok: true, value: period };
}

/** `2026-H1` → 2026-01-01..2026-06-30. */
export function halfYear(text: string): Result<Period> {
  const m = /^(\d{4})-H([12])$/.exec(text);
  if (!m)
    return {
      ok: false,
      problems: [makeProblem(reportCodes, "REPORT_BAD_HALF_YEAR", "/period", { value: text })],
    };
  return {
    ok: true,
    value:
      m[2] === "1"
        ? { from: `${m[1]}-01-01`, to: `${m[1]}-06-30` }
        : { from: `${m[1]}-07-01`, to: `${m[1]}-12-31` },
  };
}

/** Adds a row's amounts to the running sums, per rate in first-seen order. */
export function addToSummary(sum: SalesSummary, invoice: Invoice): SalesSummary {
  const byRate = new Map(sum.byRate.map((r) => [r.vatRate, r]));
  for (const r of invoice.totals.byRate) {
    const prev = byRate.get(r.vatRate);
    byRate.set(r.vatRate, {
      vatRate: r.vatRate,
      amount: (prev?.amount ?? Dec.ZERO).add(r.amount),
      vatAmount: (prev?.vatAmount ?? Dec.ZERO).add(r.vatAmount ?? Dec.ZERO),
    });
  }
  return {
    count: sum.count + 1,
    byRate: [...byRate.values()],
    totalVat: sum.totalVat.add(invoice.totals.totalVat ?? Dec.ZERO),
    totalPayable: sum.totalPayable.add(invoice.totals.totalPayable ?? Dec.ZERO),
  };
}

export const EMPTY_SUMMARY: SalesSummary = {
  count: 0,
  byRate: [],
  totalVat: Dec.ZERO,
  totalPayable: Dec.ZERO,
};

interface InvoiceRow {
  id: string;
  state: string;
  template: string;
  series: string;
  number: string;
  xml: string;
}

export class SellerReports {
  readonly #db: Database;

  constructor(db: Database) {
    this.#db = db;
  }

  /**
   * The invoices of the sales list, in template, series and number order, read in pages so a long period
   * never sits in memory whole. Throws (a bug, not input) if a stored invoice cannot be read.
   */
  async *sales(taxCode: string, period: Period, pageSize = 500): AsyncIterable<SalesRow> {
    let after: [string, string, number] = ["", "", 0];
    for (;;) {
      const r = await sql<InvoiceRow>`
        select id, state, template, series, number::text as number, coalesce(coded_xml, signed_xml) as xml
        from seller.invoice
        where tax_code = ${taxCode} and issue_date between ${period.from} and ${period.to}
          and number is not null
          and (state in ('coded', 'delivered', 'adjusted')
               or (state = 'issued' and substr(series, 1, 1) = 'K'))
          and (template, series, number) > (${after[0]}, ${after[1]}, ${after[2]})
        order by template, series, number
        limit ${pageSize}`.execute(this.#db.kysely("seller"));
      for (const row of r.rows) {
        const read = readInvoice(row.xml);
        if (!read.invoice || read.problems.some((p) => p.severity === "error"))
          throw new Error(
            makeProblem(reportCodes, "REPORT_UNREADABLE_INVOICE", "/", {
              template: row.template,
              series: row.series,
              number: row.number,
            }).message,
          );
        yield { id: row.id, state: row.state, invoice: read.invoice };
      }
      if (r.rows.length < pageSize) return;
      const last = r.rows.at(-1)!;
      after = [last.template, last.series, Number(last.number)];
    }
  }

  /** Sums of the sales list. */
  async salesSummary(taxCode: string, period: Period): Promise<SalesSummary> {
    let sum = EMPTY_SUMMARY;
    for await (const row of this.sales(taxCode, period)) sum = addToSummary(sum, row.invoice);
    return sum;
  }

  /** Numbers used per template and series in the period (every issued number, whatever became of it). */
  async seriesUsage(taxCode: string, period: Period): Promise<SeriesUsage[]> {
    const r = await sql<{
      template: string;
      series: string;
      state: string;
      n: string;
      lo: string;
      hi: string;
    }>`
      select template, series, state, count(*)::text as n, min(number)::text as lo, max(number)::text as hi
      from seller.invoice
      where tax_code = ${taxCode} and number is not null and issue_date between ${period.from} and ${period.to}
      group by template, series, state
      order by template, series, state`.execute(this.#db.kysely("seller"));
    const out = new Map<
      string,
      {
        template: string;
        series: string;
        used: number;
        lo: number;
        hi: number;
        byState: Record<string, number>;
      }
    >();
    for (const row of r.rows) {
      const key = `${row.template}|${row.series}`;
      const u = out.get(key) ?? {
        template: row.template,
        series: row.series,
        used: 0,
        lo: Infinity,
        hi: 0,
        byState: {},
      };
      u.used += Number(row.n);
      u.lo = Math.min(u.lo, Number(row.lo));
      u.hi = Math.max(u.hi, Number(row.hi));
      u.byState[row.state] = Number(row.n);
      out.set(key, u);
    }
    return [...out.values()].map((u) => ({
      template: u.template,
      series: u.series,
      used: u.used,
      firstNumber: u.lo,
      lastNumber: u.hi,
      byState: u.byState,
    }));
  }

  /** The provider's report of a half-year (`2026-H1`): businesses served and their invoices used. */
  async providerReport(period: string): Promise<Result<ProviderReport>> {
    const half = halfYear(period);
    if (!half.ok) return half;
    const orgs = await sql<{ tax_code: string; name: string }>`
      select o.tax_code, o.name from seller.organisation o
      where exists (select 1 from seller.invoice i where i.tax_code = o.tax_code and i.number is not null
        and i.issue_date between ${half.value.from} and ${half.value.to})
      order by o.tax_code`.execute(this.#db.kysely("seller"));
    const businesses = [];
    for (const o of orgs.rows)
      businesses.push({
        taxCode: o.tax_code,
        name: o.name,
        series: await this.seriesUsage(o.tax_code, half.value),
      });
    return { ok: true, value: { period, ...half.value, businesses } };
  }
}
