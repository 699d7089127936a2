/**
 * PKCS#12 (.p12 / .pfx) files: the form in which Vietnamese CAs and most signing tools hand out a soft key.
 * Read with node-forge, which understands both the OpenSSL 3 default encoding (PBES2: PBKDF2 + AES-256-CBC,
 * SHA-256 MAC) and the legacy one (PBE with SHA-1 and 3DES / RC2-40) that older tools and Windows export.
 */

import { createPrivateKey, createPublicKey, type KeyObject } from "node:crypto";
import { readFile } from "node:fs/promises";
import forge from "node-forge";
import { toPem } from "./certificate.ts";
import { memorySigner, type Signer, SignerError } from "./signer.ts";

export interface Pkcs12Contents {
  readonly key: KeyObject;
  /** The certificate of the key (PEM). */
  readonly certificate: string;
  /** The other certificates in the file (CA chain), PEM. */
  readonly chain: readonly string[];
}

/** Opens a PKCS#12 file's bytes. Throws SignerError for a wrong password or a file without a key. */
export function readPkcs12(data: Uint8Array, password: string): Pkcs12Contents {
  let p12: forge.pkcs12.Pkcs12Pfx;
  try {
    const asn1 = forge.asn1.fromDer(forge.util.createBuffer(Buffer.from(data).toString("binary")));
    p12 = forge.pkcs12.pkcs12FromAsn1(asn1, false, password);
  } catch (e) {
    throw new SignerError(
      `cannot open the PKCS#12 file (wrong password?): ${e instanceof Error ? e.message : e}`,
    );
  }
  const keys: KeyObject[] = [];
  for (const type of [forge.pki.oids.pkcs8ShroudedKeyBag!, forge.pki.oids.keyBag!]) {
    for (const bag of p12.getBags({ bagType: type })[type] ?? []) {
      if (bag.key) {
        keys.push(createPrivateKey(forge.pki.privateKeyToPem(bag.key)));
      } else if (bag.asn1) {
        const der = Buffer.from(forge.asn1.toDer(bag.asn1).getBytes(), "binary");
        keys.push(createPrivateKey({ key: der, format: "der", type: "pkcs8" }));
      }
    }
  }
  const certBagType = forge.pki.oids.certBag!;
  const certs: Buffer[] = [];
  for (const bag of p12.getBags({ bagType: certBagType })[certBagType] ?? []) {
    const asn1 = bag.cert ? forge.pki.certificateToAsn1(bag.cert) : bag.asn1;
    certs.push(Buffer.from(forge.asn1.toDer(asn1).getBytes(), "binary"));
  }
  const key = keys[0];
  if (!key) throw new SignerError("the PKCS#12 file holds no private key");
  const spki = Buffer.from(createPublicKey(key).export({ format: "der", type: "spki" }));
  let leaf: Buffer | undefined;
  const chain: string[] = [];
  for (const der of certs) {
    const pub = Buffer.from(createPublicKey(toPem(der)).export({ format: "der", type: "spki" }));
    if (!leaf && pub.equals(spki)) leaf = der;
    else chain.push(toPem(der));
  }
  if (!leaf) throw new SignerError("the PKCS#12 file holds no certificate for its private key");
  return { key, certificate: toPem(leaf), chain };
}

/** A signer over the key in a PKCS#12 file (a path or the file's bytes). */
export async function pkcs12Signer(
  file: string | Uint8Array,
  password: string,
): Promise<Signer & { readonly key: KeyObject; readonly chain: readonly string[] }> {
  const data = typeof file === "string" ? await readFile(file) : file;
  const contents = readPkcs12(data, password);
  const signer = memorySigner({ key: contents.key, certificate: contents.certificate });
  return { ...signer, chain: contents.chain };
}

/**
 * Writes a PKCS#12 file (AES-256 + PBKDF2, as OpenSSL 3 does by default) holding `key`, its certificate and
 * the chain. Used by `hddt dev-ca`.
 */
export function writePkcs12(
  key: KeyObject,
  certificatePem: string,
  chainPems: readonly string[],
  password: string,
  friendlyName = "hddt",
): Buffer {
  const forgeKey = forge.pki.privateKeyFromPem(key.export({ format: "pem", type: "pkcs8" }).toString());
  const certs = [certificatePem, ...chainPems].map((p) => forge.pki.certificateFromPem(p));
  const asn1 = forge.pkcs12.toPkcs12Asn1(forgeKey, certs, password, {
    algorithm: "aes256",
    friendlyName,
    generateLocalKeyId: true,
  });
  return Buffer.from(forge.asn1.toDer(asn1).getBytes(), "binary");
}
