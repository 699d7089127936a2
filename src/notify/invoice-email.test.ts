import { describe, expect, it } from "vitest";
import {
  checkInvoiceEmail,
  composeInvoiceEmail,
  composeNotice,
  type InvoiceEmailContent,
} from "./invoice-email.ts";

const content = (over: Partial<InvoiceEmailContent> = {}): InvoiceEmailContent => ({
  invoice: {
    sellerName: "Cong ty TNHH Ho\u0302\u0300ng Ha\u0300", // decomposed, as some keyboards type it
    sellerTaxCode: "0100109106",
    template: "1",
    series: "C26TAA",
    number: "42",
    issueDate: "2026-01-05",
    total: "10800000.5",
    currency: "VND",
  },
  xml: Buffer.from("<HDon/>"),
  lookupCode: "ABC123",
  lookupUrl: 'https://tracuu.test/?q=<x>&y="1"',
  ...over,
});

const codes = (ps: readonly { code: string }[]) => ps.map((p) => p.code);

describe("invoice e-mail", () => {
  it("writes Vietnamese by default, NFC, with the amount the Vietnamese way and the lookup code", () => {
    const m = composeInvoiceEmail(content());
    expect(m.subject).toBe(
      "Hóa đơn điện tử số 42, ký hiệu 1C26TAA của Cong ty TNHH Hồng Hà".normalize("NFC"),
    );
    expect(m.subject).toBe(m.subject.normalize("NFC"));
    expect(m.text).toContain("Kính gửi Quý khách,\r\n");
    expect(m.text).toContain("- Ngày lập: 05/01/2026");
    expect(m.text).toContain("- Tổng tiền thanh toán: 10.800.000,5 VND");
    expect(m.text).toContain("Mã tra cứu: ABC123");
    expect(m.text).toContain("Đính kèm thư: hóa đơn điện tử (tệp XML, có giá trị pháp lý).");
    expect(m.attachments.map((a) => a.filename)).toEqual(["1C26TAA_42.xml"]);
  });

  it("escapes the link and names in the HTML part", () => {
    const m = composeInvoiceEmail(content());
    expect(m.html).toContain('href="https://tracuu.test/?q=&#60;x&#62;&#38;y=&#34;1&#34;"');
    expect(m.html).not.toContain("<x>");
  });

  it("writes English on request with the amount the English way and the PDF named after the invoice", () => {
    const m = composeInvoiceEmail(content({ language: "en", pdf: Buffer.from("%PDF") }));
    expect(m.subject).toMatch(/^E-invoice no\. 42, series 1C26TAA from /);
    expect(m.text).toContain("- Total payable: 10,800,000.5 VND");
    expect(m.attachments.map((a) => [a.filename, a.contentType])).toEqual([
      ["1C26TAA_42.xml", "application/xml"],
      ["1C26TAA_42.pdf", "application/pdf"],
    ]);
  });

  it("finds a bad link, a total that is not a plain number and empty fields", () => {
    expect(checkInvoiceEmail(content())).toEqual([]);
    const bad = content({ lookupUrl: "tracuu.test", lookupCode: " ", xml: Buffer.alloc(0) });
    expect(codes(checkInvoiceEmail({ ...bad, invoice: { ...bad.invoice, total: "10.800.000" } }))).toEqual([
      "EMAIL_BAD_LINK",
      "EMAIL_BAD_AMOUNT",
      "EMAIL_EMPTY",
      "EMAIL_EMPTY",
    ]);
  });

  it("forwards a notice as text with CRLF line ends and an escaped HTML copy", () => {
    const m = composeNotice("Thông báo", "Dòng 1\nDòng <2>");
    expect(m.text).toBe("Dòng 1\r\nDòng <2>");
    expect(m.html).toContain("Dòng &#60;2&#62;");
  });
});
