/**
 * E-mail delivery on both database backends, through a real SMTP server on loopback (smtp-server):
 * attachments byte-exact, Vietnamese subject and body decoded back, idempotency by key, retries after 451
 * with the log of each try, dead after the last try or at once on 550, broadcasts, the caller's
 * transaction, and two workers draining at once.
 */
import { randomBytes } from "node:crypto";
import type { Kysely } from "kysely";
import { simpleParser } from "mailparser";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { ManualClock } from "../../src/domain/clock.ts";
import { writeInvoice } from "../../src/format/invoice.ts";
import { EmailBuyerDelivery } from "../../src/notify/buyer-delivery.ts";
import { EmailQueue, type InvoiceEmailRequest } from "../../src/notify/email-queue.ts";
import { SmtpEmailSender } from "../../src/notify/smtp.ts";
import type { BuyerDelivery } from "../../src/seller/ports.ts";
import { type Database, inTransaction, migrate } from "../../src/store/index.ts";
import { openTestDatabase, testBackends } from "../store/backends.ts";
import { sampleInvoice } from "../support/invoices.ts";
import { TestSmtpServer } from "./support.ts";

const XML = Buffer.from(
  '<HDon><DLHDon Id="data"><NBan><Ten>Công ty TNHH Hóa Đơn Việt</Ten></NBan></DLHDon>\r\n</HDon>',
  "utf8",
);
const PDF = Buffer.concat([Buffer.from("%PDF-1.7\n%\xe2\xe3\xcf\xd3\n", "latin1"), randomBytes(4096)]);

function invoiceRequest(key: string, overrides: Partial<InvoiceEmailRequest> = {}): InvoiceEmailRequest {
  return {
    key,
    to: "ketoan@nguoimua.test",
    invoice: {
      sellerName: "Công ty TNHH Hóa Đơn Việt",
      sellerTaxCode: "0100109106",
      buyerName: "Công ty Cổ phần Người Mua Đà Nẵng",
      template: "1",
      series: "C26TAA",
      number: "123",
      issueDate: "2026-03-01",
      total: "1234567",
      currency: "VND",
    },
    xml: XML,
    pdf: PDF,
    lookupCode: "A1B2C3D4E5",
    lookupUrl: "https://tracuu.hoadon.test/?ma=A1B2C3D4E5",
    ...overrides,
  };
}

const codes = (r: { ok: boolean; problems?: readonly { code: string }[] }) =>
  r.ok ? [] : (r.problems ?? []).map((p) => p.code);

