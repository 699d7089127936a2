/**
 * Archive commands of `hddt` (the seller's archive, src/seller/archive.ts):
 *
 *   hddt archive verify  [--tax-code <mst>]                 exit 0 when sound, 1 with the problems (JSON)
 *   hddt archive expired [--as-of <date>] [--tax-code <mst>] [--limit <n>]
 *   hddt archive destroy --before <date> --reason <text> [--actor <name>] [--ref <ref>…] [--as-of <date>]
 *   hddt backup <file> [--tax-code <mst>]                   one gzip'd NDJSON file
 *   hddt restore <file>                                     into an empty archive only
 *
 * Each takes `--database <url>` (postgres://…, memory://, file:///folder; default DATABASE_URL, then the
 * embedded data folder .hddt/data) and migrates the seller schema first. Results go to stdout as JSON,
 * progress counts to stderr. Exit codes: 0 done, 1 problems found or request refused, 2 bad arguments.
 */
import { userInfo } from "node:os";
import type { Command } from "@commander-js/extra-typings";
import { isDate } from "../domain/dates.ts";
import type { Problem } from "../domain/problem.ts";
import { Archive } from "../seller/archive.ts";
import { type Database, migrate, openDatabase } from "../store/index.ts";
import { type ProgressReporter, progressReporter } from "./progress.ts";

export interface CliIo {
  out(text: string): void;
  err(text: string): void;
}

const processIo: CliIo = {
  out: (text) => process.stdout.write(text),
  err: (text) => process.stderr.write(text),
};

export interface DatabaseOption {
  /** postgres://…, memory:// or file:///folder; default DATABASE_URL or .hddt/data. */
  readonly database?: string;
  /** An open database to use instead (left open; for tests and for callers that hold one). */
  readonly db?: Database;
}

/** Opens the database, migrates the seller schema, runs `fn` with an archive, closes. */
async function withArchive<T>(
  options: DatabaseOption,
  fn: (archive: Archive, db: Database) => Promise<T>,
): Promise<T> {
  if (options.db) {
    await migrate(options.db, "seller");
    return fn(new Archive(options.db, { clock: options.db.clock }), options.db);
  }
  const db = await openDatabase(options.database !== undefined ? { url: options.database } : {});
  try {
    await migrate(db, "seller");
    return await fn(new Archive(db, { clock: db.clock }), db);
  } finally {
    await db.close();
  }
}

/** The progress of a command on the io's error stream: a redrawn bar on a terminal, else a line a second. */
function progressTo(io: CliIo, command: string): ProgressReporter {
  const terminal = io === processIo && process.stderr.isTTY;
  return progressReporter(`hddt ${command}`, {
    write: (text) => io.err(text),
    isTTY: terminal,
    columns: terminal ? process.stderr.columns : undefined,
  });
}

const json = (value: unknown) => `${JSON.stringify(value, null, 2)}\n`;
const problemsJson = (problems: readonly Problem[]) => json(problems);

export async function runArchiveVerify(
  options: DatabaseOption & { taxCode?: string },
  io: CliIo = processIo,
): Promise<number> {
  return withArchive(options, async (archive) => {
    const progress = progressTo(io, "archive verify");
    const problems = await archive.verify({
      ...(options.taxCode !== undefined ? { taxCode: options.taxCode } : {}),
      onProgress: progress,
    });
    progress.done();
    const heads = await archive.heads(options.taxCode);
    if (problems.length > 0) {
      io.out(problemsJson(problems));
      io.err(`hddt archive verify: ${problems.length} problem(s)\n`);
      return 1;
    }
    // Sound: the heads, to be kept elsewhere (they prove later that no chain was rewritten).
    io.out(json({ sound: true, heads }));
    return 0;
  });
}

export async function runArchiveExpired(
  options: DatabaseOption & { taxCode?: string; asOf?: string; limit?: number },
  io: CliIo = processIo,
): Promise<number> {
  return withArchive(options, async (archive) => {
    const r = await archive.expired(options.asOf, {
      ...(options.taxCode !== undefined ? { taxCode: options.taxCode } : {}),
      ...(options.limit !== undefined ? { limit: options.limit } : {}),
    });
    if (!r.ok) {
      io.out(problemsJson(r.problems));
      return 1;
    }
    io.out(json(r.value));
    io.err(`hddt archive expired: ${r.value.length} entr${r.value.length === 1 ? "y" : "ies"}\n`);
    return 0;
  });
}

export async function runArchiveDestroy(
  options: DatabaseOption & {
    before: string;
    reason: string;
    actor?: string;
    asOf?: string;
    taxCode?: string;
    refs?: readonly string[];
  },
  io: CliIo = processIo,
): Promise<number> {
  return withArchive(options, async (archive) => {
    const progress = progressTo(io, "archive destroy");
    const r = await archive.destroy({
      before: options.before,
      reason: options.reason,
      actor: options.actor ?? userInfo().username,
      ...(options.asOf !== undefined ? { asOf: options.asOf } : {}),
      ...(options.taxCode !== undefined ? { taxCode: options.taxCode } : {}),
      ...(options.refs !== undefined && options.refs.length > 0 ? { refs: options.refs } : {}),
      onProgress: progress,
    });
    progress.done();
    if (!r.ok) {
      io.out(problemsJson(r.problems));
      return 1;
    }
    io.out(json(r.value));
    return 0;
  });
}

