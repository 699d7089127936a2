import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Dec } from "../../src/domain/decimal.ts";
import type { Invoice, InvoiceLine } from "../../src/domain/invoice.ts";
import { parseVatRate } from "../../src/domain/vat.ts";
import {
  type ImportProgress,
  importAll,
  importInvoices,
  totalsFromLines,
  writeImportTemplate,
  writeImportWorkbook,
  XlsxReader,
} from "../../src/excel/index.ts";
import { RATE_CHOICES } from "../../src/excel/template.ts";
import { type CellInput, writeWorkbook } from "../../src/excel/xlsx.ts";
import { ZipReader, ZipWriter } from "../../src/excel/zip.ts";
import { sampleInvoice } from "../support/invoices.ts";

const d = Dec.parse;
const seller = sampleInvoice(1).seller;
let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "hddt-excel-test-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});
const file = (name: string) => join(dir, name);

/** Decimals compared by value (1.50 = 1.5), everything else as is. */
function plain(x: unknown): unknown {
  if (x instanceof Dec) return `#${x.normalize().toString()}`;
  if (Array.isArray(x)) return x.map(plain);
  if (x && typeof x === "object") return Object.fromEntries(Object.entries(x).map(([k, v]) => [k, plain(v)]));
  return x;
}

/** The model the importer is expected to build for invoice `inv`: a draft with computed totals. */
function draftOf(inv: Invoice): Invoice {
  const { number: _n, providerTaxCode: _p, ...header } = inv.header;
  return {
    dataId: "DLHDon",
    header,
    seller,
    buyer: inv.buyer,
    lines: inv.lines,
    totals: totalsFromLines(inv.lines, inv.header.currency),
    signatures: [],
  };
}

function line(i: number, over: Partial<InvoiceLine> = {}): InvoiceLine {
  return {
    nature: 1,
    lineNo: i,
    itemCode: `SP${i}`,
    itemName: `Hàng "số" ${i} & <phụ kiện>`,
    unit: "Cái",
    quantity: d("3"),
    unitPrice: d("125000.5"),
    amount: d("375002"),
    vatRate: "10%",
    ...over,
  };
}

const INV_HEAD = [
  [
    "Mã tham chiếu",
    "Mẫu số",
    "Ký hiệu",
    "Ngày lập",
    "Loại tiền",
    "Tỷ giá",
    "MST người mua",
    "Tên đơn vị mua",
  ],
  [
    "External reference",
    "Template",
    "Series",
    "Issue date",
    "Currency",
    "Exchange rate",
    "Buyer tax code",
    "Buyer name",
  ],
];
const LINE_HEAD = [
  [
    "Mã tham chiếu hóa đơn",
    "STT",
    "Tính chất",
    "Tên hàng hóa, dịch vụ",
    "Số lượng",
    "Đơn giá",
    "Thuế suất",
    "Thành tiền chưa thuế",
  ],
  [
    "Invoice reference",
    "Line no",
    "Nature (1-5)",
    "Item name",
    "Quantity",
    "Unit price",
    "VAT rate",
    "Amount before VAT",
  ],
];

/** A workbook written cell by cell (as a user would fill it), with a reduced set of columns. */
async function writeRaw(path: string, invoices: CellInput[][], lines: CellInput[][]): Promise<void> {
  await writeWorkbook(path, async (w) => {
    await w.addSheet({ name: "Hóa đơn", columns: [] }, [...INV_HEAD, ...invoices]);
    await w.addSheet({ name: "Hàng hóa", columns: [] }, [...LINE_HEAD, ...lines]);
  });
}

