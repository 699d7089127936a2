import { describe, expect, it } from "vitest";
import { sampleInvoice, withTotals } from "../../test/support/invoices.ts";
import { Dec } from "./decimal.ts";
import type { Invoice } from "./invoice.ts";
import { type InvoiceStage, validateInvoice } from "./validate.ts";
import { amountInWords } from "./words.ts";

const d = Dec.parse;

function codes(inv: Invoice, stage: InvoiceStage = "issued"): string[] {
  return validateInvoice(inv, { stage })
    .filter((p) => p.severity === "error")
    .map((p) => p.code);
}

function problem(inv: Invoice, code: string, stage: InvoiceStage = "issued") {
  return validateInvoice(inv, { stage }).find((p) => p.code === code);
}

/** A sample invoice changed by `edit`, with its totals recomputed unless `keepTotals`. */
function changed(edit: (inv: Invoice) => void, keepTotals = false): Invoice {
  const inv = sampleInvoice(3);
  edit(inv);
  return keepTotals ? inv : withTotals(inv);
}

describe("validateInvoice: a good invoice", () => {
  it("accepts the 10-line sample with no problem at all", () => {
    expect(validateInvoice(sampleInvoice(10), { stage: "issued" })).toEqual([]);
  });

  it("gives every problem a code, a model path and messages in both languages", () => {
    const inv = changed((i) => {
      i.seller.name = "";
    });
    const p = problem(inv, "INVOICE_REQUIRED")!;
    expect(p).toMatchObject({ path: "seller.name", severity: "error" });
    expect(p.message).toContain("NBan/Ten");
    expect(p.messageVi).toContain("bắt buộc");
  });

  it("collects all problems instead of stopping at the first", () => {
    const inv = changed((i) => {
      i.seller.name = "";
      i.seller.address = "";
      i.header.name = "";
    });
    expect(codes(inv).filter((c) => c === "INVOICE_REQUIRED")).toHaveLength(3);
  });
});

