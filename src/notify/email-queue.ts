/**
 * The durable e-mail queue of the seller (tables of migration seller/020_notify): an e-mail is queued in
 * the database (in the caller's transaction if it gives one), then any number of workers `drain()` the
 * queue through an `EmailSender`.
 *
 * - Idempotent by the caller's key: queuing the same key again changes nothing and returns the first
 *   e-mail's id (`duplicate: true`). The key says what a delivery is, e.g. `invoice:<id>:buyer` or
 *   `invoice:<id>:resend:<n>` for a deliberate second sending.
 * - Claims use `FOR UPDATE SKIP LOCKED`: two workers never take the same e-mail. A claim is a lease
 *   (`leaseMs`); a worker that dies mid-send leaves the e-mail to be taken again when the lease ends, so
 *   delivery is at least once (every try carries the same Message-ID, which mail systems use to drop
 *   repeats). Results are recorded under the claim number, so a worker whose lease ran out cannot
 *   overwrite its successor's result.
 * - A temporary failure (4xx, timeout, connection) is tried again after an exponential backoff with full
 *   jitter; after `maxAttempts` tries, or at once on a permanent refusal (5xx), the e-mail is `dead`.
 *   An operator can `requeue` a dead e-mail.
 * - Every try is logged in `email_attempt` with the server's answer.
 *
 * Times come from the Clock (SQL `now()` is never used), so tests move time with a ManualClock.
 */
import { randomUUID } from "node:crypto";
import { type QueryExecutorProvider, sql } from "kysely";
import type { Clock } from "../domain/clock.ts";
import { makeProblem, type Problem, type Result } from "../domain/problem.ts";
import { checkSchemaName, type Database } from "../store/database.ts";
import { inTransaction } from "../store/transaction.ts";
import { backoffDelay } from "../transport/outbox.ts";
import { notifyCodes } from "./codes.ts";
import { type EmailAttachment, type EmailSender, isEmailAddress, type SendOutcome } from "./email.ts";
import {
  checkInvoiceEmail,
  composeInvoiceEmail,
  composeNotice,
  type EmailLanguage,
  type InvoiceEmailContent,
} from "./invoice-email.ts";

export type EmailState = "pending" | "sending" | "failed" | "sent" | "dead";
export type EmailKind = "invoice" | "notice";

export interface EmailRetryPolicy {
  /** Tries before an e-mail is dead. Default 8. */
  readonly maxAttempts: number;
  /** First backoff ceiling. Default 1 min. */
  readonly baseMs: number;
  /** Largest backoff ceiling. Default 6 h. */
  readonly capMs: number;
  /** How long a claim lasts before another worker may take the e-mail. Default 10 min. */
  readonly leaseMs: number;
}

export const DEFAULT_EMAIL_POLICY: EmailRetryPolicy = {
  maxAttempts: 8,
  baseMs: 60_000,
  capMs: 6 * 3_600_000,
  leaseMs: 10 * 60_000,
};

export interface EmailQueueOptions {
  /** Schema holding the tables of migration seller/020_notify. Default `seller`. */
  readonly schema?: string;
  /** Default: the database's clock. */
  readonly clock?: Clock;
  readonly policy?: Partial<EmailRetryPolicy>;
  /** Jitter source in [0, 1). Default Math.random. */
  readonly random?: () => number;
  /** Domain of the Message-IDs made at queuing. Default `hddt.invalid`. */
  readonly messageIdDomain?: string;
  /**
   * Called in the transaction that marks an e-mail sent (e.g. to emit `invoice.delivered` with
   * `Webhooks.emit(trx, …)`, so the event exists exactly when the e-mail is recorded as sent). If it
   * throws, the sent mark rolls back and the e-mail goes again when its lease ends.
   */
  readonly onSent?: (trx: QueryExecutorProvider, email: SentEmail) => Promise<void>;
}

/** What `onSent` is told. */
export interface SentEmail {
  readonly id: string;
  readonly key: string;
  readonly kind: EmailKind;
  readonly taxCode: string | null;
  readonly ref: string | null;
  readonly to: readonly string[];
  readonly sentAt: Date;
  /** The mail server's answer. */
  readonly response: string;
}

