import { describe, expect, it } from "vitest";
import { authorityCodes, mloiOf } from "./codes.ts";

describe("authority codes", () => {
  it("use the same placeholders in Vietnamese and English", () => {
    const names = (t: string) => [...t.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();
    for (const [code, def] of Object.entries(authorityCodes))
      expect(names(def.vi), code).toEqual(names(def.en));
  });

  it("map each problem to a 4-character MLoi by check", () => {
    expect(mloiOf("ENVELOPE_BAD_TAX_CODE")).toBe("1001");
    expect(mloiOf("AUTHORITY_NOT_REGISTERED")).toBe("3001");
    expect(mloiOf("FORMAT_MISSING_ELEMENT")).toBe("3002");
    expect(mloiOf("INVOICE_REQUIRED")).toBe("3003");
    expect(mloiOf("AUTHORITY_TAXPAYER_STOPPED")).toBe("3004");
    expect(mloiOf("AUTHORITY_SELLER_SIGNATURE")).toBe("4001");
    for (const code of Object.keys(authorityCodes)) expect(mloiOf(code)).toMatch(/^\d{4}$/);
  });
});
