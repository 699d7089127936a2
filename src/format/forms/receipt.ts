/**
 * Technical replies and reconciliation reports.
 *
 * - 999, technical receipt (reference §5.3): `TBao{MTDiep?, MHSGoc?, MNGui?, NNhan, TTTNhan, DSLDo?{LDo*{MLoi,
 *   MTa}}}`. MTDiep (the message received) may be missing when the receiver could not parse it. TTTNhan 0
 *   only means "received"; the business answer comes later (102/103/202/204/301).
 * - −1 (wrong format) and −2 (signing-request data error): the format's structure is not published. hddt
 *   answers with the 999 shape (one T-VAN implementation uses the same model for 999 and −1), with TTTNhan 1
 *   and at least one reason: `readErrorReply` enforces both.
 * - 901/902, reconciliation reports between the tax authority and a T-VAN: not published either. hddt's
 *   own structure, a daily count of the messages exchanged, per message type and direction, optionally with
 *   their ids:
 *
 *   BCDSoat
 *     DLBCDSoat@Id?
 *       PBan      version (≤6)
 *       NDSoat    day reconciled (YYYY-MM-DD, GMT+7)
 *       DSLTDiep
 *         LTDiep*
 *           MLTDiep   message type
 *           CGui      direction: 1 T-VAN → tax authority, 2 tax authority → T-VAN
 *           SLuong    number of messages (≤7 digits)
 *           DSMTDiep? { MTDiep* }  the message ids (when given, their number equals SLuong)
 */
import { defineCodes, makeProblem, type Result } from "../../domain/problem.ts";
import { isMessageId } from "../envelope.ts";
import { type MessageTypeCode, parseMessageType } from "../messages.ts";
import { attr, child, childrenNamed, type XmlElement, XmlWriter } from "../xml.ts";
import {
  FormReader,
  type FormReadOptions,
  formCommonCodes,
  itemPath,
  type Reason,
  writeReasons,
} from "./common.ts";
import { optText, readCodedReasons, text } from "./limits.ts";

export const receiptCodes = defineCodes({
  RECEIPT_NOT_AN_ERROR: {
    vi: "Thông điệp phản hồi lỗi phải có trạng thái tiếp nhận 1 (có lỗi)",
    en: "An error reply must have TTTNhan 1 (error)",
  },
  RECEIPT_NO_REASON: {
    vi: "Thông điệp phản hồi lỗi phải nêu ít nhất một lý do (DSLDo/LDo)",
    en: "An error reply must give at least one reason (DSLDo/LDo)",
  },
  RECONCILIATION_UNKNOWN_TYPE: {
    vi: 'Mã loại thông điệp "{value}" không có trong danh mục',
    en: 'The message type "{value}" is not in the catalogue',
  },
  RECONCILIATION_BAD_MESSAGE_ID: {
    vi: 'Mã thông điệp "{value}" không hợp lệ',
    en: 'The message id "{value}" is not valid',
  },
  RECONCILIATION_COUNT_MISMATCH: {
    vi: "Số lượng {count} khác số mã thông điệp liệt kê ({listed})",
    en: "The count {count} differs from the number of message ids listed ({listed})",
  },
  RECONCILIATION_DUPLICATE_ENTRY: {
    vi: "Loại thông điệp {type} theo chiều {direction} xuất hiện nhiều lần",
    en: "Message type {type} in direction {direction} appears more than once",
  },
});

// ---------------------------------------------------------------------------------------------------------
// 999 and −1/−2

/** A technical receipt (999) or an error reply (−1, −2). */
export interface TechnicalReceipt {
  /** [MTDiep] id of the message received (≤46); missing when it could not be read. */
  messageId?: string;
  /** [MHSGoc] original dossier code (≤46). */
  dossierId?: string;
  /** [MNGui] sender code of the message received (≤14). */
  sender?: string;
  /** [NNhan] when it was received (date-time, GMT+7). */
  receivedAt: string;
  /** [TTTNhan] 0 received without error, 1 error. */
  status: 0 | 1;
  /** [DSLDo/LDo] errors: MLoi (≤4) and MTa (≤255). */
  reasons?: Reason[];
}