/** Any e-mail, already written. */
export interface QueueEmailRequest {
  /** Idempotency key: a second request with the same key queues nothing. */
  readonly key: string;
  readonly kind: EmailKind;
  readonly to: string | readonly string[];
  readonly subject: string;
  readonly text: string;
  readonly html?: string;
  readonly attachments?: readonly EmailAttachment[];
  readonly language?: EmailLanguage;
  /** The organisation the e-mail is sent for (seller's tax code), for listing. */
  readonly taxCode?: string;
  /** What it is about (invoice id, notice id), for listing. */
  readonly ref?: string;
}

/** An invoice to its buyer: see `composeInvoiceEmail` for the message. */
export interface InvoiceEmailRequest extends InvoiceEmailContent {
  readonly key: string;
  readonly to: string | readonly string[];
  /** Default: the invoice's seller tax code. */
  readonly taxCode?: string;
  readonly ref?: string;
}

/** One notice to many: one e-mail per recipient (each tried and logged on its own). */
export interface BroadcastRequest {
  /** Key of the broadcast; each e-mail's key is `<key>/<recipient>`. */
  readonly key: string;
  readonly recipients: readonly string[];
  readonly subject: string;
  readonly body: string;
  readonly language?: EmailLanguage;
  readonly taxCode?: string;
  readonly ref?: string;
}

export interface QueuedEmail {
  readonly id: string;
  /** True when the key was queued before (nothing changed). */
  readonly duplicate: boolean;
}

export interface BroadcastReport {
  /** Ids of the e-mails queued now. */
  readonly queued: string[];
  /** Recipients whose e-mail of this broadcast was queued before. */
  readonly duplicates: string[];
}

export interface EmailEntry {
  readonly id: string;
  readonly key: string;
  readonly kind: EmailKind;
  readonly taxCode: string | null;
  readonly ref: string | null;
  readonly language: EmailLanguage;
  readonly to: string[];
  readonly subject: string;
  readonly messageId: string;
  readonly state: EmailState;
  readonly attempts: number;
  readonly nextAttemptAt: Date;
  readonly lastError: string | null;
  readonly createdAt: Date;
  readonly sentAt: Date | null;
}

export interface EmailAttempt {
  readonly attempt: number;
  readonly worker: string;
  readonly startedAt: Date;
  readonly finishedAt: Date;
  readonly outcome: "sent" | "retry" | "dead";
  readonly smtpCode: number | null;
  readonly response: string;
}

export interface DrainOptions {
  /** Shown in the log. Default: a random id. */
  readonly workerId?: string;
  /** E-mails per claim, sent in parallel. Default 10. */
  readonly batchSize?: number;
  /** Stop after this many batches even if more is due. Default 100. */
  readonly maxBatches?: number;
}

export interface DrainReport {
  readonly claimed: number;
  readonly sent: number;
  readonly retried: number;
  readonly dead: number;
  /** Results not recorded: the lease had run out and another worker had taken the e-mail. */
  readonly stale: number;
}

interface ClaimRow {
  id: string;
  idempotency_key: string;
  kind: EmailKind;
  tax_code: string | null;
  ref: string | null;
  claims: number;
  attempts: number;
  recipients: string[];
  subject: string;
  text_body: string;
  html_body: string | null;
  message_id: string;
}

interface EntryRow {
  id: string;
  idempotency_key: string;
  kind: EmailKind;
  tax_code: string | null;
  ref: string | null;
  language: EmailLanguage;
  recipients: string[];
  subject: string;
  message_id: string;
  state: EmailState;
  attempts: number;
  next_attempt_at: Date;
  last_error: string | null;
  created_at: Date;
  sent_at: Date | null;
}

const ENTRY_COLUMNS = `id::text as id, idempotency_key, kind, tax_code, ref, language, recipients, subject,
  message_id, state, attempts, next_attempt_at, last_error, created_at, sent_at`;

