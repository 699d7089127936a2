/**
 * Amount in words (số tiền viết bằng chữ, TgTTTBChu): the Vietnamese reading of an amount as invoices
 * print it, and a forgiving comparison for checking the words a received invoice carries.
 *
 * Reading rules (exact for any integer; bigint throughout, no float):
 * - Digits are read in groups of three. Group scales: nghìn, triệu, tỷ, then the scales repeat above a
 *   tỷ, so 10^12 is "một nghìn tỷ", 10^15 "một triệu tỷ", 10^18 "một tỷ tỷ", 10^21 "một nghìn tỷ tỷ".
 * - A group that is all zeros is skipped, with its scale word ("một tỷ không trăm linh một", not
 *   "một tỷ không triệu không nghìn …"); a "tỷ" is still said when a whole block below it is zero
 *   ("một tỷ tỷ").
 * - Every group after the first is read with its hundreds, even zero ones: 1 000 001 is "một triệu
 *   không trăm linh một", 1 050 000 "một triệu không trăm năm mươi nghìn". The first group is read
 *   without a leading "không trăm".
 * - Tens: 10–19 are "mười …" (11 "mười một", 14 "mười bốn", 15 "mười lăm"); 20–99 are "… mươi …", with
 *   1 read "mốt" (21 "hai mươi mốt"), 4 read "tư" (24 "hai mươi tư"; option `four: "bốn"`) and 5 read
 *   "lăm" (25 "hai mươi lăm").
 * - A hundreds digit followed by a zero tens digit reads the units with "linh" (option `odd: "lẻ"`):
 *   101 "một trăm linh một", 104 "một trăm linh bốn", 105 "một trăm linh năm" (no mốt/tư/lăm after linh).
 * - A lone 5 or 4 stays "năm", "bốn"; zero alone is "không".
 * These are the rules `read-vietnamese-number` 2.3.1 follows; the tests compare against it.
 *
 * Amount patterns (lower-case here; the first letter is upper-cased unless `capitalize: false`):
 * - whole amount: "<số> <đơn vị>" — "một triệu một trăm nghìn đồng"; `exactSuffix` adds " chẵn";
 * - negative (adjustment invoices that decrease): "âm <…>";
 * - foreign currency with a sub-unit name and at most its minor-unit decimals:
 *   "<số> <đơn vị> và <số xen> <đơn vị phụ>" — "một trăm hai mươi ba đô la Mỹ và bốn mươi lăm xen",
 *   "không đô la Mỹ và năm xen" (the whole part is always said);
 * - any other fraction (VND with decimals, more decimals than the currency has, no sub-unit name):
 *   "<số> phẩy <phần lẻ> <đơn vị>", the fraction read as the common practice does: one digit as a digit,
 *   two or three digits as a number ("phẩy không năm" for ,05; "phẩy hai mươi lăm" for ,25; "phẩy không
 *   trăm linh năm" for ,005), four or more digit by digit. Trailing zeros are dropped first.
 * - an unknown currency code is its own unit name ("một trăm XYZ").
 */
import { type CurrencyInfo, currencyInfo, VND } from "./currency.ts";
import { Dec } from "./decimal.ts";

export interface WordsOptions {
  /** ISO 4217 code (DVTTe); default (and for "") VND. */
  currency?: string;
  /** Word for a zero tens digit after hundreds (101): "linh" (default) or "lẻ". */
  odd?: "linh" | "lẻ";
  /** Word for 10^3: "nghìn" (default) or "ngàn". */
  thousand?: "nghìn" | "ngàn";
  /** Units digit 4 after "mươi" (24, 34…): "tư" (default) or "bốn". */
  four?: "tư" | "bốn";
  /** Word for 10^9: "tỷ" (default) or "tỉ". */
  billion?: "tỷ" | "tỉ";
  /** Upper-case the first letter, as invoices print it. Default true. */
  capitalize?: boolean;
  /** Append "chẵn" after the unit of a whole amount ("… đồng chẵn"). Default false. */
  exactSuffix?: boolean;
}

