/**
 * Webhooks of the composed system through the HTTP API, against a real HTTP receiver on loopback: a
 * subscription gets signed `notice.received`, `invoice.coded`, `invoice.delivered` and
 * `maintenance.announced` events, once each; subscriptions are the organisation's own; private targets are
 * refused unless the installation allows them.
 */
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { registerNotifyRoutes } from "../../src/api/notify.ts";
import { buildServer } from "../../src/api/server.ts";
import { SIGNATURE_HEADER, verifyWebhookSignature } from "../../src/notify/webhook-signature.ts";
import { TestHttpReceiver } from "../notify/support.ts";
import {
  invoiceInput,
  openSellerKit,
  SELLER_A,
  SELLER_B,
  type SellerKit,
  seriesOf,
} from "../seller/support.ts";
import { testBackends } from "../store/backends.ts";

interface Event {
  id: string;
  event: string;
  taxCode: string;
  data: Record<string, unknown>;
}

describe.each(testBackends())("webhooks of the seller (%s)", (backend) => {
  const receiver = new TestHttpReceiver();
  let c: SellerKit;
  let keyA: string;
  let keyB: string;
  let secret: string;
  let subscriptionId: string;

  const events = (): Event[] => receiver.posts.map((p) => JSON.parse(p.body) as Event);
  const call = (method: "GET" | "POST" | "PATCH" | "DELETE", url: string, key: string, payload?: unknown) =>
    c.app.inject({
      method,
      url,
      headers: { "x-api-key": key, ...(payload !== undefined ? { "content-type": "application/json" } : {}) },
      ...(payload !== undefined ? { payload: JSON.stringify(payload) } : {}),
    });

  beforeAll(async () => {
    await receiver.start();
    c = await openSellerKit(backend, {
      compose: { signingThreads: 0, allowPrivateWebhookTargets: true, secretKey: randomBytes(32) },
    });
    for (const [taxCode, name] of [
      [SELLER_A, "Công ty TNHH Phần mềm Hóa Đơn Mở"],
      [SELLER_B, "Công ty Cổ phần Thương mại Phương Nam"],
    ] as const) {
      await c.onboard(
        {
          taxCode,
          name,
          address: "Số 1 Tràng Tiền, Hà Nội",
          profile: { phone: "0241234567", email: "ketoan@hddt.example" },
        },
        { register: false },
      );
    }
    keyA = (await c.seller.createApiKey(SELLER_A, { name: "owner", role: "owner" })).key;
    keyB = (await c.seller.createApiKey(SELLER_B, { name: "owner", role: "owner" })).key;
    const r = await call("POST", "/seller/webhooks", keyA, {
      url: receiver.url,
      events: ["invoice.coded", "invoice.delivered", "notice.received", "maintenance.announced"],
    });
    expect(r.statusCode).toBe(201);
    const body = r.json() as { subscription: { id: string }; secret: string };
    secret = body.secret;
    subscriptionId = body.subscription.id;
  }, 120_000);
  afterAll(async () => {
    await c?.close();
    await receiver.stop();
  });

  it("reports the authority's notices on the registration as notice.received, signed with the secret", async () => {
    const reg = await c.seller.register(SELLER_A, { withCode: true, withoutCode: false });
    if (!reg.ok) throw new Error(JSON.stringify(reg.problems));
    await c.drain();
    const notices = events().filter((e) => e.event === "notice.received");
    expect(notices.map((e) => e.data.type).sort()).toEqual([102, 103]);
    expect(notices.every((e) => e.taxCode === SELLER_A)).toBe(true);
    for (const p of receiver.posts) {
      const header = p.headers[SIGNATURE_HEADER];
      const v = verifyWebhookSignature({
        secret,
        body: p.body,
        header: typeof header === "string" ? header : "",
        now: c.manual.now(),
      });
      expect(v.ok).toBe(true);
    }
  }, 60_000);

  it("keeps the signing secret sealed in the database", async () => {
    const r = await c.db.pool.query<{ secret: string }>(
      "select secret from seller.webhook_subscription where id = $1::bigint",
      [subscriptionId],
    );
    expect(r.rows[0]!.secret).toMatch(/^sb1:/);
    expect(r.rows[0]!.secret).not.toContain(secret);
  });

  it("reports a coded invoice and its delivery once each, with its number and code", async () => {
    const series = seriesOf(c.today());
    const s = await c.seller.createSeries(SELLER_A, { template: "1", series });
    if (!s.ok) throw new Error(JSON.stringify(s.problems));
    const d = await c.seller.createDraft(SELLER_A, invoiceInput(series));
    if (!d.ok) throw new Error(JSON.stringify(d.problems));
    const issued = await c.seller.issue(SELLER_A, d.value.invoice.id);
    if (!issued.ok) throw new Error(JSON.stringify(issued.problems));
    await c.drain();
    await c.drain();
    const mine = events().filter((e) => e.data.invoiceId === d.value.invoice.id);
    expect(mine.map((e) => e.event).sort()).toEqual(["invoice.coded", "invoice.delivered"]);
    const coded = mine.find((e) => e.event === "invoice.coded")!;
    expect(coded.data).toMatchObject({ series, number: 1, template: "1" });
    expect(coded.data.authorityCode).toMatch(/^[0-9A-F]{34}$/);
    const log = await call("GET", `/seller/webhooks/${subscriptionId}/deliveries`, keyA);
    const items = (log.json() as { items: { event: string; state: string; attempts: unknown[] }[] }).items;
    expect(items.filter((i) => i.event === "invoice.coded")).toMatchObject([{ state: "sent" }]);
    expect(items.every((i) => i.attempts.length >= 1)).toBe(true);
  }, 60_000);

  it("reports a maintenance window of the authority once", async () => {
    // Whole seconds: the notice carries the window to the second.
    const start = new Date(Math.floor(c.manual.now().getTime() / 1000) * 1000 + 86_400_000);
    const w = await c.authority.scheduleMaintenance(start, new Date(start.getTime() + 3_600_000), "nâng cấp");
    if (!w.ok) throw new Error(JSON.stringify(w.problems));
    await c.drain();
    await c.drain();
    const m = events().filter((e) => e.event === "maintenance.announced");
    expect(m).toHaveLength(1);
    expect(m[0]!.data).toMatchObject({ startsAt: start.toISOString() });
  }, 60_000);

  it("keeps subscriptions to their organisation: another owner sees none and cannot change or test it", async () => {
    expect((await call("GET", "/seller/webhooks", keyB)).json()).toEqual({ items: [] });
    for (const [method, url] of [
      ["PATCH", `/seller/webhooks/${subscriptionId}`],
      ["DELETE", `/seller/webhooks/${subscriptionId}`],
      ["POST", `/seller/webhooks/${subscriptionId}/test`],
      ["GET", `/seller/webhooks/${subscriptionId}/deliveries`],
    ] as const) {
      const r = await call(method, url, keyB, method === "PATCH" ? { active: false } : undefined);
      expect(r.statusCode, `${method} ${url}`).toBe(404);
      expect(r.json()).toMatchObject({ error: { code: "WEBHOOK_NOT_FOUND" } });
      expect(r.body).not.toContain(receiver.url);
    }
    const viewer = (await c.seller.createApiKey(SELLER_A, { name: "viewer", role: "viewer" })).key;
    expect((await call("GET", "/seller/webhooks", viewer)).statusCode).toBe(403);
  });

  it("sends a test event on demand and reports the receiver's answer", async () => {
    receiver.answers.push(503);
    const r = await call("POST", `/seller/webhooks/${subscriptionId}/test`, keyA);
    expect(r.statusCode).toBe(200);
    expect(r.json()).toMatchObject({ ok: false, status: 503 });
    expect(events().at(-1)?.event).toBe("webhook.test");
  });

  it("refuses URLs into private networks unless the installation allows them", async () => {
    const app = await buildServer({ logger: false, clock: c.manual });
    registerNotifyRoutes(app, c.seller, { webhooks: c.notifications.webhooks });
    try {
      for (const url of ["http://127.0.0.1:9/x", "http://169.254.169.254/latest", "http://[::1]/x"]) {
        const r = await app.inject({
          method: "POST",
          url: "/seller/webhooks",
          headers: { "x-api-key": keyA, "content-type": "application/json" },
          payload: JSON.stringify({ url, events: ["invoice.coded"] }),
        });
        expect(r.statusCode, url).toBe(422);
        expect(r.json()).toMatchObject({
          error: { code: "WEBHOOK_PRIVATE_URL", problems: [{ path: "/url" }] },
        });
      }
      expect(await c.notifications.webhooks.subscriptions(SELLER_A)).toHaveLength(1);
    } finally {
      await app.close();
    }
  });
});
