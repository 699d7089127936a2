/**
 * Verification of every XMLDSig signature in an invoice, a message or a notice.
 *
 * For each signature: its role from the slot it sits in (DSCKS/NBan seller, NMua buyer, CQT/TTCQT tax
 * authority, NNT or CKSNNT the taxpayer, anything else "other"); the digest of every reference; the signature
 * value; the certificate's validity at the signing time, its tax code against the document's, its chain to a
 * trusted root and its revocation (when a trust store is given).
 *
 * Signature wrapping: a reference must resolve, by an Id that occurs once in the document, to the element the
 * slot may sign: the data element next to DSCKS (DLHDon, DLTBao, DLTKhai, DLBTHop, DLieu…), another Id-bearing
 * sibling of it (MCCQT, STBao), or the signature's own Object. Anything else is refused, and the data element
 * and the signing time must be covered.
 *
 * Two implementations share the checks: a fast one over the string index, for documents in canonical form
 * (what hddt writes), and the full one over a DOM with general C14N. The fast one only ever *accepts*: when a
 * signature is not valid, or anything is outside what it models, the full path decides.
 */
import { createHash } from "node:crypto";
import type { Document, Element } from "@xmldom/xmldom";
import { makeProblem, type Problem } from "../domain/problem.ts";
import {
  C14N,
  C14N_WITH_COMMENTS,
  CANONICALIZATIONS,
  DIGESTS,
  type DigestAlgorithm,
  DSIG_NS,
  ENVELOPED,
  EXC_C14N,
  EXC_C14N_WITH_COMMENTS,
  SIGNATURES,
  type SignatureAlgorithm,
} from "./algorithms.ts";
import { canonicalize, parseDom, XmlParseError } from "./c14n.ts";
import { type CertificateInfo, cachedCertificate } from "./certificate.ts";
import { signingCodes } from "./codes.ts";
import { verifyWithKey } from "./signer.ts";
import type { TrustStore } from "./trust.ts";
import {
  childrenOf,
  attr as indexAttr,
  indexXml,
  inheritedNamespaces,
  isClean,
  leafText,
  pathOf,
  type XmlIndex,
} from "./xml-index.ts";

export type SignatureRole = "seller" | "buyer" | "authority" | "other";

export interface ReferenceReport {
  readonly uri: string;
  /** Local name of the element the reference resolves to ("#document" for the whole document), or null. */
  readonly element: string | null;
  readonly digestAlgorithm: string;
  readonly digestOk: boolean;
}

export interface SignatureReport {
  readonly role: SignatureRole;
  /** The element holding the signature: NBan, NMua, CQT, TTCQT, NNT, CKSNNT, CCKSKhac… */
  readonly slot: string | null;
  /** Path of the Signature element ("/HDon/DSCKS/NBan/Signature"). */
  readonly path: string;
  readonly signatureId: string | null;
  /** No error among `problems`. */
  readonly valid: boolean;
  readonly problems: Problem[];
  /** Signature algorithm ("RSA-SHA256"), or its URI when unknown. */
  readonly algorithm: string;
  /** Digest algorithm(s) of the references ("SHA-256"). */
  readonly digest: string;
  readonly canonicalization: string;
  readonly references: readonly ReferenceReport[];
  readonly subject: string | null;
  readonly issuer: string | null;
  readonly serialNumber: string | null;
  /** Tax code in the certificate's subject. */
  readonly taxCode: string | null;
  /** Signed SigningTime as ISO 8601 (UTC); null when absent or not covered by a reference. */
  readonly signingTime: string | null;
  readonly notBefore: string | null;
  readonly notAfter: string | null;
  /** Chain to a root of the trust store; null when no trust store was given. */
  readonly chainTrusted: boolean | null;
  /** From the CRLs of the trust store; null when none applies. */
  readonly revoked: boolean | null;
  readonly testCertificate: boolean;
}

