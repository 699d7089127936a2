/**
 * Registration forms (reference §5.4):
 * - 01/ĐKTĐ-HĐĐT, the taxpayer's registration/change declaration (messages 100/101): `TKhai{DLTKhai@Id{
 *   TTChung, NDTKhai{HTHDon, HTGDLHDDT, PThuc, LHDSDung, DSCTSSDung, TTTCGP?, TTTCTN?}}, DSCKS{NNT, CCKSKhac}}`;
 * - 01/TB-TNĐT, receipt or non-receipt of the declaration (102);
 * - 01/TB-ĐKĐT, acceptance or rejection of the registration (103), with the notice number in STBao;
 * - 01/TB-KTT, end of the free code-invoice period / no longer eligible for no-code invoices (105).
 *
 * Element names, order and lengths: reference §5.4, completed from the QĐ 1450/1510 models
 * (`huyvq8899/pmbk_bill_dn_be`, PhanII/I/1, 3, 4, 6) and, for the 2.1.0 additions, from a transcription of
 * the 2.1.0 declaration tables and the tax authority's own rendering stylesheet for 01/ĐKTĐ-HĐĐT:
 * - TTChung 2.1.0 adds the legal representative (TNDDPLuat, DTDDPLuat, CCCDan, SHChieu, NSDDPLuat, GTinh)
 *   after MCQTQLy and moves NLHe/DTLHe (now optional) after DCTDTu. 2.0.x order: …MCQTQLy, NLHe, DCLHe,
 *   DCTDTu, DTLHe, DDanh, NLap. The writer uses the order of the model's version.
 * - HTGDLHDDT 2.1.0 adds CQXLTSCong (after NNTKTDNUBND); LHDSDung 2.1.0 adds HDGTGTTHBLai, HDBHTHBLai (VAT /
 *   sales invoice integrating a fee receipt) and HDTMai (commercial invoice). The reference names these
 *   flags but not their tags; the tags are those of the tax authority's stylesheet.
 * - The element for "data sent through a T-VAN" is CDLQTCTN (reference); CDLQTVAN, used by one QĐ 1450
 *   model, is accepted when reading.
 * - 103 may carry MCCQT (the tax authority's part of the cash-register code) when cash-register invoices
 *   were registered (seen in a 1510 client); its position is not published: hddt writes it after TTXNCQT.
 * Optional fields whose presence depends on the version (the 2.1.0 additions) are optional in the model for
 * every version; NLHe and DTLHe are required when the version is 2.0.x.
 * Signatures (DSCKS slots) are kept as raw XML, see common.ts.
 */

import type { Result } from "../../domain/problem.ts";
import { defineCodes, makeProblem } from "../../domain/problem.ts";
import { attr, child, childrenNamed, childText, type XmlElement, XmlWriter } from "../xml.ts";
import {
  FormReader,
  type FormReadOptions,
  itemPath,
  type NoticeStamp,
  numText,
  type Reason,
  readSignatures,
  type SignatureSlot,
  writeNoticeStamp,
  writeReasons,
  writeSignatures,
} from "./common.ts";
import { flag, flagText, optFlag, optText, readCodedReasons, text } from "./limits.ts";

export const registrationCodes = defineCodes({
  REGISTRATION_WRONG_FORM: {
    vi: 'Mẫu số "{found}" không đúng, cần "{expected}"',
    en: 'The form number "{found}" is wrong; expected "{expected}"',
  },
});

/** Form numbers (MSo) handled here. */
export const REGISTRATION_FORM = "01/ĐKTĐ-HĐĐT";
export const REGISTRATION_RECEIPT_FORM = "01/TB-TNĐT";
export const REGISTRATION_DECISION_FORM = "01/TB-ĐKĐT";
export const CODE_REQUIREMENT_FORM = "01/TB-KTT";

// ---------------------------------------------------------------------------------------------------------
// Models

