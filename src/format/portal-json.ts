/**
 * Reader of the tax authority's invoice-portal records (hoadondientu.gdt.gov.vn, `/query/invoices/detail`)
 * into the `Invoice` model, so that `hddt check` can check a record the way it checks an HDon file.
 *
 * The portal names its fields after the XML elements in lower case (reference §4.4): `khhdon` is KHHDon,
 * seller fields carry the prefix `nb` (`nbten` is NBan/Ten), buyer fields `nm`, lines sit in `hdhhdvu`, the
 * per-rate summary in `thttltsuat`, fees in `thttlphi`, and every TTKhac list is an array of
 * `{ttruong, kdlieu, dlieu}`. Where the portal departs from that rule the tables below say so; each such
 * mapping was checked against the real records in `test/fixtures/real/` (the K25TEK / 5082 record has the
 * signed XML beside it) or against the portal's own print templates:
 * - `thtttoan` holds the HTTToan text as the invoice wrote it ("CK/TM"); `htttoan` is the portal's code for
 *   it (1 cash … 9 other, reference §2.9). The text is kept; the code's meaning is used only when the text
 *   is missing.
 * - `tdlap` and other dates are UTC instants: 2026-04-02T17:00:00Z is the Vietnam date 2026-04-03.
 * - `dksbke`/`dknlbke` are the attached list's number and date (SBKe/NBKe), `mkhang` the buyer's customer
 *   code, `nmtnmua` the buyer's contact person (the receiver on a warehouse note, template 6).
 * - The related invoice of a replacement or adjustment is in the `…goc` fields, its nature in `tchat`
 *   (2 replacement, 3 adjustment).
 * - `ltsuat` is the line's TSuat code and `tsuat` the same rate as a fraction (0.08); a "KHAC" rate is
 *   written back as "KHAC:5.26%" from that fraction.
 * - `qrcode` is made by the portal (it is there even for an invoice whose XML has no DLQRCode), so it is a
 *   portal fact, not the invoice's DLQRCode.
 *
 * Numbers: the portal sends amounts as JSON numbers, so they were binary floats before hddt sees them and
 * their precision is what the portal gave. Each one becomes a `Dec` from its shortest decimal form
 * (`String(n)`, exponent expanded), which is exact for every value a float can hold; numbers given as
 * strings are read digit for digit.
 *
 * The reader never throws on bad input: anything wrong is a `Problem` whose path is a JSONPath
 * (`$.hdhhdvu[2].thtien`, 0-based indexes), and the invoice is returned with what could be read.
 */
import type { Bilingual } from "../domain/codes.ts";
import { dateTimeToInstant, instantToDate, isDate, VIETNAM_OFFSET_MINUTES } from "../domain/dates.ts";
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
  SpecialGoodsField,
} from "../domain/invoice.ts";
import { defineCodes, makeProblem, type Problem } from "../domain/problem.ts";

export const portalJsonCodes = defineCodes({
  PORTAL_JSON_NOT_JSON: {
    vi: "Dữ liệu không phải JSON hợp lệ: {reason}",
    en: "The data is not valid JSON: {reason}",
  },
  PORTAL_JSON_NOT_RECORD: {
    vi: "Dữ liệu JSON không phải bản ghi hóa đơn của cổng hoadondientu.gdt.gov.vn (nhận được {found}; cần đối tượng có nbmst, khhdon, shdon, khmshdon)",
    en: "The JSON is not an invoice record of the hoadondientu.gdt.gov.vn portal (got {found}; expected an object with nbmst, khhdon, shdon, khmshdon)",
  },
  PORTAL_JSON_WRONG_TYPE: {
    vi: "Trường có kiểu {found}, cần {expected}",
    en: "The field is {found}; expected {expected}",
  },
  PORTAL_JSON_NOT_A_NUMBER: {
    vi: "Giá trị '{value}' không phải số hợp lệ",
    en: "'{value}' is not a valid number",
  },
  PORTAL_JSON_BAD_DATE: {
    vi: "Ngày '{value}' không hợp lệ (cần YYYY-MM-DD hoặc thời điểm ISO 8601)",
    en: "Date '{value}' is not valid (expected YYYY-MM-DD or an ISO 8601 instant)",
  },
  PORTAL_JSON_BAD_TIME: {
    vi: "Thời điểm '{value}' không phải thời điểm ISO 8601 hợp lệ; bỏ qua",
    en: "'{value}' is not a valid ISO 8601 instant; ignored",
    severity: "warning",
  },
  PORTAL_JSON_UNKNOWN_CODE: {
    vi: "Mã {value} của trường {field} không thuộc danh mục đã biết",
    en: "Code {value} of field {field} is not in the known list",
    severity: "warning",
  },
  PORTAL_JSON_UNKNOWN_VERSION: {
    vi: "Phiên bản định dạng '{value}' không được hỗ trợ (hỗ trợ 2.0.0, 2.0.1, 2.1.0)",
    en: "Format version '{value}' is not supported (2.0.0, 2.0.1 and 2.1.0 are)",
    severity: "warning",
  },
});