export interface VerifyOptions {
  /** Roots, intermediates and CRLs. Without it the chain and revocation are not checked (reported as null). */
  readonly trust?: TrustStore;
  /** "Now", for expiry warnings and for signatures without a signing time. Default: the current time. */
  readonly now?: Date;
  /** Warn when a signing certificate expires within this many days (default 30). */
  readonly expiryWarningDays?: number;
  /** Expected tax codes, overriding those read from the document. */
  readonly taxCodes?: { readonly seller?: string; readonly buyer?: string };
  /** Report test certificates as a warning (default true). */
  readonly warnTestCertificates?: boolean;
  /** Use the fast path when the document allows it (default true). The result is the same either way. */
  readonly fastPath?: boolean;
}

const ROLES: Record<string, SignatureRole> = {
  NBan: "seller",
  NNT: "seller",
  CKSNNT: "seller",
  NMua: "buyer",
  CQT: "authority",
  TTCQT: "authority",
};

/** Children of the document element that are not the signed data element even when they carry an Id. */
const NOT_DATA = new Set(["MCCQT", "STBao", "DSCKS", "CKSNNT", "DLQRCode"]);

const DAY_MS = 86_400_000;

function problem(code: keyof typeof signingCodes, path: string, params?: Record<string, string>): Problem {
  return makeProblem(signingCodes, code, path, params);
}

/** Verifies every signature in `xml`. Never throws for bad input: problems are in the reports. */
export function verifyDocument(xml: string, options: VerifyOptions = {}): SignatureReport[] {
  const source = xml.charCodeAt(0) === 0xfeff ? xml.slice(1) : xml;
  if (options.fastPath !== false) {
    const fast = verifyFast(source, options);
    if (fast?.every((r) => r.valid)) return fast;
  }
  return verifyFull(source, options);
}

/** The fast path alone: reports when every signature is valid and in canonical form, otherwise undefined. */
export function verifyFast(xml: string, options: VerifyOptions = {}): SignatureReport[] | undefined {
  const idx = indexXml(xml);
  if (!idx) return undefined;
  try {
    const view = new IndexView(idx);
    return view.signatures().map((s) => examine(view, s, options));
  } catch (e) {
    if (e === BAIL) return undefined;
    throw e;
  }
}

/** The full path alone (DOM and general C14N). */
export function verifyFull(xml: string, options: VerifyOptions = {}): SignatureReport[] {
  let doc: Document;
  try {
    doc = parseDom(xml);
  } catch (e) {
    return [unreadable(e instanceof XmlParseError ? e.message : String(e))];
  }
  const view = new DomView(doc);
  return view.signatures().map((s) => examine(view, s, options));
}

function unreadable(reason: string): SignatureReport {
  return {
    role: "other",
    slot: null,
    path: "/",
    signatureId: null,
    valid: false,
    problems: [problem("SIG_BAD_XML", "/", { reason })],
    algorithm: "",
    digest: "",
    canonicalization: "",
    references: [],
    subject: null,
    issuer: null,
    serialNumber: null,
    taxCode: null,
    signingTime: null,
    notBefore: null,
    notAfter: null,
    chainTrusted: null,
    revoked: null,
    testCertificate: false,
  };
}

// ---------------------------------------------------------------------------------------------------------
// Tree views

interface Transform {
  readonly algorithm: string;
  readonly inclusivePrefixes?: readonly string[];
}

/** What the checks need from a document, implemented over the string index and over a DOM. */
interface View<N> {
  signatures(): N[];
  local(n: N): string;
  /** Namespace URI of an element (null for none). */
  ns(n: N): string | null;
  parent(n: N): N | null;
  children(n: N): N[];
  attr(n: N, name: string): string | undefined;
  text(n: N): string;
  byId(id: string): N | "duplicate" | undefined;
  /** True when `n` is `ancestor` or inside it. */
  within(n: N, ancestor: N): boolean;
  path(n: N): string;
  /** Canonical SignedInfo, or undefined when the method is not supported. */
  signedInfo(si: N, method: string, methodEl: N | undefined): string | undefined;
  /** Base64 digest of a reference's data; `undefined` target = the whole document. String = unsupported URI. */
  digest(
    target: N | undefined,
    transforms: readonly Transform[],
    sig: N,
    alg: DigestAlgorithm,
  ): { b64: string } | string;
}

/** Thrown by the fast view when the document needs the full path. */
const BAIL = Symbol("bail");

