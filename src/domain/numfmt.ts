/**
 * Numbers as people read them on an invoice: the Vietnamese way, "1.234.567,89" (dot between thousands,
 * comma before decimals), or the alternative an invoice may declare, "1,234,567.89". The XML itself always
 * uses the plain form ("1234567.89", `Dec.toPlain`); this module is for rendering and for reading input
 * that people typed.
 */
import { Dec } from "./decimal.ts";

export type NumberStyle = "vi" | "en";

export interface FormatOptions {
  style: NumberStyle;
  /** At most this many decimals, rounding half-up beyond it. Default: all the value has. */
  decimals?: number;
  /** At least this many decimals, padding with zeros ("1,50" with 2). Default 0. */
  minDecimals?: number;
}

interface Separators {
  readonly group: string;
  readonly point: string;
  /** Accepts "[sign]digits[point digits]" with the integer grouped by threes or not grouped at all. */
  readonly pattern: RegExp;
}

const VI: Separators = { group: ".", point: ",", pattern: /^([+-]?)(\d{1,3}(?:\.\d{3})+|\d+)(?:,(\d+))?$/ };
const EN: Separators = { group: ",", point: ".", pattern: /^([+-]?)(\d{1,3}(?:,\d{3})+|\d+)(?:\.(\d+))?$/ };

function separatorsOf(style: NumberStyle): Separators {
  return style === "vi" ? VI : EN;
}

function checkDecimals(n: number | undefined, name: string): void {
  if (n !== undefined && (!Number.isInteger(n) || n < 0)) throw new RangeError(`bad ${name} ${n}`);
}

/**
 * `formatNumber(Dec.parse("-1234567.891"), { style: "vi", decimals: 2 })` → "-1.234.567,89".
 * Trailing fractional zeros are dropped down to `minDecimals`; a value that rounds to zero has no sign.
 */
export function formatNumber(d: Dec, options: FormatOptions): string {
  const { decimals, minDecimals = 0 } = options;
  checkDecimals(decimals, "decimals");
  checkDecimals(minDecimals, "minDecimals");
  if (decimals !== undefined && minDecimals > decimals) {
    throw new RangeError(`minDecimals ${minDecimals} > decimals ${decimals}`);
  }
  const sep = separatorsOf(options.style);
  const rounded = decimals === undefined ? d : d.round(decimals, "half-up");
  const { negative, integer, fraction } = rounded.normalize().parts();
  const digits = integer.toString();
  const head = digits.length % 3 || 3;
  let out = negative ? `-${digits.slice(0, head)}` : digits.slice(0, head);
  for (let i = head; i < digits.length; i += 3) out += sep.group + digits.slice(i, i + 3);
  const shown = fraction.length < minDecimals ? fraction.padEnd(minDecimals, "0") : fraction;
  return shown === "" ? out : out + sep.point + shown;
}

/**
 * Reads a number written in `style` ("1.234.567,89" for vi); surrounding spaces are ignored. Thousands
 * separators are optional but, when present, must group the whole integer part by threes. Undefined for
 * anything else (a single "1.234" in vi style is one thousand two hundred thirty-four).
 */
export function parseFormattedNumber(text: string, style: NumberStyle): Dec | undefined {
  const sep = separatorsOf(style);
  const m = sep.pattern.exec(text.trim());
  if (m === null) return undefined;
  const integer = m[2]!.includes(sep.group) ? m[2]!.split(sep.group).join("") : m[2]!;
  const fraction = m[3];
  return Dec.parse(`${m[1] === "-" ? "-" : ""}${integer}${fraction === undefined ? "" : `.${fraction}`}`);
}
