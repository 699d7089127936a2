import { createHash } from "node:crypto";
import type { Element } from "@xmldom/xmldom";
import { beforeAll, describe, expect, it } from "vitest";
import {
  authorityNotice,
  cashRegisterMessage,
  foreignInvoice,
  registrationForm,
  SELLER_TAX_CODE,
  type TestPki,
  testPki,
  unsignedInvoice,
} from "../../test/signing/support.ts";
import { C14N, DSIG_NS, ENVELOPED } from "./algorithms.ts";
import { canonicalize, parseDom } from "./c14n.ts";
import { issueCertificate } from "./dev-ca.ts";
import { signAs, specFor } from "./profiles.ts";
import { finishSignature, formatSigningTime, prepareSignature, type SignatureSpec, signXml } from "./sign.ts";
import { memorySigner, type Signer } from "./signer.ts";
import { TrustStore } from "./trust.ts";
import { verifyDocument } from "./verify.ts";

let pki: TestPki;
let trust: TrustStore;

beforeAll(async () => {
  pki = await testPki();
  trust = new TrustStore().addRoot(pki.ca.certificate);
});

// "Now" to the second: the test certificates are valid from a day ago.
const AT = new Date(Math.floor(Date.now() / 1000) * 1000);

function children(el: Element, name: string): Element[] {
  const out: Element[] = [];
  for (let c = el.firstChild; c; c = c.nextSibling) {
    if (c.nodeType === 1 && (c as Element).localName === name) out.push(c as Element);
  }
  return out;
}

function only(el: Element, name: string): Element {
  const list = children(el, name);
  expect(list, name).toHaveLength(1);
  return list[0]!;
}

async function signed(xml: string, signer: Signer, spec: SignatureSpec): Promise<string> {
  const r = await signXml(xml, signer, spec);
  if (!r.ok) throw new Error(JSON.stringify(r.problems));
  return r.value.xml;
}

function specOf(
  xml: string,
  role: Parameters<typeof specFor>[1],
  extra: Partial<SignatureSpec> = {},
): SignatureSpec {
  const s = specFor(xml, role, { signingTime: AT, ...extra });
  if (!s.ok) throw new Error(JSON.stringify(s.problems));
  return { ...s.value, ...extra };
}