class IndexView implements View<number> {
  constructor(private readonly idx: XmlIndex) {}

  signatures(): number[] {
    const out: number[] = [];
    const els = this.idx.elements;
    for (let i = 0; i < els.length; i++) {
      const name = els[i]!.name;
      if (name === "Signature") {
        if (this.ns(i) !== DSIG_NS) continue;
        const el = els[i]!;
        // The whole signature except its start tag must be canonical and free of namespace declarations.
        if (!isClean(this.idx, el.openEnd, el.end)) throw BAIL;
        out.push(i);
      } else if (name.endsWith(":Signature")) {
        throw BAIL;
      }
    }
    return out;
  }

  local(n: number): string {
    const name = this.idx.elements[n]!.name;
    if (name.indexOf(":") >= 0) throw BAIL;
    return name;
  }

  ns(n: number): string | null {
    const els = this.idx.elements;
    if (els[n]!.name.indexOf(":") >= 0) throw BAIL;
    for (let p = n; p >= 0; p = els[p]!.parent) {
      const v = indexAttr(els[p]!, "xmlns");
      if (v !== undefined) return v === "" ? null : v;
    }
    return null;
  }

  parent(n: number): number | null {
    const p = this.idx.elements[n]!.parent;
    return p < 0 ? null : p;
  }

  children(n: number): number[] {
    return childrenOf(this.idx, n);
  }

  attr(n: number, name: string): string | undefined {
    return indexAttr(this.idx.elements[n]!, name);
  }

  text(n: number): string {
    const el = this.idx.elements[n]!;
    if (!isClean(this.idx, el.start, el.end)) throw BAIL;
    if (el.selfClosing) return "";
    const next = this.idx.elements[n + 1];
    if (next !== undefined && next.start < el.end) throw BAIL; // not a leaf
    return leafText(this.idx, n);
  }

  byId(id: string): number | "duplicate" | undefined {
    if (this.idx.duplicateIds.has(id)) return "duplicate";
    return this.idx.ids.get(id);
  }

  within(n: number, ancestor: number): boolean {
    const a = this.idx.elements[ancestor]!;
    const e = this.idx.elements[n]!;
    return a.start <= e.start && e.end <= a.end;
  }

  path(n: number): string {
    return pathOf(this.idx, n);
  }

  private canonical(n: number): [string, number, number] {
    const el = this.idx.elements[n]!;
    if (!isClean(this.idx, el.start, el.end)) throw BAIL;
    const ns = inheritedNamespaces(this.idx, n);
    if (ns === undefined) throw BAIL;
    return [`<${el.name}${ns}`, el.start + 1 + el.name.length, el.end];
  }

  signedInfo(si: number, method: string): string {
    if (method !== C14N && method !== C14N_WITH_COMMENTS) throw BAIL;
    const [head, from, to] = this.canonical(si);
    return head + this.idx.source.slice(from, to);
  }

  digest(
    target: number | undefined,
    transforms: readonly Transform[],
    sig: number,
    alg: DigestAlgorithm,
  ): { b64: string } {
    if (target === undefined) throw BAIL;
    let octets = false;
    for (const t of transforms) {
      if (t.algorithm === ENVELOPED) {
        if (octets || this.within(sig, target)) throw BAIL;
      } else if (t.algorithm === C14N || t.algorithm === C14N_WITH_COMMENTS) {
        octets = true;
      } else {
        throw BAIL;
      }
    }
    const [head, from, to] = this.canonical(target);
    const h = createHash(alg.hash).update(head, "utf8").update(this.idx.source.slice(from, to), "utf8");
    return { b64: h.digest("base64") };
  }
}

const ELEMENT_NODE = 1;

class DomView implements View<Element> {
  private ids: Map<string, Element | "duplicate"> | undefined;

  constructor(private readonly doc: Document) {}

  signatures(): Element[] {
    const list = this.doc.getElementsByTagNameNS(DSIG_NS, "Signature");
    const out: Element[] = [];
    for (let i = 0; i < list.length; i++) out.push(list.item(i)!);
    return out;
  }

  local(n: Element): string {
    return n.localName ?? n.nodeName;
  }

  ns(n: Element): string | null {
    return n.namespaceURI || null;
  }

