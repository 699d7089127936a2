/**
 * A durable outbox in PostgreSQL: messages waiting to be handed to their destination, drained by any number
 * of worker processes. Each part that sends keeps one in its own schema (the T-VAN's in `tvan`, the seller's
 * in `seller`), with the tables of `src/store/migrations/outbox-tables.ts`.
 *
 * Life of a row: `pending` → claimed (`in_flight`, with a lease) → `sent` once the receiver answered, or
 * back to `pending` with a later `next_attempt_at` after a failure, or `dead` after `maxAttempts` failed
 * tries (or at once when the receiver refused the message for good). An operator lists, inspects and
 * requeues dead messages.
 *
 * Guarantees:
 * - A message id is enqueued once (unique column; a second enqueue of the same id is reported as a
 *   duplicate and changes nothing), and marked sent once (the update is guarded by the claim number, so a
 *   worker whose lease ran out cannot overwrite its successor's result).
 * - Delivery is at least once: a worker that dies between sending and recording leaves the row in flight;
 *   when its lease ends another worker sends the same bytes, with the same message id, again. Receivers are
 *   idempotent by message id (they answer a repeat with their first reply and do nothing else), so the
 *   effect is exactly once. Nothing here can do better: the receiver may have acted on a message whose
 *   answer was lost.
 * - Per ordering key (the seller's tax code, typically), order only where it matters. Each keyed message
 *   has a sequence in its key and is a barrier or not (`barrier`, default true):
 *   - a barrier (e.g. a registration) is not claimed while any earlier message of its key is unsent
 *     (pending, in flight or dead), and holds back every later message of its key until it is sent;
 *   - a non-barrier (e.g. an invoice) waits only for the earlier barriers of its key, so the invoices of
 *     one seller go out in parallel.
 *   With every message a barrier this is strict order: one message per key in flight.
 *   Besides, `after` names one message that must be sent first (an invoice before its replacement).
 *   A dead message blocks what waits for it until it is requeued. Enqueuers of one key are serialised by a
 *   row lock on `outbox_key`, so sequence order is commit order.
 * - Claims use `FOR UPDATE SKIP LOCKED`: concurrent workers never take the same row.
 *
 * Not hammering a receiver: an `unavailable` answer with a retry time holds the whole destination until
 * then (and does not count as a failed try); an announced maintenance window holds it from its start until
 * a connection check after its end succeeds (see worker.ts). A destination that answered none of a batch
 * and then failed its connection check too (the worker runs it and passes it as `unreachable`) is down, not
 * the messages at fault: the whole destination is held, backing off exponentially with full jitter on its
 * consecutive failures, and the tries are not counted, so an outage longer than the retry budget sends
 * nothing to dead-letter. Its first answer resets the count; the worker also probes a down destination with
 * its connection check every few seconds and releases the hold when it answers (`releaseDown`), so the
 * backlog goes as soon as the receiver is back, not when the backoff (up to minutes) runs out. Other failures back off per message,
 * exponentially with full jitter, and count towards dead-letter.
 *
 * Business times come from the Clock; SQL `now()` is never used.
 */
import { type QueryExecutorProvider, sql } from "kysely";
import type { Clock } from "../domain/clock.ts";
import { makeProblem, type Result } from "../domain/problem.ts";
import { checkSchemaName, type Database } from "../store/database.ts";
import { inTransaction } from "../store/transaction.ts";
import { transportCodes } from "./codes.ts";
import type { PartyAddress, TransportResult } from "./transport.ts";

export type OutboxState = "pending" | "in_flight" | "sent" | "dead";

/** A message to send. */
export interface OutgoingMessage {
  /** MTDiep of the message; unique in the outbox. */
  readonly messageId: string;
  readonly destination: PartyAddress;
  /** The whole TDiep, sent byte-exact. */
  readonly xml: string;
  /** Messages of one key are sent in order (e.g. the seller's tax code). None: no order. */
  readonly orderingKey?: string;
  /**
   * With `orderingKey`: whether the message is a barrier of its key (waits for every earlier message of the
   * key and holds back every later one). Default true (strict order). False: waits only for barriers.
   */
  readonly barrier?: boolean;
  /** Id of a message (in this outbox) that must be sent before this one; ignored if it is not there. */
  readonly after?: string;
}

