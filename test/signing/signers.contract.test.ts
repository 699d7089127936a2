/**
 * One contract for every Signer adapter: in-memory key, PKCS#12 files written by OpenSSL 3 (default
 * AES-256/PBKDF2 encoding and -legacy), a PKCS#11 token (a real SoftHSM2 token made for the test) and the
 * worker pool. Each must sign bytes the certificate's key verifies, support the legacy RSA-SHA1 path, sign an
 * invoice that verifies, and refuse what it cannot do.
 */
import { execFileSync } from "node:child_process";
import { createPublicKey, createVerify, type KeyObject } from "node:crypto";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { issueCertificate } from "../../src/signing/dev-ca.ts";
import { pkcs11Signer } from "../../src/signing/pkcs11.ts";
import { pkcs12Signer, readPkcs12 } from "../../src/signing/pkcs12.ts";
import { signerPool } from "../../src/signing/pool.ts";
import { signAs } from "../../src/signing/profiles.ts";
import { memorySigner, type Signer, SignerError } from "../../src/signing/signer.ts";
import { TrustStore } from "../../src/signing/trust.ts";
import { verifyDocument } from "../../src/signing/verify.ts";
import { SELLER_TAX_CODE, type TestPki, testPki, unsignedInvoice } from "./support.ts";

const SOFTHSM_MODULE = "/usr/lib/softhsm/libsofthsm2.so";
const TOKEN = "hddt-test";
const PIN = "1234";

let dir: string;
let pki: TestPki;
let key: KeyObject;
let certificate: string;
const signers = new Map<string, Signer>();

async function openSslP12(legacy: boolean): Promise<string> {
  const keyFile = join(dir, "key.pem");
  const certFile = join(dir, "cert.pem");
  const caFile = join(dir, "ca.pem");
  const out = join(dir, legacy ? "legacy.p12" : "default.p12");
  await writeFile(keyFile, key.export({ format: "pem", type: "pkcs8" }));
  await writeFile(certFile, certificate);
  await writeFile(caFile, pki.ca.certificate);
  execFileSync("openssl", [
    "pkcs12",
    "-export",
    ...(legacy ? ["-legacy"] : []),
    "-inkey",
    keyFile,
    "-in",
    certFile,
    "-certfile",
    caFile,
    "-passout",
    "pass:hddt-Mat-Khau-1",
    "-out",
    out,
  ]);
  return out;
}

/** A SoftHSM2 token in a temporary folder, holding the seller's key and certificate. */
async function softHsmToken(): Promise<void> {
  const tokens = join(dir, "tokens");
  await mkdir(tokens);
  const conf = join(dir, "softhsm2.conf");
  await writeFile(conf, `directories.tokendir = ${tokens}\nobjectstore.backend = file\nlog.level = ERROR\n`);
  process.env.SOFTHSM2_CONF = conf;
  const env = { ...process.env, SOFTHSM2_CONF: conf };
  execFileSync(
    "softhsm2-util",
    ["--init-token", "--free", "--label", TOKEN, "--so-pin", "87654321", "--pin", PIN],
    {
      env,
      stdio: "pipe",
    },
  );
  const keyFile = join(dir, "token-key.pem");
  await writeFile(keyFile, key.export({ format: "pem", type: "pkcs8" }));
  execFileSync(
    "softhsm2-util",
    ["--import", keyFile, "--token", TOKEN, "--label", "seller", "--id", "01", "--pin", PIN],
    { env, stdio: "pipe" },
  );
  const certDer = join(dir, "cert.der");
  await writeFile(certDer, pki.seller.info.der);
  execFileSync(
    "pkcs11-tool",
    [
      "--module",
      SOFTHSM_MODULE,
      "--token-label",
      TOKEN,
      "--login",
      "--pin",
      PIN,
      "--write-object",
      certDer,
      "--type",
      "cert",
      "--id",
      "01",
      "--label",
      "seller",
    ],
    { env, stdio: "pipe" },
  );
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "hddt-signers-"));
  pki = await testPki();
  key = pki.seller.key!;
  certificate = pki.seller.certificate;
  await softHsmToken();
  signers.set("memory", memorySigner({ key, certificate }));
  signers.set("pkcs12 (OpenSSL 3 default)", await pkcs12Signer(await openSslP12(false), "hddt-Mat-Khau-1"));
  signers.set("pkcs12 (OpenSSL -legacy)", await pkcs12Signer(await openSslP12(true), "hddt-Mat-Khau-1"));
  signers.set(
    "pkcs11 (SoftHSM2)",
    await pkcs11Signer({ library: SOFTHSM_MODULE, pin: PIN, tokenLabel: TOKEN }),
  );
  signers.set("worker pool", signerPool({ key, certificate, size: 2 }));
});

