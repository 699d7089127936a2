/**
 * The invoice codec: HDon XML ⇄ the `Invoice` model.
 *
 * hddt writes format 2.1.0 (QĐ 1271) and reads 2.0.0 (QĐ 1450), 2.0.1 (QĐ 1510) and 2.1.0, tolerant of the
 * real-world deviations of reference §2.11: children in any order, empty optional elements, TTin children in
 * any order, TTKhac under NDHDon, a line TThue element, vendor elements (VNPT Fkey), unused namespace
 * declarations, a second empty DSCKS.
 *
 * Each part of the invoice is described once, as an ordered table of (model field, element, kind). The
 * reader, the writer and the mapping of model paths to XML paths all use these tables, so the element order
 * written, the names read and the paths reported cannot drift apart. The order is the one of the reference's
 * tables (§2.3–2.8); where the reference does not give one (variant fields of public-asset and warehouse-note
 * sellers and buyers) the order of the QĐ 1510 models is used. See docs/format.md.
 */
import { Dec } from "../domain/decimal.ts";
import type {
  Buyer,
  ExtraField,
  Fee,
  Invoice,
  InvoiceHeader,
  InvoiceLine,
  InvoiceTotals,
  RateTotal,
  RelatedInvoice,
  Seller,
  SignatureSlot,
  SpecialGoodsField,
} from "../domain/invoice.ts";
import { defineCodes, makeProblem, type Problem } from "../domain/problem.ts";
import {
  attr,
  childrenNamed,
  localName,
  type ParsedXml,
  parseXml,
  type XmlElement,
  XmlWriter,
} from "./xml.ts";

export const invoiceFormatCodes = defineCodes({
  FORMAT_NOT_INVOICE: {
    vi: "Tài liệu không phải hóa đơn (phần tử gốc là {root}, cần HDon hoặc TDiep chứa HDon)",
    en: "The document is not an invoice (root element {root}; expected HDon, or TDiep holding HDon)",
  },
  FORMAT_MISSING_ELEMENT: {
    vi: "Thiếu phần tử bắt buộc {element}",
    en: "Required element {element} is missing",
  },
  FORMAT_NOT_A_NUMBER: {
    vi: "Giá trị '{value}' không phải số hợp lệ (chỉ chữ số, dấu '.' thập phân, có thể có dấu '-')",
    en: "'{value}' is not a valid number (digits, '.' as decimal point, optional leading '-')",
  },
  FORMAT_NOT_AN_INTEGER: {
    vi: "Giá trị '{value}' không phải số nguyên",
    en: "'{value}' is not an integer",
  },
  FORMAT_BAD_FLAG: {
    vi: "Giá trị '{value}' không hợp lệ, chỉ nhận 0 hoặc 1",
    en: "'{value}' is not valid; only 0 or 1",
  },
  FORMAT_UNKNOWN_VERSION: {
    vi: "Phiên bản định dạng '{value}' không được hỗ trợ (hỗ trợ 2.0.0, 2.0.1, 2.1.0)",
    en: "Format version '{value}' is not supported (2.0.0, 2.0.1 and 2.1.0 are)",
    severity: "warning",
  },
  FORMAT_TOO_MANY_INVOICES: {
    vi: "Thông điệp chứa {count} hóa đơn; chỉ đọc hóa đơn đầu tiên",
    en: "The message holds {count} invoices; only the first is read",
    severity: "warning",
  },
});

// ---------------------------------------------------------------------------------------------------------
// Field tables

type Kind = "text" | "dec" | "int" | "flag" | "extra" | "special";

/** One element of a part: the model field it fills, its XML name, and how its text is read and written. */
interface Field {
  readonly key: string;
  readonly element: string;
  readonly kind: Kind;
  /** Version in which the element appeared; the writer always writes 2.1.0 so this is documentation. */
  readonly since?: string;
}

const f = (key: string, element: string, kind: Kind = "text", since?: string): Field =>
  since ? { key, element, kind, since } : { key, element, kind };