  parent(n: Element): Element | null {
    const p = n.parentNode;
    return p && p.nodeType === ELEMENT_NODE ? (p as Element) : null;
  }

  children(n: Element): Element[] {
    const out: Element[] = [];
    for (let c = n.firstChild; c; c = c.nextSibling) if (c.nodeType === ELEMENT_NODE) out.push(c as Element);
    return out;
  }

  attr(n: Element, name: string): string | undefined {
    return n.hasAttribute(name) ? (n.getAttribute(name) ?? undefined) : undefined;
  }

  text(n: Element): string {
    return n.textContent ?? "";
  }

  byId(id: string): Element | "duplicate" | undefined {
    if (!this.ids) {
      this.ids = new Map();
      const all = this.doc.getElementsByTagName("*");
      for (let i = 0; i < all.length; i++) {
        const el = all.item(i)!;
        if (!el.hasAttribute("Id")) continue;
        const v = el.getAttribute("Id")!;
        this.ids.set(v, this.ids.has(v) ? "duplicate" : el);
      }
    }
    return this.ids.get(id);
  }

  within(n: Element, ancestor: Element): boolean {
    for (let p: Element | null = n; p; p = this.parent(p)) if (p === ancestor) return true;
    return false;
  }

  path(n: Element): string {
    const names: string[] = [];
    for (let p: Element | null = n; p; p = this.parent(p)) names.push(p.nodeName);
    return `/${names.reverse().join("/")}`;
  }

  signedInfo(si: Element, method: string, methodEl: Element | undefined): string | undefined {
    const kind = CANONICALIZATIONS.get(method);
    if (!kind) return undefined;
    return canonicalize(si, {
      ...kind,
      inclusivePrefixes: kind.exclusive ? prefixList(this, methodEl) : undefined,
    });
  }

  digest(
    target: Element | undefined,
    transforms: readonly Transform[],
    sig: Element,
    alg: DigestAlgorithm,
  ): { b64: string } | string {
    // Dereferenced data: a node set (element or document, comments removed, maybe minus the signature) or octets.
    let root: Document | Element = target ?? this.doc;
    let exclude: Element | null = null;
    let octets: string | undefined;
    for (const t of transforms) {
      if (t.algorithm === ENVELOPED) {
        if (octets !== undefined) return t.algorithm;
        // Remove the signature from the node set if it lies inside it; a reference to something inside the
        // signature itself (its own Object) is left as it is, as .NET SignedXml does.
        if (target === undefined || (this.within(sig, target) && sig !== target)) exclude = sig;
        continue;
      }
      const kind = CANONICALIZATIONS.get(t.algorithm);
      if (!kind) return t.algorithm;
      if (octets !== undefined) {
        try {
          root = parseDom(octets);
        } catch {
          return t.algorithm;
        }
        exclude = null;
      }
      // Same-document references never carry comments (XMLDSig §4.3.3.3), whatever the algorithm says.
      octets = canonicalize(root, {
        exclusive: kind.exclusive,
        comments: octets !== undefined && kind.comments,
        inclusivePrefixes: t.inclusivePrefixes,
        exclude,
      });
    }
    if (octets === undefined) octets = canonicalize(root, { exclude });
    return { b64: createHash(alg.hash).update(octets, "utf8").digest("base64") };
  }
}

