/**
 * The authority's invoice code (MCCQT), 34 characters:
 *
 *   issuer (2 characters, "00" by default, configurable per issuing system)
 *   + 32 uppercase hex digits = the first 16 bytes of HMAC-SHA256(secret, input)
 *
 * where input is `sellerTaxCode|template|series|number|messageId` in UTF-8, followed by `|attempt` when
 * attempt > 0. Keyed with a secret only the authority holds, the code cannot be guessed from the invoice
 * (128 bits of output). It is deterministic for one message, so the same 200 sent twice gives the same code
 * even before the duplicate is noticed. The column is unique: on the (2^-128-unlikely) collision with another
 * invoice's code the caller retries with attempt 1, 2, …
 */
import { createHmac } from "node:crypto";

export const MCCQT_LENGTH = 34;
const ISSUER = /^[0-9A-Z]{2}$/;
const CODE = /^[0-9A-Z]{2}[0-9A-F]{32}$/;

export interface CodeInput {
  readonly sellerTaxCode: string;
  readonly template: string;
  readonly series: string;
  readonly number: string;
  readonly messageId: string;
}

/** Makes an MCCQT. Throws a RangeError for a bad issuer or a secret shorter than 16 bytes (configuration bugs). */
export function makeAuthorityCode(secret: Uint8Array, issuer: string, input: CodeInput, attempt = 0): string {
  if (!ISSUER.test(issuer)) throw new RangeError(`MCCQT issuer must be 2 characters [0-9A-Z]: ${issuer}`);
  if (secret.length < 16) throw new RangeError("MCCQT secret must have at least 16 bytes");
  const h = createHmac("sha256", secret);
  h.update(`${input.sellerTaxCode}|${input.template}|${input.series}|${input.number}|${input.messageId}`);
  if (attempt > 0) h.update(`|${attempt}`);
  return issuer + h.digest("hex").slice(0, 32).toUpperCase();
}

/** True for a well-formed 34-character MCCQT. */
export function isAuthorityCode(s: string): boolean {
  return s.length === MCCQT_LENGTH && CODE.test(s);
}
