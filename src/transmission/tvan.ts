/**
 * The T-VAN service: receives messages from sellers (and from providers acting for many sellers), answers
 * each with a 999 receipt, keeps it byte-exact, forwards it to the tax authority through the outbox, and
 * returns the authority's answers to the seller (pushed through the outbox, and kept for sellers that poll).
 *
 * Addressing (the choice hddt makes, after the real exchange where a seller talks only to its T-VAN):
 * - A seller sends with MNGui = its own code (its MST, `K`+MST, or the code of the provider sending for it),
 *   MNNhan = this T-VAN's code (`V`+MST) or `TCT` (the final destination; accepted too), and MST = the seller
 *   whose data it is. Its MTDiep starts with its MNGui, as the envelope rules require.
 * - To the authority the T-VAN re-addresses: only TTChung is replaced (MNGui = the T-VAN, MNNhan = the
 *   authority, MTDiep = an id of the T-VAN derived from the seller's id); every other byte of the message,
 *   DLieu with the signed data and any CKSNNT, is kept exactly as the seller wrote it. The authority therefore
 *   answers the T-VAN, with MTDTChieu = the forwarded id.
 * - An answer of the authority is matched by MTDTChieu to the seller's message, kept byte-exact, and
 *   re-addressed the same way to the seller: MNGui = the T-VAN, MNNhan = the seller's code, MTDiep = an id
 *   derived from the authority's id, MTDTChieu = the seller's own message id. DLieu stays byte-exact.
 * Derived ids are a hash of the source id, so a repeat can never produce a second id: one seller message is
 * forwarded under one id, one authority answer reaches its seller under one id (both also unique columns).
 *
 * Receipts: a message whose id can be read gets a 999 (TTTNhan 0, or 1 with the errors), stored with it, so
 * a repeat of the id gets the same 999 byte for byte and changes nothing. A message whose id cannot be read
 * gets a −1 with the errors and is not stored.
 *
 * Wiring: register `endpoint` (or `sellerEndpoint` and `authorityEndpoint` apart) under the T-VAN's party
 * code; run an OutboxWorker on the same outbox with `onResult: (m, r) => tvan.observeSend(m.destination, r)`
 * so the authority's error receipts reach the seller and its "unavailable until" answers become events.
 * Storing is grouped: concurrent receives share one transaction (see `#store`).
 *
 * Ordering (outbox `orderingKey` = the seller's MST, see src/transport/outbox.ts): only what depends on each
 * other waits. A registration or its change (100, 101) and a notice of erroneous invoices (300) are
 * barriers: they go after every earlier message of their seller and before every later one. Everything
 * else (invoices…) waits only for the seller's earlier barriers, so one seller's invoices are forwarded in
 * parallel. A replacement or adjustment (an HDon with TTHDLQuan) is also sent after the message that carried
 * the invoice it corrects (`after`, found by `invoice_key` = template|series|number among the messages
 * received before it or in the same batch).
 * Answers pushed to a seller (`orderingKey` = `to:` + the seller's code) follow the same rule: the answer
 * about one invoice (202 coded, 204 refused) concerns that invoice alone and waits only for earlier
 * barriers, so a seller's codes are pushed in parallel; every other answer (102/103 of a registration,
 * 301, 999 relayed, notices…) is a barrier and keeps its place in the order the answers arrived.
 *
 * Pull cursor: the authority's messages for a seller carry a per-seller delivery number taken under a row
 * lock held until commit, so a poller passing its last cursor misses nothing (see `deliverySequences`).
 *
 * Maintenance: the authority announces a window with a notice (950, hddt/TB-BTHT) the T-VAN pulls from the
 * authority's outbox like any message (or `announceMaintenance` directly). The T-VAN records it as an event
 * for itself and for every connected seller or provider, and holds the outbox from the window's start
 * (messages due before it are still sent: the backlog flushes while workers run); after its end the outbox
 * worker runs the connection check and resumes, and `events` then reports the resumption to each party.
 *
 * Reconciliation (901/902): `countsFor(date)` counts the messages exchanged with the authority on a day
 * (GMT+7): direction 1, forwarded messages by the time the authority took them; direction 2, the authority's
 * messages by the time they arrived. 999/−1 receipts, the 901/902 reports themselves and the maintenance
 * notices (950, an hddt extension) are not counted. `reconcile` compares with the
 * authority's report and lists the differences.
 */
import { createHash, randomBytes } from "node:crypto";
import { type QueryExecutorProvider, sql } from "kysely";
import type { Clock } from "../domain/clock.ts";
import { dateTimeToInstant, instantToDateTime, isDate, startOfDateInstant } from "../domain/dates.ts";
import { defineCodes, makeProblem, type Problem, type Result } from "../domain/problem.ts";
import {
  inspectMessage,
  isMessageId,
  isPartyCode,
  type MessageHeader,
  type MessageInspection,
  newMessageId,
  writeHeader,
  writeMessage,
} from "../format/envelope.ts";
import type { Reason } from "../format/forms/common.ts";
import { MAINTENANCE_NOTICE_TYPE, readMaintenanceNotice } from "../format/forms/maintenance-notice.ts";
import {
  type ReconciliationEntry,
  type ReconciliationReport,
  writeReconciliationReport,
  writeTechnicalReceipt,
} from "../format/forms/receipt.ts";
import { type MessageTypeCode, messageTypeInfo } from "../format/messages.ts";
import { type XmlElement, XmlWriter } from "../format/xml.ts";
import type { VerifyOptions } from "../signing/verify.ts";
import { verifyDocument } from "../signing/verify.ts";
import type { Database } from "../store/database.ts";
import { inTransaction } from "../store/transaction.ts";
import type { MaintenanceRecord, MaintenanceWindow, Outbox, OutgoingMessage } from "../transport/outbox.ts";
import {
  type CheckResult,
  delivered,
  type PartyAddress,
  type PartyEndpoint,
  type Transport,
  type TransportResult,
} from "../transport/transport.ts";

