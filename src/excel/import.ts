/**
 * Invoice import from the .xlsx template (`template.ts`): one sheet of invoices, one of lines, tied by the
 * caller's reference. Each invoice becomes a draft model with totals computed exactly from its lines, and is
 * checked by `validateInvoice(…, "draft")`; every problem names its cell ("Hóa đơn!D12") and model field
 * ("invoices[9].header.issueDate").
 *
 * Order: lines may come in any order and before or after their invoice's row; the invoice sheet is read
 * first (the ZIP is read by random access), then the lines sheet, grouped by reference.
 *
 * Memory bound: the sheet XML is streamed (one 64 KiB chunk at a time, `xlsx.ts`); what is kept is the
 * parsed rows themselves (one small header record per invoice, one `InvoiceLine` per line, about 1–2 KB
 * each), the shared-string table, and the results handed out. An invoice's models cannot be built before the
 * last line row is read (lines come in any order), so the bound is linear in rows: 100,000 lines (10,000
 * invoices) peak at about 210 MB resident, 110 MB of JS heap (`bench/excel.ts`; goal < 500 MB). Built
 * invoices are released as they are yielded by `importInvoices`; `importAll` keeps them all, by design.
 */
import type { Readable } from "node:stream";
import { Dec } from "../domain/decimal.ts";
import type {
  Buyer,
  Invoice,
  InvoiceHeader,
  InvoiceLine,
  InvoiceTotals,
  LineNature,
  Seller,
} from "../domain/invoice.ts";
import { discountFromRate, roundCurrency } from "../domain/money.ts";
import { makeProblem, type Problem } from "../domain/problem.ts";
import { validateInvoice } from "../domain/validate.ts";
import { compareVatRates, parseVatRate, rateFraction } from "../domain/vat.ts";
import { amountInWords } from "../domain/words.ts";
import {
  type CellValue,
  columnName,
  decodeDate,
  decodeDecimal,
  decodeText,
  parseXmlNumber,
} from "./cells.ts";
import { excelCodes } from "./codes.ts";
import {
  type ColumnDef,
  defaultInvoiceName,
  INVOICE_COLUMNS,
  INVOICE_SHEET,
  LINE_COLUMNS,
  LINE_SHEET,
} from "./template.ts";
import { type SheetRow, XlsxReader } from "./xlsx.ts";
import { ZipFormatError } from "./zip.ts";

/** A problem of an import: `path` is the cell ("Hóa đơn!D12"); `field` the model path, when there is one. */
export interface ImportProblem extends Problem {
  readonly cell: string;
  readonly field?: string;
}

export interface ImportProgress {
  readonly sheet: string;
  /** Data rows read so far on this sheet. */
  readonly rows: number;
  /** Compressed bytes of the sheet read so far, and in all. */
  readonly bytes: number;
  readonly totalBytes: number;
}

export interface ImportOptions {
  /** The seller (from the organisation; the workbook does not carry it). */
  readonly seller: Seller;
  /** Called as rows are read (after each chunk of the sheet) and at the end of each sheet. */
  readonly onProgress?: (p: ImportProgress) => void;
}

export interface ImportedInvoice {
  readonly ref: string;
  /** Row of the invoice on the invoice sheet. */
  readonly row: number;
  readonly invoice: Invoice;
  /** Warnings (severity "warning") of the validation; they do not stop the import. */
  readonly warnings: ImportProblem[];
}

export type ImportItem =
  | ({ readonly ok: true } & ImportedInvoice)
  | { readonly ok: false; readonly problems: ImportProblem[] };

export type ImportResult =
  | { readonly ok: true; readonly invoices: ImportedInvoice[] }
  | { readonly ok: false; readonly problems: ImportProblem[] };

interface InvoiceRow {
  readonly index: number;
  readonly row: number;
  readonly ref: string;
  readonly values: Map<string, unknown>;
  problems: ImportProblem[];
}

