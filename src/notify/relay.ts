/**
 * Turns the seller's pending webhook events (table `webhook_pending`, filled by the triggers of migration
 * seller/040_webhook_events) into deliveries. A round reads and describes rows, then in one transaction
 * deletes those it can lock (`for update skip locked`) and writes one delivery per subscription with the
 * row's source as the event id: each change becomes one event even with several relays or a crash
 * between steps (and the fixed event id makes a repeat write nothing).
 *
 * What the event says beyond the row (the invoice's number, its code) comes from `describe`, given by
 * whoever composes the parts, so this module reads no table but its own.
 */
import { sql } from "kysely";
import type { Database } from "../store/database.ts";
import { inTransaction } from "../store/transaction.ts";
import type { WebhookEvent, Webhooks } from "./webhooks.ts";

export interface PendingEvent {
  readonly taxCode: string;
  readonly event: WebhookEvent;
  /** `invoice_event:<id>` or `message:<message id>`: unique, and the event's id. */
  readonly source: string;
  /** The invoice id, or the message id of a notice. */
  readonly ref: string;
  /** Invoice events: `{ from, to, detail }` of the state change; notices: `{ type, replyTo }`. */
  readonly detail: Record<string, unknown>;
  readonly at: Date;
}

export interface WebhookRelayOptions {
  /** The payload of an event (default: the row's ref and detail). */
  readonly describe?: (e: PendingEvent) => Promise<Record<string, unknown>>;
  /** Rows per transaction. Default 100. */
  readonly batchSize?: number;
}

export class WebhookRelay {
  readonly #db: Database;
  readonly #hooks: Webhooks;
  readonly #o: WebhookRelayOptions;

  constructor(db: Database, hooks: Webhooks, options: WebhookRelayOptions = {}) {
    this.#db = db;
    this.#hooks = hooks;
    this.#o = options;
  }

  /** Relays everything pending; returns the events relayed. */
  async round(): Promise<number> {
    let total = 0;
    let after = "0";
    for (;;) {
      // Described outside the transaction: `describe` reads on its own connection, and the embedded
      // database serves one connection at a time.
      const r = await this.#db.pool.query<PendingRow>(
        `select id::text as id, tax_code, event, source, ref, detail, at from seller.webhook_pending
         where id > $1::bigint order by id limit $2`,
        [after, this.#o.batchSize ?? 100],
      );
      if (r.rows.length === 0) return total;
      after = r.rows[r.rows.length - 1]!.id;
      const described = await Promise.all(
        r.rows.map(async (row) => {
          const pending = toPending(row);
          const payload = this.#o.describe
            ? await this.#o.describe(pending)
            : { ref: pending.ref, ...pending.detail };
          return { row, payload };
        }),
      );
      total += await inTransaction(this.#db.kysely("seller"), async (trx) => {
        // Another relay may have taken some meanwhile: emit only the rows this one deletes.
        const taken = await sql<{ id: string }>`delete from seller.webhook_pending
          where id in (select id from seller.webhook_pending
                       where id = any(${r.rows.map((x) => x.id)}::bigint[]) for update skip locked)
          returning id::text as id`.execute(trx);
        const mine = new Set(taken.rows.map((x) => x.id));
        for (const { row, payload } of described) {
          if (!mine.has(row.id)) continue;
          await this.#hooks.emit(trx, {
            eventId: row.source,
            taxCode: row.tax_code,
            event: row.event,
            payload,
          });
        }
        return mine.size;
      });
    }
  }
}

interface PendingRow {
  id: string;
  tax_code: string;
  event: WebhookEvent;
  source: string;
  ref: string;
  detail: Record<string, unknown>;
  at: Date;
}

function toPending(row: PendingRow): PendingEvent {
  return {
    taxCode: row.tax_code,
    event: row.event,
    source: row.source,
    ref: row.ref,
    detail: row.detail,
    at: row.at,
  };
}
