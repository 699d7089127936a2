/**
 * Schema migrations with Kysely's `Migrator` and migrations listed in code (no folder scanning, so they
 * work the same under tsx, vitest and a bundle).
 *
 * Each part (authority, T-VAN, seller) owns one schema and migrates it on its own: its migration table
 * (`<schema>.kysely_migration`, and `kysely_migration_lock`) lives in that schema, so parts deployed
 * separately, or at different versions, never touch each other's history. Pending migrations of one call
 * run in one transaction (PostgreSQL DDL is transactional): all apply or none.
 *
 * Inside a migration, the Kysely instance is bound to the schema (`db.schema.createTable("x")` makes
 * `<schema>.x`) and `search_path` is set locally to the schema then `public`, so raw `sql` may use
 * unqualified names too. Names are `NNN_snake_case` and run in name order.
 */
import { type Kysely, type Migration, type MigrationResult, Migrator, NO_MIGRATIONS, sql } from "kysely";
import { checkSchemaName, type Database } from "./database.ts";
import { StoreError } from "./errors.ts";
import { type Part, partMigrations } from "./migrations/index.ts";

export type { Migration } from "kysely";

/** Migrations by name (`NNN_snake_case`). */
export type MigrationSet = Readonly<Record<string, Migration>>;

export interface MigrationReport {
  readonly schema: string;
  /** Migrations applied (or, going down, undone) by this call, in order; empty when nothing was to do. */
  readonly applied: readonly string[];
}

const NAME_RE = /^\d{3}_[a-z0-9_]+$/;

function scoped(schema: string, m: Migration): Migration {
  const setPath = (db: Kysely<unknown>) =>
    sql`set local search_path to ${sql.id(schema)}, public`.execute(db);
  return {
    up: async (db) => {
      await setPath(db);
      await m.up(db);
    },
    ...(m.down
      ? {
          down: async (db: Kysely<unknown>) => {
            await setPath(db);
            await m.down?.(db);
          },
        }
      : {}),
  };
}

function migratorFor(db: Database, schema: string, migrations: MigrationSet): Migrator {
  checkSchemaName(schema);
  const wrapped: Record<string, Migration> = {};
  for (const [name, m] of Object.entries(migrations)) {
    if (!NAME_RE.test(name))
      throw new RangeError(`migration name ${JSON.stringify(name)} is not NNN_snake_case`);
    wrapped[name] = scoped(schema, m);
  }
  return new Migrator({
    db: db.kysely<unknown>(schema),
    provider: { getMigrations: async () => wrapped },
    migrationTableSchema: schema,
  });
}

function report(
  schema: string,
  results: readonly MigrationResult[] | undefined,
  error: unknown,
): MigrationReport {
  if (error !== undefined) {
    const failed = results?.find((r) => r.status === "Error")?.migrationName ?? "(setup)";
    const reason = error instanceof Error ? error.message : String(error);
    throw new StoreError("STORE_MIGRATION_FAILED", { schema, migration: failed, reason }, { cause: error });
  }
  return {
    schema,
    applied: (results ?? []).filter((r) => r.status === "Success").map((r) => r.migrationName),
  };
}

/** Brings a schema up to the latest of the given migrations; throws STORE_MIGRATION_FAILED. */
export async function migrateSchema(
  db: Database,
  schema: string,
  migrations: MigrationSet,
): Promise<MigrationReport> {
  const { results, error } = await migratorFor(db, schema, migrations).migrateToLatest();
  return report(schema, results, error);
}

/** Undoes a schema's migrations down to (not including) `target`, or all of them. For tests and tools. */
export async function migrateSchemaDown(
  db: Database,
  schema: string,
  migrations: MigrationSet,
  target?: string,
): Promise<MigrationReport> {
  const { results, error } = await migratorFor(db, schema, migrations).migrateTo(target ?? NO_MIGRATIONS);
  return report(schema, results, error);
}

/** Migrates one part's schema to its latest version. */
export function migrate(db: Database, part: Part): Promise<MigrationReport> {
  return migrateSchema(db, part, partMigrations[part]);
}
