/**
 * Integrity (issue 8): a seller issues coded invoices; then bytes are changed directly in the database
 * and `hddt archive verify`, run as its own process, must name each change: one byte of an archived
 * invoice's content, one byte of an archive event's body, one character of an event's hash, an entry's
 * content hash. A backup (`hddt backup`) restored (`hddt restore`) on a fresh database verifies and holds
 * the same events and contents, byte for byte.
 *
 * Sizes: HDDT_INTEGRITY_N invoices (short form 12, full form 500). On PostgreSQL when HDDT_TEST_PG_URL is
 * set, else on embedded databases in folders.
 */
import { spawnSync } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { composeAll } from "../../src/cli/compose.ts";
import { type Database, openDatabase } from "../../src/store/index.ts";
import { ADMIN_KEY, devCaDir, invoiceInput, SELLER_A, seriesOf } from "../seller/support.ts";
import { figure, freshPgDatabase, PG_URL, ROOT, size } from "./stress-support.ts";

const N = size("HDDT_INTEGRITY_N", 12, 500);

/** `hddt <args>` as a process: exit status and output. */
function hddt(...args: string[]): { status: number; out: string; err: string } {
  const r = spawnSync(process.execPath, [join(ROOT, "bin", "hddt.js"), ...args], {
    cwd: ROOT,
    encoding: "utf8",
    timeout: 300_000,
    maxBuffer: 256 * 1024 * 1024,
  });
  return { status: r.status ?? -1, out: r.stdout, err: r.stderr };
}

interface Snapshot {
  events: Array<{ tax_code: string; sequence: string; body: string; prev_hash: string; hash: string }>;
  contents: Array<{ tax_code: string; hash: string; bytes: Buffer }>;
  heads: Array<{ tax_code: string; sequence: string; hash: string }>;
}

