/**
 * The T-VAN's message archive and its event log (see src/transmission/tvan.ts).
 *
 * - `message`: every message the T-VAN received, byte-exact (`xml`), with where it came from (`origin`, the
 *   party that handed it over), where it goes (`destination`, its final receiver) and when it arrived
 *   (Circular 32/2011 Art 11). `message_id` (MTDiep as received) is unique: a repeat is answered from the
 *   stored receipt. `kind` says which side sent it: `seller` (a seller or a provider acting for sellers) or
 *   `authority`. `forward_id`/`forward_xml`: the id and envelope under which the T-VAN passed it on (to the
 *   authority for a seller message, to the seller for an authority reply); unique, so one message is passed
 *   on once. `original_id`: for an authority reply, the seller's message it answers.
 * - `event`: what the connected parties should learn (maintenance announced or resumed, the authority
 *   unavailable until a time), in order.
 */
import { type Kysely, sql } from "kysely";

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create table message (
      id bigint generated always as identity primary key,
      message_id text not null unique,
      kind text not null check (kind in ('seller', 'authority')),
      status text not null check (status in ('accepted', 'rejected', 'unmatched')),
      type integer,
      sender text not null,
      receiver text not null,
      tax_code text,
      reply_to text,
      origin text not null,
      destination text,
      xml text not null,
      received_at timestamptz not null,
      receipt text not null,
      forward_id text unique,
      forward_xml text,
      original_id text,
      problems jsonb
    )`.execute(db);
  // Pull API: the replies of one seller after a cursor, and the replies to one original message.
  await sql`create index message_replies_by_tax_code on message (tax_code, id) where kind = 'authority'`.execute(
    db,
  );
  await sql`create index message_by_original on message (original_id, id) where original_id is not null`.execute(
    db,
  );
  // Where to send a notice of the authority that answers nothing: the seller's last party.
  await sql`create index message_seller_by_tax_code on message (tax_code, id) where kind = 'seller'`.execute(
    db,
  );
  // Reconciliation: the authority's messages of a day.
  await sql`create index message_received on message (kind, received_at)`.execute(db);
  await sql`
    create table event (
      id bigint generated always as identity primary key,
      kind text not null,
      at timestamptz not null,
      destination text,
      window_id bigint,
      starts_at timestamptz,
      ends_at timestamptz,
      notice text,
      unique (kind, window_id)
    )`.execute(db);
  // An "unavailable until T" answer is one event per T, however many messages got it at once.
  await sql`create unique index event_unavailable on event (kind, destination, ends_at) where window_id is null`.execute(
    db,
  );
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const t of ["event", "message"]) {
    await sql`drop table if exists ${sql.id(t)}`.execute(db);
  }
}
