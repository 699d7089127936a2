/**
 * A minimal streaming .xlsx (SpreadsheetML) reader and writer: just what invoice import and export need.
 *
 * Why not a library: `exceljs` 4.4.0 (the usual choice, with streaming WorkbookReader/WorkbookWriter;
 * engines node >= 8.3, so it would install) gives a numeric cell only as a JS number, so the cell's exact
 * XML value string is lost, which the money rules forbid (see `cells.ts`); it also brings nine runtime
 * dependencies (archiver, unzipper, jszip, saxes, tmp, uuid, …) for features hddt does not use. SheetJS is
 * not maintained on the npm registry. The subset needed here is small: ZIP through `node:zlib` (`zip.ts`,
 * `zlib.crc32` needs Node >= 20.15) and a forward-only tag scanner over the sheet XML; no dependency added.
 * Checked against an independent reader (openpyxl 3.0.9): template, filled workbook and report open with
 * headers, widths, frozen panes, data-validation lists and date cells as written.
 *
 * Reader: sheets are read row by row from the inflated stream in 64 KiB chunks; the whole sheet XML is
 * never held. Kept in memory: the shared-string table (one JS string per distinct text in the workbook,
 * which Excel requires readers to index) and the rows of the chunk being scanned. Cell types: numbers
 * (kept as their XML string), shared, inline and formula strings, booleans, errors; styles are ignored
 * (a date column is read as a date whatever its format). A stream input is first spooled to a temporary
 * file, because ZIP is read from its central directory at the end.
 *
 * Writer: rows are rendered to XML and deflated as they come (strings inline, no shared-string table, so
 * nothing grows with the row count); the workbook parts are written after the sheets.
 */
import { once } from "node:events";
import { createWriteStream } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Readable, Writable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { Dec } from "../domain/decimal.ts";
import {
  type CellValue,
  columnIndex,
  columnName,
  dateToSerial,
  encodeDecimal,
  escapeXml,
  unescapeXml,
} from "./cells.ts";
import { ZipReader, ZipWriter } from "./zip.ts";

// ---------------------------------------------------------------------------------------------------------
// XML scanning

interface ScanHandler {
  open(name: string, tag: string): void;
  close(name: string): void;
  /** Raw (still escaped) text; may arrive in pieces. */
  text(raw: string): void;
}

function localName(qname: string): string {
  const i = qname.indexOf(":");
  return i < 0 ? qname : qname.slice(i + 1);
}

/** A forward-only scanner: feed it chunks, it calls the handler for each complete tag and text run. */
class Scanner {
  private buf = "";
  constructor(private readonly h: ScanHandler) {}

  feed(chunk: string): void {
    const b = this.buf + chunk;
    let i = 0;
    for (;;) {
      const lt = b.indexOf("<", i);
      if (lt < 0) {
        if (i < b.length) this.h.text(b.slice(i));
        i = b.length;
        break;
      }
      if (lt > i) this.h.text(b.slice(i, lt));
      i = lt;
      if (b.startsWith("<!--", lt)) {
        const end = b.indexOf("-->", lt + 4);
        if (end < 0) break;
        i = end + 3;
        continue;
      }
      if (b.startsWith("<![CDATA[", lt)) {
        const end = b.indexOf("]]>", lt + 9);
        if (end < 0) break;
        this.h.text(escapeXml(b.slice(lt + 9, end)));
        i = end + 3;
        continue;
      }
      const gt = b.indexOf(">", lt + 1);
      if (gt < 0) break;
      const tag = b.slice(lt + 1, gt);
      i = gt + 1;
      const first = tag.charCodeAt(0);
      if (first === 63 /* ? */ || first === 33 /* ! */) continue;
      if (first === 47 /* / */) {
        this.h.close(localName(tag.slice(1).trim()));
        continue;
      }
      const selfClosing = tag.endsWith("/");
      let end = 0;
      while (end < tag.length) {
        const c = tag.charCodeAt(end);
        if (c === 32 || c === 9 || c === 10 || c === 13 || c === 47) break;
        end++;
      }
      const name = localName(tag.slice(0, end));
      this.h.open(name, tag);
      if (selfClosing) this.h.close(name);
    }
    this.buf = b.slice(i);
  }
}

