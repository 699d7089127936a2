/**
 * Per-occurrence invoices (hóa đơn theo từng lần phát sinh), issued by the tax authority for one sale of an
 * organisation or person that has no e-invoice of its own:
 * - 06/ĐN-PSĐT, the request (message 106; the invoice itself then travels as 201):
 *   `DNghi{DLDNghi@Id{TTChung{…}, NDDNghi{…}}, DSCKS{…}}`;
 * - 01-1/QTr-HĐĐT, the tax authority's check result of the dossier (message 205):
 *   `TBao{DLTBao@Id{…, KQKTra, DChi?, LHSo?, LCTu?, LNDung?}, STBao?, DSCKS{CQT}}`, the lists holding
 *   `DSLDo{LDo{STT?, NDung, HDXLy, GChu?}}`.
 *
 * The reference does not detail 06/ĐN-PSĐT; both field lists come from the QĐ 1450 models in
 * `huyvq8899/pmbk_bill_dn_be` (PhanII/I/7 and PhanII/II/4), in their order. Not findable, hence chosen:
 * - whether QĐ 1271 (2.1.0) added fields (e.g. a 12-digit personal ID like the buyer's CCCDan): the 1450 set is
 *   used; unknown elements are ignored when read, so a 2.1.0 request still reads;
 * - the request's signature slots: the model declares CQT and CCKSKhac (requests are often filed at the tax
 *   office), so the slots are kept generic (`SignatureSlot[]`, whatever DSCKS holds);
 * - MST of the result is optional (the model says required, but the request allows applicants without one);
 * - MGDDTu is ≤25 in that model but carries a message id (≤46) elsewhere: no length is assumed;
 * - an LDo `description` (MTa/MTLoi, not part of this form) would be written as MTLoi.
 */
import type { Result } from "../../domain/problem.ts";
import { attr, child, type XmlElement, XmlWriter } from "../xml.ts";
import {
  FormReader,
  type FormReadOptions,
  type NoticeStamp,
  type Reason,
  readNoticeStamp,
  readOptReasons,
  readSignatures,
  type SignatureSlot,
  writeNoticeStamp,
  writeReasons,
  writeSignatures,
} from "./common.ts";

export const PER_OCCURRENCE_REQUEST_FORM = "06/ĐN-PSĐT";
export const PER_OCCURRENCE_RESULT_FORM = "01-1/QTr-HĐĐT";

// No codes of its own: missing fields and bad values are reported with `formCommonCodes` (common.ts).

/** [KQKTra] 0 invalid, 1 valid. */
export type DossierCheck = 0 | 1;
export const DOSSIER_CHECKS: readonly DossierCheck[] = [0, 1];

/** DLDNghi/TTChung: who asks, and who collects the invoice. */
export interface PerOccurrenceApplicant {
  /** [PBan] */
  version: string;
  /** [MSo] "06/ĐN-PSĐT" */
  form: string;
  /** [Ten] (≤100) */
  name: string;
  /** [TCQT] tax authority issuing the invoice (≤100) */
  authorityName: string;
  /** [MCQT] its code (≤5) */
  authorityCode: string;
  /** [TTCCNhan] organisation or person asking (≤400) */
  applicantName: string;
  /** [DCLHe] contact address (≤400) */
  contactAddress: string;
  /** [DCTDTu] e-mail (≤50) */
  email?: string;
  /** [DTLHe] contact phone (≤20) */
  phone: string;
  /** [SQDTLap] founding decision number of an organisation (≤50) */
  foundingDecisionNumber?: string;
  /** [NCQDTLap] its date */
  foundingDecisionDate?: string;
  /** [CQCQDTLap] the body that issued it (≤200) */
  foundingAuthority?: string;
  /** [MST] (≤14) */
  taxCode?: string;
  /** [TNNHDon] person collecting the invoice (≤100) */
  receiverName: string;
  /** [CMND] their ID card / citizen ID / passport number (≤20) */
  receiverIdNumber: string;
  /** [NgCCMND] its issue date */
  receiverIdDate: string;
  /** [NCCMND] its place of issue (≤100) */
  receiverIdPlace: string;
  /** [DDanh] place (≤50) */
  place: string;
  /** [NLap] date of the request */
  date: string;
}

/** DLDNghi/NDDNghi: the sale. */
export interface PerOccurrenceSale {
  /** [THHDVu] goods or services (≤500) */
  itemName: string;
  /** [Ten] buyer name (≤400) */
  buyerName: string;
  /** [DChi] buyer address (≤400) */
  buyerAddress: string;
  /** [MST] buyer tax code (≤14) */
  buyerTaxCode?: string;
  /** [SHDong] contract number (≤50) */
  contractNumber?: string;
  /** [NHDong] contract date */
  contractDate?: string;
}

