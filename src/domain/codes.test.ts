import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  describeSymbol,
  isAuthorityCode,
  isLegacySeries,
  isLegacyTemplate,
  isMessageId,
  isSenderCode,
  makeCashRegisterCode,
  makeMessageId,
  parseCashRegisterCode,
  parseSenderCode,
  parseSeries,
  parseTemplate,
  validateAuthorityCode,
  validateCashRegisterCode,
  validateMessageId,
  validateRelatedSymbol,
  validateSenderCode,
  validateSeries,
  validateSymbol,
  validateTemplate,
} from "./codes.ts";

function symbolCodes(template: string, series: string, date: string): string[] {
  return validateSymbol(template, series, date).map((p) => p.code);
}

describe("template symbol (KHMSHDon)", () => {
  it("reads a digit 1–9 with its meaning", () => {
    expect(parseTemplate("1")?.meaning.en).toBe("VAT invoice");
    expect(parseTemplate("9")?.digit).toBe("9");
    for (const t of ["0", "10", "", "a", " 1", "01GTKT0/001"]) expect(parseTemplate(t), t).toBeUndefined();
  });

  it("refuses a malformed template with TEMPLATE_FORMAT", () => {
    const [p] = validateTemplate("0", "2025-06-01", "/KHMSHDon");
    expect(p?.code).toBe("TEMPLATE_FORMAT");
    expect(p?.path).toBe("/KHMSHDon");
  });

  it("refuses templates 7–9 before Circular 32 and accepts them after", () => {
    const [p] = validateTemplate("7", "2025-05-31", "/KHMSHDon");
    expect(p?.code).toBe("TEMPLATE_NOT_IN_FORCE");
    expect(p?.params).toEqual({ value: "7", date: "2025-05-31", allowed: "1, 2, 3, 4, 5, 6" });
    expect(validateTemplate("7", "2025-06-01", "/KHMSHDon")).toEqual([]);
  });
});

