/**
 * Invoice symbols and identifiers: the template digit (KHMSHDon) and series (KHHDon) as the rules of a date
 * allow them, the older symbols a related invoice may carry, the 23-character cash-register code, the
 * 34-character tax-authority code (MCCQT), and the sender codes and message ids of the TDiep envelope.
 *
 * Sources (reference `vn-einvoice-spec.md`): §3 symbols (Circular 32/2025 Art 5 [primary], Circular 78/2021
 * Art 4), §4.1 MCCQT, §4.2 cash-register code (QĐ 1271 Part I [primary]), §5.1 envelope codes.
 */

import { isDate, yearOf } from "./dates.ts";
import type { TemplateDigit } from "./invoice.ts";
import { defineCodes, makeProblem, type Problem } from "./problem.ts";
import { RULE_TABLE, rulesOn } from "./rules.ts";

/** A text in both languages. */
export interface Bilingual {
  readonly vi: string;
  readonly en: string;
}

export const symbolCodes = defineCodes({
  TEMPLATE_FORMAT: {
    vi: "Ký hiệu mẫu số hóa đơn {value} phải là một chữ số từ 1 đến 9",
    en: "Template symbol {value} must be one digit from 1 to 9",
  },
  TEMPLATE_NOT_IN_FORCE: {
    vi: "Ký hiệu mẫu số {value} chưa có vào ngày {date} (được dùng: {allowed})",
    en: "Template digit {value} does not exist on {date} (allowed: {allowed})",
  },
  SERIES_FORMAT: {
    vi: "Ký hiệu hóa đơn {value} phải gồm 6 ký tự: C hoặc K, 2 chữ số năm, 1 chữ cái loại hóa đơn, 2 chữ cái",
    en: "Series {value} must be 6 characters: C or K, 2 year digits, a type letter, 2 letters",
  },
  SERIES_LETTER_NOT_IN_FORCE: {
    vi: "Chữ cái loại hóa đơn {letter} của ký hiệu {value} không được dùng vào ngày {date} (được dùng: {allowed})",
    en: "Type letter {letter} of series {value} is not allowed on {date} (allowed: {allowed})",
  },
  SERIES_YEAR_MISMATCH: {
    vi: "Năm {yy} trong ký hiệu {value} khác năm lập hóa đơn {year}",
    en: "Year {yy} in series {value} differs from the issue year {year}",
  },
  SERIES_MUST_BE_CODED: {
    vi: "Hóa đơn loại {letter} (ký hiệu {value}) phải là hóa đơn có mã (bắt đầu bằng C)",
    en: "Invoices of type {letter} (series {value}) carry a code: the series must start with C",
  },
  SERIES_TEMPLATE_MISMATCH: {
    vi: "Chữ cái loại {letter} của ký hiệu {value} không khớp mẫu số {template}",
    en: "Type letter {letter} of series {value} does not match template {template}",
    severity: "warning",
  },
  RELATED_TEMPLATE_FORMAT: {
    vi: "Ký hiệu mẫu số hóa đơn liên quan {value} không đúng định dạng (1 chữ số, hoặc mẫu cũ như 01GTKT0/001)",
    en: "Related template {value} is malformed (one digit, or an older form such as 01GTKT0/001)",
  },
  RELATED_SERIES_FORMAT: {
    vi: "Ký hiệu hóa đơn liên quan {value} không đúng định dạng (6 ký tự, hoặc ký hiệu cũ như AA/17E)",
    en: "Related series {value} is malformed (6 characters, or an older form such as AA/17E)",
  },
});