export interface RetryPolicy {
  /** Failed tries before a message goes to dead-letter. Default 20. */
  readonly maxAttempts: number;
  /** First backoff ceiling. Default 1 s. */
  readonly baseMs: number;
  /** Largest backoff ceiling. Default 5 min. */
  readonly capMs: number;
  /** How long a claim lasts before another worker may take the message over. Default 60 s. */
  readonly leaseMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  maxAttempts: 20,
  baseMs: 1000,
  capMs: 5 * 60_000,
  leaseMs: 60_000,
};

/**
 * The wait before try `attempt + 1` after `attempt` failed tries (1-based): full jitter, a uniformly random
 * wait between 0 and min(cap, base × 2^(attempt−1)). `random` returns a number in [0, 1).
 */
export function backoffDelay(
  attempt: number,
  policy: Pick<RetryPolicy, "baseMs" | "capMs">,
  random: () => number,
) {
  const exp = Math.min(Math.max(attempt - 1, 0), 52);
  const ceiling = Math.min(policy.capMs, policy.baseMs * 2 ** exp);
  return Math.floor(random() * ceiling);
}

/** A message taken by a worker. `claim` identifies this claim when recording the result. */
export interface ClaimedMessage {
  readonly id: string;
  readonly claim: number;
  readonly messageId: string;
  readonly destination: PartyAddress;
  readonly xml: string;
  /** Tries so far, this one included. */
  readonly attempts: number;
  readonly orderingKey: string | null;
  readonly sequence: string | null;
}

/** A row as an operator sees it. */
export interface OutboxEntry {
  readonly id: string;
  readonly messageId: string;
  readonly destination: PartyAddress;
  readonly state: OutboxState;
  readonly attempts: number;
  readonly nextAttemptAt: Date;
  readonly lastError: string | null;
  readonly claimedBy: string | null;
  readonly orderingKey: string | null;
  readonly sequence: string | null;
  readonly createdAt: Date;
  readonly sentAt: Date | null;
}

/** A row with its content and the receiver's reply. */
export interface OutboxDetail extends OutboxEntry {
  readonly xml: string;
  readonly reply: string | null;
}

export interface EnqueueReport {
  /** Ids added by this call. */
  readonly enqueued: string[];
  /** Ids already in the outbox (left as they were). */
  readonly duplicates: string[];
}

export interface CompletionReport {
  readonly sent: number;
  /** Back to pending for a later try. */
  readonly retried: number;
  readonly dead: number;
  /** Results not recorded because the claim had been taken over (lease ran out) or the row changed. */
  readonly stale: number;
}

export interface ListFilter {
  readonly state?: OutboxState;
  readonly destination?: PartyAddress;
  /** Rows with an id above this one (paging). */
  readonly afterId?: string;
  /** Default 100, at most 1000. */
  readonly limit?: number;
}

/** An announced period during which a destination takes no messages. */
export interface MaintenanceWindow {
  readonly destination: PartyAddress;
  readonly startsAt: Date;
  readonly endsAt: Date;
  /** The notice as received (text or XML). */
  readonly notice?: string;
}

export interface MaintenanceRecord extends MaintenanceWindow {
  readonly id: string;
  readonly announcedAt: Date;
  readonly resumedAt: Date | null;
  readonly lastCheckError: string | null;
}

export interface OutboxOptions {
  /** Schema whose outbox tables (`createOutboxTables`) this outbox uses. Default `tvan`. */
  readonly schema?: string;
  /** Default: the database's clock. */
  readonly clock?: Clock;
  readonly policy?: Partial<RetryPolicy>;
  /** Jitter source in [0, 1). Default Math.random. */
  readonly random?: () => number;
}

