/**
 * The seller's commands as a user runs them (`hddt series|register|invoice …` in a real process) against
 * a running hddt: a series, the registration, an invoice created, issued, coded, shown, listed, adjusted;
 * the API's refusals reach the user with their code and exit status 1.
 */
import { execFile } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { writeImportWorkbook } from "../../src/excel/template.ts";
import { sampleInvoice } from "../support/invoices.ts";
import { ADMIN_KEY, invoiceInput, openSellerKit, SELLER_A, type SellerKit, seriesOf } from "./support.ts";

const ROOT = join(import.meta.dirname, "../..");

function hddt(...args: string[]): Promise<{ status: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [join(ROOT, "bin/hddt.js"), ...args],
      { cwd: ROOT },
      (error, stdout, stderr) => {
        const status = error ? ((error as { code?: number }).code ?? 1) : 0;
        resolve({ status: typeof status === "number" ? status : 1, stdout, stderr });
      },
    );
  });
}

describe("hddt invoice, series and register against a running hddt", () => {
  let kit: SellerKit;
  let url: string;
  let key: string;
  let series: string;
  const dir = mkdtempSync(join(tmpdir(), "hddt-cli-seller-"));
  const as = () => ["--url", url, "--key", key];

  beforeAll(async () => {
    kit = await openSellerKit("embedded");
    url = await kit.app.listen({ port: 0, host: "127.0.0.1" });
    kit.start();
    const r = await kit.app.inject({
      method: "POST",
      url: "/seller/organisations",
      headers: { "x-api-key": ADMIN_KEY, "content-type": "application/json" },
      payload: JSON.stringify({
        taxCode: SELLER_A,
        name: "Công ty A",
        address: "Số 1 Tràng Tiền, Hà Nội",
        profile: { email: "ketoan@example.vn", phone: "0241234567" },
      }),
    });
    key = r.json().apiKey.key as string;
    await kit.authority.upsertTaxpayer({ taxCode: SELLER_A, name: "Công ty A" });
    await kit.app.inject({
      method: "PUT",
      url: "/seller/signing-key",
      headers: { "x-api-key": key, "content-type": "application/json" },
      payload: JSON.stringify({ kind: "dev" }),
    });
    series = seriesOf(kit.today());
  }, 120_000);
  afterAll(async () => {
    await kit?.close();
  });

  async function until<T>(read: () => Promise<T>, done: (t: T) => boolean): Promise<T> {
    for (let i = 0; i < 300; i++) {
      const v = await read();
      if (done(v)) return v;
      await new Promise((r) => setTimeout(r, 100));
    }
    return read();
  }

  it("creates a series, registers, then issues an invoice that gets coded", async () => {
    const s = await hddt("series", "create", "1", series, ...as());
    expect(s.status).toBe(0);
    expect(JSON.parse(s.stdout)).toMatchObject({ template: "1", series, used: 0 });

    expect((await hddt("register", ...as())).status).toBe(0);
    const reg = await until(
      async () => JSON.parse((await hddt("register", "--status", ...as())).stdout),
      (r) => r.items?.[0]?.state === "accepted",
    );
    expect(reg.items[0].state).toBe("accepted");

    const file = join(dir, "invoice.json");
    writeFileSync(file, JSON.stringify(invoiceInput(series)));
    const created = await hddt("invoice", "create", file, "--issue", "--idempotency-key", "cli-1", ...as());
    expect(created.status).toBe(0);
    const inv = JSON.parse(created.stdout);
    expect(inv).toMatchObject({ number: 1, series });
    // The same key gives the same invoice, not a second number.
    const again = await hddt("invoice", "create", file, "--issue", "--idempotency-key", "cli-1", ...as());
    expect(JSON.parse(again.stdout).id).toBe(inv.id);

    const shown = await until(
      async () => JSON.parse((await hddt("invoice", "show", inv.id, ...as())).stdout),
      (v) => v.state === "delivered",
    );
    expect(shown.state).toBe("delivered");
    const xml = await hddt("invoice", "show", inv.id, "--xml", "coded", ...as());
    expect(xml.stdout).toContain("<MCCQT");
    const list = JSON.parse((await hddt("invoice", "list", "--state", "delivered", ...as())).stdout);
    expect(list.items.map((i: { id: string }) => i.id)).toContain(inv.id);

    const change = join(dir, "change.json");
    writeFileSync(change, JSON.stringify({ change: { lines: [{ line: 0, quantity: "3" }] } }));
    const adjusted = await hddt("invoice", "adjust", inv.id, change, ...as());
    expect(adjusted.stderr).toBe("");
    expect(adjusted.status).toBe(0);
    const draft = JSON.parse(adjusted.stdout);
    expect(draft.invoice ?? draft).toMatchObject({
      state: "draft",
      correctsId: inv.id,
      correction: "adjust",
    });
  }, 180_000);

  it("passes the API's refusal on with its code and exit status 1", async () => {
    const r = await hddt("invoice", "show", "00000000-0000-4000-8000-000000000000", ...as());
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/HTTP 404 .*SELLER_/);
    const bad = await hddt("invoice", "list", "--url", url, "--key", "hddt_not_a_key_at_all_0000");
    expect(bad.status).toBe(1);
    expect(bad.stderr).toContain("HTTP 401");
  }, 60_000);

  it("imports a workbook after checking it here: bad cells listed and nothing sent, then the drafts", async () => {
    const template = join(dir, "template.xlsx");
    expect((await hddt("invoice", "template", template)).status).toBe(0);
    const bad = join(dir, "bad.xlsx");
    const good = join(dir, "good.xlsx");
    const rows = (date: string) =>
      [1, 2].map((i) => {
        const inv = sampleInvoice(2, { series, template: "1", issueDate: date });
        return { ref: `R${i}`, invoice: inv };
      });
    await writeImportWorkbook(bad, () => rows(`${Number(kit.today().slice(0, 4)) - 1}-12-31`));
    await writeImportWorkbook(good, () => rows(kit.today()));
    const refused = await hddt("invoice", "import", bad, ...as());
    expect(refused.status).toBe(1);
    // A date of another year than the series': each invoice's cell is named with the code.
    expect(refused.stderr).toMatch(/Hóa đơn!C3\s+SERIES_YEAR_MISMATCH/);
    expect(refused.stderr).toMatch(/Hóa đơn!C4\s+SERIES_YEAR_MISMATCH/);
    const before = (await kit.seller.list(SELLER_A, { state: "draft" })).items.length;
    expect(before).toBeLessThanOrEqual(1);

    const done = await hddt("invoice", "import", good, ...as());
    expect(done.stderr).toContain("2 invoice(s) read");
    expect(done.status).toBe(0);
    expect(JSON.parse(done.stdout)).toMatchObject({ imported: 2, repeated: 0 });
    // The file's digest is the default key: running it again adds nothing.
    const again = await hddt("invoice", "import", good, ...as());
    expect(JSON.parse(again.stdout)).toMatchObject({ imported: 0, repeated: 2 });
  }, 120_000);

  it("says so with exit status 2 when hddt cannot be reached or the file is not JSON", async () => {
    const r = await hddt("invoice", "list", "--url", "http://127.0.0.1:1", "--key", "k");
    expect(r.status).toBe(2);
    expect(r.stderr).toContain("cannot reach hddt");
    const notJson = join(dir, "bad.json");
    writeFileSync(notJson, "{");
    const b = await hddt("invoice", "create", notJson, ...as());
    expect(b.status).toBe(2);
    expect(b.stderr).toContain("bad.json");
  }, 60_000);
});