export const identifierCodes = defineCodes({
  CASH_REGISTER_CODE_FORMAT: {
    vi: "Mã hóa đơn máy tính tiền {value} phải có dạng M, mẫu số, -, hai số cuối của năm, -, 5 ký tự, -, 11 chữ số (ví dụ M2-25-A1B2C-00001234567)",
    en: "Cash-register code {value} must read M, the template digit, -, two digits of the year, -, 5 characters, -, 11 digits (e.g. M2-25-A1B2C-00001234567)",
  },
  CASH_REGISTER_CODE_TEMPLATE: {
    vi: "Mã máy tính tiền {value} ghi mẫu số {found}, hóa đơn có mẫu số {template}",
    en: "Cash-register code {value} carries template {found}, the invoice has template {template}",
  },
  CASH_REGISTER_CODE_TEMPLATE_NOT_IN_FORCE: {
    vi: "Mã máy tính tiền {value} ghi mẫu số {found} chưa có vào ngày {date}",
    en: "Cash-register code {value} carries template {found}, which does not exist on {date}",
  },
  CASH_REGISTER_CODE_YEAR: {
    vi: "Năm {yy} trong mã máy tính tiền {value} khác năm lập hóa đơn {year}",
    en: "Year {yy} in cash-register code {value} differs from the issue year {year}",
  },
  AUTHORITY_CODE_FORMAT: {
    vi: "Mã của cơ quan thuế {value} phải gồm 34 ký tự: 2 ký tự mã hệ thống cấp và 32 ký tự thập lục phân in hoa",
    en: "Authority code {value} must be 34 characters: a 2-character issuer and 32 uppercase hexadecimal digits",
  },
  SENDER_CODE_FORMAT: {
    vi: "Mã nơi gửi/nhận {value} phải là TCT, V hoặc K kèm mã số thuế, hoặc mã số thuế (10 hoặc 13 chữ số)",
    en: "Sender/receiver code {value} must be TCT, V or K followed by a tax code, or a tax code (10 or 13 digits)",
  },
  MESSAGE_ID_FORMAT: {
    vi: "Mã thông điệp {value} phải là mã nơi gửi kèm 32 ký tự thập lục phân in hoa",
    en: "Message id {value} must be the sender code followed by 32 uppercase hexadecimal digits",
  },
  MESSAGE_ID_SENDER: {
    vi: "Mã thông điệp {value} không bắt đầu bằng mã nơi gửi {sender}",
    en: "Message id {value} does not start with the sender code {sender}",
  },
});

// ——— Template and series ———

const TEMPLATE_RE = /^[1-9]$/;
const SERIES_RE = /^([CK])(\d{2})([A-Z])([A-Z]{2})$/;

/** What each template digit is (reference §3.1). */
export const TEMPLATE_MEANINGS: Readonly<Record<TemplateDigit, Bilingual>> = Object.freeze({
  "1": { vi: "Hóa đơn giá trị gia tăng", en: "VAT invoice" },
  "2": { vi: "Hóa đơn bán hàng", en: "sales invoice" },
  "3": { vi: "Hóa đơn bán tài sản công", en: "public-asset sale invoice" },
  "4": { vi: "Hóa đơn bán hàng dự trữ quốc gia", en: "national-reserve sale invoice" },
  "5": {
    vi: "Tem, vé, thẻ, phiếu thu điện tử hoặc hóa đơn điện tử khác",
    en: "other e-invoice (stamp, ticket, card, receipt)",
  },
  "6": {
    vi: "Phiếu xuất kho kiêm vận chuyển nội bộ hoặc phiếu xuất kho hàng gửi bán đại lý",
    en: "warehouse note (internal transfer or consignment)",
  },
  "7": { vi: "Hóa đơn thương mại điện tử", en: "electronic commercial invoice" },
  "8": {
    vi: "Hóa đơn giá trị gia tăng tích hợp biên lai thu thuế, phí, lệ phí",
    en: "VAT invoice with a tax/fee receipt",
  },
  "9": {
    vi: "Hóa đơn bán hàng tích hợp biên lai thu thuế, phí, lệ phí",
    en: "sales invoice with a tax/fee receipt",
  },
});

/** What each series type letter (position 4) is (reference §3.2). */
export const SERIES_LETTER_MEANINGS: Readonly<Record<string, Bilingual>> = Object.freeze({
  T: {
    vi: "do doanh nghiệp, tổ chức, hộ, cá nhân kinh doanh đăng ký sử dụng",
    en: "registered by an enterprise, organisation, household or individual",
  },
  D: {
    vi: "hóa đơn tài sản công, dự trữ quốc gia hoặc hóa đơn đặc thù không nhất thiết có một số tiêu thức",
    en: "public-asset, national-reserve or special invoice that may omit some fields",
  },
  L: {
    vi: "do cơ quan thuế cấp theo từng lần phát sinh",
    en: "issued by the tax authority for one occurrence",
  },
  M: { vi: "khởi tạo từ máy tính tiền", en: "generated from a cash register" },
  N: { vi: "phiếu xuất kho kiêm vận chuyển nội bộ", en: "internal transfer note" },
  B: { vi: "phiếu xuất kho hàng gửi bán đại lý", en: "consignment note" },
  G: { vi: "tem, vé, thẻ là hóa đơn giá trị gia tăng", en: "stamp, ticket or card that is a VAT invoice" },
  H: { vi: "tem, vé, thẻ là hóa đơn bán hàng", en: "stamp, ticket or card that is a sales invoice" },
  X: { vi: "hóa đơn thương mại điện tử", en: "electronic commercial invoice" },
  F: { vi: "hóa đơn giá trị gia tăng kiêm tờ khai hoàn thuế", en: "VAT invoice cum tax refund declaration" },
});

