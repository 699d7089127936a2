import { beforeAll, describe, expect, it } from "vitest";
import { SignedXml } from "xml-crypto";
import {
  BUYER_TAX_CODE,
  cashRegisterMessage,
  foreignInvoice,
  registrationForm,
  SELLER_TAX_CODE,
  type TestPki,
  testPki,
  unsignedInvoice,
} from "../../test/signing/support.ts";
import { asCa, createCrl, createDevCa, issueCertificate } from "./dev-ca.ts";
import { signAs, specFor } from "./profiles.ts";
import { type SignatureSpec, signXml } from "./sign.ts";
import { memorySigner, type Signer } from "./signer.ts";
import { TrustStore } from "./trust.ts";
import { type SignatureReport, signatureChecker, verifyDocument, verifyFast, verifyFull } from "./verify.ts";

let pki: TestPki;
let trust: TrustStore;
let sellerSigned: string;

const DAY = 86_400_000;

beforeAll(async () => {
  pki = await testPki();
  trust = new TrustStore().addRoot(pki.ca.certificate);
  sellerSigned = await sign(unsignedInvoice(), pki.sellerSigner);
});

async function sign(xml: string, signer: Signer, spec?: Partial<SignatureSpec>): Promise<string> {
  const base = specFor(xml, "seller");
  if (!base.ok) throw new Error(JSON.stringify(base.problems));
  const r = await signXml(xml, signer, { ...base.value, ...spec });
  if (!r.ok) throw new Error(JSON.stringify(r.problems));
  return r.value.xml;
}

const codes = (r: SignatureReport | undefined) =>
  (r?.problems ?? []).filter((p) => p.severity === "error").map((p) => p.code);
const warnings = (r: SignatureReport | undefined) =>
  (r?.problems ?? []).filter((p) => p.severity === "warning").map((p) => p.code);

describe("a valid signature", () => {
  it("reports role, algorithms, subject, tax code, signing time, validity, chain and revocation", () => {
    const [r] = verifyDocument(sellerSigned, { trust });
    expect(r).toMatchObject({
      role: "seller",
      slot: "NBan",
      path: "/HDon/DSCKS/NBan/Signature",
      valid: true,
      algorithm: "RSA-SHA256",
      digest: "SHA-256",
      canonicalization: "C14N",
      taxCode: SELLER_TAX_CODE,
      chainTrusted: true,
      revoked: null,
      testCertificate: true,
    });
    expect(r!.subject).toContain(`UID=MST:${SELLER_TAX_CODE}`);
    expect(r!.notBefore).toBe(pki.seller.info.notBefore.toISOString());
    expect(warnings(r)).toEqual(["SIG_TEST_CERTIFICATE"]);
  });

  it("gives the same report through the fast path and the full path", () => {
    const fast = verifyFast(sellerSigned, { trust });
    expect(fast).toBeDefined();
    expect(fast).toEqual(verifyFull(sellerSigned, { trust }));
  });

  it("leaves documents not in canonical form to the full path", async () => {
    const foreign = await sign(foreignInvoice(), pki.sellerSigner);
    expect(verifyFast(foreign, { trust })).toBeUndefined();
    expect(verifyDocument(foreign, { trust })[0]!.valid).toBe(true);
  });

  it("does not check the chain without a trust store, and says so", () => {
    const [r] = verifyDocument(sellerSigned);
    expect([r!.valid, r!.chainTrusted, r!.revoked]).toEqual([true, null, null]);
  });

  it("can leave out the test-certificate warning", () => {
    expect(warnings(verifyDocument(sellerSigned, { trust, warnTestCertificates: false })[0])).toEqual([]);
  });

  it("finds no signature in an unsigned document", () => {
    expect(verifyDocument(unsignedInvoice())).toEqual([]);
  });
});

