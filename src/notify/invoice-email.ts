/**
 * The texts of the e-mails hddt sends: an invoice to its buyer (Vietnamese by default, English on request)
 * with the XML and the PDF attached and the lookup code and link in the body, and a notice forwarded to
 * customers. Pure: no I/O, so the queue stores exactly what this returns.
 *
 * The XML is the invoice itself (the legal document); the PDF is only its human-readable form. Both bodies
 * say so. Text is NFC-normalised (Vietnamese typed on some systems arrives decomposed).
 */
import { Dec } from "../domain/decimal.ts";
import { formatNumber } from "../domain/numfmt.ts";
import { makeProblem, type Problem } from "../domain/problem.ts";
import { notifyCodes } from "./codes.ts";
import type { EmailAttachment } from "./email.ts";
import { isHttpUrl } from "./email.ts";

export type EmailLanguage = "vi" | "en";

/** What the e-mail says about the invoice. */
export interface InvoiceSummary {
  readonly sellerName: string;
  readonly sellerTaxCode: string;
  readonly buyerName?: string;
  /** Template number (KHMSHDon), e.g. "1". */
  readonly template: string;
  /** Series (KHHDon), e.g. "C26TAA". */
  readonly series: string;
  readonly number: string;
  /** YYYY-MM-DD. */
  readonly issueDate: string;
  /** Total payable as a plain decimal ("1234567", "99.5"). */
  readonly total: string;
  /** ISO 4217, e.g. "VND". */
  readonly currency: string;
}

export interface InvoiceEmailContent {
  readonly invoice: InvoiceSummary;
  readonly xml: Buffer;
  readonly pdf?: Buffer;
  readonly lookupCode: string;
  readonly lookupUrl: string;
  readonly language?: EmailLanguage;
}

export interface ComposedEmail {
  readonly subject: string;
  readonly text: string;
  readonly html: string;
  readonly attachments: readonly EmailAttachment[];
}

const nfc = (s: string) => s.normalize("NFC");

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** dd/mm/yyyy, as Vietnamese invoices write dates. */
function displayDate(iso: string): string {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(iso);
  return m ? `${m[3]}/${m[2]}/${m[1]}` : iso;
}

/** A file name of letters, digits, - and _ only, so every mail client shows it the same. */
function safeName(s: string): string {
  return s.replace(/[^A-Za-z0-9_-]+/g, "_");
}

/** Problems of the content (bad lookup link, total not a number, empty fields). */
export function checkInvoiceEmail(content: InvoiceEmailContent): Problem[] {
  const problems: Problem[] = [];
  const inv = content.invoice;
  if (!isHttpUrl(content.lookupUrl))
    problems.push(makeProblem(notifyCodes, "EMAIL_BAD_LINK", "/lookupUrl", { url: content.lookupUrl }));
  if (Dec.tryParse(inv.total) === undefined)
    problems.push(makeProblem(notifyCodes, "EMAIL_BAD_AMOUNT", "/invoice/total", { value: inv.total }));
  const required: [string, string][] = [
    ["lookupCode", content.lookupCode],
    ["invoice.sellerName", inv.sellerName],
    ["invoice.number", inv.number],
    ["invoice.series", inv.series],
  ];
  for (const [field, value] of required)
    if (value.trim() === "")
      problems.push(makeProblem(notifyCodes, "EMAIL_EMPTY", `/${field.replace(".", "/")}`, { field }));
  if (content.xml.length === 0)
    problems.push(makeProblem(notifyCodes, "EMAIL_EMPTY", "/xml", { field: "xml" }));
  return problems;
}

