import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { Dec, type Rounding } from "./decimal.ts";

// A Dec is compared with an independent model: the exact rational units / 10^scale as a bigint pair.
type Rat = readonly [num: bigint, den: bigint];
const rat = (d: Dec): Rat => [d.units, 10n ** BigInt(d.scale)];
const sameValue = (a: Rat, b: Rat): boolean => a[0] * b[1] === b[0] * a[1];

const decArb = fc
  .record({
    units: fc.bigInt({ min: -(10n ** 27n), max: 10n ** 27n }),
    scale: fc.integer({ min: 0, max: 9 }),
  })
  .map(({ units, scale }) => Dec.of(units, scale));
const nonZeroDecArb = decArb.filter((d) => !d.isZero());
const roundingArb = fc.constantFrom<Rounding>("half-up", "half-even", "down", "up");

/** Reference rounding of num/den (den > 0) to an integer, written from the definitions of each mode. */
function roundRational(num: bigint, den: bigint, mode: Rounding): bigint {
  const sign = num < 0n ? -1n : 1n;
  const abs = num < 0n ? -num : num;
  const floor = abs / den;
  const rem = abs - floor * den;
  let r: bigint;
  switch (mode) {
    case "down":
      r = floor;
      break;
    case "up":
      r = rem === 0n ? floor : floor + 1n;
      break;
    case "half-up":
      r = (2n * abs + den) / (2n * den);
      break;
    case "half-even":
      r = 2n * rem > den || (2n * rem === den && floor % 2n === 1n) ? floor + 1n : floor;
      break;
  }
  return sign * r;
}

describe("Dec parsing and printing", () => {
  it("prints what it parses, keeping the scale", () => {
    fc.assert(
      fc.property(decArb, (d) => {
        const back = Dec.parse(d.toString());
        expect(back.units).toBe(d.units);
        expect(back.scale).toBe(d.scale);
      }),
    );
  });

  it("reads any plain decimal text to its canonical form", () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[+-]?\d{1,25}(\.\d{1,8})?$/), (text) => {
        const d = Dec.parse(text);
        const [, sign = "", int = "", frac] = /^([+-]?)(\d+)(?:\.(\d+))?$/.exec(text)!;
        const zero = /^[0.]+$/.test(`${int}${frac ?? ""}`);
        const canonical = `${sign === "-" && !zero ? "-" : ""}${int.replace(/^0+(?=\d)/, "")}${frac ? `.${frac}` : ""}`;
        expect(d.toString()).toBe(canonical);
      }),
    );
  });

  it.each(["", " 1", "1 ", ".5", "5.", "1e5", "1,5", "--1", "+-1", "0x10", "Infinity", "NaN", "١٢", "1_000"])(
    "refuses %j",
    (text) => {
      expect(Dec.tryParse(text)).toBeUndefined();
      expect(() => Dec.parse(text)).toThrow(RangeError);
    },
  );

  it("prints zero without a sign whatever the input sign", () => {
    expect(Dec.parse("-0").toString()).toBe("0");
    expect(Dec.parse("-0.00").toString()).toBe("0.00");
    expect(Dec.parse("-0.00").toPlain()).toBe("0");
  });

  it("keeps or drops trailing zeros on request", () => {
    expect(Dec.parse("1.50").toString()).toBe("1.50");
    expect(Dec.parse("1.50").toPlain()).toBe("1.5");
    expect(Dec.parse("2.000").toPlain()).toBe("2");
    expect(JSON.stringify({ a: Dec.parse("-0.010") })).toBe('{"a":"-0.01"}');
  });

  it("takes numbers only when they are safe integers", () => {
    expect(Dec.from(12).toString()).toBe("12");
    expect(Dec.from(-0).toString()).toBe("0");
    expect(Dec.from(10n ** 30n).toString()).toBe(`1${"0".repeat(30)}`);
    expect(Dec.from("7.25").toString()).toBe("7.25");
    expect(() => Dec.from(1.5)).toThrow(RangeError);
    expect(() => Dec.from(2 ** 53)).toThrow(RangeError);
    expect(() => Dec.of(1n, -1)).toThrow(RangeError);
    expect(() => Dec.of(1n, 0.5)).toThrow(RangeError);
  });
});

