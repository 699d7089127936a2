/**
 * Invoices for tests: a valid 10-line VAT invoice to start from, and fast-check arbitraries of invoice
 * models for the codec's round-trip property.
 */
import fc from "fast-check";
import { Dec } from "../../src/domain/decimal.ts";
import type { ExtraField, Invoice, InvoiceLine } from "../../src/domain/invoice.ts";
import { amountInWords } from "../../src/domain/words.ts";

const d = Dec.parse;

/** A valid no-code VAT invoice (1K25TAA) with `lineCount` goods lines at 10% and 8%, totals consistent. */
export function sampleInvoice(lineCount = 10, overrides: Partial<Invoice["header"]> = {}): Invoice {
  const lines: InvoiceLine[] = [];
  for (let i = 0; i < lineCount; i++) {
    const quantity = d(String(i + 1));
    const unitPrice = d(`${125_000 + i * 1_000}.5`);
    const amount = quantity.mul(unitPrice).round(0);
    lines.push({
      nature: 1,
      lineNo: i + 1,
      itemCode: `SP${String(i + 1).padStart(3, "0")}`,
      itemName: `Hàng hóa số ${i + 1} — bút bi Thiên Long`,
      unit: "Cái",
      quantity,
      unitPrice,
      amount,
      vatRate: i % 2 === 0 ? "10%" : "8%",
    });
  }
  return withTotals({
    dataId: "DLHDon-1",
    header: {
      version: "2.1.0",
      name: "Hóa đơn giá trị gia tăng",
      template: "1",
      series: "K25TAA",
      number: "1",
      issueDate: "2025-07-15",
      financialLeasing: false,
      currency: "VND",
      exchangeRate: d("1"),
      paymentMethod: "TM/CK",
      providerTaxCode: "0100109106",
      ...overrides,
    },
    seller: {
      name: "Công ty TNHH Phần mềm Hóa Đơn Mở",
      taxCode: "0100109106",
      address: "Số 1 Tràng Tiền, Phường Tràng Tiền, Quận Hoàn Kiếm, Hà Nội",
      phone: "0241234567",
      email: "ketoan@hddt.example",
    },
    buyer: {
      name: "Công ty Cổ phần Người Mua",
      taxCode: "0309478306",
      address: "12 Nguyễn Huệ, Quận 1, TP Hồ Chí Minh",
      contactName: "Nguyễn Văn An",
    },
    lines,
    totals: { byRate: [], fees: [], totalPayable: Dec.ZERO, totalPayableInWords: "" },
    signatures: [],
  });
}

/** Recomputes per-rate groups, totals and words of an invoice from its lines (VND, whole đồng). */
export function withTotals(inv: Invoice): Invoice {
  const groups = new Map<string, Dec>();
  for (const l of inv.lines) {
    if (l.nature === 4 || l.nature === 2 || !l.amount || !l.vatRate) continue;
    const prev = groups.get(l.vatRate) ?? Dec.ZERO;
    groups.set(l.vatRate, l.nature === 3 ? prev.sub(l.amount) : prev.add(l.amount));
  }
  const byRate = [...groups].map(([vatRate, amount]) => {
    const pct = /^(\d+)%$/.exec(vatRate);
    const vatAmount = pct ? amount.mul(d(pct[1]!)).div(Dec.HUNDRED, 0) : Dec.ZERO;
    return { vatRate, amount, vatAmount };
  });
  // Without rates (sales invoices, warehouse notes) the lines add up directly and there is no VAT.
  const lineSum = Dec.sum(
    inv.lines
      .filter((l) => l.amount && l.nature !== 2 && l.nature !== 4)
      .map((l) => (l.nature === 3 ? l.amount!.neg() : l.amount!)),
  );
  const totalBeforeVat = byRate.length > 0 ? Dec.sum(byRate.map((r) => r.amount)) : lineSum;
  const totalVat = Dec.sum(byRate.map((r) => r.vatAmount));
  const totalPayable = totalBeforeVat.add(totalVat);
  return {
    ...inv,
    totals: {
      ...inv.totals,
      byRate,
      totalBeforeVat,
      totalVat,
      totalPayable,
      totalPayableInWords: amountInWords(totalPayable, { currency: inv.header.currency }),
    },
  };
}