const STATUS = [0, 1] as const;

function readReceiptInto(r: FormReader, el: XmlElement): { x: TechnicalReceipt; p: string } {
  const p = r.root(el, "TBao");
  const x: TechnicalReceipt = { receivedAt: "", status: 0 };
  const messageId = optText(r, el, p, "MTDiep", 46);
  if (messageId !== undefined) x.messageId = messageId;
  const dossierId = optText(r, el, p, "MHSGoc", 46);
  if (dossierId !== undefined) x.dossierId = dossierId;
  const sender = optText(r, el, p, "MNGui", 14);
  if (sender !== undefined) x.sender = sender;
  x.receivedAt = r.date(el, p, "NNhan");
  x.status = r.code(el, p, "TTTNhan", STATUS);
  const list = child(el, "DSLDo");
  if (list) x.reasons = readCodedReasons(r, list, `${p}/DSLDo`);
  return { x, p };
}

/** Reads a 999 technical receipt (DLieu/TBao). */
export function readTechnicalReceipt(
  el: XmlElement,
  options: FormReadOptions | string = {},
): Result<TechnicalReceipt> {
  const r = new FormReader(options);
  return r.result(readReceiptInto(r, el).x);
}

/** Reads a −1 or −2 error reply: the 999 shape with TTTNhan 1 and at least one reason. */
export function readErrorReply(
  el: XmlElement,
  options: FormReadOptions | string = {},
): Result<TechnicalReceipt> {
  const r = new FormReader(options);
  const { x, p } = readReceiptInto(r, el);
  if (child(el, "TTTNhan") && x.status !== 1)
    r.add(makeProblem(receiptCodes, "RECEIPT_NOT_AN_ERROR", `${p}/TTTNhan`));
  if (!x.reasons || x.reasons.length === 0)
    r.add(makeProblem(receiptCodes, "RECEIPT_NO_REASON", `${p}/DSLDo`));
  return r.result(x);
}

/** Writes a TBao of a 999 receipt or an error reply (order: MTDiep, MHSGoc, MNGui, NNhan, TTTNhan, DSLDo). */
export function writeTechnicalReceipt(x: TechnicalReceipt): string {
  const w = new XmlWriter();
  w.start("TBao")
    .leaf("MTDiep", x.messageId)
    .leaf("MHSGoc", x.dossierId)
    .leaf("MNGui", x.sender)
    .leaf("NNhan", x.receivedAt)
    .leaf("TTTNhan", String(x.status));
  writeReasons(w, "DSLDo", x.reasons, "MTa");
  return w.end().toString();
}

/** Writes a −1/−2 error reply (the same shape as 999). */
export const writeErrorReply = writeTechnicalReceipt;

// ---------------------------------------------------------------------------------------------------------
// 901/902

/** hddt's reconciliation report (901 daily, 902 authorised coding); see the file comment. */
export interface ReconciliationReport {
  /** [DLBCDSoat@Id] */
  id?: string;
  /** [PBan] (≤6). */
  version: string;
  /** [NDSoat] the day reconciled (YYYY-MM-DD). */
  date: string;
  /** [DSLTDiep/LTDiep] counts per message type and direction. */
  entries: ReconciliationEntry[];
}

export interface ReconciliationEntry {
  /** [MLTDiep] */
  type: MessageTypeCode;
  /** [CGui] 1 T-VAN → tax authority, 2 tax authority → T-VAN. */
  direction: 1 | 2;
  /** [SLuong] number of messages. */
  count: number;
  /** [DSMTDiep/MTDiep] the ids of those messages, when listed. */
  messageIds?: string[];
}

const DIRECTION = [1, 2] as const;
const COUNT = /^\d{1,7}$/;

