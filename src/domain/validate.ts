/**
 * Invoice validation: every rule a received or issued invoice must meet, checked against the rules in force
 * on the invoice's date (rules.ts). It collects all problems (never stops at the first), each with a stable
 * code, messages in Vietnamese and English, and the model path of the field ("lines[2].amount"); the format
 * layer maps model paths to XML paths (format/invoice.ts `xmlPathOf`).
 *
 * Arithmetic follows reference §8.3. The format publishes no formula; hddt checks:
 * - line: ThTien = SLuong × DGia − STCKhau, compared after rounding to the currency's minor unit, within one
 *   minor unit (prices carry up to 6 decimals, amounts are rounded); STCKhau = gross × TLCKhau / 100 likewise;
 *   a line whose quantity or price is absent or 0 states its amount directly (real fee and discount lines);
 * - per rate: LTSuat.ThTien = Σ line amounts of that rate (trade-discount lines, TChat 3, subtracted);
 *   LTSuat.TThue = ThTien × rate, within half a minor unit per line of the group (providers round per line
 *   or per group);
 * - TgTCThue = Σ LTSuat.ThTien, TgTThue = Σ LTSuat.TThue;
 * - TgTTTBSo = TgTCThue + TgTThue, plus fees and minus trade discount / other deductions where those are
 *   not already inside the line amounts (each accepted combination is listed in `payableCandidates`);
 * - TgTTTBChu reads TgTTTBSo (words.ts `wordsMatch`, tolerant of spelling variants).
 * The tolerances are one table (`TOLERANCE`) so they are easy to change.
 */
import {
  validateAuthorityCode,
  validateCashRegisterCode,
  validateRelatedSymbol,
  validateSymbol,
} from "./codes.ts";
import { isKnownCurrency, minorUnitsOf } from "./currency.ts";
import { isDate } from "./dates.ts";
import { Dec } from "./decimal.ts";
import type { Invoice, InvoiceLine } from "./invoice.ts";
import { defineCodes, type Problem, Problems } from "./problem.ts";
import { type Rules, rulesOn } from "./rules.ts";
import { validatePersonalId, validateTaxCode } from "./taxcode.ts";
import { parseVatRate, rateFraction, validateVatRate } from "./vat.ts";
import { amountInWords, wordsMatch } from "./words.ts";

