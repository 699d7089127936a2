/**
 * 01/TH-HĐĐT, the summary table of invoice data (message 400; reference §5.4):
 * `BTHDLieu{DLBTHop@Id{TTChung{…}, NDBTHDLieu{DSDLieu{DLieu*{…}}}}, DSCKS{NNT}}`, every column of the
 * reference in its order. Lengths (not checked by the codec; the validator's job): SBTHDLieu 5 digits,
 * KDLieu ≤10, BSLThu 3 digits, TNNT ≤400, MST ≤14; rows: STT ≤6 digits, KHMSHDon ≤11, KHHDon ≤8, SHDon ≤8,
 * TNMua ≤400, MSTNMua ≤14, MKHang ≤50, MHHoa ≤50, THHDVu ≤500, DVTinh ≤50, amounts 21,6, TSuat ≤11 (2.1.0
 * rates), KHMSHDCLQuan ≤11, KHHDCLQuan ≤8, SHDCLQuan ≤8, KDLDChinh ≤10, STBao ≤20 (the 01/TB-RSĐT number),
 * GChu ≤255 (QĐ 1450 model in `huyvq8899/pmbk_bill_dn_be` PhanII/IV/1).
 *
 * Choices where the sources are silent or disagree:
 * - LKDLieu/LKDLDChinh are read as T (month), Q (quarter) or N; the reference writes T/Q/N and one model
 *   glosses N as "year", while daily fuel tables use DD/MM/YYYY periods: N is kept as a code, not interpreted.
 * - KDLieu is checked for shape (MM/YYYY or DD/MM/YYYY, FORM_BAD_PERIOD) because every later rule depends on it.
 * - SHDon is kept as text (leading zeros survive), like the invoice model.
 */
import type { Dec } from "../../domain/decimal.ts";
import { defineCodes, makeProblem, type Result } from "../../domain/problem.ts";
import { attr, child, childrenNamed, type XmlElement, XmlWriter } from "../xml.ts";
import {
  FormReader,
  type FormReadOptions,
  itemPath,
  numText,
  readSignatures,
  type SignatureSlot,
  writeSignatures,
} from "./common.ts";
import { ERROR_NATURES, type ErrorNature, INVOICE_REGIMES, type InvoiceRegime } from "./error-notice.ts";

export const SUMMARY_TABLE_FORM = "01/TH-HĐĐT";

export const summaryTableCodes = defineCodes({
  SUMMARY_TABLE_BAD_PERIOD: {
    vi: 'Kỳ dữ liệu {field} "{value}" không đúng định dạng MM/YYYY hoặc DD/MM/YYYY',
    en: 'The data period {field} "{value}" is not MM/YYYY or DD/MM/YYYY',
  },
});

// N1N2/YYYY for months and quarters (a quarter is written as its number), N1N2/N3N4/YYYY for days.
const PERIOD_RE = /^(?:(?:0?[1-9]|[12]\d|3[01])\/)?(?:0?[1-9]|1[0-2])\/\d{4}$/;

/** [LKDLieu] period kind: T month, Q quarter, N (see the file comment). */
export type PeriodKind = "T" | "Q" | "N";
export const PERIOD_KINDS: readonly PeriodKind[] = ["T", "Q", "N"];

/** [LDau] 1 first table of the period, 0 supplement. */
export type FirstTable = 0 | 1;
export const FIRST_TABLE: readonly FirstTable[] = [0, 1];

/** [HDDIn] 0 e-invoices, 1 printed (đặt in) invoices. */
export type PrintedInvoices = 0 | 1;
export const PRINTED_INVOICES: readonly PrintedInvoices[] = [0, 1];

/** [LHHoa] goods kind: 1 fuel, 2 aviation transport, 9 other. */
export type GoodsKind = 1 | 2 | 9;
export const GOODS_KINDS: readonly GoodsKind[] = [1, 2, 9];

/** TTChung of the table. */
export interface SummaryTableHeader {
  /** [PBan] */
  version: string;
  /** [MSo] "01/TH-HĐĐT" */
  form: string;
  /** [Ten] */
  name: string;
  /** [SBTHDLieu] running number of the table. */
  tableNumber: number;
  /** [LKDLieu] */
  periodKind: PeriodKind;
  /** [KDLieu] MM/YYYY, or DD/MM/YYYY for daily tables. */
  period: string;
  /** [LDau] */
  first: FirstTable;
  /** [BSLThu] supplement number (when first = 0). */
  supplementNo?: number;
  /** [NLap] */
  date: string;
  /** [TNNT] */
  taxpayerName: string;
  /** [MST] */
  taxCode: string;
  /** [HDDIn] */
  printed: PrintedInvoices;
  /** [LHHoa] */
  goodsKind: GoodsKind;
  /** [DVTTe] currency (2.1.0). */
  currency?: string;
}

