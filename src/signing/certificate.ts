/**
 * X.509 certificates as hddt needs them: subject and issuer as readable strings, the tax code the subject
 * carries, validity, and whether it is a test certificate.
 *
 * Vietnamese certificates put the tax code in the subject, most often as `UID=MST:0100109106` (the UID
 * attribute, OID 0.9.2342.19200300.100.1.1; Windows shows it as `OID.0.9.2342.19200300.100.1.1=MST:…`).
 * Some put `MST=…` or `MST:…` inside the CN or OU, and personal certificates carry `CCCD:`/`CMND:` numbers;
 * since 2025-07-01 the 12-digit personal ID is also an individual's tax code.
 */
import "reflect-metadata";
import { createHash, type KeyObject, X509Certificate } from "node:crypto";
import * as x509 from "@peculiar/x509";
import { makeProblem, type Problem } from "../domain/problem.ts";
import { signingCodes } from "./codes.ts";

/** Object identifier of the UID attribute (userid, RFC 4519) that VN certificates use for the tax code. */
export const UID_OID = "0.9.2342.19200300.100.1.1";

/**
 * Certificate policy marking hddt's development certificates. It sits under the ITU-T/ISO "example" arc
 * (2.999), which no real CA uses, so a production verifier can recognise and refuse it.
 */
export const TEST_CERTIFICATE_POLICY = "2.999.84.69.83.84"; // 84 69 83 84 = "TEST"

export interface CertificateInfo {
  /** node:crypto view, for signature checks. */
  readonly x509: X509Certificate;
  readonly der: Buffer;
  readonly publicKey: KeyObject;
  /** Subject as RFC 4514 text, most specific attribute first ("CN=…,O=…,C=VN"). */
  readonly subject: string;
  readonly issuer: string;
  /** Serial number in upper-case hex without leading zeros. */
  readonly serialNumber: string;
  readonly notBefore: Date;
  readonly notAfter: Date;
  /** Tax code found in the subject (10 digits, or 10-3 for a dependent unit; 12 digits for an individual). */
  readonly taxCode: string | null;
  /** True for hddt's development certificates and for certificates that call themselves test ones. */
  readonly isTest: boolean;
  readonly isCA: boolean;
  /** SHA-256 of the DER, hex. */
  readonly fingerprint: string;
  readonly pem: string;
}

export class CertificateError extends Error {}

const SHORT_NAMES: Record<string, string> = {
  "2.5.4.3": "CN",
  "2.5.4.4": "SN",
  "2.5.4.5": "SERIALNUMBER",
  "2.5.4.6": "C",
  "2.5.4.7": "L",
  "2.5.4.8": "ST",
  "2.5.4.9": "STREET",
  "2.5.4.10": "O",
  "2.5.4.11": "OU",
  "2.5.4.12": "T",
  "2.5.4.42": "G",
  "1.2.840.113549.1.9.1": "E",
  "0.9.2342.19200300.100.1.25": "DC",
  [UID_OID]: "UID",
};
// @peculiar/x509 already names some attributes; map its names to ours.
const PECULIAR_NAMES: Record<string, string> = { E: "E", DC: "DC", G: "G", SN: "SN", T: "T", ST: "ST" };

type Rdn = Array<[string, string]>;

function nameOf(name: x509.Name): Rdn[] {
  const out: Rdn[] = [];
  for (const rdn of name.toJSON()) {
    const set: Rdn = [];
    for (const [type, values] of Object.entries(rdn)) {
      const short = SHORT_NAMES[type] ?? PECULIAR_NAMES[type] ?? type;
      for (const v of values) set.push([short, v]);
    }
    out.push(set);
  }
  return out;
}