/** 01/ĐKTĐ-HĐĐT: registration or change declaration. */
export interface Registration {
  /** [DLTKhai@Id] */
  id?: string;
  /** [PBan] format version (≤6). */
  version: string;
  /** [MSo] form number, "01/ĐKTĐ-HĐĐT" (≤15). */
  form: string;
  /** [Ten] form title (≤100). */
  title: string;
  /** [HThuc] 1 new registration, 2 change of registered information. */
  kind: 1 | 2;
  /** [TNNT] taxpayer name (≤400). */
  taxpayerName: string;
  /** [MST] (≤14). */
  taxCode: string;
  /** [CQTQLy] managing tax office (≤100). */
  authorityName: string;
  /** [MCQTQLy] managing tax office code (≤5). */
  authorityCode: string;
  /** [TNDDPLuat] legal representative's name (≤50), 2.1.0. */
  representativeName?: string;
  /** [DTDDPLuat] legal representative's phone (≤20), 2.1.0. */
  representativePhone?: string;
  /** [CCCDan] representative's citizen ID / personal ID number (≤12), 2.1.0. */
  citizenId?: string;
  /** [SHChieu] representative's passport number (≤20), 2.1.0. */
  passport?: string;
  /** [NSDDPLuat] representative's date of birth, 2.1.0. */
  representativeBirthDate?: string;
  /** [GTinh] representative's gender: 0 female, 1 male, 2.1.0. */
  representativeGender?: 0 | 1;
  /** [NLHe] contact person (≤50); required in 2.0.x. */
  contactName?: string;
  /** [DCLHe] contact address (≤400). */
  contactAddress: string;
  /** [DCTDTu] e-mail (≤50). */
  email: string;
  /** [DTLHe] contact phone (≤20); required in 2.0.x. */
  contactPhone?: string;
  /** [DDanh] place name (≤50). */
  place: string;
  /** [NLap] date made (YYYY-MM-DD). */
  date: string;
  /** [HTHDon] invoice forms applied for. */
  invoiceForms: {
    /** [CMa] invoices with a tax-authority code. */
    withCode: boolean;
    /** [KCMa] invoices without a code. */
    withoutCode: boolean;
    /** [CMTMTTien] coded invoices made from a cash register (1510+). */
    cashRegister?: boolean;
  };
  /** [HTGDLHDDT] how invoice data is sent. */
  sending: {
    /** [NNTDBKKhan] taxpayer in a difficult area (free code invoices). */
    difficultArea: boolean;
    /** [NNTKTDNUBND] other taxpayer proposed by the provincial People's Committee. */
    provincialProposal: boolean;
    /** [CQXLTSCong] tax office or agency disposing of public assets, 2.1.0. */
    publicAssetAgency?: boolean;
    /** [CDLTTDCQT] data sent directly to the tax authority. */
    directToAuthority: boolean;
    /** [CDLQTCTN] data sent through a T-VAN. */
    viaTransmission: boolean;
  };
  /** [PThuc] how no-code invoice data is transferred. */
  transfer: {
    /** [CDDu] each invoice in full. */
    full: boolean;
    /** [CBTHop] summary table 01/TH-HĐĐT. */
    summary: boolean;
  };
  /** [LHDSDung] invoice types used. */
  invoiceTypes: {
    /** [HDGTGT] VAT invoice. */
    vat: boolean;
    /** [HDGTGTTHBLai] VAT invoice integrating a fee receipt, 2.1.0. */
    vatWithReceipt?: boolean;
    /** [HDBHang] sales invoice. */
    sales: boolean;
    /** [HDBHTHBLai] sales invoice integrating a fee receipt, 2.1.0. */
    salesWithReceipt?: boolean;
    /** [HDTMai] commercial invoice, 2.1.0. */
    commercial?: boolean;
    /** [HDBTSCong] public-asset sales invoice. */
    publicAssets: boolean;
    /** [HDBHDTQGia] national-reserve sales invoice. */
    nationalReserve: boolean;
    /** [HDKhac] other invoices. */
    other: boolean;
    /** [CTu] documents managed like invoices. */
    documents: boolean;
  };
  /** [DSCTSSDung/CTS] certificates used. */
  certificates: Certificate[];
  /** [TTTCGP/TCGP] e-invoice solution providers, 2.1.0. */
  solutionProviders?: ServiceProvider[];
  /** [TTTCTN/TCTN] T-VANs, 2.1.0. */
  transmissionProviders?: ServiceProvider[];
  /** [DSCKS] NNT (taxpayer) and CCKSKhac slots. */
  signatures: SignatureSlot[];
}

/**
 * The usual choices of a taxpayer that sends through a T-VAN: no special sending case, each no-code invoice
 * in full, VAT invoices. Spread it into a Registration and override what differs.
 */