// ---------------------------------------------------------------------------------------------------------
// Portal code lists (reference §4.4 and §2.9)

/** `tthai`, the invoice's status on the portal. */
export const PORTAL_STATUS_MEANINGS: Readonly<Record<number, Bilingual>> = Object.freeze({
  1: { vi: "Hóa đơn mới", en: "new invoice" },
  2: { vi: "Hóa đơn thay thế", en: "replacement invoice" },
  3: { vi: "Hóa đơn điều chỉnh", en: "adjustment invoice" },
  4: { vi: "Hóa đơn đã bị thay thế", en: "replaced" },
  5: { vi: "Hóa đơn đã bị điều chỉnh", en: "adjusted" },
  6: { vi: "Hóa đơn đã bị hủy", en: "cancelled" },
});

/** `ttxly`, the result of the authority's processing. */
export const PORTAL_PROCESSING_MEANINGS: Readonly<Record<number, Bilingual>> = Object.freeze({
  0: { vi: "Đã tiếp nhận", en: "received" },
  1: { vi: "Đang kiểm tra điều kiện cấp mã", en: "checking the conditions for a code" },
  2: { vi: "Cơ quan thuế từ chối hóa đơn theo từng lần phát sinh", en: "per-occurrence invoice refused" },
  3: { vi: "Hóa đơn đủ điều kiện cấp mã", en: "eligible for a code" },
  4: { vi: "Hóa đơn không đủ điều kiện cấp mã", en: "not eligible for a code" },
  5: { vi: "Đã cấp mã hóa đơn", en: "code issued" },
  6: { vi: "Cơ quan thuế đã nhận hóa đơn không mã", en: "no-code invoice received" },
  7: { vi: "Đã kiểm tra định kỳ hóa đơn không mã", en: "no-code invoice checked periodically" },
  8: {
    vi: "Cơ quan thuế đã nhận hóa đơn có mã khởi tạo từ máy tính tiền",
    en: "cash-register code invoice received",
  },
});

/** `htttoan`, the portal's code for the payment method (HTTToan). */
export const PORTAL_PAYMENT_METHODS: Readonly<Record<number, Bilingual>> = Object.freeze({
  1: { vi: "Tiền mặt", en: "cash" },
  2: { vi: "Chuyển khoản", en: "bank transfer" },
  3: { vi: "Tiền mặt/Chuyển khoản", en: "cash or bank transfer" },
  4: { vi: "Đối trừ công nợ", en: "debt offset" },
  5: { vi: "Không thu tiền", en: "no payment" },
  9: { vi: "Khác", en: "other" },
});

// ---------------------------------------------------------------------------------------------------------
// Public types

/** A portal code with its meaning when the code is a known one. */
export interface PortalCode {
  code: number;
  meaning?: Bilingual;
}

/** A certificate summary (`nbcks`, `nmcks`, `cqtcks`): a JSON document inside a JSON string. */
export interface PortalCertificate {
  /** The text as the portal gave it. */
  raw: string;
  /** Subject DN. */
  subject?: string;
  /** Serial number (hex). */
  serialNumber?: string;
  /** Issuer DN. */
  issuer?: string;
  /** Validity start, as given (Vietnam local time, no zone). */
  notBefore?: string;
  /** Validity end, as given. */
  notAfter?: string;
  /** Signing time, as given (Vietnam local time, no zone). */
  signingTime?: string;
}

/** What the portal knows about the invoice beyond its content. Instants are kept as the portal wrote them. */
export interface PortalMeta {
  /** [id] the portal's record id. */
  id?: string;
  /** [tthai] status: 1 new, 2 replacement, 3 adjustment, 4 replaced, 5 adjusted, 6 cancelled. */
  status?: PortalCode;
  /** [ttxly] processing result, 0–8 (reference §4.4). */
  processing?: PortalCode;
  /** [htttoan] payment-method code (reference §2.9). */
  paymentMethod?: PortalCode;
  /** [tchat] invoice nature: 1 original, 2 replacement, 3 adjustment. */
  nature?: number;
  /** [hthdon] invoice form as given (1 on coded invoices; 0 and 2 seen on no-code ones). */
  form?: number;
  /** [thlap] period, YYYYMM. */
  period?: string;
  /** [cqt] code of the tax office. */
  taxOffice?: string;
  /** [nky] seller's signing time (ISO instant). */
  signedAt?: string;
  /** [ntnhan] received by the authority. */
  receivedAt?: string;
  /** [ncma] authority code issued. */
  codedAt?: string;
  /** [ntao] record created. */
  createdAt?: string;
  /** [ncnhat] record last updated. */
  updatedAt?: string;
  /** [ngcnhat] who last updated the record ("tvan_viettel"). */
  updatedBy?: string;
  /** [mtdtchieu] id of the T-VAN message that carried the invoice. */
  tvanMessageId?: string;
  /** [tvandnkntt] tax code of the T-VAN. */
  tvanTaxCode?: string;
  /** [nbcks] seller's certificate. */
  sellerCertificate?: PortalCertificate;
  /** [nmcks] buyer's certificate. */
  buyerCertificate?: PortalCertificate;
  /** [cqtcks] authority's certificate. */
  authorityCertificate?: PortalCertificate;
  /** [qrcode] the portal's QR payload. */
  qrCode?: string;
  /** [cttkhac] a TTKhac list whose place in the XML is not known. */
  extra?: ExtraField[];
}