export const tvanCodes = defineCodes({
  TVAN_WRONG_RECEIVER: {
    vi: 'Thông điệp gửi tới "{value}", không phải tổ chức truyền nhận này ({party}) hay cơ quan thuế ({authority})',
    en: 'The message is addressed to "{value}", neither this T-VAN ({party}) nor the tax authority ({authority})',
  },
  TVAN_NOT_FORWARDABLE: {
    vi: "Thông điệp loại {type} không do người nộp thuế hay tổ chức truyền nhận gửi cơ quan thuế",
    en: "A message of type {type} is not one a taxpayer or a T-VAN sends to the tax authority",
  },
  TVAN_NOT_FROM_AUTHORITY: {
    vi: 'Thông điệp từ "{value}" không phải của cơ quan thuế ({authority})',
    en: 'The message from "{value}" is not from the tax authority ({authority})',
  },
  TVAN_FROM_AUTHORITY: {
    vi: "Thông điệp của cơ quan thuế phải gửi qua kết nối với cơ quan thuế",
    en: "A message of the tax authority must come through the authority's connection",
  },
  TVAN_SIGNATURE_MISSING: {
    vi: "Dữ liệu thứ {index} trong DLieu không có chữ ký số của người nộp thuế",
    en: "Item {index} of DLieu has no signature of the taxpayer",
  },
  TVAN_SIGNATURE_INVALID: {
    vi: "Chữ ký số của người nộp thuế trên dữ liệu thứ {index} không hợp lệ",
    en: "The taxpayer's signature on item {index} of DLieu is not valid",
  },
  TVAN_RECONCILIATION_WRONG_DATE: {
    vi: "Báo cáo đối soát là của ngày {found}, không phải ngày {date}",
    en: "The reconciliation report is for {found}, not {date}",
  },
  TVAN_SENDER_NOT_KEY_HOLDER: {
    vi: 'Thông điệp gửi với MNGui "{value}" nhưng khóa API là của "{holder}"',
    en: 'The message is sent as "{value}" (MNGui) but the API key belongs to "{holder}"',
  },
  TVAN_NOT_YOUR_SELLER: {
    vi: 'Khóa API của "{holder}" không được xem dữ liệu của người nộp thuế {taxCode}',
    en: 'The API key of "{holder}" may not read the data of taxpayer {taxCode}',
  },
  TVAN_BAD_DATE: {
    vi: 'Ngày "{value}" không đúng định dạng YYYY-MM-DD',
    en: 'The date "{value}" is not a YYYY-MM-DD date',
  },
});

export type TvanCode = keyof typeof tvanCodes & string;

/** Checks the taxpayer's signature on one DLieu item; returns the problems (none: valid). */
export type SignatureCheck = (
  payloadXml: string,
  context: { readonly type: MessageTypeCode; readonly taxCode?: string; readonly index: number },
) => readonly Problem[] | Promise<readonly Problem[]>;

/**
 * The signature check on `verifyDocument`: the item must carry a seller signature (NBan/NNT) and every
 * seller signature must verify. Its `now` defaults to the verifier's own clock.
 */
export function verifierSignatureCheck(options: VerifyOptions = {}): SignatureCheck {
  return (xml, { taxCode, index }) => {
    const reports = verifyDocument(
      xml,
      taxCode === undefined ? options : { ...options, taxCodes: { ...options.taxCodes, seller: taxCode } },
    );
    const seller = reports.filter((r) => r.role === "seller");
    const at = `/TDiep/DLieu/*[${index + 1}]`;
    if (seller.length === 0)
      return [makeProblem(tvanCodes, "TVAN_SIGNATURE_MISSING", at, { index: String(index + 1) })];
    const out: Problem[] = [];
    for (const r of seller) {
      if (r.valid) continue;
      out.push(makeProblem(tvanCodes, "TVAN_SIGNATURE_INVALID", at, { index: String(index + 1) }));
      for (const p of r.problems) if (p.severity === "error") out.push(p);
    }
    return out;
  };
}

export interface TvanConfig {
  /** This T-VAN's party code: `V` + its tax code. */
  readonly party: PartyAddress;
  /** The authority's party code, also its transport address. Default `TCT`. */
  readonly authority?: PartyAddress;
  /** Whether answers are pushed to this seller party (false: it polls). Default: every party. */
  readonly pushTo?: (party: PartyAddress) => boolean;
  /** PBan of the receipts the T-VAN writes. Default `2.1.0`. */
  readonly version?: string;
}

export interface TvanPorts {
  readonly db: Database;
  readonly clock: Clock;
  /** Used for the connection check of `checkAuthority`; sending goes through the outbox's worker. */
  readonly transport: Transport;
  readonly outbox: Outbox;
  readonly config: TvanConfig;
  /** Default: `verifierSignatureCheck()`. */
  readonly checkSignature?: SignatureCheck;
}

export type ReceiveStatus = "accepted" | "rejected" | "unmatched" | "duplicate" | "unreadable";

export interface ReceiveOutcome {
  readonly status: ReceiveStatus;
  /** MTDiep of the message received, when it could be read. */
  readonly messageId?: string;
  /** The answer: a 999 TDiep (a −1 for an unreadable message), as XML. */
  readonly receipt: string;
  readonly problems: readonly Problem[];
}

/** A message as the archive keeps it (Circular 32/2011 Art 11: origin, destination, time). */
export interface StoredMessage {
  readonly cursor: string;
  readonly messageId: string;
  readonly kind: "seller" | "authority";
  readonly status: "accepted" | "rejected" | "unmatched";
  readonly type: MessageTypeCode | null;
  readonly sender: PartyAddress;
  readonly receiver: PartyAddress;
  readonly taxCode: string | null;
  readonly replyTo: string | null;
  /** The party that handed the message to the T-VAN. */
  readonly origin: PartyAddress;
  /** Its final receiver (null when unknown: an unmatched answer, a rejected message). */
  readonly destination: PartyAddress | null;
  /** Byte-exact as received. */
  readonly xml: string;
  readonly receivedAt: Date;
  readonly receipt: string;
  /** Id and envelope under which it was passed on. */
  readonly forwardId: string | null;
  readonly forwardXml: string | null;
  /** For an answer: the seller's message it answers. */
  readonly originalId: string | null;
}

/** An answer of the authority as a seller gets it. */
export interface SellerReply {
  /** Paging cursor (`pendingFor(…, since)`). */
  readonly cursor: string;
  /** The id the seller sees (unique per reply and seller). */
  readonly messageId: string;
  readonly authorityMessageId: string;
  readonly type: MessageTypeCode | null;
  readonly taxCode: string | null;
  /** The seller's message answered, when matched. */
  readonly replyTo: string | null;
  readonly destination: PartyAddress | null;
  /** The envelope addressed to the seller (the authority's own when it could not be matched). */
  readonly xml: string;
  readonly receivedAt: Date;
}

export type TvanEventKind = "maintenance_announced" | "maintenance_resumed" | "authority_unavailable";

export interface TvanEvent {
  readonly cursor: string;
  readonly kind: TvanEventKind;
  /** The connected seller or provider the event is for; null: the T-VAN's own record. */
  readonly party: PartyAddress | null;
  readonly at: Date;
  readonly destination: PartyAddress | null;
  readonly startsAt: Date | null;
  readonly endsAt: Date | null;
  readonly notice: string | null;
}