export const VIA_TRANSMISSION: Pick<Registration, "sending" | "transfer" | "invoiceTypes"> = {
  sending: {
    difficultArea: false,
    provincialProposal: false,
    publicAssetAgency: false,
    directToAuthority: false,
    viaTransmission: true,
  },
  transfer: { full: true, summary: false },
  invoiceTypes: {
    vat: true,
    sales: false,
    publicAssets: false,
    nationalReserve: false,
    other: false,
    documents: false,
  },
};

/** [CTS] one certificate of the declaration. */
export interface Certificate {
  /** [STT] (≤3 digits). */
  index?: number;
  /** [TTChuc] issuing organisation (≤400). */
  issuer: string;
  /** [Seri] certificate serial number (≤40). */
  serial: string;
  /** [TNgay] valid from (date-time). */
  validFrom: string;
  /** [DNgay] valid to (date-time). */
  validTo: string;
  /** [HThuc] 1 add, 2 renew, 3 stop using. */
  action: 1 | 2 | 3;
}

/** [TCGP] or [TCTN]: a solution provider or T-VAN the taxpayer uses (2.1.0). */
export interface ServiceProvider {
  /** [STT] */
  index?: number;
  /** [TTCGP] / [TTCTN] name (≤400). */
  name: string;
  /** [MSTTCGP] / [MSTTCTN] tax code (≤14). */
  taxCode: string;
  /** [TNgay] start of use (date). */
  from: string;
  /** [DNgay] end of use (date). */
  to?: string;
  /** [GChu] note (≤255). */
  note?: string;
}

/** Header fields every notice of the tax authority starts with. */
interface NoticeBase {
  /** [DLTBao@Id] */
  id?: string;
  /** [PBan] (≤6). */
  version: string;
  /** [MSo] form number (≤15). */
  form: string;
  /** [Ten] notice title (≤255). */
  title: string;
  /** [DDanh] place name (≤50). */
  place: string;
  /** [MST] (≤14). */
  taxCode: string;
  /** [TNNT] taxpayer name (≤400). */
  taxpayerName: string;
  /** [DSCKS] signature slots (CQT; TTCQT for the official signing 103). */
  signatures: SignatureSlot[];
}

/** 01/TB-TNĐT (102): receipt or non-receipt of a declaration. */
export interface RegistrationReceipt extends NoticeBase {
  /** [So] notice number (≤30). */
  number: string;
  /** [NTBao] notice date. */
  date: string;
  /** [TTKhai] name of the declaration received (≤100). */
  declarationName: string;
  /** [MGDDTu] electronic transaction id: the MTDiep of the message that carried the declaration (≤46). */
  transactionId: string;
  /** [TGGui] when the taxpayer sent it (date-time). */
  sentAt: string;
  /** [THop] 1 registration received, 2 registration not received, 3 change received, 4 change not received. */
  case: 1 | 2 | 3 | 4;
  /** [TGNhan] when the tax authority received it; required for cases 1 and 3. */
  receivedAt?: string;
  /** [DSLDKCNhan/LDo] reasons for not receiving (MLoi, MTa). */
  reasons?: Reason[];
}

/** 01/TB-ĐKĐT (103): acceptance or rejection of a registration. */
export interface RegistrationDecision extends NoticeBase {
  /** [TCQTCTren] superior tax office (≤100). */
  parentAuthority: string;
  /** [TCQT] tax office giving the notice (≤100). */
  authority: string;
  /** [Ngay] date of the registration or change. */
  registeredOn: string;
  /** [HTDKy] 1 new registration, 2 change. */
  registrationKind: 1 | 2;
  /** [TTXNCQT] 1 accepted, 2 not accepted. */
  status: 1 | 2;
  /** [MCCQT] the tax authority's part of the cash-register invoice code (see the file comment). */
  cashRegisterCode?: string;
  /** [HThuc] signing form, e.g. "KT. Chi Cục Trưởng" (≤50). */
  signerCapacity: string;
  /** [CDanh] signer's title (≤50). */
  signerTitle: string;
  /** [DSLDKCNhan/LDo] reasons for not accepting. */
  reasons?: Reason[];
  /** [STBao@Id{So, NTBao}] the notice number and date, added (and signed) by the tax office. */
  notice?: NoticeStamp;
}

