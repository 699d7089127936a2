/**
 * One authority service instance of the code-issuance benchmark (bench/authority.ts), in a worker thread:
 * its own PostgreSQL pool, its own authority signer, its own share of the messages.
 *
 * Protocol (parentPort): the worker builds its seller-signed 200 messages and posts `ready`; on `go` it
 * receives them all (`inFlight` at a time) and posts `done` with its per-message latencies. On `lookup` it
 * runs `clients` concurrent public-lookup loops over the keys given until the deadline and posts
 * `looked` with the latencies.
 */
import { parentPort, workerData } from "node:worker_threads";
import { AuthorityService } from "../src/authority/index.ts";
import { systemClock } from "../src/domain/clock.ts";
import { writeInvoice } from "../src/format/invoice.ts";
import { signAs } from "../src/signing/profiles.ts";
import { memorySigner } from "../src/signing/signer.ts";
import { TrustStore } from "../src/signing/trust.ts";
import { type Database, openDatabase } from "../src/store/index.ts";
import { codedInvoice, envelope, messageId } from "../test/authority/support.ts";
import { withTotals } from "../test/support/invoices.ts";

export interface IssuanceWorkerData {
  readonly url: string;
  readonly poolSize: number;
  readonly caCertificate: string;
  readonly sellerKey: string;
  readonly sellerCertificate: string;
  readonly authorityKey: string;
  readonly authorityCertificate: string;
  readonly codeSecret: Uint8Array;
  /** Invoice numbers `firstNumber`, `firstNumber + 1`, … `firstNumber + count − 1`. */
  readonly firstNumber: number;
  readonly count: number;
  /** Of which the last `warmup` are received before the clock starts. */
  readonly warmup: number;
  readonly inFlight: number;
}

export interface LookupKey {
  readonly sellerTaxCode: string;
  readonly template: string;
  readonly series: string;
  readonly number: string;
  readonly total: string;
}

export type ToWorker =
  | { readonly type: "go" }
  | {
      readonly type: "lookup";
      readonly keys: readonly LookupKey[];
      readonly clients: number;
      /** Connections of the lookup service's pool. */
      readonly connections: number;
      readonly ms: number;
    }
  | { readonly type: "stop" };

export type FromWorker =
  | { readonly type: "ready"; readonly bytes: number }
  | {
      readonly type: "done";
      readonly coded: number;
      readonly refused: number;
      /** The first answer that was not a 202, when any. */
      readonly firstRefusal: string | undefined;
      readonly startedAt: number;
      readonly endedAt: number;
      readonly latencies: Float64Array;
    }
  | {
      readonly type: "looked";
      readonly found: number;
      readonly missed: number;
      readonly startedAt: number;
      readonly endedAt: number;
      readonly latencies: Float64Array;
    }
  | { readonly type: "failed"; readonly message: string };

const port = parentPort;
if (!port) throw new Error("bench/authority-worker.ts runs in a worker thread");
const data = workerData as IssuanceWorkerData;

let lookupDb: Database | undefined;

const send = (m: FromWorker, transfer: ArrayBuffer[] = []) => port.postMessage(m, transfer);

