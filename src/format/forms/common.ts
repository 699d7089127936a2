/**
 * Small pieces shared by the form codecs (notices, declarations, summary tables, lists): a field reader that
 * collects problems with element paths, the signature block (DSCKS) kept as raw XML, reason lists (LDo) and
 * the text form of numbers.
 *
 * Conventions for every form codec:
 * - `readX(el, options?)` takes the form's root element. Required fields that are missing give
 *   FORM_FIELD_MISSING with the element path; unknown extra elements are ignored. With `options.source` (the
 *   text the element was parsed from) signature slots are taken byte-exact; without it they are
 *   re-serialised. `options.path` is the root's path when the form sits inside an envelope
 *   ("/TDiep/DLieu/TBao"); by default it is "/" + the root's name.
 * - `writeX(x)` returns canonical XML (see xml.ts): optional fields that are undefined are not written.
 * - Dates and date-times are kept as the strings written (`YYYY-MM-DD`, `YYYY-MM-DDThh:mm:ss`); the reader
 *   only checks their shape, so write → read is the identity.
 * - Code values (Loai, TCTBao, LTBao…) are numbers checked against the form's list when read.
 */
import { Dec } from "../../domain/decimal.ts";
import type { ExtraField } from "../../domain/invoice.ts";
import { defineCodes, makeProblem, type Problem, type Result } from "../../domain/problem.ts";
import {
  attr,
  child,
  childrenNamed,
  childText,
  escapeAttr,
  escapeText,
  localName,
  type XmlElement,
  type XmlWriter,
} from "../xml.ts";

export const formCommonCodes = defineCodes({
  FORM_WRONG_ROOT: {
    vi: "Phần tử gốc là <{found}>, cần <{expected}>",
    en: "The root element is <{found}>, expected <{expected}>",
  },
  FORM_FIELD_MISSING: {
    vi: "Thiếu trường bắt buộc {field}",
    en: "The required field {field} is missing",
  },
  FORM_FIELD_NOT_NUMBER: {
    vi: 'Trường {field} không phải là số: "{value}"',
    en: 'The field {field} is not a number: "{value}"',
  },
  FORM_FIELD_NOT_INTEGER: {
    vi: 'Trường {field} không phải là số nguyên: "{value}"',
    en: 'The field {field} is not a whole number: "{value}"',
  },
  FORM_FIELD_BAD_DATE: {
    vi: 'Trường {field} không đúng định dạng ngày YYYY-MM-DD (hoặc YYYY-MM-DDThh:mm:ss): "{value}"',
    en: 'The field {field} is not a date YYYY-MM-DD (or YYYY-MM-DDThh:mm:ss): "{value}"',
  },
  FORM_NO_TAXPAYER_ID: {
    vi: "Thiếu mã số thuế (MST) hoặc mã đơn vị có quan hệ với ngân sách (MDVQHNSach)",
    en: "Neither a tax code (MST) nor a budget-relationship unit code (MDVQHNSach) is given",
  },
  FORM_FIELD_BAD_CODE: {
    vi: 'Giá trị "{value}" của trường {field} không thuộc danh mục ({allowed})',
    en: 'The value "{value}" of {field} is not one of the allowed codes ({allowed})',
  },
});

// Date, or date-time with optional fraction and zone (real notices write both shapes in date fields:
// NTBao "2022-01-17" and "2022-01-17T15:31:57", Ngay "2021-12-31T07:00:00").
const DATE_RE =
  /^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])(T([01]\d|2[0-3]):[0-5]\d:[0-5]\d(\.\d{1,7})?(Z|[+-]\d{2}:\d{2})?)?$/;
const INT_RE = /^[+-]?\d{1,15}$/;

/** True for `YYYY-MM-DD` or `YYYY-MM-DDThh:mm:ss[.fff][zone]` (the shapes the reader accepts). */
export function isFormDate(s: string): boolean {
  return DATE_RE.test(s);
}

/** Options of every form reader. */
export interface FormReadOptions {
  /** The text the root element was parsed from (signature slots are then kept byte-exact). */
  source?: string;
  /** Path of the root element for problem paths; default "/" + its name. */
  path?: string;
}

/**
 * An element name, or several accepted spellings (the first is written and used in problem paths), e.g.
 * `["LADHDDT", "LADHĐĐT"]`.
 */
