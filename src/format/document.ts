/**
 * Reads any document hddt meets — an invoice (HDon), a message (TDiep) with its payloads, a form or notice,
 * a T-VAN lookup reply, a portal JSON record — and says what it is. Used by `hddt check` and by the parts
 * that receive documents of unknown kind.
 */
import type { Invoice } from "../domain/invoice.ts";
import { defineCodes, makeProblem, type Problem } from "../domain/problem.ts";
import { inspectMessageElement } from "./envelope.ts";
import { readInvoice, xmlPathOf } from "./invoice.ts";
import { isPortalInvoiceJson, portalPathOf, readPortalInvoice } from "./portal-json.ts";
import { localName, type ParsedXml, parseXml, type XmlElement } from "./xml.ts";

export const documentCodes = defineCodes({
  DOCUMENT_UNKNOWN_KIND: {
    vi: "Không nhận diện được loại tài liệu (phần tử gốc {root})",
    en: "Unknown kind of document (root element {root})",
  },
  DOCUMENT_BAD_JSON: {
    vi: "Tệp JSON không hợp lệ: {reason}",
    en: "Invalid JSON: {reason}",
  },
});

export interface DocumentInvoice {
  invoice: Invoice;
  /** Where a model path of this invoice ("lines[2].amount") is in the document (XPath or JSON path). */
  pathOf: (modelPath: string) => string;
}

/** Path mapping for an HDon at `prefix` ("/HDon", "/TDiep/DLieu/HDon[1]"). */
function xmlPaths(prefix: string): (modelPath: string) => string {
  return (mp) => {
    const x = xmlPathOf(mp);
    return x.startsWith("/HDon") ? prefix + x.slice(5) : x;
  };
}

export interface ReadDocument {
  /** invoice | message:<type> | registration | notice | summary-table | adjustment-list | lookup-reply | portal-json | unknown */
  kind: string;
  version: string | undefined;
  /** True when the input is not a readable document at all (not XML or JSON, too large, bad UTF-8…). */
  unreadable: boolean;
  problems: Problem[];
  /** Invoices found in the document, to be checked against the business rules. */
  invoices: DocumentInvoice[];
  /** The XML text, for signature verification. */
  xml?: string;
  parsed?: ParsedXml;
}

/** Root element → kind, for documents that are not invoices or messages. */
const ROOT_KINDS: Readonly<Record<string, string>> = {
  TKhai: "registration",
  TBao: "notice",
  BTHDLieu: "summary-table",
  BKe: "adjustment-list",
  KetQuaTraCuu: "lookup-reply",
};

export function readDocument(bytes: Uint8Array): ReadDocument {
  const first = firstNonSpace(bytes);
  if (first === 0x7b /* { */ || first === 0x5b /* [ */) return readJson(bytes);
  const r = parseXml(bytes);
  if (!r.ok)
    return { kind: "unknown", version: undefined, unreadable: true, problems: r.problems, invoices: [] };
  const parsed = r.value;
  const root = parsed.root;
  const name = localName(root.name);
  const base = { unreadable: false, xml: parsed.source, parsed };
  if (name === "HDon") {
    const inv = readInvoice(parsed);
    return {
      ...base,
      kind: "invoice",
      version: inv.version,
      problems: inv.problems,
      invoices: inv.invoice ? [{ invoice: inv.invoice, pathOf: xmlPaths("/HDon") }] : [],
    };
  }
  if (name === "TDiep") return readMessageDocument(root, parsed);
  const kind = ROOT_KINDS[name];
  if (kind) {
    return { ...base, kind, version: versionOf(root), problems: [], invoices: [] };
  }
  return {
    ...base,
    kind: "unknown",
    version: undefined,
    problems: [makeProblem(documentCodes, "DOCUMENT_UNKNOWN_KIND", "/", { root: root.name })],
    invoices: [],
  };
}

function readMessageDocument(root: XmlElement, parsed: ParsedXml): ReadDocument {
  const m = inspectMessageElement(root, parsed, "/TDiep");
  const invoices: DocumentInvoice[] = [];
  const problems = [...m.problems];
  const hdons = m.payloads.filter((p) => localName(p.name) === "HDon");
  hdons.forEach((el, i) => {
    const prefix = `/TDiep/DLieu/HDon[${i + 1}]`;
    const inv = readInvoice({ root: el, source: parsed.source, instructions: [] });
    for (const p of inv.problems) problems.push({ ...p, path: p.path.replace(/^\/HDon/, prefix) });
    if (inv.invoice) invoices.push({ invoice: inv.invoice, pathOf: xmlPaths(prefix) });
  });
  return {
    kind: `message:${m.typeText ?? "?"}`,
    version: m.header.version,
    unreadable: false,
    problems,
    invoices,
    xml: parsed.source,
    parsed,
  };
}

function readJson(bytes: Uint8Array): ReadDocument {
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes));
  } catch (e) {
    return {
      kind: "unknown",
      version: undefined,
      unreadable: true,
      problems: [makeProblem(documentCodes, "DOCUMENT_BAD_JSON", "$", { reason: (e as Error).message })],
      invoices: [],
    };
  }
  if (!isPortalInvoiceJson(value)) {
    return {
      kind: "unknown",
      version: undefined,
      unreadable: false,
      problems: [makeProblem(documentCodes, "DOCUMENT_UNKNOWN_KIND", "$", { root: "JSON" })],
      invoices: [],
    };
  }
  const r = readPortalInvoice(value);
  return {
    kind: "portal-json",
    version: r.invoice?.header.version || undefined,
    unreadable: false,
    problems: r.problems,
    invoices: r.invoice ? [{ invoice: r.invoice, pathOf: portalPathOf }] : [],
  };
}

function versionOf(root: XmlElement): string | undefined {
  // PBan sits in the first Id-bearing child's TTChung (DLTKhai/DLTBao/DLBTHop/NDBKe) or directly in it.
  const stack: XmlElement[] = [root];
  let steps = 0;
  while (stack.length > 0 && steps++ < 200) {
    const el = stack.shift()!;
    for (const c of el.children) {
      if (c.name === "PBan") return c.text.trim() || undefined;
      stack.push(c);
    }
  }
  return undefined;
}

function firstNonSpace(bytes: Uint8Array): number | undefined {
  let i = 0;
  if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) i = 3;
  for (; i < bytes.length; i++) {
    const b = bytes[i]!;
    if (b !== 0x20 && b !== 0x0a && b !== 0x0d && b !== 0x09) return b;
  }
  return undefined;
}
