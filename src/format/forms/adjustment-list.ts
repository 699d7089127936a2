/**
 * 01/BK-ĐCTT, the list attached to one adjusting or replacing invoice that covers many wrong invoices of the
 * same buyer (2.1.0; reference §5.4 and §2.4 SBKCLQuan/NBKCLQuan):
 * `BKe{NDBKe@Id{TTChung{PBan, TBKe, KHMBKe, SBKe, NBKe, TCHDon, NBan, MSTNBan, DCNBan, TCTCNHang, NMua,
 * MSTNMua, DCNMua, DSLDTDoi{LDo*}, TTKhac?}, DSHHDVu{HHDVu*{TTTDChinh{…}, TTSDChinh{…}, CLech{…}}}},
 * DSCKS{NBan, NMua}}`. The reference marks its source secondary (one 2026 codebase, index id 71583398882,
 * building it "per QĐ 1233"); element names and order follow that builder, which also supplies TTKhac and
 * the TCTCNHang flag (its UI labels it "tổ chức tài chính, ngân hàng").
 *
 * Choices (the sources are silent):
 * - Required when read: PBan, KHMBKe, SBKe, NBKe, TCHDon, NBan, MSTNBan, DSHHDVu; in each line the original
 *   invoice's KHMSHDon, KHHDon, SHDon. Everything else is optional (amount columns may be empty on a line that
 *   only fixes a name).
 * - TCHDon takes the related-invoice natures 1–4 of TTHDLQuan (1 replace, 2 adjust, 3/4 the many-invoice
 *   variants).
 * - TgTKGoc / TgTTDoi / TgTKCLech: the "K" total is read as "other" amounts; the exact meaning is unpublished.
 */
import type { Dec } from "../../domain/decimal.ts";
import type { ExtraField } from "../../domain/invoice.ts";
import { defineCodes, makeProblem, type Result } from "../../domain/problem.ts";
import { attr, child, childrenNamed, type XmlElement, XmlWriter } from "../xml.ts";
import {
  FormReader,
  type FormReadOptions,
  itemPath,
  numText,
  readExtraFields,
  readSignatures,
  type SignatureSlot,
  writeExtraFields,
  writeSignatures,
} from "./common.ts";

export const ADJUSTMENT_LIST_FORM = "01/BK-ĐCTT";

export const adjustmentListCodes = defineCodes({
  ADJUSTMENT_LIST_EMPTY: {
    vi: "Bảng kê 01/BK-ĐCTT không có dòng hàng hóa, dịch vụ nào (DSHHDVu/HHDVu)",
    en: "The 01/BK-ĐCTT list has no lines (DSHHDVu/HHDVu)",
  },
});

/** [TCHDon] nature of the invoice the list is attached to: 1 replace, 2 adjust, 3/4 many-invoice variants. */
export type ListNature = 1 | 2 | 3 | 4;
export const LIST_NATURES: readonly ListNature[] = [1, 2, 3, 4];

/** [TCTCNHang] 1 the seller is a financial institution or bank, 0 otherwise. */
export type BankFlag = 0 | 1;
export const BANK_FLAGS: readonly BankFlag[] = [0, 1];

/** TTTDChinh: the line as it was on the original invoice. */
export interface OriginalLine {
  /** [STT] */
  index?: number;
  /** [KHMSHDon] template of the original invoice */
  template: string;
  /** [KHHDon] series of the original invoice */
  series: string;
  /** [SHDon] number of the original invoice */
  number: string;
  /** [THHDVGoc] item name */
  itemName?: string;
  /** [SLGoc] quantity */
  quantity?: Dec;
  /** [DGGoc] unit price */
  unitPrice?: Dec;
  /** [ThTGoc] amount before VAT */
  amount?: Dec;
  /** [TSGoc] VAT rate */
  vatRate?: string;
  /** [TTGoc] VAT amount */
  vatAmount?: Dec;
  /** [TgTKGoc] other total (meaning unpublished) */
  otherTotal?: Dec;
  /** [TgTSTGoc] total after VAT */
  totalWithVat?: Dec;
}

/** TTSDChinh: the line after the change. */
export interface CorrectedLine {
  /** [THHDVTDoi] */
  itemName?: string;
  /** [SLTDoi] */
  quantity?: Dec;
  /** [DGTDoi] */
  unitPrice?: Dec;
  /** [ThTTDoi] */
  amount?: Dec;
  /** [TSTDoi] */
  vatRate?: string;
  /** [TTTDoi] */
  vatAmount?: Dec;
  /** [TgTTDoi] other total after the change (meaning unpublished) */
  otherTotal?: Dec;
  /** [TgTSTTDoi] total after VAT */
  totalWithVat?: Dec;
}

