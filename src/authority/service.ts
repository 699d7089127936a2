/**
 * The tax authority's e-invoice system (Decree 123/2020, Circular 78/2021, QĐ 1450/1510): it receives TDiep
 * messages from taxpayers and T-VANs, answers each with a 999 technical receipt and the business replies,
 * and keeps the registry, the coded and no-code invoice data, and the notices.
 *
 * `receive(bytes)`:
 * 1. During a maintenance window: `{ status: "unavailable", until }`, nothing stored.
 * 2. The envelope is read (inspectMessage). Unreadable (no message id): a −1 reply, kept in the inbox
 *    without an id. Readable but wrong: a 999 with TTTNhan 1 and the errors.
 * 3. The same MTDiep received before: the stored 999 and replies, byte for byte (also when both arrive at
 *    once: the inbox's unique message id decides, the loser returns the winner's answer).
 * 4. Routed by MLTDiep; replies are built and signed before the transaction, then the inbox row, the
 *    outbox rows and the data are written in one transaction (all or nothing).
 *
 * Registration rules (100/101 → 102 → 103), decided at once (well inside the 1-working-day limit):
 * - 102 "not received" when the declaration cannot be read, its MST differs from the message's, or the
 *   taxpayer is not in the registry.
 * - 103 refused when the taxpayer is stopped (any cause of `STOP_CAUSES`).
 * - 103 refused when it asks for invoices without a code while the taxpayer is high-risk or already bound to
 *   coded invoices; the taxpayer is then bound to coded invoices (`coded_only`).
 * - Otherwise 103 accepted; the registration (forms, certificates not marked "stop") is the one in force.
 * The forced switch of a high-risk taxpayer is an admin act (`requireCodedInvoices`) that sends a 105.
 *
 * Code issuance (200 → 202 or 204), the four checks of Decree 123 art. 17.2 (seed 002) plus the rules:
 * - matches the registration: an accepted registration with coded invoices, MST of message = seller, a
 *   coded series (C…), the seller's certificate among those registered;
 * - right format: the invoice reader's problems;
 * - complete content: `validateInvoice(…, { stage: "issued" })`;
 * - taxpayer not stopped (a business-suspended taxpayer with a recorded exception contract signed before the
 *   suspension may still be coded);
 * - the seller's signature verifies (fast path), and the invoice was not coded before.
 */
import { randomBytes } from "node:crypto";
import { type Kysely, type Selectable, sql, type Transaction } from "kysely";
import { vietnamCalendar, type WorkingCalendar } from "../domain/calendar.ts";
import type { Clock } from "../domain/clock.ts";
import { Dec } from "../domain/decimal.ts";
import type { Invoice } from "../domain/invoice.ts";
import { fail, makeProblem, ok, type Problem, type Result } from "../domain/problem.ts";
import { validateInvoice } from "../domain/validate.ts";
import {
  inspectMessage,
  isMessageId,
  isPartyCode,
  type MessageHeader,
  type MessageInspection,
  newMessageId,
  writeMessage,
} from "../format/envelope.ts";
import { CHECK_RESULT_FORM, type CheckResult, writeCheckResult } from "../format/forms/check-result.ts";
import type { Reason } from "../format/forms/common.ts";
import {
  ERROR_NOTICE_ANSWER_FORM,
  type ErrorNoticeAnswerInvoice,
  REVIEW_NOTICE_FORM,
  type ReviewInvoice,
  readErrorNotice,
  writeErrorNoticeAnswer,
  writeReviewNotice,
} from "../format/forms/error-notice.ts";
import { PER_OCCURRENCE_RESULT_FORM, writePerOccurrenceResult } from "../format/forms/per-occurrence.ts";
import { writeTechnicalReceipt } from "../format/forms/receipt.ts";
import {
  CODE_REQUIREMENT_FORM,
  REGISTRATION_DECISION_FORM,
  REGISTRATION_RECEIPT_FORM,
  type Registration,
  readRegistration,
  writeCodeRequirementNotice,
  writeRegistrationDecision,
  writeRegistrationReceipt,
} from "../format/forms/registration.ts";
import { readSummaryTable } from "../format/forms/summary-table.ts";
import { readInvoice } from "../format/invoice.ts";
import { type MessageTypeCode, messageTypeInfo } from "../format/messages.ts";
import { signAs } from "../signing/profiles.ts";
import type { Signer } from "../signing/signer.ts";
import { type VerifyOptions, verifyDocument } from "../signing/verify.ts";
import type { Database } from "../store/database.ts";
import { inTransaction } from "../store/transaction.ts";
import { authorityCodes } from "./codes.ts";
import { makeAuthorityCode } from "./mccqt.ts";
import type { AuthorityDb, InboxState, StopCause, TaxpayerTable } from "./schema.ts";
import { errorsOnly, isUniqueViolation, reasonOf, vnDate, vnDateTime } from "./util.ts";

// ---------------------------------------------------------------------------------------------------------
// Configuration and results

export interface AuthorityConfig {
  /** The authority's party code in MNGui/MNNhan. Default "TCT". */
  readonly partyCode?: string;
  /** First 2 characters of every MCCQT. Default "00". */
  readonly codeIssuer?: string;
  /** HMAC key of the MCCQT (≥16 bytes; keep it secret and stable). */
  readonly codeSecret: Uint8Array;
  /** PBan of the notices written. Default "2.1.0". */
  readonly version?: string;
  /** DDanh of notices. Default "Hà Nội". */
  readonly place?: string;
  /** TCQT / TCQTCTren of notices. */
  readonly authorityName?: string;
  readonly parentAuthorityName?: string;
  /** HThuc / CDanh of signed notices. */
  readonly signerCapacity?: string;
  readonly signerTitle?: string;
}

export interface AuthorityPorts {
  readonly db: Database;
  readonly clock: Clock;
  /** Signs as the authority (DSCKS/CQT); a signer pool may be given. */
  readonly signer: Signer;
  /** Trust store and options for the seller signatures (`now` is taken from the clock). */
  readonly verify?: Omit<VerifyOptions, "now">;
  readonly calendar?: WorkingCalendar;
  readonly config: AuthorityConfig;
  /** 32 random hex digits for message ids (tests may fix it). */
  readonly randomHex?: () => string;
}

/** A reply the authority sent (also kept in the outbox). */
export interface SentMessage {
  readonly type: number;
  readonly messageId: string;
  readonly xml: string;
}

export type ReceiveResult =
  | {
      readonly status: "ok";
      /** The 999 (or −1) message answering the one received. */
      readonly receipt: string;
      /** Business replies (102, 103, 202, 204, 205, 301…), in order; empty when none yet. */
      readonly replies: readonly string[];
      /** True when this message id had been received before (the stored answer is returned). */
      readonly duplicate: boolean;
      /** The received message's id, when it could be read. */
      readonly messageId?: string;
    }
  | {
      readonly status: "unavailable";
      /** End of the maintenance window: try again from then on (HTTP 503, Retry-After). */
      readonly until: Date;
      readonly reason: string;
      readonly problem: Problem;
    };

export interface TaxpayerInput {
  readonly taxCode: string;
  readonly name: string;
  /** High tax risk (Decree 123 art. 91.2 a): no-code invoices are refused. */
  readonly highRisk?: boolean;
}

export interface Taxpayer {
  readonly taxCode: string;
  readonly name: string;
  readonly status: "active" | "stopped";
  readonly stopCause: StopCause | null;
  readonly stopNote: string | null;
  readonly stoppedAt: Date | null;
  readonly resumedAt: Date | null;
  readonly highRisk: boolean;
  readonly codedOnly: boolean;
}

/** A message the authority sent, as stored. */
export interface StoredReply {
  readonly messageId: string;
  readonly type: number;
  readonly createdAt: Date;
  /** The TDiep as sent. */
  readonly xml: string;
}

export interface MaintenanceWindow {
  readonly id: string;
  readonly startsAt: Date;
  readonly endsAt: Date;
  readonly reason: string;
}

export interface InvoiceKey {
  readonly sellerTaxCode: string;
  readonly template: string;
  readonly series: string;
  readonly number: string;
}

export interface PublicLookupInput extends InvoiceKey {
  /** Total payable as written on the invoice (TgTTTBSo), e.g. "1250000". */
  readonly total: string;
}

export interface CodedInvoiceSummary extends InvoiceKey {
  readonly authorityCode: string;
  readonly buyerTaxCode: string | null;
  readonly total: string;
  readonly issueDate: string;
  readonly codedAt: Date;
}

export interface CodedInvoiceDetail extends CodedInvoiceSummary {
  readonly id: string;
  readonly messageId: string;
  /** The coded invoice (seller's and authority's signatures), byte-exact. */
  readonly xml: string;
}

export interface BuyerPage {
  readonly items: CodedInvoiceSummary[];
  /** Pass as `after` for the next page; absent on the last page. */
  readonly next?: string;
}

export interface ReviewNoticeInput {
  readonly taxCode: string;
  /** Party code of the receiver (the taxpayer's T-VAN `V…`, or `K`+MST). */
  readonly to: string;
  readonly taxpayerAddress: string;
  readonly email?: string;
  readonly invoices: readonly ReviewInvoice[];
  /** Working days the taxpayer has to answer with a 04/SS-HĐĐT. Default 2 (Decree 123 art. 19.3). */
  readonly deadlineDays?: number;
  readonly round?: number;
}

