import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { Dec } from "./decimal.ts";
import {
  compareVatRates,
  formatVatRate,
  parseVatRate,
  rateFraction,
  type VatRate,
  validateVatRate,
} from "./vat.ts";

const P = "/HDon/DLHDon/NDHDon/DSHHDVu/HHDVu[1]/TSuat";

function codes(code: string, date: string): string[] {
  return validateVatRate(code, date, P).map((p) => p.code);
}

function parsed(code: string): VatRate {
  const r = parseVatRate(code);
  if (!r) throw new Error(`not a rate: ${code}`);
  return r;
}

describe("parsing TSuat codes", () => {
  it("reads the percentages, KCT, KKKNT and CTTC", () => {
    expect(parsed("10%")).toMatchObject({ kind: "percent", code: "10%" });
    const ten = parsed("10%");
    expect(ten.kind === "percent" && ten.rate.eq(Dec.parse("10"))).toBe(true);
    expect(parsed("0%")).toMatchObject({ kind: "percent" });
    expect(parsed("5%")).toMatchObject({ kind: "percent" });
    expect(parsed("8%")).toMatchObject({ kind: "percent" });
    expect(parsed("KCT")).toEqual({ kind: "exempt", code: "KCT" });
    expect(parsed("KKKNT")).toEqual({ kind: "not-declared", code: "KKKNT" });
    expect(parsed("CTTC")).toEqual({ kind: "leasing", code: "CTTC" });
  });

  it("reads KHAC with and without % and a bare KHAC", () => {
    const a = parsed("KHAC:5.26%");
    const b = parsed("KHAC:5.26");
    expect(a.kind).toBe("other");
    expect(a.kind === "other" && a.rate?.eq(Dec.parse("5.26"))).toBe(true);
    expect(formatVatRate(a)).toBe("KHAC:5.26%");
    expect(formatVatRate(b)).toBe("KHAC:5.26%");
    expect(formatVatRate(parsed("KHAC:05.50%"))).toBe("KHAC:5.5%");
    expect(parsed("KHAC")).toEqual({ kind: "other", rate: undefined, code: "KHAC" });
  });

  it("refuses anything else", () => {
    for (const c of [
      "",
      "10",
      "10 %",
      "7%",
      "08%",
      "10.0%",
      "-10%",
      "kct",
      "KCT ",
      "KHAC:",
      "KHAC:123%",
      "KHAC:5.261%",
      "KHAC5%",
      "0.1",
    ]) {
      expect(parseVatRate(c), c).toBeUndefined();
    }
  });
});

describe("validating TSuat on a date", () => {
  it("refuses a code outside the list with VAT_RATE_FORMAT", () => {
    const [p] = validateVatRate("7%", "2024-01-01", P);
    expect(p?.code).toBe("VAT_RATE_FORMAT");
    expect(p?.path).toBe(P);
    expect(p?.params).toEqual({ value: "7%" });
  });

  it("accepts 8% inside a reduced window and refuses it outside", () => {
    expect(codes("8%", "2022-12-23")).toEqual([]);
    expect(codes("8%", "2026-12-31")).toEqual([]);
    expect(codes("8%", "2023-03-15")).toEqual(["VAT_RATE_REDUCED_OUTSIDE_WINDOW"]);
    expect(codes("8%", "2022-01-31")).toEqual(["VAT_RATE_REDUCED_OUTSIDE_WINDOW"]);
    expect(codes("8%", "2027-01-01")).toEqual(["VAT_RATE_REDUCED_OUTSIDE_WINDOW"]);
  });

  it("accepts 10%, 5%, 0%, KCT, KKKNT and a valued KHAC on any date", () => {
    for (const c of ["10%", "5%", "0%", "KCT", "KKKNT", "KHAC:5.26%"]) {
      expect(codes(c, "2023-03-15"), c).toEqual([]);
    }
  });

  it("accepts CTTC from Circular 32 and refuses it before", () => {
    expect(codes("CTTC", "2025-06-01")).toEqual([]);
    expect(codes("CTTC", "2025-05-31")).toEqual(["VAT_RATE_LEASING_NOT_IN_FORCE"]);
  });

  it("warns on a KHAC without value", () => {
    const [p] = validateVatRate("KHAC", "2024-01-01", P);
    expect(p?.code).toBe("VAT_RATE_OTHER_WITHOUT_VALUE");
    expect(p?.severity).toBe("warning");
  });

  it("skips the dated checks when the date is malformed (the date has its own rule)", () => {
    expect(codes("8%", "2023-02-30")).toEqual([]);
    expect(codes("9%", "2023-02-30")).toEqual(["VAT_RATE_FORMAT"]);
  });
});

describe("rate fractions", () => {
  it("turns percentages into exact fractions", () => {
    expect(rateFraction(parsed("10%"))?.toString()).toBe("0.10");
    expect(rateFraction(parsed("8%"))?.eq(Dec.parse("0.08"))).toBe(true);
    expect(rateFraction(parsed("0%"))?.isZero()).toBe(true);
    expect(rateFraction(parsed("KHAC:5.26%"))?.eq(Dec.parse("0.0526"))).toBe(true);
  });

  it("gives zero for KCT and KKKNT and nothing for CTTC or a bare KHAC", () => {
    expect(rateFraction(parsed("KCT"))?.isZero()).toBe(true);
    expect(rateFraction(parsed("KKKNT"))?.isZero()).toBe(true);
    expect(rateFraction(parsed("CTTC"))).toBeUndefined();
    expect(rateFraction(parsed("KHAC"))).toBeUndefined();
  });

  it("computes VAT exactly: amount × fraction equals amount × rate / 100 (property)", () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: -(10n ** 15n), max: 10n ** 15n }),
        fc.integer({ min: 0, max: 9999 }),
        (units, hundredths) => {
          const amount = Dec.of(units, 0);
          const text = `KHAC:${Math.floor(hundredths / 100)}.${String(hundredths % 100).padStart(2, "0")}%`;
          const rate = parsed(text);
          const vat = amount.mul(rateFraction(rate)!);
          expect(vat.eq(Dec.of(units * BigInt(hundredths), 4))).toBe(true);
        },
      ),
    );
  });
});

describe("ordering per-rate groups", () => {
  it("orders percentages rising, then KHAC, KCT, KKKNT, CTTC", () => {
    const input = ["KKKNT", "CTTC", "10%", "KHAC", "KCT", "KHAC:5.26%", "0%", "8%", "5%", "KHAC:1%"];
    const sorted = input.map(parsed).sort(compareVatRates).map(formatVatRate);
    expect(sorted).toEqual([
      "0%",
      "5%",
      "8%",
      "10%",
      "KHAC:1%",
      "KHAC:5.26%",
      "KHAC",
      "KCT",
      "KKKNT",
      "CTTC",
    ]);
  });

  it("treats equal rates as equal", () => {
    expect(compareVatRates(parsed("KHAC:5.26"), parsed("KHAC:5.26%"))).toBe(0);
    expect(compareVatRates(parsed("KCT"), parsed("KCT"))).toBe(0);
  });
});
