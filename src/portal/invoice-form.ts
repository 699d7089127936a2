/**
 * The invoice form: reading its fields into the seller's invoice input, and the live totals the form's
 * script asks for while people type. Numbers are read as the page's language writes them ("1.250.000,5"
 * in Vietnamese, "1,250,000.5" in English; plain "1250000.5" in both) into exact `Dec`s, never floats.
 */
import { Dec } from "../domain/decimal.ts";
import type { InvoiceLine } from "../domain/invoice.ts";
import { roundCurrency } from "../domain/money.ts";
import { formatNumber, parseFormattedNumber } from "../domain/numfmt.ts";
import type { Problem } from "../domain/problem.ts";
import { amountInWords } from "../domain/words.ts";
import { computeTotals, type InvoiceInput } from "../seller/model.ts";
import { portalProblem } from "./codes.ts";
import type { Lang } from "./i18n.ts";
import type { Form } from "./kit.ts";

export const LINE_FIELDS = ["itemName", "unit", "quantity", "unitPrice", "vatRate"] as const;
export const VAT_RATES = ["10%", "8%", "5%", "0%", "KCT", "KKKNT"] as const;
/** Largest number of lines the form reads. */
export const MAX_FORM_LINES = 500;

/** A number typed in `lang`'s style, or plain. */
export function parseNumber(text: string, lang: Lang): Dec | undefined {
  const s = text.trim().replace(/\s/g, "");
  if (s === "") return undefined;
  return parseFormattedNumber(s, lang) ?? Dec.tryParse(s);
}

export function formatAmount(d: Dec, lang: Lang): string {
  return formatNumber(d, { style: lang });
}

/** An amount from the seller's JSON (a plain decimal string) shown in `lang`'s style. */
export function showAmount(text: string | null | undefined, lang: Lang): string {
  if (text === null || text === undefined || text === "") return "";
  const d = Dec.tryParse(text);
  return d ? formatAmount(d, lang) : text;
}

export interface FormLine {
  readonly row: number;
  readonly values: Record<(typeof LINE_FIELDS)[number], string>;
}

/** The rows of the form that hold anything, in order (their `row` is the form's index). */
export function formLines(form: Form): FormLine[] {
  const rows = new Set<number>();
  for (const name of Object.keys(form)) {
    const m = /^lines\[(\d{1,4})\]\./.exec(name);
    if (m) rows.add(Number(m[1]));
  }
  const out: FormLine[] = [];
  for (const row of [...rows].sort((a, b) => a - b).slice(0, MAX_FORM_LINES)) {
    const values = Object.fromEntries(
      LINE_FIELDS.map((f) => [f, (form[`lines[${row}].${f}`] ?? "").trim()]),
    ) as FormLine["values"];
    const filled = values.itemName !== "" || values.quantity !== "" || values.unitPrice !== "";
    if (filled) out.push({ row, values });
  }
  return out;
}

export interface ParsedInvoiceForm {
  readonly input: InvoiceInput;
  /** Problems of the form itself (numbers, missing lines), by form field name. */
  readonly problems: Problem[];
  /** Index in `input.lines` → row of the form. */
  readonly rows: readonly number[];
}

/** Reads the invoice form into the seller's input (amounts as plain decimal strings). */
export function parseInvoiceForm(form: Form, lang: Lang): ParsedInvoiceForm {
  const problems: Problem[] = [];
  const [template = "", series = ""] = (form.symbol ?? "").split("|");
  const lines = formLines(form);
  if (lines.length === 0) problems.push(portalProblem("PORTAL_NO_LINES", "lines[0].itemName"));
  const outLines = lines.map((l) => {
    const line: Record<string, unknown> = { itemName: l.values.itemName };
    if (l.values.unit !== "") line.unit = l.values.unit;
    for (const f of ["quantity", "unitPrice"] as const) {
      if (l.values[f] === "") continue;
      const d = parseNumber(l.values[f], lang);
      if (!d)
        problems.push(portalProblem("PORTAL_BAD_NUMBER", `lines[${l.row}].${f}`, { value: l.values[f] }));
      else line[f] = d.toPlain();
    }
    if (l.values.vatRate !== "") line.vatRate = l.values.vatRate;
    return line;
  });
  const buyer: Record<string, string> = {};
  for (const f of ["name", "taxCode", "address", "email", "contactName"] as const) {
    const v = (form[`buyer.${f}`] ?? "").trim();
    if (v !== "") buyer[f] = v;
  }
  const header: InvoiceInput["header"] = {
    template,
    series,
    ...(form["header.issueDate"] ? { issueDate: form["header.issueDate"].trim() } : {}),
    ...(form["header.paymentMethod"]?.trim() ? { paymentMethod: form["header.paymentMethod"].trim() } : {}),
  };
  return { input: { header, buyer, lines: outLines }, problems, rows: lines.map((l) => l.row) };
}

