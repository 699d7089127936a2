/**
 * The invoice model (hóa đơn điện tử) for every kind: templates 1–9, cash-register and per-occurrence
 * invoices. Names follow ARCHITECTURE.md "Names"; the XML element of each field is given in brackets, and
 * `src/format/invoice.ts` is the only place that maps between the two.
 *
 * Numbers are `Dec` (exact). Text is kept as given (the writer normalises to NFC). Optional fields are
 * `undefined` when absent; an element present but empty in a real file reads as `undefined` too.
 */
import type { Dec } from "./decimal.ts";

/** Format versions (TTChung/PBan): 2.0.0 QĐ 1450, 2.0.1 QĐ 1510, 2.1.0 QĐ 1271 (written by hddt). */
export type FormatVersion = "2.0.0" | "2.0.1" | "2.1.0" | "2.1.1";
export const WRITTEN_VERSION: FormatVersion = "2.1.0";

/** Template digit (KHMSHDon), reference §3.1. */
export type TemplateDigit = "1" | "2" | "3" | "4" | "5" | "6" | "7" | "8" | "9";

/** Free "other information" entry (TTKhac/TTin): field name, data type, value. */
export interface ExtraField {
  /** [TTruong] */
  name: string;
  /** [KDLieu] string | numeric | dateTime | date (real files also write "String"). */
  type: string;
  /** [DLieu] */
  value: string;
}

/** Related invoice (TTHDLQuan): what a replacement or adjustment refers to. */
export interface RelatedInvoice {
  /** [TCHDon] 1 replacement, 2 adjustment, 3/4 replace/adjust many with list 01/BK-ĐCTT. */
  nature: 1 | 2 | 3 | 4;
  /** [LHDCLQuan] 1 Decree 123 e-invoice, 2 coded e-invoice of QĐ 1209/2660, 3 other Decree 51/04, 4 pre-printed Decree 123. */
  relatedKind?: 1 | 2 | 3 | 4;
  /** [KHMSHDCLQuan] up to 11 chars (old templates like 01GTKT0/001). */
  template?: string;
  /** [KHHDCLQuan] up to 8 chars. */
  series?: string;
  /** [SHDCLQuan] */
  number?: string;
  /** [NLHDCLQuan] YYYY-MM-DD */
  date?: string;
  /** [GChu] */
  note?: string;
  /** [SBKCLQuan] number of list 01/BK-ĐCTT (2.1.0). */
  listNumber?: string;
  /** [NBKCLQuan] date of that list. */
  listDate?: string;
}

/** General information (TTChung). */
export interface InvoiceHeader {
  /** [PBan] */
  version: FormatVersion | string;
  /** [THDon] */
  name: string;
  /** [KHMSHDon]; empty only in Decree 123 Art 10.14 cases. */
  template: string;
  /** [KHHDon] */
  series: string;
  /** [SHDon] as written (real files carry leading zeros); numeric value via `Number()`/BigInt. */
  number?: string;
  /** [MHSo] dossier code of a per-occurrence invoice issued by the authority. */
  dossierCode?: string;
  /** [NLap] YYYY-MM-DD, GMT+7. */
  issueDate: string;
  /** [HDCTTChinh] financial-leasing invoice (required in 2.1.0). */
  financialLeasing?: boolean;
  /** [HDDCKPTQuan] sales invoice for non-tariff-zone entities. */
  nonTariffZone?: boolean;
  /** [SBKe] number of the attached goods list. */
  attachedListNumber?: string;
  /** [NBKe] date of the attached goods list. */
  attachedListDate?: string;
  /** [DVTTe] ISO 4217 currency. */
  currency: string;
  /** [TGia] exchange rate to VND (7,2); required unless VND. */
  exchangeRate?: Dec;
  /** [HTTToan] payment method, free text ≤ 50. */
  paymentMethod?: string;
  /** [MSTTCGP] tax code of the e-invoice software provider. */
  providerTaxCode?: string;
  /** [HDNTGia] multi-exchange-rate invoice (banks). */
  multiExchangeRate?: boolean;
  /** [MSTDVNUNLHDon] authorised issuer's tax code. */
  authorisedTaxCode?: string;
  /** [TDVNUNLHDon] */
  authorisedName?: string;
  /** [DCDVNUNLHDon] */
  authorisedAddress?: string;
  /** [TTHDLQuan] */
  related?: RelatedInvoice;
  /** [TTKhac] */
  extra?: ExtraField[];
}

