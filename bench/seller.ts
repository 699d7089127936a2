/**
 * Coded invoices per second through the seller's HTTP API, end to end: `POST /seller/invoices?issue=true`
 * over real HTTP (seller signature, numbering, archive, outbox) → T-VAN (999, archive, forward) →
 * authority (checks, MCCQT, its signature, storage) → T-VAN → seller (coded invoice stored byte-exact and
 * archived, delivered). All three parts run in this process (`composeAll`) on the embedded database, or on
 * a scratch database of HDDT_BENCH_PG_URL. A coded invoice costs two RSA-2048 signatures, so the limit is
 * half the machine's raw signing rate (every core signing, measured here in the same run; the one-core
 * rate is printed too); the goal (issue 6) is ≥ 60% of that limit.
 * Then a batch through `POST /seller/invoices/batch` (HDDT_BENCH_SELLER_BATCH invoices, default 2,000;
 * the goal is 100,000 under 4 minutes and under 1 GB), timed to issued and to all coded, with peak memory.
 */
import { createSign, generateKeyPairSync } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { availableParallelism, tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { composeAll } from "../src/cli/compose.ts";
import { systemClock } from "../src/domain/clock.ts";
import { instantToDate } from "../src/domain/dates.ts";
import { DEFAULT_P12_PASSWORD, writeDevCa } from "../src/signing/dev-ca.ts";
import { pkcs12Signer } from "../src/signing/pkcs12.ts";
import { signerPool } from "../src/signing/pool.ts";
import { type Database, openDatabase } from "../src/store/index.ts";

const TAX_CODE = "0100109106";

function rawSignRate(): number {
  const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  const data = Buffer.alloc(600, 7);
  const start = performance.now();
  let n = 0;
  while (performance.now() - start < 1500) {
    createSign("RSA-SHA256").update(data).sign(privateKey);
    n++;
  }
  return n / ((performance.now() - start) / 1000);
}

/** Signatures per second with every core signing (a worker thread per core), over `ms`. */
async function machineSignRate(caDir: string, ms = 1500): Promise<number> {
  const key = await pkcs12Signer(join(caDir, "authority.p12"), DEFAULT_P12_PASSWORD);
  const pool = signerPool({ key: key.key, certificate: key.certificate(), size: availableParallelism() });
  const data = Buffer.alloc(600, 7);
  try {
    await Promise.all(Array.from({ length: 64 }, () => pool.sign(data, "RSA-SHA256")));
    const start = performance.now();
    let n = 0;
    await Promise.all(
      Array.from({ length: availableParallelism() * 64 }, async () => {
        while (performance.now() - start < ms) {
          await pool.sign(data, "RSA-SHA256");
          n++;
        }
      }),
    );
    return n / ((performance.now() - start) / 1000);
  } finally {
    await pool.close();
  }
}

async function scratchDatabase(): Promise<{ db: Database; drop: () => Promise<void> }> {
  const admin = process.env.HDDT_BENCH_PG_URL;
  if (!admin)
    return { db: await openDatabase({ url: "memory://", clock: systemClock }), drop: async () => {} };
  const name = `hddt_bench_seller_${process.pid}`;
  const q = async (text: string) => {
    const c = new pg.Client({ connectionString: admin });
    await c.connect();
    try {
      await c.query(text);
    } finally {
      await c.end();
    }
  };
  await q(`create database "${name}"`);
  const url = new URL(admin);
  url.pathname = `/${name}`;
  const db = await openDatabase({ url: url.toString(), clock: systemClock, poolSize: 16 });
  return { db, drop: () => q(`drop database if exists "${name}" with (force)`) };
}

function invoice(series: string, i: number) {
  return {
    header: { template: "1", series, paymentMethod: "TM/CK" },
    buyer: { name: `Khách hàng ${i}`, taxCode: "0101243150", address: "Hà Nội" },
    lines: [
      {
        itemName: "Bút bi Thiên Long",
        unit: "Cái",
        quantity: String((i % 9) + 1),
        unitPrice: "12500",
        vatRate: "10%",
      },
      { itemName: "Giấy A4", unit: "Ram", quantity: "2", unitPrice: "65000", vatRate: "8%" },
    ],
  };
}

async function until(check: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error("timed out");
    await new Promise((r) => setTimeout(r, 20));
  }
}

