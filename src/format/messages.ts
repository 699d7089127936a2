/**
 * The catalogue of message types (MLTDiep, reference §5.2, QĐ 1450/1510 Annex I; QĐ 1271 keeps the same
 * codes for these messages). For each code: who sends it to whom, what it is called, which element DLieu
 * carries (and which form, MSo), whether one message carries one or many of them, who signs the payload, and
 * which optional header fields the type needs.
 *
 * Sources and choices:
 * - Codes, directions and names: reference §5.2 (QĐ 1510 enum of a taxpayer-side implementation, a T-VAN
 *   enum). 502 is named by no source and is not in the catalogue; 501 is known only from one T-VAN enum.
 * - The payload of 901/902 (reconciliation) and of −1/−2 is not published; hddt defines them in
 *   `forms/receipt.ts` (BCDSoat, and the 999 TBao shape for −1/−2) and marks them `hddtDefined`.
 * - 505–507 carry tax-authority data lists whose element names are not published: `payload` is undefined and
 *   the envelope does not check the payload element.
 * - MST and SLuong are required in every header except the technical replies (999, −1, −2), the
 *   reconciliation reports and the tax-authority data lists (reference §5.1: "absent in 999"; the 1510 header
 *   for messages to authorised code issuers omits SLuong).
 */

/** Who takes part in the exchange: taxpayer (NNT, or its software vendor), tax authority (CQT), T-VAN (TCTN). */
export type Party = "taxpayer" | "authority" | "transmission";

/** The element DLieu holds for a message type (the form's root element). */
export type PayloadKind = "TKhai" | "TBao" | "HDon" | "BTHDLieu" | "DNghi" | "BCDSoat";

/** Whether a header field must be present for a type, may be, or is not used. */
export type Presence = "required" | "optional" | "absent";

export interface MessageTypeInfo {
  readonly code: MessageTypeCode;
  /** Sender party; "any" for the technical replies, which go both ways. */
  readonly from: Party | "any";
  /** Receiver party; "any" for the technical replies. */
  readonly to: Party | "any";
  readonly vi: string;
  readonly en: string;
  /** Root element of each DLieu item; undefined when not published (not checked). */
  readonly payload: PayloadKind | undefined;
  /** Form number (MSo) of the payload, when it has one. */
  readonly form?: string;
  /** True when one message may carry many payload items (e.g. 203: many no-code invoices). */
  readonly many: boolean;
  /** Who signs the payload (in its DSCKS, or for 206 the message itself in CKSNNT); empty: unsigned. */
  readonly signedBy: readonly Party[];
  /** MTDTChieu (the message answered). "optional" for technical replies, which may not know it. */
  readonly replyTo: Presence;
  /** MST in the header. */
  readonly taxCode: Presence;
  /** SLuong in the header. */
  readonly count: Presence;
  /** The payload structure is hddt's own (the format's is not published). */
  readonly hddtDefined?: boolean;
}

/** Every message type hddt knows, in catalogue order. */
export const MESSAGE_TYPE_CODES = [
  100, 101, 102, 103, 104, 105, 106, 200, 201, 202, 203, 204, 205, 206, 300, 301, 302, 303, 400, 500, 501,
  503, 504, 505, 506, 507, 600, 601, 602, 603, 901, 902, 950, 999, -1, -2,
] as const;

export type MessageTypeCode = (typeof MESSAGE_TYPE_CODES)[number];

type Entry = Omit<MessageTypeInfo, "code" | "replyTo" | "taxCode" | "count"> &
  Partial<Pick<MessageTypeInfo, "replyTo" | "taxCode" | "count">>;

const NNT: Party = "taxpayer";
const CQT: Party = "authority";
const TCTN: Party = "transmission";

// Defaults: a request has no MTDTChieu, a reply must have one; MST and SLuong are required.
const request = { replyTo: "absent", taxCode: "required", count: "required" } as const;
const reply = { replyTo: "required", taxCode: "required", count: "required" } as const;
const technical = { replyTo: "optional", taxCode: "optional", count: "optional" } as const;
const authorityData = { replyTo: "absent", taxCode: "optional", count: "optional" } as const;

