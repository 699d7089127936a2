/**
 * Canonical XML 1.0 (inclusive, W3C REC-xml-c14n-20010315) and Exclusive XML Canonicalization 1.0 over an
 * @xmldom/xmldom tree: the full, general path used for documents hddt did not write. Only the node sets that
 * XMLDSig same-document references produce are supported: a whole document, or one element's subtree, minus
 * optionally one excluded subtree (the enveloped signature).
 *
 * A subtree is canonicalised in its document context: the apex carries every namespace declaration in scope
 * (inclusive) or every one visibly used (exclusive), and, for inclusive C14N 1.0, the `xml:*` attributes it
 * inherits from its ancestors.
 */
import { type Attr, DOMParser, type Document, type Element, type Node } from "@xmldom/xmldom";

const ELEMENT = 1;
const TEXT = 3;
const CDATA = 4;
const PI = 7;
const COMMENT = 8;
const DOCUMENT = 9;

const XML_NS = "http://www.w3.org/XML/1998/namespace";

export interface C14nOptions {
  readonly exclusive?: boolean;
  readonly comments?: boolean;
  /** Exclusive C14N only: prefixes treated as inclusive ("#default" for the default namespace). */
  readonly inclusivePrefixes?: readonly string[];
  /** A subtree left out of the output (the signature, for the enveloped-signature transform). */
  readonly exclude?: Node | null;
}

