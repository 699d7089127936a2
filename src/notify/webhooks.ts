/**
 * Webhooks of the seller (tables of migration seller/020_notify): an organisation (tax code) subscribes a
 * URL to some events; hddt POSTs each event to it as signed JSON (see webhook-signature.ts for the
 * header), retrying with backoff until the receiver answers 2xx.
 *
 * - Outbox: `emit(trx, …)` writes one delivery row per matching active subscription inside the caller's
 *   transaction. A rolled-back change therefore sends nothing, and a committed one is never lost.
 * - Workers `drain()`: claims use `FOR UPDATE SKIP LOCKED` and a lease, results are recorded under the
 *   claim number (as for e-mails, email-queue.ts), so two workers never send one delivery at the same time.
 *   Delivery is at least once (a worker that dies after the POST leaves it to be sent again): receivers
 *   drop repeats by the `hddt-delivery` header.
 * - A non-2xx answer (redirects included: they are not followed), a timeout or a connection error is tried
 *   again after an exponential backoff with full jitter (longer if a 429 or 503 says Retry-After); after
 *   `maxAttempts` tries the delivery is dead.
 *   Every try is logged in `webhook_attempt` with the status and the start of the answer.
 * - URL and secret are read at each try, so fixing a subscription's URL lets its pending deliveries
 *   through; deliveries of an inactive subscription wait (they go out if it is activated again).
 * - `testDelivery(id)` sends a `webhook.test` event to one subscription now, once, and reports the answer.
 *
 * Body: `{"id": <event id>, "event": <name>, "taxCode": <organisation>, "occurredAt": <ISO time>,
 * "data": <payload>}`, fixed when the event is emitted.
 */
import { randomBytes, randomUUID } from "node:crypto";
import { type QueryExecutorProvider, sql } from "kysely";
import type { Clock } from "../domain/clock.ts";
import { makeProblem, type Problem, type Result } from "../domain/problem.ts";
import { isTaxCode } from "../domain/taxcode.ts";
import { checkSchemaName, type Database } from "../store/database.ts";
import { plainSecrets, type SecretSealer } from "../store/secret-box.ts";
import { inTransaction } from "../store/transaction.ts";
import { backoffDelay } from "../transport/outbox.ts";
import { notifyCodes } from "./codes.ts";
import { isHttpUrl } from "./email.ts";
import { SIGNATURE_HEADER, signWebhook } from "./webhook-signature.ts";

export const WEBHOOK_EVENTS = [
  "invoice.coded",
  "invoice.refused",
  "invoice.delivered",
  "notice.received",
  "maintenance.announced",
] as const;
export type WebhookEvent = (typeof WEBHOOK_EVENTS)[number];
/** The event of `testDelivery` (never subscribed to). */
export const TEST_EVENT = "webhook.test";

export type DeliveryState = "pending" | "sending" | "failed" | "sent" | "dead";

export const MIN_SECRET_LENGTH = 16;

export interface WebhookRetryPolicy {
  /** Tries before a delivery is dead. Default 12. */
  readonly maxAttempts: number;
  /** First backoff ceiling. Default 10 s. */
  readonly baseMs: number;
  /** Largest backoff ceiling. Default 6 h. */
  readonly capMs: number;
  /** How long a claim lasts before another worker may take the delivery. Default 2 min. */
  readonly leaseMs: number;
  /** Time allowed for one POST. Default 10 s. */
  readonly timeoutMs: number;
}

export const DEFAULT_WEBHOOK_POLICY: WebhookRetryPolicy = {
  maxAttempts: 12,
  baseMs: 10_000,
  capMs: 6 * 3_600_000,
  leaseMs: 2 * 60_000,
  timeoutMs: 10_000,
};

/** What one POST gave: the receiver's status and the start of its answer, or why there was none. */
export type PostResult =
  | { readonly status: number; readonly body: string; readonly retryAfter?: string }
  | { readonly status?: undefined; readonly error: string };

