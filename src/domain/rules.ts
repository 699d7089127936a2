/**
 * What holds on which date: the one table of dated e-invoice rules.
 *
 * Every check that depends on the law takes the invoice's date and asks `rulesOn(date)`. The table below is
 * data, not code: to follow a new decree, add or edit a row (a regime, a reduced-VAT window) and the lookup
 * picks it up. Each row names its legal basis and how sure we are of it, with the marks of
 * `reference/vn-einvoice-spec.md`: primary (official text read), impl (implementations that transcribe the
 * official tables), secondary (third-party notes), bg (background knowledge, not found in a source).
 *
 * Dates are inclusive and in Vietnam time (`YYYY-MM-DD`, see `dates.ts`).
 */
import { addDays, isDate } from "./dates.ts";
import type { FormatVersion, TemplateDigit } from "./invoice.ts";

export type Confidence = "primary" | "impl" | "secondary" | "bg";

export type RegimeId = "legacy" | "d123" | "d70" | "d254";

/** Ways to correct an issued invoice, and the limits on them. */
export interface CorrectionRules {
  /** Cancelling (hủy) a wrong invoice with 04/SS and issuing a new one. Removed by Decree 70. */
  readonly cancel: boolean;
  /** Adjusting invoice (hóa đơn điều chỉnh). */
  readonly adjust: boolean;
  /** Replacement invoice (hóa đơn thay thế). */
  readonly replace: boolean;
  /** A wrong buyer name/address (right tax code, nothing else wrong) is only notified (04/SS), never reissued. */
  readonly nameAddressNotifyOnly: boolean;
  /** One adjusting/replacing invoice for many wrong invoices of one buyer in one month, with list 01/BK-ĐCTT. */
  readonly manyInvoicesWithList: boolean;
  /** The only ways open for cash-register invoices. */
  readonly cashRegister: readonly ("adjust" | "replace")[];
  /** An adjustment that decreases a value is written with negative amounts (an increase stays positive). */
  readonly negativeDecrease: boolean;
}

/** One legal regime for e-invoices, with the dates it covers. */
export interface Regime {
  readonly id: RegimeId;
  /** First day in force; undefined = since the beginning of time (for old invoices read today). */
  readonly from: string | undefined;
  /** Last day in force; undefined = still in force. */
  readonly to: string | undefined;
  readonly name: { readonly vi: string; readonly en: string };
  /** Decrees and circulars that make the regime. */
  readonly basis: readonly string[];
  readonly confidence: Confidence;
  /** Template digits (KHMSHDon) that exist. */
  readonly templates: readonly TemplateDigit[];
  /** Type letters allowed in position 4 of the series (KHHDon). */
  readonly seriesLetters: readonly string[];
  readonly corrections: CorrectionRules;
  /** Natures of a related invoice (TTHDLQuan/TCHDon): 1 replace, 2 adjust, 3/4 the same for many with a list. */
  readonly relatedNatures: readonly (1 | 2 | 3 | 4)[];
  /** Whether sellers may send no-code invoice data as a summary table (01/TH-HĐĐT, message 400). */
  readonly summaryTable: boolean;
  /** Format versions (PBan) an invoice dated in the regime may carry; the first is the one to write. */
  readonly formatVersions: readonly FormatVersion[];
  /** Financial-leasing invoices show "CTTC" as their VAT rate (TT 32/2025 Art 6). */
  readonly leasingRateSymbol: boolean;
  /** Why the row says what it says, where a reader might doubt it. */
  readonly notes: readonly string[];
}

/** A period in which the reduced VAT rate of 8% (a 2-point cut of the 10% rate) applies. */
export interface ReducedVatWindow {
  readonly from: string;
  readonly to: string;
  readonly rate: "8";
  readonly basis: string;
  readonly confidence: Confidence;
}

const TEMPLATES_TT78: readonly TemplateDigit[] = ["1", "2", "3", "4", "5", "6"];
const TEMPLATES_TT32: readonly TemplateDigit[] = ["1", "2", "3", "4", "5", "6", "7", "8", "9"];
const LETTERS_TT78 = ["T", "D", "L", "M", "N", "B", "G", "H"];

/** The shape of the table. */
export interface RuleTable {
  /** In date order, touching without gaps; the first has no start, the last no end. */
  readonly regimes: readonly Regime[];
  /** In date order, not overlapping. */
  readonly reducedVatWindows: readonly ReducedVatWindow[];
  /** First day on which a 12-digit personal ID stands as the tax code of individuals and households. */
  readonly personalIdAsTaxCodeFrom: string;
}

