/**
 * Everything hddt signs verifies with Debian's xmlsec1 (an independent XMLDSig implementation, libxml2 C14N),
 * including the certificate chain to the development CA; and xmlsec1 rejects a changed document, so the
 * oracle is not vacuous.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { type SigningRole, signAs, specFor } from "../../src/signing/profiles.ts";
import { finishSignature, prepareSignature, signXml } from "../../src/signing/sign.ts";
import type { Signer } from "../../src/signing/signer.ts";
import { TrustStore } from "../../src/signing/trust.ts";
import { verifyDocument } from "../../src/signing/verify.ts";
import {
  authorityNotice,
  cashRegisterMessage,
  envelopedInvoice,
  foreignInvoice,
  registrationForm,
  summaryTable,
  type TestPki,
  testPki,
  unsignedInvoice,
  xmlsec1Verify,
} from "./support.ts";

let pki: TestPki;
let trust: TrustStore;

beforeAll(async () => {
  pki = await testPki();
  trust = new TrustStore().addRoot(pki.ca.certificate);
});

async function sign(xml: string, signer: Signer, role: SigningRole): Promise<string> {
  const r = await signAs(xml, signer, role);
  if (!r.ok) throw new Error(JSON.stringify(r.problems));
  return r.value.xml;
}

function signatureCount(xml: string): number {
  return xml.split('<Signature xmlns="http://www.w3.org/2000/09/xmldsig#"').length - 1;
}

const cases: Array<[string, () => Promise<string>]> = [
  ["an invoice signed by the seller", async () => sign(unsignedInvoice(), pki.sellerSigner, "seller")],
  [
    "an invoice signed by the seller, the buyer and the tax authority (with MCCQT)",
    async () => {
      let xml = await sign(unsignedInvoice({ mccqtId: "Id-MCCQT-9" }), pki.sellerSigner, "seller");
      xml = await sign(xml, pki.authoritySigner, "authority");
      return sign(xml, pki.buyerSigner, "buyer");
    },
  ],
  [
    "a registration declaration signed by the taxpayer",
    async () => sign(registrationForm(), pki.sellerSigner, "taxpayer"),
  ],
  ["a summary table signed by the taxpayer", async () => sign(summaryTable(), pki.sellerSigner, "taxpayer")],
  [
    "a notice signed by the tax authority over DLTBao and STBao",
    async () => sign(authorityNotice(), pki.authoritySigner, "authority"),
  ],
  [
    "a cash-register message 206 signed in CKSNNT",
    async () => sign(cashRegisterMessage(), pki.sellerSigner, "cashRegister"),
  ],
  [
    "an invoice inside a TDiep that declares namespaces",
    async () => sign(envelopedInvoice(), pki.sellerSigner, "seller"),
  ],
  [
    "an invoice written by other software (not canonical as written)",
    async () => sign(foreignInvoice(), pki.sellerSigner, "seller"),
  ],
  [
    "an invoice signed in two steps",
    async () => {
      const xml = unsignedInvoice();
      const spec = specFor(xml, "seller");
      if (!spec.ok) throw new Error("spec");
      const prepared = prepareSignature(xml, pki.seller.certificate, spec.value);
      if (!prepared.ok) throw new Error("prepare");
      const value = await pki.sellerSigner.sign(Buffer.from(prepared.value.signedInfo, "utf8"), "RSA-SHA256");
      const done = finishSignature(prepared.value, Buffer.from(value).toString("base64"));
      if (!done.ok) throw new Error("finish");
      return done.value.xml;
    },
  ],
  [
    "an invoice signed with RSA-SHA1 (legacy algorithm)",
    async () => {
      const xml = unsignedInvoice();
      const spec = specFor(xml, "seller", { algorithm: "RSA-SHA1" });
      if (!spec.ok) throw new Error("spec");
      const r = await signXml(xml, pki.sellerSigner, spec.value);
      if (!r.ok) throw new Error("sign");
      return r.value.xml;
    },
  ],
];

describe("xmlsec1 verifies what hddt signs", () => {
  it.each(cases)("%s", async (_name, make) => {
    const xml = await make();
    const count = signatureCount(xml);
    expect(count).toBeGreaterThan(0);
    expect(await xmlsec1Verify(xml, pki.ca.certificate, count)).toEqual(Array(count).fill("OK"));
    const reports = verifyDocument(xml, { trust });
    expect(reports).toHaveLength(count);
    for (const r of reports) expect(r.problems.filter((p) => p.severity === "error")).toEqual([]);
  });

  it("xmlsec1 rejects the signed invoice once a line amount is changed", async () => {
    const xml = await sign(unsignedInvoice(), pki.sellerSigner, "seller");
    const changed = xml.replace("<ThTien>14524000</ThTien>", "<ThTien>14524001</ThTien>");
    expect(changed).not.toBe(xml);
    const [verdict] = await xmlsec1Verify(changed, pki.ca.certificate, 1);
    expect(verdict).not.toBe("OK");
  });
});