export const invoiceRuleCodes = defineCodes({
  INVOICE_REQUIRED: {
    vi: "Thiếu thông tin bắt buộc: {field}",
    en: "Required information is missing: {field}",
  },
  INVOICE_TOO_LONG: {
    vi: "{field} dài {length} ký tự, vượt quá {max}",
    en: "{field} is {length} characters long, more than {max}",
  },
  INVOICE_BAD_CHARACTER: {
    vi: "{field} chứa ký tự điều khiển không được phép",
    en: "{field} contains a control character that is not allowed",
  },
  INVOICE_BAD_DATE: {
    vi: "Ngày '{value}' không hợp lệ (định dạng YYYY-MM-DD)",
    en: "'{value}' is not a valid date (YYYY-MM-DD)",
  },
  INVOICE_BAD_NUMBER: {
    vi: "Số hóa đơn '{value}' không hợp lệ (chỉ chữ số, tối đa 8, lớn hơn 0)",
    en: "Invoice number '{value}' is not valid (digits only, at most 8, greater than 0)",
  },
  INVOICE_BAD_VERSION: {
    vi: "Phiên bản định dạng '{value}' không hợp lệ",
    en: "Format version '{value}' is not valid",
  },
  INVOICE_UNKNOWN_CURRENCY: {
    vi: "Mã tiền tệ '{value}' không phải mã ISO 4217",
    en: "Currency '{value}' is not an ISO 4217 code",
  },
  INVOICE_EXCHANGE_RATE_REQUIRED: {
    vi: "Hóa đơn bằng ngoại tệ {currency} phải có tỷ giá",
    en: "An invoice in foreign currency {currency} needs an exchange rate",
  },
  INVOICE_EXCHANGE_RATE_INVALID: {
    vi: "Tỷ giá {value} không hợp lệ (số dương, tối đa 7 chữ số phần nguyên và 2 chữ số thập phân)",
    en: "Exchange rate {value} is not valid (positive, at most 7 integer digits and 2 decimals)",
  },
  INVOICE_NUMBER_FORMAT: {
    vi: "{field} = {value} vượt quá giới hạn {total} chữ số, {decimals} chữ số thập phân",
    en: "{field} = {value} exceeds {total} digits with {decimals} decimals",
  },
  INVOICE_NEGATIVE_NOT_ALLOWED: {
    vi: "{field} âm ({value}) chỉ được phép trên hóa đơn điều chỉnh giảm theo quy định áp dụng ngày {date}",
    en: "{field} is negative ({value}); only a decreasing adjustment invoice may carry negatives under the rules of {date}",
  },
  INVOICE_NO_LINES: {
    vi: "Hóa đơn không có dòng hàng hóa, dịch vụ nào",
    en: "The invoice has no goods or service lines",
  },
  INVOICE_LINE_NATURE: {
    vi: "Tính chất dòng (TChat) {value} không hợp lệ; cho phép {allowed}",
    en: "Line nature (TChat) {value} is not valid; allowed: {allowed}",
  },
  INVOICE_LINE_AMOUNT_MISMATCH: {
    vi: "Thành tiền {actual} khác số lượng × đơn giá − chiết khấu = {expected}",
    en: "Amount {actual} differs from quantity × price − discount = {expected}",
  },
  INVOICE_LINE_DISCOUNT_MISMATCH: {
    vi: "Số tiền chiết khấu {actual} khác {rate}% × {gross} = {expected}",
    en: "Discount amount {actual} differs from {rate}% × {gross} = {expected}",
  },
  INVOICE_LINE_NOTE_HAS_AMOUNT: {
    vi: "Dòng ghi chú, diễn giải (TChat 4) không được có số tiền ({value})",
    en: "A note line (TChat 4) may not carry an amount ({value})",
  },
  INVOICE_SPECIAL_GOODS_REQUIRED: {
    vi: "Dòng hàng hóa đặc trưng (TChat 5) phải có thông tin hàng hóa đặc trưng (TTHHDTrung)",
    en: "A special-goods line (TChat 5) needs its special-goods details (TTHHDTrung)",
  },
  INVOICE_VAT_RATE_REQUIRED: {
    vi: "Dòng của hóa đơn GTGT phải có thuế suất",
    en: "A line of a VAT invoice needs a VAT rate",
  },
  INVOICE_RATE_GROUP_MISSING: {
    vi: "Không có tổng hợp theo thuế suất {rate} (THTTLTSuat) dù có dòng hàng hóa thuế suất này",
    en: "No per-rate summary for {rate} (THTTLTSuat) although lines carry that rate",
  },
  INVOICE_RATE_GROUP_UNUSED: {
    vi: "Tổng hợp theo thuế suất {rate} không tương ứng với dòng hàng hóa nào",
    en: "The per-rate summary for {rate} matches no line",
  },
  INVOICE_RATE_GROUP_DUPLICATE: {
    vi: "Thuế suất {rate} xuất hiện nhiều lần trong tổng hợp theo thuế suất",
    en: "Rate {rate} appears more than once in the per-rate summary",
  },
  INVOICE_RATE_AMOUNT_MISMATCH: {
    vi: "Thành tiền theo thuế suất {rate} là {actual}, tổng các dòng là {expected}",
    en: "Amount for rate {rate} is {actual}; the lines add up to {expected}",
  },
  INVOICE_RATE_VAT_MISMATCH: {
    vi: "Tiền thuế theo thuế suất {rate} là {actual}, tính được {expected}",
    en: "VAT for rate {rate} is {actual}; computed {expected}",
  },
  INVOICE_TOTAL_BEFORE_VAT_MISMATCH: {
    vi: "Tổng tiền chưa thuế {actual} khác tổng theo thuế suất {expected}",
    en: "Total before VAT {actual} differs from the per-rate sum {expected}",
  },
  INVOICE_TOTAL_VAT_MISMATCH: {
    vi: "Tổng tiền thuế {actual} khác tổng theo thuế suất {expected}",
    en: "Total VAT {actual} differs from the per-rate sum {expected}",
  },
  INVOICE_TOTAL_PAYABLE_MISMATCH: {
    vi: "Tổng tiền thanh toán {actual} khác tổng tiền chưa thuế + tiền thuế (+ phí − chiết khấu) = {expected}",
    en: "Total payable {actual} differs from total before VAT + VAT (+ fees − discounts) = {expected}",
  },
  INVOICE_TOTAL_NOT_WHOLE_DONG: {
    vi: "{field} = {value}: tổng tiền bằng đồng Việt Nam phải làm tròn đến đồng",
    en: "{field} = {value}: VND totals must be rounded to whole đồng",
  },
  INVOICE_WORDS_MISMATCH: {
    vi: "Số tiền bằng chữ '{actual}' không khớp với {amount} (đúng là '{expected}')",
    en: "Amount in words '{actual}' does not read {amount} (expected '{expected}')",
  },
  INVOICE_CODE_MISSING: {
    vi: "Hóa đơn ký hiệu {series} là hóa đơn có mã nhưng không có mã của cơ quan thuế",
    en: "Series {series} is a coded series but the invoice has no authority code",
  },
  INVOICE_CODE_NOT_ALLOWED: {
    vi: "Hóa đơn ký hiệu {series} là hóa đơn không có mã nhưng lại có mã cơ quan thuế",
    en: "Series {series} is a no-code series but the invoice carries an authority code",
  },
  INVOICE_CODE_BEFORE_ISSUE: {
    vi: "Hóa đơn chưa gửi cơ quan thuế không được có mã của cơ quan thuế",
    en: "An invoice not yet sent to the authority may not carry an authority code",
  },
  INVOICE_BUDGET_CODE_FORMAT: {
    vi: "Mã đơn vị quan hệ ngân sách '{value}' phải gồm 7 chữ số",
    en: "Budget-relationship unit code '{value}' must be 7 digits",
  },
  INVOICE_RELATED_NATURE: {
    vi: "Tính chất hóa đơn liên quan (TCHDon) {value} không hợp lệ",
    en: "Related-invoice nature (TCHDon) {value} is not valid",
  },
  INVOICE_RELATED_KIND: {
    vi: "Loại hóa đơn liên quan (LHDCLQuan) {value} không hợp lệ (1–4)",
    en: "Related-invoice kind (LHDCLQuan) {value} is not valid (1–4)",
  },
  INVOICE_RELATED_INCOMPLETE: {
    vi: "Thông tin hóa đơn liên quan phải có đủ mẫu số, ký hiệu và số hóa đơn",
    en: "The related invoice needs its template, series and number together",
  },
  INVOICE_RELATED_LIST_REQUIRED: {
    vi: "Hóa đơn điều chỉnh/thay thế cho nhiều hóa đơn phải có số và ngày bảng kê 01/BK-ĐCTT",
    en: "An invoice adjusting or replacing many invoices needs the number and date of list 01/BK-ĐCTT",
  },
  INVOICE_RELATED_AFTER_ISSUE: {
    vi: "Hóa đơn bị điều chỉnh/thay thế (ngày {related}) không thể lập sau hóa đơn này (ngày {date})",
    en: "The adjusted or replaced invoice (dated {related}) cannot be later than this invoice ({date})",
  },
  INVOICE_CORRECTION_NOT_ALLOWED: {
    vi: "{path} không được phép theo quy định áp dụng ngày {date}",
    en: "{path} is not allowed under the rules in force on {date}",
  },
  INVOICE_WAREHOUSE_FIELD_REQUIRED: {
    vi: "Phiếu xuất kho phải có {field}",
    en: "A warehouse note needs {field}",
  },
  INVOICE_PUBLIC_ASSET_SELLER_ID: {
    vi: "Hóa đơn bán tài sản công phải có mã số thuế hoặc mã đơn vị quan hệ ngân sách của người bán",
    en: "A public-asset invoice needs the seller's tax code or budget-relationship unit code",
  },
  INVOICE_FIELD_RECOMMENDED: {
    vi: "{field} là bắt buộc theo định dạng 2.1.0",
    en: "{field} is required by format 2.1.0",
    severity: "warning",
  },
});