export interface ReconciliationDifference {
  readonly type: MessageTypeCode;
  readonly direction: 1 | 2;
  readonly ours: number;
  readonly theirs: number;
  /** Ids we counted that their report lists nowhere (only when both list ids). */
  readonly onlyOurs: readonly string[];
  /** Ids their report lists that we did not count. */
  readonly onlyTheirs: readonly string[];
}

interface MessageRow {
  id: bigint;
  message_id: string;
  kind: "seller" | "authority";
  status: "accepted" | "rejected" | "unmatched";
  type: number | null;
  sender: string;
  receiver: string;
  tax_code: string | null;
  reply_to: string | null;
  origin: string;
  destination: string | null;
  xml: string;
  received_at: Date;
  receipt: string;
  forward_id: string | null;
  forward_xml: string | null;
  original_id: string | null;
  delivery_seq: bigint | null;
}

const MESSAGE_COLUMNS = `id, message_id, kind, status, type, sender, receiver, tax_code, reply_to, origin,
  destination, xml, received_at, receipt, forward_id, forward_xml, original_id, delivery_seq`;

function toStored(r: MessageRow): StoredMessage {
  return {
    cursor: String(r.id),
    messageId: r.message_id,
    kind: r.kind,
    status: r.status,
    type: r.type as MessageTypeCode | null,
    sender: r.sender,
    receiver: r.receiver,
    taxCode: r.tax_code,
    replyTo: r.reply_to,
    origin: r.origin,
    destination: r.destination,
    xml: r.xml,
    receivedAt: r.received_at,
    receipt: r.receipt,
    forwardId: r.forward_id,
    forwardXml: r.forward_xml,
    originalId: r.original_id,
  };
}

function toReply(r: MessageRow): SellerReply {
  return {
    cursor: String(r.delivery_seq ?? r.id),
    messageId: r.forward_id ?? r.message_id,
    authorityMessageId: r.message_id,
    type: r.type as MessageTypeCode | null,
    taxCode: r.tax_code,
    replyTo: r.original_id,
    destination: r.destination,
    xml: r.forward_xml ?? r.xml,
    receivedAt: r.received_at,
  };
}

/**
 * An id of `party` derived from `source`: the party code and 32 uppercase hex digits from a hash, shaped as
 * a UUIDv4 like the ids of `newMessageId`. The same source always gives the same id.
 */
export function derivedMessageId(party: PartyAddress, tag: string, source: string): string {
  const hex = createHash("sha256").update(tag).update("\n").update(source).digest("hex");
  const variant = ((Number.parseInt(hex[16]!, 16) & 0x3) | 0x8).toString(16);
  return `${party}${hex.slice(0, 12)}4${hex.slice(13, 16)}${variant}${hex.slice(17, 32)}`.toUpperCase();
}

/** Reasons of a receipt from problems: MLoi ≤ 4 characters, MTa ≤ 255. */
function reasonsOf(problems: readonly Problem[]): Reason[] {
  const out: Reason[] = [];
  for (const p of problems) {
    if (p.severity !== "error") continue;
    const text = `${p.code} ${p.path}: ${p.messageVi}`;
    out.push({ code: p.code.startsWith("ENVELOPE_") ? "1" : "2", description: text.slice(0, 255) });
  }
  return out;
}

/** The message with its TTChung replaced by `header`; every other byte kept. */
function readdress(m: MessageInspection, header: MessageHeader): string {
  const tt = m.element?.children.find((c) => c.name === "TTChung" || c.name.endsWith(":TTChung"));
  const parsed = m.parsed;
  if (!tt || !parsed) throw new Error("readdress needs a readable message");
  const w = new XmlWriter();
  writeHeader(w, header);
  return parsed.source.slice(0, tt.start) + w.toString() + parsed.source.slice(tt.end);
}

const DAY_MS = 86_400_000;
const randomHex = () => randomBytes(16).toString("hex");

export class TvanService {
  readonly #db: Database;
  readonly #clock: Clock;
  readonly #transport: Transport;
  readonly #outbox: Outbox;
  readonly #party: PartyAddress;
  readonly #authority: PartyAddress;
  readonly #pushTo: (party: PartyAddress) => boolean;
  readonly #version: string;
  readonly #checkSignature: SignatureCheck;
  readonly #queue: PendingRow[] = [];
  #flushing = 0;

  /** Where sellers and providers send (the seller-facing connection). */
  readonly sellerEndpoint: PartyEndpoint;
  /** Where the authority sends its answers (the authority-facing connection). */
  readonly authorityEndpoint: PartyEndpoint;
  /** One address for both: a message whose MNGui is the authority goes to `authorityEndpoint`. */
  readonly endpoint: PartyEndpoint;