/** Every type letter any regime knows: without a usable date, a series is checked against these. */
const KNOWN_LETTERS: ReadonlySet<string> = new Set(RULE_TABLE.regimes.flatMap((r) => r.seriesLetters));

/** Letters whose invoices always carry a code: cash register (M) and per-occurrence invoices of the CQT (L). */
const CODED_LETTERS: ReadonlySet<string> = new Set(["M", "L"]);

/**
 * Letters tied to one template: N and B are the two warehouse notes of template 6, X is the commercial
 * invoice of template 7 (Circular 32 Art 5 defines each pair for the same document; the pairing itself is
 * not spelled out, hence a warning).
 */
const LETTER_TEMPLATE: Readonly<Record<string, TemplateDigit>> = { N: "6", B: "6", X: "7" };
const TEMPLATE_LETTERS: Readonly<Record<string, readonly string[]>> = { "6": ["N", "B"], "7": ["X"] };

export interface ParsedTemplate {
  readonly digit: TemplateDigit;
  readonly meaning: Bilingual;
}

/** Reads a template symbol (one digit 1–9); undefined otherwise. Whether it exists on a date: `validateTemplate`. */
export function parseTemplate(template: string): ParsedTemplate | undefined {
  if (!TEMPLATE_RE.test(template)) return undefined;
  const digit = template as TemplateDigit;
  return { digit, meaning: TEMPLATE_MEANINGS[digit] };
}

export interface ParsedSeries {
  /** C: the invoice carries the tax authority's code; K: it does not. */
  readonly coded: boolean;
  /** The two year digits as written. */
  readonly yy: string;
  /** 2000 + yy. */
  readonly year: number;
  /** Position 4: the type letter. */
  readonly letter: string;
  /** What the letter means; undefined for a letter no regime defines. */
  readonly letterMeaning: Bilingual | undefined;
  /** Positions 5–6, chosen by the seller ("YY" when not needed). */
  readonly free: string;
}

/** Reads a six-character series; undefined when the shape is wrong. Dated rules: `validateSeries`. */
export function parseSeries(series: string): ParsedSeries | undefined {
  const m = SERIES_RE.exec(series);
  if (!m) return undefined;
  const yy = m[2]!;
  const letter = m[3]!;
  return {
    coded: m[1] === "C",
    yy,
    year: 2000 + Number(yy),
    letter,
    letterMeaning: SERIES_LETTER_MEANINGS[letter],
    free: m[4]!,
  };
}

/**
 * Describes a symbol in both languages, e.g. `1C25TAA: VAT invoice with the authority's code, 2025,
 * registered by an enterprise, organisation, household or individual`. Undefined when either part is malformed.
 */
export function describeSymbol(template: string, series: string): Bilingual | undefined {
  const t = parseTemplate(template);
  const s = parseSeries(series);
  if (!t || !s) return undefined;
  const symbol = template + series;
  const letter = s.letterMeaning ?? { vi: `loại ${s.letter} (không rõ)`, en: `unknown type ${s.letter}` };
  return {
    vi: `${symbol}: ${t.meaning.vi} ${s.coded ? "có mã của cơ quan thuế" : "không có mã của cơ quan thuế"}, năm ${s.year}, ${letter.vi}`,
    en: `${symbol}: ${t.meaning.en} ${s.coded ? "with the authority's code" : "without the authority's code"}, ${s.year}, ${letter.en}`,
  };
}

/** Checks a template symbol: one digit, existing on `issueDate` (dated check skipped for a malformed date). */
export function validateTemplate(template: string, issueDate: string, path: string): Problem[] {
  if (!TEMPLATE_RE.test(template))
    return [makeProblem(symbolCodes, "TEMPLATE_FORMAT", path, { value: template })];
  if (!isDate(issueDate)) return [];
  const allowed = rulesOn(issueDate).templates as readonly string[];
  if (allowed.includes(template)) return [];
  return [
    makeProblem(symbolCodes, "TEMPLATE_NOT_IN_FORCE", path, {
      value: template,
      date: issueDate,
      allowed: allowed.join(", "),
    }),
  ];
}

