import { createHmac } from "node:crypto";
import { describe, expect, it } from "vitest";
import { signWebhook, verifyWebhookSignature } from "./webhook-signature.ts";

const SECRET = "whsec_unit_0123456789";
const BODY = '{"id":"e1","event":"invoice.coded","data":{"tên":"Hóa đơn"}}';
const AT = new Date("2026-03-01T03:00:00.400Z");

const codes = (r: { ok: boolean; problems?: readonly { code: string }[] }) =>
  r.ok ? [] : (r.problems ?? []).map((p) => p.code);

describe("webhook signatures", () => {
  it("signs HMAC-SHA256 of '<t>.<body>' with t in whole seconds, as documented for receivers", () => {
    const header = signWebhook(SECRET, BODY, AT);
    const expected = createHmac("sha256", SECRET).update(`1772334000.${BODY}`, "utf8").digest("hex");
    expect(header).toBe(`t=1772334000,v1=${expected}`);
    expect(signWebhook(SECRET, Buffer.from(BODY, "utf8"), AT)).toBe(header);
  });

  it("accepts the signature within the tolerance, from a string or the raw bytes", () => {
    const header = signWebhook(SECRET, BODY, AT);
    const now = new Date(AT.getTime() + 299_000);
    expect(verifyWebhookSignature({ header, body: BODY, secret: SECRET, now })).toEqual({
      ok: true,
      value: { timestamp: new Date("2026-03-01T03:00:00Z") },
    });
    expect(verifyWebhookSignature({ header, body: Buffer.from(BODY, "utf8"), secret: SECRET, now }).ok).toBe(
      true,
    );
  });

  it("refuses a missing, malformed, stale or wrong signature", () => {
    const header = signWebhook(SECRET, BODY, AT);
    const now = AT;
    const check = (h: string | undefined, body = BODY, secret: string | string[] = SECRET, at = now) =>
      codes(verifyWebhookSignature({ header: h, body, secret, now: at }));
    expect(check(undefined)).toEqual(["WEBHOOK_SIGNATURE_MISSING"]);
    expect(check("")).toEqual(["WEBHOOK_SIGNATURE_MISSING"]);
    expect(check("v1=abc")).toEqual(["WEBHOOK_SIGNATURE_MALFORMED"]);
    expect(check("t=1772334000")).toEqual(["WEBHOOK_SIGNATURE_MALFORMED"]);
    expect(check("t=1772334000,v1=XYZ")).toEqual(["WEBHOOK_SIGNATURE_MALFORMED"]);
    expect(check("garbage")).toEqual(["WEBHOOK_SIGNATURE_MALFORMED"]);
    expect(check(header, BODY, SECRET, new Date(AT.getTime() + 301_000))).toEqual([
      "WEBHOOK_SIGNATURE_EXPIRED",
    ]);
    expect(check(header, BODY, SECRET, new Date(AT.getTime() - 301_000))).toEqual([
      "WEBHOOK_SIGNATURE_EXPIRED",
    ]);
    expect(check(header, BODY.replace("Hóa", "Hoa"))).toEqual(["WEBHOOK_SIGNATURE_MISMATCH"]);
    expect(check(header, BODY, "another-secret-000000")).toEqual(["WEBHOOK_SIGNATURE_MISMATCH"]);
    // A replay with a new timestamp but the old MAC fails: the timestamp is signed.
    expect(check(header.replace("t=1772334000", "t=1772334001"))).toEqual(["WEBHOOK_SIGNATURE_MISMATCH"]);
  });

  it("accepts any of several secrets and any of several v1 entries (secret rotation)", () => {
    const oldSig = signWebhook("old-secret-0123456789", BODY, AT);
    const newSig = signWebhook(SECRET, BODY, AT);
    const both = `${newSig},v1=${oldSig.split("v1=")[1]}`;
    expect(
      verifyWebhookSignature({
        header: oldSig,
        body: BODY,
        secret: [SECRET, "old-secret-0123456789"],
        now: AT,
      }).ok,
    ).toBe(true);
    expect(
      verifyWebhookSignature({ header: both, body: BODY, secret: "old-secret-0123456789", now: AT }).ok,
    ).toBe(true);
  });
});
