/** The embedded database only: its data folder, its thread, and its single shared session. */
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { sql } from "kysely";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Database, LOCK_FILE, openDatabase, StoreError } from "../../src/store/index.ts";

const root = mkdtempSync(join(tmpdir(), "hddt-embedded-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

async function codeOf(p: Promise<unknown>): Promise<string | undefined> {
  try {
    const db = await p;
    await (db as Database).close();
    return undefined;
  } catch (e) {
    return e instanceof StoreError ? e.code : `not a StoreError: ${String(e)}`;
  }
}

describe("embedded database in a data folder", () => {
  const dataDir = join(root, "data");

  it("keeps data across close and reopen, holding the folder's lock while open", async () => {
    const first = await openDatabase({ dataDir });
    expect(first.location).toBe(dataDir);
    expect(JSON.parse(readFileSync(join(dataDir, LOCK_FILE), "utf8")).pid).toBe(process.pid);
    await first.pool.query("create table kept (v text)");
    await first.pool.query("insert into kept values ('still here')");
    await first.close();
    expect(existsSync(join(dataDir, LOCK_FILE))).toBe(false);

    const again = await openDatabase({ dataDir });
    expect((await again.pool.query("select v from kept")).rows).toEqual([{ v: "still here" }]);
    await again.close();
  });

  it("refuses a second opening of the same folder in this process", async () => {
    const db = await openDatabase({ dataDir });
    try {
      expect(await codeOf(openDatabase({ dataDir }))).toBe("STORE_DATA_DIR_LOCKED");
    } finally {
      await db.close();
    }
  });

  it("refuses the folder to another process while this one has it open", async () => {
    const db = await openDatabase({ dataDir });
    try {
      const script = `import { openDatabase } from ${JSON.stringify(new URL("../../src/store/index.ts", import.meta.url).href)};
        openDatabase({ dataDir: ${JSON.stringify(dataDir)} }).then(
          async (db) => { await db.close(); console.log("OPENED"); },
          (e) => console.log(e.code));`;
      const child = spawnSync(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], {
        encoding: "utf8",
        timeout: 60_000,
      });
      expect(child.stdout.trim()).toBe("STORE_DATA_DIR_LOCKED");
    } finally {
      await db.close();
    }
  });

  it("recovers what was committed by a process that was killed, and takes its stale lock", async () => {
    const crashDir = join(root, "crash");
    const script = `import { openDatabase } from ${JSON.stringify(new URL("../../src/store/index.ts", import.meta.url).href)};
      const db = await openDatabase({ dataDir: ${JSON.stringify(crashDir)} });
      await db.pool.query("create table survived (v text)");
      await db.pool.query("insert into survived values ('committed')");
      await db.pool.query("begin");
      console.log("COMMITTED");
      setInterval(() => {}, 1000);`;
    const child = spawn(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], {
      stdio: ["ignore", "pipe", "inherit"],
    });
    await new Promise<void>((resolve, reject) => {
      child.stdout.on("data", (d: Buffer) => {
        if (d.toString().includes("COMMITTED")) resolve();
      });
      child.once("exit", (code) => reject(new Error(`child exited with ${code}`)));
    });
    child.kill("SIGKILL");
    await new Promise((r) => child.once("exit", r));
    expect(existsSync(join(crashDir, LOCK_FILE))).toBe(true);

    const db = await openDatabase({ dataDir: crashDir });
    try {
      expect((await db.pool.query("select v from survived")).rows).toEqual([{ v: "committed" }]);
    } finally {
      await db.close();
    }
  });

  it("refuses a folder made by another PostgreSQL major version", async () => {
    const old = join(root, "old");
    mkdirSync(join(old, "pgdata"), { recursive: true });
    writeFileSync(join(old, "pgdata", "PG_VERSION"), "17\n");
    expect(await codeOf(openDatabase({ dataDir: old }))).toBe("STORE_DATA_DIR_VERSION");
    expect(existsSync(join(old, LOCK_FILE))).toBe(false);
  });

  it("serves over loopback TCP when the folder path is too long for a unix socket", async () => {
    const deep = join(root, "a".repeat(60), "b".repeat(60));
    const db = await openDatabase({ dataDir: deep });
    try {
      expect(JSON.parse(readFileSync(join(deep, LOCK_FILE), "utf8")).serves).toMatch(/^127\.0\.0\.1:\d+$/);
      expect((await db.pool.query("select 1 as one")).rows).toEqual([{ one: 1 }]);
    } finally {
      await db.close();
    }
  });
});