/** TTChung, reference §2.3 (TTHDLQuan is placed before TTKhac by the writer). */
const HEADER: readonly Field[] = [
  f("version", "PBan"),
  f("name", "THDon"),
  f("template", "KHMSHDon"),
  f("series", "KHHDon"),
  f("number", "SHDon"),
  f("dossierCode", "MHSo"),
  f("issueDate", "NLap"),
  f("financialLeasing", "HDCTTChinh", "flag", "2.1.0"),
  f("nonTariffZone", "HDDCKPTQuan", "flag"),
  f("attachedListNumber", "SBKe"),
  f("attachedListDate", "NBKe"),
  f("currency", "DVTTe"),
  f("exchangeRate", "TGia", "dec"),
  f("paymentMethod", "HTTToan"),
  f("providerTaxCode", "MSTTCGP"),
  f("multiExchangeRate", "HDNTGia", "flag"),
  f("authorisedTaxCode", "MSTDVNUNLHDon"),
  f("authorisedName", "TDVNUNLHDon"),
  f("authorisedAddress", "DCDVNUNLHDon"),
];

/** TTHDLQuan, reference §2.4. */
const RELATED: readonly Field[] = [
  f("nature", "TCHDon", "int"),
  f("relatedKind", "LHDCLQuan", "int"),
  f("template", "KHMSHDCLQuan"),
  f("series", "KHHDCLQuan"),
  f("number", "SHDCLQuan"),
  f("date", "NLHDCLQuan"),
  f("note", "GChu"),
  f("listNumber", "SBKCLQuan", "text", "2.1.0"),
  f("listDate", "NBKCLQuan", "text", "2.1.0"),
];

/** NBan, reference §2.5 with the variant fields of public-asset sellers and warehouse notes. */
const SELLER: readonly Field[] = [
  f("name", "Ten"),
  f("taxCode", "MST"),
  f("budgetUnitCode", "MDVQHNSach"),
  f("dispatchOrder", "LDDNBo"),
  f("address", "DChi"),
  f("storeCode", "MCHang", "text", "2.1.0"),
  f("storeName", "TCHang", "text", "2.1.0"),
  f("economicContractNumber", "HDKTSo"),
  f("economicContractDate", "HDKTNgay"),
  f("transportContract", "HDSo"),
  f("dispatcher", "HVTNXHang"),
  f("carrier", "TNVChuyen"),
  f("transportMeans", "PTVChuyen"),
  f("phone", "SDThoai"),
  f("email", "DCTDTu"),
  f("bankAccount", "STKNHang"),
  f("bankName", "TNHang"),
  f("fax", "Fax"),
  f("website", "Website"),
  f("decisionNumber", "SQDinh"),
  f("decisionDate", "NQDinh"),
  f("decisionIssuer", "CQBHQDinh"),
  f("saleForm", "HTBan"),
  f("extra", "TTKhac", "extra"),
];

/** NMua, reference §2.6 with the variant fields. */
const BUYER: readonly Field[] = [
  f("name", "Ten"),
  f("taxCode", "MST"),
  f("budgetUnitCode", "MDVQHNSach", "text", "2.1.0"),
  f("address", "DChi"),
  f("customerCode", "MKHang"),
  f("phone", "SDThoai"),
  f("citizenId", "CCCDan", "text", "2.1.0"),
  f("passport", "SHChieu", "text", "2.1.0"),
  f("email", "DCTDTu"),
  f("contactName", "HVTNMHang"),
  f("receiver", "HVTNNHang"),
  f("bankAccount", "STKNHang"),
  f("bankName", "TNHang"),
  f("deliveryPlace", "DDVCHDen"),
  f("deliveryFrom", "TGVCHDTu"),
  f("deliveryTo", "TGVCHDDen"),
  f("idDocument", "CMND"),
  f("extra", "TTKhac", "extra"),
];