describe("series (KHHDon)", () => {
  it("reads the parts of a series", () => {
    expect(parseSeries("C25TAA")).toEqual({
      coded: true,
      yy: "25",
      year: 2025,
      letter: "T",
      letterMeaning: {
        vi: "do doanh nghiệp, tổ chức, hộ, cá nhân kinh doanh đăng ký sử dụng",
        en: "registered by an enterprise, organisation, household or individual",
      },
      free: "AA",
    });
    expect(parseSeries("K23TLL")?.coded).toBe(false);
    for (const s of ["", "C25TA", "C25TAAA", "A25TAA", "C5TAAA", "c25taa", "C25T1A", "1C25TAA"]) {
      expect(parseSeries(s), s).toBeUndefined();
    }
  });

  it("accepts every real fixture symbol on its issue date", () => {
    const real: [string, string][] = [
      ["C21TCT", "2021-11-05"],
      ["C22TAA", "2022-12-23"],
      ["C23TMS", "2023-01-07"],
      ["C23TAA", "2023-01-08"],
      ["C23TAH", "2023-01-09"],
      ["C23TVH", "2023-02-09"],
      ["C23TVT", "2023-02-22"],
      ["K23TAC", "2023-08-02"],
      ["K23TLL", "2023-10-19"],
      ["C25TAC", "2025-06-20"],
      ["C25TAC", "2025-06-23"],
      ["K25TEK", "2025-09-22"],
      ["K26TFA", "2026-06-05"],
      ["C26TDL", "2026-03-28"],
      ["C26TAS", "2026-04-03"],
      ["K26TVA", "2026-04-02"],
    ];
    for (const [series, date] of real) expect(symbolCodes("1", series, date), series).toEqual([]);
  });

  it("refuses a malformed series with SERIES_FORMAT", () => {
    expect(symbolCodes("1", "C25TA1", "2025-07-01")).toEqual(["SERIES_FORMAT"]);
  });

  it("refuses a series whose year differs from the issue date", () => {
    const problems = validateSeries("C24TAA", "2025-01-02", "/KHHDon");
    expect(problems.map((p) => p.code)).toEqual(["SERIES_YEAR_MISMATCH"]);
    expect(problems[0]?.params).toEqual({ value: "C24TAA", yy: "24", year: "2025" });
  });

  it("refuses letter X before 2025-06-01 and F before 2026-07-01", () => {
    expect(symbolCodes("7", "K25XAB", "2025-05-30")).toEqual([
      "TEMPLATE_NOT_IN_FORCE",
      "SERIES_LETTER_NOT_IN_FORCE",
    ]);
    expect(symbolCodes("7", "K25XAB", "2025-06-01")).toEqual([]);
    expect(symbolCodes("1", "K26FAA", "2026-06-30")).toEqual(["SERIES_LETTER_NOT_IN_FORCE"]);
    expect(symbolCodes("1", "K26FAA", "2026-07-01")).toEqual([]);
  });

  it("refuses a letter no regime knows", () => {
    const [p] = validateSeries("C25QAA", "2025-07-01", "/KHHDon");
    expect(p?.code).toBe("SERIES_LETTER_NOT_IN_FORCE");
    expect(p?.params?.allowed).toBe("T, D, L, M, N, B, G, H, X");
    expect(validateSeries("C25QAA", "not a date", "/KHHDon").map((x) => x.code)).toEqual(["SERIES_FORMAT"]);
  });

  it("requires cash-register (M) and per-occurrence (L) series to be coded", () => {
    expect(symbolCodes("2", "K25MAA", "2025-07-01")).toEqual(["SERIES_MUST_BE_CODED"]);
    expect(symbolCodes("1", "K25LBB", "2025-07-01")).toEqual(["SERIES_MUST_BE_CODED"]);
    expect(symbolCodes("2", "C25MAA", "2025-07-01")).toEqual([]);
    expect(symbolCodes("1", "C25LBB", "2025-07-01")).toEqual([]);
  });

  it("warns when N/B are not on template 6 or X not on template 7, and the reverse", () => {
    const [p] = validateSymbol("1", "K25NAB", "2025-07-01");
    expect(p?.code).toBe("SERIES_TEMPLATE_MISMATCH");
    expect(p?.severity).toBe("warning");
    expect(symbolCodes("6", "K25TAB", "2025-07-01")).toEqual(["SERIES_TEMPLATE_MISMATCH"]);
    expect(symbolCodes("7", "K25TAB", "2025-07-01")).toEqual(["SERIES_TEMPLATE_MISMATCH"]);
    expect(symbolCodes("1", "K25XAB", "2025-07-01")).toEqual(["SERIES_TEMPLATE_MISMATCH"]);
    expect(symbolCodes("6", "K25NAB", "2025-07-01")).toEqual([]);
    expect(symbolCodes("6", "K25BAB", "2025-07-01")).toEqual([]);
  });

  it("accepts the examples of Circular 32 Art 5 in 2025", () => {
    for (const symbol of [
      "1C25TAA",
      "2C25TBB",
      "1C25LBB",
      "1K25TYY",
      "1K25DAA",
      "6K25NAB",
      "6K25BAB",
      "7K25XAB",
    ]) {
      expect(symbolCodes(symbol[0]!, symbol.slice(1), "2025-08-01"), symbol).toEqual([]);
    }
  });

  it("reports at the invoice's element paths by default", () => {
    const problems = validateSymbol("0", "X", "2025-01-01");
    expect(problems.map((p) => p.path)).toEqual([
      "/HDon/DLHDon/TTChung/KHMSHDon",
      "/HDon/DLHDon/TTChung/KHHDon",
    ]);
  });

  it("describes a symbol in Vietnamese and English", () => {
    expect(describeSymbol("1", "C25TAA")).toEqual({
      vi: "1C25TAA: Hóa đơn giá trị gia tăng có mã của cơ quan thuế, năm 2025, do doanh nghiệp, tổ chức, hộ, cá nhân kinh doanh đăng ký sử dụng",
      en: "1C25TAA: VAT invoice with the authority's code, 2025, registered by an enterprise, organisation, household or individual",
    });
    expect(describeSymbol("2", "C25MAA")?.en).toBe(
      "2C25MAA: sales invoice with the authority's code, 2025, generated from a cash register",
    );
    expect(describeSymbol("1", "K25QAA")?.en).toContain("unknown type Q");
    expect(describeSymbol("0", "C25TAA")).toBeUndefined();
  });
});