/**
 * A copy of a text value that does not share memory with the chunk it was cut from: V8 cuts substrings of
 * 13 characters or more as views of their parent, so one kept buyer name would keep a whole 64 KiB chunk
 * (and all chunks, the whole sheet) alive.
 */
function own(s: string): string {
  return s.length < 13 ? s : Buffer.from(s, "utf8").toString("utf8");
}

const ATTR_CACHE = new Map<string, RegExp>();
function attr(tag: string, name: string): string | undefined {
  let re = ATTR_CACHE.get(name);
  if (!re) {
    re = new RegExp(`\\s${name}\\s*=\\s*(?:"([^"]*)"|'([^']*)')`);
    ATTR_CACHE.set(name, re);
  }
  const m = re.exec(tag);
  return m ? unescapeXml(m[1] ?? m[2] ?? "") : undefined;
}

// ---------------------------------------------------------------------------------------------------------
// Reader

/** One row as read: 1-based row number and its non-empty cells by 0-based column. */
export interface SheetRow {
  readonly row: number;
  readonly cells: ReadonlyMap<number, CellValue>;
}

export interface SheetProgress {
  /** Compressed bytes of the sheet read so far, and in all. */
  readonly bytes: number;
  readonly totalBytes: number;
}

function resolveTarget(base: string, target: string): string {
  if (target.startsWith("/")) return target.slice(1);
  const parts = base.split("/").slice(0, -1);
  for (const p of target.split("/")) {
    if (p === "..") parts.pop();
    else if (p !== ".") parts.push(p);
  }
  return parts.join("/");
}

function relsPathOf(part: string): string {
  const i = part.lastIndexOf("/");
  return `${part.slice(0, i + 1)}_rels/${part.slice(i + 1)}.rels`;
}

function parseRels(xml: string): Array<{ id: string; type: string; target: string }> {
  const out: Array<{ id: string; type: string; target: string }> = [];
  for (const m of xml.matchAll(/<(?:\w+:)?Relationship\b[^>]*>/g)) {
    const tag = m[0];
    out.push({ id: attr(tag, "Id") ?? "", type: attr(tag, "Type") ?? "", target: attr(tag, "Target") ?? "" });
  }
  return out;
}

export class XlsxReader {
  private constructor(
    private readonly zip: ZipReader,
    private readonly sheetParts: ReadonlyMap<string, string>,
    private readonly shared: readonly string[],
    private readonly cleanup: () => Promise<void>,
  ) {}

  /** Names of the sheets, in workbook order. */
  get sheetNames(): string[] {
    return [...this.sheetParts.keys()];
  }

