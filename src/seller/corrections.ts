/**
 * Corrections of issued invoices, as pure functions: adjusting, replacing, cancelling, the error notice
 * 04/SS-HĐĐT and one adjusting/replacing invoice for many originals with list 01/BK-ĐCTT. No database, no
 * I/O; the invoice service calls these and stores what they return.
 *
 * Everything is decided by the rules in force on the ORIGINAL invoice's date (`rulesOn`, domain/rules.ts):
 * whether a way of correcting exists, whether a decrease is written with negative amounts, which note text the
 * related-invoice block carries, whether cancelling is open and with whose agreement. Only what is a property
 * of the new document itself (format version, series year, related-invoice nature numbers 3/4) follows the
 * new invoice's own date, as the validator does.
 *
 * Duties the rule table does not hold are in `REGIME_DUTIES` below, with their sources:
 * - Circular 32/2011/TT-BTC Art 9 (seeds/004): cancel only with the agreement and confirmation of seller AND
 *   buyer, while the goods are not delivered or neither party has declared the tax; the new invoice says
 *   "hóa đơn này thay thế hóa đơn số …, ký hiệu …, gửi ngày … tháng … năm …"; after declaration a written
 *   agreement signed by both and an adjusting invoice that says "điều chỉnh (tăng, giảm) số lượng hàng hóa,
 *   giá bán, thuế suất thuế giá trị gia tăng, tiền thuế giá trị gia tăng cho hóa đơn điện tử số …, ký hiệu …",
 *   which "không được ghi số âm". So under that regime a decrease is written with positive amounts and the
 *   word "giảm", and one invoice cannot mix increases and decreases.
 * - Decree 123 Art 19 + Circular 78 Art 7 [bg/secondary]: cancel only a coded invoice not yet sent to the
 *   buyer, by 04/SS (TCTBao 1) and a new invoice; a wrong name/address is notified only; the agreement before
 *   adjusting/replacing is optional ("nếu có thỏa thuận").
 * - Decree 70/2025 (and Decree 254/2026, which carries it on) [secondary]: no cancel; written agreement with
 *   business buyers before adjusting or replacing (a notice suffices for individuals); later corrections of
 *   the same invoice use the method of the first; text "Điều chỉnh cho / Thay thế cho hóa đơn Mẫu số… ký
 *   hiệu… số… ngày… tháng… năm…" (TT 32/2025 Art 12.8, reference §8.4).
 *
 * Money: exact (`Dec`). The adjustment's per-rate VAT is the difference between the target's VAT and the
 * original's stated VAT (not the VAT of the difference), so original + adjustment = target to the đồng.
 */

import { isLegacyTemplate } from "../domain/codes.ts";
import { isDate } from "../domain/dates.ts";
import { Dec } from "../domain/decimal.ts";
import type { Invoice, InvoiceLine, RateTotal, RelatedInvoice } from "../domain/invoice.ts";
import { lineAmount, roundCurrency } from "../domain/money.ts";
import { defineCodes, fail, makeProblem, ok, type Problem, type Result } from "../domain/problem.ts";
import { type RegimeId, type Rules, rulesOn } from "../domain/rules.ts";
import { compareVatRates, parseVatRate, rateFraction, validateVatRate } from "../domain/vat.ts";
import { amountInWords } from "../domain/words.ts";
import {
  ADJUSTMENT_LIST_FORM,
  type AdjustmentList,
  type AdjustmentListLine,
} from "../format/forms/adjustment-list.ts";
import {
  ERROR_NOTICE_FORM,
  type ErrorNature,
  type ErrorNotice,
  type ErrorNoticeInvoice,
  type InvoiceRegime,
} from "../format/forms/error-notice.ts";

export const correctionCodes = defineCodes({
  CORRECTION_ORIGINAL_BAD_DATE: {
    vi: "Hóa đơn gốc không có ngày lập hợp lệ ({value})",
    en: "The original invoice has no valid issue date ({value})",
  },
  CORRECTION_ORIGINAL_INCOMPLETE: {
    vi: "Hóa đơn gốc phải có đủ mẫu số, ký hiệu và số hóa đơn",
    en: "The original invoice needs its template, series and number",
  },
  CORRECTION_DATE_BEFORE_ORIGINAL: {
    vi: "Ngày lập {date} trước ngày hóa đơn gốc {original}",
    en: "Issue date {date} is before the original invoice's date {original}",
  },
  CORRECTION_BAD_DATE: {
    vi: "Ngày '{value}' không hợp lệ (YYYY-MM-DD)",
    en: "'{value}' is not a valid date (YYYY-MM-DD)",
  },
  CORRECTION_SYMBOL_REQUIRED: {
    vi: "Cần chỉ rõ {field} của hóa đơn mới (không suy ra được từ hóa đơn gốc {value})",
    en: "Give the new invoice's {field} (it cannot be derived from the original's {value})",
  },
  CORRECTION_WAY_NOT_ALLOWED: {
    vi: "Hình thức {way} không được phép đối với hóa đơn lập ngày {date} ({regime})",
    en: "Correcting by {way} is not allowed for an invoice dated {date} ({regime})",
  },
  CORRECTION_METHOD_CHANGED: {
    vi: "Hóa đơn đã được xử lý bằng hình thức {previous}; các lần sau phải dùng cùng hình thức",
    en: "The invoice was already corrected by {previous}; later corrections must use the same method",
  },
  CORRECTION_NO_CHANGE: {
    vi: "Không có thay đổi nào so với hóa đơn gốc",
    en: "Nothing differs from the original invoice",
  },
  CORRECTION_LINE_NOT_FOUND: {
    vi: "Hóa đơn gốc không có dòng {index}",
    en: "The original invoice has no line {index}",
  },
  CORRECTION_LINE_NOT_ADJUSTABLE: {
    vi: "Dòng {index} (tính chất {nature}) không có số tiền để điều chỉnh",
    en: "Line {index} (nature {nature}) carries no amount to adjust",
  },
  CORRECTION_MIXED_DIRECTION: {
    vi: "Theo quy định áp dụng ngày {date}, hóa đơn điều chỉnh không được ghi số âm: lập riêng hóa đơn điều chỉnh tăng và hóa đơn điều chỉnh giảm",
    en: "Under the rules of {date} an adjusting invoice may not carry negatives: issue separate increasing and decreasing adjustments",
  },
  CORRECTION_CANCEL_NOT_ALLOWED: {
    vi: "Không được hủy hóa đơn lập ngày {date} ({regime}); hãy điều chỉnh hoặc thay thế",
    en: "An invoice dated {date} cannot be cancelled ({regime}); adjust or replace it",
  },
  CORRECTION_CANCEL_AGREEMENT_REQUIRED: {
    vi: "Hủy hóa đơn cần sự đồng ý và xác nhận của người mua",
    en: "Cancelling needs the buyer's agreement and confirmation",
  },
  CORRECTION_CANCEL_ALREADY_SENT: {
    vi: "Chỉ hủy được hóa đơn có mã chưa gửi cho người mua; hóa đơn đã gửi phải điều chỉnh hoặc thay thế",
    en: "Only a coded invoice not yet sent to the buyer can be cancelled; adjust or replace a sent one",
  },
  CORRECTION_CANCEL_ALREADY_DECLARED: {
    vi: "Hàng hóa đã giao và hai bên đã kê khai thuế: phải lập hóa đơn điều chỉnh",
    en: "Goods delivered and tax declared by both parties: an adjusting invoice is required",
  },
  CORRECTION_NOTICE_NOT_IN_FORCE: {
    vi: "Mẫu 04/SS-HĐĐT chưa áp dụng vào ngày {date}",
    en: "Form 04/SS-HĐĐT is not in force on {date}",
  },
  CORRECTION_NOTICE_EMPTY: {
    vi: "Thông báo sai sót phải có ít nhất một hóa đơn",
    en: "An error notice needs at least one invoice",
  },
  CORRECTION_NOTICE_NEEDS_INVOICE: {
    vi: "Sai sót loại {error} của hóa đơn ngày {date} phải được điều chỉnh hoặc thay thế, không chỉ giải trình",
    en: "An error of kind {error} on an invoice dated {date} must be adjusted or replaced, not only explained",
  },
  CORRECTION_NOTICE_AUTHORITY_REF: {
    vi: "Thông báo trả lời cơ quan thuế (Loại 2) phải có số và ngày thông báo 01/TB-RSĐT",
    en: "A notice answering the tax authority (kind 2) needs the number and date of its 01/TB-RSĐT",
  },
  CORRECTION_BULK_NOT_ALLOWED: {
    vi: "Không được lập một hóa đơn cho nhiều hóa đơn có sai sót đối với hóa đơn lập ngày {date}",
    en: "One invoice for many wrong invoices is not allowed for an invoice dated {date}",
  },
  CORRECTION_BULK_TOO_FEW: {
    vi: "Cần ít nhất hai hóa đơn gốc để lập bảng kê 01/BK-ĐCTT",
    en: "List 01/BK-ĐCTT needs at least two original invoices",
  },
  CORRECTION_BULK_BUYER_DIFFERS: {
    vi: "Các hóa đơn gốc phải cùng một người mua (mã số thuế {expected}, hóa đơn {index} có {value})",
    en: "The original invoices must have one buyer (tax code {expected}; invoice {index} has {value})",
  },
  CORRECTION_BULK_MONTH_DIFFERS: {
    vi: "Các hóa đơn gốc phải cùng một tháng ({expected}; hóa đơn {index} lập ngày {value})",
    en: "The original invoices must be of one month ({expected}; invoice {index} is dated {value})",
  },
  CORRECTION_BULK_CURRENCY_DIFFERS: {
    vi: "Các hóa đơn gốc phải cùng đồng tiền ({expected}; hóa đơn {index} là {value})",
    en: "The original invoices must share one currency ({expected}; invoice {index} is {value})",
  },
});

