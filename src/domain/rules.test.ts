import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { addDays } from "./dates.ts";
import {
  isSeriesLetterAllowedOn,
  isTemplateAllowedOn,
  isVatRateAllowedOn,
  RULE_TABLE,
  regimeById,
  regimeOn,
  ruleStretches,
  rulesOn,
} from "./rules.ts";

describe("regimes by date", () => {
  it("switches regime on the first day of each decree", () => {
    expect(regimeOn("2021-11-05").id).toBe("legacy");
    expect(regimeOn("2022-06-30").id).toBe("legacy");
    expect(regimeOn("2022-07-01").id).toBe("d123");
    expect(regimeOn("2025-05-31").id).toBe("d123");
    expect(regimeOn("2025-06-01").id).toBe("d70");
    expect(regimeOn("2026-06-30").id).toBe("d70");
    expect(regimeOn("2026-07-01").id).toBe("d254");
    expect(regimeOn("2099-12-31").id).toBe("d254");
    expect(regimeOn("1999-01-01").id).toBe("legacy");
  });

  it("marks the 2026 regime as known only from secondary sources", () => {
    expect(regimeById("d254").confidence).toBe("secondary");
    expect(regimeById("d70").confidence).toBe("primary");
  });

  it("throws on a malformed date: callers validate the date first", () => {
    expect(() => rulesOn("2025-02-30")).toThrow(RangeError);
    expect(() => rulesOn("")).toThrow(RangeError);
  });

  it("returns frozen rules, the same object across a stretch", () => {
    const a = rulesOn("2025-08-01");
    expect(Object.isFrozen(a)).toBe(true);
    expect(Object.isFrozen(a.regime.corrections)).toBe(true);
    expect(Object.isFrozen(a.seriesLetters)).toBe(true);
    expect(rulesOn("2025-09-15")).toBe(a);
    expect(() => (a.seriesLetters as string[]).push("Q")).toThrow();
    expect(Object.isFrozen(RULE_TABLE.regimes)).toBe(true);
  });

  it("covers the calendar with touching stretches whose rules match the table (property)", () => {
    const stretches = ruleStretches();
    expect(stretches[0]?.from).toBeUndefined();
    expect(stretches[stretches.length - 1]?.to).toBeUndefined();
    for (let i = 1; i < stretches.length; i++) {
      expect(stretches[i]?.from).toBe(addDays(stretches[i - 1]!.to!, 1));
    }
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 365 * 12 }), (n) => {
        const date = addDays("2019-01-01", n);
        const rules = rulesOn(date);
        const regime = RULE_TABLE.regimes.find(
          (r) => (r.from === undefined || date >= r.from) && (r.to === undefined || date <= r.to),
        );
        expect(rules.regime).toBe(regime);
        const inWindow = RULE_TABLE.reducedVatWindows.some((w) => date >= w.from && date <= w.to);
        expect(rules.vatPercentRates.includes("8")).toBe(inWindow);
        expect(rules.personalIdAsTaxCode).toBe(date >= "2025-07-01");
      }),
    );
  });
});

describe("template digits and series letters by date", () => {
  it("allows templates 1–6 under Circular 78 and 7–9 only from Circular 32", () => {
    expect(isTemplateAllowedOn("6", "2023-01-01")).toBe(true);
    expect(isTemplateAllowedOn("7", "2025-05-31")).toBe(false);
    expect(isTemplateAllowedOn("7", "2025-06-01")).toBe(true);
    expect(isTemplateAllowedOn("9", "2026-08-01")).toBe(true);
    expect(isTemplateAllowedOn("0", "2026-08-01")).toBe(false);
    expect(isTemplateAllowedOn("12", "2026-08-01")).toBe(false);
  });

  it("allows series letter X from 2025-06-01 and F from 2026-07-01", () => {
    expect(isSeriesLetterAllowedOn("T", "2022-07-01")).toBe(true);
    expect(isSeriesLetterAllowedOn("X", "2025-05-31")).toBe(false);
    expect(isSeriesLetterAllowedOn("X", "2025-06-01")).toBe(true);
    expect(isSeriesLetterAllowedOn("F", "2026-06-30")).toBe(false);
    expect(isSeriesLetterAllowedOn("F", "2026-07-01")).toBe(true);
    expect(isSeriesLetterAllowedOn("Q", "2026-07-01")).toBe(false);
  });

  it("accepts Decree 123 symbols before 2022-07-01 (early adopters, the GDT test invoice of 2021)", () => {
    expect(isTemplateAllowedOn("1", "2021-11-05")).toBe(true);
    expect(isSeriesLetterAllowedOn("T", "2021-11-05")).toBe(true);
  });
});

