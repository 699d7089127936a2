import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { isAuthorityCode, MCCQT_LENGTH, makeAuthorityCode } from "./mccqt.ts";

const secret = Buffer.from("an authority secret of 32 bytes!");
const input = {
  sellerTaxCode: "0100109106",
  template: "1",
  series: "C26TAA",
  number: "1",
  messageId: "V0101300842A1B2C3D4E5F6A7B8C9D0E1F2A3B4C5D6",
};

describe("MCCQT", () => {
  it("is the issuer and 32 uppercase hex digits, 34 characters, the same for the same input", () => {
    const code = makeAuthorityCode(secret, "00", input);
    expect(code).toHaveLength(MCCQT_LENGTH);
    expect(code).toMatch(/^00[0-9A-F]{32}$/);
    expect(makeAuthorityCode(secret, "00", input)).toBe(code);
    expect(isAuthorityCode(code)).toBe(true);
  });

  it("changes with the secret, the issuer, every field and the retry attempt", () => {
    const base = makeAuthorityCode(secret, "00", input);
    expect(makeAuthorityCode(Buffer.from("another secret, also 32 bytes!!!"), "00", input)).not.toBe(base);
    expect(makeAuthorityCode(secret, "A1", input).slice(0, 2)).toBe("A1");
    for (const key of Object.keys(input) as (keyof typeof input)[]) {
      expect(makeAuthorityCode(secret, "00", { ...input, [key]: `${input[key]}9` })).not.toBe(base);
    }
    expect(makeAuthorityCode(secret, "00", input, 1)).not.toBe(base);
  });

  it("gives distinct well-formed codes to distinct invoice numbers", () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.integer({ min: 1, max: 99_999_999 }), { minLength: 2, maxLength: 50 }),
        (ns) => {
          const codes = ns.map((n) => makeAuthorityCode(secret, "00", { ...input, number: String(n) }));
          expect(new Set(codes).size).toBe(ns.length);
          for (const c of codes) expect(isAuthorityCode(c)).toBe(true);
        },
      ),
    );
  });

  it("refuses a bad issuer and a short secret (configuration bugs)", () => {
    expect(() => makeAuthorityCode(secret, "0", input)).toThrow(RangeError);
    expect(() => makeAuthorityCode(secret, "ab", input)).toThrow(RangeError);
    expect(() => makeAuthorityCode(Buffer.from("short"), "00", input)).toThrow(RangeError);
    expect(isAuthorityCode(`00${"g".repeat(32)}`)).toBe(false);
  });
});
