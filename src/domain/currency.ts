/**
 * Currencies as invoices use them (DVTTe): ISO 4217 code, minor-unit decimals, and the Vietnamese names
 * that the amount in words (TgTTTBChu) is written with.
 *
 * The table covers the currencies Vietnamese invoices are seen in: the đồng, the currencies of Việt Nam's
 * main trading partners and its neighbours. Minor-unit decimals are ISO 4217's (so TWD, IDR, LAK and KHR
 * have 2 even where cash has no sub-unit in use, and KWD has 3).
 *
 * Names are the ones Vietnamese banks and invoicing software commonly print; none of them is fixed by law.
 * Choices made here, so that words are predictable:
 * - one-hundredth units of the dollar family, the euro, the Swiss franc and the peso are "xen" (cent);
 * - one-hundredth units of the yuan, the pound and the Nordic crowns are "xu" (fen, penny, øre);
 * - other sub-units keep their own name in Vietnamese spelling (sen, xa-tăng, át, cô-pếch, …);
 * - the đồng has no sub-unit (ISO minor unit 0; the old "hào"/"xu" went out of use);
 * - a currency that is not in the table is named by its code ("một trăm XYZ"); see `currencyUnitName`.
 *
 * `aliases` are other names real invoices write for the same currency, accepted by `wordsMatch`.
 */

export interface CurrencyInfo {
  /** ISO 4217 alphabetic code. */
  readonly code: string;
  /** Decimals of the minor unit (ISO 4217): VND 0, USD 2, KWD 3. */
  readonly minorUnits: number;
  /** Vietnamese name of the unit as written mid-sentence (lower-case except proper nouns). */
  readonly unit: string;
  /** Vietnamese name of the minor unit; absent when amounts are read with "phẩy" instead. */
  readonly subunit?: string;
  /** Other unit names seen on invoices for this currency. */
  readonly aliases?: readonly string[];
  /** Other sub-unit names seen on invoices. */
  readonly subunitAliases?: readonly string[];
}

const DOLLAR_CENT = ["cent", "xu"] as const;