const PARTY_VERSION = "2.1.0";
const TAX_CODE = /^\d{10}(?:-?\d{3})?$/;
const SUPPORTED = new Set<number>([100, 101, 200, 201, 203, 206, 300, 400]);
const STOP_CAUSE_VI: Record<StopCause, string> = {
  tax_code_terminated: "chấm dứt hiệu lực mã số thuế",
  not_at_registered_address: "không hoạt động tại địa chỉ đã đăng ký",
  business_suspended: "tạm ngừng kinh doanh",
  tax_debt_enforcement: "cưỡng chế nợ thuế",
  other: "trường hợp khác",
};

function problem(code: keyof typeof authorityCodes, path: string, params?: Record<string, string>): Problem {
  return makeProblem(authorityCodes, code, path, params);
}

/** What the processing of one message decided, before anything is written. */
interface Reply {
  type: number;
  messageId: string;
  xml: string;
  to: string;
  taxCode?: string;
}

/** A coded invoice to store with the 202 (see #commitCoded). */
interface CodedInsert {
  sellerTaxCode: string;
  template: string;
  series: string;
  number: string;
  code: string;
  xml: string;
  buyerTaxCode: string | null;
  total: string;
  issueDate: string;
}

interface Outcome {
  state: InboxState;
  replies: Reply[];
  coded?: CodedInsert;
  write?: (trx: Transaction<AuthorityDb>) => Promise<void>;
}

interface Party {
  exists: boolean;
  name: string | null;
  status: "active" | "stopped" | null;
  stopCause: StopCause | null;
  codedOnly: boolean;
  highRisk: boolean;
  hasException: boolean;
  withCode: boolean;
  withoutCode: boolean;
  cashRegister: boolean;
  registered: boolean;
  certificates: string[];
  /** The invoice asked about was coded before / received as no-code data before. */
  codedDup: boolean;
  noCodeDup: boolean;
}

type CheckMode = "coded" | "no_code" | "cash_register" | "per_occurrence";

interface Checked {
  invoice: Invoice | undefined;
  problems: Problem[];
}

// ---------------------------------------------------------------------------------------------------------

export class AuthorityService {
  readonly #db: Kysely<AuthorityDb>;
  readonly #clock: Clock;
  readonly #signer: Signer;
  readonly #verify: Omit<VerifyOptions, "now">;
  readonly #calendar: WorkingCalendar;
  readonly #party: string;
  readonly #issuer: string;
  readonly #secret: Uint8Array;
  readonly #version: string;
  readonly #config: AuthorityConfig;
  readonly #randomHex: () => string;

