import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  compactTaxCode,
  hasValidCheckDigit,
  isTaxCode,
  normalizeTaxCode,
  parsePersonalId,
  parseTaxCode,
  taxCodeCheckDigit,
  validatePersonalId,
  validateTaxCode,
} from "./taxcode.ts";

const P = "/HDon/DLHDon/NDHDon/NBan/MST";

function codes(code: string, date?: string): string[] {
  return validateTaxCode(code, P, date === undefined ? undefined : { date }).map((p) => p.code);
}

/**
 * Every distinct tax code in `test/fixtures/real/` (gathered with grep over MST, MSTTCGP, MNGui/MNNhan,
 * MTDiep/MTDTChieu/MGDDTu prefixes, X509SubjectName "MST:" and the portal JSON nbmst, nmmst, msttcgp,
 * tvandnkntt, mtdtchieu). The unit tests may not read files (src/domain is pure, lint-enforced), so the list
 * is written out; keep it in step when fixtures are added.
 */
const REAL_TAX_CODES = [
  // sellers and buyers (MST)
  "0101379761",
  "0102182292-998",
  "0102671977",
  "0104831030-091",
  "0106322455",
  "0106324653", // GDT test taxpayer "Mã số Thuế Test 109"
  "0109744141",
  "0201275452",
  "0201719690",
  "0201813710",
  "0202019860",
  "0301521415",
  "0309489918-003",
  "0314080292",
  "0402143671",
  "0901005606",
  "2700842301",
  "2700952079",
  "4500673836",
  "5300100276",
  "5300100276-019",
  // software vendors (MSTTCGP)
  "0100109106",
  "0100684378",
  "0100727825",
  "0101162173",
  "0101352495",
  "0101360697",
  "0105987432",
  "0309478306",
  // portal JSON records
  "0100109106-122",
  "0106870211",
  "0319303270",
  "0319477397",
  "0312303803",
  // T-VAN sender codes (V + MST) and certificate subjects
  "0401486901",
  "0102519041",
  "0301519977-029",
];

describe("tax code check digit", () => {
  it("accepts every real tax code found in the fixtures", () => {
    for (const code of REAL_TAX_CODES) expect(codes(code), code).toEqual([]);
  });

  it("computes the circular's worked example 010004751 → 6", () => {
    expect(taxCodeCheckDigit("010004751")).toBe(6);
    expect(hasValidCheckDigit("0100047516")).toBe(true);
  });

  it("maps a remainder of 10 to check digit 0 and has none for a remainder of 0", () => {
    // 0104831030: weighted sum ≡ 10 (mod 11) → 0
    expect(taxCodeCheckDigit("010483103")).toBe(0);
    expect(taxCodeCheckDigit("000000000")).toBeUndefined();
    expect(codes("0000000000")).toEqual(["TAX_CODE_CHECK_DIGIT"]);
  });

  it("refuses a code whose tenth digit is wrong", () => {
    const [p] = validateTaxCode("0100109107", P);
    expect(p?.code).toBe("TAX_CODE_CHECK_DIGIT");
    expect(p?.path).toBe(P);
    expect(p?.params).toEqual({ value: "0100109107" });
    expect(codes("0100109107-001")).toEqual(["TAX_CODE_CHECK_DIGIT"]);
  });

  it("catches every single-digit typo in the first nine digits (property)", () => {
    fc.assert(
      fc.property(
        fc.stringMatching(/^\d{9}$/),
        fc.integer({ min: 0, max: 8 }),
        fc.integer({ min: 1, max: 9 }),
        (nine, pos, delta) => {
          const check = taxCodeCheckDigit(nine);
          fc.pre(check !== undefined);
          const good = nine + String(check);
          expect(hasValidCheckDigit(good)).toBe(true);
          const d = (Number(nine[pos]) + delta) % 10;
          const typo = `${nine.slice(0, pos)}${d}${nine.slice(pos + 1)}${check}`;
          // Weights are distinct non-multiples of 11, so one changed digit always changes the remainder.
          expect(hasValidCheckDigit(typo)).toBe(false);
        },
      ),
    );
  });
});

