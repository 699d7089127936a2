/**
 * Reading a rendered PDF back with independent tools: Debian's poppler-utils (`pdftotext`, `pdftoppm`) for
 * the text and the page image, qpdf for the structure and attachments, jsQR for the QR code on the page.
 * The tools are required (CI installs poppler-utils and qpdf): a missing tool fails the test.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import jsQRModule from "jsqr";

// jsqr is a CommonJS bundle whose export is the function itself (also as `.default`); its types declare an
// ES default export, which Node's ESM interop and the type checker read differently.
type JsQr = typeof import("jsqr").default;
const jsQR: JsQr = (jsQRModule as unknown as { default?: JsQr }).default ?? (jsQRModule as unknown as JsQr);

function withFile<T>(pdf: Uint8Array, fn: (file: string) => T): T {
  const dir = mkdtempSync(join(tmpdir(), "hddt-render-"));
  try {
    const file = join(dir, "invoice.pdf");
    writeFileSync(file, pdf);
    return fn(file);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function run(tool: string, args: string[]): Buffer {
  try {
    return execFileSync(tool, args, { stdio: ["ignore", "pipe", "pipe"], maxBuffer: 64 * 1024 * 1024 });
  } catch (e) {
    const err = e as NodeJS.ErrnoException & { stderr?: Buffer };
    if (err.code === "ENOENT") {
      throw new Error(`${tool} is not installed: install Debian's poppler-utils and qpdf (see .ci/run)`);
    }
    throw new Error(`${tool} ${args.join(" ")} failed: ${err.stderr?.toString() ?? err.message}`);
  }
}

/** The text of every page as pdftotext extracts it (reading order, UTF-8), pages separated by \f. */
export function pdfText(pdf: Uint8Array): string {
  return withFile(pdf, (file) => run("pdftotext", ["-enc", "UTF-8", file, "-"]).toString("utf8"));
}

/** The same text with runs of whitespace made single spaces, for phrase checks across line breaks. */
export function flatText(pdf: Uint8Array): string {
  return pdfText(pdf).replace(/\s+/g, " ");
}

/** Number of pages (from pdfinfo). */
export function pageCount(pdf: Uint8Array): number {
  const info = withFile(pdf, (file) => run("pdfinfo", [file]).toString("utf8"));
  return Number(/^Pages:\s+(\d+)/m.exec(info)?.[1]);
}

/** Renders a page to a grey image with pdftoppm and decodes the QR code on it with jsQR. */
export function decodeQr(pdf: Uint8Array, page = 1, dpi = 150): string | undefined {
  const pgm = withFile(pdf, (file) =>
    run("pdftoppm", ["-gray", "-r", String(dpi), "-f", String(page), "-l", String(page), file]),
  );
  // Binary PGM: "P5", width, height, maxval, then one byte per pixel.
  const header = /^P5\s+(\d+)\s+(\d+)\s+(\d+)\s/.exec(pgm.subarray(0, 64).toString("latin1"));
  if (!header) throw new Error("pdftoppm did not write a binary PGM");
  const [all, w, h] = header;
  const width = Number(w);
  const height = Number(h);
  const pixels = pgm.subarray(all.length);
  const rgba = new Uint8ClampedArray(width * height * 4);
  for (let i = 0; i < width * height; i++) {
    const v = pixels[i]!;
    rgba[i * 4] = v;
    rgba[i * 4 + 1] = v;
    rgba[i * 4 + 2] = v;
    rgba[i * 4 + 3] = 255;
  }
  return jsQR(rgba, width, height)?.data;
}

/** Names of the embedded files (qpdf --list-attachments). */
export function attachmentNames(pdf: Uint8Array): string[] {
  const out = withFile(pdf, (file) => run("qpdf", ["--list-attachments", file]).toString("utf8"));
  return out
    .split("\n")
    .map((l) => /^(\S+) ->/.exec(l)?.[1])
    .filter((n): n is string => n !== undefined);
}

/** The bytes of an embedded file (qpdf --show-attachment). */
export function attachment(pdf: Uint8Array, name: string): Buffer {
  return withFile(pdf, (file) => run("qpdf", [`--show-attachment=${name}`, file]));
}

/** The PDF rewritten uncompressed (qpdf --qdf), to look at its objects and XMP as text. */
export function qdf(pdf: Uint8Array): string {
  return withFile(pdf, (file) =>
    run("qpdf", ["--qdf", "--object-streams=disable", file, "-"]).toString("latin1"),
  );
}

/** qpdf's structural check; throws with qpdf's report when the file is damaged. */
export function qpdfCheck(pdf: Uint8Array): string {
  return withFile(pdf, (file) => run("qpdf", ["--check", file]).toString("utf8"));
}