// ---------------------------------------------------------------------------------------------------------
// Arbitraries (for the codec round trip: any model the writer accepts must read back equal)

/** Text an invoice field can hold: Vietnamese letters, punctuation, XML specials; no control chars. */
const text = (max: number) =>
  fc
    .string({
      unit: fc.oneof(
        fc.constantFrom(..."aăâbcdđeêghiklmnoôơpqrstuưvxyAĂÂĐÊÔƠƯ0123456789 .,-/&<>\"'()".split("")),
        fc.constantFrom(..."áàảãạấầẩẫậắằẳẵặéèẻẽẹếềểễệíìỉĩịóòỏõọốồổỗộớờởỡợúùủũụứừửữựýỳỷỹỵ".split("")),
      ),
      minLength: 1,
      maxLength: max,
    })
    .filter((s) => s.trim() === s && s.trim() !== "");

const optText = (max: number) => fc.option(text(max), { nil: undefined });
const dec = (int: number, frac: number, negative = false) =>
  fc
    .tuple(
      fc.bigInt({ min: negative ? -(10n ** BigInt(int)) + 1n : 0n, max: 10n ** BigInt(int) - 1n }),
      fc.integer({ min: 0, max: frac }),
    )
    .map(([u, s]) => Dec.of(u, s).normalize());
const optDec = (int: number, frac: number) => fc.option(dec(int, frac), { nil: undefined });
const date = fc
  .record({
    y: fc.integer({ min: 2010, max: 2030 }),
    m: fc.integer({ min: 1, max: 12 }),
    d: fc.integer({ min: 1, max: 28 }),
  })
  .map(({ y, m, d: day }) => `${y}-${String(m).padStart(2, "0")}-${String(day).padStart(2, "0")}`);

const extra: fc.Arbitrary<ExtraField[] | undefined> = fc.option(
  fc.array(
    fc.record({ name: text(30), type: fc.constantFrom("string", "numeric", "date"), value: text(40) }),
    {
      minLength: 1,
      maxLength: 3,
    },
  ),
  { nil: undefined },
);

const line: fc.Arbitrary<InvoiceLine> = fc.record(
  {
    nature: fc.constantFrom(1, 2, 3, 4, 5),
    lineNo: fc.option(fc.integer({ min: 1, max: 9999 }), { nil: undefined }),
    itemCode: optText(50),
    itemName: text(80),
    unit: optText(10),
    quantity: optDec(15, 6),
    unitPrice: optDec(15, 6),
    discountRate: optDec(2, 4),
    discountAmount: optDec(15, 6),
    amount: optDec(18, 6),
    vatRate: fc.option(fc.constantFrom("0%", "5%", "8%", "10%", "KCT", "KKKNT", "KHAC:5.26%"), {
      nil: undefined,
    }),
    extra,
    specialGoods: fc.option(
      fc.array(fc.record({ kind: fc.constantFrom("1", "2", "3", "4"), name: text(20), value: text(40) }), {
        minLength: 1,
        maxLength: 2,
      }),
      { nil: undefined },
    ),
  },
  { requiredKeys: ["nature", "itemName"] },
) as fc.Arbitrary<InvoiceLine>;