/** HHDVu, reference §2.7. The line TThue (not in the tables) is read and kept but never written. */
const LINE: readonly Field[] = [
  f("nature", "TChat", "int"),
  f("lineNo", "STT", "int"),
  f("itemCode", "MHHDVu"),
  f("itemName", "THHDVu"),
  f("unit", "DVTinh"),
  f("quantity", "SLuong", "dec"),
  f("unitPrice", "DGia", "dec"),
  f("discountRate", "TLCKhau", "dec"),
  f("discountAmount", "STCKhau", "dec"),
  f("amount", "ThTien", "dec"),
  f("vatRate", "TSuat"),
  f("extra", "TTKhac", "extra"),
  f("specialGoods", "TTHHDTrung", "special", "2.1.0"),
];
const LINE_READ_ONLY: readonly Field[] = [f("vatAmount", "TThue", "dec")];

const RATE: readonly Field[] = [
  f("vatRate", "TSuat"),
  f("amount", "ThTien", "dec"),
  f("vatAmount", "TThue", "dec"),
];
const FEE: readonly Field[] = [f("name", "TLPhi"), f("amount", "TPhi", "dec")];

/** TToan, reference §2.8 (THTTLTSuat and DSLPhi are lists, handled around this table). */
const TOTALS_BEFORE_FEES: readonly Field[] = [
  f("totalBeforeVat", "TgTCThue", "dec"),
  f("totalVat", "TgTThue", "dec"),
  f("nonTaxableDeductions", "TGTKCThue", "dec"),
];
const TOTALS_AFTER_FEES: readonly Field[] = [
  f("tradeDiscount", "TTCKTMai", "dec"),
  f("otherDeductions", "TGTKhac", "dec"),
  f("totalPayable", "TgTTTBSo", "dec"),
  f("totalPayableInWords", "TgTTTBChu"),
  f("extra", "TTKhac", "extra"),
];

const SIGNATURE_SLOTS: ReadonlyArray<readonly [SignatureSlot["role"], string]> = [
  ["seller", "NBan"],
  ["buyer", "NMua"],
  ["authority", "CQT"],
  ["other", "CCKSKhac"],
];

// Element paths of the parts, for problems.
const P_DL = "/HDon/DLHDon";
const P_TTCHUNG = `${P_DL}/TTChung`;
const P_ND = `${P_DL}/NDHDon`;

// ---------------------------------------------------------------------------------------------------------
// Reading

export interface ReadInvoice {
  /** The invoice, as complete as the document allowed; undefined only when the root is not an invoice. */
  invoice: Invoice | undefined;
  /** Problems found while reading (not the business-rule checks: see domain/validate.ts). */
  problems: Problem[];
  /** Format version written in the document (TTChung/PBan). */
  version: string | undefined;
  /** The parsed document and the HDon element, for signature checks on the original text. */
  parsed: ParsedXml | undefined;
  hdon: XmlElement | undefined;
}

const KNOWN_VERSIONS = new Set(["2.0.0", "2.0.1", "2.1.0", "2.1.1"]);

/** Reads an invoice from XML text or bytes: an HDon document, or a TDiep message carrying one. */
export function readInvoice(input: string | Uint8Array | ParsedXml): ReadInvoice {
  let parsed: ParsedXml;
  if (typeof input === "string" || input instanceof Uint8Array) {
    const r = parseXml(input);
    if (!r.ok)
      return {
        invoice: undefined,
        problems: r.problems,
        version: undefined,
        parsed: undefined,
        hdon: undefined,
      };
    parsed = r.value;
  } else parsed = input;

  const problems: Problem[] = [];
  let hdon: XmlElement | undefined = parsed.root;
  if (localName(hdon.name) === "TDiep") {
    const list = childrenNamed(childrenNamed(hdon, "DLieu")[0], "HDon");
    if (list.length > 1) {
      problems.push(
        makeProblem(invoiceFormatCodes, "FORMAT_TOO_MANY_INVOICES", "/TDiep/DLieu", {
          count: String(list.length),
        }),
      );
    }
    hdon = list[0];
  }
  if (!hdon || localName(hdon.name) !== "HDon") {
    problems.push(makeProblem(invoiceFormatCodes, "FORMAT_NOT_INVOICE", "/", { root: parsed.root.name }));
    return { invoice: undefined, problems, version: undefined, parsed, hdon: undefined };
  }
  const invoice = readHDon(hdon, parsed.source, problems);
  const version = invoice.header.version || undefined;
  if (version && !KNOWN_VERSIONS.has(version)) {
    problems.push(
      makeProblem(invoiceFormatCodes, "FORMAT_UNKNOWN_VERSION", `${P_TTCHUNG}/PBan`, { value: version }),
    );
  }
  return { invoice, problems, version, parsed, hdon };
}