describe("required fields and formats", () => {
  it.each([
    ["header.name", (i: Invoice) => (i.header.name = "")],
    ["header.template", (i: Invoice) => (i.header.template = "")],
    ["header.series", (i: Invoice) => (i.header.series = "")],
    ["header.currency", (i: Invoice) => (i.header.currency = "")],
    ["seller.taxCode", (i: Invoice) => (i.seller.taxCode = "")],
    ["seller.address", (i: Invoice) => (i.seller.address = "")],
    ["lines[0].itemName", (i: Invoice) => (i.lines[0]!.itemName = "")],
  ])("refuses an invoice without %s", (path, edit) => {
    const inv = changed(edit);
    expect(
      validateInvoice(inv, { stage: "issued" }).some((p) => p.code === "INVOICE_REQUIRED" && p.path === path),
    ).toBe(true);
  });

  it("requires a number once issued, not in a draft", () => {
    const inv = changed((i) => {
      delete i.header.number;
    });
    expect(codes(inv, "issued")).toContain("INVOICE_REQUIRED");
    expect(codes(inv, "draft")).not.toContain("INVOICE_REQUIRED");
  });

  it.each(["0", "000", "123456789", "12a", "-1"])("refuses invoice number %j", (n) => {
    expect(codes(changed((i) => (i.header.number = n)))).toContain("INVOICE_BAD_NUMBER");
  });

  it("accepts numbers with leading zeros as real providers write them", () => {
    expect(codes(changed((i) => (i.header.number = "00001144")))).toEqual([]);
  });

  it.each(["2025-02-30", "2025-13-01", "15/07/2025", "2025-7-1"])("refuses issue date %j", (date) => {
    expect(codes(changed((i) => (i.header.issueDate = date)))).toContain("INVOICE_BAD_DATE");
  });

  it("refuses text longer than the format allows, naming the limit", () => {
    const p = problem(
      changed((i) => (i.seller.name = "A".repeat(401))),
      "INVOICE_TOO_LONG",
    );
    expect(p).toMatchObject({ path: "seller.name", params: { max: "400", length: "401" } });
    expect(codes(changed((i) => (i.seller.name = "A".repeat(400))))).toEqual([]);
  });

  it("refuses control characters in text", () => {
    expect(codes(changed((i) => (i.buyer.name = "Công ty\u0007")))).toContain("INVOICE_BAD_CHARACTER");
  });

  it("refuses numbers beyond 21 digits or 6 decimals", () => {
    expect(codes(changed((i) => (i.lines[0]!.unitPrice = d("1.1234567")), true))).toContain(
      "INVOICE_NUMBER_FORMAT",
    );
    expect(codes(changed((i) => (i.lines[0]!.quantity = d("1000000000000000000000")), true))).toContain(
      "INVOICE_NUMBER_FORMAT",
    );
  });

  it("needs an exchange rate for a foreign currency but not for VND", () => {
    const usd = changed((i) => {
      i.header.currency = "USD";
      delete i.header.exchangeRate;
    });
    expect(codes(usd)).toContain("INVOICE_EXCHANGE_RATE_REQUIRED");
    const vnd = changed((i) => {
      delete i.header.exchangeRate;
    });
    expect(codes(vnd)).not.toContain("INVOICE_EXCHANGE_RATE_REQUIRED");
  });

  it("refuses a non-positive or too long exchange rate", () => {
    expect(codes(changed((i) => (i.header.exchangeRate = d("0"))))).toContain(
      "INVOICE_EXCHANGE_RATE_INVALID",
    );
    expect(codes(changed((i) => (i.header.exchangeRate = d("25000.123"))))).toContain(
      "INVOICE_EXCHANGE_RATE_INVALID",
    );
    expect(codes(changed((i) => (i.header.exchangeRate = d("25340.50"))))).not.toContain(
      "INVOICE_EXCHANGE_RATE_INVALID",
    );
  });

  it("refuses a currency that is not ISO 4217", () => {
    expect(codes(changed((i) => (i.header.currency = "đ")))).toContain("INVOICE_UNKNOWN_CURRENCY");
  });

  it("checks a buyer's personal ID (12 digits) and budget-unit code (7 digits)", () => {
    expect(codes(changed((i) => (i.buyer.citizenId = "12345678901")))).toContain("PERSONAL_ID_FORMAT");
    expect(codes(changed((i) => (i.buyer.citizenId = "001203004567")))).not.toContain("PERSONAL_ID_FORMAT");
    expect(codes(changed((i) => (i.buyer.budgetUnitCode = "12345")))).toContain("INVOICE_BUDGET_CODE_FORMAT");
    expect(codes(changed((i) => (i.buyer.budgetUnitCode = "1234567")))).not.toContain(
      "INVOICE_BUDGET_CODE_FORMAT",
    );
  });

  it("warns (does not refuse) when 2.1.0 fields real providers omit are missing", () => {
    const inv = changed((i) => {
      delete i.header.financialLeasing;
    });
    expect(codes(inv)).toEqual([]);
    expect(problem(inv, "INVOICE_FIELD_RECOMMENDED")?.severity).toBe("warning");
  });
});

