/**
 * Maintenance notices and per-occurrence refusals:
 * - `maintenance_notice`: one row per (window, T-VAN) the notice of a window was put in the outbox for, so a
 *   window is announced to each connected T-VAN exactly once;
 * - `inbox (sender)`: the connected T-VANs are the senders the authority has heard from (found by a loose
 *   index scan, one probe per distinct sender);
 * - per-occurrence requests may end `refused` (the invoice was coded otherwise before the declaration);
 * - the coded invoice is stored once: the 202 carrying it keeps its envelope with an empty DLieu and the id
 *   of the coded invoice (`outbox.coded_invoice_id`), and is put back together when read (`OUTBOX_XML` in
 *   src/authority/service.ts);
 * - the key of coded invoices becomes a unique index that also holds what the public lookup shows (total,
 *   code, dates), so that lookup is one index-only scan; it replaces the table's unique constraint (the same
 *   number of indexes to maintain per code);
 * - the documents stored with every code (the message received, the 202 sent, the coded invoice) are
 *   compressed with lz4 instead of pglz: several times less CPU for about the same size. A server built
 *   without lz4 keeps pglz (the embedded database may be one).
 */
import { type Kysely, sql } from "kysely";

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create table maintenance_notice (
      window_id bigint not null references maintenance_window (id),
      party text not null,
      message_id text not null unique,
      created_at timestamptz not null,
      primary key (window_id, party)
    )`.execute(db);
  await sql`create index inbox_sender_idx on inbox (sender) where sender is not null`.execute(db);
  await sql`alter table per_occurrence drop constraint per_occurrence_state_check`.execute(db);
  await sql`alter table per_occurrence add constraint per_occurrence_state_check
              check (state in ('awaiting_declaration', 'issued', 'refused'))`.execute(db);
  await sql`create unique index coded_invoice_key_idx on coded_invoice (seller_tax_code, template, series, number)
              include (total, authority_code, issue_date, coded_at)`.execute(db);
  await sql`alter table coded_invoice drop constraint coded_invoice_seller_tax_code_template_series_number_key`.execute(
    db,
  );
  await sql`alter table outbox add column coded_invoice_id bigint`.execute(db);
  await sql`
    do $$
    begin
      alter table inbox alter column raw set compression lz4;
      alter table outbox alter column xml set compression lz4;
      alter table coded_invoice alter column xml set compression lz4;
    exception when feature_not_supported or invalid_parameter_value then
      null;
    end
    $$`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
    update outbox o set xml = replace(o.xml, '<DLieu></DLieu>', '<DLieu>' || c.xml || '</DLieu>')
      from coded_invoice c where c.id = o.coded_invoice_id`.execute(db);
  await sql`alter table outbox drop column coded_invoice_id`.execute(db);
  await sql`alter table coded_invoice add unique (seller_tax_code, template, series, number)`.execute(db);
  await sql`drop index coded_invoice_key_idx`.execute(db);
  await sql`alter table inbox alter column raw set compression default`.execute(db);
  await sql`alter table outbox alter column xml set compression default`.execute(db);
  await sql`alter table coded_invoice alter column xml set compression default`.execute(db);
  await sql`alter table per_occurrence drop constraint per_occurrence_state_check`.execute(db);
  await sql`alter table per_occurrence add constraint per_occurrence_state_check
              check (state in ('awaiting_declaration', 'issued'))`.execute(db);
  await sql`drop index inbox_sender_idx`.execute(db);
  await sql`drop table maintenance_notice`.execute(db);
}
