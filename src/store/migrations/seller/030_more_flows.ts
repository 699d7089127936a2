/**
 * The seller's flows added after the first build (issue 6): cash-register invoices, per-occurrence
 * invoices, summary tables, the authority's review notices, and the contracts a stopped seller may still
 * invoice.
 *
 * - `invoice.data_state`: where the data of an invoice the seller sends without a code stands with the
 *   authority: `sent` (203 or 206 queued), `pending_summary` (to go in a summary table 01/TH-HĐĐT),
 *   `summarised` (in a table sent), `accepted` / `refused` (the authority's 204). Null for coded invoices.
 * - `invoice.contract_no`: the exception contract a stopped seller invoices against (TTKhac `SoHopDong`).
 * - `cash_register_counter`: the running number C10–C20 of the cash-register code per seller and year,
 *   taken in the issuing transaction (`insert … on conflict do update … returning`), so codes never repeat.
 * - `exception_contract`: contracts signed before the stop that the authority allowed (Decree 123 art. 16.3).
 * - `review_notice`: each 01/TB-RSĐT (302) received, its deadline (working days), reminders sent, and the
 *   04/SS-HĐĐT that answered it.
 * - `summary_table`: each 01/TH-HĐĐT sent (400), the invoices it holds, the authority's answer; unique
 *   (tax_code, idempotency_key) decides concurrent repeats.
 */
import { type Kysely, sql } from "kysely";

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`alter table invoice add column data_state text
    check (data_state in ('sent', 'pending_summary', 'summarised', 'accepted', 'refused'))`.execute(db);
  await sql`alter table invoice add column contract_no text`.execute(db);
  await sql`create index invoice_pending_summary on invoice (tax_code, issue_date)
    where data_state = 'pending_summary'`.execute(db);
  await sql`
    create table cash_register_counter (
      tax_code text not null references organisation (tax_code),
      year integer not null,
      last bigint not null check (last >= 0),
      primary key (tax_code, year)
    )`.execute(db);
  await sql`
    create table exception_contract (
      id bigint generated always as identity primary key,
      tax_code text not null references organisation (tax_code),
      contract_no text not null,
      signed_on date not null,
      note text,
      created_at timestamptz not null,
      unique (tax_code, contract_no)
    )`.execute(db);
  await sql`
    create table review_notice (
      id bigint generated always as identity primary key,
      tax_code text not null references organisation (tax_code),
      message_id text not null unique,
      number text not null,
      notice_date date not null,
      days integer not null check (days >= 1),
      round integer not null,
      due_date date not null,
      invoices jsonb not null,
      reminders text[] not null default '{}',
      answer_message_id text,
      answer_key text,
      answered_at timestamptz,
      created_at timestamptz not null
    )`.execute(db);
  await sql`create index review_notice_open on review_notice (tax_code, due_date)
    where answer_message_id is null`.execute(db);
  await sql`
    create table summary_table (
      id bigint generated always as identity primary key,
      tax_code text not null references organisation (tax_code),
      idempotency_key text,
      request_hash text not null,
      message_id text not null unique,
      table_number integer not null,
      period_kind text not null check (period_kind in ('T', 'Q', 'N')),
      period text not null,
      goods_kind integer not null,
      invoice_ids text[] not null,
      state text not null check (state in ('sent', 'accepted', 'refused')),
      reasons jsonb,
      created_at timestamptz not null,
      decided_at timestamptz,
      unique (tax_code, table_number),
      unique (tax_code, idempotency_key)
    )`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const t of ["summary_table", "review_notice", "exception_contract", "cash_register_counter"])
    await sql`drop table if exists ${sql.id(t)}`.execute(db);
  await sql`drop index if exists invoice_pending_summary`.execute(db);
  await sql`alter table invoice drop column if exists contract_no`.execute(db);
  await sql`alter table invoice drop column if exists data_state`.execute(db);
}
