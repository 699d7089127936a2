/**
 * Transmission throughput: messages through the durable outbox and the in-process transport to an
 * idempotent receiver that answers with a 999, on the embedded database (or, with HDDT_BENCH_PG_URL, on
 * a scratch database `hddt_bench_*` made on that PostgreSQL server and dropped after). Messages are pre-made (a 10-line invoice in a TDiep), so the figure is the outbox's
 * own cost: enqueue, claim, send, record.
 * Goal (issue 5): ≥ 3,000 messages/s on 2 cores, and ≤ 20 ms extra latency at p99 at half that load
 * (measured from the enqueue's commit to the receiver's hand, with the workers polling every 2 ms).
 */
import { randomBytes } from "node:crypto";
import pg from "pg";
import { systemClock } from "../src/domain/clock.ts";
import { newMessageId, writeMessage } from "../src/format/envelope.ts";
import { writeInvoice } from "../src/format/invoice.ts";
import { type Database, migrate, openDatabase } from "../src/store/index.ts";
import { TvanService } from "../src/transmission/tvan.ts";
import { Outbox } from "../src/transport/outbox.ts";
import { InProcessTransport } from "../src/transport/transport.ts";
import { OutboxWorker } from "../src/transport/worker.ts";
import { sampleInvoice } from "../test/support/invoices.ts";
import { IdempotentReceiver, messageId, tdiep } from "../test/transmission/support.ts";

function fmt(n: number): string {
  return Math.round(n).toLocaleString("en-US").padStart(10);
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

/** Enqueues `rate` messages/s for `seconds` while workers loop, and reports enqueue → receipt latency. */
async function latency(outbox: Outbox, nWorkers: number, rate: number, seconds: number): Promise<void> {
  const enqueuedAt = new Map<string, number>();
  const latencies: number[] = [];
  const transport = new InProcessTransport([
    [
      "TCT",
      async (xml: string) => {
        const id = /<MTDiep>([^<]+)</.exec(xml)?.[1] ?? "";
        const t = enqueuedAt.get(id);
        if (t !== undefined) latencies.push(performance.now() - t);
        return { ok: true, reply: "<TDiep/>" } as const;
      },
    ],
  ]);
  const workers = Array.from(
    { length: nWorkers },
    (_, i) =>
      new OutboxWorker({
        outbox,
        transport,
        clock: systemClock,
        workerId: `lat-${i}`,
        batchSize: 200,
        idleMs: 2,
      }),
  );
  for (const w of workers) w.start();
  const body = tdiep(messageId());
  const perTick = Math.round(rate / 100);
  const end = performance.now() + seconds * 1000;
  let next = performance.now();
  while (performance.now() < end) {
    const batch = Array.from({ length: perTick }, () => {
      const id = messageId();
      return { messageId: id, destination: "TCT", xml: body.replace(/<MTDiep>[^<]*</, `<MTDiep>${id}<`) };
    });
    await outbox.enqueue(batch);
    const now = performance.now();
    for (const m of batch) enqueuedAt.set(m.messageId, now);
    next += 10;
    const wait = next - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
  }
  for (let i = 0; i < 200 && latencies.length < enqueuedAt.size; i++)
    await new Promise((r) => setTimeout(r, 10));
  await Promise.all(workers.map((w) => w.stop()));
  latencies.sort((a, b) => a - b);
  const q = (p: number) =>
    latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))] ?? Number.NaN;
  console.log(
    `${`latency at ${rate.toLocaleString("en-US")}/s: p50 / p99 / max  [goal p99 ≤ 20 ms]`.padEnd(48)} ${q(0.5).toFixed(1)} / ${q(0.99).toFixed(1)} / ${(latencies.at(-1) ?? Number.NaN).toFixed(1)} ms (${latencies.length} of ${enqueuedAt.size})`,
  );
}

/**
 * The T-VAN's own path for sellers' invoices: `receive` (envelope check, 999, byte-exact archive and outbox
 * row by group commit; the signature check stubbed, as signatures are pre-made) with 64 concurrent senders
 * over 200 sellers, then the drain to the authority (invoices are not barriers: one seller's go in parallel).
 */
