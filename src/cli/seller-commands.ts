/**
 * The seller's commands: `hddt invoice create|issue|show|list|adjust|replace|import|template`,
 * `hddt series list|create`, `hddt register`. They talk to a running hddt over its HTTP API (the same checks, roles and idempotency as
 * any client; nothing here touches the database), so they work against `hddt start` on this machine and
 * against a provider's server alike.
 *
 * Where and who: `--url` (default `HDDT_URL`, else http://127.0.0.1:8080) and `--key` (default
 * `HDDT_API_KEY`, else the demo seller's key that `hddt start` kept in `.hddt/demo-seller.json`).
 * Output: the API's JSON answer on stdout (`--xml` prints an invoice's XML). Exit 0 on success, 1 when the
 * API refused (its error, with code, on stderr), 2 on bad arguments or when hddt cannot be reached.
 */
import { createHash, randomUUID } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import type { Command } from "@commander-js/extra-typings";
import { XLSX_MEDIA_TYPE } from "../api/server.ts";
import type { Problem } from "../domain/problem.ts";
import { importAll } from "../excel/import.ts";
import { writeImportTemplate } from "../excel/template.ts";
import { progressReporter } from "./progress.ts";

export interface ClientOptions {
  readonly url?: string;
  readonly key?: string;
  readonly stateDir?: string;
}

interface Answer {
  readonly status: number;
  readonly body: string;
}

/** The key to use: given, from the environment, or the demo seller's. */
function resolveKey(options: ClientOptions): string | undefined {
  if (options.key) return options.key;
  if (process.env.HDDT_API_KEY) return process.env.HDDT_API_KEY;
  const file = `${options.stateDir ?? ".hddt"}/demo-seller.json`;
  if (!existsSync(file)) return undefined;
  return (JSON.parse(readFileSync(file, "utf8")) as { apiKey?: string }).apiKey;
}

class UsageError extends Error {}

/** A body sent as is (not as JSON). */
class RawBody {
  constructor(
    readonly bytes: Buffer,
    readonly type: string,
  ) {}
}

