/**
 * Transactions with retries, and transaction-scoped advisory locks.
 *
 * `inTransaction` retries the whole function when PostgreSQL gives up on it for a reason that a second try
 * can fix: a serialization failure (40001, under repeatable read or serializable) or a deadlock (40P01).
 * The function may therefore run more than once: it must not have effects outside the database (send
 * nothing, sign nothing that is not thrown away on retry) — do those after the transaction commits.
 *
 * Advisory locks are taken per transaction (`pg_advisory_xact_lock`) and released by commit or rollback.
 * Session advisory locks are not offered: with a pool they outlive the code that took them, and on the
 * embedded database every connection shares one session, so they would not exclude anyone.
 */
import { type Kysely, sql, type Transaction } from "kysely";

export type Isolation = "read committed" | "repeatable read" | "serializable";

export interface TransactionOptions {
  /** Default: the server's (read committed). */
  readonly isolation?: Isolation;
  /** Extra attempts after a retryable failure. Default 5. */
  readonly retries?: number;
}

const RETRYABLE = new Set(["40001", "40P01"]);

/** True for a serialization failure or a deadlock: the transaction may succeed if run again. */
export function isRetryable(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "string" && RETRYABLE.has(code);
}

function backoff(attempt: number): Promise<void> {
  // 5, 10, 20, 40… ms with full jitter, capped at 500 ms: retries of colliding transactions spread out.
  const cap = Math.min(500, 5 * 2 ** attempt);
  return new Promise((resolve) => setTimeout(resolve, Math.random() * cap));
}

/** Runs `fn` in a transaction, committing if it returns and rolling back if it throws; retries as above. */
export async function inTransaction<DB, T>(
  db: Kysely<DB>,
  fn: (trx: Transaction<DB>) => Promise<T>,
  options: TransactionOptions = {},
): Promise<T> {
  const retries = options.retries ?? 5;
  for (let attempt = 0; ; attempt++) {
    try {
      const builder = options.isolation
        ? db.transaction().setIsolationLevel(options.isolation)
        : db.transaction();
      return await builder.execute(fn);
    } catch (error) {
      if (attempt >= retries || !isRetryable(error)) throw error;
      await backoff(attempt);
    }
  }
}

/** Waits for the advisory lock named `key` (any text; hashed to 64 bits), held until the transaction ends. */
export async function advisoryXactLock<DB>(trx: Transaction<DB>, key: string): Promise<void> {
  await sql`select pg_advisory_xact_lock(hashtextextended(${key}, 0))`.execute(trx);
}

/** Takes the advisory lock named `key` if free, until the transaction ends; false if someone holds it. */
export async function tryAdvisoryXactLock<DB>(trx: Transaction<DB>, key: string): Promise<boolean> {
  const r = await sql<{
    ok: boolean;
  }>`select pg_try_advisory_xact_lock(hashtextextended(${key}, 0)) as ok`.execute(trx);
  return r.rows[0]?.ok === true;
}