type Codes = typeof correctionCodes;

function problem(code: keyof Codes & string, path: string, params?: Record<string, string>): Problem {
  return makeProblem(correctionCodes, code, path, params);
}

// ---------------------------------------------------------------------------------------------------------
// Duties by regime (what the rule table does not hold)

/** Whose agreement a correction needs before it is issued. */
export type AgreementRule =
  /** A written agreement signed by seller and buyer (Circular 32/2011 Art 9). */
  | "both-parties"
  /** Optional: recorded if the parties made one (Circular 78 Art 7). */
  | "optional"
  /** Written agreement with a business buyer (one with a tax code); a notice to an individual buyer. */
  | "business-buyer";

export interface RegimeDuties {
  /** Which note texts the related-invoice block carries. */
  readonly noteStyle: "tt32-2011" | "tt78";
  readonly agreement: AgreementRule;
  /** Cancelling: whose agreement, and the conditions. Only read where the rule table allows cancel. */
  readonly cancel: {
    readonly buyerAgreement: boolean;
    /** Only before the invoice reached the buyer (a coded invoice not yet sent). */
    readonly onlyBeforeSent: boolean;
    /** Only before delivery or before the tax was declared. */
    readonly onlyBeforeDeclared: boolean;
    /** A 04/SS-HĐĐT notice with TCTBao 1 must be sent. */
    readonly notice: boolean;
  };
  /** Error kinds that are only notified (04/SS, TCTBao 4), with no new invoice. */
  readonly notifyOnly: readonly ErrorKind[];
  /** Later corrections of one invoice must use the method of the first. */
  readonly sameMethod: boolean;
  readonly basis: string;
}

export const REGIME_DUTIES: Readonly<Record<RegimeId, RegimeDuties>> = {
  legacy: {
    noteStyle: "tt32-2011",
    agreement: "both-parties",
    cancel: { buyerAgreement: true, onlyBeforeSent: false, onlyBeforeDeclared: true, notice: false },
    notifyOnly: [],
    sameMethod: false,
    basis: "Circular 32/2011/TT-BTC Art 9 [primary: seeds/004]",
  },
  d123: {
    noteStyle: "tt78",
    agreement: "optional",
    cancel: { buyerAgreement: false, onlyBeforeSent: true, onlyBeforeDeclared: false, notice: true },
    notifyOnly: ["name-address"],
    sameMethod: false,
    basis: "Decree 123/2020 Art 19, Circular 78/2021 Art 7 [bg/secondary]",
  },
  d70: {
    noteStyle: "tt78",
    agreement: "business-buyer",
    cancel: { buyerAgreement: false, onlyBeforeSent: true, onlyBeforeDeclared: false, notice: true },
    notifyOnly: ["name-address", "words"],
    sameMethod: true,
    basis: "Decree 123 Art 19 as amended by Decree 70/2025; Circular 32/2025 Art 12.8 [secondary/primary]",
  },
  d254: {
    noteStyle: "tt78",
    agreement: "business-buyer",
    cancel: { buyerAgreement: false, onlyBeforeSent: true, onlyBeforeDeclared: false, notice: true },
    notifyOnly: ["name-address", "words"],
    sameMethod: true,
    basis: "Decree 254/2026, Circular 91/2026, carrying Decree 70 forward [secondary]",
  },
};

/** What went wrong on an issued invoice. */
export type ErrorKind =
  /** Buyer name or address (tax code right, nothing else wrong). */
  | "name-address"
  /** Buyer or seller tax code. */
  | "tax-code"
  /** Quantity, price, amount. */
  | "amount"
  | "vat-rate"
  | "vat-amount"
  /** Goods or service description, unit, quality. */
  | "goods"
  /** Amount in words. */
  | "words"
  | "other";

export const ERROR_KINDS: readonly ErrorKind[] = [
  "name-address",
  "tax-code",
  "amount",
  "vat-rate",
  "vat-amount",
  "goods",
  "words",
  "other",
];

export type CorrectionWay = "adjust" | "replace";

/** What the rules on the original's date require for an error of a kind. */
export interface RequiredCorrection {
  readonly regime: RegimeId;
  /** Notify (04/SS, TCTBao 4) and issue nothing new. */
  readonly notifyOnly: boolean;
  /** Ways of correcting open to the seller (its choice); empty only if none is open. */
  readonly ways: readonly CorrectionWay[];
  /** Whether cancelling (with a new invoice) is a possibility at all under the regime. */
  readonly cancel: boolean;
}

function isCashRegister(inv: Invoice): boolean {
  return inv.header.series.charAt(3) === "M";
}

function waysOf(rules: Rules, inv: Invoice): CorrectionWay[] {
  if (isCashRegister(inv)) return [...rules.corrections.cashRegister];
  const ways: CorrectionWay[] = [];
  if (rules.corrections.adjust) ways.push("adjust");
  if (rules.corrections.replace) ways.push("replace");
  return ways;
}

/** The correction the rules on the original's date require for an error of `error` kind. */
export function requiredCorrection(error: ErrorKind, original: Invoice): Result<RequiredCorrection> {
  const rules = originalRules(original);
  if (!rules.ok) return rules;
  const r = rules.value;
  const duties = REGIME_DUTIES[r.regime.id];
  const notifyOnly = r.corrections.nameAddressNotifyOnly && duties.notifyOnly.includes(error);
  return ok({
    regime: r.regime.id,
    notifyOnly,
    ways: waysOf(r, original),
    cancel: r.corrections.cancel,
  });
}

function originalRules(original: Invoice): Result<Rules> {
  const d = original.header.issueDate;
  if (!isDate(d))
    return fail([problem("CORRECTION_ORIGINAL_BAD_DATE", "original.header.issueDate", { value: d })]);
  return ok(rulesOn(d));
}