type C = typeof invoiceRuleCodes;

const NATURE_NAMES: Readonly<Record<number, string>> = {
  1: "replacement (TCHDon 1)",
  2: "adjustment (TCHDon 2)",
  3: "replacement of many invoices with list 01/BK-ĐCTT (TCHDon 3)",
  4: "adjustment of many invoices with list 01/BK-ĐCTT (TCHDon 4)",
};

/** Tolerances of the arithmetic checks, in minor units of the invoice currency. */
export const TOLERANCE = {
  /** Line amount vs quantity × price − discount. */
  lineAmount: 1,
  /** Per-rate VAT vs amount × rate: this much per line of the group (rounding per line), at least one unit. */
  rateVatPerLine: 0.5,
} as const;

/** Maximum lengths (characters) of text fields, from the reference's tables (§2.3–2.8). */
const MAX_LENGTH: Readonly<Record<string, number>> = {
  "header.name": 100,
  "header.template": 1,
  "header.series": 6,
  "header.dossierCode": 20,
  "header.attachedListNumber": 50,
  "header.currency": 3,
  "header.paymentMethod": 50,
  "header.providerTaxCode": 14,
  "header.authorisedTaxCode": 14,
  "header.authorisedName": 400,
  "header.authorisedAddress": 400,
  "header.related.template": 11,
  "header.related.series": 8,
  "header.related.number": 8,
  "header.related.note": 255,
  "header.related.listNumber": 50,
  "seller.name": 400,
  "seller.taxCode": 14,
  "seller.address": 400,
  "seller.storeCode": 50,
  "seller.storeName": 400,
  "seller.phone": 20,
  "seller.email": 50,
  "seller.bankAccount": 30,
  "seller.bankName": 400,
  "seller.fax": 20,
  "seller.website": 100,
  "seller.budgetUnitCode": 7,
  "seller.decisionNumber": 50,
  "seller.decisionIssuer": 200,
  "seller.saleForm": 200,
  "seller.dispatchOrder": 255,
  "seller.transportContract": 255,
  "seller.dispatcher": 100,
  "seller.carrier": 100,
  "seller.transportMeans": 50,
  "buyer.name": 400,
  "buyer.taxCode": 14,
  "buyer.budgetUnitCode": 7,
  "buyer.address": 400,
  "buyer.customerCode": 50,
  "buyer.phone": 20,
  "buyer.citizenId": 12,
  "buyer.passport": 20,
  "buyer.email": 50,
  "buyer.contactName": 100,
  "buyer.receiver": 100,
  "buyer.bankAccount": 30,
  "buyer.bankName": 400,
  "buyer.deliveryPlace": 400,
  "buyer.idDocument": 20,
  "line.itemCode": 50,
  "line.itemName": 500,
  "line.unit": 50,
  "line.vatRate": 11,
  "totals.totalPayableInWords": 255,
  "fee.name": 100,
  qrCode: 512,
  authorityCode: 34,
};

/** Where the invoice is in its life: it decides whether an authority code must, may or may not be there. */
export type InvoiceStage = "draft" | "issued" | "coded" | "received";