describe("Dec arithmetic", () => {
  it("adds, subtracts and multiplies exactly", () => {
    fc.assert(
      fc.property(decArb, decArb, (a, b) => {
        const [an, ad] = rat(a);
        const [bn, bd] = rat(b);
        expect(sameValue(rat(a.add(b)), [an * bd + bn * ad, ad * bd])).toBe(true);
        expect(sameValue(rat(a.sub(b)), [an * bd - bn * ad, ad * bd])).toBe(true);
        expect(sameValue(rat(a.mul(b)), [an * bn, ad * bd])).toBe(true);
        expect(a.add(b).scale).toBe(Math.max(a.scale, b.scale));
      }),
    );
  });

  it("is commutative, associative and distributive", () => {
    fc.assert(
      fc.property(decArb, decArb, decArb, (a, b, c) => {
        expect(a.add(b).eq(b.add(a))).toBe(true);
        expect(a.mul(b).eq(b.mul(a))).toBe(true);
        expect(
          a
            .add(b)
            .add(c)
            .eq(a.add(b.add(c))),
        ).toBe(true);
        expect(
          a
            .mul(b)
            .mul(c)
            .eq(a.mul(b.mul(c))),
        ).toBe(true);
        expect(a.mul(b.add(c)).eq(a.mul(b).add(a.mul(c)))).toBe(true);
        expect(a.sub(b).add(b).eq(a)).toBe(true);
        expect(a.add(a.neg()).isZero()).toBe(true);
      }),
    );
  });

  it("sums a list like repeated addition", () => {
    fc.assert(
      fc.property(fc.array(decArb, { maxLength: 20 }), (list) => {
        const expected = list.reduce((acc, d) => acc.add(d), Dec.ZERO);
        expect(Dec.sum(list).eq(expected)).toBe(true);
      }),
    );
    expect(Dec.sum([]).isZero()).toBe(true);
  });

  it("divides to the requested scale with the requested rounding", () => {
    fc.assert(
      fc.property(decArb, nonZeroDecArb, fc.integer({ min: 0, max: 8 }), roundingArb, (a, b, scale, mode) => {
        const q = a.div(b, scale, mode);
        expect(q.scale).toBe(scale);
        let num = a.units * 10n ** BigInt(b.scale + scale);
        let den = b.units * 10n ** BigInt(a.scale);
        if (den < 0n) {
          num = -num;
          den = -den;
        }
        expect(q.units).toBe(roundRational(num, den, mode));
      }),
    );
  });

  it("divides the usual invoice cases", () => {
    expect(Dec.parse("10").div(Dec.parse("3"), 2).toString()).toBe("3.33");
    expect(Dec.parse("20").div(Dec.parse("3"), 2).toString()).toBe("6.67");
    expect(Dec.parse("-20").div(Dec.parse("3"), 0).toString()).toBe("-7");
    expect(Dec.parse("1").div(Dec.parse("-8"), 2, "half-even").toString()).toBe("-0.12");
    expect(Dec.parse("1").div(Dec.parse("0.08"), 0).toString()).toBe("13");
    expect(() => Dec.ONE.div(Dec.parse("0.000"), 2)).toThrow(RangeError);
  });
});

describe("Dec rounding", () => {
  it("rounds like the reference for every mode", () => {
    fc.assert(
      fc.property(decArb, fc.integer({ min: 0, max: 9 }), roundingArb, (d, scale, mode) => {
        const r = d.round(scale, mode);
        if (scale >= d.scale) {
          expect(r).toBe(d);
          return;
        }
        expect(r.scale).toBe(scale);
        expect(r.units).toBe(roundRational(d.units, 10n ** BigInt(d.scale - scale), mode));
      }),
    );
  });

  it("moves a value by at most half a unit in the half modes, less than a unit otherwise", () => {
    fc.assert(
      fc.property(decArb, fc.integer({ min: 0, max: 6 }), roundingArb, (d, scale, mode) => {
        const diff = d.round(scale, mode).sub(d).abs();
        const unit = Dec.of(1n, scale);
        if (mode === "half-up" || mode === "half-even")
          expect(diff.mul(Dec.from(2)).cmp(unit)).toBeLessThanOrEqual(0);
        else expect(diff.lt(unit)).toBe(true);
      }),
    );
  });

  it("keeps order and is symmetric around zero", () => {
    fc.assert(
      fc.property(decArb, decArb, fc.integer({ min: 0, max: 6 }), roundingArb, (a, b, scale, mode) => {
        const [lo, hi] = a.cmp(b) <= 0 ? [a, b] : [b, a];
        expect(lo.round(scale, mode).cmp(hi.round(scale, mode))).toBeLessThanOrEqual(0);
        expect(a.neg().round(scale, mode).eq(a.round(scale, mode).neg())).toBe(true);
      }),
    );
  });

  it.each([
    ["1.5", 0, "half-up", "2"],
    ["2.5", 0, "half-up", "3"],
    ["-2.5", 0, "half-up", "-3"],
    ["2.5", 0, "half-even", "2"],
    ["3.5", 0, "half-even", "4"],
    ["-2.5", 0, "half-even", "-2"],
    ["2.51", 0, "half-even", "3"],
    ["1.9", 0, "down", "1"],
    ["-1.9", 0, "down", "-1"],
    ["1.1", 0, "up", "2"],
    ["-1.1", 0, "up", "-2"],
    ["1.0", 0, "up", "1"],
    ["0.049", 1, "half-up", "0.0"],
    ["0.05", 1, "half-up", "0.1"],
    ["1234.5", 0, "half-up", "1235"],
    ["-0.4", 0, "half-up", "0"],
  ] as const)("rounds %s to %i decimals %s as %s", (text, scale, mode, expected) => {
    expect(Dec.parse(text).round(scale, mode).toString()).toBe(expected);
  });

  it("never adds precision when rounding, and pads with toFixed", () => {
    expect(Dec.parse("1.5").round(3).toString()).toBe("1.5");
    expect(Dec.parse("1.5").toFixed(3)).toBe("1.500");
    expect(Dec.parse("1.2345").toFixed(2)).toBe("1.23");
    expect(Dec.parse("1.235").toFixed(2)).toBe("1.24");
    expect(Dec.parse("-0.005").toFixed(2)).toBe("-0.01");
    expect(Dec.parse("-0.004").toFixed(2)).toBe("0.00");
    expect(Dec.parse("7").toFixed(0)).toBe("7");
  });

  it("refuses a negative or fractional target scale", () => {
    expect(() => Dec.ONE.round(-1)).toThrow(RangeError);
    expect(() => Dec.ONE.div(Dec.ONE, -1)).toThrow(RangeError);
    expect(() => Dec.ONE.toFixed(1.5)).toThrow(RangeError);
  });
});