describe("the import template", () => {
  it("has both sheets with Vietnamese and English headers, and the VAT rates of vat.ts as a drop-down", async () => {
    const path = file("template.xlsx");
    await writeImportTemplate(path);
    const reader = await XlsxReader.open(path);
    expect(reader.sheetNames).toEqual(["Hóa đơn", "Hàng hóa"]);
    const rows = [];
    for await (const batch of reader.rows("Hàng hóa")) rows.push(...batch);
    await reader.close();
    expect(rows.map((r) => r.row)).toEqual([1, 2]);
    expect(rows[0]!.cells.get(10)).toEqual({ kind: "text", raw: "Thuế suất" });
    expect(rows[1]!.cells.get(10)).toEqual({ kind: "text", raw: "VAT rate" });
    const zip = await ZipReader.open(path);
    const sheet = await zip.readAll("xl/worksheets/sheet2.xml");
    await zip.close();
    expect(sheet).toContain(`sqref="K3:K1048576"><formula1>"${RATE_CHOICES.join(",")}"</formula1>`);
    expect(sheet).toMatch(/<col min="5" max="5" width="36"/);
    for (const r of RATE_CHOICES) expect(parseVatRate(r), r).toBeDefined();
  });
});

describe("import", () => {
  it("gives back exactly the models of a filled template, with totals computed from the lines", async () => {
    const vnd = sampleInvoice(4);
    const usd = sampleInvoice(1, { currency: "USD", exchangeRate: d("25123.45"), paymentMethod: "CK" });
    usd.lines = [
      line(1, { unitPrice: d("0.1"), quantity: d("7"), amount: d("0.7") }),
      line(2, {
        nature: 3,
        itemName: "Chiết khấu",
        unitPrice: undefined,
        quantity: undefined,
        amount: d("0.2"),
      }),
      line(3, {
        nature: 4,
        itemName: "Ghi chú: giao hàng tại kho",
        unit: undefined,
        quantity: undefined,
        unitPrice: undefined,
        amount: undefined,
        vatRate: undefined,
        itemCode: undefined,
      }),
    ].map((l) => Object.fromEntries(Object.entries(l).filter(([, v]) => v !== undefined)) as InvoiceLine);
    const source = [
      { ref: "DH-001", invoice: vnd },
      { ref: "DH-002", invoice: usd },
    ];
    const path = file("filled.xlsx");
    await writeImportWorkbook(path, () => source);
    const result = await importAll(path, { seller });
    if (!result.ok) throw new Error(JSON.stringify(result.problems, null, 1));
    expect(result.invoices.map((i) => [i.ref, i.row])).toEqual([
      ["DH-001", 3],
      ["DH-002", 4],
    ]);
    expect(plain(result.invoices[0]!.invoice)).toEqual(plain(draftOf(vnd)));
    expect(plain(result.invoices[1]!.invoice)).toEqual(plain(draftOf(usd)));
    expect(result.invoices[1]!.invoice.totals.totalBeforeVat?.toString()).toBe("0.5");
  });

  it("reads from a stream as from a path", async () => {
    const path = file("stream.xlsx");
    await writeImportWorkbook(path, () => [{ ref: "A", invoice: sampleInvoice(2) }]);
    const { createReadStream } = await import("node:fs");
    const result = await importAll(createReadStream(path), { seller });
    expect(result.ok).toBe(true);
  });

  it("keeps 0.1 + 0.2 style values and 21-digit integers exact", async () => {
    const path = file("exact.xlsx");
    await writeRaw(
      path,
      [
        ["R1", "2", "C25TAA", "2025-07-15", "USD", "25000"],
        ["R2", "2", "C25TAA", "2025-07-15", "VND"],
      ],
      [
        // Numeric cells holding float noise as Excel stores a computed 0.3, and a 21-digit text amount.
        ["R1", 1, 1, "Dịch vụ A", 0.1 + 0.2, 3, undefined, 0.1 + 0.2 + 0.6],
        ["R2", 1, 1, "Dịch vụ B", "1", "123456789012345678901", "KCT", "123456789012345678901"],
      ],
    );
    const result = await importAll(path, { seller });
    if (!result.ok) throw new Error(JSON.stringify(result.problems, null, 1));
    const [usd, big] = result.invoices.map((i) => i.invoice);
    expect(usd!.lines[0]!.quantity?.toString()).toBe("0.3");
    expect(usd!.lines[0]!.amount?.toString()).toBe("0.9");
    expect(usd!.totals.totalPayable.toString()).toBe("0.9");
    expect(big!.lines[0]!.unitPrice?.toString()).toBe("123456789012345678901");
    expect(big!.totals.totalPayable.toString()).toBe("123456789012345678901");
  });

  it("computes a blank line amount as quantity × price, rounded to the currency", async () => {
    const path = file("blank-amount.xlsx");
    await writeRaw(
      path,
      [
        ["V", "2", "C25TAA", "2025-07-15", "VND"],
        ["U", "2", "C25TAA", "2025-07-15", "USD", "25000"],
      ],
      [
        ["V", 1, 1, "Dịch vụ", "3", "33.335"],
        ["U", 1, 1, "Service", "3", "33.335"],
      ],
    );
    const result = await importAll(path, { seller });
    if (!result.ok) throw new Error(JSON.stringify(result.problems, null, 1));
    expect(result.invoices.map((i) => i.invoice.lines[0]!.amount?.toString())).toEqual(["100", "100.01"]);
  });

  it("accepts lines in any order, before or after other invoices' lines, and numbers lines without STT", async () => {
    const path = file("order.xlsx");
    await writeRaw(
      path,
      [
        ["B", "1", "C25TAA", "15/07/2025", "VND", undefined, "0309478306", "Công ty B"],
        ["A", "1", "C25TAA", { date: "2025-07-16" }, "VND", undefined, "0309478306", "Công ty A"],
      ],
      [
        ["A", 2, 1, "A hai", "1", "200", "10%", "200"],
        // A rate cell that Excel turned into the number 0.05 (typed "5%" in a General cell).
        ["B", undefined, 1, "B một", "1", "50", 0.05, "50"],
        ["A", 1, 1, "A một", "2", "50", "10%", "100"],
        ["B", undefined, 1, "B hai", "1", "70", "KCT", "70"],
      ],
    );
    const result = await importAll(path, { seller });
    if (!result.ok) throw new Error(JSON.stringify(result.problems, null, 1));
    const [b, a] = result.invoices.map((i) => i.invoice);
    expect(a!.header.issueDate).toBe("2025-07-16");
    expect(a!.lines.map((l) => [l.lineNo, l.itemName])).toEqual([
      [1, "A một"],
      [2, "A hai"],
    ]);
    expect(b!.header.issueDate).toBe("2025-07-15");
    expect(b!.lines.map((l) => [l.lineNo, l.itemName])).toEqual([
      [1, "B một"],
      [2, "B hai"],
    ]);
    expect(a!.totals.totalPayable.toString()).toBe("330");
    expect(b!.totals.byRate.map((r) => [r.vatRate, r.amount.toString(), r.vatAmount?.toString()])).toEqual([
      ["5%", "50", "3"],
      ["KCT", "70", "0"],
    ]);
  });

  it("reports every bad cell with its code and address, and imports nothing", async () => {
    const path = file("errors.xlsx");
    await writeRaw(
      path,
      [
        ["OK", "1", "C25TAA", "2025-07-15", "VND"],
        ["BAD-DATE", "1", "C25TAA", "32/13/2025", "VND"],
        ["OK", "1", "C25TAA", "2025-07-15", "VND"],
        ["BAD-RATE", "1", "C25TAA", "2025-07-15", "VND"],
        [undefined, "1", "C25TAA", "2025-07-15", "VND"],
      ],
      [
        ["OK", 1, 1, "Hàng", "1", "100", "10%", "100"],
        ["BAD-DATE", 1, 1, "Hàng", "1,5", "100", "10%", "100"],
        ["BAD-RATE", 1, 7, "Hàng", "1", "100", "12%", "100"],
        ["BAD-RATE", 2, 1, undefined, "1", "100", "12%", "100"],
        ["NOPE", 1, 1, "Hàng", "1", "100", "10%", "100"],
      ],
    );
    const result = await importAll(path, { seller });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    const found = result.problems.map((p) => [p.code, p.path]);
    expect(found).toEqual(
      expect.arrayContaining([
        ["EXCEL_DUPLICATE_REF", "Hóa đơn!A5"],
        ["EXCEL_REQUIRED", "Hóa đơn!A7"],
        ["EXCEL_UNKNOWN_REF", "Hàng hóa!A7"],
        ["EXCEL_BAD_DATE", "Hóa đơn!D4"],
        ["EXCEL_BAD_NUMBER", "Hàng hóa!E4"],
        ["EXCEL_BAD_NATURE", "Hàng hóa!C5"],
        ["EXCEL_REQUIRED", "Hàng hóa!D6"],
      ]),
    );
    const date = result.problems.find((p) => p.code === "EXCEL_BAD_DATE")!;
    expect(date.field).toBe("invoices[1].header.issueDate");
    expect(date.messageVi).toContain("32/13/2025");
    expect(date.message).toContain("is not a date");
  });

  it("maps the validator's model paths back to the cells of the sheet", async () => {
    const path = file("rules.xlsx");
    await writeRaw(
      path,
      [
        ["R1", "1", "C25TAA", "2025-07-15", "VND", undefined, "0309478306", "Công ty"],
        ["R2", "1", "C25TAA", "2025-07-15", "VND", undefined, "0309478306", "Công ty"],
      ],
      [
        ["R1", 1, 1, "Hàng", "1", "100", "10%", "100"],
        ["R2", 1, 1, "Hàng", "1", "100", "10%", "100"],
        ["R2", 2, 1, "Hàng", "1", "100", "12%", "100"],
      ],
    );
    const items = [];
    for await (const item of importInvoices(path, { seller })) items.push(item);
    expect(items[0]!.ok).toBe(true);
    expect(items[1]!.ok).toBe(false);
    if (items[1]!.ok) return;
    const rate = items[1]!.problems.find((p) => p.code === "VAT_RATE_FORMAT");
    expect(rate?.path).toBe("Hàng hóa!G5");
    expect(rate?.field).toBe("invoices[1].lines[1].vatRate");
    const all = await importAll(path, { seller });
    expect(all.ok).toBe(false);
  });

  it("refuses a file that is not a workbook, or lacks a sheet or a required column", async () => {
    const notXlsx = await importAll(Readable.from([Buffer.from("not a zip at all")]), { seller });
    expect(!notXlsx.ok && notXlsx.problems.map((p) => p.code)).toEqual(["EXCEL_NOT_XLSX"]);
    const oneSheet = file("one-sheet.xlsx");
    await writeWorkbook(oneSheet, async (w) => {
      await w.addSheet({ name: "Hóa đơn", columns: [] }, INV_HEAD);
    });
    const r1 = await importAll(oneSheet, { seller });
    expect(!r1.ok && r1.problems.map((p) => [p.code, p.params?.sheet])).toEqual([
      ["EXCEL_SHEET_MISSING", "Hàng hóa"],
    ]);
    const noCol = file("no-col.xlsx");
    await writeWorkbook(noCol, async (w) => {
      await w.addSheet({ name: "Hóa đơn", columns: [] }, [INV_HEAD[0]!.slice(0, 3), ["X", "1", "C25TAA"]]);
      await w.addSheet({ name: "Hàng hóa", columns: [] }, LINE_HEAD);
    });
    const r2 = await importAll(noCol, { seller });
    expect(!r2.ok && r2.problems.map((p) => p.code)).toEqual(["EXCEL_COLUMN_MISSING"]);
  });

  it("reports a damaged workbook as unreadable instead of failing", async () => {
    const path = file("damaged.xlsx");
    await writeImportWorkbook(path, () => [{ ref: "A", invoice: sampleInvoice(50) }]);
    const bytes = await readFile(path);
    // The first entry is the invoice sheet: spoil its deflate data, keep the directory.
    bytes.fill(0xff, 120, 400);
    await writeFile(path, bytes);
    const result = await importAll(path, { seller });
    expect(!result.ok && result.problems.map((p) => p.code)).toEqual(["EXCEL_NOT_XLSX"]);
  });

  it("streams a 10,000-line import: rows arrive in many batches while the sheet is still being read", async () => {
    const path = file("big.xlsx");
    const invoices = 100;
    const perInvoice = 100;
    const inv = sampleInvoice(perInvoice);
    await writeImportWorkbook(path, function* () {
      for (let i = 0; i < invoices; i++) yield { ref: `HD${i}`, invoice: inv };
    });
    const progress: ImportProgress[] = [];
    const result = await importAll(path, { seller, onProgress: (p) => progress.push(p) });
    expect(result.ok && result.invoices.length).toBe(invoices);
    const lines = progress.filter((p) => p.sheet === "Hàng hóa");
    expect(lines.at(-1)!.rows).toBe(invoices * perInvoice);
    expect(lines.length).toBeGreaterThan(10);
    // The first rows were handed on after reading only part of the compressed sheet.
    expect(lines[0]!.rows).toBeLessThan(2000);
    expect(lines[0]!.bytes).toBeLessThan(lines[0]!.totalBytes);
    for (let i = 1; i < lines.length; i++) expect(lines[i]!.rows).toBeGreaterThanOrEqual(lines[i - 1]!.rows);
  });
});

