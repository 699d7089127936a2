/**
 * The `hddt` command as a user runs it: a real process, real files, stdout and exit status.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { writeInvoice } from "../src/format/invoice.ts";
import { sampleInvoice } from "./support/invoices.ts";

const ROOT = join(import.meta.dirname, "..");
const FIXTURES = join(ROOT, "test/fixtures/real");

function hddt(...args: string[]) {
  const r = spawnSync(process.execPath, [join(ROOT, "bin/hddt.js"), ...args], {
    encoding: "utf8",
    cwd: ROOT,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

interface Report {
  file: string;
  kind: string;
  version: string | null;
  valid: boolean;
  errors: { code: string; path: string; message: string; messageVi: string; severity: string }[];
  signatures: unknown[];
}

const reports = (stdout: string): Report[] =>
  stdout
    .trim()
    .split("\n")
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Report);

describe("hddt check", () => {
  const tmp = mkdtempSync(join(tmpdir(), "hddt-cli-"));

  it("prints one JSON object per file and exits 0 when all are valid", () => {
    const file = join(tmp, "good.xml");
    writeFileSync(file, writeInvoice(sampleInvoice(3)));
    const r = hddt("check", "--no-chain", file);
    expect(r.status).toBe(0);
    const [report] = reports(r.stdout);
    expect(report).toMatchObject({ file, kind: "invoice", version: "2.1.0", valid: true, errors: [] });
    expect(Array.isArray(report!.signatures)).toBe(true);
  });

  it("exits 1 and lists coded errors with XML paths when an invoice breaks a rule", () => {
    const inv = sampleInvoice(3);
    inv.totals.totalPayable = inv.totals.totalPayable.add(inv.totals.totalPayable);
    const file = join(tmp, "bad.xml");
    writeFileSync(file, writeInvoice(inv));
    const r = hddt("check", "--no-chain", file);
    expect(r.status).toBe(1);
    const [report] = reports(r.stdout);
    expect(report!.valid).toBe(false);
    expect(report!.errors).toContainEqual(
      expect.objectContaining({
        code: "INVOICE_TOTAL_PAYABLE_MISMATCH",
        path: "/HDon/DLHDon/NDHDon/TToan/TgTTTBSo",
      }),
    );
    expect(report!.errors[0]!.messageVi.length).toBeGreaterThan(0);
  });

  it("exits 2 for input that is not a document (XXE attempt, missing file)", () => {
    const file = join(tmp, "xxe.xml");
    writeFileSync(file, `<!DOCTYPE HDon [<!ENTITY x SYSTEM "file:///etc/passwd">]><HDon>&x;</HDon>`);
    const r = hddt("check", file, join(tmp, "missing.xml"));
    expect(r.status).toBe(2);
    expect(reports(r.stdout).map((x) => x.errors[0]!.code)).toEqual(["XML_DOCTYPE", "FILE_UNREADABLE"]);
  });

  it("reads every real fixture, naming its kind and version", () => {
    const files = readdirSync(FIXTURES)
      .filter((f) => f.endsWith(".xml") || f.endsWith(".json"))
      .map((f) => join(FIXTURES, f));
    const r = hddt("check", "--no-chain", ...files);
    const byName = new Map(reports(r.stdout).map((x) => [x.file.split("/").pop()!, x]));
    expect(byName.size).toBe(files.length);
    for (const report of byName.values()) expect(report.kind).not.toBe("unknown");
    expect(byName.get("viettel-k23tac-1390239.xml")).toMatchObject({ kind: "invoice", version: "2.0.1" });
    expect(byName.get("gdt-test-tdiep202-ts24-c21tct-14.xml")).toMatchObject({ kind: "message:202" });
    expect(byName.get("tbao-103-chapnhan-haiphong-20220104.xml")!.kind).toBe("notice");
    expect(byName.get("gdt-portal-detail-c26tas-41.json")).toMatchObject({
      kind: "portal-json",
      valid: true,
    });
    // The GDT test environment coded an invoice whose per-rate VAT does not add up (fixture README): we say so.
    expect(byName.get("gdt-test-tdiep202-ts24-c21tct-14.xml")!.errors.map((e) => e.code)).toContain(
      "INVOICE_RATE_VAT_MISMATCH",
    );
    // Complete real invoices from providers pass every rule, signatures included.
    for (const name of [
      "viettel-k23tac-1390239.xml",
      "viettel-c22taa-3499.xml",
      "bkav-c25tac-00001144.xml",
    ]) {
      const report = byName.get(name)!;
      expect(report.errors.filter((e) => e.severity === "error")).toEqual([]);
      expect(report.signatures.length).toBeGreaterThan(0);
      expect(report.signatures.every((s) => (s as { valid: boolean }).valid)).toBe(true);
    }
    // The VNPT file was re-indented after signing (fixture README): its signature must fail.
    const vnpt = byName.get("vnpt-k25tek-5082-reformatted.xml")!;
    expect(vnpt.valid).toBe(false);
    expect(vnpt.errors.map((e) => e.code)).toContain("SIG_DIGEST_MISMATCH");
  });
});

describe("hddt words", () => {
  it("prints the amount in words", () => {
    expect(hddt("words", "1050000").stdout.trim()).toBe("Một triệu không trăm năm mươi nghìn đồng");
    expect(hddt("words", "21", "--currency", "usd").stdout.trim()).toBe("Hai mươi mốt đô la Mỹ");
  });

  it("refuses a malformed amount with exit 2", () => {
    const r = hddt("words", "1,5");
    expect(r.status).toBe(2);
    expect(r.stderr).toContain("not a number");
  });
});

describe("npm start before the server exists", () => {
  it("prints the help and succeeds", () => {
    const r = hddt();
    expect(r.status).toBe(0);
    expect(r.stdout).toContain("check");
  });
});

describe("hddt dev-ca, sign and check together", () => {
  it("signs an invoice with the seller's test certificate and checks it against the development CA", () => {
    const dir = mkdtempSync(join(tmpdir(), "hddt-ca-"));
    expect(hddt("dev-ca", "--dir", dir, "--seller-tax-code", "0100109106").status).toBe(0);
    const unsigned = join(dir, "invoice.xml");
    const signed = join(dir, "signed.xml");
    writeFileSync(unsigned, writeInvoice(sampleInvoice(3)));
    const s = hddt(
      "sign",
      unsigned,
      "--as",
      "seller",
      "--p12",
      join(dir, "seller.p12"),
      "--password",
      "hddt-dev",
      "-o",
      signed,
    );
    expect(s.status, s.stderr).toBe(0);

    const ok = hddt("check", "--dev-ca", dir, signed);
    const [good] = reports(ok.stdout);
    expect(good!.signatures).toHaveLength(1);
    expect(good!.signatures[0]).toMatchObject({
      role: "seller",
      valid: true,
      chainTrusted: true,
      taxCode: "0100109106",
    });
    expect(ok.status, ok.stdout).toBe(0);

    // Any change of signed content breaks the signature; check names it.
    const tampered = join(dir, "tampered.xml");
    writeFileSync(tampered, readFileSync(signed, "utf8").replace("Cái", "Cáy"));
    const bad = hddt("check", "--dev-ca", dir, tampered);
    expect(bad.status).toBe(1);
    expect(reports(bad.stdout)[0]!.errors.map((e) => e.code)).toContain("SIG_DIGEST_MISMATCH");

    // Without trusting the development CA, the chain is untrusted.
    const untrusted = hddt(
      "check",
      "--no-dev",
      "--trust",
      mkdtempSync(join(tmpdir(), "hddt-empty-")),
      signed,
    );
    expect(reports(untrusted.stdout)[0]!.errors.map((e) => e.code)).toContain("SIG_UNTRUSTED_CHAIN");
  });
});
