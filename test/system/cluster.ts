/**
 * hddt as separate processes on one PostgreSQL database (test/system/node.ts), for the crash and scale-out
 * suites: starting them, onboarding a seller over HTTP, the load of concurrent clients that retry with
 * idempotency keys, and the audit of the books afterwards, read straight from the database.
 */
import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import pg from "pg";
import { TrustStore } from "../../src/signing/trust.ts";
import { verifyDocument } from "../../src/signing/verify.ts";
import { invoiceInput, SELLER_A } from "../seller/support.ts";
import { Child, freePort, nodeArgv, ROOT, sleep, waitFor } from "./stress-support.ts";

export const ADMIN = `stress-admin-${randomBytes(12).toString("hex")}`;
const today = () => new Date(Date.now() + 7 * 3_600_000).toISOString().slice(0, 10);
/** Three series of this year. */
export const SERIES = ["TAA", "TAB", "TAC"].map((s) => `C${today().slice(2, 4)}${s}`);

export class Node extends Child {
  url = "";
  constructor(
    name: string,
    readonly role: "api" | "workers" | "all",
    readonly database: string,
    readonly caDir: string,
    readonly port: number,
  ) {
    super(
      name,
      nodeArgv(["--database", database, "--dev-ca", caDir, "--role", role, "--port", String(port)]),
      { HDDT_API_KEYS: `admin:admin:${ADMIN}` },
    );
    this.url = `http://127.0.0.1:${port}`;
  }

  /** Starts and waits until it serves (or, for workers, says it is ready). */
  async up(): Promise<void> {
    this.out = "";
    this.start();
    await waitFor(
      `${this.name} to start`,
      async () => {
        if (this.role === "workers") return this.out.includes("ready");
        const r = await fetch(`${this.url}/health`, { signal: AbortSignal.timeout(2000) });
        await r.body?.cancel();
        return r.ok;
      },
      120_000,
      () => this.log,
    );
  }
}

export async function newNode(
  name: string,
  role: Node["role"],
  database: string,
  caDir: string,
): Promise<Node> {
  return new Node(name, role, database, caDir, await freePort());
}

async function call(base: string, key: string, method: string, path: string, body?: unknown) {
  const r = await fetch(`${base}${path}`, {
    method,
    headers: { "x-api-key": key, ...(body !== undefined ? { "content-type": "application/json" } : {}) },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    signal: AbortSignal.timeout(30_000),
  });
  const text = await r.text();
  if (r.status >= 300) throw new Error(`${method} ${path}: ${r.status} ${text}`);
  return JSON.parse(text) as Record<string, unknown>;
}

/** Organisation, taxpayer at the authority, development key, registration accepted, three series; its key. */
export async function onboard(base: string): Promise<string> {
  const org = await call(base, ADMIN, "POST", "/seller/organisations", {
    taxCode: SELLER_A,
    name: "Công ty A",
    address: "Số 1 Tràng Tiền, Hà Nội",
    profile: { email: "ketoan@example.vn", phone: "0241234567" },
  });
  const key = (org.apiKey as { key: string }).key;
  await call(base, ADMIN, "PUT", "/authority/admin/taxpayers", { taxCode: SELLER_A, name: "Công ty A" });
  await call(base, key, "PUT", "/seller/signing-key", { kind: "dev" });
  await call(base, key, "POST", "/seller/registration", { withCode: true, withoutCode: false });
  await waitFor(
    "the registration to be accepted",
    async () => (await call(base, key, "GET", "/seller/organisation")).registrationState === "accepted",
    120_000,
  );
  for (const series of SERIES) await call(base, key, "POST", "/seller/series", { template: "1", series });
  return key;
}

export interface Ack {
  readonly i: number;
  readonly id: string;
  readonly series: string;
  readonly number: number;
  readonly tries: number;
}

export interface LoadResult {
  readonly acks: Ack[];
  /** Requests that got no answer or a 5xx and were tried again. */
  readonly retries: number;
  /** Answers that were neither success nor a transient failure. */
  readonly refusals: string[];
}

/**
 * `lanes` clients issue invoices 0…n−1 (series by index, one idempotency key each) through the given base
 * URLs in turn; a request that gets no answer (the server was killed) or a 5xx is sent again, same key,
 * same body, until it is answered. `onAck` runs after each acknowledged invoice.
 */