describe("reading workbooks made by other programs", () => {
  it("reads shared strings stored after the sheets, rich text, entities, prefixes and cells without references", async () => {
    const path = file("foreign.xlsx");
    const { createWriteStream } = await import("node:fs");
    const out = createWriteStream(path);
    const zip = new ZipWriter(out);
    const ns = 'xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main"';
    await zip.add("xl/worksheets/sheet1.xml", [
      `<?xml version="1.0"?><x:worksheet ${ns}><x:sheetData>`,
      '<x:row r="1"><x:c r="A1" t="s"><x:v>0</x:v></x:c><x:c t="s"><x:v>1</x:v></x:c><x:c><x:v>1.5E+3</x:v></x:c></x:row>',
      '<x:row r="3"><x:c r="B3" t="str"><x:f>A1</x:f><x:v>Tr&#7847;n &amp; Co</x:v></x:c><x:c r="C3" t="b"><x:v>1</x:v></x:c></x:row>',
      "</x:sheetData></x:worksheet>",
    ]);
    await zip.add("xl/workbook.xml", [
      `<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="Trang 1" sheetId="1" r:id="rId7"/></sheets></workbook>`,
    ]);
    await zip.add("xl/_rels/workbook.xml.rels", [
      '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">',
      '<Relationship Id="rId7" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="/xl/worksheets/sheet1.xml"/>',
      '<Relationship Id="rId8" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/>',
      "</Relationships>",
    ]);
    await zip.add("xl/sharedStrings.xml", [
      '<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><si><t>Hóa đơn &lt;1&gt;</t></si>',
      '<si><r><t xml:space="preserve">Nguyễn </t></r><r><rPr><b/></rPr><t>Văn An</t></r><rPh><t>ngu</t></rPh></si></sst>',
    ]);
    await zip.finish();
    await new Promise<void>((resolve) => out.end(resolve));
    const reader = await XlsxReader.open(path);
    const rows = [];
    for await (const batch of reader.rows("Trang 1")) rows.push(...batch);
    await reader.close();
    expect(rows.map((r) => [r.row, Object.fromEntries(r.cells)])).toEqual([
      [
        1,
        {
          0: { kind: "text", raw: "Hóa đơn <1>" },
          1: { kind: "text", raw: "Nguyễn Văn An" },
          2: { kind: "number", raw: "1.5E+3" },
        },
      ],
      [3, { 1: { kind: "text", raw: "Trần & Co" }, 2: { kind: "bool", raw: "1" } }],
    ]);
  });
});