/** THE table (checked for order and gaps when this module loads, then frozen). */
export const RULE_TABLE: RuleTable = {
  regimes: [
    {
      id: "legacy",
      from: undefined,
      to: "2022-06-30",
      name: {
        vi: "Trước Nghị định 123 (Nghị định 51/04, Thông tư 32/2011, 39/2014; Nghị định 119, Thông tư 68)",
        en: "Before Decree 123 (Decree 51/04 with Circulars 32/2011 and 39/2014; Decree 119 with Circular 68)",
      },
      basis: [
        "Decree 51/2010/NĐ-CP",
        "Decree 04/2014/NĐ-CP",
        "Circular 39/2014/TT-BTC",
        "Decree 119/2018/NĐ-CP",
      ],
      confidence: "bg",
      templates: TEMPLATES_TT78,
      seriesLetters: LETTERS_TT78,
      corrections: {
        cancel: true,
        adjust: true,
        replace: true,
        nameAddressNotifyOnly: false,
        manyInvoicesWithList: false,
        cashRegister: ["adjust", "replace"],
        negativeDecrease: false,
      },
      relatedNatures: [1, 2],
      summaryTable: false,
      formatVersions: ["2.0.0"],
      leasingRateSymbol: false,
      notes: [
        "Only for reading old invoices: hddt never issues an invoice dated before 2022-07-01.",
        "Decree 123 let taxpayers adopt its invoices before 2022-07-01 (GDT pilots from late 2021; the real " +
          "GDT test invoice C21TCT of 2021-11-05 is one), so the new one-digit templates and six-character " +
          "series are accepted here as well; the older 11-character templates (01GTKT0/001) are read by " +
          "`isLegacyTemplate` in codes.ts [bg].",
        "Adjustments never negative: Circular 39/2014 Art 20.3.b forbade negative numbers on an adjusting " +
          "invoice [bg]. Early Decree 123 adopters followed Circular 78 instead (negative decrease); that case " +
          "is not told apart here.",
      ],
    },
    {
      id: "d123",
      from: "2022-07-01",
      to: "2025-05-31",
      name: { vi: "Nghị định 123/2020 và Thông tư 78/2021", en: "Decree 123/2020 and Circular 78/2021" },
      basis: ["Decree 123/2020/NĐ-CP", "Circular 78/2021/TT-BTC", "QĐ 1450/QĐ-TCT", "QĐ 1510/QĐ-TCT"],
      confidence: "primary",
      templates: TEMPLATES_TT78,
      seriesLetters: LETTERS_TT78,
      corrections: {
        cancel: true,
        adjust: true,
        replace: true,
        nameAddressNotifyOnly: true,
        manyInvoicesWithList: false,
        cashRegister: ["adjust", "replace"],
        negativeDecrease: true,
      },
      relatedNatures: [1, 2],
      summaryTable: true,
      formatVersions: ["2.0.1", "2.0.0", "2.1.0"],
      leasingRateSymbol: false,
      notes: [
        "Cancel: a coded invoice not yet sent to the buyer could be cancelled with 04/SS and issued anew " +
          "(Decree 123 Art 19.1) [bg]; Decree 70 removed the path.",
        "Name/address errors: notify the buyer and the CQT (04/SS), no new invoice (Decree 123 Art 19.2.a) [bg].",
        "Negative decrease: Circular 78 Art 7.1.b, 'điều chỉnh tăng (ghi dấu dương), điều chỉnh giảm (ghi dấu " +
          "âm)' [secondary: provider guide quoting it].",
        "Format 2.1.0 (QĐ 1271, effective on signing 2025-05-30) may already appear on the last two days.",
      ],
    },
    {
      id: "d70",
      from: "2025-06-01",
      to: "2026-06-30",
      name: {
        vi: "Nghị định 123/2020 sửa đổi bởi Nghị định 70/2025, Thông tư 32/2025",
        en: "Decree 123/2020 as amended by Decree 70/2025, and Circular 32/2025",
      },
      basis: ["Decree 70/2025/NĐ-CP", "Circular 32/2025/TT-BTC", "QĐ 1271/QĐ-CT"],
      confidence: "primary",
      templates: TEMPLATES_TT32,
      seriesLetters: [...LETTERS_TT78, "X"],
      corrections: {
        cancel: false,
        adjust: true,
        replace: true,
        nameAddressNotifyOnly: true,
        manyInvoicesWithList: true,
        cashRegister: ["replace"],
        negativeDecrease: true,
      },
      relatedNatures: [1, 2],
      summaryTable: true,
      formatVersions: ["2.1.0"],
      leasingRateSymbol: true,
      notes: [
        "Templates 7–9 and series letter X: Circular 32/2025 Art 5 [primary].",
        "Corrections: Decree 123 Art 19 as amended by Decree 70 Art 1.13 [secondary: legal Q&A quoting it]; " +
          "cash-register invoices only replaced [secondary].",
        "The list 01/BK-ĐCTT is referenced from TTHDLQuan (SBKCLQuan/NBKCLQuan) with TCHDon 1 or 2 in format 2.1.0.",
      ],
    },
    {
      id: "d254",
      from: "2026-07-01",
      to: undefined,
      name: { vi: "Nghị định 254/2026 và Thông tư 91/2026", en: "Decree 254/2026 and Circular 91/2026" },
      basis: ["Decree 254/2026/NĐ-CP", "Circular 91/2026/TT-BTC"],
      confidence: "secondary",
      templates: TEMPLATES_TT32,
      seriesLetters: [...LETTERS_TT78, "X", "F"],
      corrections: {
        cancel: false,
        adjust: true,
        replace: true,
        nameAddressNotifyOnly: true,
        manyInvoicesWithList: true,
        cashRegister: ["replace"],
        negativeDecrease: true,
      },
      relatedNatures: [1, 2, 3, 4],
      summaryTable: true,
      formatVersions: ["2.1.0", "2.1.1"],
      leasingRateSymbol: true,
      notes: [
        "[secondary] The texts of Decree 254 and Circular 91 were not readable; this row comes from several " +
          "independent third-party notes (reference §1.1) and otherwise carries the Decree 70 rules forward.",
        "Series letter F (VAT invoice cum tax refund declaration) and TCHDon 3/4 [secondary]; PBan 2.1.1 seen " +
          "in one 2026 codebase [secondary], while real 2026 portal downloads still carry 2.1.0.",
      ],
    },
  ],

  /**
   * The reduced 8% rate. Sources: Decree 15/2022 effective 2022-02-01 [primary: customs letter 370/TCHQ-TXNK
   * citing it]; the other windows and the resolutions behind them from several independent secondary sources
   * that agree on every date (reference §1.1, provider guides, legal summaries). Between windows (first half
   * of 2023) the rate was 10% again.
   */
  reducedVatWindows: [
    {
      from: "2022-02-01",
      to: "2022-12-31",
      rate: "8",
      basis: "Decree 15/2022/NĐ-CP (Resolution 43/2022/QH15)",
      confidence: "primary",
    },
    {
      from: "2023-07-01",
      to: "2023-12-31",
      rate: "8",
      basis: "Decree 44/2023/NĐ-CP (Resolution 101/2023/QH15)",
      confidence: "secondary",
    },
    {
      from: "2024-01-01",
      to: "2024-06-30",
      rate: "8",
      basis: "Decree 94/2023/NĐ-CP (Resolution 110/2023/QH15)",
      confidence: "secondary",
    },
    {
      from: "2024-07-01",
      to: "2024-12-31",
      rate: "8",
      basis: "Decree 72/2024/NĐ-CP (Resolution 142/2024/QH15)",
      confidence: "secondary",
    },
    {
      from: "2025-01-01",
      to: "2025-06-30",
      rate: "8",
      basis: "Decree 180/2024/NĐ-CP (Resolution 174/2024/QH15)",
      confidence: "secondary",
    },
    {
      from: "2025-07-01",
      to: "2026-12-31",
      rate: "8",
      basis: "Decree 174/2025/NĐ-CP (Resolution 204/2025/QH15)",
      confidence: "secondary",
    },
  ],

  /**
   * From this date the 12-digit personal identification number replaces the tax code of individuals,
   * households and household businesses (Circular 86/2024/TT-BTC Art 5.5; tax codes issued to them by the
   * CQT are used until 2025-06-30) [secondary: legal Q&A quoting the circular; provider notices agree].
   */
  personalIdAsTaxCodeFrom: "2025-07-01",
};