/** Problems of the service on the model's paths, moved to the form's field names (`lines[i]` → its row). */
export function toFormPaths(problems: readonly Problem[], rows: readonly number[]): Problem[] {
  return problems.map((p) => {
    let path = p.path.replace(/^lines\[(\d+)\]/, (all, i: string) => {
      const row = rows[Number(i)];
      return row === undefined ? all : `lines[${row}]`;
    });
    if (path === "header.series" || path === "header.template") path = "symbol";
    return path === p.path ? p : { ...p, path };
  });
}

export interface TotalsRequest {
  readonly currency?: string;
  readonly lines: ReadonlyArray<{ quantity?: string; unitPrice?: string; vatRate?: string }>;
}

export interface TotalsAnswer {
  readonly lines: ReadonlyArray<{ amount: string }>;
  readonly byRate: ReadonlyArray<{ vatRate: string; amount: string; vatAmount: string }>;
  readonly totalBeforeVat: string;
  readonly totalVat: string;
  readonly totalPayable: string;
  readonly words: string;
  readonly problems: ReadonlyArray<{ path: string; code: string; message: string }>;
}

/** Live totals of the form's lines: per rate, VAT rounded per group, total payable and its words. */
export function liveTotals(request: TotalsRequest, lang: Lang): TotalsAnswer {
  const currency = /^[A-Z]{3}$/.test(request.currency ?? "") ? request.currency! : "VND";
  const problems: TotalsAnswer["problems"][number][] = [];
  const lines: InvoiceLine[] = [];
  const shown: { amount: string }[] = [];
  request.lines.slice(0, MAX_FORM_LINES).forEach((l, i) => {
    const q = parseNumber(String(l.quantity ?? ""), lang);
    const p = parseNumber(String(l.unitPrice ?? ""), lang);
    for (const [f, v, d] of [
      ["quantity", l.quantity, q],
      ["unitPrice", l.unitPrice, p],
    ] as const) {
      if (String(v ?? "").trim() !== "" && !d) {
        const pr = portalProblem("PORTAL_BAD_NUMBER", `lines[${i}].${f}`, { value: String(v) });
        problems.push({ path: pr.path, code: pr.code, message: lang === "vi" ? pr.messageVi : pr.message });
      }
    }
    const amount = q && p ? roundCurrency(q.mul(p), currency) : undefined;
    shown.push({ amount: amount ? formatAmount(amount, lang) : "" });
    if (!amount) return;
    const rate = typeof l.vatRate === "string" && l.vatRate !== "" ? l.vatRate : undefined;
    lines.push({ nature: 1, itemName: "", amount, ...(rate ? { vatRate: rate } : {}) } as InvoiceLine);
  });
  const t = computeTotals(lines, currency);
  const payable = t.totalPayable ?? Dec.ZERO;
  return {
    lines: shown,
    byRate: t.byRate.map((r) => ({
      vatRate: r.vatRate,
      amount: formatAmount(r.amount, lang),
      vatAmount: formatAmount(r.vatAmount ?? Dec.ZERO, lang),
    })),
    totalBeforeVat: formatAmount(t.totalBeforeVat ?? Dec.ZERO, lang),
    totalVat: formatAmount(t.totalVat ?? Dec.ZERO, lang),
    totalPayable: formatAmount(payable, lang),
    words: amountInWords(payable, { currency }),
    problems,
  };
}
