/**
 * Storage: PostgreSQL through pg and Kysely, on a server or embedded (PGlite in a worker thread), one schema
 * per part with its own migrations. See database.ts for the choice of backend and its differences.
 */
export { type Database, DEFAULT_DATA_DIR, type OpenOptions, openDatabase } from "./database.ts";
export { EMBEDDED_PG_MAJOR, pgliteVersion } from "./embedded.ts";
export { type StoreCode, StoreError, storeCodes } from "./errors.ts";
export { LOCK_FILE } from "./lock.ts";
export {
  type Migration,
  type MigrationReport,
  type MigrationSet,
  migrate,
  migrateSchema,
  migrateSchemaDown,
} from "./migrate.ts";
export { PARTS, type Part, partMigrations } from "./migrations/index.ts";
export {
  advisoryXactLock,
  type Isolation,
  inTransaction,
  isRetryable,
  type TransactionOptions,
  tryAdvisoryXactLock,
} from "./transaction.ts";
export { pgTypes } from "./types.ts";