export interface ReadPortalInvoice {
  /** Undefined only when the input is not JSON or not a portal record. */
  invoice: Invoice | undefined;
  problems: Problem[];
  meta: PortalMeta;
}

// ---------------------------------------------------------------------------------------------------------
// Field tables: model field, JSON keys (first present wins), kind

type Kind = "text" | "code" | "dec" | "int" | "flag" | "date" | "extra" | "special" | "derived";

interface Field {
  readonly key: string;
  readonly json: readonly string[];
  readonly kind: Kind;
}

const f = (key: string, json: string | readonly string[], kind: Kind = "text"): Field => ({
  key,
  json: typeof json === "string" ? [json] : json,
  kind,
});

const HEADER: readonly Field[] = [
  f("version", "pban"),
  f("name", ["thdon", "tlhdon"]),
  f("template", "khmshdon", "code"),
  f("series", "khhdon"),
  f("number", "shdon", "code"),
  f("dossierCode", "mhso"),
  f("issueDate", "tdlap", "date"),
  f("financialLeasing", "hdcttchinh", "flag"),
  f("nonTariffZone", "hddckptquan", "flag"),
  f("attachedListNumber", ["sbke", "dksbke"]),
  f("attachedListDate", ["nbke", "dknlbke"], "date"),
  f("currency", "dvtte"),
  f("exchangeRate", "tgia", "dec"),
  f("paymentMethod", "thtttoan"),
  f("providerTaxCode", "msttcgp"),
  f("multiExchangeRate", "hdntgia", "flag"),
  f("authorisedTaxCode", "mstdvnunlhdon"),
  f("authorisedName", "tdvnunlhdon"),
  f("authorisedAddress", "dcdvnunlhdon"),
  f("extra", "ttkhac", "extra"),
];

const RELATED: readonly Field[] = [
  f("nature", "tchat", "derived"),
  f("relatedKind", "lhdgoc", "int"),
  f("template", "khmshdgoc", "code"),
  f("series", "khhdgoc"),
  f("number", "shdgoc", "code"),
  f("date", "tdlhdgoc", "date"),
  f("note", "gchdgoc"),
];

const SELLER: readonly Field[] = [
  f("name", "nbten"),
  f("taxCode", "nbmst"),
  f("budgetUnitCode", "nbmdvqhnsach"),
  f("dispatchOrder", "nblddnbo"),
  f("address", "nbdchi"),
  f("storeCode", ["nbmchang", "chma"]),
  f("storeName", ["nbtchang", "chten"]),
  f("economicContractNumber", "nbhdktso"),
  f("economicContractDate", "nbhdktngay", "date"),
  f("transportContract", "nbhdso"),
  f("dispatcher", "nbhvtnxhang"),
  f("carrier", "nbtnvchuyen"),
  f("transportMeans", "nbptvchuyen"),
  f("phone", "nbsdthoai"),
  f("email", "nbdctdtu"),
  f("bankAccount", "nbstkhoan"),
  f("bankName", "nbtnhang"),
  f("fax", "nbfax"),
  f("website", "nbwebsite"),
  f("decisionNumber", "nbsqdinh"),
  f("decisionDate", ["nbnqdinh", "nbncqdinh"], "date"),
  f("decisionIssuer", ["nbcqbhqdinh", "nbcqcqdinh"]),
  f("saleForm", "nbhtban"),
  f("extra", "nbttkhac", "extra"),
];

