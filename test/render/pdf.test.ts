/**
 * The invoice PDF read back with independent tools: the text pdftotext extracts carries the invoice's key
 * values exactly (Vietnamese letters included), the QR code decoded from the rendered page carries the
 * documented payload, the signed XML is attached byte-exact as the PDF/A-3 source, and the paper conversion
 * carries its mark and refuses a second proof-of-origin copy.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { Dec } from "../../src/domain/decimal.ts";
import type { Invoice } from "../../src/domain/invoice.ts";
import { formatNumber } from "../../src/domain/numfmt.ts";
import { readInvoice, writeInvoice } from "../../src/format/invoice.ts";
import {
  invoiceQrPayload,
  parseInvoiceQrPayload,
  type RenderExtras,
  renderConversion,
  renderInvoicePdf,
  summariseSignatures,
} from "../../src/render/index.ts";
import { TITLED_KINDS } from "../../src/render/labels.ts";
import { signAs } from "../../src/signing/profiles.ts";
import { verifyDocument } from "../../src/signing/verify.ts";
import { testPki } from "../signing/support.ts";
import { sampleInvoice, withTotals } from "../support/invoices.ts";
import {
  attachment,
  attachmentNames,
  decodeQr,
  flatText,
  pageCount,
  pdfText,
  qdf,
  qpdfCheck,
} from "./support.ts";

const MCCQT = "00ABCDEF0123456789ABCDEF0123456789";
const PRODUCED = new Date("2025-07-15T04:00:00Z");

const coded = (lines = 10): Invoice => ({
  ...sampleInvoice(lines, { series: "C25TAA", number: "123" }),
  authorityCode: MCCQT,
});

const baseExtras: RenderExtras = {
  lookupCode: "7KQ2M9XA",
  lookupUrl: "https://hddt.example/tra-cuu",
  producedAt: PRODUCED,
  signatures: [
    {
      role: "seller",
      signer: "Công ty TNHH Phần mềm Hóa Đơn Mở",
      signingTime: "2025-07-15T03:04:05Z",
      valid: true,
      test: false,
    },
  ],
};

describe("the invoice PDF read back with pdftotext", () => {
  const invoice = coded();
  let text: string;
  beforeAll(async () => {
    text = flatText(await renderInvoicePdf(invoice, baseExtras));
  });

  it("shows the title, symbols, number and the date in words of the day", () => {
    expect(text).toContain("HÓA ĐƠN GIÁ TRỊ GIA TĂNG");
    expect(text).toContain("Mẫu số: 1");
    expect(text).toContain("Ký hiệu: C25TAA");
    expect(text).toContain("Số: 123");
    expect(text).toContain("Ngày 15 tháng 07 năm 2025");
  });

  it("shows the tax authority's code", () => {
    expect(text).toContain(`Mã của cơ quan thuế: ${MCCQT}`);
  });

  it("shows seller and buyer with names, tax codes and addresses exactly", () => {
    expect(text).toContain("Công ty TNHH Phần mềm Hóa Đơn Mở");
    expect(text).toContain("Mã số thuế: 0100109106");
    expect(text).toContain("Số 1 Tràng Tiền, Phường Tràng Tiền, Quận Hoàn Kiếm, Hà Nội");
    expect(text).toContain("Công ty Cổ phần Người Mua");
    expect(text).toContain("Mã số thuế: 0309478306");
    expect(text).toContain("Nguyễn Văn An");
  });

  it("lists every line with its name, price and amount in Vietnamese number format", () => {
    for (const line of invoice.lines) {
      expect(text).toContain(line.itemName);
      expect(text).toContain(formatNumber(line.amount!, { style: "vi" }));
    }
    expect(text).toContain("125.000,5"); // unit price of line 1: dot for thousands, comma for decimals
  });

  it("shows the totals per VAT rate, the total payable and the amount in words", () => {
    const t = invoice.totals;
    for (const r of t.byRate) {
      expect(text).toContain(formatNumber(r.amount, { style: "vi" }));
      expect(text).toContain(formatNumber(r.vatAmount!, { style: "vi" }));
    }
    expect(text).toContain(`Tổng tiền thanh toán: ${formatNumber(t.totalPayable, { style: "vi" })}`);
    expect(text).toContain(`Số tiền viết bằng chữ: ${t.totalPayableInWords}`);
  });

  it("shows the seller's signature box with signer, local signing time and validity", () => {
    expect(text).toContain("Chữ ký hợp lệ");
    expect(text).toContain("Ký bởi: Công ty TNHH Phần mềm Hóa Đơn Mở");
    expect(text).toContain("Ký ngày: 10:04:05 15/07/2025");
    expect(text).not.toContain("TEST");
  });

  it("shows the lookup address and code, and the page number", () => {
    expect(text).toContain("Tra cứu hóa đơn tại: https://hddt.example/tra-cuu");
    expect(text).toContain("Mã tra cứu: 7KQ2M9XA");
    expect(text).toContain("Trang 1/1");
  });
});

describe("layout across pages", () => {
  it("repeats the table header on every page and numbers pages Trang x/y", async () => {
    const pdf = await renderInvoicePdf(coded(80), baseExtras);
    const pages = pageCount(pdf);
    expect(pages).toBeGreaterThanOrEqual(2);
    const byPage = pdfText(pdf).split("\f").slice(0, pages);
    byPage.forEach((page, i) => {
      expect(page.replace(/\s+/g, " ")).toContain(`Trang ${i + 1}/${pages}`);
      // Pages holding lines start their table with the header.
      if (/Hàng hóa số \d+/.test(page)) expect(page).toContain("Tên hàng hóa, dịch vụ");
    });
    expect(flatText(pdf)).toContain("Hàng hóa số 80 — bút bi Thiên Long");
  });
});

describe("numbers, language and text", () => {
  it("writes numbers the alternative way when the invoice declares it", async () => {
    const invoice = coded();
    const text = flatText(await renderInvoicePdf(invoice, { ...baseExtras, numberStyle: "en" }));
    expect(text).toContain(formatNumber(invoice.totals.totalPayable, { style: "en" }));
    expect(text).toContain("125,000.5");
    expect(text).not.toContain(formatNumber(invoice.totals.totalPayable, { style: "vi" }));
  });

  it("adds English in brackets to the labels with the English switch", async () => {
    const text = flatText(await renderInvoicePdf(coded(), { ...baseExtras, language: "en" }));
    expect(text).toContain("HÓA ĐƠN GIÁ TRỊ GIA TĂNG (VAT INVOICE)");
    expect(text).toContain("Tổng tiền thanh toán (Total payable):");
    expect(text).toContain("Trang (Page) 1/1");
  });

  it("prints decomposed (NFD) input as composed text", async () => {
    const invoice = coded();
    const nfd = {
      ...invoice,
      buyer: { ...invoice.buyer, name: "Công ty Cổ phần Đường Sông Hậu".normalize("NFD") },
    };
    const text = flatText(await renderInvoicePdf(nfd, baseExtras));
    expect(text).toContain("Công ty Cổ phần Đường Sông Hậu".normalize("NFC"));
  });

  it("keeps every Vietnamese letter extractable when documents share the parsed fonts", async () => {
    // Composite glyphs (Ê = E + ̂) put their parts into a document's font subset; a later document must still
    // map those parts back to their letters.
    const letters =
      "aàảãáạăằẳẵắặâầẩẫấậbcdđeèẻẽéẹêềểễếệghiìỉĩíịklmnoòỏõóọôồổỗốộơờởỡớợpqrstuùủũúụưừửữứựvxyỳỷỹýỵ";
    // In words of six letters, so that line breaks fall between them.
    const alphabet = `${letters}${letters.toLocaleUpperCase("vi")}`.match(/.{1,6}/gu)!.join(" ");
    await renderInvoicePdf(sampleInvoice(3, { series: "K25FAA" }), baseExtras);
    for (const bold of [false, true]) {
      const invoice = coded(1);
      const named = bold
        ? { ...invoice, buyer: { ...invoice.buyer, name: alphabet } } // printed bold
        : { ...invoice, buyer: { ...invoice.buyer, address: alphabet } };
      expect(flatText(await renderInvoicePdf(named, baseExtras))).toContain(alphabet);
    }
  });

  it("prints promotion, discount and note lines, line discounts and the related invoice", async () => {
    const base = sampleInvoice(2);
    const invoice = withTotals({
      ...base,
      header: {
        ...base.header,
        related: {
          nature: 1,
          relatedKind: 1,
          template: "1",
          series: "K25TAA",
          number: "7",
          date: "2025-07-01",
        },
      },
      lines: [
        { ...base.lines[0]!, discountRate: Dec.parse("5"), discountAmount: Dec.parse("6250") },
        { nature: 2, lineNo: 2, itemName: "Bút tặng kèm", unit: "Cái", quantity: Dec.parse("1") },
        { nature: 3, lineNo: 3, itemName: "Chiết khấu đơn hàng", amount: Dec.parse("10000"), vatRate: "10%" },
        { nature: 4, lineNo: 4, itemName: "Giao hàng trước ngày 20/07/2025" },
      ],
    });
    const text = flatText(await renderInvoicePdf(invoice, baseExtras));
    expect(text).toContain("Hóa đơn này thay thế hóa đơn Mẫu số 1, Ký hiệu K25TAA, Số 7, ngày 01/07/2025");
    expect(text).toContain("Bút tặng kèm (Khuyến mại)");
    expect(text).toContain("Chiết khấu đơn hàng (Chiết khấu thương mại)");
    expect(text).toContain("-10.000");
    expect(text).toContain("Giao hàng trước ngày 20/07/2025");
    expect(text).toContain("6.250");
  });

  it("shows foreign-currency amounts with their minor units and the exchange rate", async () => {
    const usd = withTotals({
      ...sampleInvoice(2),
      header: { ...sampleInvoice(2).header, currency: "USD", exchangeRate: Dec.parse("25450") },
    });
    const text = flatText(await renderInvoicePdf(usd, baseExtras));
    expect(text).toContain("Đồng tiền thanh toán: USD Tỷ giá: 25.450");
    expect(text).toContain(formatNumber(usd.totals.totalPayable, { style: "vi", minDecimals: 2 }));
    expect(text).toContain(usd.totals.totalPayableInWords);
  });

  it.each(TITLED_KINDS)("titles template %s series %s as %s", async (template, series, title) => {
    const invoice = sampleInvoice(1, { template, series, name: "" });
    expect(flatText(await renderInvoicePdf(invoice, baseExtras))).toContain(title);
  });

  it("marks an invalid signature and a test certificate's signature", async () => {
    const text = flatText(
      await renderInvoicePdf(coded(), {
        ...baseExtras,
        signatures: [
          { role: "seller", signer: "CÔNG TY A", valid: false, test: false },
          { role: "buyer", signer: "CÔNG TY B", valid: true, test: true },
        ],
      }),
    );
    expect(text).toContain("CHỮ KÝ KHÔNG HỢP LỆ");
    expect(text).toContain("Ký bởi: CÔNG TY A");
    expect(text).toContain("CHỨNG THƯ SỐ THỬ NGHIỆM (TEST)");
  });
});

describe("rendering is repeatable", () => {
  it("gives the same bytes for the same invoice, whether rendered alone or concurrently", async () => {
    const invoice = coded();
    const first = await renderInvoicePdf(invoice, baseExtras);
    await renderInvoicePdf(coded(30), { ...baseExtras, language: "en" }); // other work in between
    const again = await Promise.all([1, 2, 3].map(() => renderInvoicePdf(invoice, baseExtras)));
    for (const pdf of again) expect(pdf.equals(first)).toBe(true);
  });
});

describe("the QR code on the page", () => {
  it("decodes from the rendered page to the invoice's payload", async () => {
    const invoice = coded();
    const pdf = await renderInvoicePdf(invoice, baseExtras);
    const data = decodeQr(pdf);
    expect(data).toBe(invoiceQrPayload(invoice));
    expect(parseInvoiceQrPayload(data!)).toEqual({
      sellerTaxCode: "0100109106",
      template: "1",
      series: "C25TAA",
      number: "123",
      issueDate: "2025-07-15",
      totalPayable: invoice.totals.totalPayable.toPlain(),
      authorityCode: MCCQT,
    });
  });

  it("carries the authority's code given as an extra when the model has none", async () => {
    const invoice = { ...coded(), authorityCode: undefined };
    const data = decodeQr(await renderInvoicePdf(invoice, { ...baseExtras, authorityCode: MCCQT }));
    expect(parseInvoiceQrPayload(data!)?.authorityCode).toBe(MCCQT);
  });
});

describe("PDF/A-3 with the signed XML attached", () => {
  let signedXml: string;
  let pdf: Buffer;
  beforeAll(async () => {
    const pki = await testPki();
    const signed = await signAs(writeInvoice(coded()), pki.sellerSigner, "seller");
    if (!signed.ok) throw new Error(JSON.stringify(signed.problems));
    signedXml = signed.value.xml;
    const model = readInvoice(new TextEncoder().encode(signedXml)).invoice!;
    const signatures = summariseSignatures(verifyDocument(signedXml));
    pdf = await renderInvoicePdf(model, { ...baseExtras, signatures, signedXml });
  });

  it("attaches the signed XML byte for byte", () => {
    expect(attachmentNames(pdf)).toEqual(["invoice.xml"]);
    expect(attachment(pdf, "invoice.xml").equals(Buffer.from(signedXml, "utf8"))).toBe(true);
  });

  it("declares the attachment as the source, and PDF/A-3B in its metadata", () => {
    const body = qdf(pdf);
    expect(body).toMatch(/\/AFRelationship \/Source/);
    expect(body).toMatch(/\/AF \[/);
    expect(body).toContain("<pdfaid:part>3</pdfaid:part>");
    expect(body).toContain("<pdfaid:conformance>B</pdfaid:conformance>");
    expect(body).toMatch(/\/OutputIntents/);
    expect(qpdfCheck(pdf)).toContain("No syntax or stream encoding errors");
  });

  it("shows the verified seller signature from the test CA, marked as TEST", () => {
    const text = flatText(pdf);
    expect(text).toContain("Chữ ký hợp lệ");
    expect(text).toMatch(/Ký bởi: (TEST )?CÔNG TY TNHH HDDT THỬ/);
    expect(text).toContain("CHỨNG THƯ SỐ THỬ NGHIỆM (TEST)");
  });
});

describe("conversion to paper", () => {
  const convertedAt = new Date("2025-08-01T02:30:00Z");

  it("adds the conversion mark, the converter's name and signature line, and the time", async () => {
    const r = await renderConversion(coded(), baseExtras, {
      purpose: "archive",
      converterName: "Trần Thị Bình",
      convertedAt,
      previousConversions: [],
    });
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    const text = flatText(r.value);
    expect(text).toContain("HÓA ĐƠN CHUYỂN ĐỔI TỪ HÓA ĐƠN ĐIỆN TỬ");
    expect(text).toContain("Người thực hiện chuyển đổi (Ký, ghi rõ họ tên)");
    expect(text).toContain("Trần Thị Bình");
    expect(text).toContain("Thời gian chuyển đổi: 09:30:00 01/08/2025");
    expect(text).toContain("Mục đích: lưu trữ chứng từ kế toán");
    expect(text).not.toContain("Người đại diện theo pháp luật");
    // The copy reflects the whole invoice.
    expect(text).toContain(MCCQT);
    expect(text).toContain("Số: 123");
  });

  it("adds the legal representative's signature and seal for proof of origin of goods", async () => {
    const r = await renderConversion(coded(), baseExtras, {
      purpose: "origin_of_goods",
      converterName: "Trần Thị Bình",
      convertedAt,
      previousConversions: [],
    });
    if (!r.ok) throw new Error(JSON.stringify(r.problems));
    const text = flatText(r.value);
    expect(text).toContain("Người đại diện theo pháp luật của người bán");
    expect(text).toContain("(Ký, đóng dấu, ghi rõ họ tên)");
    expect(text).toContain("chứng minh nguồn gốc xuất xứ hàng hóa");
  });

  it("marks every page of a long conversion", async () => {
    const r = await renderConversion(coded(80), baseExtras, {
      purpose: "archive",
      converterName: "Trần Thị Bình",
      convertedAt,
      previousConversions: [],
    });
    if (!r.ok) throw new Error(JSON.stringify(r.problems));
    const pages = pdfText(r.value)
      .split("\f")
      .filter((p) => p.trim() !== "");
    expect(pages.length).toBeGreaterThanOrEqual(2);
    for (const page of pages) expect(page).toContain("HÓA ĐƠN CHUYỂN ĐỔI TỪ HÓA ĐƠN ĐIỆN TỬ");
  });

  it("refuses a second proof-of-origin conversion, saying when the first was made", async () => {
    const r = await renderConversion(coded(), baseExtras, {
      purpose: "origin_of_goods",
      converterName: "Lê Văn Cường",
      convertedAt,
      previousConversions: [
        { purpose: "archive", convertedAt: new Date("2025-07-16T01:00:00Z"), converterName: "A" },
        {
          purpose: "origin_of_goods",
          convertedAt: new Date("2025-07-20T01:00:00Z"),
          converterName: "Trần Thị Bình",
        },
      ],
    });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.problems.map((p) => p.code)).toEqual(["CONVERSION_ORIGIN_ALREADY_DONE"]);
    expect(r.problems[0]!.messageVi).toContain("08:00:00 20/07/2025");
    expect(r.problems[0]!.messageVi).toContain("Trần Thị Bình");
    expect(r.problems[0]!.params?.firstConvertedAt).toBe("2025-07-20T01:00:00.000Z");
  });

  it("converts for archiving again after a proof-of-origin conversion", async () => {
    const r = await renderConversion(coded(), baseExtras, {
      purpose: "archive",
      converterName: "Lê Văn Cường",
      convertedAt,
      previousConversions: [
        { purpose: "origin_of_goods", convertedAt: new Date("2025-07-20T01:00:00Z"), converterName: "B" },
        { purpose: "archive", convertedAt: new Date("2025-07-21T01:00:00Z"), converterName: "B" },
      ],
    });
    expect(r.ok).toBe(true);
  });

  it("refuses to convert an invoice whose signature is not valid, or without a converter's name", async () => {
    const r = await renderConversion(
      coded(),
      { ...baseExtras, signatures: [{ role: "seller", signer: "CÔNG TY A", valid: false, test: false }] },
      { purpose: "archive", converterName: " ", convertedAt, previousConversions: [] },
    );
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.problems.map((p) => p.code).sort()).toEqual([
      "CONVERSION_CONVERTER_REQUIRED",
      "CONVERSION_INVALID_SIGNATURE",
    ]);
  });
});