function readHDon(hdon: XmlElement, source: string, problems: Problem[]): Invoice {
  const dl = one(hdon, "DLHDon", "/HDon", problems);
  const ttchung = one(dl, "TTChung", P_DL, problems);
  const nd = one(dl, "NDHDon", P_DL, problems);
  const nban = one(nd, "NBan", P_ND, problems);
  const nmua = first(nd, "NMua");
  const ds = first(nd, "DSHHDVu");
  const ttoan = one(nd, "TToan", P_ND, problems);

  const header = readFields(ttchung, HEADER, P_TTCHUNG, problems) as unknown as InvoiceHeader;
  const tthdlq = first(ttchung, "TTHDLQuan");
  if (tthdlq)
    header.related = readFields(
      tthdlq,
      RELATED,
      `${P_TTCHUNG}/TTHDLQuan`,
      problems,
    ) as unknown as RelatedInvoice;
  const headerExtra = first(ttchung, "TTKhac");
  if (headerExtra) header.extra = readExtra(headerExtra);
  for (const k of ["version", "name", "template", "series", "issueDate", "currency"] as const)
    header[k] ??= "";

  const seller = readFields(nban, SELLER, `${P_ND}/NBan`, problems) as unknown as Seller;
  seller.name ??= "";
  seller.taxCode ??= "";
  seller.address ??= "";
  const buyer = nmua ? (readFields(nmua, BUYER, `${P_ND}/NMua`, problems) as unknown as Buyer) : {};

  const lines: InvoiceLine[] = [];
  const lineEls = childrenNamed(ds, "HHDVu");
  for (let i = 0; i < lineEls.length; i++) {
    const path = `${P_ND}/DSHHDVu/HHDVu[${i + 1}]`;
    const el = lineEls[i]!;
    const line = readFields(el, LINE, path, problems) as unknown as InvoiceLine;
    Object.assign(line, readFields(el, LINE_READ_ONLY, path, problems));
    line.itemName ??= "";
    lines.push(line);
  }

  const totals = readFields(
    ttoan,
    [...TOTALS_BEFORE_FEES, ...TOTALS_AFTER_FEES],
    `${P_ND}/TToan`,
    problems,
  ) as unknown as InvoiceTotals;
  totals.byRate = childrenNamed(first(ttoan, "THTTLTSuat"), "LTSuat").map(
    (el, i) =>
      readFields(el, RATE, `${P_ND}/TToan/THTTLTSuat/LTSuat[${i + 1}]`, problems) as unknown as RateTotal,
  );
  totals.fees = childrenNamed(first(ttoan, "DSLPhi"), "LPhi")
    .filter((el) => el.children.length > 0)
    .map((el, i) => readFields(el, FEE, `${P_ND}/TToan/DSLPhi/LPhi[${i + 1}]`, problems) as unknown as Fee);
  totals.totalPayableInWords ??= "";

  const invoice: Invoice = { header, seller, buyer, lines, totals, signatures: [] };
  const dataId = dl ? attr(dl, "Id") : undefined;
  if (dataId !== undefined) invoice.dataId = dataId;
  const contentExtra = first(nd, "TTKhac");
  if (contentExtra) invoice.contentExtra = readExtra(contentExtra);
  const dataExtra = first(dl, "TTKhac");
  if (dataExtra) invoice.dataExtra = readExtra(dataExtra);
  const qr = textOf(first(hdon, "DLQRCode"));
  if (qr !== undefined) invoice.qrCode = qr;
  const mccqt = first(hdon, "MCCQT");
  const code = textOf(mccqt);
  if (code !== undefined) invoice.authorityCode = code;
  const codeId = mccqt ? attr(mccqt, "Id") : undefined;
  if (codeId !== undefined) invoice.authorityCodeId = codeId;
  for (const dscks of childrenNamed(hdon, "DSCKS")) {
    for (const [role, slot] of SIGNATURE_SLOTS) {
      for (const holder of childrenNamed(dscks, slot)) {
        for (const sig of holder.children) {
          if (localName(sig.name) === "Signature")
            invoice.signatures.push({ role, xml: source.slice(sig.start, sig.end) });
        }
      }
    }
  }
  return invoice;
}