/** The seller (NBan), including the fields of public-asset sellers and warehouse notes. */
export interface Seller {
  /** [Ten] */
  name: string;
  /** [MST] */
  taxCode: string;
  /** [DChi] */
  address: string;
  /** [MCHang] store code (2.1.0). */
  storeCode?: string;
  /** [TCHang] store name (2.1.0). */
  storeName?: string;
  /** [SDThoai] */
  phone?: string;
  /** [DCTDTu] */
  email?: string;
  /** [STKNHang] */
  bankAccount?: string;
  /** [TNHang] */
  bankName?: string;
  /** [Fax] */
  fax?: string;
  /** [Website] */
  website?: string;
  // Public assets / national reserve (template 3, 4)
  /** [MDVQHNSach] budget-relationship unit code. */
  budgetUnitCode?: string;
  /** [SQDinh] decision number. */
  decisionNumber?: string;
  /** [NQDinh] decision date. */
  decisionDate?: string;
  /** [CQBHQDinh] issuing body of the decision. */
  decisionIssuer?: string;
  /** [HTBan] form of sale. */
  saleForm?: string;
  // Warehouse notes (template 6)
  /** [LDDNBo] internal dispatch order (required on internal transfer notes). */
  dispatchOrder?: string;
  /** [HDSo] transport contract number. */
  transportContract?: string;
  /** [HVTNXHang] person who dispatches the goods. */
  dispatcher?: string;
  /** [TNVChuyen] carrier. */
  carrier?: string;
  /** [PTVChuyen] means of transport. */
  transportMeans?: string;
  /** [HDKTSo] economic contract number (consignment notes). */
  economicContractNumber?: string;
  /** [HDKTNgay] economic contract date. */
  economicContractDate?: string;
  /** [TTKhac] */
  extra?: ExtraField[];
}

/** The buyer (NMua). Every field is optional: consumers may give nothing. */
export interface Buyer {
  /** [Ten] */
  name?: string;
  /** [MST] */
  taxCode?: string;
  /** [MDVQHNSach] budget-relationship unit code (2.1.0). */
  budgetUnitCode?: string;
  /** [DChi] */
  address?: string;
  /** [MKHang] */
  customerCode?: string;
  /** [SDThoai] */
  phone?: string;
  /** [CCCDan] citizen / personal identification number, 12 digits (2.1.0). */
  citizenId?: string;
  /** [SHChieu] passport or entry-exit document number (2.1.0). */
  passport?: string;
  /** [DCTDTu] */
  email?: string;
  /** [HVTNMHang] contact person. */
  contactName?: string;
  /** [STKNHang] */
  bankAccount?: string;
  /** [TNHang] */
  bankName?: string;
  // Public-asset / national-reserve buyers
  /** [DDVCHDen] delivery place. */
  deliveryPlace?: string;
  /** [TGVCHDTu] delivery from (date-time). */
  deliveryFrom?: string;
  /** [TGVCHDDen] delivery until (date-time). */
  deliveryTo?: string;
  /** [CMND] ID card or passport (national reserve). */
  idDocument?: string;
  // Warehouse notes
  /** [HVTNNHang] receiver. */
  receiver?: string;
  /** [TTKhac] */
  extra?: ExtraField[];
}

/** Line nature (TChat, Annex IV): 1 goods/service, 2 promotion, 3 trade discount, 4 note, 5 special goods. */
export type LineNature = 1 | 2 | 3 | 4 | 5;

/** One special-goods attribute (TTHHDTrung/TTin, 2.1.0). */
export interface SpecialGoodsField {
  /** [LHHDTrung] Annex XV type digit. */
  kind: string;
  /** [TTruong] */
  name: string;
  /** [DLieu] */
  value: string;
}