  /** Opens a workbook from a path or a stream (spooled to a temporary file that `close` removes). */
  static async open(input: string | Readable): Promise<XlsxReader> {
    let path: string;
    let cleanup = async () => {};
    if (typeof input === "string") path = input;
    else {
      const dir = await mkdtemp(join(tmpdir(), "hddt-xlsx-"));
      path = join(dir, "in.xlsx");
      cleanup = () => rm(dir, { recursive: true, force: true });
      try {
        await pipeline(input, createWriteStream(path));
      } catch (e) {
        await cleanup();
        throw e;
      }
    }
    let zip: ZipReader | undefined;
    try {
      zip = await ZipReader.open(path);
      const rootRels = zip.entries.has("_rels/.rels") ? parseRels(await zip.readAll("_rels/.rels")) : [];
      const office = rootRels.find((r) => r.type.endsWith("/officeDocument"));
      const workbookPart = office ? resolveTarget("", office.target) : "xl/workbook.xml";
      const wbXml = await zip.readAll(workbookPart);
      const rels = zip.entries.has(relsPathOf(workbookPart))
        ? parseRels(await zip.readAll(relsPathOf(workbookPart)))
        : [];
      const byId = new Map(rels.map((r) => [r.id, resolveTarget(workbookPart, r.target)]));
      const sheets = new Map<string, string>();
      for (const m of wbXml.matchAll(/<(?:\w+:)?sheet\b[^>]*>/g)) {
        const name = attr(m[0], "name");
        const id = /\s(?:\w+:)?id\s*=\s*"([^"]*)"/.exec(m[0])?.[1];
        const part = id === undefined ? undefined : byId.get(id);
        if (name !== undefined && part !== undefined) sheets.set(name.normalize("NFC"), part);
      }
      const sharedRel = rels.find((r) => r.type.endsWith("/sharedStrings"));
      const shared = sharedRel
        ? await readSharedStrings(zip, resolveTarget(workbookPart, sharedRel.target))
        : [];
      const z = zip;
      return new XlsxReader(z, sheets, shared, async () => {
        await z.close();
        await cleanup();
      });
    } catch (e) {
      await zip?.close();
      await cleanup();
      throw e;
    }
  }

  /**
   * The rows of a sheet in file order, in batches (one batch per inflated chunk, so a caller awaiting
   * each batch keeps at most one chunk's rows in memory).
   */
  async *rows(sheet: string, onProgress?: (p: SheetProgress) => void): AsyncGenerator<SheetRow[]> {
    const part = this.sheetParts.get(sheet);
    if (part === undefined) throw new Error(`no sheet ${sheet}`);
    const totalBytes = this.zip.entries.get(part)?.compressedSize ?? 0;
    let bytes = 0;
    const out: SheetRow[] = [];
    const scanner = new Scanner(new SheetHandler(this.shared, out));
    for await (const chunk of this.zip.text(part, (b) => {
      bytes = b;
    })) {
      scanner.feed(chunk);
      if (out.length > 0) {
        onProgress?.({ bytes, totalBytes });
        yield out.splice(0, out.length);
      }
    }
    onProgress?.({ bytes: totalBytes, totalBytes });
  }

  async close(): Promise<void> {
    await this.cleanup();
  }
}

async function readSharedStrings(zip: ZipReader, part: string): Promise<string[]> {
  if (!zip.entries.has(part)) return [];
  const list: string[] = [];
  let text = "";
  let capture = false;
  let phonetic = 0;
  const scanner = new Scanner({
    open(name) {
      if (name === "si") text = "";
      else if (name === "rPh") phonetic++;
      else if (name === "t" && phonetic === 0) capture = true;
    },
    close(name) {
      if (name === "t") capture = false;
      else if (name === "rPh") phonetic--;
      else if (name === "si") list.push(own(unescapeXml(text).normalize("NFC")));
    },
    text(raw) {
      if (capture) text += raw;
    },
  });
  for await (const chunk of zip.text(part)) scanner.feed(chunk);
  return list;
}

class SheetHandler implements ScanHandler {
  private rowNo = 0;
  private cells = new Map<number, CellValue>();
  private col = 0;
  private type = "n";
  private value: string | undefined;
  private inline = "";
  private hasInline = false;
  private capture = false;
  private phonetic = 0;
  private buf = "";
  private nextCol = 0;

  constructor(
    private readonly shared: readonly string[],
    private readonly out: SheetRow[],
  ) {}

  open(name: string, tag: string): void {
    switch (name) {
      case "row": {
        const r = attr(tag, "r");
        this.rowNo = r === undefined ? this.rowNo + 1 : Number(r);
        this.cells = new Map();
        this.nextCol = 0;
        break;
      }
      case "c": {
        const r = attr(tag, "r");
        const c = r === undefined ? -1 : columnIndex(r);
        this.col = c < 0 ? this.nextCol : c;
        this.nextCol = this.col + 1;
        this.type = attr(tag, "t") ?? "n";
        this.value = undefined;
        this.inline = "";
        this.hasInline = false;
        break;
      }
      case "v":
        this.capture = true;
        this.buf = "";
        break;
      case "is":
        this.hasInline = true;
        break;
      case "rPh":
        this.phonetic++;
        break;
      case "t":
        if (this.hasInline && this.phonetic === 0) {
          this.capture = true;
          this.buf = "";
        }
        break;
    }
  }

