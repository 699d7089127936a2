/**
 * The real signed files in test/fixtures/real/ give the verdicts their README states: every signature valid
 * (SHA-1 and SHA-256, C14N with and without comments, the `#TimeStamp` reference with an enveloped transform,
 * `SignatureProperties xmlns=""`, Reference Type attributes, transform chains), except the VNPT file that its
 * publisher re-indented.
 */
import { describe, expect, it } from "vitest";
import { parseDom } from "../../src/signing/c14n.ts";
import { TrustStore } from "../../src/signing/trust.ts";
import { type SignatureReport, verifyDocument, verifyFull } from "../../src/signing/verify.ts";
import { fixture, testPki } from "./support.ts";

interface Expected {
  /** role:slot:algorithm of each signature, in document order. */
  readonly signatures: readonly string[];
  readonly taxCodes?: readonly (string | null)[];
}

const VALID: Record<string, Expected> = {
  "viettel-k23tac-1390239.xml": { signatures: ["seller:NBan:RSA-SHA1"], taxCodes: ["0104831030-091"] },
  "viettel-c22taa-3499.xml": {
    signatures: ["seller:NBan:RSA-SHA1", "authority:CQT:RSA-SHA256"],
    taxCodes: ["0201813710", null],
  },
  "gdt-test-tdiep202-ts24-c21tct-14.xml": {
    signatures: ["seller:NBan:RSA-SHA256", "authority:CQT:RSA-SHA256"],
    taxCodes: ["0106324653", null],
  },
  "tvan-ketquatracuu-20220112-999-102-khongtiepnhan.xml": { signatures: ["authority:CQT:RSA-SHA256"] },
  "tvan-ketquatracuu-20220117-999-102-103-khongchapnhan.xml": {
    signatures: ["authority:CQT:RSA-SHA256", "authority:TTCQT:RSA-SHA1", "authority:CQT:RSA-SHA256"],
  },
  "tbao-103-chapnhan-haiphong-20220104.xml": {
    signatures: ["authority:TTCQT:RSA-SHA256", "authority:CQT:RSA-SHA256"],
  },
  "bkav-c25tac-00001144.xml": {
    signatures: ["seller:NBan:RSA-SHA1", "authority:CQT:RSA-SHA256"],
    taxCodes: ["2700952079", null],
  },
  "bkav-c25tac-00001131-thaythe.xml": { signatures: ["seller:NBan:RSA-SHA1", "authority:CQT:RSA-SHA256"] },
  "bkav-c23tms-00000103.xml": {
    signatures: ["seller:NBan:RSA-SHA1", "authority:CQT:RSA-SHA256"],
    taxCodes: ["0402143671", null],
  },
  "easyinvoice-c23taa-38.xml": {
    signatures: ["seller:NBan:RSA-SHA1", "authority:CQT:RSA-SHA256"],
    taxCodes: ["0309489918-003", null],
  },
  "fast-c23tah-56.xml": { signatures: ["seller:NBan:RSA-SHA1", "authority:CQT:RSA-SHA256"] },
  "asia-tdiep202-c23tvh-9.xml": {
    signatures: ["seller:NBan:RSA-SHA1", "authority:CQT:RSA-SHA256"],
    taxCodes: ["2700842301", null],
  },
  "asia-tdiep202-c23tvt-5.xml": { signatures: ["seller:NBan:RSA-SHA1", "authority:CQT:RSA-SHA256"] },
  "vninvoice-vnpay-test-k23tll-226.xml": {
    signatures: ["seller:NBan:RSA-SHA1"],
    taxCodes: ["0102182292-998"],
  },
};

const errors = (r: SignatureReport) => r.problems.filter((p) => p.severity === "error").map((p) => p.code);
const shape = (r: SignatureReport) => `${r.role}:${r.slot}:${r.algorithm}`;

