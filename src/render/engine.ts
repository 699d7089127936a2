/**
 * The PDF engine: pdfmake 0.3 (its layout, tables, QR and PDF/A options) driven without its global state,
 * with DejaVu Sans from the npm package `dejavu-fonts-ttf` (full Vietnamese coverage, freely redistributable),
 * so that rendering needs no system font and works the same on any machine.
 *
 * Two things differ from using pdfmake's default export:
 * - Each document gets its own `Printer` and a private file table: the fonts and the attached XML are the
 *   only "files" it can see, and every local path and URL is refused, so invoice text can never make the
 *   renderer read a file or fetch a URL.
 * - The fonts are parsed once per process. pdfkit hands each new document's font bytes to `fontkit.create`,
 *   and parsing a 740 KB TrueType file every time cost more than the rest of the page. Through fontkit's own
 *   extension point (`registerFormat`) we give pdfkit an 8-byte token instead of the font bytes; the
 *   registered "format" recognises the token and returns the already-parsed font. Each document still makes
 *   its own subset of the glyphs it uses.
 */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);

/** A pdfmake document definition; pdfmake checks it at run time, we build it in `layout.ts`. */
export type DocDefinition = Record<string, unknown>;

interface FileTable {
  existsSync(name: unknown): boolean;
  readFileSync(name: string): Uint8Array;
}

interface PdfKitDocument {
  on(event: "data", listener: (chunk: Buffer) => void): void;
  on(event: "end" | "error", listener: (arg?: unknown) => void): void;
  end(): void;
}

interface PrinterInstance {
  createPdfKitDocument(doc: DocDefinition, options: Record<string, unknown>): Promise<PdfKitDocument>;
}

type PrinterClass = new (
  fonts: Record<string, Record<string, string>>,
  files: FileTable,
  urls: unknown,
  localAccessPolicy: (path: string) => boolean,
) => PrinterInstance;

interface UrlResolverInstance {
  setUrlAccessPolicy(policy: (url: string) => boolean): void;
}
type UrlResolverClass = new (files: FileTable) => UrlResolverInstance;

interface GlyphRun {
  glyphs: unknown[];
  positions: Array<Record<string, number>>;
}

interface FontkitGlyph {
  codePoints: number[];
  _decode(): unknown;
}

interface FontkitFont {
  layout(text: string, ...rest: unknown[]): GlyphRun;
  getGlyph(id: number, ...rest: unknown[]): FontkitGlyph;
}

interface FontkitModule {
  create(bytes: Uint8Array): FontkitFont;
  registerFormat(format: unknown): void;
}

interface QrRect {
  type: string;
  x: number;
  y: number;
  w: number;
  h: number;
  color?: string;
}
interface QrModule {
  measure(node: Record<string, unknown>): { _canvas: QrRect[]; _width: number };
}

const qrEncoder = (require("pdfmake/js/qrEnc.js") as { default: QrModule }).default;
const Printer = (require("pdfmake/js/Printer.js") as { default: PrinterClass }).default;
const UrlResolver = (require("pdfmake/js/URLResolver.js") as { default: UrlResolverClass }).default;
// fontkit exactly as pdfkit (inside pdfmake) resolves it, so the registered format reaches pdfkit's copy.
const pdfkitRequire = createRequire(require.resolve("pdfkit", { paths: [require.resolve("pdfmake")] }));
const fontkit = pdfkitRequire("fontkit") as FontkitModule;

/** The family name documents use (`defaultStyle.font`). */
export const FONT_FAMILY = "DejaVuSans";

const TOKEN_MAGIC = [0x68, 0x64, 0x64, 0x74]; // "hddt"
const parsedFonts = new Map<number, FontkitFont>();

/** Text runs shaped so far, per font: most words of an invoice (labels, units, names) recur. */
const LAYOUT_CACHE_LIMIT = 50_000;

/**
 * Shaping (GSUB/GPOS) is the costliest part of measuring text, and pdfkit's own cache lives only as long as
 * one document. This keeps shaped runs for the process. pdfkit scales the positions of the run it gets in
 * place, so each call returns a copy with fresh position objects (glyphs are never written to).
 */
function memoiseLayout(font: FontkitFont): void {
  const shape = font.layout.bind(font);
  let cache = new Map<string, GlyphRun>();
  font.layout = (text: string, ...rest: unknown[]): GlyphRun => {
    if (rest.some((r) => r !== undefined)) return shape(text, ...rest);
    let run = cache.get(text);
    if (!run) {
      if (cache.size >= LAYOUT_CACHE_LIMIT) cache = new Map();
      run = shape(text);
      cache.set(text, run);
    }
    const copy = Object.create(Object.getPrototypeOf(run)) as GlyphRun;
    Object.assign(copy, run);
    copy.positions = run.positions.map((p) => ({ ...p }));
    return copy;
  };
}

/** The fontkit "format" that turns a token back into the font parsed once. */
class ParsedFontToken {
  static probe(bytes: Uint8Array): boolean {
    return bytes.length === 8 && TOKEN_MAGIC.every((b, i) => bytes[i] === b) && parsedFonts.has(bytes[4]!);
  }
  constructor(stream: { buffer: Uint8Array }) {
    // A constructor returning an object makes `new` yield that object: here the parsed font.
    // biome-ignore lint/correctness/noConstructorReturn: the mechanism described in the module comment
    return parsedFonts.get(stream.buffer[4]!) as ParsedFontToken;
  }
}

