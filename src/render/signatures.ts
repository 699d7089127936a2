/** What a signature box on the printed invoice shows, and how it is made from a verification report. */
import type { SignatureReport, SignatureRole } from "../signing/verify.ts";

export interface SignatureSummary {
  readonly role: SignatureRole;
  /** Who signed: the certificate's common name (or its whole subject). */
  readonly signer: string;
  /** Signing time as an instant (ISO 8601), when the signature carries one. */
  readonly signingTime?: string | undefined;
  /** Every check passed (digests, signature value, certificate at signing time, chain when checked). */
  readonly valid: boolean;
  /** Made with a test certificate: printed as TEST, of no legal value. */
  readonly test: boolean;
}

function commonName(subject: string): string {
  // Subjects are printed "CN=…, O=…" (RFC 4514 order may put CN last); take the CN wherever it is.
  const m = /(?:^|,\s*)CN=((?:\\.|[^,\\])*)/.exec(subject);
  return m ? m[1]!.replace(/\\(.)/g, "$1").trim() : subject;
}

/** The boxes of `verifyDocument`'s reports, one per signature. */
export function summariseSignatures(reports: readonly SignatureReport[]): SignatureSummary[] {
  return reports.map((r) => ({
    role: r.role,
    signer: r.subject ? commonName(r.subject) : "",
    signingTime: r.signingTime ?? undefined,
    valid: r.valid,
    test: r.testCertificate,
  }));
}