describe.each(testBackends())("e-mail delivery (%s)", (backend) => {
  let db: Database;
  let k: Kysely<unknown>;
  let smtp: TestSmtpServer;
  let sender: SmtpEmailSender;
  let clock: ManualClock;
  let queue: EmailQueue;

  beforeAll(async () => {
    db = await openTestDatabase(backend, { poolSize: 10 });
    await migrate(db, "seller");
    k = db.kysely<unknown>("seller");
    smtp = new TestSmtpServer();
    await smtp.start();
    sender = new SmtpEmailSender({
      host: "127.0.0.1",
      port: smtp.port,
      from: '"Hóa đơn điện tử" <hoadon@nguoiban.test>',
      tls: "none",
      timeoutMs: 5000,
    });
  });
  afterAll(async () => {
    await sender.close();
    await smtp.stop();
    await db.close();
  });
  beforeEach(async () => {
    await db.pool.query(
      "truncate seller.email_outbox, seller.email_attachment, seller.email_attempt cascade",
    );
    smtp.accepted.length = 0;
    smtp.refused.length = 0;
    smtp.refuse = [];
    smtp.alwaysRefuse = undefined;
    clock = new ManualClock("2026-03-01T03:00:00Z");
    queue = new EmailQueue(db, { clock, random: () => 0.5, policy: { maxAttempts: 5 } });
  });

  it("delivers an invoice in Vietnamese with the XML and PDF attached byte-exact and the lookup code in the body", async () => {
    const q = await queue.deliverInvoiceEmail(invoiceRequest("inv-1:buyer"));
    expect(q).toMatchObject({ ok: true, value: { duplicate: false } });
    expect(await queue.drain(sender)).toMatchObject({ claimed: 1, sent: 1, retried: 0, dead: 0 });

    expect(smtp.accepted).toHaveLength(1);
    expect(smtp.accepted[0]!.to).toEqual(["ketoan@nguoimua.test"]);
    expect(smtp.accepted[0]!.from).toBe("hoadon@nguoiban.test");
    // The subject travels encoded (RFC 2047), never as raw UTF-8 in the header.
    const rawHeader = smtp.accepted[0]!.raw.toString("latin1").split("\r\n\r\n")[0]!;
    expect(rawHeader).toMatch(/^Subject: =\?UTF-8\?/m);

    const mail = await simpleParser(smtp.accepted[0]!.raw);
    expect(mail.subject).toBe("Hóa đơn điện tử số 123, ký hiệu 1C26TAA của Công ty TNHH Hóa Đơn Việt");
    expect(mail.text).toContain("Kính gửi Quý khách Công ty Cổ phần Người Mua Đà Nẵng,");
    expect(mail.text).toContain("Tổng tiền thanh toán: 1.234.567 VND");
    expect(mail.text).toContain("Mã tra cứu: A1B2C3D4E5");
    expect(mail.text).toContain("Tra cứu hóa đơn tại: https://tracuu.hoadon.test/?ma=A1B2C3D4E5");
    expect(mail.html).toContain('<a href="https://tracuu.hoadon.test/?ma=A1B2C3D4E5">');
    const files = mail.attachments.map((a) => [a.filename, a.contentType]);
    expect(files).toEqual([
      ["1C26TAA_123.xml", "application/xml"],
      ["1C26TAA_123.pdf", "application/pdf"],
    ]);
    expect(mail.attachments[0]!.content.equals(XML)).toBe(true);
    expect(mail.attachments[1]!.content.equals(PDF)).toBe(true);

    const entry = await queue.get({ key: "inv-1:buyer" });
    expect(entry).toMatchObject({ ok: true, value: { state: "sent", attempts: 1, taxCode: "0100109106" } });
    expect(entry.ok && mail.messageId).toBe(entry.ok ? entry.value.messageId : "");
    const log = await queue.attempts(q.ok ? q.value.id : "");
    expect(log).toMatchObject([{ attempt: 1, outcome: "sent", smtpCode: 250 }]);
    expect(log[0]!.response).toContain("Message queued as");
  });

  it("writes the e-mail in English on request, without a PDF", async () => {
    await queue.deliverInvoiceEmail(invoiceRequest("inv-2:buyer", { language: "en", pdf: undefined }));
    await queue.drain(sender);
    const mail = await simpleParser(smtp.accepted[0]!.raw);
    expect(mail.subject).toBe("E-invoice no. 123, series 1C26TAA from Công ty TNHH Hóa Đơn Việt");
    expect(mail.text).toContain("Total payable: 1,234,567 VND");
    expect(mail.text).toContain("Lookup code: A1B2C3D4E5");
    expect(mail.attachments.map((a) => a.filename)).toEqual(["1C26TAA_123.xml"]);
  });

  it("queues an invoice once per key: a second request is a duplicate and one message arrives", async () => {
    const a = await queue.deliverInvoiceEmail(invoiceRequest("inv-3:buyer"));
    const b = await queue.deliverInvoiceEmail(invoiceRequest("inv-3:buyer", { to: "other@nguoimua.test" }));
    expect(b).toEqual({ ok: true, value: { id: a.ok ? a.value.id : "", duplicate: true } });
    await queue.drain(sender);
    await queue.drain(sender);
    expect(smtp.accepted).toHaveLength(1);
    expect(smtp.accepted[0]!.to).toEqual(["ketoan@nguoimua.test"]);
  });

  it("refuses bad addresses, a bad lookup link and a total that is not a number, and queues nothing", async () => {
    const r = await queue.deliverInvoiceEmail(
      invoiceRequest("inv-4", {
        to: ["ok@nguoimua.test", "not an address", "a@b.test\r\nBcc: x@y.test"],
        lookupUrl: "javascript:alert(1)",
        invoice: { ...invoiceRequest("x").invoice, total: "1.234.567" },
      }),
    );
    expect(codes(r)).toEqual([
      "EMAIL_BAD_ADDRESS",
      "EMAIL_BAD_ADDRESS",
      "EMAIL_BAD_LINK",
      "EMAIL_BAD_AMOUNT",
    ]);
    expect(codes(await queue.deliverInvoiceEmail(invoiceRequest("inv-5", { to: [] })))).toEqual([
      "EMAIL_NO_RECIPIENT",
    ]);
    expect(await queue.counts()).toEqual({ pending: 0, sending: 0, failed: 0, sent: 0, dead: 0 });
  });

  it("tries again after the server answers 451 twice, then delivers, logging each try", async () => {
    smtp.refuse = [451, 451];
    const q = await queue.deliverInvoiceEmail(invoiceRequest("inv-6:buyer"));
    const id = q.ok ? q.value.id : "";

    expect(await queue.drain(sender)).toMatchObject({ claimed: 1, retried: 1 });
    const after1 = await queue.get({ id });
    expect(after1).toMatchObject({ ok: true, value: { state: "failed", attempts: 1 } });
    // Backoff with jitter 0.5: half of the 1-minute base; nothing is due before then.
    expect(after1.ok && after1.value.nextAttemptAt.toISOString()).toBe("2026-03-01T03:00:30.000Z");
    expect(await queue.drain(sender)).toMatchObject({ claimed: 0 });

    clock.advance({ seconds: 30 });
    expect(await queue.drain(sender)).toMatchObject({ claimed: 1, retried: 1 });
    clock.advance({ minutes: 1 });
    expect(await queue.drain(sender)).toMatchObject({ claimed: 1, sent: 1 });

    expect(smtp.refused).toEqual([451, 451]);
    expect(smtp.accepted).toHaveLength(1);
    const log = await queue.attempts(id);
    expect(log.map((a) => [a.attempt, a.outcome, a.smtpCode])).toEqual([
      [1, "retry", 451],
      [2, "retry", 451],
      [3, "sent", 250],
    ]);
    expect(log[0]!.response).toContain("Try again later");
    expect(log.map((a) => a.startedAt.toISOString())).toEqual([
      "2026-03-01T03:00:00.000Z",
      "2026-03-01T03:00:30.000Z",
      "2026-03-01T03:01:30.000Z",
    ]);
    // Every try carried the same Message-ID.
    const mail = await simpleParser(smtp.accepted[0]!.raw);
    expect(after1.ok && mail.messageId === after1.value.messageId).toBe(true);
  });

  it("gives up after the last try (dead), and an operator can requeue", async () => {
    smtp.alwaysRefuse = 451;
    const q = await queue.deliverInvoiceEmail(invoiceRequest("inv-7:buyer"));
    const id = q.ok ? q.value.id : "";
    for (let i = 0; i < 5; i++) {
      await queue.drain(sender);
      clock.advance({ hours: 1 });
    }
    expect(await queue.get({ id })).toMatchObject({ ok: true, value: { state: "dead", attempts: 5 } });
    expect((await queue.attempts(id)).map((a) => a.outcome)).toEqual([
      "retry",
      "retry",
      "retry",
      "retry",
      "dead",
    ]);
    expect(await queue.drain(sender)).toMatchObject({ claimed: 0 });
    expect(smtp.accepted).toHaveLength(0);

    expect(codes(await queue.requeue("999999"))).toEqual(["EMAIL_NOT_FOUND"]);
    smtp.alwaysRefuse = undefined;
    expect(await queue.requeue(id)).toMatchObject({ ok: true, value: { state: "pending", attempts: 0 } });
    expect(codes(await queue.requeue(id))).toEqual(["EMAIL_NOT_REQUEUEABLE"]);
    expect(await queue.drain(sender)).toMatchObject({ sent: 1 });
  });

  it("stops at once when the server refuses the mailbox for good (550)", async () => {
    smtp.refuse = [550];
    const q = await queue.deliverInvoiceEmail(invoiceRequest("inv-8:buyer"));
    expect(await queue.drain(sender)).toMatchObject({ claimed: 1, dead: 1 });
    const log = await queue.attempts(q.ok ? q.value.id : "");
    expect(log).toMatchObject([{ attempt: 1, outcome: "dead", smtpCode: 550 }]);
  });

  it("counts an unreachable server as a temporary failure", async () => {
    const closed = new TestSmtpServer();
    const port = await closed.start();
    await closed.stop();
    const nowhere = new SmtpEmailSender({
      host: "127.0.0.1",
      port,
      from: "a@b.test",
      tls: "none",
      timeoutMs: 2000,
    });
    const q = await queue.deliverInvoiceEmail(invoiceRequest("inv-9:buyer"));
    expect(await queue.drain(nowhere)).toMatchObject({ claimed: 1, retried: 1 });
    const log = await queue.attempts(q.ok ? q.value.id : "");
    expect(log).toMatchObject([{ outcome: "retry", smtpCode: null }]);
    expect(log[0]!.response).toMatch(/ECONNECTION|ECONNREFUSED/);
  });

  it("logs in over STARTTLS when configured, and holds the mail (no dead letter) when the login is refused", async () => {
    const secured = new TestSmtpServer({ login: { user: "hoadon", pass: "mật-khẩu" } });
    const port = await secured.start();
    const config = {
      host: "127.0.0.1",
      port,
      from: "hoadon@nguoiban.test",
      tls: "starttls",
      allowUntrustedCertificate: true,
      timeoutMs: 5000,
    } as const;
    const wrong = new SmtpEmailSender({ ...config, auth: { user: "hoadon", pass: "sai" } });
    const right = new SmtpEmailSender({ ...config, auth: { user: "hoadon", pass: "mật-khẩu" } });
    try {
      const q = await queue.deliverInvoiceEmail(invoiceRequest("inv-11:buyer"));
      const id = q.ok ? q.value.id : "";
      expect(await queue.drain(wrong)).toMatchObject({ claimed: 1, retried: 1 });
      expect((await queue.attempts(id))[0]).toMatchObject({ outcome: "retry", smtpCode: 535 });
      clock.advance({ hours: 1 });
      expect(await queue.drain(right)).toMatchObject({ claimed: 1, sent: 1 });
      expect(secured.accepted.map((m) => [m.secure, m.user])).toEqual([[true, "hoadon"]]);
    } finally {
      await wrong.close();
      await right.close();
      await secured.stop();
    }
  });

  it("delivers to a buyer as the seller's delivery port: summary read from the XML, once per invoice", async () => {
    const invoice = sampleInvoice(2, { number: "77" });
    const xml = writeInvoice(invoice);
    // Typed as the seller's port: the type check fails if the two drift apart.
    const delivery: BuyerDelivery & EmailBuyerDelivery = new EmailBuyerDelivery(queue, {
      lookupUrl: (code) => `https://tracuu.hoadon.test/?ma=${code}`,
    });
    const request = { taxCode: invoice.seller.taxCode, invoiceId: "inv-77", xml, lookupCode: "LC77" };
    expect(await delivery.deliver(request)).toEqual({ channel: "none" });
    const first = await delivery.deliver({ ...request, buyerEmail: "muahang@nguoimua.test" });
    expect(first).toMatchObject({ channel: "email", address: "muahang@nguoimua.test" });
    expect(await delivery.deliver({ ...request, buyerEmail: "muahang@nguoimua.test" })).toEqual(first);
    expect(
      await delivery.deliver({ ...request, invoiceId: "inv-78", buyerEmail: "sai địa chỉ" }),
    ).toMatchObject({
      channel: "email-refused",
      problems: [{ code: "EMAIL_BAD_ADDRESS" }],
    });
    await queue.drain(sender);
    expect(smtp.accepted).toHaveLength(1);
    const mail = await simpleParser(smtp.accepted[0]!.raw);
    const symbol = `${invoice.header.template}${invoice.header.series}`;
    expect(mail.subject).toBe(`Hóa đơn điện tử số 77, ký hiệu ${symbol} của ${invoice.seller.name}`);
    expect(mail.text).toContain("Mã tra cứu: LC77");
    expect(mail.attachments[0]!.content.toString("utf8")).toBe(xml);
  });

  it("forwards a notice to every customer once, one e-mail each, and not twice for the same broadcast", async () => {
    const notice = {
      key: "maintenance:2026-03-07",
      recipients: ["a@khach.test", "b@khach.test", "A@khach.test"],
      subject: "Thông báo tạm ngừng hệ thống hóa đơn điện tử",
      body: "Cơ quan thuế thông báo: hệ thống tạm ngừng từ 22:00 ngày 07/03/2026 đến 02:00 ngày 08/03/2026.",
    };
    const r = await queue.broadcastNotice(notice);
    expect(r).toMatchObject({ ok: true, value: { duplicates: [] } });
    expect(r.ok && r.value.queued).toHaveLength(2);
    const again = await queue.broadcastNotice({ ...notice, recipients: ["b@khach.test", "c@khach.test"] });
    expect(again).toMatchObject({ ok: true, value: { duplicates: ["b@khach.test"] } });
    await queue.drain(sender);
    expect(smtp.accepted.map((m) => m.to[0]).sort()).toEqual([
      "a@khach.test",
      "b@khach.test",
      "c@khach.test",
    ]);
    const mail = await simpleParser(smtp.accepted[0]!.raw);
    expect(mail.subject).toBe(notice.subject);
    expect(mail.text?.trim()).toBe(notice.body);
  });

  it("queues in the caller's transaction: a rollback leaves nothing to send", async () => {
    await expect(
      inTransaction(k, async (trx) => {
        const r = await queue.deliverInvoiceEmail(invoiceRequest("inv-10:buyer"), trx);
        expect(r.ok).toBe(true);
        throw new Error("the invoice change failed");
      }),
    ).rejects.toThrow("the invoice change failed");
    expect(await queue.drain(sender)).toMatchObject({ claimed: 0 });
    expect(smtp.accepted).toHaveLength(0);
  });

  it("sends each e-mail once when several workers drain at the same time", async () => {
    const n = 40;
    for (let i = 0; i < n; i++)
      await queue.deliverInvoiceEmail(invoiceRequest(`bulk-${i}`, { to: `buyer${i}@nguoimua.test` }));
    const senders = [0, 1, 2, 3].map(
      () =>
        new SmtpEmailSender({
          host: "127.0.0.1",
          port: smtp.port,
          from: "hoadon@nguoiban.test",
          tls: "none",
        }),
    );
    const reports = await Promise.all(
      senders.map((s, i) => queue.drain(s, { workerId: `w${i}`, batchSize: 2 })),
    );
    await Promise.all(senders.map((s) => s.close()));
    expect(reports.reduce((sum, r) => sum + r.sent, 0)).toBe(n);
    expect(reports.reduce((sum, r) => sum + r.stale, 0)).toBe(0);
    const ids = await Promise.all(smtp.accepted.map(async (m) => (await simpleParser(m.raw)).messageId));
    expect(ids).toHaveLength(n);
    expect(new Set(ids).size).toBe(n);
    const log = await db.pool.query<{ n: bigint; workers: bigint }>(
      "select count(*) as n, count(distinct worker) as workers from seller.email_attempt",
    );
    expect(Number(log.rows[0]!.n)).toBe(n);
    if (backend === "postgres") expect(Number(log.rows[0]!.workers)).toBeGreaterThan(1);
  });
});