/** One row (DLieu) of the table. */
export interface SummaryTableRow {
  /** [STT] */
  index?: number;
  /** [KHMSHDon] */
  template?: string;
  /** [KHHDon] */
  series?: string;
  /** [SHDon] */
  number?: string;
  /** [NLap] issue date */
  issueDate?: string;
  /** [TNMua] buyer name */
  buyerName?: string;
  /** [MSTNMua] buyer tax code */
  buyerTaxCode?: string;
  /** [MKHang] customer code */
  customerCode?: string;
  /** [MHHoa] item code (fuel tables) */
  itemCode?: string;
  /** [THHDVu] item name */
  itemName?: string;
  /** [DVTinh] unit */
  unit?: string;
  /** [SLuong] quantity */
  quantity?: Dec;
  /** [TTCThue] total before VAT */
  amountBeforeVat?: Dec;
  /** [TSuat] VAT rate (Annex V text) */
  vatRate?: string;
  /** [TgTThue] VAT amount */
  vatAmount?: Dec;
  /** [TTPhi] fees */
  fees?: Dec;
  /** [TGTKhac] other amounts */
  otherAmount?: Dec;
  /** [TgTTToan] total payable */
  totalPayable?: Dec;
  /** [TThai] status: 0 new, 1 cancel, 2 adjust, 3 replace, 4 explanation, 5 summary error (TCTBao codes). */
  status: ErrorNature;
  /** [LHDCLQuan] regime of the related invoice (for adjustments/replacements). */
  relatedKind?: InvoiceRegime;
  /** [KHMSHDCLQuan] */
  relatedTemplate?: string;
  /** [KHHDCLQuan] */
  relatedSeries?: string;
  /** [SHDCLQuan] */
  relatedNumber?: string;
  /** [LKDLDChinh] kind of the adjusted period */
  adjustedPeriodKind?: PeriodKind;
  /** [KDLDChinh] adjusted period */
  adjustedPeriod?: string;
  /** [STBao] number of the 01/TB-RSĐT notice this row answers */
  reviewNoticeNumber?: string;
  /** [NTBao] date of that notice */
  reviewNoticeDate?: string;
  /** [GChu] note */
  note?: string;
  /** [TGia] exchange rate (2.1.0) */
  exchangeRate?: Dec;
}

/** 01/TH-HĐĐT */
export interface SummaryTable {
  /** [DLBTHop@Id] */
  id?: string;
  header: SummaryTableHeader;
  /** [NDBTHDLieu/DSDLieu/DLieu] */
  rows: SummaryTableRow[];
  /** [DSCKS] NNT slot */
  signatures: SignatureSlot[];
}

export function readSummaryTable(el: XmlElement, options: FormReadOptions = {}): Result<SummaryTable> {
  const r = new FormReader(options);
  const root = r.root(el, "BTHDLieu");
  const dp = `${root}/DLBTHop`;
  const d = r.group(el, root, "DLBTHop");
  const tp = `${dp}/TTChung`;
  const t = r.group(d, dp, "TTChung");
  const header: SummaryTableHeader = {
    version: r.str(t, tp, "PBan"),
    form: r.str(t, tp, "MSo"),
    name: r.str(t, tp, "Ten"),
    tableNumber: r.int(t, tp, "SBTHDLieu"),
    periodKind: r.strCode(t, tp, "LKDLieu", PERIOD_KINDS),
    period: period(r, r.str(t, tp, "KDLieu"), tp, "KDLieu"),
    first: r.code(t, tp, "LDau", FIRST_TABLE),
    supplementNo: r.optInt(t, tp, "BSLThu"),
    date: r.date(t, tp, "NLap"),
    taxpayerName: r.str(t, tp, "TNNT"),
    taxCode: r.str(t, tp, "MST"),
    printed: r.code(t, tp, "HDDIn", PRINTED_INVOICES),
    goodsKind: r.code(t, tp, "LHHoa", GOODS_KINDS),
    currency: r.optStr(t, "DVTTe"),
  };
  const np = `${dp}/NDBTHDLieu`;
  const nd = r.group(d, dp, "NDBTHDLieu");
  const lp = `${np}/DSDLieu`;
  const rows = childrenNamed(r.group(nd, np, "DSDLieu"), "DLieu").map((x, i) => {
    const p = itemPath(lp, "DLieu", i);
    const adjusted = r.optStr(x, "KDLDChinh");
    return {
      index: r.optInt(x, p, "STT"),
      template: r.optStr(x, "KHMSHDon"),
      series: r.optStr(x, "KHHDon"),
      number: r.optStr(x, "SHDon"),
      issueDate: r.optDate(x, p, "NLap"),
      buyerName: r.optStr(x, "TNMua"),
      buyerTaxCode: r.optStr(x, "MSTNMua"),
      customerCode: r.optStr(x, "MKHang"),
      itemCode: r.optStr(x, "MHHoa"),
      itemName: r.optStr(x, "THHDVu"),
      unit: r.optStr(x, "DVTinh"),
      quantity: r.optDec(x, p, "SLuong"),
      amountBeforeVat: r.optDec(x, p, "TTCThue"),
      vatRate: r.optStr(x, "TSuat"),
      vatAmount: r.optDec(x, p, "TgTThue"),
      fees: r.optDec(x, p, "TTPhi"),
      otherAmount: r.optDec(x, p, "TGTKhac"),
      totalPayable: r.optDec(x, p, "TgTTToan"),
      status: r.code(x, p, "TThai", ERROR_NATURES),
      relatedKind: r.optCode(x, p, "LHDCLQuan", INVOICE_REGIMES),
      relatedTemplate: r.optStr(x, "KHMSHDCLQuan"),
      relatedSeries: r.optStr(x, "KHHDCLQuan"),
      relatedNumber: r.optStr(x, "SHDCLQuan"),
      adjustedPeriodKind: r.optStrCode(x, p, "LKDLDChinh", PERIOD_KINDS),
      adjustedPeriod: adjusted === undefined ? undefined : period(r, adjusted, p, "KDLDChinh"),
      reviewNoticeNumber: r.optStr(x, "STBao"),
      reviewNoticeDate: r.optDate(x, p, "NTBao"),
      note: r.optStr(x, "GChu"),
      exchangeRate: r.optDec(x, p, "TGia"),
    };
  });
  return r.result({
    id: d && attr(d, "Id"),
    header,
    rows,
    signatures: readSignatures(child(el, "DSCKS"), r.source),
  });
}