export async function run(): Promise<void> {
  const devCaDir = mkdtempSync(join(tmpdir(), "hddt-bench-ca-"));
  await writeDevCa(devCaDir);
  const oneCore = rawSignRate();
  const raw = await machineSignRate(devCaDir);
  const limit = raw / 2;
  console.log(
    `raw RSA-2048 signing: ${raw.toFixed(0)}/s on ${availableParallelism()} cores (one core ${oneCore.toFixed(0)}/s) ` +
      `→ limit for coded invoices ${limit.toFixed(0)}/s`,
  );
  const { db, drop } = await scratchDatabase();
  const adminKey = "bench-admin-key-0123456789";
  const c = await composeAll({
    db,
    devCaDir,
    apiKeys: [{ role: "admin", name: "bench", key: adminKey }],
    idleMs: 2,
  });
  let peak = 0;
  const sampler = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss);
  }, 50);
  try {
    const base = await c.app.listen({ port: 0, host: "127.0.0.1" });
    c.start();
    await c.onboard({
      taxCode: TAX_CODE,
      name: "Công ty TNHH HDDT Bench",
      address: "Hà Nội",
      profile: { email: "bench@example.vn", phone: "0241234567" },
    });
    await until(async () => (await c.seller.registrations(TAX_CODE))[0]?.state === "accepted", 30_000);
    const series = `C${instantToDate(new Date()).slice(2, 4)}TAA`;
    const created = await c.seller.createSeries(TAX_CODE, { template: "1", series });
    if (!created.ok) throw new Error(created.problems[0]!.message);
    const key = (await c.seller.createApiKey(TAX_CODE, { name: "bench", role: "accountant" })).key;
    const headers = { "x-api-key": key, "content-type": "application/json" };

    const coded = async () => {
      const n = await c.seller.counts(TAX_CODE);
      return (n.delivered ?? 0) + (n.refused ?? 0);
    };

    // 1. One invoice per request, CONCURRENCY requests in flight.
    const total = Number(process.env.HDDT_BENCH_SELLER_N ?? 400);
    const concurrency = 16;
    const start = performance.now();
    let next = 0;
    let failed = 0;
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (next < total) {
          const i = next++;
          const res = await fetch(`${base}/seller/invoices?issue=true`, {
            method: "POST",
            headers: { ...headers, "idempotency-key": `single-${i}` },
            body: JSON.stringify(invoice(series, i)),
          });
          if (res.status !== 201) failed++;
          await res.body?.cancel();
        }
      }),
    );
    const issuedAt = performance.now();
    await until(async () => (await coded()) >= total - failed, 600_000);
    const doneAt = performance.now();
    const rate = total / ((doneAt - start) / 1000);
    const counts = await c.seller.counts(TAX_CODE);
    console.log(
      `coded invoices through the HTTP API: ${total} in ${((doneAt - start) / 1000).toFixed(1)} s → ${rate.toFixed(0)}/s ` +
        `(${((rate / limit) * 100).toFixed(0)}% of the limit; goal 60%); issued in ${((issuedAt - start) / 1000).toFixed(1)} s; ` +
        `states ${JSON.stringify(counts)}; failed requests ${failed}`,
    );

    // 2. A batch.
    const batch = Number(process.env.HDDT_BENCH_SELLER_BATCH ?? 2000);
    const chunk = 5000;
    const before = await coded();
    const bStart = performance.now();
    for (let from = 0; from < batch; from += chunk) {
      const items = [];
      for (let i = from; i < Math.min(batch, from + chunk); i++)
        items.push({ invoice: invoice(series, i), idempotencyKey: `batch-${i}` });
      const res = await fetch(`${base}/seller/invoices/batch`, {
        method: "POST",
        headers,
        body: JSON.stringify({ items }),
      });
      const body = (await res.json()) as { issued: number; failed: number };
      if (body.failed > 0) console.log(`batch: ${body.failed} failed`);
    }
    const bIssued = performance.now();
    await until(async () => (await coded()) >= before + batch, 1_800_000);
    const bDone = performance.now();
    console.log(
      `batch of ${batch}: issued in ${((bIssued - bStart) / 1000).toFixed(1)} s (${(batch / ((bIssued - bStart) / 1000)).toFixed(0)}/s), ` +
        `all coded and delivered in ${((bDone - bStart) / 1000).toFixed(1)} s (${(batch / ((bDone - bStart) / 1000)).toFixed(0)}/s); ` +
        `100,000 would take ≈ ${((100_000 / batch) * ((bDone - bStart) / 60_000)).toFixed(1)} min; peak RSS ${(peak / 1048576).toFixed(0)} MB`,
    );
  } finally {
    clearInterval(sampler);
    await c.stop();
    await c.app.close();
    await db.close();
    await drop();
    rmSync(devCaDir, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await run();
