/**
 * A small, strict XML reader and a canonical writer for the tax authority's formats.
 *
 * Reader: no DTD (a DOCTYPE is refused), only the five predefined entities and character references (any
 * other entity is refused), a size limit (2 MB, the format's message limit, QĐ 1271), a nesting limit, UTF-8
 * only (invalid bytes are refused, never replaced). It keeps each element's offsets in the source so that a
 * subtree can be taken byte-exact (signatures are checked on the original text). Namespace prefixes are kept
 * in names ("ds:Signature"); business elements of the format carry no namespace.
 *
 * Writer: emits Canonical XML 1.0 form directly: no XML declaration, `<a></a>` for empty elements,
 * attributes sorted, C14N escaping, text in Unicode NFC, nothing between tags. Documents hddt writes are
 * therefore already canonical, and the signer can hash a subtree's text as it is.
 */
import { defineCodes, makeProblem, type Problem, type Result } from "../domain/problem.ts";

export const xmlCodes = defineCodes({
  XML_TOO_LARGE: {
    vi: "Tài liệu XML vượt quá kích thước cho phép ({limit} byte)",
    en: "The XML document is larger than allowed ({limit} bytes)",
  },
  XML_BAD_UTF8: {
    vi: "Tài liệu không phải UTF-8 hợp lệ",
    en: "The document is not valid UTF-8",
  },
  XML_BAD_CHAR: {
    vi: "Tài liệu chứa ký tự không được phép trong XML (mã {char}) tại vị trí {offset}",
    en: "The document contains a character XML does not allow (code {char}) at offset {offset}",
  },
  XML_DOCTYPE: {
    vi: "Không chấp nhận khai báo DOCTYPE trong tài liệu",
    en: "A DOCTYPE declaration is not accepted",
  },
  XML_ENTITY: {
    vi: "Thực thể XML không được hỗ trợ: &{name};",
    en: "Unsupported XML entity: &{name};",
  },
  XML_TOO_DEEP: {
    vi: "Tài liệu lồng nhau quá sâu (tối đa {limit} cấp)",
    en: "The document is nested too deeply (at most {limit} levels)",
  },
  XML_MALFORMED: {
    vi: "XML không đúng cú pháp tại dòng {line}, cột {column}: {reason}",
    en: "Malformed XML at line {line}, column {column}: {reason}",
  },
  XML_EMPTY: {
    vi: "Tài liệu rỗng",
    en: "The document is empty",
  },
});

export interface XmlElement {
  /** Qualified name as written ("HDon", "ds:Signature"). */
  readonly name: string;
  /** Attributes in document order, as [qualified name, decoded value]. */
  readonly attrs: ReadonlyArray<readonly [string, string]>;
  readonly children: XmlElement[];
  /** Decoded character data directly inside this element (text of all its text nodes, joined). */
  text: string;
  /** Offset of `<` of the start tag in the source string. */
  readonly start: number;
  /** Offset just after the `>` of the end tag (or of the empty-element tag). */
  end: number;
}

export interface ParsedXml {
  readonly root: XmlElement;
  /** The decoded source text; `source.slice(el.start, el.end)` is an element exactly as written. */
  readonly source: string;
  /** Processing instructions before the root, e.g. `xml-stylesheet` (kept for information). */
  readonly instructions: string[];
}

export interface XmlLimits {
  /** Maximum size in bytes (UTF-8). Default 2 MB, the format's message limit. */
  maxBytes: number;
  /** Maximum element nesting. The deepest real structure (TDiep/DLieu/HDon/…/Signature/…) is under 20. */
  maxDepth: number;
}

export const DEFAULT_LIMITS: XmlLimits = { maxBytes: 2 * 1024 * 1024, maxDepth: 40 };

const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false });
const utf8Encoder = new TextEncoder();
// Characters XML 1.0 does not allow anywhere (C0 controls other than TAB, LF, CR; U+FFFE, U+FFFF).
const BAD_CHAR = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/;

class XmlSyntaxError {
  constructor(readonly problem: Problem) {}
}

/** UTF-8 length of a string without allocating (for the size limit on string input). */
export function utf8Length(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdbff) {
      n += 4;
      i++;
    } else n += 3;
  }
  return n;
}

