/** Error codes of signing and signature verification. */
import { defineCodes } from "../domain/problem.ts";

export const signingCodes = defineCodes({
  SIG_DIGEST_MISMATCH: {
    vi: "Dữ liệu đã bị thay đổi sau khi ký: giá trị băm của tham chiếu {uri} không khớp",
    en: "The signed content changed after signing: the digest of reference {uri} does not match",
  },
  SIG_BAD_SIGNATURE_VALUE: {
    vi: "Giá trị chữ ký (SignatureValue) không khớp với khóa công khai của chứng thư số",
    en: "The signature value does not verify with the certificate's public key",
  },
  SIG_CERT_EXPIRED: {
    vi: "Chứng thư số đã hết hạn tại thời điểm ký {at} (hết hạn lúc {notAfter})",
    en: "The certificate had expired at signing time {at} (it expired at {notAfter})",
  },
  SIG_CERT_NOT_YET_VALID: {
    vi: "Chứng thư số chưa có hiệu lực tại thời điểm ký {at} (có hiệu lực từ {notBefore})",
    en: "The certificate was not yet valid at signing time {at} (valid from {notBefore})",
  },
  SIG_TAX_CODE_MISMATCH: {
    vi: "Mã số thuế trong chứng thư số ({actual}) khác mã số thuế của {partyVi} ({expected})",
    en: "The tax code in the certificate ({actual}) differs from the {party}'s tax code ({expected})",
  },
  SIG_UNTRUSTED_CHAIN: {
    vi: "Chứng thư số không dẫn tới tổ chức chứng thực tin cậy: {reason}",
    en: "The certificate does not chain to a trusted root: {reason}",
  },
  SIG_REVOKED: {
    vi: "Chứng thư số {serial} đã bị thu hồi lúc {revokedAt}, trước thời điểm ký",
    en: "Certificate {serial} was revoked at {revokedAt}, before the signing time",
  },
  SIG_REVOKED_AFTER_SIGNING: {
    vi: "Chứng thư số {serial} đã bị thu hồi lúc {revokedAt}, sau thời điểm ký ghi trong chữ ký",
    en: "Certificate {serial} was revoked at {revokedAt}, after the signing time the signature states",
    severity: "warning",
  },
  SIG_UNSUPPORTED_ALGORITHM: {
    vi: "Thuật toán không được hỗ trợ: {algorithm}",
    en: "Unsupported algorithm: {algorithm}",
  },
  SIG_MISSING_REFERENCE: {
    vi: "Chữ ký không bao phủ {what}",
    en: "The signature does not cover {what}",
  },
  SIG_UNEXPECTED_REFERENCE: {
    vi: "Chữ ký tham chiếu tới phần tử không được phép ký ở vị trí này ({uri} → {element})",
    en: "The signature references an element it may not sign from this slot ({uri} → {element})",
  },
  SIG_REFERENCE_NOT_FOUND: {
    vi: "Không tìm thấy phần tử được chữ ký tham chiếu ({uri})",
    en: "The element the signature references was not found ({uri})",
  },
  SIG_DUPLICATE_ID: {
    vi: 'Có nhiều phần tử cùng Id "{id}": không xác định được phần dữ liệu đã ký',
    en: 'Several elements have Id "{id}": the signed data cannot be identified',
  },
  SIG_MALFORMED: {
    vi: "Chữ ký số không đúng cấu trúc XMLDSig: {reason}",
    en: "The signature is not well-formed XMLDSig: {reason}",
  },
  SIG_NO_CERTIFICATE: {
    vi: "Chữ ký không kèm chứng thư số (KeyInfo/X509Data/X509Certificate)",
    en: "The signature carries no certificate (KeyInfo/X509Data/X509Certificate)",
  },
  SIG_BAD_CERTIFICATE: {
    vi: "Không đọc được chứng thư số: {reason}",
    en: "The certificate cannot be read: {reason}",
  },
  SIG_BAD_XML: {
    vi: "Không đọc được tài liệu XML để kiểm tra chữ ký: {reason}",
    en: "The XML document cannot be read to check its signatures: {reason}",
  },
  SIG_NO_SIGNING_TIME: {
    vi: "Chữ ký không có thời điểm ký (SigningTime) được ký kèm; hiệu lực chứng thư được xét tại thời điểm kiểm tra",
    en: "The signature has no signed SigningTime; the certificate's validity is judged at the time of checking",
    severity: "warning",
  },
  SIG_CERT_EXPIRING: {
    vi: "Chứng thư số dùng để ký sẽ hết hạn sau {days} ngày ({notAfter}); cần gia hạn để tiếp tục lập hóa đơn",
    en: "The signing certificate expires in {days} days ({notAfter}); renew it to keep issuing invoices",
    severity: "warning",
  },
  SIG_CERT_NO_TAX_CODE: {
    vi: "Chứng thư số của {partyVi} không ghi mã số thuế",
    en: "The {party}'s certificate carries no tax code",
    severity: "warning",
  },
  SIG_TEST_CERTIFICATE: {
    vi: "Chữ ký dùng chứng thư số thử nghiệm, không có giá trị pháp lý",
    en: "The signature uses a test certificate, which has no legal value",
    severity: "warning",
  },
  SIG_ELEMENT_NOT_FOUND: {
    vi: 'Không tìm thấy phần tử cần ký có Id "{id}"',
    en: 'No element with Id "{id}" to sign',
  },
  SIG_TARGET_NOT_FOUND: {
    vi: "Không xác định được vị trí đặt chữ ký {path}",
    en: "The place for the signature {path} cannot be found",
  },
  SIG_ALREADY_SIGNED: {
    vi: "Vị trí {path} đã có chữ ký số",
    en: "{path} already holds a signature",
  },
  SIG_BAD_ID: {
    vi: "Id \"{id}\" không hợp lệ (chỉ dùng chữ, số, '-', '_', '.')",
    en: "Id \"{id}\" is not valid (letters, digits, '-', '_', '.' only)",
  },
  SIG_KEY_MISMATCH: {
    vi: "Giá trị chữ ký nhận được không khớp với chứng thư số đã chọn",
    en: "The signature value received does not match the chosen certificate",
  },
  SIG_NOT_PREPARED: {
    vi: "Tài liệu không phải là tài liệu đã chuẩn bị để ký hai bước: {reason}",
    en: "The document is not one prepared for two-step signing: {reason}",
  },
  SIG_SIGNER_FAILED: {
    vi: "Thiết bị hoặc dịch vụ ký số báo lỗi: {reason}",
    en: "The signing device or service failed: {reason}",
  },
});

export type SigningCode = keyof typeof signingCodes;