/** The HTTP client (port); the default uses Node's fetch. */
export type WebhookPost = (
  url: string,
  headers: Readonly<Record<string, string>>,
  body: string,
  timeoutMs: number,
) => Promise<PostResult>;

export interface WebhooksOptions {
  /** Default `seller`. */
  readonly schema?: string;
  /** Default: the database's clock. */
  readonly clock?: Clock;
  readonly policy?: Partial<WebhookRetryPolicy>;
  /** Jitter source in [0, 1). Default Math.random. */
  readonly random?: () => number;
  readonly post?: WebhookPost;
  /** Seals the signing secrets in the database. Default: kept as given. */
  readonly secrets?: SecretSealer;
}

export interface SubscribeRequest {
  readonly taxCode: string;
  readonly url: string;
  readonly events: readonly string[];
  /** At least 16 characters; default: a new random secret (returned once, by `subscribe`). */
  readonly secret?: string;
  readonly active?: boolean;
  readonly description?: string;
}

export interface Subscription {
  readonly id: string;
  readonly taxCode: string;
  readonly url: string;
  readonly events: WebhookEvent[];
  readonly active: boolean;
  readonly description: string | null;
  readonly createdAt: Date;
  readonly updatedAt: Date;
}

export interface SubscriptionChange {
  readonly url?: string;
  readonly events?: readonly string[];
  readonly secret?: string;
  readonly active?: boolean;
  readonly description?: string | null;
}

export interface EmitRequest {
  /** Default: a random UUID. A fixed id makes the emit idempotent (one delivery per subscription). */
  readonly eventId?: string;
  readonly taxCode: string;
  readonly event: WebhookEvent;
  /** JSON-serialisable (no bigint: convert at the edge). */
  readonly payload: unknown;
}

export interface EmitReport {
  readonly eventId: string;
  /** Deliveries written (one per matching active subscription). */
  readonly deliveries: number;
}

export interface Delivery {
  readonly id: string;
  readonly eventId: string;
  readonly subscriptionId: string;
  readonly taxCode: string;
  readonly event: string;
  readonly body: string;
  readonly state: DeliveryState;
  readonly attempts: number;
  readonly nextAttemptAt: Date;
  readonly lastError: string | null;
  readonly lastStatus: number | null;
  readonly createdAt: Date;
  readonly deliveredAt: Date | null;
}

export interface DeliveryAttempt {
  readonly attempt: number;
  readonly worker: string;
  readonly startedAt: Date;
  readonly finishedAt: Date;
  readonly outcome: "sent" | "retry" | "dead";
  readonly httpStatus: number | null;
  readonly response: string;
}

export interface WebhookDrainOptions {
  readonly workerId?: string;
  /** Deliveries per claim, sent in parallel. Default 20. */
  readonly batchSize?: number;
  /** Default 100. */
  readonly maxBatches?: number;
}

export interface WebhookDrainReport {
  readonly claimed: number;
  readonly sent: number;
  readonly retried: number;
  readonly dead: number;
  readonly stale: number;
}

export interface TestDeliveryReport {
  readonly deliveryId: string;
  readonly ok: boolean;
  readonly status: number | null;
  readonly response: string;
}

const RESPONSE_LIMIT = 2048;

/** POST with Node's fetch; redirects are answers (not followed), the body is read up to 2 KB. */
export const fetchPost: WebhookPost = async (url, headers, body, timeoutMs) => {
  try {
    const res = await fetch(url, {
      method: "POST",
      headers,
      body,
      redirect: "manual",
      signal: AbortSignal.timeout(timeoutMs),
    });
    const retryAfter = res.headers.get("retry-after");
    return { status: res.status, body: await readLimited(res), ...(retryAfter ? { retryAfter } : {}) };
  } catch (error) {
    const e = error as Error & { cause?: { code?: string; message?: string } };
    const reason = e.name === "TimeoutError" ? `timeout after ${timeoutMs} ms` : (e.cause?.code ?? e.message);
    return { error: reason };
  }
};