interface LineRow {
  readonly row: number;
  readonly line: InvoiceLine;
  readonly lineNoGiven: boolean;
}

const norm = (s: string) =>
  s
    .normalize("NFC")
    .toLowerCase()
    .replace(/\(\*\)/g, "")
    .replace(/\s+/g, " ")
    .trim();

function label(c: ColumnDef): string {
  return `${c.vi} (${c.en})`;
}

function problem(
  code: keyof typeof excelCodes & string,
  cell: string,
  params: Record<string, string>,
  field?: string,
): ImportProblem {
  return { ...makeProblem(excelCodes, code, cell, params), cell, ...(field ? { field } : {}) };
}

/** Finds columns by their header in row 1 (or 2): header text in either language. */
function mapColumns(
  sheet: string,
  cols: readonly ColumnDef[],
  first: SheetRow[],
): { byCol: Map<number, ColumnDef>; headerRows: number; problems: ImportProblem[] } {
  const known = new Map<string, ColumnDef>();
  for (const c of cols) {
    known.set(norm(c.vi), c);
    known.set(norm(c.en), c);
  }
  const byCol = new Map<number, ColumnDef>();
  let headerRows = 0;
  for (const r of first.filter((x) => x.row <= 2)) {
    let matched = false;
    for (const [i, cell] of r.cells) {
      const c = known.get(norm(decodeText(cell) ?? ""));
      if (!c) continue;
      matched = true;
      if (![...byCol.values()].includes(c)) byCol.set(i, c);
    }
    if (matched) headerRows = Math.max(headerRows, r.row);
  }
  const present = new Set(byCol.values());
  const problems = cols
    .filter((c) => c.required && !present.has(c))
    .map((c) => problem("EXCEL_COLUMN_MISSING", `${sheet}!1:1`, { sheet, column: label(c) }));
  return { byCol, headerRows, problems };
}

/** Rows of a sheet after its header rows, with the column map; the first rows are peeked for the headers. */
async function* sheetRows(
  reader: XlsxReader,
  sheet: string,
  cols: readonly ColumnDef[],
  onProgress: ImportOptions["onProgress"],
  fail: (p: ImportProblem[]) => void,
): AsyncGenerator<{ row: SheetRow; byCol: Map<number, ColumnDef> }> {
  let mapped: ReturnType<typeof mapColumns> | undefined;
  let pending: SheetRow[] = [];
  let count = 0;
  let last = { bytes: 0, totalBytes: 0 };
  const progress = (p: { bytes: number; totalBytes: number }) => {
    last = p;
  };
  for await (const batch of reader.rows(sheet, progress)) {
    if (!mapped) {
      pending.push(...batch);
      // The header rows are 1 and 2; decide once a later row (or the end) is seen.
      if (!pending.some((r) => r.row > 2)) continue;
      mapped = mapColumns(sheet, cols, pending);
      if (mapped.problems.length > 0) return fail(mapped.problems);
    }
    const rows = pending.length > 0 ? pending : batch;
    pending = [];
    for (const row of rows) {
      if (row.row <= mapped.headerRows) continue;
      count++;
      yield { row, byCol: mapped.byCol };
    }
    onProgress?.({ sheet, rows: count, ...last });
  }
  if (!mapped) {
    mapped = mapColumns(sheet, cols, pending);
    if (mapped.problems.length > 0) return fail(mapped.problems);
    for (const row of pending) {
      if (row.row <= mapped.headerRows) continue;
      count++;
      yield { row, byCol: mapped.byCol };
    }
  }
  onProgress?.({ sheet, rows: count, bytes: last.totalBytes, totalBytes: last.totalBytes });
}