const BUYER: readonly Field[] = [
  f("name", "nmten"),
  f("taxCode", "nmmst"),
  f("budgetUnitCode", "nmmdvqhnsach"),
  f("address", "nmdchi"),
  f("customerCode", ["nmmkhang", "mkhang"]),
  f("phone", "nmsdthoai"),
  f("citizenId", "nmcccdan"),
  f("passport", "nmshchieu"),
  f("email", "nmdctdtu"),
  f("contactName", "nmhvtnmhang"),
  f("receiver", "nmhvtnnhang"),
  f("bankAccount", "nmstkhoan"),
  f("bankName", "nmtnhang"),
  f("deliveryPlace", "nmddvchden"),
  f("deliveryFrom", "nmtgvchdtu"),
  f("deliveryTo", "nmtgvchdden"),
  f("idDocument", "nmcmnd"),
  f("extra", "nmttkhac", "extra"),
];

const LINE: readonly Field[] = [
  f("nature", "tchat", "int"),
  f("lineNo", "stt", "int"),
  f("itemCode", "mhhdvu"),
  f("itemName", ["ten", "thhdvu"]),
  f("unit", "dvtinh"),
  f("quantity", "sluong", "dec"),
  f("unitPrice", "dgia", "dec"),
  f("discountRate", "tlckhau", "dec"),
  f("discountAmount", "stckhau", "dec"),
  f("amount", "thtien", "dec"),
  f("vatRate", ["ltsuat", "tsuat"], "derived"),
  f("vatAmount", "tthue", "dec"),
  f("extra", "ttkhac", "extra"),
  f("specialGoods", "tthhdtrung", "special"),
];

const RATE: readonly Field[] = [
  f("vatRate", "tsuat"),
  f("amount", "thtien", "dec"),
  f("vatAmount", "tthue", "dec"),
];

const FEE: readonly Field[] = [f("name", "tlphi"), f("amount", "tphi", "dec")];

const TOTALS: readonly Field[] = [
  f("totalBeforeVat", "tgtcthue", "dec"),
  f("totalVat", "tgtthue", "dec"),
  f("nonTaxableDeductions", "tgtkcthue", "dec"),
  f("tradeDiscount", "ttcktmai", "dec"),
  f("otherDeductions", "tgtkhac", "dec"),
  f("totalPayable", "tgtttbso", "dec"),
  f("totalPayableInWords", "tgtttbchu"),
  f("extra", "ttttkhac", "extra"),
];

const P_LINES = "hdhhdvu";
const P_RATES = "thttltsuat";
const P_FEES = "thttlphi";
const KNOWN_VERSIONS = new Set(["2.0.0", "2.0.1", "2.1.0", "2.1.1"]);

// ---------------------------------------------------------------------------------------------------------
// Detection and reading

type Json = Record<string, unknown>;

function isObject(v: unknown): v is Json {
  return typeof v === "object" && v !== null && !Array.isArray(v) && !(v instanceof Uint8Array);
}

