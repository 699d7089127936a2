/**
 * Signing: an enveloped XMLDSig signature (inclusive C14N 1.0) over elements chosen by Id, placed in a given
 * element, as QĐ 1271 Part I §4 asks: one Reference per signed element, one to the signature's own Object
 * holding `SignatureProperties/SignatureProperty[@Target]/SigningTime`, and KeyInfo with `X509SubjectName` and
 * `X509Certificate`.
 *
 * Fast path: hddt writes documents in canonical form, so a signed element's text is its canonical form (plus
 * the namespace declarations it inherits, usually none). The signer checks that with one regular-expression
 * pass (`canonicalRegion`; skipped with `assumeCanonical`), hashes the substring, writes SignedInfo as a
 * canonical string from a template and inserts the Signature text: no DOM and no generic canonicalisation.
 * The Signature it writes is canonical too, so the next party's signature takes the same path. Elements not in
 * canonical form as written (documents from other software) are canonicalised with the full implementation
 * instead, so any well-formed document can be signed.
 *
 * Two-step signing (USB token at the user's desk, remote signing service): `prepareSignature` returns the
 * document with an empty SignatureValue plus what must be signed; `finishSignature` puts the value in.
 */
import { createHash, hash as oneShotHash, randomBytes } from "node:crypto";
import type { Document, Element } from "@xmldom/xmldom";
import { fail, makeProblem, ok, type Problem, type Result } from "../domain/problem.ts";
import {
  C14N,
  type DigestAlgorithm,
  type DigestName,
  DSIG_NS,
  digestAlgorithm,
  ENVELOPED,
  type SignatureAlgorithm,
  type SignatureAlgorithmName,
  signatureAlgorithm,
} from "./algorithms.ts";
import { canonicalize, escapeAttr, escapeText, parseDom, XmlParseError } from "./c14n.ts";
import { type CertificateInfo, cachedCertificate, signingCertificateProblems } from "./certificate.ts";
import { signingCodes } from "./codes.ts";
import type { Signer } from "./signer.ts";
import { verifyWithKey } from "./signer.ts";
import {
  canonicalRegion,
  childNamed,
  indexXml,
  inheritedNamespaces,
  isClean,
  type XmlIndex,
} from "./xml-index.ts";

export interface SignatureSpec {
  /** Id of the element to sign (DLHDon, DLTBao, DLTKhai, DLBTHop, DLieu…). */
  readonly id: string;
  /** Element path where the Signature goes, from the root: "/HDon/DSCKS/NBan". Missing elements are created. */
  readonly into: string;
  /** More elements to sign by Id: the MCCQT for the tax authority, STBao on notices. */
  readonly extraIds?: readonly string[];
  /** Id of the Signature element; default "<slot>-Signature" ("NBan-Signature"), or a unique one if taken. */
  readonly signatureId?: string;
  /** Written as SigningTime (GMT+7, no zone, as the format requires). Default: now. */
  readonly signingTime?: Date;
  /** Default RSA-SHA256 (with SHA-256 digests). */
  readonly algorithm?: SignatureAlgorithmName;
  /** SignatureProperty@Target; default "#" + the signature's Id. */
  readonly propertyTarget?: string;
  /** Warn when the certificate expires within this many days (default 30). */
  readonly expiryWarningDays?: number;
  /**
   * Sign even if the certificate is not valid at the signing time (for tests and for re-creating historical
   * documents). The verifier still reports it.
   */
  readonly skipCertificateCheck?: boolean;
  /**
   * The caller vouches that the signed element is written in canonical form, as hddt's own writer emits every
   * document (no namespace declarations or prefixes, `<a></a>`, C14N escaping, attributes in order): its text
   * is then hashed without the lexical check. A wrong promise gives a signature no verifier accepts.
   */
  readonly assumeCanonical?: boolean;
}

