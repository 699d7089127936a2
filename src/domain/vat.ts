/**
 * VAT rate codes (TSuat, QĐ 1271 Annex V) and the dated rules on them.
 *
 * Codes: "0%", "5%", "8%", "10%" (percent); "KCT" (not subject to VAT); "KKKNT" (not declared, not paid);
 * "KHAC:AB.CD%" (another rate, up to two integer and two decimal digits; also read without the "%", as the
 * QĐ 1450 text writes it, and as a bare "KHAC" when no value is known). The T-VAN set of reference §2.9 is
 * the same.
 *
 * "CTTC": Circular 32/2025 Art 6 says a financial-leasing invoice shows its VAT rate as the symbol "CTTC"
 * (VAT equal to the input VAT of the leased asset, so no percentage) [primary]. Whether the 2.1.0 schema
 * lists "CTTC" among TSuat values could not be checked. hddt reads it as its own kind, valid from the date
 * the circular took effect (2025-06-01, `Rules.leasingRateSymbol`), so real leasing invoices are not refused;
 * whether the invoice really is a leasing one (HDCTTChinh = 1) is for the invoice validator to check.
 *
 * 8% exists only inside a reduced-rate window (`RULE_TABLE.reducedVatWindows`). Outside one it is a data
 * error. For an adjustment or replacement the rate that applies is that of the original sale: pass the
 * original invoice's date.
 */

import { isDate } from "./dates.ts";
import { Dec } from "./decimal.ts";
import { defineCodes, makeProblem, type Problem } from "./problem.ts";
import { rulesOn } from "./rules.ts";

export type VatRate =
  /** "n%": `rate` is the percentage (10 for "10%"). */
  | { readonly kind: "percent"; readonly rate: Dec; readonly code: string }
  /** "KCT": not subject to VAT. */
  | { readonly kind: "exempt"; readonly code: "KCT" }
  /** "KKKNT": not required to declare and pay VAT. */
  | { readonly kind: "not-declared"; readonly code: "KKKNT" }
  /** "KHAC:…": another rate; `rate` is the percentage when written. */
  | { readonly kind: "other"; readonly rate: Dec | undefined; readonly code: string }
  /** "CTTC": financial leasing (TT 32/2025 Art 6); the VAT amount is carried over, not computed. */
  | { readonly kind: "leasing"; readonly code: "CTTC" };

export type VatRateKind = VatRate["kind"];

export const vatRateCodes = defineCodes({
  VAT_RATE_FORMAT: {
    vi: "Thuế suất {value} không thuộc danh mục (0%, 5%, 8%, 10%, KCT, KKKNT, KHAC:AB.CD%)",
    en: "VAT rate {value} is not in the code list (0%, 5%, 8%, 10%, KCT, KKKNT, KHAC:AB.CD%)",
  },
  VAT_RATE_REDUCED_OUTSIDE_WINDOW: {
    vi: "Thuế suất 8% chỉ áp dụng trong thời gian giảm thuế GTGT; ngày {date} không thuộc thời gian nào",
    en: "The reduced 8% VAT rate applies only inside a reduction period; {date} is outside every period",
  },
  VAT_RATE_LEASING_NOT_IN_FORCE: {
    vi: "Ký hiệu thuế suất CTTC chỉ có từ ngày 01/06/2025 (Thông tư 32/2025); ngày {date} trước đó",
    en: "The CTTC rate symbol exists only from 2025-06-01 (Circular 32/2025); {date} is earlier",
  },
  VAT_RATE_OTHER_WITHOUT_VALUE: {
    vi: "Thuế suất KHAC nên ghi giá trị (KHAC:AB.CD%) khi đã biết",
    en: "A KHAC rate should carry its value (KHAC:AB.CD%) when it is known",
    severity: "warning",
  },
});

const PERCENT_RE = /^(0|5|8|10)%$/;
const OTHER_RE = /^KHAC(?::(\d{1,2}(?:\.\d{1,2})?)%?)?$/;