export interface ValidateOptions {
  /**
   * draft: no number yet; issued: numbered and signed, not yet coded (a coded series has no MCCQT yet);
   * coded: as returned by the authority (a coded series must carry MCCQT); received: a file from outside, in
   * any state (a coded series must carry MCCQT, since buyers may receive coded invoices only after coding).
   * Default: received.
   */
  stage?: InvoiceStage;
}

const TWO = Dec.of(2n);
const NUMBER_RE = /^\d{1,8}$/;
const DIGITS7 = /^\d{7}$/;
const CONTROL = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/;

/** Validates an invoice model against the rules in force on its issue date. */
export function validateInvoice(inv: Invoice, options: ValidateOptions = {}): Problem[] {
  const v = new Validator(inv, options.stage ?? "received");
  v.run();
  return v.problems.list;
}

class Validator {
  readonly problems = new Problems();
  private readonly date: string;
  private readonly currency: string;
  private readonly minor: number;
  private readonly unit: Dec;
  private readonly negativeAllowed: boolean;
  private readonly rules: Rules | undefined;
  private readonly rateDate: string;

  constructor(
    private readonly inv: Invoice,
    private readonly stage: InvoiceStage,
  ) {
    this.date = inv.header.issueDate;
    this.currency = (inv.header.currency || "VND").toUpperCase();
    this.minor = isKnownCurrency(this.currency) ? minorUnitsOf(this.currency) : 2;
    this.unit = Dec.of(1n, this.minor);
    this.rules = isDate(this.date) ? rulesOn(this.date) : undefined;
    // Negative amounts: only on an adjustment, and only where the rules of the date allow a negative decrease.
    this.negativeAllowed = this.isAdjustment() && (this.rules?.corrections.negativeDecrease ?? false);
    // VAT rates follow the date of the sale: an adjustment or replacement keeps the original invoice's date.
    const related = inv.header.related?.date;
    this.rateDate = related !== undefined && isDate(related) ? related : this.date;
  }

  private add(code: keyof C & string, path: string, params?: Record<string, string>): void {
    this.problems.add(invoiceRuleCodes, code, path, params);
  }

  private isAdjustment(): boolean {
    const n = this.inv.header.related?.nature;
    return n === 2 || n === 4;
  }

  run(): void {
    this.header();
    this.parties();
    this.lines();
    this.totals();
    this.authorityCode();
    this.textFields();
  }

  // --- header -------------------------------------------------------------------------------------------

  private header(): void {
    const h = this.inv.header;
    if (!h.version) this.add("INVOICE_REQUIRED", "header.version", { field: "PBan" });
    else if (!/^\d\.\d\.\d$/.test(h.version))
      this.add("INVOICE_BAD_VERSION", "header.version", { value: h.version });
    this.required("header.name", h.name, "THDon");
    this.required("header.template", h.template, "KHMSHDon");
    this.required("header.series", h.series, "KHHDon");
    if (!h.issueDate) this.add("INVOICE_REQUIRED", "header.issueDate", { field: "NLap" });
    else if (!isDate(h.issueDate)) this.add("INVOICE_BAD_DATE", "header.issueDate", { value: h.issueDate });
    else if (h.template && h.series) {
      const paths = { template: "header.template", series: "header.series" };
      this.problems.push(...validateSymbol(h.template, h.series, h.issueDate, paths));
    }
    this.taxCode("header.providerTaxCode", h.providerTaxCode);
    this.taxCode("header.authorisedTaxCode", h.authorisedTaxCode);
    if (this.stage !== "draft") {
      if (h.number === undefined) this.add("INVOICE_REQUIRED", "header.number", { field: "SHDon" });
      else if (!NUMBER_RE.test(h.number) || /^0+$/.test(h.number)) {
        this.add("INVOICE_BAD_NUMBER", "header.number", { value: h.number });
      }
    }
    if (!h.currency) this.add("INVOICE_REQUIRED", "header.currency", { field: "DVTTe" });
    else if (!isKnownCurrency(this.currency))
      this.add("INVOICE_UNKNOWN_CURRENCY", "header.currency", { value: h.currency });
    if (this.currency !== "VND" && h.currency) {
      if (!h.exchangeRate)
        this.add("INVOICE_EXCHANGE_RATE_REQUIRED", "header.exchangeRate", { currency: h.currency });
    }
    if (h.exchangeRate && (!h.exchangeRate.gt(Dec.ZERO) || !h.exchangeRate.fitsFormat(9, 2))) {
      this.add("INVOICE_EXCHANGE_RATE_INVALID", "header.exchangeRate", { value: h.exchangeRate.toString() });
    }
    if (h.version === "2.1.0") {
      if (h.financialLeasing === undefined)
        this.add("INVOICE_FIELD_RECOMMENDED", "header.financialLeasing", { field: "HDCTTChinh" });
      if (!h.paymentMethod)
        this.add("INVOICE_FIELD_RECOMMENDED", "header.paymentMethod", { field: "HTTToan" });
      if (!h.providerTaxCode)
        this.add("INVOICE_FIELD_RECOMMENDED", "header.providerTaxCode", { field: "MSTTCGP" });
    }
    const r = h.related;
    if (r) {
      if (![1, 2, 3, 4].includes(r.nature))
        this.add("INVOICE_RELATED_NATURE", "header.related.nature", { value: String(r.nature) });
      if (r.relatedKind !== undefined && ![1, 2, 3, 4].includes(r.relatedKind)) {
        this.add("INVOICE_RELATED_KIND", "header.related.relatedKind", { value: String(r.relatedKind) });
      }
      const parts = [r.template, r.series, r.number].filter((x) => x !== undefined).length;
      if (parts !== 0 && parts !== 3) this.add("INVOICE_RELATED_INCOMPLETE", "header.related");
      if ((r.nature === 1 || r.nature === 2) && parts === 0 && r.listNumber === undefined) {
        this.add("INVOICE_RELATED_INCOMPLETE", "header.related");
      }
      if (!r.date) this.add("INVOICE_REQUIRED", "header.related.date", { field: "NLHDCLQuan" });
      else if (!isDate(r.date)) this.add("INVOICE_BAD_DATE", "header.related.date", { value: r.date });
      else if (h.issueDate && isDate(h.issueDate) && r.date > h.issueDate) {
        this.add("INVOICE_RELATED_AFTER_ISSUE", "header.related.date", {
          related: r.date,
          date: h.issueDate,
        });
      }
      if (r.template !== undefined && r.series !== undefined) {
        const paths = { template: "header.related.template", series: "header.related.series" };
        this.problems.push(...validateRelatedSymbol(r.template, r.series, paths));
      }
      this.correctionPath(r.nature);
      if ((r.nature === 3 || r.nature === 4) && (!r.listNumber || !r.listDate)) {
        this.add("INVOICE_RELATED_LIST_REQUIRED", "header.related.listNumber");
      }
      if (r.listDate !== undefined && !isDate(r.listDate)) {
        this.add("INVOICE_BAD_DATE", "header.related.listDate", { value: r.listDate });
      }
    }
  }