describe("real signed files", () => {
  it.each(Object.entries(VALID))("%s: every signature is valid", (file, expected) => {
    const reports = verifyDocument(fixture(file));
    expect(reports.map(shape)).toEqual(expected.signatures);
    for (const r of reports) {
      expect(errors(r)).toEqual([]);
      expect(r.valid).toBe(true);
      expect(r.references.every((ref) => ref.digestOk)).toBe(true);
      expect(r.signingTime).not.toBeNull();
      expect(r.chainTrusted).toBeNull();
    }
    if (expected.taxCodes) expect(reports.map((r) => r.taxCode)).toEqual(expected.taxCodes);
  });

  it("accepts the enveloped transform on Viettel's #TimeStamp reference as a no-op, as .NET does", () => {
    const [seller] = verifyDocument(fixture("viettel-k23tac-1390239.xml"));
    expect(seller!.references.map((r) => [r.uri, r.element, r.digestOk])).toEqual([
      ["#017be399-080c-42ab-9483-1ad139112e7f", "DLHDon", true],
      ["#TimeStamp", "Object", true],
    ]);
    expect(seller!.signingTime).toBe("2023-08-02T02:32:18.000Z");
  });

  it("reads a C14N-with-comments SignedInfo (BKAV) and reports it", () => {
    const [seller] = verifyDocument(fixture("bkav-c23tms-00000103.xml"));
    expect(seller!.canonicalization).toBe("C14N#WithComments");
    expect(seller!.valid).toBe(true);
  });

  it("follows the exclusive-then-inclusive transform chain of VN-Invoice", () => {
    const [seller] = verifyDocument(fixture("vninvoice-vnpay-test-k23tll-226.xml"));
    expect(seller!.references).toHaveLength(2);
    expect(seller!.valid).toBe(true);
    expect(seller!.testCertificate).toBe(true);
  });

  it("refuses trust to VN-Invoice's self-signed test certificate once a trust store is used", async () => {
    const { ca } = await testPki();
    const [seller] = verifyDocument(fixture("vninvoice-vnpay-test-k23tll-226.xml"), {
      trust: new TrustStore().addRoot(ca.certificate),
    });
    expect(seller!.chainTrusted).toBe(false);
    expect(errors(seller!)).toEqual(["SIG_UNTRUSTED_CHAIN"]);
  });

  it("reports the tax authority's chain as untrusted when its root is not in the trust store", async () => {
    const [, cqt] = verifyDocument(fixture("viettel-c22taa-3499.xml"), { trust: new TrustStore() });
    expect(cqt!.chainTrusted).toBe(false);
    expect(errors(cqt!)).toEqual(["SIG_UNTRUSTED_CHAIN"]);
  });

  it("checks certificate validity at the signing time, not today (the certificates have long expired)", () => {
    const [seller] = verifyDocument(fixture("viettel-c22taa-3499.xml"), {
      now: new Date("2030-01-01T00:00:00Z"),
    });
    expect(seller!.valid).toBe(true);
    expect(new Date(seller!.notAfter!).getTime()).toBeLessThan(Date.now());
  });

  it("finds the VNPT file re-indented by its publisher invalid: both digests and the value fail", () => {
    const [seller] = verifyDocument(fixture("vnpt-k25tek-5082-reformatted.xml"));
    expect(seller!.valid).toBe(false);
    expect(errors(seller!)).toEqual([
      "SIG_DIGEST_MISMATCH",
      "SIG_DIGEST_MISMATCH",
      "SIG_BAD_SIGNATURE_VALUE",
    ]);
  });

  it("finds the VNPT signature valid once the whitespace-only text the publisher added is removed", () => {
    const doc = parseDom(fixture("vnpt-k25tek-5082-reformatted.xml"));
    const strip = (n: { childNodes: { length: number; item(i: number): unknown } }) => {
      for (let i = n.childNodes.length - 1; i >= 0; i--) {
        const c = n.childNodes.item(i) as {
          nodeType: number;
          data?: string;
          parentNode: { removeChild(x: unknown): void };
        };
        if (c.nodeType === 3 && /^\s*$/.test(c.data ?? "")) c.parentNode.removeChild(c);
        else if (c.nodeType === 1) strip(c as unknown as typeof n);
      }
    };
    strip(doc as unknown as Parameters<typeof strip>[0]);
    const xml = doc.toString();
    const [seller] = verifyDocument(xml);
    expect(errors(seller!)).toEqual([]);
    expect(seller!.taxCode).toBe("0102671977");
  });

  it("gives the same reports through the full path alone", () => {
    for (const file of Object.keys(VALID)) {
      const xml = fixture(file);
      expect(verifyFull(xml)).toEqual(verifyDocument(xml));
    }
  });
});
