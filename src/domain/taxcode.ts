/**
 * Tax codes (mã số thuế, MST) and personal identification numbers (số định danh cá nhân, on the CCCD card).
 *
 * An MST has 10 digits: 2 for the province where it was first issued, 7 of sequence, 1 check digit. A
 * dependent unit (branch, representative office, business location) has the parent's 10 digits, a dash and
 * 3 digits from 001 (`0100109106-001`); envelopes and sender codes write the same 13 digits without the dash.
 *
 * Check digit: weights 31, 29, 23, 19, 17, 13, 7, 5, 3 on the first nine digits; the tenth digit is
 * 10 − (sum mod 11). A remainder of 0 would need "10", so such nine-digit prefixes are never issued. Source:
 * public validators (stdnum `vn/mst`, vn-ident, which cites a worked example of the tax-registration
 * circular: 010004751 → 6) [secondary]. Every real code in `test/fixtures/real/` satisfies it (37 codes, 35
 * distinct ten-digit bases: sellers, buyers, vendors, T-VANs, the GDT test taxpayer), so a wrong check digit
 * is an error, not a warning.
 *
 * From 2025-07-01 the 12-digit personal ID number is the tax code of individuals, households and household
 * businesses (Circular 86/2024/TT-BTC Art 5.5), so a 12-digit MST is accepted on and after that date
 * (`Rules.personalIdAsTaxCode`). Its format: 3 digits of province of birth registration (001–096), 1 digit of
 * sex and century (0/1 male/female born 1900–1999, 2/3 2000–2099, 4/5 2100s, 6/7 2200s, 8/9 2300s), 2 digits
 * of birth year, 6 random digits (Circular 07/2016/TT-BCA, kept by the 2023 Identity Law) [bg, agreed by
 * public decoders]. It has no check digit, so only the format can be checked.
 */
import { isDate } from "./dates.ts";
import { defineCodes, makeProblem, type Problem } from "./problem.ts";
import { rulesOn } from "./rules.ts";

export const taxCodeCodes = defineCodes({
  TAX_CODE_FORMAT: {
    vi: "Mã số thuế {value} phải gồm 10 chữ số, hoặc 10 chữ số, dấu '-' và 3 chữ số (đơn vị phụ thuộc)",
    en: "Tax code {value} must be 10 digits, or 10 digits, '-' and 3 digits for a dependent unit",
  },
  TAX_CODE_CHECK_DIGIT: {
    vi: "Mã số thuế {value} sai chữ số kiểm tra (chữ số thứ 10)",
    en: "Tax code {value} has a wrong check digit (10th digit)",
  },
  TAX_CODE_BRANCH_ZERO: {
    vi: "Mã đơn vị phụ thuộc của mã số thuế {value} phải từ 001 đến 999",
    en: "The dependent-unit part of tax code {value} must be 001 to 999",
  },
  TAX_CODE_BRANCH_DASH: {
    vi: "Mã số thuế 13 chữ số {value} cần ghi có dấu '-' sau chữ số thứ 10",
    en: "The 13-digit tax code {value} should be written with '-' after the 10th digit",
    severity: "warning",
  },
  TAX_CODE_PERSONAL_ID_NOT_IN_FORCE: {
    vi: "Số định danh cá nhân {value} chỉ được dùng thay mã số thuế từ ngày 01/07/2025; ngày {date} trước đó",
    en: "A personal ID number ({value}) stands as the tax code only from 2025-07-01; {date} is earlier",
  },
  PERSONAL_ID_FORMAT: {
    vi: "Số định danh cá nhân {value} phải gồm 12 chữ số",
    en: "Personal ID number {value} must be 12 digits",
  },
  PERSONAL_ID_PROVINCE: {
    vi: "Số định danh cá nhân {value} có mã tỉnh {province} không hợp lệ (001–096)",
    en: "Personal ID number {value} has an invalid province code {province} (001–096)",
  },
});

const TAX_CODE_RE = /^(\d{10})(?:-(\d{3}))?$/;
const DIGITS_13_RE = /^(\d{10})(\d{3})$/;
const PERSONAL_ID_RE = /^\d{12}$/;
const WEIGHTS = [31, 29, 23, 19, 17, 13, 7, 5, 3];

/** The check digit for the first nine digits of an MST; undefined when none exists (remainder 0). */
export function taxCodeCheckDigit(firstNine: string): number | undefined {
  if (firstNine.length !== 9) return undefined;
  let sum = 0;
  for (let i = 0; i < 9; i++) {
    const d = firstNine.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return undefined;
    sum += d * WEIGHTS[i]!;
  }
  const r = sum % 11;
  return r === 0 ? undefined : 10 - r;
}

/** True when the first ten characters are digits whose tenth is the check digit of the first nine. */
export function hasValidCheckDigit(code: string): boolean {
  const check = taxCodeCheckDigit(code.slice(0, 9));
  return check !== undefined && code.charCodeAt(9) - 48 === check;
}

export type TaxCodeKind = "enterprise" | "branch" | "personal-id";