/** 01/TB-KTT (105): the taxpayer must switch to (paid) invoices with a code. */
export interface CodeRequirementNotice extends NoticeBase {
  /** [So] notice number (≤30). */
  number: string;
  /** [NTBao] notice date. */
  date: string;
  /** [TCQTCTren] superior tax office (≤100). */
  parentAuthority: string;
  /** [TCQT] tax office giving the notice (≤100). */
  authority: string;
  /** [THop] 1 free code-invoice period ended, 2 no longer eligible for invoices without a code. */
  case: 1 | 2;
  /** [NYCCDoi] date by which the switch is required. */
  switchBy: string;
}

// ---------------------------------------------------------------------------------------------------------
// 01/ĐKTĐ-HĐĐT

const KIND = [1, 2] as const;
const CERT_ACTION = [1, 2, 3] as const;
const GENDER = [0, 1] as const;

function isV20(version: string): boolean {
  return version.startsWith("2.0");
}

function wrongForm(r: FormReader, path: string, found: string, expected: string): void {
  if (found !== "" && found !== expected) {
    r.add(makeProblem(registrationCodes, "REGISTRATION_WRONG_FORM", `${path}/MSo`, { found, expected }));
  }
}

/** Reads a TKhai (01/ĐKTĐ-HĐĐT). */
export function readRegistration(
  el: XmlElement,
  options: FormReadOptions | string = {},
): Result<Registration> {
  const r = new FormReader(options);
  const rp = r.root(el, "TKhai");
  const dl = r.group(el, rp, "DLTKhai");
  const p = `${rp}/DLTKhai`;
  const tt = r.group(dl, p, "TTChung");
  const tp = `${p}/TTChung`;
  const version = text(r, tt, tp, "PBan", 6);
  const form = text(r, tt, tp, "MSo", 15);
  wrongForm(r, tp, form, REGISTRATION_FORM);
  const old = isV20(version);
  const x: Registration = {
    version,
    form,
    title: text(r, tt, tp, "Ten", 100),
    kind: r.code(tt, tp, "HThuc", KIND),
    taxpayerName: text(r, tt, tp, "TNNT", 400),
    taxCode: text(r, tt, tp, "MST", 14),
    authorityName: text(r, tt, tp, "CQTQLy", 100),
    authorityCode: text(r, tt, tp, "MCQTQLy", 5),
    contactAddress: "",
    email: "",
    place: "",
    date: "",
    invoiceForms: { withCode: false, withoutCode: false },
    sending: {
      difficultArea: false,
      provincialProposal: false,
      directToAuthority: false,
      viaTransmission: false,
    },
    transfer: { full: false, summary: false },
    invoiceTypes: {
      vat: false,
      sales: false,
      publicAssets: false,
      nationalReserve: false,
      other: false,
      documents: false,
    },
    certificates: [],
    signatures: [],
  };
  const id = dl && attr(dl, "Id");
  if (id !== undefined) x.id = id;
  set(x, "representativeName", optText(r, tt, tp, "TNDDPLuat", 50));
  set(x, "representativePhone", optText(r, tt, tp, "DTDDPLuat", 20));
  set(x, "citizenId", optText(r, tt, tp, "CCCDan", 12));
  set(x, "passport", optText(r, tt, tp, "SHChieu", 20));
  set(x, "representativeBirthDate", r.optDate(tt, tp, "NSDDPLuat"));
  set(x, "representativeGender", r.optCode(tt, tp, "GTinh", GENDER));
  set(x, "contactName", old ? text(r, tt, tp, "NLHe", 50) : optText(r, tt, tp, "NLHe", 50));
  x.contactAddress = text(r, tt, tp, "DCLHe", 400);
  x.email = text(r, tt, tp, "DCTDTu", 50);
  set(x, "contactPhone", old ? text(r, tt, tp, "DTLHe", 20) : optText(r, tt, tp, "DTLHe", 20));
  x.place = text(r, tt, tp, "DDanh", 50);
  x.date = r.date(tt, tp, "NLap");

  const nd = r.group(dl, p, "NDTKhai");
  const np = `${p}/NDTKhai`;
  const ht = r.group(nd, np, "HTHDon");
  const hp = `${np}/HTHDon`;
  x.invoiceForms = { withCode: flag(r, ht, hp, "CMa"), withoutCode: flag(r, ht, hp, "KCMa") };
  set(x.invoiceForms, "cashRegister", optFlag(r, ht, hp, "CMTMTTien"));

  const gd = r.group(nd, np, "HTGDLHDDT");
  const gp = `${np}/HTGDLHDDT`;
  x.sending = {
    difficultArea: flag(r, gd, gp, "NNTDBKKhan"),
    provincialProposal: flag(r, gd, gp, "NNTKTDNUBND"),
    directToAuthority: flag(r, gd, gp, "CDLTTDCQT"),
    viaTransmission:
      child(gd, "CDLQTCTN") || !child(gd, "CDLQTVAN")
        ? flag(r, gd, gp, "CDLQTCTN")
        : flag(r, gd, gp, "CDLQTVAN"),
  };
  set(x.sending, "publicAssetAgency", optFlag(r, gd, gp, "CQXLTSCong"));

  const pt = r.group(nd, np, "PThuc");
  const pp = `${np}/PThuc`;
  x.transfer = { full: flag(r, pt, pp, "CDDu"), summary: flag(r, pt, pp, "CBTHop") };

  const lh = r.group(nd, np, "LHDSDung");
  const lp = `${np}/LHDSDung`;
  x.invoiceTypes = {
    vat: flag(r, lh, lp, "HDGTGT"),
    sales: flag(r, lh, lp, "HDBHang"),
    publicAssets: flag(r, lh, lp, "HDBTSCong"),
    nationalReserve: flag(r, lh, lp, "HDBHDTQGia"),
    other: flag(r, lh, lp, "HDKhac"),
    documents: flag(r, lh, lp, "CTu"),
  };
  set(x.invoiceTypes, "vatWithReceipt", optFlag(r, lh, lp, "HDGTGTTHBLai"));
  set(x.invoiceTypes, "salesWithReceipt", optFlag(r, lh, lp, "HDBHTHBLai"));
  set(x.invoiceTypes, "commercial", optFlag(r, lh, lp, "HDTMai"));

  const ds = r.group(nd, np, "DSCTSSDung");
  const dp = `${np}/DSCTSSDung`;
  x.certificates = childrenNamed(ds, "CTS").map((c, i) => readCertificate(r, c, itemPath(dp, "CTS", i)));
  const gp2 = child(nd, "TTTCGP");
  if (gp2) x.solutionProviders = readProviders(r, gp2, `${np}/TTTCGP`, "TCGP", "TTCGP", "MSTTCGP");
  const tn = child(nd, "TTTCTN");
  if (tn) x.transmissionProviders = readProviders(r, tn, `${np}/TTTCTN`, "TCTN", "TTCTN", "MSTTCTN");

  x.signatures = readSignatures(r.group(el, rp, "DSCKS"), r.source);
  return r.result(x);
}