describe("related invoice symbols (older forms)", () => {
  it("accepts Decree 51/04 and CQT-printed templates and series", () => {
    for (const t of ["01GTKT0/001", "01GTKT3/001", "02GTTT0/001", "03XKNB0/001", "07KPTQ0/002", "01/VE-2"]) {
      expect(isLegacyTemplate(t), t).toBe(true);
    }
    for (const s of ["AA/17E", "AB/14T", "01AA/25P"]) expect(isLegacySeries(s), s).toBe(true);
    expect(isLegacyTemplate("1")).toBe(false);
    expect(isLegacySeries("C25TAA")).toBe(false);
  });

  it("refuses malformed older forms", () => {
    for (const t of ["01GTKT0001", "1GTKT0/001", "01GTKT0/01", "03/abc"])
      expect(isLegacyTemplate(t), t).toBe(false);
    for (const s of ["AA17E", "AA/17X", "A/17E", "001AA/25P"]) expect(isLegacySeries(s), s).toBe(false);
  });

  it("validates a related symbol in either form", () => {
    const paths = { template: "/TTHDLQuan/KHMSHDCLQuan", series: "/TTHDLQuan/KHHDCLQuan" };
    expect(validateRelatedSymbol("1", "C25TAC", paths)).toEqual([]);
    expect(validateRelatedSymbol("01GTKT0/001", "AA/17E", paths)).toEqual([]);
    const problems = validateRelatedSymbol("01GTKT", "AA17E", paths);
    expect(problems.map((p) => [p.code, p.path])).toEqual([
      ["RELATED_TEMPLATE_FORMAT", "/TTHDLQuan/KHMSHDCLQuan"],
      ["RELATED_SERIES_FORMAT", "/TTHDLQuan/KHHDCLQuan"],
    ]);
  });
});