/**
 * Checks a series: the shape, the type letter allowed on `issueDate`, the year digits equal to the issue
 * year, M and L series coded (C). With `template`, also the N/B ↔ 6 and X ↔ 7 pairing (warning). A
 * malformed date leaves only the shape and a letter no regime knows.
 */
export function validateSeries(
  series: string,
  issueDate: string,
  path: string,
  template?: string,
): Problem[] {
  const s = parseSeries(series);
  if (!s) return [makeProblem(symbolCodes, "SERIES_FORMAT", path, { value: series })];
  const problems: Problem[] = [];
  const dated = isDate(issueDate);
  if (dated) {
    const allowed = rulesOn(issueDate).seriesLetters;
    if (!allowed.includes(s.letter)) {
      problems.push(
        makeProblem(symbolCodes, "SERIES_LETTER_NOT_IN_FORCE", path, {
          value: series,
          letter: s.letter,
          date: issueDate,
          allowed: allowed.join(", "),
        }),
      );
    }
    const year = yearOf(issueDate);
    if (s.year !== year) {
      problems.push(
        makeProblem(symbolCodes, "SERIES_YEAR_MISMATCH", path, { value: series, yy: s.yy, year: `${year}` }),
      );
    }
  } else if (!KNOWN_LETTERS.has(s.letter)) {
    problems.push(makeProblem(symbolCodes, "SERIES_FORMAT", path, { value: series }));
  }
  if (!s.coded && CODED_LETTERS.has(s.letter)) {
    problems.push(
      makeProblem(symbolCodes, "SERIES_MUST_BE_CODED", path, { value: series, letter: s.letter }),
    );
  }
  if (template !== undefined && TEMPLATE_RE.test(template)) {
    const wanted = LETTER_TEMPLATE[s.letter];
    const letters = TEMPLATE_LETTERS[template];
    if (
      (wanted !== undefined && wanted !== template) ||
      (letters !== undefined && !letters.includes(s.letter))
    ) {
      problems.push(
        makeProblem(symbolCodes, "SERIES_TEMPLATE_MISMATCH", path, {
          value: series,
          letter: s.letter,
          template,
        }),
      );
    }
  }
  return problems;
}

/** Where `validateSymbol` reports, by default the invoice's TTChung elements. */
export interface SymbolPaths {
  readonly template: string;
  readonly series: string;
}

const DEFAULT_SYMBOL_PATHS: SymbolPaths = {
  template: "/HDon/DLHDon/TTChung/KHMSHDon",
  series: "/HDon/DLHDon/TTChung/KHHDon",
};

/** Checks template and series together against the rules of the issue date. */
export function validateSymbol(
  template: string,
  series: string,
  issueDate: string,
  paths: SymbolPaths = DEFAULT_SYMBOL_PATHS,
): Problem[] {
  return [
    ...validateTemplate(template, issueDate, paths.template),
    ...validateSeries(series, issueDate, paths.series, template),
  ];
}

// ——— Older symbols, as a related invoice (TTHDLQuan) may carry them ———

/**
 * Templates of Decree 51/04 invoices and of CQT-printed paper invoices: 2-digit type, 4 letters, copy count
 * (0 for e-invoices, 1–3 on paper), "/", 3-digit number (`01GTKT0/001`, `01GTKT3/001`); stamps, tickets and
 * cards: `01/` or `02/` and free text, 11 characters at most (reference §3.3, TT 32 Art 5.2).
 */
const LEGACY_TEMPLATE_RE = /^(?:\d{2}[A-Z]{4}\d\/\d{3}|0[12]\/[0-9A-Za-z./-]{1,8})$/;
/** Series of those invoices: optional 2-digit office code, 2 letters, "/", 2-digit year, E/T/P (`AA/17E`, `01AA/25P`). */
const LEGACY_SERIES_RE = /^(?:\d{2})?[A-Z]{2}\/\d{2}[EPT]$/;

export function isLegacyTemplate(template: string): boolean {
  return LEGACY_TEMPLATE_RE.test(template);
}

export function isLegacySeries(series: string): boolean {
  return LEGACY_SERIES_RE.test(series);
}

/**
 * Checks the template and series of a related invoice (TTHDLQuan/KHMSHDCLQuan, KHHDCLQuan): the current
 * forms or the older ones. No dated rule: the original may be of any regime.
 */
