/**
 * Trust store: the roots a verifier accepts, intermediate CA certificates that help build chains, and
 * certificate revocation lists. By default hddt trusts its development CA only; real Vietnamese roots (the
 * National Root CA, licensed public CAs, the government-service CA G2 that issues the tax authority's
 * certificate) are added by the user, as files in a folder or one by one.
 *
 * Chains are checked at the signing time (a certificate that has since expired still proves an old invoice).
 * Revocation comes only from CRLs added here (no network fetch: CRL and OCSP URLs in VN certificates are not
 * reachable from every deployment, and a check must be reproducible).
 */
import "reflect-metadata";
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import * as x509 from "@peculiar/x509";
import { type CertificateInfo, certificateDers, normalizeSerial, parseCertificate } from "./certificate.ts";

export interface ChainResult {
  readonly trusted: boolean;
  /** Why the chain is not trusted (English, for the problem's message). */
  readonly reason?: string;
  /** Leaf first, root last (as far as it could be built). */
  readonly chain: readonly CertificateInfo[];
}

export interface RevocationResult {
  /** true: listed in a CRL; false: the issuer's CRL does not list it; null: no CRL for its issuer. */
  readonly revoked: boolean | null;
  readonly revokedAt?: Date;
  readonly serial?: string;
}

interface CrlData {
  readonly issuerFingerprint: string;
  readonly thisUpdate: Date;
  readonly revoked: ReadonlyMap<string, Date>;
}

const MAX_DEPTH = 8;

export class TrustStore {
  private readonly roots = new Map<string, CertificateInfo>();
  private readonly intermediates = new Map<string, CertificateInfo>();
  private readonly crls = new Map<string, CrlData>();
  private readonly chainCache = new Map<string, CertificateInfo[] | string>();

  /** Adds trusted root certificates (PEM with one or more blocks, base64 or DER). */
  addRoot(input: string | Uint8Array): this {
    for (const der of certificateDers(input)) {
      const c = parseCertificate(der);
      this.roots.set(c.fingerprint, c);
    }
    this.chainCache.clear();
    return this;
  }

  /** Adds CA certificates that are not trusted by themselves but may complete a chain. */
  addIntermediate(input: string | Uint8Array): this {
    for (const der of certificateDers(input)) {
      const c = parseCertificate(der);
      this.intermediates.set(c.fingerprint, c);
    }
    this.chainCache.clear();
    return this;
  }

  get rootCount(): number {
    return this.roots.size;
  }

  /**
   * Adds a CRL (PEM or DER). It is accepted only when signed by a CA certificate this store knows; returns
   * false otherwise.
   */
  async addCrl(input: string | Uint8Array): Promise<boolean> {
    const crl = new x509.X509Crl(typeof input === "string" ? input : new Uint8Array(input));
    for (const ca of [...this.roots.values(), ...this.intermediates.values()]) {
      if (!ca.isCA && !this.roots.has(ca.fingerprint)) continue;
      const peculiarCa = new x509.X509Certificate(new Uint8Array(ca.der));
      if (peculiarCa.subject !== crl.issuer) continue;
      if (!(await crl.verify({ publicKey: peculiarCa.publicKey }))) continue;
      const revoked = new Map<string, Date>();
      for (const e of crl.entries) revoked.set(normalizeSerial(e.serialNumber), e.revocationDate);
      const previous = this.crls.get(ca.fingerprint);
      if (!previous || previous.thisUpdate <= crl.thisUpdate) {
        this.crls.set(ca.fingerprint, {
          issuerFingerprint: ca.fingerprint,
          thisUpdate: crl.thisUpdate,
          revoked,
        });
      }
      return true;
    }
    return false;
  }

  /**
   * Loads every certificate (`.pem`, `.crt`, `.cer`) and CRL (`.crl`, `.crl.pem`) in a folder: self-signed
   * certificates become roots, the others intermediates.
   */
  static async fromDirectory(dir: string): Promise<TrustStore> {
    const store = new TrustStore();
    await store.addDirectory(dir);
    return store;
  }