/** Reads an XML document. Never throws for bad input: the result carries the problem. */
export function parseXml(input: string | Uint8Array, limits: Partial<XmlLimits> = {}): Result<ParsedXml> {
  const lim = { ...DEFAULT_LIMITS, ...limits };
  let source: string;
  if (typeof input === "string") {
    if (
      input.length > lim.maxBytes ||
      (input.length * 3 > lim.maxBytes && utf8Length(input) > lim.maxBytes)
    ) {
      return fail1(makeProblem(xmlCodes, "XML_TOO_LARGE", "/", { limit: String(lim.maxBytes) }));
    }
    source = input.charCodeAt(0) === 0xfeff ? input.slice(1) : input;
  } else {
    if (input.byteLength > lim.maxBytes) {
      return fail1(makeProblem(xmlCodes, "XML_TOO_LARGE", "/", { limit: String(lim.maxBytes) }));
    }
    try {
      source = utf8.decode(input);
    } catch {
      return fail1(makeProblem(xmlCodes, "XML_BAD_UTF8", "/"));
    }
  }
  const bad = BAD_CHAR.exec(source);
  if (bad) {
    return fail1(
      makeProblem(xmlCodes, "XML_BAD_CHAR", "/", {
        char: `U+${bad[0].charCodeAt(0).toString(16).toUpperCase().padStart(4, "0")}`,
        offset: String(bad.index),
      }),
    );
  }
  try {
    return { ok: true, value: new Reader(source, lim.maxDepth).document() };
  } catch (e) {
    if (e instanceof XmlSyntaxError) return fail1(e.problem);
    throw e;
  }
}

function fail1(p: Problem): Result<ParsedXml> {
  return { ok: false, problems: [p] };
}

enum Ch {
  LT = 60,
  GT = 62,
  SLASH = 47,
  QMARK = 63,
  BANG = 33,
  EQ = 61,
  DQ = 34,
  SQ = 39,
  AMP = 38,
  SPACE = 32,
  TAB = 9,
  LF = 10,
  CR = 13,
}

function isSpace(c: number): boolean {
  return c === Ch.SPACE || c === Ch.LF || c === Ch.TAB || c === Ch.CR;
}

function isNameChar(c: number): boolean {
  // Letters, digits, '-', '.', ':', '_' and anything non-ASCII.
  return (
    (c >= 97 && c <= 122) ||
    (c >= 65 && c <= 90) ||
    (c >= 48 && c <= 57) ||
    c === 45 ||
    c === 46 ||
    c === 58 ||
    c === 95 ||
    c >= 0x80
  );
}

function isNameStart(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === 58 || c === 95 || c >= 0x80;
}

class Reader {
  private pos = 0;
  private readonly stack: XmlElement[] = [];
  private readonly textParts: string[][] = [];

  constructor(
    private readonly s: string,
    private readonly maxDepth: number,
  ) {}

  private error(reason: string, at = this.pos): never {
    let line = 1;
    let lineStart = 0;
    for (let i = 0; i < at && i < this.s.length; i++) {
      if (this.s.charCodeAt(i) === Ch.LF) {
        line++;
        lineStart = i + 1;
      }
    }
    throw new XmlSyntaxError(
      makeProblem(xmlCodes, "XML_MALFORMED", this.path(), {
        line: String(line),
        column: String(at - lineStart + 1),
        reason,
      }),
    );
  }

  private path(): string {
    return this.stack.length === 0 ? "/" : `/${this.stack.map((e) => e.name).join("/")}`;
  }

  document(): ParsedXml {
    const s = this.s;
    const instructions: string[] = [];
    let root: XmlElement | undefined;
    // Prolog and epilogue: declarations, PIs, comments, whitespace; exactly one root element.
    while (this.pos < s.length) {
      const c = s.charCodeAt(this.pos);
      if (isSpace(c)) {
        this.pos++;
        continue;
      }
      if (c !== Ch.LT) this.error("text outside the root element");
      const n = s.charCodeAt(this.pos + 1);
      if (n === Ch.QMARK) {
        const pi = this.instruction();
        if (!pi.startsWith("xml ") && pi !== "xml") instructions.push(pi);
      } else if (n === Ch.BANG) {
        if (s.startsWith("<!--", this.pos)) this.comment();
        else if (s.startsWith("<!DOCTYPE", this.pos)) {
          throw new XmlSyntaxError(makeProblem(xmlCodes, "XML_DOCTYPE", "/"));
        } else this.error("unexpected markup declaration");
      } else {
        if (root) this.error("more than one root element");
        root = this.element();
      }
    }
    if (!root) throw new XmlSyntaxError(makeProblem(xmlCodes, "XML_EMPTY", "/"));
    return { root, source: s, instructions };
  }