interface EntryRow {
  id: string;
  message_id: string;
  destination: string;
  state: OutboxState;
  attempts: number;
  next_attempt_at: Date;
  last_error: string | null;
  claimed_by: string | null;
  ordering_key: string | null;
  sequence: bigint | null;
  created_at: Date;
  sent_at: Date | null;
  xml?: string;
  reply?: string | null;
}

const ENTRY_COLUMNS = `id::text as id, message_id, destination, state, attempts, next_attempt_at, last_error,
  claimed_by, ordering_key, sequence, created_at, sent_at`;

function toEntry(r: EntryRow): OutboxEntry {
  return {
    id: r.id,
    messageId: r.message_id,
    destination: r.destination,
    state: r.state,
    attempts: r.attempts,
    nextAttemptAt: r.next_attempt_at,
    lastError: r.last_error,
    claimedBy: r.claimed_by,
    orderingKey: r.ordering_key,
    sequence: r.sequence === null ? null : String(r.sequence),
    createdAt: r.created_at,
    sentAt: r.sent_at,
  };
}

const CLAIM_SQL = (s: string): string => `
with c as (
  select o.id from ${s}.outbox o
  where o.state in ('pending', 'in_flight') and o.next_attempt_at <= $1
    and (o.ordering_key is null or (
      not exists (
        select 1 from ${s}.outbox p
        where p.ordering_key = o.ordering_key and p.barrier and p.state <> 'sent' and p.sequence < o.sequence)
      and (not o.barrier or not exists (
        select 1 from ${s}.outbox p
        where p.ordering_key = o.ordering_key and p.state <> 'sent' and p.sequence < o.sequence))))
    and (o.after_id is null or not exists (
      select 1 from ${s}.outbox a where a.message_id = o.after_id and a.state <> 'sent'))
    and not exists (
      select 1 from ${s}.destination_hold h where h.destination = o.destination and h.held_until > $1)
    and not exists (
      select 1 from ${s}.maintenance_window w
      where w.destination = o.destination and w.resumed_at is null and w.starts_at <= $1)
  order by o.next_attempt_at, o.id
  limit $2
  for update of o skip locked
)
update ${s}.outbox o
set state = 'in_flight', attempts = o.attempts + 1, claims = o.claims + 1, claimed_by = $3,
    next_attempt_at = $4
from c where o.id = c.id
returning o.id::text as id, o.claims, o.message_id, o.destination, o.xml, o.attempts, o.ordering_key,
  o.sequence::text as sequence`;

const SENT_SQL = (s: string): string => `
update ${s}.outbox o
set state = 'sent', sent_at = $1, reply = v.reply, last_error = null, claimed_by = null
from unnest($2::bigint[], $3::int[], $4::text[]) as v(id, claims, reply)
where o.id = v.id and o.claims = v.claims and o.state = 'in_flight'
returning o.destination`;

const RETRY_SQL = (s: string): string => `
update ${s}.outbox o
set state = v.state, next_attempt_at = v.next, attempts = o.attempts - v.uncount, last_error = v.error,
    claimed_by = null
from unnest($1::bigint[], $2::int[], $3::text[], $4::timestamptz[], $5::int[], $6::text[])
  as v(id, claims, state, next, uncount, error)
where o.id = v.id and o.claims = v.claims and o.state = 'in_flight'
returning o.state`;

const HOLD_SQL = (s: string): string => `
insert into ${s}.destination_hold (destination, held_until, reason)
values ($1, $2, $3)
on conflict (destination) do update
set held_until = greatest(destination_hold.held_until, excluded.held_until), reason = excluded.reason`;

/** The outbox of one database. Safe to use from many workers and processes at once. */
export class Outbox {
  readonly #db: Database;
  readonly #clock: Clock;
  readonly #random: () => number;
  /** Named (server-side prepared) statements; not on the embedded database, whose one session is shared. */
  readonly #named: boolean;
  readonly policy: RetryPolicy;
  /** The schema holding the outbox tables (checked identifier, so it may be spliced into SQL). */
  readonly #s: string;
  readonly #sql: { claim: string; sent: string; retry: string; hold: string };

