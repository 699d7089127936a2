/**
 * The `hddt` command. Each command lives in its own module; this file only wires them to commander.
 */
import { Command } from "@commander-js/extra-typings";
import { Dec } from "../domain/decimal.ts";
import { amountInWords } from "../domain/words.ts";
import { checkFiles } from "./check.ts";
import { registerServeCommands } from "./serve.ts";
import { registerSigningCommands } from "./signing-commands.ts";

export function buildProgram(): Command {
  const program = new Command("hddt")
    .description("hddt: Vietnamese e-invoices (hóa đơn điện tử) — seller, T-VAN and tax-authority systems")
    .version("0.1.0");

  program
    .command("check")
    .description("check invoices, messages and notices against the format and the rules of their date")
    .argument("<files...>", "XML or portal JSON files")
    .option("--pretty", "indent the JSON output")
    .action(async (files, opts) => {
      const { reports, status } = await checkFiles(files);
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

  // Without a command (as `npm start` runs it until the server exists): the help, and success.
  program.action(() => {
    program.outputHelp();
  });

  return program;
}

await buildProgram().parseAsync(process.argv);
