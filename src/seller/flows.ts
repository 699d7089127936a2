/**
 * Pure rules of the seller's flows beside coded and no-code invoices (issue 6): cash-register invoices,
 * summary tables 01/TH-HĐĐT, stopped sellers' exception contracts, and the reading of the authority's
 * answers that concern them. The service (service.ts) does the I/O.
 *
 * Cash-register invoices (Decree 123 art. 11, Circular 78 art. 8, reference §4.2 and §8.5): the code
 * `M{template}-{YY}-{5 characters issued by the authority}-{11 digits}` is made by the seller when the
 * invoice is issued, so the invoice is in force at once (delivered like a no-code invoice); no seller
 * signature is needed. Its data go to the authority in message 206 "in the day": hddt queues one 206 per
 * invoice in the issuing transaction (the spec allows one or many invoices per 206; per invoice keeps each
 * 204 answer tied to one invoice and is never later than the day). When the organisation has a signing key
 * the 206 carries the taxpayer's message signature (TDiep/CKSNNT over DLieu), otherwise it goes unsigned.
 *
 * Summary tables (Decree 123 art. 22.3.a, reference §8.2): sellers of fuel, aviation transport, post and
 * telecom, banking, insurance, electricity, water, transport and the like may send the data of their
 * no-code invoices as a summary table instead of one 203 per invoice: monthly or quarterly with the VAT
 * return, fuel retailers daily. The organisation says so in its profile (`summarySector`); its no-code
 * invoices then wait (`data_state` pending_summary) for the table of their period.
 *
 * Stopped sellers (Decree 123 art. 16.3): a seller whose use of e-invoices is stopped cannot issue, except
 * invoices for contracts signed before the stop that the authority allowed. The invoice names its contract
 * in the header's TTKhac as `SoHopDong` (CONTRACT_FIELD).
 */
import { addDays, daysInMonth, isDate } from "../domain/dates.ts";
import { Dec } from "../domain/decimal.ts";
import type { Invoice } from "../domain/invoice.ts";
import type { Problem } from "../domain/problem.ts";
import type { GoodsKind, PeriodKind, SummaryTableRow } from "../format/forms/summary-table.ts";
import { sellerProblem } from "./codes.ts";
import type { InvoiceInput } from "./model.ts";

/** The TTKhac field of the invoice header that names the contract (số hợp đồng). */
export const CONTRACT_FIELD = "SoHopDong";

/** The contract an invoice input names in its header's TTKhac, if any. */
export function contractOf(input: InvoiceInput): string | undefined {
  const extra = input.header.extra;
  if (!Array.isArray(extra)) return undefined;
  for (const e of extra as unknown[]) {
    if (e === null || typeof e !== "object") continue;
    const f = e as Record<string, unknown>;
    if (f.name === CONTRACT_FIELD && typeof f.value === "string" && f.value.trim() !== "")
      return f.value.trim();
  }
  return undefined;
}

/** Sectors allowed to send summary tables, and the LHHoa each writes (1 fuel, 2 aviation, 9 other). */
export const SUMMARY_SECTORS = [
  "fuel",
  "aviation",
  "post",
  "telecom",
  "banking",
  "insurance",
  "electricity",
  "water",
  "transport",
] as const;
export type SummarySector = (typeof SUMMARY_SECTORS)[number];

export function goodsKindOf(sector: SummarySector): GoodsKind {
  return sector === "fuel" ? 1 : sector === "aviation" ? 2 : 9;
}

export interface SummaryPeriod {
  readonly kind: PeriodKind;
  /** KDLieu as written: MM/YYYY (month; a quarter by its first month) or DD/MM/YYYY (day). */
  readonly text: string;
  /** The dates it covers, inclusive. */
  readonly from: string;
  readonly to: string;
}

/**
 * A period given as `2026-11` (month, T), `2026-Q4` (quarter, Q) or `2026-12-03` (day, N). Fuel retailers
 * send daily tables; the others monthly or quarterly (with their VAT return).
 */