/** Builds the invoice e-mail. Call `checkInvoiceEmail` first: this assumes a valid total. */
export function composeInvoiceEmail(content: InvoiceEmailContent): ComposedEmail {
  const lang = content.language ?? "vi";
  const inv = content.invoice;
  const symbol = `${inv.template}${inv.series}`;
  const total = `${formatNumber(Dec.parse(inv.total), { style: lang })} ${inv.currency}`;
  const date = displayDate(inv.issueDate);
  const seller = nfc(inv.sellerName);
  const buyer = inv.buyerName ? nfc(inv.buyerName) : undefined;
  const code = nfc(content.lookupCode);
  const url = content.lookupUrl;

  const t =
    lang === "vi"
      ? {
          subject: `Hóa đơn điện tử số ${inv.number}, ký hiệu ${symbol} của ${seller}`,
          greeting: buyer ? `Kính gửi Quý khách ${buyer},` : "Kính gửi Quý khách,",
          intro: `${seller} (MST ${inv.sellerTaxCode}) gửi Quý khách hóa đơn điện tử:`,
          rows: [
            ["Ký hiệu mẫu số và ký hiệu hóa đơn", symbol],
            ["Số hóa đơn", inv.number],
            ["Ngày lập", date],
            ["Tổng tiền thanh toán", total],
          ],
          code: "Mã tra cứu",
          link: "Tra cứu hóa đơn tại",
          files: content.pdf
            ? "Đính kèm thư: hóa đơn điện tử (tệp XML, có giá trị pháp lý) và bản thể hiện của hóa đơn (tệp PDF)."
            : "Đính kèm thư: hóa đơn điện tử (tệp XML, có giá trị pháp lý).",
          closing: "Trân trọng.",
          auto: "Thư này được gửi tự động, xin vui lòng không trả lời.",
        }
      : {
          subject: `E-invoice no. ${inv.number}, series ${symbol} from ${seller}`,
          greeting: buyer ? `Dear ${buyer},` : "Dear customer,",
          intro: `${seller} (tax code ${inv.sellerTaxCode}) sends you an e-invoice:`,
          rows: [
            ["Template and series", symbol],
            ["Invoice number", inv.number],
            ["Date of issue", date],
            ["Total payable", total],
          ],
          code: "Lookup code",
          link: "Look the invoice up at",
          files: content.pdf
            ? "Attached: the e-invoice (XML file, the legal document) and its printable form (PDF file)."
            : "Attached: the e-invoice (XML file, the legal document).",
          closing: "Kind regards.",
          auto: "This message was sent automatically; please do not reply.",
        };

  const text = nfc(
    [
      t.greeting,
      "",
      t.intro,
      ...t.rows.map(([k, v]) => `- ${k}: ${v}`),
      "",
      `${t.code}: ${code}`,
      `${t.link}: ${url}`,
      "",
      t.files,
      "",
      t.closing,
      seller,
      "",
      `-- ${t.auto}`,
      "",
    ].join("\r\n"),
  );
  const h = (s: string) => escapeHtml(nfc(s));
  const html = [
    '<!doctype html><html><head><meta charset="utf-8"></head><body>',
    `<p>${h(t.greeting)}</p>`,
    `<p>${h(t.intro)}</p>`,
    `<table>${t.rows.map(([k, v]) => `<tr><td>${h(k!)}</td><td><b>${h(v!)}</b></td></tr>`).join("")}</table>`,
    `<p>${h(t.code)}: <b>${h(code)}</b><br>${h(t.link)}: <a href="${h(url)}">${h(url)}</a></p>`,
    `<p>${h(t.files)}</p>`,
    `<p>${h(t.closing)}<br>${h(seller)}</p>`,
    `<p><small>${h(t.auto)}</small></p>`,
    "</body></html>",
  ].join("\n");

  const base = `${safeName(symbol)}_${safeName(inv.number)}`;
  const attachments: EmailAttachment[] = [
    { filename: `${base}.xml`, contentType: "application/xml", content: content.xml },
  ];
  if (content.pdf)
    attachments.push({ filename: `${base}.pdf`, contentType: "application/pdf", content: content.pdf });
  return { subject: nfc(t.subject), text, html, attachments };
}

/** A notice forwarded as is (plain text), e.g. the authority's maintenance announcement. */
export function composeNotice(subject: string, body: string): ComposedEmail {
  const text = nfc(body).replace(/\r?\n/g, "\r\n");
  const html = `<!doctype html><html><head><meta charset="utf-8"></head><body><pre style="font-family:inherit;white-space:pre-wrap">${escapeHtml(nfc(body))}</pre></body></html>`;
  return { subject: nfc(subject), text, html, attachments: [] };
}
