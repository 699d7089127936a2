/**
 * Invoice error notices (reference §5.4):
 * - 04/SS-HĐĐT, the taxpayer's notice of invoices with errors (message 300; 303 for cash-register invoices);
 * - 01/TB-SSĐT, the tax authority's answer to it (301);
 * - 01/TB-RSĐT, the tax authority's notice of invoices to review (302), with a deadline (THan) and a count (Lan).
 *
 * Element order follows the reference; where it is short, the QĐ 1450/1510 models in
 * `huyvq8899/pmbk_bill_dn_be` (PhanII/III/1–3 and the receive-side ThongDiepGuiNhanCQT models) fill the gaps.
 * Two spellings seen in the wild are read and the reference's is written:
 * - LADHDDT (reference) / LADHĐĐT (with the letter Đ, used by that implementation's send and receive models);
 * - Ngay (reference) / NLap (receive-side models of 301 and 302) for the invoice date.
 * Change `REGIME_FIELD` / `INVOICE_DATE_FIELD` to switch what is written.
 *
 * Message 303 (cash-register invoices) carries the same 04/SS-HĐĐT form; one implementation's 303 model adds
 * MCCQT to each HDon, which is ignored when read like any unknown element.
 *
 * TCTBao 1 (cancel) is carried like any other value: Decree 70/2025 removed the cancel path for notices from
 * 2025-06-01, which is a rule for the validator (it knows the date), not for the codec.
 */

import { defineCodes, makeProblem, type Result } from "../../domain/problem.ts";
import type { XmlElement } from "../xml.ts";
import { attr, child, childrenNamed, XmlWriter } from "../xml.ts";
import {
  type FieldName,
  FormReader,
  type FormReadOptions,
  itemPath,
  type NoticeStamp,
  numText,
  type Reason,
  readNoticeStamp,
  readOptReasons,
  readSignatures,
  type SignatureSlot,
  writeNoticeStamp,
  writeReasons,
  writeSignatures,
} from "./common.ts";

export const ERROR_NOTICE_FORM = "04/SS-HĐĐT";
export const ERROR_NOTICE_ANSWER_FORM = "01/TB-SSĐT";
export const REVIEW_NOTICE_FORM = "01/TB-RSĐT";

/** Codes of these forms; missing fields and bad values use `formCommonCodes` (common.ts). */
export const errorNoticeCodes = defineCodes({
  NOTICE_NO_INVOICES: {
    vi: "Thông báo {form} không có hóa đơn nào trong danh sách DSHDon",
    en: "The notice {form} lists no invoice in DSHDon",
  },
});

/** [LADHDDT] written first; the Đ spelling is accepted when reading. */
const REGIME_FIELD: FieldName = ["LADHDDT", "LADHĐĐT"];
/** [Ngay] written first; NLap is accepted when reading. */
const INVOICE_DATE_FIELD: FieldName = ["Ngay", "NLap"];

/** [Loai] 1 the taxpayer's own notice, 2 a notice answering the tax authority's 01/TB-RSĐT. */
export type ErrorNoticeKind = 1 | 2;
export const ERROR_NOTICE_KINDS: readonly ErrorNoticeKind[] = [1, 2];

/**
 * [TCTBao] nature of the notice for one invoice: 0 new, 1 cancel (valid only before 2025-06-01), 2 adjust,
 * 3 replace, 4 explanation, 5 error from the summary table. Also the TThai code of 01/TH-HĐĐT rows.
 */
export type ErrorNature = 0 | 1 | 2 | 3 | 4 | 5;
export const ERROR_NATURES: readonly ErrorNature[] = [0, 1, 2, 3, 4, 5];

/**
 * [LADHDDT] kind of invoice by regime (Annex VI, like LHDCLQuan): 1 Decree 123 e-invoice, 2 coded e-invoice
 * under QĐ 1209/2660, 3 other Decree 51/04 invoices, 4 pre-printed invoices under Decree 123.
 */
export type InvoiceRegime = 1 | 2 | 3 | 4;
export const INVOICE_REGIMES: readonly InvoiceRegime[] = [1, 2, 3, 4];

/** [TTTNCCQT] the tax authority's decision on one invoice of the notice: 1 received, 2 not received. */
export type ReceiptStatus = 1 | 2;
export const RECEIPT_STATUSES: readonly ReceiptStatus[] = [1, 2];