const IDENTITY_KEYS = ["nbmst", "khhdon", "shdon", "khmshdon"] as const;
const SNIFF_RE = /^\uFEFF?\s*\{/;

/**
 * True when `value` looks like a portal invoice record: an object with `nbmst`, `khhdon`, `shdon` and
 * `khmshdon`. A string is sniffed without parsing (starts with `{` and names `nbmst` and `khhdon`).
 */
export function isPortalInvoiceJson(value: unknown): boolean {
  if (typeof value === "string")
    return SNIFF_RE.test(value) && value.includes('"nbmst"') && value.includes('"khhdon"');
  if (!isObject(value)) return false;
  for (const k of IDENTITY_KEYS) if (!Object.hasOwn(value, k)) return false;
  return true;
}

const utf8 = new TextDecoder("utf-8", { fatal: true });

/**
 * Reads a portal "detail" record (parsed JSON, JSON text or UTF-8 bytes) into an invoice, the portal-only
 * facts and the problems found. Never throws on bad input.
 */
export function readPortalInvoice(json: unknown): ReadPortalInvoice {
  const problems: Problem[] = [];
  const meta: PortalMeta = {};
  let value = json;
  if (typeof value === "string" || value instanceof Uint8Array) {
    try {
      const text = typeof value === "string" ? value : utf8.decode(value);
      value = JSON.parse(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
    } catch (e) {
      const reason = e instanceof Error ? e.message : String(e);
      problems.push(makeProblem(portalJsonCodes, "PORTAL_JSON_NOT_JSON", "$", { reason }));
      return { invoice: undefined, problems, meta };
    }
  }
  if (!isPortalInvoiceJson(value)) {
    problems.push(makeProblem(portalJsonCodes, "PORTAL_JSON_NOT_RECORD", "$", { found: typeName(value) }));
    return { invoice: undefined, problems, meta };
  }
  const record = value as Json;
  const r = new Reader(problems);
  r.meta(record, meta);
  const invoice = r.invoice(record, meta);
  return { invoice, problems, meta };
}

class Reader {
  constructor(private readonly problems: Problem[]) {}

  invoice(rec: Json, meta: PortalMeta): Invoice {
    const header = this.fields(rec, HEADER, "$") as unknown as InvoiceHeader;
    for (const k of ["version", "name", "template", "series", "issueDate", "currency"] as const)
      header[k] ??= "";
    if (header.version && !KNOWN_VERSIONS.has(header.version))
      this.add("PORTAL_JSON_UNKNOWN_VERSION", "$.pban", { value: header.version });
    const payment = meta.paymentMethod?.meaning;
    if (header.paymentMethod === undefined && payment) header.paymentMethod = payment.vi;
    const related = this.related(rec, meta);
    if (related) header.related = related;

    const seller = this.fields(rec, SELLER, "$") as unknown as Seller;
    seller.name ??= "";
    seller.taxCode ??= "";
    seller.address ??= "";

    const buyer = this.fields(rec, BUYER, "$") as Buyer;
    // The portal's `nmtnmua` is the buyer's contact person, or the receiver on a warehouse note (template 6).
    const person = this.text(rec.nmtnmua, "$.nmtnmua");
    if (person !== undefined) buyer[header.template === "6" ? "receiver" : "contactName"] ??= person;

    const lines: InvoiceLine[] = [];
    this.list(rec, P_LINES, (item, path) => {
      const line = this.fields(item, LINE, path) as unknown as InvoiceLine;
      const rate = this.lineRate(item, path);
      if (rate !== undefined) line.vatRate = rate;
      line.itemName ??= "";
      lines.push(line);
    });

    const totals = this.fields(rec, TOTALS, "$") as unknown as InvoiceTotals;
    totals.totalPayableInWords ??= "";
    totals.byRate = [];
    this.list(rec, P_RATES, (item, path) => {
      totals.byRate.push(this.fields(item, RATE, path) as unknown as RateTotal);
    });
    resolveOtherRates(totals.byRate, lines);
    totals.fees = [];
    this.list(rec, P_FEES, (item, path) => {
      totals.fees.push(this.fields(item, FEE, path) as unknown as Fee);
    });

    const invoice: Invoice = { header, seller, buyer, lines, totals, signatures: [] };
    const code = this.text(rec.mhdon, "$.mhdon");
    if (code !== undefined) invoice.authorityCode = code;
    return invoice;
  }

  meta(rec: Json, meta: PortalMeta): void {
    const set = <K extends keyof PortalMeta>(key: K, v: PortalMeta[K] | undefined) => {
      if (v !== undefined) meta[key] = v;
    };
    set("id", this.text(rec.id, "$.id"));
    set("status", this.code(rec, "tthai", PORTAL_STATUS_MEANINGS));
    set("processing", this.code(rec, "ttxly", PORTAL_PROCESSING_MEANINGS));
    set("paymentMethod", this.code(rec, "htttoan", PORTAL_PAYMENT_METHODS));
    set("nature", this.int(rec.tchat, "$.tchat"));
    set("form", this.int(rec.hthdon, "$.hthdon"));
    set("period", this.codeText(rec.thlap, "$.thlap"));
    set("taxOffice", this.codeText(rec.cqt, "$.cqt"));
    set("signedAt", this.instant(rec.nky, "$.nky"));
    set("receivedAt", this.instant(rec.ntnhan, "$.ntnhan"));
    set("codedAt", this.instant(rec.ncma, "$.ncma"));
    set("createdAt", this.instant(rec.ntao, "$.ntao"));
    set("updatedAt", this.instant(rec.ncnhat, "$.ncnhat"));
    set("updatedBy", this.text(rec.ngcnhat, "$.ngcnhat"));
    set("tvanMessageId", this.text(rec.mtdtchieu, "$.mtdtchieu"));
    set("tvanTaxCode", this.text(rec.tvandnkntt, "$.tvandnkntt"));
    set("sellerCertificate", this.certificate(rec.nbcks, "$.nbcks"));
    set("buyerCertificate", this.certificate(rec.nmcks, "$.nmcks"));
    set("authorityCertificate", this.certificate(rec.cqtcks, "$.cqtcks"));
    set("qrCode", this.text(rec.qrcode, "$.qrcode"));
    set("extra", this.extra(rec.cttkhac, "$.cttkhac"));
  }

  // --- parts -------------------------------------------------------------------------------------------

  private fields(obj: Json, table: readonly Field[], path: string): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const field of table) {
      if (field.kind === "derived") continue;
      for (const key of field.json) {
        const raw = obj[key];
        if (raw === undefined || raw === null) continue;
        const v = this.value(field.kind, raw, `${path}.${key}`);
        if (v !== undefined) {
          out[field.key] = v;
          break;
        }
      }
    }
    return out;
  }

  private value(kind: Kind, raw: unknown, path: string): unknown {
    switch (kind) {
      case "text":
        return this.text(raw, path);
      case "code":
        return this.codeText(raw, path);
      case "dec":
        return this.dec(raw, path);
      case "int":
        return this.int(raw, path);
      case "flag":
        return this.flag(raw, path);
      case "date":
        return this.date(raw, path);
      case "extra":
        return this.extra(raw, path);
      case "special":
        return this.special(raw, path);
      case "derived":
        return undefined;
    }
  }

  /** Calls `each` for every object of the array `rec[key]`; reports a non-array or a non-object item. */
  private list(rec: Json, key: string, each: (item: Json, path: string) => void): void {
    this.items(rec[key], `$.${key}`, each);
  }

  private related(rec: Json, meta: PortalMeta): RelatedInvoice | undefined {
    const rel = this.fields(rec, RELATED, "$") as unknown as RelatedInvoice;
    const nature = meta.nature;
    const status = meta.status?.code;
    // tchat 2/3 (or status 2/3) is a replacement/adjustment: TCHDon 1/2.
    const tc = nature === 2 || nature === 3 ? nature - 1 : status === 2 || status === 3 ? status - 1 : 0;
    if (tc === 0 && Object.keys(rel).length === 0) return undefined;
    if (tc !== 0) rel.nature = tc as 1 | 2;
    return rel;
  }

  /** The line's TSuat: `ltsuat` as written, a "KHAC" completed from `tsuat`, or `tsuat` alone as "n%". */
  private lineRate(item: Json, path: string): string | undefined {
    const code = item.ltsuat === undefined || item.ltsuat === null ? undefined : item.ltsuat;
    const written = code === undefined ? undefined : this.text(code, `${path}.ltsuat`);
    if (written !== undefined && written !== "KHAC") return written;
    const fraction =
      item.tsuat === undefined || item.tsuat === null ? undefined : this.dec(item.tsuat, `${path}.tsuat`);
    if (fraction === undefined) return written;
    const percent = fraction.mul(Dec.HUNDRED).normalize().toPlain();
    return written === "KHAC" ? `KHAC:${percent}%` : `${percent}%`;
  }

  // --- values ------------------------------------------------------------------------------------------

  private text(raw: unknown, path: string): string | undefined {
    if (raw === undefined || raw === null) return undefined;
    if (typeof raw !== "string") {
      this.wrongType(raw, path, "string");
      return undefined;
    }
    return raw.trim() === "" ? undefined : raw;
  }

  /** A code written as text or as a whole number (`khmshdon: 1`, `shdon: 41`). */
  private codeText(raw: unknown, path: string): string | undefined {
    if (typeof raw === "number" && Number.isSafeInteger(raw) && raw >= 0) return String(raw);
    if (typeof raw === "number") {
      this.wrongType(raw, path, "string or whole number");
      return undefined;
    }
    return this.text(raw, path);
  }

  private int(raw: unknown, path: string): number | undefined {
    if (raw === undefined || raw === null) return undefined;
    if (typeof raw === "number" && Number.isSafeInteger(raw)) return raw;
    if (typeof raw === "string" && INT_RE.test(raw)) return Number(raw);
    this.wrongType(raw, path, "integer");
    return undefined;
  }

  private dec(raw: unknown, path: string): Dec | undefined {
    if (raw === undefined || raw === null) return undefined;
    let d: Dec | undefined;
    if (typeof raw === "number") d = Number.isFinite(raw) ? decOfText(String(raw)) : undefined;
    else if (typeof raw === "string") {
      if (raw.trim() === "") return undefined;
      d = decOfText(raw.trim());
    } else {
      this.wrongType(raw, path, "number");
      return undefined;
    }
    if (d === undefined) this.add("PORTAL_JSON_NOT_A_NUMBER", path, { value: String(raw) });
    return d;
  }

  private flag(raw: unknown, path: string): boolean | undefined {
    if (typeof raw === "boolean") return raw;
    if (raw === 0 || raw === "0") return false;
    if (raw === 1 || raw === "1") return true;
    this.wrongType(raw, path, "0, 1 or boolean");
    return undefined;
  }

  /** A model date (YYYY-MM-DD, Vietnam) from a date or an instant. */
  private date(raw: unknown, path: string): string | undefined {
    const text = this.text(raw, path);
    if (text === undefined) return undefined;
    const d = localDateOf(text.trim());
    if (d === undefined) this.add("PORTAL_JSON_BAD_DATE", path, { value: text });
    return d;
  }

  /** An ISO instant kept as written; a malformed one is dropped with a warning. */
  private instant(raw: unknown, path: string): string | undefined {
    const text = this.text(raw, path);
    if (text === undefined) return undefined;
    if (localDateOf(text) !== undefined && text.length > 10) return text;
    this.add("PORTAL_JSON_BAD_TIME", path, { value: text });
    return undefined;
  }

  private code(
    rec: Json,
    key: string,
    meanings: Readonly<Record<number, Bilingual>>,
  ): PortalCode | undefined {
    const code = this.int(rec[key], `$.${key}`);
    if (code === undefined) return undefined;
    const meaning = meanings[code];
    if (!meaning) {
      this.add("PORTAL_JSON_UNKNOWN_CODE", `$.${key}`, { field: key, value: String(code) });
      return { code };
    }
    return { code, meaning };
  }

  private extra(raw: unknown, path: string): ExtraField[] | undefined {
    const out: ExtraField[] = [];
    this.items(raw, path, (item, p) => {
      out.push({
        name: this.text(item.ttruong, `${p}.ttruong`) ?? "",
        type: this.text(item.kdlieu, `${p}.kdlieu`) ?? "",
        value: this.dataValue(item.dlieu, `${p}.dlieu`),
      });
    });
    return out.length > 0 ? out : undefined;
  }

  private special(raw: unknown, path: string): SpecialGoodsField[] | undefined {
    const out: SpecialGoodsField[] = [];
    this.items(raw, path, (item, p) => {
      out.push({
        kind: this.codeText(item.lhhdtrung, `${p}.lhhdtrung`) ?? "",
        name: this.text(item.ttruong, `${p}.ttruong`) ?? "",
        value: this.dataValue(item.dlieu, `${p}.dlieu`),
      });
    });
    return out.length > 0 ? out : undefined;
  }

  private items(raw: unknown, path: string, each: (item: Json, path: string) => void): void {
    if (raw === undefined || raw === null) return;
    if (!Array.isArray(raw)) {
      this.wrongType(raw, path, "array");
      return;
    }
    for (let i = 0; i < raw.length; i++) {
      const item: unknown = raw[i];
      if (isObject(item)) each(item, `${path}[${i}]`);
      else this.wrongType(item, `${path}[${i}]`, "object");
    }
  }

  /** DLieu: text kept as given (even blank, as the XML reader keeps it); numbers and booleans as text. */
  private dataValue(raw: unknown, path: string): string {
    if (raw === undefined || raw === null) return "";
    if (typeof raw === "string") return raw;
    if (typeof raw === "number" && Number.isFinite(raw)) return plainNumber(String(raw)) ?? String(raw);
    if (typeof raw === "boolean") return String(raw);
    this.wrongType(raw, path, "string");
    return "";
  }

  private certificate(raw: unknown, path: string): PortalCertificate | undefined {
    const text = this.text(raw, path);
    if (text === undefined) return undefined;
    const cert: PortalCertificate = { raw: text };
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      return cert;
    }
    if (!isObject(parsed)) return cert;
    for (const [from, to] of CERT_KEYS) {
      const v = parsed[from];
      if (typeof v === "string" && v !== "") cert[to] = v;
    }
    return cert;
  }

  // --- problems ----------------------------------------------------------------------------------------

  private wrongType(raw: unknown, path: string, expected: string): void {
    this.add("PORTAL_JSON_WRONG_TYPE", path, { expected, found: typeName(raw) });
  }

  private add(code: keyof typeof portalJsonCodes, path: string, params: Record<string, string>): void {
    this.problems.push(makeProblem(portalJsonCodes, code, path, params));
  }
}

