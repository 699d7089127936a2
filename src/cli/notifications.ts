/**
 * Notifications in the composed system.
 *
 * - E-mail (with `mail`): invoices go to their buyers through the durable e-mail queue (the seller's
 *   `BuyerDelivery` port), and every maintenance window the authority announces to the T-VAN is mailed to
 *   each customer of the provider (seed `000`: providers tell their customers).
 * - Webhooks (always): the seller's changes caught by the triggers of migration seller/040 (invoice coded,
 *   refused, delivered; notices received) are relayed to the subscriptions, and each maintenance window
 *   becomes a `maintenance.announced` event of every organisation that subscribes to it.
 * One `NotifyWorker` sends both. Maintenance windows are read from the T-VAN's events from the start after a
 * restart: the fixed key per window (e-mail) and event id (webhooks) make a repeat add nothing.
 */

import type { Clock } from "../domain/clock.ts";
import { readInvoice } from "../format/invoice.ts";
import { messageTypeInfo } from "../format/messages.ts";
import { EmailBuyerDelivery } from "../notify/buyer-delivery.ts";
import { type EmailSender, isEmailAddress } from "../notify/email.ts";
import { EmailQueue } from "../notify/email-queue.ts";
import type { EmailLanguage } from "../notify/invoice-email.ts";
import { type PendingEvent, WebhookRelay } from "../notify/relay.ts";
import type { SmtpConfig } from "../notify/smtp.ts";
import { Webhooks } from "../notify/webhooks.ts";
import { NotifyWorker } from "../notify/worker.ts";
import { renderInvoicePdf } from "../render/index.ts";
import type { Organisation, SellerService } from "../seller/service.ts";
import type { Database } from "../store/database.ts";
import type { SecretSealer } from "../store/secret-box.ts";
import { inTransaction } from "../store/transaction.ts";
import type { TvanService } from "../transmission/tvan.ts";

export interface MailOptions {
  readonly sender: EmailSender;
  /** Base address of hddt's public pages, for the lookup links in e-mails (no trailing slash). */
  readonly publicUrl: string | (() => string);
  /** Default `vi`. */
  readonly language?: EmailLanguage;
}

export interface Mail {
  readonly queue: EmailQueue;
  readonly delivery: EmailBuyerDelivery;
}

export interface Notifications {
  readonly mail?: Mail;
  readonly webhooks: Webhooks;
  readonly worker: NotifyWorker;
  /**
   * One pass of everything but sending: relays the pending webhook events and announces new maintenance
   * windows. Returns how many events, e-mails and deliveries it wrote.
   */
  relay(parts: NotifyParts): Promise<number>;
}

/** Who knows the windows (the T-VAN) and who the customers are (the seller's organisations). */
export interface NotifyParts {
  readonly seller: SellerService;
  readonly tvan: TvanService;
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

export function composeNotifications(
  db: Database,
  clock: Clock,
  options: {
    readonly mail?: MailOptions;
    readonly idleMs?: number;
    readonly seller: () => SellerService;
    /** Seals webhook secrets in the database. */
    readonly secrets?: SecretSealer;
  },
): Notifications {
  const mail = options.mail ? composeMail(db, clock, options.mail) : undefined;
  const webhooks = new Webhooks(db, { clock, ...(options.secrets ? { secrets: options.secrets } : {}) });
  const relay = new WebhookRelay(db, webhooks, { describe: (e) => describe(options.seller(), e) });
  const worker = new NotifyWorker({
    ...(mail && options.mail ? { email: { queue: mail.queue, sender: options.mail.sender } } : {}),
    webhooks,
    workerId: `notify-${process.pid}`,
    ...(options.idleMs !== undefined ? { idleMs: options.idleMs } : {}),
  });
  let cursor: string | undefined;

  return {
    ...(mail ? { mail } : {}),
    webhooks,
    worker,
    async relay(parts) {
      let written = await relay.round();
      for (;;) {
        const events = await parts.tvan.events(cursor, undefined, 200);
        if (events.length === 0) return written;
        for (const e of events) {
          cursor = e.cursor;
          // One record per window is the T-VAN's own (party null); the others copy it per connection.
          if (e.kind !== "maintenance_announced" || e.party !== null || !e.startsAt || !e.endsAt) continue;
          written += await announce(parts.seller, e.startsAt, e.endsAt);
        }
      }
    },
  };

  async function announce(seller: SellerService, startsAt: Date, endsAt: Date): Promise<number> {
    const key = `maintenance:${startsAt.toISOString()}:${endsAt.toISOString()}`;
    const orgs = (await seller.listOrganisations()).filter((o) => o.stoppedAt === null);
    let written = 0;
    await inTransaction(db.kysely("seller"), async (trx) => {
      for (const org of orgs) {
        const r = await webhooks.emit(trx, {
          eventId: key,
          taxCode: org.taxCode,
          event: "maintenance.announced",
          payload: { startsAt: startsAt.toISOString(), endsAt: endsAt.toISOString() },
        });
        written += r.deliveries;
      }
    });
    if (mail) {
      const recipients = customerAddresses(orgs);
      if (recipients.length > 0) {
        const r = await mail.queue.broadcastNotice(
          maintenanceNotice(key, recipients, startsAt, endsAt, options.mail?.language ?? "vi"),
        );
        if (r.ok) written += r.value.queued.length;
      }
    }
    return written;
  }
}

function composeMail(db: Database, clock: Clock, options: MailOptions): Mail {
  const queue = new EmailQueue(db, { clock });
  const delivery = new EmailBuyerDelivery(queue, {
    language: options.language ?? "vi",
    lookupUrl: (code) =>
      lookupPageUrl(typeof options.publicUrl === "string" ? options.publicUrl : options.publicUrl(), code),
    renderPdf: async (xml) => {
      const invoice = readInvoice(xml).invoice;
      return invoice ? renderInvoicePdf(invoice, { signedXml: xml }) : undefined;
    },
  });
  return { queue, delivery };
}

function maintenanceNotice(
  key: string,
  recipients: string[],
  startsAt: Date,
  endsAt: Date,
  language: EmailLanguage,
) {
  const from = DATE_TIME.format(startsAt);
  const to = DATE_TIME.format(endsAt);
  return {
    key,
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
  };
}

/** What a webhook says of a seller's change: the invoice's identity and code, or the notice's type. */
async function describe(seller: SellerService, e: PendingEvent): Promise<Record<string, unknown>> {
  if (e.event === "notice.received") {
    const type = Number(e.detail.type);
    const spec = messageTypeInfo(type);
    return {
      messageId: e.ref,
      type,
      ...(spec ? { title: { vi: spec.vi, en: spec.en } } : {}),
      ...(e.detail.replyTo ? { replyTo: e.detail.replyTo } : {}),
    };
  }
  const got = await seller.get(e.taxCode, e.ref);
  const base = { invoiceId: e.ref, state: e.detail.to, at: e.at.toISOString() };
  if (!got.ok) return base;
  const v = got.value;
  return {
    ...base,
    template: v.template,
    series: v.series,
    number: v.number,
    issueDate: v.issueDate,
    ...(v.authorityCode ? { authorityCode: v.authorityCode } : {}),
    ...(e.event === "invoice.refused" && e.detail.detail ? { reasons: e.detail.detail } : {}),
  };
}

/** Where each customer of the provider takes notices: the contact address, else the organisation's. */
function customerAddresses(orgs: readonly Organisation[]): string[] {
  const out = new Set<string>();
  for (const org of orgs) {
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