export type FieldName = string | readonly string[];

function canonical(name: FieldName): string {
  return typeof name === "string" ? name : name[0]!;
}

/** Text of the first present spelling of a field (undefined when missing or blank). */
export function fieldText(el: XmlElement | undefined, name: FieldName): string | undefined {
  if (typeof name === "string") return childText(el, name);
  for (const n of name) {
    const t = childText(el, n);
    if (t !== undefined) return t;
  }
  return undefined;
}

/** The first present spelling of a child element. */
export function fieldElement(el: XmlElement | undefined, name: FieldName): XmlElement | undefined {
  if (typeof name === "string") return child(el, name);
  for (const n of name) {
    const c = child(el, n);
    if (c) return c;
  }
  return undefined;
}

/**
 * Reads fields of one form and collects every problem instead of stopping at the first. `path` arguments are
 * the parent element's path ("/TBao/DLTBao"); the reader appends the field name.
 */
export class FormReader {
  readonly problems: Problem[] = [];
  readonly source: string | undefined;
  private readonly rootPath: string | undefined;

  /** Options, or (first form of this API) just the source text. */
  constructor(options: FormReadOptions | string = {}) {
    const o = typeof options === "string" ? { source: options } : options;
    this.source = o.source;
    this.rootPath = o.path;
  }

  private problem(code: keyof typeof formCommonCodes & string, path: string, params: Record<string, string>) {
    this.problems.push(makeProblem(formCommonCodes, code, path, params));
  }

  /** Checks the root element's (local) name (a problem when it differs) and returns the root's path. */
  root(el: XmlElement, expected: string): string {
    const path = this.rootPath ?? `/${el.name}`;
    if (localName(el.name) !== expected) this.problem("FORM_WRONG_ROOT", path, { found: el.name, expected });
    return path;
  }

  /**
   * Reads MST and MDVQHNSach of a taxpayer: MST is required unless the budget-unit code is given (public-asset
   * sellers without a tax code); neither gives FORM_NO_TAXPAYER_ID.
   */
  taxpayerId(
    el: XmlElement | undefined,
    path: string,
  ): { taxCode: string | undefined; budgetUnitCode: string | undefined } {
    const taxCode = fieldText(el, "MST");
    const budgetUnitCode = fieldText(el, "MDVQHNSach");
    if (el && taxCode === undefined && budgetUnitCode === undefined) {
      this.problem("FORM_NO_TAXPAYER_ID", `${path}/MST`, {});
    }
    return { taxCode, budgetUnitCode };
  }

  /** Adds a problem from another code set (form-specific codes). */
  add(problem: Problem): void {
    this.problems.push(problem);
  }

  /** Reports a missing required field (for rules like "MST or MDVQHNSach"). */
  missing(path: string, name: string): void {
    this.problem("FORM_FIELD_MISSING", `${path}/${name}`, { field: name });
  }

  /** A required child element (a group); undefined and a problem when missing. */
  group(el: XmlElement | undefined, path: string, name: FieldName): XmlElement | undefined {
    const c = fieldElement(el, name);
    if (!c && el) this.missing(path, canonical(name));
    return c;
  }

  /** Required text; "" and a problem when missing or empty. */
  str(el: XmlElement | undefined, path: string, name: FieldName): string {
    const t = fieldText(el, name);
    if (t === undefined) {
      if (el) this.missing(path, canonical(name));
      return "";
    }
    return t;
  }

  /** Optional text (undefined when missing or empty). */
  optStr(el: XmlElement | undefined, name: FieldName): string | undefined {
    return fieldText(el, name);
  }

  /** Required date or date-time, kept as written. */
  date(el: XmlElement | undefined, path: string, name: FieldName): string {
    const t = this.str(el, path, name);
    if (t !== "") this.checkDate(t, path, name);
    return t;
  }

  optDate(el: XmlElement | undefined, path: string, name: FieldName): string | undefined {
    const t = fieldText(el, name);
    if (t !== undefined) this.checkDate(t, path, name);
    return t;
  }

  private checkDate(t: string, path: string, name: FieldName): void {
    if (!DATE_RE.test(t)) {
      const field = canonical(name);
      this.problem("FORM_FIELD_BAD_DATE", `${path}/${field}`, { field, value: t });
    }
  }

