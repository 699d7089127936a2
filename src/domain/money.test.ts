import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { CURRENCIES, currencyInfo, currencyUnitName, isKnownCurrency, minorUnitsOf } from "./currency.ts";
import { Dec } from "./decimal.ts";
import {
  AMOUNT_FORMAT,
  addAmountFormatProblems,
  checkAmountFormat,
  discountFromRate,
  lineAmount,
  moneyCodes,
  roundCurrency,
  roundingTolerance,
  roundVnd,
  sameWithinTolerance,
  toVnd,
  vatOf,
} from "./money.ts";
import { Problems } from "./problem.ts";

const d = Dec.parse;
/** Amounts as invoices carry them: up to 15 integer digits and 6 decimals, either sign. */
const amountArb = fc
  .record({
    units: fc.bigInt({ min: -(10n ** 21n) + 1n, max: 10n ** 21n - 1n }),
    scale: fc.integer({ min: 0, max: 6 }),
  })
  .map(({ units, scale }) => Dec.of(units, scale));
const wholeVndArb = fc.bigInt({ min: 0n, max: 10n ** 15n }).map((n) => Dec.of(n));
const vatRateArb = fc.constantFrom("0", "5", "8", "10", "3.5", "7").map(d);
const rateArb = fc
  .record({ units: fc.bigInt({ min: 1n, max: 9_999_999n }), scale: fc.constant(2) })
  .map((r) => Dec.of(r.units, r.scale));

describe("currencies", () => {
  it("knows the minor units of the currencies Vietnamese invoices use", () => {
    expect(minorUnitsOf("VND")).toBe(0);
    expect(minorUnitsOf("USD")).toBe(2);
    expect(minorUnitsOf("EUR")).toBe(2);
    expect(minorUnitsOf("JPY")).toBe(0);
    expect(minorUnitsOf("KRW")).toBe(0);
    expect(minorUnitsOf("CNY")).toBe(2);
    expect(minorUnitsOf("KWD")).toBe(3);
    expect(minorUnitsOf("XYZ")).toBe(2);
  });

  it("tells ISO codes in its table from anything else", () => {
    for (const code of [
      "VND",
      "USD",
      "EUR",
      "JPY",
      "CNY",
      "KRW",
      "GBP",
      "AUD",
      "SGD",
      "HKD",
      "THB",
      "TWD",
      "CAD",
      "CHF",
      "MYR",
    ])
      expect(isKnownCurrency(code)).toBe(true);
    for (const code of ["đ", "VNĐ", "usd", "XYZ", ""]) expect(isKnownCurrency(code)).toBe(false);
  });

  it("reads local spellings of a code but keeps unknown codes as their own name", () => {
    expect(currencyInfo(" usd ")?.code).toBe("USD");
    expect(currencyInfo("đ")?.code).toBe("VND");
    expect(currencyInfo("VNĐ")?.code).toBe("VND");
    expect(currencyInfo("XYZ")).toBeUndefined();
    expect(currencyUnitName("VND")).toBe("đồng");
    expect(currencyUnitName("XYZ")).toBe("XYZ");
  });

  it("has one well-formed entry per code", () => {
    const codes = new Set<string>();
    for (const c of CURRENCIES) {
      expect(c.code).toMatch(/^[A-Z]{3}$/);
      expect(codes.has(c.code)).toBe(false);
      codes.add(c.code);
      expect(c.minorUnits).toBeGreaterThanOrEqual(0);
      expect(c.minorUnits).toBeLessThanOrEqual(3);
      expect(c.unit.normalize("NFC")).toBe(c.unit);
      if (c.minorUnits === 0) expect(c.subunit).toBeUndefined();
    }
  });
});