// ---------------------------------------------------------------------------------------------------------
// Changes and the target invoice

/** A change to one line of the original (index into `original.lines`). Unset fields keep their value. */
export interface LineChange {
  line: number;
  /** Drop the line (goods returned / not delivered). */
  remove?: boolean;
  itemName?: string;
  unit?: string;
  quantity?: Dec;
  unitPrice?: Dec;
  discountAmount?: Dec;
  /** The line amount, when it is not quantity × price − discount (fee lines, amount-only lines). */
  amount?: Dec;
  vatRate?: string;
}

/** How the invoice should have been. */
export interface InvoiceChange {
  lines?: LineChange[];
  /** Lines that were missing. */
  add?: InvoiceLine[];
}

const AMOUNT_NATURES = new Set([1, 3, 5]);

function currencyOf(inv: Invoice): string {
  return (inv.header.currency || "VND").toUpperCase();
}

/** The original with the change applied, totals recomputed (groups that did not change keep their VAT). */
export function applyChange(original: Invoice, change: InvoiceChange): Result<Invoice> {
  const problems: Problem[] = [];
  const currency = currencyOf(original);
  const byIndex = new Map<number, LineChange>();
  (change.lines ?? []).forEach((c, i) => {
    const line = original.lines[c.line];
    if (!Number.isSafeInteger(c.line) || !line) {
      problems.push(
        problem("CORRECTION_LINE_NOT_FOUND", `change.lines[${i}].line`, { index: String(c.line) }),
      );
      return;
    }
    if (!AMOUNT_NATURES.has(line.nature) && (c.quantity || c.unitPrice || c.amount || c.discountAmount)) {
      problems.push(
        problem("CORRECTION_LINE_NOT_ADJUSTABLE", `change.lines[${i}]`, {
          index: String(c.line),
          nature: String(line.nature),
        }),
      );
      return;
    }
    byIndex.set(c.line, c);
  });
  if (problems.length > 0) return fail(problems);
  const lines: InvoiceLine[] = [];
  original.lines.forEach((l, i) => {
    const c = byIndex.get(i);
    if (!c) {
      lines.push(l);
      return;
    }
    if (c.remove) return;
    const quantity = c.quantity ?? l.quantity;
    const unitPrice = c.unitPrice ?? l.unitPrice;
    const discountAmount = c.discountAmount ?? l.discountAmount;
    let amount = c.amount ?? l.amount;
    if (c.amount === undefined && (c.quantity || c.unitPrice || c.discountAmount) && quantity && unitPrice) {
      amount = roundCurrency(lineAmount(quantity, unitPrice, discountAmount), currency);
    }
    lines.push(
      clean({
        ...l,
        itemName: c.itemName ?? l.itemName,
        unit: c.unit ?? l.unit,
        quantity,
        unitPrice,
        discountAmount,
        amount,
        vatRate: c.vatRate ?? l.vatRate,
        vatAmount: undefined,
      }),
    );
  });
  lines.push(...(change.add ?? []));
  const numbered = lines.map((l, i) => ({ ...l, lineNo: i + 1 }));
  const target: Invoice = { ...original, lines: numbered, totals: targetTotals(original, numbered) };
  return ok(target);
}

// ---------------------------------------------------------------------------------------------------------
// Totals

interface Group {
  amount: Dec;
  lines: number;
}

/** Per-rate sums of amounts (trade-discount lines subtracted), as the validator groups them. */
function groupsOf(lines: readonly InvoiceLine[]): Map<string, Group> {
  const groups = new Map<string, Group>();
  for (const l of lines) {
    if (l.nature === 4 || l.nature === 2 || !l.amount || l.vatRate === undefined) continue;
    const g = groups.get(l.vatRate) ?? { amount: Dec.ZERO, lines: 0 };
    g.amount = l.nature === 3 ? g.amount.sub(l.amount) : g.amount.add(l.amount);
    g.lines++;
    groups.set(l.vatRate, g);
  }
  return groups;
}

function signedSum(lines: readonly InvoiceLine[]): Dec {
  let s = Dec.ZERO;
  for (const l of lines) {
    if (!l.amount || l.nature === 2 || l.nature === 4) continue;
    s = l.nature === 3 ? s.sub(l.amount) : s.add(l.amount);
  }
  return s;
}

/** VAT of an amount at a TSuat code; undefined when it cannot be computed (CTTC, KHAC without value). */
function vatAt(amount: Dec, rate: string, currency: string): Dec | undefined {
  const parsed = parseVatRate(rate);
  const f = parsed ? rateFraction(parsed) : undefined;
  return f === undefined ? undefined : roundCurrency(amount.mul(f), currency);
}

function sortRates(rates: Iterable<string>): string[] {
  return [...rates].sort((a, b) => {
    const pa = parseVatRate(a);
    const pb = parseVatRate(b);
    return pa && pb ? compareVatRates(pa, pb) : a.localeCompare(b);
  });
}

/** The original's stated VAT for a rate, or the computed one when the group has none. */
function statedVat(original: Invoice, rate: string, amount: Dec): Dec {
  const r = original.totals.byRate.find((x) => x.vatRate === rate);
  return r?.vatAmount ?? vatAt(amount, rate, currencyOf(original)) ?? Dec.ZERO;
}

function needsRates(inv: Invoice): boolean {
  const t = inv.header.template;
  return t === "1" || t === "8" || (t === "5" && inv.header.series.charAt(3) === "G");
}

function totalsOf(
  byRate: RateTotal[],
  before: Dec,
  vatInvoice: boolean,
  currency: string,
): Invoice["totals"] {
  const totalVat = Dec.sum(byRate.map((r) => r.vatAmount ?? Dec.ZERO));
  const totalPayable = before.add(totalVat);
  return {
    byRate,
    totalBeforeVat: before,
    ...(vatInvoice ? { totalVat } : {}),
    fees: [],
    totalPayable,
    totalPayableInWords: amountInWords(totalPayable, { currency }),
  };
}

/** Totals of the corrected invoice: changed groups get their VAT recomputed, unchanged ones keep theirs. */
function targetTotals(original: Invoice, lines: readonly InvoiceLine[]): Invoice["totals"] {
  const currency = currencyOf(original);
  const before = groupsOf(original.lines);
  const after = groupsOf(lines);
  const byRate: RateTotal[] = [];
  for (const rate of sortRates(after.keys())) {
    const g = after.get(rate)!;
    const o = before.get(rate);
    const vatAmount = o?.amount.eq(g.amount)
      ? statedVat(original, rate, g.amount)
      : vatAt(g.amount, rate, currency);
    byRate.push({ vatRate: rate, amount: g.amount, ...(vatAmount ? { vatAmount } : {}) });
  }
  const vatInvoice = needsRates(original) || byRate.length > 0;
  const sum = vatInvoice ? Dec.sum(byRate.map((r) => r.amount)) : signedSum(lines);
  return totalsOf(byRate, sum, vatInvoice, currency);
}

// ---------------------------------------------------------------------------------------------------------
// Difference lines

interface Difference {
  lines: InvoiceLine[];
  /** Per rate: change of amount and of VAT (target − original). */
  byRate: Map<string, { amount: Dec; vat: Dec }>;
  /** Change of the total before VAT (non-VAT invoices). */
  before: Dec;
  /** What changed, for the legacy note ("số lượng hàng hóa", "giá bán", …). */
  what: Set<"quantity" | "price" | "rate" | "vat">;
  /** Lines of list 01/BK-ĐCTT for this original. */
  list: AdjustmentListLine[];
}

function clean<T extends object>(o: T): T {
  for (const k of Object.keys(o) as (keyof T)[]) if (o[k] === undefined) delete o[k];
  return o;
}