function toEntry(r: EntryRow): EmailEntry {
  return {
    id: r.id,
    key: r.idempotency_key,
    kind: r.kind,
    taxCode: r.tax_code,
    ref: r.ref,
    language: r.language,
    to: r.recipients,
    subject: r.subject,
    messageId: r.message_id,
    state: r.state,
    attempts: r.attempts,
    nextAttemptAt: r.next_attempt_at,
    lastError: r.last_error,
    createdAt: r.created_at,
    sentAt: r.sent_at,
  };
}

function recipientList(to: string | readonly string[]): string[] {
  const list = typeof to === "string" ? [to] : [...to];
  const seen = new Set<string>();
  const out: string[] = [];
  for (const raw of list) {
    const a = raw.trim();
    if (seen.has(a.toLowerCase())) continue;
    seen.add(a.toLowerCase());
    out.push(a);
  }
  return out;
}

function checkRecipients(to: readonly string[], path: string): Problem[] {
  if (to.length === 0) return [makeProblem(notifyCodes, "EMAIL_NO_RECIPIENT", path)];
  const problems: Problem[] = [];
  to.forEach((a, i) => {
    if (!isEmailAddress(a))
      problems.push(makeProblem(notifyCodes, "EMAIL_BAD_ADDRESS", `${path}/${i}`, { address: a }));
  });
  return problems;
}

/** The seller's e-mail queue. Safe to use from many workers and processes at once. */
export class EmailQueue {
  readonly #db: Database;
  readonly #s: string;
  readonly #clock: Clock;
  readonly #random: () => number;
  readonly #domain: string;
  readonly #onSent: EmailQueueOptions["onSent"];
  readonly policy: EmailRetryPolicy;

  constructor(db: Database, options: EmailQueueOptions = {}) {
    this.#db = db;
    this.#s = checkSchemaName(options.schema ?? "seller");
    this.#clock = options.clock ?? db.clock;
    this.#random = options.random ?? Math.random;
    this.#domain = options.messageIdDomain ?? "hddt.invalid";
    this.#onSent = options.onSent;
    this.policy = { ...DEFAULT_EMAIL_POLICY, ...options.policy };
  }

  /**
   * Queues an invoice e-mail to its buyer, with the XML and (if given) the PDF attached. Pass the caller's
   * transaction as `executor` to queue atomically with the change that calls for it.
   */
  async deliverInvoiceEmail(
    request: InvoiceEmailRequest,
    executor?: QueryExecutorProvider,
  ): Promise<Result<QueuedEmail>> {
    const to = recipientList(request.to);
    const problems = [...checkRecipients(to, "/to"), ...checkInvoiceEmail(request)];
    if (problems.length > 0) return { ok: false, problems };
    const mail = composeInvoiceEmail(request);
    return this.enqueue(
      {
        key: request.key,
        kind: "invoice",
        to,
        subject: mail.subject,
        text: mail.text,
        html: mail.html,
        attachments: mail.attachments,
        language: request.language ?? "vi",
        taxCode: request.taxCode ?? request.invoice.sellerTaxCode,
        ...(request.ref === undefined ? {} : { ref: request.ref }),
      },
      executor,
    );
  }

  /**
   * Queues one e-mail per recipient with the same notice (the authority's maintenance announcements,
   * forwarded by a provider to every customer). Recipients are de-duplicated; bad addresses refuse the
   * whole broadcast (nothing is queued).
   */
  async broadcastNotice(
    request: BroadcastRequest,
    executor?: QueryExecutorProvider,
  ): Promise<Result<BroadcastReport>> {
    const to = recipientList(request.recipients);
    const problems = checkRecipients(to, "/recipients");
    if (request.subject.trim() === "")
      problems.push(makeProblem(notifyCodes, "EMAIL_EMPTY", "/subject", { field: "subject" }));
    if (request.body.trim() === "")
      problems.push(makeProblem(notifyCodes, "EMAIL_EMPTY", "/body", { field: "body" }));
    if (problems.length > 0) return { ok: false, problems };
    const mail = composeNotice(request.subject, request.body);
    const run = async (ex: QueryExecutorProvider) => {
      const report: BroadcastReport = { queued: [], duplicates: [] };
      for (const r of to) {
        const q = await this.#insert(
          {
            key: `${request.key}/${r.toLowerCase()}`,
            kind: "notice",
            to: [r],
            subject: mail.subject,
            text: mail.text,
            html: mail.html,
            language: request.language ?? "vi",
            ...(request.taxCode === undefined ? {} : { taxCode: request.taxCode }),
            ...(request.ref === undefined ? {} : { ref: request.ref }),
          },
          ex,
        );
        if (q.duplicate) report.duplicates.push(r);
        else report.queued.push(q.id);
      }
      return report;
    };
    const value = executor ? await run(executor) : await inTransaction(this.#db.kysely(this.#s), run);
    return { ok: true, value };
  }