describe("integrity: a changed byte is named, a restored backup is the same", () => {
  let dir = "";
  const drops: Array<() => Promise<void>> = [];
  let url = "";
  let restoredUrl = "";

  async function database(name: string): Promise<string> {
    if (PG_URL) {
      const d = await freshPgDatabase(name);
      drops.push(d.drop);
      return d.url;
    }
    return pathToFileURL(join(dir, name)).toString();
  }

  async function withDb<T>(u: string, f: (db: Database) => Promise<T>): Promise<T> {
    const db = await openDatabase({ url: u });
    try {
      return await f(db);
    } finally {
      await db.close();
    }
  }

  const snapshot = (u: string) =>
    withDb(u, async (db): Promise<Snapshot> => {
      const q = async <R>(text: string) => (await db.pool.query(text)).rows as R[];
      return {
        events: await q(
          "select tax_code, sequence::text, body, prev_hash, hash from seller.archive_event order by tax_code, sequence",
        ),
        contents: await q("select tax_code, hash, bytes from seller.archive_content order by tax_code, hash"),
        heads: await q("select tax_code, sequence::text, hash from seller.archive_head order by tax_code"),
      };
    });

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "hddt-integrity-"));
    url = await database("issued");
    restoredUrl = await database("restored");
    await withDb(url, async (db) => {
      const c = await composeAll({
        db,
        devCaDir: await devCaDir(),
        apiKeys: [{ role: "admin", name: "admin", key: ADMIN_KEY }],
      });
      try {
        await c.onboard({
          taxCode: SELLER_A,
          name: "Công ty A",
          address: "Số 1 Tràng Tiền, Hà Nội",
          profile: { email: "ketoan@example.vn", phone: "0241234567" },
        });
        await c.drain();
        const today = new Date(Date.now() + 7 * 3_600_000).toISOString().slice(0, 10);
        const series = seriesOf(today);
        const made = await c.seller.createSeries(SELLER_A, { template: "1", series });
        if (!made.ok) throw new Error(JSON.stringify(made.problems));
        const key = (await c.seller.createApiKey(SELLER_A, { name: "t", role: "accountant" })).key;
        for (let i = 0; i < N; i++) {
          const r = await c.app.inject({
            method: "POST",
            url: "/seller/invoices?issue=true",
            headers: { "x-api-key": key, "content-type": "application/json", "idempotency-key": `int-${i}` },
            payload: JSON.stringify(invoiceInput(series)),
          });
          if (r.statusCode !== 201) throw new Error(r.body);
          if (i % 50 === 49) await c.drain();
        }
        await c.drain();
      } finally {
        await c.stop();
        await c.app.close();
      }
    });
  }, 600_000);

  afterAll(async () => {
    for (const d of drops) await d().catch(() => undefined);
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("verifies, backs up and restores on a fresh database byte for byte", () => {
    const started = Date.now();
    const clean = hddt("archive", "verify", "--database", url);
    expect(clean.status, clean.out + clean.err).toBe(0);
    expect(JSON.parse(clean.out).sound).toBe(true);
    const file = join(dir, "archive.ndjson.gz");
    const backup = hddt("backup", file, "--database", url);
    expect(backup.status, backup.err).toBe(0);
    const restore = hddt("restore", file, "--database", restoredUrl);
    expect(restore.status, restore.out + restore.err).toBe(0);
    const again = hddt("archive", "verify", "--database", restoredUrl);
    expect(again.status, again.out + again.err).toBe(0);
    expect(JSON.parse(again.out).heads).toEqual(JSON.parse(clean.out).heads);
    figure("integrity", `backup, restore and verify of ${N} invoices' archive in ${Date.now() - started} ms`);
  }, 600_000);

  it("holds the same events and contents after the restore, byte for byte", async () => {
    const [a, b] = [await snapshot(url), await snapshot(restoredUrl)];
    expect(a.events.length).toBeGreaterThan(N);
    expect(b.events).toEqual(a.events);
    expect(b.heads).toEqual(a.heads);
    expect(b.contents.length).toBe(a.contents.length);
    for (let i = 0; i < a.contents.length; i++) {
      expect(b.contents[i]!.hash).toBe(a.contents[i]!.hash);
      expect(Buffer.compare(b.contents[i]!.bytes, a.contents[i]!.bytes)).toBe(0);
    }
    figure("integrity", `restored: ${b.events.length} events and ${b.contents.length} contents identical`);
  });

  it("names every byte changed in the archive", async () => {
    const changed = await withDb(url, async (db) => {
      const q = async <R>(text: string, params: unknown[] = []) =>
        (await db.pool.query(text, params)).rows as R[];
      const entries = await q<{ ref: string; kind: string; content_hash: string; sequence: string }>(
        `select e.ref, e.kind, e.content_hash, v.sequence::text from seller.archive_entry e
           join seller.archive_event v on v.id = e.put_event_id
         where e.kind = 'invoice' and e.destroyed_event_id is null order by v.sequence`,
      );
      expect(entries.length).toBeGreaterThanOrEqual(4);
      const events = await q<{ sequence: string; body: string; hash: string }>(
        "select sequence::text, body, hash from seller.archive_event order by sequence",
      );
      // 1. One byte of an archived invoice's content.
      const content = entries[0]!;
      const [row] = await q<{ bytes: Buffer }>("select bytes from seller.archive_content where hash = $1", [
        content.content_hash,
      ]);
      const bytes = Buffer.from(row!.bytes);
      const at = Math.floor(bytes.length / 2);
      bytes[at] = bytes[at]! ^ 0x01;
      await q("update seller.archive_content set bytes = $1 where hash = $2", [bytes, content.content_hash]);
      // 2. One character of an event's body (a digit of its date-time), not touching the other columns.
      const bodyEvent = events[Math.floor(events.length / 2)]!;
      const body = bodyEvent.body.replace(/"at":"(\d{4})/, (_m, y: string) => `"at":"${Number(y) - 1}`);
      expect(body).not.toBe(bodyEvent.body);
      await q("update seller.archive_event set body = $1 where sequence = $2", [body, bodyEvent.sequence]);
      // 3. One character of another event's hash.
      const hashEvent = events[Math.floor(events.length / 4)]!;
      const hash = hashEvent.hash.replace(/^./, (c) => (c === "0" ? "1" : "0"));
      await q("update seller.archive_event set hash = $1 where sequence = $2", [hash, hashEvent.sequence]);
      // 4. An entry pointed at other content.
      const moved = entries.at(-1)!;
      await q("update seller.archive_entry set content_hash = $1 where ref = $2 and kind = $3", [
        entries[1]!.content_hash,
        moved.ref,
        moved.kind,
      ]);
      return { content, bodyEvent: bodyEvent.sequence, hashEvent: hashEvent.sequence, moved };
    });
    const r = hddt("archive", "verify", "--database", url);
    expect(r.status).toBe(1);
    const problems = JSON.parse(r.out) as Array<{
      code: string;
      path: string;
      params?: Record<string, string>;
    }>;
    const text = JSON.stringify(problems);
    const named = {
      "an invoice's content": problems.some(
        (p) => p.code === "ARCHIVE_CONTENT_CHANGED" && JSON.stringify(p).includes(changed.content.ref),
      ),
      "an event's body": problems.some(
        (p) => p.code === "ARCHIVE_EVENT_CHANGED" && p.params?.sequence === changed.bodyEvent,
      ),
      // A changed hash shows at its own event or at the next one, whose link no longer matches.
      "an event's hash": problems.some((p) =>
        [changed.hashEvent, String(Number(changed.hashEvent) + 1)].includes(p.params?.sequence ?? ""),
      ),
      "an entry's content hash": problems.some(
        (p) => p.code === "ARCHIVE_ENTRY_CHANGED" && JSON.stringify(p).includes(changed.moved.ref),
      ),
    };
    figure(
      "integrity",
      `4 changes made in the database, ${Object.values(named).filter(Boolean).length} named by hddt archive verify (${problems.length} problems reported)`,
    );
    expect(named, text.slice(0, 3000)).toEqual({
      "an invoice's content": true,
      "an event's body": true,
      "an event's hash": true,
      "an entry's content hash": true,
    });
  }, 300_000);
});