describe("cash-register code", () => {
  const P = "/HDon/MCCQT";

  it("reads the example of QĐ 1271", () => {
    expect(parseCashRegisterCode("M2-25-A1B2C-00001234567")).toEqual({
      template: "2",
      yy: "25",
      year: 2025,
      authorityBlock: "A1B2C",
      sequence: "00001234567",
    });
    expect(
      validateCashRegisterCode("M2-25-A1B2C-00001234567", { template: "2", issueDate: "2025-09-01" }, P),
    ).toEqual([]);
  });

  it("refuses malformed codes", () => {
    for (const c of [
      "M2-25-A1B2C-0000123456",
      "M0-25-A1B2C-00001234567",
      "N2-25-A1B2C-00001234567",
      "M2-25-a1b2c-00001234567",
      "M2-2025-A1B2C-00001234567",
      "M225A1B2C00001234567",
      "00474597512BE94B7BAB367996EF464828",
    ]) {
      expect(
        validateCashRegisterCode(c, {}, P).map((p) => p.code),
        c,
      ).toEqual(["CASH_REGISTER_CODE_FORMAT"]);
    }
  });

  it("refuses a code whose template digit differs from the invoice's", () => {
    const [p] = validateCashRegisterCode("M1-25-A1B2C-00001234567", { template: "2" }, P);
    expect(p?.code).toBe("CASH_REGISTER_CODE_TEMPLATE");
    expect(p?.params).toEqual({ value: "M1-25-A1B2C-00001234567", found: "1", template: "2" });
  });

  it("refuses a code whose year differs from the issue year", () => {
    const problems = validateCashRegisterCode("M2-24-A1B2C-00001234567", { issueDate: "2025-01-01" }, P);
    expect(problems.map((p) => p.code)).toEqual(["CASH_REGISTER_CODE_YEAR"]);
  });

  it("refuses, without a template, a template digit that does not exist on the date", () => {
    const codes = (c: string, d: string) =>
      validateCashRegisterCode(c, { issueDate: d }, P).map((p) => p.code);
    expect(codes("M7-25-A1B2C-00001234567", "2025-05-01")).toEqual([
      "CASH_REGISTER_CODE_TEMPLATE_NOT_IN_FORCE",
    ]);
    expect(codes("M7-25-A1B2C-00001234567", "2025-06-01")).toEqual([]);
  });

  it("builds codes that read back (property)", () => {
    fc.assert(
      fc.property(
        fc.constantFrom("1", "2", "3", "4", "5", "6", "7", "8", "9" as const),
        fc.integer({ min: 2000, max: 2099 }),
        fc.stringMatching(/^[0-9A-Z]{5}$/),
        fc.bigInt({ min: 0n, max: 99_999_999_999n }),
        (template, year, authorityBlock, sequence) => {
          const code = makeCashRegisterCode({ template, year, authorityBlock, sequence });
          expect(code).toHaveLength(23);
          const parsed = parseCashRegisterCode(code);
          expect(parsed?.template).toBe(template);
          expect(parsed?.year).toBe(year);
          expect(parsed?.authorityBlock).toBe(authorityBlock);
          expect(BigInt(parsed!.sequence)).toBe(sequence);
        },
      ),
    );
  });

  it("refuses to build from impossible parts", () => {
    const base = { template: "2" as const, year: 2025, authorityBlock: "A1B2C", sequence: 1 };
    expect(makeCashRegisterCode(base)).toBe("M2-25-A1B2C-00000000001");
    expect(() => makeCashRegisterCode({ ...base, sequence: 100_000_000_000 })).toThrow(RangeError);
    expect(() => makeCashRegisterCode({ ...base, sequence: -1 })).toThrow(RangeError);
    expect(() => makeCashRegisterCode({ ...base, authorityBlock: "a1b2c" })).toThrow(RangeError);
    expect(() => makeCashRegisterCode({ ...base, year: 1999 })).toThrow(RangeError);
  });
});

describe("tax-authority code (MCCQT)", () => {
  it("accepts every real code in the fixtures", () => {
    for (const c of [
      "00474597512BE94B7BAB367996EF464828",
      "00EABC4A18F66448D3B6616A13A6B460BE",
      "0017676EB1B0F140D6B284004D1A70F9BE",
      "00EF44ACAF964044248D3338729C691E57",
      "0051E4EAC0212544F2B6CFC835921E248E",
      "00A81958AA20B448B49438FEE85C8E8C9F",
      "00EEA9E0CF3EFF43A9AE37A0F2F915BAC3",
      "00E19212EF88E845759717F60884AC8C07",
      "00C7EE0D4F11334999AC3115F2CEABE364",
      "00673DE0FBBE69479EA5EFB46188BBA9B1",
      "000415C57340F34001A431C0E35D464943",
    ]) {
      expect(isAuthorityCode(c), c).toBe(true);
      expect(validateAuthorityCode(c, "/HDon/MCCQT")).toEqual([]);
    }
    expect(isAuthorityCode("A1474597512BE94B7BAB367996EF464828")).toBe(true);
  });

  it("refuses other lengths, lowercase and non-hex digits", () => {
    for (const c of [
      "00474597512BE94B7BAB367996EF46482",
      "00474597512BE94B7BAB367996EF4648280",
      "00474597512be94b7bab367996ef464828",
      "00474597512BG94B7BAB367996EF464828",
      "123456789012",
      "M2-25-A1B2C-00001234567",
    ]) {
      const [p] = validateAuthorityCode(c, "/HDon/MCCQT");
      expect(p?.code, c).toBe("AUTHORITY_CODE_FORMAT");
    }
  });
});