  private instruction(): string {
    const end = this.s.indexOf("?>", this.pos + 2);
    if (end < 0) this.error("unterminated processing instruction");
    const body = this.s.slice(this.pos + 2, end);
    this.pos = end + 2;
    return body;
  }

  private comment(): void {
    const end = this.s.indexOf("-->", this.pos + 4);
    if (end < 0) this.error("unterminated comment");
    this.pos = end + 3;
  }

  private name(): string {
    const s = this.s;
    const start = this.pos;
    if (!isNameStart(s.charCodeAt(start))) this.error("expected a name");
    let i = start + 1;
    while (i < s.length && isNameChar(s.charCodeAt(i))) i++;
    this.pos = i;
    return s.slice(start, i);
  }

  private skipSpace(): void {
    const s = this.s;
    while (this.pos < s.length && isSpace(s.charCodeAt(this.pos))) this.pos++;
  }

  /** Reads one element and everything inside it, iteratively (no recursion, so depth is only a limit). */
  private element(): XmlElement {
    const s = this.s;
    let root: XmlElement | undefined;
    for (;;) {
      // At '<' of a start tag.
      const start = this.pos;
      this.pos++;
      const el: XmlElement = { name: this.name(), attrs: [], children: [], text: "", start, end: -1 };
      const parent = this.stack[this.stack.length - 1];
      if (parent) parent.children.push(el);
      else root = el;
      const selfClosed = this.attributes(el.attrs as [string, string][]);
      if (selfClosed) {
        el.end = this.pos;
        if (!parent) return el;
      } else {
        if (this.stack.length >= this.maxDepth) {
          throw new XmlSyntaxError(
            makeProblem(xmlCodes, "XML_TOO_DEEP", this.path(), { limit: String(this.maxDepth) }),
          );
        }
        this.stack.push(el);
        this.textParts.push([]);
      }
      // Content until the next start tag (loop) or until the stack empties.
      for (;;) {
        const top = this.stack[this.stack.length - 1];
        if (!top) return root!;
        const lt = s.indexOf("<", this.pos);
        if (lt < 0) this.error(`element <${top.name}> is not closed`);
        if (lt > this.pos) this.text(this.pos, lt);
        this.pos = lt;
        const n = s.charCodeAt(lt + 1);
        if (n === Ch.SLASH) {
          this.pos = lt + 2;
          const name = this.name();
          if (name !== top.name) this.error(`</${name}> closes <${top.name}>`, lt);
          this.skipSpace();
          if (s.charCodeAt(this.pos) !== Ch.GT) this.error("expected '>'");
          this.pos++;
          top.end = this.pos;
          const parts = this.textParts.pop()!;
          top.text = parts.length === 1 ? parts[0]! : parts.join("");
          this.stack.pop();
          if (this.stack.length === 0) return root!;
        } else if (n === Ch.BANG) {
          if (s.startsWith("<!--", lt)) this.comment();
          else if (s.startsWith("<![CDATA[", lt)) {
            const end = s.indexOf("]]>", lt + 9);
            if (end < 0) this.error("unterminated CDATA section");
            this.textParts[this.textParts.length - 1]!.push(s.slice(lt + 9, end));
            this.pos = end + 3;
          } else if (s.startsWith("<!DOCTYPE", lt)) {
            throw new XmlSyntaxError(makeProblem(xmlCodes, "XML_DOCTYPE", this.path()));
          } else this.error("unexpected markup declaration");
        } else if (n === Ch.QMARK) {
          this.instruction();
        } else {
          break; // a child start tag
        }
      }
    }
  }

