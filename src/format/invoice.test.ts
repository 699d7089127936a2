import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { invoiceArb, sampleInvoice, stripUndefined } from "../../test/support/invoices.ts";
import { Dec } from "../domain/decimal.ts";
import { readInvoice, writeInvoice, writeInvoiceData, xmlPathOf } from "./invoice.ts";
import { parseXml } from "./xml.ts";

const FIXTURES = join(import.meta.dirname, "../../test/fixtures/real");
const fixture = (name: string) => readFileSync(join(FIXTURES, name));

describe("readInvoice on the real files", () => {
  const invoiceFiles = readdirSync(FIXTURES).filter(
    (f) => f.endsWith(".xml") && !f.startsWith("tbao-") && !f.startsWith("tvan-") && !f.startsWith("fedex-"),
  );

  it.each(invoiceFiles)("reads %s without format problems", (name) => {
    const r = readInvoice(fixture(name));
    expect(r.problems.filter((p) => p.severity === "error")).toEqual([]);
    expect(r.invoice).toBeDefined();
    expect(r.invoice!.lines.length).toBeGreaterThan(0);
    expect(r.invoice!.totals.totalPayable).toBeInstanceOf(Dec);
  });

  it("reads a Viettel 2.0.1 no-code invoice with its deviations (TTin order, line TThue, TTKhac under NDHDon)", () => {
    const r = readInvoice(fixture("viettel-k23tac-1390239.xml"));
    const inv = r.invoice!;
    expect(r.version).toBe("2.0.1");
    expect(inv.header).toMatchObject({
      template: "1",
      series: "K23TAC",
      number: "1390239",
      issueDate: "2023-08-02",
    });
    expect(inv.seller.taxCode).toBe("0104831030-091");
    expect(inv.header.extra?.[0]).toEqual({
      name: "Ghi chú",
      type: "string",
      value: "Tích điểm Viettel ++: 2.489",
    });
    expect(inv.lines[0]!.vatAmount?.toPlain()).toBe("1244545");
    expect(inv.lines[0]!.unitPrice?.toPlain()).toBe("12445454.5455");
    expect(inv.lines[1]!.nature).toBe(4);
    expect(inv.lines[1]!.amount).toBeUndefined();
    expect(inv.contentExtra?.length).toBeGreaterThan(0);
    expect(inv.authorityCode).toBeUndefined();
    expect(inv.signatures.map((s) => s.role)).toEqual(["seller"]);
  });

  it("reads the invoice inside a 202 message with its authority code and both signatures", () => {
    const r = readInvoice(fixture("gdt-test-tdiep202-ts24-c21tct-14.xml"));
    expect(r.invoice!.authorityCode).toBe("00474597512BE94B7BAB367996EF464828");
    expect(r.invoice!.signatures.map((s) => s.role)).toEqual(["seller", "authority"]);
    expect(r.invoice!.signatures[0]!.xml.startsWith("<")).toBe(true);
  });

  it("reads 2.1.0 fields and the related invoice of a replacement", () => {
    const r = readInvoice(fixture("bkav-c25tac-00001131-thaythe.xml"));
    expect(r.version).toBe("2.1.0");
    expect(r.invoice!.header.related).toMatchObject({ nature: 1 });
    expect(r.invoice!.header.related!.date).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    const vnpt = readInvoice(fixture("vnpt-k25tek-5082-reformatted.xml"));
    expect(vnpt.invoice!.header.financialLeasing).toBe(false);
  });

  it("keeps signatures byte-exact as they stand in the source", () => {
    const bytes = fixture("viettel-c22taa-3499.xml");
    const r = readInvoice(bytes);
    const source = new TextDecoder().decode(bytes);
    for (const s of r.invoice!.signatures) expect(source.includes(s.xml)).toBe(true);
  });

  it("reads negative amounts (a credit note excerpt)", () => {
    const r = readInvoice(fixture("fedex-k26tfa-27612-excerpt.xml"));
    expect(r.invoice!.totals.totalPayable.toPlain()).toBe("-5245838");
    expect(r.invoice!.lines[0]!.quantity?.toPlain()).toBe("-1");
  });

  it("says a notice is not an invoice", () => {
    const r = readInvoice(fixture("tbao-103-chapnhan-haiphong-20220104.xml"));
    expect(r.invoice).toBeUndefined();
    expect(r.problems.map((p) => p.code)).toEqual(["FORMAT_NOT_INVOICE"]);
  });
});

describe("readInvoice on bad input", () => {
  it("reports a number that is not a number with the element's path", () => {
    const xml = writeInvoice(sampleInvoice(2)).replace("<ThTien>", "<ThTien>12,5");
    const r = readInvoice(xml);
    expect(r.problems).toContainEqual(
      expect.objectContaining({
        code: "FORMAT_NOT_A_NUMBER",
        path: "/HDon/DLHDon/NDHDon/DSHHDVu/HHDVu[1]/ThTien",
      }),
    );
  });

  it("reports a missing NDHDon and still returns what it could read", () => {
    const r = readInvoice("<HDon><DLHDon><TTChung><PBan>2.1.0</PBan></TTChung></DLHDon></HDon>");
    expect(r.problems.map((p) => p.code)).toContain("FORMAT_MISSING_ELEMENT");
    expect(r.invoice!.header.version).toBe("2.1.0");
  });

  it("reports bad flags and integers", () => {
    const xml = writeInvoice(sampleInvoice(1))
      .replace("<HDCTTChinh>0</HDCTTChinh>", "<HDCTTChinh>yes</HDCTTChinh>")
      .replace("<TChat>1</TChat>", "<TChat>x</TChat>");
    const codes = readInvoice(xml).problems.map((p) => p.code);
    expect(codes).toEqual(expect.arrayContaining(["FORMAT_BAD_FLAG", "FORMAT_NOT_AN_INTEGER"]));
  });

  it("passes XML-level refusals through (DOCTYPE)", () => {
    const r = readInvoice(`<!DOCTYPE HDon><HDon></HDon>`);
    expect(r.problems.map((p) => p.code)).toEqual(["XML_DOCTYPE"]);
  });

  it("warns about an unknown format version", () => {
    const xml = writeInvoice(sampleInvoice(1)).replace("<PBan>2.1.0</PBan>", "<PBan>9.9.9</PBan>");
    expect(readInvoice(xml).problems.map((p) => p.code)).toEqual(["FORMAT_UNKNOWN_VERSION"]);
  });
});