/** 06/ĐN-PSĐT */
export interface PerOccurrenceRequest {
  /** [DLDNghi@Id] */
  id?: string;
  applicant: PerOccurrenceApplicant;
  sale: PerOccurrenceSale;
  /** [DSCKS] */
  signatures: SignatureSlot[];
}

/** LNDung: the invoice content that was checked. */
export interface PerOccurrenceContentCheck {
  /** [KHMSHDon] */
  template: string;
  /** [KHHDon] */
  series: string;
  /** [SHDon] */
  number: string;
  /** [Ngay] */
  date: string;
  /** [DSLDo] */
  reasons?: Reason[];
}

/** 01-1/QTr-HĐĐT */
export interface PerOccurrenceResult {
  /** [DLTBao@Id] */
  id?: string;
  /** [PBan] */
  version: string;
  /** [MSo] "01-1/QTr-HĐĐT" */
  form: string;
  /** [Ten] */
  name: string;
  /** [So] (≤30) */
  number: string;
  /** [DDanh] */
  place: string;
  /** [NTBao] */
  date: string;
  /** [MST] */
  taxCode?: string;
  /** [TNNT] */
  taxpayerName: string;
  /** [TGGui] when the dossier was sent */
  sentAt: string;
  /** [CCu] basis: the received message type's name (≤255) */
  basis: string;
  /** [MGDDTu] */
  transactionId?: string;
  /** [KQKTra] */
  result: DossierCheck;
  /** [DChi] address to contact the tax authority (≤400) */
  contactAddress?: string;
  /** [LHSo/DSLDo] problems with the dossier */
  dossierReasons?: Reason[];
  /** [LCTu/DSLDo] problems with the supporting documents */
  documentReasons?: Reason[];
  /** [LNDung] problems with the invoice content */
  contentCheck?: PerOccurrenceContentCheck;
  /** [STBao] */
  stamp?: NoticeStamp;
  /** [DSCKS] CQT slot */
  signatures: SignatureSlot[];
}

// ---------------------------------------------------------------------------------------------------------
// 06/ĐN-PSĐT

export function readPerOccurrenceRequest(
  el: XmlElement,
  options: FormReadOptions = {},
): Result<PerOccurrenceRequest> {
  const r = new FormReader(options);
  const root = r.root(el, "DNghi");
  const dp = `${root}/DLDNghi`;
  const d = r.group(el, root, "DLDNghi");
  const tp = `${dp}/TTChung`;
  const t = r.group(d, dp, "TTChung");
  const np = `${dp}/NDDNghi`;
  const n = r.group(d, dp, "NDDNghi");
  return r.result({
    id: d && attr(d, "Id"),
    applicant: {
      version: r.str(t, tp, "PBan"),
      form: r.str(t, tp, "MSo"),
      name: r.str(t, tp, "Ten"),
      authorityName: r.str(t, tp, "TCQT"),
      authorityCode: r.str(t, tp, "MCQT"),
      applicantName: r.str(t, tp, "TTCCNhan"),
      contactAddress: r.str(t, tp, "DCLHe"),
      email: r.optStr(t, "DCTDTu"),
      phone: r.str(t, tp, "DTLHe"),
      foundingDecisionNumber: r.optStr(t, "SQDTLap"),
      foundingDecisionDate: r.optDate(t, tp, "NCQDTLap"),
      foundingAuthority: r.optStr(t, "CQCQDTLap"),
      taxCode: r.optStr(t, "MST"),
      receiverName: r.str(t, tp, "TNNHDon"),
      receiverIdNumber: r.str(t, tp, "CMND"),
      receiverIdDate: r.date(t, tp, "NgCCMND"),
      receiverIdPlace: r.str(t, tp, "NCCMND"),
      place: r.str(t, tp, "DDanh"),
      date: r.date(t, tp, "NLap"),
    },
    sale: {
      itemName: r.str(n, np, "THHDVu"),
      buyerName: r.str(n, np, "Ten"),
      buyerAddress: r.str(n, np, "DChi"),
      buyerTaxCode: r.optStr(n, "MST"),
      contractNumber: r.optStr(n, "SHDong"),
      contractDate: r.optDate(n, np, "NHDong"),
    },
    signatures: readSignatures(child(el, "DSCKS"), r.source),
  });
}