describe("rounding", () => {
  it("rounds VND to whole đồng, half away from zero", () => {
    expect(roundVnd(d("1234.5")).toString()).toBe("1235");
    expect(roundVnd(d("1234.49")).toString()).toBe("1234");
    expect(roundVnd(d("-1234.5")).toString()).toBe("-1235");
    expect(roundVnd(d("98765.36")).toString()).toBe("98765");
    expect(roundVnd(d("7")).toString()).toBe("7");
  });

  it("keeps roundVnd whole, within half a đồng, idempotent, ordered and symmetric", () => {
    fc.assert(
      fc.property(amountArb, amountArb, (a, b) => {
        const r = roundVnd(a);
        expect(r.isInteger()).toBe(true);
        expect(r.sub(a).abs().cmp(d("0.5"))).toBeLessThanOrEqual(0);
        expect(roundVnd(r).eq(r)).toBe(true);
        expect(roundVnd(a.neg()).eq(r.neg())).toBe(true);
        if (a.cmp(b) <= 0) expect(r.cmp(roundVnd(b))).toBeLessThanOrEqual(0);
      }),
    );
  });

  it("rounds each currency to its minor units", () => {
    expect(roundCurrency(d("12.345"), "USD").toString()).toBe("12.35");
    expect(roundCurrency(d("12.344"), "EUR").toString()).toBe("12.34");
    expect(roundCurrency(d("12.5"), "JPY").toString()).toBe("13");
    expect(roundCurrency(d("1.23456"), "KWD").toString()).toBe("1.235");
    expect(roundCurrency(d("1.5"), "VND").toString()).toBe("2");
    expect(roundCurrency(d("1.005"), "XYZ").toString()).toBe("1.01");
    fc.assert(
      fc.property(amountArb, fc.constantFrom(...CURRENCIES.map((c) => c.code)), (a, code) => {
        const r = roundCurrency(a, code);
        expect(r.digits().fraction).toBeLessThanOrEqual(minorUnitsOf(code));
        expect(
          r
            .sub(a)
            .abs()
            .mul(Dec.from(2))
            .cmp(Dec.of(1n, minorUnitsOf(code))),
        ).toBeLessThanOrEqual(0);
      }),
    );
  });
});

describe("conversion to VND", () => {
  it("multiplies by the exchange rate and rounds to đồng", () => {
    expect(toVnd(d("123.45"), d("25450.50")).toString()).toBe("3141864");
    expect(toVnd(d("-10"), d("25000")).toString()).toBe("-250000");
    expect(toVnd(d("1"), d("1")).toString()).toBe("1");
  });

  it("is monotonic in the amount and, for positive amounts, in the rate", () => {
    fc.assert(
      fc.property(amountArb, amountArb, rateArb, rateArb, (a, b, r1, r2) => {
        const [lo, hi] = a.cmp(b) <= 0 ? [a, b] : [b, a];
        expect(toVnd(lo, r1).cmp(toVnd(hi, r1))).toBeLessThanOrEqual(0);
        const amount = hi.abs();
        const [rlo, rhi] = r1.cmp(r2) <= 0 ? [r1, r2] : [r2, r1];
        expect(toVnd(amount, rlo).cmp(toVnd(amount, rhi))).toBeLessThanOrEqual(0);
      }),
    );
  });
});

describe("line, discount and VAT amounts", () => {
  it("computes a line as quantity × price − discount", () => {
    expect(lineAmount(d("3"), d("15000")).toString()).toBe("45000");
    expect(lineAmount(d("2.5"), d("1000.50"), d("100")).toString()).toBe("2401.250");
    expect(lineAmount(d("-2"), d("52000")).toString()).toBe("-104000");
  });

  it("computes a discount from a rate exactly", () => {
    expect(discountFromRate(d("1000000"), d("2.5")).eq(d("25000"))).toBe(true);
    expect(discountFromRate(d("333"), d("10")).toString()).toBe("33.30");
    fc.assert(
      fc.property(amountArb, fc.integer({ min: 0, max: 100 }), (gross, rate) => {
        const discount = discountFromRate(gross, Dec.from(rate));
        expect(discount.mul(Dec.HUNDRED).eq(gross.mul(Dec.from(rate)))).toBe(true);
      }),
    );
  });

  it("computes VAT rounded per currency", () => {
    expect(vatOf(d("1234567"), d("8"), "VND").toString()).toBe("98765");
    expect(vatOf(d("1234567"), d("10"), "VND").toString()).toBe("123457");
    expect(vatOf(d("-1234567"), d("10"), "VND").toString()).toBe("-123457");
    expect(vatOf(d("99.99"), d("8"), "USD").toString()).toBe("8.00");
    expect(vatOf(d("1000"), d("0"), "VND").toString()).toBe("0");
  });

  it("makes whole-đồng totals: net + VAT is whole and within half a đồng of net × (1 + rate)", () => {
    fc.assert(
      fc.property(wholeVndArb, vatRateArb, (net, rate) => {
        const vat = vatOf(net, rate, "VND");
        const total = net.add(vat);
        expect(vat.isInteger()).toBe(true);
        expect(total.isInteger()).toBe(true);
        const exact = net.mul(Dec.HUNDRED.add(rate)).div(Dec.HUNDRED, 6);
        expect(sameWithinTolerance(total, exact, d("0.5"))).toBe(true);
        expect(total.sub(vat).eq(net)).toBe(true);
      }),
    );
  });

  it("keeps the sum of per-line VAT within the rounding tolerance of the VAT of the sum", () => {
    fc.assert(
      fc.property(fc.array(wholeVndArb, { minLength: 1, maxLength: 30 }), vatRateArb, (lines, rate) => {
        const perLine = Dec.sum(lines.map((l) => vatOf(l, rate, "VND")));
        const onSum = vatOf(Dec.sum(lines), rate, "VND");
        expect(sameWithinTolerance(perLine, onSum, roundingTolerance(lines.length + 1, "VND"))).toBe(true);
      }),
    );
  });
});

