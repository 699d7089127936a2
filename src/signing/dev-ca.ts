/**
 * A development certificate authority, so that hddt can sign and verify end to end without a real CA: a root,
 * and certificates for a seller, a T-VAN and the tax authority, with the tax code in the subject the way real
 * Vietnamese certificates carry it (`UID=MST:0100109106`).
 *
 * Every certificate made here is marked as a test certificate three ways, so that it cannot be mistaken for a
 * real one anywhere it shows:
 * - the word TEST in CN ("TEST …") and the OU ("TEST - chỉ dùng thử nghiệm (hddt)");
 * - the certificate policy TEST_CERTIFICATE_POLICY (2.999.84.69.83.84, under the "example" arc no real CA
 *   uses), which the verifier recognises;
 * - the root is named "hddt TEST Development CA" and is trusted only where the user chooses to trust it.
 *
 * Tests create their own certificates with the same functions (any validity period, revoked serials, CRLs).
 */
import "reflect-metadata";
import { createPrivateKey, KeyObject, randomBytes, webcrypto } from "node:crypto";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import * as x509 from "@peculiar/x509";
import { type CertificateInfo, parseCertificate, TEST_CERTIFICATE_POLICY, UID_OID } from "./certificate.ts";
import { writePkcs12 } from "./pkcs12.ts";
import { TrustStore } from "./trust.ts";

(x509.cryptoProvider.set as (crypto: unknown) => void).call(x509.cryptoProvider, webcrypto);

const RSA = { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" } as const;
const TEST_OU = "TEST - chỉ dùng thử nghiệm (hddt)";
const DAY_MS = 86_400_000;

export const DEFAULT_DEV_CA_DIR = ".hddt/dev-ca";

export interface DevCa {
  /** Root certificate (PEM). */
  readonly certificate: string;
  readonly key: KeyObject;
  readonly info: CertificateInfo;
}

export interface DevIdentity {
  readonly certificate: string;
  /** Private key; absent when the certificate was issued for an outside key (a token's). */
  readonly key?: KeyObject;
  readonly info: CertificateInfo;
}

export interface CaOptions {
  readonly name?: string;
  readonly notBefore?: Date;
  readonly notAfter?: Date;
  readonly keySize?: number;
}

export interface IssueOptions {
  /** Organisation or person name; the CN becomes "TEST " + name. */
  readonly name: string;
  /** Written as UID=MST:<taxCode>. */
  readonly taxCode?: string;
  readonly organization?: string;
  readonly locality?: string;
  /** Default: one day ago. */
  readonly notBefore?: Date;
  /** Default: two years after notBefore. */
  readonly notAfter?: Date;
  readonly keySize?: number;
  /** Hex serial; default random. */
  readonly serialNumber?: string;
  /** Certify this public key instead of generating a key pair (e.g. a key made on a PKCS#11 token). */
  readonly publicKey?: KeyObject;
  /** Leave out the test policy and the TEST words (only to test how the verifier reacts). */
  readonly unmarked?: boolean;
  /** Make an intermediate CA certificate (basicConstraints cA, keyCertSign) instead of a signing one. */
  readonly isCA?: boolean;
}

async function generate(keySize: number): Promise<webcrypto.CryptoKeyPair> {
  return webcrypto.subtle.generateKey(
    { ...RSA, modulusLength: keySize, publicExponent: new Uint8Array([1, 0, 1]) },
    true,
    ["sign", "verify"],
  ) as Promise<webcrypto.CryptoKeyPair>;
}

function randomSerial(): string {
  const b = randomBytes(16);
  b[0] = b[0]! & 0x7f;
  return b.toString("hex");
}

function name(attrs: Array<[string, string | undefined]>): x509.Name {
  const json = attrs.filter((a): a is [string, string] => a[1] !== undefined).map(([k, v]) => ({ [k]: [v] }));
  // @peculiar/x509 does not know UID by name: give it the OID.
  return new x509.Name(json, { UID: UID_OID });
}

async function importPrivate(key: KeyObject): Promise<webcrypto.CryptoKey> {
  return webcrypto.subtle.importKey("pkcs8", key.export({ format: "der", type: "pkcs8" }), RSA, true, [
    "sign",
  ]);
}

/** Creates a root CA (RSA, SHA-256). */
export async function createDevCa(options: CaOptions = {}): Promise<DevCa> {
  const keys = await generate(options.keySize ?? 2048);
  const notBefore = options.notBefore ?? new Date(Date.now() - DAY_MS);
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: randomSerial(),
    name: name([
      ["C", "VN"],
      ["O", "hddt TEST"],
      ["OU", TEST_OU],
      ["CN", options.name ?? "hddt TEST Development CA"],
    ]),
    notBefore,
    notAfter: options.notAfter ?? new Date(notBefore.getTime() + 10 * 365 * DAY_MS),
    keys,
    signingAlgorithm: RSA,
    extensions: [
      new x509.BasicConstraintsExtension(true, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
      new x509.CertificatePolicyExtension([TEST_CERTIFICATE_POLICY]),
    ],
  });
  const pem = cert.toString("pem");
  return { certificate: pem, key: KeyObject.from(keys.privateKey), info: parseCertificate(pem) };
}

