/**
 * Signing and verification throughput, all on the same 10-line invoice (a real 2025 BKAV invoice with its
 * signatures removed, in hddt's canonical form):
 *
 * - the machine's raw RSA-2048 signing rate from `openssl speed` (one core, and all cores with -multi);
 * - hddt signing on all cores (worker pool), and on one core;
 * - hddt verification on one core (fast path, and the full DOM path for comparison);
 * - xml-crypto's default sign and verify path on one core, same key, same document, same signature shape.
 *
 * Goals (issue 3): pool signing ≥ 85 % of the raw all-core RSA rate; verification ≥ 5,000 invoices/s per core;
 * at least twice xml-crypto's rates. The goal is read on the path the seller signs its invoices with: hddt's
 * writer emits canonical XML (test/signing/canonical-writer.test.ts), so they are signed with
 * `assumeCanonical` and no lexical check; the checked path (any input) is printed beside it.
 *
 * Run alone: `npx tsx bench/signing.ts [seconds]`.
 */
import { execFileSync } from "node:child_process";
import { availableParallelism } from "node:os";
import { DOMParser } from "@xmldom/xmldom";
import { SignedXml } from "xml-crypto";
import xpath from "xpath";
import { createDevCa, issueCertificate } from "../src/signing/dev-ca.ts";
import { signerPool } from "../src/signing/pool.ts";
import { specFor } from "../src/signing/profiles.ts";
import { formatSigningTime, signXml } from "../src/signing/sign.ts";
import { memorySigner } from "../src/signing/signer.ts";
import { TrustStore } from "../src/signing/trust.ts";
import { verifyDocument, verifyFull } from "../src/signing/verify.ts";
import { unsignedInvoice } from "../test/signing/support.ts";

interface Speed {
  sign: number;
  verify: number;
}

function opensslSpeed(seconds: number, multi: number): Speed | undefined {
  try {
    const args = [
      "speed",
      "-seconds",
      String(seconds),
      ...(multi > 1 ? ["-multi", String(multi)] : []),
      "rsa2048",
    ];
    const out = execFileSync("openssl", args, { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] });
    const line = out
      .split("\n")
      .reverse()
      .find((l) => /^rsa\s+2048 bits/.test(l.trim()));
    if (!line) return undefined;
    const cols = line.trim().split(/\s+/);
    return { sign: Number(cols[5]), verify: Number(cols[6]) };
  } catch {
    return undefined;
  }
}

/** Operations per second of a synchronous loop over `items` for about `ms` milliseconds. */
function loopRate<T>(items: readonly T[], ms: number, op: (item: T) => void): number {
  for (let i = 0; i < Math.min(items.length * 2, 200); i++) op(items[i % items.length]!);
  let n = 0;
  const start = performance.now();
  let now = start;
  while (now - start < ms) {
    for (let k = 0; k < 16; k++) op(items[n++ % items.length]!);
    now = performance.now();
  }
  return n / ((now - start) / 1000);
}

interface Rate {
  /** Completed per wall-clock second. */
  readonly wall: number;
  /** Completed per CPU second of this process (all its threads): what `openssl speed` reports, per core. */
  readonly perCpuSecond: number;
}

/** Completed tasks per second with `window` tasks in flight, for about `ms` milliseconds. */
async function pipelineRate(ms: number, window: number, task: (i: number) => Promise<void>): Promise<Rate> {
  let started = 0;
  let done = 0;
  const cpu0 = process.cpuUsage();
  const start = performance.now();
  const end = start + ms;
  await new Promise<void>((resolve, reject) => {
    const next = (): void => {
      if (performance.now() >= end) {
        if (done === started) resolve();
        return;
      }
      const i = started++;
      task(i).then(() => {
        done++;
        next();
      }, reject);
    };
    for (let k = 0; k < window; k++) next();
  });
  const elapsed = (performance.now() - start) / 1000;
  const cpu = process.cpuUsage(cpu0);
  return { wall: done / elapsed, perCpuSecond: done / ((cpu.user + cpu.system) / 1e6) };
}