/** The VAT rate a cell holds: text as written ("10%", "kct" → "KCT"), or a number Excel made of "10%". */
function decodeRate(cell: CellValue): string | undefined {
  if (cell.kind === "number") {
    const d = parseXmlNumber(cell.raw);
    if (!d) return cell.raw;
    const pct = d.mul(Dec.HUNDRED).normalize();
    const s = pct.toPlain();
    return ["0", "5", "8", "10"].includes(s) ? `${s}%` : `KHAC:${s}%`;
  }
  const t = decodeText(cell);
  if (t === undefined) return undefined;
  const up = t.toUpperCase().replace(/\s+/g, "");
  return /^\d+$/.test(up) ? `${up}%` : up;
}

/** Reads one data row into field values; problems for cells that do not decode. */
function readCells(
  sheet: string,
  row: SheetRow,
  byCol: Map<number, ColumnDef>,
  problems: ImportProblem[],
  fieldPrefix: string,
): Map<string, unknown> {
  const values = new Map<string, unknown>();
  for (const [i, c] of byCol) {
    const cell = row.cells.get(i);
    const addr = `${sheet}!${columnName(i)}${row.row}`;
    const field = c.field ? `${fieldPrefix}.${c.field}` : undefined;
    if (!cell || (cell.kind === "text" && cell.raw.trim() === "")) {
      if (c.required) problems.push(problem("EXCEL_REQUIRED", addr, { cell: addr, column: label(c) }, field));
      continue;
    }
    if (cell.kind === "error") {
      problems.push(problem("EXCEL_CELL_ERROR", addr, { cell: addr, value: cell.raw }, field));
      continue;
    }
    const shown = decodeText(cell) ?? "";
    const params = { cell: addr, column: label(c), value: shown };
    switch (c.kind) {
      case "text":
        values.set(c.key, shown);
        break;
      case "decimal": {
        const d = decodeDecimal(cell);
        if (d === undefined) problems.push(problem("EXCEL_BAD_NUMBER", addr, params, field));
        else values.set(c.key, d);
        break;
      }
      case "date": {
        const d = decodeDate(cell);
        if (d === undefined) problems.push(problem("EXCEL_BAD_DATE", addr, params, field));
        else values.set(c.key, d);
        break;
      }
      case "integer": {
        const d = decodeDecimal(cell);
        if (d === undefined || !d.isInteger() || d.cmp(Dec.ONE) < 0 || d.cmp(Dec.of(1_000_000n)) > 0) {
          problems.push(problem("EXCEL_BAD_INTEGER", addr, params, field));
        } else values.set(c.key, Number(d.toPlain()));
        break;
      }
      case "nature": {
        if (!/^[1-5]$/.test(shown)) problems.push(problem("EXCEL_BAD_NATURE", addr, params, field));
        else values.set(c.key, Number(shown) as LineNature);
        break;
      }
      case "rate": {
        const r = decodeRate(cell);
        if (r !== undefined) values.set(c.key, r);
        break;
      }
    }
  }
  return values;
}

/**
 * Totals from the lines, exact: goods (1) and special goods (5) add, trade discounts (3) subtract,
 * promotions (2) and notes (4) do not count; VAT per rate group rounded to the currency's minor units;
 * groups in hddt's rate order (`compareVatRates`).
 */