async function main(): Promise<void> {
  const sellerSigner = memorySigner({ key: data.sellerKey, certificate: data.sellerCertificate });
  const messages: string[] = new Array(data.count);
  let bytes = 0;
  for (let i = 0; i < data.count; i++) {
    const inv = withTotals(codedInvoice(String(data.firstNumber + i)));
    const signed = await signAs(writeInvoice(inv), sellerSigner, "seller");
    if (!signed.ok) throw new Error(JSON.stringify(signed.problems));
    const m = envelope(200, signed.value.xml, { id: messageId() });
    messages[i] = m;
    bytes += Buffer.byteLength(m);
  }
  const db = await openDatabase({ url: data.url, poolSize: data.poolSize, applicationName: "hddt-bench" });
  const service = new AuthorityService({
    db,
    clock: systemClock,
    signer: memorySigner({ key: data.authorityKey, certificate: data.authorityCertificate }),
    verify: { trust: new TrustStore().addRoot(data.caCertificate), warnTestCertificates: false },
    config: { codeSecret: data.codeSecret },
  });
  // Warm the code paths (parser, verifier, signer, pg statements, JIT) on the last `warmup` messages of the
  // share, not counted: the timed loop stops before them.
  const timed = data.count - data.warmup;
  await Promise.all(
    Array.from({ length: data.inFlight }, async (_, k) => {
      for (let i = timed + k; i < data.count; i += data.inFlight) {
        const r = await service.receive(messages[i]!);
        if (r.status !== "ok" || !r.replies[0]?.includes("<MLTDiep>202</MLTDiep>"))
          throw new Error(`warm-up message not coded: ${JSON.stringify(r).slice(0, 2000)}`);
      }
    }),
  );
  send({ type: "ready", bytes });

  port!.on("message", (m: ToWorker) => {
    if (m.type === "go") void issue(service, messages, timed).catch(fail);
    else if (m.type === "lookup") void lookup(m.keys, m.clients, m.connections, m.ms).catch(fail);
    else if (m.type === "stop")
      void Promise.all([db.close(), lookupDb?.close()]).then(() => process.exit(0), fail);
  });
}

async function issue(service: AuthorityService, messages: string[], n: number): Promise<void> {
  const latencies = new Float64Array(n);
  let next = 0;
  let coded = 0;
  let refused = 0;
  let firstRefusal: string | undefined;
  const startedAt = performance.timeOrigin + performance.now();
  const loop = async () => {
    for (let i = next++; i < n; i = next++) {
      const t0 = performance.now();
      const r = await service.receive(messages[i]!);
      latencies[i] = performance.now() - t0;
      if (r.status === "ok" && r.replies[0]?.includes("<MLTDiep>202</MLTDiep>")) coded++;
      else if (refused++ === 0) firstRefusal = JSON.stringify(r).slice(0, 3000);
    }
  };
  await Promise.all(Array.from({ length: data.inFlight }, loop));
  const endedAt = performance.timeOrigin + performance.now();
  send({ type: "done", coded, refused, firstRefusal, startedAt, endedAt, latencies }, [
    latencies.buffer as ArrayBuffer,
  ]);
}

async function lookup(
  keys: readonly LookupKey[],
  clients: number,
  connections: number,
  ms: number,
): Promise<void> {
  const db = await openDatabase({ url: data.url, poolSize: connections, applicationName: "hddt-bench" });
  const service = new AuthorityService({
    db,
    clock: systemClock,
    signer: memorySigner({ key: data.authorityKey, certificate: data.authorityCertificate }),
    config: { codeSecret: data.codeSecret },
  });
  // Open the connections and warm the statement path before the clock starts.
  await Promise.all(
    Array.from({ length: connections }, (_, i) => service.publicLookup(keys[i % keys.length]!)),
  );
  const out: number[] = [];
  let found = 0;
  let missed = 0;
  let k = 0;
  const startedAt = performance.timeOrigin + performance.now();
  const end = performance.now() + ms;
  const loop = async () => {
    while (performance.now() < end) {
      const key = keys[k++ % keys.length]!;
      const t0 = performance.now();
      const r = await service.publicLookup(key);
      out.push(performance.now() - t0);
      if (r) found++;
      else missed++;
    }
  };
  await Promise.all(Array.from({ length: clients }, loop));
  const endedAt = performance.timeOrigin + performance.now();
  // Closed on `stop`: the main thread reads the backends' CPU time after this reply.
  lookupDb = db;
  const latencies = Float64Array.from(out);
  send({ type: "looked", found, missed, startedAt, endedAt, latencies }, [latencies.buffer as ArrayBuffer]);
}

function fail(e: unknown): void {
  send({ type: "failed", message: String((e as Error)?.stack ?? e) });
}

main().catch(fail);
