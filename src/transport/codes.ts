/** Error codes of the transport port and the outbox (used by every part that sends). */
import { defineCodes } from "../domain/problem.ts";

export const transportCodes = defineCodes({
  TRANSPORT_NO_ROUTE: {
    vi: 'Không có địa chỉ kết nối tới bên nhận "{to}"',
    en: 'There is no route to the party "{to}"',
  },
  TRANSPORT_REJECTED: {
    vi: "Bên nhận từ chối thông điệp (HTTP {status})",
    en: "The receiver refused the message (HTTP {status})",
  },
  OUTBOX_NOT_FOUND: {
    vi: 'Không có thông điệp "{messageId}" trong hàng đợi gửi',
    en: 'The message "{messageId}" is not in the outbox',
  },
  OUTBOX_NOT_REQUEUEABLE: {
    vi: 'Thông điệp "{messageId}" đang ở trạng thái {state}, chỉ gửi lại được thông điệp đã dừng gửi (dead)',
    en: 'The message "{messageId}" is {state}; only a dead message can be requeued',
  },
});

export type TransportCode = keyof typeof transportCodes & string;