/** Which invoice a line of a notice is about (common part of the HDon lines of 300/301/302). */
export interface NoticeInvoiceRef {
  /** [STT] */
  index?: number;
  /** [KHMSHDon] ≤11 (old templates like 01GTKT0/001). Absent for Decree 123 Art 10.14 invoices. */
  template?: string;
  /** [KHHDon] ≤8 */
  series?: string;
  /** [SHDon] ≤8, as written */
  number?: string;
  /** [Ngay] issue date */
  date: string;
  /** [LADHDDT] */
  regime: InvoiceRegime;
}

/** One invoice of a 04/SS-HĐĐT notice. */
export interface ErrorNoticeInvoice extends NoticeInvoiceRef {
  /** [MCQTCap] the tax authority's code of the invoice (≤34; code invoices only). */
  authorityCode?: string;
  /** [TCTBao] */
  nature: ErrorNature;
  /** [LDo] reason (≤255). */
  reason?: string;
}

/** 04/SS-HĐĐT: `TBao{DLTBao@Id{…}, DSCKS{NNT}}`. */
export interface ErrorNotice {
  /** [DLTBao@Id] the signed element's id. */
  id?: string;
  /** [PBan] */
  version: string;
  /** [MSo] "04/SS-HĐĐT" */
  form: string;
  /** [Ten] (≤255) */
  name: string;
  /** [Loai] */
  kind: ErrorNoticeKind;
  /** [So] number of the tax authority's notice (≤30; required when kind = 2, a validator rule). */
  authorityNoticeNumber?: string;
  /** [NTBCCQT] date of the tax authority's notice (required when kind = 2). */
  authorityNoticeDate?: string;
  /** [MCQT] code of the tax authority (≤5). */
  authorityCode: string;
  /** [TCQT] name of the tax authority (≤100). */
  authorityName: string;
  /** [TNNT] taxpayer name (≤400). */
  taxpayerName: string;
  /** [MST] (≤14); may be absent only for public-asset sellers that have a budget-unit code. */
  taxCode?: string;
  /** [MDVQHNSach] budget-relationship unit code (≤7). */
  budgetUnitCode?: string;
  /** [DDanh] place (≤50). */
  place: string;
  /** [NTBao] notice date. */
  date: string;
  /** [DSHDon/HDon] */
  invoices: ErrorNoticeInvoice[];
  /** [DSCKS] NNT slot (the taxpayer signs DLTBao). */
  signatures: SignatureSlot[];
}

/** One invoice of a 01/TB-SSĐT answer. */
export interface ErrorNoticeAnswerInvoice extends NoticeInvoiceRef {
  /** [MCQTCap] */
  authorityCode?: string;
  /** [TCTBao] */
  nature: ErrorNature;
  /** [TTTNCCQT] */
  status: ReceiptStatus;
  /** [DSLDKTNhan/LDo{MLoi, MTa}] reasons for not receiving this invoice. */
  reasons?: Reason[];
}

/** Header fields shared by the tax authority's notices (301, 302). */
export interface AuthorityNoticeHeader {
  /** [DLTBao@Id] */
  id?: string;
  /** [PBan] */
  version: string;
  /** [MSo] */
  form: string;
  /** [Ten] */
  name: string;
  /** [So] inside DLTBao (1450 models); real notices carry it in STBao (see `stamp`). */
  number?: string;
  /** [DDanh] */
  place: string;
  /** [NTBao] inside DLTBao (1450 models); real notices carry it in STBao. */
  date?: string;
  /** [TCQTCTren] name of the superior tax authority (≤100). */
  superiorAuthorityName?: string;
  /** [TCQT] name of the issuing tax authority (≤100). */
  authorityName: string;
  /** [TNNT] */
  taxpayerName: string;
  /** [MST] */
  taxCode?: string;
  /** [MDVQHNSach] */
  budgetUnitCode?: string;
  /** [HThuc] signing form line of the notice ("KT. Chi Cục Trưởng", ≤50). */
  signingForm?: string;
  /** [CDanh] signer's title (≤50). */
  signerTitle?: string;
  /** [STBao] number and date of the notice. */
  stamp?: NoticeStamp;
  /** [DSCKS] CQT slot. */
  signatures: SignatureSlot[];
}