/** A document waiting for its signature value (two-step signing). Plain data: it can be stored as JSON. */
export interface PreparedSignature {
  /** The document with the Signature in place and an empty SignatureValue. */
  readonly document: string;
  readonly signatureId: string;
  /** Canonical SignedInfo: the exact bytes (UTF-8) the signature value is computed over. */
  readonly signedInfo: string;
  readonly algorithm: SignatureAlgorithmName;
  readonly digestAlgorithm: DigestName;
  /** Base64 digest of `signedInfo`, for signers that sign a precomputed hash. */
  readonly digest: string;
  /** Base64 DER DigestInfo around `digest`, for tokens that take the raw PKCS#1 v1.5 input (CKM_RSA_PKCS). */
  readonly digestInfo: string;
  /** The certificate the value must come from (PEM). */
  readonly certificate: string;
  readonly warnings: readonly Problem[];
}

export interface SignedDocument {
  readonly xml: string;
  readonly signatureId: string;
  /** Warnings, e.g. the certificate expires soon. */
  readonly warnings: readonly Problem[];
}

interface Draft {
  /** The document up to the SignatureValue's content, and from there on (kept apart: no copying). */
  readonly before: string;
  readonly after: string;
  readonly signatureId: string;
  readonly signedInfo: string;
  readonly algorithm: SignatureAlgorithmName;
  readonly cert: CertificateInfo;
  readonly warnings: Problem[];
}