const EXEMPT: VatRate = Object.freeze({ kind: "exempt", code: "KCT" });
const NOT_DECLARED: VatRate = Object.freeze({ kind: "not-declared", code: "KKKNT" });
const LEASING: VatRate = Object.freeze({ kind: "leasing", code: "CTTC" });
const PERCENTS = new Map<string, VatRate>(
  ["0", "5", "8", "10"].map((n) => [
    n,
    Object.freeze({ kind: "percent", rate: Dec.parse(n), code: `${n}%` }),
  ]),
);

/** Reads a TSuat code; undefined when it is not one (case and spacing must be exact). */
export function parseVatRate(code: string): VatRate | undefined {
  switch (code) {
    case "KCT":
      return EXEMPT;
    case "KKKNT":
      return NOT_DECLARED;
    case "CTTC":
      return LEASING;
  }
  const p = PERCENT_RE.exec(code);
  if (p) return PERCENTS.get(p[1]!);
  const o = OTHER_RE.exec(code);
  if (o) {
    const rate = o[1] === undefined ? undefined : Dec.parse(o[1]).normalize();
    return { kind: "other", rate, code: rate === undefined ? "KHAC" : `KHAC:${rate.toPlain()}%` };
  }
  return undefined;
}

/**
 * Checks a TSuat code against the code list and the rules on `date` (the date whose rate applies: the
 * invoice date, or the original invoice's date for an adjustment). A malformed date skips the dated checks:
 * the date has its own rule.
 */
export function validateVatRate(code: string, date: string, path: string): Problem[] {
  const rate = parseVatRate(code);
  if (!rate) return [makeProblem(vatRateCodes, "VAT_RATE_FORMAT", path, { value: code })];
  if (rate.kind === "other" && rate.rate === undefined) {
    return [makeProblem(vatRateCodes, "VAT_RATE_OTHER_WITHOUT_VALUE", path, { value: code })];
  }
  if (!isDate(date)) return [];
  if (rate.kind === "percent" && rate.code === "8%" && !rulesOn(date).reducedVatWindow) {
    return [makeProblem(vatRateCodes, "VAT_RATE_REDUCED_OUTSIDE_WINDOW", path, { value: code, date })];
  }
  if (rate.kind === "leasing" && !rulesOn(date).leasingRateSymbol) {
    return [makeProblem(vatRateCodes, "VAT_RATE_LEASING_NOT_IN_FORCE", path, { value: code, date })];
  }
  return [];
}

/**
 * The fraction to multiply an amount by to get its VAT: 0.1 for "10%", 0.0526 for "KHAC:5.26%", 0 for KCT
 * and KKKNT (no VAT). Undefined when it cannot be computed: CTTC (carried-over amount) and a KHAC without
 * value. Exact: the percentage's scale grows by two, nothing is divided.
 */
export function rateFraction(rate: VatRate): Dec | undefined {
  switch (rate.kind) {
    case "percent":
    case "other":
      return rate.rate === undefined ? undefined : Dec.of(rate.rate.units, rate.rate.scale + 2);
    case "exempt":
    case "not-declared":
      return Dec.ZERO;
    case "leasing":
      return undefined;
  }
}

/**
 * The one way hddt writes a rate ("KHAC:5.26%" for "KHAC:5.26" or "KHAC:05.26%"); rates with equal codes
 * belong to the same per-rate group (LTSuat).
 */
export function formatVatRate(rate: VatRate): string {
  return rate.code;
}

const KIND_ORDER: Record<VatRateKind, number> = {
  percent: 0,
  other: 1,
  exempt: 2,
  "not-declared": 3,
  leasing: 4,
};

/**
 * Order of per-rate groups (LTSuat) when hddt writes them: percentages rising, then KHAC rates rising (a
 * KHAC without value last among them), then KCT, KKKNT, CTTC. The format fixes no order; this is hddt's.
 */
export function compareVatRates(a: VatRate, b: VatRate): number {
  const k = KIND_ORDER[a.kind] - KIND_ORDER[b.kind];
  if (k !== 0) return k;
  if ((a.kind === "percent" || a.kind === "other") && (b.kind === "percent" || b.kind === "other")) {
    if (a.rate === undefined) return b.rate === undefined ? 0 : 1;
    if (b.rate === undefined) return -1;
    return a.rate.cmp(b.rate);
  }
  return 0;
}