/** 01/TB-SSĐT (301): receipt and processing result of a 04/SS-HĐĐT notice. */
export interface ErrorNoticeAnswer extends AuthorityNoticeHeader {
  /** [MGDDTu] electronic transaction code: the MTDiep of the 300 message (≤46). */
  transactionId: string;
  /** [TGNhan] when the tax authority received the notice. */
  receivedAt: string;
  /** [NTBNNT] date of the taxpayer's notice (seen in one 2.1.0 implementation; optional). */
  taxpayerNoticeDate?: string;
  /** [STTThe] position of the answered TBao in the 300 message (≤4). */
  noticeIndex: number;
  /** [DSLDKCNhan/LDo{MLoi, MTLoi, HDXLy, GChu}] reasons for not receiving the whole notice. */
  reasons?: Reason[];
  /** [DSHDon/HDon] */
  invoices: ErrorNoticeAnswerInvoice[];
}

/** One invoice of a 01/TB-RSĐT notice. */
export interface ReviewInvoice extends NoticeInvoiceRef {
  /** [LDo] why the invoice needs review (≤255). */
  reason: string;
}

/** 01/TB-RSĐT (302): invoices the taxpayer must review. */
export interface ReviewNotice extends AuthorityNoticeHeader {
  /** [DCNNT] taxpayer address (≤400). */
  taxpayerAddress: string;
  /** [DCTDTu] taxpayer e-mail (≤50). */
  email?: string;
  /** [THan] days the taxpayer has to answer with a 04/SS-HĐĐT (≤2 digits). */
  deadlineDays: number;
  /** [Lan] how many times this has been notified (1 digit). */
  round: number;
  /** [DSHDon/HDon] */
  invoices: ReviewInvoice[];
}

// ---------------------------------------------------------------------------------------------------------
// 04/SS-HĐĐT

export function readErrorNotice(el: XmlElement, options: FormReadOptions = {}): Result<ErrorNotice> {
  const r = new FormReader(options);
  const root = r.root(el, "TBao");
  const p = `${root}/DLTBao`;
  const d = r.group(el, root, "DLTBao");
  const { taxCode, budgetUnitCode } = r.taxpayerId(d, p);
  const invoices: ErrorNoticeInvoice[] = [];
  const list = r.group(d, p, "DSHDon");
  const items = childrenNamed(list, "HDon");
  if (list && items.length === 0) noInvoices(r, p, ERROR_NOTICE_FORM);
  for (let i = 0; i < items.length; i++) {
    const h = items[i]!;
    const hp = itemPath(`${p}/DSHDon`, "HDon", i);
    invoices.push({
      index: r.optInt(h, hp, "STT"),
      authorityCode: r.optStr(h, "MCQTCap"),
      template: r.optStr(h, "KHMSHDon"),
      series: r.optStr(h, "KHHDon"),
      number: r.optStr(h, "SHDon"),
      date: r.date(h, hp, INVOICE_DATE_FIELD),
      regime: r.code(h, hp, REGIME_FIELD, INVOICE_REGIMES),
      nature: r.code(h, hp, "TCTBao", ERROR_NATURES),
      reason: r.optStr(h, "LDo"),
    });
  }
  return r.result({
    id: d && attr(d, "Id"),
    version: r.str(d, p, "PBan"),
    form: r.str(d, p, "MSo"),
    name: r.str(d, p, "Ten"),
    kind: r.code(d, p, "Loai", ERROR_NOTICE_KINDS),
    authorityNoticeNumber: r.optStr(d, "So"),
    authorityNoticeDate: r.optDate(d, p, "NTBCCQT"),
    authorityCode: r.str(d, p, "MCQT"),
    authorityName: r.str(d, p, "TCQT"),
    taxpayerName: r.str(d, p, "TNNT"),
    taxCode,
    budgetUnitCode,
    place: r.str(d, p, "DDanh"),
    date: r.date(d, p, "NTBao"),
    invoices,
    signatures: readSignatures(child(el, "DSCKS"), r.source),
  });
}

export function writeErrorNotice(x: ErrorNotice): string {
  const w = new XmlWriter();
  w.start("TBao").start("DLTBao", { Id: x.id });
  w.leaf("PBan", x.version)
    .leaf("MSo", x.form)
    .leaf("Ten", x.name)
    .leaf("Loai", String(x.kind))
    .leaf("So", x.authorityNoticeNumber)
    .leaf("NTBCCQT", x.authorityNoticeDate)
    .leaf("MCQT", x.authorityCode)
    .leaf("TCQT", x.authorityName)
    .leaf("TNNT", x.taxpayerName)
    .leaf("MST", x.taxCode)
    .leaf("MDVQHNSach", x.budgetUnitCode)
    .leaf("DDanh", x.place)
    .leaf("NTBao", x.date);
  w.start("DSHDon");
  for (const h of x.invoices) {
    w.start("HDon")
      .leaf("STT", numText(h.index))
      .leaf("MCQTCap", h.authorityCode)
      .leaf("KHMSHDon", h.template)
      .leaf("KHHDon", h.series)
      .leaf("SHDon", h.number)
      .leaf(fieldWritten(INVOICE_DATE_FIELD), h.date)
      .leaf(fieldWritten(REGIME_FIELD), String(h.regime))
      .leaf("TCTBao", String(h.nature))
      .leaf("LDo", h.reason)
      .end();
  }
  w.end().end();
  writeSignatures(w, x.signatures);
  return w.end().toString();
}

