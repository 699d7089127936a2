/**
 * Passwords of people (src/seller/logins.ts): the scrypt hash and the count of failed sign-ins with the
 * lock they lead to; API keys made at sign-in expire (`expires_at`; keys of programs have none).
 */
import { type Kysely, sql } from "kysely";

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`alter table app_user add column password_hash text,
    add column password_set_at timestamptz,
    add column failed_sign_ins integer not null default 0,
    add column locked_until timestamptz`.execute(db);
  await sql`alter table api_key add column expires_at timestamptz`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`alter table api_key drop column expires_at`.execute(db);
  await sql`alter table app_user drop column password_hash, drop column password_set_at,
    drop column failed_sign_ins, drop column locked_until`.execute(db);
}
