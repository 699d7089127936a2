/**
 * Signatures of webhook requests, and their check for receivers.
 *
 * Every POST carries the header
 *
 *     hddt-signature: t=<unix seconds>,v1=<hex HMAC-SHA256>
 *
 * where the HMAC is computed with the subscription's secret (its UTF-8 bytes) over the bytes
 * `<t>.<body>`: the timestamp as written in the header, a full stop, then the request body exactly as
 * sent (UTF-8 JSON). Signing the timestamp with the body lets a receiver refuse a replayed request: check
 * that `t` is within a few minutes of your clock (default 5). While a secret is being rotated the header
 * may hold several `v1=` entries; one matching is enough.
 *
 * Receivers: compute the HMAC over the raw body (before any JSON parsing) and compare in constant time,
 * as `verifyWebhookSignature` does. Other headers sent: `hddt-event` (event name), `hddt-delivery`
 * (delivery id; the same on every retry of one delivery, to drop repeats), `hddt-event-id` (the event's id,
 * the same for every subscription it went to).
 */
import { createHmac, timingSafeEqual } from "node:crypto";
import { makeProblem, type Result } from "../domain/problem.ts";
import { type NotifyCode, notifyCodes } from "./codes.ts";

export const SIGNATURE_HEADER = "hddt-signature";
export const DEFAULT_SIGNATURE_TOLERANCE_SECONDS = 300;

function hmacHex(secret: string, timestamp: string, body: string | Uint8Array): string {
  const h = createHmac("sha256", secret);
  h.update(`${timestamp}.`);
  h.update(body);
  return h.digest("hex");
}

/** The header value for a body sent at `at` (whole seconds). */
export function signWebhook(secret: string, body: string | Uint8Array, at: Date): string {
  const t = String(Math.floor(at.getTime() / 1000));
  return `t=${t},v1=${hmacHex(secret, t, body)}`;
}

export interface VerifyOptions {
  /** The `hddt-signature` header as received (undefined if absent). */
  readonly header: string | undefined;
  /** The raw request body. */
  readonly body: string | Uint8Array;
  /** The subscription's secret, or several during a rotation. */
  readonly secret: string | readonly string[];
  /** The receiver's current time. */
  readonly now: Date;
  /** Largest allowed distance between `t` and `now`. Default 300 s. */
  readonly toleranceSeconds?: number;
}

/**
 * Checks a webhook request; gives the signed timestamp. Problems: WEBHOOK_SIGNATURE_MISSING,
 * WEBHOOK_SIGNATURE_MALFORMED, WEBHOOK_SIGNATURE_EXPIRED, WEBHOOK_SIGNATURE_MISMATCH.
 */
export function verifyWebhookSignature(options: VerifyOptions): Result<{ readonly timestamp: Date }> {
  const path = `/headers/${SIGNATURE_HEADER}`;
  const fail = (code: NotifyCode, params?: Record<string, string>): Result<never> => ({
    ok: false,
    problems: [makeProblem(notifyCodes, code, path, params)],
  });
  const header = options.header?.trim();
  if (!header) return fail("WEBHOOK_SIGNATURE_MISSING");
  let t: string | undefined;
  const v1: string[] = [];
  for (const part of header.split(",")) {
    const eq = part.indexOf("=");
    if (eq < 0) return fail("WEBHOOK_SIGNATURE_MALFORMED");
    const k = part.slice(0, eq).trim();
    const v = part.slice(eq + 1).trim();
    if (k === "t") t = v;
    else if (k === "v1") v1.push(v);
  }
  if (
    t === undefined ||
    !/^\d{1,12}$/.test(t) ||
    v1.length === 0 ||
    v1.some((s) => !/^[0-9a-f]{64}$/.test(s))
  )
    return fail("WEBHOOK_SIGNATURE_MALFORMED");
  const tolerance = options.toleranceSeconds ?? DEFAULT_SIGNATURE_TOLERANCE_SECONDS;
  const skew = Math.abs(Math.floor(options.now.getTime() / 1000) - Number(t));
  if (skew > tolerance)
    return fail("WEBHOOK_SIGNATURE_EXPIRED", { skew: String(skew), tolerance: String(tolerance) });
  const secrets = typeof options.secret === "string" ? [options.secret] : options.secret;
  for (const secret of secrets) {
    const expected = Buffer.from(hmacHex(secret, t, options.body), "hex");
    for (const given of v1)
      if (timingSafeEqual(expected, Buffer.from(given, "hex"))) {
        return { ok: true, value: { timestamp: new Date(Number(t) * 1000) } };
      }
  }
  return fail("WEBHOOK_SIGNATURE_MISMATCH");
}