function first(el: XmlElement | undefined, name: string): XmlElement | undefined {
  if (!el) return undefined;
  for (const c of el.children) if (c.name === name) return c;
  return undefined;
}

function one(
  el: XmlElement | undefined,
  name: string,
  path: string,
  problems: Problem[],
): XmlElement | undefined {
  const c = first(el, name);
  if (!c && el)
    problems.push(
      makeProblem(invoiceFormatCodes, "FORMAT_MISSING_ELEMENT", `${path}/${name}`, { element: name }),
    );
  return c;
}

function textOf(el: XmlElement | undefined): string | undefined {
  if (!el || el.children.length > 0) return undefined;
  return el.text.trim() === "" ? undefined : el.text;
}

const tableIndex = new WeakMap<readonly Field[], Map<string, Field>>();
function indexOf(table: readonly Field[]): Map<string, Field> {
  let m = tableIndex.get(table);
  if (!m) {
    m = new Map(table.map((x) => [x.element, x]));
    tableIndex.set(table, m);
  }
  return m;
}

const INT_RE = /^[+-]?\d{1,15}$/;

function readFields(
  el: XmlElement | undefined,
  table: readonly Field[],
  path: string,
  problems: Problem[],
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (!el) return out;
  const index = indexOf(table);
  for (const c of el.children) {
    const field = index.get(c.name);
    if (!field || out[field.key] !== undefined) continue;
    if (field.kind === "extra") {
      out[field.key] = readExtra(c);
      continue;
    }
    if (field.kind === "special") {
      out[field.key] = readSpecial(c);
      continue;
    }
    const raw = textOf(c);
    if (raw === undefined) continue;
    const text = field.kind === "text" ? raw : raw.trim();
    switch (field.kind) {
      case "text":
        out[field.key] = text;
        break;
      case "dec": {
        const d = Dec.tryParse(text);
        if (d) out[field.key] = d;
        else
          problems.push(
            makeProblem(invoiceFormatCodes, "FORMAT_NOT_A_NUMBER", `${path}/${c.name}`, { value: text }),
          );
        break;
      }
      case "int":
        if (INT_RE.test(text)) out[field.key] = Number(text);
        else
          problems.push(
            makeProblem(invoiceFormatCodes, "FORMAT_NOT_AN_INTEGER", `${path}/${c.name}`, { value: text }),
          );
        break;
      case "flag":
        if (text === "1" || text === "0") out[field.key] = text === "1";
        else
          problems.push(
            makeProblem(invoiceFormatCodes, "FORMAT_BAD_FLAG", `${path}/${c.name}`, { value: text }),
          );
        break;
    }
  }
  return out;
}

/** TTKhac → TTin list; children of TTin in any order (Viettel writes DLieu, KDLieu, TTruong). */
function readExtra(el: XmlElement): ExtraField[] {
  const out: ExtraField[] = [];
  for (const tt of el.children) {
    if (tt.name !== "TTin") continue;
    out.push({
      name: textOf(first(tt, "TTruong")) ?? "",
      type: textOf(first(tt, "KDLieu")) ?? "",
      value: first(tt, "DLieu")?.text ?? "",
    });
  }
  return out;
}