  // --- seller and buyer ---------------------------------------------------------------------------------

  private parties(): void {
    const s = this.inv.seller;
    const b = this.inv.buyer;
    this.required("seller.name", s.name, "NBan/Ten");
    this.required("seller.address", s.address, "NBan/DChi");
    const template = this.inv.header.template;
    if (template === "3" || template === "4") {
      if (!s.taxCode && !s.budgetUnitCode) this.add("INVOICE_PUBLIC_ASSET_SELLER_ID", "seller.taxCode");
    } else this.required("seller.taxCode", s.taxCode, "NBan/MST");
    this.taxCode("seller.taxCode", s.taxCode || undefined);
    this.taxCode("buyer.taxCode", b.taxCode);
    const letter = this.inv.header.series.charAt(3);
    if (template === "6" && letter === "N") {
      if (!s.dispatchOrder)
        this.add("INVOICE_WAREHOUSE_FIELD_REQUIRED", "seller.dispatchOrder", { field: "LDDNBo" });
      if (!s.transportMeans)
        this.add("INVOICE_WAREHOUSE_FIELD_REQUIRED", "seller.transportMeans", { field: "PTVChuyen" });
    }
    if (template === "6" && letter === "B") {
      if (!s.economicContractNumber) {
        this.add("INVOICE_WAREHOUSE_FIELD_REQUIRED", "seller.economicContractNumber", { field: "HDKTSo" });
      }
      if (!s.transportMeans)
        this.add("INVOICE_WAREHOUSE_FIELD_REQUIRED", "seller.transportMeans", { field: "PTVChuyen" });
    }
    if (b.citizenId !== undefined) this.problems.push(...validatePersonalId(b.citizenId, "buyer.citizenId"));
    for (const [path, value] of [
      ["buyer.budgetUnitCode", b.budgetUnitCode],
      ["seller.budgetUnitCode", s.budgetUnitCode],
    ] as const) {
      if (value !== undefined && !DIGITS7.test(value))
        this.add("INVOICE_BUDGET_CODE_FORMAT", path, { value });
    }
    for (const [path, value] of [
      ["seller.decisionDate", s.decisionDate],
      ["seller.economicContractDate", s.economicContractDate],
      ["header.attachedListDate", this.inv.header.attachedListDate],
    ] as const) {
      if (value !== undefined && !isDate(value)) this.add("INVOICE_BAD_DATE", path, { value });
    }
  }

  // --- lines --------------------------------------------------------------------------------------------

