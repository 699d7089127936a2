/**
 * Money rules shared by the validator and the seller: rounding, currency conversion, line and tax
 * amounts, tolerant comparison and the format limits of amount fields. All exact (`Dec`), never floats.
 *
 * Rounding rule: half-up, i.e. half away from zero (0.5 → 1, -0.5 → -1), so that a decreasing adjustment
 * mirrors the increase it cancels. QĐ 1271 Part IV requires VND totals to be rounded to whole đồng; it does
 * not name a rounding mode, half-up is what Vietnamese accounting practice and invoicing software use.
 * Other currencies are rounded to their ISO 4217 minor units (`currency.ts`).
 */
import { minorUnitsOf } from "./currency.ts";
import { Dec } from "./decimal.ts";
import { defineCodes, type Problems } from "./problem.ts";

export const moneyCodes = defineCodes({
  AMOUNT_TOO_MANY_DIGITS: {
    vi: "Số {value} có quá {total} chữ số (tối đa {total} chữ số, trong đó tối đa {decimals} chữ số thập phân)",
    en: "The number {value} has more than {total} digits (at most {total} digits, of which {decimals} decimals)",
  },
  AMOUNT_TOO_MANY_DECIMALS: {
    vi: "Số {value} có quá {decimals} chữ số thập phân",
    en: "The number {value} has more than {decimals} decimals",
  },
  AMOUNT_NEGATIVE_NOT_ALLOWED: {
    vi: "Số {value} âm, trường này không được ghi số âm",
    en: "The number {value} is negative, which this field does not allow",
  },
});

export type MoneyCode = keyof typeof moneyCodes;

/** Limits of a numeric field, written "total,decimals" in the standard (amounts are 21,6; TGia is 7,2). */
export interface AmountFormat {
  /** Digits in all, not counting the point and the sign. */
  total: number;
  /** Digits after the point. */
  decimals: number;
  /** Whether a leading "-" is allowed (2.1.0 allows it; adjustment invoices use it). */
  allowNegative: boolean;
}

/** The format of amount fields in 2.1.0 (QĐ 1271): 21 digits, 6 decimals, negatives allowed. */
export const AMOUNT_FORMAT: AmountFormat = { total: 21, decimals: 6, allowNegative: true };

const NO_CODES: readonly MoneyCode[] = Object.freeze([]);

/** Rounds to whole đồng, half away from zero: 1234.5 → 1235, -1234.5 → -1235. */
export function roundVnd(d: Dec): Dec {
  return d.round(0, "half-up");
}

/** Rounds to the currency's minor units (VND, JPY, KRW 0; USD, EUR 2; KWD 3; unknown codes 2), half-up. */
export function roundCurrency(d: Dec, currency: string): Dec {
  return d.round(minorUnitsOf(currency), "half-up");
}

/** The VND value of a foreign-currency amount: amount × exchange rate (TGia), rounded to whole đồng. */
export function toVnd(amount: Dec, rate: Dec): Dec {
  return roundVnd(amount.mul(rate));
}

/**
 * A line's amount before VAT (ThTien): quantity × unit price − discount, exact (not rounded: round the
 * result with `roundCurrency` where the line is final; the standard gives no formula, this is practice).
 */
export function lineAmount(quantity: Dec, price: Dec, discountAmount?: Dec): Dec {
  const gross = quantity.mul(price);
  return discountAmount === undefined ? gross : gross.sub(discountAmount);
}

/** `ratePercent` % of an amount, exact. */
function percentOf(amount: Dec, ratePercent: Dec): Dec {
  const p = amount.mul(ratePercent);
  return Dec.of(p.units, p.scale + 2);
}

/** Discount amount (STCKhau) from a discount rate (TLCKhau, percent): gross × rate / 100, exact. */
export function discountFromRate(gross: Dec, ratePercent: Dec): Dec {
  return percentOf(gross, ratePercent);
}

/** VAT on an amount at a rate in percent (8 for 8%), rounded to the currency's minor units. */
export function vatOf(amount: Dec, ratePercent: Dec, currency: string): Dec {
  return roundCurrency(percentOf(amount, ratePercent), currency);
}

/** True when |a − b| ≤ tolerance: the validator's "equal allowing rounding". */
export function sameWithinTolerance(a: Dec, b: Dec, tolerance: Dec): boolean {
  return a.sub(b).abs().cmp(tolerance) <= 0;
}

/**
 * The largest difference rounding can explain when `count` amounts, each rounded to `currency`'s minor
 * units, are compared with the rounded sum of their exact values: count × half a minor unit.
 */
export function roundingTolerance(count: number, currency: string): Dec {
  if (!Number.isSafeInteger(count) || count < 0) throw new RangeError(`bad count ${count}`);
  return Dec.of(BigInt(count) * 5n, minorUnitsOf(currency) + 1);
}

/**
 * The ways `d` breaks a numeric field's limits (empty when it fits). Digits are counted on the normalized
 * value (trailing fractional zeros do not count: "1.500000000" has 1 decimal).
 */
export function checkAmountFormat(d: Dec, format: AmountFormat = AMOUNT_FORMAT): readonly MoneyCode[] {
  const digits = d.digits();
  const negative = d.isNegative() && !format.allowNegative;
  const tooManyDecimals = digits.fraction > format.decimals;
  const tooManyDigits = digits.integer + digits.fraction > format.total;
  if (!negative && !tooManyDecimals && !tooManyDigits) return NO_CODES;
  const codes: MoneyCode[] = [];
  if (tooManyDigits) codes.push("AMOUNT_TOO_MANY_DIGITS");
  if (tooManyDecimals) codes.push("AMOUNT_TOO_MANY_DECIMALS");
  if (negative) codes.push("AMOUNT_NEGATIVE_NOT_ALLOWED");
  return codes;
}

/** Runs `checkAmountFormat` and records each problem at `path`, with the value and limits as params. */
export function addAmountFormatProblems(
  problems: Problems,
  path: string,
  d: Dec,
  format: AmountFormat = AMOUNT_FORMAT,
): void {
  const codes = checkAmountFormat(d, format);
  if (codes.length === 0) return;
  const params = { value: d.toString(), total: String(format.total), decimals: String(format.decimals) };
  for (const code of codes) problems.add(moneyCodes, code, path, params);
}
