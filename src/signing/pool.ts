/**
 * A signer that spreads signature computations over worker threads, for bulk issuing. The main thread keeps
 * the cheap work (finding the signed element, hashing it, building SignedInfo); workers only compute signature
 * values. Requests made in the same turn of the event loop travel to a worker together, packed in one
 * transferred buffer (no per-item copies or objects), and each worker gets a second batch before it finishes
 * the first, so no core waits for the main thread.
 *
 * The worker is a small CommonJS script given as text, so it runs the same under tsx, vitest and a build.
 */
import { availableParallelism } from "node:os";
import { Worker } from "node:worker_threads";
import type { SignatureAlgorithmName } from "./algorithms.ts";
import { certificateDers, toPem } from "./certificate.ts";
import { assertKeyMatchesCertificate, type Signer, SignerError, toPrivateKey } from "./signer.ts";

/** Algorithm codes shared by both sides of the message protocol. */
const CODES: readonly SignatureAlgorithmName[] = [
  "RSA-SHA1",
  "RSA-SHA256",
  "RSA-SHA384",
  "RSA-SHA512",
  "ECDSA-SHA256",
  "ECDSA-SHA384",
  "ECDSA-SHA512",
];

// Message in: { id, data: Uint8Array (all inputs back to back), ends: Int32Array, algs: Uint8Array }.
// Message out: { id, data: Uint8Array (all signatures), ends: Int32Array, errors: null | string[] }.
const WORKER_SOURCE = `
const { parentPort, workerData } = require("node:worker_threads");
const { constants, createHash, createPrivateKey, privateEncrypt, sign } = require("node:crypto");
const key = createPrivateKey({ key: Buffer.from(workerData.key), format: "der", type: "pkcs8" });
const rsaKey = { key, padding: constants.RSA_PKCS1_PADDING };
const ecKey = { key, dsaEncoding: "ieee-p1363" };
const hashes = ["sha1", "sha256", "sha384", "sha512", "sha256", "sha384", "sha512"];
// An RSA PKCS#1 v1.5 signature is the private-key operation on DigestInfo(hash): computing it that way skips
// the per-call digest-sign setup of crypto.sign.
const prefixes = [
  "3021300906052b0e03021a05000414",
  "3031300d060960864801650304020105000420",
  "3041300d060960864801650304020205000430",
  "3051300d060960864801650304020305000440",
].map((h) => Buffer.from(h, "hex"));
parentPort.on("message", (m) => {
  const n = m.algs.length;
  const sigs = new Array(n);
  let errors = null;
  let total = 0;
  let from = 0;
  for (let i = 0; i < n; i++) {
    const input = Buffer.from(m.data.buffer, m.data.byteOffset + from, m.ends[i] - from);
    from = m.ends[i];
    const a = m.algs[i];
    try {
      if (a >= 4) {
        sigs[i] = sign(hashes[a], input, ecKey);
      } else {
        const digest = createHash(hashes[a]).update(input).digest();
        sigs[i] = privateEncrypt(rsaKey, Buffer.concat([prefixes[a], digest]));
      }
    } catch (e) {
      sigs[i] = Buffer.alloc(0);
      errors ??= new Array(n).fill(null);
      errors[i] = String((e && e.message) || e);
    }
    total += sigs[i].length;
  }
  const data = new Uint8Array(total);
  const ends = new Int32Array(n);
  let at = 0;
  for (let i = 0; i < n; i++) {
    data.set(sigs[i], at);
    at += sigs[i].length;
    ends[i] = at;
  }
  parentPort.postMessage({ id: m.id, data, ends, errors }, [data.buffer, ends.buffer]);
});
`;

export interface SignerPoolOptions {
  /** Private key: KeyObject, PEM or PKCS#8 DER. */
  readonly key: Parameters<typeof toPrivateKey>[0];
  /** Certificate of the key: PEM, base64 or DER. */
  readonly certificate: string | Uint8Array;
  /** Worker threads; default: the number of cores. */
  readonly size?: number;
  /** Largest number of signatures sent to a worker in one message (default 64). */
  readonly maxBatch?: number;
}

interface Job {
  /** Bytes to sign, or text whose UTF-8 bytes are signed (written straight into the batch buffer). */
  readonly data: Uint8Array | string;
  readonly length: number;
  readonly alg: number;
  readonly resolve: (v: Uint8Array) => void;
  readonly reject: (e: Error) => void;
}

interface Slot {
  worker: Worker;
  inFlight: number;
  batches: number;
}

interface Reply {
  readonly id: number;
  readonly data: Uint8Array;
  readonly ends: Int32Array;
  readonly errors: Array<string | null> | null;
}

export interface SignerPool extends Signer {
  readonly size: number;
  close(): Promise<void>;
}

