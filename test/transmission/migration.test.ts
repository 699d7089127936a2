import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Database, migrate, migrateSchemaDown, partMigrations } from "../../src/store/index.ts";
import { openTestDatabase, testBackends } from "../store/backends.ts";

describe.each(testBackends())("tvan migrations (%s)", (backend) => {
  let db: Database;
  beforeAll(async () => {
    db = await openTestDatabase(backend);
  });
  afterAll(async () => {
    await db.close();
  });

  const tables = async () =>
    (
      await db.pool.query<{ t: string }>(
        "select table_name as t from information_schema.tables where table_schema = 'tvan' and table_name not like 'kysely%' order by 1",
      )
    ).rows.map((r) => r.t);

  it("creates the outbox and archive tables, undoes them, and creates them again", async () => {
    expect((await migrate(db, "tvan")).applied).toEqual([
      "001_outbox",
      "002_messages",
      "003_ordering_and_cursors",
    ]);
    expect(await tables()).toEqual([
      "destination_hold",
      "event",
      "maintenance_window",
      "message",
      "outbox",
      "outbox_key",
      "seller_sequence",
    ]);
    await migrateSchemaDown(db, "tvan", partMigrations.tvan);
    expect(await tables()).toEqual([]);
    expect((await migrate(db, "tvan")).applied).toEqual([
      "001_outbox",
      "002_messages",
      "003_ordering_and_cursors",
    ]);
    expect((await migrate(db, "tvan")).applied).toEqual([]);
  });
});