export const invoiceArb: fc.Arbitrary<Invoice> = fc
  .record({
    dataId: fc.constantFrom("data", "DLHDon-1", "a1b2"),
    header: fc.record(
      {
        version: fc.constant("2.1.0"),
        name: text(100),
        template: fc.constantFrom("1", "2", "3", "4", "5", "6", "7", "8", "9"),
        series: fc.constantFrom("C25TAA", "K26TYY", "C25MAB", "K25XAB"),
        number: fc.option(fc.integer({ min: 1, max: 99_999_999 }).map(String), { nil: undefined }),
        dossierCode: optText(20),
        issueDate: date,
        financialLeasing: fc.boolean(),
        nonTariffZone: fc.option(fc.boolean(), { nil: undefined }),
        currency: fc.constantFrom("VND", "USD", "EUR"),
        exchangeRate: optDec(7, 2),
        paymentMethod: optText(50),
        providerTaxCode: fc.option(fc.constantFrom("0100109106", "0309478306"), { nil: undefined }),
        authorisedTaxCode: optText(14),
        related: fc.option(
          fc.record(
            {
              nature: fc.constantFrom(1, 2, 3, 4),
              relatedKind: fc.option(fc.constantFrom(1, 2, 3, 4), { nil: undefined }),
              template: optText(11),
              series: optText(8),
              number: optText(8),
              date,
              note: optText(50),
              listNumber: optText(20),
              listDate: fc.option(date, { nil: undefined }),
            },
            { requiredKeys: ["nature"] },
          ) as fc.Arbitrary<NonNullable<Invoice["header"]["related"]>>,
          { nil: undefined },
        ),
        extra,
      },
      {
        requiredKeys: ["version", "name", "template", "series", "issueDate", "currency", "financialLeasing"],
      },
    ) as fc.Arbitrary<Invoice["header"]>,
    seller: fc.record(
      {
        name: text(100),
        taxCode: fc.constantFrom("0100109106", "0104831030-091"),
        address: text(100),
        storeCode: optText(20),
        storeName: optText(40),
        phone: optText(20),
        dispatchOrder: optText(40),
        transportMeans: optText(20),
        decisionDate: fc.option(date, { nil: undefined }),
        extra,
      },
      { requiredKeys: ["name", "taxCode", "address"] },
    ) as fc.Arbitrary<Invoice["seller"]>,
    buyer: fc.record(
      {
        name: optText(100),
        taxCode: optText(14),
        budgetUnitCode: optText(7),
        citizenId: fc.option(fc.stringMatching(/^\d{12}$/), { nil: undefined }),
        passport: optText(20),
        email: optText(50),
        deliveryPlace: optText(40),
        extra,
      },
      { requiredKeys: [] },
    ) as fc.Arbitrary<Invoice["buyer"]>,
    lines: fc.array(line, { minLength: 1, maxLength: 6 }),
    totals: fc.record(
      {
        byRate: fc.array(
          fc.record(
            {
              vatRate: fc.constantFrom("5%", "8%", "10%", "KCT"),
              amount: dec(18, 6, true),
              vatAmount: optDec(18, 6),
            },
            { requiredKeys: ["vatRate", "amount"] },
          ),
          { maxLength: 3 },
        ),
        totalBeforeVat: optDec(18, 6),
        totalVat: optDec(18, 6),
        nonTaxableDeductions: optDec(18, 6),
        fees: fc.array(fc.record({ name: text(40), amount: dec(15, 2) }), { maxLength: 2 }),
        tradeDiscount: optDec(18, 6),
        otherDeductions: optDec(18, 6),
        totalPayable: dec(20, 6, true),
        totalPayableInWords: text(120),
        extra,
      },
      { requiredKeys: ["byRate", "fees", "totalPayable", "totalPayableInWords"] },
    ) as fc.Arbitrary<Invoice["totals"]>,
    contentExtra: extra,
    dataExtra: extra,
    qrCode: optText(100),
    authorityCode: fc.option(fc.constant("00474597512BE94B7BAB367996EF464828"), { nil: undefined }),
  })
  .map((r) => {
    const inv = { ...r, signatures: [] } as Invoice;
    if (inv.authorityCode !== undefined) inv.authorityCodeId = "MCCQT-1";
    return stripUndefined(inv);
  });

/** Removes keys whose value is undefined, deeply (models compare equal to what the reader builds). */
export function stripUndefined<T>(value: T): T {
  if (Array.isArray(value)) return value.map(stripUndefined) as T;
  if (value && typeof value === "object" && !(value instanceof Dec)) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) if (v !== undefined) out[k] = stripUndefined(v);
    return out as T;
  }
  return value;
}