/** Starts a pool of worker threads that sign with one key. Call `close()` when done. */
export function signerPool(options: SignerPoolOptions): SignerPool {
  const key = toPrivateKey(options.key);
  const der = certificateDers(options.certificate)[0];
  if (!der) throw new SignerError("no certificate");
  const pem = toPem(der);
  assertKeyMatchesCertificate(key, pem);
  const pkcs8 = key.export({ format: "der", type: "pkcs8" });
  const size = Math.max(1, options.size ?? availableParallelism());
  const maxBatch = Math.max(1, options.maxBatch ?? 64);
  const slots: Slot[] = [];
  const pending = new Map<number, { jobs: Job[]; slot: Slot }>();
  let queue: Job[] = [];
  let head = 0;
  let nextId = 1;
  let scheduled = false;
  let closed = false;

  const spawn = (): Slot => {
    const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { key: pkcs8 } });
    const slot: Slot = { worker, inFlight: 0, batches: 0 };
    worker.unref();
    worker.on("message", (m: Reply) => {
      const entry = pending.get(m.id);
      if (!entry) return;
      pending.delete(m.id);
      const jobs = entry.jobs;
      slot.inFlight -= jobs.length;
      slot.batches--;
      if (slot.batches === 0) slot.worker.unref();
      if (head < queue.length) flush();
      let from = 0;
      for (let i = 0; i < jobs.length; i++) {
        const to = m.ends[i]!;
        const error = m.errors?.[i];
        if (error) jobs[i]!.reject(new SignerError(error));
        else jobs[i]!.resolve(m.data.subarray(from, to));
        from = to;
      }
    });
    worker.on("error", (e) => fail(slot, e));
    worker.on("exit", (code) => {
      if (!closed) fail(slot, new SignerError(`signing worker exited with code ${code}`));
    });
    return slot;
  };

  const fail = (slot: Slot, e: Error): void => {
    for (const [id, entry] of pending) {
      if (entry.slot !== slot) continue;
      pending.delete(id);
      for (const j of entry.jobs) j.reject(e instanceof SignerError ? e : new SignerError(e.message));
    }
    const i = slots.indexOf(slot);
    if (i >= 0 && !closed) {
      void slot.worker.terminate();
      slots[i] = spawn();
      if (head < queue.length) flush();
    }
  };

  const flush = (): void => {
    scheduled = false;
    let waiting = queue.length - head;
    while (waiting > 0) {
      // The least loaded worker with room for another batch (two per worker keeps each one busy).
      let best: Slot | undefined;
      for (const s of slots) if (s.batches < 2 && (!best || s.inFlight < best.inFlight)) best = s;
      if (!best) break;
      const n = Math.min(maxBatch, Math.max(1, Math.ceil(waiting / size)));
      const jobs = queue.slice(head, head + n);
      head += n;
      waiting -= n;
      let total = 0;
      for (const j of jobs) total += j.length;
      const data = Buffer.allocUnsafeSlow(total);
      const ends = new Int32Array(n);
      const algs = new Uint8Array(n);
      let at = 0;
      for (let i = 0; i < n; i++) {
        const j = jobs[i]!;
        if (typeof j.data === "string") data.write(j.data, at, j.length, "utf8");
        else data.set(j.data, at);
        at += j.length;
        ends[i] = at;
        algs[i] = j.alg;
      }
      const id = nextId++;
      pending.set(id, { jobs, slot: best });
      if (best.batches === 0) best.worker.ref();
      best.inFlight += n;
      best.batches++;
      best.worker.postMessage({ id, data, ends, algs }, [data.buffer, ends.buffer, algs.buffer]);
    }
    if (head === queue.length) {
      queue = [];
      head = 0;
    } else if (head > 4096) {
      queue = queue.slice(head);
      head = 0;
    }
  };

  const enqueue = (
    data: Uint8Array | string,
    length: number,
    algorithm: SignatureAlgorithmName,
  ): Promise<Uint8Array> => {
    if (closed) return Promise.reject(new SignerError("the signer pool is closed"));
    const alg = CODES.indexOf(algorithm);
    if (alg < 0) return Promise.reject(new SignerError(`unsupported algorithm ${algorithm}`));
    if (alg >= 4 !== (key.asymmetricKeyType === "ec")) {
      return Promise.reject(new SignerError(`${algorithm} does not fit a ${key.asymmetricKeyType} key`));
    }
    return new Promise<Uint8Array>((resolve, reject) => {
      queue.push({ data, length, alg, resolve, reject });
      if (!scheduled) {
        scheduled = true;
        setImmediate(flush);
      }
    });
  };

  for (let i = 0; i < size; i++) slots.push(spawn());

  return {
    size,
    certificate: () => pem,
    sign(data: Uint8Array, algorithm: SignatureAlgorithmName): Promise<Uint8Array> {
      return enqueue(data, data.byteLength, algorithm);
    },
    signText(text: string, algorithm: SignatureAlgorithmName): Promise<Uint8Array> {
      return enqueue(text, Buffer.byteLength(text, "utf8"), algorithm);
    },
    async close(): Promise<void> {
      if (closed) return;
      closed = true;
      const error = new SignerError("the signer pool is closed");
      for (let i = head; i < queue.length; i++) queue[i]!.reject(error);
      queue = [];
      head = 0;
      for (const entry of pending.values()) for (const j of entry.jobs) j.reject(error);
      pending.clear();
      await Promise.all(slots.map((s) => s.worker.terminate()));
    },
  };
}