/** CLech: differences (corrected − original; decreases are negative). */
export interface LineDifference {
  /** [TgTCTCLech] total before VAT */
  amountBeforeVat?: Dec;
  /** [TgTTCLech] VAT */
  vatAmount?: Dec;
  /** [TgTKCLech] other total */
  otherTotal?: Dec;
  /** [TgTTTCLech] total payable */
  totalPayable?: Dec;
}

export interface AdjustmentListLine {
  original: OriginalLine;
  corrected?: CorrectedLine;
  difference?: LineDifference;
}

/** 01/BK-ĐCTT */
export interface AdjustmentList {
  /** [NDBKe@Id] */
  id?: string;
  /** [PBan] */
  version: string;
  /** [TBKe] name of the list */
  title?: string;
  /** [KHMBKe] "01/BK-ĐCTT" */
  form: string;
  /** [SBKe] list number (as in the invoice's SBKCLQuan) */
  number: string;
  /** [NBKe] list date (as in NBKCLQuan) */
  date: string;
  /** [TCHDon] */
  nature: ListNature;
  /** [NBan] seller name */
  sellerName: string;
  /** [MSTNBan] seller tax code */
  sellerTaxCode: string;
  /** [DCNBan] seller address */
  sellerAddress?: string;
  /** [TCTCNHang] */
  bank?: BankFlag;
  /** [NMua] buyer name */
  buyerName?: string;
  /** [MSTNMua] buyer tax code */
  buyerTaxCode?: string;
  /** [DCNMua] buyer address */
  buyerAddress?: string;
  /** [DSLDTDoi/LDo] reasons for the change (plain text lines) */
  reasons?: string[];
  /** [TTKhac] */
  extra?: ExtraField[];
  /** [DSHHDVu/HHDVu] */
  lines: AdjustmentListLine[];
  /** [DSCKS] NBan and NMua slots */
  signatures: SignatureSlot[];
}

export function readAdjustmentList(el: XmlElement, options: FormReadOptions = {}): Result<AdjustmentList> {
  const r = new FormReader(options);
  const root = r.root(el, "BKe");
  const np = `${root}/NDBKe`;
  const nd = r.group(el, root, "NDBKe");
  const tp = `${np}/TTChung`;
  const t = r.group(nd, np, "TTChung");
  const reasonList = child(t, "DSLDTDoi");
  const lp = `${np}/DSHHDVu`;
  const list = r.group(nd, np, "DSHHDVu");
  const items = childrenNamed(list, "HHDVu");
  if (list && items.length === 0) r.add(makeProblem(adjustmentListCodes, "ADJUSTMENT_LIST_EMPTY", lp));
  const lines = items.map((h, i): AdjustmentListLine => {
    const hp = itemPath(lp, "HHDVu", i);
    const op = `${hp}/TTTDChinh`;
    const o = r.group(h, hp, "TTTDChinh");
    const c = child(h, "TTSDChinh");
    const cp = `${hp}/TTSDChinh`;
    const d = child(h, "CLech");
    const dp = `${hp}/CLech`;
    return {
      original: {
        index: r.optInt(o, op, "STT"),
        template: r.str(o, op, "KHMSHDon"),
        series: r.str(o, op, "KHHDon"),
        number: r.str(o, op, "SHDon"),
        itemName: r.optStr(o, "THHDVGoc"),
        quantity: r.optDec(o, op, "SLGoc"),
        unitPrice: r.optDec(o, op, "DGGoc"),
        amount: r.optDec(o, op, "ThTGoc"),
        vatRate: r.optStr(o, "TSGoc"),
        vatAmount: r.optDec(o, op, "TTGoc"),
        otherTotal: r.optDec(o, op, "TgTKGoc"),
        totalWithVat: r.optDec(o, op, "TgTSTGoc"),
      },
      corrected: c && {
        itemName: r.optStr(c, "THHDVTDoi"),
        quantity: r.optDec(c, cp, "SLTDoi"),
        unitPrice: r.optDec(c, cp, "DGTDoi"),
        amount: r.optDec(c, cp, "ThTTDoi"),
        vatRate: r.optStr(c, "TSTDoi"),
        vatAmount: r.optDec(c, cp, "TTTDoi"),
        otherTotal: r.optDec(c, cp, "TgTTDoi"),
        totalWithVat: r.optDec(c, cp, "TgTSTTDoi"),
      },
      difference: d && {
        amountBeforeVat: r.optDec(d, dp, "TgTCTCLech"),
        vatAmount: r.optDec(d, dp, "TgTTCLech"),
        otherTotal: r.optDec(d, dp, "TgTKCLech"),
        totalPayable: r.optDec(d, dp, "TgTTTCLech"),
      },
    };
  });
  return r.result({
    id: nd && attr(nd, "Id"),
    version: r.str(t, tp, "PBan"),
    title: r.optStr(t, "TBKe"),
    form: r.str(t, tp, "KHMBKe"),
    number: r.str(t, tp, "SBKe"),
    date: r.date(t, tp, "NBKe"),
    nature: r.code(t, tp, "TCHDon", LIST_NATURES),
    sellerName: r.str(t, tp, "NBan"),
    sellerTaxCode: r.str(t, tp, "MSTNBan"),
    sellerAddress: r.optStr(t, "DCNBan"),
    bank: r.optCode(t, tp, "TCTCNHang", BANK_FLAGS),
    buyerName: r.optStr(t, "NMua"),
    buyerTaxCode: r.optStr(t, "MSTNMua"),
    buyerAddress: r.optStr(t, "DCNMua"),
    reasons: reasonList
      ? childrenNamed(reasonList, "LDo")
          .map((x) => x.text)
          .filter((s) => s.trim() !== "")
      : undefined,
    extra: readExtraFields(t),
    lines,
    signatures: readSignatures(child(el, "DSCKS"), r.source),
  });
}

