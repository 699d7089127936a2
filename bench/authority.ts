/**
 * The tax authority's benchmark (issue 4):
 *
 * 1. The machine's raw RSA-2048 signing rate (`openssl speed`, one core and all cores).
 * 2. Code issuance: seller-signed 200 messages, made before the clock starts, received by N
 *    `AuthorityService` instances in worker threads (one per core by default), each with its own PostgreSQL
 *    pool, its own authority signer and its own share of the messages. Each 200 goes through the whole path:
 *    envelope read, 999 receipt, the four checks and the domain validation, the seller's signature verified,
 *    MCCQT made, the invoice signed in DSCKS/CQT (one RSA signature), the 202 written, everything stored
 *    (two round trips per code: the gate with the party's data, then the commit, which a service groups
 *    with its concurrent ones into one statement).
 *    Goal: ≥ 75 % of the raw RSA signing rate.
 * 3. Public lookup with 1,000,000 coded invoices stored (bulk-inserted with one INSERT … SELECT from
 *    generate_series, plus the invoices coded in step 2, which carry their full XML): 50 concurrent lookup
 *    loops spread over the same workers for a few seconds. Goal: p99 ≤ 10 ms. The public lookup shows the
 *    code, total and dates only, read by an index-only scan (the table is vacuumed after the fill, as
 *    autovacuum would do).
 *
 * Runs on a scratch database `hddt_bench_<pid>` made on the PostgreSQL server at HDDT_BENCH_PG_URL and
 * dropped after. Without a server it falls back to the embedded database, one service on the main thread
 * with a signer pool and at most 4,000 messages, and says so: that figure is not the goal's.
 *
 * The machine may be shared, so besides wall-clock rates the benchmark prints CPU time per code and per
 * lookup: this process's (all threads) and that of the PostgreSQL backends serving the scratch database
 * (read from /proc, so only when the server runs on this machine). Workers: HDDT_BENCH_WORKERS (default:
 * one per core).
 *
 * Run alone: `npx tsx bench/authority.ts [messages] [lookupRows]` (defaults 12,000 and 1,000,000).
 */
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { availableParallelism } from "node:os";
import { dirname, join } from "node:path";
import { pathToFileURL } from "node:url";
import { Worker } from "node:worker_threads";
import { sql } from "kysely";
import pg from "pg";
import { AuthorityService } from "../src/authority/index.ts";
import { systemClock } from "../src/domain/clock.ts";
import { writeInvoice } from "../src/format/invoice.ts";
import { signerPool } from "../src/signing/pool.ts";
import { signAs } from "../src/signing/profiles.ts";
import { memorySigner } from "../src/signing/signer.ts";
import { type Database, migrate, openDatabase } from "../src/store/index.ts";
import {
  codedInvoice,
  devPki,
  envelope,
  messageId,
  registration,
  SELLER,
} from "../test/authority/support.ts";
import { withTotals } from "../test/support/invoices.ts";
import type { FromWorker, IssuanceWorkerData, LookupKey, ToWorker } from "./authority-worker.ts";

const CODE_SECRET = Buffer.from("hddt-bench-code-secret-0123456789");
const LOOKUP_CLIENTS = 50;
const LOOKUP_MS = 8_000;
/** Connections of each lookup worker's pool. */
const LOOKUP_CONNECTIONS = 8;

const fmt = (n: number) => Math.round(n).toLocaleString("en-US");
const ms = (n: number) => `${n.toFixed(2)} ms`;
const pct = (a: number, b: number) => `${((100 * a) / b).toFixed(1)} %`;

function row(label: string, value: string): void {
  console.log(`${label.padEnd(58)} ${value}`);
}

/** `openssl speed rsa2048` sign/s, on one core or `multi` processes. */
function opensslSign(seconds: number, multi: number): number | undefined {
  try {
    const args = ["speed", "-seconds", String(seconds), ...(multi > 1 ? ["-multi", String(multi)] : [])];
    const out = execFileSync("openssl", [...args, "rsa2048"], {
      encoding: "utf8",
      stdio: ["ignore", "pipe", "ignore"],
    });
    const line = out
      .split("\n")
      .reverse()
      .find((l) => /^rsa\s+2048 bits/.test(l.trim()));
    const v = Number(line?.trim().split(/\s+/)[5]);
    return Number.isFinite(v) ? v : undefined;
  } catch {
    return undefined;
  }
}

