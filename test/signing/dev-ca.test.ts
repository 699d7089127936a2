/**
 * `hddt dev-ca` and the development CA it writes; `hddt sign` and `hddt signatures` on its certificates.
 */
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Command } from "@commander-js/extra-typings";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { registerSigningCommands } from "../../src/cli/signing-commands.ts";
import { parseCertificate, TEST_CERTIFICATE_POLICY } from "../../src/signing/certificate.ts";
import { DEFAULT_P12_PASSWORD, devTrustStore, loadDevCa, writeDevCa } from "../../src/signing/dev-ca.ts";
import { pkcs12Signer } from "../../src/signing/pkcs12.ts";
import { signAs } from "../../src/signing/profiles.ts";
import { TrustStore } from "../../src/signing/trust.ts";
import { verifyDocument } from "../../src/signing/verify.ts";
import { unsignedInvoice } from "./support.ts";

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "hddt-devca-"));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function run(...args: string[]): Promise<{ out: string; err: string; code: number }> {
  const program = new Command("hddt").exitOverride();
  registerSigningCommands(program);
  let out = "";
  let err = "";
  const o = vi.spyOn(process.stdout, "write").mockImplementation((s) => {
    out += String(s);
    return true;
  });
  const e = vi.spyOn(process.stderr, "write").mockImplementation((s) => {
    err += String(s);
    return true;
  });
  process.exitCode = 0;
  try {
    await program.parseAsync(["node", "hddt", ...args]);
  } finally {
    o.mockRestore();
    e.mockRestore();
  }
  const code = Number(process.exitCode ?? 0);
  process.exitCode = 0;
  return { out, err, code };
}

describe("the development CA", () => {
  it("issues seller, T-VAN and tax-authority certificates with UID=MST:… and three test marks", async () => {
    const files = await writeDevCa(join(dir, "api"), {
      seller: { name: "CÔNG TY TNHH BÁN THỬ", taxCode: "0100109106" },
      tvan: { name: "CÔNG TY TRUYỀN NHẬN THỬ", taxCode: "0309478306" },
    });
    const seller = parseCertificate(await readFile(files.identities.seller.certificate, "utf8"));
    expect(seller.subject).toBe(
      "UID=MST:0100109106,CN=TEST CÔNG TY TNHH BÁN THỬ,OU=TEST - chỉ dùng thử nghiệm (hddt),O=CÔNG TY TNHH BÁN THỬ,L=Hà Nội,C=VN",
    );
    expect([seller.taxCode, seller.isTest, seller.isCA]).toEqual(["0100109106", true, false]);
    const tvan = parseCertificate(await readFile(files.identities.tvan.certificate, "utf8"));
    expect(tvan.taxCode).toBe("0309478306");
    const authority = parseCertificate(await readFile(files.identities.authority.certificate, "utf8"));
    expect(authority.subject).toContain("CN=TEST CỤC THUẾ");
    expect(authority.subject).toContain("O=BỘ TÀI CHÍNH");
    const text = execFileSync(
      "openssl",
      ["x509", "-in", files.identities.seller.certificate, "-noout", "-text"],
      {
        encoding: "utf8",
      },
    );
    expect(text).toContain(TEST_CERTIFICATE_POLICY);
    expect(text).toContain("Digital Signature, Non Repudiation");
  });

  it("writes .p12 files that OpenSSL and hddt open, and a folder that works as a trust store", async () => {
    const d = join(dir, "p12");
    const files = await writeDevCa(d);
    execFileSync("openssl", [
      "pkcs12",
      "-in",
      files.identities.seller.p12,
      "-passin",
      `pass:${DEFAULT_P12_PASSWORD}`,
      "-noout",
    ]);
    const signer = await pkcs12Signer(files.identities.seller.p12, DEFAULT_P12_PASSWORD);
    const signed = await signAs(unsignedInvoice(), signer, "seller");
    if (!signed.ok) throw new Error("sign");
    const [viaDefault] = verifyDocument(signed.value.xml, { trust: await devTrustStore(d) });
    expect([viaDefault!.chainTrusted, viaDefault!.revoked, viaDefault!.valid]).toEqual([true, false, true]);
    const [viaFolder] = verifyDocument(signed.value.xml, { trust: await TrustStore.fromDirectory(d) });
    expect(viaFolder!.chainTrusted).toBe(true);
    const ca = await loadDevCa(d);
    expect(ca.info.isCA).toBe(true);
  });

  it("gives an empty trust store when there is no development CA", async () => {
    expect((await devTrustStore(join(dir, "none"))).rootCount).toBe(0);
  });
});

describe("hddt commands", () => {
  it("dev-ca writes the CA and refuses to replace it without --force", async () => {
    const d = join(dir, "cli");
    const first = await run("dev-ca", "--dir", d, "--seller-tax-code", "0100686209");
    expect(first.code).toBe(0);
    expect(first.out).toContain("TEST certificates");
    expect(existsSync(join(d, "seller.p12"))).toBe(true);
    expect(parseCertificate(await readFile(join(d, "seller.pem"), "utf8")).taxCode).toBe("0100686209");
    const again = await run("dev-ca", "--dir", d);
    expect(again.code).toBe(1);
    expect(again.err).toContain("--force");
    expect((await run("dev-ca", "--dir", d, "--force")).code).toBe(0);
  });

  it("sign signs with a .p12 file and signatures reports it trusted by the development CA", async () => {
    const d = join(dir, "cli-sign");
    await run("dev-ca", "--dir", d);
    const input = join(dir, "invoice.xml");
    const output = join(dir, "invoice-signed.xml");
    await writeFile(input, unsignedInvoice());
    const signed = await run(
      "sign",
      input,
      "--as",
      "seller",
      "--p12",
      join(d, "seller.p12"),
      "--password",
      DEFAULT_P12_PASSWORD,
      "-o",
      output,
    );
    expect([signed.code, signed.err]).toEqual([0, ""]);
    const report = await run("signatures", output, "--dev-ca", d);
    expect(report.code).toBe(0);
    const line = JSON.parse(report.out.trim());
    expect(line).toMatchObject({
      file: output,
      role: "seller",
      valid: true,
      chainTrusted: true,
      taxCode: "0100109106",
    });
    const untrusted = await run("signatures", output, "--no-dev");
    expect(untrusted.code).toBe(1);
    expect(JSON.parse(untrusted.out.trim()).chainTrusted).toBe(false);
  });

  it("sign reports a wrong role and a missing key source", async () => {
    expect((await run("sign", "x.xml", "--as", "thief", "--p12", "x")).code).toBe(2);
    expect((await run("sign", "x.xml", "--as", "seller")).code).toBe(2);
  });
});
