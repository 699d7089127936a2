/**
 * The QR code printed on an invoice. Its content identifies the invoice with the fields the tax authority's
 * own QR template uses (QĐ 1271 Annex XIII, tag 99: seller tax code, template, series, number, date,
 * total; reference §4.3), plus the authority's code, joined by "|":
 *
 *     <seller MST>|<KHMSHDon>|<KHHDon>|<SHDon>|<NLap as YYYYMMDD>|<TgTTTBSo plain>|<MCCQT or empty>
 *     0100109106|1|C25TAA|123|20250715|1234567|00ABCDEF0123456789ABCDEF0123456789
 *
 * The first four fields are the keys of the authority's lookup (`nbmst`, `khmshdon`, `khhdon`, `shdon`),
 * so a reader can find the invoice at hoadondientu.gdt.gov.vn or at the seller's lookup page. Plain text,
 * not the EMVCo/VietQR payment structure: an invoice QR that a banking app took for a payment request would
 * mislead. No field can hold "|" (tax codes, symbols, numbers, dates, plain decimals, MCCQT).
 */
import type { Invoice } from "../domain/invoice.ts";

export interface InvoiceQrFields {
  readonly sellerTaxCode: string;
  readonly template: string;
  readonly series: string;
  readonly number: string;
  /** YYYY-MM-DD */
  readonly issueDate: string;
  /** Plain decimal ("1234567", "1234.5"). */
  readonly totalPayable: string;
  readonly authorityCode: string | undefined;
}

/** The QR content of an invoice (see the module comment). */
export function invoiceQrPayload(invoice: Invoice, authorityCode = invoice.authorityCode): string {
  return [
    invoice.seller.taxCode,
    invoice.header.template,
    invoice.header.series,
    invoice.header.number ?? "",
    invoice.header.issueDate.replaceAll("-", ""),
    invoice.totals.totalPayable.toPlain(),
    authorityCode ?? "",
  ].join("|");
}

/** Reads a payload back; undefined when it is not one. */
export function parseInvoiceQrPayload(payload: string): InvoiceQrFields | undefined {
  const parts = payload.split("|");
  if (parts.length !== 7) return undefined;
  const [sellerTaxCode, template, series, number, date, total, code] = parts as [
    string,
    string,
    string,
    string,
    string,
    string,
    string,
  ];
  if (!/^\d{8}$/.test(date) || !/^-?\d+(\.\d+)?$/.test(total)) return undefined;
  return {
    sellerTaxCode,
    template,
    series,
    number,
    issueDate: `${date.slice(0, 4)}-${date.slice(4, 6)}-${date.slice(6)}`,
    totalPayable: total,
    authorityCode: code === "" ? undefined : code,
  };
}