/** Sorted copy's quantile. */
function quantile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!;
}

function concat(parts: readonly Float64Array[]): Float64Array {
  const out = new Float64Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out.sort();
}

/**
 * CPU seconds used so far by the server processes serving `db`'s database (its backends, read from /proc:
 * the server must run on this machine; empty otherwise). Other databases' backends are left out, so tests
 * running on the same server do not count.
 */
async function postgresCpu(db: Database): Promise<Map<number, number>> {
  const out = new Map<number, number>();
  if (db.kind !== "postgres") return out;
  const r = await db.pool.query<{ pid: number }>(
    "select pid from pg_stat_activity where datname = current_database()",
  );
  for (const { pid } of r.rows) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
      const close = stat.lastIndexOf(")");
      if (!stat.slice(stat.indexOf("(") + 1, close).startsWith("postgres")) continue;
      const f = stat.slice(close + 2).split(" ");
      // Fields 14 and 15 of stat (utime, stime), in clock ticks (100 per second on Linux).
      out.set(Number(pid), (Number(f[11]) + Number(f[12])) / 100);
    } catch {
      // The process ended meanwhile.
    }
  }
  return out;
}

/** CPU seconds the database's backends used since a snapshot (backends that ended meanwhile are not counted). */
async function postgresCpuSince(db: Database, before: Map<number, number>): Promise<number> {
  let s = 0;
  for (const [pid, v] of await postgresCpu(db)) s += v - (before.get(pid) ?? 0);
  return s;
}

async function adminQuery(adminUrl: string, text: string): Promise<void> {
  const c = new pg.Client({ connectionString: adminUrl });
  await c.connect();
  try {
    await c.query(text);
  } finally {
    await c.end();
  }
}

const require = createRequire(import.meta.url);

/** A worker thread running bench/authority-worker.ts (through tsx's loader when run as TypeScript). */
function spawn(data: IssuanceWorkerData): Worker {
  const url = new URL(
    import.meta.url.endsWith(".ts") ? "./authority-worker.ts" : "./authority-worker.js",
    import.meta.url,
  );
  if (!url.pathname.endsWith(".ts")) return new Worker(url, { workerData: data });
  const pkgPath = require.resolve("tsx/package.json");
  const pkg = JSON.parse(readFileSync(pkgPath, "utf8")) as {
    exports: Record<string, { import?: { default?: string } }>;
  };
  const entry = pkg.exports["./esm/api"]?.import?.default;
  if (!entry) throw new Error("tsx has no ./esm/api export");
  const tsx = pathToFileURL(join(dirname(pkgPath), entry)).href;
  const bootstrap = `import(${JSON.stringify(tsx)}).then((api) => { api.register(); return import(${JSON.stringify(url.href)}); }).catch((e) => { require("node:worker_threads").parentPort.postMessage({ type: "failed", message: String((e && e.stack) || e) }); });`;
  return new Worker(bootstrap, { eval: true, workerData: data });
}

/** Waits for one message of `type` from each worker (rejects on a failure or an exit). */
function fromAll<T extends FromWorker["type"]>(
  workers: readonly Worker[],
  type: T,
  timeoutMs: number,
): Promise<Array<Extract<FromWorker, { type: T }>>> {
  return Promise.all(
    workers.map(
      (w, i) =>
        new Promise<Extract<FromWorker, { type: T }>>((resolve, reject) => {
          const timer = setTimeout(() => {
            cleanup();
            reject(new Error(`worker ${i}: no "${type}" within ${timeoutMs} ms`));
          }, timeoutMs);
          const onMessage = (m: FromWorker) => {
            if (m.type === "failed") {
              cleanup();
              reject(new Error(`worker ${i}: ${m.message}`));
            } else if (m.type === type) {
              cleanup();
              resolve(m as Extract<FromWorker, { type: T }>);
            }
          };
          const onExit = (code: number) => {
            cleanup();
            reject(new Error(`worker ${i} exited (${code}) before "${type}"`));
          };
          const cleanup = () => {
            clearTimeout(timer);
            w.off("message", onMessage);
            w.off("exit", onExit);
          };
          w.on("message", onMessage);
          w.on("exit", onExit);
        }),
    ),
  );
}