  constructor(ports: TvanPorts) {
    this.#db = ports.db;
    this.#clock = ports.clock;
    this.#transport = ports.transport;
    this.#outbox = ports.outbox;
    this.#party = ports.config.party;
    if (!isPartyCode(this.#party) || !this.#party.startsWith("V"))
      throw new RangeError(`a T-VAN's party code is V + its tax code, not ${JSON.stringify(this.#party)}`);
    this.#authority = ports.config.authority ?? "TCT";
    this.#pushTo = ports.config.pushTo ?? (() => true);
    this.#version = ports.config.version ?? "2.1.0";
    this.#checkSignature = ports.checkSignature ?? verifierSignatureCheck();
    const answer = (o: ReceiveOutcome): TransportResult => delivered(o.receipt);
    this.sellerEndpoint = { handle: async (xml) => answer(await this.receive(xml)) };
    this.authorityEndpoint = { handle: async (xml) => answer(await this.receiveFromAuthority(xml)) };
    this.endpoint = {
      handle: async (xml) => {
        const m = SENDER.exec(xml);
        return m?.[1] === this.#authority
          ? answer(await this.receiveFromAuthority(xml))
          : answer(await this.receive(xml));
      },
    };
  }

  get party(): PartyAddress {
    return this.#party;
  }

  // -------------------------------------------------------------------------------------------------------
  // Receiving from sellers

  /** A message from a seller or provider: checked, answered with a 999, stored, queued for the authority. */
  async receive(xml: string): Promise<ReceiveOutcome> {
    const now = this.#clock.now();
    const m = inspectMessage(xml);
    const h = m.header;
    const id = h.messageId;
    if (id === undefined || !isMessageId(id)) return this.#unreadable(m, now);
    const problems: Problem[] = [...m.problems];
    if (h.sender === this.#authority) {
      problems.push(makeProblem(tvanCodes, "TVAN_FROM_AUTHORITY", "/TDiep/TTChung/MNGui"));
    }
    if (h.receiver !== undefined && h.receiver !== this.#party && h.receiver !== this.#authority) {
      problems.push(
        makeProblem(tvanCodes, "TVAN_WRONG_RECEIVER", "/TDiep/TTChung/MNNhan", {
          value: h.receiver,
          party: this.#party,
          authority: this.#authority,
        }),
      );
    }
    const info = h.type === undefined ? undefined : messageTypeInfo(h.type);
    if (info && info.from !== "taxpayer" && info.from !== "transmission") {
      problems.push(
        makeProblem(tvanCodes, "TVAN_NOT_FORWARDABLE", "/TDiep/TTChung/MLTDiep", { type: String(info.code) }),
      );
    }
    if (problems.length === 0 && info && info.signedBy.includes("taxpayer") && info.code !== 206) {
      const source = m.parsed!.source;
      for (let i = 0; i < m.payloads.length; i++) {
        const p = m.payloads[i]!;
        const found = await this.#checkSignature(source.slice(p.start, p.end), {
          type: info.code,
          index: i,
          ...(h.taxCode === undefined ? {} : { taxCode: h.taxCode }),
        });
        problems.push(...found);
      }
    }
    const ok = !problems.some((p) => p.severity === "error");
    const sender = h.sender ?? "";
    const receipt = this.#receipt(id, sender, now, problems);
    const forwardId = ok ? derivedMessageId(this.#party, "forward", id) : null;
    const invoice =
      ok && m.payloads.length === 1 && m.parsed ? invoiceKeys(m.parsed.source, m.payloads[0]!) : undefined;
    const forwardXml =
      forwardId === null
        ? null
        : readdress(m, {
            ...(h as MessageHeader),
            sender: this.#party,
            receiver: this.#authority,
            messageId: forwardId,
          });
    const stored = await this.#store(
      [
        id,
        "seller",
        ok ? "accepted" : "rejected",
        h.type ?? null,
        sender,
        h.receiver ?? "",
        h.taxCode ?? null,
        h.replyTo ?? null,
        sender,
        ok ? this.#authority : null,
        xml,
        now,
        receipt,
        forwardId,
        forwardXml,
        null,
        ok ? null : JSON.stringify(problems.map((p) => ({ code: p.code, path: p.path }))),
        invoice?.own ?? null,
      ],
      forwardId !== null && forwardXml !== null
        ? {
            messageId: forwardId,
            destination: this.#authority,
            xml: forwardXml,
            ...(h.taxCode === undefined
              ? {}
              : { orderingKey: h.taxCode, barrier: BARRIER_TYPES.has(h.type ?? 0) }),
          }
        : undefined,
      invoice,
    );
    if (!stored) return this.#duplicate(id);
    return { status: ok ? "accepted" : "rejected", messageId: id, receipt, problems };
  }

  // -------------------------------------------------------------------------------------------------------
  // Receiving from the authority

