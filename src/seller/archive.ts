/**
 * The seller's archive (lưu trữ): every signed invoice, message, receipt, notice and form, kept byte-exact,
 * never changed, provably intact, for the retention period, then destroyed (tiêu hủy) with a record.
 *
 * The law (seed 002: Decree 119/2018, "Bảo quản, lưu trữ, tiêu hủy hóa đơn điện tử"; Circular 32/2011
 * art. 11; the same duties stand in Decree 123/2020 art. 6): invoices are kept by
 * electronic means, safe, whole, "not changed or distorted during the whole retention period", in the
 * format in which they were made, sent and received, for the period the accounting law sets; backed up;
 * destroyed only after that period, and the destruction must not affect the integrity of what remains.
 *
 * What is stored. An entry is (tax code, kind, ref) → bytes, with the document's date. Kinds: invoice,
 * message, receipt, notice, form. The bytes are stored once per seller under their SHA-256
 * (`archive_content`); an entry never changes: a second put of the same bytes under the same
 * (tax code, kind, ref) returns the first event, other bytes are refused (ARCHIVE_REF_TAKEN). The module
 * knows nothing of invoices: the seller's services call `put(trx, …)` inside their own transaction, so a
 * document and its archive copy commit or roll back together.
 *
 * The chain. Every change is an event appended to a SHA-256 hash chain. An event is the canonical JSON
 * text `body` (fields in a fixed order, see `encodeBody`): `v`, `taxCode`, `sequence`, `type`, `at`, then
 * for a put `kind`, `ref`, `documentDate`, `contentHash`, `size`, for a destruction `asOf`, `retentionYears`,
 * `reason`, `actor`, `entries` (each destroyed kind, ref, documentDate, contentHash). Its hash is
 * `SHA-256(prevHash + "\n" + body)` in lower-case hex, prevHash of the first event being 64 zeros. The
 * chain covers content hashes, not bytes, so destroying bytes later leaves every event intact; the
 * destruction itself is an event. `archive_head` keeps each chain's last sequence and hash.
 *
 * One chain per seller (tax code), not one for the whole archive: seller rows are sharded by tax code
 * (design), sellers issue concurrently without waiting on one global lock, and one seller's chain can be
 * checked, backed up or handed to an inspector alone. Appends take the row lock of the seller's head row
 * (an upsert of `archive_head` that returns it locked): concurrent appends of one seller queue up and never
 * fork the chain; under repeatable read or serializable isolation a stale head gives a serialization
 * failure that `inTransaction` retries. The chain detects changes made inside the database; to detect a rewrite of a whole chain by
 * someone who can also recompute hashes, keep the heads (printed by `verify` and `backup`) elsewhere.
 *
 * Retention. Accounting documents used for bookkeeping, invoices among them, are kept at least 10 years
 * (Law on Accounting 2015 art. 41; Decree 174/2016/NĐ-CP), counted from the end of the annual accounting
 * period. hddt takes the calendar year as that period: an entry dated in year Y may be destroyed from
 * 1 January of Y + retentionYears + 1 (dated 2015-03-10, 10 years: from 2026-01-01). This is never earlier
 * than counting from the exact date. A seller with a different fiscal year should raise `retentionYears`.
 *
 * Destruction keeps the entry's row (kind, ref, date, content hash, the destroying event) and deletes the
 * bytes once no live entry of the seller uses them: after it the document cannot be read or referred to,
 * and the chain still verifies. Only expired entries are destroyed; a request naming one that is not
 * expired is refused whole (ARCHIVE_NOT_EXPIRED). A destruction event lists at most DESTROY_BATCH entries.
 *
 * Backup format (one file, streamed): gzip of UTF-8 NDJSON, one JSON object per line:
 *   {"format":"hddt-archive-backup","version":1,"createdAt":…,"taxCode":…|null}
 *   then per seller (by tax code): {"type":"head",taxCode,sequence,hash}, its events by sequence
 *   {"type":"event",taxCode,sequence,prevHash,hash,body}, its contents by hash
 *   {"type":"content",taxCode,hash,size,bytes: base64}
 *   {"type":"end","lines":n,"events":n,"contents":n,"sha256":hex}
 * `sha256` covers every byte of the lines before it (with their "\n"). Restoring checks it, every event's
 * hash and link, every content's hash, and each chain's head; the entries are rebuilt by replaying events.
 * A backup is read in one repeatable-read transaction, so it is a consistent picture.
 */
import { createHash } from "node:crypto";
import { createReadStream, createWriteStream } from "node:fs";
import { rename, rm, stat } from "node:fs/promises";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { createGunzip, createGzip } from "node:zlib";
import { type Kysely, sql, type Transaction } from "kysely";
import type { Clock } from "../domain/clock.ts";
import { instantToDate, isDate, yearOf } from "../domain/dates.ts";
import { fail, ok, type Problem, type Result } from "../domain/problem.ts";
import type { Database } from "../store/database.ts";
import { ArchiveError, archiveProblem } from "./archive-codes.ts";

export const ENTRY_KINDS = ["invoice", "message", "receipt", "notice", "form"] as const;
export type EntryKind = (typeof ENTRY_KINDS)[number];

export const GENESIS_HASH = "0".repeat(64);
export const DEFAULT_RETENTION_YEARS = 10;
/** Most entries one destruction event lists; more are destroyed by several events. */
export const DESTROY_BATCH = 5000;
export const BACKUP_FORMAT = "hddt-archive-backup";
export const BACKUP_VERSION = 1;

const PAGE = 1000;
const CONTENT_PAGE = 100;

export interface ArchiveEntry {
  readonly taxCode: string;
  readonly kind: EntryKind;
  /** The document's id in its kind: an invoice id, a message id (MTDiep)… */
  readonly ref: string;
  /** YYYY-MM-DD, the document's date: retention counts from it. */
  readonly documentDate: string;
  /** The bytes to keep; text is stored as UTF-8. */
  readonly bytes: Uint8Array | string;
}

export interface PutResult {
  /** The put event's row id (local to this database; not carried by backups). */
  readonly eventId: string;
  /** The event's place in the seller's chain, from 1. */
  readonly sequence: number;
  readonly hash: string;
  readonly contentHash: string;
  /** False when the same bytes were already archived under this ref: the first event is returned. */
  readonly created: boolean;
}

export interface ExpiredEntry {
  readonly taxCode: string;
  readonly kind: EntryKind;
  readonly ref: string;
  readonly documentDate: string;
  /** First day it may be destroyed. */
  readonly expiresOn: string;
  readonly contentHash: string;
  readonly size: number;
}

export interface ChainHead {
  readonly taxCode: string;
  readonly sequence: number;
  readonly hash: string;
}

export interface DestroyRequest {
  /** Expiry is judged on this date (default today, Vietnam time); never later than today. */
  readonly asOf?: string;
  /** Only entries dated before this date. */
  readonly before?: string;
  readonly taxCode?: string;
  /** Only these refs (of any kind); each must exist, be live and be expired, or nothing is destroyed. */
  readonly refs?: readonly string[];
  readonly reason: string;
  readonly actor: string;
  readonly onProgress?: Progress;
}

export interface DestroyReport {
  readonly destroyed: number;
  readonly events: readonly (ChainHead & { readonly eventId: string; readonly entries: number })[];
}