describe("lines", () => {
  it("refuses an invoice without lines", () => {
    expect(codes(changed((i) => (i.lines = [])))).toContain("INVOICE_NO_LINES");
  });

  it("refuses a line nature outside 1–5", () => {
    expect(codes(changed((i) => (i.lines[0]!.nature = 6 as 1)))).toContain("INVOICE_LINE_NATURE");
  });

  it("refuses an amount that is not quantity × price − discount", () => {
    const inv = changed((i) => (i.lines[0]!.amount = i.lines[0]!.amount!.add(d("5"))));
    expect(problem(inv, "INVOICE_LINE_AMOUNT_MISMATCH")).toMatchObject({ path: "lines[0].amount" });
  });

  it("accepts an amount rounded from a price with decimals (within one đồng)", () => {
    const inv = changed((i) => {
      i.lines[0]!.quantity = d("1");
      i.lines[0]!.unitPrice = d("12445454.5455");
      i.lines[0]!.amount = d("12445455");
    });
    expect(codes(inv)).toEqual([]);
  });

  it("subtracts the discount and checks the discount against its rate", () => {
    const good = changed((i) => {
      const l = i.lines[0]!;
      l.quantity = d("2");
      l.unitPrice = d("100000");
      l.discountRate = d("10");
      l.discountAmount = d("20000");
      l.amount = d("180000");
    });
    expect(codes(good)).toEqual([]);
    const bad = changed((i) => {
      const l = i.lines[0]!;
      l.quantity = d("2");
      l.unitPrice = d("100000");
      l.discountRate = d("10");
      l.discountAmount = d("25000");
      l.amount = d("175000");
    });
    expect(codes(bad)).toContain("INVOICE_LINE_DISCOUNT_MISMATCH");
  });

  it("takes the amount as stated on a line with zero quantity or price (service fee lines)", () => {
    const inv = changed((i) => {
      i.lines[0]!.quantity = d("0");
      i.lines[0]!.unitPrice = d("0");
      i.lines[0]!.amount = d("47619");
    });
    expect(codes(inv)).toEqual([]);
  });

  it("refuses an amount on a note line (TChat 4)", () => {
    const inv = changed((i) => i.lines.push({ nature: 4, itemName: "IMEI: 123", amount: d("10") }));
    expect(codes(inv)).toContain("INVOICE_LINE_NOTE_HAS_AMOUNT");
    const ok = changed((i) => i.lines.push({ nature: 4, itemName: "IMEI: 123" }));
    expect(codes(ok)).toEqual([]);
  });

  it("requires special-goods details on a TChat 5 line", () => {
    const inv = changed((i) => (i.lines[0]!.nature = 5));
    expect(codes(inv)).toContain("INVOICE_SPECIAL_GOODS_REQUIRED");
    const ok = changed((i) => {
      i.lines[0]!.nature = 5;
      i.lines[0]!.specialGoods = [{ kind: "1", name: "Số khung", value: "RLHJA1234" }];
    });
    expect(codes(ok)).toEqual([]);
  });

  it("requires a VAT rate on lines of a VAT invoice, not of a sales invoice", () => {
    const vat = changed((i) => delete i.lines[0]!.vatRate);
    expect(codes(vat)).toContain("INVOICE_VAT_RATE_REQUIRED");
    const sales = withTotals({
      ...sampleInvoice(2, { template: "2", name: "Hóa đơn bán hàng" }),
      lines: sampleInvoice(2).lines.map(({ vatRate: _r, ...l }) => l),
    });
    expect(codes(sales)).toEqual([]);
  });
});

