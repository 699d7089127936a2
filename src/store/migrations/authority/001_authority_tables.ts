/**
 * The tax authority's tables: the taxpayer registry, registrations, the message inbox and outbox, coded and
 * no-code invoice data, summary tables, error and review notices, per-occurrence requests, maintenance
 * windows and the inspectors' access log. Documents are kept byte-exact: received messages as bytea, the
 * XML the authority wrote or stored as text (UTF-8 both ways, so the text is the same bytes).
 */
import { type Kysely, sql } from "kysely";

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create table taxpayer (
      tax_code text primary key,
      name text not null,
      status text not null default 'active' check (status in ('active', 'stopped')),
      stop_cause text check (stop_cause in
        ('tax_code_terminated', 'not_at_registered_address', 'business_suspended', 'tax_debt_enforcement', 'other')),
      stop_note text,
      stopped_at timestamptz,
      resumed_at timestamptz,
      high_risk boolean not null default false,
      coded_only boolean not null default false,
      coded_only_since timestamptz,
      created_at timestamptz not null,
      updated_at timestamptz not null,
      check ((status = 'stopped') = (stop_cause is not null))
    )`.execute(db);
  await sql`
    create table exception_contract (
      id bigserial primary key,
      tax_code text not null references taxpayer (tax_code),
      contract_no text not null,
      signed_on date not null,
      note text,
      created_at timestamptz not null,
      unique (tax_code, contract_no)
    )`.execute(db);
  await sql`
    create table registration (
      id bigserial primary key,
      tax_code text not null references taxpayer (tax_code),
      message_id text not null unique,
      kind smallint not null,
      with_code boolean not null,
      without_code boolean not null,
      cash_register boolean not null,
      status text not null check (status in ('accepted', 'refused')),
      certificates text[] not null,
      reasons text,
      xml text not null,
      decided_at timestamptz not null
    )`.execute(db);
  await sql`create index registration_tax_code_idx on registration (tax_code, id desc)`.execute(db);
  await sql`
    create table inbox (
      id bigserial primary key,
      message_id text unique,
      sender text,
      type integer,
      tax_code text,
      received_at timestamptz not null,
      raw bytea not null,
      receipt text not null,
      state text not null check (state in ('processed', 'refused', 'awaiting'))
    )`.execute(db);
  await sql`
    create table outbox (
      id bigserial primary key,
      message_id text not null unique,
      to_party text not null,
      reply_to text,
      type integer not null,
      tax_code text,
      xml text not null,
      created_at timestamptz not null,
      delivered_at timestamptz
    )`.execute(db);
  await sql`create index outbox_reply_to_idx on outbox (reply_to, id)`.execute(db);
  await sql`create index outbox_undelivered_idx on outbox (to_party, id) where delivered_at is null`.execute(
    db,
  );
  await sql`
    create table coded_invoice (
      id bigserial primary key,
      seller_tax_code text not null,
      template text not null,
      series text not null,
      number text not null,
      authority_code text not null unique,
      message_id text not null,
      xml text not null,
      buyer_tax_code text,
      total numeric(23, 6) not null,
      issue_date date not null,
      coded_at timestamptz not null,
      unique (seller_tax_code, template, series, number)
    )`.execute(db);
  await sql`create index coded_invoice_buyer_idx on coded_invoice (buyer_tax_code, issue_date, id)`.execute(
    db,
  );
  await sql`
    create table nocode_invoice (
      id bigserial primary key,
      seller_tax_code text not null,
      template text not null,
      series text not null,
      number text not null,
      message_id text not null,
      kind text not null check (kind in ('no_code', 'cash_register')),
      xml text not null,
      buyer_tax_code text,
      total numeric(23, 6) not null,
      issue_date date not null,
      received_at timestamptz not null,
      unique (seller_tax_code, template, series, number)
    )`.execute(db);
  await sql`create index nocode_invoice_buyer_idx on nocode_invoice (buyer_tax_code, issue_date, id)`.execute(
    db,
  );
  await sql`
    create table summary_table (
      id bigserial primary key,
      tax_code text not null,
      message_id text not null,
      period text not null,
      table_number integer,
      xml text not null,
      received_at timestamptz not null
    )`.execute(db);
  await sql`
    create table error_notice (
      id bigserial primary key,
      tax_code text,
      message_id text not null unique,
      xml text not null,
      accepted boolean not null,
      received_at timestamptz not null
    )`.execute(db);
  await sql`
    create table review_notice (
      id bigserial primary key,
      tax_code text not null,
      message_id text not null unique,
      xml text not null,
      created_at timestamptz not null,
      answer_deadline date not null,
      answered_at timestamptz
    )`.execute(db);
  await sql`
    create table per_occurrence (
      id bigserial primary key,
      message_id text not null unique,
      seller_tax_code text not null,
      template text not null,
      series text not null,
      number text not null,
      xml text not null,
      state text not null check (state in ('awaiting_declaration', 'issued')),
      received_at timestamptz not null,
      declared_at timestamptz
    )`.execute(db);
  await sql`
    create table maintenance_window (
      id bigserial primary key,
      starts_at timestamptz not null,
      ends_at timestamptz not null,
      reason text not null,
      created_at timestamptz not null,
      check (ends_at > starts_at)
    )`.execute(db);
  await sql`create index maintenance_window_ends_idx on maintenance_window (ends_at)`.execute(db);
  await sql`
    create table inspector_access (
      id bigserial primary key,
      inspector text not null,
      purpose text,
      invoice_id bigint,
      query text not null,
      accessed_at timestamptz not null
    )`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const t of [
    "inspector_access",
    "maintenance_window",
    "per_occurrence",
    "review_notice",
    "error_notice",
    "summary_table",
    "nocode_invoice",
    "coded_invoice",
    "outbox",
    "inbox",
    "registration",
    "exception_contract",
    "taxpayer",
  ]) {
    await sql`drop table ${sql.id(t)}`.execute(db);
  }
}