  /** An answer or notice of the authority: stored, matched to the seller's message, pushed to the seller. */
  async receiveFromAuthority(xml: string): Promise<ReceiveOutcome> {
    const now = this.#clock.now();
    const m = inspectMessage(xml);
    const h = m.header;
    const id = h.messageId;
    if (id === undefined || !isMessageId(id)) return this.#unreadable(m, now);
    // The maintenance notice is an hddt extension the envelope's catalogue does not list.
    const isNotice = m.typeText?.trim() === String(MAINTENANCE_NOTICE_TYPE);
    const problems: Problem[] = isNotice
      ? m.problems.filter((p) => p.code !== "ENVELOPE_UNKNOWN_TYPE")
      : [...m.problems];
    if (h.sender !== undefined && h.sender !== this.#authority) {
      problems.push(
        makeProblem(tvanCodes, "TVAN_NOT_FROM_AUTHORITY", "/TDiep/TTChung/MNGui", {
          value: h.sender,
          authority: this.#authority,
        }),
      );
    }
    const sender = h.sender ?? "";
    const receipt = this.#receipt(id, sender, now, problems);
    if (problems.some((p) => p.severity === "error")) {
      const inserted = await this.#store(
        [
          id,
          "authority",
          "rejected",
          h.type ?? null,
          sender,
          h.receiver ?? "",
          h.taxCode ?? null,
          h.replyTo ?? null,
          sender,
          null,
          xml,
          now,
          receipt,
          null,
          null,
          null,
          JSON.stringify(problems.map((p) => ({ code: p.code, path: p.path }))),
        ],
        undefined,
      );
      if (!inserted) return this.#duplicate(id);
      return { status: "rejected", messageId: id, receipt, problems };
    }
    if (isNotice) return this.#maintenanceNotice(m, xml, id, sender, now, receipt);
    // Which seller: the message answered, or (a notice of the authority) the seller's last known party.
    let original: { message_id: string; sender: string; tax_code: string | null } | undefined;
    if (h.replyTo !== undefined) {
      const r = await this.#db.pool.query<{ message_id: string; sender: string; tax_code: string | null }>(
        "select message_id, sender, tax_code from tvan.message where forward_id = $1 and kind = 'seller'",
        [h.replyTo],
      );
      original = r.rows[0];
    }
    const info = h.type === undefined ? undefined : messageTypeInfo(h.type);
    const taxCode = h.taxCode ?? original?.tax_code ?? null;
    let destination: string | null = original?.sender ?? null;
    if (destination === null && (info?.to === "transmission" || RECONCILIATION_TYPES.has(h.type ?? 0)))
      destination = this.#party;
    if (destination === null && taxCode !== null) {
      const r = await this.#db.pool.query<{ sender: string }>(
        "select sender from tvan.message where kind = 'seller' and tax_code = $1 and status = 'accepted' order by id desc limit 1",
        [taxCode],
      );
      destination = r.rows[0]?.sender ?? null;
    }
    const forSeller = destination !== null && destination !== this.#party;
    const forwardId = forSeller ? derivedMessageId(this.#party, "reply", id) : null;
    let forwardXml: string | null = null;
    if (forSeller && forwardId !== null) {
      const header: MessageHeader = {
        ...(h as MessageHeader),
        sender: this.#party,
        receiver: destination!,
        messageId: forwardId,
      };
      if (original) header.replyTo = original.message_id;
      else delete header.replyTo;
      forwardXml = readdress(m, header);
    }
    const status = destination === null ? "unmatched" : "accepted";
    const push =
      forSeller && forwardId !== null && forwardXml !== null && this.#pushTo(destination!)
        ? {
            messageId: forwardId,
            destination: destination!,
            xml: forwardXml,
            orderingKey: `to:${destination}`,
            barrier: !INVOICE_ANSWER_TYPES.has(h.type ?? 0),
          }
        : undefined;
    const stored = await this.#store(
      [
        id,
        "authority",
        status,
        h.type ?? null,
        sender,
        h.receiver ?? "",
        taxCode,
        h.replyTo ?? null,
        sender,
        destination,
        xml,
        now,
        receipt,
        forwardId,
        forwardXml,
        original?.message_id ?? null,
        null,
      ],
      push,
    );
    if (!stored) return this.#duplicate(id);
    return { status, messageId: id, receipt, problems: [] };
  }

  /**
   * Adds a row to the archive and, if it is new, its outgoing message to the outbox, in one transaction;
   * false when the message id was there already. Concurrent calls are grouped: while up to
   * `MAX_PARALLEL_FLUSHES` transactions run, new rows wait and go together in the next one (group commit),
   * so one busy seller's stream costs a few transactions, not one per message.
   */
  #store(
    row: readonly unknown[],
    outgoing: OutgoingMessage | undefined,
    invoice?: InvoiceKeys,
  ): Promise<boolean> {
    return new Promise((resolve, reject) => {
      this.#queue.push({ row, outgoing, related: invoice?.related, resolve, reject });
      this.#kick();
    });
  }

  #kick(): void {
    while (this.#flushing < MAX_PARALLEL_FLUSHES && this.#queue.length > 0) {
      const batch = this.#queue.splice(0, MAX_BATCH);
      this.#flushing++;
      // #flush settles every caller itself and never rejects.
      void this.#flush(batch).finally(() => {
        this.#flushing--;
        this.#kick();
      });
    }
  }

  async #flush(batch: PendingRow[]): Promise<void> {
    // A repeat of an id within the batch waits for the first and is then a duplicate.
    const first = new Map<string, PendingRow>();
    const repeats: PendingRow[] = [];
    for (const p of batch) {
      const id = p.row[0] as string;
      if (first.has(id)) repeats.push(p);
      else first.set(id, p);
    }
    const rows = [...first.values()];
    try {
      const inserted = await inTransaction(this.#db.kysely("tvan"), async (trx) => {
        const added = await insertMessages(
          trx,
          rows.map((p) => p.row),
          await deliverySequences(trx, rows),
        );
        const after = await correctedMessages(trx, rows);
        const out: OutgoingMessage[] = [];
        for (const p of rows) {
          if (!p.outgoing || !added.has(p.row[0] as string)) continue;
          const first = p.related === undefined ? undefined : after.get(`${p.row[6]}\n${p.related}`);
          out.push(first === undefined ? p.outgoing : { ...p.outgoing, after: first });
        }
        if (out.length > 0) await this.#outbox.enqueue(out, trx);
        return added;
      });
      for (const p of rows) p.resolve(inserted.has(p.row[0] as string));
      for (const p of repeats) p.resolve(false);
    } catch (error) {
      for (const p of batch) p.reject(error);
    }
  }

  /**
   * For the outbox worker's `onResult`: when the authority's synchronous answer to a forwarded message is an
   * error receipt (999 with TTTNhan 1, or −1), it is taken in like any answer of the authority, so it is
   * archived and reaches the seller. A 999 without error is the authority's business only (the outbox keeps
   * it). Resolves to undefined when there was nothing to pass on.
   */
  async relayAuthorityReceipt(
    destination: PartyAddress,
    result: TransportResult,
  ): Promise<ReceiveOutcome | undefined> {
    if (destination !== this.#authority || !result.ok) return undefined;
    const m = inspectMessage(result.reply);
    const type = m.header.type;
    if (type !== -1 && !(type === 999 && ERROR_RECEIPT.test(result.reply))) return undefined;
    return this.receiveFromAuthority(result.reply);
  }

  /**
   * For the outbox worker's `onResult` (the one hook to wire): passes the authority's error receipts on
   * (`relayAuthorityReceipt`) and, when the authority answers "unavailable until T" (its maintenance
   * answer), records an `authority_unavailable` event once per T, so connected parties learn of a window
   * nobody announced beforehand.
   */
  async observeSend(destination: PartyAddress, result: TransportResult): Promise<void> {
    if (destination !== this.#authority) return;
    if (result.ok) {
      await this.relayAuthorityReceipt(destination, result);
      return;
    }
    if (result.kind !== "unavailable" || result.retryAfter === undefined) return;
    await this.#db.pool.query(
      `insert into tvan.event (kind, at, destination, ends_at, notice)
       values ('authority_unavailable', $1, $2, $3, $4)
       on conflict do nothing`,
      [this.#clock.now(), destination, result.retryAfter, result.reason],
    );
  }

  #receipt(id: string, sender: string, now: Date, problems: readonly Problem[]): string {
    const reasons = reasonsOf(problems);
    return writeMessage(
      {
        version: this.#version,
        sender: this.#party,
        receiver: isPartyCode(sender) ? sender : this.#party,
        type: 999,
        messageId: derivedMessageId(this.#party, "receipt", id),
        replyTo: id,
      },
      writeTechnicalReceipt({
        messageId: id,
        ...(sender === "" ? {} : { sender: sender.slice(0, 14) }),
        receivedAt: instantToDateTime(now),
        status: reasons.length === 0 ? 0 : 1,
        ...(reasons.length === 0 ? {} : { reasons }),
      }),
    );
  }

  /** A −1 for a message whose id cannot be read: nothing is stored. */
  #unreadable(m: MessageInspection, now: Date): ReceiveOutcome {
    const sender = m.header.sender;
    const problems = m.problems.length > 0 ? m.problems : [];
    const reasons = reasonsOf(problems);
    const receipt = writeMessage(
      {
        version: this.#version,
        sender: this.#party,
        receiver: sender !== undefined && isPartyCode(sender) ? sender : this.#party,
        type: -1,
        messageId: newMessageId(this.#party, randomHex),
      },
      writeTechnicalReceipt({
        receivedAt: instantToDateTime(now),
        status: 1,
        reasons: reasons.length > 0 ? reasons : [{ code: "1", description: "MTDiep" }],
      }),
    );
    return { status: "unreadable", receipt, problems };
  }

  async #duplicate(id: string): Promise<ReceiveOutcome> {
    const r = await this.#db.pool.query<{ receipt: string }>(
      "select receipt from tvan.message where message_id = $1",
      [id],
    );
    const receipt = r.rows[0]?.receipt;
    if (receipt === undefined) throw new Error(`message ${id} vanished from the archive`);
    return { status: "duplicate", messageId: id, receipt, problems: [] };
  }

  // -------------------------------------------------------------------------------------------------------
  // Archive and pull API

  /** A message of the archive by the id it arrived with. */
  async stored(messageId: string): Promise<StoredMessage | undefined> {
    const r = await this.#db.pool.query<MessageRow>(
      `select ${MESSAGE_COLUMNS} from tvan.message where message_id = $1`,
      [messageId],
    );
    const row = r.rows[0];
    return row ? toStored(row) : undefined;
  }

  /** Whether `party` may read `taxCode`'s replies: it is that seller, or it sent a message for it. */
  async servesSeller(party: PartyAddress, taxCode: string): Promise<boolean> {
    if (party === taxCode) return true;
    const r = await this.#db.pool.query(
      "select 1 from tvan.message where kind = 'seller' and sender = $1 and tax_code = $2 limit 1",
      [party, taxCode],
    );
    return r.rows.length > 0;
  }

  /** The authority's answers to the seller's message `messageId`, in arrival order. */
  async repliesFor(messageId: string): Promise<SellerReply[]> {
    const r = await this.#db.pool.query<MessageRow>(
      `select ${MESSAGE_COLUMNS} from tvan.message where original_id = $1 order by id`,
      [messageId],
    );
    return r.rows.map(toReply);
  }

  /**
   * The authority's messages for a seller after the cursor `since` (a reply's `cursor`; none: from the
   * start), in the order they were committed. A poller that passes the last cursor it saw gets each reply
   * once, and never skips one: the cursor is the seller's delivery number, taken under a lock held until
   * commit (see `deliverySequences`), not the row id, which an earlier transaction may commit after a later.
   */
  async pendingFor(sellerTaxCode: string, since?: string, limit = 100): Promise<SellerReply[]> {
    const r = await this.#db.pool.query<MessageRow>(
      `select ${MESSAGE_COLUMNS} from tvan.message
       where tax_code = $1 and delivery_seq > $2 and kind = 'authority' and status <> 'rejected'
       order by delivery_seq limit $3`,
      [sellerTaxCode, since ?? "0", Math.min(Math.max(limit, 1), 1000)],
    );
    return r.rows.map(toReply);
  }

  // -------------------------------------------------------------------------------------------------------
  // Maintenance

  /**
   * Records the authority's notice of a maintenance window: an event for every connected party, and a hold
   * of the outbox from the window's start until a connection check after its end succeeds.
   */
  async announceMaintenance(window: Omit<MaintenanceWindow, "destination">): Promise<TvanEvent> {
    const w = await this.#outbox.announceMaintenance({ ...window, destination: this.#authority });
    // One event for the T-VAN itself (party null) and one for each connected seller or provider.
    const r = await this.#db.pool.query<EventRow>(
      `insert into tvan.event (kind, at, destination, window_id, starts_at, ends_at, notice, party)
       select 'maintenance_announced', $1, $2, $3, $4, $5, $6, p.party
       from (select null::text as party union all (${CONNECTED_PARTIES})) p
       on conflict do nothing
       returning ${EVENT_COLUMNS}`,
      [w.announcedAt, w.destination, w.id, w.startsAt, w.endsAt, w.notice ?? null],
    );
    const own = r.rows.find((e) => e.party === null) ?? r.rows[0];
    if (!own) throw new Error(`no event recorded for maintenance window ${w.id}`);
    return toEvent(own);
  }

  /** The maintenance windows of the authority the T-VAN knows of, newest first. */
  maintenanceWindows(limit = 100): Promise<MaintenanceRecord[]> {
    return this.#outbox.windows(this.#authority, limit);
  }

  /**
   * A notice of the authority (message 950, hddt/TB-BTHT) announcing a window: archived like any message
   * for the T-VAN, then the window is announced (outbox hold and events) unless it was already. A notice
   * whose content cannot be read is kept as unmatched and announces nothing.
   */
  async #maintenanceNotice(
    m: MessageInspection,
    xml: string,
    id: string,
    sender: string,
    now: Date,
    receipt: string,
  ): Promise<ReceiveOutcome> {
    const payload = m.payloads[0];
    const notice = payload && m.parsed ? readMaintenanceNotice(payload, m.parsed.source) : undefined;
    const startsAt = notice?.ok ? dateTimeToInstant(notice.value.startsAt) : undefined;
    const endsAt = notice?.ok ? dateTimeToInstant(notice.value.endsAt) : undefined;
    const readable = startsAt !== undefined && endsAt !== undefined && endsAt > startsAt;
    const h = m.header;
    const stored = await this.#store(
      [
        id,
        "authority",
        readable ? "accepted" : "unmatched",
        MAINTENANCE_NOTICE_TYPE,
        sender,
        h.receiver ?? "",
        null,
        null,
        sender,
        readable ? this.#party : null,
        xml,
        now,
        receipt,
        null,
        null,
        null,
        notice && !notice.ok
          ? JSON.stringify(notice.problems.map((p) => ({ code: p.code, path: p.path })))
          : null,
      ],
      undefined,
    );
    // Also for a repeat: the window may not have been recorded if the process stopped right after storing.
    if (readable) {
      const known = await this.#db.pool.query(
        "select 1 from tvan.maintenance_window where destination = $1 and notice = $2 limit 1",
        [this.#authority, xml],
      );
      if (known.rows.length === 0) await this.announceMaintenance({ startsAt, endsAt, notice: xml });
    }
    if (!stored) return this.#duplicate(id);
    return { status: readable ? "accepted" : "unmatched", messageId: id, receipt, problems: [] };
  }

  /** The connection check of the authority (the outbox worker runs it after a window by itself). */
  checkAuthority(): Promise<CheckResult> {
    return this.#transport.check(this.#authority);
  }

  /**
   * Events after the cursor `since`, oldest first; windows resumed since the last call are added first.
   * With `party`: that party's events and the T-VAN's own (party null); without: all.
   */
  async events(since?: string, party?: PartyAddress, limit = 1000): Promise<TvanEvent[]> {
    await this.#db.pool.query(
      `insert into tvan.event (kind, at, destination, window_id, starts_at, ends_at, notice, party)
       select 'maintenance_resumed', w.resumed_at, w.destination, w.id, w.starts_at, w.ends_at, null, a.party
       from tvan.maintenance_window w
         join tvan.event a on a.kind = 'maintenance_announced' and a.window_id = w.id
       where w.resumed_at is not null
         and not exists (select 1 from tvan.event e where e.kind = 'maintenance_resumed' and e.window_id = w.id)
       order by w.resumed_at, w.id, a.id
       on conflict do nothing`,
    );
    const r = await this.#db.pool.query<EventRow>(
      `select ${EVENT_COLUMNS} from tvan.event
       where id > $1 and ($2::text is null or party = $2 or party is null)
       order by id limit $3`,
      [since ?? "0", party ?? null, Math.min(Math.max(limit, 1), 1000)],
    );
    return r.rows.map(toEvent);
  }

  // -------------------------------------------------------------------------------------------------------
  // Reconciliation

  /** The day's count of messages exchanged with the authority (GMT+7 day `date`), with their ids. */
  async countsFor(date: string): Promise<Result<ReconciliationReport>> {
    if (!isDate(date)) {
      return {
        ok: false,
        problems: [makeProblem(tvanCodes, "TVAN_BAD_DATE", "/date", { value: date })],
      };
    }
    const from = startOfDateInstant(date);
    const to = new Date(from.getTime() + DAY_MS);
    const out = await this.#db.pool.query<{ type: number; direction: number; message_id: string }>(
      `select m.type, 1 as direction, o.message_id from tvan.outbox o
         join tvan.message m on m.forward_id = o.message_id and m.kind = 'seller'
       where o.destination = $1 and o.state = 'sent' and o.sent_at >= $2 and o.sent_at < $3
       union all
       select type, 2 as direction, message_id from tvan.message
       where kind = 'authority' and type is not null and type not in (901, 902, 999, -1, 950)
         and received_at >= $2 and received_at < $3`,
      [this.#authority, from, to],
    );
    const groups = new Map<string, ReconciliationEntry & { messageIds: string[] }>();
    for (const row of out.rows) {
      const key = `${row.type}/${row.direction}`;
      let e = groups.get(key);
      if (!e) {
        e = {
          type: row.type as MessageTypeCode,
          direction: row.direction as 1 | 2,
          count: 0,
          messageIds: [],
        };
        groups.set(key, e);
      }
      e.count++;
      e.messageIds.push(row.message_id);
    }
    const entries = [...groups.values()].sort((a, b) => a.direction - b.direction || a.type - b.type);
    for (const e of entries) e.messageIds.sort();
    return { ok: true, value: { version: this.#version, date, entries } };
  }

  /**
   * Sends the day's count to the authority as a 901 (through the outbox; one message per day, so a second
   * call changes nothing). Returns the message id and its XML.
   */
  async sendReconciliation(date: string): Promise<Result<{ messageId: string; xml: string }>> {
    const report = await this.countsFor(date);
    if (!report.ok) return report;
    const messageId = derivedMessageId(this.#party, "reconciliation-901", date);
    const xml = writeMessage(
      {
        version: this.#version,
        sender: this.#party,
        receiver: this.#authority,
        type: 901,
        messageId,
        count: 1,
      },
      writeReconciliationReport(report.value),
    );
    const r = await this.#outbox.enqueue({ messageId, destination: this.#authority, xml });
    if (r.duplicates.length > 0) {
      const queued = await this.#outbox.inspect(messageId);
      if (queued.ok) return { ok: true, value: { messageId, xml: queued.value.xml } };
    }
    return { ok: true, value: { messageId, xml } };
  }

  /** The differences between our count of `date` and the authority's report (empty: they agree). */
  async reconcile(date: string, theirs: ReconciliationReport): Promise<Result<ReconciliationDifference[]>> {
    if (theirs.date !== date) {
      return {
        ok: false,
        problems: [
          makeProblem(tvanCodes, "TVAN_RECONCILIATION_WRONG_DATE", "/BCDSoat/DLBCDSoat/NDSoat", {
            found: theirs.date,
            date,
          }),
        ],
      };
    }
    const ours = await this.countsFor(date);
    if (!ours.ok) return ours;
    return { ok: true, value: compareReports(ours.value, theirs) };
  }
}

/** Entry-by-entry comparison of two reconciliation reports of one day. */
export function compareReports(
  ours: ReconciliationReport,
  theirs: ReconciliationReport,
): ReconciliationDifference[] {
  const key = (e: ReconciliationEntry) => `${e.direction}/${e.type}`;
  const a = new Map(ours.entries.map((e) => [key(e), e]));
  const b = new Map(theirs.entries.map((e) => [key(e), e]));
  const keys = [...new Set([...a.keys(), ...b.keys()])];
  const out: ReconciliationDifference[] = [];
  for (const k of keys) {
    const x = a.get(k);
    const y = b.get(k);
    const ref = (x ?? y)!;
    let onlyOurs: string[] = [];
    let onlyTheirs: string[] = [];
    if (x?.messageIds && y?.messageIds) {
      const ys = new Set(y.messageIds);
      const xs = new Set(x.messageIds);
      onlyOurs = x.messageIds.filter((id) => !ys.has(id));
      onlyTheirs = y.messageIds.filter((id) => !xs.has(id));
    } else if (x?.messageIds && !y) onlyOurs = [...x.messageIds];
    else if (y?.messageIds && !x) onlyTheirs = [...y.messageIds];
    const oursCount = x?.count ?? 0;
    const theirsCount = y?.count ?? 0;
    if (oursCount === theirsCount && onlyOurs.length === 0 && onlyTheirs.length === 0) continue;
    out.push({
      type: ref.type,
      direction: ref.direction,
      ours: oursCount,
      theirs: theirsCount,
      onlyOurs,
      onlyTheirs,
    });
  }
  return out.sort((p, q) => p.direction - q.direction || p.type - q.type);
}

const SENDER = /<MNGui>([^<]*)<\/MNGui>/;
const ERROR_RECEIPT = /<TTTNhan>\s*1\s*<\/TTTNhan>/;
/** Reconciliation reports: the T-VAN's own business, never passed on nor counted. */
const RECONCILIATION_TYPES: ReadonlySet<number> = new Set([901, 902]);

interface EventRow {
  id: bigint;
  kind: TvanEventKind;
  party: string | null;
  at: Date;
  destination: string | null;
  starts_at: Date | null;
  ends_at: Date | null;
  notice: string | null;
}

const EVENT_COLUMNS = "id, kind, party, at, destination, starts_at, ends_at, notice";

function toEvent(r: EventRow): TvanEvent {
  return {
    cursor: String(r.id),
    kind: r.kind,
    party: r.party,
    at: r.at,
    destination: r.destination,
    startsAt: r.starts_at,
    endsAt: r.ends_at,
    notice: r.notice,
  };
}

interface PendingRow {
  readonly row: readonly unknown[];
  readonly outgoing: OutgoingMessage | undefined;
  /** For a replacement or adjustment: the invoice key of the invoice it corrects. */
  readonly related: string | undefined;
  readonly resolve: (inserted: boolean) => void;
  readonly reject: (error: unknown) => void;
}

const MAX_BATCH = 500;
const MAX_PARALLEL_FLUSHES = 4;

/**
 * Adds rows to the archive (each row: the 17 values in column order, then the invoice key) with their
 * delivery numbers; returns the ids actually added.
 */
async function insertMessages(
  ex: QueryExecutorProvider,
  rows: readonly (readonly unknown[])[],
  seqs: readonly (string | null)[],
): Promise<Set<string>> {
  const col = (i: number) => rows.map((r) => r[i] ?? null);
  const at = rows.map((r) => (r[11] as Date).toISOString());
  const r = await sql<{ message_id: string }>`
    insert into tvan.message (message_id, kind, status, type, sender, receiver, tax_code, reply_to, origin,
      destination, xml, received_at, receipt, forward_id, forward_xml, original_id, problems, invoice_key,
      delivery_seq)
    select c0, c1, c2, c3, c4, c5, c6, c7, c8, c9, c10, c11, c12, c13, c14, c15, c16::jsonb, c17, c18
    from unnest(${col(0)}::text[], ${col(1)}::text[], ${col(2)}::text[], ${col(3)}::int[], ${col(4)}::text[],
      ${col(5)}::text[], ${col(6)}::text[], ${col(7)}::text[], ${col(8)}::text[], ${col(9)}::text[],
      ${col(10)}::text[], ${at}::timestamptz[], ${col(12)}::text[], ${col(13)}::text[], ${col(14)}::text[],
      ${col(15)}::text[], ${col(16)}::text[], ${col(17)}::text[], ${seqs}::bigint[])
      as u(c0, c1, c2, c3, c4, c5, c6, c7, c8, c9, c10, c11, c12, c13, c14, c15, c16, c17, c18)
    order by c0 -- one lock order for all batches: two batches sharing ids wait, never deadlock
    on conflict (message_id) do nothing
    returning message_id`.execute(ex);
  return new Set(r.rows.map((row) => row.message_id));
}

/**
 * Delivery numbers for the rows of the sellers' pull API (the authority's messages with a tax code), one
 * range per seller taken by an upsert of `seller_sequence` in tax-code order. The row lock it takes is held
 * until the transaction commits, so a second transaction for the same seller waits and its numbers are
 * both larger and committed later: a reader that sees number k sees every smaller one. Numbers of rows
 * that turn out to be repeats are skipped, which the cursor does not mind.
 */
async function deliverySequences(
  ex: QueryExecutorProvider,
  rows: readonly PendingRow[],
): Promise<(string | null)[]> {
  const counts = new Map<string, number>();
  for (const p of rows)
    if (p.row[1] === "authority" && typeof p.row[6] === "string")
      counts.set(p.row[6], (counts.get(p.row[6]) ?? 0) + 1);
  if (counts.size === 0) return rows.map(() => null);
  const keys = [...counts.keys()].sort();
  const r = await sql<{ tax_code: string; last_seq: string }>`
    insert into tvan.seller_sequence (tax_code, last_seq)
    select k, n from unnest(${keys}::text[], ${keys.map((k) => counts.get(k)!)}::bigint[]) as u(k, n)
    order by k
    on conflict (tax_code) do update set last_seq = seller_sequence.last_seq + excluded.last_seq
    returning tax_code, last_seq::text as last_seq`.execute(ex);
  const next = new Map<string, bigint>();
  for (const row of r.rows)
    next.set(row.tax_code, BigInt(row.last_seq) - BigInt(counts.get(row.tax_code)!) + 1n);
  return rows.map((p) => {
    if (p.row[1] !== "authority" || typeof p.row[6] !== "string") return null;
    const n = next.get(p.row[6])!;
    next.set(p.row[6], n + 1n);
    return String(n);
  });
}

/**
 * For replacements and adjustments: the forwarded id of the latest accepted message carrying the invoice
 * each corrects, by `tax code \n invoice key` (the transaction sees its own batch, so an original in the
 * same batch counts). An original received later than its correction is not waited for.
 */
async function correctedMessages(
  ex: QueryExecutorProvider,
  rows: readonly PendingRow[],
): Promise<Map<string, string>> {
  const taxCodes: string[] = [];
  const keys: string[] = [];
  for (const p of rows) {
    if (p.related === undefined || typeof p.row[6] !== "string") continue;
    taxCodes.push(p.row[6]);
    keys.push(p.related);
  }
  const out = new Map<string, string>();
  if (keys.length === 0) return out;
  const r = await sql<{ tax_code: string; invoice_key: string; forward_id: string }>`
    select distinct on (m.tax_code, m.invoice_key) m.tax_code, m.invoice_key, m.forward_id
    from tvan.message m
    join unnest(${taxCodes}::text[], ${keys}::text[]) as u(t, k) on m.tax_code = u.t and m.invoice_key = u.k
    where m.kind = 'seller' and m.status = 'accepted' and m.forward_id is not null
    order by m.tax_code, m.invoice_key, m.id desc`.execute(ex);
  for (const row of r.rows) out.set(`${row.tax_code}\n${row.invoice_key}`, row.forward_id);
  return out;
}

/** The invoice a message carries (`template|series|number`) and, for a correction, the one it corrects. */
export interface InvoiceKeys {
  readonly own?: string;
  readonly related?: string;
}

const TAG = (name: string) => new RegExp(`<${name}>\\s*([^<]*?)\\s*</${name}>`);
const OWN = [TAG("KHMSHDon"), TAG("KHHDon"), TAG("SHDon")] as const;
const RELATED = [TAG("KHMSHDCLQuan"), TAG("KHHDCLQuan"), TAG("SHDCLQuan")] as const;
const RELATED_BLOCK = /<TTHDLQuan>([\s\S]*?)<\/TTHDLQuan>/;

function keyOf(text: string, tags: readonly RegExp[]): string | undefined {
  const parts = tags.map((t) => t.exec(text)?.[1]);
  if (parts.some((x) => x === undefined || x === "")) return undefined;
  // Invoice numbers are compared as numbers: 0000123 and 123 are one invoice.
  const number = parts[2]!.replace(/^0+(?=\d)/, "");
  return `${parts[0]}|${parts[1]}|${number}`;
}

/** Keys of the one invoice (HDon) in a message's DLieu; none for other payloads. */
export function invoiceKeys(source: string, payload: XmlElement): InvoiceKeys | undefined {
  if (payload.name !== "HDon" && !payload.name.endsWith(":HDon")) return undefined;
  const text = source.slice(payload.start, payload.end);
  const related = RELATED_BLOCK.exec(text)?.[1];
  const own = keyOf(related === undefined ? text : text.replace(RELATED_BLOCK, ""), OWN);
  const rel = related === undefined ? undefined : keyOf(related, RELATED);
  if (own === undefined && rel === undefined) return undefined;
  return { ...(own === undefined ? {} : { own }), ...(rel === undefined ? {} : { related: rel }) };
}

/**
 * Message types that order everything of their seller around them: a registration or its change (100,
 * 101) before the invoices that depend on it, and a notice of erroneous invoices (300) after the invoices
 * it names. Every other message of a seller waits only for these.
 */
const BARRIER_TYPES: ReadonlySet<number> = new Set([100, 101, 300]);
/** Answers about one invoice each: pushed to the seller without waiting for each other (see the header). */
const INVOICE_ANSWER_TYPES: ReadonlySet<number> = new Set([202, 204]);

/** The sellers and providers that have sent the T-VAN an accepted message (`sender` column). */
const CONNECTED_PARTIES =
  "select distinct sender from tvan.message where kind = 'seller' and status = 'accepted' and sender <> ''";