describe("totals", () => {
  it("refuses a per-rate amount that differs from its lines", () => {
    const inv = changed(
      (i) => (i.totals.byRate[0]!.amount = i.totals.byRate[0]!.amount.add(d("1000"))),
      false,
    );
    inv.totals.byRate[0]!.amount = inv.totals.byRate[0]!.amount.add(d("1000"));
    expect(codes(inv)).toContain("INVOICE_RATE_AMOUNT_MISMATCH");
  });

  it("refuses per-rate VAT that is not amount × rate (the GDT test file's inconsistency)", () => {
    const inv = sampleInvoice(3);
    inv.totals.byRate[0]!.vatAmount = inv.totals.byRate[0]!.vatAmount!.add(d("100"));
    expect(problem(inv, "INVOICE_RATE_VAT_MISMATCH")).toMatchObject({ path: "totals.byRate[0].vatAmount" });
  });

  it("refuses a line rate without a per-rate group, and a group without lines", () => {
    const missing = sampleInvoice(3);
    missing.totals.byRate = missing.totals.byRate.slice(1);
    expect(codes(missing)).toContain("INVOICE_RATE_GROUP_MISSING");
    const unused = sampleInvoice(3);
    unused.totals.byRate.push({ vatRate: "5%", amount: d("100"), vatAmount: d("5") });
    expect(codes(unused)).toContain("INVOICE_RATE_GROUP_UNUSED");
  });

  it("refuses a rate listed twice in the summary", () => {
    const inv = sampleInvoice(3);
    inv.totals.byRate.push({ ...inv.totals.byRate[0]! });
    expect(codes(inv)).toContain("INVOICE_RATE_GROUP_DUPLICATE");
  });

  it("refuses totals before VAT and VAT that differ from the per-rate sums", () => {
    const inv = sampleInvoice(3);
    inv.totals.totalBeforeVat = inv.totals.totalBeforeVat!.add(d("2"));
    inv.totals.totalVat = inv.totals.totalVat!.sub(d("2"));
    expect(codes(inv)).toEqual(
      expect.arrayContaining(["INVOICE_TOTAL_BEFORE_VAT_MISMATCH", "INVOICE_TOTAL_VAT_MISMATCH"]),
    );
  });

  it("refuses a total payable that is not before-VAT + VAT", () => {
    const inv = sampleInvoice(3);
    inv.totals.totalPayable = inv.totals.totalPayable.add(d("10"));
    expect(codes(inv)).toContain("INVOICE_TOTAL_PAYABLE_MISMATCH");
  });

  it("accepts a total payable that adds fees collected with the price", () => {
    const inv = sampleInvoice(3);
    inv.totals.fees = [{ name: "Phí bảo vệ môi trường", amount: d("5000") }];
    inv.totals.totalPayable = inv.totals.totalPayable.add(d("5000"));
    inv.totals.totalPayableInWords = amountWordsOf(inv.totals.totalPayable);
    expect(codes(inv)).toEqual([]);
  });

  it("accepts a trade discount line (TChat 3) subtracted in its rate group", () => {
    const inv = changed((i) =>
      i.lines.push({ nature: 3, itemName: "Chiết khấu thương mại", amount: d("10000"), vatRate: "10%" }),
    );
    expect(codes(inv)).toEqual([]);
  });

  it("refuses VND totals with decimals", () => {
    const inv = sampleInvoice(3);
    inv.totals.totalPayable = inv.totals.totalPayable.add(d("0.5"));
    expect(codes(inv)).toContain("INVOICE_TOTAL_NOT_WHOLE_DONG");
  });

  it("accepts cents in a USD invoice", () => {
    const inv = withTotals({
      ...sampleInvoice(1, { currency: "USD", exchangeRate: d("25340") }),
      lines: [
        {
          nature: 1,
          itemName: "Service",
          quantity: d("3"),
          unitPrice: d("19.99"),
          amount: d("59.97"),
          vatRate: "10%",
        },
      ],
    });
    inv.totals.byRate[0]!.vatAmount = d("6.00");
    inv.totals.totalVat = d("6");
    inv.totals.totalPayable = d("65.97");
    inv.totals.totalPayableInWords = amountWordsOf(d("65.97"), "USD");
    expect(codes(inv)).toEqual([]);
  });

  it("refuses words that do not read the total payable, accepts spelling variants", () => {
    const bad = sampleInvoice(2);
    bad.totals.totalPayableInWords = "Một trăm đồng";
    expect(problem(bad, "INVOICE_WORDS_MISMATCH")?.params?.expected).toBeTruthy();
    const variant = sampleInvoice(2);
    variant.totals.totalPayableInWords = variant.totals.totalPayableInWords
      .replace(/nghìn/g, "ngàn")
      .toLowerCase();
    expect(codes(variant)).toEqual([]);
  });
});

describe("negative amounts by the rules of the date", () => {
  function decrease(date: string): Invoice {
    return withTotals({
      ...sampleInvoice(1, { issueDate: date, series: `K${date.slice(2, 4)}TAA` }),
      header: {
        ...sampleInvoice(1).header,
        issueDate: date,
        series: `K${date.slice(2, 4)}TAA`,
        related: {
          nature: 2,
          relatedKind: 1,
          template: "1",
          series: "K25TAA",
          number: "7",
          date: "2025-01-10",
        },
      },
      lines: [
        {
          nature: 1,
          itemName: "Giảm giá",
          quantity: d("-1"),
          unitPrice: d("100000"),
          amount: d("-100000"),
          vatRate: "10%",
        },
      ],
    });
  }

  it("accepts a decreasing adjustment with negative amounts under the 2025 rules", () => {
    expect(codes(decrease("2025-07-01"))).toEqual([]);
  });

  it("refuses negative amounts on an invoice that is not an adjustment", () => {
    const inv = changed((i) => {
      i.lines[0]!.quantity = d("-1");
      i.lines[0]!.amount = i.lines[0]!.unitPrice!.neg();
    });
    expect(codes(inv)).toContain("INVOICE_NEGATIVE_NOT_ALLOWED");
  });
});