describe("the seller's signature", () => {
  it("has the shape of the reference §6: enveloped, C14N 1.0, RSA-SHA256, DLHDon + SigningTime object, X509 KeyInfo", async () => {
    const xml = await signed(unsignedInvoice(), pki.sellerSigner, specOf(unsignedInvoice(), "seller"));
    const doc = parseDom(xml);
    const nban = only(only(doc.documentElement!, "DSCKS"), "NBan");
    const sig = only(nban, "Signature");
    expect(sig.namespaceURI).toBe(DSIG_NS);
    const id = sig.getAttribute("Id")!;
    const si = only(sig, "SignedInfo");
    expect(only(si, "CanonicalizationMethod").getAttribute("Algorithm")).toBe(C14N);
    expect(only(si, "SignatureMethod").getAttribute("Algorithm")).toBe(
      "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256",
    );
    const refs = children(si, "Reference");
    expect(refs.map((r) => r.getAttribute("URI"))).toEqual(["#DLHDon-C25TAC-00001144", `#${id}-SigningTime`]);
    expect(only(only(refs[0]!, "Transforms"), "Transform").getAttribute("Algorithm")).toBe(ENVELOPED);
    expect(children(refs[1]!, "Transforms")).toHaveLength(0);
    for (const r of refs) {
      expect(only(r, "DigestMethod").getAttribute("Algorithm")).toBe(
        "http://www.w3.org/2001/04/xmlenc#sha256",
      );
    }
    const x509 = only(only(sig, "KeyInfo"), "X509Data");
    expect(only(x509, "X509SubjectName").textContent).toContain(`UID=MST:${SELLER_TAX_CODE}`);
    expect(only(x509, "X509Certificate").textContent).toBe(pki.seller.info.der.toString("base64"));
    const object = only(sig, "Object");
    expect(object.getAttribute("Id")).toBe(`${id}-SigningTime`);
    const property = only(only(object, "SignatureProperties"), "SignatureProperty");
    expect(property.getAttribute("Target")).toBe(`#${id}`);
    expect(only(property, "SigningTime").textContent).toBe(formatSigningTime(AT));
    expect(only(property, "SigningTime").textContent).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d$/);
  });

  it("writes the signing time in GMT+7 without a zone, as the format's date-times are", () => {
    expect(formatSigningTime(new Date("2026-12-31T17:30:00Z"))).toBe("2027-01-01T00:30:00");
    expect(formatSigningTime(new Date("2026-01-01T00:00:00.999Z"))).toBe("2026-01-01T07:00:00");
  });

  it("computes the DLHDon digest exactly as general C14N does", async () => {
    const input = unsignedInvoice();
    const xml = await signed(input, pki.sellerSigner, specOf(input, "seller"));
    const dl = parseDom(input).getElementsByTagName("DLHDon").item(0)!;
    const expected = createHash("sha256").update(canonicalize(dl)).digest("base64");
    expect(xml).toContain(`<DigestValue>${expected}</DigestValue>`);
  });

  it("keeps the document in canonical form, so the next signer takes the fast path too", async () => {
    const xml = await signed(unsignedInvoice(), pki.sellerSigner, specOf(unsignedInvoice(), "seller"));
    expect(canonicalize(parseDom(xml))).toBe(xml);
  });

  it("signs documents other software wrote (not canonical as written) through general C14N", async () => {
    const input = foreignInvoice();
    const xml = await signed(input, pki.sellerSigner, specOf(input, "seller"));
    const [report] = verifyDocument(xml, { trust });
    expect(report!.problems.filter((p) => p.severity === "error")).toEqual([]);
  });

  it("creates DSCKS and the slot when the document has none", async () => {
    const input = unsignedInvoice({ dscks: false });
    const xml = await signed(input, pki.sellerSigner, specOf(input, "seller"));
    expect(xml).toMatch(/<DSCKS><NBan><Signature [^>]*>.*<\/Signature><\/NBan><\/DSCKS><\/HDon>$/);
    expect(verifyDocument(xml, { trust })[0]!.valid).toBe(true);
  });

  it("fills an empty-element slot (<NBan/>)", async () => {
    const input = unsignedInvoice().replace("<NBan></NBan><NMua>", "<NBan/><NMua>");
    const xml = await signed(input, pki.sellerSigner, specOf(input, "seller"));
    expect(xml).toContain("<DSCKS><NBan><Signature ");
    expect(verifyDocument(xml, { trust })[0]!.valid).toBe(true);
  });

  it("refuses a slot that already holds a signature", async () => {
    const once = await signed(unsignedInvoice(), pki.sellerSigner, specOf(unsignedInvoice(), "seller"));
    const again = await signXml(once, pki.sellerSigner, specOf(once, "seller"));
    expect(again.ok).toBe(false);
    if (!again.ok) expect(again.problems.map((p) => p.code)).toEqual(["SIG_ALREADY_SIGNED"]);
  });

  it("refuses an Id that is not in the document, or is there twice", async () => {
    const input = unsignedInvoice();
    const missing = await signXml(input, pki.sellerSigner, { id: "khong-co", into: "/HDon/DSCKS/NBan" });
    expect(missing.ok ? [] : missing.problems.map((p) => p.code)).toEqual(["SIG_ELEMENT_NOT_FOUND"]);
    const twice = input.replace("<TTChung>", '<TTChung><TTKhac Id="DLHDon-C25TAC-00001144"></TTKhac>');
    const dup = await signXml(twice, pki.sellerSigner, specOf(input, "seller"));
    expect(dup.ok ? [] : dup.problems.map((p) => p.code)).toEqual(["SIG_DUPLICATE_ID"]);
  });

  it("refuses Ids that would need escaping, and a path that does not start at the root", async () => {
    const input = unsignedInvoice();
    const bad = await signXml(input, pki.sellerSigner, { id: 'a"b', into: "/HDon/DSCKS/NBan" });
    expect(bad.ok ? [] : bad.problems.map((p) => p.code)).toEqual(["SIG_BAD_ID"]);
    const path = await signXml(input, pki.sellerSigner, {
      id: "DLHDon-C25TAC-00001144",
      into: "/TDiep/DSCKS",
    });
    expect(path.ok ? [] : path.problems.map((p) => p.code)).toEqual(["SIG_TARGET_NOT_FOUND"]);
  });

  it("refuses to sign with a certificate that has expired or is not yet valid", async () => {
    const expired = await issueCertificate(pki.ca, {
      name: "HẾT HẠN",
      taxCode: SELLER_TAX_CODE,
      notBefore: new Date("2024-01-01T00:00:00Z"),
      notAfter: new Date("2025-01-01T00:00:00Z"),
    });
    const signer = memorySigner({ key: expired.key!, certificate: expired.certificate });
    const input = unsignedInvoice();
    const r = await signXml(input, signer, specOf(input, "seller"));
    expect(r.ok ? [] : r.problems.map((p) => p.code)).toEqual(["SIG_CERT_EXPIRED"]);
    const early = await signXml(
      input,
      signer,
      specOf(input, "seller", { signingTime: new Date("2023-06-01Z") }),
    );
    expect(early.ok ? [] : early.problems.map((p) => p.code)).toEqual(["SIG_CERT_NOT_YET_VALID"]);
  });

  it("warns when the certificate expires within the configured days", async () => {
    const soon = await issueCertificate(pki.ca, {
      name: "SẮP HẾT HẠN",
      taxCode: SELLER_TAX_CODE,
      notBefore: new Date(AT.getTime() - 300 * 86_400_000),
      notAfter: new Date(AT.getTime() + 10 * 86_400_000),
    });
    const signer = memorySigner({ key: soon.key!, certificate: soon.certificate });
    const input = unsignedInvoice();
    const r = await signXml(input, signer, specOf(input, "seller"));
    expect(r.ok && r.value.warnings.map((w) => [w.code, w.params?.days])).toEqual([
      ["SIG_CERT_EXPIRING", "10"],
    ]);
    const quiet = await signXml(input, signer, specOf(input, "seller", { expiryWarningDays: 5 }));
    expect(quiet.ok && quiet.value.warnings).toEqual([]);
  });

  it("reports a signer that fails (token removed, service down)", async () => {
    const broken: Signer = {
      certificate: () => pki.seller.certificate,
      sign: async () => {
        throw new Error("CKR_DEVICE_REMOVED");
      },
    };
    const r = await signXml(unsignedInvoice(), broken, specOf(unsignedInvoice(), "seller"));
    expect(r.ok ? [] : r.problems.map((p) => [p.code, p.params?.reason])).toEqual([
      ["SIG_SIGNER_FAILED", "CKR_DEVICE_REMOVED"],
    ]);
  });
});