export function writeAdjustmentList(x: AdjustmentList): string {
  const w = new XmlWriter();
  w.start("BKe").start("NDBKe", { Id: x.id });
  w.start("TTChung")
    .leaf("PBan", x.version)
    .leaf("TBKe", x.title)
    .leaf("KHMBKe", x.form)
    .leaf("SBKe", x.number)
    .leaf("NBKe", x.date)
    .leaf("TCHDon", String(x.nature))
    .leaf("NBan", x.sellerName)
    .leaf("MSTNBan", x.sellerTaxCode)
    .leaf("DCNBan", x.sellerAddress)
    .leaf("TCTCNHang", numText(x.bank))
    .leaf("NMua", x.buyerName)
    .leaf("MSTNMua", x.buyerTaxCode)
    .leaf("DCNMua", x.buyerAddress);
  if (x.reasons) {
    w.start("DSLDTDoi");
    for (const reason of x.reasons) w.leaf("LDo", reason);
    w.end();
  }
  writeExtraFields(w, x.extra);
  w.end();
  w.start("DSHHDVu");
  for (const line of x.lines) {
    const o = line.original;
    w.start("HHDVu");
    w.start("TTTDChinh")
      .leaf("STT", numText(o.index))
      .leaf("KHMSHDon", o.template)
      .leaf("KHHDon", o.series)
      .leaf("SHDon", o.number)
      .leaf("THHDVGoc", o.itemName)
      .leaf("SLGoc", numText(o.quantity))
      .leaf("DGGoc", numText(o.unitPrice))
      .leaf("ThTGoc", numText(o.amount))
      .leaf("TSGoc", o.vatRate)
      .leaf("TTGoc", numText(o.vatAmount))
      .leaf("TgTKGoc", numText(o.otherTotal))
      .leaf("TgTSTGoc", numText(o.totalWithVat))
      .end();
    const c = line.corrected;
    if (c) {
      w.start("TTSDChinh")
        .leaf("THHDVTDoi", c.itemName)
        .leaf("SLTDoi", numText(c.quantity))
        .leaf("DGTDoi", numText(c.unitPrice))
        .leaf("ThTTDoi", numText(c.amount))
        .leaf("TSTDoi", c.vatRate)
        .leaf("TTTDoi", numText(c.vatAmount))
        .leaf("TgTTDoi", numText(c.otherTotal))
        .leaf("TgTSTTDoi", numText(c.totalWithVat))
        .end();
    }
    const d = line.difference;
    if (d) {
      w.start("CLech")
        .leaf("TgTCTCLech", numText(d.amountBeforeVat))
        .leaf("TgTTCLech", numText(d.vatAmount))
        .leaf("TgTKCLech", numText(d.otherTotal))
        .leaf("TgTTTCLech", numText(d.totalPayable))
        .end();
    }
    w.end();
  }
  w.end().end();
  writeSignatures(w, x.signatures);
  return w.end().toString();
}