describe("related invoice", () => {
  const base = (related: NonNullable<Invoice["header"]["related"]>) =>
    changed((i) => {
      i.header.related = related;
    });

  it("accepts a complete reference to the replaced invoice", () => {
    expect(
      codes(
        base({
          nature: 1,
          relatedKind: 1,
          template: "1",
          series: "K25TAA",
          number: "12",
          date: "2025-07-01",
        }),
      ),
    ).toEqual([]);
  });

  it("refuses a partial reference (template without number)", () => {
    expect(codes(base({ nature: 1, relatedKind: 1, template: "1", date: "2025-07-01" }))).toContain(
      "INVOICE_RELATED_INCOMPLETE",
    );
  });

  it("refuses a related invoice dated after this one", () => {
    expect(
      codes(
        base({
          nature: 1,
          relatedKind: 1,
          template: "1",
          series: "K25TAA",
          number: "12",
          date: "2025-08-01",
        }),
      ),
    ).toContain("INVOICE_RELATED_AFTER_ISSUE");
  });

  it("requires the list 01/BK-ĐCTT when one invoice covers many (TCHDon 4, 2026 rules)", () => {
    const in2026 = (related: NonNullable<Invoice["header"]["related"]>) =>
      withTotals({
        ...sampleInvoice(2),
        header: { ...sampleInvoice(2).header, issueDate: "2026-07-15", series: "K26TAA", related },
      });
    const withoutList = in2026({ nature: 4, relatedKind: 1, date: "2026-07-01" });
    expect(codes(withoutList)).toContain("INVOICE_RELATED_LIST_REQUIRED");
    const withList = in2026({
      nature: 4,
      relatedKind: 1,
      date: "2026-07-01",
      listNumber: "BK01",
      listDate: "2026-07-10",
    });
    expect(codes(withList)).toEqual([]);
  });

  it("refuses a correction path that did not exist on the invoice's date (TCHDon 4 in 2025)", () => {
    const inv = base({
      nature: 4,
      relatedKind: 1,
      date: "2025-07-01",
      listNumber: "BK01",
      listDate: "2025-07-10",
    });
    expect(problem(inv, "INVOICE_CORRECTION_NOT_ALLOWED")).toMatchObject({ path: "header.related.nature" });
  });

  it("allows only replacement for cash-register invoices under the 2025 rules", () => {
    const cash = (nature: 1 | 2) =>
      changed((i) => {
        i.header.series = "C25MAA";
        i.authorityCode = "M1-25-A1B2C-00000000001";
        i.header.related = {
          nature,
          relatedKind: 1,
          template: "1",
          series: "C25MAA",
          number: "3",
          date: "2025-07-01",
        };
      });
    expect(codes(cash(1), "coded")).toEqual([]);
    expect(codes(cash(2), "coded")).toContain("INVOICE_CORRECTION_NOT_ALLOWED");
  });

  it("refuses unknown natures and kinds", () => {
    expect(codes(base({ nature: 7 as 1, date: "2025-07-01", listNumber: "x" }))).toContain(
      "INVOICE_RELATED_NATURE",
    );
    expect(
      codes(
        base({
          nature: 1,
          relatedKind: 9 as 1,
          template: "1",
          series: "K25TAA",
          number: "1",
          date: "2025-07-01",
        }),
      ),
    ).toContain("INVOICE_RELATED_KIND");
  });
});

describe("authority code and series", () => {
  const coded = (edit?: (i: Invoice) => void) =>
    changed((i) => {
      i.header.series = "C25TAA";
      edit?.(i);
    });

  it("requires MCCQT on a coded-series invoice once coded or received", () => {
    expect(codes(coded(), "coded")).toContain("INVOICE_CODE_MISSING");
    expect(codes(coded(), "received")).toContain("INVOICE_CODE_MISSING");
    expect(
      codes(
        coded((i) => (i.authorityCode = "00474597512BE94B7BAB367996EF464828")),
        "coded",
      ),
    ).toEqual([]);
  });

  it("refuses MCCQT before the invoice is sent to the authority", () => {
    expect(
      codes(
        coded((i) => (i.authorityCode = "00474597512BE94B7BAB367996EF464828")),
        "issued",
      ),
    ).toContain("INVOICE_CODE_BEFORE_ISSUE");
    expect(codes(coded(), "issued")).toEqual([]);
  });

  it("refuses MCCQT on a no-code (K) series", () => {
    expect(codes(changed((i) => (i.authorityCode = "00474597512BE94B7BAB367996EF464828")))).toContain(
      "INVOICE_CODE_NOT_ALLOWED",
    );
  });
});