export interface ParsedTaxCode {
  readonly kind: TaxCodeKind;
  /** The 10 digits of the enterprise (or the 12 of a personal ID). */
  readonly base: string;
  /** The 3 digits of a dependent unit. */
  readonly branch: string | undefined;
  /** As written on invoices: `0100109106-001`. */
  readonly normalized: string;
  /** As written in sender codes: `0100109106001`. */
  readonly compact: string;
}

/** Reads the shape of a tax code (10, 10-3, 13 or 12 digits); no check digit or date rule is applied. */
export function parseTaxCode(code: string): ParsedTaxCode | undefined {
  const m = TAX_CODE_RE.exec(code) ?? DIGITS_13_RE.exec(code);
  if (m) {
    const base = m[1]!;
    const branch = m[2];
    if (branch === undefined) return { kind: "enterprise", base, branch, normalized: base, compact: base };
    return { kind: "branch", base, branch, normalized: `${base}-${branch}`, compact: base + branch };
  }
  if (PERSONAL_ID_RE.test(code)) {
    return { kind: "personal-id", base: code, branch: undefined, normalized: code, compact: code };
  }
  return undefined;
}

/** Writes a 13-digit code with its dash (`0100109106001` → `0100109106-001`); trims; leaves anything else. */
export function normalizeTaxCode(code: string): string {
  const t = code.trim();
  const m = DIGITS_13_RE.exec(t);
  return m ? `${m[1]}-${m[2]}` : t;
}

/** Removes the dash of a branch code, as sender codes and message ids need (`V0100109106001`). */
export function compactTaxCode(code: string): string {
  const m = TAX_CODE_RE.exec(code);
  return m?.[2] ? m[1]! + m[2] : code;
}

export interface TaxCodeOptions {
  /** The invoice's (or document's) date: decides whether a 12-digit personal ID may stand as tax code. */
  readonly date?: string;
}

/**
 * Checks an MST as written in a document: `NNNNNNNNNN` or `NNNNNNNNNN-NNN` with a right check digit; a
 * 12-digit personal ID number when `options.date` is on or after 2025-07-01. Without a date a 12-digit value
 * is refused (format).
 */
export function validateTaxCode(code: string, path: string, options?: TaxCodeOptions): Problem[] {
  const parsed = parseTaxCode(code);
  if (!parsed) return [makeProblem(taxCodeCodes, "TAX_CODE_FORMAT", path, { value: code })];
  if (parsed.kind === "personal-id") {
    const date = options?.date;
    if (date === undefined || !isDate(date)) {
      return [makeProblem(taxCodeCodes, "TAX_CODE_FORMAT", path, { value: code })];
    }
    if (!rulesOn(date).personalIdAsTaxCode) {
      return [makeProblem(taxCodeCodes, "TAX_CODE_PERSONAL_ID_NOT_IN_FORCE", path, { value: code, date })];
    }
    return validatePersonalId(code, path);
  }
  const problems: Problem[] = [];
  if (!hasValidCheckDigit(parsed.base)) {
    problems.push(makeProblem(taxCodeCodes, "TAX_CODE_CHECK_DIGIT", path, { value: code }));
  }
  if (parsed.branch === "000") {
    problems.push(makeProblem(taxCodeCodes, "TAX_CODE_BRANCH_ZERO", path, { value: code }));
  }
  if (parsed.branch !== undefined && code.length === 13) {
    problems.push(makeProblem(taxCodeCodes, "TAX_CODE_BRANCH_DASH", path, { value: code }));
  }
  return problems;
}

/** True when `validateTaxCode` finds no error (warnings allowed). */
export function isTaxCode(code: string, options?: TaxCodeOptions): boolean {
  return validateTaxCode(code, "", options).every((p) => p.severity !== "error");
}

export interface ParsedPersonalId {
  /** Province code of birth registration, "001"–"096". */
  readonly province: string;
  readonly sex: "male" | "female";
  /** Full birth year (century from the 4th digit, year from the 5th and 6th). */
  readonly birthYear: number;
}

/** Reads a 12-digit personal ID number; undefined when the shape or the province code is wrong. */
export function parsePersonalId(id: string): ParsedPersonalId | undefined {
  if (!PERSONAL_ID_RE.test(id)) return undefined;
  const province = id.slice(0, 3);
  const p = Number(province);
  if (p < 1 || p > 96) return undefined;
  const g = id.charCodeAt(3) - 48;
  return {
    province,
    sex: g % 2 === 0 ? "male" : "female",
    birthYear: 1900 + Math.floor(g / 2) * 100 + Number(id.slice(4, 6)),
  };
}

/** Checks a personal ID number (buyer CCCDan, or a 12-digit tax code): 12 digits, province 001–096. */
export function validatePersonalId(id: string, path: string): Problem[] {
  if (!PERSONAL_ID_RE.test(id)) return [makeProblem(taxCodeCodes, "PERSONAL_ID_FORMAT", path, { value: id })];
  if (!parsePersonalId(id)) {
    return [makeProblem(taxCodeCodes, "PERSONAL_ID_PROVINCE", path, { value: id, province: id.slice(0, 3) })];
  }
  return [];
}