export function validateRelatedSymbol(template: string, series: string, paths: SymbolPaths): Problem[] {
  const problems: Problem[] = [];
  if (!TEMPLATE_RE.test(template) && !LEGACY_TEMPLATE_RE.test(template)) {
    problems.push(makeProblem(symbolCodes, "RELATED_TEMPLATE_FORMAT", paths.template, { value: template }));
  }
  if (!SERIES_RE.test(series) && !LEGACY_SERIES_RE.test(series)) {
    problems.push(makeProblem(symbolCodes, "RELATED_SERIES_FORMAT", paths.series, { value: series }));
  }
  return problems;
}

// ——— Cash-register code (QĐ 1271 Part I; reference §4.2) ———

const CASH_REGISTER_RE = /^M([1-9])-(\d{2})-([0-9A-Z]{5})-(\d{11})$/;
const AUTHORITY_BLOCK_RE = /^[0-9A-Z]{5}$/;
const SEQUENCE_LIMIT = 100_000_000_000n;

export interface CashRegisterCode {
  /** C2: the template digit. */
  readonly template: TemplateDigit;
  readonly yy: string;
  /** 2000 + yy. */
  readonly year: number;
  /** C5–C9: the five characters issued once by the tax authority. */
  readonly authorityBlock: string;
  /** C10–C20: the eleven digits the seller's software generates. */
  readonly sequence: string;
}

/** Reads `M{template}-{YY}-{5 chars}-{11 digits}` (23 characters); undefined when malformed. */
export function parseCashRegisterCode(code: string): CashRegisterCode | undefined {
  const m = CASH_REGISTER_RE.exec(code);
  if (!m) return undefined;
  const yy = m[2]!;
  return {
    template: m[1] as TemplateDigit,
    yy,
    year: 2000 + Number(yy),
    authorityBlock: m[3]!,
    sequence: m[4]!,
  };
}

export interface CashRegisterContext {
  /** The invoice's template digit (KHMSHDon). */
  readonly template?: string;
  /** The invoice's issue date (NLap). */
  readonly issueDate?: string;
}

/**
 * Checks a cash-register code: its shape, C2 equal to the invoice's template (or, without a template, a
 * digit that exists on the issue date), and YY equal to the issue year.
 */
export function validateCashRegisterCode(
  code: string,
  context: CashRegisterContext,
  path: string,
): Problem[] {
  const c = parseCashRegisterCode(code);
  if (!c) return [makeProblem(identifierCodes, "CASH_REGISTER_CODE_FORMAT", path, { value: code })];
  const problems: Problem[] = [];
  const { template, issueDate } = context;
  const dated = issueDate !== undefined && isDate(issueDate);
  if (template !== undefined) {
    if (template !== c.template) {
      problems.push(
        makeProblem(identifierCodes, "CASH_REGISTER_CODE_TEMPLATE", path, {
          value: code,
          found: c.template,
          template,
        }),
      );
    }
  } else if (dated && !(rulesOn(issueDate).templates as readonly string[]).includes(c.template)) {
    problems.push(
      makeProblem(identifierCodes, "CASH_REGISTER_CODE_TEMPLATE_NOT_IN_FORCE", path, {
        value: code,
        found: c.template,
        date: issueDate,
      }),
    );
  }
  if (dated && c.year !== yearOf(issueDate)) {
    problems.push(
      makeProblem(identifierCodes, "CASH_REGISTER_CODE_YEAR", path, {
        value: code,
        yy: c.yy,
        year: `${yearOf(issueDate)}`,
      }),
    );
  }
  return problems;
}

export interface CashRegisterCodeParts {
  readonly template: TemplateDigit;
  /** The full issue year (2025). */
  readonly year: number;
  /** The five characters the tax authority issued to the seller. */
  readonly authorityBlock: string;
  /** The seller's running number, 0 to 99 999 999 999. */
  readonly sequence: number | bigint;
}

/** Builds a cash-register code; throws RangeError for parts that cannot form one (a bug in the caller). */
export function makeCashRegisterCode(parts: CashRegisterCodeParts): string {
  const { template, year, authorityBlock } = parts;
  if (!TEMPLATE_RE.test(template)) throw new RangeError(`bad template ${template}`);
  if (!Number.isInteger(year) || year < 2000 || year > 2099) throw new RangeError(`bad year ${year}`);
  if (!AUTHORITY_BLOCK_RE.test(authorityBlock)) throw new RangeError(`bad authority block ${authorityBlock}`);
  const seq = BigInt(parts.sequence);
  if (seq < 0n || seq >= SEQUENCE_LIMIT) throw new RangeError(`sequence out of range: ${seq}`);
  return `M${template}-${String(year % 100).padStart(2, "0")}-${authorityBlock}-${seq.toString().padStart(11, "0")}`;
}

