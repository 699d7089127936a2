/**
 * `hddt check FILE...`: reads each file (an invoice, a message, a form or notice, a portal JSON record),
 * checks it against the format and the rules of its date, and reports one JSON object per file:
 * `{file, kind, version, valid, errors:[{code, path, message, messageVi, severity}], signatures:[…]}`.
 * Exit status: 0 when all files are valid, 1 when any is not, 2 when a file cannot be read at all.
 */
import { readFile } from "node:fs/promises";
import { makeProblem, type Problem } from "../domain/problem.ts";
import { validateInvoice } from "../domain/validate.ts";
import { readDocument } from "../format/document.ts";
import { cliCodes } from "./codes.ts";

export interface CheckedProblem {
  code: string;
  path: string;
  message: string;
  messageVi: string;
  severity: "error" | "warning";
}

export interface CheckReport {
  file: string;
  kind: string;
  version: string | null;
  valid: boolean;
  /** True when the file could not be read as a document at all (exit status 2). */
  unreadable: boolean;
  errors: CheckedProblem[];
  signatures: unknown[];
}

/** Signature verification, plugged in by the signing module (kept out of this file's imports). */
export type SignatureChecker = (
  xml: string,
  context: { sellerTaxCode?: string },
) => Promise<SignatureCheck[]>;
export interface SignatureCheck {
  valid: boolean;
  problems: Problem[];
  [key: string]: unknown;
}

export interface CheckOptions {
  verifySignatures?: SignatureChecker;
}

function toChecked(p: Problem, mapPath: (p: string) => string = (x) => x): CheckedProblem {
  return {
    code: p.code,
    path: mapPath(p.path),
    message: p.message,
    messageVi: p.messageVi,
    severity: p.severity,
  };
}

/** Checks one document given as bytes. */
export async function checkDocument(
  file: string,
  bytes: Uint8Array,
  options: CheckOptions = {},
): Promise<CheckReport> {
  const doc = readDocument(bytes);
  const report: CheckReport = {
    file,
    kind: doc.kind,
    version: doc.version ?? null,
    valid: false,
    unreadable: doc.unreadable,
    errors: doc.problems.map((p) => toChecked(p)),
    signatures: [],
  };
  if (doc.unreadable) return report;

  // Business rules for each invoice the document carries (an HDon, or HDon inside a message).
  for (const { invoice, pathOf } of doc.invoices) {
    const stage = invoice.authorityCode !== undefined ? "coded" : "received";
    for (const p of validateInvoice(invoice, { stage })) report.errors.push(toChecked(p, pathOf));
  }

  if (options.verifySignatures && doc.xml !== undefined) {
    const sellerTaxCode = doc.invoices[0]?.invoice.seller.taxCode;
    const checks = await options.verifySignatures(doc.xml, sellerTaxCode ? { sellerTaxCode } : {});
    report.signatures = checks;
    for (const c of checks) for (const p of c.problems) report.errors.push(toChecked(p));
  }
  report.valid = !report.errors.some((e) => e.severity === "error");
  return report;
}

/** Reads and checks files; returns the reports and the exit status. */
export async function checkFiles(
  files: string[],
  options: CheckOptions = {},
): Promise<{ reports: CheckReport[]; status: number }> {
  const reports: CheckReport[] = [];
  let status = 0;
  for (const file of files) {
    let bytes: Uint8Array;
    try {
      bytes = await readFile(file);
    } catch (e) {
      const p = makeProblem(cliCodes, "FILE_UNREADABLE", "/", {
        reason: (e as NodeJS.ErrnoException).code ?? "EIO",
      });
      reports.push({
        file,
        kind: "unknown",
        version: null,
        valid: false,
        unreadable: true,
        errors: [toChecked(p)],
        signatures: [],
      });
      status = 2;
      continue;
    }
    const r = await checkDocument(file, bytes, options);
    reports.push(r);
    if (r.unreadable) status = 2;
    else if (!r.valid && status === 0) status = 1;
  }
  return { reports, status };
}
