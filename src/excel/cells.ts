/**
 * Cell values of SpreadsheetML and how hddt turns them into exact numbers and dates.
 *
 * Money is exact both ways, without a JS number ever standing in for an amount:
 * - Reading: a text cell is parsed as decimal text (`Dec.tryParse`); a numeric cell is parsed from the
 *   string in its XML `<v>` element (e.g. "0.30000000000000004", "1.2345E+20"), digit by digit. Excel
 *   keeps numbers as binary doubles and shows at most 15 significant digits, and a `<v>` string may carry
 *   the double's 17-digit noise; such a value is rounded (half-up) to 15 significant digits, which gives
 *   back exactly the number the user typed or saw (any decimal of ≤ 15 significant digits survives a double).
 * - Writing: a value of ≤ 15 significant digits is a numeric cell whose `<v>` is its plain decimal text;
 *   a longer one (e.g. a 21-digit amount) is written as a text cell, since Excel would round it.
 */
import { Dec } from "../domain/decimal.ts";

/** One cell as read: the XML value string, never converted through a JS number. */
export type CellValue =
  | { readonly kind: "number"; readonly raw: string }
  | { readonly kind: "text"; readonly raw: string }
  | { readonly kind: "bool"; readonly raw: string }
  | { readonly kind: "error"; readonly raw: string };

/** Excel's precision: significant decimal digits of a double it displays and keeps. */
export const EXCEL_DIGITS = 15;

const NUMBER_RE = /^([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/;

/** The exact value of a numeric XML string (no rounding); undefined if it is not one. */
export function parseXmlNumber(raw: string): Dec | undefined {
  const m = NUMBER_RE.exec(raw.trim());
  if (!m || (m[2] === "" && (m[3] ?? "") === "")) return undefined;
  const frac = m[3] ?? "";
  let units = BigInt(`${m[2] || "0"}${frac}`);
  if (m[1] === "-") units = -units;
  let scale = frac.length - Number(m[4] ?? "0");
  if (Math.abs(scale) > 400) return undefined;
  if (scale < 0) {
    units *= 10n ** BigInt(-scale);
    scale = 0;
  }
  return Dec.of(units, scale).normalize();
}

function digitCount(n: bigint): number {
  return (n < 0n ? -n : n).toString().length;
}

/** Significant digits of a value (trailing zeros of the integer part count; a conservative measure). */
export function significantDigits(d: Dec): number {
  const n = d.normalize();
  return n.units === 0n ? 1 : digitCount(n.units);
}

/** Rounds half-up (away from zero) to `digits` significant digits. */
export function roundSignificant(d: Dec, digits: number): Dec {
  const n = d.normalize();
  const extra = digitCount(n.units) - digits;
  if (extra <= 0 || n.units === 0n) return n;
  const p = 10n ** BigInt(extra);
  const neg = n.units < 0n;
  const abs = neg ? -n.units : n.units;
  let q = abs / p;
  if ((abs % p) * 2n >= p) q += 1n;
  return Dec.of((neg ? -q : q) * p, n.scale).normalize();
}

/** Text as typed in a cell: spaces (also no-break) around and inside digit groups are allowed. */
const TEXT_SPACES = /[\s\u00a0]/g;

/** A cell's exact decimal value, or undefined when it holds no number (see the module header). */
export function decodeDecimal(cell: CellValue): Dec | undefined {
  if (cell.kind === "number") {
    const d = parseXmlNumber(cell.raw);
    return d === undefined ? undefined : roundSignificant(d, EXCEL_DIGITS);
  }
  if (cell.kind === "text") {
    const d = Dec.tryParse(cell.raw.replace(TEXT_SPACES, ""));
    return d?.normalize();
  }
  return undefined;
}

/** How a decimal is written: a numeric cell when Excel can hold it exactly, otherwise text. */
export function encodeDecimal(d: Dec): CellValue {
  const n = d.normalize();
  return significantDigits(n) <= EXCEL_DIGITS
    ? { kind: "number", raw: n.toPlain() }
    : { kind: "text", raw: n.toPlain() };
}

/** Days from Excel's epoch (1899-12-30, which absorbs its 1900 leap-year bug for dates after 1900-02-28). */
const EPOCH = Date.UTC(1899, 11, 30);
const DAY = 86_400_000;

/** The date serial of "YYYY-MM-DD". */
export function dateToSerial(date: string): number {
  const [y, m, d] = date.split("-").map(Number) as [number, number, number];
  return Math.round((Date.UTC(y, m - 1, d) - EPOCH) / DAY);
}

export function serialToDate(serial: number): string {
  return new Date(EPOCH + Math.floor(serial) * DAY).toISOString().slice(0, 10);
}

const ISO_RE = /^(\d{4})-(\d{1,2})-(\d{1,2})(?:[T ].*)?$/;
const VN_RE = /^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})$/;