  private lines(): void {
    const lines = this.inv.lines;
    if (lines.length === 0) this.add("INVOICE_NO_LINES", "lines");
    const needsRate = this.needsVatRate();
    for (let i = 0; i < lines.length; i++) {
      const line = lines[i]!;
      const p = `lines[${i}]`;
      if (![1, 2, 3, 4, 5].includes(line.nature)) {
        this.add("INVOICE_LINE_NATURE", `${p}.nature`, {
          value: String(line.nature),
          allowed: "1, 2, 3, 4, 5",
        });
      }
      this.required(`${p}.itemName`, line.itemName, "THHDVu");
      this.number(`${p}.quantity`, line.quantity, 21, 6);
      this.number(`${p}.unitPrice`, line.unitPrice, 21, 6);
      this.number(`${p}.discountRate`, line.discountRate, 6, 4);
      this.number(`${p}.discountAmount`, line.discountAmount, 21, 6);
      this.number(`${p}.amount`, line.amount, 21, 6);
      if (line.nature === 4) {
        for (const k of ["amount", "unitPrice"] as const) {
          const val = line[k];
          if (val && !val.isZero())
            this.add("INVOICE_LINE_NOTE_HAS_AMOUNT", `${p}.${k}`, { value: val.toPlain() });
        }
        continue;
      }
      if (line.nature === 5 && (!line.specialGoods || line.specialGoods.length === 0)) {
        this.add("INVOICE_SPECIAL_GOODS_REQUIRED", `${p}.specialGoods`);
      }
      if (line.nature === 1 || line.nature === 3 || line.nature === 5) {
        if (line.amount === undefined) this.add("INVOICE_REQUIRED", `${p}.amount`, { field: "ThTien" });
      }
      if (needsRate && line.vatRate === undefined && line.nature !== 2) {
        this.add("INVOICE_VAT_RATE_REQUIRED", `${p}.vatRate`);
      }
      if (line.vatRate !== undefined && isDate(this.rateDate)) {
        this.problems.push(...validateVatRate(line.vatRate, this.rateDate, `${p}.vatRate`));
      }
      this.lineArithmetic(line, p);
    }
  }

  private lineArithmetic(line: InvoiceLine, p: string): void {
    const { quantity, unitPrice, discountRate, discountAmount, amount } = line;
    // A line without quantity or price (or with 0 for either, as real service-fee and trade-discount lines
    // carry) states its amount directly: there is nothing to multiply.
    if (!quantity || !unitPrice || quantity.isZero() || unitPrice.isZero()) return;
    const gross = quantity.mul(unitPrice);
    if (discountRate && !discountRate.isZero() && discountAmount) {
      const expected = gross.mul(discountRate).div(Dec.HUNDRED, this.minor);
      if (!this.within(discountAmount, expected, TOLERANCE.lineAmount)) {
        this.add("INVOICE_LINE_DISCOUNT_MISMATCH", `${p}.discountAmount`, {
          actual: discountAmount.toPlain(),
          rate: discountRate.toPlain(),
          gross: gross.toPlain(),
          expected: expected.toPlain(),
        });
      }
    }
    if (amount) {
      const expected = gross.sub(discountAmount ?? Dec.ZERO).round(this.minor);
      if (!this.within(amount, expected, TOLERANCE.lineAmount)) {
        this.add("INVOICE_LINE_AMOUNT_MISMATCH", `${p}.amount`, {
          actual: amount.toPlain(),
          expected: expected.toPlain(),
        });
      }
    }
  }

  /** VAT invoices (templates 1 and 8) carry a rate on every line; so do stamps/tickets of series letter G. */
  private needsVatRate(): boolean {
    const t = this.inv.header.template;
    return t === "1" || t === "8" || (t === "5" && this.inv.header.series.charAt(3) === "G");
  }

  // --- totals -------------------------------------------------------------------------------------------

