/** Rendering of invoices for people: the PDF, its QR code, and the conversion to paper. */
export {
  type ConversionPurpose,
  type ConversionRecord,
  checkConversion,
  conversionCodes,
  formatLocalTime,
} from "./conversion.ts";
export { invoiceTitle, type Language } from "./labels.ts";
export { ATTACHMENT_NAME, type ConversionMark, invoiceDefinition, type RenderExtras } from "./layout.ts";
export { type ConversionRequest, renderConversion, renderInvoicePdf } from "./pdf.ts";
export { type InvoiceQrFields, invoiceQrPayload, parseInvoiceQrPayload } from "./qr.ts";
export { type SignatureSummary, summariseSignatures } from "./signatures.ts";