export async function issueLoad(
  bases: () => readonly string[],
  key: string,
  n: number,
  lanes: number,
  onAck: (count: number) => void = () => undefined,
  deadlineMs = 3_600_000,
): Promise<LoadResult> {
  const acks: Ack[] = [];
  const refusals: string[] = [];
  let retries = 0;
  let next = 0;
  const end = Date.now() + deadlineMs;
  const lane = async (laneNo: number) => {
    let turn = laneNo;
    while (next < n && refusals.length < 20) {
      const i = next++;
      const series = SERIES[i % SERIES.length]!;
      const input = invoiceInput(series);
      const body = JSON.stringify({ ...input, lines: [{ ...input.lines[0]!, itemName: `Hàng số ${i}` }] });
      for (let tries = 1; ; tries++) {
        if (Date.now() > end) throw new Error(`invoice ${i} not acknowledged before the deadline`);
        const all = bases();
        const base = all[turn++ % all.length]!;
        let status = 0;
        let text = "";
        try {
          const r = await fetch(`${base}/seller/invoices?issue=true`, {
            method: "POST",
            headers: { "x-api-key": key, "content-type": "application/json", "idempotency-key": `load-${i}` },
            body,
            signal: AbortSignal.timeout(60_000),
          });
          status = r.status;
          text = await r.text();
        } catch {
          status = 0;
        }
        if (status === 200 || status === 201) {
          const v = JSON.parse(text) as { id: string; number: number; series: string; state: string };
          if (v.number === null || v.state === "draft") {
            refusals.push(`invoice ${i}: acknowledged but not issued: ${text.slice(0, 300)}`);
            break;
          }
          acks.push({ i, id: v.id, series: v.series, number: Number(v.number), tries });
          onAck(acks.length);
          break;
        }
        if (status === 0 || status >= 500) {
          retries++;
          await sleep(100 + Math.random() * 200);
          continue;
        }
        refusals.push(`invoice ${i}: ${status} ${text.slice(0, 300)}`);
        break;
      }
    }
  };
  await Promise.all(Array.from({ length: lanes }, (_, l) => lane(l)));
  return { acks, retries, refusals };
}

/** Waits until every issued invoice is delivered and every outbox is empty; the wait in ms. */
export async function drained(database: string, n: number, ms: number): Promise<number> {
  const started = Date.now();
  const c = new pg.Client({ connectionString: database });
  await c.connect();
  let state = "";
  try {
    await waitFor(
      "every invoice delivered and every outbox empty",
      async () => {
        const r = await c.query<{ waiting: string; open: string }>(
          `select (select count(*) from seller.invoice where state not in ('delivered', 'coded')) as waiting,
             (select count(*) from seller.outbox where state <> 'sent')
           + (select count(*) from tvan.outbox where state <> 'sent')
           + (select count(*) from authority.outbox where delivered_at is null) as open`,
        );
        const row = r.rows[0]!;
        state = JSON.stringify(
          (
            await c.query(
              `select 'invoice' as t, state, count(*) from seller.invoice group by state
               union all select 'seller.outbox', state, count(*) from seller.outbox group by state
               union all select 'tvan.outbox', state, count(*) from tvan.outbox group by state
               union all select 'authority.outbox', to_party, count(*) from authority.outbox
                 where delivered_at is null group by to_party`,
            )
          ).rows,
        );
        return Number(row.waiting) === 0 && Number(row.open) === 0 && (await countInvoices(c)) === n;
      },
      ms,
      () => state,
    );
    // Coded invoices are handed to their buyers right after the 202 is stored: give those a moment.
    await waitFor(
      "coded invoices to be delivered",
      async () =>
        Number(
          (await c.query("select count(*) as n from seller.invoice where state = 'coded'")).rows[0].n,
        ) === 0,
      5000,
    ).catch(() => undefined);
  } finally {
    await c.end();
  }
  return Date.now() - started;
}

/** How many invoices are coded but not yet handed to their buyers. */
export async function stuckCoded(database: string): Promise<number> {
  const c = new pg.Client({ connectionString: database });
  await c.connect();
  try {
    const r = await c.query<{ n: string }>("select count(*) as n from seller.invoice where state = 'coded'");
    return Number(r.rows[0]!.n);
  } finally {
    await c.end();
  }
}

async function countInvoices(c: pg.Client): Promise<number> {
  return Number((await c.query<{ n: string }>("select count(*) as n from seller.invoice")).rows[0]!.n);
}

export interface Audit {
  readonly problems: string[];
  readonly invoices: number;
  readonly verified: number;
  /**
   * Coded invoices not handed to their buyer yet: the seller delivers right after storing the 202, so a
   * crash between the two leaves the invoice coded until the sweep 30 s later (see crash.test.ts).
   */
  readonly stuckCoded: number;
  readonly perSeries: Record<string, number>;
  readonly outbox: Record<string, number>;
}

/**
 * The books after the run: every acknowledged invoice there with its number; nothing else; each series
 * numbered 1…n without a gap, dates not going back; numbers used once; the signed XML byte-exact as
 * archived and verifying, the coded XML as the authority keeps it and verifying; one 202 per invoice;
 * every outbox sent, nothing dead; and `hddt archive verify` (a process) finds the chain sound.
 */