function negLine(l: InvoiceLine): InvoiceLine {
  return clean({
    nature: l.nature,
    itemCode: l.itemCode,
    itemName: l.itemName,
    unit: l.unit,
    quantity: l.quantity?.neg(),
    unitPrice: l.unitPrice,
    amount: l.amount?.neg(),
    vatRate: l.vatRate,
  });
}

function plusLine(l: InvoiceLine): InvoiceLine {
  return clean({
    nature: l.nature,
    itemCode: l.itemCode,
    itemName: l.itemName,
    unit: l.unit,
    quantity: l.quantity,
    unitPrice: l.unitPrice,
    amount: l.amount,
    vatRate: l.vatRate,
  });
}

function same(a: Dec | undefined, b: Dec | undefined): boolean {
  return a === undefined || b === undefined ? a === b : a.eq(b);
}

/**
 * One line of list 01/BK-ĐCTT: the original line (TTTDChinh), the corrected one (TTSDChinh, zeros when the
 * line was dropped) and the differences (CLech), each with its own VAT at the line's rate (the list carries
 * line VAT, the invoice does not). Trade-discount lines count negatively in the differences.
 */
function listLine(
  o: Invoice,
  before: InvoiceLine | undefined,
  after: InvoiceLine | undefined,
  index: number,
): AdjustmentListLine {
  const currency = currencyOf(o);
  const vatOfLine = (l: InvoiceLine | undefined) =>
    l?.amount && l.vatRate ? vatAt(l.amount, l.vatRate, currency) : undefined;
  const total = (l: InvoiceLine | undefined) =>
    l?.amount ? l.amount.add(vatOfLine(l) ?? Dec.ZERO) : undefined;
  const signed = (l: InvoiceLine | undefined, x: Dec | undefined) =>
    x === undefined ? Dec.ZERO : l?.nature === 3 ? x.neg() : x;
  const ob = signed(before, before?.amount);
  const oa = signed(after, after?.amount);
  const vb = signed(before, vatOfLine(before));
  const va = signed(after, vatOfLine(after));
  return {
    original: clean({
      index,
      template: o.header.template,
      series: o.header.series,
      number: o.header.number ?? "",
      itemName: before?.itemName,
      quantity: before?.quantity,
      unitPrice: before?.unitPrice,
      amount: before?.amount,
      vatRate: before?.vatRate,
      vatAmount: vatOfLine(before),
      totalWithVat: total(before),
    }),
    corrected: clean({
      itemName: after?.itemName,
      quantity: after?.quantity ?? (after ? undefined : Dec.ZERO),
      unitPrice: after?.unitPrice,
      amount: after?.amount ?? Dec.ZERO,
      vatRate: after?.vatRate,
      vatAmount: vatOfLine(after) ?? (after ? undefined : Dec.ZERO),
      totalWithVat: total(after) ?? Dec.ZERO,
    }),
    difference: {
      amountBeforeVat: oa.sub(ob),
      vatAmount: va.sub(vb),
      totalPayable: oa.add(va).sub(ob).sub(vb),
    },
  };
}

/** Difference lines and per-rate deltas between the original and the target (signed amounts). */
function differenceOf(original: Invoice, change: InvoiceChange, target: Invoice): Difference {
  const lines: InvoiceLine[] = [];
  const list: AdjustmentListLine[] = [];
  const what = new Set<"quantity" | "price" | "rate" | "vat">();
  const changed = new Map<number, LineChange>();
  for (const c of change.lines ?? []) changed.set(c.line, c);
  // Target lines in order: the original's kept lines (one per unremoved original line), then the additions.
  let t = 0;
  original.lines.forEach((o, i) => {
    const c = changed.get(i);
    if (c?.remove) {
      if (AMOUNT_NATURES.has(o.nature) && o.amount && !o.amount.isZero()) {
        lines.push(negLine(o));
        what.add("quantity");
      } else lines.push(noteLine(`Bỏ dòng: ${o.itemName}`));
      list.push(listLine(original, o, undefined, list.length + 1));
      return;
    }
    const n = target.lines[t++]!;
    if (!c) return;
    if (n.vatRate !== o.vatRate) {
      // A rate change is the old line taken off at its rate and the new one put on at the new rate.
      lines.push(negLine(o), plusLine(n));
      what.add("rate");
      list.push(listLine(original, o, n, list.length + 1));
      return;
    }
    const dq = !same(n.quantity, o.quantity);
    const dp = !same(n.unitPrice, o.unitPrice);
    const dd = !same(n.discountAmount, o.discountAmount);
    const amountDelta = (n.amount ?? Dec.ZERO).sub(o.amount ?? Dec.ZERO);
    const renamed = n.itemName !== o.itemName || n.unit !== o.unit;
    if (amountDelta.isZero() && !dq && !dp && !dd) {
      if (renamed) {
        lines.push(noteLine(`Điều chỉnh tên hàng hóa, dịch vụ "${o.itemName}" thành "${n.itemName}"`));
        list.push(listLine(original, o, n, list.length + 1));
      }
      return;
    }
    if (dq) what.add("quantity");
    if (dp) what.add("price");
    // Quantity and price are written only when one of them alone changed: then the line still reads
    // quantity × price = amount (within the validator's rounding); otherwise the amount stands alone.
    const onlyQ = dq && !dp && !dd && o.unitPrice !== undefined;
    const onlyP = dp && !dq && !dd && o.quantity !== undefined;
    lines.push(
      clean({
        nature: o.nature,
        itemCode: n.itemCode,
        itemName: n.itemName,
        unit: n.unit,
        quantity: onlyQ ? n.quantity!.sub(o.quantity ?? Dec.ZERO) : onlyP ? o.quantity : undefined,
        unitPrice: onlyQ ? o.unitPrice : onlyP ? n.unitPrice!.sub(o.unitPrice ?? Dec.ZERO) : undefined,
        amount: amountDelta,
        vatRate: n.vatRate,
      }),
    );
    list.push(listLine(original, o, n, list.length + 1));
  });
  for (const a of change.add ?? []) {
    lines.push(plusLine(a));
    list.push(listLine(original, undefined, a, list.length + 1));
  }
  // Per-rate deltas: target − original, VAT against the original's stated VAT.
  const byRate = new Map<string, { amount: Dec; vat: Dec }>();
  const before = groupsOf(original.lines);
  const tgt = new Map(target.totals.byRate.map((r) => [r.vatRate, r]));
  const rates = new Set([...before.keys(), ...tgt.keys()]);
  for (const rate of rates) {
    const ob = before.get(rate)?.amount ?? Dec.ZERO;
    const ov = before.has(rate) ? statedVat(original, rate, ob) : Dec.ZERO;
    const tr = tgt.get(rate);
    const amount = (tr?.amount ?? Dec.ZERO).sub(ob);
    const vat = (tr?.vatAmount ?? Dec.ZERO).sub(ov);
    if (!vat.isZero()) what.add("vat");
    byRate.set(rate, { amount, vat });
  }
  const beforeDelta = signedSum(target.lines).sub(signedSum(original.lines));
  return { lines, byRate, before: beforeDelta, what, list };
}

function noteLine(text: string): InvoiceLine {
  return { nature: 4, itemName: text.slice(0, 500) };
}

/** Effect of a difference line on the total: +1, −1 or 0. */
function effectOf(l: InvoiceLine): number {
  if (!l.amount || l.nature === 2 || l.nature === 4 || l.amount.isZero()) return 0;
  const s = l.amount.isNegative() ? -1 : 1;
  return l.nature === 3 ? -s : s;
}

// ---------------------------------------------------------------------------------------------------------
// Related-invoice block and note texts

/** [LHDCLQuan] / [LADHDDT] of an original: 1 for one-digit (Decree 123) templates, 3 for old 11-char ones. */
export function relatedKindOf(original: Invoice): 1 | 2 | 3 | 4 {
  return isLegacyTemplate(original.header.template) ? 3 : 1;
}