function ymd(y: string, m: string, d: string): string | undefined {
  const iso = `${y}-${m.padStart(2, "0")}-${d.padStart(2, "0")}`;
  const t = Date.parse(`${iso}T00:00:00Z`);
  return Number.isNaN(t) || new Date(t).toISOString().slice(0, 10) !== iso ? undefined : iso;
}

/**
 * A date cell as "YYYY-MM-DD": a date serial (a cell Excel formats as a date), or text written
 * "2025-07-15" or the Vietnamese way "15/07/2025" (day first). Undefined when it is none of these.
 */
export function decodeDate(cell: CellValue): string | undefined {
  if (cell.kind === "number") {
    const n = Number(cell.raw);
    return Number.isFinite(n) && n >= 61 && n < 2_958_466 ? serialToDate(n) : undefined;
  }
  if (cell.kind !== "text") return undefined;
  const s = cell.raw.trim();
  const iso = ISO_RE.exec(s);
  if (iso) return ymd(iso[1]!, iso[2]!, iso[3]!);
  const vn = VN_RE.exec(s);
  if (vn) return ymd(vn[3]!, vn[2]!, vn[1]!);
  return undefined;
}

/** Text of any cell as the user sees it (numbers in plain decimal), trimmed; undefined when empty. */
export function decodeText(cell: CellValue | undefined): string | undefined {
  if (!cell) return undefined;
  let s: string;
  if (cell.kind === "number")
    s = parseXmlNumber(cell.raw)
      ? roundSignificant(parseXmlNumber(cell.raw)!, EXCEL_DIGITS).toPlain()
      : cell.raw;
  else if (cell.kind === "bool") s = cell.raw === "1" ? "TRUE" : "FALSE";
  else s = cell.raw;
  s = s.trim().normalize("NFC");
  return s === "" ? undefined : s;
}

/** Column letters of a 0-based index: 0 → A, 26 → AA. */
export function columnName(index: number): string {
  let s = "";
  let n = index + 1;
  while (n > 0) {
    const r = (n - 1) % 26;
    s = String.fromCharCode(65 + r) + s;
    n = Math.floor((n - 1) / 26);
  }
  return s;
}

/** 0-based column index of a cell reference ("AB12" → 27); -1 when it has no letters. */
export function columnIndex(ref: string): number {
  let n = 0;
  let i = 0;
  for (; i < ref.length; i++) {
    const c = ref.charCodeAt(i);
    if (c < 65 || c > 90) break;
    n = n * 26 + (c - 64);
  }
  return i === 0 ? -1 : n - 1;
}

const XML_ESCAPES: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" };
/** Characters XML 1.0 cannot hold at all; dropped from written text. */
const XML_INVALID = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/g;

export function escapeXml(s: string): string {
  return s.replace(XML_INVALID, "").replace(/[&<>"]/g, (c) => XML_ESCAPES[c]!);
}

const ENTITY_RE = /&(#x[0-9a-fA-F]+|#\d+|amp|lt|gt|quot|apos);/g;
const NAMED: Record<string, string> = { amp: "&", lt: "<", gt: ">", quot: '"', apos: "'" };

export function unescapeXml(s: string): string {
  if (!s.includes("&")) return s;
  return s.replace(ENTITY_RE, (_all, e: string) => {
    if (e[0] !== "#") return NAMED[e]!;
    const code = e[1] === "x" ? Number.parseInt(e.slice(2), 16) : Number.parseInt(e.slice(1), 10);
    return String.fromCodePoint(code);
  });
}
