/**
 * A one-pass index of an XML string for the fast signing and verification paths.
 *
 * It records every element's offsets (so a subtree can be taken as a substring) and every place where the text
 * is not already in Canonical XML 1.0 form, or where namespaces or constructs appear that the fast paths do not
 * reproduce (comments, processing instructions, CDATA, prefixes, namespace declarations). A subtree with no such
 * place inside it is byte-for-byte its own canonical form, apart from the namespace declarations it inherits,
 * which the caller adds on the apex. hddt's writer emits documents in that form, so they never need a DOM.
 *
 * The scan is strict: anything malformed, or anything it does not model (a DOCTYPE, an unbound prefix, a
 * duplicate attribute), makes it return `undefined`, and the caller falls back to the DOM path, which then
 * decides. The fast paths can therefore only ever accept documents the full path accepts.
 */

export interface IndexedElement {
  /** Qualified name as written. */
  readonly name: string;
  /** Offset of the `<` of the start tag. */
  readonly start: number;
  /** Offset just after the `>` of the start tag. */
  openEnd: number;
  /** Offset of the `<` of the end tag (equal to `openEnd` for an empty-element tag). */
  closeStart: number;
  /** Offset just after the element. */
  end: number;
  /** Index of the parent element, -1 for the root. */
  readonly parent: number;
  /** Attributes as [name, raw value, name, raw value, …] in document order (values not decoded). */
  readonly attrs: string[];
  selfClosing: boolean;
}

export interface XmlIndex {
  readonly source: string;
  /** Elements in document order; index 0 is the root. */
  readonly elements: IndexedElement[];
  /** Ascending offsets of constructs that are not canonical as written. */
  readonly dirty: number[];
  /** `Id` attribute value → element index (first occurrence). */
  readonly ids: Map<string, number>;
  /** `Id` values that occur more than once. */
  readonly duplicateIds: ReadonlySet<string>;
}

// Characters XML 1.0 does not allow anywhere.
const BAD_CHAR = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/;

const LT = 60;
const GT = 62;
const SLASH = 47;
const BANG = 33;
const QMARK = 63;
const EQ = 61;
const DQ = 34;
const SQ = 39;
const AMP = 38;
const SPACE = 32;
const TAB = 9;
const LF = 10;
const CR = 13;
const COLON = 58;

function isSpace(c: number): boolean {
  return c === SPACE || c === LF || c === TAB || c === CR;
}

function isNameStart(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === 95 || c === COLON || c >= 0x80;
}

function isNameChar(c: number): boolean {
  return (
    (c >= 97 && c <= 122) ||
    (c >= 65 && c <= 90) ||
    (c >= 48 && c <= 57) ||
    c === 45 ||
    c === 46 ||
    c === 95 ||
    c === COLON ||
    c >= 0x80
  );
}

function isXmlChar(cp: number): boolean {
  return (
    cp === 0x9 ||
    cp === 0xa ||
    cp === 0xd ||
    (cp >= 0x20 && cp <= 0xd7ff) ||
    (cp >= 0xe000 && cp <= 0xfffd) ||
    (cp >= 0x10000 && cp <= 0x10ffff)
  );
}

/** Kinds of entity or character reference, for the canonical checks. */
enum Ref {
  Invalid = 0,
  Amp = 1,
  Lt = 2,
  Gt = 3,
  Quot = 4,
  Apos = 5,
  /** `&#xD;`, exactly as canonical XML writes it. */
  CanonCR = 6,
  /** `&#x9;` and `&#xA;`, exactly as canonical XML writes them in attributes. */
  CanonTabLf = 7,
  /** Any other valid character reference. */
  Char = 8,
}

