import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Database, migrate, migrateSchemaDown, partMigrations } from "../../src/store/index.ts";
import { openTestDatabase, testBackends } from "../store/backends.ts";

async function tables(db: Database): Promise<string[]> {
  const r = await db.pool.query<{ t: string }>(
    "select table_name as t from information_schema.tables where table_schema = 'authority' and table_name not like 'kysely%' order by 1",
  );
  return r.rows.map((x) => x.t);
}

describe.each(testBackends())("authority migrations (%s)", (backend) => {
  let db: Database;
  beforeAll(async () => {
    db = await openTestDatabase(backend);
  }, 60_000);
  afterAll(async () => {
    await db.close();
  });

  it("creates every table, undoes them all, and applies again", async () => {
    const all = [
      "coded_invoice",
      "error_notice",
      "exception_contract",
      "inbox",
      "inspector_access",
      "maintenance_notice",
      "maintenance_window",
      "nocode_invoice",
      "outbox",
      "per_occurrence",
      "registration",
      "review_notice",
      "summary_table",
      "taxpayer",
    ];
    expect((await migrate(db, "authority")).applied).toEqual(["001_authority_tables", "002_notices"]);
    expect(await tables(db)).toEqual(all);
    await migrateSchemaDown(db, "authority", partMigrations.authority);
    expect(await tables(db)).toEqual([]);
    await migrate(db, "authority");
    expect(await tables(db)).toEqual(all);
  });

  it("keeps one coded invoice per seller, template, series and number, and each MCCQT once", async () => {
    const insert = (number: string, code: string) =>
      db.pool.query(
        `insert into authority.coded_invoice (seller_tax_code, template, series, number, authority_code, message_id,
           xml, buyer_tax_code, total, issue_date, coded_at)
         values ('0100109106', '1', 'C26TAA', $1, $2, 'm', '<HDon/>', null, 100, '2026-11-23', now())`,
        [number, code],
      );
    await insert("1", "00AA");
    await expect(insert("1", "00BB")).rejects.toMatchObject({ code: "23505" });
    await expect(insert("2", "00AA")).rejects.toMatchObject({ code: "23505" });
    await insert("2", "00BB");
  });

  it("refuses a stopped taxpayer without a cause, and an unknown cause", async () => {
    const q = (status: string, cause: string | null) =>
      db.pool.query(
        "insert into authority.taxpayer (tax_code, name, status, stop_cause, created_at, updated_at) values ($1, 'x', $2, $3, now(), now())",
        [`01000000${Math.floor(Math.random() * 90 + 10)}`, status, cause],
      );
    await expect(q("stopped", null)).rejects.toMatchObject({ code: "23514" });
    await expect(q("stopped", "bankrupt")).rejects.toMatchObject({ code: "23514" });
    await q("stopped", "tax_debt_enforcement");
  });
});
