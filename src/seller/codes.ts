/** Codes of the seller's invoicing system (organisations, series, invoices, registration, answers). */
import { defineCodes, makeProblem, type Problem } from "../domain/problem.ts";

export const sellerCodes = defineCodes({
  SELLER_ORG_NOT_FOUND: {
    vi: "Không tìm thấy tổ chức có mã số thuế {taxCode}",
    en: "There is no organisation with tax code {taxCode}",
  },
  SELLER_ORG_EXISTS: {
    vi: "Tổ chức có mã số thuế {taxCode} đã có",
    en: "An organisation with tax code {taxCode} exists already",
  },
  SELLER_USER_EXISTS: {
    vi: "Người dùng {email} đã có trong tổ chức",
    en: "The user {email} exists already in this organisation",
  },
  SELLER_NO_SIGNING_KEY: {
    vi: "Tổ chức {taxCode} chưa khai báo chữ ký số",
    en: "The organisation {taxCode} has no signing key",
  },
  SELLER_SIGNING_FAILED: {
    vi: "Không ký được: {reason}",
    en: "Signing failed: {reason}",
  },
  SELLER_KEY_AT_USER: {
    vi: "Khóa ký của tổ chức nằm ở người dùng (ký hai bước): {what} chưa ký hai bước được, hãy khai báo khóa PKCS#12 hoặc PKCS#11",
    en: "The organisation's key is at the user (two-step signing): {what} cannot be signed in two steps yet; set a PKCS#12 or PKCS#11 key",
  },
  SELLER_ERROR_NOTICE_MIXED: {
    vi: "Hóa đơn khởi tạo từ máy tính tiền được thông báo sai sót riêng (thông điệp 303), không chung với hóa đơn khác",
    en: "Cash-register invoices are noticed in an error notice of their own (message 303), not with other invoices",
  },
  SELLER_REGISTRATION_NOT_FOUND: {
    vi: "Không có tờ khai đăng ký {id} của tổ chức",
    en: "The organisation has no registration {id}",
  },
  SELLER_NOT_AWAITING_SIGNATURE: {
    vi: "Hóa đơn {id} không chờ ký (trạng thái {state})",
    en: "The invoice {id} is not waiting for a signature (state {state})",
  },
  SELLER_WITHDRAW_NOT_LAST: {
    vi: "Chỉ rút được hóa đơn chờ ký mang số cuối của ký hiệu ({last}); hóa đơn này mang số {number}, hãy ký nó",
    en: "Only the waiting invoice with the series' last number ({last}) can be withdrawn; this one has number {number}: sign it",
  },
  SELLER_SERIES_EXISTS: {
    vi: "Ký hiệu {template}{series} đã có",
    en: "The series {template}{series} exists already",
  },
  SELLER_SERIES_NOT_FOUND: {
    vi: "Không có ký hiệu {template}{series} của tổ chức",
    en: "The organisation has no series {template}{series}",
  },
  SELLER_SERIES_INACTIVE: {
    vi: "Ký hiệu {template}{series} đã ngừng sử dụng",
    en: "The series {template}{series} is no longer used",
  },
  SELLER_SERIES_YEAR_MISMATCH: {
    vi: "Ngày lập {date} không thuộc năm của ký hiệu {series} ({year})",
    en: "The date {date} is not in the year of series {series} ({year})",
  },
  SELLER_SERIES_YEAR_ENDING: {
    vi: "Ký hiệu {series} chỉ dùng đến hết năm {year}: còn {days} ngày, hãy tạo ký hiệu năm sau",
    en: "The series {series} is used only until the end of {year}: {days} days left, create next year's series",
    severity: "warning",
  },
  SELLER_CODED_ONLY: {
    vi: "Tổ chức phải dùng hóa đơn có mã của cơ quan thuế; ký hiệu {series} là hóa đơn không có mã",
    en: "The organisation must use invoices coded by the authority; {series} is a no-code series",
  },
  SELLER_DATE_ORDER: {
    vi: "Ngày lập {date} trước ngày của hóa đơn đã lập cuối cùng của ký hiệu ({last})",
    en: "The date {date} is before the last invoice issued in the series ({last})",
  },
  SELLER_DATE_IN_FUTURE: {
    vi: "Ngày lập {date} sau ngày hôm nay ({today})",
    en: "The date {date} is after today ({today})",
  },
  SELLER_INVOICE_NOT_FOUND: {
    vi: "Không tìm thấy hóa đơn {id}",
    en: "The invoice {id} was not found",
  },
  SELLER_INVOICE_STATE: {
    vi: "Hóa đơn ở trạng thái {state}, không thể {action}",
    en: "The invoice is {state}; it cannot be {action}",
  },
  SELLER_IDEMPOTENCY_CONFLICT: {
    vi: "Khóa chống trùng {key} đã dùng cho một yêu cầu có nội dung khác",
    en: "The idempotency key {key} was used for a request with a different body",
  },
  SELLER_BATCH_TOO_LARGE: {
    vi: "Một lần chỉ lập tối đa {max} hóa đơn, yêu cầu có {count}",
    en: "A batch holds at most {max} invoices; this one has {count}",
  },
  SELLER_BAD_AMOUNT: {
    vi: 'Giá trị "{value}" không phải là số',
    en: 'The value "{value}" is not a number',
  },
  SELLER_NOT_REGISTERED: {
    vi: "Tổ chức chưa được cơ quan thuế chấp nhận đăng ký sử dụng hóa đơn điện tử",
    en: "The organisation's registration for e-invoices has not been accepted by the authority",
  },
  SELLER_PROFILE_INCOMPLETE: {
    vi: "Hồ sơ tổ chức thiếu {field}, cần cho tờ khai đăng ký",
    en: "The organisation's profile lacks {field}, which the registration form needs",
  },
  SELLER_STOPPED: {
    vi: "Tổ chức đã bị ngừng sử dụng hóa đơn điện tử từ {since}",
    en: "The organisation's use of e-invoices was stopped on {since}",
  },
  SELLER_REFUSED_BY_AUTHORITY: {
    vi: "Cơ quan thuế không cấp mã: {reason}",
    en: "The authority refused to code the invoice: {reason}",
  },
  SELLER_REFUSED_BY_TVAN: {
    vi: "Tổ chức truyền nhận không tiếp nhận thông điệp: {reason}",
    en: "The T-VAN did not receive the message: {reason}",
  },
  SELLER_LOOKUP_NOT_FOUND: {
    vi: "Không có hóa đơn với mã tra cứu này",
    en: "There is no invoice with this lookup code",
  },
  SELLER_FORBIDDEN: {
    vi: "Vai trò {role} không được {action}",
    en: "The role {role} may not {action}",
  },
  SELLER_CASH_REGISTER_BLOCK_MISSING: {
    vi: "Hồ sơ tổ chức chưa có chuỗi 5 ký tự cơ quan thuế cấp cho mã hóa đơn máy tính tiền (cashRegisterBlock)",
    en: "The organisation's profile lacks the 5 characters the authority issued for cash-register codes (cashRegisterBlock)",
  },
  SELLER_CASH_REGISTER_SERIES: {
    vi: "Ký hiệu {series} là ký hiệu hóa đơn máy tính tiền, không dùng cho {what}",
    en: "The series {series} is a cash-register series; it cannot be used for {what}",
  },
  SELLER_PER_OCCURRENCE_SERIES: {
    vi: "Hóa đơn theo từng lần phát sinh cần ký hiệu hóa đơn có mã (C), không phải {series}",
    en: "A per-occurrence invoice needs a coded series (C…), not {series}",
  },
  SELLER_SUMMARY_NOT_ALLOWED: {
    vi: "Tổ chức không thuộc trường hợp được gửi dữ liệu bằng bảng tổng hợp (hồ sơ chưa khai báo summarySector)",
    en: "The organisation may not send its data in summary tables (no summarySector in its profile)",
  },
  SELLER_SUMMARY_PERIOD: {
    vi: "Kỳ dữ liệu {period} không hợp lệ: {reason}",
    en: "The period {period} is not valid: {reason}",
  },
  SELLER_SUMMARY_EMPTY: {
    vi: "Không có hóa đơn không có mã nào chờ gửi trong kỳ {period}",
    en: "No no-code invoice waits to be summarised in the period {period}",
  },
  SELLER_REVIEW_NOTICE_NOT_FOUND: {
    vi: "Không có thông báo rà soát {id}",
    en: "There is no review notice {id}",
  },
  SELLER_REVIEW_ANSWER_CONFLICT: {
    vi: "Thông báo rà soát {id} đã được trả lời bằng thông điệp {messageId}",
    en: "The review notice {id} was answered already (message {messageId})",
  },
  SELLER_REVIEW_INVOICE_NOT_LISTED: {
    vi: "Hóa đơn {id} không có trong thông báo rà soát",
    en: "The invoice {id} is not listed in the review notice",
  },
  SELLER_CONTRACT_NOT_ALLOWED: {
    vi: "Tổ chức đã ngừng sử dụng hóa đơn từ {since}; hợp đồng {contract} không có trong danh sách hợp đồng ký trước khi ngừng được cơ quan thuế cho phép",
    en: "The organisation was stopped on {since}; the contract {contract} is not among the contracts signed before the stop that the authority allowed",
  },
  SELLER_CONTRACT_AFTER_STOP: {
    vi: "Hợp đồng {contract} ký ngày {signedOn}, không trước ngày ngừng sử dụng hóa đơn {since}",
    en: "The contract {contract} was signed on {signedOn}, not before the stop on {since}",
  },
  SELLER_BAD_DATE: {
    vi: 'Ngày "{value}" không đúng dạng YYYY-MM-DD',
    en: 'The date "{value}" is not in the form YYYY-MM-DD',
  },
});

export type SellerCode = keyof typeof sellerCodes & string;

export function sellerProblem(code: SellerCode, path: string, params: Record<string, string> = {}): Problem {
  return makeProblem(sellerCodes, code, path, params);
}