const ID = /^[A-Za-z0-9_][A-Za-z0-9_.:-]*$/;
const PATH_SEGMENT = /^[A-Za-z_][A-Za-z0-9_.-]*$/;
const VN_OFFSET_MS = 7 * 3_600_000;
const NEEDS_ESCAPE = /[&<"\t\n\r]/;

let lastSecond = Number.NaN;
let lastSigningTime = "";

/** A date as the format writes date-times: local time in GMT+7, no zone ("2026-04-03T19:49:07"). */
export function formatSigningTime(d: Date): string {
  const second = Math.floor(d.getTime() / 1000);
  if (second !== lastSecond) {
    lastSigningTime = new Date(second * 1000 + VN_OFFSET_MS).toISOString().slice(0, 19);
    lastSecond = second;
  }
  return lastSigningTime;
}

function problem(code: keyof typeof signingCodes, path: string, params?: Record<string, string>): Problem {
  return makeProblem(signingCodes, code, path, params);
}

/** Signs in one step with `signer`. */
export async function signXml(
  xml: string,
  signer: Signer,
  spec: SignatureSpec,
): Promise<Result<SignedDocument>> {
  const draft = draftSignature(xml, signer.certificate(), spec);
  if (!draft.ok) return draft;
  const d = draft.value;
  let value: Uint8Array;
  try {
    value = signer.signText
      ? await signer.signText(d.signedInfo, d.algorithm)
      : await signer.sign(Buffer.from(d.signedInfo, "utf8"), d.algorithm);
  } catch (e) {
    return fail([
      problem("SIG_SIGNER_FAILED", spec.into, { reason: e instanceof Error ? e.message : String(e) }),
    ]);
  }
  return ok({ xml: fill(d, value), signatureId: d.signatureId, warnings: d.warnings });
}

/** Two-step signing, step 1: the document with a placeholder, and what the key holder must sign. */
export function prepareSignature(
  xml: string,
  certificate: string,
  spec: SignatureSpec,
): Result<PreparedSignature> {
  const draft = draftSignature(xml, certificate, spec);
  if (!draft.ok) return draft;
  const d = draft.value;
  const alg = signatureAlgorithm(d.algorithm);
  const digest = digestAlgorithm(alg.digest);
  const hash = createHash(digest.hash).update(d.signedInfo, "utf8").digest();
  return ok({
    document: d.before + d.after,
    signatureId: d.signatureId,
    signedInfo: d.signedInfo,
    algorithm: d.algorithm,
    digestAlgorithm: digest.name,
    digest: hash.toString("base64"),
    digestInfo: Buffer.concat([Buffer.from(digest.digestInfoPrefix, "hex"), hash]).toString("base64"),
    certificate: d.cert.pem,
    warnings: d.warnings,
  });
}

/**
 * Two-step signing, step 2: checks the signature value against the certificate and SignedInfo, and puts it
 * into the prepared document.
 */
export function finishSignature(
  prepared: PreparedSignature,
  signatureValue: Uint8Array | string,
): Result<SignedDocument> {
  const path = `Signature[@Id='${prepared.signatureId}']`;
  const value =
    typeof signatureValue === "string"
      ? Buffer.from(signatureValue.replace(/\s+/g, ""), "base64")
      : signatureValue;
  let cert: CertificateInfo;
  try {
    cert = cachedCertificate(prepared.certificate);
  } catch (e) {
    return fail([problem("SIG_BAD_CERTIFICATE", path, { reason: (e as Error).message })]);
  }
  if (!verifyWithKey(cert.publicKey, Buffer.from(prepared.signedInfo, "utf8"), value, prepared.algorithm)) {
    return fail([problem("SIG_KEY_MISMATCH", path)]);
  }
  const doc = prepared.document;
  const open = `<Signature xmlns="${DSIG_NS}" Id="${escapeAttr(prepared.signatureId)}">`;
  const at = doc.indexOf(open);
  if (at < 0 || doc.indexOf(open, at + 1) >= 0) {
    return fail([
      problem("SIG_NOT_PREPARED", path, { reason: "the prepared Signature element is not found once" }),
    ]);
  }
  const inner = prepared.signedInfo.slice(prepared.signedInfo.indexOf(">") + 1);
  let p = at + open.length;
  if (!doc.startsWith("<SignedInfo>", p) || !doc.startsWith(inner, p + 12)) {
    return fail([problem("SIG_NOT_PREPARED", path, { reason: "SignedInfo differs from the prepared one" })]);
  }
  p += 12 + inner.length;
  if (!doc.startsWith("<SignatureValue></SignatureValue>", p)) {
    return fail([problem("SIG_NOT_PREPARED", path, { reason: "SignatureValue is not empty" })]);
  }
  const draft: Draft = {
    before: doc.slice(0, p + 16),
    after: doc.slice(p + 16),
    signatureId: prepared.signatureId,
    signedInfo: prepared.signedInfo,
    algorithm: prepared.algorithm,
    cert,
    warnings: [...prepared.warnings],
  };
  return ok({ xml: fill(draft, value), signatureId: prepared.signatureId, warnings: prepared.warnings });
}

function fill(d: Draft, value: Uint8Array): string {
  const b64 = Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString("base64");
  return d.before + b64 + d.after;
}

// Signature Ids only need to be unique in their document. The first choice is fixed per slot (readable, and
// it lets consecutive signatures share the SigningTime object's digest); if the document already uses it, a
// random prefix per process and a counter.
const ID_PREFIX = randomBytes(6).toString("hex");
let idCounter = 0;

const firstIds = new Map<string, string>();

function newSignatureId(slot: string, attempt: number): string {
  if (attempt === 0) {
    let id = firstIds.get(slot);
    if (id === undefined) {
      id = `${slot}-Signature`;
      if (firstIds.size < 100) firstIds.set(slot, id);
    }
    return id;
  }
  idCounter = (idCounter + 1) % 0x7fffffff;
  return `${slot}-${ID_PREFIX}${idCounter.toString(16).padStart(8, "0")}`;
}

/** The parts of a Signature that do not depend on the signed content; consecutive signatures share them. */
interface Pieces {
  readonly signatureId: string;
  readonly objectId: string;
  /** SignatureProperty@Target as given (undefined: "#" + the signature Id). */
  readonly propertyTarget: string | undefined;
  readonly time: string;
  readonly alg: SignatureAlgorithm;
  readonly digest: DigestAlgorithm;
  readonly cert: CertificateInfo;
  readonly head: string;
  readonly objectRefOpen: string;
  readonly sigOpen: string;
  readonly sigTail: string;
  readonly objectInner: string;
  /** Object digest per in-scope namespace text (almost always one entry). */
  objectDigestNs?: string;
  objectDigest?: string;
}

let lastPieces: Pieces | undefined;

function piecesFor(
  signatureId: string,
  objectId: string,
  propertyTarget: string | undefined,
  time: string,
  alg: SignatureAlgorithm,
  digest: DigestAlgorithm,
  cert: CertificateInfo,
): Pieces {
  const l = lastPieces;
  if (
    l &&
    l.signatureId === signatureId &&
    l.objectId === objectId &&
    l.propertyTarget === propertyTarget &&
    l.time === time &&
    l.alg === alg &&
    l.digest === digest &&
    l.cert === cert
  ) {
    return l;
  }
  const target = propertyTarget ?? `#${signatureId}`;
  const objectInner = `<SignatureProperties><SignatureProperty Target="${escapeAttr(target)}"><SigningTime>${time}</SigningTime></SignatureProperty></SignatureProperties></Object>`;
  lastPieces = {
    signatureId,
    objectId,
    propertyTarget,
    time,
    alg,
    digest,
    cert,
    head: `<CanonicalizationMethod Algorithm="${C14N}"></CanonicalizationMethod><SignatureMethod Algorithm="${alg.uri}"></SignatureMethod>`,
    objectRefOpen: `<Reference URI="#${objectId}"><DigestMethod Algorithm="${digest.uri}"></DigestMethod><DigestValue>`,
    sigOpen: `<Signature xmlns="${DSIG_NS}" Id="${signatureId}"><SignedInfo>`,
    sigTail: `</SignatureValue>${keyInfoOf(cert)}<Object Id="${objectId}">${objectInner}</Signature>`,
    objectInner,
  };
  return lastPieces;
}

/** Digest of the SigningTime object's canonical text (with the namespaces it inherits). */
function objectDigestOf(p: Pieces, ns: string, digest: DigestAlgorithm): string {
  if (p.objectDigest === undefined || p.objectDigestNs !== ns) {
    p.objectDigest = oneShotHash(digest.hash, `<Object${ns} Id="${p.objectId}">${p.objectInner}`, "base64");
    p.objectDigestNs = ns;
  }
  return p.objectDigest;
}

function objectIdOf(signatureId: string): string {
  const l = lastPieces;
  return l && l.signatureId === signatureId ? l.objectId : `${signatureId}-SigningTime`;
}

const keyInfos = new WeakMap<CertificateInfo, string>();

function keyInfoOf(cert: CertificateInfo): string {
  let k = keyInfos.get(cert);
  if (k === undefined) {
    k = `<KeyInfo><X509Data><X509SubjectName>${escapeText(cert.subject)}</X509SubjectName><X509Certificate>${cert.der.toString("base64")}</X509Certificate></X509Data></KeyInfo>`;
    keyInfos.set(cert, k);
  }
  return k;
}

const paths = new Map<string, string[] | undefined>();

function cachedPath(path: string): string[] | undefined {
  if (paths.has(path)) return paths.get(path);
  const segs = parsePath(path);
  if (paths.size > 1000) paths.clear();
  paths.set(path, segs);
  return segs;
}

/**
 * Indexes `xml` for signing. The first signed element (normally DLHDon, nearly the whole document) is checked
 * by `canonicalRegion` and left opaque, which is much cheaper than indexing its content; if that does not
 * apply, the whole document is indexed.
 */
function indexFor(xml: string, ids: readonly string[], trusted: boolean): XmlIndex | undefined {
  const region = canonicalRegion(xml, ids[0]!, trusted);
  if (region) {
    const idx = indexXml(xml, region);
    // The other Ids must not also occur inside the opaque element, whose content is not indexed.
    if (idx && idx.ids.get(ids[0]!) !== undefined && ids.every((id, k) => k === 0 || occursOnce(xml, id))) {
      return idx;
    }
  }
  return indexXml(xml);
}

function occursOnce(xml: string, id: string): boolean {
  const needle = ` Id="${id}"`;
  const p = xml.indexOf(needle);
  return p >= 0 && xml.indexOf(needle, p + 1) < 0;
}

function parsePath(path: string): string[] | undefined {
  const segs = path.split("/").filter((s) => s.length > 0);
  if (segs.length === 0 || !segs.every((s) => PATH_SEGMENT.test(s))) return undefined;
  return segs;
}

/** Follows `segs` from the root; returns the deepest element found and the names still missing. */
function locate(idx: XmlIndex, segs: string[]): { element: number; missing: string[] } | undefined {
  if (idx.elements[0]!.name !== segs[0]) return undefined;
  let current = 0;
  for (let k = 1; k < segs.length; k++) {
    const next = childNamed(idx, current, segs[k]!);
    if (next < 0) return { element: current, missing: segs.slice(k) };
    current = next;
  }
  return { element: current, missing: [] };
}

/** Splits the document where new last content of element `i` goes (`<a/>` becomes `<a>…</a>`). */
function splitAt(idx: XmlIndex, i: number): { prefix: string; suffix: string } {
  const s = idx.source;
  const el = idx.elements[i]!;
  if (el.selfClosing) {
    const startTag = `${s.slice(el.start, el.openEnd - 2).trimEnd()}>`;
    return { prefix: s.slice(0, el.start) + startTag, suffix: `</${el.name}>${s.slice(el.end)}` };
  }
  return { prefix: s.slice(0, el.closeStart), suffix: s.slice(el.closeStart) };
}

function insertInto(idx: XmlIndex, i: number, text: string): string {
  const { prefix, suffix } = splitAt(idx, i);
  return prefix + text + suffix;
}

/**
 * The canonical form of element `i` as [head, start, end]: canonical = head + source.slice(start, end).
 * Undefined when the element is not canonical as written.
 */
function fastCanonical(idx: XmlIndex, i: number): [string, number, number] | undefined {
  const el = idx.elements[i]!;
  if (!isClean(idx, el.start, el.end)) return undefined;
  const ns = inheritedNamespaces(idx, i);
  if (ns === undefined) return undefined;
  // Without inherited declarations the canonical form is exactly the element's text.
  if (ns === "") return ["", el.start, el.end];
  return [`<${el.name}${ns}`, el.start + 1 + el.name.length, el.end];
}

/**
 * Namespace declarations in scope for a child of element `i` (including i's own), canonical-rendered, with the
 * default namespace overridden by `defaultNs` when given. Undefined when an `xml:*` attribute is in scope.
 */
function scopeForChild(idx: XmlIndex, i: number, defaultNs?: string): string | undefined {
  let any = false;
  for (let p = i; p >= 0 && !any; p = idx.elements[p]!.parent) {
    const a = idx.elements[p]!.attrs;
    for (let k = 0; k < a.length; k += 2) if (a[k]!.charCodeAt(0) === 120) any = true;
  }
  if (!any) return defaultNs ? ` xmlns="${defaultNs}"` : "";
  const decls = new Map<string, string>();
  if (defaultNs !== undefined) decls.set("", defaultNs);
  for (let p = i; p >= 0; p = idx.elements[p]!.parent) {
    const a = idx.elements[p]!.attrs;
    for (let k = 0; k < a.length; k += 2) {
      const name = a[k]!;
      if (name.startsWith("xml:")) return undefined;
      const prefix = name === "xmlns" ? "" : name.startsWith("xmlns:") ? name.slice(6) : undefined;
      if (prefix !== undefined && !decls.has(prefix)) decls.set(prefix, a[k + 1]!);
    }
  }
  let out = "";
  for (const prefix of [...decls.keys()].sort()) {
    const value = decls.get(prefix)!;
    if (prefix === "" && value === "") continue;
    if (NEEDS_ESCAPE.test(value)) return undefined;
    out += prefix === "" ? ` xmlns="${value}"` : ` xmlns:${prefix}="${value}"`;
  }
  return out;
}

/** Finds an element by Id in a DOM (for the full canonicalisation path). */
function domById(doc: Document, id: string): Element | undefined {
  const all = doc.getElementsByTagName("*");
  for (let i = 0; i < all.length; i++) {
    const el = all.item(i)!;
    if (el.getAttribute("Id") === id) return el;
  }
  return undefined;
}

/** Base64 digest of a string, or of `head` followed by `source.slice(from, to)`. */
function hashOf(digest: DigestAlgorithm, parts: string | [string, number, number], source: string): string {
  if (typeof parts === "string") return oneShotHash(digest.hash, parts, "base64");
  const [head, from, to] = parts;
  if (head === "") return oneShotHash(digest.hash, source.slice(from, to), "base64");
  return createHash(digest.hash).update(head, "utf8").update(source.slice(from, to), "utf8").digest("base64");
}

function draftSignature(xml: string, certificate: string, spec: SignatureSpec): Result<Draft> {
  const where = spec.into;
  let cert: CertificateInfo;
  try {
    cert = cachedCertificate(certificate);
  } catch (e) {
    return fail([problem("SIG_BAD_CERTIFICATE", where, { reason: (e as Error).message })]);
  }
  const signingTime = spec.signingTime ?? new Date();
  const warnings = spec.skipCertificateCheck
    ? []
    : signingCertificateProblems(cert, signingTime, spec.expiryWarningDays ?? 30, where);
  if (warnings.some((p) => p.severity === "error")) return fail(warnings);
  let alg: ReturnType<typeof signatureAlgorithm>;
  try {
    alg = signatureAlgorithm(spec.algorithm ?? "RSA-SHA256");
  } catch {
    return fail([problem("SIG_UNSUPPORTED_ALGORITHM", where, { algorithm: String(spec.algorithm) })]);
  }
  const keyType = cert.publicKey.asymmetricKeyType;
  if ((alg.key === "rsa" && keyType !== "rsa") || (alg.key === "ec" && keyType !== "ec")) {
    return fail([
      problem("SIG_UNSUPPORTED_ALGORITHM", where, { algorithm: `${alg.name} with a ${keyType} key` }),
    ]);
  }
  const digest = digestAlgorithm(alg.digest);
  const ids = spec.extraIds?.length ? [spec.id, ...spec.extraIds] : [spec.id];
  const bad: Problem[] = [];
  for (const id of ids) if (!ID.test(id)) bad.push(problem("SIG_BAD_ID", where, { id }));
  if (spec.signatureId !== undefined && !ID.test(spec.signatureId)) {
    bad.push(problem("SIG_BAD_ID", where, { id: spec.signatureId }));
  }
  if (bad.length) return fail(bad);
  const segs = cachedPath(spec.into);
  if (!segs) return fail([problem("SIG_TARGET_NOT_FOUND", where, { path: spec.into })]);

  const trusted = spec.assumeCanonical === true;
  let idx = indexFor(xml, ids, trusted);
  if (!idx) return fail([badXml(xml, where)]);
  let located = locate(idx, segs);
  if (!located) return fail([problem("SIG_TARGET_NOT_FOUND", where, { path: spec.into })]);
  if (located.missing.length > 0) {
    const wrappers =
      located.missing.map((n) => `<${n}>`).join("") +
      [...located.missing]
        .reverse()
        .map((n) => `</${n}>`)
        .join("");
    idx = indexFor(insertInto(idx, located.element, wrappers), ids, trusted)!;
    located = locate(idx, segs)!;
  }
  const into = located.element;
  const intoEnd = idx.elements[into]!.end;
  for (let c = into + 1; c < idx.elements.length && idx.elements[c]!.start < intoEnd; c++) {
    const el = idx.elements[c]!;
    if (el.parent === into && (el.name === "Signature" || el.name.endsWith(":Signature"))) {
      return fail([problem("SIG_ALREADY_SIGNED", where, { path: spec.into })]);
    }
  }
  const problems: Problem[] = [];
  for (const id of ids) {
    if (idx.duplicateIds.has(id)) problems.push(problem("SIG_DUPLICATE_ID", where, { id }));
    else if (!idx.ids.has(id)) problems.push(problem("SIG_ELEMENT_NOT_FOUND", where, { id }));
  }
  if (problems.length) return fail(problems);

  const slotName = segs[segs.length - 1]!;
  let attempt = 0;
  let signatureId = spec.signatureId ?? newSignatureId(slotName, attempt);
  let objectId = objectIdOf(signatureId);
  // (The index knows every Id: an opaque region has none inside, canonicalRegion makes sure of it.)
  while (idx.ids.has(signatureId) || idx.ids.has(objectId)) {
    if (spec.signatureId !== undefined) return fail([problem("SIG_BAD_ID", where, { id: signatureId })]);
    signatureId = newSignatureId(slotName, ++attempt);
    objectId = objectIdOf(signatureId);
  }

  // Digests of the signed elements.
  const source = idx.source;
  let dom: Document | undefined;
  let references = "";
  for (let k = 0; k < ids.length; k++) {
    const id = ids[k]!;
    let canon: string | [string, number, number] | undefined = fastCanonical(idx, idx.ids.get(id)!);
    if (!canon) {
      try {
        dom ??= parseDom(source);
      } catch (e) {
        return fail([problem("SIG_BAD_XML", where, { reason: (e as Error).message })]);
      }
      canon = canonicalize(domById(dom, id)!);
    }
    references += `<Reference URI="#${id}">${k === 0 ? ENVELOPED_TRANSFORMS : ""}<DigestMethod Algorithm="${digest.uri}"></DigestMethod><DigestValue>${hashOf(digest, canon, source)}</DigestValue></Reference>`;
  }

  const time = formatSigningTime(signingTime);
  const p = piecesFor(signatureId, objectId, spec.propertyTarget, time, alg, digest, cert);
  const innerOf = (objectDigest: string) =>
    `${p.head}${references}${p.objectRefOpen}${objectDigest}</DigestValue></Reference></SignedInfo>`;
  const { prefix, suffix } = splitAt(idx, into);

  const ns = scopeForChild(idx, into, DSIG_NS);
  if (ns !== undefined) {
    const inner = innerOf(objectDigestOf(p, ns, digest));
    return ok({
      before: `${prefix}${p.sigOpen}${inner}<SignatureValue>`,
      after: p.sigTail + suffix,
      signatureId,
      signedInfo: `<SignedInfo${ns}>${inner}`,
      algorithm: alg.name,
      cert,
      warnings,
    });
  }
  // Rare: xml:* attributes in scope (C14N 1.0 would copy them onto the apex). Canonicalise through the DOM.
  const draft1 = `${prefix}${p.sigOpen}${innerOf("")}<SignatureValue>${p.sigTail}${suffix}`;
  const object = domById(parseDom(draft1), objectId)!;
  const inner = innerOf(hashOf(digest, canonicalize(object), source));
  const before = `${prefix}${p.sigOpen}${inner}<SignatureValue>`;
  const after = p.sigTail + suffix;
  const sig = domById(parseDom(before + after), signatureId)!;
  let signedInfo: Element | undefined;
  for (let c = sig.firstChild; c; c = c.nextSibling) {
    if (c.nodeType === 1 && (c as Element).localName === "SignedInfo") signedInfo = c as Element;
  }
  return ok({
    before,
    after,
    signatureId,
    signedInfo: canonicalize(signedInfo!),
    algorithm: alg.name,
    cert,
    warnings,
  });
}

const ENVELOPED_TRANSFORMS = `<Transforms><Transform Algorithm="${ENVELOPED}"></Transform></Transforms>`;

function badXml(xml: string, where: string): Problem {
  try {
    parseDom(xml);
    return problem("SIG_BAD_XML", where, {
      reason: "the document uses a construct the signer does not accept",
    });
  } catch (e) {
    return problem("SIG_BAD_XML", where, { reason: e instanceof XmlParseError ? e.message : String(e) });
  }
}