function readSpecial(el: XmlElement): SpecialGoodsField[] {
  const out: SpecialGoodsField[] = [];
  for (const tt of el.children) {
    if (tt.name !== "TTin") continue;
    out.push({
      kind: textOf(first(tt, "LHHDTrung")) ?? "",
      name: textOf(first(tt, "TTruong")) ?? "",
      value: first(tt, "DLieu")?.text ?? "",
    });
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------
// Writing

export interface WriteOptions {
  /** Signature blocks to place in DSCKS (by default the invoice's own `signatures`). */
  signatures?: SignatureSlot[];
  /**
   * Write an empty `<DSCKS><NBan></NBan></DSCKS>` when there is no seller signature yet, so the signer only
   * has to fill it. Default true.
   */
  signatureHolders?: boolean;
}

/**
 * Writes an invoice as HDon in format 2.1.0, in canonical form (see xml.ts): element order of the reference,
 * no namespaces, NFC text, nothing between tags. The version written is always 2.1.0.
 */
export function writeInvoice(invoice: Invoice, options: WriteOptions = {}): string {
  const w = new XmlWriter();
  w.start("HDon");
  writeDataPart(w, invoice);
  if (invoice.authorityCode !== undefined) {
    w.start("MCCQT", { Id: invoice.authorityCodeId }).text(invoice.authorityCode).end();
  }
  w.leaf("DLQRCode", invoice.qrCode);
  const sigs = options.signatures ?? invoice.signatures;
  w.start("DSCKS");
  for (const [role, slot] of SIGNATURE_SLOTS) {
    const mine = sigs.filter((s) => s.role === role);
    if (mine.length > 0 || (role === "seller" && options.signatureHolders !== false)) {
      w.start(slot);
      for (const s of mine) w.raw(s.xml);
      w.end();
    }
  }
  w.end();
  w.end();
  return w.toString();
}

/** Writes only DLHDon (the signed part). */
export function writeInvoiceData(invoice: Invoice): string {
  const w = new XmlWriter();
  writeDataPart(w, invoice);
  return w.toString();
}

function writeDataPart(w: XmlWriter, inv: Invoice): void {
  w.start("DLHDon", { Id: inv.dataId });
  w.start("TTChung");
  const header = { ...inv.header, version: "2.1.0", financialLeasing: inv.header.financialLeasing ?? false };
  writeFields(w, header as unknown as Record<string, unknown>, HEADER);
  if (inv.header.related) {
    w.start("TTHDLQuan");
    writeFields(w, inv.header.related as unknown as Record<string, unknown>, RELATED);
    w.end();
  }
  writeExtra(w, inv.header.extra);
  w.end();
  w.start("NDHDon");
  w.start("NBan");
  writeFields(w, inv.seller as unknown as Record<string, unknown>, SELLER);
  w.end();
  w.start("NMua");
  writeFields(w, inv.buyer as unknown as Record<string, unknown>, BUYER);
  w.end();
  w.start("DSHHDVu");
  for (const line of inv.lines) {
    w.start("HHDVu");
    writeFields(w, line as unknown as Record<string, unknown>, LINE);
    w.end();
  }
  w.end();
  w.start("TToan");
  const t = inv.totals;
  if (t.byRate.length > 0) {
    w.start("THTTLTSuat");
    for (const r of t.byRate) {
      w.start("LTSuat");
      writeFields(w, r as unknown as Record<string, unknown>, RATE);
      w.end();
    }
    w.end();
  }
  writeFields(w, t as unknown as Record<string, unknown>, TOTALS_BEFORE_FEES);
  if (t.fees.length > 0) {
    w.start("DSLPhi");
    for (const fee of t.fees) {
      w.start("LPhi");
      writeFields(w, fee as unknown as Record<string, unknown>, FEE);
      w.end();
    }
    w.end();
  }
  writeFields(w, t as unknown as Record<string, unknown>, TOTALS_AFTER_FEES);
  w.end();
  writeExtra(w, inv.contentExtra);
  w.end();
  writeExtra(w, inv.dataExtra);
  w.end();
}

function writeFields(w: XmlWriter, obj: Record<string, unknown>, table: readonly Field[]): void {
  for (const field of table) {
    const v = obj[field.key];
    if (v === undefined) continue;
    switch (field.kind) {
      case "text":
        w.leaf(field.element, v as string);
        break;
      case "dec":
        w.leaf(field.element, (v as Dec).toPlain());
        break;
      case "int":
        w.leaf(field.element, String(v));
        break;
      case "flag":
        w.leaf(field.element, v ? "1" : "0");
        break;
      case "extra":
        writeExtra(w, v as ExtraField[]);
        break;
      case "special":
        writeSpecial(w, v as SpecialGoodsField[]);
        break;
    }
  }
}

function writeExtra(w: XmlWriter, extra: ExtraField[] | undefined): void {
  if (!extra || extra.length === 0) return;
  w.start("TTKhac");
  for (const x of extra)
    w.start("TTin").leaf("TTruong", x.name).leaf("KDLieu", x.type).leaf("DLieu", x.value).end();
  w.end();
}

function writeSpecial(w: XmlWriter, list: SpecialGoodsField[]): void {
  if (list.length === 0) return;
  w.start("TTHHDTrung");
  for (const x of list)
    w.start("TTin").leaf("LHHDTrung", x.kind).leaf("TTruong", x.name).leaf("DLieu", x.value).end();
  w.end();
}

// ---------------------------------------------------------------------------------------------------------
// Model paths → XML paths

const PART_PATHS: Record<string, { path: string; table: readonly Field[] }> = {
  header: { path: P_TTCHUNG, table: HEADER },
  "header.related": { path: `${P_TTCHUNG}/TTHDLQuan`, table: RELATED },
  seller: { path: `${P_ND}/NBan`, table: SELLER },
  buyer: { path: `${P_ND}/NMua`, table: BUYER },
  lines: { path: `${P_ND}/DSHHDVu/HHDVu`, table: [...LINE, ...LINE_READ_ONLY] },
  totals: { path: `${P_ND}/TToan`, table: [...TOTALS_BEFORE_FEES, ...TOTALS_AFTER_FEES] },
  "totals.byRate": { path: `${P_ND}/TToan/THTTLTSuat/LTSuat`, table: RATE },
  "totals.fees": { path: `${P_ND}/TToan/DSLPhi/LPhi`, table: FEE },
};

/**
 * Turns a model path used by the validator ("lines[2].amount", "header.related.date", "totals.byRate[1]")
 * into the XML path of the element ("/HDon/DLHDon/NDHDon/DSHHDVu/HHDVu[3]/ThTien"). Indexes in model paths
 * are 0-based, XPath indexes 1-based. Unknown paths are returned unchanged.
 */
export function xmlPathOf(modelPath: string): string {
  const m = /^([a-zA-Z.]+?)(?:\[(\d+)\])?(?:\.([a-zA-Z]+))?$/.exec(modelPath);
  if (!m) return modelPath;
  const [, part, index, key] = m;
  let spec = PART_PATHS[part!];
  let fieldKey = key;
  if (!spec && index === undefined) {
    // "header.related" style where the last segment is a field of the parent part
    const dot = part!.lastIndexOf(".");
    spec = PART_PATHS[part!.slice(0, dot)];
    fieldKey = part!.slice(dot + 1);
    if (!spec) return modelPath;
  }
  if (!spec) return modelPath;
  let path = spec.path + (index !== undefined ? `[${Number(index) + 1}]` : "");
  if (fieldKey) {
    const field = spec.table.find((x) => x.key === fieldKey);
    if (!field) {
      if (fieldKey === "related") return `${path}/TTHDLQuan`;
      return `${path}/${fieldKey}`;
    }
    path += `/${field.element}`;
  }
  return path;
}