/**
 * VAT rate (TSuat, Annex V) as written: "0%", "5%", "8%", "10%", "KCT", "KKKNT", "KHAC:5.26%".
 * `src/domain/vat.ts` parses it.
 */
export type VatRateCode = string;

/** A line (HHDVu). */
export interface InvoiceLine {
  /** [TChat] */
  nature: LineNature;
  /** [STT] */
  lineNo?: number;
  /** [MHHDVu] */
  itemCode?: string;
  /** [THHDVu] */
  itemName: string;
  /** [DVTinh] */
  unit?: string;
  /** [SLuong] */
  quantity?: Dec;
  /** [DGia] */
  unitPrice?: Dec;
  /** [TLCKhau] discount percent. */
  discountRate?: Dec;
  /** [STCKhau] discount amount. */
  discountAmount?: Dec;
  /** [ThTien] amount before VAT. */
  amount?: Dec;
  /** [TSuat] */
  vatRate?: VatRateCode;
  /** [TThue] line VAT: not in the tables, emitted by some providers; read and kept, never required. */
  vatAmount?: Dec;
  /** [TTKhac] */
  extra?: ExtraField[];
  /** [TTHHDTrung] special goods (required when nature = 5). */
  specialGoods?: SpecialGoodsField[];
}

/** Per-rate summary (LTSuat). */
export interface RateTotal {
  /** [TSuat] */
  vatRate: VatRateCode;
  /** [ThTien] */
  amount: Dec;
  /** [TThue] */
  vatAmount?: Dec;
}

/** A fee (LPhi). */
export interface Fee {
  /** [TLPhi] */
  name: string;
  /** [TPhi] */
  amount: Dec;
}

/** Totals (TToan). */
export interface InvoiceTotals {
  /** [THTTLTSuat/LTSuat] */
  byRate: RateTotal[];
  /** [TgTCThue] total before VAT. */
  totalBeforeVat?: Dec;
  /** [TgTThue] total VAT. */
  totalVat?: Dec;
  /** [TGTKCThue] total of non-taxable deductions. */
  nonTaxableDeductions?: Dec;
  /** [DSLPhi/LPhi] */
  fees: Fee[];
  /** [TTCKTMai] total trade discount. */
  tradeDiscount?: Dec;
  /** [TGTKhac] other deductions. */
  otherDeductions?: Dec;
  /** [TgTTTBSo] total payable. */
  totalPayable: Dec;
  /** [TgTTTBChu] total payable in words. */
  totalPayableInWords: string;
  /** [TTKhac] */
  extra?: ExtraField[];
}

/** A signature block found in DSCKS; the signing module reads and makes them. */
export interface SignatureSlot {
  role: "seller" | "buyer" | "authority" | "other";
  /** The exact source text of the ds:Signature element (kept byte-exact for verification). */
  xml: string;
}

export interface Invoice {
  /** [DLHDon@Id] the Id the signatures refer to. */
  dataId?: string;
  header: InvoiceHeader;
  seller: Seller;
  buyer: Buyer;
  lines: InvoiceLine[];
  totals: InvoiceTotals;
  /** [NDHDon/TTKhac] (Viettel places TTKhac under NDHDon). */
  contentExtra?: ExtraField[];
  /** [DLHDon/TTKhac] */
  dataExtra?: ExtraField[];
  /** [DLQRCode] */
  qrCode?: string;
  /** [MCCQT] the authority's code (34 chars), or the 23-char cash-register code. */
  authorityCode?: string;
  /** [MCCQT@Id] */
  authorityCodeId?: string;
  /** [DSCKS/*] */
  signatures: SignatureSlot[];
}

/** What kind of invoice this is, from template digit and series letter (reference §3). */
export type InvoiceKind =
  | "vat"
  | "sales"
  | "public-asset"
  | "national-reserve"
  | "stamp-ticket-card"
  | "warehouse-note"
  | "commercial"
  | "vat-with-receipt"
  | "sales-with-receipt";
