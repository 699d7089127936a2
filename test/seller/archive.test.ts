/**
 * The seller's archive on both database backends: byte-exact storage, idempotent puts, the hash chain
 * under tampering (content, event, deleted event, entry row), concurrent appends on one chain, retention
 * and destruction, backup and restore (also of truncated and altered files).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { gunzipSync, gzipSync } from "node:zlib";
import { Command } from "@commander-js/extra-typings";
import type { Kysely } from "kysely";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import {
  type CliIo,
  registerArchiveCommands,
  runArchiveDestroy,
  runArchiveExpired,
  runArchiveVerify,
  runBackup,
  runRestore,
} from "../../src/cli/archive-commands.ts";
import { ManualClock, systemClock } from "../../src/domain/clock.ts";
import { Archive, type ArchiveEntry } from "../../src/seller/archive.ts";
import { ArchiveError } from "../../src/seller/archive-codes.ts";
import { type Database, inTransaction, migrate, openDatabase } from "../../src/store/index.ts";
import { openTestDatabase, testBackends } from "../store/backends.ts";

const SELLER = "0101234567";
const OTHER = "0312345678";
const XML =
  '<HDon><DLHDon Id="data"><TTChung><PBan>2.1.0</PBan></TTChung></DLHDon>\r\n  <MCCQT>x</MCCQT></HDon>';

const codes = (problems: readonly { code: string }[]) => problems.map((p) => p.code);

describe.each(testBackends())("seller archive (%s)", (backend) => {
  let db: Database;
  let k: Kysely<unknown>;
  let clock: ManualClock;
  let archive: Archive;
  let dir: string;

  const put = (entry: Partial<ArchiveEntry> & { ref: string }) =>
    inTransaction(k, (trx) =>
      archive.put(trx, {
        taxCode: SELLER,
        kind: "invoice",
        documentDate: "2026-01-05",
        bytes: `${XML}<!-- ${entry.ref} -->`,
        ...entry,
      }),
    );
  const sqlq = (text: string, values: unknown[] = []) => db.pool.query(text, values);

  beforeAll(async () => {
    db = await openTestDatabase(backend, { poolSize: 10 });
    await migrate(db, "seller");
    k = db.kysely<unknown>("seller");
    dir = mkdtempSync(join(tmpdir(), "hddt-archive-"));
  });
  afterAll(async () => {
    await db.close();
    rmSync(dir, { recursive: true, force: true });
  });
  beforeEach(async () => {
    await sqlq(
      "truncate seller.archive_event, seller.archive_head, seller.archive_entry, seller.archive_content restart identity",
    );
    clock = new ManualClock("2026-03-01T03:00:00Z");
    archive = new Archive(db, { clock });
  });

  it("gives back the bytes exactly as stored, text or binary", async () => {
    const binary = new Uint8Array([0xef, 0xbb, 0xbf, 0x3c, 0x00, 0xff, 0x0d, 0x0a]);
    await put({ ref: "inv-1", bytes: XML });
    await put({ ref: "m-1", kind: "message", bytes: binary });
    const a = await archive.get(SELLER, "inv-1");
    const b = await archive.get(SELLER, "m-1", "message");
    expect(a.ok && a.value.equals(Buffer.from(XML, "utf8"))).toBe(true);
    expect(b.ok && b.value.equals(Buffer.from(binary))).toBe(true);
    const missing = await archive.get(SELLER, "nope");
    expect(missing.ok ? [] : codes(missing.problems)).toEqual(["ARCHIVE_NOT_FOUND"]);
  });

  it("numbers a seller's events 1, 2, 3 and links each to the previous hash", async () => {
    const r1 = await put({ ref: "a" });
    const r2 = await put({ ref: "b" });
    const r3 = await put({ ref: "c", taxCode: OTHER });
    expect([r1.sequence, r2.sequence, r3.sequence]).toEqual([1, 2, 1]);
    const rows = await sqlq(
      "select prev_hash, hash from seller.archive_event where tax_code = $1 order by sequence",
      [SELLER],
    );
    expect(rows.rows[0].prev_hash).toBe("0".repeat(64));
    expect(rows.rows[1].prev_hash).toBe(r1.hash);
    expect(rows.rows[1].hash).toBe(r2.hash);
    expect(await archive.heads()).toEqual([
      { taxCode: SELLER, sequence: 2, hash: r2.hash },
      { taxCode: OTHER, sequence: 1, hash: r3.hash },
    ]);
    expect(await archive.verify()).toEqual([]);
  });

  it("returns the first event for a second put of the same bytes and ref, and refuses other bytes", async () => {
    const first = await put({ ref: "inv-1", bytes: XML });
    const again = await put({ ref: "inv-1", bytes: Buffer.from(XML) });
    expect(again).toEqual({ ...first, created: false });
    expect(first.created).toBe(true);
    const err = await put({ ref: "inv-1", bytes: `${XML} ` }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ArchiveError);
    expect((err as ArchiveError).code).toBe("ARCHIVE_REF_TAKEN");
    const count = await sqlq("select count(*)::int as n from seller.archive_event");
    expect(count.rows[0].n).toBe(1);
    // Same bytes under another ref are stored once.
    await put({ ref: "inv-2", bytes: XML });
    const contents = await sqlq("select count(*)::int as n from seller.archive_content");
    expect(contents.rows[0].n).toBe(1);
  });

  it("rolls back with the caller's transaction", async () => {
    await expect(
      inTransaction(k, async (trx) => {
        await archive.put(trx, {
          taxCode: SELLER,
          kind: "invoice",
          ref: "x",
          documentDate: "2026-01-05",
          bytes: XML,
        });
        throw new Error("issuing failed");
      }),
    ).rejects.toThrow("issuing failed");
    const g = await archive.get(SELLER, "x");
    expect(g.ok ? [] : codes(g.problems)).toEqual(["ARCHIVE_NOT_FOUND"]);
    expect(await archive.heads()).toEqual([]);
  });

  it("refuses a bad entry with ARCHIVE_BAD_ENTRY", async () => {
    const err = await put({ ref: "x", documentDate: "2026-02-30" }).catch((e: unknown) => e);
    expect((err as ArchiveError).code).toBe("ARCHIVE_BAD_ENTRY");
    expect((err as ArchiveError).problem.params?.field).toBe("documentDate");
  });

  it("asks for the kind when a ref exists under several kinds", async () => {
    await put({ ref: "K1", kind: "message" });
    await put({ ref: "K1", kind: "receipt" });
    const g = await archive.get(SELLER, "K1");
    expect(g.ok ? [] : codes(g.problems)).toEqual(["ARCHIVE_AMBIGUOUS"]);
    expect((await archive.get(SELLER, "K1", "receipt")).ok).toBe(true);
  });

  describe("verify finds tampering", () => {
    beforeEach(async () => {
      for (const ref of ["a", "b", "c", "d"]) await put({ ref });
      expect(await archive.verify()).toEqual([]);
    });

    it("a byte changed in a stored content", async () => {
      await sqlq(
        "update seller.archive_content set bytes = overlay(bytes placing '\\x58'::bytea from 3 for 1) where hash = (select content_hash from seller.archive_entry where ref = 'b')",
      );
      const problems = await archive.verify();
      expect(codes(problems)).toEqual(["ARCHIVE_CONTENT_CHANGED"]);
      expect(problems[0]!.params).toMatchObject({ taxCode: SELLER, sequence: "2", ref: "b" });
      const g = await archive.get(SELLER, "b");
      expect(g.ok ? [] : codes(g.problems)).toEqual(["ARCHIVE_CONTENT_CHANGED"]);
    });

    it("a deleted content", async () => {
      await sqlq(
        "delete from seller.archive_content where hash = (select content_hash from seller.archive_entry where ref = 'c')",
      );
      expect(codes(await archive.verify())).toEqual(["ARCHIVE_CONTENT_MISSING"]);
    });

    it("a deleted event in the middle", async () => {
      await sqlq("delete from seller.archive_event where sequence = 2");
      const problems = await archive.verify();
      expect(codes(problems)).toContain("ARCHIVE_CHAIN_BROKEN");
      expect(problems.find((p) => p.code === "ARCHIVE_CHAIN_BROKEN")!.params).toMatchObject({
        sequence: "3",
      });
    });

    it("the last event deleted (the head remembers it)", async () => {
      await sqlq("delete from seller.archive_event where sequence = 4");
      await sqlq("delete from seller.archive_entry where ref = 'd'");
      expect(codes(await archive.verify())).toEqual(["ARCHIVE_CHAIN_BROKEN"]);
    });

    it("an edited event body", async () => {
      await sqlq(
        'update seller.archive_event set body = replace(body, \'"documentDate":"2026-01-05"\', \'"documentDate":"2016-01-05"\') where sequence = 3',
      );
      const problems = await archive.verify();
      expect(codes(problems)).toContain("ARCHIVE_EVENT_CHANGED");
      expect(problems.every((p) => p.params?.sequence === "3")).toBe(true);
    });

    it("an edited event column and an edited entry row", async () => {
      await sqlq("update seller.archive_event set document_date = '2010-01-01' where sequence = 1");
      await sqlq("update seller.archive_entry set document_date = '2010-01-01' where ref = 'd'");
      const problems = await archive.verify();
      expect(codes(problems).sort()).toEqual(["ARCHIVE_ENTRY_CHANGED", "ARCHIVE_EVENT_CHANGED"]);
    });

    it("an event and its hash rewritten together (the next link breaks)", async () => {
      const r = await sqlq("select prev_hash, body from seller.archive_event where sequence = 2");
      const body = String(r.rows[0].body).replace('"ref":"b"', '"ref":"B"');
      const { eventHash } = await import("../../src/seller/archive.ts");
      await sqlq("update seller.archive_event set body = $1, ref = 'B', hash = $2 where sequence = 2", [
        body,
        eventHash(r.rows[0].prev_hash, body),
      ]);
      await sqlq("update seller.archive_entry set ref = 'B' where ref = 'b'");
      const problems = await archive.verify();
      expect(codes(problems)).toEqual(["ARCHIVE_CHAIN_BROKEN"]);
      expect(problems[0]!.params?.sequence).toBe("3");
    });
  });

  it("keeps one unforked chain when many transactions append at once", async () => {
    const n = 24;
    const results = await Promise.all(
      Array.from({ length: n }, (_, i) =>
        inTransaction(k, async (trx) => {
          const r = await archive.put(trx, {
            taxCode: SELLER,
            kind: "invoice",
            ref: `c-${i}`,
            documentDate: "2026-02-01",
            bytes: `${XML}${i}`,
          });
          // Hold the head lock a moment so the others really wait on it (on a server).
          await new Promise((res) => setTimeout(res, 5));
          return r;
        }),
      ),
    );
    expect(results.map((r) => r.sequence).sort((a, b) => a - b)).toEqual(
      Array.from({ length: n }, (_, i) => i + 1),
    );
    expect(await archive.verify()).toEqual([]);
    expect((await archive.heads())[0]!.sequence).toBe(n);
  });

  it("appends many puts in one call as the same puts one after the other would", async () => {
    await put({ ref: "before" });
    const entry = (ref: string, bytes: string, taxCode = SELLER): ArchiveEntry => ({
      taxCode,
      kind: "message",
      ref,
      documentDate: "2026-02-01",
      bytes,
    });
    const results = await inTransaction(k, (trx) =>
      archive.putMany(trx, [
        entry("m-1", "one"),
        entry("before", "not the first", OTHER),
        entry("m-2", "two"),
        entry("m-1", "one"),
        entry("m-3", "one"),
      ]),
    );
    expect(results.map((r) => [r.sequence, r.created])).toEqual([
      [2, true],
      [1, true],
      [3, true],
      [2, false],
      [4, true],
    ]);
    expect(results[3]!.eventId).toBe(results[0]!.eventId);
    const again = await inTransaction(k, (trx) => archive.putMany(trx, [entry("m-2", "two")]));
    expect(again[0]).toMatchObject({ sequence: 3, created: false, hash: results[2]!.hash });
    const m3 = await archive.get(SELLER, "m-3", "message");
    expect(m3.ok && m3.value.toString("utf8")).toBe("one");
    expect(await archive.verify()).toEqual([]);
    expect((await archive.heads()).map((h) => [h.taxCode, h.sequence])).toEqual([
      [SELLER, 4],
      [OTHER, 1],
    ]);
  });

  it("refuses a batch that puts other bytes under one ref, and keeps nothing of it", async () => {
    const entry = (ref: string, bytes: string): ArchiveEntry => ({
      taxCode: SELLER,
      kind: "message",
      ref,
      documentDate: "2026-02-01",
      bytes,
    });
    const attempt = inTransaction(k, (trx) =>
      archive.putMany(trx, [entry("x-1", "a"), entry("x-2", "b"), entry("x-1", "c")]),
    );
    await expect(attempt).rejects.toMatchObject({ code: "ARCHIVE_REF_TAKEN" });
    expect(await archive.heads()).toEqual([]);
  });

  it("keeps one chain under repeatable read too (a stale head is retried, not forked)", async () => {
    await put({ ref: "first" });
    const results = await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        inTransaction(
          k,
          (trx) =>
            archive.put(trx, {
              taxCode: SELLER,
              kind: "message",
              ref: `rr-${i}`,
              documentDate: "2026-02-01",
              bytes: `m${i}`,
            }),
          { isolation: "repeatable read", retries: 20 },
        ),
      ),
    );
    expect(results.map((r) => r.sequence).sort((a, b) => a - b)).toEqual([2, 3, 4, 5, 6, 7, 8, 9]);
    expect(await archive.verify()).toEqual([]);
  });

  describe("retention and destruction", () => {
    beforeEach(async () => {
      await put({ ref: "old-1", documentDate: "2014-06-30" });
      await put({ ref: "old-2", documentDate: "2015-12-31" });
      await put({ ref: "new-1", documentDate: "2016-01-01" });
      await put({ ref: "other-old", taxCode: OTHER, documentDate: "2015-01-01" });
    });

    it("lists as expired only what is past 10 years after the end of its year", async () => {
      const r = await archive.expired("2026-01-01");
      expect(r.ok && r.value.map((e) => [e.ref, e.expiresOn])).toEqual([
        ["old-1", "2025-01-01"],
        ["old-2", "2026-01-01"],
        ["other-old", "2026-01-01"],
      ]);
      const before = await archive.expired("2025-12-31");
      expect(before.ok && before.value.map((e) => e.ref)).toEqual(["old-1"]);
    });

    it("refuses to judge expiry on a future date", async () => {
      const r = await archive.expired("2027-01-01");
      expect(r.ok ? [] : codes(r.problems)).toEqual(["ARCHIVE_DATE_IN_FUTURE"]);
    });

    it("refuses, whole, a destruction naming an entry not yet expired", async () => {
      const r = await archive.destroy({
        refs: ["old-1", "new-1"],
        reason: "hết hạn",
        actor: "kế toán trưởng",
      });
      expect(r.ok ? [] : codes(r.problems)).toEqual(["ARCHIVE_NOT_EXPIRED"]);
      expect((await archive.get(SELLER, "old-1")).ok).toBe(true);
      expect((await archive.heads()).find((h) => h.taxCode === SELLER)!.sequence).toBe(3);
    });

    it("destroys expired entries, records it in the chain, and still verifies", async () => {
      const r = await archive.destroy({ reason: "Hết thời hạn lưu trữ 10 năm", actor: "Nguyễn Văn A" });
      expect(r.ok).toBe(true);
      if (!r.ok) return;
      expect(r.value.destroyed).toBe(3);
      expect(r.value.events.map((e) => [e.taxCode, e.sequence, e.entries])).toEqual([
        [SELLER, 4, 2],
        [OTHER, 2, 1],
      ]);
      const g = await archive.get(SELLER, "old-1");
      expect(g.ok ? [] : codes(g.problems)).toEqual(["ARCHIVE_DESTROYED"]);
      expect((await archive.get(SELLER, "new-1")).ok).toBe(true);
      const event = await sqlq("select body from seller.archive_event where tax_code = $1 and sequence = 4", [
        SELLER,
      ]);
      expect(JSON.parse(event.rows[0].body)).toMatchObject({
        type: "destroy",
        reason: "Hết thời hạn lưu trữ 10 năm",
        actor: "Nguyễn Văn A",
        entries: [{ ref: "old-1" }, { ref: "old-2" }],
      });
      // The bytes are gone.
      const left = await sqlq("select count(*)::int as n from seller.archive_content");
      expect(left.rows[0].n).toBe(1);
      expect(await archive.verify()).toEqual([]);
      // Nothing more to destroy.
      const again = await archive.destroy({ reason: "again", actor: "x" });
      expect(again.ok && again.value.destroyed).toBe(0);
      const named = await archive.destroy({ refs: ["old-1"], reason: "again", actor: "x" });
      expect(named.ok ? [] : codes(named.problems)).toEqual(["ARCHIVE_DESTROYED"]);
      const reput = await put({ ref: "old-1", documentDate: "2014-06-30" }).catch((e: unknown) => e);
      expect((reput as ArchiveError).problem.params).toMatchObject({ sequence: "4" });
      expect((reput as ArchiveError).code).toBe("ARCHIVE_DESTROYED");
    });

    it("keeps bytes a live entry still uses", async () => {
      await put({ ref: "copy-of-new", documentDate: "2014-01-01", bytes: `${XML}<!-- new-1 -->` });
      const r = await archive.destroy({ refs: ["copy-of-new"], reason: "hết hạn", actor: "x" });
      expect(r.ok).toBe(true);
      expect((await archive.get(SELLER, "new-1")).ok).toBe(true);
      expect(await archive.verify()).toEqual([]);
    });

    it("finds a destruction hidden by un-marking an entry", async () => {
      await archive.destroy({ refs: ["old-1"], reason: "hết hạn", actor: "x" });
      await sqlq("update seller.archive_entry set destroyed_event_id = null where ref = 'old-1'");
      const problems = await archive.verify();
      expect(problems.map((p) => [p.code, p.params?.detail])).toEqual([
        ["ARCHIVE_ENTRY_CHANGED", "its destroyed state differs"],
      ]);
      const g = await archive.get(SELLER, "old-1");
      expect(g.ok ? [] : codes(g.problems)).toEqual(["ARCHIVE_CONTENT_MISSING"]);
    });

    it("asks for a reason and an actor", async () => {
      const r = await archive.destroy({ reason: " ", actor: "x" });
      expect(r.ok ? [] : codes(r.problems)).toEqual(["ARCHIVE_REASON_REQUIRED"]);
    });
  });

  describe("backup and restore", () => {
    let target: Database;
    beforeAll(async () => {
      target = await openTestDatabase(backend);
      await migrate(target, "seller");
    });
    afterAll(async () => {
      await target.close();
    });
    beforeEach(async () => {
      await target.pool.query(
        "truncate seller.archive_event, seller.archive_head, seller.archive_entry, seller.archive_content restart identity",
      );
    });

    async function filled(): Promise<Map<string, Buffer>> {
      const docs = new Map<string, Buffer>();
      for (let i = 0; i < 30; i++) {
        const bytes = Buffer.from(`${XML}<n>${i}</n>${"đ".repeat(i * 50)}`);
        const taxCode = i % 3 === 0 ? OTHER : SELLER;
        await put({ ref: `r-${i}`, taxCode, bytes, documentDate: i < 5 ? "2012-05-01" : "2025-05-01" });
        docs.set(`${taxCode}/r-${i}`, bytes);
      }
      await archive.destroy({ reason: "hết hạn", actor: "x" });
      return docs;
    }

    it("restores into a fresh database byte-identical contents and chains that verify", async () => {
      const docs = await filled();
      const file = join(dir, "full.ndjson.gz");
      const report = await archive.backup(file);
      expect(report.events).toBe(32);
      const restored = new Archive(target, { clock });
      const r = await restored.restore(file);
      expect(r.ok ? r.value.events : r.problems).toBe(32);
      for (const [key, bytes] of docs) {
        const [taxCode, ref] = key.split("/") as [string, string];
        const g = await restored.get(taxCode, ref);
        const original = await archive.get(taxCode, ref);
        if (original.ok) expect(g.ok && g.value.equals(bytes)).toBe(true);
        else expect(g.ok ? [] : codes(g.problems)).toEqual(["ARCHIVE_DESTROYED"]);
      }
      expect(await restored.verify()).toEqual([]);
      expect(await restored.heads()).toEqual(await archive.heads());
      // Restoring again is refused: the archive is no longer empty.
      const again = await restored.restore(file);
      expect(again.ok ? [] : codes(again.problems)).toEqual(["ARCHIVE_NOT_EMPTY"]);
    });

    it("backs up one seller alone", async () => {
      await filled();
      const file = join(dir, "one.ndjson.gz");
      const report = await archive.backup(file, { taxCode: OTHER });
      expect(report.heads.map((h) => h.taxCode)).toEqual([OTHER]);
      const restored = new Archive(target, { clock });
      expect((await restored.restore(file)).ok).toBe(true);
      expect((await restored.heads()).map((h) => h.taxCode)).toEqual([OTHER]);
      expect(await restored.verify()).toEqual([]);
    });

    it("refuses a truncated backup and leaves the archive empty", async () => {
      await filled();
      const file = join(dir, "cut.ndjson.gz");
      await archive.backup(file);
      const whole = readFileSync(file);
      writeFileSync(file, whole.subarray(0, Math.floor(whole.length * 0.6)));
      const restored = new Archive(target, { clock });
      const r = await restored.restore(file);
      expect(r.ok ? [] : codes(r.problems)).toEqual(["ARCHIVE_BACKUP_TRUNCATED"]);
      expect(await restored.heads()).toEqual([]);
      // Cut exactly at a line end, inside a valid gzip: the end record is missing.
      const lines = gunzipSync(whole).toString("utf8").split("\n");
      writeFileSync(file, gzipSync(`${lines.slice(0, 10).join("\n")}\n`));
      const r2 = await restored.restore(file);
      expect(r2.ok ? [] : codes(r2.problems)).toEqual(["ARCHIVE_BACKUP_TRUNCATED"]);
    });

    it("refuses an altered backup", async () => {
      await filled();
      const file = join(dir, "alt.ndjson.gz");
      await archive.backup(file);
      const text = gunzipSync(readFileSync(file)).toString("utf8");
      const restored = new Archive(target, { clock });
      // A changed document (its base64) with its content hash left alone.
      const lines = text.split("\n");
      const i = lines.findIndex((l) => l.includes('"type":"content"'));
      const rec = JSON.parse(lines[i]!);
      const bytes = Buffer.from(rec.bytes, "base64");
      bytes[3] = (bytes[3]! + 1) & 0xff;
      lines[i] = JSON.stringify({ ...rec, bytes: bytes.toString("base64") });
      writeFileSync(file, gzipSync(lines.join("\n")));
      const r = await restored.restore(file);
      expect(r.ok ? [] : codes(r.problems)).toEqual(["ARCHIVE_BACKUP_CORRUPT"]);
      // A changed byte that keeps every record valid is caught by the end checksum.
      const j = lines.findIndex((l) => l.includes('"type":"head"'));
      lines[i] = text.split("\n")[i]!;
      lines[j] = lines[j]!.replace('"type":"head"', '"type":"head","x":1');
      writeFileSync(file, gzipSync(lines.join("\n")));
      const r2 = await restored.restore(file);
      expect(r2.ok ? [] : r2.problems.map((p) => [p.code, p.params?.reason])).toEqual([
        ["ARCHIVE_BACKUP_CORRUPT", "its checksum does not match its content"],
      ]);
      expect(await restored.heads()).toEqual([]);
    });
  });
});

describe("archive commands (embedded data folders)", () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "hddt-archive-cli-"));
  });
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  function io(): CliIo & { stdout: () => string } {
    let out = "";
    return {
      out: (t) => {
        out += t;
      },
      err: () => {},
      stdout: () => out,
    };
  }

  it("opens the database named by --database (an embedded data folder) and verifies it", async () => {
    const a = join(dir, "a");
    {
      const db = await openDatabase({ dataDir: a });
      await migrate(db, "seller");
      const archive = new Archive(db, { clock: systemClock });
      await inTransaction(db.kysely<unknown>("seller"), (trx) =>
        archive.put(trx, {
          taxCode: SELLER,
          kind: "invoice",
          ref: "x",
          documentDate: "2026-01-05",
          bytes: XML,
        }),
      );
      await db.close();
    }
    const o = io();
    expect(await runArchiveVerify({ database: pathToFileURL(a).href }, o)).toBe(0);
    expect(JSON.parse(o.stdout())).toMatchObject({ sound: true, heads: [{ taxCode: SELLER, sequence: 1 }] });
  }, 120_000);

  it("lists expired, destroys, backs up and restores; verify exits 1 on a changed byte", async () => {
    const a = await openDatabase({ url: "memory://" });
    const b = await openDatabase({ url: "memory://" });
    try {
      await migrate(a, "seller");
      const archive = new Archive(a, { clock: systemClock });
      const k = a.kysely<unknown>("seller");
      for (const [ref, date] of [
        ["old", "2010-04-01"],
        ["new-1", "2026-01-05"],
        ["new-2", "2026-01-06"],
      ] as const)
        await inTransaction(k, (trx) =>
          archive.put(trx, {
            taxCode: SELLER,
            kind: "invoice",
            ref,
            documentDate: date,
            bytes: `${XML}${ref}`,
          }),
        );
      const file = join(dir, "archive.ndjson.gz");
      let o = io();
      expect(await runArchiveExpired({ db: a }, o)).toBe(0);
      expect(JSON.parse(o.stdout()).map((e: { ref: string }) => e.ref)).toEqual(["old"]);

      o = io();
      expect(await runArchiveDestroy({ db: a, before: "2027-01-01", refs: ["new-1"], reason: "x" }, o)).toBe(
        1,
      );
      expect(JSON.parse(o.stdout()).map((p: { code: string }) => p.code)).toEqual(["ARCHIVE_NOT_EXPIRED"]);
      o = io();
      expect(
        await runArchiveDestroy({ db: a, before: "2011-01-01", reason: "Hết hạn lưu trữ", actor: "kt" }, o),
      ).toBe(0);
      expect(JSON.parse(o.stdout())).toMatchObject({ destroyed: 1 });

      expect(await runBackup({ db: a, file }, io())).toBe(0);
      expect(await runRestore({ db: b, file }, io())).toBe(0);
      expect(await runArchiveVerify({ db: b }, io())).toBe(0);
      o = io();
      expect(await runRestore({ db: b, file }, o)).toBe(1);
      expect(JSON.parse(o.stdout())[0].code).toBe("ARCHIVE_NOT_EMPTY");

      await b.pool.query(
        "update seller.archive_content set bytes = overlay(bytes placing '\\x21'::bytea from 1 for 1) where size > 0",
      );
      o = io();
      expect(await runArchiveVerify({ db: b, taxCode: SELLER }, o)).toBe(1);
      expect(JSON.parse(o.stdout()).map((p: { code: string }) => p.code)).toEqual([
        "ARCHIVE_CONTENT_CHANGED",
        "ARCHIVE_CONTENT_CHANGED",
      ]);
    } finally {
      await a.close();
      await b.close();
    }
  }, 120_000);

  it("registers archive verify/expired/destroy, backup and restore", () => {
    const program = new Command();
    registerArchiveCommands(program);
    expect(program.commands.map((c) => c.name())).toEqual(["archive", "backup", "restore"]);
    const group = program.commands[0]!;
    expect(group.commands.map((c) => c.name())).toEqual(["verify", "expired", "destroy"]);
  });
});
