import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parseXml, XmlWriter } from "../xml.ts";
import {
  FormReader,
  innerXml,
  isFormDate,
  readExtraFields,
  readNoticeStamp,
  readReasons,
  readSignatures,
  unsignedSlots,
  writeExtraFields,
  writeNoticeStamp,
  writeReasons,
  writeSignatures,
} from "./common.ts";

function parse(xml: string) {
  const p = parseXml(xml);
  if (!p.ok) throw new Error(JSON.stringify(p.problems));
  return p.value;
}

describe("FormReader", () => {
  it("accepts the date shapes real notices use and refuses impossible ones", () => {
    for (const d of [
      "2022-01-17",
      "2022-01-17T15:31:57",
      "2021-12-31T07:00:00",
      "2026-04-03T19:49:00.123+07:00",
    ]) {
      expect(isFormDate(d)).toBe(true);
    }
    for (const d of ["17/01/2022", "2022-13-01", "2022-01-32", "2022-01-17 15:31:57", "2022-1-7"]) {
      expect(isFormDate(d)).toBe(false);
    }
  });

  it("collects every problem with the field's path instead of stopping at the first", () => {
    const el = parse("<A><N>x</N><D>2025-02-30x</D><C>7</C><S>Z</S></A>").root;
    const r = new FormReader();
    r.int(el, "/A", "N");
    r.date(el, "/A", "D");
    r.code(el, "/A", "C", [1, 2] as const);
    r.strCode(el, "/A", "S", ["T", "Q"] as const);
    r.str(el, "/A", "Missing");
    r.dec(el, "/A", "N");
    const res = r.result(null);
    expect(res.ok ? [] : res.problems.map((p) => [p.code, p.path])).toEqual([
      ["FORM_FIELD_NOT_INTEGER", "/A/N"],
      ["FORM_FIELD_BAD_DATE", "/A/D"],
      ["FORM_FIELD_BAD_CODE", "/A/C"],
      ["FORM_FIELD_BAD_CODE", "/A/S"],
      ["FORM_FIELD_MISSING", "/A/Missing"],
      ["FORM_FIELD_NOT_NUMBER", "/A/N"],
    ]);
  });

  it("reads the first present spelling of a field and reports the canonical one when none is there", () => {
    const el = parse("<H><LADHĐĐT>2</LADHĐĐT></H>").root;
    const r = new FormReader();
    expect(r.code(el, "/H", ["LADHDDT", "LADHĐĐT"], [1, 2, 3, 4] as const)).toBe(2);
    r.str(el, "/H", ["Ngay", "NLap"]);
    const res = r.result(null);
    expect(res.ok ? [] : res.problems.map((p) => p.path)).toEqual(["/H/Ngay"]);
  });

  it("treats empty and blank elements as missing", () => {
    const el = parse("<A><B></B><C>  </C><D/></A>").root;
    const r = new FormReader();
    expect([r.optStr(el, "B"), r.optStr(el, "C"), r.optStr(el, "D")]).toEqual([
      undefined,
      undefined,
      undefined,
    ]);
  });

  it("asks for MST only when the budget-unit code is missing too", () => {
    const r = new FormReader();
    expect(r.taxpayerId(parse("<D><MDVQHNSach>1234567</MDVQHNSach></D>").root, "/D")).toEqual({
      taxCode: undefined,
      budgetUnitCode: "1234567",
    });
    r.taxpayerId(parse("<D></D>").root, "/D");
    const res = r.result(null);
    expect(res.ok ? [] : res.problems.map((p) => [p.code, p.path])).toEqual([
      ["FORM_NO_TAXPAYER_ID", "/D/MST"],
    ]);
  });

  it("keeps the source given as a plain string (first form of the constructor)", () => {
    expect(new FormReader("<x/>").source).toBe("<x/>");
  });
});