/** Reads a reconciliation report (DLieu/BCDSoat of 901/902). */
export function readReconciliationReport(
  el: XmlElement,
  options: FormReadOptions | string = {},
): Result<ReconciliationReport> {
  const r = new FormReader(options);
  const rp = r.root(el, "BCDSoat");
  const dl = r.group(el, rp, "DLBCDSoat");
  const p = `${rp}/DLBCDSoat`;
  const x: ReconciliationReport = {
    version: text(r, dl, p, "PBan", 6),
    date: r.date(dl, p, "NDSoat"),
    entries: [],
  };
  const id = dl && attr(dl, "Id");
  if (id !== undefined) x.id = id;
  const list = r.group(dl, p, "DSLTDiep");
  const lp = `${p}/DSLTDiep`;
  const seen = new Set<string>();
  const items = childrenNamed(list, "LTDiep");
  for (let i = 0; i < items.length; i++) {
    const item = items[i]!;
    const ip = itemPath(lp, "LTDiep", i);
    const typeText = r.str(item, ip, "MLTDiep");
    const type = parseMessageType(typeText);
    if (typeText !== "" && type === undefined) {
      r.add(makeProblem(receiptCodes, "RECONCILIATION_UNKNOWN_TYPE", `${ip}/MLTDiep`, { value: typeText }));
    }
    const direction = r.code(item, ip, "CGui", DIRECTION);
    const countText = r.str(item, ip, "SLuong");
    let count = 0;
    if (countText !== "") {
      if (COUNT.test(countText)) count = Number(countText);
      else {
        r.add(
          makeProblem(formCommonCodes, "FORM_FIELD_NOT_INTEGER", `${ip}/SLuong`, {
            field: "SLuong",
            value: countText,
          }),
        );
      }
    }
    const entry: ReconciliationEntry = { type: type ?? 999, direction, count };
    const ids = child(item, "DSMTDiep");
    if (ids) {
      entry.messageIds = [];
      const idItems = childrenNamed(ids, "MTDiep");
      for (let j = 0; j < idItems.length; j++) {
        const idText = idItems[j]!.text;
        if (!isMessageId(idText)) {
          r.add(
            makeProblem(
              receiptCodes,
              "RECONCILIATION_BAD_MESSAGE_ID",
              itemPath(`${ip}/DSMTDiep`, "MTDiep", j),
              {
                value: idText,
              },
            ),
          );
        }
        entry.messageIds.push(idText);
      }
      if (countText !== "" && entry.messageIds.length !== count) {
        r.add(
          makeProblem(receiptCodes, "RECONCILIATION_COUNT_MISMATCH", `${ip}/SLuong`, {
            count: String(count),
            listed: String(entry.messageIds.length),
          }),
        );
      }
    }
    const key = `${typeText}/${direction}`;
    if (seen.has(key)) {
      r.add(
        makeProblem(receiptCodes, "RECONCILIATION_DUPLICATE_ENTRY", ip, {
          type: typeText,
          direction: String(direction),
        }),
      );
    }
    seen.add(key);
    x.entries.push(entry);
  }
  return r.result(x);
}

/** Writes a reconciliation report (BCDSoat). */
export function writeReconciliationReport(x: ReconciliationReport): string {
  const w = new XmlWriter();
  w.start("BCDSoat").start("DLBCDSoat", { Id: x.id });
  w.leaf("PBan", x.version).leaf("NDSoat", x.date).start("DSLTDiep");
  for (const e of x.entries) {
    w.start("LTDiep")
      .leaf("MLTDiep", String(e.type))
      .leaf("CGui", String(e.direction))
      .leaf("SLuong", String(e.count));
    if (e.messageIds !== undefined) {
      w.start("DSMTDiep");
      for (const id of e.messageIds) w.leaf("MTDiep", id);
      w.end();
    }
    w.end();
  }
  return w.end().end().end().toString();
}