describe("content and signature value", () => {
  it("reports a change of the signed content as a digest mismatch", () => {
    const changed = sellerSigned.replace("<SLuong>4</SLuong>", "<SLuong>5</SLuong>");
    const [r] = verifyDocument(changed, { trust });
    expect(codes(r)).toEqual(["SIG_DIGEST_MISMATCH"]);
    expect(r!.problems[0]!.params).toEqual({ uri: "#DLHDon-C25TAC-00001144" });
  });

  it("reports a changed signing time as a digest mismatch of the signing-time object", () => {
    const changed = sellerSigned.replace(/<SigningTime>(\d{4})/, (_m, y) => `<SigningTime>${Number(y) - 1}`);
    const [r] = verifyDocument(changed, { trust });
    expect(codes(r)).toEqual(["SIG_DIGEST_MISMATCH"]);
    // A signing time whose object does not match its digest is not used.
    expect(r!.signingTime).toBeNull();
  });

  it("reports a signature value that does not verify", () => {
    const changed = sellerSigned.replace(
      /<SignatureValue>([A-Za-z0-9+/])/,
      (_m, c) => `<SignatureValue>${c === "A" ? "B" : "A"}`,
    );
    expect(codes(verifyDocument(changed, { trust })[0])).toEqual(["SIG_BAD_SIGNATURE_VALUE"]);
  });

  it("reports a changed SignedInfo as a bad signature value", () => {
    const changed = sellerSigned.replace(
      '<Reference URI="#DLHDon-C25TAC-00001144">',
      '<Reference URI="#DLHDon-C25TAC-00001144" Type="x">',
    );
    expect(codes(verifyDocument(changed, { trust })[0])).toEqual(["SIG_BAD_SIGNATURE_VALUE"]);
  });

  it("reports unsupported algorithms", () => {
    const changed = sellerSigned.replace(
      "http://www.w3.org/2001/04/xmlenc#sha256",
      "http://www.w3.org/2001/04/xmldsig-more#md5",
    );
    expect(codes(verifyDocument(changed, { trust })[0])).toContain("SIG_UNSUPPORTED_ALGORITHM");
    const xslt = sellerSigned.replace(
      "http://www.w3.org/2000/09/xmldsig#enveloped-signature",
      "http://www.w3.org/TR/1999/REC-xslt-19991116",
    );
    const r = verifyDocument(xslt, { trust })[0];
    expect(r!.problems.find((p) => p.code === "SIG_UNSUPPORTED_ALGORITHM")?.params).toEqual({
      algorithm: "http://www.w3.org/TR/1999/REC-xslt-19991116",
    });
  });

  it("reports a structure that is not XMLDSig, a missing certificate and an unreadable one", () => {
    const noSignedInfo = sellerSigned.replace(/<SignedInfo>.*<\/SignedInfo>/, "");
    expect(codes(verifyDocument(noSignedInfo)[0])).toContain("SIG_MALFORMED");
    const noCert = sellerSigned.replace(/<X509Certificate>[^<]*<\/X509Certificate>/, "");
    expect(codes(verifyDocument(noCert)[0])).toContain("SIG_NO_CERTIFICATE");
    const badCert = sellerSigned.replace(/<X509Certificate>[^<]*</, "<X509Certificate>AAAA<");
    expect(codes(verifyDocument(badCert)[0])).toContain("SIG_BAD_CERTIFICATE");
  });

  it("reports a document that is not XML, or has a DOCTYPE, as unreadable", () => {
    expect(codes(verifyDocument(sellerSigned.slice(0, -3))[0])).toEqual(["SIG_BAD_XML"]);
    expect(codes(verifyDocument(`<!DOCTYPE HDon [<!ENTITY x "y">]>${sellerSigned}`)[0])).toEqual([
      "SIG_BAD_XML",
    ]);
  });
});

