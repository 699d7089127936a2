/**
 * The import workbook: its two sheets and their columns, the empty template users download, and the same
 * layout filled from invoice models (for a round trip, and to hand drafts back for editing).
 *
 * Row 1 holds the Vietnamese headers, row 2 the English ones; data starts on row 3. The importer finds
 * columns by header (either language), so columns may be moved or left out when optional. Amount, code
 * and rate columns are formatted as text ("@"), so what the user types stays text: a tax code keeps its
 * leading zero, "10%" is not turned into 0.1 and long amounts are not rounded by Excel.
 */
import type { Writable } from "node:stream";
import { TEMPLATE_MEANINGS } from "../domain/codes.ts";
import type { Dec } from "../domain/decimal.ts";
import type { Invoice, InvoiceLine } from "../domain/invoice.ts";
import type { CellInput, SheetSpec, StyleName } from "./xlsx.ts";
import { writeWorkbook } from "./xlsx.ts";

export type ColumnKind = "text" | "decimal" | "date" | "integer" | "nature" | "rate";

export interface ColumnDef {
  readonly key: string;
  readonly vi: string;
  readonly en: string;
  readonly width: number;
  readonly kind: ColumnKind;
  readonly required?: boolean;
  /** The model field it fills (relative to the invoice, or to the line on the lines sheet). */
  readonly field?: string;
}

export const INVOICE_SHEET = "Hóa đơn";
export const LINE_SHEET = "Hàng hóa";
/** The first data row (after the Vietnamese and English header rows). */
export const FIRST_DATA_ROW = 3;

export const INVOICE_COLUMNS: readonly ColumnDef[] = [
  { key: "ref", vi: "Mã tham chiếu", en: "External reference", width: 18, kind: "text", required: true },
  {
    key: "template",
    vi: "Mẫu số",
    en: "Template",
    width: 9,
    kind: "text",
    required: true,
    field: "header.template",
  },
  {
    key: "series",
    vi: "Ký hiệu",
    en: "Series",
    width: 10,
    kind: "text",
    required: true,
    field: "header.series",
  },
  {
    key: "issueDate",
    vi: "Ngày lập",
    en: "Issue date",
    width: 12,
    kind: "date",
    required: true,
    field: "header.issueDate",
  },
  { key: "name", vi: "Tên hóa đơn", en: "Invoice title", width: 26, kind: "text", field: "header.name" },
  { key: "currency", vi: "Loại tiền", en: "Currency", width: 9, kind: "text", field: "header.currency" },
  {
    key: "exchangeRate",
    vi: "Tỷ giá",
    en: "Exchange rate",
    width: 10,
    kind: "decimal",
    field: "header.exchangeRate",
  },
  {
    key: "paymentMethod",
    vi: "Hình thức thanh toán",
    en: "Payment method",
    width: 14,
    kind: "text",
    field: "header.paymentMethod",
  },
  {
    key: "buyerTaxCode",
    vi: "MST người mua",
    en: "Buyer tax code",
    width: 15,
    kind: "text",
    field: "buyer.taxCode",
  },
  { key: "buyerName", vi: "Tên đơn vị mua", en: "Buyer name", width: 32, kind: "text", field: "buyer.name" },
  { key: "buyerAddress", vi: "Địa chỉ", en: "Address", width: 36, kind: "text", field: "buyer.address" },
  { key: "buyerEmail", vi: "Email", en: "E-mail", width: 24, kind: "text", field: "buyer.email" },
  {
    key: "buyerContact",
    vi: "Họ tên người mua hàng",
    en: "Contact person",
    width: 22,
    kind: "text",
    field: "buyer.contactName",
  },
  { key: "buyerPhone", vi: "Số điện thoại", en: "Phone", width: 14, kind: "text", field: "buyer.phone" },
  {
    key: "buyerCode",
    vi: "Mã khách hàng",
    en: "Customer code",
    width: 14,
    kind: "text",
    field: "buyer.customerCode",
  },
  {
    key: "buyerCitizenId",
    vi: "Số CCCD",
    en: "Citizen ID",
    width: 14,
    kind: "text",
    field: "buyer.citizenId",
  },
  {
    key: "buyerBankAccount",
    vi: "Số tài khoản",
    en: "Bank account",
    width: 16,
    kind: "text",
    field: "buyer.bankAccount",
  },
  { key: "buyerBankName", vi: "Ngân hàng", en: "Bank", width: 20, kind: "text", field: "buyer.bankName" },
];