export function summaryPeriod(period: string, sector: SummarySector): SummaryPeriod | Problem {
  const bad = (reason: string) => sellerProblem("SELLER_SUMMARY_PERIOD", "period", { period, reason });
  let p: SummaryPeriod | undefined;
  let m = /^(\d{4})-(\d{2})$/.exec(period);
  if (m) {
    const [y, mo] = [Number(m[1]), Number(m[2])];
    if (mo >= 1 && mo <= 12)
      p = {
        kind: "T",
        text: `${m[2]}/${m[1]}`,
        from: `${m[1]}-${m[2]}-01`,
        to: `${m[1]}-${m[2]}-${String(daysInMonth(y, mo)).padStart(2, "0")}`,
      };
  }
  m = /^(\d{4})-Q([1-4])$/.exec(period);
  if (m) {
    const q = Number(m[2]);
    const first = String(q * 3 - 2).padStart(2, "0");
    const last = q * 3;
    p = {
      kind: "Q",
      text: `${first}/${m[1]}`,
      from: `${m[1]}-${first}-01`,
      to: `${m[1]}-${String(last).padStart(2, "0")}-${daysInMonth(Number(m[1]), last)}`,
    };
  }
  if (isDate(period)) {
    const [y, mo, d] = period.split("-");
    p = { kind: "N", text: `${d}/${mo}/${y}`, from: period, to: period };
  }
  if (!p) return bad("YYYY-MM, YYYY-Qn or YYYY-MM-DD");
  if (sector === "fuel" && p.kind !== "N") return bad("fuel retailers send a table per day (YYYY-MM-DD)");
  if (sector !== "fuel" && p.kind === "N") return bad("monthly (YYYY-MM) or quarterly (YYYY-Qn)");
  return p;
}

/** The period is over (its last day is before today): a table is sent for a finished period only. */
export function periodOver(p: SummaryPeriod, today: string): boolean {
  return addDays(p.to, 1) <= today;
}

/**
 * The rows of a summary table for issued no-code invoices: one row per invoice and VAT rate (TTCThue and
 * TgTThue of that rate), the invoice's total payable on its first row only, so that the rows add up to the
 * invoices exactly. Fuel tables name the goods (the first line's item and unit, the quantity summed over
 * the lines of that rate).
 */
export function summaryRows(invoices: readonly Invoice[], goodsKind: GoodsKind): SummaryTableRow[] {
  const rows: SummaryTableRow[] = [];
  for (const inv of invoices) {
    const groups = inv.totals.byRate.length > 0 ? inv.totals.byRate : [];
    groups.forEach((g, i) => {
      const lines = inv.lines.filter((l) => l.vatRate === g.vatRate);
      const first = lines[0];
      const quantity = lines.reduce<Dec | undefined>(
        (sum, l) => (l.quantity === undefined ? sum : (sum ?? Dec.from(0)).add(l.quantity)),
        undefined,
      );
      rows.push({
        index: rows.length + 1,
        template: inv.header.template,
        series: inv.header.series,
        ...(inv.header.number !== undefined ? { number: inv.header.number } : {}),
        issueDate: inv.header.issueDate,
        ...(inv.buyer.name !== undefined ? { buyerName: inv.buyer.name } : {}),
        ...(inv.buyer.taxCode !== undefined ? { buyerTaxCode: inv.buyer.taxCode } : {}),
        ...(goodsKind === 1 && first
          ? {
              ...(first.itemCode !== undefined ? { itemCode: first.itemCode } : {}),
              ...(first.itemName !== undefined ? { itemName: first.itemName } : {}),
              ...(first.unit !== undefined ? { unit: first.unit } : {}),
              ...(quantity !== undefined ? { quantity } : {}),
            }
          : {}),
        amountBeforeVat: g.amount,
        vatRate: g.vatRate,
        vatAmount: g.vatAmount ?? Dec.from(0),
        totalPayable: i === 0 ? inv.totals.totalPayable : Dec.from(0),
        status: 0,
      });
    });
  }
  return rows;
}

/** LTBao of a 204 (01/TB-KTDL): 2 means the data are valid. */
export function checkNoticeType(payload: string): number | undefined {
  const m = /<LTBao>(\d)<\/LTBao>/.exec(payload);
  return m ? Number(m[1]) : undefined;
}

/** KQKTra of a 205 (01-1/QTr-HĐĐT) and its reasons: NDung, with HDXLy (what to do) as the code. */
export function perOccurrenceResult(payload: string): {
  valid: boolean;
  reasons: { code: string; description: string }[];
} {
  const valid = /<KQKTra>1<\/KQKTra>/.test(payload);
  const reasons = [...payload.matchAll(/<LDo>([\s\S]*?)<\/LDo>/g)].map((m) => ({
    code: /<HDXLy>([^<]*)<\/HDXLy>/.exec(m[1]!)?.[1] ?? "",
    description: /<NDung>([^<]*)<\/NDung>/.exec(m[1]!)?.[1] ?? "",
  }));
  return { valid, reasons };
}
