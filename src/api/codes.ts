/**
 * Codes the HTTP layer itself reports: the request could not reach a service (wrong shape, wrong media
 * type, too large, unknown route, no key, too many requests, maintenance). Codes raised by the services
 * travel through unchanged.
 */
import { defineCodes } from "../domain/problem.ts";

export const apiCodes = defineCodes({
  HTTP_INVALID_INPUT: {
    vi: "Giá trị {field} không hợp lệ: {reason}",
    en: "The value of {field} is not valid: {reason}",
  },
  HTTP_MALFORMED_BODY: {
    vi: "Không đọc được nội dung yêu cầu ({reason})",
    en: "The request body cannot be read ({reason})",
  },
  HTTP_BODY_TOO_LARGE: {
    vi: "Nội dung yêu cầu vượt quá {limit} byte",
    en: "The request body is larger than {limit} bytes",
  },
  HTTP_UNSUPPORTED_MEDIA_TYPE: {
    vi: 'Không hỗ trợ kiểu nội dung "{type}" (chấp nhận: {accepted})',
    en: 'The content type "{type}" is not supported (accepted: {accepted})',
  },
  HTTP_NOT_FOUND: {
    vi: "Không có địa chỉ {method} {url}",
    en: "There is no route {method} {url}",
  },
  HTTP_RESOURCE_NOT_FOUND: {
    vi: "Không tìm thấy {what}",
    en: "{what} was not found",
  },
  HTTP_BAD_REQUEST: {
    vi: "Yêu cầu không hợp lệ ({reason})",
    en: "The request is not valid ({reason})",
  },
  HTTP_API_KEY_MISSING: {
    vi: "Thiếu khóa API (tiêu đề x-api-key)",
    en: "The API key is missing (header x-api-key)",
  },
  HTTP_API_KEY_REFUSED: {
    vi: "Khóa API không hợp lệ cho chức năng này",
    en: "The API key is not valid for this function",
  },
  HTTP_RATE_LIMITED: {
    vi: "Quá nhiều yêu cầu; thử lại sau {seconds} giây",
    en: "Too many requests; try again in {seconds} seconds",
  },
  HTTP_UNAVAILABLE: {
    vi: "Hệ thống tạm ngừng để bảo trì đến {until}",
    en: "The system is unavailable for maintenance until {until}",
  },
  HTTP_MESSAGE_REFUSED: {
    vi: "Thông điệp không được tiếp nhận (mã lỗi {mloi}): {reason}",
    en: "The message was not received (error {mloi}): {reason}",
  },
  HTTP_INTERNAL: {
    vi: "Lỗi nội bộ của hệ thống (mã theo dõi {requestId})",
    en: "Internal error (trace id {requestId})",
  },
});

export type ApiCode = keyof typeof apiCodes & string;