function period(r: FormReader, value: string, path: string, field: string): string {
  if (value !== "" && !PERIOD_RE.test(value)) {
    r.add(makeProblem(summaryTableCodes, "SUMMARY_TABLE_BAD_PERIOD", `${path}/${field}`, { field, value }));
  }
  return value;
}

export function writeSummaryTable(x: SummaryTable): string {
  const h = x.header;
  const w = new XmlWriter();
  w.start("BTHDLieu").start("DLBTHop", { Id: x.id });
  w.start("TTChung")
    .leaf("PBan", h.version)
    .leaf("MSo", h.form)
    .leaf("Ten", h.name)
    .leaf("SBTHDLieu", String(h.tableNumber))
    .leaf("LKDLieu", h.periodKind)
    .leaf("KDLieu", h.period)
    .leaf("LDau", String(h.first))
    .leaf("BSLThu", numText(h.supplementNo))
    .leaf("NLap", h.date)
    .leaf("TNNT", h.taxpayerName)
    .leaf("MST", h.taxCode)
    .leaf("HDDIn", String(h.printed))
    .leaf("LHHoa", String(h.goodsKind))
    .leaf("DVTTe", h.currency)
    .end();
  w.start("NDBTHDLieu").start("DSDLieu");
  for (const row of x.rows) {
    w.start("DLieu")
      .leaf("STT", numText(row.index))
      .leaf("KHMSHDon", row.template)
      .leaf("KHHDon", row.series)
      .leaf("SHDon", row.number)
      .leaf("NLap", row.issueDate)
      .leaf("TNMua", row.buyerName)
      .leaf("MSTNMua", row.buyerTaxCode)
      .leaf("MKHang", row.customerCode)
      .leaf("MHHoa", row.itemCode)
      .leaf("THHDVu", row.itemName)
      .leaf("DVTinh", row.unit)
      .leaf("SLuong", numText(row.quantity))
      .leaf("TTCThue", numText(row.amountBeforeVat))
      .leaf("TSuat", row.vatRate)
      .leaf("TgTThue", numText(row.vatAmount))
      .leaf("TTPhi", numText(row.fees))
      .leaf("TGTKhac", numText(row.otherAmount))
      .leaf("TgTTToan", numText(row.totalPayable))
      .leaf("TThai", String(row.status))
      .leaf("LHDCLQuan", numText(row.relatedKind))
      .leaf("KHMSHDCLQuan", row.relatedTemplate)
      .leaf("KHHDCLQuan", row.relatedSeries)
      .leaf("SHDCLQuan", row.relatedNumber)
      .leaf("LKDLDChinh", row.adjustedPeriodKind)
      .leaf("KDLDChinh", row.adjustedPeriod)
      .leaf("STBao", row.reviewNoticeNumber)
      .leaf("NTBao", row.reviewNoticeDate)
      .leaf("GChu", row.note)
      .leaf("TGia", numText(row.exchangeRate))
      .end();
  }
  w.end().end().end();
  writeSignatures(w, x.signatures);
  return w.end().toString();
}
