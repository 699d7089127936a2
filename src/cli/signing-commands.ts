/**
 * Signature commands of `hddt`:
 *
 * - `hddt dev-ca` makes a development CA and test certificates for a seller, a T-VAN and the tax authority;
 * - `hddt sign` signs an invoice, message or notice with a PKCS#12 file or a PKCS#11 token;
 * - `hddt signatures` prints the verification report of every signature in files.
 */
import { existsSync } from "node:fs";
import { readFile, writeFile } from "node:fs/promises";
import type { Command } from "@commander-js/extra-typings";
import type { SignatureAlgorithmName } from "../signing/algorithms.ts";
import {
  DEFAULT_DEV_CA_DIR,
  DEFAULT_P12_PASSWORD,
  DEFAULT_PARTIES,
  devTrustStore,
  writeDevCa,
} from "../signing/dev-ca.ts";
import { pkcs11Signer } from "../signing/pkcs11.ts";
import { pkcs12Signer } from "../signing/pkcs12.ts";
import { type SigningRole, signAs } from "../signing/profiles.ts";
import type { Signer } from "../signing/signer.ts";
import { TrustStore } from "../signing/trust.ts";
import { verifyDocument } from "../signing/verify.ts";

const ROLES: readonly SigningRole[] = ["seller", "buyer", "authority", "taxpayer", "cashRegister"];
const ALGORITHMS: readonly SignatureAlgorithmName[] = ["RSA-SHA256", "RSA-SHA1", "RSA-SHA384", "RSA-SHA512"];

function fail(message: string, code = 1): void {
  process.stderr.write(`${message}\n`);
  process.exitCode = code;
}

