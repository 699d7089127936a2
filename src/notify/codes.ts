/** Error codes of e-mail delivery and webhooks (src/notify). */
import { defineCodes } from "../domain/problem.ts";

export const notifyCodes = defineCodes({
  EMAIL_NO_RECIPIENT: {
    vi: "Thư không có địa chỉ người nhận",
    en: "The e-mail has no recipient",
  },
  EMAIL_BAD_ADDRESS: {
    vi: 'Địa chỉ thư điện tử "{address}" không hợp lệ',
    en: 'The e-mail address "{address}" is not valid',
  },
  EMAIL_BAD_LINK: {
    vi: 'Đường dẫn tra cứu "{url}" không hợp lệ (cần http hoặc https)',
    en: 'The lookup link "{url}" is not valid (http or https needed)',
  },
  EMAIL_BAD_AMOUNT: {
    vi: 'Tổng tiền "{value}" không phải là số',
    en: 'The total "{value}" is not a number',
  },
  EMAIL_EMPTY: {
    vi: "Thư thiếu {field}",
    en: "The e-mail has no {field}",
  },
  EMAIL_NOT_FOUND: {
    vi: "Không có thư số {id} trong hàng đợi gửi thư",
    en: "The e-mail {id} is not in the mail queue",
  },
  EMAIL_NOT_REQUEUEABLE: {
    vi: "Thư số {id} đang ở trạng thái {state}, chỉ gửi lại được thư đã dừng gửi (dead)",
    en: "The e-mail {id} is {state}; only a dead e-mail can be requeued",
  },
  WEBHOOK_BAD_URL: {
    vi: 'Địa chỉ webhook "{url}" không hợp lệ (cần http hoặc https, không chứa thông tin đăng nhập)',
    en: 'The webhook URL "{url}" is not valid (http or https, without credentials)',
  },
  WEBHOOK_PRIVATE_URL: {
    vi: 'Địa chỉ webhook "{url}" trỏ tới mạng nội bộ ({host}); chỉ nhận địa chỉ công khai',
    en: 'The webhook URL "{url}" points into a private network ({host}); only public addresses are taken',
  },
  WEBHOOK_UNKNOWN_EVENT: {
    vi: 'Không có sự kiện "{event}"; các sự kiện: {known}',
    en: 'There is no event "{event}"; the events are: {known}',
  },
  WEBHOOK_NO_EVENTS: {
    vi: "Đăng ký webhook phải chọn ít nhất một sự kiện",
    en: "A webhook subscription needs at least one event",
  },
  WEBHOOK_BAD_TAX_CODE: {
    vi: 'Mã số thuế "{value}" không hợp lệ',
    en: 'The tax code "{value}" is not valid',
  },
  WEBHOOK_WEAK_SECRET: {
    vi: "Khóa bí mật của webhook phải dài ít nhất {min} ký tự",
    en: "A webhook secret must be at least {min} characters long",
  },
  WEBHOOK_NOT_FOUND: {
    vi: "Không có đăng ký webhook số {id}",
    en: "There is no webhook subscription {id}",
  },
  WEBHOOK_DELIVERY_NOT_FOUND: {
    vi: "Không có lần gửi webhook số {id}",
    en: "There is no webhook delivery {id}",
  },
  WEBHOOK_NOT_REQUEUEABLE: {
    vi: "Lần gửi webhook số {id} đang ở trạng thái {state}, chỉ gửi lại được lần gửi đã dừng (dead)",
    en: "The webhook delivery {id} is {state}; only a dead delivery can be requeued",
  },
  WEBHOOK_SIGNATURE_MISSING: {
    vi: "Yêu cầu không có chữ ký webhook (tiêu đề hddt-signature)",
    en: "The request has no webhook signature (hddt-signature header)",
  },
  WEBHOOK_SIGNATURE_MALFORMED: {
    vi: "Chữ ký webhook không đúng dạng t=…,v1=…",
    en: "The webhook signature is not of the form t=…,v1=…",
  },
  WEBHOOK_SIGNATURE_EXPIRED: {
    vi: "Chữ ký webhook đã quá hạn (lệch {skew} giây, cho phép {tolerance} giây)",
    en: "The webhook signature is too old or too new ({skew} s off, {tolerance} s allowed)",
  },
  WEBHOOK_SIGNATURE_MISMATCH: {
    vi: "Chữ ký webhook không khớp với nội dung",
    en: "The webhook signature does not match the body",
  },
});

export type NotifyCode = keyof typeof notifyCodes & string;