export const LINE_COLUMNS: readonly ColumnDef[] = [
  {
    key: "ref",
    vi: "Mã tham chiếu hóa đơn",
    en: "Invoice reference",
    width: 18,
    kind: "text",
    required: true,
  },
  { key: "lineNo", vi: "STT", en: "Line no", width: 6, kind: "integer", field: "lineNo" },
  { key: "nature", vi: "Tính chất", en: "Nature (1-5)", width: 9, kind: "nature", field: "nature" },
  { key: "itemCode", vi: "Mã hàng", en: "Item code", width: 12, kind: "text", field: "itemCode" },
  {
    key: "itemName",
    vi: "Tên hàng hóa, dịch vụ",
    en: "Item name",
    width: 36,
    kind: "text",
    required: true,
    field: "itemName",
  },
  { key: "unit", vi: "Đơn vị tính", en: "Unit", width: 10, kind: "text", field: "unit" },
  { key: "quantity", vi: "Số lượng", en: "Quantity", width: 10, kind: "decimal", field: "quantity" },
  { key: "unitPrice", vi: "Đơn giá", en: "Unit price", width: 14, kind: "decimal", field: "unitPrice" },
  {
    key: "discountRate",
    vi: "Tỷ lệ chiết khấu (%)",
    en: "Discount rate (%)",
    width: 10,
    kind: "decimal",
    field: "discountRate",
  },
  {
    key: "discountAmount",
    vi: "Số tiền chiết khấu",
    en: "Discount amount",
    width: 14,
    kind: "decimal",
    field: "discountAmount",
  },
  { key: "vatRate", vi: "Thuế suất", en: "VAT rate", width: 9, kind: "rate", field: "vatRate" },
  {
    key: "amount",
    vi: "Thành tiền chưa thuế",
    en: "Amount before VAT",
    width: 16,
    kind: "decimal",
    field: "amount",
  },
];

/** The rates offered in the VAT-rate drop-down (Annex V); others, e.g. "KHAC:5.26%", are allowed with a warning. */
export const RATE_CHOICES = ["0%", "5%", "8%", "10%", "KCT", "KKKNT", "KHAC"] as const;

function styleOf(kind: ColumnKind): StyleName {
  return kind === "date" ? "date" : kind === "integer" || kind === "nature" ? "default" : "text";
}

function colIndex(cols: readonly ColumnDef[], key: string): number {
  return cols.findIndex((c) => c.key === key);
}

export const INVOICE_SHEET_SPEC: SheetSpec = {
  name: INVOICE_SHEET,
  columns: INVOICE_COLUMNS.map((c) => ({ width: c.width, style: styleOf(c.kind) })),
  frozenRows: 2,
  validations: [
    {
      column: colIndex(INVOICE_COLUMNS, "template"),
      fromRow: FIRST_DATA_ROW,
      values: ["1", "2", "3", "4", "5", "6", "7", "8", "9"],
      strict: true,
      title: "Mẫu số",
      prompt:
        "1 GTGT, 2 bán hàng, 3 tài sản công, 4 dự trữ quốc gia, 5 khác, 6 phiếu xuất kho, 7 thương mại, 8-9 kèm biên lai",
    },
    {
      column: colIndex(INVOICE_COLUMNS, "currency"),
      fromRow: FIRST_DATA_ROW,
      values: ["VND", "USD", "EUR", "JPY", "CNY"],
    },
    {
      column: colIndex(INVOICE_COLUMNS, "paymentMethod"),
      fromRow: FIRST_DATA_ROW,
      values: ["TM", "CK", "TM/CK", "Bù trừ"],
    },
  ],
};

