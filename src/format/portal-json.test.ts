import { readFileSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { Dec } from "../domain/decimal.ts";
import { validateInvoice } from "../domain/validate.ts";
import { readInvoice } from "./invoice.ts";
import {
  decOfJsonNumber,
  isPortalInvoiceJson,
  localDateOf,
  portalPathOf,
  readPortalInvoice,
} from "./portal-json.ts";

const FIXTURES = join(import.meta.dirname, "../../test/fixtures/real");
const text = (name: string) => readFileSync(join(FIXTURES, name), "utf8");
const record = (name: string) =>
  JSON.parse(text(`gdt-portal-detail-${name}.json`)) as Record<string, unknown>;
const NAMES = ["c26tas-41", "c26tdl-572", "k25tek-5082", "k26tva-1078849"] as const;
const plain = (d: Dec | undefined) => d?.toPlain();
const codes = (r: { problems: { code: string }[] }) => r.problems.map((p) => p.code);

/** Codes of the validator's arithmetic checks (reference §8.3). */
const ARITHMETIC = new Set([
  "INVOICE_LINE_AMOUNT_MISMATCH",
  "INVOICE_LINE_DISCOUNT_MISMATCH",
  "INVOICE_RATE_AMOUNT_MISMATCH",
  "INVOICE_RATE_VAT_MISMATCH",
  "INVOICE_TOTAL_BEFORE_VAT_MISMATCH",
  "INVOICE_TOTAL_VAT_MISMATCH",
  "INVOICE_TOTAL_PAYABLE_MISMATCH",
  "INVOICE_TOTAL_NOT_WHOLE_DONG",
  "INVOICE_WORDS_MISMATCH",
]);

describe("readPortalInvoice on the real portal records", () => {
  it.each(NAMES)("reads %s without problems, from text and from the parsed object alike", (name) => {
    const fromText = readPortalInvoice(text(`gdt-portal-detail-${name}.json`));
    const fromObject = readPortalInvoice(record(name));
    expect(fromText.problems).toEqual([]);
    expect(fromText.invoice).toBeDefined();
    expect(fromObject).toEqual(fromText);
  });

  it("reads C26TAS / 41: a coded KCT invoice, its UTC issue instant as the Vietnam date, and its portal facts", () => {
    const { invoice, meta } = readPortalInvoice(record("c26tas-41"));
    const inv = invoice!;
    expect(inv.header).toMatchObject({
      version: "2.1.0",
      name: "Hóa đơn giá trị gia tăng",
      template: "1",
      series: "C26TAS",
      number: "41",
      issueDate: "2026-04-03",
      financialLeasing: false,
      currency: "VND",
      paymentMethod: "TM/CK",
      providerTaxCode: "0100109106",
    });
    expect(plain(inv.header.exchangeRate)).toBe("1");
    expect(inv.authorityCode).toBe("00673DE0FBBE69479EA5EFB46188BBA9B1");
    expect(inv.seller).toMatchObject({ taxCode: "0319303270", name: "CÔNG TY TNHH ANSTAR SOLUTIONS" });
    expect(inv.seller.extra?.[1]).toEqual({
      name: "Tỉnh/Thành phố người bán",
      type: "string",
      value: "TPHCM",
    });
    expect(inv.seller.extra?.[0]?.value).toBe("");
    expect(inv.buyer.taxCode).toBe("0319477397");
    expect(inv.lines).toHaveLength(1);
    const line = inv.lines[0]!;
    expect([line.nature, line.lineNo, line.itemName, line.unit, line.vatRate]).toEqual([
      1,
      1,
      "Phần Mềm Hoá Đơn Điện Tử 300 số",
      "Gói",
      "KCT",
    ]);
    expect([plain(line.quantity), plain(line.unitPrice), plain(line.amount)]).toEqual([
      "1",
      "421000",
      "421000",
    ]);
    expect(inv.totals.byRate.map((r) => [r.vatRate, plain(r.amount), plain(r.vatAmount)])).toEqual([
      ["KCT", "421000", "0"],
    ]);
    expect(plain(inv.totals.totalBeforeVat)).toBe("421000");
    expect(plain(inv.totals.totalVat)).toBe("0");
    expect(plain(inv.totals.totalPayable)).toBe("421000");
    expect(inv.totals.totalPayableInWords).toBe("Bốn trăm hai mươi mốt nghìn đồng");
    expect(inv.totals.extra?.map((x) => x.name)).toEqual([
      "Tổng tiền thuế tiêu thụ đặc biệt",
      "Tổng tiền phí",
    ]);
    expect(inv.qrCode).toBeUndefined();
    expect(inv.signatures).toEqual([]);

    expect(meta.status).toEqual({ code: 4, meaning: { vi: "Hóa đơn đã bị thay thế", en: "replaced" } });
    expect(meta.processing?.code).toBe(5);
    expect(meta.processing?.meaning?.en).toBe("code issued");
    expect(meta.paymentMethod).toEqual({ code: 9, meaning: { vi: "Khác", en: "other" } });
    expect(meta).toMatchObject({
      id: "09cd25eb-d821-4a9d-99a2-3273207ee7bc",
      nature: 1,
      form: 1,
      period: "202604",
      taxOffice: "7902",
      signedAt: "2026-04-03T12:49:43Z",
      receivedAt: "2026-04-03T12:49:45.681Z",
      codedAt: "2026-04-03T12:49:45.757Z",
      updatedBy: "tvan_viettel",
      tvanMessageId: "V0100109106E2F35C2A6B99414CBD90C15E22312430",
      tvanTaxCode: "0100109106",
    });
    expect(meta.qrCode?.startsWith("000201")).toBe(true);
    expect(meta.sellerCertificate).toMatchObject({
      serialNumber: "54010E004ADFF664FB628A280A6D6B47",
      issuer: "CN=NC-CA SHA256, O=CÔNG TY CỔ PHẦN CÔNG NGHỆ NCCA, C=VN",
      signingTime: "2026-04-03T19:49:43",
    });
    expect(meta.sellerCertificate?.raw).toBe(record("c26tas-41").nbcks);
    expect(meta.authorityCertificate?.subject).toBe("CN=CỤC THUẾ,O=BỘ TÀI CHÍNH,L=Hà Nội,C=VN");
    expect(meta.buyerCertificate).toBeUndefined();
  });

  it("reads C26TDL / 572: three 8 % lines (two at price 0) and the attached list number and date", () => {
    const inv = readPortalInvoice(record("c26tdl-572")).invoice!;
    expect(inv.header).toMatchObject({
      name: "Hóa đơn xuất cho Đại lý",
      template: "1",
      series: "C26TDL",
      number: "572",
      issueDate: "2026-03-28",
      attachedListNumber: "BKHHDV001",
      attachedListDate: "2026-03-28",
    });
    expect(inv.header.financialLeasing).toBeUndefined();
    expect(inv.authorityCode).toBe("000415C57340F34001A431C0E35D464943");
    expect(inv.lines.map((l) => [l.vatRate, plain(l.quantity), plain(l.unitPrice), plain(l.amount)])).toEqual(
      [
        ["8%", "20", "150000", "3000000"],
        ["8%", "20", "0", "0"],
        ["8%", "20", "0", "0"],
      ],
    );
    expect(inv.lines[0]!.extra).toEqual([
      { name: "TThue", type: "string", value: "240000" },
      { name: "ThTien", type: "number", value: "3000000" },
    ]);
    expect(inv.totals.byRate.map((r) => [r.vatRate, plain(r.amount), plain(r.vatAmount)])).toEqual([
      ["8%", "3000000", "240000"],
    ]);
    expect([
      plain(inv.totals.totalBeforeVat),
      plain(inv.totals.totalVat),
      plain(inv.totals.totalPayable),
    ]).toEqual(["3000000", "240000", "3240000"]);
    expect(inv.buyer.email).toBe("anstarsolutions@gmail.com");
  });

  it("reads K25TEK / 5082: a no-code invoice with lines that have no quantity or price", () => {
    const { invoice, meta } = readPortalInvoice(record("k25tek-5082"));
    const inv = invoice!;
    expect(inv.header).toMatchObject({ series: "K25TEK", number: "5082", issueDate: "2025-09-22" });
    expect(inv.authorityCode).toBeUndefined();
    expect(inv.lines).toHaveLength(2);
    expect(inv.lines[0]!.quantity).toBeUndefined();
    expect(inv.lines.map((l) => plain(l.amount))).toEqual(["0", "3447000"]);
    expect([
      plain(inv.totals.totalBeforeVat),
      plain(inv.totals.totalVat),
      plain(inv.totals.totalPayable),
    ]).toEqual(["3447000", "344700", "3791700"]);
    expect(meta.processing?.code).toBe(6);
    expect(meta.codedAt).toBeUndefined();
    expect(meta.authorityCertificate).toBeUndefined();
  });

  it("reads K26TVA / 1078849: a minimal summary record (one unnamed line, no per-rate summary)", () => {
    const { invoice, meta } = readPortalInvoice(record("k26tva-1078849"));
    const inv = invoice!;
    expect(inv.header).toMatchObject({
      name: "Hóa đơn giá trị gia tăng", // from tlhdon: thdon is null
      series: "K26TVA",
      number: "1078849",
      issueDate: "2026-04-02",
    });
    expect(inv.header.paymentMethod).toBeUndefined();
    expect(inv.buyer.customerCode).toBeUndefined(); // "" reads as absent, as an empty element does
    expect(inv.seller.taxCode).toBe("0100109106-122");
    expect(inv.lines).toHaveLength(1);
    expect(inv.lines[0]).toMatchObject({ lineNo: 1505, itemName: "", vatRate: "8%" });
    expect(inv.lines[0]!.nature).toBeUndefined();
    expect(plain(inv.lines[0]!.vatAmount)).toBe("31185");
    expect(inv.totals.byRate).toEqual([]);
    expect(plain(inv.totals.totalPayable)).toBe("421000");
    expect(meta.signedAt).toBeUndefined();
    expect(meta.form).toBe(2);
  });

  it("reads the portal record of K25TEK / 5082 into the same invoice as its signed XML", () => {
    const fromJson = readPortalInvoice(record("k25tek-5082")).invoice!;
    const fromXml = readInvoice(text("vnpt-k25tek-5082-reformatted.xml")).invoice!;
    expect(fromJson.header).toEqual(fromXml.header);
    expect(fromJson.seller).toEqual(fromXml.seller);
    expect(fromJson.buyer).toEqual(fromXml.buyer);
    expect(fromJson.lines).toEqual(fromXml.lines);
    expect(fromJson.totals).toEqual(fromXml.totals);
    expect(fromJson.authorityCode).toBe(fromXml.authorityCode);
  });
});

describe("validateInvoice on invoices read from the portal", () => {
  it.each(["c26tas-41", "c26tdl-572", "k25tek-5082"])("finds no arithmetic error in %s", (name) => {
    const inv = readPortalInvoice(record(name)).invoice!;
    const found = validateInvoice(inv, { stage: "coded" }).filter((p) => ARITHMETIC.has(p.code));
    expect(found).toEqual([]);
  });

  it("finds K26TVA's totals unmatched only because the portal gave no per-rate summary", () => {
    // The record's thttltsuat is []: the lines themselves add up (389 815 + 31 185 = 421 000).
    const inv = readPortalInvoice(record("k26tva-1078849")).invoice!;
    const found = validateInvoice(inv, { stage: "coded" }).filter((p) => ARITHMETIC.has(p.code));
    expect(found.map((p) => p.code).sort()).toEqual([
      "INVOICE_TOTAL_BEFORE_VAT_MISMATCH",
      "INVOICE_TOTAL_VAT_MISMATCH",
    ]);
    const line = inv.lines[0]!;
    expect(line.amount!.eq(inv.totals.totalBeforeVat!)).toBe(true);
    expect(line.vatAmount!.eq(inv.totals.totalVat!)).toBe(true);
    expect(line.amount!.add(line.vatAmount!).eq(inv.totals.totalPayable)).toBe(true);
  });
});

describe("readPortalInvoice on bad input", () => {
  it("says text that is not JSON is not JSON", () => {
    const r = readPortalInvoice("{nbmst: 1");
    expect(r.invoice).toBeUndefined();
    expect(codes(r)).toEqual(["PORTAL_JSON_NOT_JSON"]);
    expect(r.problems[0]!.path).toBe("$");
  });

  it("says bytes that are not UTF-8 are not JSON", () => {
    expect(codes(readPortalInvoice(new Uint8Array([0x7b, 0xff, 0x7d])))).toEqual(["PORTAL_JSON_NOT_JSON"]);
  });

  it.each([
    ["an array", [record("c26tas-41")]],
    ["a number", 42],
    ["null", null],
    ["an object of another kind", { datas: [], total: 0 }],
  ])("says %s is not a portal record", (_what, value) => {
    const r = readPortalInvoice(value);
    expect(r.invoice).toBeUndefined();
    expect(codes(r)).toEqual(["PORTAL_JSON_NOT_RECORD"]);
  });

  it("reports a field of the wrong type with its JSONPath and reads the rest", () => {
    const rec = record("c26tdl-572");
    const lines = rec.hdhhdvu as Record<string, unknown>[];
    lines[2]!.thtien = true;
    rec.nbmst = 106870211;
    const r = readPortalInvoice(rec);
    expect(r.problems).toEqual([
      expect.objectContaining({
        code: "PORTAL_JSON_WRONG_TYPE",
        path: "$.nbmst",
        params: { expected: "string", found: "number" },
      }),
      expect.objectContaining({
        code: "PORTAL_JSON_WRONG_TYPE",
        path: "$.hdhhdvu[2].thtien",
        params: { expected: "number", found: "boolean" },
      }),
    ]);
    expect(r.invoice!.lines[2]!.amount).toBeUndefined();
    expect(r.invoice!.lines[2]!.itemName).toBe("Phong bì A5");
    expect(r.invoice!.seller.taxCode).toBe("");
  });

  it("reports a list that is not a list and an item that is not an object", () => {
    const rec = record("c26tas-41");
    rec.hdhhdvu = { ten: "x" };
    rec.thttltsuat = [null, 3];
    const r = readPortalInvoice(rec);
    expect(r.problems.map((p) => `${p.code} ${p.path}`)).toEqual([
      "PORTAL_JSON_WRONG_TYPE $.hdhhdvu",
      "PORTAL_JSON_WRONG_TYPE $.thttltsuat[0]",
      "PORTAL_JSON_WRONG_TYPE $.thttltsuat[1]",
    ]);
    expect(r.invoice!.lines).toEqual([]);
  });

  it("reports text that is not a number and a non-finite number", () => {
    const rec = record("c26tas-41");
    rec.tgtcthue = "12,5";
    rec.tgtthue = Number.POSITIVE_INFINITY;
    const r = readPortalInvoice(rec);
    expect(r.problems.map((p) => `${p.code} ${p.path}`)).toEqual([
      "PORTAL_JSON_NOT_A_NUMBER $.tgtcthue",
      "PORTAL_JSON_NOT_A_NUMBER $.tgtthue",
    ]);
  });

  it("reports an issue date that is not a date, and drops a malformed instant with a warning", () => {
    const rec = record("c26tas-41");
    rec.tdlap = "2026-02-30T17:00:00Z";
    rec.nky = "yesterday";
    const r = readPortalInvoice(rec);
    expect(r.problems.map((p) => `${p.code} ${p.path} ${p.severity}`)).toEqual([
      "PORTAL_JSON_BAD_TIME $.nky warning",
      "PORTAL_JSON_BAD_DATE $.tdlap error",
    ]);
    expect(r.invoice!.header.issueDate).toBe("");
    expect(r.meta.signedAt).toBeUndefined();
  });

  it("warns about codes outside the portal's lists and keeps the code", () => {
    const rec = record("c26tas-41");
    rec.tthai = 9;
    rec.htttoan = 7;
    rec.thtttoan = null;
    const r = readPortalInvoice(rec);
    expect(r.problems.map((p) => `${p.code} ${p.path} ${p.severity}`)).toEqual([
      "PORTAL_JSON_UNKNOWN_CODE $.tthai warning",
      "PORTAL_JSON_UNKNOWN_CODE $.htttoan warning",
    ]);
    expect(r.meta.status).toEqual({ code: 9 });
    expect(r.invoice!.header.paymentMethod).toBeUndefined();
  });

  it("warns about an unknown format version", () => {
    const rec = record("c26tas-41");
    rec.pban = "9.9.9";
    expect(codes(readPortalInvoice(rec))).toEqual(["PORTAL_JSON_UNKNOWN_VERSION"]);
  });

  it("never throws on arbitrary JSON values", () => {
    fc.assert(
      fc.property(fc.jsonValue(), (v) => {
        const r = readPortalInvoice(v);
        for (const p of r.problems) expect(p.path.startsWith("$")).toBe(true);
      }),
      { numRuns: 500 },
    );
  });

  it("never throws on arbitrary text", () => {
    fc.assert(
      fc.property(fc.oneof(fc.json(), fc.string()), (s) => {
        readPortalInvoice(s);
      }),
      { numRuns: 300 },
    );
  });

  it("never throws when any field of a real record, or of its lines, holds arbitrary JSON", () => {
    const base = record("c26tas-41");
    const topKeys = Object.keys(base);
    const lineKeys = Object.keys((base.hdhhdvu as Record<string, unknown>[])[0]!);
    const change = fc.record({
      top: fc.dictionary(fc.constantFrom(...topKeys), fc.jsonValue(), { maxKeys: 6 }),
      line: fc.dictionary(fc.constantFrom(...lineKeys), fc.jsonValue(), { maxKeys: 6 }),
    });
    fc.assert(
      fc.property(change, ({ top, line }) => {
        const rec = structuredClone(base);
        Object.assign(rec, top);
        if (Array.isArray(rec.hdhhdvu) && typeof rec.hdhhdvu[0] === "object" && rec.hdhhdvu[0] !== null)
          Object.assign(rec.hdhhdvu[0], line);
        const r = readPortalInvoice(rec);
        expect(r.invoice).toBeDefined();
        for (const p of r.problems) expect(p.path.startsWith("$")).toBe(true);
      }),
      { numRuns: 400 },
    );
  });
});

describe("numbers, dates, rates and related invoices", () => {
  it("turns every finite JS number into the Dec of its shortest decimal form", () => {
    fc.assert(
      fc.property(fc.double({ noNaN: true, noDefaultInfinity: true }), (n) => {
        const d = decOfJsonNumber(n);
        expect(d).toBeDefined();
        expect(Number(d!.toString())).toBe(n === 0 ? 0 : n);
      }),
      { numRuns: 1000 },
    );
  });

  it("expands exponent forms exactly and refuses non-finite numbers", () => {
    expect(decOfJsonNumber(1e21)?.toString()).toBe("1000000000000000000000");
    expect(decOfJsonNumber(1.5e-7)?.toString()).toBe("0.00000015");
    expect(decOfJsonNumber(0.1)?.toString()).toBe("0.1");
    expect(decOfJsonNumber(-421000)?.toString()).toBe("-421000");
    expect(decOfJsonNumber(Number.NaN)).toBeUndefined();
    expect(decOfJsonNumber(Number.NEGATIVE_INFINITY)).toBeUndefined();
  });

  it("reads amounts given as strings digit for digit", () => {
    const rec = record("c26tas-41");
    rec.tgtttbso = "123456789012345678901.123456";
    expect(readPortalInvoice(rec).invoice!.totals.totalPayable.toString()).toBe(
      "123456789012345678901.123456",
    );
  });

  it.each([
    ["2026-04-02T17:00:00Z", "2026-04-03"],
    ["2026-04-02T16:59:59.999Z", "2026-04-02"],
    ["2026-04-03T00:00:00+07:00", "2026-04-03"],
    ["2026-04-02T20:00:00-05:00", "2026-04-03"],
    ["2026-04-03T00:30:00", "2026-04-03"],
    ["2026-04-03", "2026-04-03"],
    ["2024-12-31T17:00:00Z", "2025-01-01"],
  ])("reads %s as the Vietnam date %s", (instant, date) => {
    expect(localDateOf(instant)).toBe(date);
  });

  it.each(["2026-13-01", "2026-04-03T24:00:00Z", "03/04/2026", "2026-04-03T00:00:00+25:00", ""])(
    "refuses %j as a date",
    (s) => {
      expect(localDateOf(s)).toBeUndefined();
    },
  );

  it("completes a KHAC line rate from the fraction in tsuat and names the per-rate summary the same way", () => {
    const rec = record("c26tas-41");
    const line = (rec.hdhhdvu as Record<string, unknown>[])[0]!;
    line.ltsuat = "KHAC";
    line.tsuat = 0.0526;
    rec.thttltsuat = [{ tsuat: "KHAC", thtien: 421000, tthue: 22144.6, gttsuat: null }];
    const inv = readPortalInvoice(rec).invoice!;
    expect(inv.lines[0]!.vatRate).toBe("KHAC:5.26%");
    expect(inv.totals.byRate[0]!.vatRate).toBe("KHAC:5.26%");
  });

  it("falls back to tsuat as a percentage when ltsuat is missing", () => {
    const rec = record("c26tdl-572");
    (rec.hdhhdvu as Record<string, unknown>[])[0]!.ltsuat = null;
    expect(readPortalInvoice(rec).invoice!.lines[0]!.vatRate).toBe("8%");
  });

  it("reads the related invoice of a replacement from the …goc fields and tchat", () => {
    const rec = record("c26tas-41");
    Object.assign(rec, {
      tchat: 2,
      tthai: 2,
      lhdgoc: 1,
      khmshdgoc: 1,
      khhdgoc: "C26TAS",
      shdgoc: 40,
      tdlhdgoc: "2026-03-31T17:00:00Z",
      gchdgoc: "Thay thế hóa đơn số 40",
    });
    expect(readPortalInvoice(rec).invoice!.header.related).toEqual({
      nature: 1,
      relatedKind: 1,
      template: "1",
      series: "C26TAS",
      number: "40",
      date: "2026-04-01",
      note: "Thay thế hóa đơn số 40",
    });
    rec.tchat = 3;
    expect(readPortalInvoice(rec).invoice!.header.related?.nature).toBe(2);
  });

  it("has no related invoice on an original invoice", () => {
    expect(readPortalInvoice(record("c26tas-41")).invoice!.header.related).toBeUndefined();
  });

  it("uses the Vietnamese text of the payment code when the record has no payment text", () => {
    for (const [code, vi] of [
      [1, "Tiền mặt"],
      [2, "Chuyển khoản"],
      [3, "Tiền mặt/Chuyển khoản"],
      [4, "Đối trừ công nợ"],
      [5, "Không thu tiền"],
      [9, "Khác"],
    ] as const) {
      const rec = record("c26tas-41");
      rec.htttoan = code;
      rec.thtttoan = null;
      expect(readPortalInvoice(rec).invoice!.header.paymentMethod).toBe(vi);
    }
  });

  it("puts nmtnmua as the contact person, or as the receiver on a warehouse note", () => {
    const rec = record("c26tas-41");
    rec.nmtnmua = "Nguyễn Văn A";
    expect(readPortalInvoice(rec).invoice!.buyer.contactName).toBe("Nguyễn Văn A");
    rec.khmshdon = 6;
    const buyer = readPortalInvoice(rec).invoice!.buyer;
    expect(buyer.receiver).toBe("Nguyễn Văn A");
    expect(buyer.contactName).toBeUndefined();
  });

  it("reads fees from thttlphi", () => {
    const rec = record("c26tas-41");
    rec.thttlphi = [{ tlphi: "Phí môi trường", tphi: 1000 }];
    expect(readPortalInvoice(rec).invoice!.totals.fees).toEqual([
      { name: "Phí môi trường", amount: Dec.parse("1000") },
    ]);
  });
});

describe("isPortalInvoiceJson", () => {
  it.each(NAMES)("recognises %s, parsed or as text", (name) => {
    expect(isPortalInvoiceJson(record(name))).toBe(true);
    expect(isPortalInvoiceJson(text(`gdt-portal-detail-${name}.json`))).toBe(true);
  });

  it.each([
    ["an XML invoice", text("vnpt-k25tek-5082-reformatted.xml")],
    ["an array of records", [{ nbmst: "1", khhdon: "C26TAS", shdon: 1, khmshdon: 1 }]],
    ["an object without shdon", { nbmst: "1", khhdon: "C26TAS", khmshdon: 1 }],
    ["null", null],
  ])("rejects %s", (_what, value) => {
    expect(isPortalInvoiceJson(value)).toBe(false);
  });
});

describe("portalPathOf", () => {
  it.each([
    ["lines[2].amount", "$.hdhhdvu[2].thtien"],
    ["lines[0].vatRate", "$.hdhhdvu[0].ltsuat"],
    ["header.issueDate", "$.tdlap"],
    ["header.paymentMethod", "$.thtttoan"],
    ["header.related.date", "$.tdlhdgoc"],
    ["seller.name", "$.nbten"],
    ["buyer.taxCode", "$.nmmst"],
    ["totals.totalPayable", "$.tgtttbso"],
    ["totals.byRate[1].vatAmount", "$.thttltsuat[1].tthue"],
    ["totals.byRate", "$.thttltsuat"],
    ["totals.fees[0].name", "$.thttlphi[0].tlphi"],
    ["authorityCode", "$.mhdon"],
    ["something.else", "something.else"],
  ])("maps %s to %s", (model, json) => {
    expect(portalPathOf(model)).toBe(json);
  });
});