/** Registers the bench's seller (taxpayer added, 100 accepted) through a main-thread service. */
async function registerSeller(service: AuthorityService): Promise<void> {
  await service.upsertTaxpayer({ taxCode: SELLER, name: "Công ty TNHH Phần mềm Hóa Đơn Mở" });
  const r = await service.receive(envelope(100, await registration()));
  if (r.status !== "ok" || !r.replies[1]?.includes("<TTXNCQT>1</TTXNCQT>"))
    throw new Error(`registration refused: ${JSON.stringify(r).slice(0, 2000)}`);
}

interface IssuanceFigures {
  coded: number;
  seconds: number;
  /** CPU seconds of this process (all threads) and of the PostgreSQL server during the run. */
  nodeCpu: number;
  pgCpu: number;
  latencies: Float64Array;
  note: string;
}

/** Code issuance in worker threads, one service each (PostgreSQL server). */
async function issueInWorkers(
  db: Database,
  url: string,
  count: number,
  nWorkers: number,
  workersOut: Worker[],
): Promise<IssuanceFigures> {
  const keys = await devPki();
  const share = Math.ceil(count / nWorkers);
  const inFlight = 6;
  // Messages each worker codes before the clock starts (JIT, statements, connections).
  const warmup = Math.min(300, Math.ceil(share / 10));
  for (let w = 0; w < nWorkers; w++) {
    workersOut.push(
      spawn({
        url,
        poolSize: inFlight,
        caCertificate: keys.ca.certificate,
        sellerKey: keys.seller.key!.export({ format: "pem", type: "pkcs8" }).toString(),
        sellerCertificate: keys.seller.certificate,
        authorityKey: keys.authority.key!.export({ format: "pem", type: "pkcs8" }).toString(),
        authorityCertificate: keys.authority.certificate,
        codeSecret: CODE_SECRET,
        firstNumber: 1 + w * (share + warmup),
        count: share + warmup,
        warmup,
        inFlight,
      }),
    );
  }
  const ready = await fromAll(workersOut, "ready", 120_000);
  const bytes = ready.reduce((n, r) => n + r.bytes, 0);
  const done = fromAll(workersOut, "done", 300_000);
  const cpu0 = process.cpuUsage();
  const pg0 = await postgresCpu(db);
  for (const w of workersOut) w.postMessage({ type: "go" } satisfies ToWorker);
  const results = await done;
  const cpu = process.cpuUsage(cpu0);
  const pgCpu = await postgresCpuSince(db, pg0);
  const coded = results.reduce((n, r) => n + r.coded, 0);
  const refused = results.reduce((n, r) => n + r.refused, 0);
  if (refused > 0) {
    const first = results.find((r) => r.firstRefusal)?.firstRefusal;
    throw new Error(`${refused} messages were not coded; the first answer: ${first}`);
  }
  // Every 202 must be stored: the timed ones plus the warm-up ones.
  const stored = await db.pool.query<{ n: number }>(
    "select count(*)::integer as n from authority.coded_invoice where seller_tax_code = $1",
    [SELLER],
  );
  if (stored.rows[0]?.n !== coded + warmup * nWorkers)
    throw new Error(`${stored.rows[0]?.n} coded invoices stored, ${coded + warmup * nWorkers} expected`);
  const start = Math.min(...results.map((r) => r.startedAt));
  const end = Math.max(...results.map((r) => r.endedAt));
  return {
    coded,
    seconds: (end - start) / 1000,
    nodeCpu: (cpu.user + cpu.system) / 1e6,
    pgCpu,
    latencies: concat(results.map((r) => r.latencies)),
    note: `${nWorkers} worker threads × 1 service, ${inFlight} messages in flight and ${inFlight} connections each; ${fmt(warmup)} warm-up messages each before the clock; messages ≈ ${fmt(bytes / (share + warmup) / nWorkers)} bytes`,
  };
}