function prefixList<N>(v: View<N>, methodEl: N | undefined): string[] | undefined {
  if (methodEl === undefined) return undefined;
  for (const c of v.children(methodEl)) {
    if (v.local(c) === "InclusiveNamespaces") {
      const list = v.attr(c, "PrefixList");
      return list ? list.split(/\s+/).filter((p) => p.length > 0) : [];
    }
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------------------
// The checks, shared by both views

function dsChild<N>(v: View<N>, n: N, name: string): N | undefined {
  for (const c of v.children(n)) if (v.local(c) === name && v.ns(c) === DSIG_NS) return c;
  return undefined;
}

function dsChildren<N>(v: View<N>, n: N, name: string): N[] {
  return v.children(n).filter((c) => v.local(c) === name && v.ns(c) === DSIG_NS);
}

function childNamed<N>(v: View<N>, n: N | undefined, name: string): N | undefined {
  if (n === undefined) return undefined;
  for (const c of v.children(n)) if (v.local(c) === name) return c;
  return undefined;
}

function findDescendant<N>(v: View<N>, n: N, name: string): N | undefined {
  for (const c of v.children(n)) {
    if (v.local(c) === name) return c;
    const d = findDescendant(v, c, name);
    if (d !== undefined) return d;
  }
  return undefined;
}

function collectDescendants<N>(v: View<N>, n: N, name: string, ns: string, out: N[]): N[] {
  for (const c of v.children(n)) {
    if (v.local(c) === name && v.ns(c) === ns) out.push(c);
    else collectDescendants(v, c, name, ns, out);
  }
  return out;
}

const WS = /\s+/g;
const SIGNING_TIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d+)?(Z|[+-]\d{2}:\d{2})?$/;

/** Parses a SigningTime; the format writes GMT+7 without a zone, so a missing zone means +07:00. */
export function parseSigningTime(text: string): Date | undefined {
  const m = SIGNING_TIME.exec(text.trim());
  if (!m) return undefined;
  const zone = m[8] ?? "+07:00";
  const d = new Date(`${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}${m[7] ?? ""}${zone}`);
  return Number.isNaN(d.getTime()) ? undefined : d;
}

const C14N_NAMES: Record<string, string> = {
  [C14N]: "C14N",
  [C14N_WITH_COMMENTS]: "C14N#WithComments",
  [EXC_C14N]: "EXC-C14N",
  [EXC_C14N_WITH_COMMENTS]: "EXC-C14N#WithComments",
};

interface Party {
  readonly en: string;
  readonly vi: string;
  readonly expected: string | undefined;
}

function expectedParty<N>(
  v: View<N>,
  slot: string | null,
  role: SignatureRole,
  container: N | undefined,
  data: N | undefined,
  o: VerifyOptions,
): Party | undefined {
  const textOf = (n: N | undefined) => {
    if (n === undefined) return undefined;
    const t = v.text(n).trim();
    return t.length ? t : undefined;
  };
  if (container !== undefined && v.local(container) === "HDon" && (slot === "NBan" || slot === "NMua")) {
    const nd = childNamed(v, data, "NDHDon");
    const party = childNamed(v, nd, slot);
    if (slot === "NBan")
      return {
        en: "seller",
        vi: "người bán",
        expected: o.taxCodes?.seller ?? textOf(childNamed(v, party, "MST")),
      };
    return {
      en: "buyer",
      vi: "người mua",
      expected: o.taxCodes?.buyer ?? textOf(childNamed(v, party, "MST")),
    };
  }
  if (slot === "NNT") {
    const tt = childNamed(v, data, "TTChung");
    return {
      en: "taxpayer",
      vi: "người nộp thuế",
      expected: o.taxCodes?.seller ?? textOf(childNamed(v, tt, "MST") ?? childNamed(v, data, "MST")),
    };
  }
  if (slot === "CKSNNT") {
    const tt = childNamed(v, container, "TTChung");
    return {
      en: "taxpayer",
      vi: "người nộp thuế",
      expected: o.taxCodes?.seller ?? textOf(childNamed(v, tt, "MST")),
    };
  }
  if (role === "seller") return { en: "seller", vi: "người bán", expected: o.taxCodes?.seller };
  return undefined;
}

function sameTaxCode(a: string, b: string): boolean {
  const norm = (s: string) => s.replace(/\s+/g, "").replace(/^(\d{10})(\d{3})$/, "$1-$2");
  return norm(a) === norm(b);
}

function examine<N>(v: View<N>, sig: N, o: VerifyOptions): SignatureReport {
  const now = o.now ?? new Date();
  const path = v.path(sig);
  const problems: Problem[] = [];
  const add = (code: keyof typeof signingCodes, params?: Record<string, string>) =>
    problems.push(problem(code, path, params));

  const slotEl = v.parent(sig);
  const slot = slotEl === null ? null : v.local(slotEl);
  const role: SignatureRole = (slot !== null && ROLES[slot]) || "other";
  let container: N | undefined;
  if (slotEl !== null) {
    const gp = v.parent(slotEl);
    if (gp !== null && v.local(gp) === "DSCKS") container = v.parent(gp) ?? undefined;
    else if (slot === "CKSNNT" && gp !== null) container = gp;
  }
  let data: N | undefined;
  if (container !== undefined) {
    for (const c of v.children(container)) {
      if (v.attr(c, "Id") !== undefined && !NOT_DATA.has(v.local(c))) {
        data = c;
        break;
      }
    }
  }
  const mccqt =
    role === "authority" && container !== undefined && v.local(container) === "HDon"
      ? childNamed(v, container, "MCCQT")
      : undefined;

  const signatureId = v.attr(sig, "Id") ?? null;
  const si = dsChild(v, sig, "SignedInfo");
  const sigValueEl = dsChild(v, sig, "SignatureValue");
  const c14nEl = si === undefined ? undefined : dsChild(v, si, "CanonicalizationMethod");
  const methodEl = si === undefined ? undefined : dsChild(v, si, "SignatureMethod");
  const c14nUri = c14nEl === undefined ? "" : (v.attr(c14nEl, "Algorithm") ?? "");
  const sigUri = methodEl === undefined ? "" : (v.attr(methodEl, "Algorithm") ?? "");
  const sigAlg: SignatureAlgorithm | undefined = SIGNATURES.get(sigUri);
  if (si === undefined) add("SIG_MALFORMED", { reason: "no SignedInfo" });
  else if (c14nEl === undefined || methodEl === undefined) {
    add("SIG_MALFORMED", { reason: "SignedInfo lacks CanonicalizationMethod or SignatureMethod" });
  }
  if (sigValueEl === undefined) add("SIG_MALFORMED", { reason: "no SignatureValue" });
  if (methodEl !== undefined && !sigAlg) add("SIG_UNSUPPORTED_ALGORITHM", { algorithm: sigUri });

  // The signing time: the first SigningTime inside the signature's Objects.
  let timeEl: N | undefined;
  for (const obj of dsChildren(v, sig, "Object")) {
    timeEl = findDescendant(v, obj, "SigningTime");
    if (timeEl !== undefined) break;
  }

  const refs = si === undefined ? [] : dsChildren(v, si, "Reference");
  if (si !== undefined && refs.length === 0) add("SIG_MALFORMED", { reason: "no Reference" });
  let dataCovered = false;
  let timeCovered = false;
  let timeTrusted = false;
  let mccqtCovered = false;
  const references: ReferenceReport[] = [];
  const digestNames = new Set<string>();
  for (const ref of refs) {
    const uri = v.attr(ref, "URI");
    const digestEl = dsChild(v, ref, "DigestMethod");
    const digestUri = digestEl === undefined ? "" : (v.attr(digestEl, "Algorithm") ?? "");
    const dAlg = DIGESTS.get(digestUri);
    digestNames.add(dAlg?.name ?? digestUri);
    const valueEl = dsChild(v, ref, "DigestValue");
    const expected = valueEl === undefined ? "" : v.text(valueEl).replace(WS, "");
    const transformsEl = dsChild(v, ref, "Transforms");
    const transforms: Transform[] =
      transformsEl === undefined
        ? []
        : dsChildren(v, transformsEl, "Transform").map((t) => ({
            algorithm: v.attr(t, "Algorithm") ?? "",
            inclusivePrefixes: prefixList(v, t),
          }));
    const report = (element: string | null, digestOk: boolean) =>
      references.push({ uri: uri ?? "", element, digestAlgorithm: dAlg?.name ?? digestUri, digestOk });
    if (uri === undefined) {
      add("SIG_MALFORMED", { reason: "a Reference has no URI" });
      report(null, false);
      continue;
    }
    if (!dAlg) add("SIG_UNSUPPORTED_ALGORITHM", { algorithm: digestUri });
    // Resolve.
    let target: N | undefined;
    let isDocument = false;
    if (uri === "" || uri === "#xpointer(/)") {
      isDocument = true;
    } else if (uri.startsWith("#")) {
      const xp = /^#xpointer\(id\(['"]([^'"]+)['"]\)\)$/.exec(uri);
      const id = xp ? xp[1]! : uri.slice(1);
      const found = v.byId(id);
      if (found === "duplicate") {
        add("SIG_DUPLICATE_ID", { id });
        report(null, false);
        continue;
      }
      if (found === undefined) {
        add("SIG_REFERENCE_NOT_FOUND", { uri });
        report(null, false);
        continue;
      }
      target = found;
    } else {
      add("SIG_UNEXPECTED_REFERENCE", { uri, element: "(external)" });
      report(null, false);
      continue;
    }
    // Wrapping defence: only the elements this slot may sign.
    let allowed = isDocument;
    if (target !== undefined) {
      if (data !== undefined && target === data) allowed = true;
      else if (v.within(target, sig)) allowed = true;
      else if (container !== undefined && v.parent(target) === container && v.local(target) !== "DSCKS")
        allowed = true;
      else if (container === undefined && !v.within(sig, target)) allowed = true;
    }
    const elementName = isDocument ? "#document" : v.local(target!);
    if (!allowed) {
      add("SIG_UNEXPECTED_REFERENCE", { uri, element: elementName });
      report(elementName, false);
      continue;
    }
    let digestOk = false;
    if (dAlg) {
      const unsupported = transforms.find(
        (t) => t.algorithm !== ENVELOPED && !CANONICALIZATIONS.has(t.algorithm),
      );
      if (unsupported) {
        add("SIG_UNSUPPORTED_ALGORITHM", { algorithm: unsupported.algorithm });
      } else {
        const d = v.digest(target, transforms, sig, dAlg);
        if (typeof d === "string") add("SIG_UNSUPPORTED_ALGORITHM", { algorithm: d });
        else if (d.b64 !== expected) add("SIG_DIGEST_MISMATCH", { uri });
        else digestOk = true;
      }
    }
    report(elementName, digestOk);
    // Coverage (counted even when the digest failed: that failure is reported already). The signing time is
    // used only when a reference with a matching digest covers it.
    const envelopedOut = transforms.some((t) => t.algorithm === ENVELOPED);
    if (isDocument) {
      dataCovered = true;
      mccqtCovered = true;
      if (!envelopedOut) {
        timeCovered = true;
        timeTrusted ||= digestOk;
      }
    } else {
      if (target === data) dataCovered = true;
      if (mccqt !== undefined && target === mccqt) mccqtCovered = true;
      if (timeEl !== undefined && v.within(timeEl, target!)) {
        timeCovered = true;
        timeTrusted ||= digestOk;
      }
    }
  }
  if (si !== undefined && data !== undefined && !dataCovered)
    add("SIG_MISSING_REFERENCE", { what: v.local(data) });
  if (mccqt !== undefined && !mccqtCovered) add("SIG_MISSING_REFERENCE", { what: "MCCQT" });

  let signingTime: Date | undefined;
  if (timeEl !== undefined) {
    if (!timeCovered) add("SIG_MISSING_REFERENCE", { what: "SigningTime" });
    else if (timeTrusted) {
      signingTime = parseSigningTime(v.text(timeEl));
      if (!signingTime)
        add("SIG_MALFORMED", { reason: `SigningTime "${v.text(timeEl).trim()}" is not a date-time` });
    }
  } else {
    add("SIG_NO_SIGNING_TIME");
  }

  // Certificates.
  const keyInfo = dsChild(v, sig, "KeyInfo");
  const certTexts =
    keyInfo === undefined ? [] : collectDescendants(v, keyInfo, "X509Certificate", DSIG_NS, []);
  const certs: CertificateInfo[] = [];
  for (const c of certTexts) {
    try {
      certs.push(cachedCertificate(v.text(c).replace(WS, "")));
    } catch (e) {
      add("SIG_BAD_CERTIFICATE", { reason: (e as Error).message });
    }
  }
  if (certTexts.length === 0) add("SIG_NO_CERTIFICATE");

  // Signature value.
  let signer: CertificateInfo | undefined = certs[0];
  if (si !== undefined && sigAlg && sigValueEl !== undefined && c14nEl !== undefined && certs.length > 0) {
    const canonical = v.signedInfo(si, c14nUri, c14nEl);
    if (canonical === undefined) {
      add("SIG_UNSUPPORTED_ALGORITHM", { algorithm: c14nUri });
    } else {
      const value = Buffer.from(v.text(sigValueEl).replace(WS, ""), "base64");
      const bytes = Buffer.from(canonical, "utf8");
      const match = certs.find((c) => verifyWithKey(c.publicKey, bytes, value, sigAlg.name));
      if (match) signer = match;
      else add("SIG_BAD_SIGNATURE_VALUE");
    }
  }

  let chainTrusted: boolean | null = null;
  let revoked: boolean | null = null;
  if (signer) {
    const at = signingTime ?? now;
    const when = at.toISOString();
    if (at < signer.notBefore)
      add("SIG_CERT_NOT_YET_VALID", { at: when, notBefore: signer.notBefore.toISOString() });
    else if (at > signer.notAfter)
      add("SIG_CERT_EXPIRED", { at: when, notAfter: signer.notAfter.toISOString() });
    const party = expectedParty(v, slot, role, container, data, o);
    if (party?.expected !== undefined) {
      if (signer.taxCode === null) {
        add("SIG_CERT_NO_TAX_CODE", { party: party.en, partyVi: party.vi });
      } else if (!sameTaxCode(signer.taxCode, party.expected)) {
        add("SIG_TAX_CODE_MISMATCH", {
          expected: party.expected,
          actual: signer.taxCode,
          party: party.en,
          partyVi: party.vi,
        });
      }
    }
    if (signer.isTest && o.warnTestCertificates !== false) add("SIG_TEST_CERTIFICATE");
    const left = (signer.notAfter.getTime() - now.getTime()) / DAY_MS;
    if (now >= signer.notBefore && left >= 0 && left <= (o.expiryWarningDays ?? 30)) {
      add("SIG_CERT_EXPIRING", { days: String(Math.floor(left)), notAfter: signer.notAfter.toISOString() });
    }
    if (o.trust) {
      const others = certs.filter((c) => c !== signer);
      const chain = o.trust.verifyChain(signer, others, at);
      chainTrusted = chain.trusted;
      if (!chain.trusted) add("SIG_UNTRUSTED_CHAIN", { reason: chain.reason ?? "unknown" });
      for (let k = 0; k + 1 < chain.chain.length; k++) {
        const r = o.trust.revocation(chain.chain[k]!, chain.chain[k + 1]);
        if (k === 0 && r.revoked === false) revoked = false;
        if (r.revoked) {
          revoked = true;
          const params = { serial: r.serial ?? "", revokedAt: r.revokedAt!.toISOString() };
          if (signingTime && r.revokedAt! > signingTime) add("SIG_REVOKED_AFTER_SIGNING", params);
          else add("SIG_REVOKED", params);
          break;
        }
      }
    }
  }

  return {
    role,
    slot,
    path,
    signatureId,
    valid: !problems.some((p) => p.severity === "error"),
    problems,
    algorithm: sigAlg?.name ?? sigUri,
    digest: [...digestNames].join(", "),
    canonicalization: C14N_NAMES[c14nUri] ?? c14nUri,
    references,
    subject: signer?.subject ?? null,
    issuer: signer?.issuer ?? null,
    serialNumber: signer?.serialNumber ?? null,
    taxCode: signer?.taxCode ?? null,
    signingTime: signingTime?.toISOString() ?? null,
    notBefore: signer?.notBefore.toISOString() ?? null,
    notAfter: signer?.notAfter.toISOString() ?? null,
    chainTrusted,
    revoked,
    testCertificate: signer?.isTest ?? false,
  };
}

/**
 * A checker for `hddt check` (its `SignatureChecker` shape): verifies with fixed options, taking the seller's
 * tax code from the caller when it has read it. Use `devTrustStore()` for the default trust.
 */
export function signatureChecker(
  options: VerifyOptions = {},
): (xml: string, context: { sellerTaxCode?: string }) => Promise<SignatureReport[]> {
  return async (xml, context) =>
    verifyDocument(
      xml,
      context.sellerTaxCode === undefined
        ? options
        : { ...options, taxCodes: { ...options.taxCodes, seller: context.sellerTaxCode } },
    );
}