  /** Queues an e-mail already written. */
  async enqueue(request: QueueEmailRequest, executor?: QueryExecutorProvider): Promise<Result<QueuedEmail>> {
    const to = recipientList(request.to);
    const problems = checkRecipients(to, "/to");
    if (request.subject.trim() === "")
      problems.push(makeProblem(notifyCodes, "EMAIL_EMPTY", "/subject", { field: "subject" }));
    if (problems.length > 0) return { ok: false, problems };
    const req = { ...request, to };
    const value = executor
      ? await this.#insert(req, executor)
      : await inTransaction(this.#db.kysely(this.#s), (trx) => this.#insert(req, trx));
    return { ok: true, value };
  }

  async #insert(r: QueueEmailRequest & { to: string[] }, ex: QueryExecutorProvider): Promise<QueuedEmail> {
    const now = this.#clock.now();
    const messageId = `<${randomUUID()}@${this.#domain}>`;
    const ins = await sql<{ id: string }>`
      insert into ${sql.table(`${this.#s}.email_outbox`)}
        (idempotency_key, kind, tax_code, ref, language, recipients, subject, text_body, html_body, message_id,
         next_attempt_at, created_at)
      values (${r.key}, ${r.kind}, ${r.taxCode ?? null}, ${r.ref ?? null}, ${r.language ?? "vi"}, ${r.to}::text[],
        ${r.subject}, ${r.text}, ${r.html ?? null}, ${messageId}, ${now}, ${now})
      on conflict (idempotency_key) do nothing
      returning id::text as id`.execute(ex);
    const id = ins.rows[0]?.id;
    if (id === undefined) {
      const found = await sql<{ id: string }>`
        select id::text as id from ${sql.table(`${this.#s}.email_outbox`)} where idempotency_key = ${r.key}`.execute(
        ex,
      );
      return { id: found.rows[0]!.id, duplicate: true };
    }
    let position = 0;
    for (const a of r.attachments ?? []) {
      await sql`
        insert into ${sql.table(`${this.#s}.email_attachment`)} (email_id, position, filename, content_type, content)
        values (${id}, ${position++}, ${a.filename}, ${a.contentType}, ${a.content})`.execute(ex);
    }
    return { id, duplicate: false };
  }

  /**
   * Sends what is due through `sender`, batch after batch, until nothing is due (by the clock) or
   * `maxBatches` is reached. Run it from as many workers as wanted.
   */
  async drain(sender: EmailSender, options: DrainOptions = {}): Promise<DrainReport> {
    const workerId = options.workerId ?? `mail-${randomUUID().slice(0, 8)}`;
    const batchSize = options.batchSize ?? 10;
    const maxBatches = options.maxBatches ?? 100;
    const total = { claimed: 0, sent: 0, retried: 0, dead: 0, stale: 0 };
    for (let b = 0; b < maxBatches; b++) {
      const claimed = await this.#claim(batchSize, workerId);
      if (claimed.length === 0) break;
      total.claimed += claimed.length;
      const attachments = await this.#attachments(claimed.map((c) => c.id));
      await Promise.all(
        claimed.map(async (c) => {
          const startedAt = this.#clock.now();
          let outcome: SendOutcome;
          try {
            outcome = await sender.send({
              to: c.recipients,
              subject: c.subject,
              text: c.text_body,
              ...(c.html_body === null ? {} : { html: c.html_body }),
              attachments: attachments.get(c.id) ?? [],
              messageId: c.message_id,
              date: startedAt,
            });
          } catch (error) {
            // A sender that throws is a bug or an outage; treat it as a temporary failure, keep the reason.
            outcome = { ok: false, permanent: false, response: `error: ${(error as Error).message}` };
          }
          const result = await this.#record(c, workerId, startedAt, outcome);
          total[result]++;
        }),
      );
    }
    return total;
  }

  async #claim(n: number, workerId: string): Promise<ClaimRow[]> {
    const now = this.#clock.now();
    const lease = new Date(now.getTime() + this.policy.leaseMs);
    const s = this.#s;
    const r = await this.#db.pool.query<ClaimRow>(
      `with c as (
         select id from ${s}.email_outbox
         where state in ('pending', 'sending', 'failed') and next_attempt_at <= $1
         order by next_attempt_at, id
         limit $2
         for update skip locked
       )
       update ${s}.email_outbox o
       set state = 'sending', attempts = o.attempts + 1, claims = o.claims + 1, claimed_by = $3,
           next_attempt_at = $4
       from c where o.id = c.id
       returning o.id::text as id, o.idempotency_key, o.kind, o.tax_code, o.ref, o.claims, o.attempts,
         o.recipients, o.subject, o.text_body, o.html_body, o.message_id`,
      [now, n, workerId, lease],
    );
    return r.rows;
  }

  async #attachments(ids: string[]): Promise<Map<string, EmailAttachment[]>> {
    const r = await this.#db.pool.query<{
      email_id: string;
      filename: string;
      content_type: string;
      content: Buffer;
    }>(
      `select email_id::text as email_id, filename, content_type, content from ${this.#s}.email_attachment
       where email_id = any($1::bigint[]) order by email_id, position`,
      [ids],
    );
    const out = new Map<string, EmailAttachment[]>();
    for (const row of r.rows) {
      const list = out.get(row.email_id) ?? [];
      list.push({ filename: row.filename, contentType: row.content_type, content: row.content });
      out.set(row.email_id, list);
    }
    return out;
  }

  async #record(
    c: ClaimRow,
    workerId: string,
    startedAt: Date,
    outcome: SendOutcome,
  ): Promise<"sent" | "retried" | "dead" | "stale"> {
    const now = this.#clock.now();
    let state: EmailState;
    let next = now;
    if (outcome.ok) state = "sent";
    else if (outcome.permanent || c.attempts >= this.policy.maxAttempts) state = "dead";
    else {
      state = "failed";
      next = new Date(now.getTime() + backoffDelay(c.attempts, this.policy, this.#random));
    }
    const logOutcome = state === "failed" ? "retry" : state;
    const s = this.#s;
    return inTransaction(this.#db.kysely(s), async (trx) => {
      await sql`
        insert into ${sql.table(`${s}.email_attempt`)}
          (email_id, attempt, worker, started_at, finished_at, outcome, smtp_code, response)
        values (${c.id}, ${c.attempts}, ${workerId}, ${startedAt}, ${now}, ${logOutcome}, ${outcome.code ?? null},
          ${outcome.response})`.execute(trx);
      const u = await sql`
        update ${sql.table(`${s}.email_outbox`)}
        set state = ${state}, next_attempt_at = ${next}, claimed_by = null,
          last_error = ${outcome.ok ? null : outcome.response}, sent_at = ${outcome.ok ? now : null}
        where id = ${c.id} and claims = ${c.claims} and state = 'sending'`.execute(trx);
      if (Number(u.numAffectedRows ?? 0n) === 0) return "stale";
      if (outcome.ok && this.#onSent)
        await this.#onSent(trx, {
          id: c.id,
          key: c.idempotency_key,
          kind: c.kind,
          taxCode: c.tax_code,
          ref: c.ref,
          to: c.recipients,
          sentAt: now,
          response: outcome.response,
        });
      return state === "failed" ? "retried" : state;
    });
  }

  // -------------------------------------------------------------------------------------------------------
  // Operator functions

  /** E-mails in id order (without bodies and attachments). */
  async list(
    filter: {
      readonly state?: EmailState;
      readonly taxCode?: string;
      readonly ref?: string;
      readonly afterId?: string;
      readonly limit?: number;
    } = {},
  ): Promise<EmailEntry[]> {
    const limit = Math.min(Math.max(filter.limit ?? 100, 1), 1000);
    const r = await this.#db.pool.query<EntryRow>(
      `select ${ENTRY_COLUMNS} from ${this.#s}.email_outbox
       where ($1::text is null or state = $1) and ($2::text is null or tax_code = $2)
         and ($3::text is null or ref = $3) and ($4::bigint is null or id > $4)
       order by id limit $5`,
      [filter.state ?? null, filter.taxCode ?? null, filter.ref ?? null, filter.afterId ?? null, limit],
    );
    return r.rows.map(toEntry);
  }

  /** One e-mail by id or idempotency key; EMAIL_NOT_FOUND if there is none. */
  async get(idOrKey: { readonly id: string } | { readonly key: string }): Promise<Result<EmailEntry>> {
    const byId = "id" in idOrKey;
    const value = byId ? idOrKey.id : idOrKey.key;
    if (byId && !/^\d{1,18}$/.test(value))
      return { ok: false, problems: [makeProblem(notifyCodes, "EMAIL_NOT_FOUND", "/id", { id: value })] };
    const r = await this.#db.pool.query<EntryRow>(
      byId
        ? `select ${ENTRY_COLUMNS} from ${this.#s}.email_outbox where id = $1::bigint`
        : `select ${ENTRY_COLUMNS} from ${this.#s}.email_outbox where idempotency_key = $1`,
      [value],
    );
    const row = r.rows[0];
    if (!row)
      return { ok: false, problems: [makeProblem(notifyCodes, "EMAIL_NOT_FOUND", "/id", { id: value })] };
    return { ok: true, value: toEntry(row) };
  }

  /** The delivery log of an e-mail, oldest try first. */
  async attempts(emailId: string): Promise<EmailAttempt[]> {
    const r = await this.#db.pool.query<{
      attempt: number;
      worker: string;
      started_at: Date;
      finished_at: Date;
      outcome: EmailAttempt["outcome"];
      smtp_code: number | null;
      response: string;
    }>(
      `select attempt, worker, started_at, finished_at, outcome, smtp_code, response
       from ${this.#s}.email_attempt where email_id = $1::bigint order by id`,
      [emailId],
    );
    return r.rows.map((row) => ({
      attempt: row.attempt,
      worker: row.worker,
      startedAt: row.started_at,
      finishedAt: row.finished_at,
      outcome: row.outcome,
      smtpCode: row.smtp_code,
      response: row.response,
    }));
  }

  /** Number of e-mails per state. */
  async counts(): Promise<Record<EmailState, number>> {
    const r = await this.#db.pool.query<{ state: EmailState; n: bigint }>(
      `select state, count(*) as n from ${this.#s}.email_outbox group by state`,
    );
    const out: Record<EmailState, number> = { pending: 0, sending: 0, failed: 0, sent: 0, dead: 0 };
    for (const row of r.rows) out[row.state] = Number(row.n);
    return out;
  }

  /** Gives a dead e-mail a fresh set of tries, due now. EMAIL_NOT_FOUND, EMAIL_NOT_REQUEUEABLE. */
  async requeue(id: string): Promise<Result<EmailEntry>> {
    const r = await this.#db.pool.query<EntryRow>(
      `update ${this.#s}.email_outbox set state = 'pending', attempts = 0, next_attempt_at = $2, claimed_by = null
       where id = $1::bigint and state = 'dead' returning ${ENTRY_COLUMNS}`,
      [id, this.#clock.now()],
    );
    const row = r.rows[0];
    if (row) return { ok: true, value: toEntry(row) };
    const found = await this.get({ id });
    if (!found.ok) return found;
    return {
      ok: false,
      problems: [makeProblem(notifyCodes, "EMAIL_NOT_REQUEUEABLE", "/id", { id, state: found.value.state })],
    };
  }
}
