import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { Dec } from "../domain/decimal.ts";
import {
  columnIndex,
  columnName,
  dateToSerial,
  decodeDate,
  decodeDecimal,
  encodeDecimal,
  parseXmlNumber,
  roundSignificant,
  serialToDate,
} from "./cells.ts";

const d = Dec.parse;
const num = (raw: string) => ({ kind: "number", raw }) as const;
const text = (raw: string) => ({ kind: "text", raw }) as const;

/** Any amount the format allows: up to 21 digits, of which up to 6 decimals, either sign. */
const amount = fc
  .tuple(fc.integer({ min: 0, max: 6 }), fc.bigInt({ min: 0n, max: 10n ** 21n - 1n }), fc.boolean())
  .map(([scale, units, neg]) => Dec.of(neg ? -units : units, scale).normalize());

describe("money cell codec", () => {
  it("reads back every amount it writes, exactly", () => {
    fc.assert(
      fc.property(amount, (v) => {
        const back = decodeDecimal(encodeDecimal(v));
        expect(back?.toString()).toBe(v.toString());
      }),
      { numRuns: 2000 },
    );
  });

  it("reads a value of up to 15 significant digits exactly after Excel stored it as a double", () => {
    const excelable = amount.filter((v) => v.normalize().units.toString().replace("-", "").length <= 15);
    fc.assert(
      fc.property(excelable, (v) => {
        const double = Number(v.toPlain());
        // Excel writes the double with up to 17 significant digits; JS writes its shortest form.
        for (const raw of [String(double), double.toPrecision(17)]) {
          expect(decodeDecimal(num(raw))?.toString()).toBe(v.toString());
        }
      }),
      { numRuns: 2000 },
    );
  });

  it("writes numbers beyond Excel's 15 digits as text so that Excel cannot round them", () => {
    expect(encodeDecimal(d("123456789012345678901"))).toEqual(text("123456789012345678901"));
    expect(encodeDecimal(d("0.000001"))).toEqual(num("0.000001"));
    expect(encodeDecimal(d("125000.50"))).toEqual(num("125000.5"));
  });

  it("removes the float noise of a numeric cell such as 0.1 + 0.2", () => {
    expect(decodeDecimal(num(String(0.1 + 0.2)))?.toString()).toBe("0.3");
    expect(decodeDecimal(num("1.0000000000000001E-7"))?.toString()).toBe("0.0000001");
    expect(decodeDecimal(num("-2.4999999999999998"))?.toString()).toBe("-2.5");
  });

  it("reads text cells digit by digit, allowing spaces between digit groups", () => {
    expect(decodeDecimal(text("123456789012345678901"))?.toString()).toBe("123456789012345678901");
    expect(decodeDecimal(text(" 1 250 000.75 "))?.toString()).toBe("1250000.75");
    expect(decodeDecimal(text("1,250,000"))).toBeUndefined();
    expect(decodeDecimal(text("12abc"))).toBeUndefined();
  });

  it("parses exponent notation of numeric XML values exactly", () => {
    expect(parseXmlNumber("1.5E+3")?.toString()).toBe("1500");
    expect(parseXmlNumber("12E-3")?.toString()).toBe("0.012");
    expect(parseXmlNumber("abc")).toBeUndefined();
    expect(roundSignificant(d("123456789012345678"), 15).toString()).toBe("123456789012346000");
  });
});

describe("date cells", () => {
  it("reads date serials, ISO text and day-first Vietnamese text", () => {
    expect(decodeDate(num(String(dateToSerial("2025-07-15"))))).toBe("2025-07-15");
    expect(decodeDate(num("45853.75"))).toBe(serialToDate(45853));
    expect(decodeDate(text("2025-07-15"))).toBe("2025-07-15");
    expect(decodeDate(text("5/7/2025"))).toBe("2025-07-05");
    expect(decodeDate(text("31/02/2025"))).toBeUndefined();
    expect(decodeDate(text("hôm nay"))).toBeUndefined();
  });
});

describe("cell references", () => {
  it("converts column letters both ways", () => {
    for (const [i, n] of [
      [0, "A"],
      [25, "Z"],
      [26, "AA"],
      [701, "ZZ"],
      [702, "AAA"],
    ] as const) {
      expect(columnName(i)).toBe(n);
      expect(columnIndex(`${n}12`)).toBe(i);
    }
  });
});