const ENTRIES: Record<MessageTypeCode, Entry> = {
  100: {
    ...request,
    from: NNT,
    to: CQT,
    vi: "Tờ khai đăng ký/thay đổi thông tin sử dụng hóa đơn điện tử",
    en: "Registration or change declaration for e-invoice use",
    payload: "TKhai",
    form: "01/ĐKTĐ-HĐĐT",
    many: false,
    signedBy: [NNT],
  },
  101: {
    ...request,
    from: NNT,
    to: CQT,
    vi: "Tờ khai đăng ký thay đổi thông tin khi ủy nhiệm/nhận ủy nhiệm lập hóa đơn",
    en: "Registration change for authorising or authorised invoice issuing",
    payload: "TKhai",
    form: "01/ĐKTĐ-HĐĐT",
    many: false,
    signedBy: [NNT],
  },
  102: {
    ...reply,
    from: CQT,
    to: NNT,
    vi: "Thông báo về việc tiếp nhận/không tiếp nhận tờ khai",
    en: "Notice of receipt or non-receipt of the declaration",
    payload: "TBao",
    form: "01/TB-TNĐT",
    many: false,
    signedBy: [CQT],
  },
  103: {
    ...reply,
    from: CQT,
    to: NNT,
    vi: "Thông báo về việc chấp nhận/không chấp nhận đăng ký/thay đổi thông tin sử dụng hóa đơn điện tử",
    en: "Notice of acceptance or rejection of the registration",
    payload: "TBao",
    form: "01/TB-ĐKĐT",
    many: false,
    signedBy: [CQT],
  },
  104: {
    ...reply,
    from: CQT,
    to: NNT,
    vi: "Thông báo về việc chấp nhận/không chấp nhận đăng ký ủy nhiệm/nhận ủy nhiệm lập hóa đơn",
    en: "Notice of acceptance or rejection of the authorisation registration",
    payload: "TBao",
    many: false,
    signedBy: [CQT],
  },
  105: {
    ...request,
    from: CQT,
    to: NNT,
    vi: "Thông báo hết thời gian sử dụng hóa đơn có mã miễn phí / không thuộc trường hợp sử dụng hóa đơn không có mã",
    en: "Notice: free code-invoice period ended, or no longer eligible for no-code invoices",
    payload: "TBao",
    form: "01/TB-KTT",
    many: false,
    signedBy: [CQT],
  },
  106: {
    ...request,
    from: NNT,
    to: CQT,
    vi: "Đơn đề nghị cấp hóa đơn điện tử có mã theo từng lần phát sinh",
    en: "Application for a per-occurrence code invoice",
    payload: "DNghi",
    form: "06/ĐN-PSĐT",
    many: false,
    signedBy: [NNT],
  },
  200: {
    ...request,
    from: NNT,
    to: CQT,
    vi: "Hóa đơn gửi cơ quan thuế để cấp mã",
    en: "Invoice sent to the tax authority for a code",
    payload: "HDon",
    many: false,
    signedBy: [NNT],
  },
  201: {
    ...request,
    from: NNT,
    to: CQT,
    vi: "Hóa đơn gửi cơ quan thuế để cấp mã theo từng lần phát sinh",
    en: "Per-occurrence invoice sent for a code",
    payload: "HDon",
    many: false,
    signedBy: [NNT],
  },
  202: {
    ...reply,
    from: CQT,
    to: NNT,
    vi: "Kết quả cấp mã hóa đơn điện tử",
    en: "Code result: the invoice with its tax-authority code",
    payload: "HDon",
    many: false,
    signedBy: [NNT, CQT],
  },
  203: {
    ...request,
    from: NNT,
    to: CQT,
    vi: "Dữ liệu hóa đơn điện tử không có mã",
    en: "No-code invoice data",
    payload: "HDon",
    many: true,
    signedBy: [NNT],
  },
  204: {
    ...reply,
    from: CQT,
    to: NNT,
    vi: "Thông báo về kết quả kiểm tra dữ liệu hóa đơn điện tử",
    en: "Data-check result notice",
    payload: "TBao",
    form: "01/TB-KTDL",
    many: false,
    signedBy: [CQT],
  },
  205: {
    ...reply,
    from: CQT,
    to: NNT,
    vi: "Phản hồi về hồ sơ đề nghị cấp hóa đơn có mã theo từng lần phát sinh",
    en: "Response on the per-occurrence code invoice dossier",
    payload: "TBao",
    form: "01-1/QTr-HĐĐT",
    many: false,
    signedBy: [CQT],
  },
  206: {
    ...request,
    from: NNT,
    to: CQT,
    vi: "Hóa đơn khởi tạo từ máy tính tiền đã cấp mã",
    en: "Cash-register invoices (coded by the seller's software)",
    payload: "HDon",
    many: true,
    signedBy: [NNT],
  },
  300: {
    ...request,
    from: NNT,
    to: CQT,
    vi: "Thông báo hóa đơn điện tử có sai sót",
    en: "Notice of invoice errors",
    payload: "TBao",
    form: "04/SS-HĐĐT",
    many: false,
    signedBy: [NNT],
  },
  301: {
    ...reply,
    from: CQT,
    to: NNT,
    vi: "Thông báo về việc tiếp nhận và kết quả xử lý hóa đơn điện tử có sai sót",
    en: "Receipt and processing result of the error notice",
    payload: "TBao",
    form: "01/TB-SSĐT",
    many: false,
    signedBy: [CQT],
  },
  302: {
    ...request,
    from: CQT,
    to: NNT,
    vi: "Thông báo về hóa đơn điện tử cần rà soát",
    en: "Notice of invoices to review",
    payload: "TBao",
    form: "01/TB-RSĐT",
    many: false,
    signedBy: [CQT],
  },
  303: {
    ...request,
    from: NNT,
    to: CQT,
    vi: "Thông báo hóa đơn khởi tạo từ máy tính tiền có sai sót",
    en: "Notice of cash-register invoice errors",
    payload: "TBao",
    form: "04/SS-HĐĐT",
    many: false,
    signedBy: [NNT],
  },
  400: {
    ...request,
    from: NNT,
    to: CQT,
    vi: "Bảng tổng hợp dữ liệu hóa đơn điện tử",
    en: "Invoice data summary table",
    payload: "BTHDLieu",
    form: "01/TH-HĐĐT",
    many: false,
    signedBy: [NNT],
  },
  500: {
    ...request,
    from: TCTN,
    to: CQT,
    vi: "Dữ liệu hóa đơn do tổ chức được ủy quyền cấp mã",
    en: "Invoices coded by an authorised T-VAN",
    payload: "HDon",
    many: true,
    signedBy: [NNT],
  },
  501: {
    ...authorityData,
    from: TCTN,
    to: CQT,
    vi: "Đối soát dữ liệu ủy quyền cấp mã",
    en: "Reconciliation for authorised coding (known from one T-VAN enum only)",
    payload: undefined,
    many: true,
    signedBy: [],
  },
  503: {
    ...request,
    from: TCTN,
    to: CQT,
    vi: "Dữ liệu hóa đơn không đủ điều kiện cấp mã",
    en: "Invoices not eligible for a code (authorised coding)",
    payload: "HDon",
    many: true,
    signedBy: [NNT],
  },
  504: {
    ...request,
    from: TCTN,
    to: CQT,
    vi: "Thông báo 01/TB-KTDL tổ chức được ủy quyền đã gửi người nộp thuế",
    en: "01/TB-KTDL notices the authorised organisation sent to taxpayers",
    payload: "TBao",
    form: "01/TB-KTDL",
    many: true,
    signedBy: [TCTN],
  },
  505: {
    ...authorityData,
    from: CQT,
    to: TCTN,
    vi: "Mã số thuế có thay đổi thông tin trong ngày",
    en: "Tax codes whose data changed today",
    payload: undefined,
    many: true,
    signedBy: [],
  },
  506: {
    ...authorityData,
    from: CQT,
    to: TCTN,
    vi: "Quyết định ngừng/tiếp tục sử dụng hóa đơn điện tử",
    en: "Stop or resume decisions",
    payload: undefined,
    many: true,
    signedBy: [],
  },
  507: {
    ...authorityData,
    from: CQT,
    to: TCTN,
    vi: "Thông tin đăng ký sử dụng hóa đơn điện tử",
    en: "Registration data",
    payload: undefined,
    many: true,
    signedBy: [],
  },
  600: {
    ...request,
    from: TCTN,
    to: CQT,
    vi: "Đề nghị ký số hóa đơn đã cấp mã thành công",
    en: "Request for tax-authority signing of coded invoices",
    payload: "HDon",
    many: true,
    signedBy: [NNT],
  },
  601: {
    ...reply,
    from: CQT,
    to: TCTN,
    vi: "Hóa đơn đã được cơ quan thuế ký số",
    en: "Invoices signed by the tax authority",
    payload: "HDon",
    many: true,
    signedBy: [NNT, CQT],
  },
  602: {
    ...request,
    from: TCTN,
    to: CQT,
    vi: "Đề nghị ký số lên thông báo",
    en: "Request for tax-authority signing of notices",
    payload: "TBao",
    many: true,
    signedBy: [],
  },
  603: {
    ...reply,
    from: CQT,
    to: TCTN,
    vi: "Thông báo đã được cơ quan thuế ký số",
    en: "Notices signed by the tax authority",
    payload: "TBao",
    many: true,
    signedBy: [CQT],
  },
  901: {
    ...authorityData,
    from: "any",
    to: "any",
    vi: "Báo cáo đối soát hàng ngày giữa cơ quan thuế và tổ chức truyền nhận",
    en: "Daily reconciliation report between the tax authority and the T-VAN",
    payload: "BCDSoat",
    many: false,
    signedBy: [],
    hddtDefined: true,
  },
  902: {
    ...authorityData,
    from: "any",
    to: "any",
    vi: "Báo cáo đối soát dữ liệu trong trường hợp ủy quyền cấp mã",
    en: "Reconciliation report for authorised coding",
    payload: "BCDSoat",
    many: false,
    signedBy: [],
    hddtDefined: true,
  },
  950: {
    // hddt's own (forms/maintenance-notice.ts): the authority announces a maintenance window to a T-VAN.
    replyTo: "absent",
    taxCode: "absent",
    count: "required",
    from: CQT,
    to: TCTN,
    vi: "Thông báo lịch bảo trì hệ thống của cơ quan thuế",
    en: "Maintenance window announced by the tax authority",
    payload: "TBao",
    many: false,
    signedBy: [CQT],
    hddtDefined: true,
  },
  999: {
    ...technical,
    from: "any",
    to: "any",
    vi: "Thông điệp phản hồi kỹ thuật",
    en: "Technical receipt",
    payload: "TBao",
    many: false,
    signedBy: [],
  },
  [-1]: {
    ...technical,
    from: "any",
    to: "any",
    vi: "Thông điệp phản hồi sai định dạng",
    en: "Wrong-format response",
    payload: "TBao",
    many: false,
    signedBy: [],
    hddtDefined: true,
  },
  [-2]: {
    ...technical,
    from: CQT,
    to: TCTN,
    vi: "Thông điệp dữ liệu đề nghị ký số bị lỗi",
    en: "Signing-request data error",
    payload: "TBao",
    many: false,
    signedBy: [],
    hddtDefined: true,
  },
};