describe("other parties", () => {
  it("signs as the tax authority over DLHDon, its SigningTime and the MCCQT", async () => {
    const input = unsignedInvoice({ mccqtId: "Id-MCCQT-1" });
    const seller = await signed(input, pki.sellerSigner, specOf(input, "seller"));
    const xml = await signed(seller, pki.authoritySigner, specOf(seller, "authority"));
    const [, cqt] = verifyDocument(xml, { trust });
    expect(cqt!.role).toBe("authority");
    expect(cqt!.references.map((r) => r.element)).toEqual(["DLHDon", "MCCQT", "Object"]);
    expect(cqt!.valid).toBe(true);
  });

  it("refuses the authority role on an invoice without an MCCQT", () => {
    const r = specFor(unsignedInvoice(), "authority");
    expect(r.ok ? [] : r.problems.map((p) => [p.code, p.path])).toEqual([
      ["SIG_TARGET_NOT_FOUND", "/HDon/MCCQT[@Id]"],
    ]);
  });

  it("signs as the buyer in DSCKS/NMua", async () => {
    const input = unsignedInvoice();
    const seller = await signed(input, pki.sellerSigner, specOf(input, "seller"));
    const xml = await signed(seller, pki.buyerSigner, specOf(seller, "buyer"));
    expect(verifyDocument(xml, { trust }).map((r) => [r.role, r.slot, r.valid])).toEqual([
      ["seller", "NBan", true],
      ["buyer", "NMua", true],
    ]);
  });

  it("signs a registration declaration as the taxpayer, in DSCKS/NNT over DLTKhai", async () => {
    const xml = await signed(registrationForm(), pki.sellerSigner, specOf(registrationForm(), "taxpayer"));
    const [r] = verifyDocument(xml, { trust });
    expect([r!.role, r!.slot, r!.references[0]!.element, r!.taxCode, r!.valid]).toEqual([
      "seller",
      "NNT",
      "DLTKhai",
      SELLER_TAX_CODE,
      true,
    ]);
  });

  it("signs a notice as the tax authority over DLTBao and STBao", async () => {
    const xml = await signed(authorityNotice(), pki.authoritySigner, specOf(authorityNotice(), "authority"));
    const [r] = verifyDocument(xml, { trust });
    expect(r!.references.map((x) => x.element)).toEqual(["DLTBao", "STBao", "Object"]);
    expect(r!.valid).toBe(true);
  });

  it("signs a cash-register message 206 over TDiep/DLieu into TDiep/CKSNNT", async () => {
    const input = cashRegisterMessage();
    const xml = await signed(input, pki.sellerSigner, specOf(input, "cashRegister"));
    expect(xml).toMatch(/<\/DLieu><CKSNNT><Signature /);
    const [r] = verifyDocument(xml, { trust });
    expect([r!.slot, r!.references[0]!.element, r!.valid]).toEqual(["CKSNNT", "DLieu", true]);
  });
});

