/**
 * The invoice as a PDF, and its conversion to paper.
 *
 * PDF/A-3b is a best effort: pdfmake writes the PDF/A-3 identification (XMP `pdfaid:part 3`,
 * `conformance B`), an sRGB output intent, embedded and subset fonts, and attaches the signed XML with
 * `AFRelationship /Source` listed in the catalog's `/AF`. No PDF/A validator runs here (veraPDF is neither
 * in Debian nor on npm), so conformance is not verified.
 */
import type { Invoice } from "../domain/invoice.ts";
import { fail, makeProblem, ok, type Result } from "../domain/problem.ts";
import {
  type ConversionPurpose,
  type ConversionRecord,
  checkConversion,
  conversionCodes,
} from "./conversion.ts";
import { renderDefinition } from "./engine.ts";
import { ATTACHMENT_NAME, invoiceDefinition, type RenderExtras } from "./layout.ts";

function attachments(extras: RenderExtras): Record<string, Uint8Array> {
  const xml = extras.signedXml;
  if (xml === undefined) return {};
  // The signed bytes go in unchanged: re-encoding would break the signatures.
  return { [`attachments/${ATTACHMENT_NAME}`]: typeof xml === "string" ? Buffer.from(xml, "utf8") : xml };
}

/** Renders an invoice as a PDF (A4, Vietnamese, PDF/A-3b best effort, signed XML attached when given). */
export async function renderInvoicePdf(invoice: Invoice, extras: RenderExtras = {}): Promise<Buffer> {
  return renderDefinition(invoiceDefinition(invoice, extras), attachments(extras));
}

export interface ConversionRequest {
  readonly purpose: ConversionPurpose;
  /** Full name of the person converting (printed, with a line for their signature). */
  readonly converterName: string;
  readonly convertedAt: Date;
  /** Conversions of this invoice already made (the seller service's record). */
  readonly previousConversions: readonly ConversionRecord[];
}

/**
 * The paper copy of an e-invoice (Circular 32/2011 Art 12): the invoice with the mark "HÓA ĐƠN CHUYỂN ĐỔI
 * TỪ HÓA ĐƠN ĐIỆN TỬ" on every page, the converter's name and signature line and the time of conversion;
 * for proof of origin of goods, also the legal representative's signature and seal, and only once.
 * Refused (as problems) for a second proof-of-origin copy, without a converter's name, or when a
 * signature of the invoice is not valid. The caller records the conversion when this succeeds.
 */
export async function renderConversion(
  invoice: Invoice,
  extras: RenderExtras,
  request: ConversionRequest,
): Promise<Result<Buffer>> {
  const problems = checkConversion(request.purpose, request.previousConversions);
  if (request.converterName.trim() === "") {
    problems.push(makeProblem(conversionCodes, "CONVERSION_CONVERTER_REQUIRED", "converterName"));
  }
  const bad = extras.signatures?.find((s) => !s.valid);
  if (bad) {
    problems.push(
      makeProblem(conversionCodes, "CONVERSION_INVALID_SIGNATURE", "signatures", {
        signer: bad.signer || bad.role,
      }),
    );
  }
  if (problems.length > 0) return fail(problems);
  const definition = invoiceDefinition(invoice, extras, {
    purpose: request.purpose,
    converterName: request.converterName.trim(),
    convertedAt: request.convertedAt,
  });
  return ok(await renderDefinition(definition, attachments(extras)));
}