  private totals(): void {
    const t = this.inv.totals;
    const lines = this.inv.lines;
    for (const [k, el] of [
      ["totalBeforeVat", "TgTCThue"],
      ["totalVat", "TgTThue"],
      ["nonTaxableDeductions", "TGTKCThue"],
      ["tradeDiscount", "TTCKTMai"],
      ["otherDeductions", "TGTKhac"],
      ["totalPayable", "TgTTTBSo"],
    ] as const) {
      this.number(`totals.${k}`, t[k], 21, 6);
      void el;
    }
    t.byRate.forEach((r, i) => {
      this.number(`totals.byRate[${i}].amount`, r.amount, 21, 6);
      this.number(`totals.byRate[${i}].vatAmount`, r.vatAmount, 21, 6);
    });
    t.fees.forEach((fee, i) => {
      this.number(`totals.fees[${i}].amount`, fee.amount, 21, 6);
      this.required(`totals.fees[${i}].name`, fee.name, "TLPhi");
    });
    if (t.totalPayable === undefined) {
      this.add("INVOICE_REQUIRED", "totals.totalPayable", { field: "TgTTTBSo" });
      return;
    }
    this.required("totals.totalPayableInWords", t.totalPayableInWords, "TgTTTBChu");

    // Per-rate groups from the lines.
    const groups = new Map<string, { amount: Dec; lines: number }>();
    for (const line of lines) {
      if (line.nature === 4 || line.nature === 2 || !line.amount || line.vatRate === undefined) continue;
      const g = groups.get(line.vatRate) ?? { amount: Dec.ZERO, lines: 0 };
      g.amount = line.nature === 3 ? g.amount.sub(line.amount) : g.amount.add(line.amount);
      g.lines++;
      groups.set(line.vatRate, g);
    }
    const vatInvoice = this.needsVatRate() || t.byRate.length > 0;
    if (vatInvoice) {
      const seen = new Set<string>();
      t.byRate.forEach((r, i) => {
        const p = `totals.byRate[${i}]`;
        if (seen.has(r.vatRate))
          this.add("INVOICE_RATE_GROUP_DUPLICATE", `${p}.vatRate`, { rate: r.vatRate });
        seen.add(r.vatRate);
        const g = groups.get(r.vatRate);
        if (!g) {
          if (!r.amount.isZero()) this.add("INVOICE_RATE_GROUP_UNUSED", `${p}.vatRate`, { rate: r.vatRate });
          return;
        }
        if (!this.within(r.amount, g.amount, TOLERANCE.lineAmount)) {
          this.add("INVOICE_RATE_AMOUNT_MISMATCH", `${p}.amount`, {
            rate: r.vatRate,
            actual: r.amount.toPlain(),
            expected: g.amount.toPlain(),
          });
        }
        const parsed = parseVatRate(r.vatRate);
        const fraction = parsed ? rateFraction(parsed) : undefined;
        if (fraction !== undefined && r.vatAmount !== undefined) {
          const expected = r.amount.mul(fraction).round(this.minor);
          const tol = Math.max(1, g.lines * TOLERANCE.rateVatPerLine);
          if (!this.within(r.vatAmount, expected, tol)) {
            this.add("INVOICE_RATE_VAT_MISMATCH", `${p}.vatAmount`, {
              rate: r.vatRate,
              actual: r.vatAmount.toPlain(),
              expected: expected.toPlain(),
            });
          }
        }
      });
      for (const rate of groups.keys()) {
        if (!seen.has(rate)) this.add("INVOICE_RATE_GROUP_MISSING", "totals.byRate", { rate });
      }
    }

    // Totals before VAT and VAT.
    const sumBefore = vatInvoice ? Dec.sum(t.byRate.map((r) => r.amount)) : lineSum(lines);
    const sumVat = Dec.sum(t.byRate.map((r) => r.vatAmount ?? Dec.ZERO));
    if (t.totalBeforeVat !== undefined && !this.within(t.totalBeforeVat, sumBefore, TOLERANCE.lineAmount)) {
      this.add("INVOICE_TOTAL_BEFORE_VAT_MISMATCH", "totals.totalBeforeVat", {
        actual: t.totalBeforeVat.toPlain(),
        expected: sumBefore.toPlain(),
      });
    }
    if (vatInvoice && t.totalVat !== undefined && !this.within(t.totalVat, sumVat, TOLERANCE.lineAmount)) {
      this.add("INVOICE_TOTAL_VAT_MISMATCH", "totals.totalVat", {
        actual: t.totalVat.toPlain(),
        expected: sumVat.toPlain(),
      });
    }
    if (vatInvoice && t.totalVat === undefined)
      this.add("INVOICE_REQUIRED", "totals.totalVat", { field: "TgTThue" });
    if (vatInvoice && t.totalBeforeVat === undefined) {
      this.add("INVOICE_REQUIRED", "totals.totalBeforeVat", { field: "TgTCThue" });
    }

    // Total payable: one of the accepted combinations.
    const base = (t.totalBeforeVat ?? sumBefore).add(t.totalVat ?? sumVat);
    const candidates = payableCandidates(base, t);
    if (!candidates.some((c) => this.within(t.totalPayable!, c, TOLERANCE.lineAmount))) {
      this.add("INVOICE_TOTAL_PAYABLE_MISMATCH", "totals.totalPayable", {
        actual: t.totalPayable.toPlain(),
        expected: candidates[0]!.toPlain(),
      });
    }

    // VND totals are whole đồng.
    if (this.currency === "VND") {
      for (const [k, el] of [
        ["totalBeforeVat", "TgTCThue"],
        ["totalVat", "TgTThue"],
        ["totalPayable", "TgTTTBSo"],
      ] as const) {
        const val = t[k];
        if (val && !val.isInteger())
          this.add("INVOICE_TOTAL_NOT_WHOLE_DONG", `totals.${k}`, { field: el, value: val.toPlain() });
      }
    }

    // Amount in words.
    if (t.totalPayableInWords && !wordsMatch(t.totalPayableInWords, t.totalPayable, this.currency)) {
      this.add("INVOICE_WORDS_MISMATCH", "totals.totalPayableInWords", {
        actual: t.totalPayableInWords,
        amount: t.totalPayable.toPlain(),
        expected: expectedWords(t.totalPayable, this.currency),
      });
    }
  }

  // --- authority code -------------------------------------------------------------------------------------

  private authorityCode(): void {
    const series = this.inv.header.series;
    const code = this.inv.authorityCode;
    if (code !== undefined) {
      // A cash-register invoice carries the seller-made 23-character code; others the authority's 34 characters.
      const context = { template: this.inv.header.template, issueDate: this.date };
      this.problems.push(
        ...(series.charAt(3) === "M"
          ? validateCashRegisterCode(code, context, "authorityCode")
          : validateAuthorityCode(code, "authorityCode")),
      );
    }
    const coded = series.charAt(0) === "C";
    if (!coded && series.charAt(0) === "K" && code !== undefined) {
      this.add("INVOICE_CODE_NOT_ALLOWED", "authorityCode", { series });
    }
    if (coded && code === undefined && (this.stage === "coded" || this.stage === "received")) {
      // Cash-register invoices carry the seller-made code; both cases need one once the invoice is out.
      this.add("INVOICE_CODE_MISSING", "authorityCode", { series });
    }
    if (
      coded &&
      code !== undefined &&
      (this.stage === "draft" || this.stage === "issued") &&
      series.charAt(3) !== "M"
    ) {
      this.add("INVOICE_CODE_BEFORE_ISSUE", "authorityCode");
    }
  }

