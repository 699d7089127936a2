/**
 * The seller's archive (see src/seller/archive.ts for the rules: hash chain, retention, destruction).
 *
 * - `archive_event`: the append-only hash chain, one per seller (`tax_code`, `sequence` from 1, no gaps).
 *   `body` is the event's canonical JSON text, exactly as hashed; `hash` = SHA-256(prev_hash "\n" body).
 *   The other columns repeat fields of the body so they can be queried; `verify` checks they agree.
 * - `archive_head`: the last sequence and hash of each seller's chain. Its row lock orders concurrent
 *   appends (no fork), and it reveals the loss of the chain's last events.
 * - `archive_entry`: what is archived now, one row per (tax code, kind, ref), derived from the events
 *   (a put adds a row, a destruction marks it destroyed). Kept after destruction, without the bytes.
 * - `archive_content`: the bytes, once per seller and SHA-256; deleted when the last entry using them is
 *   destroyed.
 */
import { type Kysely, sql } from "kysely";

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create table archive_event (
      id bigint generated always as identity primary key,
      tax_code text not null,
      sequence bigint not null check (sequence >= 1),
      type text not null check (type in ('put', 'destroy')),
      at timestamptz not null,
      entry_kind text,
      ref text,
      document_date date,
      content_hash text,
      body text not null,
      prev_hash text not null,
      hash text not null,
      unique (tax_code, sequence)
    )`.execute(db);
  await sql`
    create table archive_head (
      tax_code text primary key,
      sequence bigint not null,
      hash text not null
    )`.execute(db);
  await sql`
    create table archive_entry (
      tax_code text not null,
      kind text not null,
      ref text not null,
      document_date date not null,
      content_hash text not null,
      size bigint not null,
      put_event_id bigint not null,
      destroyed_event_id bigint,
      primary key (tax_code, kind, ref)
    )`.execute(db);
  // Expired entries are found by date; a get without kind by (tax code, ref).
  await sql`create index archive_entry_live_by_date on archive_entry (document_date) where destroyed_event_id is null`.execute(
    db,
  );
  await sql`create index archive_entry_by_ref on archive_entry (tax_code, ref)`.execute(db);
  await sql`
    create table archive_content (
      tax_code text not null,
      hash text not null,
      size bigint not null,
      bytes bytea not null,
      primary key (tax_code, hash)
    )`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const t of ["archive_content", "archive_entry", "archive_head", "archive_event"]) {
    await sql`drop table if exists ${sql.id(t)}`.execute(db);
  }
}