export interface BackupReport {
  readonly file: string;
  readonly events: number;
  readonly contents: number;
  readonly sha256: string;
  readonly heads: readonly ChainHead[];
}

export interface RestoreReport {
  readonly events: number;
  readonly contents: number;
  readonly entries: number;
  readonly heads: readonly ChainHead[];
}

/** Called now and then during long work (`done` items of `phase`; `total` when known). */
export type Progress = (p: { phase: string; done: number; total?: number }) => void;

// ── pure parts ──────────────────────────────────────────────────────────────────────────────────────

export function sha256Hex(data: Uint8Array | string): string {
  return createHash("sha256").update(data).digest("hex");
}

/** An event's hash: SHA-256 of the previous hash, a newline and the body text. */
export function eventHash(prevHash: string, body: string): string {
  return sha256Hex(`${prevHash}\n${body}`);
}

/** The first day an entry dated `documentDate` may be destroyed: 1 January of year + retention + 1. */
export function expiresOn(documentDate: string, retentionYears = DEFAULT_RETENTION_YEARS): string {
  return `${String(yearOf(documentDate) + retentionYears + 1).padStart(4, "0")}-01-01`;
}

export function isExpired(
  documentDate: string,
  asOf: string,
  retentionYears = DEFAULT_RETENTION_YEARS,
): boolean {
  return asOf >= expiresOn(documentDate, retentionYears);
}

/** Entries dated before this day are expired on `asOf` (the SQL form of `isExpired`). */
export function expiryCutoff(asOf: string, retentionYears = DEFAULT_RETENTION_YEARS): string {
  return `${String(yearOf(asOf) - retentionYears).padStart(4, "0")}-01-01`;
}

export interface PutBody {
  readonly v: 1;
  readonly taxCode: string;
  readonly sequence: number;
  readonly type: "put";
  readonly at: string;
  readonly kind: EntryKind;
  readonly ref: string;
  readonly documentDate: string;
  readonly contentHash: string;
  readonly size: number;
}

export interface DestroyedItem {
  readonly kind: EntryKind;
  readonly ref: string;
  readonly documentDate: string;
  readonly contentHash: string;
}

export interface DestroyBody {
  readonly v: 1;
  readonly taxCode: string;
  readonly sequence: number;
  readonly type: "destroy";
  readonly at: string;
  readonly asOf: string;
  readonly retentionYears: number;
  readonly reason: string;
  readonly actor: string;
  readonly entries: readonly DestroyedItem[];
}

export type EventBody = PutBody | DestroyBody;

/** The canonical text of an event: JSON with the fields in the order above, no spaces. */
export function encodeBody(b: EventBody): string {
  const head = { v: b.v, taxCode: b.taxCode, sequence: b.sequence, type: b.type, at: b.at };
  if (b.type === "put")
    return JSON.stringify({
      ...head,
      kind: b.kind,
      ref: b.ref,
      documentDate: b.documentDate,
      contentHash: b.contentHash,
      size: b.size,
    });
  return JSON.stringify({
    ...head,
    asOf: b.asOf,
    retentionYears: b.retentionYears,
    reason: b.reason,
    actor: b.actor,
    entries: b.entries.map((e) => ({
      kind: e.kind,
      ref: e.ref,
      documentDate: e.documentDate,
      contentHash: e.contentHash,
    })),
  });
}

const HEX64 = /^[0-9a-f]{64}$/;
const isStr = (x: unknown): x is string => typeof x === "string";
const isKind = (x: unknown): x is EntryKind => ENTRY_KINDS.includes(x as EntryKind);

/** Reads an event's text; undefined when it is not an event this module writes (or was damaged). */
export function decodeBody(text: string): EventBody | undefined {
  let o: Record<string, unknown>;
  try {
    o = JSON.parse(text) as Record<string, unknown>;
  } catch {
    return undefined;
  }
  if (typeof o !== "object" || o === null || o.v !== 1 || !isStr(o.taxCode) || !isStr(o.at)) return undefined;
  if (!Number.isSafeInteger(o.sequence) || (o.sequence as number) < 1) return undefined;
  if (o.type === "put") {
    if (!isKind(o.kind) || !isStr(o.ref) || !isStr(o.documentDate) || !isDate(o.documentDate))
      return undefined;
    if (!isStr(o.contentHash) || !HEX64.test(o.contentHash) || !Number.isSafeInteger(o.size))
      return undefined;
    return o as unknown as PutBody;
  }
  if (o.type === "destroy") {
    if (!isStr(o.asOf) || !isStr(o.reason) || !isStr(o.actor) || !Number.isSafeInteger(o.retentionYears))
      return undefined;
    if (!Array.isArray(o.entries)) return undefined;
    for (const e of o.entries as Record<string, unknown>[]) {
      if (typeof e !== "object" || e === null || !isKind(e.kind) || !isStr(e.ref)) return undefined;
      if (!isStr(e.documentDate) || !isStr(e.contentHash)) return undefined;
    }
    return o as unknown as DestroyBody;
  }
  return undefined;
}