describe("corrections by date", () => {
  it("allows cancelling only before Decree 70", () => {
    expect(rulesOn("2024-03-01").corrections.cancel).toBe(true);
    expect(rulesOn("2025-06-01").corrections.cancel).toBe(false);
    expect(rulesOn("2026-07-01").corrections.cancel).toBe(false);
  });

  it("allows one invoice for many with list 01/BK-ĐCTT only from Decree 70", () => {
    expect(rulesOn("2025-05-31").corrections.manyInvoicesWithList).toBe(false);
    expect(rulesOn("2025-06-01").corrections.manyInvoicesWithList).toBe(true);
  });

  it("writes a decrease as negative from Circular 78, never under the older rules", () => {
    expect(rulesOn("2020-05-01").corrections.negativeDecrease).toBe(false);
    expect(rulesOn("2022-07-01").corrections.negativeDecrease).toBe(true);
    expect(rulesOn("2025-06-01").corrections.negativeDecrease).toBe(true);
  });

  it("lets cash-register invoices only be replaced from Decree 70", () => {
    expect(rulesOn("2024-01-01").corrections.cashRegister).toContain("adjust");
    expect(rulesOn("2025-06-01").corrections.cashRegister).toEqual(["replace"]);
  });

  it("notifies name/address errors without a new invoice from Decree 123", () => {
    expect(rulesOn("2021-01-01").corrections.nameAddressNotifyOnly).toBe(false);
    expect(rulesOn("2023-01-01").corrections.nameAddressNotifyOnly).toBe(true);
  });

  it("knows TCHDon 3/4 only under Decree 254", () => {
    expect(rulesOn("2025-12-01").relatedNatures).toEqual([1, 2]);
    expect(rulesOn("2026-07-01").relatedNatures).toEqual([1, 2, 3, 4]);
  });

  it("has summary tables from Decree 123 and the CTTC leasing symbol from Circular 32", () => {
    expect(rulesOn("2022-06-30").summaryTable).toBe(false);
    expect(rulesOn("2022-07-01").summaryTable).toBe(true);
    expect(rulesOn("2025-05-31").leasingRateSymbol).toBe(false);
    expect(rulesOn("2025-06-01").leasingRateSymbol).toBe(true);
  });

  it("writes format 2.1.0 from Decree 70 and 2.0.1 before", () => {
    expect(rulesOn("2024-01-01").formatVersions[0]).toBe("2.0.1");
    expect(rulesOn("2025-06-01").formatVersions[0]).toBe("2.1.0");
    expect(rulesOn("2026-07-01").formatVersions[0]).toBe("2.1.0");
  });
});

describe("reduced VAT rate windows", () => {
  it("holds the six windows of Decrees 15/2022, 44/2023, 94/2023, 72/2024, 180/2024 and 174/2025", () => {
    expect(RULE_TABLE.reducedVatWindows.map((w) => [w.from, w.to, w.basis.split(" ")[1]])).toEqual([
      ["2022-02-01", "2022-12-31", "15/2022/NĐ-CP"],
      ["2023-07-01", "2023-12-31", "44/2023/NĐ-CP"],
      ["2024-01-01", "2024-06-30", "94/2023/NĐ-CP"],
      ["2024-07-01", "2024-12-31", "72/2024/NĐ-CP"],
      ["2025-01-01", "2025-06-30", "180/2024/NĐ-CP"],
      ["2025-07-01", "2026-12-31", "174/2025/NĐ-CP"],
    ]);
  });

  it("allows 8% without a break from 2023-07-01 to 2026-12-31", () => {
    for (let d = "2023-07-01"; d <= "2026-12-31"; d = addDays(d, 1)) {
      if (!isVatRateAllowedOn("8", d)) throw new Error(`8% refused on ${d}`);
    }
  });

  it("allows 8% on the first and last day of each window", () => {
    for (const w of RULE_TABLE.reducedVatWindows) {
      expect(isVatRateAllowedOn("8", w.from), w.from).toBe(true);
      expect(isVatRateAllowedOn("8", w.to), w.to).toBe(true);
      expect(rulesOn(w.from).reducedVatWindow).toBe(w);
    }
  });

  it("refuses 8% before the first cut, in the 2023 gap and after the last window", () => {
    expect(isVatRateAllowedOn("8", "2022-01-31")).toBe(false);
    expect(isVatRateAllowedOn("8", "2023-01-01")).toBe(false);
    expect(isVatRateAllowedOn("8", "2023-06-30")).toBe(false);
    expect(isVatRateAllowedOn("8", "2027-01-01")).toBe(false);
    expect(rulesOn("2023-03-01").reducedVatWindow).toBeUndefined();
  });

  it("keeps 0%, 5% and 10% on every date", () => {
    for (const d of ["2021-01-01", "2022-12-23", "2023-03-01", "2025-06-23", "2027-06-01"]) {
      for (const r of ["0", "5", "10"]) expect(isVatRateAllowedOn(r, d)).toBe(true);
      expect(isVatRateAllowedOn("7", d)).toBe(false);
    }
  });

  it("accepts the 8% of every real fixture invoice on its date", () => {
    // test/fixtures/real: viettel-c22taa-3499 (2022-12-23), bkav-c25tac-* (2025-06-20, 2025-06-23),
    // gdt-portal-detail-c26tdl-572 (2026-03-28), gdt-portal-detail-k26tva-1078849 (2026-04-02).
    for (const d of ["2022-12-23", "2025-06-20", "2025-06-23", "2026-03-28", "2026-04-02"]) {
      expect(isVatRateAllowedOn("8", d), d).toBe(true);
    }
  });

  it("starts the personal ID as tax code on 2025-07-01", () => {
    expect(rulesOn("2025-06-30").personalIdAsTaxCode).toBe(false);
    expect(rulesOn("2025-07-01").personalIdAsTaxCode).toBe(true);
  });
});