/** VAT percentages that exist whatever the date (Annex V); 8% is added inside a reduced window. */
const BASE_PERCENT_RATES = ["0", "5", "10"] as const;

/** Everything that holds on one date. Frozen; the same object is returned for every date of a stretch. */
export interface Rules {
  /** First and last day of the stretch of dates over which nothing in the table changes. */
  readonly from: string | undefined;
  readonly to: string | undefined;
  readonly regime: Regime;
  readonly templates: readonly TemplateDigit[];
  readonly seriesLetters: readonly string[];
  readonly corrections: CorrectionRules;
  readonly relatedNatures: readonly (1 | 2 | 3 | 4)[];
  readonly summaryTable: boolean;
  readonly formatVersions: readonly FormatVersion[];
  readonly leasingRateSymbol: boolean;
  /** Percent VAT rates (TSuat "n%") valid on the date, as the number before the % sign. */
  readonly vatPercentRates: readonly string[];
  readonly reducedVatWindow: ReducedVatWindow | undefined;
  readonly personalIdAsTaxCode: boolean;
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === "object" && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}

function checkTable(regimes: readonly Regime[], windows: readonly ReducedVatWindow[]): void {
  const first = regimes[0];
  const last = regimes[regimes.length - 1];
  if (!first || first.from !== undefined || !last || last.to !== undefined) {
    throw new Error("rule table: the first regime must be open at the start and the last open at the end");
  }
  for (let i = 1; i < regimes.length; i++) {
    const prev = regimes[i - 1]!;
    const cur = regimes[i]!;
    if (prev.to === undefined || cur.from !== addDays(prev.to, 1)) {
      throw new Error(`rule table: regime ${cur.id} does not start the day after ${prev.id} ends`);
    }
  }
  for (const r of regimes) {
    for (const d of [r.from, r.to])
      if (d !== undefined && !isDate(d)) throw new Error(`rule table: bad date ${d}`);
  }
  for (let i = 0; i < windows.length; i++) {
    const w = windows[i]!;
    if (!isDate(w.from) || !isDate(w.to) || w.from > w.to)
      throw new Error(`rule table: bad window ${w.from}`);
    const prev = windows[i - 1];
    if (prev && w.from <= prev.to) throw new Error(`rule table: windows overlap at ${w.from}`);
  }
}

