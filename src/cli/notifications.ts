/**
 * E-mail in the composed system: invoices go to their buyers through the durable e-mail queue (the
 * seller's `BuyerDelivery` port), and every maintenance window the authority announces to the T-VAN is
 * forwarded to each customer of the provider (seed `000`: providers tell their customers). One
 * `NotifyWorker` sends what is queued. Without a sender, `hddt start` keeps the in-memory delivery.
 */

import type { Clock } from "../domain/clock.ts";
import { readInvoice } from "../format/invoice.ts";
import { EmailBuyerDelivery } from "../notify/buyer-delivery.ts";
import { type EmailSender, isEmailAddress } from "../notify/email.ts";
import { EmailQueue } from "../notify/email-queue.ts";
import type { EmailLanguage } from "../notify/invoice-email.ts";
import type { SmtpConfig } from "../notify/smtp.ts";
import { NotifyWorker } from "../notify/worker.ts";
import { renderInvoicePdf } from "../render/index.ts";
import type { SellerService } from "../seller/service.ts";
import type { Database } from "../store/database.ts";
import type { TvanService } from "../transmission/tvan.ts";

export interface MailOptions {
  readonly sender: EmailSender;
  /** Base address of hddt's public pages, for the lookup links in e-mails (no trailing slash). */
  readonly publicUrl: string | (() => string);
  /** Default `vi`. */
  readonly language?: EmailLanguage;
  /** Real-time wait of the worker when idle. */
  readonly idleMs?: number;
}

export interface Mail {
  readonly queue: EmailQueue;
  readonly delivery: EmailBuyerDelivery;
  readonly worker: NotifyWorker;
  /** Queues the notice of every maintenance window not forwarded yet; returns the e-mails queued now. */
  forwardMaintenance(parts: MailParts): Promise<number>;
}

/** The buyer's page of an invoice: the portal's lookup by secret code. */
export function lookupPageUrl(publicUrl: string, lookupCode: string): string {
  return `${publicUrl}/portal/lookup?code=${encodeURIComponent(lookupCode)}`;
}

const DATE_TIME = new Intl.DateTimeFormat("vi-VN", {
  timeZone: "Asia/Ho_Chi_Minh",
  dateStyle: "short",
  timeStyle: "short",
});

/** Who knows the windows (the T-VAN) and who the customers are (the seller's organisations). */
export interface MailParts {
  readonly seller: SellerService;
  readonly tvan: TvanService;
}

export function composeMail(db: Database, clock: Clock, options: MailOptions): Mail {
  const queue = new EmailQueue(db, { clock });
  const language = options.language ?? "vi";
  const delivery = new EmailBuyerDelivery(queue, {
    language,
    lookupUrl: (code) =>
      lookupPageUrl(typeof options.publicUrl === "string" ? options.publicUrl : options.publicUrl(), code),
    renderPdf: async (xml) => {
      const invoice = readInvoice(xml).invoice;
      return invoice ? renderInvoicePdf(invoice, { signedXml: xml }) : undefined;
    },
  });
  const worker = new NotifyWorker({
    email: { queue, sender: options.sender },
    workerId: "mail",
    ...(options.idleMs !== undefined ? { idleMs: options.idleMs } : {}),
  });
  // The T-VAN's events are read from the start after a restart: the broadcast key per window makes a
  // repeat queue nothing.
  let cursor: string | undefined;

  return {
    queue,
    delivery,
    worker,
    async forwardMaintenance(parts) {
      let queued = 0;
      for (;;) {
        const events = await parts.tvan.events(cursor, undefined, 200);
        if (events.length === 0) return queued;
        for (const e of events) {
          cursor = e.cursor;
          // One record per window is the T-VAN's own (party null); the others copy it per connection.
          if (e.kind !== "maintenance_announced" || e.party !== null || !e.startsAt || !e.endsAt) continue;
          const recipients = await customerAddresses(parts.seller);
          if (recipients.length === 0) continue;
          const from = DATE_TIME.format(e.startsAt);
          const to = DATE_TIME.format(e.endsAt);
          const r = await queue.broadcastNotice({
            key: `maintenance:${e.startsAt.toISOString()}:${e.endsAt.toISOString()}`,
            recipients,
            language,
            subject:
              language === "vi"
                ? `Thông báo tạm ngừng hệ thống hóa đơn điện tử của cơ quan thuế từ ${from} đến ${to}`
                : `The tax authority's e-invoice system stops for maintenance from ${from} to ${to}`,
            body:
              language === "vi"
                ? `Cơ quan thuế thông báo hệ thống hóa đơn điện tử tạm ngừng từ ${from} đến ${to} (giờ Việt Nam).\n` +
                  "Trong thời gian này hddt vẫn nhận và lưu hóa đơn của quý khách; hóa đơn được gửi cơ quan thuế và cấp mã ngay khi hệ thống hoạt động trở lại."
                : `The tax authority announced that its e-invoice system stops from ${from} to ${to} (Vietnam time).\n` +
                  "hddt keeps accepting and storing your invoices meanwhile; they are sent for their codes as soon as the system is back.",
          });
          if (r.ok) queued += r.value.queued.length;
        }
      }
    },
  };
}

/** Where each customer of the provider takes notices: the contact address, else the organisation's. */
async function customerAddresses(seller: SellerService): Promise<string[]> {
  const out = new Set<string>();
  for (const org of await seller.listOrganisations()) {
    const address = (org.profile.contactEmail ?? org.profile.email)?.trim().toLowerCase();
    // An address the queue would refuse must not hold back everyone else's notice.
    if (address && isEmailAddress(address) && org.stoppedAt === null) out.add(address);
  }
  return [...out];
}

const TLS_MODES = ["starttls", "opportunistic", "none"] as const;

/**
 * The SMTP server of `--smtp` / `HDDT_SMTP_URL`: `smtp://[user:pass@]host[:port]?from=…[&tls=starttls|
 * opportunistic|none]` (port 25 or 587, default 587) or `smtps://…` (TLS from the first byte, default
 * port 465). `from` is required: mail without a sender address is refused by most servers.
 */
export function parseSmtpUrl(text: string): SmtpConfig {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new Error(`not a URL: '${text}'`);
  }
  const implicit = url.protocol === "smtps:";
  if (!implicit && url.protocol !== "smtp:")
    throw new Error(`the SMTP URL must start with smtp:// or smtps://`);
  if (url.hostname === "") throw new Error("the SMTP URL names no host");
  const from = url.searchParams.get("from");
  if (!from) throw new Error("the SMTP URL needs ?from=<the sender's address>");
  const tls = url.searchParams.get("tls");
  if (tls !== null && !(TLS_MODES as readonly string[]).includes(tls)) {
    throw new Error(`tls must be one of ${TLS_MODES.join(", ")}, not '${tls}'`);
  }
  if (implicit && tls !== null) throw new Error("smtps:// is TLS from the first byte: drop tls=");
  const port = url.port === "" ? (implicit ? 465 : 587) : Number(url.port);
  const user = decodeURIComponent(url.username);
  return {
    host: url.hostname.replace(/^\[(.*)\]$/, "$1"),
    port,
    from,
    tls: implicit ? "implicit" : ((tls as (typeof TLS_MODES)[number] | null) ?? "opportunistic"),
    ...(user !== "" ? { auth: { user, pass: decodeURIComponent(url.password) } } : {}),
  };
}