export function totalsFromLines(lines: readonly InvoiceLine[], currency: string): InvoiceTotals {
  const groups = new Map<string, Dec>();
  let plain = Dec.ZERO;
  for (const l of lines) {
    if (l.nature === 2 || l.nature === 4 || !l.amount) continue;
    const signed = l.nature === 3 ? l.amount.neg() : l.amount;
    if (l.vatRate === undefined) plain = plain.add(signed);
    else groups.set(l.vatRate, (groups.get(l.vatRate) ?? Dec.ZERO).add(signed));
  }
  const byRate = [...groups]
    .map(([vatRate, amount]) => {
      const rate = parseVatRate(vatRate);
      const fraction = rate ? rateFraction(rate) : undefined;
      const vatAmount = fraction === undefined ? Dec.ZERO : roundCurrency(amount.mul(fraction), currency);
      return { rate, row: { vatRate, amount, vatAmount } };
    })
    .sort((a, b) => (a.rate && b.rate ? compareVatRates(a.rate, b.rate) : a.rate ? -1 : b.rate ? 1 : 0))
    .map((g) => g.row);
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

function lineFrom(values: Map<string, unknown>, currency: string): InvoiceLine {
  const v = <T>(k: string) => values.get(k) as T | undefined;
  const line: Record<string, unknown> = { nature: v<LineNature>("nature") ?? 1 };
  for (const k of [
    "lineNo",
    "itemCode",
    "itemName",
    "unit",
    "quantity",
    "unitPrice",
    "discountRate",
    "discountAmount",
  ]) {
    if (values.has(k)) line[k] = values.get(k);
  }
  let amount = v<Dec>("amount");
  const q = v<Dec>("quantity");
  const p = v<Dec>("unitPrice");
  if (amount === undefined && q !== undefined && p !== undefined) {
    // Amount left blank: quantity × price − discount (given, or from the rate), rounded to the currency.
    const gross = q.mul(p);
    const rate = v<Dec>("discountRate");
    const discount = v<Dec>("discountAmount") ?? (rate ? discountFromRate(gross, rate) : undefined);
    amount = roundCurrency(discount ? gross.sub(discount) : gross, currency);
  }
  if (amount !== undefined) line.amount = amount;
  if (values.has("vatRate")) line.vatRate = values.get("vatRate");
  return line as unknown as InvoiceLine;
}

const HEADER_KEYS: Array<[string, keyof InvoiceHeader]> = [
  ["exchangeRate", "exchangeRate"],
  ["paymentMethod", "paymentMethod"],
];
const BUYER_KEYS: Array<[string, keyof Buyer]> = [
  ["buyerName", "name"],
  ["buyerTaxCode", "taxCode"],
  ["buyerAddress", "address"],
  ["buyerEmail", "email"],
  ["buyerContact", "contactName"],
  ["buyerPhone", "phone"],
  ["buyerCode", "customerCode"],
  ["buyerCitizenId", "citizenId"],
  ["buyerBankAccount", "bankAccount"],
  ["buyerBankName", "bankName"],
];

function invoiceFrom(h: InvoiceRow, lines: InvoiceLine[], seller: Seller): Invoice {
  const v = h.values;
  const template = (v.get("template") as string) ?? "";
  const currency = ((v.get("currency") as string | undefined) ?? "VND").toUpperCase();
  const header: Record<string, unknown> = {
    version: "2.1.0",
    name: (v.get("name") as string | undefined) ?? defaultInvoiceName(template),
    template,
    series: (v.get("series") as string) ?? "",
    issueDate: (v.get("issueDate") as string) ?? "",
    financialLeasing: false,
    currency,
  };
  for (const [k, f] of HEADER_KEYS) if (v.has(k)) header[f] = v.get(k);
  const buyer: Record<string, unknown> = {};
  for (const [k, f] of BUYER_KEYS) if (v.has(k)) buyer[f] = v.get(k);
  return {
    dataId: "DLHDon",
    header: header as unknown as InvoiceHeader,
    seller,
    buyer: buyer as Buyer,
    lines,
    totals: totalsFromLines(lines, currency),
    signatures: [],
  };
}

/**
 * The cell a validation path points at: a line's field on the lines sheet, a header or buyer field on the
 * invoice sheet; anything else (totals, seller) at the invoice's reference cell.
 */
function cellOf(
  path: string,
  inv: InvoiceRow,
  lineRows: readonly LineRow[],
  invCols: Map<string, number>,
  lineCols: Map<string, number>,
): string {
  const m = /^lines\[(\d+)\](?:\.(\w+))?/.exec(path);
  if (m) {
    const lr = lineRows[Number(m[1])];
    if (lr) {
      const field = m[2] === "vatAmount" ? "amount" : m[2];
      const col = (field === undefined ? undefined : lineCols.get(field)) ?? lineCols.get("ref") ?? 0;
      return `${LINE_SHEET}!${columnName(col)}${lr.row}`;
    }
  }
  const f = /^(header|buyer)\.(\w+)/.exec(path);
  const col = (f && invCols.get(`${f[1]}.${f[2]}`)) ?? invCols.get("ref") ?? 0;
  return `${INVOICE_SHEET}!${columnName(col)}${inv.row}`;
}

/**
 * Imports invoices, yielding for each invoice (in the invoice sheet's order) either its model or its
 * problems; file-level problems (not an .xlsx, missing sheet or column, lines of unknown references) come as
 * a failed item too. See `importAll` for all-or-nothing.
 */
export async function* importInvoices(
  input: string | Readable,
  options: ImportOptions,
): AsyncGenerator<ImportItem> {
  let reader: XlsxReader;
  try {
    reader = await XlsxReader.open(input);
  } catch (e) {
    const reason = e instanceof Error ? e.message : String(e);
    yield { ok: false, problems: [problem("EXCEL_NOT_XLSX", "", { reason })] };
    return;
  }
  try {
    const names = reader.sheetNames;
    const missing = [INVOICE_SHEET, LINE_SHEET].filter((s) => !names.includes(s));
    if (missing.length > 0) {
      yield {
        ok: false,
        problems: missing.map((sheet) => problem("EXCEL_SHEET_MISSING", `${sheet}!A1`, { sheet })),
      };
      return;
    }
    const fileProblems: ImportProblem[] = [];
    const fail = (p: ImportProblem[]) => fileProblems.push(...p);

    // 1. Invoice headers.
    const invoices = new Map<string, InvoiceRow>();
    const order: InvoiceRow[] = [];
    const invCols = new Map<string, number>();
    for await (const { row, byCol } of sheetRows(
      reader,
      INVOICE_SHEET,
      INVOICE_COLUMNS,
      options.onProgress,
      fail,
    )) {
      if (invCols.size === 0) for (const [i, c] of byCol) invCols.set(c.field ?? c.key, i);
      const problems: ImportProblem[] = [];
      const field = `invoices[${order.length}]`;
      const values = readCells(INVOICE_SHEET, row, byCol, problems, field);
      const ref = (values.get("ref") as string | undefined) ?? `#${row.row}`;
      const refCell = `${INVOICE_SHEET}!${columnName(invCols.get("ref") ?? 0)}${row.row}`;
      const first = invoices.get(ref);
      if (first) {
        fileProblems.push(
          problem("EXCEL_DUPLICATE_REF", refCell, { ref, cell: refCell, firstRow: String(first.row) }),
        );
        continue;
      }
      const h: InvoiceRow = { index: order.length, row: row.row, ref, values, problems };
      invoices.set(ref, h);
      order.push(h);
    }
    if (fileProblems.length > 0 && invCols.size === 0 && order.length === 0) {
      yield { ok: false, problems: fileProblems };
      return;
    }

    // 2. Lines, in any order, grouped by reference.
    const lines = new Map<string, LineRow[]>();
    const lineCols = new Map<string, number>();
    for await (const { row, byCol } of sheetRows(
      reader,
      LINE_SHEET,
      LINE_COLUMNS,
      options.onProgress,
      fail,
    )) {
      if (lineCols.size === 0) for (const [i, c] of byCol) lineCols.set(c.field ?? c.key, i);
      const refCol = lineCols.get("ref") ?? 0;
      const refCell = `${LINE_SHEET}!${columnName(refCol)}${row.row}`;
      const ref = decodeText(row.cells.get(refCol));
      const h = ref === undefined ? undefined : invoices.get(ref);
      if (!h) {
        if (ref === undefined) {
          const c = LINE_COLUMNS.find((x) => x.key === "ref")!;
          fileProblems.push(problem("EXCEL_REQUIRED", refCell, { cell: refCell, column: label(c) }));
        } else fileProblems.push(problem("EXCEL_UNKNOWN_REF", refCell, { ref, cell: refCell }));
        continue;
      }
      const list = lines.get(h.ref) ?? [];
      const values = readCells(
        LINE_SHEET,
        row,
        byCol,
        h.problems,
        `invoices[${h.index}].lines[${list.length}]`,
      );
      const currency = ((h.values.get("currency") as string | undefined) ?? "VND").toUpperCase();
      list.push({ row: row.row, line: lineFrom(values, currency), lineNoGiven: values.has("lineNo") });
      lines.set(h.ref, list);
    }
    if (fileProblems.length > 0) yield { ok: false, problems: fileProblems };

    // 3. One model per invoice, validated; problems mapped back to cells.
    for (const h of order) {
      const rows = (lines.get(h.ref) ?? []).sort(
        (a, b) =>
          (a.line.lineNo ?? Number.MAX_SAFE_INTEGER) - (b.line.lineNo ?? Number.MAX_SAFE_INTEGER) ||
          a.row - b.row,
      );
      lines.delete(h.ref);
      const refCell = `${INVOICE_SHEET}!${columnName(invCols.get("ref") ?? 0)}${h.row}`;
      if (rows.length === 0)
        h.problems.push(problem("EXCEL_INVOICE_WITHOUT_LINES", refCell, { ref: h.ref, cell: refCell }));
      const seen = new Set<number>();
      rows.forEach((r, i) => {
        const no = r.line.lineNo ?? i + 1;
        if (seen.has(no)) {
          const cell = `${LINE_SHEET}!${columnName(lineCols.get("lineNo") ?? 0)}${r.row}`;
          h.problems.push(problem("EXCEL_DUPLICATE_LINE_NO", cell, { ref: h.ref, lineNo: String(no), cell }));
        }
        seen.add(no);
        if (!r.lineNoGiven) (r.line as { lineNo?: number }).lineNo = no;
      });
      if (h.problems.length > 0) {
        yield { ok: false, problems: h.problems };
        continue;
      }
      const invoice = invoiceFrom(
        h,
        rows.map((r) => r.line),
        options.seller,
      );
      const found = validateInvoice(invoice, { stage: "draft" }).map((p): ImportProblem => {
        const cell = cellOf(p.path, h, rows, invCols, lineCols);
        return { ...p, path: cell, cell, field: `invoices[${h.index}].${p.path}` };
      });
      const errors = found.filter((p) => p.severity === "error");
      if (errors.length > 0) yield { ok: false, problems: found };
      else yield { ok: true, ref: h.ref, row: h.row, invoice, warnings: found };
    }
  } catch (e) {
    // A damaged archive shows only when its sheet is inflated: report it like an unreadable file.
    if (!(e instanceof ZipFormatError) && !/^Z_/.test(String((e as { code?: unknown }).code))) throw e;
    yield { ok: false, problems: [problem("EXCEL_NOT_XLSX", "", { reason: (e as Error).message })] };
  } finally {
    await reader.close();
  }
}

/**
 * All or nothing: every invoice, or every problem of the workbook (so the caller writes nothing of a
 * workbook that is partly wrong). Warnings stay with their invoices.
 */
export async function importAll(input: string | Readable, options: ImportOptions): Promise<ImportResult> {
  const invoices: ImportedInvoice[] = [];
  const problems: ImportProblem[] = [];
  for await (const item of importInvoices(input, options)) {
    if (item.ok) {
      const { ok: _ok, ...rest } = item;
      if (problems.length === 0) invoices.push(rest);
    } else {
      problems.push(...item.problems);
      invoices.length = 0;
    }
  }
  return problems.length > 0 ? { ok: false, problems } : { ok: true, invoices };
}