const CATALOGUE = new Map<number, MessageTypeInfo>();
for (const code of MESSAGE_TYPE_CODES) {
  const e = ENTRIES[code];
  CATALOGUE.set(code, {
    replyTo: "absent",
    taxCode: "required",
    count: "required",
    ...e,
    code,
  });
}

/** The catalogue as a read-only map from code to description. */
export const messageTypes: ReadonlyMap<number, MessageTypeInfo> = CATALOGUE;

/** Description of a type, or undefined when the code is unknown. */
export function messageTypeInfo(code: number): MessageTypeInfo | undefined {
  return CATALOGUE.get(code);
}

/** True for a code in the catalogue. */
export function isMessageType(code: number): code is MessageTypeCode {
  return CATALOGUE.has(code);
}

/** The element DLieu carries for a type (undefined: unknown type or payload not published). */
export function payloadKindOf(code: number): PayloadKind | undefined {
  return CATALOGUE.get(code)?.payload;
}

const TYPE_TEXT = /^-?\d{1,3}$/;

/** Parses the text of MLTDiep ("100", "-1"); undefined for anything not in the catalogue. */
export function parseMessageType(text: string): MessageTypeCode | undefined {
  const s = text.trim();
  if (!TYPE_TEXT.test(s)) return undefined;
  const n = Number(s);
  return isMessageType(n) ? n : undefined;
}