  constructor(ports: AuthorityPorts) {
    this.#db = ports.db.kysely<AuthorityDb>("authority");
    this.#clock = ports.clock;
    this.#signer = ports.signer;
    this.#verify = ports.verify ?? {};
    this.#calendar = ports.calendar ?? vietnamCalendar;
    this.#config = ports.config;
    this.#party = ports.config.partyCode ?? "TCT";
    this.#issuer = ports.config.codeIssuer ?? "00";
    this.#secret = ports.config.codeSecret;
    this.#version = ports.config.version ?? PARTY_VERSION;
    this.#randomHex = ports.randomHex ?? (() => randomBytes(16).toString("hex"));
    // Fail early on a bad issuer or secret (configuration bugs).
    makeAuthorityCode(this.#secret, this.#issuer, {
      sellerTaxCode: "",
      template: "",
      series: "",
      number: "",
      messageId: "",
    });
  }

  /** The authority's party code ("TCT"). */
  get partyCode(): string {
    return this.#party;
  }

  // -------------------------------------------------------------------------------------------------------
  // Receiving

  /** Receives one TDiep message (see the module notes). Never throws for bad input. */
  async receive(input: Uint8Array | string): Promise<ReceiveResult> {
    const now = this.#clock.now();
    const raw = toBuffer(input);
    const m = inspectMessage(raw);
    const id = m.header.messageId;
    const knownId = id !== undefined && isMessageId(id) ? id : undefined;
    // One round trip: an open maintenance window, and whether this message id was answered before.
    const gate = await sql<{ ends_at: Date | null; reason: string | null; answered: boolean }>`
      select w.ends_at, w.reason,
             exists (select 1 from authority.inbox where message_id = ${knownId ?? null}::text) as answered
        from (select 1) one
        left join lateral (select ends_at, reason from authority.maintenance_window
                            where starts_at <= ${now} and ends_at > ${now}
                            order by ends_at desc limit 1) w on true`.execute(this.#db);
    const g = gate.rows[0];
    if (g?.ends_at) {
      return {
        status: "unavailable",
        until: g.ends_at,
        reason: g.reason ?? "",
        problem: problem("AUTHORITY_UNAVAILABLE", "/", { until: vnDateTime(g.ends_at) }),
      };
    }
    if (knownId && g?.answered) {
      const prior = await this.#stored(knownId);
      if (prior) return prior;
    }
    if (!knownId) return this.#unreadable(raw, m, now);

    const problems = errorsOnly(m.problems);
    if (problems.length === 0 && m.header.receiver !== this.#party) {
      problems.push(
        problem("AUTHORITY_WRONG_RECEIVER", "/TDiep/TTChung/MNNhan", {
          value: m.header.receiver ?? "",
          expected: this.#party,
        }),
      );
    }
    if (problems.length === 0 && m.header.type !== undefined && !SUPPORTED.has(m.header.type)) {
      problems.push(
        problem("AUTHORITY_UNSUPPORTED_TYPE", "/TDiep/TTChung/MLTDiep", { type: String(m.header.type) }),
      );
    }
    const header = m.header as MessageHeader;
    for (let attempt = 0; attempt < 4; attempt++) {
      const outcome: Outcome =
        problems.length > 0 ? { state: "refused", replies: [] } : await this.#route(header, m, now, attempt);
      const receipt = this.#receipt(header, knownId, now, problems);
      try {
        const done = outcome.coded
          ? await this.#commitCoded(raw, header, knownId, now, receipt, outcome, outcome.coded)
          : await this.#commit(raw, header, knownId, now, receipt, outcome);
        if (done === "duplicate") break;
        return {
          status: "ok",
          receipt,
          replies: outcome.replies.map((r) => r.xml),
          duplicate: false,
          messageId: knownId,
        };
      } catch (error) {
        // Another message coded the same invoice, or an MCCQT collided: route again (the checks now see it).
        if (!isUniqueViolation(error)) throw error;
      }
    }
    const prior = await this.#stored(knownId);
    if (!prior) throw new Error(`message ${knownId} neither stored nor storable`);
    return prior;
  }

  /** Writes the inbox row, outbox rows and data; "duplicate" when the message id was stored meanwhile. */
  async #commit(
    raw: Buffer,
    header: MessageHeader,
    messageId: string,
    now: Date,
    receipt: string,
    outcome: Outcome,
  ): Promise<"stored" | "duplicate"> {
    return inTransaction(this.#db, async (trx) => {
      const row = await trx
        .insertInto("inbox")
        .values({
          message_id: messageId,
          sender: header.sender ?? null,
          type: header.type ?? null,
          tax_code: header.taxCode ?? null,
          received_at: now,
          raw,
          receipt,
          state: outcome.state,
        })
        .onConflict((oc) => oc.column("message_id").doNothing())
        .returning("id")
        .executeTakeFirst();
      if (!row) return "duplicate";
      if (outcome.replies.length > 0) {
        await trx
          .insertInto("outbox")
          .values(
            outcome.replies.map((r) => ({
              message_id: r.messageId,
              to_party: r.to,
              reply_to: messageId,
              type: r.type,
              tax_code: r.taxCode ?? null,
              xml: r.xml,
              created_at: now,
            })),
          )
          .execute();
      }
      if (outcome.write) await outcome.write(trx);
      return "stored";
    });
  }

  /**
   * The commit of a coded invoice in one statement (one round trip, atomic without BEGIN/COMMIT): the inbox
   * row, and only if it was new, the outbox rows and the coded invoice.
   */
  async #commitCoded(
    raw: Buffer,
    header: MessageHeader,
    messageId: string,
    now: Date,
    receipt: string,
    outcome: Outcome,
    c: CodedInsert,
  ): Promise<"stored" | "duplicate"> {
    const out = outcome.replies.map(
      (r) =>
        sql`(${r.messageId}::text, ${r.to}::text, ${messageId}::text, ${r.type}::integer, ${r.taxCode ?? null}::text, ${r.xml}::text, ${now}::timestamptz)`,
    );
    const r = await sql<{ n: number }>`
      with i as (
        insert into authority.inbox (message_id, sender, type, tax_code, received_at, raw, receipt, state)
        values (${messageId}, ${header.sender ?? null}, ${header.type ?? null}, ${header.taxCode ?? null}, ${now},
                ${raw}, ${receipt}, ${outcome.state})
        on conflict (message_id) do nothing
        returning id),
      o as (
        insert into authority.outbox (message_id, to_party, reply_to, type, tax_code, xml, created_at)
        select v.* from (values ${sql.join(out)}) v, i
        returning 1),
      c as (
        insert into authority.coded_invoice (seller_tax_code, template, series, number, authority_code, message_id,
                                             xml, buyer_tax_code, total, issue_date, coded_at)
        select ${c.sellerTaxCode}::text, ${c.template}::text, ${c.series}::text, ${c.number}::text, ${c.code}::text,
               ${messageId}::text, ${c.xml}::text, ${c.buyerTaxCode}::text, ${c.total}::numeric, ${c.issueDate}::date,
               ${now}::timestamptz
          from i
        returning 1)
      select (select count(*) from i)::integer as n`.execute(this.#db);
    return r.rows[0]?.n === 1 ? "stored" : "duplicate";
  }

  async #stored(messageId: string): Promise<ReceiveResult | undefined> {
    const row = await this.#db
      .selectFrom("inbox")
      .select(["receipt"])
      .where("message_id", "=", messageId)
      .executeTakeFirst();
    if (!row) return undefined;
    const replies = await this.#db
      .selectFrom("outbox")
      .select("xml")
      .where("reply_to", "=", messageId)
      .orderBy("id")
      .execute();
    return {
      status: "ok",
      receipt: row.receipt,
      replies: replies.map((r) => r.xml),
      duplicate: true,
      messageId,
    };
  }

  async #unreadable(raw: Uint8Array, m: MessageInspection, now: Date): Promise<ReceiveResult> {
    const reasons = m.problems.map(reasonOf);
    const sender = m.header.sender;
    const receipt = writeMessage(
      {
        version: this.#version,
        sender: this.#party,
        // Answered on the same connection; MNNhan is the sender when its code could be read.
        receiver: sender !== undefined && isPartyCode(sender) ? sender : this.#party,
        type: -1 as MessageTypeCode,
        messageId: this.#newId(),
        count: 1,
        ...(m.header.taxCode !== undefined && TAX_CODE.test(m.header.taxCode)
          ? { taxCode: m.header.taxCode }
          : {}),
      },
      writeTechnicalReceipt({
        ...(sender !== undefined ? { sender } : {}),
        receivedAt: vnDateTime(now),
        status: 1,
        reasons: reasons.length > 0 ? reasons : [{ code: "1001", description: "Không đọc được thông điệp" }],
      }),
    );
    await this.#db
      .insertInto("inbox")
      .values({
        message_id: null,
        sender: sender ?? null,
        type: m.header.type ?? null,
        tax_code: m.header.taxCode ?? null,
        received_at: now,
        raw,
        receipt,
        state: "refused",
      })
      .execute();
    return { status: "ok", receipt, replies: [], duplicate: false };
  }

  #receipt(header: MessageHeader, messageId: string, now: Date, problems: readonly Problem[]): string {
    // Back to the sender; when MNGui is unusable, to the party that made the message id (its prefix).
    const sender = header.sender;
    const receiver = sender !== undefined && isPartyCode(sender) ? sender : messageId.slice(0, -32);
    return writeMessage(
      {
        version: header.version !== undefined && header.version.length <= 6 ? header.version : this.#version,
        sender: this.#party,
        receiver,
        type: 999,
        messageId: this.#newId(),
        replyTo: messageId,
        ...(header.taxCode !== undefined && TAX_CODE.test(header.taxCode) ? { taxCode: header.taxCode } : {}),
        count: 1,
      },
      writeTechnicalReceipt({
        messageId,
        ...(header.sender !== undefined ? { sender: header.sender } : {}),
        receivedAt: vnDateTime(now),
        status: problems.length > 0 ? 1 : 0,
        ...(problems.length > 0 ? { reasons: problems.map(reasonOf) } : {}),
      }),
    );
  }

  #newId(): string {
    return newMessageId(this.#party, this.#randomHex);
  }

  /** Signs a notice or invoice as the authority and wraps it in a TDiep to `to`. */
  async #message(
    type: number,
    to: string,
    taxCode: string | undefined,
    payload: string,
    now: Date,
    replyTo?: string,
  ): Promise<{ type: number; messageId: string; xml: string; to: string; taxCode?: string }> {
    const signed = await signAs(payload, this.#signer, "authority", { signingTime: now });
    if (!signed.ok) throw new Error(`cannot sign ${type}: ${signed.problems.map((p) => p.code).join(", ")}`);
    const messageId = this.#newId();
    const xml = writeMessage(
      {
        version: this.#version,
        sender: this.#party,
        receiver: to,
        type: type as MessageTypeCode,
        messageId,
        ...(replyTo !== undefined ? { replyTo } : {}),
        ...(taxCode !== undefined ? { taxCode } : {}),
        count: 1,
      },
      signed.value.xml,
    );
    return { type, messageId, xml, to, ...(taxCode !== undefined ? { taxCode } : {}) };
  }

  #noticeId(): string {
    return `TB-${this.#randomHex().slice(0, 16).toUpperCase()}`;
  }

  #common(now: Date) {
    return {
      version: this.#version,
      place: this.#config.place ?? "Hà Nội",
      signatures: [{ name: "CQT", xml: "" }],
      date: vnDate(now),
    };
  }

  // -------------------------------------------------------------------------------------------------------
  // Routing

  async #route(h: MessageHeader, m: MessageInspection, now: Date, attempt: number): Promise<Outcome> {
    switch (h.type) {
      case 100:
      case 101:
        return this.#registration(h, m, now);
      case 200:
        return this.#coding(h, m, now, attempt);
      case 203:
        return this.#noCode(h, m, now, "no_code");
      case 206:
        return this.#noCode(h, m, now, "cash_register");
      case 201:
        return this.#perOccurrence(h, m, now);
      case 300:
        return this.#errorNotice(h, m, now);
      case 400:
        return this.#summaryTable(h, m, now);
      default:
        return { state: "refused", replies: [] };
    }
  }

  #payloadText(m: MessageInspection, i: number): string {
    const p = m.payloads[i];
    if (!p || !m.parsed) throw new Error(`no payload ${i}`);
    return m.parsed.source.slice(p.start, p.end);
  }

  /** The taxpayer, its registration in force, and (given `key`) whether that invoice was stored before. */
  async #partyOf(
    taxCode: string,
    key?: { template: string; series: string; number: string },
    db: Kysely<AuthorityDb> = this.#db,
  ): Promise<Party> {
    const r = await sql<{
      name: string | null;
      status: "active" | "stopped" | null;
      stop_cause: StopCause | null;
      coded_only: boolean | null;
      high_risk: boolean | null;
      has_exception: boolean;
      with_code: boolean | null;
      without_code: boolean | null;
      cash_register: boolean | null;
      certificates: string[] | null;
      coded_dup: boolean;
      nocode_dup: boolean;
    }>`select t.name, t.status, t.stop_cause, t.coded_only, t.high_risk,
          exists (select 1 from authority.exception_contract c
                  where c.tax_code = t.tax_code and t.stopped_at is not null
                    and c.signed_on < (t.stopped_at at time zone 'Asia/Ho_Chi_Minh')::date) as has_exception,
          r.with_code, r.without_code, r.cash_register, r.certificates,
          exists (select 1 from authority.coded_invoice d
                   where d.seller_tax_code = k.tax_code and d.template = ${key?.template ?? null}::text
                     and d.series = ${key?.series ?? null}::text and d.number = ${key?.number ?? null}::text) as coded_dup,
          exists (select 1 from authority.nocode_invoice d
                   where d.seller_tax_code = k.tax_code and d.template = ${key?.template ?? null}::text
                     and d.series = ${key?.series ?? null}::text and d.number = ${key?.number ?? null}::text) as nocode_dup
        from (select ${taxCode}::text as tax_code) k
        left join authority.taxpayer t on t.tax_code = k.tax_code
        left join lateral (select with_code, without_code, cash_register, certificates
                             from authority.registration g
                            where g.tax_code = k.tax_code and g.status = 'accepted'
                            order by g.id desc limit 1) r on true`.execute(db);
    const row = r.rows[0];
    return {
      exists: row?.status != null,
      name: row?.name ?? null,
      status: row?.status ?? null,
      stopCause: row?.stop_cause ?? null,
      codedOnly: row?.coded_only === true,
      highRisk: row?.high_risk === true,
      hasException: row?.has_exception === true,
      withCode: row?.with_code === true,
      withoutCode: row?.without_code === true,
      cashRegister: row?.cash_register === true,
      registered: row?.with_code != null,
      certificates: row?.certificates ?? [],
      codedDup: row?.coded_dup === true,
      noCodeDup: row?.nocode_dup === true,
    };
  }

  /** The "taxpayer not stopped" check; a suspended business with an earlier contract is let through. */
  #stoppedProblem(party: Party, taxCode: string, path: string): Problem | undefined {
    if (party.status !== "stopped" || !party.stopCause) return undefined;
    if (party.stopCause === "business_suspended" && party.hasException) return undefined;
    return problem("AUTHORITY_TAXPAYER_STOPPED", path, { taxCode, cause: STOP_CAUSE_VI[party.stopCause] });
  }

  // 100/101 -------------------------------------------------------------------------------------------

  async #registration(h: MessageHeader, m: MessageInspection, now: Date): Promise<Outcome> {
    const text = this.#payloadText(m, 0);
    const read = readRegistration(m.payloads[0]!, { source: m.parsed!.source, path: "/TDiep/DLieu/TKhai" });
    const taxCode = h.taxCode ?? "";
    const party = await this.#partyOf(taxCode);
    const notReceived: Problem[] = read.ok ? [] : errorsOnly(read.problems);
    const reg: Registration | undefined = read.ok ? read.value : undefined;
    if (reg && reg.taxCode !== taxCode) {
      notReceived.push(
        problem("AUTHORITY_TAX_CODE_MISMATCH", "/TDiep/DLieu/TKhai/DLTKhai/TTChung/MST", {
          found: reg.taxCode,
          expected: taxCode,
        }),
      );
    }
    if (!party.exists)
      notReceived.push(problem("AUTHORITY_UNKNOWN_TAXPAYER", "/TDiep/TTChung/MST", { taxCode }));
    if (reg) {
      // The declaration is signed by the taxpayer (DSCKS/NNT) with a certificate of its own tax code.
      const sig = verifyDocument(text, { ...this.#verify, now, taxCodes: { seller: taxCode } }).find(
        (r) => r.slot === "NNT",
      );
      if (!sig?.valid) {
        notReceived.push(
          problem("AUTHORITY_SELLER_SIGNATURE", "/TDiep/DLieu/TKhai/DSCKS/NNT", {
            reason: sig ? (errorsOnly(sig.problems)[0]?.code ?? "invalid") : "không có chữ ký / no signature",
          }),
        );
      }
    }
    const change = (reg?.kind ?? (h.type === 101 ? 2 : 1)) === 2;
    const name = party.name ?? reg?.taxpayerName ?? taxCode;
    const base = this.#common(now);
    const receipt102 = writeRegistrationReceipt({
      ...base,
      id: this.#noticeId(),
      form: REGISTRATION_RECEIPT_FORM,
      title:
        "Thông báo về việc tiếp nhận/không tiếp nhận tờ khai đăng ký/thay đổi thông tin sử dụng hóa đơn điện tử",
      taxCode,
      taxpayerName: name,
      number: this.#noticeId(),
      declarationName: "Tờ khai đăng ký/thay đổi thông tin sử dụng hóa đơn điện tử",
      transactionId: h.messageId,
      sentAt: vnDateTime(now),
      case: notReceived.length > 0 ? (change ? 4 : 2) : change ? 3 : 1,
      ...(notReceived.length > 0 ? { reasons: notReceived.map(reasonOf) } : { receivedAt: vnDateTime(now) }),
    });
    const replies = [await this.#message(102, h.sender, taxCode, receipt102, now, h.messageId)];
    if (notReceived.length > 0 || !reg) return { state: "refused", replies };

    const refusal: Problem[] = [];
    const stopped = this.#stoppedProblem({ ...party, hasException: false }, taxCode, "/TDiep/TTChung/MST");
    if (stopped) refusal.push(stopped);
    const wantsNoCode = reg.invoiceForms.withoutCode;
    const bindCoded = wantsNoCode && (party.highRisk || party.codedOnly);
    if (bindCoded) {
      refusal.push(
        problem("AUTHORITY_CODED_ONLY", "/TDiep/DLieu/TKhai/DLTKhai/NDTKhai/HTHDon/KCMa", { taxCode }),
      );
    }
    const accepted = refusal.length === 0;
    const decision = writeRegistrationDecision({
      ...base,
      id: this.#noticeId(),
      form: REGISTRATION_DECISION_FORM,
      title: "Thông báo về việc chấp nhận/không chấp nhận đăng ký/thay đổi thông tin sử dụng hóa đơn điện tử",
      taxCode,
      taxpayerName: name,
      parentAuthority: this.#config.parentAuthorityName ?? "Tổng cục Thuế",
      authority: this.#config.authorityName ?? "Cục Thuế",
      registeredOn: reg.date,
      registrationKind: change ? 2 : 1,
      status: accepted ? 1 : 2,
      signerCapacity: this.#config.signerCapacity ?? "KT. Cục trưởng",
      signerTitle: this.#config.signerTitle ?? "Phó Cục trưởng",
      ...(accepted ? {} : { reasons: refusal.map(reasonOf) }),
    });
    replies.push(await this.#message(103, h.sender, taxCode, decision, now, h.messageId));
    const certificates = reg.certificates.filter((c) => c.action !== 3).map((c) => c.serial.toUpperCase());
    return {
      state: accepted ? "processed" : "refused",
      replies,
      write: async (trx) => {
        await trx
          .insertInto("registration")
          .values({
            tax_code: taxCode,
            message_id: h.messageId,
            kind: change ? 2 : 1,
            with_code: reg.invoiceForms.withCode,
            without_code: reg.invoiceForms.withoutCode,
            cash_register: reg.invoiceForms.cashRegister === true,
            status: accepted ? "accepted" : "refused",
            certificates,
            reasons: accepted ? null : refusal.map((p) => p.code).join(","),
            xml: text,
            decided_at: now,
          })
          .execute();
        if (bindCoded && !party.codedOnly) {
          await trx
            .updateTable("taxpayer")
            .set({ coded_only: true, coded_only_since: now, updated_at: now })
            .where("tax_code", "=", taxCode)
            .execute();
        }
      },
    };
  }

  // Invoice checks ------------------------------------------------------------------------------------

  async #checkInvoice(text: string, h: MessageHeader, mode: CheckMode, path: string): Promise<Checked> {
    const read = readInvoice(text);
    const problems: Problem[] = errorsOnly(read.problems);
    const inv = read.invoice;
    if (!inv) return { invoice: undefined, problems };
    const taxCode = h.taxCode ?? "";
    const seller = inv.seller.taxCode ?? "";
    if (seller !== taxCode) {
      problems.push(
        problem("AUTHORITY_TAX_CODE_MISMATCH", `${path}/DLHDon/NDHDon/NBan/MST`, {
          found: seller,
          expected: taxCode,
        }),
      );
    }
    const series = inv.header.series ?? "";
    const wantsCode = mode !== "no_code";
    if (mode !== "per_occurrence" && (series.startsWith("C") !== wantsCode || series === "")) {
      problems.push(
        problem("AUTHORITY_NOT_CODED_SERIES", `${path}/DLHDon/TTChung/KHHDon`, {
          series,
          what: wantsCode ? "có mã / with-code" : "không mã / no-code",
        }),
      );
    }
    // Complete content (the domain rules; a coded series has no MCCQT yet at this stage).
    problems.push(...errorsOnly(validateInvoice(inv, { stage: "issued" })));

    const number = inv.header.number;
    const party = await this.#partyOf(
      taxCode,
      number !== undefined ? { template: inv.header.template, series, number } : undefined,
    );
    if (!party.exists) {
      problems.push(problem("AUTHORITY_UNKNOWN_TAXPAYER", "/TDiep/TTChung/MST", { taxCode }));
    } else {
      const stopped = this.#stoppedProblem(party, taxCode, "/TDiep/TTChung/MST");
      if (stopped) problems.push(stopped);
      if (mode !== "per_occurrence") {
        const registered =
          mode === "coded" ? party.withCode : mode === "no_code" ? party.withoutCode : party.cashRegister;
        if (!registered) {
          problems.push(
            problem("AUTHORITY_NOT_REGISTERED", "/TDiep/TTChung/MST", {
              taxCode,
              what:
                mode === "coded"
                  ? "hóa đơn có mã / coded invoices"
                  : mode === "no_code"
                    ? "hóa đơn không có mã / no-code invoices"
                    : "hóa đơn máy tính tiền / cash-register invoices",
            }),
          );
        }
      }
      if (mode === "no_code" && party.codedOnly) {
        problems.push(problem("AUTHORITY_CODED_ONLY", "/TDiep/TTChung/MST", { taxCode }));
      }
    }
    // The seller's signature (cash-register invoices need none, Decree 123 art. 11.3.b).
    if (mode !== "cash_register") {
      const reports = verifyDocument(text, { ...this.#verify, now: this.#clock.now() });
      const sellers = reports.filter((r) => r.slot === "NBan");
      const bad = sellers.find((r) => !r.valid);
      if (sellers.length === 0 || bad) {
        const first = bad ? errorsOnly(bad.problems)[0] : undefined;
        problems.push(
          problem("AUTHORITY_SELLER_SIGNATURE", `${path}/DSCKS/NBan`, {
            reason: sellers.length === 0 ? "không có chữ ký / no signature" : (first?.code ?? "invalid"),
          }),
        );
      } else if (mode === "coded" && party.registered) {
        const serial = sellers[0]?.serialNumber?.toUpperCase().replace(/^0+/, "") ?? "";
        const known = party.certificates.some((c) => c.replace(/^0+/, "") === serial);
        if (!known) {
          problems.push(problem("AUTHORITY_CERTIFICATE_NOT_REGISTERED", `${path}/DSCKS/NBan`, { serial }));
        }
      }
    }
    if (number !== undefined) {
      const coded = mode === "coded" || mode === "per_occurrence";
      if (coded ? party.codedDup : party.noCodeDup) {
        problems.push(
          problem(coded ? "AUTHORITY_ALREADY_CODED" : "AUTHORITY_ALREADY_RECEIVED", path, { series, number }),
        );
      }
    }
    return { invoice: inv, problems };
  }

  async #checkResult(
    h: MessageHeader,
    now: Date,
    fill: Pick<
      CheckResult,
      | "noticeType"
      | "codeRefusal"
      | "noCodeInvoices"
      | "nonFuelTables"
      | "cashRegisterReasons"
      | "otherReasons"
    >,
    name?: string,
  ) {
    const info = messageTypeInfo(h.type);
    const taxCode = h.taxCode ?? "";
    const party = await this.#partyOf(taxCode);
    const xml = writeCheckResult({
      ...this.#common(now),
      id: this.#noticeId(),
      form: CHECK_RESULT_FORM,
      name: "Thông báo về việc kết quả kiểm tra dữ liệu hóa đơn điện tử",
      number: this.#noticeId(),
      taxCode,
      taxpayerName: party.name ?? name ?? taxCode,
      sentAt: vnDateTime(now),
      basis: info?.vi ?? String(h.type),
      transactionId: h.messageId,
      count: h.count ?? 1,
      ...fill,
    });
    return this.#message(204, h.sender, taxCode, xml, now, h.messageId);
  }

  // 200 -----------------------------------------------------------------------------------------------

  async #coding(h: MessageHeader, m: MessageInspection, now: Date, attempt: number): Promise<Outcome> {
    const text = this.#payloadText(m, 0);
    const { invoice: inv, problems } = await this.#checkInvoice(text, h, "coded", "/TDiep/DLieu/HDon");
    if (!inv || problems.length > 0 || inv.header.number === undefined) {
      const reply = await this.#checkResult(
        h,
        now,
        {
          noticeType: 1,
          codeRefusal: {
            template: inv?.header.template ?? "",
            series: inv?.header.series ?? "",
            number: inv?.header.number ?? "",
            date: inv?.header.issueDate ?? vnDate(now),
            reasons: problems.map(reasonOf),
          },
        },
        inv?.seller.name,
      );
      return { state: "refused", replies: [reply] };
    }
    const key = {
      sellerTaxCode: inv.seller.taxCode ?? "",
      template: inv.header.template,
      series: inv.header.series,
      number: inv.header.number,
    };
    const code = makeAuthorityCode(this.#secret, this.#issuer, { ...key, messageId: h.messageId }, attempt);
    const coded = insertAuthorityCode(text, code);
    const reply = await this.#message(202, h.sender, h.taxCode, coded, now, h.messageId);
    // The coded invoice as sent back (with the CQT signature), byte-exact.
    const signedInvoice = extractPayload(reply.xml);
    return {
      state: "processed",
      replies: [reply],
      coded: {
        ...key,
        code,
        xml: signedInvoice,
        buyerTaxCode: inv.buyer?.taxCode ?? null,
        total: totalOf(inv),
        issueDate: inv.header.issueDate,
      },
    };
  }

  // 203 / 206 -----------------------------------------------------------------------------------------

  async #noCode(
    h: MessageHeader,
    m: MessageInspection,
    now: Date,
    mode: "no_code" | "cash_register",
  ): Promise<Outcome> {
    const good: Array<{ inv: Invoice; text: string }> = [];
    const bad: Array<{ inv: Invoice | undefined; problems: Problem[]; index: number }> = [];
    const seen = new Set<string>();
    for (let i = 0; i < m.payloads.length; i++) {
      const text = this.#payloadText(m, i);
      const c = await this.#checkInvoice(text, h, mode, `/TDiep/DLieu/HDon[${i + 1}]`);
      const k = c.invoice
        ? `${c.invoice.header.template}|${c.invoice.header.series}|${c.invoice.header.number}`
        : "";
      if (c.invoice && seen.has(k)) {
        c.problems.push(
          problem("AUTHORITY_ALREADY_RECEIVED", `/TDiep/DLieu/HDon[${i + 1}]`, {
            series: c.invoice.header.series,
            number: c.invoice.header.number ?? "",
          }),
        );
      }
      seen.add(k);
      if (c.invoice && c.problems.length === 0 && c.invoice.header.number !== undefined)
        good.push({ inv: c.invoice, text });
      else bad.push({ inv: c.invoice, problems: c.problems, index: i + 1 });
    }
    let reply: Reply;
    if (mode === "no_code") {
      reply = await this.#checkResult(
        h,
        now,
        bad.length === 0
          ? { noticeType: 2 }
          : {
              noticeType: 3,
              noCodeInvoices: bad.map((b) => ({
                index: b.index,
                template: b.inv?.header.template ?? "",
                series: b.inv?.header.series ?? "",
                number: b.inv?.header.number ?? "",
                reasons: b.problems.map(reasonOf),
              })),
            },
      );
    } else {
      const reasons: Reason[] = bad.flatMap((b) =>
        b.problems.map((p) => ({
          ...reasonOf(p),
          note: `HDon[${b.index}] ${b.inv?.header.series ?? ""} ${b.inv?.header.number ?? ""}`.trim(),
        })),
      );
      reply = await this.#checkResult(
        h,
        now,
        bad.length === 0 ? { noticeType: 2 } : { noticeType: 7, cashRegisterReasons: reasons },
      );
    }
    return {
      state: bad.length === 0 ? "processed" : "refused",
      replies: [reply],
      write: async (trx) => {
        if (good.length === 0) return;
        await trx
          .insertInto("nocode_invoice")
          .values(
            good.map(({ inv, text }) => ({
              seller_tax_code: inv.seller.taxCode ?? "",
              template: inv.header.template,
              series: inv.header.series,
              number: inv.header.number ?? "",
              message_id: h.messageId,
              kind: mode,
              xml: text,
              buyer_tax_code: inv.buyer?.taxCode ?? null,
              total: totalOf(inv),
              issue_date: inv.header.issueDate,
              received_at: now,
            })),
          )
          .execute();
      },
    };
  }

  // 201 -----------------------------------------------------------------------------------------------

  async #perOccurrence(h: MessageHeader, m: MessageInspection, now: Date): Promise<Outcome> {
    const text = this.#payloadText(m, 0);
    const c = await this.#checkInvoice(text, h, "per_occurrence", "/TDiep/DLieu/HDon");
    const inv = c.invoice;
    if (!inv || c.problems.length > 0 || inv.header.number === undefined) {
      const reply = await this.#perOccurrenceResult(
        h.sender,
        h.taxCode ?? "",
        h.messageId,
        now,
        inv,
        c.problems,
      );
      return { state: "refused", replies: [reply] };
    }
    // Accepted for processing: the 205 comes once the tax on the sale is declared (recordTaxDeclaration).
    return {
      state: "awaiting",
      replies: [],
      write: async (trx) => {
        await trx
          .insertInto("per_occurrence")
          .values({
            message_id: h.messageId,
            seller_tax_code: inv.seller.taxCode ?? "",
            template: inv.header.template,
            series: inv.header.series,
            number: inv.header.number ?? "",
            xml: text,
            state: "awaiting_declaration",
            received_at: now,
          })
          .execute();
      },
    };
  }

  async #perOccurrenceResult(
    to: string,
    taxCode: string,
    messageId: string,
    now: Date,
    inv: Invoice | undefined,
    problems: readonly Problem[],
  ) {
    const party = await this.#partyOf(taxCode);
    const xml = writePerOccurrenceResult({
      ...this.#common(now),
      id: this.#noticeId(),
      form: PER_OCCURRENCE_RESULT_FORM,
      name: "Thông báo về việc kết quả kiểm tra hồ sơ đề nghị cấp hóa đơn điện tử có mã theo từng lần phát sinh",
      number: this.#noticeId(),
      taxCode,
      taxpayerName: party.name ?? inv?.seller.name ?? taxCode,
      sentAt: vnDateTime(now),
      basis: messageTypeInfo(201)?.vi ?? "201",
      transactionId: messageId,
      result: problems.length === 0 ? 1 : 0,
      ...(problems.length > 0 && inv
        ? {
            contentCheck: {
              template: inv.header.template,
              series: inv.header.series,
              number: inv.header.number ?? "",
              date: inv.header.issueDate,
              reasons: problems.map((p) => ({ content: reasonOf(p).description ?? "", advice: p.code })),
            },
          }
        : problems.length > 0
          ? {
              dossierReasons: problems.map((p) => ({
                content: reasonOf(p).description ?? "",
                advice: p.code,
              })),
            }
          : {}),
    });
    return this.#message(205, to, taxCode, xml, now, messageId);
  }

  // 300 -----------------------------------------------------------------------------------------------

  async #errorNotice(h: MessageHeader, m: MessageInspection, now: Date): Promise<Outcome> {
    const text = this.#payloadText(m, 0);
    const taxCode = h.taxCode ?? "";
    const read = readErrorNotice(m.payloads[0]!, { source: m.parsed!.source, path: "/TDiep/DLieu/TBao" });
    const party = await this.#partyOf(taxCode);
    const answers: ErrorNoticeAnswerInvoice[] = [];
    const whole: Problem[] = read.ok ? [] : errorsOnly(read.problems);
    if (!party.exists) whole.push(problem("AUTHORITY_UNKNOWN_TAXPAYER", "/TDiep/TTChung/MST", { taxCode }));
    if (read.ok) {
      const reports = verifyDocument(text, { ...this.#verify, now });
      const sig = reports.find((r) => r.slot === "NNT");
      if (!sig?.valid) {
        whole.push(
          problem("AUTHORITY_SELLER_SIGNATURE", "/TDiep/DLieu/TBao/DSCKS/NNT", {
            reason: sig ? (errorsOnly(sig.problems)[0]?.code ?? "invalid") : "không có chữ ký / no signature",
          }),
        );
      }
      for (const inv of read.value.invoices) {
        const found = await this.#knownInvoice(
          taxCode,
          inv.template,
          inv.series,
          inv.number,
          inv.authorityCode,
        );
        const reasons = found
          ? undefined
          : [
              reasonOf(
                problem("AUTHORITY_INVOICE_UNKNOWN", "/TDiep/DLieu/TBao", {
                  series: inv.series ?? "",
                  number: inv.number ?? "",
                }),
              ),
            ];
        answers.push({
          ...inv,
          status: found && whole.length === 0 ? 1 : 2,
          ...(reasons ? { reasons } : {}),
        });
      }
    }
    const accepted = whole.length === 0 && answers.every((a) => a.status === 1);
    const xml = writeErrorNoticeAnswer({
      ...this.#common(now),
      id: this.#noticeId(),
      form: ERROR_NOTICE_ANSWER_FORM,
      name: "Thông báo về việc tiếp nhận và kết quả xử lý về việc hóa đơn điện tử đã lập có sai sót",
      number: this.#noticeId(),
      authorityName: this.#config.authorityName ?? "Cục Thuế",
      superiorAuthorityName: this.#config.parentAuthorityName ?? "Tổng cục Thuế",
      taxpayerName: party.name ?? (read.ok ? read.value.taxpayerName : taxCode),
      taxCode,
      transactionId: h.messageId,
      receivedAt: vnDateTime(now),
      noticeIndex: 1,
      ...(whole.length > 0 ? { reasons: whole.map(reasonOf) } : {}),
      invoices: answers,
    });
    const reply = await this.#message(301, h.sender, taxCode, xml, now, h.messageId);
    const answersReview = read.ok && read.value.kind === 2;
    return {
      state: accepted ? "processed" : "refused",
      replies: [reply],
      write: async (trx) => {
        await trx
          .insertInto("error_notice")
          .values({ tax_code: taxCode, message_id: h.messageId, xml: text, accepted, received_at: now })
          .execute();
        if (answersReview && accepted) {
          await trx
            .updateTable("review_notice")
            .set({ answered_at: now })
            .where("tax_code", "=", taxCode)
            .where("answered_at", "is", null)
            .execute();
        }
      },
    };
  }

  async #knownInvoice(
    taxCode: string,
    template: string | undefined,
    series: string | undefined,
    number: string | undefined,
    authorityCode: string | undefined,
  ): Promise<boolean> {
    if (authorityCode) {
      const r = await this.#db
        .selectFrom("coded_invoice")
        .select("id")
        .where("authority_code", "=", authorityCode)
        .where("seller_tax_code", "=", taxCode)
        .executeTakeFirst();
      return r !== undefined;
    }
    if (!template || !series || !number) return false;
    for (const table of ["nocode_invoice", "coded_invoice"] as const) {
      const r = await this.#db
        .selectFrom(table)
        .select("id")
        .where("seller_tax_code", "=", taxCode)
        .where("template", "=", template)
        .where("series", "=", series)
        .where("number", "=", number)
        .executeTakeFirst();
      if (r) return true;
    }
    return false;
  }

  // 400 -----------------------------------------------------------------------------------------------

  async #summaryTable(h: MessageHeader, m: MessageInspection, now: Date): Promise<Outcome> {
    const text = this.#payloadText(m, 0);
    const taxCode = h.taxCode ?? "";
    const read = readSummaryTable(m.payloads[0]!, {
      source: m.parsed!.source,
      path: "/TDiep/DLieu/BTHDLieu",
    });
    const problems: Problem[] = read.ok ? [] : errorsOnly(read.problems);
    const party = await this.#partyOf(taxCode);
    if (!party.exists)
      problems.push(problem("AUTHORITY_UNKNOWN_TAXPAYER", "/TDiep/TTChung/MST", { taxCode }));
    else {
      const stopped = this.#stoppedProblem(party, taxCode, "/TDiep/TTChung/MST");
      if (stopped) problems.push(stopped);
      if (!party.withoutCode) {
        problems.push(
          problem("AUTHORITY_NOT_REGISTERED", "/TDiep/TTChung/MST", {
            taxCode,
            what: "hóa đơn không có mã / no-code invoices",
          }),
        );
      }
    }
    if (read.ok && read.value.header.taxCode !== taxCode) {
      problems.push(
        problem("AUTHORITY_TAX_CODE_MISMATCH", "/TDiep/DLieu/BTHDLieu/DLBTHop/TTChung/MST", {
          found: read.value.header.taxCode,
          expected: taxCode,
        }),
      );
    }
    if (read.ok) {
      const reports = verifyDocument(text, { ...this.#verify, now });
      const sig = reports.find((r) => r.slot === "NNT");
      if (!sig?.valid) {
        problems.push(
          problem("AUTHORITY_SELLER_SIGNATURE", "/TDiep/DLieu/BTHDLieu/DSCKS/NNT", {
            reason: sig ? (errorsOnly(sig.problems)[0]?.code ?? "invalid") : "không có chữ ký / no signature",
          }),
        );
      }
    }
    const header = read.ok ? read.value.header : undefined;
    const reply = await this.#checkResult(
      h,
      now,
      problems.length === 0
        ? { noticeType: 2 }
        : {
            noticeType: 4,
            nonFuelTables: [
              {
                period: header?.period ?? "",
                first: header?.first ?? 1,
                ...(header ? { tableNumber: header.tableNumber } : {}),
                generalReasons: problems.map(reasonOf),
              },
            ],
          },
    );
    return {
      state: problems.length === 0 ? "processed" : "refused",
      replies: [reply],
      write: async (trx) => {
        if (problems.length > 0 || !header) return;
        await trx
          .insertInto("summary_table")
          .values({
            tax_code: taxCode,
            message_id: h.messageId,
            period: header.period,
            table_number: header.tableNumber,
            xml: text,
            received_at: now,
          })
          .execute();
      },
    };
  }

  // -------------------------------------------------------------------------------------------------------
  // Admin

  /** Adds a taxpayer or updates its name and risk flag. */
  async upsertTaxpayer(input: TaxpayerInput): Promise<Taxpayer> {
    const now = this.#clock.now();
    await this.#db
      .insertInto("taxpayer")
      .values({
        tax_code: input.taxCode,
        name: input.name,
        status: "active",
        stop_cause: null,
        stop_note: null,
        high_risk: input.highRisk ?? false,
        created_at: now,
        updated_at: now,
      })
      .onConflict((oc) =>
        oc.column("tax_code").doUpdateSet({
          name: input.name,
          updated_at: now,
          ...(input.highRisk !== undefined ? { high_risk: input.highRisk } : {}),
        }),
      )
      .execute();
    const t = await this.getTaxpayer(input.taxCode);
    if (!t.ok) throw new Error("taxpayer vanished");
    return t.value;
  }

  async getTaxpayer(taxCode: string): Promise<Result<Taxpayer>> {
    const r = await this.#db
      .selectFrom("taxpayer")
      .selectAll()
      .where("tax_code", "=", taxCode)
      .executeTakeFirst();
    if (!r) return fail([problem("AUTHORITY_UNKNOWN_TAXPAYER", "taxCode", { taxCode })]);
    return ok(taxpayerOf(r));
  }

  /** Taxpayers by tax code, `limit` (≤1000) from `offset`. */
  async listTaxpayers(offset: number, limit: number): Promise<Taxpayer[]> {
    const rows = await this.#db
      .selectFrom("taxpayer")
      .selectAll()
      .orderBy("tax_code")
      .offset(Math.max(0, Math.trunc(offset)))
      .limit(Math.min(Math.max(1, Math.trunc(limit)), 1000))
      .execute();
    return rows.map(taxpayerOf);
  }

  /** Stops the taxpayer's use of e-invoices for `cause` (its invoices are refused codes from now on). */
  async stopTaxpayer(taxCode: string, cause: StopCause, note?: string): Promise<Result<Taxpayer>> {
    const now = this.#clock.now();
    const r = await this.#db
      .updateTable("taxpayer")
      .set({
        status: "stopped",
        stop_cause: cause,
        stop_note: note ?? null,
        stopped_at: now,
        updated_at: now,
      })
      .where("tax_code", "=", taxCode)
      .executeTakeFirst();
    if (r.numUpdatedRows === 0n) return fail([problem("AUTHORITY_UNKNOWN_TAXPAYER", "taxCode", { taxCode })]);
    return this.getTaxpayer(taxCode);
  }

  /** Lets the taxpayer use e-invoices again (business resumed, tax code restored, enforcement lifted). */
  async resumeTaxpayer(taxCode: string): Promise<Result<Taxpayer>> {
    const now = this.#clock.now();
    const r = await this.#db
      .updateTable("taxpayer")
      .set({ status: "active", stop_cause: null, stop_note: null, resumed_at: now, updated_at: now })
      .where("tax_code", "=", taxCode)
      .executeTakeFirst();
    if (r.numUpdatedRows === 0n) return fail([problem("AUTHORITY_UNKNOWN_TAXPAYER", "taxCode", { taxCode })]);
    return this.getTaxpayer(taxCode);
  }

  /**
   * Records a contract signed before a business suspension (Decree 123 art. 16.3): while suspended, the
   * taxpayer may still have invoices coded when such a contract was signed before the stop.
   */
  async addExceptionContract(
    taxCode: string,
    contractNo: string,
    signedOn: string,
    note?: string,
  ): Promise<Result<{ id: string }>> {
    if (!/^\d{4}-\d{2}-\d{2}$/.test(signedOn))
      return fail([problem("AUTHORITY_BAD_INPUT", "signedOn", { reason: "YYYY-MM-DD" })]);
    const t = await this.getTaxpayer(taxCode);
    if (!t.ok) return fail(t.problems);
    const r = await this.#db
      .insertInto("exception_contract")
      .values({
        tax_code: taxCode,
        contract_no: contractNo,
        signed_on: signedOn,
        note: note ?? null,
        created_at: this.#clock.now(),
      })
      .onConflict((oc) =>
        oc.columns(["tax_code", "contract_no"]).doUpdateSet({ signed_on: signedOn, note: note ?? null }),
      )
      .returning("id")
      .executeTakeFirstOrThrow();
    return ok({ id: String(r.id) });
  }

  /**
   * The forced switch (reference §1.2): marks the taxpayer high-risk and bound to coded invoices, and sends
   * a 105 (01/TB-KTT, case 2) to `to` asking for the switch by `switchBy` (YYYY-MM-DD).
   */
  async requireCodedInvoices(taxCode: string, to: string, switchBy: string): Promise<Result<SentMessage>> {
    const t = await this.getTaxpayer(taxCode);
    if (!t.ok) return fail(t.problems);
    const now = this.#clock.now();
    const notice = writeCodeRequirementNotice({
      ...this.#common(now),
      id: this.#noticeId(),
      form: CODE_REQUIREMENT_FORM,
      title: "Thông báo về việc chuyển đổi sang sử dụng hóa đơn điện tử có mã của cơ quan thuế",
      taxCode,
      taxpayerName: t.value.name,
      number: this.#noticeId(),
      parentAuthority: this.#config.parentAuthorityName ?? "Tổng cục Thuế",
      authority: this.#config.authorityName ?? "Cục Thuế",
      case: 2,
      switchBy,
    });
    const msg = await this.#message(105, to, taxCode, notice, now);
    await inTransaction(this.#db, async (trx) => {
      await trx
        .updateTable("taxpayer")
        .set({ high_risk: true, coded_only: true, coded_only_since: now, updated_at: now })
        .where("tax_code", "=", taxCode)
        .execute();
      await this.#outbox(trx, msg, now);
    });
    return ok({ type: 105, messageId: msg.messageId, xml: msg.xml });
  }

  async #outbox(
    trx: Transaction<AuthorityDb>,
    msg: { type: number; messageId: string; xml: string; to: string; taxCode?: string },
    now: Date,
    replyTo?: string,
  ): Promise<void> {
    await trx
      .insertInto("outbox")
      .values({
        message_id: msg.messageId,
        to_party: msg.to,
        reply_to: replyTo ?? null,
        type: msg.type,
        tax_code: msg.taxCode ?? null,
        xml: msg.xml,
        created_at: now,
      })
      .execute();
  }

  /**
   * Sends a 302 (01/TB-RSĐT): invoices the taxpayer must review, answered by a 04/SS-HĐĐT within
   * `deadlineDays` working days; the deadline (a date, GMT+7) is stored and returned.
   */
  async createReviewNotice(input: ReviewNoticeInput): Promise<Result<SentMessage & { deadline: string }>> {
    const t = await this.getTaxpayer(input.taxCode);
    if (!t.ok) return fail(t.problems);
    if (input.invoices.length === 0)
      return fail([problem("AUTHORITY_BAD_INPUT", "invoices", { reason: "no invoice / không có hóa đơn" })]);
    const days = input.deadlineDays ?? 2;
    if (!Number.isInteger(days) || days < 1 || days > 99)
      return fail([problem("AUTHORITY_BAD_INPUT", "deadlineDays", { reason: "1..99" })]);
    const now = this.#clock.now();
    const deadline = this.#calendar.addWorkingDays(vnDate(now), days);
    const xml = writeReviewNotice({
      ...this.#common(now),
      id: this.#noticeId(),
      form: REVIEW_NOTICE_FORM,
      name: "Thông báo về hóa đơn điện tử cần rà soát",
      number: this.#noticeId(),
      superiorAuthorityName: this.#config.parentAuthorityName ?? "Tổng cục Thuế",
      authorityName: this.#config.authorityName ?? "Cục Thuế",
      taxpayerName: t.value.name,
      taxCode: input.taxCode,
      signingForm: this.#config.signerCapacity ?? "KT. Cục trưởng",
      signerTitle: this.#config.signerTitle ?? "Phó Cục trưởng",
      taxpayerAddress: input.taxpayerAddress,
      ...(input.email !== undefined ? { email: input.email } : {}),
      deadlineDays: days,
      round: input.round ?? 1,
      invoices: [...input.invoices],
    });
    const msg = await this.#message(302, input.to, input.taxCode, xml, now);
    await inTransaction(this.#db, async (trx) => {
      await this.#outbox(trx, msg, now);
      await trx
        .insertInto("review_notice")
        .values({
          tax_code: input.taxCode,
          message_id: msg.messageId,
          xml: msg.xml,
          created_at: now,
          answer_deadline: deadline,
        })
        .execute();
    });
    return ok({ type: 302, messageId: msg.messageId, xml: msg.xml, deadline });
  }

  /** Review notices whose answer deadline has passed without a 04/SS-HĐĐT answering them. */
  async overdueReviewNotices(): Promise<Array<{ taxCode: string; messageId: string; deadline: string }>> {
    const today = vnDate(this.#clock.now());
    const rows = await this.#db
      .selectFrom("review_notice")
      .select(["tax_code", "message_id", "answer_deadline"])
      .where("answered_at", "is", null)
      .where("answer_deadline", "<", today)
      .orderBy("id")
      .execute();
    return rows.map((r) => ({ taxCode: r.tax_code, messageId: r.message_id, deadline: r.answer_deadline }));
  }

  /**
   * Records that the tax on a per-occurrence sale (the 201 `messageId`) was declared; only then the 205
   * result is sent (and returned).
   */
  async recordTaxDeclaration(messageId: string): Promise<Result<SentMessage>> {
    const now = this.#clock.now();
    const row = await this.#db
      .selectFrom("per_occurrence")
      .innerJoin("inbox", "inbox.message_id", "per_occurrence.message_id")
      .select(["per_occurrence.seller_tax_code", "per_occurrence.state", "inbox.sender"])
      .where("per_occurrence.message_id", "=", messageId)
      .executeTakeFirst();
    if (row?.state !== "awaiting_declaration" || !row)
      return fail([problem("AUTHORITY_NOT_FOUND", "messageId", { what: `201 ${messageId}` })]);
    const msg = await this.#perOccurrenceResult(
      row.sender ?? "",
      row.seller_tax_code,
      messageId,
      now,
      undefined,
      [],
    );
    await inTransaction(this.#db, async (trx) => {
      const r = await trx
        .updateTable("per_occurrence")
        .set({ state: "issued", declared_at: now })
        .where("message_id", "=", messageId)
        .where("state", "=", "awaiting_declaration")
        .executeTakeFirst();
      if (r.numUpdatedRows === 0n) return;
      await this.#outbox(trx, msg, now, messageId);
      await trx
        .updateTable("inbox")
        .set({ state: "processed" })
        .where("message_id", "=", messageId)
        .execute();
    });
    return ok({ type: 205, messageId: msg.messageId, xml: msg.xml });
  }

  /** Schedules a maintenance window [startsAt, endsAt). */
  async scheduleMaintenance(
    startsAt: Date,
    endsAt: Date,
    reason: string,
  ): Promise<Result<MaintenanceWindow>> {
    if (!(endsAt.getTime() > startsAt.getTime()))
      return fail([problem("AUTHORITY_BAD_INPUT", "endsAt", { reason: "endsAt must be after startsAt" })]);
    const r = await this.#db
      .insertInto("maintenance_window")
      .values({ starts_at: startsAt, ends_at: endsAt, reason, created_at: this.#clock.now() })
      .returning("id")
      .executeTakeFirstOrThrow();
    return ok({ id: String(r.id), startsAt, endsAt, reason });
  }

  /** Windows that have not ended yet (the announcements), in start order. */
  async listMaintenance(): Promise<MaintenanceWindow[]> {
    const rows = await this.#db
      .selectFrom("maintenance_window")
      .selectAll()
      .where("ends_at", ">", this.#clock.now())
      .orderBy("starts_at")
      .execute();
    return rows.map((r) => ({
      id: String(r.id),
      startsAt: r.starts_at,
      endsAt: r.ends_at,
      reason: r.reason,
    }));
  }

  async #activeWindow(now: Date): Promise<MaintenanceWindow | undefined> {
    const r = await this.#db
      .selectFrom("maintenance_window")
      .selectAll()
      .where("starts_at", "<=", now)
      .where("ends_at", ">", now)
      .orderBy("ends_at", "desc")
      .executeTakeFirst();
    return r ? { id: String(r.id), startsAt: r.starts_at, endsAt: r.ends_at, reason: r.reason } : undefined;
  }

  /** Connection check: the database answers and whether messages are accepted now. */
  async connectionCheck(): Promise<{ available: boolean; now: Date; until?: Date }> {
    const now = this.#clock.now();
    const w = await this.#activeWindow(now);
    return w ? { available: false, now, until: w.endsAt } : { available: true, now };
  }

  /** Messages waiting in the outbox for `to`, oldest first; `markDelivered` acknowledges them. */
  async pendingFor(to: string, limit = 100): Promise<SentMessage[]> {
    const rows = await this.#db
      .selectFrom("outbox")
      .select(["type", "message_id", "xml"])
      .where("to_party", "=", to)
      .where("delivered_at", "is", null)
      .orderBy("id")
      .limit(limit)
      .execute();
    return rows.map((r) => ({ type: r.type, messageId: r.message_id, xml: r.xml }));
  }

  /**
   * Everything the authority sent in answer to `messageId`: its 999 (or −1) first, then the replies in order
   * (also those sent later, like a 205); undefined when the id was never received.
   */
  async repliesTo(messageId: string): Promise<StoredReply[] | undefined> {
    const inbox = await this.#db
      .selectFrom("inbox")
      .select(["receipt", "received_at"])
      .where("message_id", "=", messageId)
      .executeTakeFirst();
    if (!inbox) return undefined;
    const rows = await this.#db
      .selectFrom("outbox")
      .select(["message_id", "type", "xml", "created_at"])
      .where("reply_to", "=", messageId)
      .orderBy("id")
      .execute();
    const head = inspectMessage(inbox.receipt).header;
    return [
      {
        messageId: head.messageId ?? "",
        type: head.type ?? 999,
        createdAt: inbox.received_at,
        xml: inbox.receipt,
      },
      ...rows.map((r) => ({ messageId: r.message_id, type: r.type, createdAt: r.created_at, xml: r.xml })),
    ];
  }

  async markDelivered(messageIds: readonly string[]): Promise<void> {
    if (messageIds.length === 0) return;
    await this.#db
      .updateTable("outbox")
      .set({ delivered_at: this.#clock.now() })
      .where("message_id", "in", [...messageIds])
      .execute();
  }

  // -------------------------------------------------------------------------------------------------------
  // Lookups

  /** Public lookup: the coded invoice when all five fields match (the total compared as a number). */
  async publicLookup(q: PublicLookupInput): Promise<CodedInvoiceDetail | undefined> {
    let total: Dec;
    try {
      total = Dec.parse(q.total);
    } catch {
      return undefined;
    }
    const r = await this.#db
      .selectFrom("coded_invoice")
      .selectAll()
      .where("seller_tax_code", "=", q.sellerTaxCode)
      .where("template", "=", q.template)
      .where("series", "=", q.series)
      .where("number", "=", q.number)
      .where("total", "=", total.toString())
      .executeTakeFirst();
    return r ? detail(r) : undefined;
  }

  /** Inspector lookup (goods in transit): full detail; every call is logged with who, why and when. */
  async inspectorLookup(
    inspector: string,
    key: InvoiceKey,
    purpose?: string,
  ): Promise<CodedInvoiceDetail | undefined> {
    const now = this.#clock.now();
    return inTransaction(this.#db, async (trx) => {
      const r = await trx
        .selectFrom("coded_invoice")
        .selectAll()
        .where("seller_tax_code", "=", key.sellerTaxCode)
        .where("template", "=", key.template)
        .where("series", "=", key.series)
        .where("number", "=", key.number)
        .executeTakeFirst();
      await trx
        .insertInto("inspector_access")
        .values({
          inspector,
          purpose: purpose ?? null,
          invoice_id: r ? r.id : null,
          query: JSON.stringify(key),
          accessed_at: now,
        })
        .execute();
      return r ? detail(r) : undefined;
    });
  }

  /** The inspectors' access log, newest first. */
  async accessLog(
    limit = 100,
  ): Promise<
    Array<{ inspector: string; purpose: string | null; invoiceId: string | null; query: string; at: Date }>
  > {
    const rows = await this.#db
      .selectFrom("inspector_access")
      .selectAll()
      .orderBy("id", "desc")
      .limit(limit)
      .execute();
    return rows.map((r) => ({
      inspector: r.inspector,
      purpose: r.purpose,
      invoiceId: r.invoice_id === null ? null : String(r.invoice_id),
      query: r.query,
      at: r.accessed_at,
    }));
  }

  /** A buyer's coded purchase invoices, by issue date then id, `limit` (≤1000) per page. */
  async buyerInvoices(
    buyerTaxCode: string,
    options: { after?: string; limit?: number } = {},
  ): Promise<BuyerPage> {
    const limit = Math.min(Math.max(options.limit ?? 100, 1), 1000);
    let q = this.#db
      .selectFrom("coded_invoice")
      .selectAll()
      .where("buyer_tax_code", "=", buyerTaxCode)
      .orderBy("issue_date")
      .orderBy("id")
      .limit(limit + 1);
    const cursor = options.after ? decodeCursor(options.after) : undefined;
    if (cursor) {
      q = q.where((eb) =>
        eb.or([
          eb("issue_date", ">", cursor.date),
          eb.and([eb("issue_date", "=", cursor.date), eb("id", ">", cursor.id as unknown as bigint)]),
        ]),
      );
    }
    const rows = await q.execute();
    const items = rows.slice(0, limit).map((r) => summary(r));
    const last = rows.length > limit ? rows[limit - 1] : undefined;
    return last ? { items, next: encodeCursor(last.issue_date, String(last.id)) } : { items };
  }
}

// ---------------------------------------------------------------------------------------------------------

function taxpayerOf(r: Selectable<TaxpayerTable>): Taxpayer {
  return {
    taxCode: r.tax_code,
    name: r.name,
    status: r.status,
    stopCause: r.stop_cause,
    stopNote: r.stop_note,
    stoppedAt: r.stopped_at,
    resumedAt: r.resumed_at,
    highRisk: r.high_risk,
    codedOnly: r.coded_only,
  };
}

/** The bytes as a Buffer (pg sends Buffers as bytea; a plain Uint8Array would not be). */
function toBuffer(input: Uint8Array | string): Buffer {
  if (typeof input === "string") return Buffer.from(input, "utf8");
  return Buffer.isBuffer(input) ? input : Buffer.from(input.buffer, input.byteOffset, input.byteLength);
}

/** Total payable of an invoice as text (the stored numeric). */
function totalOf(inv: Invoice): string {
  return inv.totals.totalPayable.toString();
}

/**
 * Puts `<MCCQT Id="…">code</MCCQT>` right after DLHDon (the reference order: DLHDon, MCCQT, DLQRCode,
 * DSCKS), leaving every other byte as the seller signed it.
 */
export function insertAuthorityCode(hdon: string, code: string): string {
  const end = hdon.indexOf("</DLHDon>");
  if (end < 0) throw new Error("no DLHDon in a checked invoice");
  const at = end + "</DLHDon>".length;
  return `${hdon.slice(0, at)}<MCCQT Id="MCCQT-${code}">${code}</MCCQT>${hdon.slice(at)}`;
}

/** The single DLieu payload of a message the authority wrote itself (canonical, no whitespace). */
function extractPayload(message: string): string {
  const open = message.indexOf("<DLieu>");
  const close = message.lastIndexOf("</DLieu>");
  return message.slice(open + "<DLieu>".length, close);
}

type CodedRow = {
  id: bigint;
  seller_tax_code: string;
  template: string;
  series: string;
  number: string;
  authority_code: string;
  message_id: string;
  xml: string;
  buyer_tax_code: string | null;
  total: string;
  issue_date: string;
  coded_at: Date;
};

function summary(r: CodedRow): CodedInvoiceSummary {
  return {
    sellerTaxCode: r.seller_tax_code,
    template: r.template,
    series: r.series,
    number: r.number,
    authorityCode: r.authority_code,
    buyerTaxCode: r.buyer_tax_code,
    total: Dec.parse(r.total).toString(),
    issueDate: r.issue_date,
    codedAt: r.coded_at,
  };
}

function detail(r: CodedRow): CodedInvoiceDetail {
  return { ...summary(r), id: String(r.id), messageId: r.message_id, xml: r.xml };
}

function encodeCursor(date: string, id: string): string {
  return Buffer.from(`${date}|${id}`, "utf8").toString("base64url");
}

function decodeCursor(s: string): { date: string; id: string } | undefined {
  const t = Buffer.from(s, "base64url").toString("utf8");
  const m = /^(\d{4}-\d{2}-\d{2})\|(\d{1,19})$/.exec(t);
  return m ? { date: m[1]!, id: m[2]! } : undefined;
}