async function readLimited(res: Response): Promise<string> {
  if (!res.body) return "";
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    while (size < RESPONSE_LIMIT) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      size += value.length;
    }
  } finally {
    await reader.cancel().catch(() => {});
  }
  return Buffer.concat(chunks).subarray(0, RESPONSE_LIMIT).toString("utf8");
}

interface SubscriptionRow {
  id: string;
  tax_code: string;
  url: string;
  events: string[];
  active: boolean;
  description: string | null;
  created_at: Date;
  updated_at: Date;
}

const SUB_COLUMNS = "id::text as id, tax_code, url, events, active, description, created_at, updated_at";

function toSubscription(r: SubscriptionRow): Subscription {
  return {
    id: r.id,
    taxCode: r.tax_code,
    url: r.url,
    events: r.events as WebhookEvent[],
    active: r.active,
    description: r.description,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

interface DeliveryRow {
  id: string;
  event_id: string;
  subscription_id: string;
  tax_code: string;
  event: string;
  body: string;
  state: DeliveryState;
  attempts: number;
  next_attempt_at: Date;
  last_error: string | null;
  last_status: number | null;
  created_at: Date;
  delivered_at: Date | null;
}

const DELIVERY_COLUMNS = `id::text as id, event_id, subscription_id::text as subscription_id, tax_code, event, body,
  state, attempts, next_attempt_at, last_error, last_status, created_at, delivered_at`;

function toDelivery(r: DeliveryRow): Delivery {
  return {
    id: r.id,
    eventId: r.event_id,
    subscriptionId: r.subscription_id,
    taxCode: r.tax_code,
    event: r.event,
    body: r.body,
    state: r.state,
    attempts: r.attempts,
    nextAttemptAt: r.next_attempt_at,
    lastError: r.last_error,
    lastStatus: r.last_status,
    createdAt: r.created_at,
    deliveredAt: r.delivered_at,
  };
}

interface ClaimRow {
  id: string;
  claims: number;
  attempts: number;
  max_attempts: number | null;
  event: string;
  event_id: string;
  body: string;
  url: string;
  secret: string;
}

const isId = (s: string) => /^\d{1,18}$/.test(s);

/** A Retry-After header (seconds or an HTTP date) as a wait from `now`, at most `cap`; 0 if absent or bad. */
export function retryAfterMs(header: string | undefined, now: Date, cap: number): number {
  if (!header) return 0;
  const t = header.trim();
  const ms = /^\d{1,9}$/.test(t) ? Number(t) * 1000 : Date.parse(t) - now.getTime();
  return Number.isFinite(ms) && ms > 0 ? Math.min(ms, cap) : 0;
}

function checkEvents(events: readonly string[], problems: Problem[]): void {
  if (events.length === 0) problems.push(makeProblem(notifyCodes, "WEBHOOK_NO_EVENTS", "/events"));
  events.forEach((e, i) => {
    if (!(WEBHOOK_EVENTS as readonly string[]).includes(e))
      problems.push(
        makeProblem(notifyCodes, "WEBHOOK_UNKNOWN_EVENT", `/events/${i}`, {
          event: e,
          known: WEBHOOK_EVENTS.join(", "),
        }),
      );
  });
}

function checkUrl(url: string, problems: Problem[]): void {
  if (!isHttpUrl(url)) problems.push(makeProblem(notifyCodes, "WEBHOOK_BAD_URL", "/url", { url }));
}

function checkSecret(secret: string | undefined, problems: Problem[]): void {
  if (secret !== undefined && secret.length < MIN_SECRET_LENGTH)
    problems.push(
      makeProblem(notifyCodes, "WEBHOOK_WEAK_SECRET", "/secret", { min: String(MIN_SECRET_LENGTH) }),
    );
}

export class Webhooks {
  readonly #db: Database;
  readonly #s: string;
  readonly #clock: Clock;
  readonly #random: () => number;
  readonly #post: WebhookPost;
  readonly #secrets: SecretSealer;
  readonly policy: WebhookRetryPolicy;

  constructor(db: Database, options: WebhooksOptions = {}) {
    this.#db = db;
    this.#s = checkSchemaName(options.schema ?? "seller");
    this.#clock = options.clock ?? db.clock;
    this.#random = options.random ?? Math.random;
    this.#post = options.post ?? fetchPost;
    this.#secrets = options.secrets ?? plainSecrets;
    this.policy = { ...DEFAULT_WEBHOOK_POLICY, ...options.policy };
  }

  // -------------------------------------------------------------------------------------------------------
  // Subscriptions

  /** Adds a subscription; the secret (given or made) is returned here only. */
  async subscribe(
    request: SubscribeRequest,
  ): Promise<Result<{ subscription: Subscription; secret: string }>> {
    const problems: Problem[] = [];
    if (!isTaxCode(request.taxCode))
      problems.push(makeProblem(notifyCodes, "WEBHOOK_BAD_TAX_CODE", "/taxCode", { value: request.taxCode }));
    checkUrl(request.url, problems);
    checkEvents(request.events, problems);
    checkSecret(request.secret, problems);
    if (problems.length > 0) return { ok: false, problems };
    const secret = request.secret ?? `whsec_${randomBytes(24).toString("base64url")}`;
    const now = this.#clock.now();
    const r = await this.#db.pool.query<SubscriptionRow>(
      `insert into ${this.#s}.webhook_subscription (tax_code, url, secret, events, active, description, created_at, updated_at)
       values ($1, $2, $3, $4::text[], $5, $6, $7, $7) returning ${SUB_COLUMNS}`,
      [
        request.taxCode,
        request.url,
        this.#secrets.seal(secret),
        [...new Set(request.events)],
        request.active ?? true,
        request.description ?? null,
        now,
      ],
    );
    return { ok: true, value: { subscription: toSubscription(r.rows[0]!), secret } };
  }

  /** Changes a subscription (URL, events, secret, active, description). WEBHOOK_NOT_FOUND. */
  async update(id: string, change: SubscriptionChange): Promise<Result<Subscription>> {
    const problems: Problem[] = [];
    if (change.url !== undefined) checkUrl(change.url, problems);
    if (change.events !== undefined) checkEvents(change.events, problems);
    checkSecret(change.secret, problems);
    if (problems.length > 0) return { ok: false, problems };
    if (!isId(id)) return this.#notFound(id);
    const r = await this.#db.pool.query<SubscriptionRow>(
      `update ${this.#s}.webhook_subscription set
         url = coalesce($2, url), events = coalesce($3::text[], events), secret = coalesce($4, secret),
         active = coalesce($5, active),
         description = case when $6::boolean then $7 else description end,
         updated_at = $8
       where id = $1::bigint returning ${SUB_COLUMNS}`,
      [
        id,
        change.url ?? null,
        change.events === undefined ? null : [...new Set(change.events)],
        change.secret === undefined ? null : this.#secrets.seal(change.secret),
        change.active ?? null,
        change.description !== undefined,
        change.description ?? null,
        this.#clock.now(),
      ],
    );
    const row = r.rows[0];
    return row ? { ok: true, value: toSubscription(row) } : this.#notFound(id);
  }

  /** Deletes a subscription with its deliveries and their log. WEBHOOK_NOT_FOUND. */
  async unsubscribe(id: string): Promise<Result<true>> {
    if (!isId(id)) return this.#notFound(id);
    const r = await this.#db.pool.query(`delete from ${this.#s}.webhook_subscription where id = $1::bigint`, [
      id,
    ]);
    return (r.rowCount ?? 0) > 0 ? { ok: true, value: true } : this.#notFound(id);
  }

  async subscription(id: string): Promise<Result<Subscription>> {
    if (!isId(id)) return this.#notFound(id);
    const r = await this.#db.pool.query<SubscriptionRow>(
      `select ${SUB_COLUMNS} from ${this.#s}.webhook_subscription where id = $1::bigint`,
      [id],
    );
    const row = r.rows[0];
    return row ? { ok: true, value: toSubscription(row) } : this.#notFound(id);
  }

  /** The subscriptions of an organisation, oldest first. */
  async subscriptions(taxCode: string): Promise<Subscription[]> {
    const r = await this.#db.pool.query<SubscriptionRow>(
      `select ${SUB_COLUMNS} from ${this.#s}.webhook_subscription where tax_code = $1 order by id`,
      [taxCode],
    );
    return r.rows.map(toSubscription);
  }

  #notFound<T>(id: string): Result<T> {
    return { ok: false, problems: [makeProblem(notifyCodes, "WEBHOOK_NOT_FOUND", "/id", { id })] };
  }

  // -------------------------------------------------------------------------------------------------------
  // Events

  /**
   * Records an event for every active subscription of `taxCode` to it, in the caller's transaction `trx`
   * (commit sends, rollback forgets). An unknown event name is a bug (RangeError).
   */
  async emit(trx: QueryExecutorProvider, request: EmitRequest): Promise<EmitReport> {
    if (!(WEBHOOK_EVENTS as readonly string[]).includes(request.event))
      throw new RangeError(`unknown webhook event ${JSON.stringify(request.event)}`);
    return this.#emit(trx, request.taxCode, request.event, request.payload, null, request.eventId);
  }

  async #emit(
    ex: QueryExecutorProvider,
    taxCode: string,
    event: string,
    payload: unknown,
    onlySubscription: string | null,
    eventId: string = randomUUID(),
  ): Promise<EmitReport & { ids: string[] }> {
    const now = this.#clock.now();
    const body = JSON.stringify({
      id: eventId,
      event,
      taxCode,
      occurredAt: now.toISOString(),
      data: payload ?? null,
    });
    const maxAttempts = onlySubscription === null ? null : 1;
    const r = await sql<{ id: string }>`
      insert into ${sql.table(`${this.#s}.webhook_delivery`)}
        (event_id, subscription_id, tax_code, event, body, max_attempts, next_attempt_at, created_at)
      select ${eventId}, s.id, s.tax_code, ${event}, ${body}, ${maxAttempts}::integer, ${now}, ${now}
      from ${sql.table(`${this.#s}.webhook_subscription`)} s
      where ${
        onlySubscription === null
          ? sql`s.tax_code = ${taxCode} and s.active and ${event} = any(s.events)`
          : sql`s.id = ${onlySubscription}::bigint`
      }
      order by s.id
      on conflict (event_id, subscription_id) do nothing
      returning id::text as id`.execute(ex);
    return { eventId, deliveries: r.rows.length, ids: r.rows.map((x) => x.id) };
  }

  /**
   * Sends a `webhook.test` event to one subscription now (active or not), once, without retries; reports
   * the receiver's answer. The delivery and its log are kept like any other.
   */
  async testDelivery(subscriptionId: string): Promise<Result<TestDeliveryReport>> {
    const sub = await this.subscription(subscriptionId);
    if (!sub.ok) return sub;
    const emitted = await this.#emit(
      this.#db.kysely(this.#s),
      sub.value.taxCode,
      TEST_EVENT,
      { message: "hddt webhook test" },
      subscriptionId,
    );
    const deliveryId = emitted.ids[0]!;
    const workerId = `webhook-test-${randomUUID().slice(0, 8)}`;
    const [claimed] = await this.#claim(1, workerId, deliveryId);
    if (!claimed) throw new Error(`test delivery ${deliveryId} could not be claimed`);
    const { result, post } = await this.#send(claimed, workerId);
    return {
      ok: true,
      value: {
        deliveryId,
        ok: result === "sent",
        status: post.status ?? null,
        response: post.status === undefined ? post.error : post.body,
      },
    };
  }

  /** Sends what is due, batch after batch, until nothing is due or `maxBatches` is reached. */
  async drain(options: WebhookDrainOptions = {}): Promise<WebhookDrainReport> {
    const workerId = options.workerId ?? `webhook-${randomUUID().slice(0, 8)}`;
    const batchSize = options.batchSize ?? 20;
    const maxBatches = options.maxBatches ?? 100;
    const total = { claimed: 0, sent: 0, retried: 0, dead: 0, stale: 0 };
    for (let b = 0; b < maxBatches; b++) {
      const claimed = await this.#claim(batchSize, workerId, null);
      if (claimed.length === 0) break;
      total.claimed += claimed.length;
      await Promise.all(
        claimed.map(async (c) => {
          const { result } = await this.#send(c, workerId);
          total[result]++;
        }),
      );
    }
    return total;
  }

  async #claim(n: number, workerId: string, only: string | null): Promise<ClaimRow[]> {
    const now = this.#clock.now();
    const lease = new Date(now.getTime() + this.policy.leaseMs);
    const s = this.#s;
    const r = await this.#db.pool.query<ClaimRow>(
      `with c as (
         select d.id from ${s}.webhook_delivery d
         join ${s}.webhook_subscription sub on sub.id = d.subscription_id
         where d.state in ('pending', 'sending', 'failed') and d.next_attempt_at <= $1
           and (case when $5::bigint is null then sub.active else d.id = $5::bigint end)
         order by d.next_attempt_at, d.id
         limit $2
         for update of d skip locked
       )
       update ${s}.webhook_delivery d
       set state = 'sending', attempts = d.attempts + 1, claims = d.claims + 1, claimed_by = $3,
           next_attempt_at = $4
       from c, ${s}.webhook_subscription sub
       where d.id = c.id and sub.id = d.subscription_id
       returning d.id::text as id, d.claims, d.attempts, d.max_attempts, d.event, d.event_id, d.body, sub.url,
         sub.secret`,
      [now, n, workerId, lease, only],
    );
    return r.rows;
  }

  async #send(
    c: ClaimRow,
    workerId: string,
  ): Promise<{ result: "sent" | "retried" | "dead" | "stale"; post: PostResult }> {
    const startedAt = this.#clock.now();
    const headers = {
      "content-type": "application/json; charset=utf-8",
      "user-agent": "hddt-webhooks/1",
      [SIGNATURE_HEADER]: signWebhook(this.#secrets.open(c.secret), c.body, startedAt),
      "hddt-event": c.event,
      "hddt-event-id": c.event_id,
      "hddt-delivery": c.id,
    };
    let post: PostResult;
    try {
      post = await this.#post(c.url, headers, c.body, this.policy.timeoutMs);
    } catch (error) {
      post = { error: (error as Error).message };
    }
    const now = this.#clock.now();
    const ok = post.status !== undefined && post.status >= 200 && post.status < 300;
    const max = c.max_attempts ?? this.policy.maxAttempts;
    let state: DeliveryState;
    let next = now;
    if (ok) state = "sent";
    else if (c.attempts >= max) state = "dead";
    else {
      state = "failed";
      const wait = Math.max(
        backoffDelay(c.attempts, this.policy, this.#random),
        post.status === 429 || post.status === 503
          ? retryAfterMs(post.retryAfter, now, this.policy.capMs)
          : 0,
      );
      next = new Date(now.getTime() + wait);
    }
    const response = post.status === undefined ? post.error : post.body;
    const error = ok ? null : post.status === undefined ? post.error : `HTTP ${post.status}`;
    const s = this.#s;
    const result = await inTransaction(this.#db.kysely(s), async (trx) => {
      await sql`
        insert into ${sql.table(`${s}.webhook_attempt`)}
          (delivery_id, attempt, worker, started_at, finished_at, outcome, http_status, response)
        values (${c.id}, ${c.attempts}, ${workerId}, ${startedAt}, ${now}, ${state === "failed" ? "retry" : state},
          ${post.status ?? null}, ${response})`.execute(trx);
      const u = await sql`
        update ${sql.table(`${s}.webhook_delivery`)}
        set state = ${state}, next_attempt_at = ${next}, claimed_by = null, last_error = ${error},
          last_status = ${post.status ?? null}, delivered_at = ${ok ? now : null}
        where id = ${c.id} and claims = ${c.claims} and state = 'sending'`.execute(trx);
      if (Number(u.numAffectedRows ?? 0n) === 0) return "stale" as const;
      return state === "failed" ? ("retried" as const) : state;
    });
    return { result, post };
  }

  // -------------------------------------------------------------------------------------------------------
  // Operator functions

  /** Deliveries in id order. */
  async deliveries(
    filter: {
      readonly subscriptionId?: string;
      readonly state?: DeliveryState;
      readonly afterId?: string;
      readonly limit?: number;
    } = {},
  ): Promise<Delivery[]> {
    const limit = Math.min(Math.max(filter.limit ?? 100, 1), 1000);
    const r = await this.#db.pool.query<DeliveryRow>(
      `select ${DELIVERY_COLUMNS} from ${this.#s}.webhook_delivery
       where ($1::bigint is null or subscription_id = $1) and ($2::text is null or state = $2)
         and ($3::bigint is null or id > $3)
       order by id limit $4`,
      [filter.subscriptionId ?? null, filter.state ?? null, filter.afterId ?? null, limit],
    );
    return r.rows.map(toDelivery);
  }

  async delivery(id: string): Promise<Result<Delivery>> {
    const notFound: Result<Delivery> = {
      ok: false,
      problems: [makeProblem(notifyCodes, "WEBHOOK_DELIVERY_NOT_FOUND", "/id", { id })],
    };
    if (!isId(id)) return notFound;
    const r = await this.#db.pool.query<DeliveryRow>(
      `select ${DELIVERY_COLUMNS} from ${this.#s}.webhook_delivery where id = $1::bigint`,
      [id],
    );
    const row = r.rows[0];
    return row ? { ok: true, value: toDelivery(row) } : notFound;
  }

  /** The log of a delivery, oldest try first. */
  async attempts(deliveryId: string): Promise<DeliveryAttempt[]> {
    if (!isId(deliveryId)) return [];
    const r = await this.#db.pool.query<{
      attempt: number;
      worker: string;
      started_at: Date;
      finished_at: Date;
      outcome: DeliveryAttempt["outcome"];
      http_status: number | null;
      response: string;
    }>(
      `select attempt, worker, started_at, finished_at, outcome, http_status, response
       from ${this.#s}.webhook_attempt where delivery_id = $1::bigint order by id`,
      [deliveryId],
    );
    return r.rows.map((row) => ({
      attempt: row.attempt,
      worker: row.worker,
      startedAt: row.started_at,
      finishedAt: row.finished_at,
      outcome: row.outcome,
      httpStatus: row.http_status,
      response: row.response,
    }));
  }

  /** A fresh set of tries for a dead delivery, due now. WEBHOOK_DELIVERY_NOT_FOUND, WEBHOOK_NOT_REQUEUEABLE. */
  async requeue(id: string): Promise<Result<Delivery>> {
    const found = await this.delivery(id);
    if (!found.ok) return found;
    const r = await this.#db.pool.query<DeliveryRow>(
      `update ${this.#s}.webhook_delivery
       set state = 'pending', attempts = 0, max_attempts = null, next_attempt_at = $2, claimed_by = null
       where id = $1::bigint and state = 'dead' returning ${DELIVERY_COLUMNS}`,
      [id, this.#clock.now()],
    );
    const row = r.rows[0];
    if (row) return { ok: true, value: toDelivery(row) };
    return {
      ok: false,
      problems: [
        makeProblem(notifyCodes, "WEBHOOK_NOT_REQUEUEABLE", "/id", { id, state: found.value.state }),
      ],
    };
  }
}