describe("kinds", () => {
  it("requires dispatch order and means of transport on an internal transfer note (6, N)", () => {
    const inv = withTotals({
      ...sampleInvoice(1, { template: "6", series: "K25NAB", name: "Phiếu xuất kho kiêm vận chuyển nội bộ" }),
      lines: [{ nature: 1, itemName: "Ắc quy", quantity: d("2"), unitPrice: d("1000"), amount: d("2000") }],
    });
    expect(codes(inv)).toEqual(expect.arrayContaining(["INVOICE_WAREHOUSE_FIELD_REQUIRED"]));
    inv.seller.dispatchOrder = "LĐĐ-01";
    inv.seller.transportMeans = "Xe tải 29C-12345";
    expect(codes(inv)).toEqual([]);
  });

  it("accepts a public-asset seller identified by budget-unit code alone", () => {
    const inv = withTotals({
      ...sampleInvoice(1, { template: "3", series: "K25DAA", name: "Hóa đơn bán tài sản công" }),
      lines: [{ nature: 1, itemName: "Xe ô tô", quantity: d("1"), unitPrice: d("1000"), amount: d("1000") }],
    });
    inv.seller.taxCode = "";
    expect(codes(inv)).toContain("INVOICE_PUBLIC_ASSET_SELLER_ID");
    inv.seller.budgetUnitCode = "1234567";
    expect(codes(inv)).not.toContain("INVOICE_PUBLIC_ASSET_SELLER_ID");
  });
});

function amountWordsOf(amount: Dec, currency = "VND"): string {
  return amountInWords(amount, { currency });
}

describe("dated symbols, codes and rates through the validator", () => {
  it("refuses a series whose year differs from the issue date", () => {
    expect(codes(changed((i) => (i.header.series = "K24TAA")))).toContain("SERIES_YEAR_MISMATCH");
  });

  it("refuses template 7 before Circular 32 (2025-06-01) and accepts it after", () => {
    const before = changed((i) => {
      i.header.template = "7";
      i.header.series = "K25XAA";
      i.header.issueDate = "2025-05-20";
    });
    expect(codes(before)).toEqual(expect.arrayContaining(["TEMPLATE_NOT_IN_FORCE"]));
    const after = changed((i) => {
      i.header.template = "7";
      i.header.series = "K25XAA";
    });
    expect(codes(after)).not.toContain("TEMPLATE_NOT_IN_FORCE");
  });

  it("refuses a seller or buyer tax code with a wrong check digit", () => {
    expect(codes(changed((i) => (i.seller.taxCode = "0100109107")))).toContain("TAX_CODE_CHECK_DIGIT");
    expect(codes(changed((i) => (i.buyer.taxCode = "0309478307")))).toContain("TAX_CODE_CHECK_DIGIT");
  });

  it("refuses 8% outside a reduced-rate window, and follows the original's date on an adjustment", () => {
    const outside = changed((i) => {
      i.header.issueDate = "2023-03-10";
      i.header.series = "K23TAA";
    });
    expect(codes(outside)).toContain("VAT_RATE_REDUCED_OUTSIDE_WINDOW");
    const adjustingWindowSale = changed((i) => {
      i.header.related = {
        nature: 2,
        relatedKind: 1,
        template: "1",
        series: "K24TAA",
        number: "9",
        date: "2024-05-10",
      };
    });
    expect(codes(adjustingWindowSale)).not.toContain("VAT_RATE_REDUCED_OUTSIDE_WINDOW");
  });

  it("refuses an authority code of the wrong shape", () => {
    const inv = changed((i) => {
      i.header.series = "C25TAA";
      i.authorityCode = "00474597512BE94B7BAB367996EF4648";
    });
    expect(codes(inv, "coded")).toContain("AUTHORITY_CODE_FORMAT");
  });

  it("checks a cash-register code against template and year", () => {
    const inv = changed((i) => {
      i.header.series = "C25MAA";
      i.authorityCode = "M2-24-A1B2C-00000000001";
    });
    expect(codes(inv, "coded")).toEqual(
      expect.arrayContaining(["CASH_REGISTER_CODE_TEMPLATE", "CASH_REGISTER_CODE_YEAR"]),
    );
  });
});
