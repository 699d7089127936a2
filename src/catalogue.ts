/**
 * The catalogue of every error code hddt can report: each code set, declared next to its rules, is listed
 * here once. `docs/error-codes.md` is generated from it (`npx tsx scripts/error-codes.ts`), and a test keeps
 * the two in step and the codes unique.
 */

import { apiCodes } from "./api/codes.ts";
import { authorityCodes } from "./authority/codes.ts";
import { cliCodes } from "./cli/codes.ts";
import { identifierCodes, symbolCodes } from "./domain/codes.ts";
import { dateCodes } from "./domain/dates.ts";
import { moneyCodes } from "./domain/money.ts";
import type { CodeSet } from "./domain/problem.ts";
import { taxCodeCodes } from "./domain/taxcode.ts";
import { invoiceRuleCodes } from "./domain/validate.ts";
import { vatRateCodes } from "./domain/vat.ts";
import { excelCodes } from "./excel/codes.ts";
import { documentCodes } from "./format/document.ts";
import { envelopeCodes } from "./format/envelope.ts";
import { adjustmentListCodes } from "./format/forms/adjustment-list.ts";
import { formCommonCodes } from "./format/forms/common.ts";
import { errorNoticeCodes } from "./format/forms/error-notice.ts";
import { formLimitCodes } from "./format/forms/limits.ts";
import { lookupReplyCodes } from "./format/forms/lookup-reply.ts";
import { receiptCodes } from "./format/forms/receipt.ts";
import { registrationCodes } from "./format/forms/registration.ts";
import { summaryTableCodes } from "./format/forms/summary-table.ts";
import { invoiceFormatCodes } from "./format/invoice.ts";
import { portalJsonCodes } from "./format/portal-json.ts";
import { xmlCodes } from "./format/xml.ts";
import { notifyCodes } from "./notify/codes.ts";
import { portalCodes } from "./portal/codes.ts";
import { conversionCodes } from "./render/conversion.ts";
import { archiveCodes } from "./seller/archive-codes.ts";
import { sellerCodes } from "./seller/codes.ts";
import { correctionCodes } from "./seller/corrections.ts";
import { loginCodes } from "./seller/logins.ts";
import { reportCodes } from "./seller/reports.ts";
import { signingCodes } from "./signing/codes.ts";
import { storeCodes } from "./store/errors.ts";
import { tvanCodes } from "./transmission/tvan.ts";
import { transportCodes } from "./transport/codes.ts";

export interface CatalogueSection {
  /** Where the codes are raised. */
  readonly area: string;
  readonly codes: CodeSet;
}

export const CATALOGUE: readonly CatalogueSection[] = [
  { area: "XML reading", codes: xmlCodes },
  { area: "Documents", codes: documentCodes },
  { area: "Invoice format", codes: invoiceFormatCodes },
  { area: "Invoice rules", codes: invoiceRuleCodes },
  { area: "Symbols (template, series)", codes: symbolCodes },
  { area: "Identifiers (MCCQT, cash-register code, message ids)", codes: identifierCodes },
  { area: "Tax codes", codes: taxCodeCodes },
  { area: "VAT rates", codes: vatRateCodes },
  { area: "Amounts", codes: moneyCodes },
  { area: "Dates", codes: dateCodes },
  { area: "Envelope (TDiep)", codes: envelopeCodes },
  { area: "Forms: common", codes: formCommonCodes },
  { area: "Forms: lengths", codes: formLimitCodes },
  { area: "Registration forms", codes: registrationCodes },
  { area: "Receipts and reconciliation", codes: receiptCodes },
  { area: "T-VAN lookup replies", codes: lookupReplyCodes },
  { area: "Error notices", codes: errorNoticeCodes },
  { area: "Summary tables", codes: summaryTableCodes },
  { area: "Adjustment lists", codes: adjustmentListCodes },
  { area: "Portal JSON", codes: portalJsonCodes },
  { area: "Signatures", codes: signingCodes },
  { area: "Storage", codes: storeCodes },
  { area: "Transport and outbox", codes: transportCodes },
  { area: "T-VAN service", codes: tvanCodes },
  { area: "Tax authority", codes: authorityCodes },
  { area: "Seller archive", codes: archiveCodes },
  { area: "Seller", codes: sellerCodes },
  { area: "Sign-in", codes: loginCodes },
  { area: "Seller corrections", codes: correctionCodes },
  { area: "Seller reports", codes: reportCodes },
  { area: "E-mail and webhooks", codes: notifyCodes },
  { area: "Conversion to paper", codes: conversionCodes },
  { area: "Excel import", codes: excelCodes },
  { area: "HTTP API", codes: apiCodes },
  { area: "Web portal", codes: portalCodes },
  { area: "Command line", codes: cliCodes },
];

/** Renders the catalogue as the Markdown page `docs/error-codes.md`. */
export function catalogueMarkdown(): string {
  const out: string[] = [
    "# Error codes",
    "",
    "Every code hddt reports, by area. Generated from `src/catalogue.ts` by `npx tsx scripts/error-codes.ts`;",
    "do not edit by hand. `{name}` marks a value filled in from the problem's parameters.",
    "",
  ];
  for (const section of CATALOGUE) {
    out.push(`## ${section.area}`, "", "| code | severity | English | Tiếng Việt |", "|---|---|---|---|");
    for (const [code, def] of Object.entries(section.codes)) {
      const cell = (s: string) => s.replace(/\|/g, "\\|");
      out.push(`| \`${code}\` | ${def.severity ?? "error"} | ${cell(def.en)} | ${cell(def.vi)} |`);
    }
    out.push("");
  }
  return out.join("\n");
}