describe("tax code format", () => {
  it("refuses malformed codes with TAX_CODE_FORMAT", () => {
    for (const c of [
      "",
      "010010910",
      "01001091066",
      "0100109106-01",
      "0100109106-0011",
      "0100109106_001",
      "A100109106",
    ]) {
      expect(codes(c), c).toEqual(["TAX_CODE_FORMAT"]);
    }
  });

  it("refuses a dependent-unit part of 000", () => {
    expect(codes("0100109106-000")).toEqual(["TAX_CODE_BRANCH_ZERO"]);
    expect(codes("0100109106-001")).toEqual([]);
  });

  it("warns when a 13-digit code is written without its dash", () => {
    const problems = validateTaxCode("0100109106001", P);
    expect(problems.map((p) => p.code)).toEqual(["TAX_CODE_BRANCH_DASH"]);
    expect(problems[0]?.severity).toBe("warning");
    expect(isTaxCode("0100109106001")).toBe(true);
  });

  it("normalizes and compacts branch codes", () => {
    expect(normalizeTaxCode(" 0100109106001 ")).toBe("0100109106-001");
    expect(normalizeTaxCode("0100109106")).toBe("0100109106");
    expect(normalizeTaxCode("0100109106-001")).toBe("0100109106-001");
    expect(compactTaxCode("0100109106-001")).toBe("0100109106001");
    expect(compactTaxCode("0100109106")).toBe("0100109106");
    expect(parseTaxCode("0104831030-091")).toEqual({
      kind: "branch",
      base: "0104831030",
      branch: "091",
      normalized: "0104831030-091",
      compact: "0104831030091",
    });
    expect(parseTaxCode("0100109106")?.kind).toBe("enterprise");
    expect(parseTaxCode("001087123456")?.kind).toBe("personal-id");
    expect(parseTaxCode("01001091")).toBeUndefined();
  });
});

describe("personal ID number as tax code (from 2025-07-01)", () => {
  it("accepts a 12-digit personal ID as tax code on and after 2025-07-01", () => {
    expect(codes("001087123456", "2025-07-01")).toEqual([]);
    expect(isTaxCode("001087123456", { date: "2026-03-01" })).toBe(true);
  });

  it("refuses it before 2025-07-01", () => {
    const [p] = validateTaxCode("001087123456", P, { date: "2025-06-30" });
    expect(p?.code).toBe("TAX_CODE_PERSONAL_ID_NOT_IN_FORCE");
    expect(p?.params).toEqual({ value: "001087123456", date: "2025-06-30" });
  });

  it("refuses it without a date", () => {
    expect(codes("001087123456")).toEqual(["TAX_CODE_FORMAT"]);
    expect(isTaxCode("001087123456")).toBe(false);
  });

  it("refuses a personal ID with a province code outside 001–096", () => {
    expect(codes("000087123456", "2025-08-01")).toEqual(["PERSONAL_ID_PROVINCE"]);
    expect(codes("097087123456", "2025-08-01")).toEqual(["PERSONAL_ID_PROVINCE"]);
  });
});

describe("personal ID numbers", () => {
  it("reads province, sex and birth year", () => {
    expect(parsePersonalId("001087123456")).toEqual({ province: "001", sex: "male", birthYear: 1987 });
    expect(parsePersonalId("037153000257")).toEqual({ province: "037", sex: "female", birthYear: 1953 });
    expect(parsePersonalId("079303000001")).toEqual({ province: "079", sex: "female", birthYear: 2003 });
    expect(parsePersonalId("096400000001")).toEqual({ province: "096", sex: "male", birthYear: 2100 });
  });

  it("accepts a well-formed number and refuses wrong lengths and provinces", () => {
    expect(validatePersonalId("001087123456", "/CCCDan")).toEqual([]);
    expect(validatePersonalId("00108712345", "/CCCDan")[0]?.code).toBe("PERSONAL_ID_FORMAT");
    expect(validatePersonalId("0010871234567", "/CCCDan")[0]?.code).toBe("PERSONAL_ID_FORMAT");
    expect(validatePersonalId("00108712345A", "/CCCDan")[0]?.code).toBe("PERSONAL_ID_FORMAT");
    const [p] = validatePersonalId("099087123456", "/CCCDan");
    expect(p?.code).toBe("PERSONAL_ID_PROVINCE");
    expect(p?.params).toEqual({ value: "099087123456", province: "099" });
  });
});