describe("certificates", () => {
  it("reports a certificate that had expired, or was not yet valid, at the signing time", async () => {
    const cert = await issueCertificate(pki.ca, {
      name: "NGẮN HẠN",
      taxCode: SELLER_TAX_CODE,
      notBefore: new Date(Date.now() - 10 * DAY),
      notAfter: new Date(Date.now() - 5 * DAY),
    });
    const signer = memorySigner({ key: cert.key!, certificate: cert.certificate });
    const late = await sign(unsignedInvoice(), signer, { skipCertificateCheck: true });
    expect(codes(verifyDocument(late, { trust })[0])).toEqual(["SIG_CERT_EXPIRED", "SIG_UNTRUSTED_CHAIN"]);
    const early = await sign(unsignedInvoice(), signer, {
      skipCertificateCheck: true,
      signingTime: new Date(Date.now() - 20 * DAY),
    });
    expect(codes(verifyDocument(early)[0])).toEqual(["SIG_CERT_NOT_YET_VALID"]);
    const inTime = await sign(unsignedInvoice(), signer, {
      skipCertificateCheck: true,
      signingTime: new Date(Date.now() - 7 * DAY),
    });
    const [ok] = verifyDocument(inTime, { trust });
    expect([ok!.valid, ok!.chainTrusted]).toEqual([true, true]);
  });

  it("warns when the signing certificate expires within the configured days", async () => {
    const cert = await issueCertificate(pki.ca, {
      name: "SẮP HẾT HẠN",
      taxCode: SELLER_TAX_CODE,
      notAfter: new Date(Date.now() + 12 * DAY),
    });
    const xml = await sign(
      unsignedInvoice(),
      memorySigner({ key: cert.key!, certificate: cert.certificate }),
    );
    const [r] = verifyDocument(xml, { trust, warnTestCertificates: false });
    expect(warnings(r)).toEqual(["SIG_CERT_EXPIRING"]);
    expect(r!.valid).toBe(true);
    expect(
      warnings(verifyDocument(xml, { trust, warnTestCertificates: false, expiryWarningDays: 7 })[0]),
    ).toEqual([]);
  });

  it("reports a certificate whose tax code differs from the seller's", async () => {
    const xml = await sign(unsignedInvoice({ sellerTaxCode: "0100686209" }), pki.sellerSigner);
    const [r] = verifyDocument(xml, { trust });
    expect(codes(r)).toEqual(["SIG_TAX_CODE_MISMATCH"]);
    expect(r!.problems[0]!.params).toMatchObject({
      expected: "0100686209",
      actual: SELLER_TAX_CODE,
      party: "seller",
    });
    expect(r!.problems[0]!.messageVi).toContain("người bán");
  });

  it("compares the buyer's certificate with the buyer's tax code", async () => {
    const buyerSigned = await signAs(sellerSigned, pki.buyerSigner, "buyer");
    if (!buyerSigned.ok) throw new Error("sign");
    const [, buyer] = verifyDocument(buyerSigned.value.xml, { trust });
    expect([buyer!.role, buyer!.taxCode, codes(buyer)]).toEqual(["buyer", BUYER_TAX_CODE, []]);
  });

  it("warns when a seller's certificate carries no tax code", async () => {
    const cert = await issueCertificate(pki.ca, { name: "KHÔNG MST" });
    const xml = await sign(
      unsignedInvoice(),
      memorySigner({ key: cert.key!, certificate: cert.certificate }),
    );
    const [r] = verifyDocument(xml, { trust, warnTestCertificates: false });
    expect([r!.valid, warnings(r)]).toEqual([true, ["SIG_CERT_NO_TAX_CODE"]]);
  });

  it("accepts an expected tax code given by the caller instead of the document's", () => {
    const [r] = verifyDocument(sellerSigned, { trust, taxCodes: { seller: "0100686209" } });
    expect(codes(r)).toEqual(["SIG_TAX_CODE_MISMATCH"]);
  });
});

