/**
 * Excel (.xlsx) import and export of invoices: the import template, all-or-nothing import with problems
 * per cell, and streaming export of lists and sales reports. No spreadsheet library: see `xlsx.ts`.
 */
export { decodeDecimal, encodeDecimal } from "./cells.ts";
export { excelCodes } from "./codes.ts";
export {
  exportInvoices,
  exportSalesReport,
  type InvoiceListRow,
  listRowOf,
  type ReportPeriod,
  reportRowOf,
  type SalesReportRow,
} from "./export.ts";
export {
  type ImportedInvoice,
  type ImportItem,
  type ImportOptions,
  type ImportProblem,
  type ImportProgress,
  type ImportResult,
  importAll,
  importInvoices,
  totalsFromLines,
} from "./import.ts";
export {
  INVOICE_SHEET,
  LINE_SHEET,
  type RefInvoice,
  writeImportTemplate,
  writeImportWorkbook,
} from "./template.ts";
export { XlsxReader, XlsxWriter } from "./xlsx.ts";
