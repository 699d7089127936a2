/**
 * Shared pieces of the proof suites (issue 8): the short/full switch, figure lines, per-request time
 * limits, row counts of every table of the parts' schemas, PostgreSQL databases of their own, and child
 * processes killed by process group.
 *
 * `HDDT_STRESS=1` selects the full form of every suite (`npm run test:stress`); without it each suite runs
 * its short form, sized for CI.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { appendFileSync } from "node:fs";
import { createServer } from "node:net";
import { join, resolve } from "node:path";
import pg from "pg";
import type { HttpApp } from "../../src/api/server.ts";
import type { Database } from "../../src/store/index.ts";

export const STRESS = process.env.HDDT_STRESS === "1";
export const ROOT = resolve(import.meta.dirname, "..", "..");
export const PG_URL = process.env.HDDT_TEST_PG_URL;

/** A size from the environment, else the full or the short default. */
export function size(name: string, short: number, full: number): number {
  const v = process.env[name];
  if (v !== undefined && v.trim() !== "" && Number.isFinite(Number(v))) return Number(v);
  return STRESS ? full : short;
}

/** Prints one figure line (and appends it to HDDT_STRESS_FIGURES when set, for the stress run's summary). */
export function figure(suite: string, text: string): void {
  const line = `[figures] ${suite}: ${text}`;
  process.stdout.write(`${line}\n`);
  const file = process.env.HDDT_STRESS_FIGURES;
  if (file) appendFileSync(file, `${line}\n`);
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** `p`, or a rejection naming `what` after `ms`. */
export async function within<T>(ms: number, what: string, p: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      p,
      new Promise<never>((_, fail) => {
        timer = setTimeout(() => fail(new Error(`no answer within ${ms} ms: ${what}`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** Row counts of every table of the given schemas, in one statement ("schema.table" → count). */
export async function rowCounts(
  db: Database,
  schemas: readonly string[] = ["seller", "authority", "tvan"],
): Promise<Record<string, number>> {
  const tables = await db.pool.query<{ s: string; t: string }>(
    `select table_schema as s, table_name as t from information_schema.tables
     where table_type = 'BASE TABLE' and table_schema = any($1::text[]) order by 1, 2`,
    [schemas],
  );
  if (tables.rows.length === 0) return {};
  const parts = tables.rows.map(
    (r) => `select '${r.s}.${r.t}' as n, count(*)::int as c from "${r.s}"."${r.t}"`,
  );
  const counts = await db.pool.query<{ n: string; c: number }>(parts.join(" union all "));
  return Object.fromEntries(counts.rows.map((r) => [r.n, Number(r.c)]));
}

export function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const s = createServer();
    s.once("error", fail);
    s.listen(0, "127.0.0.1", () => {
      const a = s.address();
      const port = typeof a === "object" && a ? a.port : 0;
      s.close(() => ok(port));
    });
  });
}

/** A fresh database on the server of HDDT_TEST_PG_URL; `drop` removes it. */
export async function freshPgDatabase(tag: string): Promise<{ url: string; drop(): Promise<void> }> {
  if (!PG_URL) throw new Error("HDDT_TEST_PG_URL is not set");
  const name = `hddt_stress_${tag}_${process.pid}_${randomBytes(3).toString("hex")}`;
  const c = new pg.Client({ connectionString: PG_URL });
  await c.connect();
  try {
    await c.query(`create database "${name}"`);
  } finally {
    await c.end();
  }
  const u = new URL(PG_URL);
  u.pathname = `/${name}`;
  return {
    url: u.toString(),
    async drop() {
      const d = new pg.Client({ connectionString: PG_URL });
      await d.connect();
      try {
        await d.query(`drop database if exists "${name}" with (force)`);
      } finally {
        await d.end();
      }
    },
  };
}

/** A process of ours in its own process group, so SIGKILL reaches its children (tsx runs one). */
export class Child {
  child: ChildProcess | undefined;
  log = "";
  out = "";
  starts = 0;
  constructor(
    readonly name: string,
    readonly argv: readonly string[],
    readonly env: Record<string, string> = {},
  ) {}

  start(): void {
    this.starts++;
    const child = spawn(process.execPath, [...this.argv], {
      cwd: ROOT,
      detached: true,
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, ...this.env },
    });
    child.stdout?.on("data", (c: Buffer) => {
      this.out = (this.out + c.toString("utf8")).slice(-8000);
    });
    child.stderr?.on("data", (c: Buffer) => {
      this.log = (this.log + c.toString("utf8")).slice(-8000);
    });
    this.child = child;
  }

  get running(): boolean {
    const c = this.child;
    return !!c && c.exitCode === null && c.signalCode === null;
  }

  /** Sends `signal` to the whole group and waits for the process to be gone. */
  async stop(signal: NodeJS.Signals = "SIGKILL"): Promise<void> {
    const c = this.child;
    if (!c || c.pid === undefined || !this.running) return;
    const gone = new Promise<void>((r) => c.once("exit", () => r()));
    try {
      process.kill(-c.pid, signal);
    } catch {
      return;
    }
    await Promise.race([gone, sleep(15_000)]);
    if (this.running) {
      try {
        process.kill(-c.pid, "SIGKILL");
      } catch {
        // gone meanwhile
      }
      await gone;
    }
    // tsx's own child may outlive the wrapper by a moment.
    await sleep(150);
  }
}

/** `node <tsx cli> test/system/node.ts …`: one composed hddt process (see node.ts). */
export function nodeArgv(args: readonly string[]): string[] {
  return [
    join(ROOT, "node_modules", "tsx", "dist", "cli.mjs"),
    join(ROOT, "test", "system", "node.ts"),
    ...args,
  ];
}

export async function waitFor(what: string, f: () => Promise<boolean>, ms = 60_000, log?: () => string) {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    try {
      if (await f()) return;
    } catch {
      // not yet
    }
    await sleep(100);
  }
  throw new Error(`timed out waiting for ${what}${log ? `\n${log()}` : ""}`);
}

/**
 * Method and URL (fastify's `:param` form) of every route in the app's OpenAPI document, which fastify
 * builds from the routes themselves: a route added later is enumerated too.
 */
export async function routesOf(app: HttpApp): Promise<Array<{ method: string; url: string }>> {
  await app.ready();
  const doc = app.swagger() as { paths?: Record<string, Record<string, unknown>> };
  const out: Array<{ method: string; url: string }> = [];
  for (const [path, item] of Object.entries(doc.paths ?? {}))
    for (const method of Object.keys(item))
      if (["get", "post", "put", "patch", "delete"].includes(method))
        out.push({ method: method.toUpperCase(), url: path.replace(/\{(\w+)\}/g, ":$1") });
  return out;
}