function readCertificate(r: FormReader, el: XmlElement, p: string): Certificate {
  const c: Certificate = {
    issuer: text(r, el, p, "TTChuc", 400),
    serial: text(r, el, p, "Seri", 40),
    validFrom: r.date(el, p, "TNgay"),
    validTo: r.date(el, p, "DNgay"),
    action: r.code(el, p, "HThuc", CERT_ACTION),
  };
  set(c, "index", r.optInt(el, p, "STT"));
  return c;
}

function readProviders(
  r: FormReader,
  list: XmlElement,
  path: string,
  item: string,
  nameTag: string,
  taxTag: string,
): ServiceProvider[] {
  return childrenNamed(list, item).map((el, i) => {
    const p = itemPath(path, item, i);
    const s: ServiceProvider = {
      name: text(r, el, p, nameTag, 400),
      taxCode: text(r, el, p, taxTag, 14),
      from: r.date(el, p, "TNgay"),
    };
    set(s, "index", r.optInt(el, p, "STT"));
    set(s, "to", r.optDate(el, p, "DNgay"));
    set(s, "note", optText(r, el, p, "GChu", 255));
    return s;
  });
}

/** Writes a TKhai (01/ĐKTĐ-HĐĐT) in the element order of its version. */
export function writeRegistration(x: Registration): string {
  const w = new XmlWriter();
  w.start("TKhai").start("DLTKhai", { Id: x.id });
  w.start("TTChung")
    .leaf("PBan", x.version)
    .leaf("MSo", x.form)
    .leaf("Ten", x.title)
    .leaf("HThuc", String(x.kind))
    .leaf("TNNT", x.taxpayerName)
    .leaf("MST", x.taxCode)
    .leaf("CQTQLy", x.authorityName)
    .leaf("MCQTQLy", x.authorityCode);
  const representative = () =>
    w
      .leaf("TNDDPLuat", x.representativeName)
      .leaf("DTDDPLuat", x.representativePhone)
      .leaf("CCCDan", x.citizenId)
      .leaf("SHChieu", x.passport)
      .leaf("NSDDPLuat", x.representativeBirthDate)
      .leaf("GTinh", numText(x.representativeGender));
  representative();
  if (isV20(x.version)) {
    w.leaf("NLHe", x.contactName)
      .leaf("DCLHe", x.contactAddress)
      .leaf("DCTDTu", x.email)
      .leaf("DTLHe", x.contactPhone);
  } else {
    w.leaf("DCLHe", x.contactAddress)
      .leaf("DCTDTu", x.email)
      .leaf("NLHe", x.contactName)
      .leaf("DTLHe", x.contactPhone);
  }
  w.leaf("DDanh", x.place).leaf("NLap", x.date).end();

  w.start("NDTKhai");
  const f = x.invoiceForms;
  w.start("HTHDon")
    .leaf("CMa", flagText(f.withCode))
    .leaf("KCMa", flagText(f.withoutCode))
    .leaf("CMTMTTien", flagText(f.cashRegister))
    .end();
  const s = x.sending;
  w.start("HTGDLHDDT")
    .leaf("NNTDBKKhan", flagText(s.difficultArea))
    .leaf("NNTKTDNUBND", flagText(s.provincialProposal))
    .leaf("CQXLTSCong", flagText(s.publicAssetAgency))
    .leaf("CDLTTDCQT", flagText(s.directToAuthority))
    .leaf("CDLQTCTN", flagText(s.viaTransmission))
    .end();
  w.start("PThuc").leaf("CDDu", flagText(x.transfer.full)).leaf("CBTHop", flagText(x.transfer.summary)).end();
  const t = x.invoiceTypes;
  w.start("LHDSDung")
    .leaf("HDGTGT", flagText(t.vat))
    .leaf("HDGTGTTHBLai", flagText(t.vatWithReceipt))
    .leaf("HDBHang", flagText(t.sales))
    .leaf("HDBHTHBLai", flagText(t.salesWithReceipt))
    .leaf("HDTMai", flagText(t.commercial))
    .leaf("HDBTSCong", flagText(t.publicAssets))
    .leaf("HDBHDTQGia", flagText(t.nationalReserve))
    .leaf("HDKhac", flagText(t.other))
    .leaf("CTu", flagText(t.documents))
    .end();
  w.start("DSCTSSDung");
  for (const c of x.certificates) {
    w.start("CTS")
      .leaf("STT", numText(c.index))
      .leaf("TTChuc", c.issuer)
      .leaf("Seri", c.serial)
      .leaf("TNgay", c.validFrom)
      .leaf("DNgay", c.validTo)
      .leaf("HThuc", String(c.action))
      .end();
  }
  w.end();
  writeProviders(w, x.solutionProviders, "TTTCGP", "TCGP", "TTCGP", "MSTTCGP");
  writeProviders(w, x.transmissionProviders, "TTTCTN", "TCTN", "TTCTN", "MSTTCTN");
  w.end().end();
  writeSignatures(w, x.signatures);
  return w.end().toString();
}