export function registerSigningCommands(program: Command): void {
  program
    .command("dev-ca")
    .description(
      "make a development CA and TEST certificates (seller, T-VAN, tax authority) with UID=MST:<tax code>; " +
        "never for real invoices",
    )
    .option("--dir <dir>", "folder to write into", DEFAULT_DEV_CA_DIR)
    .option("--seller-name <name>", "seller organisation name", DEFAULT_PARTIES.seller.name)
    .option("--seller-tax-code <mst>", "seller tax code", DEFAULT_PARTIES.seller.taxCode)
    .option("--tvan-name <name>", "T-VAN organisation name", DEFAULT_PARTIES.tvan.name)
    .option("--tvan-tax-code <mst>", "T-VAN tax code", DEFAULT_PARTIES.tvan.taxCode)
    .option("--authority-name <name>", "tax authority name", DEFAULT_PARTIES.authority.name)
    .option("--password <password>", "password of the .p12 files", DEFAULT_P12_PASSWORD)
    .option("--days <days>", "validity of the certificates in days", "730")
    .option("--force", "replace an existing CA in the folder")
    .action(async (opts) => {
      if (existsSync(`${opts.dir}/ca.pem`) && !opts.force) {
        fail(`hddt dev-ca: ${opts.dir}/ca.pem exists; use --force to replace the development CA`);
        return;
      }
      const days = Number(opts.days);
      if (!Number.isInteger(days) || days < 1) {
        fail(`hddt dev-ca: --days must be a positive whole number, not '${opts.days}'`, 2);
        return;
      }
      const files = await writeDevCa(opts.dir, {
        seller: { name: opts.sellerName, taxCode: opts.sellerTaxCode },
        tvan: { name: opts.tvanName, taxCode: opts.tvanTaxCode },
        authority: { name: opts.authorityName },
        password: opts.password,
        validDays: days,
      });
      const lines = [
        `Development CA (TEST certificates, no legal value) written to ${files.dir}:`,
        `  root certificate  ${files.ca}  (trusted by hddt by default)`,
        `  CRL               ${files.crl}`,
      ];
      for (const [role, f] of Object.entries(files.identities)) {
        lines.push(`  ${role.padEnd(17)} ${f.certificate}, ${f.key}, ${f.p12} (password: ${opts.password})`);
      }
      process.stdout.write(`${lines.join("\n")}\n`);
    });

  program
    .command("sign")
    .description("sign an invoice, message or notice in the place the format gives the role (DSCKS/…)")
    .argument("<file>", "XML file")
    .requiredOption("--as <role>", `role: ${ROLES.join(", ")}`)
    .option("--p12 <file>", "PKCS#12 file (.p12/.pfx) with the key and certificate")
    .option("--password <password>", "password of the PKCS#12 file", "")
    .option("--pkcs11 <module>", "PKCS#11 module of a token or HSM (e.g. /usr/lib/softhsm/libsofthsm2.so)")
    .option("--pin <pin>", "PIN of the token")
    .option("--token <label>", "token label")
    .option("--key <label>", "label of the key on the token")
    .option("--algorithm <name>", `signature algorithm: ${ALGORITHMS.join(", ")}`, "RSA-SHA256")
    .option("-o, --out <file>", "output file (default: standard output)")
    .action(async (file, opts) => {
      const role = opts.as as SigningRole;
      if (!ROLES.includes(role)) {
        fail(`hddt sign: --as must be one of ${ROLES.join(", ")}`, 2);
        return;
      }
      const algorithm = opts.algorithm as SignatureAlgorithmName;
      if (!ALGORITHMS.includes(algorithm)) {
        fail(`hddt sign: --algorithm must be one of ${ALGORITHMS.join(", ")}`, 2);
        return;
      }
      let signer: Signer;
      try {
        if (opts.p12) signer = await pkcs12Signer(opts.p12, opts.password);
        else if (opts.pkcs11 && opts.pin !== undefined) {
          signer = await pkcs11Signer({
            library: opts.pkcs11,
            pin: opts.pin,
            ...(opts.token !== undefined ? { tokenLabel: opts.token } : {}),
            ...(opts.key !== undefined ? { keyLabel: opts.key } : {}),
          });
        } else {
          fail("hddt sign: give --p12 <file> (and --password), or --pkcs11 <module> and --pin", 2);
          return;
        }
      } catch (e) {
        fail(`hddt sign: ${e instanceof Error ? e.message : String(e)}`);
        return;
      }
      try {
        const xml = await readFile(file, "utf8");
        const result = await signAs(xml, signer, role, { algorithm });
        if (!result.ok) {
          for (const p of result.problems) process.stderr.write(`${p.code} ${p.path}: ${p.message}\n`);
          process.exitCode = 1;
          return;
        }
        for (const w of result.value.warnings) process.stderr.write(`warning ${w.code}: ${w.message}\n`);
        if (opts.out) await writeFile(opts.out, result.value.xml);
        else process.stdout.write(result.value.xml);
      } finally {
        await signer.close?.();
      }
    });

  program
    .command("signatures")
    .description("verify every XML signature in files and print one JSON report per signature")
    .argument("<files...>", "XML files")
    .option("--trust <dir>", "folder of trusted root/intermediate certificates and CRLs (PEM/DER)")
    .option("--dev-ca <dir>", "development CA folder, trusted unless --no-dev", DEFAULT_DEV_CA_DIR)
    .option("--no-dev", "do not trust the development CA")
    .option("--warn-days <days>", "warn when a signing certificate expires within this many days", "30")
    .option("--pretty", "indent the JSON output")
    .action(async (files, opts) => {
      const trust = opts.dev ? await devTrustStore(opts.devCa) : new TrustStore();
      if (opts.trust) await trust.addDirectory(opts.trust);
      let invalid = false;
      for (const file of files) {
        const xml = await readFile(file, "utf8");
        const reports = verifyDocument(xml, { trust, expiryWarningDays: Number(opts.warnDays) });
        for (const r of reports) {
          if (!r.valid) invalid = true;
          process.stdout.write(`${JSON.stringify({ file, ...r }, null, opts.pretty ? 2 : undefined)}\n`);
        }
      }
      if (invalid) process.exitCode = 1;
    });
}