describe("writeInvoice", () => {
  it("writes 2.1.0 in the reference's element order, canonical and without namespaces", () => {
    const xml = writeInvoice(sampleInvoice(1));
    expect(xml.startsWith('<HDon><DLHDon Id="DLHDon-1"><TTChung><PBan>2.1.0</PBan><THDon>')).toBe(true);
    const ttchung = /<TTChung>(.*?)<\/TTChung>/.exec(xml)![1]!;
    const order = [...ttchung.matchAll(/<(\w+)>/g)].map((m) => m[1]);
    expect(order).toEqual([
      "PBan",
      "THDon",
      "KHMSHDon",
      "KHHDon",
      "SHDon",
      "NLap",
      "HDCTTChinh",
      "DVTTe",
      "TGia",
      "HTTToan",
      "MSTTCGP",
    ]);
    expect(xml).not.toContain("xmlns");
    expect(xml).not.toMatch(/>\s+</);
    expect(xml).toContain("<DSCKS><NBan></NBan></DSCKS></HDon>");
  });

  it("writes totals in the order THTTLTSuat, TgTCThue, TgTThue, DSLPhi, TTCKTMai, TgTTTBSo, TgTTTBChu", () => {
    const inv = sampleInvoice(2);
    inv.totals.fees = [{ name: "Phí môi trường", amount: Dec.parse("1000") }];
    inv.totals.tradeDiscount = Dec.ZERO;
    const ttoan = /<TToan>(.*)<\/TToan>/.exec(writeInvoice(inv))![1]!;
    const top = [
      ...ttoan.matchAll(/<(THTTLTSuat|TgTCThue|TgTThue|DSLPhi|TTCKTMai|TgTTTBSo|TgTTTBChu)>/g),
    ].map((m) => m[1]);
    expect(top).toEqual(["THTTLTSuat", "TgTCThue", "TgTThue", "DSLPhi", "TTCKTMai", "TgTTTBSo", "TgTTTBChu"]);
  });

  it("writes the authority code with its Id after DLHDon", () => {
    const inv = {
      ...sampleInvoice(1),
      authorityCode: "00474597512BE94B7BAB367996EF464828",
      authorityCodeId: "M1",
    };
    expect(writeInvoice(inv)).toContain('</DLHDon><MCCQT Id="M1">00474597512BE94B7BAB367996EF464828</MCCQT>');
  });

  it("writes exactly the DLHDon element of the whole document (what the seller signs)", () => {
    const inv = sampleInvoice(3);
    expect(writeInvoice(inv)).toContain(writeInvoiceData(inv));
  });

  it("writes what xmllint-style readers accept (well-formed)", () => {
    expect(parseXml(writeInvoice(sampleInvoice(10))).ok).toBe(true);
  });

  it("round-trips any invoice model: model → XML → model is the identity", () => {
    fc.assert(
      fc.property(invoiceArb, (inv) => {
        const xml = writeInvoice(inv);
        const r = readInvoice(xml);
        expect(r.problems).toEqual([]);
        expect(stripUndefined(r.invoice)).toEqual(inv);
      }),
      { numRuns: 300 },
    );
  });

  it("re-reading a real invoice and writing it again keeps its business content", () => {
    const first = readInvoice(fixture("bkav-c25tac-00001144.xml")).invoice!;
    const again = readInvoice(writeInvoice({ ...first, signatures: [] })).invoice!;
    expect(again.lines).toEqual(first.lines);
    expect(again.totals).toEqual(first.totals);
    expect(again.seller).toEqual(first.seller);
  });
});

describe("xmlPathOf", () => {
  it.each([
    ["lines[2].amount", "/HDon/DLHDon/NDHDon/DSHHDVu/HHDVu[3]/ThTien"],
    ["header.series", "/HDon/DLHDon/TTChung/KHHDon"],
    ["header.related.date", "/HDon/DLHDon/TTChung/TTHDLQuan/NLHDCLQuan"],
    ["totals.byRate[0].vatAmount", "/HDon/DLHDon/NDHDon/TToan/THTTLTSuat/LTSuat[1]/TThue"],
    ["buyer.citizenId", "/HDon/DLHDon/NDHDon/NMua/CCCDan"],
    ["seller.storeCode", "/HDon/DLHDon/NDHDon/NBan/MCHang"],
    ["totals.totalPayable", "/HDon/DLHDon/NDHDon/TToan/TgTTTBSo"],
    ["something.else", "something.else"],
  ])("maps %s to %s", (model, xml) => {
    expect(xmlPathOf(model)).toBe(xml);
  });
});