function dmy(date: string): { d: string; m: string; y: string } {
  return { y: date.slice(0, 4), m: date.slice(5, 7), d: date.slice(8, 10) };
}

/** The text the rules of the original's date require on an adjusting or replacing invoice. */
export function correctionNote(
  original: Invoice,
  issuedOn: string,
  way: CorrectionWay,
  direction: "increase" | "decrease" | "mixed" | "information" = "mixed",
  what: readonly ("quantity" | "price" | "rate" | "vat")[] = [],
): string {
  const h = original.header;
  const { d, m, y } = dmy(h.issueDate);
  // The note is part of the new invoice, so the rules in force when it is issued decide its wording: an old
  // invoice corrected today gets today's "Thay thế cho hóa đơn…" (reference §8.4, Circular 32/2025 Art 12.8).
  const style = isDate(issuedOn) ? REGIME_DUTIES[rulesOn(issuedOn).regime.id].noteStyle : "tt78";
  if (style === "tt32-2011") {
    if (way === "replace") {
      return `Hóa đơn này thay thế hóa đơn số ${h.number ?? ""}, ký hiệu ${h.series}, gửi ngày ${d} tháng ${m} năm ${y}`;
    }
    const names = {
      quantity: "số lượng hàng hóa",
      price: "giá bán",
      rate: "thuế suất thuế giá trị gia tăng",
      vat: "tiền thuế giá trị gia tăng",
    };
    const list = what.length > 0 ? what.map((w) => names[w]).join(", ") : Object.values(names).join(", ");
    const dir = direction === "increase" ? "tăng" : direction === "decrease" ? "giảm" : "";
    return `Điều chỉnh ${dir ? `${dir} ` : ""}${list} cho hóa đơn điện tử số ${h.number ?? ""}, ký hiệu ${h.series}`;
  }
  const lead = way === "replace" ? "Thay thế cho" : "Điều chỉnh cho";
  return `${lead} hóa đơn Mẫu số ${h.template} ký hiệu ${h.series} số ${h.number ?? ""} ngày ${d} tháng ${m} năm ${y}`;
}

function relatedOf(original: Invoice, nature: 1 | 2, note: string): RelatedInvoice {
  return clean({
    nature,
    relatedKind: relatedKindOf(original),
    template: original.header.template,
    series: original.header.series,
    number: original.header.number,
    date: original.header.issueDate,
    note: note.slice(0, 255),
  });
}

// ---------------------------------------------------------------------------------------------------------
// Options and results

export interface CorrectionOptions {
  /** Issue date of the new invoice (Vietnam date). */
  issueDate: string;
  /** Series of the new invoice; default: the original's with the issue year's two digits. */
  series?: string;
  /** Template of the new invoice; default: the original's (required when that is an old 11-char one). */
  template?: string;
  /** Ways already used on this original (the service's record), oldest first. */
  previous?: readonly (CorrectionWay | "cancel")[];
  /** The buyer's agreement, when made (a reference to the signed document, its date). */
  agreement?: { reference: string; date: string };
}

/** Something the seller must have or do besides issuing the draft. */
export interface CorrectionDuty {
  kind: "agreement" | "notify-buyer" | "error-notice" | "keep-cancelled";
  /** Whether what the service was given already meets it. */
  met: boolean;
  basis: string;
}

export interface CorrectionDraft {
  /** The new invoice (stage draft: no number, no signature). */
  invoice: Invoice;
  /** The regime of the original's date, which decided everything. */
  regime: RegimeId;
  /**
   * Direction of the adjustment. Under a regime without negatives ("unsigned"), a decrease is written with
   * positive amounts and `sign` is −1: original + sign × adjustment = target.
   */
  direction: "increase" | "decrease" | "mixed" | "information";
  sign: 1 | -1;
  duties: CorrectionDuty[];
}

function agreementDuty(original: Invoice, options: CorrectionOptions, regime: RegimeId): CorrectionDuty[] {
  const duties = REGIME_DUTIES[regime];
  const has = options.agreement !== undefined;
  switch (duties.agreement) {
    case "both-parties":
      return [{ kind: "agreement", met: has, basis: duties.basis }];
    case "optional":
      return has ? [{ kind: "agreement", met: true, basis: duties.basis }] : [];
    case "business-buyer":
      return original.buyer.taxCode
        ? [{ kind: "agreement", met: has, basis: duties.basis }]
        : [{ kind: "notify-buyer", met: false, basis: duties.basis }];
  }
}

function newHeader(original: Invoice, options: CorrectionOptions, problems: Problem[]) {
  const h = original.header;
  if (!isDate(options.issueDate)) {
    problems.push(problem("CORRECTION_BAD_DATE", "options.issueDate", { value: options.issueDate }));
    return undefined;
  }
  if (isDate(h.issueDate) && options.issueDate < h.issueDate) {
    problems.push(
      problem("CORRECTION_DATE_BEFORE_ORIGINAL", "options.issueDate", {
        date: options.issueDate,
        original: h.issueDate,
      }),
    );
  }
  const template = options.template ?? (h.template.length === 1 ? h.template : undefined);
  if (!template) {
    problems.push(
      problem("CORRECTION_SYMBOL_REQUIRED", "options.template", { field: "template", value: h.template }),
    );
  }
  const series =
    options.series ??
    (/^[CK]\d\d[A-Z][A-Z0-9]{2}$/.test(h.series)
      ? `${h.series.charAt(0)}${options.issueDate.slice(2, 4)}${h.series.slice(3)}`
      : undefined);
  if (!series) {
    problems.push(
      problem("CORRECTION_SYMBOL_REQUIRED", "options.series", { field: "series", value: h.series }),
    );
  }
  if (!template || !series) return undefined;
  const rules = rulesOn(options.issueDate);
  return clean({
    version: rules.formatVersions[0]!,
    name: h.name,
    template,
    series,
    issueDate: options.issueDate,
    financialLeasing: h.financialLeasing ?? false,
    currency: h.currency,
    exchangeRate: h.exchangeRate,
    paymentMethod: h.paymentMethod,
    providerTaxCode: h.providerTaxCode,
    authorisedTaxCode: h.authorisedTaxCode,
    authorisedName: h.authorisedName,
    authorisedAddress: h.authorisedAddress,
  });
}

/** Checks shared by adjusting and replacing one original. */
function checkWay(original: Invoice, way: CorrectionWay, options: CorrectionOptions, problems: Problem[]) {
  const rules = originalRules(original);
  if (!rules.ok) {
    problems.push(...rules.problems);
    return undefined;
  }
  const r = rules.value;
  const h = original.header;
  if (!h.template || !h.series || !h.number)
    problems.push(problem("CORRECTION_ORIGINAL_INCOMPLETE", "original.header"));
  if (!waysOf(r, original).includes(way)) {
    problems.push(
      problem("CORRECTION_WAY_NOT_ALLOWED", "original.header.issueDate", {
        way: way === "adjust" ? "điều chỉnh (adjust)" : "thay thế (replace)",
        date: h.issueDate,
        regime: r.regime.name.en,
      }),
    );
  }
  const first = options.previous?.find((p) => p !== "cancel");
  if (REGIME_DUTIES[r.regime.id].sameMethod && first !== undefined && first !== way) {
    problems.push(problem("CORRECTION_METHOD_CHANGED", "options.previous", { previous: first }));
  }
  return r;
}

function vatRateProblems(lines: readonly InvoiceLine[], originalDate: string, prefix: string): Problem[] {
  const out: Problem[] = [];
  lines.forEach((l, i) => {
    if (l.vatRate !== undefined)
      out.push(...validateVatRate(l.vatRate, originalDate, `${prefix}[${i}].vatRate`));
  });
  return out.filter((p) => p.severity === "error");
}

