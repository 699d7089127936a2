/**
 * The words printed on an invoice. Invoices are in Vietnamese; with the English switch each label carries
 * its English in brackets after it, as Circular 32/2011 Art 6.1(g) allows for foreign text.
 */
import { parseSeries } from "../domain/codes.ts";

export type Language = "vi" | "en";

const LABELS = {
  template: ["Mẫu số", "Form"],
  series: ["Ký hiệu", "Serial"],
  number: ["Số", "No."],
  day: ["Ngày", "Date"],
  month: ["tháng", ""],
  year: ["năm", ""],
  display: ["Bản thể hiện của hóa đơn điện tử", "Electronic invoice display"],
  authorityCode: ["Mã của cơ quan thuế", "Tax authority code"],
  cashRegisterCode: ["Mã hóa đơn khởi tạo từ máy tính tiền", "Cash-register invoice code"],
  seller: ["Đơn vị bán hàng", "Seller"],
  taxCode: ["Mã số thuế", "Tax code"],
  address: ["Địa chỉ", "Address"],
  phone: ["Điện thoại", "Tel"],
  email: ["Email", ""],
  bankAccount: ["Số tài khoản", "Account No."],
  bank: ["tại", "at"],
  store: ["Cửa hàng", "Store"],
  buyerPerson: ["Họ tên người mua hàng", "Buyer"],
  buyerUnit: ["Tên đơn vị", "Company"],
  customerCode: ["Mã khách hàng", "Customer code"],
  citizenId: ["Số CCCD", "Citizen ID"],
  passport: ["Số hộ chiếu", "Passport"],
  budgetUnit: ["Mã ĐVQHNS", "Budget unit code"],
  paymentMethod: ["Hình thức thanh toán", "Payment method"],
  currency: ["Đồng tiền thanh toán", "Currency"],
  exchangeRate: ["Tỷ giá", "Exchange rate"],
  receiver: ["Người nhận hàng", "Receiver"],
  dispatchOrder: ["Căn cứ lệnh điều động số", "Dispatch order"],
  dispatcher: ["Người xuất hàng", "Dispatcher"],
  carrier: ["Người vận chuyển", "Carrier"],
  transportMeans: ["Phương tiện vận chuyển", "Means of transport"],
  transportContract: ["Hợp đồng vận chuyển số", "Transport contract"],
  economicContract: ["Hợp đồng kinh tế số", "Economic contract"],
  decision: ["Quyết định số", "Decision No."],
  deliveryPlace: ["Địa điểm vận chuyển hàng đến", "Delivery place"],
  lineNo: ["STT", "No."],
  itemName: ["Tên hàng hóa, dịch vụ", "Description"],
  unit: ["Đơn vị tính", "Unit"],
  quantity: ["Số lượng", "Quantity"],
  unitPrice: ["Đơn giá", "Unit price"],
  discount: ["Chiết khấu", "Discount"],
  amount: ["Thành tiền", "Amount"],
  vatRate: ["Thuế suất", "VAT rate"],
  vatAmount: ["Tiền thuế GTGT", "VAT amount"],
  promotion: ["Khuyến mại", "Promotion"],
  tradeDiscount: ["Chiết khấu thương mại", "Trade discount"],
  byRate: ["Tổng hợp theo thuế suất", "Summary by VAT rate"],
  amountBeforeVat: ["Thành tiền chưa có thuế GTGT", "Amount before VAT"],
  totalWithVat: ["Cộng tiền thanh toán", "Total"],
  totalBeforeVat: ["Cộng tiền hàng", "Total before VAT"],
  totalVat: ["Tiền thuế GTGT", "VAT"],
  nonTaxable: ["Các khoản không chịu thuế", "Non-taxable deductions"],
  otherDeductions: ["Các khoản giảm trừ khác", "Other deductions"],
  totalPayable: ["Tổng tiền thanh toán", "Total payable"],
  inWords: ["Số tiền viết bằng chữ", "Amount in words"],
  buyerSign: ["Người mua hàng", "Buyer"],
  sellerSign: ["Người bán hàng", "Seller"],
  authoritySign: ["Cơ quan thuế", "Tax authority"],
  signHint: ["(Chữ ký số, chữ ký điện tử)", "(Digital signature)"],
  signedBy: ["Ký bởi", "Signed by"],
  signedAt: ["Ký ngày", "Signed on"],
  signatureValid: ["Chữ ký hợp lệ", "Signature valid"],
  signatureInvalid: ["CHỮ KÝ KHÔNG HỢP LỆ", "SIGNATURE NOT VALID"],
  testCertificate: [
    "CHỨNG THƯ SỐ THỬ NGHIỆM (TEST) — KHÔNG CÓ GIÁ TRỊ PHÁP LÝ",
    "TEST CERTIFICATE — NO LEGAL VALUE",
  ],
  notSigned: ["Chưa ký", "Not signed"],
  lookupCode: ["Mã tra cứu", "Lookup code"],
  lookupAt: ["Tra cứu hóa đơn tại", "Look the invoice up at"],
  page: ["Trang", "Page"],
  provider: ["Giải pháp hóa đơn điện tử", "E-invoice solution"],
  replaces: ["Hóa đơn này thay thế hóa đơn", "This invoice replaces invoice"],
  adjusts: ["Hóa đơn này điều chỉnh cho hóa đơn", "This invoice adjusts invoice"],
  relatedList: ["theo bảng kê số", "per list No."],
  of: ["ngày", "dated"],
  conversionMark: ["HÓA ĐƠN CHUYỂN ĐỔI TỪ HÓA ĐƠN ĐIỆN TỬ", "INVOICE CONVERTED FROM AN E-INVOICE"],
  converter: ["Người thực hiện chuyển đổi", "Converted by"],
  convertedAt: ["Thời gian chuyển đổi", "Converted at"],
  signAndName: ["(Ký, ghi rõ họ tên)", "(Signature, full name)"],
  legalRep: ["Người đại diện theo pháp luật của người bán", "Seller's legal representative"],
  signSealName: ["(Ký, đóng dấu, ghi rõ họ tên)", "(Signature, seal, full name)"],
  purposeOrigin: [
    "Mục đích: chứng minh nguồn gốc xuất xứ hàng hóa (chỉ chuyển đổi một lần)",
    "Purpose: proof of the origin of goods (converted once only)",
  ],
  purposeArchive: ["Mục đích: lưu trữ chứng từ kế toán", "Purpose: archiving of accounting documents"],
} as const satisfies Record<string, readonly [string, string]>;

