/**
 * Webhooks on both database backends, POSTing to a real HTTP server on loopback: signed bodies that the
 * receiver's check accepts, only matching active subscriptions, nothing for a rolled-back transaction,
 * retries with backoff and a log, dead after the last try, test deliveries, and several workers at once.
 */
import type { Kysely } from "kysely";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { ManualClock } from "../../src/domain/clock.ts";
import { MemoryEmailSender } from "../../src/notify/email.ts";
import { EmailQueue } from "../../src/notify/email-queue.ts";
import { SIGNATURE_HEADER, verifyWebhookSignature } from "../../src/notify/webhook-signature.ts";
import { type EmitRequest, Webhooks } from "../../src/notify/webhooks.ts";
import { NotifyWorker } from "../../src/notify/worker.ts";
import { type Database, inTransaction, migrate } from "../../src/store/index.ts";
import { openTestDatabase, testBackends } from "../store/backends.ts";
import { TestHttpReceiver } from "./support.ts";

const SELLER = "0100109106";
const OTHER = "0312345673";
const SECRET = "whsec_test_0123456789abcdef";

const codes = (r: { ok: boolean; problems?: readonly { code: string }[] }) =>
  r.ok ? [] : (r.problems ?? []).map((p) => p.code);

describe.each(testBackends())("webhooks (%s)", (backend) => {
  let db: Database;
  let k: Kysely<unknown>;
  let http: TestHttpReceiver;
  let clock: ManualClock;
  let hooks: Webhooks;

  const emit = (request: EmitRequest) => inTransaction(k, (trx) => hooks.emit(trx, request));
  const subscribe = async (events: string[], overrides: { taxCode?: string; active?: boolean } = {}) => {
    const r = await hooks.subscribe({ taxCode: SELLER, url: http.url, events, secret: SECRET, ...overrides });
    if (!r.ok) throw new Error(JSON.stringify(r.problems));
    return r.value.subscription;
  };

  beforeAll(async () => {
    db = await openTestDatabase(backend, { poolSize: 10 });
    await migrate(db, "seller");
    k = db.kysely<unknown>("seller");
    http = new TestHttpReceiver();
    await http.start();
  });
  afterAll(async () => {
    await http.stop();
    await db.close();
  });
  beforeEach(async () => {
    await db.pool.query(
      "truncate seller.webhook_subscription, seller.webhook_delivery, seller.webhook_attempt cascade",
    );
    http.posts.length = 0;
    http.answers = [];
    http.alwaysAnswer = 200;
    clock = new ManualClock("2026-03-01T03:00:00Z");
    hooks = new Webhooks(db, { clock, random: () => 0.5, policy: { maxAttempts: 4, timeoutMs: 2000 } });
  });

  it("checks a subscription: tax code, URL, events, secret length", async () => {
    const r = await hooks.subscribe({
      taxCode: "0100109107",
      url: "ftp://example.test/x",
      events: ["invoice.coded", "invoice.paid"],
      secret: "short",
    });
    expect(codes(r)).toEqual([
      "WEBHOOK_BAD_TAX_CODE",
      "WEBHOOK_BAD_URL",
      "WEBHOOK_UNKNOWN_EVENT",
      "WEBHOOK_WEAK_SECRET",
    ]);
    expect(codes(await hooks.subscribe({ taxCode: SELLER, url: http.url, events: [] }))).toEqual([
      "WEBHOOK_NO_EVENTS",
    ]);
    const made = await hooks.subscribe({ taxCode: SELLER, url: http.url, events: ["invoice.coded"] });
    expect(made.ok && made.value.secret).toMatch(/^whsec_[A-Za-z0-9_-]{32}$/);
    expect(await hooks.subscriptions(SELLER)).toHaveLength(1);
  });

  it("POSTs an event with a signature the receiver's check accepts", async () => {
    const sub = await subscribe(["invoice.coded", "invoice.refused"]);
    const emitted = await emit({
      taxCode: SELLER,
      event: "invoice.coded",
      payload: { invoiceId: "inv-1", mccqt: "M1-26-ABCDE-00000000001", tên: "Hóa đơn" },
    });
    expect(emitted.deliveries).toBe(1);
    expect(await hooks.drain()).toMatchObject({ claimed: 1, sent: 1 });

    expect(http.posts).toHaveLength(1);
    const post = http.posts[0]!;
    expect(post.headers["content-type"]).toBe("application/json; charset=utf-8");
    expect(post.headers["hddt-event"]).toBe("invoice.coded");
    expect(post.headers["hddt-event-id"]).toBe(emitted.eventId);
    const header = post.headers[SIGNATURE_HEADER] as string;
    expect(header).toMatch(/^t=1772334000,v1=[0-9a-f]{64}$/);
    expect(JSON.parse(post.body)).toEqual({
      id: emitted.eventId,
      event: "invoice.coded",
      taxCode: SELLER,
      occurredAt: "2026-03-01T03:00:00.000Z",
      data: { invoiceId: "inv-1", mccqt: "M1-26-ABCDE-00000000001", tên: "Hóa đơn" },
    });
    const now = clock.now();
    expect(verifyWebhookSignature({ header, body: post.body, secret: SECRET, now })).toEqual({
      ok: true,
      value: { timestamp: now },
    });
    expect(codes(verifyWebhookSignature({ header, body: `${post.body} `, secret: SECRET, now }))).toEqual([
      "WEBHOOK_SIGNATURE_MISMATCH",
    ]);
    expect(codes(verifyWebhookSignature({ header, body: post.body, secret: `${SECRET}x`, now }))).toEqual([
      "WEBHOOK_SIGNATURE_MISMATCH",
    ]);

    const [delivery] = await hooks.deliveries({ subscriptionId: sub.id });
    expect(delivery).toMatchObject({ state: "sent", attempts: 1, lastStatus: 200, event: "invoice.coded" });
    expect(post.headers["hddt-delivery"]).toBe(delivery!.id);
    expect(await hooks.attempts(delivery!.id)).toMatchObject([
      { attempt: 1, outcome: "sent", httpStatus: 200 },
    ]);
  });

  it("delivers only to active subscriptions of the organisation to that event", async () => {
    await subscribe(["invoice.refused"]);
    await subscribe(["invoice.coded"], { active: false });
    await subscribe(["invoice.coded"], { taxCode: OTHER });
    const wanted = await subscribe(["invoice.coded", "notice.received"]);
    expect((await emit({ taxCode: SELLER, event: "invoice.coded", payload: {} })).deliveries).toBe(1);
    await hooks.drain();
    expect(http.posts).toHaveLength(1);
    expect((await hooks.deliveries()).map((d) => d.subscriptionId)).toEqual([wanted.id]);
    await expect(
      hooks.emit(k, { taxCode: SELLER, event: "invoice.paid" as never, payload: {} }),
    ).rejects.toThrow(RangeError);
  });

  it("sends nothing for an event emitted in a transaction that rolled back", async () => {
    await subscribe(["invoice.refused"]);
    await expect(
      inTransaction(k, async (trx) => {
        const r = await hooks.emit(trx, { taxCode: SELLER, event: "invoice.refused", payload: { id: "x" } });
        expect(r.deliveries).toBe(1);
        throw new Error("the change failed");
      }),
    ).rejects.toThrow("the change failed");
    expect(await hooks.deliveries()).toEqual([]);
    expect(await hooks.drain()).toMatchObject({ claimed: 0 });
    expect(http.posts).toHaveLength(0);
  });

  it("retries after 500 and 503 with backoff, then succeeds; each try is logged and signed anew", async () => {
    const sub = await subscribe(["invoice.delivered"]);
    http.answers = [500, 503];
    await emit({ taxCode: SELLER, event: "invoice.delivered", payload: { to: "ketoan@nguoimua.test" } });

    expect(await hooks.drain()).toMatchObject({ claimed: 1, retried: 1 });
    const [d1] = await hooks.deliveries({ subscriptionId: sub.id });
    // Jitter 0.5 of the 10 s base.
    expect(d1).toMatchObject({ state: "failed", attempts: 1, lastStatus: 500, lastError: "HTTP 500" });
    expect(d1!.nextAttemptAt.toISOString()).toBe("2026-03-01T03:00:05.000Z");
    expect(await hooks.drain()).toMatchObject({ claimed: 0 });

    clock.advance({ seconds: 5 });
    expect(await hooks.drain()).toMatchObject({ claimed: 1, retried: 1 });
    clock.advance({ seconds: 10 });
    expect(await hooks.drain()).toMatchObject({ claimed: 1, sent: 1 });

    const log = await hooks.attempts(d1!.id);
    expect(log.map((a) => [a.attempt, a.outcome, a.httpStatus])).toEqual([
      [1, "retry", 500],
      [2, "retry", 503],
      [3, "sent", 200],
    ]);
    expect(log[1]!.response).toBe("refused with 503");
    expect(http.posts.map((p) => p.headers["hddt-delivery"])).toEqual([d1!.id, d1!.id, d1!.id]);
    expect(new Set(http.posts.map((p) => p.body)).size).toBe(1);
    expect(http.posts.map((p) => (p.headers[SIGNATURE_HEADER] as string).slice(0, 12))).toEqual([
      "t=1772334000",
      "t=1772334005",
      "t=1772334015",
    ]);
  });

  it("gives up after the last try, counts a timeout as a failure, and an operator can requeue", async () => {
    hooks = new Webhooks(db, { clock, random: () => 0.5, policy: { maxAttempts: 2, timeoutMs: 300 } });
    await subscribe(["maintenance.announced"]);
    http.answers = [0];
    http.alwaysAnswer = 502;
    await emit({ taxCode: SELLER, event: "maintenance.announced", payload: {} });
    await hooks.drain();
    clock.advance({ minutes: 1 });
    expect(await hooks.drain()).toMatchObject({ claimed: 1, dead: 1 });
    const [d] = await hooks.deliveries();
    expect(d).toMatchObject({ state: "dead", attempts: 2 });
    const log = await hooks.attempts(d!.id);
    expect(log.map((a) => [a.outcome, a.httpStatus])).toEqual([
      ["retry", null],
      ["dead", 502],
    ]);
    expect(log[0]!.response).toBe("timeout after 300 ms");

    http.alwaysAnswer = 200;
    expect(await hooks.requeue(d!.id)).toMatchObject({ ok: true, value: { state: "pending", attempts: 0 } });
    expect(codes(await hooks.requeue(d!.id))).toEqual(["WEBHOOK_NOT_REQUEUEABLE"]);
    expect(codes(await hooks.requeue("424242"))).toEqual(["WEBHOOK_DELIVERY_NOT_FOUND"]);
    expect(await hooks.drain()).toMatchObject({ sent: 1 });
  });

  it("makes a test delivery once and reports the receiver's answer", async () => {
    const sub = await subscribe(["invoice.coded"], { active: false });
    const good = await hooks.testDelivery(sub.id);
    expect(good).toMatchObject({ ok: true, value: { ok: true, status: 200, response: "ok" } });
    expect(http.posts[0]!.headers["hddt-event"]).toBe("webhook.test");
    expect(
      verifyWebhookSignature({
        header: http.posts[0]!.headers[SIGNATURE_HEADER] as string,
        body: http.posts[0]!.body,
        secret: SECRET,
        now: clock.now(),
      }).ok,
    ).toBe(true);

    http.answers = [404];
    const bad = await hooks.testDelivery(sub.id);
    expect(bad).toMatchObject({ ok: true, value: { ok: false, status: 404 } });
    const d = await hooks.delivery(bad.ok ? bad.value.deliveryId : "");
    expect(d).toMatchObject({ ok: true, value: { state: "dead", attempts: 1 } });
    clock.advance({ hours: 1 });
    expect(await hooks.drain()).toMatchObject({ claimed: 0 });
    expect(codes(await hooks.testDelivery("777"))).toEqual(["WEBHOOK_NOT_FOUND"]);
  });

  it("lets a fixed URL through to pending deliveries, and holds those of an inactive subscription", async () => {
    const sub = await subscribe(["notice.received"]);
    await hooks.update(sub.id, { url: "http://127.0.0.1:1/nowhere" });
    await emit({ taxCode: SELLER, event: "notice.received", payload: { notice: 1 } });
    expect(await hooks.drain()).toMatchObject({ retried: 1 });
    expect(await hooks.update(sub.id, { url: http.url, active: false })).toMatchObject({
      ok: true,
      value: { url: http.url, active: false },
    });
    clock.advance({ minutes: 5 });
    expect(await hooks.drain()).toMatchObject({ claimed: 0 });
    await hooks.update(sub.id, { active: true });
    expect(await hooks.drain()).toMatchObject({ sent: 1 });
    expect(http.posts).toHaveLength(1);
    expect(codes(await hooks.update("99999", { active: true }))).toEqual(["WEBHOOK_NOT_FOUND"]);
    expect(await hooks.unsubscribe(sub.id)).toEqual({ ok: true, value: true });
    expect(await hooks.deliveries()).toEqual([]);
  });

  it("delivers each event once when several workers drain at the same time", async () => {
    await subscribe(["invoice.coded"]);
    await subscribe(["invoice.coded", "invoice.refused"]);
    const n = 20;
    for (let i = 0; i < n; i++) await emit({ taxCode: SELLER, event: "invoice.coded", payload: { i } });
    const reports = await Promise.all(
      [0, 1, 2, 3].map((w) => hooks.drain({ workerId: `w${w}`, batchSize: 2 })),
    );
    expect(reports.reduce((s, r) => s + r.sent, 0)).toBe(2 * n);
    expect(reports.reduce((s, r) => s + r.stale, 0)).toBe(0);
    const ids = http.posts.map((p) => p.headers["hddt-delivery"]);
    expect(ids).toHaveLength(2 * n);
    expect(new Set(ids).size).toBe(2 * n);
    if (backend === "postgres") {
      const w = await db.pool.query<{ n: bigint }>(
        "select count(distinct worker) as n from seller.webhook_attempt",
      );
      expect(Number(w.rows[0]!.n)).toBeGreaterThan(1);
    }
  });

  it("runs in the background: the worker sends e-mails and webhooks queued while it runs, until stopped", async () => {
    await db.pool.query("truncate seller.email_outbox cascade");
    await subscribe(["invoice.coded"]);
    const mail = new MemoryEmailSender();
    const queue = new EmailQueue(db, { clock });
    const worker = new NotifyWorker({ email: { queue, sender: mail }, webhooks: hooks, idleMs: 20 });
    worker.start();
    try {
      await emit({ taxCode: SELLER, event: "invoice.coded", payload: { id: "bg" } });
      await queue.enqueue({
        key: "bg-1",
        kind: "notice",
        to: "a@khach.test",
        subject: "Chào",
        text: "Nội dung",
      });
      for (let i = 0; i < 250 && (http.posts.length < 1 || mail.sent.length < 1); i++)
        await new Promise((r) => setTimeout(r, 20));
    } finally {
      await worker.stop();
    }
    expect(http.posts).toHaveLength(1);
    expect(mail.sent.map((m) => m.subject)).toEqual(["Chào"]);
    await emit({ taxCode: SELLER, event: "invoice.coded", payload: { id: "after stop" } });
    await new Promise((r) => setTimeout(r, 60));
    expect(http.posts).toHaveLength(1);
  });

  it("waits as long as a 429 or 503 asks with Retry-After, when that is longer than the backoff", async () => {
    await subscribe(["invoice.coded"]);
    http.answers = [
      { status: 503, headers: { "retry-after": "120" } },
      { status: 429, headers: { "retry-after": "1" } },
    ];
    await emit({ taxCode: SELLER, event: "invoice.coded", payload: {} });
    await hooks.drain();
    const [d] = await hooks.deliveries();
    expect(d!.nextAttemptAt.toISOString()).toBe("2026-03-01T03:02:00.000Z");
    clock.advance({ seconds: 120 });
    await hooks.drain();
    // Backoff after try 2 (0.5 × 20 s) is longer than the 1 s asked.
    const [d2] = await hooks.deliveries();
    expect(d2!.nextAttemptAt.toISOString()).toBe("2026-03-01T03:02:10.000Z");
  });

  it("emits invoice.delivered in the transaction that records the e-mail as sent", async () => {
    await db.pool.query("truncate seller.email_outbox cascade");
    await subscribe(["invoice.delivered"]);
    const mail = new MemoryEmailSender();
    mail.next.push({ ok: false, permanent: false, response: "451 later", code: 451 });
    const queue = new EmailQueue(db, {
      clock,
      random: () => 0.5,
      onSent: async (trx, sent) => {
        await hooks.emit(trx, {
          taxCode: sent.taxCode ?? "",
          event: "invoice.delivered",
          payload: { invoiceId: sent.ref, to: sent.to, at: sent.sentAt.toISOString() },
        });
      },
    });
    await queue.enqueue({
      key: "inv-9:buyer",
      kind: "invoice",
      to: "ketoan@nguoimua.test",
      subject: "Hóa đơn",
      text: "x",
      taxCode: SELLER,
      ref: "inv-9",
    });
    await queue.drain(mail);
    expect(await hooks.deliveries()).toEqual([]);
    clock.advance({ minutes: 5 });
    await queue.drain(mail);
    await hooks.drain();
    expect(http.posts).toHaveLength(1);
    expect(JSON.parse(http.posts[0]!.body)).toMatchObject({
      event: "invoice.delivered",
      data: { invoiceId: "inv-9", to: ["ketoan@nguoimua.test"], at: "2026-03-01T03:05:00.000Z" },
    });
  });
});
