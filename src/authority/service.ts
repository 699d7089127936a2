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
import type pg from "pg";
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
import {
  MAINTENANCE_NOTICE_FORM,
  MAINTENANCE_NOTICE_TYPE,
  writeMaintenanceNotice,
} from "../format/forms/maintenance-notice.ts";
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
import { GroupCommit, type Settled } from "./group-commit.ts";
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

/** A registration as the authority decided it. */
export interface RegistrationRecord {
  readonly id: string;
  readonly taxCode: string;
  readonly taxpayerName: string | null;
  readonly messageId: string;
  /** first (đăng ký mới) or change (thay đổi thông tin). */
  readonly kind: "first" | "change";
  readonly forms: {
    readonly withCode: boolean;
    readonly withoutCode: boolean;
    readonly cashRegister: boolean;
  };
  readonly status: "accepted" | "refused";
  /** Serial numbers of the certificates registered for use (hex, upper case). */
  readonly certificates: readonly string[];
  /** Codes of the reasons of a refusal. */
  readonly reasons: readonly string[];
  readonly decidedAt: Date;
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

/** What the public lookup shows: the invoice's keys, its code, total and dates (not the buyer, not the content). */
export interface PublicInvoice extends InvoiceKey {
  readonly authorityCode: string;
  readonly total: string;
  readonly issueDate: string;
  readonly codedAt: Date;
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

/** The answer to a declared per-occurrence sale: the 205, and the 202 with the coded invoice when issued. */
export interface PerOccurrenceIssued extends SentMessage {
  readonly invoice?: SentMessage & { readonly authorityCode: string };
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
const SUPPORTED = new Set<number>([100, 101, 200, 201, 203, 206, 300, 303, 400]);
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

/** The invoice of a 200 read before the gate, and the party the gate brought with it. */
interface PreRead {
  text: string;
  read: ReturnType<typeof readInvoice>;
  key?: { template: string; series: string; number: string };
}

interface Prefetched extends PreRead {
  party: Party;
}

interface Checked {
  invoice: Invoice | undefined;
  problems: Problem[];
}

// ---------------------------------------------------------------------------------------------------------

/** Columns of `PARTY_COLUMNS`. */
interface PartyRow {
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
}

/**
 * The taxpayer (parameter `t`, as `k.tax_code`), its registration in force, and whether the invoice (template,
 * series and number in parameters t+1…t+3) was coded or received before; joined by PARTY_JOINS.
 */
function partySql(t: number): string {
  const [tpl, ser, num] = [t + 1, t + 2, t + 3];
  return `select t.name, t.status, t.stop_cause, t.coded_only, t.high_risk,
          exists (select 1 from authority.exception_contract c
                  where c.tax_code = t.tax_code and t.stopped_at is not null
                    and c.signed_on < (t.stopped_at at time zone 'Asia/Ho_Chi_Minh')::date) as has_exception,
          r.with_code, r.without_code, r.cash_register, r.certificates,
          exists (select 1 from authority.coded_invoice d
                   where d.seller_tax_code = k.tax_code and d.template = $${tpl}::text
                     and d.series = $${ser}::text and d.number = $${num}::text) as coded_dup,
          exists (select 1 from authority.nocode_invoice d
                   where d.seller_tax_code = k.tax_code and d.template = $${tpl}::text
                     and d.series = $${ser}::text and d.number = $${num}::text) as nocode_dup`;
}

const PARTY_JOINS = `left join authority.taxpayer t on t.tax_code = k.tax_code
        left join lateral (select with_code, without_code, cash_register, certificates
                             from authority.registration g
                            where g.tax_code = k.tax_code and g.status = 'accepted'
                            order by g.id desc limit 1) r on true`;

const PARTY_SQL = `${partySql(1)}
        from (select $1::text as tax_code) k
        ${PARTY_JOINS}`;

/** The gate of every message: an open maintenance window at $1, and whether message id $2 was answered. */
const GATE_SQL = `select w.ends_at, w.reason,
         exists (select 1 from authority.inbox where message_id = $2::text) as answered
    from (select 1) one
    left join lateral (select ends_at, reason from authority.maintenance_window
                        where starts_at <= $1 and ends_at > $1
                        order by ends_at desc limit 1) w on true`;

/** The gate and, in the same round trip, the party of an invoice sent for a code ($3…$6 as PARTY_SQL). */
const GATE_PARTY_SQL = `select w.ends_at, w.reason,
         exists (select 1 from authority.inbox where message_id = $2::text) as answered,
         ${partySql(3).slice("select ".length)}
    from (select $3::text as tax_code) k
    left join lateral (select ends_at, reason from authority.maintenance_window
                        where starts_at <= $1 and ends_at > $1
                        order by ends_at desc limit 1) w on true
    ${PARTY_JOINS}`;

interface GateRow {
  ends_at: Date | null;
  reason: string | null;
  answered: boolean;
}

/** Parameters per coded invoice in `commitCodedSql`. */
const CODED_PARAMS = 19;

/**
 * The commit of `n` coded invoices in one statement (atomic without BEGIN/COMMIT): the inbox rows and, for
 * each one that was new, the coded invoice and the 202 in the outbox, the latter as its envelope with an
 * empty DLieu pointing to the former (the invoice is stored once; `OUTBOX_XML` puts the 202 back together).
 * Returns the message ids stored; the others had been received before. Parameters: see `codedParams`.
 */
function commitCodedSql(n: number): string {
  const types = [
    "text",
    "text",
    "integer",
    "text",
    "timestamptz",
    "bytea",
    "text",
    "text",
    "text",
    "text",
    "text",
    "text",
    "text",
    "text",
    "text",
    "text",
    "text",
    "numeric",
    "date",
  ];
  const rows: string[] = [];
  for (let k = 0; k < n; k++) {
    rows.push(`(${types.map((t, i) => `$${k * CODED_PARAMS + i + 1}::${t}`).join(", ")})`);
  }
  return `with v (message_id, sender, type, tax_code, at, raw, receipt, reply_id, reply_to_party, reply_xml,
                 seller, template, series, number, code, xml, buyer, total, issue_date) as (
      values ${rows.join(",\n             ")}),
    i as (
      insert into authority.inbox (message_id, sender, type, tax_code, received_at, raw, receipt, state)
      select message_id, sender, type, tax_code, at, raw, receipt, 'processed' from v
      on conflict (message_id) do nothing
      returning message_id),
    c as (
      insert into authority.coded_invoice (seller_tax_code, template, series, number, authority_code, message_id,
                                           xml, buyer_tax_code, total, issue_date, coded_at)
      select v.seller, v.template, v.series, v.number, v.code, v.message_id, v.xml, v.buyer, v.total,
             v.issue_date, v.at
        from v join i on i.message_id = v.message_id
      returning id, message_id),
    o as (
      insert into authority.outbox (message_id, to_party, reply_to, type, tax_code, xml, created_at, coded_invoice_id)
      select v.reply_id, v.reply_to_party, v.message_id, 202, v.tax_code, v.reply_xml, v.at, c.id
        from v join c on c.message_id = v.message_id
      returning 1)
    select message_id from i`;
}

/** A coded invoice waiting for its commit (see `commitCodedSql`). */
interface CodedCommit {
  raw: Buffer;
  header: MessageHeader;
  messageId: string;
  now: Date;
  receipt: string;
  reply: Reply;
  coded: CodedInsert;
}

function codedParams(x: CodedCommit): unknown[] {
  const { header: h, reply: r, coded: c } = x;
  const shell = envelopeShell(r.xml, c.xml);
  return [
    x.messageId,
    h.sender ?? null,
    h.type ?? null,
    h.taxCode ?? null,
    x.now,
    x.raw,
    x.receipt,
    r.messageId,
    r.to,
    shell,
    c.sellerTaxCode,
    c.template,
    c.series,
    c.number,
    c.code,
    c.xml,
    c.buyerTaxCode,
    c.total,
    c.issueDate,
  ];
}

/**
 * The 202 `message` without its payload `payload` (`<DLieu></DLieu>`), which `OUTBOX_XML` fills again from the
 * coded invoice. Throws when the message is not exactly that shell around the payload (a bug: it would not
 * come back byte-exact).
 */
function envelopeShell(message: string, payload: string): string {
  const full = `<DLieu>${payload}</DLieu>`;
  const at = message.indexOf(full);
  const shell = at < 0 ? "" : `${message.slice(0, at)}<DLieu></DLieu>${message.slice(at + full.length)}`;
  if (at < 0 || shell.indexOf("<DLieu></DLieu>") !== at)
    throw new Error("a 202 must be its envelope around the coded invoice");
  return shell;
}

/**
 * The text of an outbox row `o` as sent: the stored message, or for a 202 of code issuance its envelope with
 * the coded invoice put back into the empty DLieu.
 */
export const OUTBOX_XML = sql<string>`case when o.coded_invoice_id is null then o.xml
  else replace(o.xml, '<DLieu></DLieu>',
               '<DLieu>' || (select c.xml from authority.coded_invoice c where c.id = o.coded_invoice_id) || '</DLieu>')
  end`;

/**
 * Public lookup: the five fields, answered from the key index alone (an index-only scan: the index holds the
 * columns shown, see migration 002), without reading the row nor the stored document.
 */
const LOOKUP_SQL = `select seller_tax_code, template, series, number, authority_code, total, issue_date, coded_at
    from authority.coded_invoice
   where seller_tax_code = $1 and template = $2 and series = $3 and number = $4 and total = $5::numeric`;

function partyOf(row: PartyRow | undefined): Party {
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

export class AuthorityService {
  readonly #db: Kysely<AuthorityDb>;
  readonly #pool: pg.Pool;
  readonly #named: boolean;
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
  readonly #codedCommits = new GroupCommit<CodedCommit, "stored" | "duplicate">(
    (items) => this.#writeCoded(items),
    16,
  );

  constructor(ports: AuthorityPorts) {
    this.#db = ports.db.kysely<AuthorityDb>("authority");
    this.#pool = ports.db.pool;
    this.#named = ports.db.kind === "postgres";
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
    // An invoice sent for a code is read before the gate, so that the gate's round trip also brings its
    // party (taxpayer, registration, invoice coded before): a code then costs two round trips in all.
    const pre =
      knownId && m.header.type === 200 && m.header.receiver === this.#party && m.problems.length === 0
        ? this.#preRead(m)
        : undefined;
    let g: GateRow | undefined;
    let prefetched: Prefetched | undefined;
    if (pre) {
      const r = await this.#query<GateRow & PartyRow>("gate_party", GATE_PARTY_SQL, [
        now,
        knownId ?? null,
        m.header.taxCode ?? "",
        pre.key?.template ?? null,
        pre.key?.series ?? null,
        pre.key?.number ?? null,
      ]);
      g = r.rows[0];
      prefetched = { ...pre, party: partyOf(r.rows[0]) };
    } else {
      g = (await this.#query<GateRow>("gate", GATE_SQL, [now, knownId ?? null])).rows[0];
    }
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
        problems.length > 0
          ? { state: "refused", replies: [] }
          : await this.#route(header, m, now, attempt, attempt === 0 ? prefetched : undefined);
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
   * The commit of a coded invoice: gathered with the concurrent ones into one statement (group commit,
   * `#codedCommits`), so that under load one round trip and one WAL flush store many.
   */
  async #commitCoded(
    raw: Buffer,
    header: MessageHeader,
    messageId: string,
    now: Date,
    receipt: string,
    outcome: Outcome,
    coded: CodedInsert,
  ): Promise<"stored" | "duplicate"> {
    const reply = outcome.replies[0];
    if (outcome.replies.length !== 1 || !reply || reply.type !== 202 || outcome.state !== "processed")
      throw new Error("a coded invoice is answered by exactly one 202");
    return this.#codedCommits.submit({ raw, header, messageId, now, receipt, reply, coded });
  }