function toBuffer(bytes: Uint8Array | string): Buffer {
  if (typeof bytes === "string") return Buffer.from(bytes, "utf8");
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** Problems of an entry given to `put` (empty when it is fine). */
export function checkEntry(entry: ArchiveEntry): { field: string; reason: string }[] {
  const out: { field: string; reason: string }[] = [];
  if (!isStr(entry.taxCode) || !/^[0-9]{10}(-[0-9]{3})?$/.test(entry.taxCode))
    out.push({ field: "taxCode", reason: "is not a tax code (10 digits, or 10-3)" });
  if (!isKind(entry.kind)) out.push({ field: "kind", reason: `is not one of ${ENTRY_KINDS.join(", ")}` });
  if (!isStr(entry.ref) || entry.ref.length === 0 || entry.ref.length > 200)
    out.push({ field: "ref", reason: "must be 1 to 200 characters" });
  if (!isStr(entry.documentDate) || !isDate(entry.documentDate))
    out.push({ field: "documentDate", reason: "is not a date YYYY-MM-DD" });
  if (typeof entry.bytes !== "string" && !(entry.bytes instanceof Uint8Array))
    out.push({ field: "bytes", reason: "must be bytes or text" });
  return out;
}

const eventPath = (taxCode: string, sequence: number | string) => `archive/${taxCode}/${sequence}`;

// ── rows ────────────────────────────────────────────────────────────────────────────────────────────

interface EventRow {
  id: bigint;
  tax_code: string;
  sequence: bigint;
  type: string;
  at: Date;
  entry_kind: string | null;
  ref: string | null;
  document_date: string | null;
  content_hash: string | null;
  body: string;
  prev_hash: string;
  hash: string;
}

interface EntryRow {
  tax_code: string;
  kind: EntryKind;
  ref: string;
  document_date: string;
  content_hash: string;
  size: bigint;
  put_event_id: bigint;
  destroyed_event_id: bigint | null;
}

type Trx = Transaction<unknown>;
type Db = Kysely<unknown>;

/** Thrown inside a restore's transaction to roll it back with a problem. */
class Refusal extends Error {
  constructor(readonly problem: Problem) {
    super(problem.message);
  }
}

export interface ArchiveOptions {
  readonly clock: Clock;
  /** Default 10 (accounting law). */
  readonly retentionYears?: number;
}

export class Archive {
  readonly retentionYears: number;
  readonly #db: Database;
  readonly #clock: Clock;

  constructor(db: Database, options: ArchiveOptions) {
    this.#db = db;
    this.#clock = options.clock;
    this.retentionYears = options.retentionYears ?? DEFAULT_RETENTION_YEARS;
    if (!Number.isInteger(this.retentionYears) || this.retentionYears < 1)
      throw new RangeError("retentionYears must be a whole number of years, at least 1");
  }

  get #k(): Db {
    return this.#db.kysely<unknown>("seller");
  }

  /** Today in Vietnam time, by the clock. */
  today(): string {
    return instantToDate(this.#clock.now());
  }

  /**
   * Archives one document in the caller's transaction (a Kysely transaction on this database). Throws
   * ArchiveError (ARCHIVE_BAD_ENTRY, ARCHIVE_REF_TAKEN, ARCHIVE_DESTROYED), which rolls the caller back.
   */
  async put<DB>(trx: Transaction<DB>, entry: ArchiveEntry): Promise<PutResult> {
    return (await this.putMany(trx, [entry]))[0]!;
  }

  /**
   * Archives several documents in the caller's transaction, as `put` does one after the other (same
   * results, same events in the order given), in a few statements whatever their number: each seller's
   * head is locked once, and its events are appended together. A ref given twice behaves as a second put.
   */
  async putMany<DB>(trx: Transaction<DB>, entries: readonly ArchiveEntry[]): Promise<PutResult[]> {
    for (const entry of entries) {
      const bad = checkEntry(entry);
      if (bad.length > 0) throw new ArchiveError("ARCHIVE_BAD_ENTRY", bad[0]!);
    }
    const t = trx as unknown as Trx;
    const out: PutResult[] = new Array(entries.length);
    // Heads in tax-code order, so two transactions never wait for each other's heads.
    const sellers = [...new Set(entries.map((e) => e.taxCode))].sort();
    for (const taxCode of sellers) {
      const at = entries.flatMap((e, i) => (e.taxCode === taxCode ? [i] : []));
      await this.#putSeller(t, taxCode, at, entries, out);
    }
    return out;
  }

  async #putSeller(
    t: Trx,
    taxCode: string,
    at: readonly number[],
    entries: readonly ArchiveEntry[],
    out: PutResult[],
  ): Promise<void> {
    const head = await lockHead(t, taxCode);
    const items = at.map((i) => {
      const bytes = toBuffer(entries[i]!.bytes);
      return { i, entry: entries[i]!, bytes, contentHash: sha256Hex(bytes) };
    });
    const refs = sql.join(items.map((x) => sql`(${x.entry.kind}, ${x.entry.ref})`));
    const existing = await sql<
      EntryRow & { sequence: bigint; hash: string; destroyed_sequence: bigint | null }
    >`
      select e.*, ev.sequence, ev.hash, d.sequence as destroyed_sequence from seller.archive_entry e
      join seller.archive_event ev on ev.id = e.put_event_id
      left join seller.archive_event d on d.id = e.destroyed_event_id
      where e.tax_code = ${taxCode} and (e.kind, e.ref) in (${refs})`.execute(t);
    const found = new Map<string, PutResult>();
    for (const row of existing.rows) {
      const params = { taxCode, kind: row.kind, ref: row.ref };
      const same = items.filter((x) => x.entry.kind === row.kind && x.entry.ref === row.ref);
      if (same.some((x) => x.contentHash !== row.content_hash))
        throw new ArchiveError("ARCHIVE_REF_TAKEN", params);
      if (row.destroyed_event_id !== null)
        throw new ArchiveError("ARCHIVE_DESTROYED", {
          ...params,
          sequence: String(row.destroyed_sequence),
        });
      found.set(`${row.kind}\u0000${row.ref}`, {
        eventId: String(row.put_event_id),
        sequence: Number(row.sequence),
        hash: row.hash,
        contentHash: row.content_hash,
        created: false,
      });
    }
    // New entries in the order given; a repeat within the call gets the first one's event.
    const fresh: { i: number; body: PutBody; text: string; prevHash: string; hash: string; bytes: Buffer }[] =
      [];
    const firstOf = new Map<string, (typeof fresh)[number]>();
    let sequence = head.sequence;
    let prevHash = head.hash;
    const now = this.#clock.now().toISOString();
    for (const x of items) {
      const key = `${x.entry.kind}\u0000${x.entry.ref}`;
      const known = found.get(key);
      if (known) {
        out[x.i] = known;
        continue;
      }
      const first = firstOf.get(key);
      if (first) {
        if (first.body.contentHash !== x.contentHash)
          throw new ArchiveError("ARCHIVE_REF_TAKEN", { taxCode, kind: x.entry.kind, ref: x.entry.ref });
        continue;
      }
      sequence++;
      const body: PutBody = {
        v: 1,
        taxCode,
        sequence,
        type: "put",
        at: now,
        kind: x.entry.kind,
        ref: x.entry.ref,
        documentDate: x.entry.documentDate,
        contentHash: x.contentHash,
        size: x.bytes.length,
      };
      const text = encodeBody(body);
      const hash = eventHash(prevHash, text);
      const f = { i: x.i, body, text, prevHash, hash, bytes: x.bytes };
      fresh.push(f);
      firstOf.set(key, f);
      prevHash = hash;
    }
    if (fresh.length > 0) {
      const contents = new Map<string, Buffer>();
      for (const f of fresh) contents.set(f.body.contentHash, f.bytes);
      await sql`insert into seller.archive_content (tax_code, hash, size, bytes)
        values ${sql.join([...contents].map(([hash, bytes]) => sql`(${taxCode}, ${hash}, ${bytes.length}, ${bytes})`))}
        on conflict do nothing`.execute(t);
      const ids = await sql<{ id: bigint; sequence: bigint }>`insert into seller.archive_event
        (tax_code, sequence, type, at, entry_kind, ref, document_date, content_hash, body, prev_hash, hash)
        values ${sql.join(
          fresh.map(
            (f) => sql`(${taxCode}, ${f.body.sequence}, ${f.body.type}, ${f.body.at}, ${f.body.kind},
              ${f.body.ref}, ${f.body.documentDate}, ${f.body.contentHash}, ${f.text}, ${f.prevHash}, ${f.hash})`,
          ),
        )}
        returning id, sequence`.execute(t);
      const idOf = new Map(ids.rows.map((r) => [Number(r.sequence), String(r.id)]));
      await sql`insert into seller.archive_entry
        (tax_code, kind, ref, document_date, content_hash, size, put_event_id)
        values ${sql.join(
          fresh.map(
            (
              f,
            ) => sql`(${taxCode}, ${f.body.kind}, ${f.body.ref}, ${f.body.documentDate}, ${f.body.contentHash},
              ${f.bytes.length}, ${idOf.get(f.body.sequence)!})`,
          ),
        )}`.execute(t);
      await sql`update seller.archive_head set sequence = ${sequence}, hash = ${prevHash}
        where tax_code = ${taxCode}`.execute(t);
      for (const f of fresh)
        out[f.i] = {
          eventId: idOf.get(f.body.sequence)!,
          sequence: f.body.sequence,
          hash: f.hash,
          contentHash: f.body.contentHash,
          created: true,
        };
    }
    // Repeats within the call: the first one's event, as a second put would find it.
    for (const x of items) {
      if (out[x.i] !== undefined) continue;
      const f = firstOf.get(`${x.entry.kind}\u0000${x.entry.ref}`)!;
      out[x.i] = { ...out[f.i]!, created: false };
    }
  }

  /**
   * The bytes exactly as archived. Problems: ARCHIVE_NOT_FOUND, ARCHIVE_AMBIGUOUS (a ref of several kinds
   * without `kind`), ARCHIVE_DESTROYED, ARCHIVE_CONTENT_MISSING, ARCHIVE_CONTENT_CHANGED (bytes that no
   * longer match their hash are never handed out).
   */
  async get(taxCode: string, ref: string, kind?: EntryKind): Promise<Result<Buffer>> {
    const rows = await sql<EntryRow & { sequence: bigint | null; destroyed_sequence: bigint | null }>`
      select e.*, p.sequence, d.sequence as destroyed_sequence
      from seller.archive_entry e
      left join seller.archive_event p on p.id = e.put_event_id
      left join seller.archive_event d on d.id = e.destroyed_event_id
      where e.tax_code = ${taxCode} and e.ref = ${ref} ${kind ? sql`and e.kind = ${kind}` : sql``}
      order by e.kind`.execute(this.#k);
    const path = `archive/${taxCode}/${ref}`;
    if (rows.rows.length === 0) return fail([archiveProblem("ARCHIVE_NOT_FOUND", path, { taxCode, ref })]);
    if (rows.rows.length > 1)
      return fail([
        archiveProblem("ARCHIVE_AMBIGUOUS", path, {
          taxCode,
          ref,
          kinds: rows.rows.map((r) => r.kind).join(", "),
        }),
      ]);
    const e = rows.rows[0]!;
    const params = { taxCode, ref, kind: e.kind, sequence: String(e.sequence) };
    if (e.destroyed_event_id !== null)
      return fail([
        archiveProblem("ARCHIVE_DESTROYED", path, { ...params, sequence: String(e.destroyed_sequence) }),
      ]);
    const c = await sql<{ bytes: Buffer }>`select bytes from seller.archive_content
      where tax_code = ${taxCode} and hash = ${e.content_hash}`.execute(this.#k);
    const bytes = c.rows[0]?.bytes;
    if (!bytes) return fail([archiveProblem("ARCHIVE_CONTENT_MISSING", path, params)]);
    if (sha256Hex(bytes) !== e.content_hash)
      return fail([archiveProblem("ARCHIVE_CONTENT_CHANGED", path, params)]);
    return ok(bytes);
  }

  /** Each seller's chain head (last sequence and hash), by tax code. */
  async heads(taxCode?: string): Promise<ChainHead[]> {
    const r = await sql<{ tax_code: string; sequence: bigint; hash: string }>`
      select tax_code, sequence, hash from seller.archive_head
      ${taxCode ? sql`where tax_code = ${taxCode}` : sql``} order by tax_code`.execute(this.#k);
    return r.rows.map((h) => ({ taxCode: h.tax_code, sequence: Number(h.sequence), hash: h.hash }));
  }

  /**
   * Walks every chain (or one seller's) and every stored content. Each problem names its event in `path`
   * (`archive/<tax code>/<sequence>`) and params. Empty: the archive is sound.
   */
  async verify(options: { taxCode?: string; onProgress?: Progress } = {}): Promise<Problem[]> {
    const problems: Problem[] = [];
    const sellers = await this.#sellers(options.taxCode);
    // The total is for the progress bar only: events added meanwhile are checked too.
    const count = await sql<{ n: string }>`select count(*)::text as n from seller.archive_event
      where ${options.taxCode === undefined ? sql`true` : sql`tax_code = ${options.taxCode}`}`.execute(
      this.#k,
    );
    const total = Number(count.rows[0]?.n ?? 0);
    let done = 0;
    for (const taxCode of sellers) {
      await this.#verifySeller(taxCode, problems, () => {
        done++;
        if (done % PAGE === 0) options.onProgress?.({ phase: "events checked", done, total });
      });
    }
    options.onProgress?.({ phase: "events checked", done, total: Math.max(total, done) });
    return problems;
  }

  async #sellers(taxCode?: string): Promise<string[]> {
    if (taxCode !== undefined) return [taxCode];
    const r = await sql<{ tax_code: string }>`
      select tax_code from seller.archive_head union select tax_code from seller.archive_event
      union select tax_code from seller.archive_entry union select tax_code from seller.archive_content
      order by 1`.execute(this.#k);
    return r.rows.map((x) => x.tax_code);
  }

  async #verifySeller(taxCode: string, problems: Problem[], tick: () => void): Promise<void> {
    const k = this.#k;
    interface Known {
      kind: EntryKind;
      ref: string;
      documentDate: string;
      contentHash: string;
      size: number;
      eventId: bigint;
      sequence: number;
      destroyedBy: bigint | null;
    }
    const known = new Map<string, Known>();
    const key = (kind: string, ref: string) => `${kind}\u0000${ref}`;
    const at = (
      sequence: number | string,
      code: Parameters<typeof archiveProblem>[0],
      p: Record<string, string>,
    ) =>
      problems.push(
        archiveProblem(code, eventPath(taxCode, sequence), { taxCode, sequence: String(sequence), ...p }),
      );

    let expected = 1;
    let prev = GENESIS_HASH;
    let after = 0n;
    for (;;) {
      const page = await sql<EventRow>`select * from seller.archive_event
        where tax_code = ${taxCode} and sequence > ${after} order by sequence limit ${PAGE}`.execute(k);
      for (const e of page.rows) {
        tick();
        const seq = Number(e.sequence);
        const eventId = String(e.id);
        if (seq !== expected) {
          const detail =
            expected === seq - 1
              ? `event ${expected} is missing`
              : `events ${expected} to ${seq - 1} are missing`;
          at(seq, "ARCHIVE_CHAIN_BROKEN", { eventId, detail });
        } else if (e.prev_hash !== prev) {
          at(seq, "ARCHIVE_CHAIN_BROKEN", {
            eventId,
            detail: "its previous hash is not the previous event's hash",
          });
        }
        if (eventHash(e.prev_hash, e.body) !== e.hash) {
          at(seq, "ARCHIVE_EVENT_CHANGED", { eventId, detail: "its hash does not match its body" });
        }
        const b = decodeBody(e.body);
        if (!b) {
          at(seq, "ARCHIVE_EVENT_CHANGED", { eventId, detail: "its body is not an archive event" });
        } else {
          const differ = columnsDiffer(e, b);
          if (differ)
            at(seq, "ARCHIVE_EVENT_CHANGED", { eventId, detail: `column ${differ} differs from its body` });
          if (b.type === "put") {
            known.set(key(b.kind, b.ref), {
              kind: b.kind,
              ref: b.ref,
              documentDate: b.documentDate,
              contentHash: b.contentHash,
              size: b.size,
              eventId: e.id,
              sequence: seq,
              destroyedBy: null,
            });
          } else {
            for (const d of b.entries) {
              const k2 = known.get(key(d.kind, d.ref));
              if (!k2 || k2.contentHash !== d.contentHash)
                at(seq, "ARCHIVE_EVENT_CHANGED", {
                  eventId,
                  detail: `it destroys ${d.kind} ${d.ref}, never archived`,
                });
              else k2.destroyedBy = e.id;
            }
          }
        }
        prev = e.hash;
        expected = seq + 1;
        after = e.sequence;
      }
      if (page.rows.length < PAGE) break;
    }
    const last = expected - 1;
    const head = (
      await sql<{ sequence: bigint; hash: string }>`select sequence, hash from seller.archive_head
        where tax_code = ${taxCode}`.execute(k)
    ).rows[0];
    if (!head) {
      if (last > 0) at(last, "ARCHIVE_CHAIN_BROKEN", { detail: "the chain has no head record" });
    } else if (Number(head.sequence) !== last || head.hash !== prev) {
      at(Number(head.sequence), "ARCHIVE_CHAIN_BROKEN", {
        detail: `the chain ends at event ${last} but its head records event ${head.sequence}`,
      });
    }

    // Entries: the table must be what the events say.
    const seen = new Set<string>();
    let afterKey: [string, string] = ["", ""];
    for (;;) {
      const page = await sql<EntryRow>`select * from seller.archive_entry
        where tax_code = ${taxCode} and (kind, ref) > (${afterKey[0]}, ${afterKey[1]})
        order by kind, ref limit ${PAGE}`.execute(k);
      for (const r of page.rows) {
        const kk = key(r.kind, r.ref);
        seen.add(kk);
        const m = known.get(kk);
        const p = { kind: r.kind, ref: r.ref };
        if (!m) {
          at(0, "ARCHIVE_ENTRY_CHANGED", { ...p, detail: "no event archived it" });
          continue;
        }
        const differs =
          r.content_hash !== m.contentHash
            ? "content hash"
            : r.document_date !== m.documentDate
              ? "document date"
              : Number(r.size) !== m.size
                ? "size"
                : r.put_event_id !== m.eventId
                  ? "event"
                  : (r.destroyed_event_id === null) !== (m.destroyedBy === null) ||
                      (r.destroyed_event_id !== null && r.destroyed_event_id !== m.destroyedBy)
                    ? "destroyed state"
                    : undefined;
        if (differs) at(m.sequence, "ARCHIVE_ENTRY_CHANGED", { ...p, detail: `its ${differs} differs` });
      }
      if (page.rows.length < PAGE) break;
      const lastRow = page.rows[page.rows.length - 1]!;
      afterKey = [lastRow.kind, lastRow.ref];
    }
    for (const [kk, m] of known)
      if (!seen.has(kk))
        at(m.sequence, "ARCHIVE_ENTRY_CHANGED", { kind: m.kind, ref: m.ref, detail: "its row is missing" });

    // Contents: each stored one must still hash to its name; each live entry's must be there.
    const present = new Set<string>();
    const changed = new Set<string>();
    let afterHash = "";
    for (;;) {
      const page = await sql<{ hash: string; size: bigint; bytes: Buffer }>`select hash, size, bytes
        from seller.archive_content where tax_code = ${taxCode} and hash > ${afterHash}
        order by hash limit ${CONTENT_PAGE}`.execute(k);
      for (const c of page.rows) {
        present.add(c.hash);
        if (sha256Hex(c.bytes) !== c.hash || Number(c.size) !== c.bytes.length) changed.add(c.hash);
      }
      if (page.rows.length < CONTENT_PAGE) break;
      afterHash = page.rows[page.rows.length - 1]!.hash;
    }
    for (const m of known.values()) {
      if (m.destroyedBy !== null) continue;
      const p = { kind: m.kind, ref: m.ref, eventId: String(m.eventId) };
      if (changed.has(m.contentHash)) at(m.sequence, "ARCHIVE_CONTENT_CHANGED", p);
      else if (!present.has(m.contentHash)) at(m.sequence, "ARCHIVE_CONTENT_MISSING", p);
    }
  }

  /**
   * Live entries past retention on `asOf` (default today; YYYY-MM-DD), optionally of one seller, dated
   * before `before`, at most `limit`.
   */
  async expired(
    asOf?: string,
    options: { taxCode?: string; before?: string; limit?: number } = {},
  ): Promise<Result<ExpiredEntry[]>> {
    const day = asOf ?? this.today();
    const bad = this.#checkDates(day, options.before);
    if (bad) return fail([bad]);
    const rows = await this.#expiredRows(
      this.#k,
      day,
      options.taxCode,
      options.before,
      undefined,
      options.limit,
    );
    return ok(
      rows.map((r) => ({
        taxCode: r.tax_code,
        kind: r.kind,
        ref: r.ref,
        documentDate: r.document_date,
        expiresOn: expiresOn(r.document_date, this.retentionYears),
        contentHash: r.content_hash,
        size: Number(r.size),
      })),
    );
  }

  #checkDates(asOf: string, before: string | undefined): Problem | undefined {
    for (const [field, d] of [
      ["asOf", asOf],
      ["before", before],
    ] as const) {
      if (d !== undefined && !isDate(d))
        return archiveProblem("ARCHIVE_BAD_ENTRY", field, { field, reason: "is not a date YYYY-MM-DD" });
    }
    const today = this.today();
    if (asOf > today) return archiveProblem("ARCHIVE_DATE_IN_FUTURE", "asOf", { date: asOf, today });
    return undefined;
  }

  async #expiredRows(
    q: Db | Trx,
    asOf: string,
    taxCode: string | undefined,
    before: string | undefined,
    refs: readonly string[] | undefined,
    limit: number | undefined,
    lock = false,
  ): Promise<EntryRow[]> {
    const cutoff = expiryCutoff(asOf, this.retentionYears);
    const r = await sql<EntryRow>`select * from seller.archive_entry
      where destroyed_event_id is null and document_date < ${cutoff}
      ${taxCode !== undefined ? sql`and tax_code = ${taxCode}` : sql``}
      ${before !== undefined ? sql`and document_date < ${before}` : sql``}
      ${refs !== undefined ? sql`and ref = any(${[...refs]}::text[])` : sql``}
      order by tax_code, document_date, kind, ref
      ${limit !== undefined ? sql`limit ${limit}` : sql``}
      ${lock ? sql`for update` : sql``}`.execute(q);
    return r.rows;
  }

  /**
   * Destroys (tiêu hủy) expired entries: their bytes are deleted, their rows marked, and a destruction
   * event per seller (per DESTROY_BATCH entries) records reason, actor and what was destroyed. With `refs`,
   * every ref must name live expired entries or nothing happens (ARCHIVE_NOT_FOUND, ARCHIVE_DESTROYED,
   * ARCHIVE_NOT_EXPIRED). Also ARCHIVE_REASON_REQUIRED, ARCHIVE_DATE_IN_FUTURE, ARCHIVE_BAD_ENTRY (dates).
   */
  async destroy(request: DestroyRequest): Promise<Result<DestroyReport>> {
    if (!request.reason?.trim() || !request.actor?.trim())
      return fail([archiveProblem("ARCHIVE_REASON_REQUIRED", "reason", {})]);
    const asOf = request.asOf ?? this.today();
    const bad = this.#checkDates(asOf, request.before);
    if (bad) return fail([bad]);
    const k = this.#k;
    if (request.refs !== undefined) {
      const problems: Problem[] = [];
      const rows = await sql<EntryRow & { destroyed_sequence: bigint | null }>`
        select e.*, d.sequence as destroyed_sequence from seller.archive_entry e
        left join seller.archive_event d on d.id = e.destroyed_event_id
        where e.ref = any(${[...request.refs]}::text[])
        ${request.taxCode !== undefined ? sql`and e.tax_code = ${request.taxCode}` : sql``}
        order by e.tax_code, e.kind, e.ref`.execute(k);
      for (const ref of request.refs) {
        if (!rows.rows.some((r) => r.ref === ref))
          problems.push(
            archiveProblem("ARCHIVE_NOT_FOUND", `refs/${ref}`, { taxCode: request.taxCode ?? "(any)", ref }),
          );
      }
      for (const r of rows.rows) {
        const p = { taxCode: r.tax_code, kind: r.kind, ref: r.ref };
        const path = `archive/${r.tax_code}/${r.ref}`;
        if (r.destroyed_event_id !== null)
          problems.push(
            archiveProblem("ARCHIVE_DESTROYED", path, { ...p, sequence: String(r.destroyed_sequence) }),
          );
        else if (!isExpired(r.document_date, asOf, this.retentionYears))
          problems.push(
            archiveProblem("ARCHIVE_NOT_EXPIRED", path, {
              ...p,
              documentDate: r.document_date,
              expiresOn: expiresOn(r.document_date, this.retentionYears),
            }),
          );
      }
      if (problems.length > 0) return fail(problems);
    }
    const sellers = (
      await sql<{ tax_code: string }>`select distinct tax_code from seller.archive_entry
        where destroyed_event_id is null and document_date < ${expiryCutoff(asOf, this.retentionYears)}
        ${request.taxCode !== undefined ? sql`and tax_code = ${request.taxCode}` : sql``}
        order by tax_code`.execute(k)
    ).rows.map((r) => r.tax_code);
    const events: DestroyReport["events"][number][] = [];
    let destroyed = 0;
    for (const taxCode of sellers) {
      for (;;) {
        const ev = await k.transaction().execute(async (trx) => {
          const t = trx as unknown as Trx;
          const head = await lockHead(t, taxCode);
          const rows = await this.#expiredRows(
            t,
            asOf,
            taxCode,
            request.before,
            request.refs,
            DESTROY_BATCH,
            true,
          );
          if (rows.length === 0) return undefined;
          const body: DestroyBody = {
            v: 1,
            taxCode,
            sequence: head.sequence + 1,
            type: "destroy",
            at: this.#clock.now().toISOString(),
            asOf,
            retentionYears: this.retentionYears,
            reason: request.reason,
            actor: request.actor,
            entries: rows.map((r) => ({
              kind: r.kind,
              ref: r.ref,
              documentDate: r.document_date,
              contentHash: r.content_hash,
            })),
          };
          const appended = await appendEvent(t, head, body);
          const kinds = rows.map((r) => r.kind);
          const refs = rows.map((r) => r.ref);
          await sql`update seller.archive_entry e set destroyed_event_id = ${appended.id}
            from unnest(${kinds}::text[], ${refs}::text[]) as x(kind, ref)
            where e.tax_code = ${taxCode} and e.kind = x.kind and e.ref = x.ref`.execute(t);
          // Bytes go once no live entry of the seller uses them.
          const hashes = [...new Set(rows.map((r) => r.content_hash))];
          await sql`delete from seller.archive_content c
            where c.tax_code = ${taxCode} and c.hash = any(${hashes}::text[])
            and not exists (select 1 from seller.archive_entry e
              where e.tax_code = c.tax_code and e.content_hash = c.hash and e.destroyed_event_id is null)`.execute(
            t,
          );
          return {
            taxCode,
            eventId: appended.id,
            sequence: body.sequence,
            hash: appended.hash,
            entries: rows.length,
          };
        });
        if (!ev) break;
        events.push(ev);
        destroyed += ev.entries;
        request.onProgress?.({ phase: "entries destroyed", done: destroyed });
      }
    }
    return ok({ destroyed, events });
  }

  /**
   * Writes the archive (or one seller's part) to one gzip'd NDJSON file (format in the module notes).
   * The file appears under its name only when complete (written as `<file>.partial`, then renamed).
   */
  async backup(
    outputPath: string,
    options: { taxCode?: string; onProgress?: Progress } = {},
  ): Promise<BackupReport> {
    const partial = `${outputPath}.partial`;
    const counts = { events: 0, contents: 0, lines: 0 };
    const digest = createHash("sha256");
    let heads: ChainHead[] = [];
    const createdAt = this.#clock.now().toISOString();
    const sellersOf = (t: Trx) => this.#sellersIn(t, options.taxCode);
    const progress = options.onProgress;
    async function* lines(t: Trx): AsyncGenerator<string> {
      const emit = (o: unknown): string => {
        const line = `${JSON.stringify(o)}\n`;
        digest.update(line);
        counts.lines++;
        return line;
      };
      yield emit({
        format: BACKUP_FORMAT,
        version: BACKUP_VERSION,
        createdAt,
        taxCode: options.taxCode ?? null,
      });
      const sellers = await sellersOf(t);
      for (const taxCode of sellers) {
        const h = (
          await sql<{ sequence: bigint; hash: string }>`select sequence, hash from seller.archive_head
            where tax_code = ${taxCode}`.execute(t)
        ).rows[0];
        const head = { taxCode, sequence: Number(h?.sequence ?? 0), hash: h?.hash ?? GENESIS_HASH };
        heads.push(head);
        yield emit({ type: "head", ...head });
        let after = 0n;
        for (;;) {
          const page = await sql<EventRow>`select sequence, prev_hash, hash, body from seller.archive_event
            where tax_code = ${taxCode} and sequence > ${after} order by sequence limit ${PAGE}`.execute(t);
          for (const e of page.rows) {
            counts.events++;
            yield emit({
              type: "event",
              taxCode,
              sequence: Number(e.sequence),
              prevHash: e.prev_hash,
              hash: e.hash,
              body: e.body,
            });
          }
          progress?.({ phase: "events written", done: counts.events });
          if (page.rows.length < PAGE) break;
          after = page.rows[page.rows.length - 1]!.sequence;
        }
        let afterHash = "";
        for (;;) {
          const page = await sql<{ hash: string; size: bigint; bytes: Buffer }>`select hash, size, bytes
            from seller.archive_content where tax_code = ${taxCode} and hash > ${afterHash}
            order by hash limit ${CONTENT_PAGE}`.execute(t);
          for (const c of page.rows) {
            counts.contents++;
            yield emit({
              type: "content",
              taxCode,
              hash: c.hash,
              size: Number(c.size),
              bytes: c.bytes.toString("base64"),
            });
          }
          progress?.({ phase: "contents written", done: counts.contents });
          if (page.rows.length < CONTENT_PAGE) break;
          afterHash = page.rows[page.rows.length - 1]!.hash;
        }
      }
      const sha256 = digest.copy().digest("hex");
      yield `${JSON.stringify({ type: "end", lines: counts.lines, events: counts.events, contents: counts.contents, sha256 })}\n`;
    }
    let sha256 = "";
    try {
      await this.#k
        .transaction()
        .setIsolationLevel("repeatable read")
        .setAccessMode("read only")
        .execute(async (trx) => {
          heads = [];
          await pipeline(
            Readable.from(lines(trx as unknown as Trx)),
            createGzip(),
            createWriteStream(partial),
          );
        });
      sha256 = digest.digest("hex");
      await rename(partial, outputPath);
    } catch (error) {
      await rm(partial, { force: true });
      throw error;
    }
    return { file: outputPath, events: counts.events, contents: counts.contents, sha256, heads };
  }

  async #sellersIn(t: Trx, taxCode?: string): Promise<string[]> {
    if (taxCode !== undefined) return [taxCode];
    const r = await sql<{ tax_code: string }>`
      select tax_code from seller.archive_head union select tax_code from seller.archive_content
      order by 1`.execute(t);
    return r.rows.map((x) => x.tax_code);
  }

  /**
   * Restores a backup into an empty archive, in one transaction: all of it or nothing. Problems:
   * ARCHIVE_NOT_EMPTY, ARCHIVE_BACKUP_TRUNCATED, ARCHIVE_BACKUP_CORRUPT.
   */
  async restore(inputPath: string, options: { onProgress?: Progress } = {}): Promise<Result<RestoreReport>> {
    const k = this.#k;
    const file = inputPath;
    const corrupt = (reason: string) =>
      new Refusal(archiveProblem("ARCHIVE_BACKUP_CORRUPT", "", { file, reason }));
    const truncated = (reason: string) =>
      new Refusal(archiveProblem("ARCHIVE_BACKUP_TRUNCATED", "", { file, reason }));
    await stat(inputPath); // a missing file is the operator's mistake, not a damaged backup
    try {
      const report = await k.transaction().execute(async (trx) => {
        const t = trx as unknown as Trx;
        const n = await sql<{ n: bigint }>`select
          (select count(*) from seller.archive_event) + (select count(*) from seller.archive_entry) +
          (select count(*) from seller.archive_content) + (select count(*) from seller.archive_head) as n`.execute(
          t,
        );
        const events0 = await sql<{ n: bigint }>`select count(*) as n from seller.archive_event`.execute(t);
        if ((n.rows[0]?.n ?? 0n) > 0n)
          throw new Refusal(
            archiveProblem("ARCHIVE_NOT_EMPTY", "", { events: String(events0.rows[0]?.n ?? 0n) }),
          );
        const digest = createHash("sha256");
        const counts = { events: 0, contents: 0, entries: 0, lines: 0 };
        const chains = new Map<string, { sequence: number; hash: string; head?: ChainHead }>();
        let ended = false;
        const batch = new RestoreBatch();
        const gunzip = createGunzip();
        const raw = createReadStream(inputPath);
        // pipeline destroys both streams on any error or early stop and keeps listening for late errors;
        // the errors themselves reach the loop below through gunzip.
        pipeline(raw, gunzip).catch(() => {});
        try {
          for await (const { bytes: lineBytes, complete } of splitLines(gunzip)) {
            if (!complete) throw truncated("its last line is cut off");
            if (ended) throw corrupt("data after the end record");
            const line = lineBytes.toString("utf8");
            let o: Record<string, unknown>;
            try {
              o = JSON.parse(line) as Record<string, unknown>;
            } catch {
              throw corrupt(`line ${counts.lines + 1} is not JSON`);
            }
            if (typeof o !== "object" || o === null)
              throw corrupt(`line ${counts.lines + 1} is not a record`);
            if (counts.lines === 0) {
              if (o.format !== BACKUP_FORMAT || o.version !== BACKUP_VERSION)
                throw corrupt("it is not an hddt archive backup of a known version");
            } else if (o.type === "end") {
              const sha = digest.digest("hex");
              if (o.sha256 !== sha) throw corrupt("its checksum does not match its content");
              if (o.events !== counts.events || o.contents !== counts.contents || o.lines !== counts.lines)
                throw corrupt("its counts do not match its content");
              ended = true;
              continue;
            } else if (o.type === "head") {
              if (!isStr(o.taxCode) || !Number.isSafeInteger(o.sequence) || !isStr(o.hash))
                throw corrupt(`line ${counts.lines + 1} is not a head record`);
              if (chains.has(o.taxCode)) throw corrupt(`the chain of ${o.taxCode} appears twice`);
              chains.set(o.taxCode, {
                sequence: 0,
                hash: GENESIS_HASH,
                head: { taxCode: o.taxCode, sequence: o.sequence as number, hash: o.hash },
              });
            } else if (o.type === "event") {
              const chain = isStr(o.taxCode) ? chains.get(o.taxCode) : undefined;
              if (!chain || !isStr(o.body) || !isStr(o.prevHash) || !isStr(o.hash))
                throw corrupt(`line ${counts.lines + 1} is not an event record`);
              const b = decodeBody(o.body);
              if (
                !b ||
                b.taxCode !== o.taxCode ||
                b.sequence !== chain.sequence + 1 ||
                o.sequence !== b.sequence
              )
                throw corrupt(
                  `event ${String(o.sequence)} of ${String(o.taxCode)} is out of order or unreadable`,
                );
              if (o.prevHash !== chain.hash || eventHash(o.prevHash, o.body) !== o.hash)
                throw corrupt(`event ${b.sequence} of ${b.taxCode} does not fit its chain`);
              await batch.addEvent(t, b, o.body, o.prevHash, o.hash);
              if (b.type === "put") counts.entries++;
              chain.sequence = b.sequence;
              chain.hash = o.hash;
              counts.events++;
              if (counts.events % PAGE === 0)
                options.onProgress?.({ phase: "events restored", done: counts.events });
            } else if (o.type === "content") {
              if (!isStr(o.taxCode) || !chains.has(o.taxCode) || !isStr(o.hash) || !isStr(o.bytes))
                throw corrupt(`line ${counts.lines + 1} is not a content record`);
              const bytes = Buffer.from(o.bytes, "base64");
              if (sha256Hex(bytes) !== o.hash || bytes.length !== o.size)
                throw corrupt(`a content of ${o.taxCode} does not match its hash`);
              await batch.addContent(t, o.taxCode, o.hash, bytes);
              counts.contents++;
              if (counts.contents % CONTENT_PAGE === 0)
                options.onProgress?.({ phase: "contents restored", done: counts.contents });
            } else {
              throw corrupt(`line ${counts.lines + 1} has an unknown record type`);
            }
            digest.update(lineBytes);
            digest.update("\n");
            counts.lines++;
          }
        } catch (error) {
          if (error instanceof Refusal) throw error;
          throw truncated((error as Error).message);
        } finally {
          raw.destroy();
        }
        if (!ended) throw truncated("the end record is missing");
        await batch.flush(t);
        const heads: ChainHead[] = [];
        for (const [taxCode, c] of chains) {
          if (!c.head || c.head.sequence !== c.sequence || c.head.hash !== c.hash)
            throw corrupt(`the chain of ${taxCode} does not end at its recorded head`);
          await sql`insert into seller.archive_head (tax_code, sequence, hash)
            values (${taxCode}, ${c.sequence}, ${c.hash})`.execute(t);
          heads.push(c.head);
        }
        return { events: counts.events, contents: counts.contents, entries: counts.entries, heads };
      });
      options.onProgress?.({ phase: "events restored", done: report.events });
      return ok(report);
    } catch (error) {
      if (error instanceof Refusal) return fail([error.problem]);
      throw error;
    }
  }
}

