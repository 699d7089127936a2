/**
 * Rough insert/select rates of each backend, for the record (not a test; nothing asserts).
 *   npx tsx test/store/measure-rate.ts            embedded (memory and data folder)
 *   HDDT_TEST_PG_URL=postgres://… npx tsx test/store/measure-rate.ts   also the server
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { monitorEventLoopDelay } from "node:perf_hooks";
import type { Database } from "../../src/store/index.ts";
import { openDatabase } from "../../src/store/index.ts";
import { openTestDatabase } from "./backends.ts";

async function timed(label: string, count: number, fn: () => Promise<void>): Promise<void> {
  const lag = monitorEventLoopDelay({ resolution: 5 });
  lag.enable();
  const t0 = performance.now();
  await fn();
  const ms = performance.now() - t0;
  lag.disable();
  const rate = Math.round((count / ms) * 1000);
  console.log(
    `  ${label.padEnd(44)} ${String(rate).padStart(7)} /s   (${count} in ${Math.round(ms)} ms, main-thread lag max ${Math.round(lag.max / 1e6)} ms)`,
  );
}

async function measure(name: string, db: Database): Promise<void> {
  console.log(`${name} — PostgreSQL ${db.serverVersion}`);
  const pool = db.pool;
  await pool.query(
    "create table rate (id bigint primary key, seller text not null, amount numeric(18,2) not null, body text not null)",
  );
  await pool.query("create table counter (series text primary key, value bigint not null)");
  await pool.query("insert into counter values ('C26TAA', 0)");
  const body = "x".repeat(200);
  let id = 0;

  await timed("insert, one row per statement, sequential", 2000, async () => {
    for (let i = 0; i < 2000; i++)
      await pool.query("insert into rate values ($1, $2, $3, $4)", [++id, "0100109106", "1234.50", body]);
  });
  await timed("insert, one row per statement, 8 at a time", 4000, async () => {
    const worker = async () => {
      for (let i = 0; i < 500; i++)
        await pool.query("insert into rate values ($1, $2, $3, $4)", [++id, "0100109106", "1234.50", body]);
    };
    await Promise.all(Array.from({ length: 8 }, worker));
  });
  await timed("insert, 500-row statements in one transaction", 20_000, async () => {
    const client = await pool.connect();
    try {
      await client.query("begin");
      for (let b = 0; b < 40; b++) {
        const values: unknown[] = [];
        const rows: string[] = [];
        for (let i = 0; i < 500; i++) {
          const n = values.length;
          rows.push(`($${n + 1}, $${n + 2}, $${n + 3}, $${n + 4})`);
          values.push(++id, "0100109106", "1234.50", body);
        }
        await client.query(`insert into rate values ${rows.join(",")}`, values);
      }
      await client.query("commit");
    } finally {
      client.release();
    }
  });
  await timed("select by primary key, sequential", 5000, async () => {
    for (let i = 0; i < 5000; i++)
      await pool.query("select * from rate where id = $1", [1 + ((i * 7919) % id)]);
  });
  await timed("select by primary key, 8 at a time", 8000, async () => {
    const worker = async (w: number) => {
      for (let i = 0; i < 1000; i++)
        await pool.query("select * from rate where id = $1", [1 + ((i * 7919 + w) % id)]);
    };
    await Promise.all(Array.from({ length: 8 }, (_, w) => worker(w)));
  });
  await timed("numbering transaction (FOR UPDATE), 8 at a time", 2000, async () => {
    const worker = async () => {
      for (let i = 0; i < 250; i++) {
        const c = await pool.connect();
        try {
          await c.query("begin");
          await c.query("select value from counter where series = 'C26TAA' for update");
          await c.query("update counter set value = value + 1 where series = 'C26TAA'");
          await c.query("commit");
        } finally {
          c.release();
        }
      }
    };
    await Promise.all(Array.from({ length: 8 }, worker));
  });
  const n = (await pool.query("select value from counter")).rows[0].value as bigint;
  console.log(`  counter after 2000 increments: ${n}`);
}

const dir = mkdtempSync(join(tmpdir(), "hddt-rate-"));
try {
  const memory = await openDatabase({ url: "memory://", poolSize: 8 });
  await measure("embedded, memory://", memory);
  await memory.close();
  const folder = await openDatabase({ dataDir: join(dir, "data"), poolSize: 8 });
  await measure("embedded, data folder", folder);
  await folder.close();
  if (process.env.HDDT_TEST_PG_URL) {
    const server = await openTestDatabase("postgres", { poolSize: 8 });
    await measure("PostgreSQL server", server);
    await server.close();
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
