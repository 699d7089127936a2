/**
 * Several app processes on one PostgreSQL (issue 8), what scaling out looks like: 3 API processes (HTTP
 * only) and 2 worker processes (the outbox workers and the authority pull, no HTTP), each its own process
 * (test/system/node.ts) on one database. 8 clients issue invoices across 3 series, spread over the 3 API
 * processes. Afterwards: every series numbered without a gap and in date order, no number twice, every
 * invoice coded once (one 202 each at the seller, one code each at the authority), every message received
 * once by the T-VAN and the authority, nothing left in an outbox, the archive chain sound.
 *
 * Sizes: HDDT_SCALE_N invoices (short form 240, full form, HDDT_STRESS=1, 5,000). Needs HDDT_TEST_PG_URL.
 * HDDT_KEEP_DB=1 keeps the database afterwards, to look into a failure.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { writeDevCa } from "../../src/signing/dev-ca.ts";
import { audit, drained, issueLoad, type Node, newNode, onboard } from "./cluster.ts";
import { figure, freshPgDatabase, PG_URL, size } from "./stress-support.ts";

const N = size("HDDT_SCALE_N", 240, 5000);

describe.skipIf(!PG_URL)("scale-out: 3 API processes and 2 workers on one PostgreSQL", () => {
  let dir = "";
  let caDir = "";
  let database: { url: string; drop(): Promise<void> } | undefined;
  const apis: Node[] = [];
  const workers: Node[] = [];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "hddt-scale-"));
    caDir = join(dir, "ca");
    await writeDevCa(caDir);
    database = await freshPgDatabase("scale");
    // The first process migrates; the others start on a migrated database.
    apis.push(await newNode("api-1", "api", database.url, caDir));
    await apis[0]!.up();
    for (let i = 2; i <= 3; i++) apis.push(await newNode(`api-${i}`, "api", database.url, caDir));
    for (let i = 1; i <= 2; i++) workers.push(await newNode(`workers-${i}`, "workers", database.url, caDir));
    await Promise.all([...apis.slice(1), ...workers].map((n) => n.up()));
  }, 300_000);

  afterAll(async () => {
    for (const n of [...apis, ...workers]) await n.stop("SIGKILL");
    if (process.env.HDDT_KEEP_DB !== "1") await database?.drop().catch(() => undefined);
    else process.stdout.write(`kept ${database?.url}\n`);
    if (dir) await rm(dir, { recursive: true, force: true });
  }, 60_000);

  it(
    `numbers ${N} invoices without a gap and processes each message once`,
    async () => {
      const key = await onboard(apis[0]!.url);
      const started = Date.now();
      const load = await issueLoad(() => apis.map((a) => a.url), key, N, 8);
      const loadMs = Date.now() - started;
      expect(load.refusals).toEqual([]);
      const drainMs = await drained(database!.url, N, Math.max(300_000, N * 60));
      const books = await audit(database!.url, caDir, load.acks);
      // Each message handled once: no outbox row taken by two workers (claims counts the takings), one 202 per
      // invoice at the seller, and every answer of the authority received by the T-VAN.
      const c = new pg.Client({ connectionString: database!.url });
      await c.connect();
      let twice: Record<string, number> = {};
      try {
        const q = async (text: string) => Number((await c.query<{ n: string }>(text)).rows[0]!.n);
        twice = {
          "invoices with more than one 202 at the seller": await q(
            `select count(*) as n from seller.invoice i where (select count(*) from seller.message m
               where m.reply_to = i.message_id and m.type = 202 and m.direction = 'in') > 1`,
          ),
          "invoices without a 202 at the seller": await q(
            `select count(*) as n from seller.invoice i where not exists (select 1 from seller.message m
               where m.reply_to = i.message_id and m.type = 202 and m.direction = 'in')`,
          ),
          "seller outbox rows claimed more than once": await q(
            "select count(*) as n from seller.outbox where claims > 1",
          ),
          "tvan outbox rows claimed more than once": await q(
            "select count(*) as n from tvan.outbox where claims > 1",
          ),
          "authority answers the T-VAN never received": await q(
            `select count(*) as n from authority.outbox o
           where not exists (select 1 from tvan.message m where m.message_id = o.message_id)`,
          ),
        };
      } finally {
        await c.end();
      }
      figure(
        "scale-out",
        `${load.acks.length} invoices through 3 API processes and 2 worker processes in ${(loadMs / 1000).toFixed(1)} s ` +
          `(${((load.acks.length / loadMs) * 1000).toFixed(1)}/s); drained in ${(drainMs / 1000).toFixed(1)} s; ` +
          `per series ${JSON.stringify(books.perSeries)}; duplicates ${JSON.stringify(twice)}; ` +
          `problems ${books.problems.length}`,
      );
      expect(books.problems.slice(0, 30)).toEqual([]);
      expect(books.stuckCoded).toBe(0);
      expect(
        Object.values(twice).every((v) => v === 0),
        JSON.stringify(twice),
      ).toBe(true);
    },
    4 * 3_600_000,
  );
});
