/**
 * Finer ordering, a gap-free pull cursor, and per-party events (see src/transmission/tvan.ts).
 *
 * - `outbox.barrier`/`after_id`: only dependent messages wait for each other (`addOutboxDependencies`).
 * - `message.invoice_key`: `template|series|number` of the one invoice a seller message carries, so a
 *   replacement or adjustment can be sent after the message carrying the invoice it corrects.
 * - `message.delivery_seq` and `seller_sequence`: the sellers' pull cursor. A number is taken per seller
 *   under the row lock of `seller_sequence`, held until commit, so for one seller number order is commit
 *   order and a reader that saw number k has seen every number below it (`id` order is not: an id taken
 *   earlier may commit later, and "id > since" would skip it).
 * - `event.party`: events are recorded for every connected party; unique per kind, window and party.
 */
import { type Kysely, sql } from "kysely";
import { addOutboxDependencies } from "../outbox-tables.ts";

export async function up(db: Kysely<unknown>): Promise<void> {
  await addOutboxDependencies(db);
  await sql`alter table message add column invoice_key text`.execute(db);
  await sql`create index message_by_invoice_key on message (tax_code, invoice_key, id)
    where invoice_key is not null and kind = 'seller'`.execute(db);
  await sql`create index message_seller_sender on message (sender) where kind = 'seller'`.execute(db);
  await sql`alter table message add column delivery_seq bigint`.execute(db);
  await sql`
    create table seller_sequence (
      tax_code text primary key,
      last_seq bigint not null
    )`.execute(db);
  await sql`
    update message m set delivery_seq = n.seq
    from (select id, row_number() over (partition by tax_code order by id) as seq
          from message where kind = 'authority' and tax_code is not null) n
    where m.id = n.id`.execute(db);
  await sql`
    insert into seller_sequence (tax_code, last_seq)
    select tax_code, max(delivery_seq) from message where delivery_seq is not null group by tax_code`.execute(
    db,
  );
  await sql`drop index if exists message_replies_by_tax_code`.execute(db);
  await sql`create unique index message_replies_by_seq on message (tax_code, delivery_seq)
    where delivery_seq is not null`.execute(db);
  await sql`alter table event add column party text`.execute(db);
  await sql`alter table event drop constraint if exists event_kind_window_id_key`.execute(db);
  await sql`create unique index event_per_party on event (kind, window_id, (coalesce(party, '')))
    where window_id is not null`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop index if exists event_per_party`.execute(db);
  await sql`delete from event where party is not null`.execute(db);
  await sql`alter table event drop column if exists party`.execute(db);
  await sql`alter table event add constraint event_kind_window_id_key unique (kind, window_id)`.execute(db);
  await sql`drop table if exists seller_sequence`.execute(db);
  await sql`drop index if exists message_replies_by_seq`.execute(db);
  await sql`create index message_replies_by_tax_code on message (tax_code, id) where kind = 'authority'`.execute(
    db,
  );
  await sql`alter table message drop column if exists delivery_seq`.execute(db);
  await sql`alter table message drop column if exists invoice_key`.execute(db);
}