/** Issues an end-entity signing certificate from `ca`. */
export async function issueCertificate(ca: DevCa, options: IssueOptions): Promise<DevIdentity> {
  let publicKey: webcrypto.CryptoKey;
  let privateKey: KeyObject | undefined;
  if (options.publicKey) {
    publicKey = await webcrypto.subtle.importKey(
      "spki",
      options.publicKey.export({ format: "der", type: "spki" }),
      RSA,
      true,
      ["verify"],
    );
  } else {
    const keys = await generate(options.keySize ?? 2048);
    publicKey = keys.publicKey;
    privateKey = KeyObject.from(keys.privateKey);
  }
  const marked = !options.unmarked;
  const notBefore = options.notBefore ?? new Date(Date.now() - DAY_MS);
  const caCert = new x509.X509Certificate(ca.certificate);
  const extensions: x509.Extension[] = options.isCA
    ? [
        new x509.BasicConstraintsExtension(true, undefined, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      ]
    : [
        new x509.BasicConstraintsExtension(false, undefined, true),
        new x509.KeyUsagesExtension(
          x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.nonRepudiation,
          true,
        ),
        new x509.ExtendedKeyUsageExtension(["1.3.6.1.5.5.7.3.2", "1.3.6.1.5.5.7.3.4"]),
      ];
  extensions.push(
    await x509.SubjectKeyIdentifierExtension.create(publicKey),
    await x509.AuthorityKeyIdentifierExtension.create(caCert.publicKey),
  );
  if (marked) extensions.push(new x509.CertificatePolicyExtension([TEST_CERTIFICATE_POLICY]));
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: options.serialNumber ?? randomSerial(),
    subject: name([
      ["C", "VN"],
      ["L", options.locality ?? "Hà Nội"],
      ["O", options.organization ?? options.name],
      ["OU", marked ? TEST_OU : undefined],
      ["CN", marked ? `TEST ${options.name}` : options.name],
      ["UID", options.taxCode === undefined ? undefined : `MST:${options.taxCode}`],
    ]),
    issuer: caCert.subjectName,
    notBefore,
    notAfter: options.notAfter ?? new Date(notBefore.getTime() + 2 * 365 * DAY_MS),
    publicKey,
    signingKey: await importPrivate(ca.key),
    signingAlgorithm: RSA,
    extensions,
  });
  const pem = cert.toString("pem");
  return { certificate: pem, ...(privateKey ? { key: privateKey } : {}), info: parseCertificate(pem) };
}

export interface RevokedEntry {
  /** Hex serial number. */
  readonly serialNumber: string;
  readonly revokedAt: Date;
}

/** An issued CA certificate (with its key) as a DevCa, to issue from it in turn. */
export function asCa(identity: DevIdentity): DevCa {
  if (!identity.key || !identity.info.isCA) throw new Error("not a CA identity with its key");
  return { certificate: identity.certificate, key: identity.key, info: identity.info };
}

/** A CRL signed by `ca` (PEM). */
export async function createCrl(
  ca: DevCa,
  revoked: readonly RevokedEntry[],
  options: { thisUpdate?: Date; nextUpdate?: Date } = {},
): Promise<string> {
  const thisUpdate = options.thisUpdate ?? new Date();
  const crl = await x509.X509CrlGenerator.create({
    issuer: new x509.X509Certificate(ca.certificate).subjectName,
    thisUpdate,
    nextUpdate: options.nextUpdate ?? new Date(thisUpdate.getTime() + 7 * DAY_MS),
    entries: revoked.map((r) => ({ serialNumber: r.serialNumber, revocationDate: r.revokedAt })),
    signingKey: await importPrivate(ca.key),
    signingAlgorithm: RSA,
  });
  return crl.toString("pem");
}

