/**
 * The composed system looks every second for coded invoices not yet handed to their buyers
 * (`SellerService.deliverStuck`): a partial index keeps that look cheap however many invoices there are.
 */
import { type Kysely, sql } from "kysely";

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`create index invoice_coded_waiting on invoice (updated_at) where state = 'coded'`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop index if exists invoice_coded_waiting`.execute(db);
}