afterAll(async () => {
  for (const s of signers.values()) await s.close?.();
  await rm(dir, { recursive: true, force: true });
});

const ADAPTERS = [
  "memory",
  "pkcs12 (OpenSSL 3 default)",
  "pkcs12 (OpenSSL -legacy)",
  "pkcs11 (SoftHSM2)",
  "worker pool",
] as const;

function verifies(cert: string, hash: string, data: Uint8Array, signature: Uint8Array): boolean {
  return createVerify(hash).update(data).verify(createPublicKey(cert), signature);
}

describe.each(ADAPTERS)("Signer contract: %s", (name) => {
  const signer = () => signers.get(name)!;

  it("gives the certificate of its key", () => {
    const pem = signer().certificate();
    expect(pem).toContain("-----BEGIN CERTIFICATE-----");
    const fromCert = createPublicKey(pem).export({ format: "der", type: "spki" });
    const fromKey = createPublicKey(key).export({ format: "der", type: "spki" });
    expect(Buffer.from(fromCert).equals(Buffer.from(fromKey))).toBe(true);
  });

  it("signs bytes with RSA-SHA256 so that the certificate's key verifies them", async () => {
    const data = Buffer.from("<SignedInfo>hóa đơn</SignedInfo>", "utf8");
    const sig = await signer().sign(data, "RSA-SHA256");
    expect(sig.byteLength).toBe(256);
    expect(verifies(certificate, "sha256", data, sig)).toBe(true);
    expect(verifies(certificate, "sha256", Buffer.from("other"), sig)).toBe(false);
  });

  it("signs with RSA-SHA1 for the legacy path", async () => {
    const data = Buffer.from("legacy", "utf8");
    const sig = await signer().sign(data, "RSA-SHA1");
    expect(verifies(certificate, "sha1", data, sig)).toBe(true);
  });

  it("signs many requests at once, each with its own value", async () => {
    const inputs = Array.from({ length: 40 }, (_, i) => Buffer.from(`item ${i}`));
    const sigs = await Promise.all(inputs.map((d) => signer().sign(d, "RSA-SHA256")));
    for (const [i, s] of sigs.entries()) expect(verifies(certificate, "sha256", inputs[i]!, s)).toBe(true);
  });

  it("signs an invoice that verifies, with a trusted chain and the seller's tax code", async () => {
    const result = await signAs(unsignedInvoice(), signer(), "seller");
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    const [report] = verifyDocument(result.value.xml, {
      trust: new TrustStore().addRoot(pki.ca.certificate),
    });
    expect(report).toMatchObject({
      role: "seller",
      valid: true,
      chainTrusted: true,
      taxCode: SELLER_TAX_CODE,
    });
  });

  it("refuses an ECDSA algorithm for an RSA key", async () => {
    await expect(signer().sign(Buffer.from("x"), "ECDSA-SHA256")).rejects.toBeInstanceOf(SignerError);
  });
});

describe("PKCS#12 files", () => {
  it("refuses a wrong password", async () => {
    const file = await openSslP12(false);
    await expect(pkcs12Signer(file, "wrong-password")).rejects.toBeInstanceOf(SignerError);
  });

  it("keeps the CA certificates of the file as the chain", async () => {
    const p12 = execFileSync("cat", [await openSslP12(true)]);
    const contents = readPkcs12(p12, "hddt-Mat-Khau-1");
    expect(contents.chain).toHaveLength(1);
    expect(contents.chain[0]).toContain("BEGIN CERTIFICATE");
  });

  it("refuses a key that does not belong to the certificate", async () => {
    const other = await issueCertificate(pki.ca, { name: "KHÁC", taxCode: "0100000001" });
    expect(() => memorySigner({ key, certificate: other.certificate })).toThrow(SignerError);
  });
});

describe("PKCS#11 tokens", () => {
  it("refuses a wrong PIN", async () => {
    await expect(
      pkcs11Signer({ library: SOFTHSM_MODULE, pin: "0000", tokenLabel: TOKEN }),
    ).rejects.toBeInstanceOf(SignerError);
  });

  it("reports a token that is not there", async () => {
    await expect(pkcs11Signer({ library: SOFTHSM_MODULE, pin: PIN, tokenLabel: "không có" })).rejects.toThrow(
      /no token/,
    );
  });
});
