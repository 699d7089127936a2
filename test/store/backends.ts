/**
 * The databases storage tests run on: always the embedded one, and a PostgreSQL server when
 * HDDT_TEST_PG_URL is set (CI sets it from `scripts/ci-postgres.sh`). Use with
 * `describe.each(testBackends())("… (%s)", (backend) => …)` and `openTestDatabase(backend)`.
 *
 * Nothing is skipped: without the variable the server cases do not exist, rather than being reported as
 * skipped, and with it a server that cannot be reached fails the tests.
 */
import pg from "pg";
import type { Clock } from "../../src/domain/clock.ts";
import { type Database, type OpenOptions, openDatabase } from "../../src/store/index.ts";

export type Backend = "embedded" | "postgres";

export function testBackends(): Backend[] {
  return process.env.HDDT_TEST_PG_URL ? ["embedded", "postgres"] : ["embedded"];
}

export interface TestDatabaseOptions {
  readonly clock?: Clock;
  readonly poolSize?: number;
  readonly embedded?: OpenOptions["embedded"];
}

let counter = 0;

/**
 * A fresh, empty database: in memory for `embedded`; for `postgres`, a new database `hddt_t_*` on the
 * server of HDDT_TEST_PG_URL, dropped again by `close()`.
 */
export async function openTestDatabase(
  backend: Backend,
  options: TestDatabaseOptions = {},
): Promise<Database> {
  if (backend === "embedded") return openDatabase({ url: "memory://", ...options });
  const adminUrl = process.env.HDDT_TEST_PG_URL;
  if (!adminUrl) throw new Error("HDDT_TEST_PG_URL is not set");
  const name = `hddt_t_${process.pid}_${++counter}_${Math.random().toString(36).slice(2, 8)}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    await admin.query(`create database "${name}"`);
  } finally {
    await admin.end();
  }
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  const db = await openDatabase({ url: url.toString(), ...options });
  let closing: Promise<void> | undefined;
  return {
    ...db,
    kysely: db.kysely.bind(db),
    close() {
      closing ??= (async () => {
        await db.close();
        const again = new pg.Client({ connectionString: adminUrl });
        await again.connect();
        try {
          // An autovacuum worker busy in the database cannot be ended by this role: wait for it a little,
          // then leave the database to the next run's cleanup (scripts/ci-postgres.sh) rather than fail.
          for (let attempt = 1; ; attempt++) {
            try {
              await again.query(`drop database if exists "${name}" with (force)`);
              break;
            } catch (error) {
              if (!/pg_signal_backend|being accessed by other users/.test(String(error))) throw error;
              if (attempt >= 10) break;
              await new Promise((r) => setTimeout(r, 500));
            }
          }
        } finally {
          await again.end();
        }
      })();
      return closing;
    },
  };
}