  close(name: string): void {
    switch (name) {
      case "v":
        this.capture = false;
        this.value = unescapeXml(this.buf);
        break;
      case "t":
        if (this.capture) {
          this.capture = false;
          this.inline += unescapeXml(this.buf);
        }
        break;
      case "rPh":
        this.phonetic--;
        break;
      case "c": {
        const cell = this.cell();
        if (cell) this.cells.set(this.col, cell);
        break;
      }
      case "row":
        if (this.cells.size > 0) this.out.push({ row: this.rowNo, cells: this.cells });
        break;
    }
  }

  text(raw: string): void {
    if (this.capture) this.buf += raw;
  }

  private cell(): CellValue | undefined {
    switch (this.type) {
      case "inlineStr":
        return this.hasInline ? { kind: "text", raw: own(this.inline.normalize("NFC")) } : undefined;
      case "s": {
        const s = this.value === undefined ? undefined : this.shared[Number(this.value)];
        return s === undefined ? undefined : { kind: "text", raw: s };
      }
      case "str":
      case "d":
        return this.value === undefined ? undefined : { kind: "text", raw: own(this.value.normalize("NFC")) };
      case "b":
        return this.value === undefined ? undefined : { kind: "bool", raw: this.value };
      case "e":
        return this.value === undefined ? undefined : { kind: "error", raw: this.value };
      default:
        return this.value === undefined || this.value === ""
          ? undefined
          : { kind: "number", raw: this.value };
    }
  }
}

// ---------------------------------------------------------------------------------------------------------
// Writer

export type StyleName = "default" | "header" | "subheader" | "date" | "text" | "title" | "total";

const STYLE_INDEX: Record<StyleName, number> = {
  default: 0,
  header: 1,
  subheader: 2,
  date: 3,
  text: 4,
  title: 5,
  total: 6,
};

export type CellScalar = string | number | Dec | null | undefined;
/** A cell to write: a value (strings become text, `Dec` exact per `encodeDecimal`), a date, or styled. */
export type CellInput =
  | CellScalar
  | { readonly value: CellScalar; readonly style?: StyleName }
  | { readonly date: string };

export interface ColumnSpec {
  /** Width in characters. */
  readonly width: number;
  /** Style of cells the user types in this column (e.g. "text" keeps typed numbers exact). */
  readonly style?: StyleName;
}

export interface ListValidation {
  /** 0-based column. */
  readonly column: number;
  /** 1-based first row it applies to (down to the last row of the sheet). */
  readonly fromRow: number;
  readonly values: readonly string[];
  /** Strict refuses other values; otherwise Excel only warns. */
  readonly strict?: boolean;
  readonly title?: string;
  readonly prompt?: string;
}

export interface SheetSpec {
  readonly name: string;
  readonly columns: readonly ColumnSpec[];
  /** Rows kept in view when scrolling (the header lines). */
  readonly frozenRows?: number;
  readonly validations?: readonly ListValidation[];
}

const NS_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main";
const NS_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships";
const NS_PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships";
const XML_DECL = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n';

