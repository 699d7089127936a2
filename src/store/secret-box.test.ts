import { randomBytes } from "node:crypto";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { plainSecrets, SecretBox } from "./secret-box.ts";

describe("SecretBox", () => {
  const box = new SecretBox(randomBytes(32));

  it("gives back any secret it sealed, and never the secret itself in the sealed form", () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1, maxLength: 200 }), (secret) => {
        const sealed = box.seal(secret);
        expect(sealed.startsWith("sb1:")).toBe(true);
        expect(sealed).not.toContain(secret.length >= 4 ? secret : "\u0000never");
        expect(box.open(sealed)).toBe(secret);
      }),
    );
  });

  it("refuses a sealed value that was altered or sealed under another key", () => {
    const sealed = box.seal("whsec_abcdefghijklmnop");
    const raw = Buffer.from(sealed.slice(4), "base64url");
    raw[14] = (raw[14] ?? 0) ^ 1;
    expect(() => box.open(`sb1:${raw.toString("base64url")}`)).toThrow();
    expect(() => new SecretBox(randomBytes(32)).open(sealed)).toThrow();
  });

  it("reads a value written before sealing as plain text", () => {
    expect(box.open("whsec_plain_old_secret")).toBe("whsec_plain_old_secret");
    expect(plainSecrets.open(plainSecrets.seal("x"))).toBe("x");
  });
});