describe("signature block", () => {
  const sig =
    '<Signature xmlns="http://www.w3.org/2000/09/xmldsig#" Id="TTCQT-Id-1"><SignedInfo><CanonicalizationMethod ' +
    'Algorithm="http://www.w3.org/TR/2001/REC-xml-c14n-20010315"/><Reference URI="#Id-a"><DigestValue>q+/=</DigestValue>' +
    '</Reference></SignedInfo>\n<Object Id="SigningTime"><SignatureProperties><SignatureProperty Target="signatureProperties">' +
    "<SigningTime>2022-01-04T08:34:25</SigningTime></SignatureProperty></SignatureProperties></Object></Signature>";

  it("keeps each slot byte-exact from the source, in document order", () => {
    const doc = parse(`<TBao><DSCKS><TTCQT>${sig}</TTCQT><CCKSKhac></CCKSKhac></DSCKS></TBao>`);
    const dscks = doc.root.children[0];
    expect(readSignatures(dscks, doc.source)).toEqual([
      { name: "TTCQT", xml: sig },
      { name: "CCKSKhac", xml: "" },
    ]);
  });

  it("re-serialises a slot canonically when no source is given", () => {
    const doc = parse(
      `<NNT><ds:Signature Id="s" xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><ds:X a="1&amp;2"/></ds:Signature></NNT>`,
    );
    expect(innerXml(doc.root)).toBe(
      '<ds:Signature xmlns:ds="http://www.w3.org/2000/09/xmldsig#" Id="s"><ds:X a="1&amp;2"></ds:X></ds:Signature>',
    );
  });

  it("writes empty slots for an unsigned form and the slots' content as it is", () => {
    const w = new XmlWriter();
    writeSignatures(w, [...unsignedSlots("NBan"), { name: "NMua", xml: sig }]);
    expect(w.toString()).toBe(`<DSCKS><NBan></NBan><NMua>${sig}</NMua></DSCKS>`);
    expect(readSignatures(undefined)).toEqual([]);
  });
});

describe("reasons, notice stamp and other information", () => {
  it("reads MTa and MTLoi into the same description and writes the element the form asks for", () => {
    const doc = parse(
      "<DSLDo><LDo><MLoi>9992</MLoi><MTa>Đã có tờ khai được chấp nhận</MTa></LDo><LDo><STT>2</STT><MTLoi>Sai</MTLoi></LDo></DSLDo>",
    );
    const r = new FormReader();
    const reasons = readReasons(r, doc.root, "/DSLDo");
    expect(reasons.map((x) => [x.index, x.code, x.description])).toEqual([
      [undefined, "9992", "Đã có tờ khai được chấp nhận"],
      [2, undefined, "Sai"],
    ]);
    const w = new XmlWriter();
    writeReasons(w, "DSLDKCNhan", reasons, "MTLoi");
    expect(w.toString()).toBe(
      "<DSLDKCNhan><LDo><MLoi>9992</MLoi><MTLoi>Đã có tờ khai được chấp nhận</MTLoi></LDo><LDo><STT>2</STT><MTLoi>Sai</MTLoi></LDo></DSLDKCNhan>",
    );
  });

  it("round-trips a notice stamp and refuses one without its number", () => {
    const w = new XmlWriter();
    w.start("TBao");
    writeNoticeStamp(w, { id: "Id-5", number: "14TB-CCTKV", date: "2022-01-04T08:34:22" });
    const doc = parse(w.end().toString());
    const r = new FormReader();
    expect(readNoticeStamp(r, doc.root, "/TBao")).toEqual({
      id: "Id-5",
      number: "14TB-CCTKV",
      date: "2022-01-04T08:34:22",
    });
    readNoticeStamp(r, parse("<TBao><STBao><NTBao>2022-01-04</NTBao></STBao></TBao>").root, "/TBao");
    const res = r.result(null);
    expect(res.ok ? [] : res.problems.map((p) => p.path)).toEqual(["/TBao/STBao/So"]);
  });

  it("round-trips TTKhac entries with Vietnamese text", () => {
    const entry = fc.record({
      name: fc.constantFrom("Số hợp đồng", "GhiChu"),
      type: fc.constantFrom("string", "numeric", "date"),
      value: fc
        .string({ minLength: 1, maxLength: 20 })
        .filter((s) => s.trim() !== "" && !/[\u0000-\u001f\ud800-\udfff\ufffe\uffff]/.test(s))
        .map((s) => s.normalize("NFC")),
    });
    fc.assert(
      fc.property(fc.array(entry, { maxLength: 4 }), (extra) => {
        const w = new XmlWriter();
        w.start("TTChung");
        writeExtraFields(w, extra);
        expect(readExtraFields(parse(w.end().toString()).root)).toEqual(extra);
      }),
    );
  });
});