// ---------------------------------------------------------------------------------------------------------
// 1. Adjusting invoice

/**
 * Plans the adjusting invoice (TCHDon 2) that turns `original` into `original` with `change` applied. Lines
 * are the differences; increases positive; decreases negative where the original's regime allows, else
 * (Circular 32/2011 Art 9.2) positive with "giảm" in the note, and a change that both increases and decreases
 * is refused (two invoices are needed).
 */
export function planAdjustment(
  original: Invoice,
  change: InvoiceChange,
  options: CorrectionOptions,
): Result<CorrectionDraft> {
  const problems: Problem[] = [];
  const rules = checkWay(original, "adjust", options, problems);
  const header = newHeader(original, options, problems);
  const target = applyChange(original, change);
  if (!target.ok) problems.push(...target.problems);
  if (!rules || !header || !target.ok || problems.length > 0) return fail(problems);
  problems.push(...vatRateProblems(target.value.lines, original.header.issueDate, "target.lines"));
  if (problems.length > 0) return fail(problems);
  const diff = differenceOf(original, change, target.value);
  if (diff.lines.length === 0) return fail([problem("CORRECTION_NO_CHANGE", "change")]);

  const effects = new Set(diff.lines.map(effectOf).filter((e) => e !== 0));
  const vatEffects = new Set(
    [...diff.byRate.values()]
      .map((d) => (d.vat.isZero() ? 0 : d.vat.isNegative() ? -1 : 1))
      .filter((e) => e !== 0),
  );
  const all = new Set([...effects, ...vatEffects]);
  const direction: CorrectionDraft["direction"] =
    all.size === 0 ? "information" : all.size > 1 ? "mixed" : all.has(1) ? "increase" : "decrease";
  const signed = rules.corrections.negativeDecrease;
  if (!signed && direction === "mixed") {
    return fail([problem("CORRECTION_MIXED_DIRECTION", "change", { date: original.header.issueDate })]);
  }
  const sign: 1 | -1 = !signed && direction === "decrease" ? -1 : 1;
  const s = Dec.of(BigInt(sign));
  // Unsigned (decrease written as magnitudes): a trade-discount line that grew is a plain decrease line,
  // so that every line adds to the invoice's totals as the validator sums them.
  const lines = diff.lines.map((l, i) =>
    clean({
      ...l,
      nature: sign < 0 && l.nature === 3 ? 1 : l.nature,
      lineNo: i + 1,
      quantity: sign < 0 ? l.quantity?.abs() : l.quantity,
      unitPrice: sign < 0 ? l.unitPrice?.abs() : l.unitPrice,
      amount: sign < 0 ? l.amount?.abs() : l.amount,
    }),
  );
  const totals = adjustmentTotals(original, lines, [diff], s);
  const note = correctionNote(original, options.issueDate, "adjust", direction, [...diff.what]);
  const invoice: Invoice = {
    header: { ...header, related: relatedOf(original, 2, note) },
    seller: original.seller,
    buyer: original.buyer,
    lines,
    totals,
    signatures: [],
  };
  return ok({
    invoice,
    regime: rules.regime.id,
    direction,
    sign,
    duties: agreementDuty(original, options, rules.regime.id),
  });
}

/** Totals of an adjusting invoice from the per-rate deltas of one or more originals (× sign). */
function adjustmentTotals(
  first: Invoice,
  lines: readonly InvoiceLine[],
  diffs: readonly Difference[],
  sign: Dec,
): Invoice["totals"] {
  const currency = currencyOf(first);
  const rates = new Set<string>();
  for (const l of lines)
    if (l.vatRate !== undefined && l.nature !== 4 && l.nature !== 2 && l.amount) rates.add(l.vatRate);
  const byRate: RateTotal[] = [];
  for (const rate of sortRates(rates)) {
    let amount = Dec.ZERO;
    let vat = Dec.ZERO;
    for (const d of diffs) {
      const x = d.byRate.get(rate);
      if (x) {
        amount = amount.add(x.amount);
        vat = vat.add(x.vat);
      }
    }
    byRate.push({ vatRate: rate, amount: amount.mul(sign), vatAmount: vat.mul(sign) });
  }
  // A VAT change without amount change on some rate (the original's VAT was misstated) still counts.
  for (const d of diffs) {
    for (const [rate, x] of d.byRate) {
      if (!rates.has(rate) && !x.vat.isZero()) {
        const prev = byRate.find((r) => r.vatRate === rate);
        if (prev) prev.vatAmount = (prev.vatAmount ?? Dec.ZERO).add(x.vat.mul(sign));
        else byRate.push({ vatRate: rate, amount: Dec.ZERO, vatAmount: x.vat.mul(sign) });
      }
    }
  }
  const vatInvoice = needsRates(first) || byRate.length > 0;
  const before = vatInvoice
    ? Dec.sum(byRate.map((r) => r.amount))
    : Dec.sum(diffs.map((d) => d.before)).mul(sign);
  return totalsOf(byRate, before, vatInvoice, currency);
}

// ---------------------------------------------------------------------------------------------------------
// 2. Replacing invoice

/** The content of a replacing invoice: what the invoice should have said. Totals are recomputed. */
export interface ReplacementContent {
  seller?: Invoice["seller"];
  buyer: Invoice["buyer"];
  lines: InvoiceLine[];
  paymentMethod?: string;
}

/** Recomputes per-rate groups (VAT per group, the currency's rounding), totals and words from lines. */
export function computeTotals(inv: Invoice): Invoice["totals"] {
  const currency = currencyOf(inv);
  const groups = groupsOf(inv.lines);
  const byRate: RateTotal[] = sortRates(groups.keys()).map((rate) => {
    const amount = groups.get(rate)!.amount;
    const vatAmount = vatAt(amount, rate, currency);
    return { vatRate: rate, amount, ...(vatAmount ? { vatAmount } : {}) };
  });
  const vatInvoice = needsRates(inv) || byRate.length > 0;
  const before = vatInvoice ? Dec.sum(byRate.map((r) => r.amount)) : signedSum(inv.lines);
  return totalsOf(byRate, before, vatInvoice, currency);
}

/**
 * Plans the replacing invoice (TCHDon 1) for `original`, with the note text of the original's regime
 * ("Thay thế cho hóa đơn Mẫu số…" or, under Circular 32/2011, "Hóa đơn này thay thế hóa đơn số…").
 */
export function planReplacement(
  original: Invoice,
  content: ReplacementContent,
  options: CorrectionOptions,
): Result<CorrectionDraft> {
  const problems: Problem[] = [];
  const rules = checkWay(original, "replace", options, problems);
  const header = newHeader(original, options, problems);
  if (!rules || !header || problems.length > 0) return fail(problems);
  problems.push(...vatRateProblems(content.lines, original.header.issueDate, "content.lines"));
  if (problems.length > 0) return fail(problems);
  const note = correctionNote(original, options.issueDate, "replace");
  const invoice: Invoice = {
    header: clean({
      ...header,
      paymentMethod: content.paymentMethod ?? header.paymentMethod,
      related: relatedOf(original, 1, note),
    }),
    seller: content.seller ?? original.seller,
    buyer: content.buyer,
    lines: content.lines.map((l, i) => ({ ...l, lineNo: i + 1 })),
    totals: { byRate: [], fees: [], totalPayable: Dec.ZERO, totalPayableInWords: "" },
    signatures: [],
  };
  invoice.totals = computeTotals(invoice);
  const duties = agreementDuty(original, options, rules.regime.id);
  return ok({ invoice, regime: rules.regime.id, direction: "mixed", sign: 1, duties });
}

// ---------------------------------------------------------------------------------------------------------
// 3. Cancellation