  /** Required whole number (counts, row numbers). */
  int(el: XmlElement | undefined, path: string, name: FieldName): number {
    const t = this.str(el, path, name);
    return t === "" ? 0 : this.toInt(t, path, canonical(name));
  }

  optInt(el: XmlElement | undefined, path: string, name: FieldName): number | undefined {
    const t = fieldText(el, name);
    return t === undefined ? undefined : this.toInt(t, path, canonical(name));
  }

  private toInt(t: string, path: string, field: string): number {
    const s = t.trim();
    if (!INT_RE.test(s)) {
      this.problem("FORM_FIELD_NOT_INTEGER", `${path}/${field}`, { field, value: t });
      return 0;
    }
    return Number(s);
  }

  /** Required exact number. */
  dec(el: XmlElement | undefined, path: string, name: FieldName): Dec {
    const t = this.str(el, path, name);
    return t === "" ? Dec.ZERO : this.toDec(t, path, canonical(name));
  }

  optDec(el: XmlElement | undefined, path: string, name: FieldName): Dec | undefined {
    const t = fieldText(el, name);
    return t === undefined ? undefined : this.toDec(t, path, canonical(name));
  }

  private toDec(t: string, path: string, field: string): Dec {
    const d = Dec.tryParse(t.trim());
    if (d === undefined) {
      this.problem("FORM_FIELD_NOT_NUMBER", `${path}/${field}`, { field, value: t });
      return Dec.ZERO;
    }
    return d;
  }

  /** Required code from a closed numeric list; the first allowed value (and a problem) when wrong. */
  code<T extends number>(
    el: XmlElement | undefined,
    path: string,
    name: FieldName,
    allowed: readonly T[],
  ): T {
    const t = this.str(el, path, name);
    if (t === "") return allowed[0]!;
    return this.toCode(t, path, canonical(name), allowed) ?? allowed[0]!;
  }

  optCode<T extends number>(
    el: XmlElement | undefined,
    path: string,
    name: FieldName,
    allowed: readonly T[],
  ): T | undefined {
    const t = fieldText(el, name);
    return t === undefined ? undefined : this.toCode(t, path, canonical(name), allowed);
  }

  private toCode<T extends number>(
    t: string,
    path: string,
    field: string,
    allowed: readonly T[],
  ): T | undefined {
    const s = t.trim();
    const n = INT_RE.test(s) ? Number(s) : Number.NaN;
    if ((allowed as readonly number[]).includes(n)) return n as T;
    this.problem("FORM_FIELD_BAD_CODE", `${path}/${field}`, { field, value: t, allowed: allowed.join(", ") });
    return undefined;
  }

  /** Required text from a closed list of strings (e.g. LKDLieu T/Q/N). */
  strCode<T extends string>(
    el: XmlElement | undefined,
    path: string,
    name: FieldName,
    allowed: readonly T[],
  ): T {
    const t = this.str(el, path, name);
    if (t === "") return allowed[0]!;
    return this.toStrCode(t, path, canonical(name), allowed) ?? allowed[0]!;
  }

  optStrCode<T extends string>(
    el: XmlElement | undefined,
    path: string,
    name: FieldName,
    allowed: readonly T[],
  ): T | undefined {
    const t = fieldText(el, name);
    return t === undefined ? undefined : this.toStrCode(t, path, canonical(name), allowed);
  }

  private toStrCode<T extends string>(
    t: string,
    path: string,
    field: string,
    allowed: readonly T[],
  ): T | undefined {
    const s = t.trim();
    if ((allowed as readonly string[]).includes(s)) return s as T;
    this.problem("FORM_FIELD_BAD_CODE", `${path}/${field}`, { field, value: t, allowed: allowed.join(", ") });
    return undefined;
  }

  /** The value, or the problems collected so far. */
  result<T>(value: T): Result<T> {
    return this.problems.length === 0 ? { ok: true, value } : { ok: false, problems: this.problems };
  }
}

/** Path of the i-th (0-based) repeated element: "/A/B" + "HDon" + 1 → "/A/B/HDon[2]". */
export function itemPath(parent: string, name: string, index: number): string {
  return `${parent}/${name}[${index + 1}]`;
}

