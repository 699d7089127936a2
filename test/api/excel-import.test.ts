/**
 * The invoice import of the seller's API: a filled-in template becomes drafts, all or nothing; the same file
 * under the same Idempotency-Key adds nothing; a workbook with one bad cell writes nothing and names the cell.
 */

import { mkdtempSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { XLSX_MEDIA_TYPE } from "../../src/api/server.ts";
import { writeImportWorkbook } from "../../src/excel/template.ts";
import { openSellerKit, SELLER_A, type SellerKit, seriesOf } from "../seller/support.ts";
import { testBackends } from "../store/backends.ts";
import { sampleInvoice } from "../support/invoices.ts";

const dir = mkdtempSync(join(tmpdir(), "hddt-import-"));

async function workbook(name: string, count: number, series: string, date: string): Promise<Buffer> {
  const path = join(dir, name);
  const source = Array.from({ length: count }, (_, i) => {
    const inv = sampleInvoice(2, { series, template: "1", issueDate: date });
    return { ref: `DH-${i + 1}`, invoice: { ...inv, buyer: { ...inv.buyer, name: `Người mua ${i + 1}` } } };
  });
  await writeImportWorkbook(path, () => source);
  return readFile(path);
}

describe.each(testBackends())("invoice import through the API (%s)", (backend) => {
  let kit: SellerKit;
  let key: string;
  let series: string;
  const post = (body: Buffer, idem: string) =>
    kit.app.inject({
      method: "POST",
      url: "/seller/invoices/import",
      headers: { "x-api-key": key, "content-type": XLSX_MEDIA_TYPE, "idempotency-key": idem },
      payload: body,
    });
  const drafts = async () => (await kit.seller.list(SELLER_A, { state: "draft", limit: 1000 })).items.length;

  beforeAll(async () => {
    kit = await openSellerKit(backend);
    await kit.onboard(
      {
        taxCode: SELLER_A,
        name: "Công ty TNHH Phần mềm Hóa Đơn Mở",
        address: "Số 1 Tràng Tiền, Hà Nội",
        profile: { phone: "0241234567", email: "ketoan@hddt.example" },
      },
      { register: false },
    );
    key = (await kit.seller.createApiKey(SELLER_A, { name: "kt", role: "accountant" })).key;
    series = seriesOf(kit.today());
  }, 120_000);
  afterAll(async () => {
    await kit?.close();
  });

  it("serves the empty template as a workbook", async () => {
    const r = await kit.app.inject({
      method: "GET",
      url: "/seller/invoices/import-template",
      headers: { "x-api-key": key },
    });
    expect(r.statusCode).toBe(200);
    expect(r.headers["content-type"]).toContain(XLSX_MEDIA_TYPE);
    expect(r.rawPayload.subarray(0, 2).toString("latin1")).toBe("PK");
  });

  it("imports every invoice of a workbook as a draft, and the same file again adds nothing", async () => {
    const body = await workbook("three.xlsx", 3, series, kit.today());
    const first = await post(body, "import-1");
    expect(first.statusCode, first.body).toBe(201);
    const answer = first.json() as {
      imported: number;
      repeated: number;
      invoices: { ref: string; id: string }[];
    };
    expect(answer).toMatchObject({ imported: 3, repeated: 0 });
    expect(answer.invoices.map((i) => i.ref)).toEqual(["DH-1", "DH-2", "DH-3"]);
    const got = await kit.seller.get(SELLER_A, answer.invoices[1]!.id);
    if (!got.ok) throw new Error("draft not found");
    expect(got.value).toMatchObject({ state: "draft", series, template: "1", number: null });

    const again = await post(body, "import-1");
    expect(again.statusCode).toBe(200);
    expect(again.json()).toMatchObject({ imported: 0, repeated: 3 });
    expect(await drafts()).toBe(3);
  });

  it("writes nothing of a workbook with one bad cell, and names the cell", async () => {
    const before = await drafts();
    // Dated in the year before the series' year: every invoice is refused, with its cell.
    const bad = await workbook("bad.xlsx", 4, series, `${Number(kit.today().slice(0, 4)) - 1}-12-31`);
    const r = await post(bad, "import-2");
    expect(r.statusCode).toBe(422);
    const e = r.json() as { error: { problems: { path: string; code: string }[] } };
    expect(e.error.problems.length).toBeGreaterThanOrEqual(4);
    expect(e.error.problems.filter((p) => p.code === "SERIES_YEAR_MISMATCH").map((p) => p.path)).toEqual([
      "Hóa đơn!C3",
      "Hóa đơn!C4",
      "Hóa đơn!C5",
      "Hóa đơn!C6",
    ]);
    expect(await drafts()).toBe(before);
  });

  it("refuses a viewer and a body that is no workbook", async () => {
    const viewer = (await kit.seller.createApiKey(SELLER_A, { name: "v", role: "viewer" })).key;
    const body = await workbook("one.xlsx", 1, series, kit.today());
    const r = await kit.app.inject({
      method: "POST",
      url: "/seller/invoices/import",
      headers: { "x-api-key": viewer, "content-type": XLSX_MEDIA_TYPE, "idempotency-key": "v-1" },
      payload: body,
    });
    expect(r.statusCode).toBe(403);
    const junk = await post(Buffer.from("not a zip at all"), "junk-1");
    expect(junk.statusCode).toBe(422);
    expect((junk.json() as { error: { code: string } }).error.code).toMatch(/^EXCEL_/);
  });
});