  /**
   * Writes a batch of coded invoices in one statement. When it fails on a unique key (an invoice coded by
   * another message meanwhile, an MCCQT collision, or one message id twice), each is written alone, so only
   * the one at fault gets the error (its `receive` then routes it again).
   */
  async #writeCoded(items: readonly CodedCommit[]): Promise<Settled<"stored" | "duplicate">[]> {
    const once = new Set(items.map((x) => x.messageId)).size === items.length;
    if (items.length > 1 && once) {
      try {
        return await this.#writeCodedBatch(items);
      } catch (error) {
        if (!isUniqueViolation(error)) throw error;
      }
    }
    const out: Settled<"stored" | "duplicate">[] = [];
    for (const x of items) {
      try {
        out.push(...(await this.#writeCodedBatch([x])));
      } catch (error) {
        out.push({ ok: false, error });
      }
    }
    return out;
  }

  async #writeCodedBatch(items: readonly CodedCommit[]): Promise<Settled<"stored" | "duplicate">[]> {
    const r = await this.#query<{ message_id: string }>(
      `commit_coded_${items.length}`,
      commitCodedSql(items.length),
      items.flatMap(codedParams),
    );
    const stored = new Set(r.rows.map((x) => x.message_id));
    return items.map((x) => ({ ok: true, value: stored.has(x.messageId) ? "stored" : "duplicate" }));
  }