export function writePerOccurrenceRequest(x: PerOccurrenceRequest): string {
  const a = x.applicant;
  const s = x.sale;
  const w = new XmlWriter();
  w.start("DNghi").start("DLDNghi", { Id: x.id });
  w.start("TTChung")
    .leaf("PBan", a.version)
    .leaf("MSo", a.form)
    .leaf("Ten", a.name)
    .leaf("TCQT", a.authorityName)
    .leaf("MCQT", a.authorityCode)
    .leaf("TTCCNhan", a.applicantName)
    .leaf("DCLHe", a.contactAddress)
    .leaf("DCTDTu", a.email)
    .leaf("DTLHe", a.phone)
    .leaf("SQDTLap", a.foundingDecisionNumber)
    .leaf("NCQDTLap", a.foundingDecisionDate)
    .leaf("CQCQDTLap", a.foundingAuthority)
    .leaf("MST", a.taxCode)
    .leaf("TNNHDon", a.receiverName)
    .leaf("CMND", a.receiverIdNumber)
    .leaf("NgCCMND", a.receiverIdDate)
    .leaf("NCCMND", a.receiverIdPlace)
    .leaf("DDanh", a.place)
    .leaf("NLap", a.date)
    .end();
  w.start("NDDNghi")
    .leaf("THHDVu", s.itemName)
    .leaf("Ten", s.buyerName)
    .leaf("DChi", s.buyerAddress)
    .leaf("MST", s.buyerTaxCode)
    .leaf("SHDong", s.contractNumber)
    .leaf("NHDong", s.contractDate)
    .end();
  w.end();
  writeSignatures(w, x.signatures);
  return w.end().toString();
}

// ---------------------------------------------------------------------------------------------------------
// 01-1/QTr-HĐĐT

export function readPerOccurrenceResult(
  el: XmlElement,
  options: FormReadOptions = {},
): Result<PerOccurrenceResult> {
  const r = new FormReader(options);
  const root = r.root(el, "TBao");
  const p = `${root}/DLTBao`;
  const d = r.group(el, root, "DLTBao");
  const lhso = child(d, "LHSo");
  const lctu = child(d, "LCTu");
  const lnd = child(d, "LNDung");
  const lp = `${p}/LNDung`;
  return r.result({
    id: d && attr(d, "Id"),
    version: r.str(d, p, "PBan"),
    form: r.str(d, p, "MSo"),
    name: r.str(d, p, "Ten"),
    number: r.str(d, p, "So"),
    place: r.str(d, p, "DDanh"),
    date: r.date(d, p, "NTBao"),
    taxCode: r.optStr(d, "MST"),
    taxpayerName: r.str(d, p, "TNNT"),
    sentAt: r.date(d, p, "TGGui"),
    basis: r.str(d, p, "CCu"),
    transactionId: r.optStr(d, "MGDDTu"),
    result: r.code(d, p, "KQKTra", DOSSIER_CHECKS),
    contactAddress: r.optStr(d, "DChi"),
    dossierReasons: lhso ? (readOptReasons(r, lhso, `${p}/LHSo`, "DSLDo") ?? []) : undefined,
    documentReasons: lctu ? (readOptReasons(r, lctu, `${p}/LCTu`, "DSLDo") ?? []) : undefined,
    contentCheck: lnd && {
      template: r.str(lnd, lp, "KHMSHDon"),
      series: r.str(lnd, lp, "KHHDon"),
      number: r.str(lnd, lp, "SHDon"),
      date: r.date(lnd, lp, "Ngay"),
      reasons: readOptReasons(r, lnd, lp, "DSLDo"),
    },
    stamp: readNoticeStamp(r, el, root),
    signatures: readSignatures(child(el, "DSCKS"), r.source),
  });
}

export function writePerOccurrenceResult(x: PerOccurrenceResult): string {
  const w = new XmlWriter();
  w.start("TBao").start("DLTBao", { Id: x.id });
  w.leaf("PBan", x.version)
    .leaf("MSo", x.form)
    .leaf("Ten", x.name)
    .leaf("So", x.number)
    .leaf("DDanh", x.place)
    .leaf("NTBao", x.date)
    .leaf("MST", x.taxCode)
    .leaf("TNNT", x.taxpayerName)
    .leaf("TGGui", x.sentAt)
    .leaf("CCu", x.basis)
    .leaf("MGDDTu", x.transactionId)
    .leaf("KQKTra", String(x.result))
    .leaf("DChi", x.contactAddress);
  if (x.dossierReasons) {
    w.start("LHSo");
    writeReasons(w, "DSLDo", x.dossierReasons, "MTLoi");
    w.end();
  }
  if (x.documentReasons) {
    w.start("LCTu");
    writeReasons(w, "DSLDo", x.documentReasons, "MTLoi");
    w.end();
  }
  const c = x.contentCheck;
  if (c) {
    w.start("LNDung")
      .leaf("KHMSHDon", c.template)
      .leaf("KHHDon", c.series)
      .leaf("SHDon", c.number)
      .leaf("Ngay", c.date);
    writeReasons(w, "DSLDo", c.reasons, "MTLoi");
    w.end();
  }
  w.end();
  writeNoticeStamp(w, x.stamp);
  writeSignatures(w, x.signatures);
  return w.end().toString();
}