  /** Reads attributes up to the end of the start tag. Returns true for an empty-element tag. */
  private attributes(out: [string, string][]): boolean {
    const s = this.s;
    for (;;) {
      const before = this.pos;
      this.skipSpace();
      const c = s.charCodeAt(this.pos);
      if (c === Ch.GT) {
        this.pos++;
        return false;
      }
      if (c === Ch.SLASH) {
        if (s.charCodeAt(this.pos + 1) !== Ch.GT) this.error("expected '/>'");
        this.pos += 2;
        return true;
      }
      if (Number.isNaN(c)) this.error("unterminated start tag");
      if (this.pos === before) this.error("expected whitespace before an attribute");
      const name = this.name();
      this.skipSpace();
      if (s.charCodeAt(this.pos) !== Ch.EQ) this.error(`attribute ${name} has no value`);
      this.pos++;
      this.skipSpace();
      const q = s.charCodeAt(this.pos);
      if (q !== Ch.DQ && q !== Ch.SQ) this.error(`attribute ${name} value is not quoted`);
      const end = s.indexOf(q === Ch.DQ ? '"' : "'", this.pos + 1);
      if (end < 0) this.error(`attribute ${name} value is not closed`);
      const raw = s.slice(this.pos + 1, end);
      if (raw.includes("<")) this.error(`'<' in the value of attribute ${name}`);
      for (const [n] of out) if (n === name) this.error(`attribute ${name} is repeated`);
      // Attribute-value normalisation (XML 1.0 §3.3.3): literal whitespace characters become spaces.
      out.push([name, normalizeAttr(raw.includes("&") ? this.decode(raw, this.pos + 1) : raw)]);
      this.pos = end + 1;
    }
  }

  private text(from: number, to: number): void {
    const raw = this.s.slice(from, to);
    const parts = this.textParts[this.textParts.length - 1];
    if (!parts) return;
    if (raw.includes(">") && raw.includes("]]>")) this.error("']]>' in text", from);
    parts.push(raw.includes("&") ? this.decode(raw, from) : raw);
  }

  private decode(raw: string, offset: number): string {
    let out = "";
    let i = 0;
    for (;;) {
      const amp = raw.indexOf("&", i);
      if (amp < 0) return out + raw.slice(i);
      out += raw.slice(i, amp);
      const semi = raw.indexOf(";", amp + 1);
      if (semi < 0 || semi - amp > 12) this.error("'&' that does not start a reference", offset + amp);
      const ref = raw.slice(amp + 1, semi);
      out += this.reference(ref, offset + amp);
      i = semi + 1;
    }
  }

  private reference(ref: string, at: number): string {
    switch (ref) {
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
    if (ref.charCodeAt(0) === 35 /* # */) {
      const hex = ref.charCodeAt(1) === 120; /* x */
      const digits = ref.slice(hex ? 2 : 1);
      if (!(hex ? /^[0-9a-fA-F]{1,6}$/ : /^[0-9]{1,7}$/).test(digits))
        this.error("bad character reference", at);
      const cp = Number.parseInt(digits, hex ? 16 : 10);
      const allowed =
        cp === 9 ||
        cp === 10 ||
        cp === 13 ||
        (cp >= 0x20 && cp <= 0xd7ff) ||
        (cp >= 0xe000 && cp <= 0xfffd) ||
        (cp >= 0x10000 && cp <= 0x10ffff);
      if (!allowed) this.error(`character reference to a character XML does not allow (${ref})`, at);
      return String.fromCodePoint(cp);
    }
    throw new XmlSyntaxError(makeProblem(xmlCodes, "XML_ENTITY", this.path(), { name: ref }));
  }
}

function normalizeAttr(v: string): string {
  return /[\t\n\r]/.test(v) ? v.replace(/[\t\n\r]/g, " ") : v;
}

// ---------------------------------------------------------------------------------------------------------
// Navigation helpers

/** Local part of a qualified name ("ds:Signature" → "Signature"). */
export function localName(name: string): string {
  const i = name.indexOf(":");
  return i < 0 ? name : name.slice(i + 1);
}

export function attr(el: XmlElement, name: string): string | undefined {
  for (const [n, v] of el.attrs) if (n === name) return v;
  return undefined;
}

/** First child with this (qualified or local) name. */
export function child(el: XmlElement | undefined, name: string): XmlElement | undefined {
  if (!el) return undefined;
  for (const c of el.children) if (c.name === name) return c;
  for (const c of el.children) if (localName(c.name) === name) return c;
  return undefined;
}

export function childrenNamed(el: XmlElement | undefined, name: string): XmlElement[] {
  if (!el) return [];
  return el.children.filter((c) => c.name === name || localName(c.name) === name);
}

/** Text of a child, or undefined when the child is missing or empty/whitespace-only. */
export function childText(el: XmlElement | undefined, name: string): string | undefined {
  const c = child(el, name);
  if (!c || c.children.length > 0) return undefined;
  const t = c.text;
  return t.trim() === "" ? undefined : t;
}

// ---------------------------------------------------------------------------------------------------------
// Canonical writer

/** Escapes text content as Canonical XML does (& < > and CR). */
export function escapeText(s: string): string {
  if (!/[&<>\r]/.test(s)) return s;
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/\r/g, "&#xD;");
}