  async addDirectory(dir: string): Promise<this> {
    const names = (await readdir(dir)).sort();
    const crls: Buffer[] = [];
    for (const name of names) {
      const lower = name.toLowerCase();
      const data = await readFile(join(dir, name));
      if (lower.endsWith(".crl") || lower.endsWith(".crl.pem")) {
        crls.push(data);
      } else if (lower.endsWith(".pem") || lower.endsWith(".crt") || lower.endsWith(".cer")) {
        const text = data.toString("latin1");
        if (text.includes("PRIVATE KEY")) continue;
        for (const der of certificateDers(text.includes("-----BEGIN") ? data.toString("utf8") : data)) {
          const c = parseCertificate(der);
          if (c.subject === c.issuer && c.x509.verify(c.publicKey)) this.addRoot(der);
          else this.addIntermediate(der);
        }
      }
    }
    for (const crl of crls) await this.addCrl(crl);
    return this;
  }

  /**
   * Builds and checks the chain of `leaf` at time `at`, using `extra` certificates (those the signature
   * carries) as possible intermediates. Trusted means: each certificate is signed by the next, every issuer is
   * a CA, every certificate was valid at `at`, and the last one is a root of this store.
   */
  verifyChain(leaf: CertificateInfo, extra: readonly CertificateInfo[], at: Date): ChainResult {
    const built = this.build(leaf, extra);
    if (typeof built === "string") return { trusted: false, reason: built, chain: [leaf] };
    for (const c of built) {
      if (at < c.notBefore || at > c.notAfter) {
        return {
          trusted: false,
          reason: `${c === leaf ? "the certificate" : `CA certificate ${c.subject}`} was not valid at ${at.toISOString()}`,
          chain: built,
        };
      }
    }
    return { trusted: true, chain: built };
  }

  private build(leaf: CertificateInfo, extra: readonly CertificateInfo[]): CertificateInfo[] | string {
    const key = extra.length
      ? `${leaf.fingerprint}+${extra.map((c) => c.fingerprint).join("+")}`
      : leaf.fingerprint;
    const cached = this.chainCache.get(key);
    if (cached !== undefined) return cached;
    const result = this.buildUncached(leaf, extra);
    if (this.chainCache.size > 5000) this.chainCache.clear();
    this.chainCache.set(key, result);
    return result;
  }

  private buildUncached(
    leaf: CertificateInfo,
    extra: readonly CertificateInfo[],
  ): CertificateInfo[] | string {
    if (this.roots.size === 0) return "the trust store has no root certificates";
    const chain = [leaf];
    let current = leaf;
    for (let depth = 0; depth <= MAX_DEPTH; depth++) {
      if (this.roots.has(current.fingerprint)) return chain;
      const issuer = this.findIssuer(current, extra);
      if (!issuer) {
        return current.subject === current.issuer
          ? `self-signed certificate ${current.subject} is not a trusted root`
          : `no trusted issuer found for ${current.subject} (issuer ${current.issuer})`;
      }
      if (issuer.fingerprint === current.fingerprint) {
        return `self-signed certificate ${current.subject} is not a trusted root`;
      }
      chain.push(issuer);
      current = issuer;
    }
    return "the certificate chain is too long";
  }

  private findIssuer(cert: CertificateInfo, extra: readonly CertificateInfo[]): CertificateInfo | undefined {
    // Trusted roots first, so that a chain ends at a root even if a cross-certificate is also present.
    for (const pool of [this.roots.values(), this.intermediates.values(), extra.values()]) {
      for (const candidate of pool) {
        if (candidate.subject !== cert.issuer) continue;
        if (!candidate.isCA && !this.roots.has(candidate.fingerprint)) continue;
        try {
          if (cert.x509.checkIssued(candidate.x509) && cert.x509.verify(candidate.publicKey))
            return candidate;
        } catch {
          // unusable key: try the next candidate
        }
      }
    }
    return undefined;
  }

  /** Revocation of `cert` according to the CRL of `issuer` (the next certificate in its chain). */
  revocation(cert: CertificateInfo, issuer: CertificateInfo | undefined): RevocationResult {
    if (!issuer) return { revoked: null };
    const crl = this.crls.get(issuer.fingerprint);
    if (!crl) return { revoked: null };
    const at = crl.revoked.get(cert.serialNumber);
    return at ? { revoked: true, revokedAt: at, serial: cert.serialNumber } : { revoked: false };
  }
}