/**
 * Two fixes to sharing one parsed font between documents, both in `getGlyph`:
 * - fontkit keeps one glyph object per id, with the code points of its first request. A document's subset
 *   asks for glyphs without code points (the parts of composite glyphs such as "Ê" = "E" + "̂"), and text
 *   shaped for a later document would then get that glyph without code points and an empty ToUnicode entry:
 *   the letter would be drawn but not extractable. A request with code points fills them in.
 * - Each subset decodes the outline of every glyph it includes, again for every document; the decoded
 *   outline is kept with the glyph (it is only read afterwards).
 */
function shareGlyphs(font: FontkitFont): void {
  const getGlyph = font.getGlyph.bind(font);
  const seen = new WeakSet<FontkitGlyph>();
  font.getGlyph = (id: number, ...rest: unknown[]): FontkitGlyph => {
    const glyph = getGlyph(id, ...rest);
    const codePoints = rest[0];
    if (glyph.codePoints.length === 0 && Array.isArray(codePoints) && codePoints.length > 0) {
      glyph.codePoints = codePoints as number[];
    }
    if (!seen.has(glyph)) {
      seen.add(glyph);
      const decode = glyph._decode.bind(glyph);
      let outline: unknown;
      let done = false;
      glyph._decode = () => {
        if (!done) {
          outline = decode();
          done = true;
        }
        return outline;
      };
    }
    return glyph;
  };
}

let fontFiles: Record<string, Uint8Array> | undefined;

function loadFonts(): Record<string, Uint8Array> {
  if (fontFiles) return fontFiles;
  fontkit.registerFormat(ParsedFontToken);
  const files: Record<string, Uint8Array> = {};
  const styles: Array<[string, string]> = [
    ["fonts/regular.ttf", "DejaVuSans.ttf"],
    ["fonts/bold.ttf", "DejaVuSans-Bold.ttf"],
  ];
  styles.forEach(([name, file], i) => {
    const bytes = readFileSync(require.resolve(`dejavu-fonts-ttf/ttf/${file}`));
    const font = fontkit.create(bytes);
    memoiseLayout(font);
    shareGlyphs(font);
    parsedFonts.set(i + 1, font);
    files[name] = new Uint8Array([...TOKEN_MAGIC, i + 1, 0, 0, 0]);
  });
  fontFiles = files;
  return files;
}

const FONTS = {
  [FONT_FAMILY]: {
    normal: "fonts/regular.ttf",
    bold: "fonts/bold.ttf",
    // No oblique face: the layout uses none, and each face embedded costs a font subset per document.
    italics: "fonts/regular.ttf",
    bolditalics: "fonts/bold.ttf",
  },
};

const refuse = () => false;

/**
 * A QR code as a pdfmake canvas. pdfmake's own `qr` node draws one filled square per dark module (about
 * 800 path operations for an invoice's payload); here the squares of a row are joined into runs and equal
 * runs of consecutive rows into rectangles, which draws the same picture with a fraction of the operations.
 */
export function qrCanvas(
  text: string,
  fit: number,
  eccLevel: "L" | "M" | "Q" | "H" = "M",
): { canvas: QrRect[]; width: number } {
  const measured = qrEncoder.measure({ qr: text, fit, eccLevel });
  const [background, ...modules] = measured._canvas;
  // Horizontal runs, keyed by row y.
  const rows = new Map<number, Array<{ x: number; w: number }>>();
  for (const m of modules) {
    let row = rows.get(m.y);
    if (!row) {
      row = [];
      rows.set(m.y, row);
    }
    const last = row[row.length - 1];
    if (last && last.x + last.w === m.x) last.w += m.w;
    else row.push({ x: m.x, w: m.w });
  }
  const size = modules[0]?.h ?? 1;
  // Stack a run onto an open rectangle of the previous row with the same x and width.
  const open = new Map<string, QrRect>();
  const rects: QrRect[] = [];
  for (const y of [...rows.keys()].sort((a, b) => a - b)) {
    const next = new Map<string, QrRect>();
    for (const run of rows.get(y)!) {
      const key = `${run.x}:${run.w}`;
      const above = open.get(key);
      if (above && above.y + above.h === y) {
        above.h += size;
        next.set(key, above);
      } else {
        const rect = { type: "rect", x: run.x, y, w: run.w, h: size, color: "#000" };
        rects.push(rect);
        next.set(key, rect);
      }
    }
    open.clear();
    for (const [k, v] of next) open.set(k, v);
  }
  return { canvas: background ? [background, ...rects] : rects, width: measured._width };
}

/**
 * Renders a definition to PDF bytes. `files` are the only file names the definition may refer to
 * (attachments such as "invoice.xml"); fonts are added here.
 */
export async function renderDefinition(
  definition: DocDefinition,
  files: Record<string, Uint8Array> = {},
): Promise<Buffer> {
  const table: Record<string, Uint8Array> = { ...loadFonts(), ...files };
  const fileTable: FileTable = {
    existsSync: (name) => typeof name === "string" && Object.hasOwn(table, name),
    readFileSync: (name) => {
      const bytes = table[name];
      if (!bytes) throw new Error(`no file ${name} in the document's file table`);
      return bytes;
    },
  };
  const urls = new UrlResolver(fileTable);
  urls.setUrlAccessPolicy(refuse);
  // pdfmake rewrites the font descriptors it is given: each document gets a fresh copy.
  const fonts = { [FONT_FAMILY]: { ...FONTS[FONT_FAMILY] } };
  const printer = new Printer(fonts, fileTable, urls, refuse);
  const doc = await printer.createPdfKitDocument(definition, {});
  const chunks: Buffer[] = [];
  return new Promise<Buffer>((resolve, reject) => {
    doc.on("data", (chunk) => chunks.push(chunk));
    doc.on("end", () => resolve(Buffer.concat(chunks)));
    doc.on("error", reject);
    doc.end();
  });
}
