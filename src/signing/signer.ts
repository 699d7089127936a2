/**
 * The `Signer` port: whatever holds a private key and can sign bytes with it. hddt builds the XML and the
 * canonical SignedInfo; a signer only turns those bytes into a signature value.
 *
 * Adapters: an in-memory key (this file), a PKCS#12 file (`pkcs12.ts`), a PKCS#11 token or HSM (`pkcs11.ts`)
 * and a pool of worker threads for throughput (`pool.ts`). Every adapter passes the same contract test.
 */
import {
  createPrivateKey,
  createPublicKey,
  type KeyObject,
  sign as nodeSign,
  verify as nodeVerify,
} from "node:crypto";
import { type SignatureAlgorithmName, signatureAlgorithm } from "./algorithms.ts";
import { certificateDers, parseCertificate, toPem } from "./certificate.ts";

export interface Signer {
  /** The signing certificate (PEM). */
  certificate(): string;
  /** Signs `data` (hashing it with the algorithm's digest) and returns the raw signature value. */
  sign(data: Uint8Array, algorithm: SignatureAlgorithmName): Promise<Uint8Array>;
  /** Optional: signs the UTF-8 bytes of `text` (an adapter can write them where it needs them, saving a copy). */
  signText?(text: string, algorithm: SignatureAlgorithmName): Promise<Uint8Array>;
  /** Releases sessions, threads or handles. */
  close?(): Promise<void>;
}

export class SignerError extends Error {}

/** node:crypto sign for one XMLDSig algorithm; ECDSA values use the r‖s form XMLDSig requires. */
export function signWithKey(key: KeyObject, data: Uint8Array, algorithm: SignatureAlgorithmName): Buffer {
  const alg = signatureAlgorithm(algorithm);
  if ((alg.key === "ec") !== (key.asymmetricKeyType === "ec")) {
    throw new SignerError(`${algorithm} does not fit a ${key.asymmetricKeyType} key`);
  }
  if (alg.key === "ec") return nodeSign(alg.hash, data, { key, dsaEncoding: "ieee-p1363" });
  return nodeSign(alg.hash, data, key);
}

export function verifyWithKey(
  key: KeyObject,
  data: Uint8Array,
  signature: Uint8Array,
  algorithm: SignatureAlgorithmName,
): boolean {
  const alg = signatureAlgorithm(algorithm);
  try {
    if (alg.key === "ec") return nodeVerify(alg.hash, data, { key, dsaEncoding: "ieee-p1363" }, signature);
    return nodeVerify(alg.hash, data, key, signature);
  } catch {
    return false;
  }
}

/** Throws SignerError unless the private key belongs to the certificate. */
export function assertKeyMatchesCertificate(key: KeyObject, certificatePem: string): void {
  const cert = parseCertificate(certificatePem);
  const fromKey = createPublicKey(key).export({ format: "der", type: "spki" });
  const fromCert = cert.publicKey.export({ format: "der", type: "spki" });
  if (!Buffer.from(fromKey).equals(Buffer.from(fromCert))) {
    throw new SignerError("the private key does not belong to the certificate");
  }
}

export interface MemorySignerOptions {
  /** Private key: a KeyObject, or PEM/DER PKCS#8 or PKCS#1. */
  readonly key: KeyObject | string | Uint8Array;
  /** Certificate: PEM, base64 or DER. */
  readonly certificate: string | Uint8Array;
}

/** A signer over a private key held in memory. */
export function memorySigner(options: MemorySignerOptions): Signer & { readonly key: KeyObject } {
  const key = toPrivateKey(options.key);
  const der = certificateDers(options.certificate)[0];
  if (!der) throw new SignerError("no certificate");
  const pem = toPem(der);
  assertKeyMatchesCertificate(key, pem);
  return {
    key,
    certificate: () => pem,
    sign: async (data, algorithm) => signWithKey(key, data, algorithm),
  };
}

export function toPrivateKey(input: KeyObject | string | Uint8Array): KeyObject {
  if (typeof input === "string") return createPrivateKey(input);
  if (input instanceof Uint8Array) {
    const head = Buffer.from(input.subarray(0, 11)).toString("latin1");
    if (head === "-----BEGIN ") return createPrivateKey(Buffer.from(input).toString("utf8"));
    return createPrivateKey({ key: Buffer.from(input), format: "der", type: "pkcs8" });
  }
  if (input.type !== "private") throw new SignerError("a private key is needed");
  return input;
}