function writeProviders(
  w: XmlWriter,
  list: readonly ServiceProvider[] | undefined,
  listTag: string,
  item: string,
  nameTag: string,
  taxTag: string,
): void {
  if (list === undefined) return;
  w.start(listTag);
  for (const s of list) {
    w.start(item)
      .leaf("STT", numText(s.index))
      .leaf(nameTag, s.name)
      .leaf(taxTag, s.taxCode)
      .leaf("TNgay", s.from)
      .leaf("DNgay", s.to)
      .leaf("GChu", s.note)
      .end();
  }
  w.end();
}

// ---------------------------------------------------------------------------------------------------------
// Notices (TBao with DLTBao)

const RECEIPT_CASE = [1, 2, 3, 4] as const;
/** THop values meaning "received" (registration, change): TGNhan is then required. */
const RECEIVED = new Set(["1", "3"]);
const DECISION_STATUS = [1, 2] as const;
const REQUIREMENT_CASE = [1, 2] as const;

/** Opens TBao/DLTBao and reads PBan, MSo, Ten (common to all notices); undefined DLTBao is reported. */
function openNotice(r: FormReader, el: XmlElement, expectedForm: string) {
  const rp = r.root(el, "TBao");
  const dl = r.group(el, rp, "DLTBao");
  const p = `${rp}/DLTBao`;
  const version = text(r, dl, p, "PBan", 6);
  const form = text(r, dl, p, "MSo", 15);
  wrongForm(r, p, form, expectedForm);
  const title = text(r, dl, p, "Ten", 255);
  const id = dl && attr(dl, "Id");
  return { rp, dl, p, version, form, title, id };
}

