/**
 * The portal without a browser (app.inject): sign-in and sessions, CSRF, escaping, the language switch,
 * access between organisations and between the seller and the authority, form errors with their codes
 * next to their fields, the invoice's life from the form to the buyer's lookup, live totals.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { issueCertificate, loadDevCa } from "../../src/signing/dev-ca.ts";
import { ADMIN_KEY, devCaDir, SELLER_B } from "../seller/support.ts";
import { testBackends } from "../store/backends.ts";
import {
  Agent,
  INSPECTOR_KEY,
  invoiceForm,
  openPortalKit,
  PASSWORD_USER,
  type PortalKit,
} from "./support.ts";

describe.each(testBackends())("web portal (%s)", (backend) => {
  let kit: PortalKit;

  beforeAll(async () => {
    kit = await openPortalKit(backend);
  }, 120_000);
  afterAll(async () => {
    await kit?.close();
  });

  async function issueThroughForm(agent: Agent, overrides: Record<string, string> = {}) {
    await agent.get("/portal/seller/invoices/new");
    const r = await agent.post("/portal/seller/invoices", invoiceForm(kit.series, overrides));
    expect(r.status).toBe(303);
    const id = /\/portal\/seller\/invoices\/([0-9a-f-]{36})/.exec(r.location ?? "")?.[1];
    expect(id).toBeDefined();
    return id!;
  }

  it("signs a seller in with an API key into an HttpOnly SameSite=Strict session and out again", async () => {
    const agent = new Agent(kit);
    const r = await agent.signIn(kit.keyA);
    expect(r.status).toBe(303);
    expect(r.location).toBe("/portal/seller");
    const set = ([] as string[]).concat(r.headers["set-cookie"] as string[]);
    const session = set.find((c) => c.startsWith("hddt_portal="));
    expect(session).toMatch(/HttpOnly/);
    expect(session).toMatch(/SameSite=Strict/);
    expect(session).not.toContain(kit.keyA);
    const dash = await agent.get("/portal/seller");
    expect(dash.status).toBe(200);
    expect(dash.body).toContain("Công ty Cổ phần Bán Hàng A");
    const out = await agent.post("/portal/sign-out", {});
    expect(out.status).toBe(303);
    const after = await agent.get("/portal/seller");
    expect(after.status).toBe(303);
    expect(after.location).toMatch(/^\/portal\/sign-in\?required=1/);
  });

  it("signs a person in with a password into a key of its own, revoked at sign-out", async () => {
    const agent = new Agent(kit);
    await agent.get("/portal/sign-in");
    const wrong = await agent.post("/portal/sign-in/password", {
      taxCode: "0100109106",
      email: PASSWORD_USER.email,
      password: "sai",
    });
    expect(wrong.status).toBe(401);
    expect(wrong.body).toMatch(/data-code="PORTAL_KEY_REFUSED" data-path="password"/);
    expect(wrong.body).toContain(`value="${PASSWORD_USER.email}"`);
    const missing = await agent.post("/portal/sign-in/password", { taxCode: "12", email: "", password: "" });
    expect(missing.status).toBe(422);
    expect(missing.body).toMatch(/data-code="PORTAL_REQUIRED" data-path="taxCode"/);
    const r = await agent.post("/portal/sign-in/password", {
      taxCode: "0100109106",
      email: PASSWORD_USER.email,
      password: PASSWORD_USER.password,
    });
    expect(r.status).toBe(303);
    const page = await agent.get("/portal/seller/invoices");
    expect(page.status).toBe(200);
    expect(page.body).toContain("Kế toán A");
    const keys = await kit.seller.listApiKeys("0100109106");
    const own = keys.filter((k) => k.name === `sign-in ${PASSWORD_USER.email}` && k.revokedAt === null);
    expect(own).toHaveLength(1);
    await agent.post("/portal/sign-out", {});
    const after = await kit.seller.listApiKeys("0100109106");
    expect(after.find((k) => k.id === own[0]!.id)?.revokedAt).not.toBeNull();
  });

  it("refuses a wrong key with its code next to the key field", async () => {
    const agent = new Agent(kit);
    const r = await agent.signIn("hddt_not-a-real-key");
    expect(r.status).toBe(401);
    expect(r.body).toMatch(/data-code="PORTAL_KEY_REFUSED" data-path="key"/);
    expect(r.body).toContain("Khóa API không đúng");
  });

  it("refuses POSTs without the session's CSRF token, and a sign-in without the form's token", async () => {
    const agent = new Agent(kit);
    await agent.signIn(kit.keyA);
    const before = (await kit.seller.list(kit.keyA ? "0100109106" : "", { limit: 1000 })).items.length;
    const r = await agent.post("/portal/seller/invoices", invoiceForm(kit.series), { csrf: false });
    expect(r.status).toBe(403);
    expect(r.body).toContain('data-code="PORTAL_CSRF_REFUSED"');
    const wrong = await agent.request("POST", "/portal/seller/invoices", {
      ...invoiceForm(kit.series),
      _csrf: "forged-token-forged-token-forged",
    });
    expect(wrong.status).toBe(403);
    expect((await kit.seller.list("0100109106", { limit: 1000 })).items.length).toBe(before);
    const fresh = new Agent(kit);
    const signIn = await fresh.post("/portal/sign-in", { key: kit.keyA }, { csrf: false });
    expect(signIn.status).toBe(403);
    expect(signIn.body).toContain("PORTAL_CSRF_REFUSED");
  });

  it("ends a session after 30 idle minutes and says so on the sign-in page", async () => {
    const agent = new Agent(kit);
    await agent.signIn(kit.keyA);
    expect((await agent.get("/portal/seller")).status).toBe(200);
    kit.manual.advance({ minutes: 29 });
    expect((await agent.get("/portal/seller")).status).toBe(200);
    kit.manual.advance({ minutes: 31 });
    const r = await agent.get("/portal/seller");
    expect(r.status).toBe(303);
    expect(r.location).toMatch(/^\/portal\/sign-in\?expired=1/);
    const page = await agent.get(r.location!);
    expect(page.body).toContain('data-code="PORTAL_SESSION_EXPIRED"');
  });

  it("ends the session of a key revoked meanwhile", async () => {
    const k = await kit.seller.createApiKey("0100109106", { name: "short-lived", role: "accountant" });
    const agent = new Agent(kit);
    await agent.signIn(k.key);
    expect((await agent.get("/portal/seller/invoices")).status).toBe(200);
    await kit.seller.revokeApiKey("0100109106", k.info.id);
    const r = await agent.get("/portal/seller/invoices");
    expect(r.status).toBe(303);
    expect(r.location).toMatch(/expired=1/);
  });

  it("speaks Vietnamese by default and English after ?lang=en, kept in a cookie", async () => {
    const agent = new Agent(kit);
    const vi = await agent.get("/portal/sign-in");
    expect(vi.body).toContain('<html lang="vi">');
    expect(vi.body).toContain("Đăng nhập cổng hóa đơn");
    const en = await agent.get("/portal/sign-in?lang=en");
    expect(en.body).toContain('<html lang="en">');
    expect(en.body).toContain("Sign in to the invoice portal");
    expect(agent.cookies.get("hddt_lang")).toBe("en");
    const still = await agent.get("/portal/lookup");
    expect(still.body).toContain("Look up an e-invoice");
    expect(still.body).toContain('href="/portal/lookup?lang=vi"');
    const back = await agent.get("/portal/lookup?lang=vi");
    expect(back.body).toContain("Tra cứu hóa đơn điện tử");
  });

  it("escapes a buyer named <script> everywhere it is printed", async () => {
    const agent = new Agent(kit);
    await agent.signIn(kit.keyA);
    const evil = `<script>alert("x")</script> & 'Co'`;
    const id = await issueThroughForm(agent, { "buyer.name": evil, intent: "draft" });
    for (const url of [`/portal/seller/invoices/${id}`, "/portal/seller/invoices"]) {
      const page = await agent.get(url);
      expect(page.status).toBe(200);
      expect(page.body).not.toContain('<script>alert("x")');
      expect(page.body).toContain("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;Co&#39;");
    }
    const search = await agent.get(
      `/portal/seller/invoices?buyer=${encodeURIComponent('"><script>x</script>')}`,
    );
    expect(search.body).not.toContain("<script>x</script>");
    expect(search.body).toContain("&quot;&gt;&lt;script&gt;x&lt;/script&gt;");
  });

  it("shows form errors next to their fields with stable codes, and keeps what was typed", async () => {
    const agent = new Agent(kit);
    await agent.signIn(kit.keyA);
    await agent.get("/portal/seller/invoices/new");
    const r = await agent.post(
      "/portal/seller/invoices",
      invoiceForm(kit.series, {
        "lines[0].quantity": "hai",
        "lines[1].itemName": "Chuột",
        "lines[1].unitPrice": "1,2,3",
      }),
    );
    expect(r.status).toBe(422);
    expect(r.body).toMatch(/data-code="PORTAL_BAD_NUMBER" data-path="lines\[0\]\.quantity"/);
    expect(r.body).toMatch(/data-code="PORTAL_BAD_NUMBER" data-path="lines\[1\]\.unitPrice"/);
    expect(r.body).toContain('value="hai"');
    const noLines = await agent.post("/portal/seller/invoices", {
      ...invoiceForm(kit.series),
      "lines[0].itemName": "",
      "lines[0].quantity": "",
      "lines[0].unitPrice": "",
    });
    expect(noLines.status).toBe(422);
    expect(noLines.body).toContain('data-code="PORTAL_NO_LINES"');
    // The service's own rules come back with their codes too (a buyer tax code with a wrong check digit).
    const badTax = await agent.post(
      "/portal/seller/invoices",
      invoiceForm(kit.series, { "buyer.taxCode": "0101243151" }),
    );
    expect(badTax.status).toBe(422);
    expect(badTax.body).toMatch(/data-code="TAX_CODE_[A-Z_]+" data-path="buyer\.taxCode"/);
  });

  it("creates and issues an invoice from the form; the buyer finds it by lookup code, valid", async () => {
    const agent = new Agent(kit);
    await agent.signIn(kit.keyA);
    const id = await issueThroughForm(agent);
    await kit.drain();
    const view = await agent.get(`/portal/seller/invoices/${id}?done=issued`);
    expect(view.status).toBe(200);
    expect(view.body).toContain('data-state="delivered"');
    expect(view.body).toContain("33.000.000");
    const code = /id="lookup-code">([A-Z0-9]+)</.exec(view.body)?.[1];
    expect(code).toBeDefined();
    const xml = await agent.get(`/portal/seller/invoices/${id}/xml`);
    expect(xml.status).toBe(200);
    expect(xml.body).toContain("<MCCQT");
    const pdf = await agent.get(`/portal/seller/invoices/${id}/pdf`);
    expect(pdf.status).toBe(200);
    expect(pdf.headers["content-type"]).toBe("application/pdf");
    expect(pdf.body.startsWith("%PDF-")).toBe(true);

    const buyer = new Agent(kit);
    const found = await buyer.get(`/portal/lookup?code=${code}`);
    expect(found.status).toBe(200);
    expect(found.body).toContain('id="signatures-check" data-valid="yes"');
    expect(found.body).toContain('id="code-check" data-valid="yes"');
    expect(found.body).toContain("Máy tính xách tay");
    expect(found.body).toContain("Ba mươi ba triệu đồng");
    expect((await buyer.get(`/portal/lookup/${code}/xml`)).body).toContain("<MCCQT");
    expect((await buyer.get(`/portal/lookup/${code}/pdf`)).body.startsWith("%PDF-")).toBe(true);
    const missing = await buyer.get(
      `/portal/lookup?code=${code!.replace(/.$/, (c) => (c === "A" ? "B" : "A"))}`,
    );
    expect(missing.status).toBe(404);
    expect(missing.body).toContain('data-code="PORTAL_LOOKUP_NOT_FOUND"');

    const number = /số (\d+)/.exec(view.body)?.[1];
    const byKey = await buyer.get(
      `/portal/lookup?seller=0100109106&template=1&series=${kit.series}&number=${number}&total=33.000.000`,
    );
    expect(byKey.status).toBe(200);
    expect(byKey.body).toContain('id="lookup-result"');
    for (const q of [
      "seller=x&template=1&series=C26TAA&number=abc&total=1",
      "seller=0100109106&template=%27&series=%3Cb%3E&number=-1&total=1e99",
      "seller=0100109106&template=1&series=C26TAA&number=1",
    ]) {
      const r = await buyer.get(`/portal/lookup?${q}`);
      expect([404, 422]).toContain(r.status);
      expect(r.body).not.toContain("<b>");
    }
    const admin = new Agent(kit);
    await admin.signIn(ADMIN_KEY);
    const odd = await admin.get("/portal/authority/inspector?seller=x&template=%27&series=y&number=abc");
    expect(odd.status).toBe(404);
    expect((await admin.get("/portal/authority?offset=-5")).status).toBe(200);
    expect((await admin.get("/portal/authority/notices")).status).toBe(200);
  });

  it("keeps each organisation's invoices to itself", async () => {
    const a = new Agent(kit);
    await a.signIn(kit.keyA);
    const idA = await issueThroughForm(a, { intent: "draft" });
    const b = new Agent(kit);
    await b.signIn(kit.keyB);
    for (const url of [
      `/portal/seller/invoices/${idA}`,
      `/portal/seller/invoices/${idA}/xml`,
      `/portal/seller/invoices/${idA}/pdf`,
    ]) {
      const r = await b.get(url);
      expect(r.status).toBe(404);
      expect(r.body).not.toContain("Máy tính xách tay");
    }
    const issue = await b.post(`/portal/seller/invoices/${idA}/issue`, {});
    expect(issue.status).toBe(404);
    expect(
      (await kit.seller.get("0100109106", idA)).ok && (await kit.seller.get("0100109106", idA)),
    ).toMatchObject({
      value: { state: "draft" },
    });
    const list = await b.get("/portal/seller/invoices");
    expect(list.body).not.toContain(idA);
    expect(SELLER_B).toBe("0309478306");
  });

  it("lets a viewer read but not write", async () => {
    const v = new Agent(kit);
    await v.signIn(kit.viewerA);
    expect((await v.get("/portal/seller/invoices")).status).toBe(200);
    expect((await v.get("/portal/seller/invoices/new")).status).toBe(403);
    expect((await v.get("/portal/seller/settings")).status).toBe(403);
    const r = await v.post("/portal/seller/series", { template: "1", series: "C26TBB" });
    expect(r.status).toBe(403);
    expect(r.body).toContain('data-code="PORTAL_FORBIDDEN"');
  });

  it("refuses the authority console to a seller session, and opens it with the admin key", async () => {
    const seller = new Agent(kit);
    await seller.signIn(kit.keyA);
    const r = await seller.get("/portal/authority");
    expect(r.status).toBe(403);
    expect(r.body).toContain('data-code="PORTAL_FORBIDDEN"');
    expect((await seller.get("/portal/authority/maintenance")).status).toBe(403);

    const admin = new Agent(kit);
    const signed = await admin.signIn(ADMIN_KEY);
    expect(signed.location).toBe("/portal/authority");
    const list = await admin.get("/portal/authority");
    expect(list.status).toBe(200);
    expect(list.body).toContain("0100109106");
    expect(list.body).toContain('data-status="active"');
    // An admin session is not a seller's.
    expect((await admin.get("/portal/seller")).status).toBe(403);
  });

  it("lists the registrations the authority decided in the console, filtered by taxpayer", async () => {
    const admin = new Agent(kit);
    await admin.signIn(ADMIN_KEY);
    const all = await admin.get("/portal/authority/registrations");
    expect(all.status).toBe(200);
    expect(all.body).toContain('id="registrations"');
    expect(all.body).toContain("0100109106");
    expect(all.body).toContain('data-status="accepted"');
    const one = await admin.get("/portal/authority/registrations?taxCode=0309478306&status=accepted");
    expect(one.body).toContain("0309478306");
    expect(one.body).not.toContain("<td>0100109106</td>");
    expect((await admin.get("/portal/authority/registrations?status=refused")).body).not.toContain(
      'id="registrations"',
    );
    const seller = new Agent(kit);
    await seller.signIn(kit.keyA);
    expect((await seller.get("/portal/authority/registrations")).status).toBe(403);
  });

  it("schedules a maintenance window from the console, with errors next to the fields", async () => {
    const admin = new Agent(kit);
    await admin.signIn(ADMIN_KEY);
    await admin.get("/portal/authority/maintenance");
    const bad = await admin.post("/portal/authority/maintenance", {
      startsAt: "2099-01-02T10:00",
      endsAt: "2099-01-02T09:00",
      reason: "Nâng cấp",
    });
    expect(bad.status).toBe(422);
    expect(bad.body).toMatch(/data-code="AUTHORITY_BAD_INPUT" data-path="endsAt"/);
    const missing = await admin.post("/portal/authority/maintenance", {
      startsAt: "",
      endsAt: "x",
      reason: "",
    });
    expect(missing.body).toMatch(/data-code="PORTAL_REQUIRED" data-path="startsAt"/);
    expect(missing.body).toMatch(/data-code="PORTAL_BAD_DATE" data-path="endsAt"/);
    const ok = await admin.post("/portal/authority/maintenance", {
      startsAt: "2099-01-02T22:00",
      endsAt: "2099-01-03T02:00",
      reason: "Nâng cấp <hệ thống>",
    });
    expect(ok.status).toBe(201);
    expect(ok.body).toContain("2099-01-02 22:00:00");
    expect(ok.body).toContain("Nâng cấp &lt;hệ thống&gt;");
    expect((await kit.authority.listMaintenance()).some((w) => w.reason === "Nâng cấp <hệ thống>")).toBe(
      true,
    );
  });

  it("lets an inspector sign in for the inspector lookup only, which is logged", async () => {
    const ins = new Agent(kit);
    const r = await ins.signIn(INSPECTOR_KEY);
    expect(r.location).toBe("/portal/authority/inspector");
    expect((await ins.get("/portal/authority")).status).toBe(403);
    const page = await ins.get(
      `/portal/authority/inspector?seller=0100109106&template=1&series=${kit.series}&number=999&purpose=test`,
    );
    expect(page.status).toBe(404);
    expect(page.body).toContain("PORTAL_LOOKUP_NOT_FOUND");
    expect((await kit.authority.accessLog(5)).some((x) => x.inspector === "inspector-1")).toBe(true);
  });

  it("computes live totals per rate and the amount in words exactly", async () => {
    const agent = new Agent(kit);
    await agent.signIn(kit.keyA);
    await agent.get("/portal/seller/invoices/new");
    const r = await kit.app.inject({
      method: "POST",
      url: "/portal/seller/api/totals",
      headers: {
        cookie: `hddt_portal=${agent.cookies.get("hddt_portal")}`,
        "content-type": "application/json",
        "x-csrf-token": agent.csrf,
      },
      payload: JSON.stringify({
        lines: [
          { quantity: "3", unitPrice: "33.333,33", vatRate: "10%" },
          { quantity: "0,1", unitPrice: "0,3", vatRate: "10%" },
          { quantity: "1", unitPrice: "1.000.000", vatRate: "5%" },
          { quantity: "x", unitPrice: "1", vatRate: "5%" },
        ],
      }),
    });
    expect(r.statusCode).toBe(200);
    const t = r.json();
    // 3 × 33 333,33 = 99 999,99 → 100 000 đồng; 0,1 × 0,3 = 0,03 → 0; VAT 10% = 10 000; 5% of 1 000 000 = 50 000.
    expect(t.lines.map((l: { amount: string }) => l.amount)).toEqual(["100.000", "0", "1.000.000", ""]);
    expect(t.byRate).toEqual([
      { vatRate: "10%", amount: "100.000", vatAmount: "10.000" },
      { vatRate: "5%", amount: "1.000.000", vatAmount: "50.000" },
    ]);
    expect(t.totalPayable).toBe("1.160.000");
    expect(t.words).toBe("Một triệu một trăm sáu mươi nghìn đồng");
    expect(t.problems[0]).toMatchObject({ code: "PORTAL_BAD_NUMBER", path: "lines[3].quantity" });
    const anonymous = await kit.app.inject({
      method: "POST",
      url: "/portal/seller/api/totals",
      headers: { "content-type": "application/json" },
      payload: "{}",
    });
    expect(anonymous.statusCode).toBe(303);
    const forged = await kit.app.inject({
      method: "POST",
      url: "/portal/seller/api/totals",
      headers: {
        cookie: `hddt_portal=${agent.cookies.get("hddt_portal")}`,
        "content-type": "application/json",
      },
      payload: "{}",
    });
    expect(forged.statusCode).toBe(403);
  });

  it("creates series and API keys from the settings pages, and answers unknown pages with 404", async () => {
    const agent = new Agent(kit);
    await agent.signIn(kit.keyA);
    await agent.get("/portal/seller/series");
    const bad = await agent.post("/portal/seller/series", { template: "1", series: "X" });
    expect(bad.status).toBe(422);
    expect(bad.body).toMatch(/data-path="series"/);
    await agent.get("/portal/seller/settings");
    const key = await agent.post("/portal/seller/settings/keys", {
      name: "máy bán hàng",
      role: "accountant",
    });
    expect(key.status).toBe(201);
    const shown = /(hddt_[A-Za-z0-9_-]+)/.exec(/id="new-key">[^<]*/.exec(key.body)?.[0] ?? "")?.[1];
    expect(shown).toBeDefined();
    expect(await kit.seller.authenticate(shown!)).toMatchObject({ role: "accountant" });
    for (const url of [
      "/portal/seller/invoices/not-a-uuid",
      "/portal/seller/invoices/%3Cscript%3E/xml",
      `/portal/seller/invoices/${"x".repeat(300)}/pdf`,
      "/portal/lookup/%00%00/xml",
    ]) {
      const r = await agent.get(url);
      // A parameter longer than fastify's limit is refused (400) by the server before any route.
      expect([404, 400]).toContain(r.status);
      expect(r.body).not.toContain("<script>");
    }
    const badDate = await agent.get("/portal/seller/invoices?from=2026-13-45&state=nonsense&to=x");
    expect(badDate.status).toBe(200);
    expect(badDate.body).toMatch(/data-code="PORTAL_BAD_DATE" data-path="from"/);
    const badPeriod = await agent.get("/portal/seller/reports?from=2026-02-30&to=2026-03-01");
    expect(badPeriod.status).toBe(200);
    expect(badPeriod.body).toMatch(/data-code="PORTAL_BAD_DATE" data-path="from"/);
    const report = await agent.get("/portal/seller/reports?from=2026-01-01&to=2099-12-31");
    expect(report.body).toContain('id="sales"');
    const xlsx = await kit.app.inject({
      url: "/portal/seller/reports/sales.xlsx?from=2026-01-01&to=2099-12-31",
      headers: { cookie: `hddt_portal=${agent.cookies.get("hddt_portal")}` },
    });
    expect(xlsx.statusCode).toBe(200);
    expect(xlsx.rawPayload.subarray(0, 2).toString("latin1")).toBe("PK");
    const badIssueDate = await agent.post(
      "/portal/seller/invoices",
      invoiceForm(kit.series, { "header.issueDate": "2026-02-30" }),
    );
    expect(badIssueDate.status).toBe(422);
    expect(badIssueDate.body).toMatch(/data-path="header\.issueDate"/);
    const missing = await agent.get("/portal/no-such-page");
    expect(missing.status).toBe(404);
    expect(missing.body).toContain("PORTAL_NOT_FOUND");
    await issueThroughForm(agent);
    await kit.drain();
    const dash = await agent.get("/portal/seller");
    expect(dash.body).toContain('id="counts"');
    // The certificate of the organisation's signing key.
    expect(dash.body).toMatch(/Chứng thư số (còn hạn đến|của .* hết hạn ngày) \d{4}-\d{2}-\d{2}/);
  });
  it("drafts corrections of an issued invoice, with the services' problems next to the fields", async () => {
    const agent = new Agent(kit);
    await agent.signIn(kit.keyA);
    const id = await issueThroughForm(agent);
    await kit.drain();
    await agent.get(`/portal/seller/corrections?id=${id}`);
    const adjust = await agent.post("/portal/seller/corrections/adjust", {
      id,
      line: "1",
      quantity: "1",
      unitPrice: "",
    });
    expect(adjust.body.match(/data-code="[A-Z_]+"[^<]*<code>[^<]*<\/code>: [^<]*/g) ?? []).toEqual([]);
    expect(adjust.status).toBe(303);
    const draftId = /invoices\/([0-9a-f-]{36})\?done=draft/.exec(adjust.location ?? "")?.[1];
    expect(draftId).toBeDefined();
    const draft = await kit.seller.get("0100109106", draftId!);
    expect(draft.ok && draft.value).toMatchObject({ correctsId: id, correction: "adjust", state: "draft" });
    const unknown = await agent.post("/portal/seller/corrections/replace", {
      id: "00000000-0000-0000-0000-000000000000",
      buyerName: "X",
      itemName: "Y",
      quantity: "1",
      unitPrice: "1",
      vatRate: "10%",
    });
    expect(unknown.status).toBe(422);
    expect(unknown.body).toMatch(/data-code="SELLER_INVOICE_NOT_FOUND" data-path="id"/);
    const badNumber = await agent.post("/portal/seller/corrections/adjust", { id, line: "x", quantity: "a" });
    expect(badNumber.body).toMatch(/data-code="PORTAL_BAD_NUMBER" data-path="change.lines\[0\].quantity"/);
    const notice = await agent.post("/portal/seller/corrections/notice", {
      id,
      error: "name-address",
      reason: "",
    });
    expect(notice.status).toBe(422);
    expect(notice.body).toMatch(/data-code="PORTAL_REQUIRED" data-path="items\[0\].reason"/);
    const sent = await agent.post("/portal/seller/corrections/notice", {
      id,
      error: "name-address",
      reason: "Sai địa chỉ người mua",
      action: "explain",
    });
    expect(sent.status).toBe(202);
    expect(sent.body).toMatch(/Đã gửi thông báo, mã thông điệp [0-9A-Z]+/);
  });

  it("lists refused invoices on the dashboard", async () => {
    const b = new Agent(kit);
    await b.signIn(kit.keyB);
    await kit.authority.stopTaxpayer(SELLER_B, "other", "test");
    try {
      const id = await issueThroughForm(b);
      await kit.drain();
      expect((await kit.seller.get(SELLER_B, id)).ok && (await kit.seller.get(SELLER_B, id))).toMatchObject({
        value: { state: "refused" },
      });
      const dash = await b.get("/portal/seller");
      expect(dash.body).toContain(`href="/portal/seller/invoices/${id}"`);
      expect(dash.body).toMatch(/data-state="refused"><a [^>]*>1</);
      const view = await b.get(`/portal/seller/invoices/${id}`);
      expect(view.body).toContain("Lý do từ chối");
    } finally {
      await kit.authority.resumeTaxpayer(SELLER_B);
    }
  });

  it("shows the signing certificate in the settings and switches to a token's certificate (two-step)", async () => {
    const b = new Agent(kit);
    await b.signIn(kit.keyB);
    const before = await b.get("/portal/seller/settings");
    expect(before.body).toContain('id="certificate"');
    expect(before.body).toContain('data-kind="dev"');
    expect(before.body).toContain("UID=MST:0309478306");
    const garbage = await b.post("/portal/seller/settings/certificate", { certificate: "not a certificate" });
    expect(garbage.status).toBe(422);
    expect(garbage.body).toContain('data-code="SELLER_SIGNING_FAILED"');
    const ca = await loadDevCa(await devCaDir());
    const token = await issueCertificate(ca, { name: "Token B", taxCode: SELLER_B });
    try {
      const done = await b.post("/portal/seller/settings/certificate", { certificate: token.certificate });
      expect(done.status).toBe(200);
      expect(done.body).toContain('data-kind="two-step"');
      expect(done.body).toContain("Token B");
      const key = await kit.seller.signingKey(SELLER_B);
      expect(key).toMatchObject({ kind: "two-step", awaitingSignature: 0 });
    } finally {
      // Organisation B signs on the server again for the tests that follow.
      expect((await kit.seller.issueDevSigningKey(SELLER_B, ca)).ok).toBe(true);
    }
  });

  it("keeps the portal's pages out of the OpenAPI document", async () => {
    const doc = (await kit.app.inject({ url: "/openapi.json" })).json() as { paths: Record<string, unknown> };
    expect(Object.keys(doc.paths).some((p) => p.startsWith("/portal"))).toBe(false);
    expect(Object.keys(doc.paths)).toContain("/seller/invoices");
  });
  it("answers odd input on every page and form with a page, never a 500", async () => {
    const seller = new Agent(kit);
    await seller.signIn(kit.keyA);
    const admin = new Agent(kit);
    await admin.signIn(ADMIN_KEY);
    const odd = ["", "%00", "'", "<x>", "9".repeat(40), "-1", "2026-02-30", "%E0%A4%A"];
    const sellerPages = [
      "/portal/seller",
      "/portal/seller/invoices",
      "/portal/seller/invoices/new",
      "/portal/seller/series",
      "/portal/seller/corrections",
      "/portal/seller/reports",
      "/portal/seller/settings",
      "/portal/lookup",
    ];
    const params = [
      "state",
      "from",
      "to",
      "buyer",
      "after",
      "id",
      "code",
      "seller",
      "number",
      "total",
      "lang",
      "back",
    ];
    for (const v of odd) {
      const query = params.map((p) => `${p}=${v}`).join("&");
      for (const url of sellerPages) {
        const r = await seller.get(`${url}?${query}`);
        expect([url, v, r.status < 500 ? "" : r.body.slice(-600)]).toEqual([url, v, ""]);
      }
      for (const url of [
        "/portal/authority",
        "/portal/authority/maintenance",
        "/portal/authority/inspector",
      ]) {
        const r = await admin.get(`${url}?offset=${v}&seller=${v}&template=${v}&series=${v}&number=${v}`);
        expect([url, v, r.status < 500]).toEqual([url, v, true]);
      }
    }
    await seller.get("/portal/seller/settings");
    const forms: Array<[Agent, string]> = [
      [seller, "/portal/seller/invoices"],
      [seller, "/portal/seller/series"],
      [seller, "/portal/seller/corrections/adjust"],
      [seller, "/portal/seller/corrections/replace"],
      [seller, "/portal/seller/corrections/notice"],
      [seller, "/portal/seller/settings/organisation"],
      [seller, "/portal/seller/settings/users"],
      [seller, "/portal/seller/settings/keys"],
      [seller, "/portal/seller/settings/keys/abc/revoke"],
      [seller, "/portal/seller/invoices/nope/issue"],
      [admin, "/portal/authority/maintenance"],
    ];
    for (const [agent, url] of forms) {
      for (const body of [
        {},
        { symbol: "|", "lines[0].itemName": "<x>", "lines[0].quantity": "1e999", id: "'", line: "-3" },
      ]) {
        const r = await agent.post(url, body as Record<string, string>);
        expect([url, r.status < 500]).toEqual([url, true]);
      }
    }
    const junk = await kit.app.inject({
      method: "POST",
      url: "/portal/seller/api/totals",
      headers: {
        cookie: `hddt_portal=${seller.cookies.get("hddt_portal")}`,
        "content-type": "application/json",
        "x-csrf-token": seller.csrf,
      },
      payload: JSON.stringify({ lines: [{ quantity: { a: 1 }, unitPrice: ["x"], vatRate: 5 }, null, 7] }),
    });
    expect(junk.statusCode).toBeLessThan(500);
  }, 120_000);
});