export async function audit(database: string, caDir: string, acks: readonly Ack[]): Promise<Audit> {
  const problems: string[] = [];
  const trust = new TrustStore().addRoot(await readFile(join(caDir, "ca.pem"), "utf8"));
  const c = new pg.Client({ connectionString: database });
  await c.connect();
  let verified = 0;
  let stuckCoded = 0;
  const perSeries: Record<string, number> = {};
  const outbox: Record<string, number> = {};
  try {
    const rows = (
      await c.query<{
        id: string;
        series: string;
        number: string;
        issue_date: string;
        state: string;
        signed_xml: string;
        coded_xml: string | null;
        authority_code: string | null;
        archived: Buffer | null;
        authority_xml: string | null;
      }>(
        `select i.id, i.series, i.number::text, to_char(i.issue_date, 'YYYY-MM-DD') as issue_date, i.state,
           i.signed_xml, i.coded_xml, i.authority_code,
           (select c.bytes from seller.archive_entry e join seller.archive_content c
              on c.tax_code = e.tax_code and c.hash = e.content_hash
            where e.tax_code = i.tax_code and e.kind = 'invoice' and e.ref = i.id) as archived,
           (select a.xml from authority.coded_invoice a where a.authority_code = i.authority_code) as authority_xml
         from seller.invoice i order by i.series, i.number`,
      )
    ).rows;
    const byId = new Map(rows.map((r) => [r.id, r]));
    for (const a of acks) {
      const r = byId.get(a.id);
      if (!r) problems.push(`acknowledged invoice ${a.i} (${a.id}) is missing`);
      else if (r.series !== a.series || Number(r.number) !== a.number)
        problems.push(
          `invoice ${a.id}: acknowledged as ${a.series}/${a.number}, stored as ${r.series}/${r.number}`,
        );
    }
    if (rows.length !== acks.length)
      problems.push(`${rows.length} invoices stored, ${acks.length} acknowledged`);
    const seen = new Set<string>();
    let prev: (typeof rows)[number] | undefined;
    for (const r of rows) {
      perSeries[r.series] = (perSeries[r.series] ?? 0) + 1;
      const key = `${r.series}/${r.number}`;
      if (seen.has(key)) problems.push(`number used twice: ${key}`);
      seen.add(key);
      const expected = prev && prev.series === r.series ? Number(prev.number) + 1 : 1;
      if (Number(r.number) !== expected)
        problems.push(`gap in ${r.series}: ${r.number} where ${expected} was due`);
      if (prev && prev.series === r.series && r.issue_date < prev.issue_date)
        problems.push(`date order broken in ${r.series} at ${r.number}`);
      prev = r;
      if (r.state === "coded") stuckCoded++;
      else if (r.state !== "delivered") problems.push(`invoice ${r.id} is ${r.state}`);
      if (!r.archived || Buffer.compare(r.archived, Buffer.from(r.signed_xml, "utf8")) !== 0)
        problems.push(`invoice ${r.id}: the signed XML differs from the archived bytes`);
      if (!r.coded_xml || r.coded_xml !== r.authority_xml)
        problems.push(`invoice ${r.id}: the coded XML differs from the authority's`);
      for (const xml of [r.signed_xml, r.coded_xml ?? ""]) {
        const reports = verifyDocument(xml, { trust, warnTestCertificates: false });
        if (reports.length === 0 || !reports.every((s) => s.valid))
          problems.push(`invoice ${r.id}: a signature does not verify`);
      }
      verified++;
    }
    const codes = await c.query<{ n: string; d: string }>(
      "select count(*) as n, count(distinct authority_code) as d from authority.coded_invoice",
    );
    if (Number(codes.rows[0]!.n) !== rows.length || Number(codes.rows[0]!.d) !== rows.length)
      problems.push(
        `authority: ${codes.rows[0]!.n} coded invoices (${codes.rows[0]!.d} codes) for ${rows.length}`,
      );
    const replies = await c.query<{ n: string }>(
      `select count(*) as n from seller.invoice i where (select count(*) from seller.message m
         where m.reply_to = i.message_id and m.type = 202 and m.direction = 'in') <> 1`,
    );
    if (Number(replies.rows[0]!.n) > 0)
      problems.push(`${replies.rows[0]!.n} invoices without exactly one 202`);
    for (const schema of ["seller", "tvan"]) {
      const s = await c.query<{ state: string; n: string }>(
        `select state, count(*) as n from ${schema}.outbox group by state`,
      );
      for (const row of s.rows) outbox[`${schema}.${row.state}`] = Number(row.n);
    }
    for (const [k, v] of Object.entries(outbox))
      if (!k.endsWith(".sent") && v > 0) problems.push(`outbox ${k}: ${v}`);
  } finally {
    await c.end();
  }
  const v = spawnSync(
    process.execPath,
    [join(ROOT, "bin", "hddt.js"), "archive", "verify", "--database", database],
    {
      cwd: ROOT,
      encoding: "utf8",
      maxBuffer: 64 * 1024 * 1024,
    },
  );
  if (v.status !== 0)
    problems.push(`hddt archive verify: ${v.status} ${v.stdout.slice(0, 1000)} ${v.stderr.slice(-1500)}`);
  return { problems, invoices: verified, verified, stuckCoded, perSeries, outbox };
}