const DIGITS = ["không", "một", "hai", "ba", "bốn", "năm", "sáu", "bảy", "tám", "chín"] as const;

/** Readings of 0–999, built once per (odd, four) choice. */
interface GroupTable {
  /** As the leading group: no "không trăm"; 0 is "không". */
  readonly lead: readonly string[];
  /** As a later group: hundreds always said; 0 is "" (skipped). */
  readonly inner: readonly string[];
  /** Reading of a two-digit fraction 01–99 (index = value). */
  readonly two: readonly string[];
}

const TABLES: (GroupTable | undefined)[] = [undefined, undefined, undefined, undefined];

function tensAndUnits(b: number, c: number, four: string): string {
  if (b === 0) return DIGITS[c]!;
  if (b === 1) return c === 0 ? "mười" : c === 5 ? "mười lăm" : `mười ${DIGITS[c]}`;
  const tens = `${DIGITS[b]} mươi`;
  switch (c) {
    case 0:
      return tens;
    case 1:
      return `${tens} mốt`;
    case 4:
      return `${tens} ${four}`;
    case 5:
      return `${tens} lăm`;
    default:
      return `${tens} ${DIGITS[c]}`;
  }
}

function group(v: number, withHundreds: boolean, odd: string, four: string): string {
  const a = (v / 100) | 0;
  const b = ((v / 10) | 0) % 10;
  const c = v % 10;
  if (a === 0 && !withHundreds) return tensAndUnits(b, c, four);
  const hundreds = `${DIGITS[a]} trăm`;
  if (b === 0) return c === 0 ? hundreds : `${hundreds} ${odd} ${DIGITS[c]}`;
  return `${hundreds} ${tensAndUnits(b, c, four)}`;
}

function tableFor(odd: string, four: string): GroupTable {
  const index = (odd === "lẻ" ? 1 : 0) + (four === "bốn" ? 2 : 0);
  const cached = TABLES[index];
  if (cached !== undefined) return cached;
  const lead: string[] = new Array(1000);
  const inner: string[] = new Array(1000);
  const two: string[] = new Array(100);
  for (let v = 0; v < 1000; v++) {
    lead[v] = group(v, false, odd, four);
    inner[v] = v === 0 ? "" : group(v, true, odd, four);
  }
  for (let v = 0; v < 100; v++)
    two[v] = v < 10 ? `không ${DIGITS[v]}` : tensAndUnits((v / 10) | 0, v % 10, four);
  const table: GroupTable = { lead, inner, two };
  TABLES[index] = table;
  return table;
}

/** Words of a non-negative integer given as its decimal digits (no leading zeros, or exactly "0"). */
function readDigits(digits: string, t: GroupTable, thousand: string, billion: string): string {
  const len = digits.length;
  const groups = ((len + 2) / 3) | 0;
  let out = "";
  let pos = 0;
  let end = len - (groups - 1) * 3;
  for (let g = 0; g < groups; g++) {
    let v = 0;
    for (; pos < end; pos++) v = v * 10 + digits.charCodeAt(pos) - 48;
    end += 3;
    const r = groups - 1 - g;
    const scale = r % 3;
    if (v !== 0 || groups === 1) {
      const w = g === 0 ? t.lead[v]! : t.inner[v]!;
      out = out === "" ? w : `${out} ${w}`;
      if (scale === 1) out += thousand;
      else if (scale === 2) out += " triệu";
    }
    if (scale === 0 && r !== 0) out += billion;
  }
  return out;
}

