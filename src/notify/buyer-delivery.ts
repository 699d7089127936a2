/**
 * Delivery of an invoice to its buyer by e-mail, shaped as the seller's `BuyerDelivery` port
 * (src/seller/ports.ts: `deliver(request) → { channel, address? }`) without importing the seller: it
 * queues the e-mail (idempotent per invoice, so a repeated `deliver` never mails twice) and the queue's
 * workers send it. The subject and body are taken from the invoice XML itself.
 *
 * Channels answered: `email` (queued, or queued before), `none` (no buyer address: the buyer looks the
 * invoice up with its code), `email-refused` (the address or the content was refused; see `problems`).
 */

import type { Problem } from "../domain/problem.ts";
import { readInvoice } from "../format/invoice.ts";
import type { EmailQueue } from "./email-queue.ts";
import type { EmailLanguage, InvoiceSummary } from "./invoice-email.ts";

export interface BuyerDeliveryRequest {
  readonly taxCode: string;
  readonly invoiceId: string;
  readonly buyerEmail?: string;
  readonly buyerName?: string;
  /** The invoice as delivered (coded or signed XML). */
  readonly xml: string;
  readonly lookupCode: string;
}

export interface BuyerDeliveryReceipt {
  readonly channel: "email" | "none" | "email-refused";
  readonly address?: string;
  /** The queued e-mail. */
  readonly emailId?: string;
  readonly problems?: readonly Problem[];
}

export interface EmailBuyerDeliveryOptions {
  /** The public lookup page of an invoice. */
  readonly lookupUrl: (lookupCode: string, taxCode: string) => string;
  /** Default `vi`. */
  readonly language?: EmailLanguage;
  /** The PDF to attach (e.g. the PDF renderer); none attaches the XML only. */
  readonly renderPdf?: (xml: string) => Promise<Buffer | undefined>;
}

export class EmailBuyerDelivery {
  readonly #queue: EmailQueue;
  readonly #o: EmailBuyerDeliveryOptions;

  constructor(queue: EmailQueue, options: EmailBuyerDeliveryOptions) {
    this.#queue = queue;
    this.#o = options;
  }

  async deliver(request: BuyerDeliveryRequest): Promise<BuyerDeliveryReceipt> {
    const address = request.buyerEmail?.trim();
    if (!address) return { channel: "none" };
    const read = readInvoice(request.xml);
    const inv = read.invoice;
    const summary: InvoiceSummary = {
      sellerName: inv?.seller.name ?? request.taxCode,
      sellerTaxCode: inv?.seller.taxCode ?? request.taxCode,
      ...((inv?.buyer.name ?? request.buyerName)
        ? { buyerName: (inv?.buyer.name ?? request.buyerName)! }
        : {}),
      template: inv?.header.template ?? "",
      series: inv?.header.series ?? "",
      number: inv?.header.number ?? "",
      issueDate: inv?.header.issueDate ?? "",
      total: inv?.totals.totalPayable?.toPlain() ?? "0",
      currency: inv?.header.currency ?? "VND",
    };
    const pdf = this.#o.renderPdf ? await this.#o.renderPdf(request.xml) : undefined;
    const r = await this.#queue.deliverInvoiceEmail({
      key: `invoice:${request.taxCode}:${request.invoiceId}:buyer`,
      to: address,
      invoice: summary,
      xml: Buffer.from(request.xml, "utf8"),
      ...(pdf ? { pdf } : {}),
      lookupCode: request.lookupCode,
      lookupUrl: this.#o.lookupUrl(request.lookupCode, request.taxCode),
      language: this.#o.language ?? "vi",
      taxCode: request.taxCode,
      ref: request.invoiceId,
    });
    if (!r.ok) return { channel: "email-refused", address, problems: r.problems };
    return { channel: "email", address, emailId: r.value.id };
  }
}