describe("tolerant comparison", () => {
  it("compares within a tolerance, inclusive", () => {
    expect(sameWithinTolerance(d("100"), d("101"), d("1"))).toBe(true);
    expect(sameWithinTolerance(d("100"), d("101.01"), d("1"))).toBe(false);
    expect(sameWithinTolerance(d("-5"), d("-5.000"), Dec.ZERO)).toBe(true);
    expect(roundingTolerance(3, "VND").toString()).toBe("1.5");
    expect(roundingTolerance(2, "USD").toString()).toBe("0.010");
    expect(roundingTolerance(0, "VND").isZero()).toBe(true);
  });
});

describe("amount format", () => {
  it.each([
    ["999999999999999999999", []],
    ["1000000000000000000000", ["AMOUNT_TOO_MANY_DIGITS"]],
    ["123456789012345.123456", []],
    ["1234567890123456.123456", ["AMOUNT_TOO_MANY_DIGITS"]],
    ["1.1234567", ["AMOUNT_TOO_MANY_DECIMALS"]],
    ["123456789012345.1234567", ["AMOUNT_TOO_MANY_DIGITS", "AMOUNT_TOO_MANY_DECIMALS"]],
    ["-5245838", []],
    ["1.5000000000", []],
  ])("checks %s against 21,6", (text, codes) => {
    expect(checkAmountFormat(d(text))).toEqual(codes);
  });

  it("refuses negatives where the field does not allow them", () => {
    const format = { total: 7, decimals: 2, allowNegative: false };
    expect(checkAmountFormat(d("-1"), format)).toEqual(["AMOUNT_NEGATIVE_NOT_ALLOWED"]);
    expect(checkAmountFormat(d("-123456.789"), format)).toEqual([
      "AMOUNT_TOO_MANY_DIGITS",
      "AMOUNT_TOO_MANY_DECIMALS",
      "AMOUNT_NEGATIVE_NOT_ALLOWED",
    ]);
    expect(checkAmountFormat(d("25450.50"), format)).toEqual([]);
    expect(checkAmountFormat(d("-0.00"), format)).toEqual([]);
  });

  it("agrees with Dec.fitsFormat", () => {
    fc.assert(
      fc.property(amountArb, (a) => {
        const fits = checkAmountFormat(a).length === 0;
        expect(fits).toBe(a.fitsFormat(AMOUNT_FORMAT.total, AMOUNT_FORMAT.decimals));
      }),
    );
  });

  it("records problems with the value and the limits", () => {
    const problems = new Problems();
    addAmountFormatProblems(problems, "/HDon/DLHDon/NDHDon/TToan/TgTTTBSo", d("1.1234567"));
    expect(problems.list).toHaveLength(1);
    const [p] = problems.list;
    expect(p?.code).toBe("AMOUNT_TOO_MANY_DECIMALS");
    expect(p?.path).toBe("/HDon/DLHDon/NDHDon/TToan/TgTTTBSo");
    expect(p?.message).toContain("1.1234567");
    expect(p?.messageVi).toContain("6 chữ số thập phân");
    expect(Object.keys(moneyCodes)).toEqual([
      "AMOUNT_TOO_MANY_DIGITS",
      "AMOUNT_TOO_MANY_DECIMALS",
      "AMOUNT_NEGATIVE_NOT_ALLOWED",
    ]);
  });
});