/** Text of a number for writing (undefined stays undefined, so `leaf` skips it). */
export function numText(n: number | Dec | undefined): string | undefined {
  if (n === undefined) return undefined;
  return typeof n === "number" ? String(n) : n.toPlain();
}

// ---------------------------------------------------------------------------------------------------------
// Signature block (DSCKS)

/**
 * One signer slot of DSCKS: the slot element's name (NNT taxpayer, CQT or TTCQT tax authority, NBan seller,
 * NMua buyer, CCKSKhac other) and its content as raw XML (usually one `Signature`; "" while unsigned). The
 * content is kept, never interpreted: signatures are checked by src/signing on the original text.
 */
export interface SignatureSlot {
  name: string;
  xml: string;
}

/** DSCKS of an unsigned form with the given empty slots (e.g. `unsignedSlots("NNT")`). */
export function unsignedSlots(...names: string[]): SignatureSlot[] {
  return names.map((name) => ({ name, xml: "" }));
}

/** Reads DSCKS (missing → no slots). Slot content is byte-exact when `source` is given. */
export function readSignatures(dscks: XmlElement | undefined, source?: string): SignatureSlot[] {
  if (!dscks) return [];
  return dscks.children.map((slot) => ({ name: slot.name, xml: innerXml(slot, source) }));
}

/** Writes `<DSCKS>` with its slots in the given order (the slots' content as it is). */
export function writeSignatures(w: XmlWriter, slots: readonly SignatureSlot[]): void {
  w.start("DSCKS");
  for (const s of slots) w.start(s.name).raw(s.xml).end();
  w.end();
}

/**
 * The content of an element as XML: byte-exact from `source` when given (children only: whitespace between
 * them is dropped, as the format wants nothing between tags), otherwise re-serialised from the tree in
 * canonical style. Mixed content (text between child elements) does not occur in signature blocks.
 */
export function innerXml(el: XmlElement, source?: string): string {
  if (el.children.length === 0) return el.text.trim() === "" ? "" : escapeText(el.text);
  let out = "";
  for (const c of el.children) out += source === undefined ? serialize(c) : source.slice(c.start, c.end);
  return out;
}

function serialize(el: XmlElement): string {
  const attrs = [...el.attrs].sort(([a], [b]) => {
    // Namespace declarations first, then the rest by name (close to C14N order for un-prefixed attributes).
    const na = a === "xmlns" || a.startsWith("xmlns:");
    const nb = b === "xmlns" || b.startsWith("xmlns:");
    if (na !== nb) return na ? -1 : 1;
    return a < b ? -1 : a > b ? 1 : 0;
  });
  let out = `<${el.name}`;
  for (const [n, v] of attrs) out += ` ${n}="${escapeAttr(v)}"`;
  out += ">";
  out += el.children.length === 0 ? escapeText(el.text) : el.children.map(serialize).join("");
  return `${out}</${el.name}>`;
}

// ---------------------------------------------------------------------------------------------------------
// Reasons (LDo)

/**
 * One reason/error line (LDo). The same element carries different children by form: 999 and 01/TB-TNĐT use
 * MLoi + MTa; 01/TB-KTDL uses STT?, MLoi, MTLoi, HDXLy, GChu?; 01-1/QTr-HĐĐT uses NDung, HDXLy, GChu. All
 * fields are optional when read (tax-authority replies are not always complete); writers emit what is set.
 */
export interface Reason {
  /** [STT] row number. */
  index?: number;
  /** [MLoi] error code (≤4). */
  code?: string;
  /** [MTa] or [MTLoi] description (≤255); which element is written depends on the form. */
  description?: string;
  /** [NDung] content (01-1/QTr-HĐĐT). */
  content?: string;
  /** [HDXLy] handling advice (≤255). */
  advice?: string;
  /** [GChu] note (≤255). */
  note?: string;
}

/** Which element carries `description`: MTa (999, 102, 103, 301) or MTLoi (01/TB-KTDL). */
export type ReasonStyle = "MTa" | "MTLoi";

/**
 * Reads the reason lines of a list element (DSLDo, DSLDKCNhan…): its `itemName` children (LDo, or LDTTChung in
 * 01/TB-KTDL summary-table checks); missing list → [].
 */