/** Reads 01/TB-TNĐT (102). */
export function readRegistrationReceipt(
  el: XmlElement,
  options: FormReadOptions | string = {},
): Result<RegistrationReceipt> {
  const r = new FormReader(options);
  const { rp, dl, p, version, form, title, id } = openNotice(r, el, REGISTRATION_RECEIPT_FORM);
  const x: RegistrationReceipt = {
    version,
    form,
    title,
    number: text(r, dl, p, "So", 30),
    place: text(r, dl, p, "DDanh", 50),
    date: r.date(dl, p, "NTBao"),
    taxCode: text(r, dl, p, "MST", 14),
    taxpayerName: text(r, dl, p, "TNNT", 400),
    declarationName: text(r, dl, p, "TTKhai", 100),
    transactionId: text(r, dl, p, "MGDDTu", 46),
    sentAt: r.date(dl, p, "TGGui"),
    case: r.code(dl, p, "THop", RECEIPT_CASE),
    signatures: [],
  };
  if (id !== undefined) x.id = id;
  const received = r.optDate(dl, p, "TGNhan");
  if (received !== undefined) x.receivedAt = received;
  else if (dl && RECEIVED.has(childText(dl, "THop")?.trim() ?? "")) r.missing(p, "TGNhan");
  readReasonList(r, dl, p, x);
  x.signatures = readSignatures(r.group(el, rp, "DSCKS"), r.source);
  return r.result(x);
}

/** Writes 01/TB-TNĐT (102). */
export function writeRegistrationReceipt(x: RegistrationReceipt): string {
  const w = new XmlWriter();
  w.start("TBao").start("DLTBao", { Id: x.id });
  w.leaf("PBan", x.version)
    .leaf("MSo", x.form)
    .leaf("Ten", x.title)
    .leaf("So", x.number)
    .leaf("DDanh", x.place)
    .leaf("NTBao", x.date)
    .leaf("MST", x.taxCode)
    .leaf("TNNT", x.taxpayerName)
    .leaf("TTKhai", x.declarationName)
    .leaf("MGDDTu", x.transactionId)
    .leaf("TGGui", x.sentAt)
    .leaf("THop", String(x.case))
    .leaf("TGNhan", x.receivedAt);
  writeReasons(w, "DSLDKCNhan", x.reasons, "MTa");
  w.end();
  writeSignatures(w, x.signatures);
  return w.end().toString();
}

/** Reads 01/TB-ĐKĐT (103). */
export function readRegistrationDecision(
  el: XmlElement,
  options: FormReadOptions | string = {},
): Result<RegistrationDecision> {
  const r = new FormReader(options);
  const { rp, dl, p, version, form, title, id } = openNotice(r, el, REGISTRATION_DECISION_FORM);
  const x: RegistrationDecision = {
    version,
    form,
    title,
    place: text(r, dl, p, "DDanh", 50),
    parentAuthority: text(r, dl, p, "TCQTCTren", 100),
    authority: text(r, dl, p, "TCQT", 100),
    taxCode: text(r, dl, p, "MST", 14),
    taxpayerName: text(r, dl, p, "TNNT", 400),
    registeredOn: r.date(dl, p, "Ngay"),
    registrationKind: r.code(dl, p, "HTDKy", KIND),
    status: r.code(dl, p, "TTXNCQT", DECISION_STATUS),
    signerCapacity: text(r, dl, p, "HThuc", 50),
    signerTitle: text(r, dl, p, "CDanh", 50),
    signatures: [],
  };
  if (id !== undefined) x.id = id;
  set(x, "cashRegisterCode", optText(r, dl, p, "MCCQT", 34));
  readReasonList(r, dl, p, x);
  const st = child(el, "STBao");
  if (st) {
    const sp = `${rp}/STBao`;
    const notice: NoticeStamp = {
      number: text(r, st, sp, "So", 30),
      date: r.date(st, sp, "NTBao"),
    };
    const sid = attr(st, "Id");
    if (sid !== undefined) notice.id = sid;
    x.notice = notice;
  }
  x.signatures = readSignatures(r.group(el, rp, "DSCKS"), r.source);
  return r.result(x);
}

