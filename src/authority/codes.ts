/**
 * Problem codes of the tax authority's system, and the 4-character MLoi each one is given in the replies
 * (999, 102, 103, 204, 301, 205): MLoi is at most 4 characters, so hddt uses its own numeric codes here.
 */
import { defineCodes } from "../domain/problem.ts";

export const authorityCodes = defineCodes({
  AUTHORITY_UNAVAILABLE: {
    vi: "Hệ thống của cơ quan thuế đang bảo trì đến {until}",
    en: "The tax authority's system is under maintenance until {until}",
  },
  AUTHORITY_WRONG_RECEIVER: {
    vi: 'Thông điệp gửi tới "{value}", không phải cơ quan thuế ({expected})',
    en: 'The message is addressed to "{value}", not to the tax authority ({expected})',
  },
  AUTHORITY_UNSUPPORTED_TYPE: {
    vi: "Cơ quan thuế không tiếp nhận thông điệp loại {type}",
    en: "The tax authority does not accept messages of type {type}",
  },
  AUTHORITY_UNKNOWN_TAXPAYER: {
    vi: "Mã số thuế {taxCode} không có trong danh bạ người nộp thuế",
    en: "The tax code {taxCode} is not in the taxpayer registry",
  },
  AUTHORITY_TAX_CODE_MISMATCH: {
    vi: "Mã số thuế trong dữ liệu ({found}) khác mã số thuế của thông điệp ({expected})",
    en: "The tax code in the data ({found}) differs from the message's ({expected})",
  },
  AUTHORITY_NOT_REGISTERED: {
    vi: "Người nộp thuế {taxCode} chưa được chấp nhận đăng ký sử dụng {what}",
    en: "The taxpayer {taxCode} has no accepted registration for {what}",
  },
  AUTHORITY_CERTIFICATE_NOT_REGISTERED: {
    vi: "Chứng thư số {serial} chưa được đăng ký với cơ quan thuế",
    en: "The certificate {serial} is not registered with the tax authority",
  },
  AUTHORITY_TAXPAYER_STOPPED: {
    vi: "Người nộp thuế {taxCode} thuộc trường hợp ngừng sử dụng hóa đơn điện tử ({cause})",
    en: "The taxpayer {taxCode} is stopped from using e-invoices ({cause})",
  },
  AUTHORITY_CODED_ONLY: {
    vi: "Người nộp thuế {taxCode} phải sử dụng hóa đơn điện tử có mã của cơ quan thuế",
    en: "The taxpayer {taxCode} must use invoices with the tax authority's code",
  },
  AUTHORITY_SELLER_SIGNATURE: {
    vi: "Chữ ký số của người bán không hợp lệ hoặc không có: {reason}",
    en: "The seller's signature is missing or not valid: {reason}",
  },
  AUTHORITY_MESSAGE_SIGNATURE: {
    vi: "Chữ ký số của người nộp thuế trên thông điệp (CKSNNT) không hợp lệ: {reason}",
    en: "The taxpayer's message signature (CKSNNT) is not valid: {reason}",
  },
  AUTHORITY_MESSAGE_SIGNER_MISMATCH: {
    vi: "Chứng thư số ký thông điệp (CKSNNT) cấp cho mã số thuế {found}, không phải người gửi {expected}",
    en: "The certificate of the message signature (CKSNNT) belongs to tax code {found}, not to the sender {expected}",
  },
  AUTHORITY_ALREADY_CODED: {
    vi: "Hóa đơn {series} số {number} đã được cấp mã",
    en: "The invoice {series} number {number} already has a code",
  },
  AUTHORITY_ALREADY_RECEIVED: {
    vi: "Hóa đơn {series} số {number} đã được gửi",
    en: "The invoice {series} number {number} was already sent",
  },
  AUTHORITY_NOT_CODED_SERIES: {
    vi: 'Ký hiệu "{series}" không phải hóa đơn {what}',
    en: 'The series "{series}" is not one of {what} invoices',
  },
  AUTHORITY_INVOICE_UNKNOWN: {
    vi: "Không tìm thấy hóa đơn {series} số {number} của người bán",
    en: "The seller's invoice {series} number {number} is not known",
  },
  AUTHORITY_NOT_FOUND: {
    vi: "Không tìm thấy {what}",
    en: "{what} not found",
  },
  AUTHORITY_BAD_INPUT: {
    vi: "Giá trị không hợp lệ: {reason}",
    en: "Invalid value: {reason}",
  },
});

export type AuthorityCode = keyof typeof authorityCodes;

/**
 * MLoi of a reason line, by problem code prefix. 1xxx: the envelope or XML; 2xxx: registration; 3xxx: the
 * four checks of code issuance; 4xxx: signatures; 9999: anything else.
 */
export function mloiOf(code: string): string {
  if (code.startsWith("ENVELOPE_") || code.startsWith("XML_")) return "1001";
  switch (code) {
    case "AUTHORITY_WRONG_RECEIVER":
      return "1002";
    case "AUTHORITY_UNSUPPORTED_TYPE":
      return "1003";
    case "AUTHORITY_UNKNOWN_TAXPAYER":
      return "2001";
    case "AUTHORITY_CODED_ONLY":
      return "2002";
    case "AUTHORITY_TAX_CODE_MISMATCH":
    case "AUTHORITY_NOT_REGISTERED":
    case "AUTHORITY_CERTIFICATE_NOT_REGISTERED":
    case "AUTHORITY_NOT_CODED_SERIES":
      return "3001";
    case "AUTHORITY_TAXPAYER_STOPPED":
      return "3004";
    case "AUTHORITY_ALREADY_CODED":
    case "AUTHORITY_ALREADY_RECEIVED":
      return "3005";
    case "AUTHORITY_SELLER_SIGNATURE":
    case "AUTHORITY_MESSAGE_SIGNATURE":
      return "4001";
    case "AUTHORITY_MESSAGE_SIGNER_MISMATCH":
      return "4002";
    case "AUTHORITY_INVOICE_UNKNOWN":
      return "3006";
  }
  // Right format (the reader's codes), then complete content (the domain rules, INVOICE_…).
  if (code.startsWith("FORMAT_") || code.startsWith("FORM_")) return "3002";
  if (code.startsWith("SIG_")) return "4001";
  return "3003";
}
