/**
 * The seller's tables. Every row carries the seller's tax code (`tax_code`) and every query filters on it:
 * one installation serves many organisations, and the tax code is the shard key of the design.
 *
 * - `organisation`: one seller; `profile` holds what the registration form needs (representative, contact…).
 *   `registration_state` follows 102/103; `coded_only` is set by a refused no-code registration or a 105.
 * - `app_user`, `api_key`: users with a role; a key is kept only as its SHA-256 digest.
 * - `signing_key`: how the organisation signs (PKCS#12 file, PKCS#11 token, development CA, two-step).
 * - `series`: one template + series (its year is in the symbol), its counter (`last_number`, `last_date`):
 *   the row is locked FOR UPDATE by the transaction that takes a number, so numbers are gap-free and in
 *   date order.
 * - `invoice`: drafts and issued invoices; `(tax_code, idempotency_key)` unique decides concurrent creates;
 *   `(tax_code, template, series, number)` unique is the last guard against a double number.
 *   A correcting invoice names the invoice it adjusts or replaces (`corrects_id`, `correction`).
 * - `invoice_event`: the history of every state change.
 * - `message`: every TDiep sent or received, unique by message id (a repeat of an answer changes nothing).
 * - `registration`: each 01/ĐKTĐ-HĐĐT sent and its state.
 * - `delivery`: each delivery of an invoice to its buyer.
 * - the seller's outbox (the shared outbox tables).
 */
import { type Kysely, sql } from "kysely";
import { createOutboxTables, dropOutboxTables } from "../outbox-tables.ts";

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create table organisation (
      tax_code text primary key,
      name text not null,
      address text not null,
      profile jsonb not null,
      registration_state text not null default 'none'
        check (registration_state in ('none', 'sent', 'received', 'not_received', 'accepted', 'refused')),
      invoice_forms jsonb,
      coded_only boolean not null default false,
      stopped_at timestamptz,
      stop_note text,
      created_at timestamptz not null,
      updated_at timestamptz not null
    )`.execute(db);
  await sql`
    create table app_user (
      id bigint generated always as identity primary key,
      tax_code text not null references organisation (tax_code),
      email text not null,
      name text not null,
      role text not null check (role in ('owner', 'accountant', 'viewer')),
      created_at timestamptz not null,
      unique (tax_code, email)
    )`.execute(db);
  await sql`
    create table api_key (
      id bigint generated always as identity primary key,
      tax_code text not null references organisation (tax_code),
      user_id bigint references app_user (id),
      name text not null,
      role text not null check (role in ('owner', 'accountant', 'viewer')),
      digest text not null unique,
      prefix text not null,
      created_at timestamptz not null,
      revoked_at timestamptz
    )`.execute(db);
  await sql`
    create table signing_key (
      tax_code text primary key references organisation (tax_code),
      kind text not null check (kind in ('pkcs12', 'pkcs11', 'dev', 'two-step')),
      config jsonb not null,
      certificate text,
      serial text,
      created_at timestamptz not null
    )`.execute(db);
  await sql`
    create table series (
      id bigint generated always as identity primary key,
      tax_code text not null references organisation (tax_code),
      template text not null,
      series text not null,
      year integer not null,
      coded boolean not null,
      cash_register boolean not null default false,
      last_number bigint not null default 0,
      last_date date,
      active boolean not null default true,
      created_at timestamptz not null,
      unique (tax_code, template, series)
    )`.execute(db);
  await sql`
    create table invoice (
      id text primary key,
      tax_code text not null references organisation (tax_code),
      idempotency_key text,
      request_hash text not null,
      state text not null check (state in ('draft', 'issued', 'waiting_for_code', 'coded', 'refused',
        'delivered', 'adjusted', 'replaced', 'cancelled')),
      template text not null,
      series text not null,
      number bigint,
      issue_date date,
      input jsonb not null,
      buyer_tax_code text,
      buyer_email text,
      total_payable numeric,
      signed_xml text,
      coded_xml text,
      authority_code text,
      message_id text,
      lookup_code text not null unique,
      errors jsonb,
      corrects_id text references invoice (id),
      correction text check (correction in ('adjust', 'replace')),
      created_at timestamptz not null,
      updated_at timestamptz not null,
      unique (tax_code, idempotency_key),
      unique (tax_code, template, series, number)
    )`.execute(db);
  await sql`create index invoice_by_org on invoice (tax_code, created_at, id)`.execute(db);
  await sql`create index invoice_by_message on invoice (message_id) where message_id is not null`.execute(db);
  await sql`
    create table invoice_event (
      id bigint generated always as identity primary key,
      tax_code text not null,
      invoice_id text not null references invoice (id),
      at timestamptz not null,
      from_state text,
      to_state text not null,
      actor text,
      detail jsonb
    )`.execute(db);
  await sql`create index invoice_event_by_invoice on invoice_event (invoice_id, id)`.execute(db);
  await sql`
    create table message (
      id bigint generated always as identity primary key,
      tax_code text not null,
      message_id text not null unique,
      direction text not null check (direction in ('out', 'in')),
      type integer not null,
      reply_to text,
      xml text not null,
      invoice_id text,
      registration_id bigint,
      at timestamptz not null
    )`.execute(db);
  await sql`create index message_by_reply on message (reply_to) where reply_to is not null`.execute(db);
  await sql`
    create table registration (
      id bigint generated always as identity primary key,
      tax_code text not null references organisation (tax_code),
      message_id text not null unique,
      state text not null check (state in ('sent', 'received', 'not_received', 'accepted', 'refused')),
      invoice_forms jsonb not null,
      reasons jsonb,
      created_at timestamptz not null,
      decided_at timestamptz
    )`.execute(db);
  await sql`
    create table delivery (
      id bigint generated always as identity primary key,
      tax_code text not null,
      invoice_id text not null references invoice (id),
      channel text not null,
      address text,
      at timestamptz not null
    )`.execute(db);
  await createOutboxTables(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await dropOutboxTables(db);
  for (const t of [
    "delivery",
    "registration",
    "message",
    "invoice_event",
    "invoice",
    "series",
    "signing_key",
    "api_key",
    "app_user",
    "organisation",
  ]) {
    await sql`drop table if exists ${sql.id(t)}`.execute(db);
  }
}
