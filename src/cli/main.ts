/**
 * The `hddt` command. Each command lives in its own module; this file only wires them to commander.
 */
import { existsSync } from "node:fs";
import { Command } from "@commander-js/extra-typings";
import { Dec } from "../domain/decimal.ts";
import { amountInWords } from "../domain/words.ts";
import { DEFAULT_DEV_CA_DIR, devTrustStore } from "../signing/dev-ca.ts";
import { TrustStore } from "../signing/trust.ts";
import { verifyDocument } from "../signing/verify.ts";
import { registerArchiveCommands } from "./archive-commands.ts";
import { checkFiles, type SignatureChecker } from "./check.ts";
import { registerSellerCommands } from "./seller-commands.ts";
import { registerServeCommands } from "./serve.ts";
import { registerSigningCommands } from "./signing-commands.ts";
import { registerStartCommand } from "./start.ts";
import { registerTvanCommands } from "./tvan-commands.ts";

export function buildProgram(): Command {
  const program = new Command("hddt")
    .description("hddt: Vietnamese e-invoices (hóa đơn điện tử) — seller, T-VAN and tax-authority systems")
    .version("0.1.0");

  program
    .command("check")
    .description(
      "check invoices, messages and notices against the format, the rules of their date and their signatures",
    )
    .argument("<files...>", "XML or portal JSON files")
    .option("--trust <dir>", "folder of trusted root/intermediate certificates and CRLs (PEM/DER)")
    .option(
      "--dev-ca <dir>",
      "development CA folder, trusted when it exists unless --no-dev",
      DEFAULT_DEV_CA_DIR,
    )
    .option("--no-dev", "do not trust the development CA")
    .option("--no-chain", "check signatures without building the certificate chain (no trust store)")
    .option("--pretty", "indent the JSON output")
    .action(async (files, opts) => {
      // The chain is checked against the trust store: the development CA when it exists, plus --trust.
      // Without either (or with --no-chain) signatures are still verified; chainTrusted is then null.
      let trust: TrustStore | undefined;
      if (opts.chain && (opts.trust || (opts.dev && existsSync(`${opts.devCa}/ca.pem`)))) {
        trust = opts.dev ? await devTrustStore(opts.devCa) : new TrustStore();
        if (opts.trust) await trust.addDirectory(opts.trust);
      }
      const verifySignatures: SignatureChecker = async (xml, context) =>
        verifyDocument(xml, {
          ...(trust ? { trust } : {}),
          ...(context.sellerTaxCode ? { taxCodes: { seller: context.sellerTaxCode } } : {}),
        }).map((r) => ({ ...r }));
      const { reports, status } = await checkFiles(files, { verifySignatures });
      for (const r of reports) {
        const { unreadable: _u, ...out } = r;
        process.stdout.write(`${JSON.stringify(out, null, opts.pretty ? 2 : undefined)}\n`);
      }
      process.exitCode = status;
    });

  program
    .command("words")
    .description("write an amount in Vietnamese words (số tiền viết bằng chữ)")
    .argument("<amount>", "amount, digits with '.' as decimal point, e.g. 1234567 or 12.5")
    .option("--currency <code>", "ISO 4217 currency code", "VND")
    .option("--odd <word>", "word for a zero tens digit: linh or lẻ", "linh")
    .option("--thousand <word>", "nghìn or ngàn", "nghìn")
    .option("--four <word>", "tư or bốn after mươi", "tư")
    .action((amount, opts) => {
      const value = Dec.tryParse(amount.trim());
      if (!value) {
        process.stderr.write(`hddt words: '${amount}' is not a number (digits, '.' as decimal point)\n`);
        process.exitCode = 2;
        return;
      }
      process.stdout.write(
        `${amountInWords(value, {
          currency: opts.currency.toUpperCase(),
          odd: opts.odd === "lẻ" ? "lẻ" : "linh",
          thousand: opts.thousand === "ngàn" ? "ngàn" : "nghìn",
          four: opts.four === "bốn" ? "bốn" : "tư",
        })}\n`,
      );
    });

  registerSigningCommands(program);
  registerServeCommands(program);
  registerArchiveCommands(program);
  registerStartCommand(program);
  registerTvanCommands(program);
  registerSellerCommands(program);

  // Without a command (as `npm start` runs it until the server exists): the help, and success.
  program.action(() => {
    program.outputHelp();
  });

  return program;
}

await buildProgram().parseAsync(process.argv);
