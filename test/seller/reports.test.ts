/**
 * The seller's reports on a composed system: the sales list holds exactly the invoices with legal effect
 * (coded ones; not drafts, not those waiting for a code), with amounts read from the signed XML and exact
 * sums; series usage counts every number by state; the provider's half-year report lists the businesses
 * served; bad periods are refused with their codes; the xlsx form is a workbook that reads back.
 */
import { Readable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { registerSellerRoutes } from "../../src/api/seller.ts";
import { buildServer, type HttpApp } from "../../src/api/server.ts";
import { Dec } from "../../src/domain/decimal.ts";
import { XlsxReader } from "../../src/excel/xlsx.ts";
import { halfYear, SellerReports } from "../../src/seller/reports.ts";
import { testBackends } from "../store/backends.ts";
import { invoiceInput, openSellerKit, SELLER_A, type SellerKit, seriesOf } from "./support.ts";

const ORG = {
  taxCode: SELLER_A,
  name: "Công ty TNHH Báo Cáo",
  address: "Số 1 Tràng Tiền, Hoàn Kiếm, Hà Nội",
  profile: { email: "ketoan@hddt.example", phone: "0241234567" },
};

describe.each(testBackends())("seller reports (%s)", (backend) => {
  let kit: SellerKit;
  let reports: SellerReports;
  let app: HttpApp;
  let key: string;
  let today: string;
  let series: string;

  beforeAll(async () => {
    kit = await openSellerKit(backend);
    today = kit.today();
    series = seriesOf(today);
    await kit.onboard(ORG);
    await kit.drain();
    const s = await kit.seller.createSeries(SELLER_A, { template: "1", series });
    if (!s.ok) throw new Error(JSON.stringify(s.problems));
    // Three coded invoices (2, 1 and 3 lines), one left waiting for its code, one draft.
    for (const lines of [2, 1, 3]) {
      const d = await kit.seller.createDraft(SELLER_A, invoiceInput(series, { lines }));
      if (!d.ok) throw new Error(JSON.stringify(d.problems));
      await kit.seller.issue(SELLER_A, d.value.invoice.id);
    }
    await kit.drain();
    const waiting = await kit.seller.createDraft(SELLER_A, invoiceInput(series, { lines: 1 }));
    if (waiting.ok) await kit.seller.issue(SELLER_A, waiting.value.invoice.id);
    await kit.seller.createDraft(SELLER_A, invoiceInput(series, { lines: 1 }));
    reports = new SellerReports(kit.db);
    key = (await kit.seller.createApiKey(SELLER_A, { name: "viewer", role: "viewer" })).key;
    app = await buildServer({ logger: false, clock: kit.manual, title: "reports" });
    registerSellerRoutes(app, kit.seller, { reports });
  }, 180_000);
  afterAll(async () => {
    await app?.close();
    await kit?.close();
  });

  it("lists the coded invoices of the period in number order, amounts from the signed XML, sums exact", async () => {
    const rows = [];
    for await (const r of reports.sales(SELLER_A, { from: today, to: today })) rows.push(r);
    expect(rows.map((r) => r.invoice.header.number)).toEqual(["1", "2", "3"].map(Number).map(String));
    expect(rows.every((r) => r.state === "delivered")).toBe(true);
    const sum = await reports.salesSummary(SELLER_A, { from: today, to: today });
    expect(sum.count).toBe(3);
    const expected = Dec.sum(rows.map((r) => r.invoice.totals.totalPayable!));
    expect(sum.totalPayable.eq(expected)).toBe(true);
    // Lines alternate 10% and 8%: 2 + 1 + 3 lines give four at 10% and two at 8%.
    const at10 = sum.byRate.find((b) => b.vatRate === "10%")!;
    expect(at10.amount.toPlain()).toBe(String(125000 * (1 + 1 + 1 + 3)));
  });

  it("counts every used number per series and state, and nothing outside the period", async () => {
    const usage = await reports.seriesUsage(SELLER_A, { from: today, to: today });
    expect(usage).toEqual([
      {
        template: "1",
        series,
        used: 4,
        firstNumber: 1,
        lastNumber: 4,
        byState: { delivered: 3, waiting_for_code: 1 },
      },
    ]);
    expect(await reports.seriesUsage(SELLER_A, { from: "2020-01-01", to: "2020-12-31" })).toEqual([]);
  });

  it("reports the businesses served in a half-year for the provider", async () => {
    const year = today.slice(0, 4);
    const half = Number(today.slice(5, 7)) <= 6 ? "H1" : "H2";
    const r = await reports.providerReport(`${year}-${half}`);
    expect(r.ok && r.value.businesses.map((b) => [b.taxCode, b.series[0]?.used])).toEqual([[SELLER_A, 4]]);
    const bad = await reports.providerReport(`${year}-H3`);
    expect(bad.ok ? "" : bad.problems[0]!.code).toBe("REPORT_BAD_HALF_YEAR");
    expect(halfYear("2026-H2")).toEqual({ ok: true, value: { from: "2026-07-01", to: "2026-12-31" } });
  });

  it("serves the sales list as JSON and as a workbook, and refuses a reversed period with its code", async () => {
    const json = await app.inject({
      url: `/seller/reports/sales?from=${today}&to=${today}`,
      headers: { "x-api-key": key },
    });
    expect(json.statusCode).toBe(200);
    expect(json.json().summary.count).toBe(3);
    const xlsx = await app.inject({
      url: `/seller/reports/sales?from=${today}&to=${today}&format=xlsx`,
      headers: { "x-api-key": key },
    });
    expect(xlsx.statusCode).toBe(200);
    expect(xlsx.rawPayload.subarray(0, 2).toString("latin1")).toBe("PK");
    const reader = await XlsxReader.open(Readable.from([xlsx.rawPayload]));
    const sheet = reader.sheetNames[0]!;
    let cells = "";
    for await (const batch of reader.rows(sheet))
      for (const row of batch) cells += `${JSON.stringify([...row.cells.values()])}\n`;
    await reader.close();
    // The three invoices' numbers and the exact total are in the workbook.
    const total = json.json().summary.totalPayable as string;
    expect(cells).toContain(total);
    const bad = await app.inject({
      url: "/seller/reports/series-usage?from=2026-12-31&to=2026-01-01",
      headers: { "x-api-key": key },
    });
    expect(bad.statusCode).toBe(422);
    expect(bad.json().error.code).toBe("REPORT_BAD_PERIOD");
    const none = await app.inject({ url: `/seller/reports/sales?from=${today}&to=${today}` });
    expect(none.statusCode).toBe(401);
  });
});
