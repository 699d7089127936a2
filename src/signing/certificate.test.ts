import { describe, expect, it } from "vitest";
import { fixture, testPki } from "../../test/signing/support.ts";
import {
  CertificateError,
  formatName,
  parseCertificate,
  signingCertificateProblems,
  taxCodeOf,
} from "./certificate.ts";
import { issueCertificate } from "./dev-ca.ts";

function certificatesOf(file: string): string[] {
  return [...fixture(file).matchAll(/<X509Certificate>([^<]*)</g)].map((m) => m[1]!);
}

describe("tax code in the subject", () => {
  it("reads UID=MST:… (OID 0.9.2342.19200300.100.1.1), with and without the dependent-unit suffix", () => {
    expect(taxCodeOf([[["C", "VN"]], [["UID", "MST:0201813710"]]])).toBe("0201813710");
    expect(taxCodeOf([[["UID", "MST:0104831030-091"]]])).toBe("0104831030-091");
    expect(taxCodeOf([[["UID", "MST:0104831030091"]]])).toBe("0104831030-091");
  });

  it("reads MST written inside the CN, the OU or the serial number", () => {
    expect(taxCodeOf([[["CN", "KHÁNH TEST S=HA NOI C=VN MST=0102182292-998"]]])).toBe("0102182292-998");
    expect(taxCodeOf([[["OU", "MST: 0100109106"]], [["CN", "CÔNG TY A"]]])).toBe("0100109106");
    expect(taxCodeOf([[["SERIALNUMBER", "MST:0309478306"]]])).toBe("0309478306");
  });

  it("prefers UID over other attributes, and falls back to a 12-digit personal ID", () => {
    expect(taxCodeOf([[["CN", "MST=0100000001"]], [["UID", "MST:0100109106"]]])).toBe("0100109106");
    expect(taxCodeOf([[["UID", "CCCD:001203004567"]]])).toBe("001203004567");
    expect(taxCodeOf([[["CN", "Trần Việt Thắng"]], [["O", "Bộ Tài chính"]]])).toBeNull();
  });

  it("reads the tax codes of real certificates", () => {
    const [viettel] = certificatesOf("viettel-k23tac-1390239.xml");
    expect(parseCertificate(viettel!).taxCode).toBe("0104831030-091");
    const [easy, cqt] = certificatesOf("easyinvoice-c23taa-38.xml");
    expect(parseCertificate(easy!).taxCode).toBe("0309489918-003");
    expect(parseCertificate(cqt!).taxCode).toBeNull();
  });
});

describe("names", () => {
  it("writes RFC 4514 text, most specific attribute first, with escapes", () => {
    expect(formatName([[["C", "VN"]], [["O", "A, B"]], [["CN", "#x+y "]]])).toBe(
      "CN=\\#x\\+y\\ ,O=A\\, B,C=VN",
    );
  });

  it("reads a real tax-authority certificate's subject and issuer", () => {
    const [, cqt] = certificatesOf("viettel-c22taa-3499.xml");
    const c = parseCertificate(cqt!);
    expect(c.subject).toBe("CN=TỔNG CỤC THUẾ,O=BỘ TÀI CHÍNH,L=Hà Nội,C=VN");
    expect(c.issuer).toContain("CN=CA phục vụ các cơ quan Nhà nước G2");
    expect([c.notBefore.toISOString(), c.notAfter.toISOString()]).toEqual([
      "2021-11-17T08:09:00.000Z",
      "2026-11-16T08:09:00.000Z",
    ]);
    expect(c.isTest).toBe(false);
  });
});

describe("test certificates", () => {
  it("recognises hddt's development certificates and certificates that say TEST", async () => {
    const { seller } = await testPki();
    expect(seller.info.isTest).toBe(true);
    const [gdtTest] = certificatesOf("gdt-test-tdiep202-ts24-c21tct-14.xml");
    expect(parseCertificate(gdtTest!).isTest).toBe(true);
  });

  it("does not mark a certificate without the policy and without the word TEST", async () => {
    const { ca } = await testPki();
    const plain = await issueCertificate(ca, {
      name: "CÔNG TY ATTESTATION",
      taxCode: "0100109106",
      unmarked: true,
    });
    expect(plain.info.isTest).toBe(false);
  });
});

describe("reading", () => {
  it("refuses data that is not a certificate", () => {
    expect(() => parseCertificate("AAAA")).toThrow(CertificateError);
    expect(() => parseCertificate(new Uint8Array(0))).toThrow(CertificateError);
  });

  it("reads PEM, base64 and DER alike", async () => {
    const { seller } = await testPki();
    const fromPem = parseCertificate(seller.certificate);
    expect(parseCertificate(seller.info.der.toString("base64")).fingerprint).toBe(fromPem.fingerprint);
    expect(parseCertificate(seller.info.der).fingerprint).toBe(fromPem.fingerprint);
  });
});

describe("certificate use at a time", () => {
  it("is an error outside the validity period and a warning close to its end", async () => {
    const { seller } = await testPki();
    const c = seller.info;
    const day = 86_400_000;
    expect(
      signingCertificateProblems(c, new Date(c.notBefore.getTime() - day), 30).map((p) => p.code),
    ).toEqual(["SIG_CERT_NOT_YET_VALID"]);
    expect(
      signingCertificateProblems(c, new Date(c.notAfter.getTime() + 1000), 30).map((p) => p.code),
    ).toEqual(["SIG_CERT_EXPIRED"]);
    const late = signingCertificateProblems(c, new Date(c.notAfter.getTime() - 3 * day), 30);
    expect(late.map((p) => [p.code, p.severity, p.params?.days])).toEqual([
      ["SIG_CERT_EXPIRING", "warning", "3"],
    ]);
    expect(signingCertificateProblems(c, new Date(c.notAfter.getTime() - 3 * day), 2)).toEqual([]);
  });
});
