import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { Dec } from "./decimal.ts";
import { formatNumber, type NumberStyle, parseFormattedNumber } from "./numfmt.ts";

const d = Dec.parse;
const decArb = fc
  .record({
    units: fc.bigInt({ min: -(10n ** 24n), max: 10n ** 24n }),
    scale: fc.integer({ min: 0, max: 8 }),
  })
  .map(({ units, scale }) => Dec.of(units, scale));
const styleArb = fc.constantFrom<NumberStyle>("vi", "en");

describe("formatNumber", () => {
  it.each([
    ["1234567.89", "vi", {}, "1.234.567,89"],
    ["1234567.89", "en", {}, "1,234,567.89"],
    ["-1234", "vi", {}, "-1.234"],
    ["-1234", "en", {}, "-1,234"],
    ["0", "vi", {}, "0"],
    ["999", "vi", {}, "999"],
    ["1000", "vi", {}, "1.000"],
    ["123456", "en", {}, "123,456"],
    ["1000000000000000000000", "vi", {}, "1.000.000.000.000.000.000.000"],
    ["1.50", "vi", {}, "1,5"],
    ["1.5", "vi", { minDecimals: 2 }, "1,50"],
    ["1.5", "vi", { decimals: 2, minDecimals: 2 }, "1,50"],
    ["1234.5678", "vi", { decimals: 2 }, "1.234,57"],
    ["1234.5", "vi", { decimals: 0 }, "1.235"],
    ["-1234.5", "en", { decimals: 0 }, "-1,235"],
    ["-0.004", "vi", { decimals: 2 }, "0"],
    ["-0.004", "vi", { decimals: 2, minDecimals: 2 }, "0,00"],
    ["0.000001", "en", {}, "0.000001"],
    ["12.000", "en", { decimals: 3, minDecimals: 1 }, "12.0"],
  ] as const)("formats %s in %s style with %j as %s", (text, style, options, expected) => {
    expect(formatNumber(d(text), { style, ...options })).toBe(expected);
  });

  it("refuses contradictory or malformed options", () => {
    expect(() => formatNumber(Dec.ONE, { style: "vi", decimals: 1, minDecimals: 2 })).toThrow(RangeError);
    expect(() => formatNumber(Dec.ONE, { style: "vi", decimals: -1 })).toThrow(RangeError);
    expect(() => formatNumber(Dec.ONE, { style: "vi", minDecimals: 1.5 })).toThrow(RangeError);
  });

  it("groups the integer part by threes and nothing else", () => {
    fc.assert(
      fc.property(decArb, styleArb, (value, style) => {
        const text = formatNumber(value, { style });
        const [group, point] = style === "vi" ? [".", ","] : [",", "."];
        const [integer = "", fraction] = text.replace(/^-/, "").split(point);
        expect(
          integer.split(group).every((g, i) => (i === 0 ? g.length >= 1 && g.length <= 3 : g.length === 3)),
        ).toBe(true);
        expect(fraction === undefined || /^\d*[1-9]$/.test(fraction)).toBe(true);
      }),
    );
  });
});

describe("parseFormattedNumber", () => {
  it("reads back what formatNumber writes", () => {
    fc.assert(
      fc.property(decArb, styleArb, fc.integer({ min: 0, max: 10 }), (value, style, minDecimals) => {
        const parsed = parseFormattedNumber(formatNumber(value, { style, minDecimals }), style);
        expect(parsed?.eq(value)).toBe(true);
      }),
    );
  });

  it("reads back a rounded value when decimals are limited", () => {
    fc.assert(
      fc.property(decArb, styleArb, fc.integer({ min: 0, max: 6 }), (value, style, decimals) => {
        const parsed = parseFormattedNumber(formatNumber(value, { style, decimals }), style);
        expect(parsed?.eq(value.round(decimals))).toBe(true);
      }),
    );
  });

  it.each([
    ["1.234.567,89", "vi", "1234567.89"],
    ["1234567,89", "vi", "1234567.89"],
    ["  -1.234  ", "vi", "-1234"],
    ["+12", "vi", "12"],
    ["1.234", "vi", "1234"],
    ["1,234", "vi", "1.234"],
    ["1,234,567.89", "en", "1234567.89"],
    ["1,234", "en", "1234"],
    ["0.5", "en", "0.5"],
  ] as const)("reads %j in %s style as %s", (text, style, expected) => {
    expect(parseFormattedNumber(text, style)?.toString()).toBe(expected);
  });

  it.each([
    ["", "vi"],
    ["1.23.4", "vi"],
    ["12.34.567", "vi"],
    ["1.234,", "vi"],
    [",5", "vi"],
    ["1.234.567.89", "en"],
    ["1,234,567,89", "vi"],
    ["1 234", "vi"],
    ["1e3", "en"],
    ["--1", "en"],
    ["1,2345", "en"],
  ] as const)("refuses %j in %s style", (text, style) => {
    expect(parseFormattedNumber(text, style)).toBeUndefined();
  });
});