/** Writes 01/TB-ĐKĐT (103). */
export function writeRegistrationDecision(x: RegistrationDecision): string {
  const w = new XmlWriter();
  w.start("TBao").start("DLTBao", { Id: x.id });
  w.leaf("PBan", x.version)
    .leaf("MSo", x.form)
    .leaf("Ten", x.title)
    .leaf("DDanh", x.place)
    .leaf("TCQTCTren", x.parentAuthority)
    .leaf("TCQT", x.authority)
    .leaf("MST", x.taxCode)
    .leaf("TNNT", x.taxpayerName)
    .leaf("Ngay", x.registeredOn)
    .leaf("HTDKy", String(x.registrationKind))
    .leaf("TTXNCQT", String(x.status))
    .leaf("MCCQT", x.cashRegisterCode)
    .leaf("HThuc", x.signerCapacity)
    .leaf("CDanh", x.signerTitle);
  writeReasons(w, "DSLDKCNhan", x.reasons, "MTa");
  w.end();
  writeNoticeStamp(w, x.notice);
  writeSignatures(w, x.signatures);
  return w.end().toString();
}

/** Reads 01/TB-KTT (105). */
export function readCodeRequirementNotice(
  el: XmlElement,
  options: FormReadOptions | string = {},
): Result<CodeRequirementNotice> {
  const r = new FormReader(options);
  const { rp, dl, p, version, form, title, id } = openNotice(r, el, CODE_REQUIREMENT_FORM);
  const x: CodeRequirementNotice = {
    version,
    form,
    title,
    number: text(r, dl, p, "So", 30),
    place: text(r, dl, p, "DDanh", 50),
    date: r.date(dl, p, "NTBao"),
    parentAuthority: text(r, dl, p, "TCQTCTren", 100),
    authority: text(r, dl, p, "TCQT", 100),
    taxpayerName: text(r, dl, p, "TNNT", 400),
    taxCode: text(r, dl, p, "MST", 14),
    case: r.code(dl, p, "THop", REQUIREMENT_CASE),
    switchBy: r.date(dl, p, "NYCCDoi"),
    signatures: [],
  };
  if (id !== undefined) x.id = id;
  x.signatures = readSignatures(r.group(el, rp, "DSCKS"), r.source);
  return r.result(x);
}

/** Writes 01/TB-KTT (105). */
export function writeCodeRequirementNotice(x: CodeRequirementNotice): string {
  const w = new XmlWriter();
  w.start("TBao").start("DLTBao", { Id: x.id });
  w.leaf("PBan", x.version)
    .leaf("MSo", x.form)
    .leaf("Ten", x.title)
    .leaf("So", x.number)
    .leaf("DDanh", x.place)
    .leaf("NTBao", x.date)
    .leaf("TCQTCTren", x.parentAuthority)
    .leaf("TCQT", x.authority)
    .leaf("TNNT", x.taxpayerName)
    .leaf("MST", x.taxCode)
    .leaf("THop", String(x.case))
    .leaf("NYCCDoi", x.switchBy)
    .end();
  writeSignatures(w, x.signatures);
  return w.end().toString();
}

// ---------------------------------------------------------------------------------------------------------

/** Reads DSLDKCNhan (optional) into `x.reasons`. */
function readReasonList(
  r: FormReader,
  dl: XmlElement | undefined,
  p: string,
  x: { reasons?: Reason[] },
): void {
  const list = child(dl, "DSLDKCNhan");
  if (list) x.reasons = readCodedReasons(r, list, `${p}/DSLDKCNhan`);
}

/** Sets an optional property only when the value is defined (keeps models free of `undefined` keys). */
function set<T extends object, K extends keyof T>(obj: T, key: K, value: T[K] | undefined): void {
  if (value !== undefined) obj[key] = value;
}
