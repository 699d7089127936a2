/**
 * The tax authority's notice of a planned maintenance window, sent to every connected T-VAN (hddt extension).
 *
 * The reference has no message or form for it: the real announcements (seed 000, 07/03/2023) are published
 * documents, and reference §9 finds "no published window" procedure. hddt therefore defines both, in the
 * style of the authority's other notices, and says so:
 * - message type `MAINTENANCE_NOTICE_TYPE` (950): CQT → T-VAN, no MTDTChieu, no MST, SLuong 1, one TBao,
 *   signed by the authority (DSCKS/CQT). 950 lies in the 9xx block of technical and operational messages
 *   (901/902 reconciliation, 999 receipt) and is named by no source, so it cannot collide with a real code;
 * - form `MAINTENANCE_NOTICE_FORM` ("hddt/TB-BTHT", "thông báo bảo trì hệ thống"):
 *   `TBao{DLTBao@Id{PBan, MSo, Ten, So, DDanh, NTBao, TCQT, MTBTri, TGBDau, TGKThuc, TGKTKNoi?, NDung},
 *   DSCKS{CQT}}` — MTBTri the window's id at the authority (the same window announced twice is the same
 *   notice), TGBDau/TGKThuc the window [start, end) as GMT+7 date-times, TGKTKNoi the end of the connection
 *   check that follows it (seed 000 §2.1: "kiểm tra kết nối … sau khi nâng cấp"), NDung the reason.
 */
import type { Result } from "../../domain/problem.ts";
import { attr, type XmlElement, XmlWriter } from "../xml.ts";
import {
  FormReader,
  type FormReadOptions,
  readSignatures,
  type SignatureSlot,
  writeSignatures,
} from "./common.ts";

/** MLTDiep of the notice (hddt extension, see the module notes). */
export const MAINTENANCE_NOTICE_TYPE = 950;
/** MSo of the notice (hddt extension). */
export const MAINTENANCE_NOTICE_FORM = "hddt/TB-BTHT";

export interface MaintenanceNotice {
  /** [@Id] of DLTBao */
  id?: string;
  /** [PBan] */
  version: string;
  /** [MSo] `MAINTENANCE_NOTICE_FORM` */
  form: string;
  /** [Ten] */
  title: string;
  /** [So] notice number (≤30) */
  number: string;
  /** [DDanh] place (≤50) */
  place: string;
  /** [NTBao] notice date */
  date: string;
  /** [TCQT] the authority announcing (≤100) */
  authority: string;
  /** [MTBTri] the window's id at the authority (≤20) */
  windowId: string;
  /** [TGBDau] start of the window, GMT+7 `YYYY-MM-DDThh:mm:ss` */
  startsAt: string;
  /** [TGKThuc] end of the window (exclusive), GMT+7 */
  endsAt: string;
  /** [TGKTKNoi] end of the connection check after the window, GMT+7 */
  checkUntil?: string;
  /** [NDung] what is done and why (≤2000) */
  reason: string;
  signatures: SignatureSlot[];
}

/** Writes the notice (canonical XML, DSCKS with the given slots, e.g. an empty CQT slot to sign). */
export function writeMaintenanceNotice(x: MaintenanceNotice): string {
  const w = new XmlWriter();
  w.start("TBao").start("DLTBao", { Id: x.id });
  w.leaf("PBan", x.version)
    .leaf("MSo", x.form)
    .leaf("Ten", x.title)
    .leaf("So", x.number)
    .leaf("DDanh", x.place)
    .leaf("NTBao", x.date)
    .leaf("TCQT", x.authority)
    .leaf("MTBTri", x.windowId)
    .leaf("TGBDau", x.startsAt)
    .leaf("TGKThuc", x.endsAt)
    .leaf("TGKTKNoi", x.checkUntil)
    .leaf("NDung", x.reason)
    .end();
  writeSignatures(w, x.signatures);
  return w.end().toString();
}

/** Reads the notice; every missing field or bad date is a problem. */
export function readMaintenanceNotice(
  el: XmlElement,
  options: FormReadOptions | string = {},
): Result<MaintenanceNotice> {
  const r = new FormReader(options);
  const rp = r.root(el, "TBao");
  const dl = r.group(el, rp, "DLTBao");
  const p = `${rp}/DLTBao`;
  const x: MaintenanceNotice = {
    version: r.str(dl, p, "PBan"),
    form: r.str(dl, p, "MSo"),
    title: r.str(dl, p, "Ten"),
    number: r.str(dl, p, "So"),
    place: r.str(dl, p, "DDanh"),
    date: r.date(dl, p, "NTBao"),
    authority: r.str(dl, p, "TCQT"),
    windowId: r.str(dl, p, "MTBTri"),
    startsAt: r.date(dl, p, "TGBDau"),
    endsAt: r.date(dl, p, "TGKThuc"),
    reason: r.str(dl, p, "NDung"),
    signatures: readSignatures(r.group(el, rp, "DSCKS"), r.source),
  };
  const id = dl ? attr(dl, "Id") : undefined;
  if (id !== undefined) x.id = id;
  const check = r.optDate(dl, p, "TGKTKNoi");
  if (check !== undefined) x.checkUntil = check;
  return r.result(x);
}