const CERT_KEYS: readonly (readonly [string, Exclude<keyof PortalCertificate, "raw">])[] = [
  ["Subject", "subject"],
  ["SerialNumber", "serialNumber"],
  ["Issuer", "issuer"],
  ["NotBefore", "notBefore"],
  ["NotAfter", "notAfter"],
  ["SigningTime", "signingTime"],
];

/**
 * A per-rate summary written as a bare "KHAC" takes the "KHAC:n%" of its lines when they carry exactly
 * one such rate, so that lines and summary name the same group. Otherwise it stays "KHAC".
 */
function resolveOtherRates(byRate: RateTotal[], lines: InvoiceLine[]): void {
  if (!byRate.some((r) => r.vatRate === "KHAC")) return;
  const others = new Set<string>();
  for (const l of lines) if (l.vatRate?.startsWith("KHAC:")) others.add(l.vatRate);
  if (others.size !== 1) return;
  const [only] = others;
  for (const r of byRate) if (r.vatRate === "KHAC" && only !== undefined) r.vatRate = only;
}

function typeName(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "array";
  if (typeof v === "number" && !Number.isFinite(v)) return String(v);
  return typeof v;
}

// ---------------------------------------------------------------------------------------------------------
// Numbers and dates

const INT_RE = /^[+-]?\d{1,15}$/;
const EXP_RE = /^([+-]?)(\d+)(?:\.(\d*))?[eE]([+-]?\d{1,4})$/;
/** Larger exponents are refused rather than expanded into thousands of zeros. */
const MAX_EXPONENT = 400;