// Build the stretches once: every date where some row starts or ends splits the calendar, and each stretch
// gets one frozen Rules object. A lookup is then a binary search over a few dozen sorted start dates.
const regimes = RULE_TABLE.regimes;
const windows = RULE_TABLE.reducedVatWindows;
checkTable(regimes, windows);

const starts: string[] = [];
const stretches: Rules[] = [];
{
  const cuts = new Set<string>();
  for (const r of regimes) {
    if (r.from !== undefined) cuts.add(r.from);
    if (r.to !== undefined) cuts.add(addDays(r.to, 1));
  }
  for (const w of windows) {
    cuts.add(w.from);
    cuts.add(addDays(w.to, 1));
  }
  cuts.add(RULE_TABLE.personalIdAsTaxCodeFrom);
  const sorted = [...cuts].sort();
  const bounds: (string | undefined)[] = [undefined, ...sorted];
  for (let i = 0; i < bounds.length; i++) {
    const from = bounds[i];
    const next = bounds[i + 1];
    const to = next === undefined ? undefined : addDays(next, -1);
    // Any date of the stretch stands for all of it; an open start takes the day before the first cut.
    const probe = from ?? addDays(sorted[0] ?? "2000-01-01", -1);
    const regime = regimes.find(
      (r) => (r.from === undefined || probe >= r.from) && (r.to === undefined || probe <= r.to),
    )!;
    const window = windows.find((w) => probe >= w.from && probe <= w.to);
    const rules: Rules = {
      from,
      to,
      regime,
      templates: regime.templates,
      seriesLetters: regime.seriesLetters,
      corrections: regime.corrections,
      relatedNatures: regime.relatedNatures,
      summaryTable: regime.summaryTable,
      formatVersions: regime.formatVersions,
      leasingRateSymbol: regime.leasingRateSymbol,
      vatPercentRates: window ? [...BASE_PERCENT_RATES, window.rate] : [...BASE_PERCENT_RATES],
      reducedVatWindow: window,
      personalIdAsTaxCode: probe >= RULE_TABLE.personalIdAsTaxCodeFrom,
    };
    starts.push(from ?? "");
    stretches.push(deepFreeze(rules));
  }
  deepFreeze(RULE_TABLE);
}

/** Everything that holds on a date (`YYYY-MM-DD`). Throws RangeError for a malformed date: validate it first. */
export function rulesOn(date: string): Rules {
  if (!isDate(date)) throw new RangeError(`rulesOn: not a YYYY-MM-DD date: ${JSON.stringify(date)}`);
  let lo = 0;
  let hi = starts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (starts[mid]! <= date) lo = mid;
    else hi = mid - 1;
  }
  return stretches[lo]!;
}

/** The regime in force on a date. */
export function regimeOn(date: string): Regime {
  return rulesOn(date).regime;
}

/** The regime with an id (for docs and tests). */
export function regimeById(id: RegimeId): Regime {
  return regimes.find((r) => r.id === id)!;
}

/** All stretches of the calendar with their rules, in date order (for docs: "what changed when"). */
export function ruleStretches(): readonly Rules[] {
  return stretches;
}

/** True when the percent VAT rate (the number before "%", e.g. "8") is valid on the date. */
export function isVatRateAllowedOn(rate: string, date: string): boolean {
  return rulesOn(date).vatPercentRates.includes(rate);
}

/** True when the template digit exists on the date. */
export function isTemplateAllowedOn(template: string, date: string): boolean {
  return (rulesOn(date).templates as readonly string[]).includes(template);
}

/** True when the series type letter (position 4 of KHHDon) exists on the date. */
export function isSeriesLetterAllowedOn(letter: string, date: string): boolean {
  return rulesOn(date).seriesLetters.includes(letter);
}