export interface DevCaParty {
  readonly name: string;
  readonly taxCode?: string;
}

export interface DevCaSetup {
  readonly seller?: DevCaParty;
  readonly tvan?: DevCaParty;
  readonly authority?: DevCaParty;
  /** Password of the .p12 files. */
  readonly password?: string;
  readonly validDays?: number;
}

export const DEFAULT_PARTIES = {
  seller: { name: "CÔNG TY TNHH HDDT DEMO", taxCode: "0100109106" },
  tvan: { name: "CÔNG TY TRUYỀN NHẬN HDDT DEMO", taxCode: "0309478306" },
  authority: { name: "CỤC THUẾ" },
} as const;

export const DEFAULT_P12_PASSWORD = "hddt-dev";

export interface DevCaFiles {
  readonly dir: string;
  readonly ca: string;
  readonly crl: string;
  readonly identities: Record<
    "seller" | "tvan" | "authority",
    { certificate: string; key: string; p12: string }
  >;
}

/**
 * Writes a development CA and the three parties' certificates into `dir`: `ca.pem`, `ca-key.pem`,
 * `ca.crl.pem` (empty CRL) and, for seller, tvan and authority, `<party>.pem`, `<party>-key.pem` and
 * `<party>.p12` (password DEFAULT_P12_PASSWORD unless given). The folder also works as a trust-store folder.
 */
export async function writeDevCa(dir: string, setup: DevCaSetup = {}): Promise<DevCaFiles> {
  await mkdir(dir, { recursive: true });
  const ca = await createDevCa();
  const password = setup.password ?? DEFAULT_P12_PASSWORD;
  const days = setup.validDays ?? 2 * 365;
  const notBefore = new Date(Date.now() - DAY_MS);
  const notAfter = new Date(notBefore.getTime() + days * DAY_MS);
  const file = (n: string) => join(dir, n);
  await writeFile(file("ca.pem"), ca.certificate);
  await writeFile(file("ca-key.pem"), ca.key.export({ format: "pem", type: "pkcs8" }), { mode: 0o600 });
  await writeFile(file("ca.crl.pem"), await createCrl(ca, []));
  const identities = {} as DevCaFiles["identities"];
  const parties = {
    seller: setup.seller ?? DEFAULT_PARTIES.seller,
    tvan: setup.tvan ?? DEFAULT_PARTIES.tvan,
    authority: setup.authority ?? DEFAULT_PARTIES.authority,
  };
  for (const [role, party] of Object.entries(parties) as Array<[keyof typeof parties, DevCaParty]>) {
    const id = await issueCertificate(ca, {
      name: party.name,
      ...(party.taxCode !== undefined ? { taxCode: party.taxCode } : {}),
      ...(role === "authority" ? { organization: "BỘ TÀI CHÍNH" } : {}),
      notBefore,
      notAfter,
    });
    const paths = {
      certificate: file(`${role}.pem`),
      key: file(`${role}-key.pem`),
      p12: file(`${role}.p12`),
    };
    await writeFile(paths.certificate, id.certificate);
    await writeFile(paths.key, id.key!.export({ format: "pem", type: "pkcs8" }), { mode: 0o600 });
    await writeFile(paths.p12, writePkcs12(id.key!, id.certificate, [ca.certificate], password, role), {
      mode: 0o600,
    });
    identities[role] = paths;
  }
  return { dir, ca: file("ca.pem"), crl: file("ca.crl.pem"), identities };
}

/** Reads a CA written by writeDevCa (to issue more certificates or CRLs from it). */
export async function loadDevCa(dir: string): Promise<DevCa> {
  const certificate = await readFile(join(dir, "ca.pem"), "utf8");
  const keyPem = await readFile(join(dir, "ca-key.pem"), "utf8");
  return { certificate, key: createPrivateKey(keyPem), info: parseCertificate(certificate) };
}

/** The trust store hddt uses by default: the development CA in `dir` (with its CRL), if it exists. */
export async function devTrustStore(dir: string = DEFAULT_DEV_CA_DIR): Promise<TrustStore> {
  const store = new TrustStore();
  try {
    store.addRoot(await readFile(join(dir, "ca.pem"), "utf8"));
  } catch {
    return store;
  }
  try {
    await store.addCrl(await readFile(join(dir, "ca.crl.pem"), "utf8"));
  } catch {
    // no CRL yet
  }
  return store;
}
