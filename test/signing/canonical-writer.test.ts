/**
 * hddt's own writer emits canonical XML, which is why the seller signs its invoices with `assumeCanonical`
 * (no lexical check before hashing). This holds it to that: for arbitrary invoices, what `writeInvoice`
 * writes, signed that way, verifies on the full path (DOM and real C14N), and gives the same digest as a
 * signature made with the lexical check.
 */
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { writeInvoice } from "../../src/format/invoice.ts";
import { signAs } from "../../src/signing/profiles.ts";
import { TrustStore } from "../../src/signing/trust.ts";
import { verifyFull } from "../../src/signing/verify.ts";
import { invoiceArb } from "../support/invoices.ts";
import { type TestPki, testPki } from "./support.ts";

let pki: TestPki;
let trust: TrustStore;

beforeAll(async () => {
  pki = await testPki();
  trust = new TrustStore().addRoot(pki.ca.certificate);
});

const digests = (xml: string) => [...xml.matchAll(/<DigestValue>([^<]*)<\/DigestValue>/g)].map((m) => m[1]);

describe("invoices written by hddt are canonical", () => {
  it("sign with assumeCanonical into signatures the full C14N path verifies, with the checked path's digests", async () => {
    await fc.assert(
      fc.asyncProperty(invoiceArb, async (invoice) => {
        const xml = writeInvoice(invoice);
        const signingTime = new Date(Math.floor(Date.now() / 1000) * 1000);
        const fast = await signAs(xml, pki.sellerSigner, "seller", { assumeCanonical: true, signingTime });
        const checked = await signAs(xml, pki.sellerSigner, "seller", { signingTime });
        if (!fast.ok || !checked.ok)
          throw new Error(JSON.stringify([fast, checked].flatMap((r) => (r.ok ? [] : r.problems))));
        const reports = verifyFull(fast.value.xml, { trust, now: signingTime });
        // Only the cryptography is judged here: the arbitrary seller's tax code is not the certificate's.
        const errors = reports.flatMap((r) =>
          r.problems.filter((p) => p.severity === "error").map((p) => p.code),
        );
        expect(errors.filter((c) => c !== "SIG_TAX_CODE_MISMATCH")).toEqual([]);
        expect(reports).toHaveLength(1);
        expect(digests(fast.value.xml)).toEqual(digests(checked.value.xml));
      }),
      { numRuns: 60 },
    );
  }, 120_000);
});