const TABLE: readonly CurrencyInfo[] = [
  { code: "VND", minorUnits: 0, unit: "đồng", aliases: ["đồng Việt Nam", "Việt Nam đồng", "VNĐ"] },
  {
    code: "USD",
    minorUnits: 2,
    unit: "đô la Mỹ",
    subunit: "xen",
    aliases: ["đô la", "đô-la Mỹ", "đô Mỹ"],
    subunitAliases: DOLLAR_CENT,
  },
  {
    code: "EUR",
    minorUnits: 2,
    unit: "ơ-rô",
    subunit: "xen",
    aliases: ["euro"],
    subunitAliases: DOLLAR_CENT,
  },
  { code: "JPY", minorUnits: 0, unit: "yên", aliases: ["yên Nhật"] },
  { code: "CNY", minorUnits: 2, unit: "nhân dân tệ", subunit: "xu", subunitAliases: ["phân", "fen"] },
  { code: "KRW", minorUnits: 0, unit: "won", aliases: ["won Hàn Quốc", "uôn"] },
  {
    code: "GBP",
    minorUnits: 2,
    unit: "bảng Anh",
    subunit: "xu",
    aliases: ["bảng"],
    subunitAliases: ["penny", "pence"],
  },
  { code: "AUD", minorUnits: 2, unit: "đô la Úc", subunit: "xen", subunitAliases: DOLLAR_CENT },
  { code: "SGD", minorUnits: 2, unit: "đô la Singapore", subunit: "xen", subunitAliases: DOLLAR_CENT },
  { code: "HKD", minorUnits: 2, unit: "đô la Hồng Kông", subunit: "xen", subunitAliases: DOLLAR_CENT },
  { code: "TWD", minorUnits: 2, unit: "đô la Đài Loan", subunit: "xen", aliases: ["Đài tệ", "tân Đài tệ"] },
  { code: "CAD", minorUnits: 2, unit: "đô la Canada", subunit: "xen", subunitAliases: DOLLAR_CENT },
  { code: "NZD", minorUnits: 2, unit: "đô la New Zealand", subunit: "xen", subunitAliases: DOLLAR_CENT },
  { code: "BND", minorUnits: 2, unit: "đô la Brunei", subunit: "xen", subunitAliases: DOLLAR_CENT },
  { code: "THB", minorUnits: 2, unit: "bạt Thái Lan", subunit: "xa-tăng", aliases: ["bạt", "baht"] },
  { code: "CHF", minorUnits: 2, unit: "franc Thụy Sĩ", subunit: "xen", aliases: ["phrăng Thụy Sĩ"] },
  { code: "MYR", minorUnits: 2, unit: "ringgit Malaysia", subunit: "sen", aliases: ["ringgit"] },
  { code: "IDR", minorUnits: 2, unit: "rupiah Indonesia", subunit: "xen", aliases: ["rupiah"] },
  { code: "PHP", minorUnits: 2, unit: "peso Philippines", subunit: "xen", aliases: ["peso"] },
  { code: "INR", minorUnits: 2, unit: "rupee Ấn Độ", subunit: "paisa", aliases: ["rupee"] },
  { code: "LAK", minorUnits: 2, unit: "kíp Lào", subunit: "át", aliases: ["kíp"] },
  { code: "KHR", minorUnits: 2, unit: "riel Campuchia", subunit: "xen", aliases: ["riel"] },
  { code: "MMK", minorUnits: 2, unit: "kyat Myanmar", subunit: "pya", aliases: ["kyat"] },
  { code: "RUB", minorUnits: 2, unit: "rúp Nga", subunit: "cô-pếch", aliases: ["rúp"] },
  { code: "DKK", minorUnits: 2, unit: "krone Đan Mạch", subunit: "xu", subunitAliases: ["øre"] },
  { code: "NOK", minorUnits: 2, unit: "krone Na Uy", subunit: "xu", subunitAliases: ["øre"] },
  { code: "SEK", minorUnits: 2, unit: "krona Thụy Điển", subunit: "xu", subunitAliases: ["öre"] },
  { code: "AED", minorUnits: 2, unit: "dirham UAE", subunit: "fils", aliases: ["dirham"] },
  { code: "SAR", minorUnits: 2, unit: "riyal Ả Rập Xê Út", subunit: "halala", aliases: ["riyal"] },
  { code: "KWD", minorUnits: 3, unit: "dinar Kuwait", subunit: "fils", aliases: ["dinar"] },
];

const BY_CODE: ReadonlyMap<string, CurrencyInfo> = new Map(TABLE.map((c) => [c.code, c]));

/** Spellings of the đồng seen in DVTTe instead of "VND" (the GDT test file writes "đ"). */
const VND_SPELLINGS: ReadonlySet<string> = new Set(["đ", "Đ", "VNĐ", "vnđ", "vnd", "đồng", "Đồng"]);

/** The currencies in the table, in table order. */
export const CURRENCIES: readonly CurrencyInfo[] = TABLE;

/** The đồng. */
export const VND: CurrencyInfo = BY_CODE.get("VND")!;

/** True when `code` is exactly an ISO 4217 code in the table (upper-case, no aliases: "đ" is not a code). */
export function isKnownCurrency(code: string): boolean {
  return BY_CODE.has(code);
}

/**
 * The table entry for a currency code, forgiving as a reader should be: surrounding spaces, lower case
 * ("usd") and the non-ISO spellings of the đồng ("đ", "VNĐ") are accepted. Undefined when unknown.
 */
export function currencyInfo(code: string): CurrencyInfo | undefined {
  const exact = BY_CODE.get(code);
  if (exact !== undefined) return exact;
  const trimmed = code.trim();
  if (VND_SPELLINGS.has(trimmed)) return VND;
  return BY_CODE.get(trimmed.toUpperCase());
}

/**
 * Minor-unit decimals of a currency; 2 for a currency not in the table (the most common ISO value, and
 * the one that keeps cents of an unlisted dollar-like currency).
 */
export function minorUnitsOf(code: string): number {
  return currencyInfo(code)?.minorUnits ?? 2;
}

/** The unit name used in words: the table's Vietnamese name, or the code itself for an unknown currency. */
export function currencyUnitName(code: string): string {
  return currencyInfo(code)?.unit ?? code.trim();
}