describe("choosing the database", () => {
  it("refuses an address it does not know", async () => {
    expect(await codeOf(openDatabase({ url: "mysql://x@localhost/db" }))).toBe("STORE_BAD_URL");
  });

  it("reports an unreachable server with STORE_CONNECT", async () => {
    expect(await codeOf(openDatabase({ url: "postgres://nobody:x@127.0.0.1:1/none" }))).toBe("STORE_CONNECT");
  });

  it("takes DATABASE_URL when given neither url nor dataDir, and an explicit dataDir over it", async () => {
    const saved = process.env.DATABASE_URL;
    try {
      process.env.DATABASE_URL = "mysql://ignored";
      const db = await openDatabase({ dataDir: "memory://" });
      expect(db.location).toBe("memory://");
      await db.close();
      expect(await codeOf(openDatabase())).toBe("STORE_BAD_URL");
    } finally {
      if (saved === undefined) delete process.env.DATABASE_URL;
      else process.env.DATABASE_URL = saved;
    }
  });
});

describe("embedded database's thread and shared session", () => {
  let db: Database;
  const reported: string[] = [];
  beforeAll(async () => {
    db = await openDatabase({
      url: "memory://",
      poolSize: 4,
      embedded: { ownerIdleTimeoutMs: 300 },
      onError: (e) => reported.push(e.message),
    });
    await db.pool.query("create table t (v int)");
  });
  afterAll(async () => {
    await db.close();
  });

  it("does not block this thread's event loop during a long query", async () => {
    const lag = monitorEventLoopDelay({ resolution: 5 });
    lag.enable();
    const started = performance.now();
    await db.pool.query(
      "select count(*) from generate_series(1, 3000000) g, lateral (select md5(g::text)) m",
    );
    const took = performance.now() - started;
    lag.disable();
    expect(took).toBeGreaterThan(300);
    expect(lag.max / 1e6).toBeLessThan(took / 3);
  });

  it("rolls back the transaction of a connection that drops, and lets the others go on", async () => {
    const client = new pg.Client({ ...(db.pool as unknown as { options: pg.ClientConfig }).options });
    client.on("error", () => {});
    await client.connect();
    await client.query("begin");
    await client.query("insert into t values (1)");
    (client as unknown as { connection: { stream: { destroy(): void } } }).connection.stream.destroy();
    expect((await db.pool.query("select count(*)::int as n from t")).rows[0].n).toBe(0);
  });

  it("closes a connection that sits in a transaction while others wait, and rolls it back", async () => {
    const k = db.kysely<{ t: { v: number } }>("public");
    const held = k.transaction().execute(async (trx) => {
      await trx.insertInto("t").values({ v: 2 }).execute();
      await new Promise((r) => setTimeout(r, 1000)); // waits outside the database, holding the session
      await trx.insertInto("t").values({ v: 3 }).execute();
    });
    await new Promise((r) => setTimeout(r, 50));
    const started = performance.now();
    const count = await db.pool.query("select count(*)::int as n from t");
    expect(count.rows[0].n).toBe(0);
    expect(performance.now() - started).toBeLessThan(900);
    await expect(held).rejects.toThrow();
    expect(reported.some((m) => m.includes("held a transaction idle for 300 ms"))).toBe(true);
    expect((await sql<{ n: number }>`select count(*)::int as n from t`.execute(k)).rows[0]?.n).toBe(0);
  });
});