const TEXT_SPECIAL = /[&<>\r]/;
const TEXT_SPECIAL_G = /[&<>\r]/g;
const ATTR_SPECIAL = /[&<"\t\n\r]/;
const ATTR_SPECIAL_G = /[&<"\t\n\r]/g;
const ESCAPES: Record<string, string> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
  "\t": "&#x9;",
  "\n": "&#xA;",
  "\r": "&#xD;",
};
const escapeChar = (c: string): string => ESCAPES[c]!;

export function escapeText(s: string): string {
  return TEXT_SPECIAL.test(s) ? s.replace(TEXT_SPECIAL_G, escapeChar) : s;
}

export function escapeAttr(s: string): string {
  return ATTR_SPECIAL.test(s) ? s.replace(ATTR_SPECIAL_G, escapeChar) : s;
}

type NsMap = ReadonlyMap<string, string>;
const EMPTY_NS: NsMap = new Map();

/** Canonicalises a document or an element subtree (in its document context). */
export function canonicalize(node: Document | Element, options: C14nOptions = {}): string {
  const c = new Canonicalizer(options);
  if (node.nodeType === DOCUMENT) c.document(node as Document);
  else c.apex(node as Element);
  return c.out.join("");
}

class Canonicalizer {
  readonly out: string[] = [];
  private readonly exclusive: boolean;
  private readonly comments: boolean;
  private readonly inclusivePrefixes: ReadonlySet<string>;
  private readonly exclude: Node | null;

  constructor(o: C14nOptions) {
    this.exclusive = o.exclusive ?? false;
    this.comments = o.comments ?? false;
    this.inclusivePrefixes = new Set((o.inclusivePrefixes ?? []).map((p) => (p === "#default" ? "" : p)));
    this.exclude = o.exclude ?? null;
  }

  document(doc: Document): void {
    let afterRoot = false;
    for (let child = doc.firstChild; child; child = child.nextSibling) {
      if (child === this.exclude) continue;
      if (child.nodeType === ELEMENT) {
        this.element(child as Element, EMPTY_NS, EMPTY_NS, []);
        afterRoot = true;
      } else if (child.nodeType === PI || (child.nodeType === COMMENT && this.comments)) {
        // xmldom keeps the XML declaration as a processing instruction; it is not part of the data model.
        if (child.nodeType === PI && (child as unknown as { target: string }).target.toLowerCase() === "xml")
          continue;
        if (afterRoot) this.out.push("\n");
        this.leaf(child);
        if (!afterRoot) this.out.push("\n");
      }
    }
  }

  apex(el: Element): void {
    // Namespaces in scope from the ancestors, nearest declaration winning.
    const ancestors: Element[] = [];
    for (let p = el.parentNode; p && p.nodeType === ELEMENT; p = p.parentNode) ancestors.push(p as Element);
    const inScope = new Map<string, string>();
    const inheritedXml: Attr[] = [];
    for (let i = ancestors.length - 1; i >= 0; i--) {
      const a = ancestors[i]!;
      for (let k = 0; k < a.attributes.length; k++) {
        const at = a.attributes.item(k)!;
        const prefix = nsDeclPrefix(at);
        if (prefix !== undefined) inScope.set(prefix, at.value);
      }
    }
    if (!this.exclusive) {
      // C14N 1.0 §2.4: the apex inherits its ancestors' xml:* attributes (nearest first).
      const seen = new Set<string>();
      for (let k = 0; k < el.attributes.length; k++) {
        const at = el.attributes.item(k)!;
        if (at.namespaceURI === XML_NS) seen.add(at.localName!);
      }
      for (const a of ancestors) {
        for (let k = 0; k < a.attributes.length; k++) {
          const at = a.attributes.item(k)!;
          if (at.namespaceURI === XML_NS && !seen.has(at.localName!)) {
            seen.add(at.localName!);
            inheritedXml.push(at);
          }
        }
      }
    }
    this.element(el, inScope, EMPTY_NS, inheritedXml);
  }

  private leaf(node: Node): void {
    if (node.nodeType === PI) {
      const pi = node as unknown as { target: string; data: string };
      this.out.push(pi.data ? `<?${pi.target} ${pi.data}?>` : `<?${pi.target}?>`);
    } else if (node.nodeType === COMMENT) {
      this.out.push(`<!--${(node as unknown as { data: string }).data}-->`);
    }
  }

  private element(el: Element, parentScope: NsMap, rendered: NsMap, extraAttrs: Attr[]): void {
    const out = this.out;
    // Own declarations and ordinary attributes.
    let scope = parentScope;
    const attrs: Attr[] = extraAttrs.length ? [...extraAttrs] : [];
    for (let k = 0; k < el.attributes.length; k++) {
      const at = el.attributes.item(k)!;
      const prefix = nsDeclPrefix(at);
      if (prefix !== undefined) {
        if (scope === parentScope) scope = new Map(parentScope);
        (scope as Map<string, string>).set(prefix, at.value);
      } else {
        attrs.push(at);
      }
    }
    // Namespace declarations to render.
    const decls: [string, string][] = [];
    if (this.exclusive) {
      const used = new Set<string>(this.inclusivePrefixes);
      used.add(el.prefix ?? "");
      for (const at of attrs) if (at.prefix && at.prefix !== "xml") used.add(at.prefix);
      for (const p of used) {
        const uri = scope.get(p);
        if (p === "") {
          const value = uri ?? "";
          if ((rendered.get("") ?? "") !== value) decls.push(["", value]);
        } else if (uri !== undefined && rendered.get(p) !== uri) {
          decls.push([p, uri]);
        }
      }
    } else {
      for (const [p, uri] of scope) {
        if (p === "xml") continue;
        if (p === "") {
          if ((rendered.get("") ?? "") !== uri) decls.push(["", uri]);
        } else if (rendered.get(p) !== uri) {
          decls.push([p, uri]);
        }
      }
    }
    let childRendered = rendered;
    if (decls.length) {
      decls.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
      childRendered = new Map(rendered);
      for (const [p, uri] of decls) (childRendered as Map<string, string>).set(p, uri);
    }
    if (attrs.length > 1) attrs.sort(compareAttrs);
    out.push("<", el.tagName);
    for (const [p, uri] of decls) out.push(p === "" ? ' xmlns="' : ` xmlns:${p}="`, escapeAttr(uri), '"');
    for (const at of attrs) out.push(" ", at.name, '="', escapeAttr(at.value), '"');
    out.push(">");
    for (let child = el.firstChild; child; child = child.nextSibling) {
      if (child === this.exclude) continue;
      const t = child.nodeType;
      if (t === ELEMENT) this.element(child as Element, scope, childRendered, []);
      else if (t === TEXT || t === CDATA) out.push(escapeText((child as unknown as { data: string }).data));
      else if (t === PI || (t === COMMENT && this.comments)) this.leaf(child);
    }
    out.push("</", el.tagName, ">");
  }
}

/** The prefix an attribute declares ("" for the default namespace), or undefined if it is not a declaration. */
function nsDeclPrefix(at: Attr): string | undefined {
  const name = at.name;
  if (name === "xmlns") return "";
  if (name.startsWith("xmlns:")) return name.slice(6);
  return undefined;
}

function compareAttrs(a: Attr, b: Attr): number {
  const na = a.namespaceURI ?? "";
  const nb = b.namespaceURI ?? "";
  if (na !== nb) return na < nb ? -1 : 1;
  const la = a.localName ?? a.name;
  const lb = b.localName ?? b.name;
  return la < lb ? -1 : la > lb ? 1 : 0;
}

const CRLF = /\r\n?/g;

/** XML 1.0 line-end handling only (xmldom's default also folds Unicode line separators, which XML 1.0 keeps). */
function normalizeLineEndings(s: string): string {
  return s.indexOf("\r") >= 0 ? s.replace(CRLF, "\n") : s;
}

export class XmlParseError extends Error {}

const DOCTYPE = /<!DOCTYPE/i;

/**
 * Parses XML with xmldom, strictly: any error, fatal error or DOCTYPE is refused (DTDs and entities are an
 * attack surface signature verification does not need).
 */
export function parseDom(xml: string): Document {
  if (DOCTYPE.test(xml)) throw new XmlParseError("a DOCTYPE declaration is not accepted");
  const parser = new DOMParser({
    normalizeLineEndings,
    locator: false,
    onError: (level, message) => {
      if (level !== "warning") throw new XmlParseError(message);
    },
  });
  try {
    return parser.parseFromString(xml, "text/xml");
  } catch (e) {
    if (e instanceof XmlParseError) throw e;
    throw new XmlParseError(e instanceof Error ? e.message : String(e));
  }
}