// ——— Tax-authority code, MCCQT (reference §4.1) ———

/**
 * The composition is not published. Every real code seen is "00" and 32 uppercase hexadecimal digits; the
 * first two characters are read as the issuing system (00 = the tax authority), so other alphanumeric
 * prefixes (organisations authorised to issue codes) are accepted and "00" is not hard-coded.
 */
const AUTHORITY_CODE_RE = /^[0-9A-Z]{2}[0-9A-F]{32}$/;

/** True for a 34-character tax-authority code. */
export function isAuthorityCode(code: string): boolean {
  return AUTHORITY_CODE_RE.test(code);
}

export function validateAuthorityCode(code: string, path: string): Problem[] {
  return AUTHORITY_CODE_RE.test(code)
    ? []
    : [makeProblem(identifierCodes, "AUTHORITY_CODE_FORMAT", path, { value: code })];
}

// ——— Envelope sender codes and message ids (reference §5.1) ———

/**
 * MNGui/MNNhan: "TCT" (the tax authority), "V" + MST (a T-VAN), "K" + MST (a taxpayer connecting directly),
 * or a plain MST between a T-VAN and a vendor (QĐ 1271 Part IV). MSTs without the dash: 10 or 13 digits.
 */
const SENDER_RE = /^(?:TCT|[VK]?\d{10}(?:\d{3})?)$/;
const HEX32_RE = /^[0-9A-F]{32}$/;
const MESSAGE_ID_RE = /^(?:TCT|[VK]?\d{10}(?:\d{3})?)[0-9A-F]{32}$/;

export type SenderKind = "authority" | "transmission" | "direct" | "taxpayer";

export interface SenderCode {
  readonly kind: SenderKind;
  /** The MST in the code (without dash); undefined for TCT. */
  readonly taxCode: string | undefined;
}

/** True for a valid MNGui/MNNhan. */
export function isSenderCode(code: string): boolean {
  return SENDER_RE.test(code);
}

/** Reads a sender code; undefined when malformed. */
export function parseSenderCode(code: string): SenderCode | undefined {
  if (!SENDER_RE.test(code)) return undefined;
  if (code === "TCT") return { kind: "authority", taxCode: undefined };
  const first = code[0];
  if (first === "V") return { kind: "transmission", taxCode: code.slice(1) };
  if (first === "K") return { kind: "direct", taxCode: code.slice(1) };
  return { kind: "taxpayer", taxCode: code };
}

export function validateSenderCode(code: string, path: string): Problem[] {
  return SENDER_RE.test(code)
    ? []
    : [makeProblem(identifierCodes, "SENDER_CODE_FORMAT", path, { value: code })];
}

/**
 * True for a message id (MTDiep): a sender code followed by 32 uppercase hexadecimal digits (a UUID without
 * dashes), 46 characters at most. With `senderCode`, the id must start with exactly that code.
 */
export function isMessageId(id: string, senderCode?: string): boolean {
  if (senderCode === undefined) return MESSAGE_ID_RE.test(id);
  return (
    id.length === senderCode.length + 32 &&
    id.startsWith(senderCode) &&
    SENDER_RE.test(senderCode) &&
    HEX32_RE.test(id.slice(senderCode.length))
  );
}

/** Checks a message id, and with `senderCode` that it belongs to that sender. */
export function validateMessageId(id: string, path: string, senderCode?: string): Problem[] {
  if (!MESSAGE_ID_RE.test(id))
    return [makeProblem(identifierCodes, "MESSAGE_ID_FORMAT", path, { value: id })];
  if (senderCode !== undefined && !isMessageId(id, senderCode)) {
    return [makeProblem(identifierCodes, "MESSAGE_ID_SENDER", path, { value: id, sender: senderCode })];
  }
  return [];
}

const UUID_RE = /^[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}$/;

/**
 * Makes a message id from a sender code and a UUID (the caller draws it, e.g. `crypto.randomUUID()`, so the
 * domain stays pure). Throws RangeError for a malformed sender or UUID (a bug in the caller).
 */
export function makeMessageId(senderCode: string, uuid: string): string {
  if (!SENDER_RE.test(senderCode)) throw new RangeError(`bad sender code ${senderCode}`);
  if (!UUID_RE.test(uuid)) throw new RangeError(`bad UUID ${uuid}`);
  return senderCode + uuid.replaceAll("-", "").toUpperCase();
}