/** Reading of fraction digits after "phẩy" (no trailing zeros). */
function readFraction(fraction: string, t: GroupTable): string {
  switch (fraction.length) {
    case 1:
      return DIGITS[fraction.charCodeAt(0) - 48]!;
    case 2:
      return t.two[(fraction.charCodeAt(0) - 48) * 10 + fraction.charCodeAt(1) - 48]!;
    case 3:
      return t.inner[
        (fraction.charCodeAt(0) - 48) * 100 + (fraction.charCodeAt(1) - 48) * 10 + fraction.charCodeAt(2) - 48
      ]!;
    default: {
      let out = DIGITS[fraction.charCodeAt(0) - 48]!;
      for (let i = 1; i < fraction.length; i++) out += ` ${DIGITS[fraction.charCodeAt(i) - 48]}`;
      return out;
    }
  }
}

/** The number part of an amount, before unit names are attached. */
interface Reading {
  negative: boolean;
  integer: string;
  /** Words after "phẩy", when the fraction is read as such. */
  fraction: string | undefined;
  /** Words of the minor-unit count, when the fraction is read in sub-units. */
  minor: string | undefined;
}

function read(
  amount: Dec | string | bigint,
  info: CurrencyInfo | undefined,
  t: GroupTable,
  thousand: string,
  billion: string,
): Reading {
  let negative: boolean;
  let integer: bigint;
  let fraction: string;
  if (typeof amount === "bigint") {
    negative = amount < 0n;
    integer = negative ? -amount : amount;
    fraction = "";
  } else {
    const d = typeof amount === "string" ? Dec.parse(amount) : amount;
    const p = (d.scale === 0 ? d : d.normalize()).parts();
    negative = p.negative;
    integer = p.integer;
    fraction = p.fraction;
  }
  const integerWords = readDigits(integer.toString(), t, thousand, billion);
  if (fraction === "") return { negative, integer: integerWords, fraction: undefined, minor: undefined };
  const minorUnits = info?.minorUnits ?? 0;
  if (info?.subunit !== undefined && fraction.length <= minorUnits && minorUnits <= 3) {
    let v = 0;
    for (let i = 0; i < minorUnits; i++) v = v * 10 + (i < fraction.length ? fraction.charCodeAt(i) - 48 : 0);
    return { negative, integer: integerWords, fraction: undefined, minor: t.lead[v]! };
  }
  return { negative, integer: integerWords, fraction: readFraction(fraction, t), minor: undefined };
}

function assemble(r: Reading, unit: string, subunit: string | undefined, exact: boolean): string {
  let out = r.negative ? `âm ${r.integer}` : r.integer;
  if (r.fraction !== undefined) out += ` phẩy ${r.fraction}`;
  out += ` ${unit}`;
  if (r.minor !== undefined) out += ` và ${r.minor} ${subunit}`;
  else if (exact && r.fraction === undefined) out += " chẵn";
  return out;
}

/**
 * The Vietnamese words of an amount as invoices write them (TgTTTBChu), e.g.
 * `amountInWords(12445455n)` → "Mười hai triệu bốn trăm bốn mươi lăm nghìn bốn trăm năm mươi lăm đồng".
 * Strings are parsed as plain decimals ("1234.5"); malformed text is a bug and throws a RangeError.
 */
export function amountInWords(amount: Dec | string | bigint, options?: WordsOptions): string {
  const code = options?.currency;
  const info = code === undefined || code === "" ? VND : currencyInfo(code);
  const t = tableFor(options?.odd ?? "linh", options?.four ?? "tư");
  const thousand = options?.thousand === "ngàn" ? " ngàn" : " nghìn";
  const billion = options?.billion === "tỉ" ? " tỉ" : " tỷ";
  const r = read(amount, info, t, thousand, billion);
  const text = assemble(r, info?.unit ?? (code ?? "").trim(), info?.subunit, options?.exactSuffix === true);
  return options?.capitalize === false ? text : text.charAt(0).toUpperCase() + text.slice(1);
}

// ---------------------------------------------------------------------------------------------------------
// Comparing words written by someone else.