/** Fallback without a server: one service on the main thread, signatures on a signer pool. */
async function issueEmbedded(db: Database, count: number): Promise<IssuanceFigures> {
  const keys = await devPki();
  const pool = signerPool({ key: keys.authority.key!, certificate: keys.authority.certificate });
  try {
    const service = new AuthorityService({
      db,
      clock: systemClock,
      signer: pool,
      verify: { trust: keys.trust, warnTestCertificates: false },
      config: { codeSecret: CODE_SECRET },
    });
    const messages: string[] = [];
    for (let i = 0; i < count; i++) {
      const signed = await signAs(
        writeInvoice(withTotals(codedInvoice(String(i + 1)))),
        keys.sellerSigner,
        "seller",
      );
      if (!signed.ok) throw new Error(JSON.stringify(signed.problems));
      messages.push(envelope(200, signed.value.xml, { id: messageId() }));
    }
    const latencies = new Float64Array(count);
    let next = 0;
    let refused = 0;
    const t0 = performance.now();
    const cpu0 = process.cpuUsage();
    const pg0 = await postgresCpu(db);
    const loop = async () => {
      for (let i = next++; i < count; i = next++) {
        const s = performance.now();
        const r = await service.receive(messages[i]!);
        latencies[i] = performance.now() - s;
        if (r.status !== "ok" || !r.replies[0]?.includes("<MLTDiep>202</MLTDiep>")) refused++;
      }
    };
    await Promise.all(Array.from({ length: 8 }, loop));
    if (refused > 0) throw new Error(`${refused} messages were not coded`);
    const cpu = process.cpuUsage(cpu0);
    return {
      coded: count,
      seconds: (performance.now() - t0) / 1000,
      nodeCpu: (cpu.user + cpu.system) / 1e6,
      pgCpu: await postgresCpuSince(db, pg0),
      latencies: latencies.sort(),
      note: "EMBEDDED database (no HDDT_BENCH_PG_URL): 1 service on the main thread, signer pool, the database thread's CPU counted as node's; not the goal's setup",
    };
  } finally {
    await pool.close();
  }
}

/**
 * Fills `authority.coded_invoice` up to `rows` rows in one INSERT … SELECT (generated sellers, numbers, codes
 * and totals; a short XML stands in for the document) and returns lookup keys: 9 of 10 from the generated
 * rows, 1 of 10 from the invoices coded by the benchmark (full XML).
 */
async function fillLookupTable(
  db: Database,
  rows: number,
): Promise<{ keys: LookupKey[]; seconds: number; inserted: number }> {
  const k = db.kysely<unknown>("authority");
  const before = Number(
    (await sql<{ n: string }>`select count(*)::text as n from authority.coded_invoice`.execute(k)).rows[0]
      ?.n ?? 0,
  );
  const add = Math.max(0, rows - before);
  const t0 = performance.now();
  // 2,000 generated sellers, numbers 1…; totals 100,000 + (g mod 997)·1,000 VND.
  await sql`
    insert into authority.coded_invoice (seller_tax_code, template, series, number, authority_code, message_id,
                                         xml, buyer_tax_code, total, issue_date, coded_at)
    select '02' || lpad((g % 2000)::text, 8, '0'), '1', 'C26TBB', (g / 2000 + 1)::text,
           '00' || upper(md5('hddt-bench-' || g)), 'V0101300842' || upper(md5(g::text)),
           '<HDon><DLHDon Id="bench-' || g || '"/></HDon>', '03' || lpad((g % 50000)::text, 8, '0'),
           (100000 + (g % 997) * 1000)::numeric, date '2026-01-01' + (g % 300), now()
      from generate_series(1, ${add}::integer) g`.execute(k);
  // VACUUM as autovacuum would after such an insert: it marks the pages all-visible, which the public
  // lookup's index-only scan relies on to skip the table.
  await sql`vacuum analyze authority.coded_invoice`.execute(k);
  const seconds = (performance.now() - t0) / 1000;

  const real = await sql<LookupKey & { n: number }>`
    select seller_tax_code as "sellerTaxCode", template, series, number, total::text as total
      from authority.coded_invoice where seller_tax_code = ${SELLER}::text order by random() limit 2000`.execute(
    k,
  );
  const keys: LookupKey[] = [];
  let r = 0;
  for (let i = 0; i < 20_000; i++) {
    const realKey = real.rows[r % Math.max(1, real.rows.length)];
    if (i % 10 === 9 && realKey) {
      keys.push({
        sellerTaxCode: realKey.sellerTaxCode,
        template: realKey.template,
        series: realKey.series,
        number: realKey.number,
        total: realKey.total,
      });
      r++;
      continue;
    }
    const g = 1 + Math.floor(Math.random() * add);
    keys.push({
      sellerTaxCode: `02${String(g % 2000).padStart(8, "0")}`,
      template: "1",
      series: "C26TBB",
      number: String(Math.floor(g / 2000) + 1),
      total: String(100_000 + (g % 997) * 1000),
    });
  }
  return { keys, seconds, inserted: add };
}

