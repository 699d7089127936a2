import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Dec } from "../../src/domain/decimal.ts";
import { dateToSerial } from "../../src/excel/cells.ts";
import {
  exportInvoices,
  exportSalesReport,
  listRowOf,
  reportRowOf,
  type SalesReportRow,
  XlsxReader,
} from "../../src/excel/index.ts";
import type { SheetRow } from "../../src/excel/xlsx.ts";
import { sampleInvoice } from "../support/invoices.ts";

const d = Dec.parse;
let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "hddt-excel-export-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function readSheet(path: string): Promise<{ name: string; rows: SheetRow[] }> {
  const reader = await XlsxReader.open(path);
  const name = reader.sheetNames[0]!;
  const rows: SheetRow[] = [];
  for await (const batch of reader.rows(name)) rows.push(...batch);
  await reader.close();
  return { name, rows };
}

describe("export", () => {
  it("streams an invoice list with exact amounts and dates as date cells", async () => {
    const path = join(dir, "list.xlsx");
    const inv = sampleInvoice(3);
    async function* rows() {
      yield listRowOf(inv, { state: "issued" });
      yield { ...listRowOf(inv), number: "2", totalPayable: d("123456789012345678901") };
    }
    const { rows: count } = await exportInvoices(rows(), path);
    expect(count).toBe(2);
    const sheet = await readSheet(path);
    expect(sheet.name).toBe("Danh sách hóa đơn");
    expect(sheet.rows.map((r) => r.row)).toEqual([1, 2, 3, 4]);
    const first = sheet.rows[2]!.cells;
    expect(first.get(1)).toEqual({ kind: "text", raw: "K25TAA" });
    expect(first.get(3)).toEqual({ kind: "number", raw: String(dateToSerial("2025-07-15")) });
    expect(first.get(9)).toEqual({ kind: "number", raw: inv.totals.totalPayable.toPlain() });
    expect(first.get(10)).toEqual({ kind: "text", raw: "issued" });
    expect(sheet.rows[3]!.cells.get(9)).toEqual({ kind: "text", raw: "123456789012345678901" });
  });

  it("writes a sales report with amounts per rate and an exact totals row", async () => {
    const path = join(dir, "report.xlsx");
    const base = reportRowOf(sampleInvoice(2));
    const rows: SalesReportRow[] = [
      base,
      {
        ...base,
        number: "2",
        byRate: [
          { vatRate: "KHAC:5.26%", amount: d("0.1"), vatAmount: d("0") },
          { vatRate: "KCT", amount: d("0.2") },
        ],
        totalVat: d("0"),
        totalPayable: d("0.3"),
      },
    ];
    const result = await exportSalesReport(rows, path, { from: "2025-07-01", to: "2025-07-31" });
    expect(result.rows).toBe(2);
    expect(result.totals.byRate.other?.toString()).toBe("0.1");
    expect(result.totals.payable.toString()).toBe(base.totalPayable.add(d("0.3")).toString());
    const sheet = await readSheet(path);
    expect(sheet.rows[1]!.cells.get(0)?.raw).toContain("01/07/2025");
    const header = sheet.rows[2]!.cells;
    const col = (title: string) => [...header].find(([, c]) => c.raw === title)![0];
    const data = sheet.rows[4]!.cells;
    const ten = base.byRate.find((r) => r.vatRate === "10%")!.amount;
    expect(data.get(col("Doanh thu thuế suất 10%"))?.raw).toBe(ten.toPlain());
    const total = sheet.rows.at(-1)!.cells;
    expect(total.get(0)?.raw).toBe("Tổng cộng / Total");
    expect(total.get(col("Doanh thu không chịu thuế"))?.raw).toBe("0.2");
    expect(total.get(col("Tổng cộng thanh toán"))?.raw).toBe(result.totals.payable.toPlain());
  });
});