export async function runBackup(
  options: DatabaseOption & { file: string; taxCode?: string },
  io: CliIo = processIo,
): Promise<number> {
  return withArchive(options, async (archive) => {
    const progress = progressTo(io, "backup");
    const report = await archive.backup(options.file, {
      ...(options.taxCode !== undefined ? { taxCode: options.taxCode } : {}),
      onProgress: progress,
    });
    progress.done();
    io.out(json(report));
    return 0;
  });
}

export async function runRestore(
  options: DatabaseOption & { file: string },
  io: CliIo = processIo,
): Promise<number> {
  return withArchive(options, async (archive) => {
    const progress = progressTo(io, "restore");
    const r = await archive.restore(options.file, { onProgress: progress });
    progress.done();
    if (!r.ok) {
      io.out(problemsJson(r.problems));
      return 1;
    }
    io.out(json(r.value));
    return 0;
  });
}

const DATABASE_HELP = "postgres://…, memory:// or file:///folder (default: DATABASE_URL or .hddt/data)";

function badDate(name: string, value: string | undefined): boolean {
  if (value === undefined || isDate(value)) return false;
  process.stderr.write(`hddt: ${name} must be a date YYYY-MM-DD, not '${value}'\n`);
  process.exitCode = 2;
  return true;
}

function db(opts: { database?: string }): DatabaseOption {
  return opts.database !== undefined ? { database: opts.database } : {};
}

export function registerArchiveCommands(program: Command): void {
  const archive = program
    .command("archive")
    .description("the seller's archive: check its hash chains, list and destroy expired documents");

  archive
    .command("verify")
    .description("walk every hash chain and stored document; exit 1 with the problems found")
    .option("--database <url>", DATABASE_HELP)
    .option("--tax-code <mst>", "only this seller")
    .action(async (opts) => {
      process.exitCode = await runArchiveVerify({
        ...db(opts),
        ...(opts.taxCode !== undefined ? { taxCode: opts.taxCode } : {}),
      });
    });

  archive
    .command("expired")
    .description("list the documents past their retention period (10 years after the end of their year)")
    .option("--database <url>", DATABASE_HELP)
    .option("--tax-code <mst>", "only this seller")
    .option("--as-of <date>", "judge expiry on this date (default today)")
    .option("--limit <n>", "at most this many")
    .action(async (opts) => {
      if (badDate("--as-of", opts.asOf)) return;
      const limit = opts.limit === undefined ? undefined : Number(opts.limit);
      if (limit !== undefined && (!Number.isInteger(limit) || limit < 1)) {
        process.stderr.write(`hddt archive expired: --limit must be a positive whole number\n`);
        process.exitCode = 2;
        return;
      }
      process.exitCode = await runArchiveExpired({
        ...db(opts),
        ...(opts.taxCode !== undefined ? { taxCode: opts.taxCode } : {}),
        ...(opts.asOf !== undefined ? { asOf: opts.asOf } : {}),
        ...(limit !== undefined ? { limit } : {}),
      });
    });

  archive
    .command("destroy")
    .description("destroy (tiêu hủy) expired documents dated before a date; the destruction is recorded")
    .requiredOption("--before <date>", "only documents dated before this date")
    .requiredOption("--reason <text>", "why (recorded in the archive's chain)")
    .option("--actor <name>", "who decides (default: the system user)")
    .option("--as-of <date>", "judge expiry on this date (default today; never later)")
    .option("--tax-code <mst>", "only this seller")
    .option("--ref <ref...>", "only these documents (each must be expired, or nothing is destroyed)")
    .option("--database <url>", DATABASE_HELP)
    .action(async (opts) => {
      if (badDate("--before", opts.before) || badDate("--as-of", opts.asOf)) return;
      process.exitCode = await runArchiveDestroy({
        ...db(opts),
        before: opts.before,
        reason: opts.reason,
        ...(opts.actor !== undefined ? { actor: opts.actor } : {}),
        ...(opts.asOf !== undefined ? { asOf: opts.asOf } : {}),
        ...(opts.taxCode !== undefined ? { taxCode: opts.taxCode } : {}),
        ...(opts.ref !== undefined ? { refs: opts.ref } : {}),
      });
    });

  program
    .command("backup")
    .description("write the seller's archive (documents and hash chains) to one gzip'd NDJSON file")
    .argument("<file>", "file to write")
    .option("--database <url>", DATABASE_HELP)
    .option("--tax-code <mst>", "only this seller")
    .action(async (file, opts) => {
      process.exitCode = await runBackup({
        ...db(opts),
        file,
        ...(opts.taxCode !== undefined ? { taxCode: opts.taxCode } : {}),
      });
    });

  program
    .command("restore")
    .description("restore a backup made by `hddt backup` into an empty archive (checked before it commits)")
    .argument("<file>", "backup file")
    .option("--database <url>", DATABASE_HELP)
    .action(async (file, opts) => {
      process.exitCode = await runRestore({ ...db(opts), file });
    });
}