describe("sender codes and message ids", () => {
  it("accepts TCT, V/K + MST and a plain MST (10 or 13 digits)", () => {
    for (const s of ["TCT", "V0401486901", "V0107001729001", "K0100109106", "0100109106", "0100109106001"]) {
      expect(isSenderCode(s), s).toBe(true);
    }
    expect(parseSenderCode("V0102519041")).toEqual({ kind: "transmission", taxCode: "0102519041" });
    expect(parseSenderCode("K0100109106001")).toEqual({ kind: "direct", taxCode: "0100109106001" });
    expect(parseSenderCode("TCT")).toEqual({ kind: "authority", taxCode: undefined });
    expect(parseSenderCode("0100109106")).toEqual({ kind: "taxpayer", taxCode: "0100109106" });
  });

  it("refuses malformed sender codes", () => {
    for (const s of [
      "",
      "CT",
      "TCTX",
      "V010010910",
      "V0100109106-001",
      "X0100109106",
      "v0100109106",
      "V01001091060",
    ]) {
      expect(validateSenderCode(s, "/TDiep/TTChung/MNGui")[0]?.code, s).toBe("SENDER_CODE_FORMAT");
    }
  });

  it("accepts every real message id in the fixtures", () => {
    for (const id of [
      "TCT1296B10E8DE04A30A51F286CFA5AB692",
      "TCTB2C5E9AF7DEF49B5BA33411171A2DF30",
      "V040148690141B924C263C34C13B5EF49E1DDB10CA5",
      "V0102519041726063AF06A244E78070AAD75EA3B65F",
      "V03094783068DD2707F86154E8594A24EFC2BAE1227",
      "V0100109106E2F35C2A6B99414CBD90C15E22312430",
      "V031230380307314089A6F345709BF2A33591C73AA0",
      "V0100684378279606AA92034EF0A7BD1AC74E2EAE0D",
      "V0107001729001F6CA05C0FAD546FCA237A8E930E7CB49",
    ]) {
      expect(isMessageId(id), id).toBe(true);
      expect(validateMessageId(id, "/TDiep/TTChung/MTDiep")).toEqual([]);
    }
    expect(isMessageId("V040148690141B924C263C34C13B5EF49E1DDB10CA5", "V0401486901")).toBe(true);
  });

  it("refuses malformed ids and ids of another sender", () => {
    for (const id of [
      "TCT1296B10E8DE04A30A51F286CFA5AB69",
      "TCT1296b10e8de04a30a51f286cfa5ab692",
      "V04014869011296B10E8DE04A30A51F286CFA5AB69G",
      "1296B10E8DE04A30A51F286CFA5AB692",
    ]) {
      expect(validateMessageId(id, "/MTDiep")[0]?.code, id).toBe("MESSAGE_ID_FORMAT");
    }
    const [p] = validateMessageId("V040148690141B924C263C34C13B5EF49E1DDB10CA5", "/MTDiep", "V0102519041");
    expect(p?.code).toBe("MESSAGE_ID_SENDER");
    expect(isMessageId("TCT1296B10E8DE04A30A51F286CFA5AB692", "V0401486901")).toBe(false);
    expect(isMessageId("XYZ1296B10E8DE04A30A51F286CFA5AB692", "XYZ")).toBe(false);
  });

  it("makes a message id from a sender and a UUID", () => {
    const id = makeMessageId("V0401486901", "41b924c2-63c3-4c13-b5ef-49e1ddb10ca5");
    expect(id).toBe("V040148690141B924C263C34C13B5EF49E1DDB10CA5");
    expect(isMessageId(id, "V0401486901")).toBe(true);
    expect(() => makeMessageId("V04014869", "41b924c2-63c3-4c13-b5ef-49e1ddb10ca5")).toThrow(RangeError);
    expect(() => makeMessageId("TCT", "not-a-uuid")).toThrow(RangeError);
  });

  it("keeps every generated id within 46 characters and valid for its sender (property)", () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.constant("TCT"), fc.stringMatching(/^[VK]?\d{10}(\d{3})?$/)),
        fc.uuid(),
        (sender, uuid) => {
          const id = makeMessageId(sender, uuid);
          expect(id.length).toBeLessThanOrEqual(46);
          expect(isMessageId(id)).toBe(true);
          expect(isMessageId(id, sender)).toBe(true);
        },
      ),
    );
  });
});
