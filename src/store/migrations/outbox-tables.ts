/**
 * The T-VAN's durable outbox (see src/transport/outbox.ts for how it is used).
 *
 * - `outbox`: one row per message to send. `message_id` is unique (a message is enqueued once). Rows with
 *   an `ordering_key` are sent in `sequence` order per key. `claims` counts claims and identifies the current
 *   one, so a worker whose lease ran out cannot record a result over its successor's.
 * - `barrier`/`after_id` (see `addOutboxDependencies`): a keyed message that is not a barrier waits only for
 *   the earlier barriers of its key; `after_id` names one message that must be sent first.
 * - `outbox_key`: the last sequence given per ordering key (its row lock orders concurrent enqueuers).
 * - `destination_hold`: a destination that asked not to be called before `held_until` (Retry-After) or that
 *   keeps failing; nothing is claimed for it meanwhile.
 * - `maintenance_window`: announced downtime of a destination; held from `starts_at` until a connection
 *   check after `ends_at` succeeds (`resumed_at`).
 */
import { type Kysely, sql } from "kysely";

export async function createOutboxTables(db: Kysely<unknown>): Promise<void> {
  await sql`
    create table outbox (
      id bigint generated always as identity primary key,
      message_id text not null unique,
      destination text not null,
      xml text not null,
      state text not null default 'pending'
        check (state in ('pending', 'in_flight', 'sent', 'dead')),
      attempts integer not null default 0,
      claims integer not null default 0,
      next_attempt_at timestamptz not null,
      last_error text,
      reply text,
      claimed_by text,
      ordering_key text,
      sequence bigint,
      created_at timestamptz not null,
      sent_at timestamptz,
      check ((ordering_key is null) = (sequence is null))
    )`.execute(db);
  // What claim() scans: due rows not yet sent.
  await sql`create index outbox_due on outbox (next_attempt_at, id) where state in ('pending', 'in_flight')`.execute(
    db,
  );
  // The ordering check: is there an unsent earlier message of this key?
  await sql`create index outbox_unsent_by_key on outbox (ordering_key, sequence) where state <> 'sent'`.execute(
    db,
  );
  await sql`create index outbox_state on outbox (state, id)`.execute(db);
  await sql`
    create table outbox_key (
      ordering_key text primary key,
      last_sequence bigint not null
    )`.execute(db);
  await sql`
    create table destination_hold (
      destination text primary key,
      held_until timestamptz not null,
      failures integer not null default 0,
      reason text
    )`.execute(db);
  await sql`
    create table maintenance_window (
      id bigint generated always as identity primary key,
      destination text not null,
      starts_at timestamptz not null,
      ends_at timestamptz not null,
      notice text,
      announced_at timestamptz not null,
      resumed_at timestamptz,
      last_check_error text,
      check (ends_at > starts_at)
    )`.execute(db);
  await sql`create index maintenance_open on maintenance_window (destination, starts_at) where resumed_at is null`.execute(
    db,
  );
  await addOutboxDependencies(db);
}

/**
 * The columns of finer ordering (src/transport/outbox.ts): `barrier` (default true: strict order per key, as
 * before they existed) and `after_id`. Idempotent, so an outbox made before them can be upgraded.
 */
export async function addOutboxDependencies(db: Kysely<unknown>): Promise<void> {
  await sql`alter table outbox add column if not exists barrier boolean not null default true`.execute(db);
  await sql`alter table outbox add column if not exists after_id text`.execute(db);
  // A non-barrier message looks only for unsent earlier barriers of its key: a small index.
  await sql`create index if not exists outbox_unsent_barriers on outbox (ordering_key, sequence)
    where barrier and state <> 'sent'`.execute(db);
}

export async function dropOutboxTables(db: Kysely<unknown>): Promise<void> {
  for (const t of ["maintenance_window", "destination_hold", "outbox_key", "outbox"]) {
    await sql`drop table if exists ${sql.id(t)}`.execute(db);
  }
}