/** Expands "1e+21" / "1.5e-7" to plain decimal text; other text is returned as is. */
function plainNumber(text: string): string | undefined {
  const m = EXP_RE.exec(text);
  if (!m) return text;
  const exp = Number(m[4]);
  if (Math.abs(exp) > MAX_EXPONENT) return undefined;
  const sign = m[1] === "-" ? "-" : "";
  const intPart = m[2] ?? "";
  const digits = intPart + (m[3] ?? "");
  const point = intPart.length + exp;
  if (point <= 0) return `${sign}0.${"0".repeat(-point)}${digits}`;
  if (point >= digits.length) return sign + digits + "0".repeat(point - digits.length);
  return `${sign}${digits.slice(0, point)}.${digits.slice(point)}`;
}

/** The exact `Dec` of decimal text, with or without an exponent. */
function decOfText(text: string): Dec | undefined {
  const plain = plainNumber(text);
  return plain === undefined ? undefined : Dec.tryParse(plain);
}

/** The exact `Dec` of a JS number (its shortest decimal form); undefined for NaN and ±Infinity. */
export function decOfJsonNumber(n: number): Dec | undefined {
  return Number.isFinite(n) ? decOfText(String(n)) : undefined;
}

const INSTANT_RE =
  /^(\d{4}-\d{2}-\d{2})(?:T(\d{2}:\d{2}:\d{2})(?:\.\d{1,9})?(?:(Z)|([+-])(\d{2}):(\d{2}))?)?$/;

