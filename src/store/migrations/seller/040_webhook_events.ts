/**
 * The seller's changes that webhooks report, caught where they are written.
 *
 * Triggers on `invoice_event` (an invoice became coded, refused or delivered) and on inbound `message`
 * rows that are notices of the authority (102–106, 301, 302) add a row to `webhook_pending`, in the
 * transaction of the change and only when the organisation subscribes to that event. The notify relay
 * (src/notify/relay.ts) takes the rows with `for update skip locked`, writes the deliveries and deletes
 * them in one transaction: each change gives one event, whatever fails or runs twice.
 *
 * Function bodies name the schema: they run with the session's search path, not the migration's.
 */
import { type Kysely, sql } from "kysely";

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create table webhook_pending (
      id bigint generated always as identity primary key,
      tax_code text not null,
      event text not null,
      source text not null unique,
      ref text not null,
      detail jsonb not null,
      at timestamptz not null
    )`.execute(db);
  await sql`
    create function seller.webhook_subscribed(p_tax_code text, p_event text) returns boolean
    language sql stable as $$
      select exists (select 1 from seller.webhook_subscription s
                     where s.tax_code = p_tax_code and s.active and p_event = any (s.events))
    $$`.execute(db);
  await sql`
    create function seller.webhook_from_invoice_event() returns trigger language plpgsql as $$
    declare
      ev text := case new.to_state
        when 'coded' then 'invoice.coded'
        when 'refused' then 'invoice.refused'
        when 'delivered' then 'invoice.delivered'
      end;
    begin
      if ev is not null and seller.webhook_subscribed(new.tax_code, ev) then
        insert into seller.webhook_pending (tax_code, event, source, ref, detail, at)
        values (new.tax_code, ev, 'invoice_event:' || new.id, new.invoice_id,
                jsonb_build_object('from', new.from_state, 'to', new.to_state, 'detail', new.detail), new.at);
      end if;
      return null;
    end $$`.execute(db);
  await sql`
    create trigger webhook_invoice_event after insert on invoice_event
    for each row execute function seller.webhook_from_invoice_event()`.execute(db);
  await sql`
    create function seller.webhook_from_message() returns trigger language plpgsql as $$
    begin
      if new.direction = 'in' and new.type in (102, 103, 104, 105, 106, 301, 302)
         and seller.webhook_subscribed(new.tax_code, 'notice.received') then
        insert into seller.webhook_pending (tax_code, event, source, ref, detail, at)
        values (new.tax_code, 'notice.received', 'message:' || new.message_id, new.message_id,
                jsonb_build_object('type', new.type, 'replyTo', new.reply_to), new.at);
      end if;
      return null;
    end $$`.execute(db);
  await sql`
    create trigger webhook_message after insert on message
    for each row execute function seller.webhook_from_message()`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop trigger if exists webhook_message on message`.execute(db);
  await sql`drop trigger if exists webhook_invoice_event on invoice_event`.execute(db);
  await sql`drop function if exists seller.webhook_from_message()`.execute(db);
  await sql`drop function if exists seller.webhook_from_invoice_event()`.execute(db);
  await sql`drop function if exists seller.webhook_subscribed(text, text)`.execute(db);
  await sql`drop table if exists webhook_pending`.execute(db);
}
