/** Reading a signed or coded invoice for people: its model, its signatures checked, and its PDF. */
import type { Invoice } from "../domain/invoice.ts";
import { readInvoice } from "../format/invoice.ts";
import { renderInvoicePdf } from "../render/pdf.ts";
import { type SignatureSummary, summariseSignatures } from "../render/signatures.ts";
import { type SignatureReport, type VerifyOptions, verifyDocument } from "../signing/verify.ts";
import type { Lang } from "./i18n.ts";

export interface ReadDocument {
  readonly invoice?: Invoice;
  readonly reports: readonly SignatureReport[];
  readonly signatures: readonly SignatureSummary[];
  /** Every signature is valid (and there is at least one). */
  readonly signaturesValid: boolean;
  /** The authority's code written in the XML (MCCQT), if any. */
  readonly authorityCode?: string;
}

export function readDocument(
  xml: string,
  verify: Omit<VerifyOptions, "now"> | undefined,
  now: Date,
): ReadDocument {
  const read = readInvoice(xml);
  const reports = verifyDocument(xml, { warnTestCertificates: false, ...(verify ?? {}), now });
  const signatures = summariseSignatures(reports);
  const code = read.invoice?.authorityCode;
  return {
    ...(read.invoice ? { invoice: read.invoice } : {}),
    reports,
    signatures,
    signaturesValid: reports.length > 0 && reports.every((r) => r.valid),
    ...(code ? { authorityCode: code } : {}),
  };
}

export interface PdfOptions {
  readonly lookupCode?: string;
  readonly lookupUrl?: string;
  readonly language: Lang;
  readonly now: Date;
  readonly verify?: Omit<VerifyOptions, "now">;
}

/** Renders an invoice's XML as its PDF; undefined when the XML cannot be read as an invoice. */
export type PdfRenderer = (xml: string, options: PdfOptions) => Promise<Buffer | undefined>;

export const defaultPdfRenderer: PdfRenderer = async (xml, o) => {
  const doc = readDocument(xml, o.verify, o.now);
  if (!doc.invoice) return undefined;
  return renderInvoicePdf(doc.invoice, {
    ...(o.lookupCode !== undefined ? { lookupCode: o.lookupCode } : {}),
    ...(o.lookupUrl !== undefined ? { lookupUrl: o.lookupUrl } : {}),
    signatures: [...doc.signatures],
    signedXml: xml,
    language: o.language,
    producedAt: o.now,
  });
};