/**
 * Rows of a restore, written a few hundred at a time (one statement per table instead of one per row).
 * Entries are rebuilt from the events: a put inserts one, a destruction marks those it lists.
 */
class RestoreBatch {
  static readonly MAX_ROWS = 500;
  static readonly MAX_BYTES = 8 * 1024 * 1024;
  #events: { b: EventBody; body: string; prevHash: string; hash: string }[] = [];
  #contents: { taxCode: string; hash: string; bytes: Buffer }[] = [];
  #bytes = 0;

  async addEvent(t: Trx, b: EventBody, body: string, prevHash: string, hash: string): Promise<void> {
    this.#events.push({ b, body, prevHash, hash });
    if (this.#events.length >= RestoreBatch.MAX_ROWS) await this.flush(t);
  }

  async addContent(t: Trx, taxCode: string, hash: string, bytes: Buffer): Promise<void> {
    this.#contents.push({ taxCode, hash, bytes });
    this.#bytes += bytes.length;
    if (this.#contents.length >= RestoreBatch.MAX_ROWS || this.#bytes >= RestoreBatch.MAX_BYTES)
      await this.flush(t);
  }

  async flush(t: Trx): Promise<void> {
    if (this.#contents.length > 0) {
      await sql`insert into seller.archive_content (tax_code, hash, size, bytes) values ${sql.join(
        this.#contents.map((c) => sql`(${c.taxCode}, ${c.hash}, ${c.bytes.length}, ${c.bytes})`),
      )}`.execute(t);
      this.#contents = [];
      this.#bytes = 0;
    }
    if (this.#events.length === 0) return;
    const events = this.#events;
    this.#events = [];
    const rows = await sql<{
      id: bigint;
      tax_code: string;
      sequence: bigint;
    }>`insert into seller.archive_event
      (tax_code, sequence, type, at, entry_kind, ref, document_date, content_hash, body, prev_hash, hash)
      values ${sql.join(
        events.map(({ b, body, prevHash, hash }) => {
          const put = b.type === "put" ? b : undefined;
          return sql`(${b.taxCode}, ${b.sequence}, ${b.type}, ${b.at}, ${put?.kind ?? null}, ${put?.ref ?? null},
            ${put?.documentDate ?? null}::date, ${put?.contentHash ?? null}, ${body}, ${prevHash}, ${hash})`;
        }),
      )}
      returning id, tax_code, sequence`.execute(t);
    const ids = new Map(rows.rows.map((r) => [`${r.tax_code}/${r.sequence}`, String(r.id)]));
    const idOf = (b: EventBody) => ids.get(`${b.taxCode}/${b.sequence}`)!;
    const puts = events.flatMap(({ b }) => (b.type === "put" ? [b] : []));
    if (puts.length > 0)
      await sql`insert into seller.archive_entry
        (tax_code, kind, ref, document_date, content_hash, size, put_event_id) values ${sql.join(
          puts.map(
            (
              b,
            ) => sql`(${b.taxCode}, ${b.kind}, ${b.ref}, ${b.documentDate}::date, ${b.contentHash}, ${b.size},
              ${idOf(b)}::bigint)`,
          ),
        )}`.execute(t);
    for (const { b } of events) {
      if (b.type !== "destroy") continue;
      await sql`update seller.archive_entry e set destroyed_event_id = ${idOf(b)}
        from unnest(${b.entries.map((e) => e.kind)}::text[], ${b.entries.map((e) => e.ref)}::text[]) as x(kind, ref)
        where e.tax_code = ${b.taxCode} and e.kind = x.kind and e.ref = x.ref`.execute(t);
    }
  }
}

/** Splits a byte stream into lines (without "\n"); the last one is `complete: false` if it has no "\n". */
async function* splitLines(
  source: AsyncIterable<Buffer>,
): AsyncGenerator<{ bytes: Buffer; complete: boolean }> {
  let rest: Buffer[] = [];
  for await (const chunk of source) {
    let start = 0;
    for (let i = chunk.indexOf(10); i !== -1; i = chunk.indexOf(10, start)) {
      rest.push(chunk.subarray(start, i));
      yield { bytes: Buffer.concat(rest), complete: true };
      rest = [];
      start = i + 1;
    }
    if (start < chunk.length) rest.push(chunk.subarray(start));
  }
  if (rest.length > 0) yield { bytes: Buffer.concat(rest), complete: false };
}

/** Which column of an event row disagrees with its body (the body is what the hash covers). */
function columnsDiffer(e: EventRow, b: EventBody): string | undefined {
  if (e.tax_code !== b.taxCode) return "tax_code";
  if (Number(e.sequence) !== b.sequence) return "sequence";
  if (e.type !== b.type) return "type";
  if (e.at.getTime() !== Date.parse(b.at)) return "at";
  const put = b.type === "put" ? b : undefined;
  if (e.entry_kind !== (put?.kind ?? null)) return "entry_kind";
  if (e.ref !== (put?.ref ?? null)) return "ref";
  if (e.document_date !== (put?.documentDate ?? null)) return "document_date";
  if (e.content_hash !== (put?.contentHash ?? null)) return "content_hash";
  return undefined;
}

interface LockedHead {
  readonly taxCode: string;
  readonly sequence: number;
  readonly hash: string;
}

/**
 * Locks the seller's chain head until the transaction ends (made at sequence 0 on first use): appends of
 * one seller queue here, so each sees the last one's head.
 */
async function lockHead(t: Trx, taxCode: string): Promise<LockedHead> {
  // One statement: insert the head, or lock the existing row and read its latest version (read committed
  // waits for a concurrent append to commit; repeatable read fails with 40001 if the head moved since).
  const r = await sql<{
    sequence: bigint;
    hash: string;
  }>`insert into seller.archive_head (tax_code, sequence, hash)
    values (${taxCode}, 0, ${GENESIS_HASH})
    on conflict (tax_code) do update set tax_code = excluded.tax_code
    returning sequence, hash`.execute(t);
  const h = r.rows[0]!;
  return { taxCode, sequence: Number(h.sequence), hash: h.hash };
}

async function insertEvent(
  t: Trx,
  b: EventBody,
  body: string,
  prevHash: string,
  hash: string,
): Promise<string> {
  const put = b.type === "put" ? b : undefined;
  const r = await sql<{ id: bigint }>`insert into seller.archive_event
    (tax_code, sequence, type, at, entry_kind, ref, document_date, content_hash, body, prev_hash, hash)
    values (${b.taxCode}, ${b.sequence}, ${b.type}, ${b.at}, ${put?.kind ?? null}, ${put?.ref ?? null},
      ${put?.documentDate ?? null}, ${put?.contentHash ?? null}, ${body}, ${prevHash}, ${hash})
    returning id`.execute(t);
  return String(r.rows[0]!.id);
}

/** Appends an event after the locked head and moves the head. */
async function appendEvent(t: Trx, head: LockedHead, b: EventBody): Promise<{ id: string; hash: string }> {
  const body = encodeBody(b);
  const hash = eventHash(head.hash, body);
  const id = await insertEvent(t, b, body, head.hash, hash);
  await sql`update seller.archive_head set sequence = ${b.sequence}, hash = ${hash}
    where tax_code = ${head.taxCode}`.execute(t);
  return { id, hash };
}