async function tvanPhase(db: Database, count: number, invoiceXml: string): Promise<void> {
  await db.pool.query("truncate tvan.outbox, tvan.outbox_key, tvan.message restart identity");
  const outbox = new Outbox(db);
  const receiver = new IdempotentReceiver();
  const transport = new InProcessTransport([["TCT", receiver]]);
  const tvan = new TvanService({
    db,
    clock: db.clock,
    transport,
    outbox,
    config: { party: TVAN_PARTY },
    checkSignature: () => [],
  });
  const sellers = Array.from({ length: 200 }, (_, i) => `0100${String(i).padStart(6, "0")}`);
  const messages = Array.from({ length: count }, (_, i) => {
    const seller = sellers[i % sellers.length]!;
    return writeMessage(
      {
        version: "2.1.0",
        sender: seller,
        receiver: TVAN_PARTY,
        type: 200,
        messageId: newMessageId(seller, () => randomBytes(16).toString("hex")),
        taxCode: seller,
        count: 1,
      },
      invoiceXml,
    );
  });
  let next = 0;
  let t0 = performance.now();
  await Promise.all(
    Array.from({ length: 64 }, async () => {
      while (next < messages.length) {
        const o = await tvan.receive(messages[next++]!);
        if (o.status !== "accepted") throw new Error(`T-VAN answered ${o.status}`);
      }
    }),
  );
  let s = (performance.now() - t0) / 1000;
  console.log(`${"T-VAN receive → 999, archive, outbox (64 senders)".padEnd(48)} ${fmt(count / s)} /s`);
  const workers = Array.from(
    { length: db.kind === "postgres" ? 4 : 2 },
    (_, i) => new OutboxWorker({ outbox, transport, clock: db.clock, workerId: `tvan-${i}`, batchSize: 200 }),
  );
  t0 = performance.now();
  await Promise.all(
    workers.map(async (w) => {
      for (let idle = 0; idle < 3; ) idle = (await w.tick()).claimed === 0 ? idle + 1 : 0;
    }),
  );
  s = (performance.now() - t0) / 1000;
  if (receiver.processed.length !== count)
    throw new Error(`forwarded ${receiver.processed.length} of ${count}`);
  console.log(`${`T-VAN drain to the authority, ${workers.length} workers`.padEnd(48)} ${fmt(count / s)} /s`);
}

const TVAN_PARTY = "V0100000001";

export async function run(count = 20_000): Promise<void> {
  const adminUrl = process.env.HDDT_BENCH_PG_URL;
  let url: string | undefined;
  const scratch = `hddt_bench_${process.pid}`;
  if (adminUrl) {
    await adminQuery(adminUrl, `create database "${scratch}"`);
    const u = new URL(adminUrl);
    u.pathname = `/${scratch}`;
    url = u.toString();
  }
  const db = await openDatabase(url ? { url, poolSize: 8 } : { url: "memory://", poolSize: 4 });
  try {
    await migrate(db, "tvan");
    const invoice = writeInvoice(sampleInvoice(10));
    const body = tdiep(messageId()).replace(/<HDon>.*<\/HDon>/s, invoice.replace(/^<\?xml[^>]*>\s*/, ""));
    const keys = Array.from({ length: 200 }, (_, i) => `0100${String(i).padStart(6, "0")}`);
    const messages = Array.from({ length: count }, (_, i) => {
      const id = messageId();
      const k = keys[i % keys.length]!;
      return {
        messageId: id,
        destination: "TCT",
        xml: body.replace(/<MTDiep>[^<]*</, `<MTDiep>${id}<`),
        orderingKey: k,
      };
    });
    console.log(
      `transmission: ${db.kind} database, ${count.toLocaleString("en-US")} messages of ${Buffer.byteLength(body)} bytes, ${keys.length} ordering keys`,
    );
    const outbox = new Outbox(db);
    let t0 = performance.now();
    for (let i = 0; i < messages.length; i += 500) await outbox.enqueue(messages.slice(i, i + 500));
    let s = (performance.now() - t0) / 1000;
    console.log(`${"enqueue (batches of 500)".padEnd(48)} ${fmt(count / s)} /s`);

    const receiver = new IdempotentReceiver();
    const transport = new InProcessTransport([["TCT", receiver]]);
    const workers = Array.from(
      { length: db.kind === "postgres" ? 4 : 2 },
      (_, i) =>
        new OutboxWorker({ outbox, transport, clock: db.clock, workerId: `bench-${i}`, batchSize: 200 }),
    );
    t0 = performance.now();
    await Promise.all(
      workers.map(async (w) => {
        for (let idle = 0; idle < 3; ) idle = (await w.tick()).claimed === 0 ? idle + 1 : 0;
      }),
    );
    s = (performance.now() - t0) / 1000;
    const sent = (await outbox.counts()).sent;
    if (sent !== count || receiver.processed.length !== count) throw new Error(`sent ${sent} of ${count}`);
    console.log(
      `${`drain: claim → send → record, ${workers.length} workers  [goal ≥ 3,000/s]`.padEnd(48)} ${fmt(count / s)} /s`,
    );
    await latency(outbox, workers.length, 1500, 5);
    await tvanPhase(db, count, invoice.replace(/^<\?xml[^>]*>\s*/, ""));
  } finally {
    await db.close();
    if (adminUrl) await adminQuery(adminUrl, `drop database if exists "${scratch}" with (force)`);
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await run(Number(process.argv[2] ?? 20_000));