  constructor(db: Database, options: OutboxOptions = {}) {
    this.#db = db;
    this.#s = checkSchemaName(options.schema ?? "tvan");
    this.#sql = {
      claim: CLAIM_SQL(this.#s),
      sent: SENT_SQL(this.#s),
      retry: RETRY_SQL(this.#s),
      hold: HOLD_SQL(this.#s),
    };
    this.#clock = options.clock ?? db.clock;
    this.#random = options.random ?? Math.random;
    this.#named = db.kind === "postgres";
    this.policy = { ...DEFAULT_RETRY_POLICY, ...options.policy };
  }

  #query(name: string, text: string, values: unknown[]): { name?: string; text: string; values: unknown[] } {
    return this.#named ? { name, text, values } : { text, values };
  }

  /**
   * Adds messages. Pass the caller's transaction as `executor` to enqueue atomically with the business
   * change that produced them; without it the call is its own transaction.
   */
  async enqueue(
    messages: OutgoingMessage | readonly OutgoingMessage[],
    executor?: QueryExecutorProvider,
  ): Promise<EnqueueReport> {
    const list: readonly OutgoingMessage[] = Array.isArray(messages)
      ? messages
      : [messages as OutgoingMessage];
    if (list.length === 0) return { enqueued: [], duplicates: [] };
    const needsKeys = list.some((m) => m.orderingKey !== undefined);
    if (executor) return this.#enqueue(list, executor);
    if (!needsKeys) return this.#enqueue(list, this.#db.kysely(this.#s));
    return inTransaction(this.#db.kysely(this.#s), (trx) => this.#enqueue(list, trx));
  }

  async #enqueue(list: readonly OutgoingMessage[], ex: QueryExecutorProvider): Promise<EnqueueReport> {
    const now = this.#clock.now();
    // Sequences per key: one upsert for all keys of the batch, in key order (no deadlock between batches).
    const counts = new Map<string, number>();
    for (const m of list)
      if (m.orderingKey !== undefined) counts.set(m.orderingKey, (counts.get(m.orderingKey) ?? 0) + 1);
    const next = new Map<string, bigint>();
    if (counts.size > 0) {
      const keys = [...counts.keys()].sort();
      const r = await sql<{ ordering_key: string; last_sequence: bigint }>`
        insert into ${sql.table(`${this.#s}.outbox_key`)} (ordering_key, last_sequence)
        select k, n from unnest(${keys}::text[], ${keys.map((k) => counts.get(k)!)}::bigint[]) as u(k, n)
        order by k
        on conflict (ordering_key) do update set last_sequence = outbox_key.last_sequence + excluded.last_sequence
        returning ordering_key, last_sequence`.execute(ex);
      for (const row of r.rows)
        next.set(row.ordering_key, row.last_sequence - BigInt(counts.get(row.ordering_key)!) + 1n);
    }
    const ids: string[] = [];
    const dest: string[] = [];
    const xml: string[] = [];
    const keys: (string | null)[] = [];
    const seqs: (string | null)[] = [];
    const barriers: boolean[] = [];
    const afters: (string | null)[] = [];
    for (const m of list) {
      ids.push(m.messageId);
      dest.push(m.destination);
      xml.push(m.xml);
      barriers.push(m.barrier ?? true);
      afters.push(m.after ?? null);
      if (m.orderingKey === undefined) {
        keys.push(null);
        seqs.push(null);
      } else {
        const s = next.get(m.orderingKey)!;
        next.set(m.orderingKey, s + 1n);
        keys.push(m.orderingKey);
        seqs.push(String(s));
      }
    }
    const r = await sql<{ message_id: string }>`
      insert into ${sql.table(`${this.#s}.outbox`)} (message_id, destination, xml, ordering_key, sequence, barrier, after_id, next_attempt_at, created_at)
      select m, d, x, k, s, b, a, ${now}, ${now}
      from unnest(${ids}::text[], ${dest}::text[], ${xml}::text[], ${keys}::text[], ${seqs}::bigint[],
        ${barriers}::boolean[], ${afters}::text[])
        with ordinality as u(m, d, x, k, s, b, a, i)
      order by i
      on conflict (message_id) do nothing
      returning message_id`.execute(ex);
    const added = new Set(r.rows.map((row) => row.message_id));
    const enqueued: string[] = [];
    const duplicates: string[] = [];
    for (const id of ids) {
      if (added.delete(id)) enqueued.push(id);
      else duplicates.push(id);
    }
    return { enqueued, duplicates };
  }

  /**
   * Takes up to `n` messages that are due, for `workerId`, until the lease ends. Skips rows other workers
   * hold, messages behind an unsent earlier one of their key, and held destinations.
   */
  async claim(n: number, workerId: string): Promise<ClaimedMessage[]> {
    const now = this.#clock.now();
    const lease = new Date(now.getTime() + this.policy.leaseMs);
    const r = await this.#db.pool.query<{
      id: string;
      claims: number;
      message_id: string;
      destination: string;
      xml: string;
      attempts: number;
      ordering_key: string | null;
      sequence: string | null;
    }>(this.#query(`${this.#s}_outbox_claim`, this.#sql.claim, [now, n, workerId, lease]));
    const out: ClaimedMessage[] = new Array(r.rows.length);
    for (let i = 0; i < r.rows.length; i++) {
      const row = r.rows[i]!;
      out[i] = {
        id: row.id,
        claim: row.claims,
        messageId: row.message_id,
        destination: row.destination,
        xml: row.xml,
        attempts: row.attempts,
        orderingKey: row.ordering_key,
        sequence: row.sequence,
      };
    }
    return out;
  }

  /** Records what the transport answered for claimed messages (one call per batch). */
  async complete(
    results: ReadonlyArray<{ readonly message: ClaimedMessage; readonly result: TransportResult }>,
    options: { readonly unreachable?: ReadonlySet<PartyAddress> } = {},
  ): Promise<CompletionReport> {
    const now = this.#clock.now();
    const sent = { ids: [] as string[], claims: [] as number[], replies: [] as string[] };
    const retry = {
      ids: [] as string[],
      claims: [] as number[],
      states: [] as string[],
      next: [] as string[],
      uncount: [] as number[],
      errors: [] as string[],
    };
    const holds = new Map<string, { until: Date; reason: string }>();
    // Destinations that answered something in this batch, and those that answered nothing at all.
    const answered = new Set<string>();
    for (const { message: m, result: r } of results)
      if (r.ok || r.kind === "rejected" || (r.kind === "unavailable" && r.retryAfter))
        answered.add(m.destination);
    const down = new Map<string, { failures: number; until: Date; reason: string }>();
    for (const { message: m, result: r } of results)
      if (
        !r.ok &&
        options.unreachable?.has(m.destination) &&
        !answered.has(m.destination) &&
        !down.has(m.destination)
      )
        down.set(m.destination, { failures: 0, until: now, reason: `${r.kind}: ${describeFailure(r)}` });
    if (down.size > 0) {
      const known = await this.#db.pool.query<{ destination: string; failures: number }>(
        `select destination, failures from ${this.#s}.destination_hold where destination = any($1::text[])`,
        [[...down.keys()]],
      );
      const prior = new Map(known.rows.map((row) => [row.destination, row.failures]));
      for (const [destination, d] of down) {
        d.failures = (prior.get(destination) ?? 0) + 1;
        d.until = new Date(now.getTime() + backoffDelay(d.failures, this.policy, this.#random));
      }
    }
    for (const { message: m, result: r } of results) {
      if (r.ok) {
        sent.ids.push(m.id);
        sent.claims.push(m.claim);
        sent.replies.push(r.reply);
        continue;
      }
      retry.ids.push(m.id);
      retry.claims.push(m.claim);
      if (r.kind === "rejected") {
        retry.states.push("dead");
        retry.next.push(now.toISOString());
        retry.uncount.push(0);
        retry.errors.push(`rejected ${r.status}: ${r.problems.map((p) => p.code).join(", ")}`);
        continue;
      }
      if (r.kind === "unavailable" && r.retryAfter && r.retryAfter > now) {
        // The receiver said when: wait for it, hold its other messages too, and do not count the try.
        retry.states.push("pending");
        retry.next.push(r.retryAfter.toISOString());
        retry.uncount.push(1);
        retry.errors.push(`unavailable until ${r.retryAfter.toISOString()}: ${r.reason}`);
        const h = holds.get(m.destination);
        if (!h || h.until < r.retryAfter) holds.set(m.destination, { until: r.retryAfter, reason: r.reason });
        continue;
      }
      retry.errors.push(`${r.kind}: ${r.reason}`);
      const outage = down.get(m.destination);
      if (outage) {
        retry.uncount.push(1);
        retry.states.push("pending");
        retry.next.push(outage.until.toISOString());
        continue;
      }
      retry.uncount.push(0);
      if (m.attempts >= this.policy.maxAttempts) {
        retry.states.push("dead");
        retry.next.push(now.toISOString());
      } else {
        retry.states.push("pending");
        retry.next.push(
          new Date(now.getTime() + backoffDelay(m.attempts, this.policy, this.#random)).toISOString(),
        );
      }
    }
    const pool = this.#db.pool;
    let sentCount = 0;
    let retried = 0;
    let dead = 0;
    let stale = 0;
    const work: Promise<void>[] = [];
    if (sent.ids.length > 0) {
      work.push(
        pool
          .query(
            this.#query(`${this.#s}_outbox_sent`, this.#sql.sent, [now, sent.ids, sent.claims, sent.replies]),
          )
          .then((r) => {
            sentCount = r.rowCount ?? 0;
            stale += sent.ids.length - sentCount;
          }),
      );
    }
    if (retry.ids.length > 0) {
      work.push(
        pool
          .query(
            this.#query(`${this.#s}_outbox_retry`, this.#sql.retry, [
              retry.ids,
              retry.claims,
              retry.states,
              retry.next,
              retry.uncount,
              retry.errors,
            ]),
          )
          .then((r: { rows: { state: OutboxState }[] }) => {
            for (const row of r.rows) {
              if (row.state === "dead") dead++;
              else retried++;
            }
            stale += retry.ids.length - r.rows.length;
          }),
      );
    }
    for (const [destination, h] of holds) {
      work.push(pool.query(this.#sql.hold, [destination, h.until, h.reason]).then(() => {}));
    }
    for (const [destination, d] of down) {
      work.push(
        pool
          .query(
            `insert into ${this.#s}.destination_hold (destination, held_until, failures, reason)
             values ($1, $2, $3, $4)
             on conflict (destination) do update
             set held_until = greatest(destination_hold.held_until, excluded.held_until),
                 failures = excluded.failures, reason = excluded.reason`,
            [destination, d.until, d.failures, d.reason],
          )
          .then(() => {}),
      );
    }
    const recovered = [...answered].filter((d) => !holds.has(d));
    if (recovered.length > 0) {
      work.push(
        pool
          .query(
            `update ${this.#s}.destination_hold set failures = 0
             where destination = any($1::text[]) and failures > 0`,
            [recovered],
          )
          .then(() => {}),
      );
    }

    await Promise.all(work);
    return { sent: sentCount, retried, dead, stale };
  }

  // -------------------------------------------------------------------------------------------------------
  // Operator functions

  /** Rows in id order, without their content. */
  async list(filter: ListFilter = {}): Promise<OutboxEntry[]> {
    const limit = Math.min(Math.max(filter.limit ?? 100, 1), 1000);
    const r = await this.#db.pool.query<EntryRow>(
      `select ${ENTRY_COLUMNS} from ${this.#s}.outbox
       where ($1::text is null or state = $1) and ($2::text is null or destination = $2)
         and ($3::bigint is null or id > $3)
       order by id limit $4`,
      [filter.state ?? null, filter.destination ?? null, filter.afterId ?? null, limit],
    );
    return r.rows.map(toEntry);
  }

  /** Number of rows per state. */
  async counts(): Promise<Record<OutboxState, number>> {
    const r = await this.#db.pool.query<{ state: OutboxState; n: bigint }>(
      `select state, count(*) as n from ${this.#s}.outbox group by state`,
    );
    const out: Record<OutboxState, number> = { pending: 0, in_flight: 0, sent: 0, dead: 0 };
    for (const row of r.rows) out[row.state] = Number(row.n);
    return out;
  }

  /** One message with its content and reply; OUTBOX_NOT_FOUND if the id is unknown. */
  async inspect(messageId: string): Promise<Result<OutboxDetail>> {
    const r = await this.#db.pool.query<EntryRow>(
      `select ${ENTRY_COLUMNS}, xml, reply from ${this.#s}.outbox where message_id = $1`,
      [messageId],
    );
    const row = r.rows[0];
    if (!row) return notFound(messageId);
    return { ok: true, value: { ...toEntry(row), xml: row.xml ?? "", reply: row.reply ?? null } };
  }

  /**
   * Gives a dead message a fresh set of tries, due now. OUTBOX_NOT_FOUND for an unknown id,
   * OUTBOX_NOT_REQUEUEABLE for a message that is not dead.
   */
  async requeue(messageId: string): Promise<Result<OutboxEntry>> {
    const now = this.#clock.now();
    const r = await this.#db.pool.query<EntryRow>(
      `update ${this.#s}.outbox set state = 'pending', attempts = 0, next_attempt_at = $2, claimed_by = null
       where message_id = $1 and state = 'dead'
       returning ${ENTRY_COLUMNS}`,
      [messageId, now],
    );
    const row = r.rows[0];
    if (row) return { ok: true, value: toEntry(row) };
    const found = await this.inspect(messageId);
    if (!found.ok) return found;
    return {
      ok: false,
      problems: [
        makeProblem(transportCodes, "OUTBOX_NOT_REQUEUEABLE", "/messageId", {
          messageId,
          state: found.value.state,
        }),
      ],
    };
  }

  // -------------------------------------------------------------------------------------------------------
  // Maintenance windows and holds

  /** Records an announced window: the destination is held from its start until a check after its end. */
  async announceMaintenance(window: MaintenanceWindow): Promise<MaintenanceRecord> {
    if (!(window.endsAt > window.startsAt))
      throw new RangeError("a maintenance window must end after it starts");
    const r = await this.#db.pool.query<WindowRow>(
      `insert into ${this.#s}.maintenance_window (destination, starts_at, ends_at, notice, announced_at)
       values ($1, $2, $3, $4, $5) returning ${WINDOW_COLUMNS}`,
      [window.destination, window.startsAt, window.endsAt, window.notice ?? null, this.#clock.now()],
    );
    return toWindow(r.rows[0]!);
  }

  /** The windows of a destination (all destinations: none given), newest first. */
  async windows(destination?: PartyAddress, limit = 100): Promise<MaintenanceRecord[]> {
    const r = await this.#db.pool.query<WindowRow>(
      `select ${WINDOW_COLUMNS} from ${this.#s}.maintenance_window
       where ($1::text is null or destination = $1) order by starts_at desc, id desc limit $2`,
      [destination ?? null, Math.min(Math.max(limit, 1), 1000)],
    );
    return r.rows.map(toWindow);
  }

  /** Windows not yet resumed, oldest first. */
  async openWindows(): Promise<MaintenanceRecord[]> {
    const r = await this.#db.pool.query<WindowRow>(
      `select ${WINDOW_COLUMNS} from ${this.#s}.maintenance_window where resumed_at is null order by starts_at, id`,
    );
    return r.rows.map(toWindow);
  }

  /** Windows whose end has passed and that wait for a successful connection check. */
  async windowsDueForCheck(): Promise<MaintenanceRecord[]> {
    const r = await this.#db.pool.query<WindowRow>(
      `select ${WINDOW_COLUMNS} from ${this.#s}.maintenance_window
       where resumed_at is null and ends_at <= $1 order by ends_at, id`,
      [this.#clock.now()],
    );
    return r.rows.map(toWindow);
  }

  /** Destinations held because they were down (unanswered, connection check failed), still held now. */
  async heldDown(): Promise<PartyAddress[]> {
    const r = await this.#db.pool.query<{ destination: string }>(
      `select destination from ${this.#s}.destination_hold where failures > 0 and held_until > $1 order by destination`,
      [this.#clock.now()],
    );
    return r.rows.map((row) => row.destination as PartyAddress);
  }

  /**
   * A destination held as down answered its connection check: the hold ends now and its failures are
   * forgotten, so the backlog goes without waiting out the backoff (which grows to minutes in a long outage).
   */
  async releaseDown(destination: PartyAddress): Promise<boolean> {
    const now = this.#clock.now();
    return inTransaction(this.#db.kysely(this.#s), async (trx) => {
      const r = await sql`update ${sql.raw(this.#s)}.destination_hold set held_until = ${now}, failures = 0
        where destination = ${destination} and failures > 0 and held_until > ${now}`.execute(trx);
      if (Number(r.numAffectedRows ?? 0n) === 0) return false;
      // Its messages were put off to the end of the hold: they are due now.
      await sql`update ${sql.raw(this.#s)}.outbox set next_attempt_at = ${now}
        where destination = ${destination} and state = 'pending' and next_attempt_at > ${now}`.execute(trx);
      return true;
    });
  }

  /** Records a connection check after a window: success resumes sending; a failure keeps holding. */
  async recordCheck(windowId: string, result: { ok: true } | { ok: false; reason: string }): Promise<void> {
    if (result.ok) {
      await this.#db.pool.query(
        `update ${this.#s}.maintenance_window set resumed_at = $2, last_check_error = null where id = $1 and resumed_at is null`,
        [windowId, this.#clock.now()],
      );
    } else {
      await this.#db.pool.query(
        `update ${this.#s}.maintenance_window set last_check_error = $2 where id = $1`,
        [windowId, result.reason],
      );
    }
  }