function noInvoices(r: FormReader, p: string, form: string): void {
  r.add(makeProblem(errorNoticeCodes, "NOTICE_NO_INVOICES", `${p}/DSHDon`, { form }));
}

function fieldWritten(name: FieldName): string {
  return typeof name === "string" ? name : name[0]!;
}

// ---------------------------------------------------------------------------------------------------------
// Tax-authority notice header (301, 302)

function readAuthorityHeader(
  r: FormReader,
  el: XmlElement,
  d: XmlElement | undefined,
  p: string,
  rootPath: string,
): AuthorityNoticeHeader {
  const stamp = readNoticeStamp(r, el, rootPath);
  const { taxCode, budgetUnitCode } = r.taxpayerId(d, p);
  return {
    id: d && attr(d, "Id"),
    version: r.str(d, p, "PBan"),
    form: r.str(d, p, "MSo"),
    name: r.str(d, p, "Ten"),
    number: r.optStr(d, "So"),
    place: r.str(d, p, "DDanh"),
    date: r.optDate(d, p, "NTBao"),
    superiorAuthorityName: r.optStr(d, "TCQTCTren"),
    authorityName: r.str(d, p, "TCQT"),
    taxpayerName: r.str(d, p, "TNNT"),
    taxCode,
    budgetUnitCode,
    signingForm: r.optStr(d, "HThuc"),
    signerTitle: r.optStr(d, "CDanh"),
    stamp,
    signatures: readSignatures(child(el, "DSCKS"), r.source),
  };
}

/** PBan … MDVQHNSach, the common head of DLTBao in 301 and 302. */
function writeAuthorityHead(w: XmlWriter, x: AuthorityNoticeHeader): void {
  w.leaf("PBan", x.version)
    .leaf("MSo", x.form)
    .leaf("Ten", x.name)
    .leaf("So", x.number)
    .leaf("DDanh", x.place)
    .leaf("NTBao", x.date)
    .leaf("TCQTCTren", x.superiorAuthorityName)
    .leaf("TCQT", x.authorityName)
    .leaf("TNNT", x.taxpayerName)
    .leaf("MST", x.taxCode)
    .leaf("MDVQHNSach", x.budgetUnitCode);
}

/** Closes DLTBao, then STBao and DSCKS, then TBao. */
function writeAuthorityTail(w: XmlWriter, x: AuthorityNoticeHeader): string {
  w.end();
  writeNoticeStamp(w, x.stamp);
  writeSignatures(w, x.signatures);
  return w.end().toString();
}

function readInvoiceRef(r: FormReader, h: XmlElement, hp: string): NoticeInvoiceRef {
  return {
    index: r.optInt(h, hp, "STT"),
    template: r.optStr(h, "KHMSHDon"),
    series: r.optStr(h, "KHHDon"),
    number: r.optStr(h, "SHDon"),
    date: r.date(h, hp, INVOICE_DATE_FIELD),
    regime: r.code(h, hp, REGIME_FIELD, INVOICE_REGIMES),
  };
}

// ---------------------------------------------------------------------------------------------------------
// 01/TB-SSĐT

export function readErrorNoticeAnswer(
  el: XmlElement,
  options: FormReadOptions = {},
): Result<ErrorNoticeAnswer> {
  const r = new FormReader(options);
  const root = r.root(el, "TBao");
  const p = `${root}/DLTBao`;
  const d = r.group(el, root, "DLTBao");
  const header = readAuthorityHeader(r, el, d, p, root);
  const invoices: ErrorNoticeAnswerInvoice[] = [];
  const items = childrenNamed(child(d, "DSHDon"), "HDon");
  for (let i = 0; i < items.length; i++) {
    const h = items[i]!;
    const hp = itemPath(`${p}/DSHDon`, "HDon", i);
    invoices.push({
      ...readInvoiceRef(r, h, hp),
      authorityCode: r.optStr(h, "MCQTCap"),
      nature: r.code(h, hp, "TCTBao", ERROR_NATURES),
      status: r.code(h, hp, "TTTNCCQT", RECEIPT_STATUSES),
      reasons: readOptReasons(r, h, hp, "DSLDKTNhan"),
    });
  }
  return r.result({
    ...header,
    transactionId: r.str(d, p, "MGDDTu"),
    receivedAt: r.date(d, p, "TGNhan"),
    taxpayerNoticeDate: r.optDate(d, p, "NTBNNT"),
    noticeIndex: r.int(d, p, "STTThe"),
    // The reference and the 1450 model name the notice-level list DSLDKCNhan; one receive-side model uses
    // DSLDKTNhan (the name of the per-invoice list). Both are read.
    reasons: readOptReasons(r, d, p, ["DSLDKCNhan", "DSLDKTNhan"]),
    invoices,
  });
}