describe("Dec comparison and shape", () => {
  it("compares like the reference, whatever the scales", () => {
    fc.assert(
      fc.property(decArb, decArb, (a, b) => {
        const [an, ad] = rat(a);
        const [bn, bd] = rat(b);
        const l = an * bd;
        const r = bn * ad;
        expect(a.cmp(b)).toBe(l < r ? -1 : l > r ? 1 : 0);
        expect(b.cmp(a) + a.cmp(b)).toBe(0);
        expect(a.eq(b)).toBe(l === r);
        expect(a.lt(b)).toBe(l < r);
        expect(a.gt(b)).toBe(l > r);
      }),
    );
    expect(Dec.parse("1.50").eq(Dec.parse("1.5"))).toBe(true);
    expect(Dec.parse("-0.1").lt(Dec.ZERO)).toBe(true);
  });

  it("normalizes to the same value with no trailing zero", () => {
    fc.assert(
      fc.property(decArb, (d) => {
        const n = d.normalize();
        expect(n.eq(d)).toBe(true);
        if (n.scale > 0) expect(n.units % 10n).not.toBe(0n);
        expect(n.normalize()).toBe(n);
      }),
    );
    expect(Dec.parse("100").normalize().toString()).toBe("100");
    expect(Dec.parse("0.000").normalize().toString()).toBe("0");
  });

  it("splits into sign, integer and fraction digits", () => {
    expect(Dec.parse("-12.050").parts()).toEqual({ negative: true, integer: 12n, fraction: "050" });
    expect(Dec.parse("0.007").parts()).toEqual({ negative: false, integer: 0n, fraction: "007" });
    expect(Dec.parse("-12.050").digits()).toEqual({ integer: 2, fraction: 2 });
    expect(Dec.parse("0.5").digits()).toEqual({ integer: 1, fraction: 1 });
    expect(Dec.parse("3.000").isInteger()).toBe(true);
    expect(Dec.parse("3.001").isInteger()).toBe(false);
    expect(Dec.parse("-3").abs().toString()).toBe("3");
  });

  it.each([
    ["999999999999999999999", true],
    ["-999999999999999999999", true],
    ["1000000000000000000000", false],
    ["123456789012345.123456", true],
    ["1234567890123456.123456", false],
    ["123456789012345.1234567", false],
    ["0.000001", true],
    ["0.0000001", false],
    ["1.500000000000", true],
    ["0", true],
  ] as const)("fitsFormat(21, 6) of %s is %s", (text, fits) => {
    expect(Dec.parse(text).fitsFormat(21, 6)).toBe(fits);
    expect(Dec.parse(text).fitsFormat()).toBe(fits);
  });

  it("checks smaller field sizes such as the exchange rate's 7,2", () => {
    expect(Dec.parse("25000.50").fitsFormat(7, 2)).toBe(true);
    expect(Dec.parse("250000.55").fitsFormat(7, 2)).toBe(false);
    expect(Dec.parse("250000.50").fitsFormat(7, 2)).toBe(true); // 250000.5: the trailing zero is not counted
    expect(Dec.parse("25000.505").fitsFormat(7, 2)).toBe(false);
  });
});