/**
 * The Vietnam calendar date of a portal date: "YYYY-MM-DD" as is; an instant with a zone ("Z", "+07:00")
 * converted to GMT+7; a date-time without a zone read as Vietnam time (as the certificate summaries write
 * it). Undefined when malformed.
 */
export function localDateOf(text: string): string | undefined {
  const m = INSTANT_RE.exec(text);
  if (!m) return undefined;
  const date = m[1] ?? "";
  if (m[2] === undefined) return isDate(date) ? date : undefined;
  const asVietnam = dateTimeToInstant(`${date}T${m[2]}`);
  if (!asVietnam) return undefined;
  if (m[3] === undefined && m[4] === undefined) return date;
  let zone = 0;
  if (m[4] !== undefined) {
    const hh = Number(m[5]);
    const mm = Number(m[6]);
    if (hh > 23 || mm > 59) return undefined;
    zone = (m[4] === "-" ? -1 : 1) * (hh * 60 + mm);
  }
  return instantToDate(new Date(asVietnam.getTime() + (VIETNAM_OFFSET_MINUTES - zone) * 60_000));
}

// ---------------------------------------------------------------------------------------------------------
// Model paths → JSON paths

const PART_TABLES: Record<string, { base: string; table: readonly Field[] }> = {
  header: { base: "$", table: HEADER },
  "header.related": { base: "$", table: RELATED },
  seller: { base: "$", table: SELLER },
  buyer: { base: "$", table: BUYER },
  lines: { base: `$.${P_LINES}`, table: LINE },
  totals: { base: "$", table: TOTALS },
  "totals.byRate": { base: `$.${P_RATES}`, table: RATE },
  "totals.fees": { base: `$.${P_FEES}`, table: FEE },
};
const TOP_LEVEL: Record<string, string> = { authorityCode: "$.mhdon", qrCode: "$.qrcode" };
const MODEL_PATH_RE = /^([a-zA-Z.]+?)(?:\[(\d+)\])?(?:\.([a-zA-Z]+))?$/;

/**
 * The JSONPath of the portal field behind a model path used by the validator: "lines[2].amount" →
 * "$.hdhhdvu[2].thtien", "header.issueDate" → "$.tdlap". Indexes are 0-based on both sides. Unknown paths
 * are returned unchanged.
 */
export function portalPathOf(modelPath: string): string {
  const top = TOP_LEVEL[modelPath] ?? PART_TABLES[modelPath]?.base;
  if (top !== undefined) return top;
  const m = MODEL_PATH_RE.exec(modelPath);
  if (!m) return modelPath;
  let part = m[1] ?? "";
  const index = m[2];
  let key = m[3];
  let spec = PART_TABLES[part];
  if (!spec && index === undefined) {
    const dot = part.lastIndexOf(".");
    key = part.slice(dot + 1);
    part = part.slice(0, dot);
    spec = PART_TABLES[part];
  }
  if (!spec) return modelPath;
  const base = index !== undefined ? `${spec.base}[${index}]` : spec.base;
  if (key === undefined) return base;
  if (key === "related" && part === "header") return "$.khhdgoc";
  const field = spec.table.find((x) => x.key === key);
  return field ? `${base}.${field.json[0]}` : modelPath;
}