function cellXml(ref: string, input: CellInput, columnStyle: StyleName | undefined): string {
  let value: CellScalar;
  let style: StyleName | undefined;
  if (input !== null && typeof input === "object" && !(input instanceof Dec)) {
    if ("date" in input) {
      return `<c r="${ref}" s="${STYLE_INDEX.date}"><v>${dateToSerial(input.date)}</v></c>`;
    }
    value = input.value;
    style = input.style;
  } else value = input;
  if (value === null || value === undefined || value === "") {
    return style === undefined || style === "default" ? "" : `<c r="${ref}" s="${STYLE_INDEX[style]}"/>`;
  }
  // A cell without its own style takes its column's, as a cell typed into the column would.
  style ??= columnStyle;
  const s = style && style !== "default" ? ` s="${STYLE_INDEX[style]}"` : "";
  if (typeof value === "number") {
    if (!Number.isFinite(value)) throw new RangeError(`not a finite number: ${value}`);
    return `<c r="${ref}"${s}><v>${value}</v></c>`;
  }
  if (value instanceof Dec) {
    const cell = encodeDecimal(value);
    if (cell.kind === "number") return `<c r="${ref}"${s}><v>${cell.raw}</v></c>`;
    value = cell.raw;
  }
  return `<c r="${ref}"${s} t="inlineStr"><is><t xml:space="preserve">${escapeXml(value)}</t></is></c>`;
}

function sheetHead(spec: SheetSpec): string {
  let x = `${XML_DECL}<worksheet xmlns="${NS_MAIN}" xmlns:r="${NS_REL}">`;
  if (spec.frozenRows) {
    const top = `A${spec.frozenRows + 1}`;
    x += `<sheetViews><sheetView workbookViewId="0"><pane ySplit="${spec.frozenRows}" topLeftCell="${top}" activePane="bottomLeft" state="frozen"/></sheetView></sheetViews>`;
  }
  if (spec.columns.length > 0) {
    x += "<cols>";
    spec.columns.forEach((c, i) => {
      const s = c.style && c.style !== "default" ? ` style="${STYLE_INDEX[c.style]}"` : "";
      x += `<col min="${i + 1}" max="${i + 1}" width="${c.width}" customWidth="1"${s}/>`;
    });
    x += "</cols>";
  }
  return `${x}<sheetData>`;
}

function sheetTail(spec: SheetSpec): string {
  let x = "</sheetData>";
  const v = spec.validations ?? [];
  if (v.length > 0) {
    x += `<dataValidations count="${v.length}">`;
    for (const d of v) {
      const col = columnName(d.column);
      const list = d.values.join(",");
      if (list.length > 255) throw new RangeError("a validation list is limited to 255 characters");
      const prompt =
        d.prompt === undefined
          ? ""
          : ` showInputMessage="1" promptTitle="${escapeXml(d.title ?? "")}" prompt="${escapeXml(d.prompt)}"`;
      x += `<dataValidation type="list" allowBlank="1" showErrorMessage="1" errorStyle="${d.strict ? "stop" : "warning"}"${prompt} sqref="${col}${d.fromRow}:${col}1048576"><formula1>"${escapeXml(list)}"</formula1></dataValidation>`;
    }
    x += "</dataValidations>";
  }
  return `${x}</worksheet>`;
}

const STYLES_XML = `${XML_DECL}<styleSheet xmlns="${NS_MAIN}"><numFmts count="1"><numFmt numFmtId="164" formatCode="dd/mm/yyyy"/></numFmts><fonts count="4"><font><sz val="11"/><name val="Calibri"/></font><font><b/><sz val="11"/><name val="Calibri"/></font><font><i/><sz val="10"/><color rgb="FF595959"/><name val="Calibri"/></font><font><b/><sz val="14"/><name val="Calibri"/></font></fonts><fills count="3"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill><fill><patternFill patternType="solid"><fgColor rgb="FFDDEBF7"/><bgColor indexed="64"/></patternFill></fill></fills><borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders><cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs><cellXfs count="7"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/><xf numFmtId="49" fontId="1" fillId="2" borderId="0" xfId="0" applyFont="1" applyFill="1" applyNumberFormat="1" applyAlignment="1"><alignment wrapText="1" vertical="center"/></xf><xf numFmtId="49" fontId="2" fillId="2" borderId="0" xfId="0" applyFont="1" applyFill="1" applyNumberFormat="1" applyAlignment="1"><alignment wrapText="1" vertical="center"/></xf><xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/><xf numFmtId="49" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/><xf numFmtId="0" fontId="3" fillId="0" borderId="0" xfId="0" applyFont="1"/><xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/></cellXfs><cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles></styleSheet>`;