  // --- generic field checks -------------------------------------------------------------------------------

  private taxCode(path: string, value: string | undefined): void {
    if (value === undefined || value === "") return;
    this.problems.push(...validateTaxCode(value, path, isDate(this.date) ? { date: this.date } : undefined));
  }

  /** Whether this way of correcting (related nature) exists on the invoice's date, and for its kind. */
  private correctionPath(nature: number): void {
    const rules = this.rules;
    if (!rules) return;
    const path = "header.related.nature";
    const params = { path: NATURE_NAMES[nature] ?? String(nature), date: this.date };
    if (!(rules.relatedNatures as readonly number[]).includes(nature)) {
      this.add("INVOICE_CORRECTION_NOT_ALLOWED", path, params);
      return;
    }
    const way = nature === 1 || nature === 3 ? "replace" : "adjust";
    const cashRegister = this.inv.header.series.charAt(3) === "M";
    const allowed = cashRegister ? rules.corrections.cashRegister.includes(way) : rules.corrections[way];
    if (!allowed) this.add("INVOICE_CORRECTION_NOT_ALLOWED", path, params);
  }

  private required(path: string, value: string | undefined, field: string): void {
    if (value === undefined || value.trim() === "") this.add("INVOICE_REQUIRED", path, { field });
  }

  private number(path: string, value: Dec | undefined, total: number, decimals: number): void {
    if (value === undefined) return;
    if (!value.fitsFormat(total, decimals)) {
      this.add("INVOICE_NUMBER_FORMAT", path, {
        field: path,
        value: value.toString(),
        total: String(total),
        decimals: String(decimals),
      });
    }
    if (value.isNegative() && !this.negativeAllowed) {
      this.add("INVOICE_NEGATIVE_NOT_ALLOWED", path, {
        field: path,
        value: value.toPlain(),
        date: this.date,
      });
    }
  }

  private within(actual: Dec, expected: Dec, units: number): boolean {
    const diff = actual.sub(expected).abs();
    if (diff.isZero()) return true;
    // units may be fractional (0.5): compare 2·diff with 2·units·unit to stay in integers.
    return diff.mul(TWO).cmp(this.unit.mul(Dec.of(BigInt(Math.round(units * 2))))) <= 0;
  }

  /** Lengths and control characters of every text field, from the MAX_LENGTH table. */
  private textFields(): void {
    const inv = this.inv;
    const check = (path: string, key: string, value: unknown): void => {
      if (typeof value !== "string") return;
      const max = MAX_LENGTH[key];
      if (max !== undefined && value.length > max) {
        this.add("INVOICE_TOO_LONG", path, { field: path, length: String(value.length), max: String(max) });
      }
      if (CONTROL.test(value)) this.add("INVOICE_BAD_CHARACTER", path, { field: path });
    };
    const each = (prefix: string, keyPrefix: string, obj: object | undefined): void => {
      if (!obj) return;
      const rec = obj as Record<string, unknown>;
      for (const k in rec) {
        const val = rec[k];
        if (typeof val !== "string") continue;
        const key = `${keyPrefix}.${k}`;
        const max = MAX_LENGTH[key];
        if ((max !== undefined && val.length > max) || CONTROL.test(val)) check(`${prefix}.${k}`, key, val);
      }
    };
    each("header", "header", inv.header);
    each("header.related", "header.related", inv.header.related);
    each("seller", "seller", inv.seller);
    each("buyer", "buyer", inv.buyer);
    inv.lines.forEach((l, i) => {
      each(`lines[${i}]`, "line", l);
    });
    inv.totals.fees.forEach((fee, i) => {
      each(`totals.fees[${i}]`, "fee", fee);
    });
    check("totals.totalPayableInWords", "totals.totalPayableInWords", inv.totals.totalPayableInWords);
    check("qrCode", "qrCode", inv.qrCode);
    check("authorityCode", "authorityCode", inv.authorityCode);
  }
}

function lineSum(lines: readonly InvoiceLine[]): Dec {
  let s = Dec.ZERO;
  for (const l of lines) {
    if (!l.amount || l.nature === 4 || l.nature === 2) continue;
    s = l.nature === 3 ? s.sub(l.amount) : s.add(l.amount);
  }
  return s;
}

/**
 * The totals payable hddt accepts for a given base (total before VAT + VAT): the base itself; plus fees
 * collected with the price; minus a trade discount or other deductions that were not already taken off the
 * lines. The first is the one reported as expected.
 */
export function payableCandidates(base: Dec, t: Invoice["totals"]): Dec[] {
  const fees = Dec.sum(t.fees.map((f) => f.amount));
  const discount = t.tradeDiscount ?? Dec.ZERO;
  const other = t.otherDeductions ?? Dec.ZERO;
  const out = [base];
  for (const withFees of [Dec.ZERO, fees]) {
    for (const minusDiscount of [Dec.ZERO, discount]) {
      for (const minusOther of [Dec.ZERO, other])
        out.push(base.add(withFees).sub(minusDiscount).sub(minusOther));
    }
  }
  return out;
}

function expectedWords(amount: Dec, currency: string): string {
  return amountInWords(amount, { currency });
}