export interface CancellationRequest {
  /** The buyer's agreement and confirmation, where made. */
  buyerAgreement?: { reference: string; date: string };
  /** Date of the cancellation. */
  date: string;
  reason: string;
  /** Whether the invoice has reached the buyer (default true: assume it has). */
  sentToBuyer?: boolean;
  /** Whether goods were delivered and both parties declared the tax (default false). */
  declared?: boolean;
}

/** What must be recorded for an allowed cancellation. */
export interface CancellationPlan {
  regime: RegimeId;
  date: string;
  reason: string;
  buyerAgreement?: { reference: string; date: string };
  /** A 04/SS-HĐĐT with TCTBao 1 must be sent (plan it with `planErrorNotice`, action "cancel"). */
  errorNotice: boolean;
  /** The cancelled invoice stays stored for the authorities' lookup (Circular 32/2011 Art 9.1). */
  keepCancelled: true;
  /** The new invoice, if any, replaces it with this text (`planReplacement` writes it). */
  replacementNote: string;
  basis: string;
}

/** Whether `original` may be cancelled, and what must be recorded; a Problem where its regime forbids it. */
export function planCancellation(original: Invoice, request: CancellationRequest): Result<CancellationPlan> {
  const rules = originalRules(original);
  if (!rules.ok) return rules;
  const r = rules.value;
  const duties = REGIME_DUTIES[r.regime.id];
  const problems: Problem[] = [];
  if (!isDate(request.date))
    problems.push(problem("CORRECTION_BAD_DATE", "request.date", { value: request.date }));
  else if (request.date < original.header.issueDate) {
    problems.push(
      problem("CORRECTION_DATE_BEFORE_ORIGINAL", "request.date", {
        date: request.date,
        original: original.header.issueDate,
      }),
    );
  }
  // Decree 70 removed cancel from 2025-06-01 for every notice, so the cancellation's own date counts too.
  const openOnDate = isDate(request.date) ? rulesOn(request.date).corrections.cancel : true;
  if (!r.corrections.cancel || !openOnDate) {
    problems.push(
      problem("CORRECTION_CANCEL_NOT_ALLOWED", "original.header.issueDate", {
        date: original.header.issueDate,
        regime: r.regime.name.en,
      }),
    );
    return fail(problems);
  }
  if (duties.cancel.buyerAgreement && !request.buyerAgreement) {
    problems.push(problem("CORRECTION_CANCEL_AGREEMENT_REQUIRED", "request.buyerAgreement"));
  }
  if (duties.cancel.onlyBeforeSent && (request.sentToBuyer ?? true)) {
    problems.push(problem("CORRECTION_CANCEL_ALREADY_SENT", "request.sentToBuyer"));
  }
  if (duties.cancel.onlyBeforeDeclared && request.declared === true) {
    problems.push(problem("CORRECTION_CANCEL_ALREADY_DECLARED", "request.declared"));
  }
  if (problems.length > 0) return fail(problems);
  return ok(
    clean({
      regime: r.regime.id,
      date: request.date,
      reason: request.reason,
      buyerAgreement: request.buyerAgreement,
      errorNotice: duties.cancel.notice,
      keepCancelled: true as const,
      replacementNote: correctionNote(original, request.date, "replace"),
      basis: duties.basis,
    }),
  );
}

// ---------------------------------------------------------------------------------------------------------
// 4. Error notice 04/SS-HĐĐT

/** One invoice of a notice: what is wrong, and what the seller does about it. */
export interface ErrorNoticeItem {
  invoice: Invoice;
  error: ErrorKind;
  reason: string;
  /** Default: "explain" where the error is notify-only, else the first way open. */
  action?: CorrectionWay | "cancel" | "explain";
}

export interface ErrorNoticeOptions {
  date: string;
  place: string;
  /** The tax authority the notice goes to: code (≤5) and name. */
  authority: { code: string; name: string };
  /** 1 the seller's own notice; 2 an answer to the authority's 01/TB-RSĐT, with its number and date. */
  kind?: 1 | 2;
  authorityNotice?: { number: string; date: string };
  version?: string;
  id?: string;
}

export interface ErrorNoticePlan {
  notice: ErrorNotice;
  /** Per invoice, in order: the TCTBao written and the new invoice the seller must issue, if any. */
  actions: { nature: ErrorNature; newInvoice: "none" | "adjust" | "replace" | "new" }[];
}

const NATURE_OF: Record<CorrectionWay | "cancel" | "explain", ErrorNature> = {
  cancel: 1,
  adjust: 2,
  replace: 3,
  explain: 4,
};

/** Plans form 04/SS-HĐĐT for wrong invoices, choosing TCTBao by the rules of each original's date. */
export function planErrorNotice(
  items: readonly ErrorNoticeItem[],
  options: ErrorNoticeOptions,
): Result<ErrorNoticePlan> {
  const problems: Problem[] = [];
  if (items.length === 0) return fail([problem("CORRECTION_NOTICE_EMPTY", "items")]);
  if (!isDate(options.date))
    return fail([problem("CORRECTION_BAD_DATE", "options.date", { value: options.date })]);
  const onDate = rulesOn(options.date);
  if (onDate.regime.id === "legacy") {
    return fail([problem("CORRECTION_NOTICE_NOT_IN_FORCE", "options.date", { date: options.date })]);
  }
  const kind = options.kind ?? 1;
  if (kind === 2 && !options.authorityNotice)
    problems.push(problem("CORRECTION_NOTICE_AUTHORITY_REF", "options.authorityNotice"));
  const invoices: ErrorNoticeInvoice[] = [];
  const actions: ErrorNoticePlan["actions"] = [];
  items.forEach((item, i) => {
    const p = `items[${i}]`;
    const req = requiredCorrection(item.error, item.invoice);
    if (!req.ok) {
      problems.push(...req.problems.map((x) => ({ ...x, path: `${p}.${x.path}` })));
      return;
    }
    const r = req.value;
    const h = item.invoice.header;
    const action = item.action ?? (r.notifyOnly ? "explain" : (r.ways[0] ?? "explain"));
    if (action === "explain" && !r.notifyOnly) {
      problems.push(
        problem("CORRECTION_NOTICE_NEEDS_INVOICE", `${p}.action`, { error: item.error, date: h.issueDate }),
      );
    }
    if (action === "cancel" && (!r.cancel || !onDate.corrections.cancel)) {
      problems.push(
        problem("CORRECTION_CANCEL_NOT_ALLOWED", `${p}.action`, { date: h.issueDate, regime: r.regime }),
      );
    }
    if ((action === "adjust" || action === "replace") && !r.ways.includes(action)) {
      problems.push(
        problem("CORRECTION_WAY_NOT_ALLOWED", `${p}.action`, {
          way: action,
          date: h.issueDate,
          regime: r.regime,
        }),
      );
    }
    const nature = NATURE_OF[action];
    invoices.push(
      clean({
        index: i + 1,
        authorityCode: h.series.charAt(0) === "C" ? item.invoice.authorityCode : undefined,
        template: h.template || undefined,
        series: h.series || undefined,
        number: h.number,
        date: h.issueDate,
        regime: relatedKindOf(item.invoice) as InvoiceRegime,
        nature,
        reason: item.reason.slice(0, 255),
      }),
    );
    actions.push({
      nature,
      newInvoice: action === "explain" ? "none" : action === "cancel" ? "new" : action,
    });
  });
  if (problems.length > 0) return fail(problems);
  const seller = items[0]!.invoice.seller;
  const notice: ErrorNotice = clean({
    id: options.id,
    version: options.version ?? "2.1.0",
    form: ERROR_NOTICE_FORM,
    name: "Thông báo hóa đơn điện tử có sai sót",
    kind,
    authorityNoticeNumber: options.authorityNotice?.number,
    authorityNoticeDate: options.authorityNotice?.date,
    authorityCode: options.authority.code,
    authorityName: options.authority.name,
    taxpayerName: seller.name,
    taxCode: seller.taxCode || undefined,
    budgetUnitCode: seller.budgetUnitCode,
    place: options.place,
    date: options.date,
    invoices,
    signatures: [],
  });
  return ok({ notice, actions });
}