/** Streams a workbook: add sheets one after the other, then `finish`. */
export class XlsxWriter {
  private readonly zip: ZipWriter;
  private readonly sheets: string[] = [];

  constructor(out: Writable) {
    this.zip = new ZipWriter(out);
  }

  /** Writes one sheet; rows are numbered from 1 in the order given. */
  async addSheet(
    spec: SheetSpec,
    rows: AsyncIterable<readonly CellInput[]> | Iterable<readonly CellInput[]>,
  ) {
    if (spec.name.length > 31 || /[[\]:*?/\\]/.test(spec.name))
      throw new RangeError(`bad sheet name ${spec.name}`);
    this.sheets.push(spec.name);
    const part = `xl/worksheets/sheet${this.sheets.length}.xml`;
    const styles = spec.columns.map((c) => c.style);
    async function* body(): AsyncGenerator<string> {
      yield sheetHead(spec);
      let buf = "";
      let r = 0;
      for await (const row of rows) {
        r++;
        let x = `<row r="${r}">`;
        for (let c = 0; c < row.length; c++) x += cellXml(`${columnName(c)}${r}`, row[c], styles[c]);
        buf += `${x}</row>`;
        // Batches of about 64 KiB: fewer, larger writes to deflate.
        if (buf.length > 65_536) {
          yield buf;
          buf = "";
        }
      }
      yield buf;
      yield sheetTail(spec);
    }
    await this.zip.add(part, body());
  }

  /** Writes the workbook parts and the ZIP directory (the output stream is left open). */
  async finish(): Promise<void> {
    const n = this.sheets.length;
    const idx = [...Array(n).keys()];
    await this.zip.add("xl/styles.xml", [STYLES_XML]);
    await this.zip.add("xl/workbook.xml", [
      `${XML_DECL}<workbook xmlns="${NS_MAIN}" xmlns:r="${NS_REL}"><sheets>`,
      ...idx.map(
        (i) => `<sheet name="${escapeXml(this.sheets[i]!)}" sheetId="${i + 1}" r:id="rId${i + 1}"/>`,
      ),
      "</sheets></workbook>",
    ]);
    await this.zip.add("xl/_rels/workbook.xml.rels", [
      `${XML_DECL}<Relationships xmlns="${NS_PKG_REL}">`,
      ...idx.map(
        (i) =>
          `<Relationship Id="rId${i + 1}" Type="${NS_REL}/worksheet" Target="worksheets/sheet${i + 1}.xml"/>`,
      ),
      `<Relationship Id="rId${n + 1}" Type="${NS_REL}/styles" Target="styles.xml"/>`,
      "</Relationships>",
    ]);
    await this.zip.add("_rels/.rels", [
      `${XML_DECL}<Relationships xmlns="${NS_PKG_REL}"><Relationship Id="rId1" Type="${NS_REL}/officeDocument" Target="xl/workbook.xml"/></Relationships>`,
    ]);
    const sheetCt = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml";
    await this.zip.add("[Content_Types].xml", [
      `${XML_DECL}<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">`,
      '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>',
      '<Default Extension="xml" ContentType="application/xml"/>',
      '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>',
      '<Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>',
      ...idx.map((i) => `<Override PartName="/xl/worksheets/sheet${i + 1}.xml" ContentType="${sheetCt}"/>`),
      "</Types>",
    ]);
    await this.zip.finish();
  }
}

/** Runs `write` on a writer over a path (created) or a stream (not ended: the caller owns it). */
export async function writeWorkbook(
  output: string | Writable,
  write: (w: XlsxWriter) => Promise<void>,
): Promise<void> {
  if (typeof output !== "string") {
    const w = new XlsxWriter(output);
    await write(w);
    await w.finish();
    return;
  }
  const file = createWriteStream(output);
  try {
    const w = new XlsxWriter(file);
    await write(w);
    await w.finish();
  } finally {
    const closed = once(file, "close");
    file.end();
    await closed;
  }
}