describe("chain of trust and revocation", () => {
  it("reports a certificate from a CA the trust store does not hold", async () => {
    const other = await createDevCa({ name: "hddt TEST Other CA" });
    const [r] = verifyDocument(sellerSigned, { trust: new TrustStore().addRoot(other.certificate) });
    expect([r!.chainTrusted, codes(r)]).toEqual([false, ["SIG_UNTRUSTED_CHAIN"]]);
    expect(r!.problems.find((p) => p.code === "SIG_UNTRUSTED_CHAIN")!.params!.reason).toContain(
      "no trusted issuer",
    );
  });

  it("builds a chain through an intermediate CA held in the trust store", async () => {
    const intermediate = await issueCertificate(pki.ca, { name: "hddt TEST Sub CA", isCA: true });
    const leaf = await issueCertificate(asCa(intermediate), {
      name: "QUA CA TRUNG GIAN",
      taxCode: SELLER_TAX_CODE,
    });
    const xml = await sign(
      unsignedInvoice(),
      memorySigner({ key: leaf.key!, certificate: leaf.certificate }),
    );
    expect(verifyDocument(xml, { trust })[0]!.chainTrusted).toBe(false);
    const withSub = new TrustStore().addRoot(pki.ca.certificate).addIntermediate(intermediate.certificate);
    expect(verifyDocument(xml, { trust: withSub })[0]!.chainTrusted).toBe(true);
  });

  it("refuses a leaf certificate used as an issuer", async () => {
    const fake = await issueCertificate(asCa({ ...pki.buyer, info: { ...pki.buyer.info, isCA: true } }), {
      name: "GIẢ MẠO",
      taxCode: SELLER_TAX_CODE,
    });
    const xml = await sign(
      unsignedInvoice(),
      memorySigner({ key: fake.key!, certificate: fake.certificate }),
    );
    const store = new TrustStore().addRoot(pki.ca.certificate).addIntermediate(pki.buyer.certificate);
    expect(verifyDocument(xml, { trust: store })[0]!.chainTrusted).toBe(false);
  });

  it("reports a certificate revoked before the signing time, from a CRL", async () => {
    const cert = await issueCertificate(pki.ca, { name: "BỊ THU HỒI", taxCode: SELLER_TAX_CODE });
    const xml = await sign(
      unsignedInvoice(),
      memorySigner({ key: cert.key!, certificate: cert.certificate }),
    );
    const store = new TrustStore().addRoot(pki.ca.certificate);
    expect(verifyDocument(xml, { trust: store })[0]!.revoked).toBeNull();
    expect(await store.addCrl(await createCrl(pki.ca, []))).toBe(true);
    expect(verifyDocument(xml, { trust: store })[0]!.revoked).toBe(false);
    const revokedAt = new Date(Date.now() - DAY);
    const crl = await createCrl(pki.ca, [{ serialNumber: cert.info.serialNumber, revokedAt }], {
      thisUpdate: new Date(Date.now() + 1000),
    });
    expect(await store.addCrl(crl)).toBe(true);
    const [r] = verifyDocument(xml, { trust: store });
    expect([r!.revoked, codes(r)]).toEqual([true, ["SIG_REVOKED"]]);
    expect(r!.problems.find((p) => p.code === "SIG_REVOKED")!.params).toEqual({
      serial: cert.info.serialNumber,
      revokedAt: new Date(Math.floor(revokedAt.getTime() / 1000) * 1000).toISOString(),
    });
  });

  it("only warns when the certificate was revoked after the signing time", async () => {
    const cert = await issueCertificate(pki.ca, { name: "THU HỒI SAU", taxCode: SELLER_TAX_CODE });
    const xml = await sign(
      unsignedInvoice(),
      memorySigner({ key: cert.key!, certificate: cert.certificate }),
      {
        signingTime: new Date(Date.now() - 3600_000),
      },
    );
    const store = new TrustStore().addRoot(pki.ca.certificate);
    await store.addCrl(
      await createCrl(pki.ca, [{ serialNumber: cert.info.serialNumber, revokedAt: new Date() }]),
    );
    const [r] = verifyDocument(xml, { trust: store, warnTestCertificates: false });
    expect([r!.valid, r!.revoked, warnings(r)]).toEqual([true, true, ["SIG_REVOKED_AFTER_SIGNING"]]);
  });

  it("ignores a CRL that no known CA signed", async () => {
    const other = await createDevCa({ name: "hddt TEST Other CA" });
    const store = new TrustStore().addRoot(pki.ca.certificate);
    expect(await store.addCrl(await createCrl(other, []))).toBe(false);
  });
});