export const LINE_SHEET_SPEC: SheetSpec = {
  name: LINE_SHEET,
  columns: LINE_COLUMNS.map((c) => ({ width: c.width, style: styleOf(c.kind) })),
  frozenRows: 2,
  validations: [
    {
      column: colIndex(LINE_COLUMNS, "nature"),
      fromRow: FIRST_DATA_ROW,
      values: ["1", "2", "3", "4", "5"],
      strict: true,
      title: "Tính chất",
      prompt: "1 hàng hóa, dịch vụ; 2 khuyến mại; 3 chiết khấu thương mại; 4 ghi chú; 5 hàng hóa đặc trưng",
    },
    {
      column: colIndex(LINE_COLUMNS, "vatRate"),
      fromRow: FIRST_DATA_ROW,
      values: RATE_CHOICES,
      title: "Thuế suất",
      prompt: "0%, 5%, 8%, 10%, KCT, KKKNT hoặc KHAC:AB.CD%",
    },
  ],
};

function headerRows(cols: readonly ColumnDef[]): CellInput[][] {
  return [
    cols.map((c) => ({ value: c.required ? `${c.vi} (*)` : c.vi, style: "header" as const })),
    cols.map((c) => ({ value: c.en, style: "subheader" as const })),
  ];
}

/** Writes the empty import template (.xlsx) to a path or a stream. */
export async function writeImportTemplate(output: string | Writable): Promise<void> {
  await writeWorkbook(output, async (w) => {
    await w.addSheet(INVOICE_SHEET_SPEC, headerRows(INVOICE_COLUMNS));
    await w.addSheet(LINE_SHEET_SPEC, headerRows(LINE_COLUMNS));
  });
}

export interface RefInvoice {
  /** The caller's reference that ties lines to their invoice. */
  readonly ref: string;
  readonly invoice: Invoice;
}

type Source = () => AsyncIterable<RefInvoice> | Iterable<RefInvoice>;

const get = (obj: object | undefined, path: string): unknown =>
  path
    .split(".")
    .reduce<unknown>(
      (o, k) => (o && typeof o === "object" ? (o as Record<string, unknown>)[k] : undefined),
      obj,
    );

function cellOf(col: ColumnDef, value: unknown): CellInput {
  if (value === undefined || value === null) return undefined;
  if (col.kind === "date") return { date: value as string };
  if (col.kind === "integer" || col.kind === "nature") return value as number;
  if (col.kind === "decimal") return value as Dec;
  return String(value);
}

/**
 * Writes invoices in the import layout (the template filled in). `source` is called twice, once per sheet,
 * so a generator over a database cursor streams both sheets without holding the invoices.
 */
export async function writeImportWorkbook(output: string | Writable, source: Source): Promise<void> {
  await writeWorkbook(output, async (w) => {
    await w.addSheet(
      INVOICE_SHEET_SPEC,
      (async function* () {
        yield* headerRows(INVOICE_COLUMNS);
        for await (const { ref, invoice } of source()) {
          yield INVOICE_COLUMNS.map((c) =>
            c.key === "ref" ? ref : cellOf(c, c.field ? get(invoice, c.field) : undefined),
          );
        }
      })(),
    );
    await w.addSheet(
      LINE_SHEET_SPEC,
      (async function* () {
        yield* headerRows(LINE_COLUMNS);
        for await (const { ref, invoice } of source()) {
          for (const line of invoice.lines) yield lineRow(ref, line);
        }
      })(),
    );
  });
}

function lineRow(ref: string, line: InvoiceLine): CellInput[] {
  return LINE_COLUMNS.map((c) =>
    c.key === "ref" ? ref : cellOf(c, c.field ? get(line, c.field) : undefined),
  );
}

/** The default title (THDon) of a template digit. */
export function defaultInvoiceName(template: string): string {
  return TEMPLATE_MEANINGS[template as keyof typeof TEMPLATE_MEANINGS]?.vi ?? "";
}
