import { describe, expect, it } from "vitest";
import type { SignatureReport } from "../signing/verify.ts";
import { summariseSignatures } from "./signatures.ts";

const report = (over: Partial<SignatureReport>): SignatureReport =>
  ({
    role: "seller",
    valid: true,
    subject: null,
    signingTime: null,
    testCertificate: false,
    ...over,
  }) as SignatureReport;

describe("summariseSignatures", () => {
  it("takes the common name wherever it sits in the subject, unescaping it", () => {
    const [a, b] = summariseSignatures([
      report({ subject: "CN=CÔNG TY A\\, CHI NHÁNH 1, O=A, UID=MST:0100109106" }),
      report({ subject: "UID=MST:0100109106, O=B, CN=CÔNG TY B", role: "buyer" }),
    ]);
    expect(a!.signer).toBe("CÔNG TY A, CHI NHÁNH 1");
    expect(b).toMatchObject({ role: "buyer", signer: "CÔNG TY B" });
  });

  it("carries validity, signing time and the test mark", () => {
    const [s] = summariseSignatures([
      report({
        subject: "CN=X",
        valid: false,
        signingTime: "2025-07-15T03:00:00.000Z",
        testCertificate: true,
      }),
    ]);
    expect(s).toEqual({
      role: "seller",
      signer: "X",
      signingTime: "2025-07-15T03:00:00.000Z",
      valid: false,
      test: true,
    });
  });
});