const fmt = (n: number) => Math.round(n).toLocaleString("en-US");
const pct = (a: number, b: number) => `${((100 * a) / b).toFixed(1)} %`;

export async function run(): Promise<void> {
  const seconds = Number(process.argv.find((a) => /^\d+(\.\d+)?$/.test(a)) ?? 3);
  const ms = seconds * 1000;
  const cores = availableParallelism();

  const ca = await createDevCa();
  const seller = await issueCertificate(ca, { name: "CÔNG TY TNHH HDDT BENCH", taxCode: "0100109106" });
  const key = seller.key!;
  const trust = new TrustStore().addRoot(ca.certificate);
  const docs = Array.from({ length: 64 }, (_, i) => unsignedInvoice({ lines: 10, id: `DLHDon-BENCH-${i}` }));
  const specs = docs.map((d) => {
    const s = specFor(d, "seller");
    if (!s.ok) throw new Error(JSON.stringify(s.problems));
    return s.value;
  });
  console.log(`document: ${docs[0]!.length} characters, 10 goods lines; key RSA-2048; ${cores} cores`);

  // hddt, all cores.
  const pool = signerPool({ key, certificate: seller.certificate, size: cores });
  const signedDocs: string[] = [];
  const poolTask = async (i: number) => {
    const r = await signXml(docs[i % docs.length]!, pool, specs[i % specs.length]!);
    if (!r.ok) throw new Error(JSON.stringify(r.problems));
    if (signedDocs.length < docs.length) signedDocs.push(r.value.xml);
  };
  // The same, for documents straight from hddt's writer: the signer is told they are canonical and skips the
  // lexical check of the signed element.
  const trustedSpecs = specs.map((s) => ({ ...s, assumeCanonical: true }));
  const trustedTask = async (i: number) => {
    const r = await signXml(docs[i % docs.length]!, pool, trustedSpecs[i % trustedSpecs.length]!);
    if (!r.ok) throw new Error(JSON.stringify(r.problems));
  };
  const rawBytes = Buffer.alloc(1300, 0x41);
  const rawTask = async () => {
    await pool.sign(rawBytes, "RSA-SHA256");
  };
  await pipelineRate(500, 256, poolTask);
  // The machine may be shared with other work, so wall-clock figures are compared within a round (openssl right
  // before and right after the pool, the better of the two), and the quietest round (the one where openssl was
  // fastest both times) is reported. Rates per CPU second (what openssl speed itself reports) are less
  // sensitive to sharing; the best of each is kept.
  let rawSingle: Speed | undefined;
  let wallRound: { quiet: number; openssl: number; pool: number; trusted: number; bare: number } | undefined;
  let poolRate: Rate = { wall: 0, perCpuSecond: 0 };
  let poolTrusted: Rate = { wall: 0, perCpuSecond: 0 };
  let poolBare: Rate = { wall: 0, perCpuSecond: 0 };
  const rounds = 3;
  const best = (a: Rate, b: Rate): Rate => ({
    wall: Math.max(a.wall, b.wall),
    perCpuSecond: Math.max(a.perCpuSecond, b.perCpuSecond),
  });
  const short = Math.max(1, Math.round(seconds / 2));
  for (let r = 0; r < rounds; r++) {
    const o1 = opensslSpeed(short, 1);
    if (o1 && (!rawSingle || o1.sign > rawSingle.sign)) rawSingle = o1;
    const before = opensslSpeed(short, cores)?.sign ?? 0;
    const a = await pipelineRate(ms / 1.5, 256, poolTask);
    const t = await pipelineRate(ms / 1.5, 256, trustedTask);
    const b = await pipelineRate(ms / 3, 256, rawTask);
    const after = opensslSpeed(short, cores)?.sign ?? 0;
    const openssl = Math.max(before, after);
    const quiet = Math.min(before, after);
    if (process.env.BENCH_VERBOSE) {
      console.log(
        `round ${r + 1}: openssl ${before}/${after} (1 core ${o1?.sign}), pool ${Math.round(a.wall)} (${Math.round(a.perCpuSecond)}/cpu-s), ` +
          `trusted ${Math.round(t.wall)} (${Math.round(t.perCpuSecond)}/cpu-s), bare ${Math.round(b.wall)} (${Math.round(b.perCpuSecond)}/cpu-s)`,
      );
    }
    if (openssl > 0 && (!wallRound || quiet > wallRound.quiet)) {
      wallRound = { quiet, openssl, pool: a.wall, trusted: t.wall, bare: b.wall };
    }
    poolRate = best(poolRate, a);
    poolTrusted = best(poolTrusted, t);
    poolBare = best(poolBare, b);
  }
  await pool.close();

  // hddt, one core.
  const single = memorySigner({ key, certificate: seller.certificate });
  const singleRate = await pipelineRate(ms, 1, async (i) => {
    const r = await signXml(docs[i % docs.length]!, single, specs[i % specs.length]!);
    if (!r.ok) throw new Error(JSON.stringify(r.problems));
  });

  // hddt verification, one core.
  for (const d of signedDocs) {
    const r = verifyDocument(d, { trust });
    if (!r.every((s) => s.valid)) throw new Error(`bench document does not verify: ${JSON.stringify(r)}`);
  }
  const verifyRate = loopRate(signedDocs, ms, (d) => {
    verifyDocument(d, { trust });
  });
  const verifyFullRate = loopRate(signedDocs, Math.min(ms, 1500), (d) => {
    verifyFull(d, { trust });
  });

  // xml-crypto, default path, one core: same references (DLHDon with the enveloped transform, the signing-time
  // Object), same placement, same KeyInfo content.
  const certB64 = seller.info.der.toString("base64");
  const signingTime = formatSigningTime(new Date());
  const xcSign = (xml: string, i: number): string => {
    const objectId = `SigningTime-${i}`;
    const sig = new SignedXml({
      privateKey: key.export({ format: "pem", type: "pkcs8" }),
      publicCert: seller.certificate,
      signatureAlgorithm: "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256",
      canonicalizationAlgorithm: "http://www.w3.org/TR/2001/REC-xml-c14n-20010315",
      getKeyInfoContent: () =>
        `<X509Data><X509SubjectName>${seller.info.subject}</X509SubjectName><X509Certificate>${certB64}</X509Certificate></X509Data>`,
      objects: [
        {
          content: `<SignatureProperties><SignatureProperty Target="#seller"><SigningTime>${signingTime}</SigningTime></SignatureProperty></SignatureProperties>`,
          attributes: { Id: objectId },
        },
      ],
    });
    sig.addReference({
      xpath: "/*/*[local-name()='DLHDon']",
      transforms: [
        "http://www.w3.org/2000/09/xmldsig#enveloped-signature",
        "http://www.w3.org/TR/2001/REC-xml-c14n-20010315",
      ],
      digestAlgorithm: "http://www.w3.org/2001/04/xmlenc#sha256",
    });
    sig.addReference({
      xpath: `//*[@Id='${objectId}']`,
      transforms: ["http://www.w3.org/TR/2001/REC-xml-c14n-20010315"],
      digestAlgorithm: "http://www.w3.org/2001/04/xmlenc#sha256",
    });
    sig.computeSignature(xml, {
      location: { reference: "/*/*[local-name()='DSCKS']/*[local-name()='NBan']", action: "append" },
    });
    return sig.getSignedXml();
  };
  const xcSigned = docs.map((d, i) => xcSign(d, i));
  const xcVerify = (xml: string): boolean => {
    const doc = new DOMParser().parseFromString(xml, "text/xml");
    const node = xpath.select1(
      "//*[local-name()='Signature' and namespace-uri()='http://www.w3.org/2000/09/xmldsig#']",
      doc as unknown as Node,
    );
    const v = new SignedXml({ publicCert: seller.certificate });
    v.loadSignature(node as unknown as string);
    return v.checkSignature(xml);
  };
  for (const d of xcSigned) if (!xcVerify(d)) throw new Error("xml-crypto does not verify its own document");
  // Each library must accept the other's signatures, or the comparison is not like for like.
  const cross = verifyDocument(xcSigned[0]!, { trust });
  if (!cross.every((r) => r.valid))
    throw new Error(`hddt does not verify xml-crypto's document: ${JSON.stringify(cross)}`);
  if (!xcVerify(signedDocs[0]!)) throw new Error("xml-crypto does not verify hddt's document");
  let k = 0;
  const xcSignRate = loopRate(docs, ms, (d) => {
    xcSign(d, k++);
  });
  const xcVerifyRate = loopRate(xcSigned, ms, (d) => {
    if (!xcVerify(d)) throw new Error("xml-crypto verification failed");
  });

  const rows: Array<[string, string]> = [];
  if (rawSingle) rows.push(["openssl speed rsa2048, 1 core", `${fmt(rawSingle.sign)} sign/s`]);
  if (wallRound) {
    rows.push([
      `openssl speed rsa2048, ${cores} cores (-multi ${cores})`,
      `${fmt(wallRound.openssl)} sign/s`,
    ]);
    rows.push([
      `hddt sign, worker pool (${cores} workers), same round, as the seller signs (assumeCanonical)`,
      `${fmt(wallRound.trusted)} invoices/s`,
    ]);
    rows.push(["  same, any input (lexical check first)", `${fmt(wallRound.pool)} invoices/s`]);
    rows.push(["  same pool, bare bytes (no XML)", `${fmt(wallRound.bare)} sign/s`]);
  }
  rows.push([
    "hddt sign, worker pool, per CPU-second, as the seller signs",
    `${fmt(poolTrusted.perCpuSecond)} invoices per CPU-second`,
  ]);
  rows.push(["  any input, per CPU-second", `${fmt(poolRate.perCpuSecond)} invoices per CPU-second`]);
  rows.push(["  bare bytes, per CPU-second", `${fmt(poolBare.perCpuSecond)} signatures per CPU-second`]);
  rows.push(["hddt sign, 1 core", `${fmt(singleRate.wall)} invoices/s`]);
  rows.push(["hddt verify, 1 core (fast path)", `${fmt(verifyRate)} invoices/s`]);
  rows.push(["hddt verify, 1 core (full DOM path)", `${fmt(verifyFullRate)} invoices/s`]);
  rows.push(["xml-crypto sign, 1 core", `${fmt(xcSignRate)} invoices/s`]);
  rows.push(["xml-crypto verify, 1 core", `${fmt(xcVerifyRate)} invoices/s`]);
  const width = Math.max(...rows.map((r) => r[0].length));
  for (const [label, value] of rows) console.log(`${label.padEnd(width)}  ${value}`);
  console.log("");
  if (wallRound) {
    console.log(
      `pool signing as the seller signs / raw RSA on all cores (wall clock, same round): ${pct(wallRound.trusted, wallRound.openssl)} ` +
        `(goal ≥ 85 %); any input ${pct(wallRound.pool, wallRound.openssl)}; bare ${pct(wallRound.bare, wallRound.openssl)}`,
    );
  }
  if (rawSingle) {
    console.log(
      `pool signing as the seller signs / raw RSA per CPU-second: ${pct(poolTrusted.perCpuSecond, rawSingle.sign)}; ` +
        `any input ${pct(poolRate.perCpuSecond, rawSingle.sign)}; bare ${pct(poolBare.perCpuSecond, rawSingle.sign)}`,
    );
  }
  console.log(`verification per core: ${fmt(verifyRate)}/s (goal ≥ 5,000)`);
  console.log(
    `sign vs xml-crypto: pool ${((wallRound?.pool ?? poolRate.wall) / xcSignRate).toFixed(1)}×, 1 core ${(singleRate.wall / xcSignRate).toFixed(1)}× (goal ≥ 2×)`,
  );
  console.log(`verify vs xml-crypto (1 core each): ${(verifyRate / xcVerifyRate).toFixed(1)}× (goal ≥ 2×)`);
}

if (import.meta.url === `file://${process.argv[1]}`) await run();
