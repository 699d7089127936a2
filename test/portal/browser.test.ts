/**
 * The portal in a real browser: headless Debian chromium driven by playwright-core (it never downloads a
 * browser). The main flows: a seller signs in, writes an invoice (live totals and the amount in words
 * appear while typing) and issues it; the buyer finds it by its lookup code and sees it valid; the
 * authority schedules a maintenance window; the page switches to English. Screenshots go to
 * test-artifacts/portal/. One browser for the file (playwright gives it a fresh temporary profile, removed
 * on close); skipped only when /usr/bin/chromium is missing.
 */
import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { type Browser, type BrowserContext, chromium } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ADMIN_KEY } from "../seller/support.ts";
import { openPortalKit, type PortalKit } from "./support.ts";

const CHROMIUM = "/usr/bin/chromium";
const ARTIFACTS = join(process.cwd(), "test-artifacts", "portal");
const hasChromium = existsSync(CHROMIUM);

describe.skipIf(!hasChromium)("web portal in chromium (skipped without /usr/bin/chromium)", () => {
  let kit: PortalKit;
  let base: string;
  let browser: Browser;
  let lookupCode = "";

  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    kit = await openPortalKit("embedded");
    const address = await kit.app.listen({ port: 0, host: "127.0.0.1" });
    base = address;
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
      ],
    });
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await kit?.close();
  });

  async function context(): Promise<BrowserContext> {
    const c = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: "vi-VN" });
    c.setDefaultTimeout(10_000);
    return c;
  }

  it("signs a seller in, writes an invoice with live totals and words, and issues it", async () => {
    const c = await context();
    try {
      const page = await c.newPage();
      await page.goto(`${base}/portal/sign-in`);
      await page.fill('input[name="key"]', kit.keyA);
      await page.click('#sign-in-form button[type="submit"]');
      await page.waitForURL(`${base}/portal/seller`);
      expect(await page.textContent("h1")).toBe("Tổng quan");
      await page.screenshot({ path: join(ARTIFACTS, "01-dashboard.png"), fullPage: true });

      await page.click('nav a[href="/portal/seller/invoices/new"]');
      await page.waitForURL(`${base}/portal/seller/invoices/new`);
      await page.fill('[name="buyer.name"]', "Công ty Cổ phần Người Mua");
      await page.fill('[name="buyer.taxCode"]', "0101243150");
      await page.fill('[name="buyer.address"]', "12 Nguyễn Huệ, Quận 1, TP Hồ Chí Minh");
      await page.fill('[name="lines[0].itemName"]', "Máy tính xách tay");
      await page.fill('[name="lines[0].unit"]', "Cái");
      await page.fill('[name="lines[0].quantity"]', "2");
      await page.fill('[name="lines[0].unitPrice"]', "15.000.000");
      await expect.poll(() => page.textContent("#t-payable")).toBe("33.000.000");
      expect(await page.textContent("#t-words")).toBe("Ba mươi ba triệu đồng");
      // A fourth line added by the script, at another rate: a second group appears.
      await page.click("#add-line");
      await page.fill('[name="lines[3].itemName"]', "Dịch vụ lắp đặt");
      await page.fill('[name="lines[3].quantity"]', "1");
      await page.fill('[name="lines[3].unitPrice"]', "500.000");
      await page.selectOption('[name="lines[3].vatRate"]', "5%");
      await expect.poll(() => page.textContent("#t-payable")).toBe("33.525.000");
      expect(await page.textContent("#t-words")).toBe("Ba mươi ba triệu năm trăm hai mươi lăm nghìn đồng");
      expect(await page.locator("#t-rates tr").count()).toBe(2);
      expect(await page.textContent('[data-amount-for="0"]')).toBe("30.000.000");
      await page.screenshot({ path: join(ARTIFACTS, "02-invoice-form.png"), fullPage: true });

      await page.click("#issue");
      await page.waitForURL(/\/portal\/seller\/invoices\/[0-9a-f-]{36}\?done=issued$/);
      await kit.drain();
      await page.reload();
      expect(await page.getAttribute("#invoice-state", "data-state")).toBe("delivered");
      lookupCode = (await page.textContent("#lookup-code"))!.trim();
      expect(lookupCode).toMatch(/^[A-Z0-9]{8,32}$/);
      await page.screenshot({ path: join(ARTIFACTS, "03-invoice-issued.png"), fullPage: true });
    } finally {
      await c.close();
    }
  }, 60_000);

  it("lets the buyer find the invoice by its lookup code and see it valid", async () => {
    expect(lookupCode).not.toBe("");
    const c = await context();
    try {
      const page = await c.newPage();
      await page.goto(`${base}/portal/lookup`);
      await page.fill('#lookup-code-form [name="code"]', lookupCode);
      await page.click('#lookup-code-form button[type="submit"]');
      await page.waitForSelector("#lookup-result");
      expect(await page.getAttribute("#signatures-check", "data-valid")).toBe("yes");
      expect(await page.getAttribute("#code-check", "data-valid")).toBe("yes");
      expect(await page.textContent("#invoice-total")).toBe("33.525.000");
      const pdf = await c.request.get(`${base}/portal/lookup/${lookupCode}/pdf`);
      expect(pdf.headers()["content-type"]).toBe("application/pdf");
      await page.screenshot({ path: join(ARTIFACTS, "04-buyer-lookup.png"), fullPage: true });
    } finally {
      await c.close();
    }
  }, 30_000);

  it("schedules a maintenance window in the authority console, then switches to English", async () => {
    const c = await context();
    try {
      const page = await c.newPage();
      await page.goto(`${base}/portal/sign-in`);
      await page.fill('input[name="key"]', ADMIN_KEY);
      await page.click('#sign-in-form button[type="submit"]');
      await page.waitForURL(`${base}/portal/authority`);
      expect(await page.textContent("#taxpayers")).toContain("0100109106");
      await page.click('nav a[href="/portal/authority/maintenance"]');
      await page.fill('[name="startsAt"]', "2099-03-01T22:00");
      await page.fill('[name="endsAt"]', "2099-03-02T01:30");
      await page.fill('[name="reason"]', "Nâng cấp cơ sở dữ liệu");
      await page.click('#maintenance-form button[type="submit"]');
      await page.waitForSelector("#windows");
      expect(await page.textContent("#windows")).toContain("2099-03-01 22:00:00");
      expect(await page.textContent("#windows")).toContain("Nâng cấp cơ sở dữ liệu");
      await page.screenshot({ path: join(ARTIFACTS, "05-maintenance.png"), fullPage: true });

      await page.click("#lang-switch");
      await page.waitForURL(/lang=en/);
      expect(await page.textContent("h1")).toBe("Maintenance windows");
      expect(await page.getAttribute("html", "lang")).toBe("en");
      await page.click('nav a[href="/portal/authority"]');
      expect(await page.textContent("h1")).toBe("Taxpayers");
      await page.screenshot({ path: join(ARTIFACTS, "06-english.png"), fullPage: true });
    } finally {
      await c.close();
    }
  }, 30_000);
});