/** Word separators when comparing: spaces, punctuation that invoices put around words, hyphens. */
const SEPARATOR = /[\s.,;:!?/()[\]\-–—"'“”]+/u;
/** Tone marks in NFD (grave, acute, tilde, hook above, dot below). */
const TONE_MARKS = /[\u0300\u0301\u0303\u0309\u0323]/gu;

/**
 * A syllable (NFD) in comparison form: its tone mark moved to the end, so that old and new tone placement
 * ("thuỵ"/"thụy", "hoà"/"hòa") compare equal.
 */
function syllableKey(word: string): string {
  const tones = word.match(TONE_MARKS);
  if (tones === null) return word;
  return word.replace(TONE_MARKS, "") + tones[tones.length - 1];
}

/** Spelling variants read as one word: each maps to the spelling hddt writes. */
const VARIANTS: ReadonlyMap<string, string> = new Map(
  [
    ["lẻ", "linh"],
    ["ngàn", "nghìn"],
    ["tư", "bốn"],
    ["tỉ", "tỷ"],
    ["bẩy", "bảy"],
    ["trừ", "âm"],
    ["chấm", "phẩy"],
  ].map(([variant, canonical]) => [
    syllableKey(variant!.normalize("NFD")),
    syllableKey(canonical!.normalize("NFD")),
  ]),
);

/**
 * Comparison form of each lower-case word seen so far. Amounts in words use a few dozen distinct words, so
 * after warm-up a word costs one map lookup instead of a Unicode normalization; the size cap keeps
 * arbitrary input from growing it without bound.
 */
const WORD_KEYS = new Map<string, string>();
const WORD_KEYS_MAX = 4096;

function wordKey(word: string): string {
  let key = WORD_KEYS.get(word);
  if (key === undefined) {
    const k = syllableKey(word.normalize("NFD"));
    key = VARIANTS.get(k) ?? k;
    if (WORD_KEYS.size < WORD_KEYS_MAX) WORD_KEYS.set(word, key);
  }
  return key;
}

const EXACT_WORD = wordKey("chẵn");

/** Comparison form of a text of words: variants unified, punctuation and a trailing "chẵn" dropped. */
export function wordsKey(text: string): string {
  const words = text.toLowerCase().split(SEPARATOR);
  let last = words.length - 1;
  while (last >= 0 && (words[last] === "" || wordKey(words[last]!) === EXACT_WORD)) last--;
  let out = "";
  for (let i = 0; i <= last; i++) {
    const w = words[i]!;
    if (w === "") continue;
    const k = wordKey(w);
    out = out === "" ? k : `${out} ${k}`;
  }
  return out;
}

/**
 * True when `expected` (words written on an invoice) reads `amount` in `currency` (default VND),
 * allowing the spellings in use: any letter case, NFC or NFD, extra spaces and punctuation, a trailing
 * "chẵn" or "./.", linh|lẻ, nghìn|ngàn, tư|bốn, tỷ|tỉ, bảy|bẩy, âm|trừ, phẩy|chấm, and the unit names
 * listed for the currency (`CurrencyInfo.aliases`, and the ISO code itself).
 */
export function wordsMatch(expected: string, amount: Dec | string | bigint, currency = "VND"): boolean {
  const key = wordsKey(expected);
  const info = currencyInfo(currency);
  const t = tableFor("linh", "bốn");
  const r = read(amount, info, t, " nghìn", " tỷ");
  if (info === undefined) return wordsKey(assemble(r, currency.trim(), undefined, false)) === key;
  if (wordsKey(assemble(r, info.unit, info.subunit, false)) === key) return true;
  const units = [info.unit, ...(info.aliases ?? []), info.code];
  const subunits: (string | undefined)[] =
    r.minor === undefined ? [undefined] : [info.subunit, ...(info.subunitAliases ?? [])];
  for (const unit of units) {
    for (const subunit of subunits) {
      if (wordsKey(assemble(r, unit, subunit, false)) === key) return true;
    }
  }
  return false;
}