export function writeErrorNoticeAnswer(x: ErrorNoticeAnswer): string {
  const w = new XmlWriter();
  w.start("TBao").start("DLTBao", { Id: x.id });
  writeAuthorityHead(w, x);
  w.leaf("MGDDTu", x.transactionId)
    .leaf("TGNhan", x.receivedAt)
    .leaf("NTBNNT", x.taxpayerNoticeDate)
    .leaf("STTThe", String(x.noticeIndex))
    .leaf("HThuc", x.signingForm)
    .leaf("CDanh", x.signerTitle);
  writeReasons(w, "DSLDKCNhan", x.reasons, "MTLoi");
  w.start("DSHDon");
  for (const h of x.invoices) {
    w.start("HDon")
      .leaf("STT", numText(h.index))
      .leaf("MCQTCap", h.authorityCode)
      .leaf("KHMSHDon", h.template)
      .leaf("KHHDon", h.series)
      .leaf("SHDon", h.number)
      .leaf(fieldWritten(INVOICE_DATE_FIELD), h.date)
      .leaf(fieldWritten(REGIME_FIELD), String(h.regime))
      .leaf("TCTBao", String(h.nature))
      .leaf("TTTNCCQT", String(h.status));
    writeReasons(w, "DSLDKTNhan", h.reasons, "MTa");
    w.end();
  }
  w.end();
  return writeAuthorityTail(w, x);
}

// ---------------------------------------------------------------------------------------------------------
// 01/TB-RSĐT

export function readReviewNotice(el: XmlElement, options: FormReadOptions = {}): Result<ReviewNotice> {
  const r = new FormReader(options);
  const root = r.root(el, "TBao");
  const p = `${root}/DLTBao`;
  const d = r.group(el, root, "DLTBao");
  const header = readAuthorityHeader(r, el, d, p, root);
  const invoices: ReviewInvoice[] = [];
  const list = r.group(d, p, "DSHDon");
  const items = childrenNamed(list, "HDon");
  if (list && items.length === 0) noInvoices(r, p, REVIEW_NOTICE_FORM);
  for (let i = 0; i < items.length; i++) {
    const h = items[i]!;
    const hp = itemPath(`${p}/DSHDon`, "HDon", i);
    invoices.push({ ...readInvoiceRef(r, h, hp), reason: r.str(h, hp, "LDo") });
  }
  return r.result({
    ...header,
    taxpayerAddress: r.str(d, p, "DCNNT"),
    email: r.optStr(d, "DCTDTu"),
    deadlineDays: r.int(d, p, "THan"),
    round: r.int(d, p, "Lan"),
    invoices,
  });
}

export function writeReviewNotice(x: ReviewNotice): string {
  const w = new XmlWriter();
  w.start("TBao").start("DLTBao", { Id: x.id });
  writeAuthorityHead(w, x);
  w.leaf("DCNNT", x.taxpayerAddress)
    .leaf("DCTDTu", x.email)
    .leaf("THan", String(x.deadlineDays))
    .leaf("Lan", String(x.round))
    .leaf("HThuc", x.signingForm)
    .leaf("CDanh", x.signerTitle);
  w.start("DSHDon");
  for (const h of x.invoices) {
    w.start("HDon")
      .leaf("STT", numText(h.index))
      .leaf("KHMSHDon", h.template)
      .leaf("KHHDon", h.series)
      .leaf("SHDon", h.number)
      .leaf(fieldWritten(INVOICE_DATE_FIELD), h.date)
      .leaf(fieldWritten(REGIME_FIELD), String(h.regime))
      .leaf("LDo", h.reason)
      .end();
  }
  w.end();
  return writeAuthorityTail(w, x);
}
