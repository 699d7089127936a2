/** Codes the web portal itself reports (sign-in, sessions, forms); the services' codes pass through unchanged. */
import { defineCodes, makeProblem, type Problem } from "../domain/problem.ts";

export const portalCodes = defineCodes({
  PORTAL_KEY_REFUSED: {
    vi: "Khóa API không đúng hoặc đã bị thu hồi",
    en: "The API key is wrong or has been revoked",
  },
  PORTAL_SESSION_EXPIRED: {
    vi: "Phiên làm việc đã hết hạn; hãy đăng nhập lại",
    en: "Your session has expired; please sign in again",
  },
  PORTAL_CSRF_REFUSED: {
    vi: "Biểu mẫu đã hết hạn hoặc không được gửi từ cổng này; hãy tải lại trang và gửi lại",
    en: "The form has expired or was not sent from this portal; reload the page and send it again",
  },
  PORTAL_FORBIDDEN: {
    vi: "Bạn không có quyền dùng chức năng này",
    en: "You may not use this function",
  },
  PORTAL_REQUIRED: {
    vi: "Hãy nhập {field}",
    en: "Please fill in {field}",
  },
  PORTAL_BAD_NUMBER: {
    vi: 'Giá trị "{value}" không phải là số',
    en: 'The value "{value}" is not a number',
  },
  PORTAL_BAD_DATE: {
    vi: 'Giá trị "{value}" không phải là ngày giờ hợp lệ',
    en: 'The value "{value}" is not a valid date and time',
  },
  PORTAL_NO_LINES: {
    vi: "Hóa đơn cần ít nhất một dòng hàng hóa, dịch vụ",
    en: "The invoice needs at least one line of goods or services",
  },
  PORTAL_NOT_FOUND: {
    vi: "Không tìm thấy trang hoặc dữ liệu yêu cầu",
    en: "The page or record was not found",
  },
  PORTAL_LOOKUP_NOT_FOUND: {
    vi: "Không tìm thấy hóa đơn với các thông tin đã nhập",
    en: "No invoice matches what you entered",
  },
  PORTAL_NOT_AVAILABLE: {
    vi: "Chức năng này không có trên hệ thống này",
    en: "This function is not available on this installation",
  },
});

export type PortalCode = keyof typeof portalCodes & string;

export function portalProblem(code: PortalCode, path: string, params?: Record<string, string>): Problem {
  return makeProblem(portalCodes, code, path, params);
}