/** Classifies the reference at `amp` (the `&`); returns the kind and, via `refEnd`, the offset after `;`. */
let refEnd = 0;
function readRef(s: string, amp: number): Ref {
  const semi = s.indexOf(";", amp + 1);
  if (semi < 0 || semi - amp > 12) return Ref.Invalid;
  refEnd = semi + 1;
  const body = s.slice(amp + 1, semi);
  switch (body) {
    case "amp":
      return Ref.Amp;
    case "lt":
      return Ref.Lt;
    case "gt":
      return Ref.Gt;
    case "quot":
      return Ref.Quot;
    case "apos":
      return Ref.Apos;
    case "#xD":
      return Ref.CanonCR;
    case "#x9":
    case "#xA":
      return Ref.CanonTabLf;
  }
  if (body.charCodeAt(0) !== 35) return Ref.Invalid;
  const hex = body.charCodeAt(1) === 120;
  const digits = body.slice(hex ? 2 : 1);
  if (digits.length === 0 || !(hex ? HEX_DIGITS : DEC_DIGITS).test(digits)) return Ref.Invalid;
  const cp = Number.parseInt(digits, hex ? 16 : 10);
  return isXmlChar(cp) ? Ref.Char : Ref.Invalid;
}

const XMLNS_PREFIX = "xmlns:";
const NO_ATTRS: string[] = [];
const NO_IDS: ReadonlySet<string> = new Set();
const HEX_DIGITS = /^[0-9a-fA-F]+$/;
const DEC_DIGITS = /^[0-9]+$/;
const ATTR_WS_TEST = /[\t\n\r]/;
const NEEDS_ESCAPE = /[&<"\t\n\r]/;
const CRLF = /\r\n?/g;

/**
 * Indexes `s`. Returns undefined when the document is malformed or uses something the index does not model;
 * callers then use the DOM path.
 */
export function indexXml(s: string, opaque?: OpaqueRegion): XmlIndex | undefined {
  const skipAt = opaque ? opaque.start : -1;
  if (opaque) {
    if (BAD_CHAR.test(s.slice(0, opaque.start)) || BAD_CHAR.test(s.slice(opaque.end))) return undefined;
  } else if (BAD_CHAR.test(s)) {
    return undefined;
  }
  const n = s.length;
  const elements: IndexedElement[] = [];
  const dirty: number[] = [];
  const ids = new Map<string, number>();
  let duplicateIds: Set<string> | undefined;
  const stack: number[] = [];
  // Declared namespace prefixes in scope, with how many each open element declared (only when used).
  const prefixes: string[] = [];
  const declaredCounts: number[] = [];
  let pos = s.charCodeAt(0) === 0xfeff ? 1 : 0;
  let rootDone = false;
  let nextAmp = -1;
  let nextGt = -1;
  let nextCr = -1;

  // Prolog, root, epilogue.
  for (;;) {
    // Text or whitespace up to the next '<'.
    const lt = s.indexOf("<", pos);
    const textEnd = lt < 0 ? n : lt;
    if (stack.length === 0) {
      for (let i = pos; i < textEnd; i++) if (!isSpace(s.charCodeAt(i))) return undefined;
    } else if (textEnd > pos) {
      // Character data: only '&', '>' and CR matter; find them with indexOf cursors that only move forward.
      if (nextAmp < pos) nextAmp = at(s.indexOf("&", pos));
      if (nextGt < pos) nextGt = at(s.indexOf(">", pos));
      if (nextCr < pos) nextCr = at(s.indexOf("\r", pos));
      if (nextAmp < textEnd || nextGt < textEnd || nextCr < textEnd) {
        if (!checkText(s, pos, textEnd, dirty)) return undefined;
      }
    }
    if (lt < 0) break;
    pos = lt;
    const c1 = s.charCodeAt(pos + 1);
    if (c1 === SLASH) {
      // End tag.
      const top = stack.pop();
      if (top === undefined) return undefined;
      const el = elements[top]!;
      const nameEnd = pos + 2 + el.name.length;
      if (!s.startsWith(el.name, pos + 2)) return undefined;
      let p = nameEnd;
      if (s.charCodeAt(p) !== GT) {
        if (isNameChar(s.charCodeAt(p))) return undefined;
        while (p < n && isSpace(s.charCodeAt(p))) p++;
        if (s.charCodeAt(p) !== GT) return undefined;
        dirty.push(pos);
      }
      el.closeStart = pos;
      el.end = p + 1;
      pos = p + 1;
      if (declaredCounts.length > 0) popPrefixes(prefixes, declaredCounts, stack.length);
      if (stack.length === 0) rootDone = true;
      continue;
    }
    if (c1 === BANG) {
      if (s.startsWith("<!--", pos)) {
        const end = s.indexOf("-->", pos + 4);
        if (end < 0) return undefined;
        if (s.slice(pos + 4, end).includes("--")) return undefined;
        if (stack.length > 0) dirty.push(pos);
        pos = end + 3;
        continue;
      }
      if (stack.length > 0 && s.startsWith("<![CDATA[", pos)) {
        const end = s.indexOf("]]>", pos + 9);
        if (end < 0) return undefined;
        dirty.push(pos);
        pos = end + 3;
        continue;
      }
      return undefined; // DOCTYPE or other declarations: not handled here
    }
    if (c1 === QMARK) {
      const end = s.indexOf("?>", pos + 2);
      if (end < 0) return undefined;
      let t = pos + 2;
      if (!isNameStart(s.charCodeAt(t))) return undefined;
      while (t < end && isNameChar(s.charCodeAt(t))) t++;
      const target = s.slice(pos + 2, t).toLowerCase();
      if (target === "xml" && pos !== (s.charCodeAt(0) === 0xfeff ? 1 : 0)) return undefined;
      if (stack.length > 0) dirty.push(pos);
      pos = end + 2;
      continue;
    }
    // Start tag.
    if (rootDone) return undefined;
    const start = pos;
    let p = pos + 1;
    let c0 = s.charCodeAt(p);
    if (!isNameStart(c0)) return undefined;
    let colon = c0 === COLON;
    for (p++; p < n; p++) {
      c0 = s.charCodeAt(p);
      if (!isNameChar(c0)) break;
      if (c0 === COLON) colon = true;
    }
    const name = s.slice(start + 1, p);
    if (c0 === GT && !colon && declaredCounts.length === 0 && start !== skipAt) {
      // The common case: `<Name>`, canonical, no attributes.
      const index = elements.length;
      elements.push({
        name,
        start,
        openEnd: p + 1,
        closeStart: p + 1,
        end: p + 1,
        parent: stack.length > 0 ? stack[stack.length - 1]! : -1,
        attrs: NO_ATTRS,
        selfClosing: false,
      });
      stack.push(index);
      pos = p + 1;
      continue;
    }
    let clean = !colon;
    const attrs: string[] = [];
    let selfClosing = false;
    let prevAttr = "";
    let declared = 0;
    for (;;) {
      const wsStart = p;
      while (p < n && isSpace(s.charCodeAt(p))) p++;
      const c = s.charCodeAt(p);
      if (c === GT) {
        if (p !== wsStart) clean = false;
        p++;
        break;
      }
      if (c === SLASH) {
        if (s.charCodeAt(p + 1) !== GT) return undefined;
        selfClosing = true;
        clean = false;
        p += 2;
        break;
      }
      if (p === wsStart || p >= n) return undefined; // no whitespace before the attribute, or unterminated
      if (p - wsStart !== 1 || s.charCodeAt(wsStart) !== SPACE) clean = false;
      const an = p;
      if (!isNameStart(s.charCodeAt(p))) return undefined;
      while (p < n && isNameChar(s.charCodeAt(p))) p++;
      const attrName = s.slice(an, p);
      let q = p;
      while (q < n && isSpace(s.charCodeAt(q))) q++;
      if (s.charCodeAt(q) !== EQ) return undefined;
      q++;
      while (q < n && isSpace(s.charCodeAt(q))) q++;
      if (q !== p + 1) clean = false;
      const quote = s.charCodeAt(q);
      if (quote !== DQ && quote !== SQ) return undefined;
      if (quote === SQ) clean = false;
      const vEnd = s.indexOf(quote === DQ ? '"' : "'", q + 1);
      if (vEnd < 0) return undefined;
      const verdict = checkAttrValue(s, q + 1, vEnd);
      if (verdict < 0) return undefined;
      if (verdict === 0) clean = false;
      const value = s.slice(q + 1, vEnd);
      for (let i = 0; i < attrs.length; i += 2) if (attrs[i] === attrName) return undefined;
      // Canonical order for unprefixed attributes is by name; anything with a colon is handled by the DOM path.
      if (attrName.indexOf(":") >= 0 || attrName === "xmlns") {
        clean = false;
        if (attrName === "xmlns" || attrName.startsWith(XMLNS_PREFIX)) {
          if (attrName !== "xmlns") {
            if (value.length === 0) return undefined;
            prefixes.push(attrName.slice(XMLNS_PREFIX.length));
            declared++;
          }
        }
      } else {
        if (attrName <= prevAttr || !isAscii(attrName)) clean = false;
        prevAttr = attrName;
      }
      attrs.push(attrName, value);
      p = vEnd + 1;
    }
    if (declared > 0 || declaredCounts.length > 0) {
      while (declaredCounts.length < stack.length) declaredCounts.push(0);
      declaredCounts.push(declared);
    }
    // Every prefix used must be bound.
    if (!clean) {
      if (!prefixBound(name, prefixes)) return undefined;
      for (let i = 0; i < attrs.length; i += 2) {
        const an = attrs[i]!;
        if (an === "xmlns" || an.startsWith(XMLNS_PREFIX) || an.startsWith("xml:")) continue;
        if (!prefixBound(an, prefixes)) return undefined;
      }
      dirty.push(start);
    }
    const index = elements.length;
    const el: IndexedElement = {
      name,
      start,
      openEnd: p,
      closeStart: p,
      end: p,
      parent: stack.length > 0 ? stack[stack.length - 1]! : -1,
      attrs,
      selfClosing,
    };
    elements.push(el);
    for (let i = 0; i < attrs.length; i += 2) {
      if (attrs[i] === "Id") {
        const id = decodeAttr(attrs[i + 1]!);
        if (ids.has(id)) {
          duplicateIds ??= new Set();
          duplicateIds.add(id);
        } else {
          ids.set(id, index);
        }
      }
    }
    if (start === skipAt && opaque && !selfClosing && p === opaque.openEnd) {
      // Already checked by the caller (canonicalRegion): record it whole, without its content.
      el.closeStart = opaque.closeStart;
      el.end = opaque.end;
      pos = opaque.end;
      if (declaredCounts.length > 0) popPrefixes(prefixes, declaredCounts, stack.length);
      if (stack.length === 0) rootDone = true;
      continue;
    }
    if (selfClosing) {
      if (declaredCounts.length > 0) popPrefixes(prefixes, declaredCounts, stack.length);
      if (stack.length === 0) rootDone = true;
    } else {
      stack.push(index);
    }
    pos = p;
  }
  if (stack.length > 0 || !rootDone) return undefined;
  return { source: s, elements, dirty, ids, duplicateIds: duplicateIds ?? NO_IDS };
}

/**
 * An element the caller has already verified with `canonicalRegion` (well-formed enough and canonical): the
 * index records it with these offsets and skips its content, whose elements are then not indexed.
 */
export interface OpaqueRegion {
  readonly start: number;
  readonly openEnd: number;
  readonly closeStart: number;
  readonly end: number;
}

// A region is canonical when every '<' starts a plain tag (no prefix, no xmlns or Id, at most one attribute whose
// value uses only canonical references) followed by character data that is canonical (no '>', CR or
// non-canonical reference) up to the next '<'. The pattern finds the first '<' where that fails; it also stops
// at the region element's own start or end tag. Characters XML does not allow fail too.
const CTL = "\\u0000-\\u0008\\u000B\\u000C\\u000E-\\u001F\\uFFFE\\uFFFF";
const CANON_TEXT = `(?:[^<>&\\r${CTL}]|&(?:amp|lt|gt|#xD);)*`;
const CANON_ATTR_VALUE = `(?:[^"<&\\t\\n\\r${CTL}]|&(?:amp|lt|quot|#x9|#xA|#xD);)*`;
const CANON_TAG = `(?:\\/[A-Za-z_][\\w.-]*|[A-Za-z_][\\w.-]*(?: (?!xmlns=|Id=)[A-Za-z_][\\w.-]*="${CANON_ATTR_VALUE}")?)>`;
const regionPatterns = new Map<string, RegExp>();

function regionPattern(name: string): RegExp {
  let re = regionPatterns.get(name);
  if (!re) {
    re = new RegExp(`<\\/?${name.replace(/\./g, "\\.")}(?=[\\s>/])|<(?!${CANON_TAG}${CANON_TEXT}<)`, "g");
    if (regionPatterns.size > 100) regionPatterns.clear();
    regionPatterns.set(name, re);
  }
  return re;
}

const ID_VALUE = /^[^"<&\t\n\r]+$/;

/**
 * Finds the element carrying `Id="<id>"` as its only attribute by string search, and checks with one regular
 * expression pass that its text is in canonical form and that no element of the same name is nested in it.
 * Cheaper than indexing the element's content; `undefined` when the Id is not found exactly once, or anything
 * is unusual (the caller then indexes everything). Well-formedness inside is not checked: a malformed element
 * gives a signature no verifier accepts, never a wrong acceptance. With `trusted`, the caller vouches that the
 * element is written in canonical form (hddt's writer output), and only its end is looked for.
 */
export function canonicalRegion(s: string, id: string, trusted = false): OpaqueRegion | undefined {
  if (!ID_VALUE.test(id)) return undefined;
  const attrText = ` Id="${id}"`;
  const p = s.indexOf(attrText);
  // (Another element with this Id inside the region fails the pattern, which refuses Id attributes; one
  // outside it is seen by the index of the rest of the document.)
  if (p < 0 || s.charCodeAt(p + attrText.length) !== GT) return undefined;
  const start = s.lastIndexOf("<", p);
  if (start < 0) return undefined;
  const name = s.slice(start + 1, p);
  if (!ELEMENT_NAME.test(name)) return undefined;
  const openEnd = p + attrText.length + 1;
  // Character data right after the start tag is not covered by the pattern (it checks text after tags).
  if (s.charCodeAt(openEnd) !== LT) return undefined;
  if (trusted) {
    // The caller vouches for the element (hddt's writer output: canonical, and the format never nests an
    // element in one of the same name): only find its end tag.
    const closeTag = `</${name}>`;
    const closeStart = s.indexOf(closeTag, openEnd);
    if (closeStart < 0) return undefined;
    return { start, openEnd, closeStart, end: closeStart + closeTag.length };
  }
  const re = regionPattern(name);
  re.lastIndex = openEnd;
  const m = re.exec(s);
  if (!m || m[0] !== `</${name}` || s.charCodeAt(m.index + name.length + 2) !== GT) return undefined;
  const closeStart = m.index;
  return { start, openEnd, closeStart, end: closeStart + name.length + 3 };
}

const ELEMENT_NAME = /^[A-Za-z_][\w.-]*$/;

/** indexOf result as a cursor: "not found" becomes +Infinity. */
function at(i: number): number {
  return i < 0 ? Number.POSITIVE_INFINITY : i;
}

function isAscii(name: string): boolean {
  for (let i = 0; i < name.length; i++) if (name.charCodeAt(i) >= 0x80) return false;
  return true;
}

function prefixBound(qname: string, prefixes: string[]): boolean {
  const colon = qname.indexOf(":");
  if (colon < 0) return true;
  if (colon === 0 || colon === qname.length - 1 || qname.indexOf(":", colon + 1) >= 0) return false;
  const prefix = qname.slice(0, colon);
  if (prefix === "xml") return true;
  return prefixes.includes(prefix);
}

function popPrefixes(prefixes: string[], counts: number[], depth: number): void {
  // `counts` has one entry per open element since the first declaration; drop those deeper than `depth`.
  while (counts.length > depth) {
    const k = counts.pop()!;
    prefixes.length -= k;
  }
}

/** Checks character data; pushes a dirty mark when it is not canonical. False when malformed. */
function checkText(s: string, from: number, to: number, dirty: number[]): boolean {
  let clean = true;
  for (let i = from; i < to; i++) {
    const c = s.charCodeAt(i);
    if (c === AMP) {
      const r = readRef(s, i);
      if (r === Ref.Invalid || refEnd > to) return false;
      if (r !== Ref.Amp && r !== Ref.Lt && r !== Ref.Gt && r !== Ref.CanonCR) clean = false;
      i = refEnd - 1;
    } else if (c === GT) {
      if (i >= from + 2 && s.charCodeAt(i - 1) === 93 && s.charCodeAt(i - 2) === 93) return false;
      clean = false;
    } else if (c === CR) {
      clean = false;
    }
  }
  if (!clean) dirty.push(from);
  return true;
}

/** 1 canonical, 0 well-formed but not canonical, -1 malformed. */
function checkAttrValue(s: string, from: number, to: number): number {
  let verdict = 1;
  for (let i = from; i < to; i++) {
    const c = s.charCodeAt(i);
    if (c === AMP) {
      const r = readRef(s, i);
      if (r === Ref.Invalid || refEnd > to) return -1;
      if (r !== Ref.Amp && r !== Ref.Lt && r !== Ref.Quot && r !== Ref.CanonCR && r !== Ref.CanonTabLf) {
        verdict = 0;
      }
      i = refEnd - 1;
    } else if (c === LT) {
      return -1;
    } else if (c === TAB || c === LF || c === CR) {
      verdict = 0;
    }
  }
  return verdict;
}

const ENTITY = /&(#x[0-9a-fA-F]+|#[0-9]+|amp|lt|gt|quot|apos);/g;
const ATTR_WS = /[\t\n\r]/g;

function decodeEntity(_all: string, body: string): string {
  switch (body) {
    case "amp":
      return "&";
    case "lt":
      return "<";
    case "gt":
      return ">";
    case "quot":
      return '"';
    case "apos":
      return "'";
  }
  const cp =
    body.charCodeAt(1) === 120 ? Number.parseInt(body.slice(2), 16) : Number.parseInt(body.slice(1), 10);
  return String.fromCodePoint(cp);
}

/** Decodes a raw attribute value (whitespace normalisation, then references). */
export function decodeAttr(raw: string): string {
  if (raw.indexOf("&") < 0 && !ATTR_WS_TEST.test(raw)) return raw;
  return raw.replace(ATTR_WS, " ").replace(ENTITY, decodeEntity);
}

/** Decodes raw character data (line-end normalisation, then references). */
export function decodeText(raw: string): string {
  let t = raw;
  if (t.indexOf("\r") >= 0) t = t.replace(CRLF, "\n");
  if (t.indexOf("&") >= 0) t = t.replace(ENTITY, decodeEntity);
  return t;
}

/** True when no dirty mark falls in [from, to). */
export function isClean(index: XmlIndex, from: number, to: number): boolean {
  const d = index.dirty;
  let lo = 0;
  let hi = d.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (d[mid]! < from) lo = mid + 1;
    else hi = mid;
  }
  return lo >= d.length || d[lo]! >= to;
}

/** Raw value of attribute `name` on element `el`, or undefined. */
export function rawAttr(el: IndexedElement, name: string): string | undefined {
  const a = el.attrs;
  for (let i = 0; i < a.length; i += 2) if (a[i] === name) return a[i + 1];
  return undefined;
}

/** Decoded value of attribute `name`, or undefined. */
export function attr(el: IndexedElement, name: string): string | undefined {
  const raw = rawAttr(el, name);
  return raw === undefined ? undefined : decodeAttr(raw);
}

/** Element children of element `i`, in order. Linear in the size of the subtree. */
export function childrenOf(index: XmlIndex, i: number): number[] {
  const out: number[] = [];
  const els = index.elements;
  const parentEnd = els[i]!.end;
  for (let j = i + 1; j < els.length && els[j]!.start < parentEnd; j++) {
    if (els[j]!.parent === i) out.push(j);
  }
  return out;
}

/** First child of `i` named `name`, or -1. */
export function childNamed(index: XmlIndex, i: number, name: string): number {
  const els = index.elements;
  const parentEnd = els[i]!.end;
  for (let j = i + 1; j < els.length && els[j]!.start < parentEnd; j++) {
    const e = els[j]!;
    if (e.parent === i && e.name === name) return j;
  }
  return -1;
}

/** Decoded text directly inside a leaf element (undefined when it has child elements or is not clean). */
export function leafText(index: XmlIndex, i: number): string {
  const el = index.elements[i]!;
  return decodeText(index.source.slice(el.openEnd, el.closeStart));
}

/**
 * The namespace declarations element `i` inherits from its ancestors, rendered as canonical XML puts them on
 * a subtree's apex (sorted by prefix, default first, `xmlns=""` dropped). Undefined when an ancestor carries
 * something the fast path does not reproduce (an `xml:*` attribute, which C14N 1.0 also inherits, or a value
 * that needs escaping).
 */
export function inheritedNamespaces(index: XmlIndex, i: number): string | undefined {
  const els = index.elements;
  // Common case first: no ancestor has an attribute starting with "x" (xmlns…, xml:…).
  let any = false;
  for (let q = els[i]!.parent; q >= 0 && !any; q = els[q]!.parent) {
    const a = els[q]!.attrs;
    for (let k = 0; k < a.length; k += 2) if (a[k]!.charCodeAt(0) === 120) any = true;
  }
  if (!any) return "";
  let p = els[i]!.parent;
  let decls: Map<string, string> | undefined;
  while (p >= 0) {
    const a = els[p]!.attrs;
    for (let k = 0; k < a.length; k += 2) {
      const name = a[k]!;
      if (name.charCodeAt(0) !== 120) continue; // 'x'
      if (name.startsWith("xml:")) return undefined;
      if (name === "xmlns" || name.startsWith(XMLNS_PREFIX)) {
        decls ??= new Map();
        const prefix = name === "xmlns" ? "" : name.slice(XMLNS_PREFIX.length);
        if (!decls.has(prefix)) decls.set(prefix, a[k + 1]!);
      }
    }
    p = els[p]!.parent;
  }
  if (!decls) return "";
  const prefixes = [...decls.keys()].sort();
  let out = "";
  for (const prefix of prefixes) {
    const value = decls.get(prefix)!;
    if (prefix === "" && value === "") continue;
    if (NEEDS_ESCAPE.test(value)) return undefined;
    out += prefix === "" ? ` xmlns="${value}"` : ` xmlns:${prefix}="${value}"`;
  }
  return out;
}

/** Path of element `i` from the root, as "/HDon/DSCKS/NBan". */
export function pathOf(index: XmlIndex, i: number): string {
  const names: string[] = [];
  for (let p = i; p >= 0; p = index.elements[p]!.parent) names.push(index.elements[p]!.name);
  return `/${names.reverse().join("/")}`;
}