describe("references and signature wrapping", () => {
  it("requires the signature to cover the data element next to DSCKS", async () => {
    const xml = unsignedInvoice({ mccqtId: "Id-MCCQT-2" });
    const r = await signXml(xml, pki.sellerSigner, { id: "Id-MCCQT-2", into: "/HDon/DSCKS/NBan" });
    if (!r.ok) throw new Error("sign");
    const [report] = verifyDocument(r.value.xml, { trust });
    expect(codes(report)).toEqual(["SIG_MISSING_REFERENCE"]);
    expect(report!.problems[0]!.params).toEqual({ what: "DLHDon" });
  });

  it("requires the tax authority to cover the MCCQT", async () => {
    const xml = await sign(unsignedInvoice({ mccqtId: "Id-MCCQT-3" }), pki.sellerSigner);
    const r = await signXml(xml, pki.authoritySigner, {
      id: "DLHDon-C25TAC-00001144",
      into: "/HDon/DSCKS/CQT",
    });
    if (!r.ok) throw new Error("sign");
    const [, cqt] = verifyDocument(r.value.xml, { trust });
    expect([cqt!.role, codes(cqt)]).toEqual(["authority", ["SIG_MISSING_REFERENCE"]]);
    expect(cqt!.problems[0]!.params).toEqual({ what: "MCCQT" });
  });

  it("requires the signing time to be signed (a signature from another library that leaves it out)", () => {
    const xml = unsignedInvoice();
    const sig = new SignedXml({
      privateKey: pki.seller.key!.export({ format: "pem", type: "pkcs8" }),
      publicCert: pki.seller.certificate,
      signatureAlgorithm: "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256",
      canonicalizationAlgorithm: "http://www.w3.org/TR/2001/REC-xml-c14n-20010315",
      objects: [
        {
          content:
            '<SignatureProperties><SignatureProperty Target="#s"><SigningTime>2026-01-01T00:00:00</SigningTime></SignatureProperty></SignatureProperties>',
        },
      ],
    });
    sig.addReference({
      xpath: "/*/*[local-name()='DLHDon']",
      transforms: ["http://www.w3.org/2000/09/xmldsig#enveloped-signature"],
      digestAlgorithm: "http://www.w3.org/2001/04/xmlenc#sha256",
    });
    sig.computeSignature(xml, {
      location: { reference: "/*/*[local-name()='DSCKS']/*[local-name()='NBan']", action: "append" },
    });
    const [r] = verifyDocument(sig.getSignedXml());
    expect(codes(r)).toEqual(["SIG_MISSING_REFERENCE"]);
    expect(r!.problems[0]!.params).toEqual({ what: "SigningTime" });
  });

  it("refuses a reference to an element that is not the data element, its siblings or the signature's own", async () => {
    const xml = unsignedInvoice().replace("<NDHDon>", '<NDHDon Id="nd">');
    const r = await signXml(xml, pki.sellerSigner, { id: "nd", into: "/HDon/DSCKS/NBan" });
    if (!r.ok) throw new Error("sign");
    const [report] = verifyDocument(r.value.xml, { trust });
    expect(codes(report)).toEqual(["SIG_UNEXPECTED_REFERENCE", "SIG_MISSING_REFERENCE"]);
    expect(report!.problems[0]!.params).toEqual({ uri: "#nd", element: "NDHDon" });
  });

  it("defeats wrapping: the signed DLHDon moved away and a forged one put in its place", () => {
    const original = sellerSigned.slice(
      sellerSigned.indexOf("<DLHDon "),
      sellerSigned.indexOf("</DLHDon>") + 9,
    );
    const forged = original
      .replace('Id="DLHDon-C25TAC-00001144"', 'Id="forged"')
      .replace("<SLuong>4</SLuong>", "<SLuong>400</SLuong>");
    const attack = sellerSigned
      .replace(original, forged)
      .replace("</HDon>", `<Wrapper>${original}</Wrapper></HDon>`);
    const [r] = verifyDocument(attack, { trust });
    expect(r!.valid).toBe(false);
    expect(codes(r)).toEqual(["SIG_UNEXPECTED_REFERENCE", "SIG_MISSING_REFERENCE"]);
  });

  it("defeats wrapping: the signed DLHDon hidden in a new Object of the signature", () => {
    const original = sellerSigned.slice(
      sellerSigned.indexOf("<DLHDon "),
      sellerSigned.indexOf("</DLHDon>") + 9,
    );
    const forged = original
      .replace('Id="DLHDon-C25TAC-00001144"', 'Id="forged"')
      .replace("<SLuong>4</SLuong>", "<SLuong>400</SLuong>");
    // xmlns="" undoes the signature's default namespace, so the moved element keeps its canonical form.
    const hidden = original.replace("<DLHDon ", '<DLHDon xmlns="" ');
    const attack = sellerSigned
      .replace(original, forged)
      .replace("</Signature>", `<Object>${hidden}</Object></Signature>`);
    const [r] = verifyDocument(attack, { trust });
    expect(r!.references[0]).toMatchObject({ element: "DLHDon", digestOk: true });
    expect(codes(r)).toEqual(["SIG_MISSING_REFERENCE"]);
  });

  it("defeats wrapping: a forged DLHDon with the same Id", () => {
    const original = sellerSigned.slice(
      sellerSigned.indexOf("<DLHDon "),
      sellerSigned.indexOf("</DLHDon>") + 9,
    );
    const forged = original.replace("<SLuong>4</SLuong>", "<SLuong>400</SLuong>");
    const attack = sellerSigned
      .replace(original, forged)
      .replace("</HDon>", `<Wrapper>${original}</Wrapper></HDon>`);
    const [r] = verifyDocument(attack, { trust });
    expect(codes(r)).toEqual(["SIG_DUPLICATE_ID", "SIG_MISSING_REFERENCE"]);
  });

  it("reports a reference to nothing", () => {
    const broken = sellerSigned.replace(/<Object Id="[^"]*">/, '<Object Id="other">');
    expect(codes(verifyDocument(broken, { trust })[0])).toEqual([
      "SIG_REFERENCE_NOT_FOUND",
      "SIG_MISSING_REFERENCE",
    ]);
  });
});

