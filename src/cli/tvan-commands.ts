/**
 * Operator commands of the T-VAN, against a running T-VAN by its URL (`hddt serve --part transmission`):
 *
 *   hddt tvan outbox list [--state pending|in_flight|sent|dead] [--destination <party>] [--after <id>] [--limit <n>]
 *   hddt tvan outbox show <messageId>          the bytes sent, the reply, tries and last error
 *   hddt tvan outbox requeue <messageId>       a dead message gets a fresh set of tries
 *   hddt tvan outbox counts
 *   hddt tvan events [--since <cursor>] [--party <code>]
 *   hddt tvan maintenance                      the authority's windows the T-VAN knows of
 *   hddt tvan reconcile <date> [--theirs <file>]   the day's count; with the authority's 901/902 TDiep, the differences
 *
 * Why over HTTP rather than on the database: the operator routes are the one place where the rules live
 * (keys, checks, the error shape), a running T-VAN may be on another machine, and the commands work the
 * same against any of its processes. Options: `--url` (default HDDT_TVAN_URL, then http://127.0.0.1:8081);
 * the admin key comes from HDDT_TVAN_ADMIN_KEY (never a command-line argument). Results go to stdout as
 * JSON. Exit codes: 0 done, 1 refused by the T-VAN (its error body on stderr) or unreachable, 2 bad
 * arguments; `reconcile --theirs` exits 1 when there are differences.
 */
import { readFile } from "node:fs/promises";
import type { Command } from "@commander-js/extra-typings";
import { isDate } from "../domain/dates.ts";

export interface TvanCliIo {
  out(text: string): void;
  err(text: string): void;
}

const processIo: TvanCliIo = {
  out: (text) => process.stdout.write(text),
  err: (text) => process.stderr.write(text),
};

export interface TvanClientOptions {
  /** Base URL of the T-VAN, e.g. http://127.0.0.1:8081. */
  readonly url: string;
  /** Its admin key. */
  readonly key?: string;
}

const DEFAULT_URL = "http://127.0.0.1:8081";
const STATES = ["pending", "in_flight", "sent", "dead"];
const json = (value: unknown) => `${JSON.stringify(value, null, 2)}\n`;

/** One request to the T-VAN; prints the answer (stdout) or the error (stderr) and returns the exit code. */
export async function tvanCall(
  client: TvanClientOptions,
  io: TvanCliIo,
  method: "GET" | "POST",
  path: string,
  body?: { readonly xml: string },
  judge?: (value: unknown) => number,
): Promise<number> {
  const headers: Record<string, string> = {};
  if (client.key !== undefined) headers["x-api-key"] = client.key;
  if (body) headers["content-type"] = "application/xml; charset=utf-8";
  let res: Response;
  try {
    res = await fetch(`${client.url.replace(/\/$/, "")}${path}`, {
      method,
      headers,
      ...(body ? { body: body.xml } : {}),
      signal: AbortSignal.timeout(30_000),
    });
  } catch (error) {
    io.err(`hddt tvan: cannot reach ${client.url}: ${(error as Error).message}\n`);
    return 1;
  }
  const text = await res.text();
  let value: unknown = text;
  try {
    value = JSON.parse(text);
  } catch {
    // Not JSON: shown as it came.
  }
  if (!res.ok) {
    io.err(typeof value === "string" ? `${value}\n` : json(value));
    return 1;
  }
  io.out(typeof value === "string" ? `${value}\n` : json(value));
  return judge ? judge(value) : 0;
}

function query(params: Record<string, string | undefined>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined) q.set(k, v);
  const s = q.toString();
  return s === "" ? "" : `?${s}`;
}

function bad(io: TvanCliIo, message: string): number {
  io.err(`hddt tvan: ${message}\n`);
  return 2;
}

export function tvanOutboxList(
  client: TvanClientOptions,
  o: { state?: string; destination?: string; after?: string; limit?: string },
  io: TvanCliIo = processIo,
): Promise<number> {
  if (o.state !== undefined && !STATES.includes(o.state))
    return Promise.resolve(bad(io, `--state must be one of ${STATES.join(", ")}`));
  return tvanCall(client, io, "GET", `/tvan/outbox${query(o)}`);
}