/** Escapes an attribute value as Canonical XML does (& < " TAB LF CR). */
export function escapeAttr(s: string): string {
  if (!/[&<"\t\n\r]/.test(s)) return s;
  return s
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/"/g, "&quot;")
    .replace(/\t/g, "&#x9;")
    .replace(/\n/g, "&#xA;")
    .replace(/\r/g, "&#xD;");
}

// Text is NFC-normalised only when it has characters NFC can change (anything past ASCII).
const NON_ASCII = /[^\u0000-\u007f]/;

/** Normalises text for writing: Unicode NFC, CRLF/CR → LF (what an XML reader would do anyway). */
export function normalizeText(s: string): string {
  let t = NON_ASCII.test(s) ? s.normalize("NFC") : s;
  if (t.includes("\r")) t = t.replace(/\r\n?/g, "\n");
  return t;
}

/** Thrown when asked to write a character XML cannot carry: a bug, input must be validated before writing. */
export class XmlWriteError extends Error {}

/**
 * Builds a document in canonical form. Elements are written in call order; `leaf` skips undefined values so
 * optional elements are simply not written ("optional empty tags need not be sent", QĐ 1271).
 */
export class XmlWriter {
  private out = "";
  private readonly open: string[] = [];

  start(name: string, attrs?: Readonly<Record<string, string | undefined>>): this {
    this.out += `<${name}`;
    if (attrs) {
      const keys = Object.keys(attrs)
        .filter((k) => attrs[k] !== undefined)
        .sort();
      for (const k of keys) this.out += ` ${k}="${escapeAttr(checked(normalizeText(attrs[k]!)))}"`;
    }
    this.out += ">";
    this.open.push(name);
    return this;
  }

  end(): this {
    const name = this.open.pop();
    if (name === undefined) throw new XmlWriteError("end() without start()");
    this.out += `</${name}>`;
    return this;
  }

  /** `<name>value</name>`, or nothing when value is undefined. */
  leaf(name: string, value: string | undefined): this {
    if (value === undefined) return this;
    this.out += `<${name}>${escapeText(checked(normalizeText(value)))}</${name}>`;
    return this;
  }

  /** Text content of the element being written. */
  text(value: string): this {
    this.out += escapeText(checked(normalizeText(value)));
    return this;
  }

  /** Already-serialised XML (e.g. a signature kept byte-exact). */
  raw(xml: string): this {
    this.out += xml;
    return this;
  }

  toString(): string {
    if (this.open.length > 0) throw new XmlWriteError(`unclosed elements: ${this.open.join(", ")}`);
    return this.out;
  }
}

function checked(s: string): string {
  if (BAD_CHAR.test(s)) throw new XmlWriteError("text contains a character XML does not allow");
  return s;
}

/** True when text has a character XML cannot carry (validators use it before writing). */
export function hasForbiddenXmlChar(s: string): boolean {
  return BAD_CHAR.test(s);
}

/** UTF-8 bytes of a document (the unit the size limit counts). */
export function toUtf8(s: string): Uint8Array {
  return utf8Encoder.encode(s);
}
