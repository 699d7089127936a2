import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ManualClock } from "../../src/domain/clock.ts";
import { type Database, EMBEDDED_PG_MAJOR, StoreError } from "../../src/store/index.ts";
import { openTestDatabase, testBackends } from "./backends.ts";

interface NoteTable {
  id: number;
  body: string;
}

describe.each(testBackends())("database (%s)", (backend) => {
  let db: Database;
  const clock = new ManualClock("2026-03-09T01:00:00Z");

  beforeAll(async () => {
    db = await openTestDatabase(backend, { clock });
  });
  afterAll(async () => {
    await db.close();
  });

  it("reports which backend it is and a supported server version", () => {
    expect(db.kind).toBe(backend);
    const major = Number(db.serverVersion.split(".")[0]);
    if (backend === "embedded") expect(String(major)).toBe(EMBEDDED_PG_MAJOR);
    else expect(major).toBeGreaterThanOrEqual(15);
  });

  it("hands out the clock it was given", () => {
    expect(db.clock.now().toISOString()).toBe("2026-03-09T01:00:00.000Z");
  });

  it("reads numeric as exact text, never as a float", async () => {
    const r = await db.pool.query(
      "select 123456789012345678.25::numeric(20,2) as big, 0.1::numeric + 0.2::numeric as sum, array[1.10, 2]::numeric[] as list",
    );
    expect(r.rows[0]).toEqual({ big: "123456789012345678.25", sum: "0.3", list: ["1.10", "2"] });
  });

  it("reads int8 as bigint, beyond 2^53 too", async () => {
    const r = await db.pool.query(
      "select 9007199254740993::int8 as big, count(*) as n, array[1, 9007199254740993]::int8[] as list from (values (1), (2)) v(x)",
    );
    expect(r.rows[0]).toEqual({ big: 9007199254740993n, n: 2n, list: [1n, 9007199254740993n] });
  });

  it("reads dates as YYYY-MM-DD text and timestamptz as the instant", async () => {
    const r = await db.pool.query(
      "select '2026-03-09'::date as d, array['2026-01-01'::date] as ds, '2026-03-09 08:00:00+07'::timestamptz as t",
    );
    expect(r.rows[0].d).toBe("2026-03-09");
    expect(r.rows[0].ds).toEqual(["2026-01-01"]);
    expect((r.rows[0].t as Date).toISOString()).toBe("2026-03-09T01:00:00.000Z");
  });

  it("runs sessions in UTC", async () => {
    const r = await db.pool.query(
      "select current_setting('TimeZone') as tz, '2026-03-09 00:00'::timestamptz::text as t",
    );
    expect(r.rows[0]).toEqual({ tz: "UTC", t: "2026-03-09 00:00:00+00" });
  });

  it("binds Kysely to a schema, in and out of transactions", async () => {
    await sql`create schema notes_a`.execute(db.kysely("public"));
    await sql`create schema notes_b`.execute(db.kysely("public"));
    for (const s of ["notes_a", "notes_b"]) {
      await db
        .kysely(s)
        .schema.createTable("note")
        .addColumn("id", "integer", (c) => c.primaryKey())
        .addColumn("body", "text")
        .execute();
    }
    const a = db.kysely<{ note: NoteTable }>("notes_a");
    await a.insertInto("note").values({ id: 1, body: "in A" }).execute();
    await a.transaction().execute(async (trx) => {
      await trx.insertInto("note").values({ id: 2, body: "in A, in a transaction" }).execute();
    });
    const b = db.kysely<{ note: NoteTable }>("notes_b");
    expect(await b.selectFrom("note").selectAll().execute()).toEqual([]);
    expect((await a.selectFrom("note").select("id").orderBy("id").execute()).map((r) => r.id)).toEqual([
      1, 2,
    ]);
    expect(db.kysely("notes_a")).toBe(a);
  });

  it("refuses a schema name that would need quoting", () => {
    for (const bad of ["Authority", "a-b", "1x", "pg_catalog", "x; drop"]) {
      expect(() => db.kysely(bad)).toThrow(StoreError);
    }
    try {
      db.kysely("A");
    } catch (e) {
      expect((e as StoreError).code).toBe("STORE_BAD_SCHEMA");
    }
  });

  it("keeps large parameters of concurrent queries with their own statements", async () => {
    // A 300 kB parameter arrives in several socket chunks; other connections' queries must not run between
    // its Parse and Bind (pglite-socket's own queue lets them, and binds the wrong statement).
    const big = "x".repeat(300_000);
    let wrong = 0;
    for (let round = 0; round < 5; round++) {
      const results = await Promise.all(
        Array.from({ length: 40 }, (_, i) =>
          i % 4 === 0
            ? db.pool.query("select length($1::text) as n", [big]).then((r) => r.rows[0].n === 300_000)
            : db.pool.query("select $1::int + 1 as a", [i]).then((r) => r.rows[0].a === i + 1),
        ).map((p) => p.catch(() => false)),
      );
      wrong += results.filter((ok) => !ok).length;
    }
    expect(wrong).toBe(0);
  });

  it("reports a failed statement and stays usable", async () => {
    await expect(db.pool.query("select 1/0")).rejects.toMatchObject({ code: "22012" });
    await expect(db.pool.query("select $1::int as v", ["x"])).rejects.toMatchObject({ code: "22P02" });
    expect((await db.pool.query("select 7 as v")).rows[0].v).toBe(7);
  });
});

describe.each(testBackends())("closing (%s)", (backend) => {
  it("can be called twice and refuses new work afterwards", async () => {
    const db = await openTestDatabase(backend);
    await db.close();
    await db.close();
    expect(() => db.kysely("public")).toThrow(expect.objectContaining({ code: "STORE_CLOSED" }));
  });
});