export function tvanOutboxShow(client: TvanClientOptions, id: string, io: TvanCliIo = processIo) {
  return tvanCall(client, io, "GET", `/tvan/outbox/${encodeURIComponent(id)}`);
}

export function tvanOutboxRequeue(client: TvanClientOptions, id: string, io: TvanCliIo = processIo) {
  return tvanCall(client, io, "POST", `/tvan/outbox/${encodeURIComponent(id)}/requeue`);
}

export function tvanEvents(
  client: TvanClientOptions,
  o: { since?: string; party?: string },
  io: TvanCliIo = processIo,
): Promise<number> {
  return tvanCall(client, io, "GET", `/tvan/events${query(o)}`);
}

/** The day's count; with `theirsXml` (the authority's 901/902), the differences, exit 1 when any. */
export function tvanReconcile(
  client: TvanClientOptions,
  date: string,
  theirsXml: string | undefined,
  io: TvanCliIo = processIo,
): Promise<number> {
  if (!isDate(date)) return Promise.resolve(bad(io, `the date must be YYYY-MM-DD, not '${date}'`));
  if (theirsXml === undefined) return tvanCall(client, io, "GET", `/tvan/reconciliation/${date}`);
  return tvanCall(client, io, "POST", `/tvan/reconciliation/${date}`, { xml: theirsXml }, (v) =>
    (v as { differences?: unknown[] }).differences?.length ? 1 : 0,
  );
}

export function registerTvanCommands(program: Command): void {
  const tvan = program
    .command("tvan")
    .description("operate a running T-VAN (admin key in HDDT_TVAN_ADMIN_KEY)")
    .option("--url <url>", "base URL of the T-VAN (default HDDT_TVAN_URL, then http://127.0.0.1:8081)");
  const client = (): TvanClientOptions => {
    const url = tvan.opts().url ?? process.env.HDDT_TVAN_URL ?? DEFAULT_URL;
    const key = process.env.HDDT_TVAN_ADMIN_KEY;
    return key === undefined ? { url } : { url, key };
  };
  const done = (code: number) => {
    process.exitCode = code;
  };
  const outbox = tvan.command("outbox").description("the T-VAN's outbox");
  outbox
    .command("list")
    .description("outbox rows in id order, by state and destination")
    .option("--state <state>", STATES.join("|"))
    .option("--destination <party>", "e.g. TCT")
    .option("--after <id>", "rows after this id (paging)")
    .option("--limit <n>", "at most this many (≤ 1000)", "100")
    .action(async (o) => done(await tvanOutboxList(client(), o)));
  outbox
    .command("show <messageId>")
    .description("one message: the bytes sent, the reply, tries and the last error")
    .action(async (id) => done(await tvanOutboxShow(client(), id)));
  outbox
    .command("requeue <messageId>")
    .description("give a dead message a fresh set of tries")
    .action(async (id) => done(await tvanOutboxRequeue(client(), id)));
  outbox
    .command("counts")
    .description("rows per state")
    .action(async () => done(await tvanCall(client(), processIo, "GET", "/tvan/outbox/counts")));
  tvan
    .command("events")
    .description("maintenance and availability events")
    .option("--since <cursor>", "events after this cursor")
    .option("--party <code>", "one connected party's events")
    .action(async (o) => done(await tvanEvents(client(), o)));
  tvan
    .command("maintenance")
    .description("the authority's maintenance windows the T-VAN knows of")
    .action(async () => done(await tvanCall(client(), processIo, "GET", "/tvan/maintenance")));
  tvan
    .command("reconcile <date>")
    .description("the day's count of messages exchanged with the authority (GMT+7 day)")
    .option("--theirs <file>", "the authority's 901/902 TDiep: print the differences (exit 1 when any)")
    .action(async (date, o) => {
      const theirs = o.theirs === undefined ? undefined : await readFile(o.theirs, "utf8");
      done(await tvanReconcile(client(), date, theirs));
    });
}