const DN_SPECIAL = /[",+;<>\\]/g;

function escapeDnValue(v: string): string {
  let s = v.replace(DN_SPECIAL, (c) => `\\${c}`);
  if (s.startsWith("#") || s.startsWith(" ")) s = `\\${s}`;
  if (s.endsWith(" ") && s.length > 1) s = `${s.slice(0, -1)}\\ `;
  return s;
}

/** RFC 4514 string: RDNs from most specific to least, "," between RDNs and "+" inside one. */
export function formatName(rdns: Rdn[]): string {
  return rdns
    .slice()
    .reverse()
    .map((set) => set.map(([t, v]) => `${t}=${escapeDnValue(v)}`).join("+"))
    .join(",");
}

const MST = /MST\s*[:=]?\s*(\d{10}-\d{3}|\d{13}|\d{10}|\d{12})(?!\d)/i;
const PERSONAL_ID = /(?:CCCD|CMND|CMT|PID|DDCN)\s*[:=]?\s*(\d{12})(?!\d)/i;

function normalizeTaxCode(raw: string): string {
  return raw.length === 13 && !raw.includes("-") ? `${raw.slice(0, 10)}-${raw.slice(10)}` : raw;
}

/** The tax code the subject carries: UID first, then SERIALNUMBER, CN, OU, O, anything else. */
export function taxCodeOf(rdns: Rdn[]): string | null {
  const attrs = rdns.flat();
  const order = ["UID", "SERIALNUMBER", "CN", "OU", "O"];
  const ranked = [
    ...order.flatMap((t) => attrs.filter(([type]) => type === t)),
    ...attrs.filter(([type]) => !order.includes(type)),
  ];
  for (const [, v] of ranked) {
    const m = MST.exec(v);
    if (m) return normalizeTaxCode(m[1]!);
  }
  for (const [, v] of ranked) {
    const m = PERSONAL_ID.exec(v);
    if (m) return m[1]!;
  }
  return null;
}

const TEST_WORD = /(^|[^\p{L}\p{N}])TEST([^\p{L}\p{N}]|$)/iu;

const PEM_BLOCK = /-----BEGIN CERTIFICATE-----([\s\S]*?)-----END CERTIFICATE-----/g;

/** DER bytes of every certificate in PEM text, or of a lone base64 / DER input. */
export function certificateDers(input: string | Uint8Array): Buffer[] {
  if (typeof input !== "string") {
    const head = Buffer.from(input.subarray(0, 11)).toString("latin1");
    if (head === "-----BEGIN ") return certificateDers(Buffer.from(input).toString("utf8"));
    return [Buffer.from(input)];
  }
  const blocks = [...input.matchAll(PEM_BLOCK)].map((m) => Buffer.from(m[1]!.replace(/\s+/g, ""), "base64"));
  if (blocks.length > 0) return blocks;
  return [Buffer.from(input.replace(/\s+/g, ""), "base64")];
}

export function toPem(der: Uint8Array): string {
  const b64 = Buffer.from(der).toString("base64");
  const lines: string[] = [];
  for (let i = 0; i < b64.length; i += 64) lines.push(b64.slice(i, i + 64));
  return `-----BEGIN CERTIFICATE-----\n${lines.join("\n")}\n-----END CERTIFICATE-----\n`;
}

/** Reads one certificate (PEM, base64 or DER). Throws CertificateError when it cannot be read. */
export function parseCertificate(input: string | Uint8Array): CertificateInfo {
  const der = certificateDers(input)[0];
  if (!der || der.length === 0) throw new CertificateError("no certificate data");
  let node: X509Certificate;
  let peculiar: x509.X509Certificate;
  try {
    node = new X509Certificate(der);
    peculiar = new x509.X509Certificate(new Uint8Array(der));
  } catch (e) {
    throw new CertificateError(e instanceof Error ? e.message : String(e));
  }
  const notBefore = peculiar.notBefore;
  const notAfter = peculiar.notAfter;
  if (Number.isNaN(notBefore.getTime()) || Number.isNaN(notAfter.getTime())) {
    throw new CertificateError("the certificate's validity dates cannot be read");
  }
  const subjectRdns = nameOf(peculiar.subjectName);
  const issuerRdns = nameOf(peculiar.issuerName);
  const policies = peculiar.getExtension(x509.CertificatePolicyExtension)?.policies ?? [];
  const marked = subjectRdns
    .flat()
    .some(([t, v]) => (t === "CN" || t === "O" || t === "OU") && TEST_WORD.test(v));
  return {
    x509: node,
    der,
    publicKey: node.publicKey,
    subject: formatName(subjectRdns),
    issuer: formatName(issuerRdns),
    serialNumber: normalizeSerial(peculiar.serialNumber),
    notBefore,
    notAfter,
    taxCode: taxCodeOf(subjectRdns),
    isTest: marked || policies.includes(TEST_CERTIFICATE_POLICY),
    isCA: node.ca,
    fingerprint: createHash("sha256").update(der).digest("hex"),
    pem: toPem(der),
  };
}

/** Upper-case hex of the serial's encoded bytes, without leading zero bytes' digits. */
export function normalizeSerial(serial: string): string {
  return serial
    .replace(/:/g, "")
    .toUpperCase()
    .replace(/^0+(?=.)/, "");
}

const cache = new Map<string, CertificateInfo>();
const CACHE_LIMIT = 2000;

/** parseCertificate with a cache keyed by the input text (certificates repeat across documents). */
export function cachedCertificate(input: string): CertificateInfo {
  let info = cache.get(input);
  if (!info) {
    info = parseCertificate(input);
    if (cache.size >= CACHE_LIMIT) cache.clear();
    cache.set(input, info);
  }
  return info;
}

const DAY_MS = 86_400_000;

/**
 * Problems with using `cert` to sign at `now`: expired or not yet valid (errors), or expiring within
 * `warnDays` days (warning), since an expired certificate stops all issuing.
 */
export function signingCertificateProblems(
  cert: CertificateInfo,
  now: Date,
  warnDays: number,
  path = "/",
): Problem[] {
  const t = now.getTime();
  if (t < cert.notBefore.getTime()) {
    return [
      makeProblem(signingCodes, "SIG_CERT_NOT_YET_VALID", path, {
        at: now.toISOString(),
        notBefore: cert.notBefore.toISOString(),
      }),
    ];
  }
  const end = cert.notAfter.getTime();
  if (t > end) {
    return [
      makeProblem(signingCodes, "SIG_CERT_EXPIRED", path, {
        at: now.toISOString(),
        notAfter: cert.notAfter.toISOString(),
      }),
    ];
  }
  const left = (end - t) / DAY_MS;
  if (left <= warnDays) {
    return [
      makeProblem(signingCodes, "SIG_CERT_EXPIRING", path, {
        days: String(Math.floor(left)),
        notAfter: cert.notAfter.toISOString(),
      }),
    ];
  }
  return [];
}