export function readReasons(
  r: FormReader,
  list: XmlElement | undefined,
  path: string,
  itemName = "LDo",
): Reason[] {
  const out: Reason[] = [];
  const items = childrenNamed(list, itemName);
  for (let i = 0; i < items.length; i++) {
    const el = items[i]!;
    out.push({
      index: r.optInt(el, itemPath(path, itemName, i), "STT"),
      code: childText(el, "MLoi"),
      description: childText(el, "MTa") ?? childText(el, "MTLoi"),
      content: childText(el, "NDung"),
      advice: childText(el, "HDXLy"),
      note: childText(el, "GChu"),
    });
  }
  return out;
}

/** Writes `<listName><LDo>…</LDo>…</listName>`; nothing when `reasons` is undefined. */
export function writeReasons(
  w: XmlWriter,
  listName: string,
  reasons: readonly Reason[] | undefined,
  style: ReasonStyle,
  itemName = "LDo",
): void {
  if (reasons === undefined) return;
  w.start(listName);
  for (const x of reasons) writeReason(w, x, style, itemName);
  w.end();
}

/** Writes one reason line (order: STT, MLoi, MTa|MTLoi, NDung, HDXLy, GChu). */
export function writeReason(w: XmlWriter, x: Reason, style: ReasonStyle, itemName = "LDo"): void {
  w.start(itemName)
    .leaf("STT", numText(x.index))
    .leaf("MLoi", x.code)
    .leaf(style, x.description)
    .leaf("NDung", x.content)
    .leaf("HDXLy", x.advice)
    .leaf("GChu", x.note)
    .end();
}

/** Reads an optional list of reasons: undefined when the list element is absent. */
export function readOptReasons(
  r: FormReader,
  parent: XmlElement | undefined,
  path: string,
  listName: FieldName,
  itemName = "LDo",
): Reason[] | undefined {
  const list = fieldElement(parent, listName);
  return list ? readReasons(r, list, `${path}/${list.name}`, itemName) : undefined;
}

// ---------------------------------------------------------------------------------------------------------
// Notice stamp (STBao)

/**
 * STBao: the number and date the tax authority gives a notice, kept outside DLTBao with its own Id in real
 * CQT notices (a 2022 production 01/TB-ĐKĐT has `STBao@Id{So, NTBao}`), so it can be stamped after DLTBao is
 * signed. Some models put So/NTBao inside DLTBao instead; the form models keep both places.
 */
export interface NoticeStamp {
  /** [@Id] */
  id?: string;
  /** [So] notice number (≤30). */
  number: string;
  /** [NTBao] notice date. */
  date: string;
}

export function readNoticeStamp(r: FormReader, parent: XmlElement, path: string): NoticeStamp | undefined {
  const el = child(parent, "STBao");
  if (!el) return undefined;
  const p = `${path}/STBao`;
  return { id: attr(el, "Id"), number: r.str(el, p, "So"), date: r.date(el, p, "NTBao") };
}

export function writeNoticeStamp(w: XmlWriter, stamp: NoticeStamp | undefined): void {
  if (!stamp) return;
  w.start("STBao", { Id: stamp.id }).leaf("So", stamp.number).leaf("NTBao", stamp.date).end();
}

// ---------------------------------------------------------------------------------------------------------
// Other information (TTKhac/TTin)

/** Reads TTKhac → TTin{TTruong, KDLieu, DLieu} entries; undefined when TTKhac is absent. */
export function readExtraFields(parent: XmlElement | undefined): ExtraField[] | undefined {
  const el = child(parent, "TTKhac");
  if (!el) return undefined;
  return childrenNamed(el, "TTin").map((t) => ({
    name: childText(t, "TTruong") ?? "",
    type: childText(t, "KDLieu") ?? "",
    value: childText(t, "DLieu") ?? "",
  }));
}

/** Writes TTKhac (nothing when undefined); empty name/type/value are left out. */
export function writeExtraFields(w: XmlWriter, extra: readonly ExtraField[] | undefined): void {
  if (extra === undefined) return;
  w.start("TTKhac");
  for (const x of extra) {
    w.start("TTin")
      .leaf("TTruong", x.name || undefined)
      .leaf("KDLieu", x.type || undefined)
      .leaf("DLieu", x.value || undefined)
      .end();
  }
  w.end();
}