  /** When the destination may next be called, if it is held (Retry-After, or an open window that began). */
  async heldUntil(destination: PartyAddress): Promise<{ until: Date | null; reason: string } | undefined> {
    const now = this.#clock.now();
    const w = await this.#db.pool.query<{ ends_at: Date; notice: string | null }>(
      `select ends_at, notice from ${this.#s}.maintenance_window
       where destination = $1 and resumed_at is null and starts_at <= $2 order by ends_at desc limit 1`,
      [destination, now],
    );
    const win = w.rows[0];
    if (win) return { until: null, reason: `maintenance until ${win.ends_at.toISOString()}, then a check` };
    const h = await this.#db.pool.query<{ held_until: Date; reason: string | null }>(
      `select held_until, reason from ${this.#s}.destination_hold where destination = $1 and held_until > $2`,
      [destination, now],
    );
    const hold = h.rows[0];
    return hold ? { until: hold.held_until, reason: hold.reason ?? "" } : undefined;
  }
}

interface WindowRow {
  id: string;
  destination: string;
  starts_at: Date;
  ends_at: Date;
  notice: string | null;
  announced_at: Date;
  resumed_at: Date | null;
  last_check_error: string | null;
}

const WINDOW_COLUMNS =
  "id::text as id, destination, starts_at, ends_at, notice, announced_at, resumed_at, last_check_error";

function toWindow(r: WindowRow): MaintenanceRecord {
  return {
    id: r.id,
    destination: r.destination,
    startsAt: r.starts_at,
    endsAt: r.ends_at,
    ...(r.notice === null ? {} : { notice: r.notice }),
    announcedAt: r.announced_at,
    resumedAt: r.resumed_at,
    lastCheckError: r.last_check_error,
  };
}

function describeFailure(r: Exclude<TransportResult, { ok: true }>): string {
  return r.kind === "rejected" ? `HTTP ${r.status}` : r.reason;
}

function notFound<T>(messageId: string): Result<T> {
  return {
    ok: false,
    problems: [makeProblem(transportCodes, "OUTBOX_NOT_FOUND", "/messageId", { messageId })],
  };
}