describe("roles from the slot", () => {
  it("maps NNT and CKSNNT to the taxpayer-seller, and reads the tax code of the form or envelope", async () => {
    const form = await signAs(registrationForm("0100686209"), pki.sellerSigner, "taxpayer");
    if (!form.ok) throw new Error("sign");
    const [r] = verifyDocument(form.value.xml, { trust });
    expect([r!.role, r!.slot, codes(r)]).toEqual(["seller", "NNT", ["SIG_TAX_CODE_MISMATCH"]]);
    const mtt = await signAs(cashRegisterMessage(), pki.sellerSigner, "cashRegister");
    if (!mtt.ok) throw new Error("sign");
    const [m] = verifyDocument(mtt.value.xml, { trust });
    expect([m!.role, m!.slot, m!.valid]).toEqual(["seller", "CKSNNT", true]);
  });

  it("calls a signature in CCKSKhac 'other'", async () => {
    const r = await signXml(unsignedInvoice(), pki.sellerSigner, {
      id: "DLHDon-C25TAC-00001144",
      into: "/HDon/DSCKS/CCKSKhac",
    });
    if (!r.ok) throw new Error("sign");
    const [report] = verifyDocument(r.value.xml, { trust });
    expect([report!.role, report!.slot, report!.valid]).toEqual(["other", "CCKSKhac", true]);
  });
});

describe("the checker for hddt check", () => {
  it("verifies with fixed options and the seller's tax code the caller read", async () => {
    const check = signatureChecker({ trust });
    const [ok] = await check(sellerSigned, { sellerTaxCode: SELLER_TAX_CODE });
    expect(ok!.valid).toBe(true);
    const [wrong] = await check(sellerSigned, { sellerTaxCode: "0100686209" });
    expect(codes(wrong)).toEqual(["SIG_TAX_CODE_MISMATCH"]);
  });
});
