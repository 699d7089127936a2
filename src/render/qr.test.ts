import { describe, expect, it } from "vitest";
import { sampleInvoice } from "../../test/support/invoices.ts";
import { invoiceQrPayload, parseInvoiceQrPayload } from "./qr.ts";

describe("invoice QR payload", () => {
  it("joins seller tax code, template, series, number, date, total and MCCQT with |", () => {
    const invoice = {
      ...sampleInvoice(1, { series: "C25TAA", number: "0000123" }),
      authorityCode: `00${"A".repeat(32)}`,
    };
    expect(invoiceQrPayload(invoice)).toBe(
      `0100109106|1|C25TAA|0000123|20250715|${invoice.totals.totalPayable.toPlain()}|00${"A".repeat(32)}`,
    );
  });

  it("leaves the code empty for an invoice without one, and reads it back as absent", () => {
    const payload = invoiceQrPayload(sampleInvoice(1));
    expect(payload.endsWith("|")).toBe(true);
    expect(parseInvoiceQrPayload(payload)?.authorityCode).toBeUndefined();
    expect(parseInvoiceQrPayload(payload)?.issueDate).toBe("2025-07-15");
  });

  it("refuses what is not a payload", () => {
    expect(parseInvoiceQrPayload("https://example.com")).toBeUndefined();
    expect(parseInvoiceQrPayload("a|b|c|d|2025-07-15|1|")).toBeUndefined();
    expect(parseInvoiceQrPayload("a|b|c|d|20250715|1,5|")).toBeUndefined();
  });
});