  async #stored(messageId: string): Promise<ReceiveResult | undefined> {
    const row = await this.#db
      .selectFrom("inbox")
      .select(["receipt"])
      .where("message_id", "=", messageId)
      .executeTakeFirst();
    if (!row) return undefined;
    const replies = await this.#db
      .selectFrom("outbox as o")
      .select(OUTBOX_XML.as("xml"))
      .where("o.reply_to", "=", messageId)
      .orderBy("o.id")
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

  async #route(
    h: MessageHeader,
    m: MessageInspection,
    now: Date,
    attempt: number,
    pre?: Prefetched,
  ): Promise<Outcome> {
    switch (h.type) {
      case 100:
      case 101:
        return this.#registration(h, m, now);
      case 200:
        return this.#coding(h, m, now, attempt, pre);
      case 203:
        return this.#noCode(h, m, now, "no_code");
      case 206:
        return this.#noCode(h, m, now, "cash_register");
      case 201:
        return this.#perOccurrence(h, m, now);
      case 300:
        return this.#errorNotice(h, m, now, false);
      // The error notice of cash-register invoices (QĐ 1510): the same form, answered by the same 301.
      case 303:
        return this.#errorNotice(h, m, now, true);
      case 400:
        return this.#summaryTable(h, m, now);
      default:
        return { state: "refused", replies: [] };
    }
  }

