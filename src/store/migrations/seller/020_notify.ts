/**
 * E-mail delivery and webhooks of the seller (see src/notify for the rules).
 *
 * - `email_outbox`: one row per e-mail to send. `idempotency_key` (given by the caller, e.g. invoice id +
 *   delivery) is unique: the same e-mail is never queued twice. States: `pending` (never tried), `sending`
 *   (claimed; `next_attempt_at` is then the end of the claim's lease), `failed` (a try failed, another is
 *   due at `next_attempt_at`), `sent`, `dead` (no more tries). `claims` identifies the current claim, so a
 *   worker whose lease ran out cannot overwrite its successor's result.
 * - `email_attachment`: the files of an e-mail, byte-exact.
 * - `email_attempt`: the delivery log, one row per try with the mail server's answer.
 * - `webhook_subscription`: per organisation (tax code): URL, secret, events, active flag.
 * - `webhook_delivery`: one row per (event, subscription), written in the transaction of the change that
 *   caused the event (outbox); same states and claim rules as e-mails. `body` is the JSON sent, fixed at
 *   emit time.
 * - `webhook_attempt`: the delivery log, one row per POST with the HTTP status and the start of the answer.
 */
import { type Kysely, sql } from "kysely";

const STATES = sql.raw(`('pending', 'sending', 'failed', 'sent', 'dead')`);

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create table email_outbox (
      id bigint generated always as identity primary key,
      idempotency_key text not null unique,
      kind text not null check (kind in ('invoice', 'notice')),
      tax_code text,
      ref text,
      language text not null check (language in ('vi', 'en')),
      recipients text[] not null check (cardinality(recipients) > 0),
      subject text not null,
      text_body text not null,
      html_body text,
      message_id text not null,
      state text not null default 'pending' check (state in ${STATES}),
      attempts integer not null default 0,
      claims integer not null default 0,
      next_attempt_at timestamptz not null,
      last_error text,
      claimed_by text,
      created_at timestamptz not null,
      sent_at timestamptz
    )`.execute(db);
  // What a claim scans: rows not finished, by due time.
  await sql`create index email_outbox_due on email_outbox (next_attempt_at, id)
    where state in ('pending', 'sending', 'failed')`.execute(db);
  await sql`create index email_outbox_state on email_outbox (state, id)`.execute(db);
  await sql`create index email_outbox_ref on email_outbox (tax_code, ref)`.execute(db);
  await sql`
    create table email_attachment (
      email_id bigint not null references email_outbox (id) on delete cascade,
      position integer not null,
      filename text not null,
      content_type text not null,
      content bytea not null,
      primary key (email_id, position)
    )`.execute(db);
  await sql`
    create table email_attempt (
      id bigint generated always as identity primary key,
      email_id bigint not null references email_outbox (id) on delete cascade,
      attempt integer not null,
      worker text not null,
      started_at timestamptz not null,
      finished_at timestamptz not null,
      outcome text not null check (outcome in ('sent', 'retry', 'dead')),
      smtp_code integer,
      response text not null
    )`.execute(db);
  await sql`create index email_attempt_by_email on email_attempt (email_id, id)`.execute(db);

  await sql`
    create table webhook_subscription (
      id bigint generated always as identity primary key,
      tax_code text not null,
      url text not null,
      secret text not null,
      events text[] not null check (cardinality(events) > 0),
      active boolean not null default true,
      description text,
      created_at timestamptz not null,
      updated_at timestamptz not null
    )`.execute(db);
  await sql`create index webhook_subscription_by_org on webhook_subscription (tax_code)`.execute(db);
  await sql`
    create table webhook_delivery (
      id bigint generated always as identity primary key,
      event_id text not null,
      subscription_id bigint not null references webhook_subscription (id) on delete cascade,
      tax_code text not null,
      event text not null,
      body text not null,
      state text not null default 'pending' check (state in ${STATES}),
      attempts integer not null default 0,
      claims integer not null default 0,
      max_attempts integer,
      next_attempt_at timestamptz not null,
      last_error text,
      last_status integer,
      claimed_by text,
      created_at timestamptz not null,
      delivered_at timestamptz,
      unique (event_id, subscription_id)
    )`.execute(db);
  await sql`create index webhook_delivery_due on webhook_delivery (next_attempt_at, id)
    where state in ('pending', 'sending', 'failed')`.execute(db);
  await sql`create index webhook_delivery_by_subscription on webhook_delivery (subscription_id, id)`.execute(
    db,
  );
  await sql`
    create table webhook_attempt (
      id bigint generated always as identity primary key,
      delivery_id bigint not null references webhook_delivery (id) on delete cascade,
      attempt integer not null,
      worker text not null,
      started_at timestamptz not null,
      finished_at timestamptz not null,
      outcome text not null check (outcome in ('sent', 'retry', 'dead')),
      http_status integer,
      response text not null
    )`.execute(db);
  await sql`create index webhook_attempt_by_delivery on webhook_attempt (delivery_id, id)`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const t of [
    "webhook_attempt",
    "webhook_delivery",
    "webhook_subscription",
    "email_attempt",
    "email_attachment",
    "email_outbox",
  ]) {
    await sql`drop table if exists ${sql.id(t)}`.execute(db);
  }
}