// ---------------------------------------------------------------------------------------------------------
// 5. One invoice for many originals, with list 01/BK-ĐCTT

export type BulkCorrection =
  /** One change per original, in the same order. */
  { way: "adjust"; changes: InvoiceChange[] } | { way: "replace"; content: ReplacementContent };

export interface BulkOptions extends CorrectionOptions {
  /** [SBKe]/[SBKCLQuan] the list's number, and [NBKe] its date (default: the issue date). */
  listNumber: string;
  listDate?: string;
  reasons?: string[];
  /** [TCTCNHang] the seller is a bank or financial institution. */
  bank?: boolean;
}

export interface BulkDraft extends CorrectionDraft {
  list: AdjustmentList;
}

/**
 * One adjusting or replacing invoice for many wrong invoices of one buyer in one month, with its list
 * 01/BK-ĐCTT, where the originals' regime allows it (Decree 70 onwards); refused otherwise.
 */
export function planBulkCorrection(
  originals: readonly Invoice[],
  correction: BulkCorrection,
  options: BulkOptions,
): Result<BulkDraft> {
  const problems: Problem[] = [];
  if (originals.length < 2) return fail([problem("CORRECTION_BULK_TOO_FEW", "originals")]);
  const first = originals[0]!;
  const buyer = first.buyer.taxCode ?? "";
  const month = first.header.issueDate.slice(0, 7);
  const currency = currencyOf(first);
  let regime: RegimeId | undefined;
  originals.forEach((o, i) => {
    const p = `originals[${i}]`;
    const rules = checkWay(o, correction.way, options, problems);
    if (!rules) return;
    regime ??= rules.regime.id;
    if (!rules.corrections.manyInvoicesWithList) {
      problems.push(
        problem("CORRECTION_BULK_NOT_ALLOWED", `${p}.header.issueDate`, { date: o.header.issueDate }),
      );
    }
    if ((o.buyer.taxCode ?? "") !== buyer) {
      problems.push(
        problem("CORRECTION_BULK_BUYER_DIFFERS", `${p}.buyer.taxCode`, {
          expected: buyer,
          index: String(i),
          value: o.buyer.taxCode ?? "",
        }),
      );
    }
    if (o.header.issueDate.slice(0, 7) !== month) {
      problems.push(
        problem("CORRECTION_BULK_MONTH_DIFFERS", `${p}.header.issueDate`, {
          expected: month,
          index: String(i),
          value: o.header.issueDate,
        }),
      );
    }
    if (currencyOf(o) !== currency) {
      problems.push(
        problem("CORRECTION_BULK_CURRENCY_DIFFERS", `${p}.header.currency`, {
          expected: currency,
          index: String(i),
          value: currencyOf(o),
        }),
      );
    }
  });
  const header = newHeader(first, options, problems);
  const listDate = options.listDate ?? options.issueDate;
  if (!isDate(listDate))
    problems.push(problem("CORRECTION_BAD_DATE", "options.listDate", { value: listDate }));
  if (problems.length > 0 || !header || !regime) return fail(problems);

  // Natures 3/4 exist in the format of the new invoice's date; before that the list rides on 1/2.
  const natures = rulesOn(options.issueDate).relatedNatures;
  const adjust = correction.way === "adjust";
  const nature = adjust ? (natures.includes(4) ? 4 : 2) : natures.includes(3) ? 3 : 1;
  const latest = originals.map((o) => o.header.issueDate).sort()[originals.length - 1]!;
  const note = `${adjust ? "Điều chỉnh" : "Thay thế"} cho ${originals.length} hóa đơn theo bảng kê ${ADJUSTMENT_LIST_FORM} số ${options.listNumber} ngày ${dmyText(listDate)}`;
  const related: RelatedInvoice = {
    nature,
    date: latest,
    note: note.slice(0, 255),
    listNumber: options.listNumber,
    listDate,
  };

  let lines: InvoiceLine[];
  let totals: Invoice["totals"];
  let listLines: AdjustmentListLine[];
  let direction: CorrectionDraft["direction"] = "mixed";
  if (correction.way === "adjust") {
    const diffs: Difference[] = [];
    lines = [];
    listLines = [];
    originals.forEach((o, i) => {
      const change = correction.changes[i] ?? {};
      const target = applyChange(o, change);
      if (!target.ok) {
        problems.push(...target.problems.map((x) => ({ ...x, path: `originals[${i}].${x.path}` })));
        return;
      }
      problems.push(
        ...vatRateProblems(target.value.lines, o.header.issueDate, `originals[${i}].target.lines`),
      );
      const d = differenceOf(o, change, target.value);
      diffs.push(d);
      lines.push(...d.lines);
      listLines.push(...d.list);
    });
    if (problems.length > 0) return fail(problems);
    if (lines.length === 0) return fail([problem("CORRECTION_NO_CHANGE", "correction")]);
    lines = lines.map((l, i) => ({ ...l, lineNo: i + 1 }));
    totals = adjustmentTotals(first, lines, diffs, Dec.ONE);
    const effects = new Set(lines.map(effectOf).filter((e) => e !== 0));
    direction =
      effects.size === 0
        ? "information"
        : effects.size > 1
          ? "mixed"
          : effects.has(1)
            ? "increase"
            : "decrease";
  } else {
    problems.push(...vatRateProblems(correction.content.lines, latest, "content.lines"));
    if (problems.length > 0) return fail(problems);
    lines = correction.content.lines.map((l, i) => ({ ...l, lineNo: i + 1 }));
    const probe: Invoice = {
      header: { ...header, related },
      seller: first.seller,
      buyer: first.buyer,
      lines,
      totals: first.totals,
      signatures: [],
    };
    totals = computeTotals(probe);
    // The list names every replaced invoice's lines; what replaces them is the invoice itself.
    listLines = originals.flatMap((o) =>
      o.lines.filter((l) => AMOUNT_NATURES.has(l.nature)).map((l) => listLine(o, l, undefined, 0)),
    );
    listLines = listLines.map((l) => ({ original: l.original }));
  }
  listLines.forEach((l, i) => {
    l.original.index = i + 1;
  });
  const seller = first.seller;
  const invoice: Invoice = {
    header: {
      ...header,
      ...(correction.way === "replace" && correction.content.paymentMethod
        ? { paymentMethod: correction.content.paymentMethod }
        : {}),
      related,
    },
    seller: correction.way === "replace" ? (correction.content.seller ?? seller) : seller,
    buyer: correction.way === "replace" ? correction.content.buyer : first.buyer,
    lines,
    totals,
    signatures: [],
  };
  const list: AdjustmentList = clean({
    version: header.version,
    title: adjust ? "Bảng kê hóa đơn điều chỉnh" : "Bảng kê hóa đơn thay thế",
    form: ADJUSTMENT_LIST_FORM,
    number: options.listNumber,
    date: listDate,
    nature,
    sellerName: seller.name,
    sellerTaxCode: seller.taxCode,
    sellerAddress: seller.address,
    bank: options.bank === undefined ? undefined : options.bank ? 1 : 0,
    buyerName: first.buyer.name,
    buyerTaxCode: first.buyer.taxCode,
    buyerAddress: first.buyer.address,
    reasons: options.reasons,
    lines: listLines,
    signatures: [],
  });
  return ok({
    invoice,
    list,
    regime,
    direction,
    sign: 1,
    duties: agreementDuty(first, options, regime),
  });
}

function dmyText(date: string): string {
  const { d, m, y } = dmy(date);
  return `${d}/${m}/${y}`;
}