  /** The invoice of a 200 read ahead of the gate (see `receive`); undefined when it is not one HDon. */
  #preRead(m: MessageInspection): PreRead | undefined {
    if (m.payloads.length !== 1 || !m.parsed) return undefined;
    const text = this.#payloadText(m, 0);
    // The message is parsed already: read its one HDon from that tree rather than parse the text again.
    const read = readInvoice(m.parsed);
    const h = read.invoice?.header;
    return {
      text,
      read,
      ...(h?.number !== undefined
        ? { key: { template: h.template, series: h.series, number: h.number } }
        : {}),
    };
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
  ): Promise<Party> {
    const r = await this.#query<PartyRow>("party", PARTY_SQL, [
      taxCode,
      key?.template ?? null,
      key?.series ?? null,
      key?.number ?? null,
    ]);
    return partyOf(r.rows[0]);
  }

  /**
   * One statement of the hot path: named (prepared once per connection, planned once) on a PostgreSQL
   * server; unnamed on the embedded database, whose connections share one session (named statements would
   * collide there, see src/store/session-queue.ts).
   */
  #query<R extends object>(name: string, text: string, values: unknown[]): Promise<pg.QueryResult<R>> {
    return this.#pool.query<R>(this.#named ? { name: `authority_${name}`, text, values } : { text, values });
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

  async #checkInvoice(
    text: string,
    h: MessageHeader,
    mode: CheckMode,
    path: string,
    pre?: Prefetched,
  ): Promise<Checked> {
    const read = pre?.read ?? readInvoice(text);
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
    const party =
      pre?.party ??
      (await this.#partyOf(
        taxCode,
        number !== undefined ? { template: inv.header.template, series, number } : undefined,
      ));
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

  async #coding(
    h: MessageHeader,
    m: MessageInspection,
    now: Date,
    attempt: number,
    pre?: Prefetched,
  ): Promise<Outcome> {
    const text = pre?.text ?? this.#payloadText(m, 0);
    const { invoice: inv, problems } = await this.#checkInvoice(text, h, "coded", "/TDiep/DLieu/HDon", pre);
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
    // 206: the taxpayer's signature over DLieu (CKSNNT), when present, covers the whole package.
    const whole = mode === "cash_register" ? this.#messageSignatureProblems(h, m, now) : [];
    if (whole.length > 0) {
      for (const g of good.splice(0)) bad.push({ inv: g.inv, problems: [], index: 0 });
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
      const reasons: Reason[] = whole.map((p) => ({ ...reasonOf(p), note: "CKSNNT" }));
      reasons.push(
        ...bad.flatMap((b) =>
          b.problems.map((p) => ({
            ...reasonOf(p),
            note: `HDon[${b.index}] ${b.inv?.header.series ?? ""} ${b.inv?.header.number ?? ""}`.trim(),
          })),
        ),
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

  /**
   * The taxpayer's message signature of a 206 (TDiep/CKSNNT over DLieu, reference §6.1), when present: it
   * must verify, and its certificate must be the taxpayer's of the message (MST). None: no problem (cash-
   * register invoices need no signature, Decree 123 art. 11.3.b).
   */
  #messageSignatureProblems(h: MessageHeader, m: MessageInspection, now: Date): Problem[] {
    if (m.taxpayerSignature === undefined || !m.parsed) return [];
    const taxCode = h.taxCode ?? "";
    const path = "/TDiep/CKSNNT";
    const report = verifyDocument(m.parsed.source, {
      ...this.#verify,
      now,
      taxCodes: { seller: taxCode },
    }).find((r) => r.slot === "CKSNNT");
    if (!report) {
      return [problem("AUTHORITY_MESSAGE_SIGNATURE", path, { reason: "không có chữ ký / no signature" })];
    }
    if (report.valid) return [];
    const errors = errorsOnly(report.problems);
    const signer = new Set(["SIG_TAX_CODE_MISMATCH", "SIG_CERT_NO_TAX_CODE"]);
    if (errors.length > 0 && errors.every((p) => signer.has(p.code))) {
      return [
        problem("AUTHORITY_MESSAGE_SIGNER_MISMATCH", path, {
          found: report.taxCode ?? "—",
          expected: taxCode,
        }),
      ];
    }
    return [problem("AUTHORITY_MESSAGE_SIGNATURE", path, { reason: errors[0]?.code ?? "invalid" })];
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

  async #errorNotice(
    h: MessageHeader,
    m: MessageInspection,
    now: Date,
    cashRegister: boolean,
  ): Promise<Outcome> {
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
        const found = cashRegister
          ? await this.#knownCashRegisterInvoice(taxCode, inv.template, inv.series, inv.number)
          : await this.#knownInvoice(taxCode, inv.template, inv.series, inv.number, inv.authorityCode);
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

  /** A cash-register invoice the authority received (206); the seller's own code is not kept apart. */
  async #knownCashRegisterInvoice(
    taxCode: string,
    template: string | undefined,
    series: string | undefined,
    number: string | undefined,
  ): Promise<boolean> {
    if (!template || !series || !number) return false;
    const r = await this.#db
      .selectFrom("nocode_invoice")
      .select("id")
      .where("seller_tax_code", "=", taxCode)
      .where("kind", "=", "cash_register")
      .where("template", "=", template)
      .where("series", "=", series)
      .where("number", "=", number)
      .executeTakeFirst();
    return r !== undefined;
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

  /**
   * Registrations decided (01/ĐKTĐ-HĐĐT, 100/101 → 103), newest first; for one taxpayer or one decision
   * when asked. `reasons` are the codes of a refusal.
   */
  async listRegistrations(
    filter: { taxCode?: string; status?: "accepted" | "refused" },
    offset: number,
    limit: number,
  ): Promise<RegistrationRecord[]> {
    let q = this.#db
      .selectFrom("registration as g")
      .leftJoin("taxpayer as t", "t.tax_code", "g.tax_code")
      .select([
        "g.id",
        "g.tax_code",
        "t.name",
        "g.message_id",
        "g.kind",
        "g.with_code",
        "g.without_code",
        "g.cash_register",
        "g.status",
        "g.certificates",
        "g.reasons",
        "g.decided_at",
      ]);
    if (filter.taxCode !== undefined) q = q.where("g.tax_code", "=", filter.taxCode);
    if (filter.status !== undefined) q = q.where("g.status", "=", filter.status);
    const rows = await q
      .orderBy("g.id", "desc")
      .offset(Math.max(0, Math.trunc(offset)))
      .limit(Math.min(Math.max(1, Math.trunc(limit)), 1000))
      .execute();
    return rows.map((r) => ({
      id: String(r.id),
      taxCode: r.tax_code,
      taxpayerName: r.name ?? null,
      messageId: r.message_id,
      kind: r.kind === 2 ? "change" : "first",
      forms: { withCode: r.with_code, withoutCode: r.without_code, cashRegister: r.cash_register },
      status: r.status,
      certificates: r.certificates,
      reasons: r.reasons === null ? [] : r.reasons.split(","),
      decidedAt: r.decided_at,
    }));
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
   * Records that the tax on a per-occurrence sale (the 201 `messageId`) was declared; only then the invoice is
   * issued: the 205 (01-1/QTr-HĐĐT, dossier valid) and the 202 with the coded invoice (MCCQT + DSCKS/CQT, as
   * for a 200) are sent in answer to the 201, and the coded invoice is stored (public lookup). The envelope of
   * a 205 carries one TBao, so the coded invoice travels as the 202 beside it. When the invoice number was
   * coded otherwise meanwhile, the 205 says "not valid" (KQKTra 0) and no code is issued.
   */
  async recordTaxDeclaration(messageId: string): Promise<Result<PerOccurrenceIssued>> {
    const now = this.#clock.now();
    const row = await this.#db
      .selectFrom("per_occurrence")
      .innerJoin("inbox", "inbox.message_id", "per_occurrence.message_id")
      .select([
        "per_occurrence.seller_tax_code",
        "per_occurrence.state",
        "per_occurrence.xml",
        "inbox.sender",
      ])
      .where("per_occurrence.message_id", "=", messageId)
      .executeTakeFirst();
    if (row?.state !== "awaiting_declaration" || !row)
      return fail([problem("AUTHORITY_NOT_FOUND", "messageId", { what: `201 ${messageId}` })]);
    const to = row.sender ?? "";
    const taxCode = row.seller_tax_code;
    const inv = readInvoice(row.xml).invoice;
    if (!inv || inv.header.number === undefined) throw new Error(`stored 201 ${messageId} no longer reads`);
    const key = {
      sellerTaxCode: taxCode,
      template: inv.header.template,
      series: inv.header.series,
      number: inv.header.number,
    };
    for (let attempt = 0; attempt < 4; attempt++) {
      const party = await this.#partyOf(taxCode, key);
      if (party.codedDup) {
        const refusal = problem("AUTHORITY_ALREADY_CODED", "/TDiep/DLieu/HDon", {
          series: key.series,
          number: key.number,
        });
        const result = await this.#perOccurrenceResult(to, taxCode, messageId, now, inv, [refusal]);
        const done = await this.#closePerOccurrence(messageId, now, "refused", [result]);
        if (!done) break;
        return ok({ type: 205, messageId: result.messageId, xml: result.xml });
      }
      const code = makeAuthorityCode(this.#secret, this.#issuer, { ...key, messageId }, attempt);
      const result = await this.#perOccurrenceResult(to, taxCode, messageId, now, undefined, []);
      const coded = await this.#message(202, to, taxCode, insertAuthorityCode(row.xml, code), now, messageId);
      try {
        const done = await this.#closePerOccurrence(messageId, now, "issued", [result, coded], {
          ...key,
          code,
          xml: extractPayload(coded.xml),
          buyerTaxCode: inv.buyer?.taxCode ?? null,
          total: totalOf(inv),
          issueDate: inv.header.issueDate,
        });
        if (!done) break;
        return ok({
          type: 205,
          messageId: result.messageId,
          xml: result.xml,
          invoice: { type: 202, messageId: coded.messageId, xml: coded.xml, authorityCode: code },
        });
      } catch (error) {
        // The number was coded by a 200 meanwhile, or the MCCQT collided: look again.
        if (!isUniqueViolation(error)) throw error;
      }
    }
    return fail([problem("AUTHORITY_NOT_FOUND", "messageId", { what: `201 ${messageId}` })]);
  }

  /** Ends a per-occurrence request once: outbox replies, the coded invoice; false when already ended. */
  async #closePerOccurrence(
    messageId: string,
    now: Date,
    state: "issued" | "refused",
    replies: readonly Reply[],
    coded?: CodedInsert,
  ): Promise<boolean> {
    return inTransaction(this.#db, async (trx) => {
      const r = await trx
        .updateTable("per_occurrence")
        .set({ state, declared_at: now })
        .where("message_id", "=", messageId)
        .where("state", "=", "awaiting_declaration")
        .executeTakeFirst();
      if (r.numUpdatedRows === 0n) return false;
      for (const msg of replies) await this.#outbox(trx, msg, now, messageId);
      if (coded) {
        await trx
          .insertInto("coded_invoice")
          .values({
            seller_tax_code: coded.sellerTaxCode,
            template: coded.template,
            series: coded.series,
            number: coded.number,
            authority_code: coded.code,
            message_id: messageId,
            xml: coded.xml,
            buyer_tax_code: coded.buyerTaxCode,
            total: coded.total,
            issue_date: coded.issueDate,
            coded_at: now,
          })
          .execute();
      }
      await trx
        .updateTable("inbox")
        .set({ state: state === "issued" ? "processed" : "refused" })
        .where("message_id", "=", messageId)
        .execute();
      return true;
    });
  }

  /**
   * Schedules a maintenance window [startsAt, endsAt) and, in the same transaction, puts a signed notice of
   * it (`MAINTENANCE_NOTICE_TYPE`, hddt/TB-BTHT) in the outbox of every connected T-VAN: the parties (`V…`
   * T-VANs, `K…` direct connectors) the authority has received messages from. One notice per window and
   * party (`maintenance_notice`'s key), pulled and acknowledged through `pendingFor` / `markDelivered`.
   */
  async scheduleMaintenance(
    startsAt: Date,
    endsAt: Date,
    reason: string,
    options: { checkUntil?: Date } = {},
  ): Promise<Result<MaintenanceWindow>> {
    if (!(endsAt.getTime() > startsAt.getTime()))
      return fail([problem("AUTHORITY_BAD_INPUT", "endsAt", { reason: "endsAt must be after startsAt" })]);
    if (options.checkUntil && !(options.checkUntil.getTime() > endsAt.getTime()))
      return fail([
        problem("AUTHORITY_BAD_INPUT", "checkUntil", { reason: "checkUntil must be after endsAt" }),
      ]);
    const now = this.#clock.now();
    const id = await inTransaction(this.#db, async (trx) => {
      const w = await trx
        .insertInto("maintenance_window")
        .values({ starts_at: startsAt, ends_at: endsAt, reason, created_at: now })
        .returning("id")
        .executeTakeFirstOrThrow();
      const windowId = String(w.id);
      for (const party of await this.#connectedParties(trx)) {
        const notice = writeMaintenanceNotice({
          ...this.#common(now),
          id: this.#noticeId(),
          form: MAINTENANCE_NOTICE_FORM,
          title: "Thông báo tạm dừng hệ thống hóa đơn điện tử tại cơ quan thuế để bảo trì",
          number: this.#noticeId(),
          authority: this.#config.authorityName ?? "Cục Thuế",
          windowId,
          startsAt: vnDateTime(startsAt),
          endsAt: vnDateTime(endsAt),
          ...(options.checkUntil ? { checkUntil: vnDateTime(options.checkUntil) } : {}),
          reason: reason.trim() === "" ? "Bảo trì hệ thống" : reason,
        });
        const msg = await this.#message(MAINTENANCE_NOTICE_TYPE, party, undefined, notice, now);
        const fresh = await trx
          .insertInto("maintenance_notice")
          .values({ window_id: windowId, party, message_id: msg.messageId, created_at: now })
          .onConflict((oc) => oc.columns(["window_id", "party"]).doNothing())
          .returning("message_id")
          .executeTakeFirst();
        if (fresh) await this.#outbox(trx, msg, now);
      }
      return windowId;
    });
    return ok({ id, startsAt, endsAt, reason });
  }

  /**
   * The T-VANs and direct connectors that have sent the authority messages, by a loose index scan of
   * `inbox (sender)`: one index probe per distinct sender, however long the inbox.
   */
  async #connectedParties(db: Kysely<AuthorityDb>): Promise<string[]> {
    const r = await sql<{ sender: string }>`
      with recursive s (sender) as (
        (select sender from authority.inbox where sender is not null order by sender limit 1)
        union all
        select (select i.sender from authority.inbox i
                 where i.sender is not null and i.sender > s.sender order by i.sender limit 1)
          from s where s.sender is not null)
      select sender from s where sender is not null`.execute(db);
    return r.rows.map((x) => x.sender).filter((p) => p !== this.#party && /^[VK]/.test(p) && isPartyCode(p));
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
      .selectFrom("outbox as o")
      .select(["o.type", "o.message_id", OUTBOX_XML.as("xml")])
      .where("o.to_party", "=", to)
      .where("o.delivered_at", "is", null)
      .orderBy("o.id")
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
      .selectFrom("outbox as o")
      .select(["o.message_id", "o.type", OUTBOX_XML.as("xml"), "o.created_at"])
      .where("o.reply_to", "=", messageId)
      .orderBy("o.id")
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

  /**
   * Public lookup: the coded invoice's public fields when all five fields match (the total compared as a
   * number); the buyer and the content are for the inspector lookup only.
   */
  async publicLookup(q: PublicLookupInput): Promise<PublicInvoice | undefined> {
    let total: Dec;
    try {
      total = Dec.parse(q.total);
    } catch {
      return undefined;
    }
    const r = await this.#query<PublicRow>("lookup", LOOKUP_SQL, [
      q.sellerTaxCode,
      q.template,
      q.series,
      q.number,
      total.toString(),
    ]);
    const row = r.rows[0];
    return row
      ? {
          sellerTaxCode: row.seller_tax_code,
          template: row.template,
          series: row.series,
          number: row.number,
          authorityCode: row.authority_code,
          total: Dec.parse(row.total).toString(),
          issueDate: row.issue_date,
          codedAt: row.coded_at,
        }
      : undefined;
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

type PublicRow = Pick<
  CodedRow,
  | "seller_tax_code"
  | "template"
  | "series"
  | "number"
  | "authority_code"
  | "total"
  | "issue_date"
  | "coded_at"
>;

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
