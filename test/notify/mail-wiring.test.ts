/**
 * E-mail in the composed system (composeAll with `mail`), against a real SMTP server on loopback: a coded
 * invoice reaches its buyer only after its code, with the XML, the PDF and the lookup link; a maintenance
 * window the authority announces reaches every customer of the provider once.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { lookupPageUrl } from "../../src/cli/notifications.ts";
import { SmtpEmailSender } from "../../src/notify/smtp.ts";
import {
  invoiceInput,
  openSellerKit,
  SELLER_A,
  SELLER_B,
  type SellerKit,
  seriesOf,
} from "../seller/support.ts";
import { testBackends } from "../store/backends.ts";
import { TestSmtpServer } from "./support.ts";

const PUBLIC = "https://hoadon.example.vn";

describe.each(testBackends())("e-mail of the composed system (%s)", (backend) => {
  const smtp = new TestSmtpServer();
  let c: SellerKit;
  let series: string;

  beforeAll(async () => {
    const port = await smtp.start();
    c = await openSellerKit(backend, {
      compose: {
        signingThreads: 0,
        mail: {
          sender: new SmtpEmailSender({ host: "127.0.0.1", port, from: "hoadon@hddt.example", tls: "none" }),
          publicUrl: PUBLIC,
        },
      },
    });
    await c.onboard({
      taxCode: SELLER_A,
      name: "Công ty TNHH Phần mềm Hóa Đơn Mở",
      address: "Số 1 Tràng Tiền, Hoàn Kiếm, Hà Nội",
      profile: { email: "ketoan@hddt.example", contactEmail: "lienhe@hddt.example", phone: "0241234567" },
    });
    await c.onboard(
      {
        taxCode: SELLER_B,
        name: "Công ty Cổ phần Thương mại Phương Nam",
        address: "5 Lê Lợi, Quận 1, TP Hồ Chí Minh",
        profile: { email: "phuongnam@hddt.example" },
      },
      { register: false },
    );
    await c.drain();
    series = seriesOf(c.today());
    const s = await c.seller.createSeries(SELLER_A, { template: "1", series });
    if (!s.ok) throw new Error(JSON.stringify(s.problems));
  }, 120_000);
  afterAll(async () => {
    await c?.close();
    await smtp.stop();
  });

  it("mails a coded invoice to its buyer after the code, with its XML, its PDF and the lookup link", async () => {
    const d = await c.seller.createDraft(SELLER_A, invoiceInput(series, { buyerEmail: "mua@example.vn" }));
    if (!d.ok) throw new Error(JSON.stringify(d.problems));
    const issued = await c.seller.issue(SELLER_A, d.value.invoice.id);
    if (!issued.ok) throw new Error(JSON.stringify(issued.problems));
    // Before the code nothing is queued for the buyer.
    expect((await c.notifications.mail!.queue.list({})).filter((e) => e.kind === "invoice")).toEqual([]);

    await c.drain();
    const mails = smtp.accepted.filter((m) => m.to.includes("mua@example.vn"));
    expect(mails).toHaveLength(1);
    const raw = mails[0]!.raw.toString("utf8");
    expect(raw).toMatch(/Content-Type: application\/pdf/i);
    expect(raw).toMatch(/Content-Type: (application|text)\/xml/i);
    const link = lookupPageUrl(PUBLIC, issued.value.lookupCode);
    // Quoted-printable may fold the link; compare without soft line breaks.
    expect(raw.replace(/=\r?\n/g, "").replace(/=3D/g, "=")).toContain(link);

    // A second drain mails nothing again.
    await c.drain();
    expect(smtp.accepted.filter((m) => m.to.includes("mua@example.vn"))).toHaveLength(1);

    // The delivery log through the API: the organisation's own invoice only.
    const key = (await c.seller.createApiKey(SELLER_A, { name: "v", role: "viewer" })).key;
    const other = (await c.seller.createApiKey(SELLER_B, { name: "v", role: "viewer" })).key;
    const log = (k: string) =>
      c.app.inject({
        method: "GET",
        url: `/seller/invoices/${d.value.invoice.id}/emails`,
        headers: { "x-api-key": k },
      });
    const res = await log(key);
    expect(res.statusCode, res.body).toBe(200);
    const mine = res.json() as {
      items: { to: string[]; state: string; attempts: { smtpCode: number }[] }[];
    };
    expect(mine.items).toMatchObject([{ to: ["mua@example.vn"], state: "sent" }]);
    expect(mine.items[0]!.attempts.map((a) => a.smtpCode)).toEqual([250]);
    expect((await log(other)).json()).toEqual({ items: [] });
  }, 60_000);

  it("forwards a maintenance window of the authority to every customer once", async () => {
    const start = new Date(c.manual.now().getTime() + 3 * 86_400_000);
    const w = await c.authority.scheduleMaintenance(
      start,
      new Date(start.getTime() + 2 * 3_600_000),
      "nâng cấp",
    );
    if (!w.ok) throw new Error(JSON.stringify(w.problems));
    await c.drain();
    const notices = (await c.notifications.mail!.queue.list()).filter((e) => e.kind === "notice");
    // The contact address is preferred to the organisation's own; buyers are no customers.
    expect(notices.flatMap((e) => e.to).sort()).toEqual(["lienhe@hddt.example", "phuongnam@hddt.example"]);
    expect(notices.map((e) => e.state)).toEqual(["sent", "sent"]);
    const ids = new Set(notices.map((e) => e.messageId));
    const arrived = smtp.accepted.filter((m) => [...ids].some((id) => m.raw.toString("utf8").includes(id)));
    expect(arrived).toHaveLength(2);

    const before = smtp.accepted.length;
    await c.drain();
    expect(smtp.accepted.length).toBe(before);
  }, 60_000);
});