export type LabelKey = keyof typeof LABELS;

/** A label in the document's language: Vietnamese, or "Vietnamese (English)". */
export function label(key: LabelKey, lang: Language): string {
  const [vi, en] = LABELS[key];
  return lang === "en" && en !== "" ? `${vi} (${en})` : vi;
}

/** Titles by template digit (reference §3.1); template 6 and a few series letters refine them. */
const TITLES: Readonly<Record<string, readonly [string, string]>> = {
  "1": ["HÓA ĐƠN GIÁ TRỊ GIA TĂNG", "VAT INVOICE"],
  "2": ["HÓA ĐƠN BÁN HÀNG", "SALES INVOICE"],
  "3": ["HÓA ĐƠN BÁN TÀI SẢN CÔNG", "PUBLIC ASSET SALES INVOICE"],
  "4": ["HÓA ĐƠN BÁN HÀNG DỰ TRỮ QUỐC GIA", "NATIONAL RESERVE SALES INVOICE"],
  "5": ["TEM, VÉ, THẺ, PHIẾU THU ĐIỆN TỬ", "E-STAMP, TICKET, CARD, RECEIPT"],
  "6": ["PHIẾU XUẤT KHO KIÊM VẬN CHUYỂN NỘI BỘ", "INTERNAL TRANSFER NOTE"],
  "7": ["HÓA ĐƠN THƯƠNG MẠI ĐIỆN TỬ", "ELECTRONIC COMMERCIAL INVOICE"],
  "8": [
    "HÓA ĐƠN GIÁ TRỊ GIA TĂNG TÍCH HỢP BIÊN LAI THU THUẾ, PHÍ, LỆ PHÍ",
    "VAT INVOICE WITH TAX, FEE AND CHARGE RECEIPT",
  ],
  "9": [
    "HÓA ĐƠN BÁN HÀNG TÍCH HỢP BIÊN LAI THU THUẾ, PHÍ, LỆ PHÍ",
    "SALES INVOICE WITH TAX, FEE AND CHARGE RECEIPT",
  ],
};

const CONSIGNMENT: readonly [string, string] = ["PHIẾU XUẤT KHO HÀNG GỬI BÁN ĐẠI LÝ", "CONSIGNMENT NOTE"];
const REFUND: readonly [string, string] = [
  "HÓA ĐƠN GIÁ TRỊ GIA TĂNG KIÊM TỜ KHAI HOÀN THUẾ",
  "VAT INVOICE CUM TAX REFUND DECLARATION",
];

/** Older templates ("01GTKT0/001", "02GTTT", "07KPTQ") name their kind by their first two digits. */
function templateDigit(template: string): string | undefined {
  if (/^[1-9]$/.test(template)) return template;
  const legacy = /^0([1-9])/.exec(template);
  if (!legacy) return undefined;
  // Old 03XKNB (internal transfer) and 04HGDL (consignment) notes are today's template 6.
  return { "1": "1", "2": "2", "3": "6", "4": "6", "5": "5", "6": "5", "7": "2" }[legacy[1]!];
}

/**
 * The title of an invoice: by template digit, the consignment note (series letter B) and the VAT-refund
 * invoice (letter F) by their letter, and the invoice's own name (THDon) when the template is unknown or
 * is 5 (stamps, tickets and cards name themselves).
 */
export function invoiceTitle(template: string, series: string, name: string, lang: Language): string {
  const digit = templateDigit(template);
  const letter = parseSeries(series)?.letter;
  let pair = digit ? TITLES[digit] : undefined;
  if (digit === "6" && letter === "B") pair = CONSIGNMENT;
  if (digit === "1" && letter === "F") pair = REFUND;
  if ((!pair || digit === "5") && name.trim() !== "") return name.trim().toLocaleUpperCase("vi");
  const [vi, en] = pair ?? ["HÓA ĐƠN ĐIỆN TỬ", "E-INVOICE"];
  return lang === "en" ? `${vi} (${en})` : vi;
}

/** Every kind the renderer titles, for tests: template, series and the expected Vietnamese title. */
export const TITLED_KINDS: ReadonlyArray<readonly [string, string, string]> = [
  ...Object.entries(TITLES).map(([t, [vi]]) => [t, "K25TAA", vi] as const),
  ["6", "K25NAA", TITLES["6"]![0]],
  ["6", "K25BAA", CONSIGNMENT[0]],
  ["1", "K25FAA", REFUND[0]],
];