describe("two-step signing", () => {
  it("hands out the digest of SignedInfo and its DigestInfo, and finishes to the same document as one step", async () => {
    const input = unsignedInvoice();
    const spec = specOf(input, "seller");
    const prepared = prepareSignature(input, pki.seller.certificate, spec);
    expect(prepared.ok).toBe(true);
    if (!prepared.ok) return;
    const p = prepared.value;
    const hash = createHash("sha256").update(p.signedInfo, "utf8").digest();
    expect(p.digest).toBe(hash.toString("base64"));
    expect(Buffer.from(p.digestInfo, "base64").toString("hex")).toBe(
      `3031300d060960864801650304020105000420${hash.toString("hex")}`,
    );
    expect(p.document).toContain("<SignatureValue></SignatureValue>");
    // The prepared object is plain data: it survives storage as JSON.
    const stored = JSON.parse(JSON.stringify(p));
    const value = await pki.sellerSigner.sign(Buffer.from(stored.signedInfo, "utf8"), "RSA-SHA256");
    const done = finishSignature(stored, value);
    expect(done.ok).toBe(true);
    if (!done.ok) return;
    const oneStep = await signed(input, pki.sellerSigner, spec);
    expect(done.value.xml).toBe(oneStep);
    expect(verifyDocument(done.value.xml, { trust })).toEqual(verifyDocument(oneStep, { trust }));
  });

  it("refuses a signature value from another key", async () => {
    const input = unsignedInvoice();
    const prepared = prepareSignature(input, pki.seller.certificate, specOf(input, "seller"));
    if (!prepared.ok) throw new Error("prepare");
    const wrong = await pki.buyerSigner.sign(Buffer.from(prepared.value.signedInfo, "utf8"), "RSA-SHA256");
    const r = finishSignature(prepared.value, wrong);
    expect(r.ok ? [] : r.problems.map((p) => p.code)).toEqual(["SIG_KEY_MISMATCH"]);
  });

  it("refuses a prepared document that was changed in between", async () => {
    const input = unsignedInvoice();
    const prepared = prepareSignature(input, pki.seller.certificate, specOf(input, "seller"));
    if (!prepared.ok) throw new Error("prepare");
    const value = await pki.sellerSigner.sign(Buffer.from(prepared.value.signedInfo, "utf8"), "RSA-SHA256");
    const tampered = {
      ...prepared.value,
      document: prepared.value.document.replace("<DigestValue>", "<DigestValue>A"),
    };
    const r = finishSignature(tampered, value);
    expect(r.ok ? [] : r.problems.map((p) => p.code)).toEqual(["SIG_NOT_PREPARED"]);
  });
});

describe("role specs", () => {
  it("finds the invoice inside a TDiep envelope", () => {
    const wrapped = `<TDiep><TTChung><MLTDiep>200</MLTDiep></TTChung><DLieu>${unsignedInvoice()}</DLieu></TDiep>`;
    const r = specFor(wrapped, "seller");
    expect(r.ok && [r.value.id, r.value.into]).toEqual([
      "DLHDon-C25TAC-00001144",
      "/TDiep/DLieu/HDon/DSCKS/NBan",
    ]);
  });

  it("signs through signAs with the spec of the role", async () => {
    const r = await signAs(unsignedInvoice(), pki.sellerSigner, "seller", { signingTime: AT });
    expect(r.ok && verifyDocument(r.value.xml, { trust })[0]!.signingTime).toBe(AT.toISOString());
  });
});

describe("the DOM fallback for documents with xml:* attributes in scope", () => {
  it("canonicalises SignedInfo and the Object with the inherited xml:lang", async () => {
    const input = unsignedInvoice().replace("<HDon>", '<HDon xml:lang="vi">');
    const xml = await signed(input, pki.sellerSigner, specOf(input, "seller"));
    const [r] = verifyDocument(xml, { trust });
    expect(r!.problems.filter((p) => p.severity === "error")).toEqual([]);
  });
});
