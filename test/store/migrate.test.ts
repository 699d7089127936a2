import { type Kysely, sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type Database,
  type MigrationSet,
  migrate,
  migrateSchema,
  migrateSchemaDown,
  PARTS,
  StoreError,
} from "../../src/store/index.ts";
import { openTestDatabase, testBackends } from "./backends.ts";

async function tablesOf(db: Database, schema: string): Promise<string[]> {
  const r = await db.pool.query<{ t: string }>(
    "select table_name as t from information_schema.tables where table_schema = $1 order by 1",
    [schema],
  );
  return r.rows.map((row) => row.t);
}

const first: MigrationSet = {
  "001_counters": {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable("counter")
        .addColumn("series", "text", (c) => c.primaryKey())
        .addColumn("value", "bigint", (c) => c.notNull().defaultTo(0))
        .addColumn("amount", sql`numeric(18,2)`, (c) => c.notNull().defaultTo("0"))
        .execute();
    },
    async down(db: Kysely<unknown>) {
      await db.schema.dropTable("counter").execute();
    },
  },
  "002_raw_sql": {
    async up(db: Kysely<unknown>) {
      // Unqualified names in raw SQL resolve to the migrated schema.
      await sql`create table issued (series text not null references counter (series), number bigint not null,
        issued_at timestamptz not null, primary key (series, number))`.execute(db);
      await sql`create index issued_at_idx on issued (issued_at)`.execute(db);
    },
    async down(db: Kysely<unknown>) {
      await sql`drop table issued`.execute(db);
    },
  },
};

describe.each(testBackends())("migrations (%s)", (backend) => {
  let db: Database;
  beforeAll(async () => {
    db = await openTestDatabase(backend);
  });
  afterAll(async () => {
    await db.close();
  });

  it("migrates each part into its own schema with its own history", async () => {
    for (const part of PARTS) {
      await migrate(db, part);
      expect(await tablesOf(db, part)).toEqual(
        expect.arrayContaining(["kysely_migration", "kysely_migration_lock"]),
      );
    }
    for (const part of PARTS) expect((await migrate(db, part)).applied).toEqual([]);
  });

  it("applies pending migrations in order, once", async () => {
    const report = await migrateSchema(db, "m_one", first);
    expect(report).toEqual({ schema: "m_one", applied: ["001_counters", "002_raw_sql"] });
    expect(await tablesOf(db, "m_one")).toEqual([
      "counter",
      "issued",
      "kysely_migration",
      "kysely_migration_lock",
    ]);
    expect(await tablesOf(db, "public")).not.toContain("issued");
    expect((await migrateSchema(db, "m_one", first)).applied).toEqual([]);
    const more: MigrationSet = {
      ...first,
      "003_note": {
        async up(k: Kysely<unknown>) {
          await k.schema.alterTable("counter").addColumn("note", "text").execute();
        },
      },
    };
    expect((await migrateSchema(db, "m_one", more)).applied).toEqual(["003_note"]);
  });

  it("keeps two schemas' histories apart even with the same migration names", async () => {
    await migrateSchema(db, "m_two", { "001_counters": first["001_counters"]! });
    const r = await db.pool.query<{ name: string }>("select name from m_two.kysely_migration order by name");
    expect(r.rows.map((x) => x.name)).toEqual(["001_counters"]);
    expect((await migrateSchema(db, "m_two", first)).applied).toEqual(["002_raw_sql"]);
  });

  it("applies all of a run or none of it, and names the failing migration", async () => {
    const broken: MigrationSet = {
      ...first,
      "003_broken": {
        async up(k: Kysely<unknown>) {
          await sql`create table fine (x int)`.execute(k);
          await sql`select no_such_function()`.execute(k);
        },
      },
    };
    const error = await migrateSchema(db, "m_three", broken).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StoreError);
    expect((error as StoreError).code).toBe("STORE_MIGRATION_FAILED");
    expect((error as StoreError).problem.params).toMatchObject({
      schema: "m_three",
      migration: "003_broken",
    });
    expect(await tablesOf(db, "m_three")).not.toContain("counter");
    expect(await tablesOf(db, "m_three")).not.toContain("fine");
  });

  it("undoes migrations down to a target", async () => {
    await migrateSchema(db, "m_four", first);
    expect((await migrateSchemaDown(db, "m_four", first, "001_counters")).applied).toEqual(["002_raw_sql"]);
    expect(await tablesOf(db, "m_four")).not.toContain("issued");
    expect((await migrateSchemaDown(db, "m_four", first)).applied).toEqual(["001_counters"]);
    expect(await tablesOf(db, "m_four")).not.toContain("counter");
  });

  it("refuses migration names out of the NNN_name pattern and bad schema names", async () => {
    await expect(migrateSchema(db, "m_five", { first: first["001_counters"]! })).rejects.toThrow(RangeError);
    await expect(migrateSchema(db, "M-Five", first)).rejects.toMatchObject({ code: "STORE_BAD_SCHEMA" });
  });

  it("lets two processes' worth of migrators race without applying anything twice", async () => {
    const results = await Promise.all([migrateSchema(db, "m_six", first), migrateSchema(db, "m_six", first)]);
    expect(results.flatMap((r) => r.applied).sort()).toEqual(["001_counters", "002_raw_sql"]);
  });
});