export async function run(): Promise<void> {
  const args = process.argv.filter((a) => /^\d+$/.test(a));
  const count = Number(args[0] ?? 12_000);
  const lookupRows = Number(args[1] ?? 1_000_000);
  const cores = availableParallelism();

  // 1. Raw RSA.
  const raw1 = opensslSign(2, 1);
  const rawAll = cores > 1 ? opensslSign(2, cores) : raw1;
  row("openssl speed rsa2048, 1 core", raw1 ? `${fmt(raw1)} sign/s` : "openssl not available");
  row(`openssl speed rsa2048, ${cores} cores (-multi ${cores})`, rawAll ? `${fmt(rawAll)} sign/s` : "n/a");

  const adminUrl = process.env.HDDT_BENCH_PG_URL;
  const scratch = `hddt_bench_${process.pid}`;
  let url: string | undefined;
  if (adminUrl?.startsWith("postgres")) {
    await adminQuery(adminUrl, `create database "${scratch}"`);
    const u = new URL(adminUrl);
    u.pathname = `/${scratch}`;
    url = u.toString();
  }
  const db = await openDatabase(url ? { url, poolSize: 4 } : { url: "memory://", poolSize: 4 });
  const workers: Worker[] = [];
  try {
    await migrate(db, "authority");
    const keys = await devPki();
    const main = new AuthorityService({
      db,
      clock: systemClock,
      signer: memorySigner({ key: keys.authority.key!, certificate: keys.authority.certificate }),
      verify: { trust: keys.trust, warnTestCertificates: false },
      config: { codeSecret: CODE_SECRET },
    });
    await registerSeller(main);

    // 2. Code issuance.
    const nWorkers = Number(process.env.HDDT_BENCH_WORKERS ?? cores);
    const figures = url
      ? await issueInWorkers(db, url, count, nWorkers, workers)
      : await issueEmbedded(db, Math.min(count, 4_000));
    const rate = figures.coded / figures.seconds;
    console.log(`code issuance: ${db.kind} database ${db.serverVersion}; ${figures.note}`);
    row("codes issued (200 → 999 + 202, stored)", `${fmt(figures.coded)} in ${figures.seconds.toFixed(2)} s`);
    row("code-issuance rate", `${fmt(rate)} codes/s`);
    if (rawAll) row(`  / raw RSA on ${cores} cores  [goal ≥ 75 %]`, pct(rate, rawAll));
    if (raw1 && cores > 1) row("  / raw RSA on 1 core", pct(rate, raw1));
    const perCode = (figures.nodeCpu + figures.pgCpu) / figures.coded;
    row(
      "CPU per code: node (all threads) + PostgreSQL",
      `${ms((1000 * figures.nodeCpu) / figures.coded)} + ${ms((1000 * figures.pgCpu) / figures.coded)} = ${ms(1000 * perCode)}`,
    );
    if (raw1) {
      row(
        "  codes per CPU-second / raw RSA signs per CPU-second",
        `${fmt(1 / perCode)} / ${fmt(raw1)} = ${pct(1 / perCode, raw1)}`,
      );
    }
    row(
      "per-message latency p50 / p99 / max",
      `${ms(quantile(figures.latencies, 0.5))} / ${ms(quantile(figures.latencies, 0.99))} / ${ms(figures.latencies.at(-1) ?? Number.NaN)}`,
    );

    // 3. Public lookup.
    const fill = await fillLookupTable(db, lookupRows);
    row(
      `coded invoices stored: ${fmt(lookupRows)} (${fmt(fill.inserted)} bulk-inserted)`,
      `${fill.seconds.toFixed(1)} s (INSERT … SELECT generate_series + VACUUM ANALYZE)`,
    );
    const lookers = workers.slice(0, Number(process.env.HDDT_BENCH_LOOKUP_WORKERS ?? workers.length));
    const connections = Number(process.env.HDDT_BENCH_LOOKUP_CONNECTIONS ?? LOOKUP_CONNECTIONS);
    let latencies: Float64Array;
    let found = 0;
    let total = 0;
    let loopSeconds: number | undefined;
    const t0 = performance.now();
    const lookCpu0 = process.cpuUsage();
    const lookPg0 = await postgresCpu(db);
    if (lookers.length > 0) {
      const per = Math.ceil(LOOKUP_CLIENTS / lookers.length);
      const looked = fromAll(lookers, "looked", LOOKUP_MS + 60_000);
      lookers.forEach((w, i) => {
        const clients = Math.min(per, LOOKUP_CLIENTS - i * per);
        const slice = fill.keys.filter((_, j) => j % lookers.length === i);
        w.postMessage({
          type: "lookup",
          keys: slice,
          clients,
          connections,
          ms: LOOKUP_MS,
        } satisfies ToWorker);
      });
      const rs = await looked;
      loopSeconds = (Math.max(...rs.map((r) => r.endedAt)) - Math.min(...rs.map((r) => r.startedAt))) / 1000;
      latencies = concat(rs.map((r) => r.latencies));
      found = rs.reduce((n, r) => n + r.found, 0);
      total = rs.reduce((n, r) => n + r.found + r.missed, 0);
    } else {
      const out: number[] = [];
      let k = 0;
      const end = performance.now() + LOOKUP_MS;
      await Promise.all(
        Array.from({ length: LOOKUP_CLIENTS }, async () => {
          while (performance.now() < end) {
            const key = fill.keys[k++ % fill.keys.length]!;
            const s = performance.now();
            const r = await main.publicLookup(key);
            out.push(performance.now() - s);
            total++;
            if (r) found++;
          }
        }),
      );
      latencies = Float64Array.from(out).sort();
    }
    const seconds = loopSeconds ?? (performance.now() - t0) / 1000;
    const lookCpu = process.cpuUsage(lookCpu0);
    const lookPg = await postgresCpuSince(db, lookPg0);
    if (found !== total) throw new Error(`public lookup found ${found} of ${total}`);
    console.log(
      `public lookup: ${LOOKUP_CLIENTS} concurrent lookup loops over ${lookers.length || 1} service instance(s)` +
        `${lookers.length > 0 ? ` with ${connections} connections each` : ""}, ${seconds.toFixed(1)} s, 1 in 10 on a benchmark-coded invoice`,
    );
    row("lookups", `${fmt(total)} (${fmt(total / seconds)} /s), all found`);
    row(
      "CPU per lookup: node (all threads) + PostgreSQL",
      `${((lookCpu.user + lookCpu.system) / total).toFixed(0)} µs + ${((1e6 * lookPg) / total).toFixed(0)} µs`,
    );
    row(
      "lookup latency p50 / p99 / max  [goal p99 ≤ 10 ms]",
      `${ms(quantile(latencies, 0.5))} / ${ms(quantile(latencies, 0.99))} / ${ms(latencies.at(-1) ?? Number.NaN)}`,
    );
  } finally {
    for (const w of workers) w.postMessage({ type: "stop" } satisfies ToWorker);
    await Promise.all(
      workers.map(
        (w) =>
          new Promise<void>((resolve) => {
            const t = setTimeout(() => {
              void w.terminate().then(() => resolve());
            }, 5_000);
            w.once("exit", () => {
              clearTimeout(t);
              resolve();
            });
          }),
      ),
    );
    await db.close();
    if (url && adminUrl) await adminQuery(adminUrl, `drop database if exists "${scratch}" with (force)`);
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await run();
