/**
 * Two-step signing of invoices, for keys that stay with the user (USB token, remote signing service).
 * An invoice of such an organisation is numbered in its issuing transaction as any other, then waits in
 * `awaiting_signature` with `prepared`: the document with an empty SignatureValue, the canonical SignedInfo
 * and its digest (src/signing `PreparedSignature`), and how it was issued. The signature value finishes it.
 * A registration 01/ĐKTĐ-HĐĐT of such an organisation waits the same way before it is sent (it is how the
 * token's certificate gets registered with the authority).
 */
import { type Kysely, sql } from "kysely";

const REGISTRATION_BEFORE = `'sent', 'received', 'not_received', 'accepted', 'refused'`;
const BEFORE = `'draft', 'issued', 'waiting_for_code', 'coded', 'refused', 'delivered', 'adjusted', 'replaced',
  'cancelled'`;

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`alter table invoice add column prepared jsonb`.execute(db);
  await sql`alter table invoice drop constraint invoice_state_check`.execute(db);
  await sql`alter table invoice add constraint invoice_state_check
    check (state in (${sql.raw(BEFORE)}, 'awaiting_signature'))`.execute(db);
  await sql`alter table registration add column prepared jsonb`.execute(db);
  await sql`alter table registration drop constraint registration_state_check`.execute(db);
  await sql`alter table registration add constraint registration_state_check
    check (state in (${sql.raw(REGISTRATION_BEFORE)}, 'awaiting_signature'))`.execute(db);
  await sql`create index invoice_awaiting_signature on invoice (tax_code, template, series, number)
    where state = 'awaiting_signature'`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop index if exists invoice_awaiting_signature`.execute(db);
  await sql`alter table registration drop constraint registration_state_check`.execute(db);
  await sql`alter table registration add constraint registration_state_check
    check (state in (${sql.raw(REGISTRATION_BEFORE)}))`.execute(db);
  await sql`alter table registration drop column prepared`.execute(db);
  await sql`alter table invoice drop constraint invoice_state_check`.execute(db);
  await sql`alter table invoice add constraint invoice_state_check check (state in (${sql.raw(BEFORE)}))`.execute(
    db,
  );
  await sql`alter table invoice drop column prepared`.execute(db);
}
