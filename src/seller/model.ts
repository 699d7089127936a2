/**
 * Invoices as the seller's API takes them: the domain model (`src/domain/invoice.ts`) in JSON, amounts as
 * decimal strings ("125000.5", never floats), without the seller (taken from the organisation), without
 * the number (taken at issue) and, when `totals` is left out, with the totals computed from the lines
 * (per-rate groups, VAT rounded per group to the currency's minor units, total payable and its words).
 */
import { Dec } from "../domain/decimal.ts";
import type { Invoice, InvoiceLine, InvoiceTotals, Seller } from "../domain/invoice.ts";
import { roundCurrency } from "../domain/money.ts";
import { fail, ok, type Problem, type Result } from "../domain/problem.ts";
import { parseVatRate, rateFraction } from "../domain/vat.ts";
import { amountInWords } from "../domain/words.ts";
import { sellerProblem } from "./codes.ts";

/** Fields of the model that hold a `Dec`; in JSON they are decimal strings. */
const DECIMAL_KEYS = new Set([
  "exchangeRate",
  "quantity",
  "unitPrice",
  "discountRate",
  "discountAmount",
  "amount",
  "vatAmount",
  "totalBeforeVat",
  "totalVat",
  "nonTaxableDeductions",
  "tradeDiscount",
  "otherDeductions",
  "totalPayable",
]);

/** The JSON body of an invoice (what `createDraft` stores and gives back). */
export interface InvoiceInput {
  readonly header: Record<string, unknown> & { template: string; series: string; issueDate?: string };
  readonly buyer?: Record<string, unknown>;
  readonly lines: ReadonlyArray<Record<string, unknown>>;
  readonly totals?: Record<string, unknown>;
  readonly sellerExtra?: Record<string, unknown>;
  readonly [key: string]: unknown;
}

/** JSON → model values of any part (lines, changes): decimal strings of the amount fields become `Dec`. */
export function reviveAmounts<T>(value: unknown, path = ""): Result<T> {
  const problems: Problem[] = [];
  const out = revive(value, "", path, problems) as T;
  return problems.length > 0 ? fail(problems) : ok(out);
}

/** The JSON input of a model made elsewhere (a correction's draft): amounts as strings, no seller, no number. */
export function inputOf(inv: Invoice): InvoiceInput {
  const { number: _n, ...header } = inv.header;
  return JSON.parse(
    JSON.stringify({ header, buyer: inv.buyer, lines: inv.lines, totals: inv.totals }),
  ) as InvoiceInput;
}

/** JSON → model values: decimal strings of the known amount fields become `Dec`; problems for bad ones. */
function revive(value: unknown, key: string, path: string, problems: Problem[]): unknown {
  if (Array.isArray(value)) return value.map((v, i) => revive(v, key, `${path}[${i}]`, problems));
  if (value !== null && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      if (v === undefined || v === null) continue;
      out[k] = revive(v, k, path === "" ? k : `${path}.${k}`, problems);
    }
    return out;
  }
  if (DECIMAL_KEYS.has(key) && (typeof value === "string" || typeof value === "number")) {
    const d = Dec.tryParse(String(value));
    if (!d) problems.push(sellerProblem("SELLER_BAD_AMOUNT", path, { value: String(value) }));
    return d ?? Dec.ZERO;
  }
  return value;
}

/** Totals from the lines: goods (1) and special goods (5) add, trade discounts (3) subtract. */
export function computeTotals(lines: readonly InvoiceLine[], currency: string): InvoiceTotals {
  const groups = new Map<string, Dec>();
  let plain = Dec.ZERO;
  for (const l of lines) {
    if (l.nature === 2 || l.nature === 4 || !l.amount) continue;
    const signed = l.nature === 3 ? l.amount.neg() : l.amount;
    if (l.vatRate === undefined) {
      plain = plain.add(signed);
      continue;
    }
    groups.set(l.vatRate, (groups.get(l.vatRate) ?? Dec.ZERO).add(signed));
  }
  const byRate = [...groups].map(([vatRate, amount]) => {
    const rate = parseVatRate(vatRate);
    const fraction = rate ? rateFraction(rate) : undefined;
    const vatAmount = fraction === undefined ? Dec.ZERO : roundCurrency(amount.mul(fraction), currency);
    return { vatRate, amount, vatAmount };
  });
  const totalBeforeVat = Dec.sum(byRate.map((r) => r.amount)).add(plain);
  const totalVat = Dec.sum(byRate.map((r) => r.vatAmount));
  const totalPayable = totalBeforeVat.add(totalVat);
  return {
    byRate,
    totalBeforeVat,
    totalVat,
    fees: [],
    totalPayable,
    totalPayableInWords: amountInWords(totalPayable, { currency }),
  };
}

/**
 * Lines as given, with what may be left out filled in: nature 1 (goods), the line number, and the amount
 * (quantity × unit price − discount, rounded as the currency is) when quantity and price are there.
 */
export function completeLines(lines: readonly InvoiceLine[], currency: string): InvoiceLine[] {
  return lines.map((l, i) => ({
    ...l,
    nature: l.nature ?? 1,
    lineNo: l.lineNo ?? i + 1,
    ...(l.amount === undefined && l.quantity !== undefined && l.unitPrice !== undefined
      ? {
          amount: roundCurrency(
            l.discountAmount === undefined
              ? l.quantity.mul(l.unitPrice)
              : l.quantity.mul(l.unitPrice).sub(l.discountAmount),
            currency,
          ),
        }
      : {}),
  })) as InvoiceLine[];
}

/** The model of an invoice from its JSON input and the seller; `number` absent until issued. */
export function toInvoice(
  input: InvoiceInput,
  seller: Seller,
  options: { number?: string; issueDate: string },
): Result<Invoice> {
  const problems: Problem[] = [];
  const revived = revive(input, "", "", problems) as Record<string, unknown>;
  if (problems.length > 0) return fail(problems);
  const header = (revived.header ?? {}) as Record<string, unknown>;
  const currency = typeof header.currency === "string" ? header.currency : "VND";
  const lines = completeLines((revived.lines ?? []) as InvoiceLine[], currency);
  const totals = revived.totals
    ? ({ byRate: [], fees: [], ...(revived.totals as object) } as unknown as InvoiceTotals)
    : computeTotals(lines, currency);
  const inv: Invoice = {
    dataId: "DLHDon",
    header: {
      version: "2.1.0",
      name: "Hóa đơn giá trị gia tăng",
      currency,
      ...(currency === "VND" ? { exchangeRate: Dec.ONE } : {}),
      financialLeasing: false,
      ...header,
      template: String(header.template),
      series: String(header.series),
      issueDate: options.issueDate,
      ...(options.number !== undefined ? { number: options.number } : {}),
    } as Invoice["header"],
    seller: { ...seller, ...((revived.sellerExtra as object | undefined) ?? {}) },
    buyer: (revived.buyer ?? {}) as Invoice["buyer"],
    lines,
    totals,
    signatures: [],
  };
  for (const k of ["contentExtra", "dataExtra", "qrCode"] as const) {
    if (revived[k] !== undefined) (inv as unknown as Record<string, unknown>)[k] = revived[k];
  }
  return ok(inv);
}

/** Stable JSON text (keys sorted) for comparing request bodies under one idempotency key. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (value !== null && typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(",")}}`;
  }
  return JSON.stringify(value);
}