async function call(
  options: ClientOptions,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<Answer> {
  const base = (options.url ?? process.env.HDDT_URL ?? "http://127.0.0.1:8080").replace(/\/$/, "");
  const key = resolveKey(options);
  if (!key) throw new UsageError("no API key: give --key, set HDDT_API_KEY, or run `hddt start` first");
  let response: Response;
  try {
    response = await fetch(`${base}${path}`, {
      method,
      headers: {
        "x-api-key": key,
        ...(body !== undefined
          ? { "content-type": body instanceof RawBody ? body.type : "application/json" }
          : {}),
        ...headers,
      },
      ...(body !== undefined
        ? { body: body instanceof RawBody ? new Uint8Array(body.bytes) : JSON.stringify(body) }
        : {}),
    });
  } catch (error) {
    throw new UsageError(`cannot reach hddt at ${base}: ${(error as Error).message}`);
  }
  return { status: response.status, body: await response.text() };
}

function readJson(file: string): unknown {
  try {
    return JSON.parse(readFileSync(file, "utf8"));
  } catch (error) {
    throw new UsageError(`${file}: ${(error as Error).message}`);
  }
}

/** Runs one command: prints the answer, sets the exit code. */
async function run(name: string, work: () => Promise<Answer>): Promise<void> {
  try {
    const a = await work();
    if (a.status >= 200 && a.status < 300) {
      process.stdout.write(a.body.endsWith("\n") ? a.body : `${a.body}\n`);
      return;
    }
    process.stderr.write(`hddt ${name}: HTTP ${a.status} ${a.body}\n`);
    process.exitCode = 1;
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    process.stderr.write(`hddt ${name}: ${error.message}\n`);
    process.exitCode = 2;
  }
}

/** Adds --url, --key and --state; `client(opts)` reads them back (commander's types do not follow). */
function withClient<T>(command: T): T {
  (command as unknown as Command)
    .option("--url <url>", "hddt's address (default HDDT_URL, else http://127.0.0.1:8080)")
    .option("--key <key>", "API key (default HDDT_API_KEY, else the demo seller's)")
    .option("--state-dir <dir>", "where `hddt start` keeps the demo seller's key", ".hddt");
  return command;
}

const client = (opts: object): ClientOptions => opts as ClientOptions;

export function registerSellerCommands(program: Command): void {
  const invoice = program.command("invoice").description("the seller's invoices, through hddt's API");

  withClient(
    invoice
      .command("create")
      .description("create a draft from a JSON file (the body of POST /seller/invoices); --issue issues it")
      .argument("<file>", "invoice JSON: { header, buyer, lines }")
      .option("--issue", "issue it at once (number, signature, sent for its code)")
      .option("--idempotency-key <key>", "the same key gives the same invoice (default: a new one)"),
  ).action(async (file, opts) =>
    run("invoice create", () =>
      call(client(opts), "POST", `/seller/invoices${opts.issue ? "?issue=true" : ""}`, readJson(file), {
        "idempotency-key": opts.idempotencyKey ?? randomUUID(),
      }),
    ),
  );

  withClient(invoice.command("issue").description("issue a draft").argument("<id>")).action(
    async (id, opts) =>
      run("invoice issue", () =>
        call(client(opts), "POST", `/seller/invoices/${encodeURIComponent(id)}/issue`),
      ),
  );

  withClient(
    invoice
      .command("show")
      .description("an invoice with its state; --xml its XML, --history its history")
      .argument("<id>")
      .option("--xml [which]", "print the XML: signed, coded or best (default best)")
      .option("--history", "print the history of its states"),
  ).action(async (id, opts) => {
    const at = `/seller/invoices/${encodeURIComponent(id)}`;
    const path = opts.xml
      ? `${at}/xml?which=${typeof opts.xml === "string" ? opts.xml : "best"}`
      : opts.history
        ? `${at}/history`
        : at;
    await run("invoice show", () => call(client(opts), "GET", path));
  });

  withClient(
    invoice
      .command("list")
      .description("list invoices")
      .option(
        "--state <state>",
        "draft, awaiting_signature, issued, waiting_for_code, coded, refused, delivered, …",
      )
      .option("--series <series>")
      .option("--from <date>", "issued on or after YYYY-MM-DD")
      .option("--to <date>", "issued on or before YYYY-MM-DD")
      .option("--limit <n>", "at most n (1–1000)", "100"),
  ).action(async (opts) => {
    const q = new URLSearchParams();
    for (const k of ["state", "series", "from", "to", "limit"] as const) {
      const v = opts[k];
      if (v !== undefined) q.set(k, v);
    }
    await run("invoice list", () => call(client(opts), "GET", `/seller/invoices?${q}`));
  });

  for (const way of ["adjust", "replace"] as const) {
    withClient(
      invoice
        .command(way)
        .description(
          way === "adjust"
            ? "draft an adjusting invoice: the file holds { change: { lines: [...], add: [...] } }"
            : "draft a replacing invoice: the file holds { content: { buyer, lines } }",
        )
        .argument("<id>", "the original invoice")
        .argument("<file>", `JSON body (see POST /seller/invoices/{id}/${way} in /docs)`)
        .option("--idempotency-key <key>"),
    ).action(async (id, file, opts) =>
      run(`invoice ${way}`, () =>
        call(client(opts), "POST", `/seller/invoices/${encodeURIComponent(id)}/${way}`, readJson(file), {
          "idempotency-key": opts.idempotencyKey ?? randomUUID(),
        }),
      ),
    );
  }

  invoice
    .command("template")
    .description("write the empty .xlsx template of `hddt invoice import`")
    .argument("<file>", "where to write it (.xlsx)")
    .action(async (file) => {
      await writeImportTemplate(file);
      process.stderr.write(`hddt invoice template: written to ${file}\n`);
    });

  withClient(
    invoice
      .command("import")
      .description(
        "import invoices as drafts from a filled-in template: checked here first (every problem with its cell), " +
          "then sent all or nothing",
      )
      .argument("<file>", "the workbook (.xlsx)")
      .option(
        "--idempotency-key <key>",
        "names the import (default: the file's SHA-256, so a repeat adds nothing)",
      ),
  ).action(async (file, opts) =>
    run("invoice import", async () => {
      let bytes: Buffer;
      try {
        bytes = readFileSync(file);
      } catch (error) {
        throw new UsageError(`${file}: ${(error as Error).message}`);
      }
      const org = await call(client(opts), "GET", "/seller/organisation");
      if (org.status !== 200) return org;
      const o = JSON.parse(org.body) as { name: string; taxCode: string; address: string };
      const progress = progressReporter("hddt invoice import");
      const read = await importAll(file, {
        seller: { name: o.name, taxCode: o.taxCode, address: o.address },
        onProgress: (p) =>
          progress({ phase: `bytes of sheet "${p.sheet}" read`, done: p.bytes, total: p.totalBytes }),
      });
      progress.done();
      if (!read.ok) {
        process.stderr.write(problemTable(read.problems));
        return { status: 422, body: JSON.stringify({ problems: read.problems.length }) };
      }
      process.stderr.write(`hddt invoice import: ${read.invoices.length} invoice(s) read, sending…\n`);
      return call(client(opts), "POST", "/seller/invoices/import", new RawBody(bytes, XLSX_MEDIA_TYPE), {
        "idempotency-key": opts.idempotencyKey ?? createHash("sha256").update(bytes).digest("hex"),
      });
    }),
  );

  const series = program.command("series").description("the seller's invoice series");
  withClient(series.command("list").description("series with their usage and warnings")).action(
    async (opts) => run("series list", () => call(client(opts), "GET", "/seller/series")),
  );
  withClient(
    series
      .command("create")
      .description("a series for this year, e.g. `hddt series create 1 C26TAA`")
      .argument("<template>", "template digit (KHMSHDon)")
      .argument("<series>", "6-character series (KHHDon)")
      .option("--cash-register", "a cash-register series"),
  ).action(async (template, symbol, opts) =>
    run("series create", () =>
      call(client(opts), "POST", "/seller/series", {
        template,
        series: symbol,
        ...(opts.cashRegister ? { cashRegister: true } : {}),
      }),
    ),
  );

  withClient(
    program
      .command("register")
      .description("send the registration (01/ĐKTĐ-HĐĐT) through the T-VAN; --status shows where it stands")
      .option("--without-code", "also register no-code invoices")
      .option("--no-with-code", "do not register coded invoices")
      .option("--cash-register", "register cash-register invoices")
      .option("--status", "show the registrations and their answers instead"),
  ).action(async (opts) =>
    run("register", () =>
      opts.status
        ? call(client(opts), "GET", "/seller/registration")
        : call(client(opts), "POST", "/seller/registration", {
            withCode: opts.withCode,
            withoutCode: opts.withoutCode === true,
            ...(opts.cashRegister ? { cashRegister: true } : {}),
          }),
    ),
  );
}

/** One line per problem: where (cell), code, and the message in both languages. */
function problemTable(problems: readonly Problem[]): string {
  return problems
    .map((p) => `${p.path.padEnd(18)} ${p.code.padEnd(28)} ${p.messageVi} / ${p.message}\n`)
    .join("");
}
