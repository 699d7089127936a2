/**
 * Opening the database: a PostgreSQL server (`postgres://…`) or the embedded one (PGlite in a worker
 * thread, in a data folder or in memory). Either way the result is a `pg.Pool` and Kysely on top, with the
 * same type parsers, so code above cannot tell the two apart except by speed and by concurrency:
 *
 * On the embedded database, transactions from different connections run one after another (it has one
 * session; see `session-queue.ts`). Row locks (FOR UPDATE), SKIP LOCKED, transaction advisory locks and
 * serializable isolation all work and give correct results, but never conflict, so a test of contention
 * only proves something on the server backend. Session-level state is shared by every connection: use
 * SET LOCAL and `advisoryXactLock`, never SET, session advisory locks, temporary tables or LISTEN.
 * A transaction that waits for something outside the database while holding the session blocks every
 * other connection (after `ownerIdleTimeoutMs` with others waiting, it is closed and rolled back).
 *
 * Where to connect, first match wins: `options.url`, `options.dataDir`, the `DATABASE_URL` environment
 * variable, then the data folder `.hddt/data` under the working directory.
 * - `postgres://user:password@host:port/db` (or `postgresql://`): a PostgreSQL server (15 or later).
 * - `memory://`: an embedded database in memory, gone at close (tests).
 * - a folder path (`dataDir`) or `file:///path`: an embedded database kept in that folder.
 *
 * Durability of the embedded database: PGlite runs with fsync off. Committed data survives the process
 * being killed (it is in the operating system's cache, and PostgreSQL recovers on the next open), not a
 * power cut or kernel crash. Production data belongs on a PostgreSQL server.
 *
 * Timestamps: the session time zone is UTC on both backends. Business times come from the `Clock` (pass
 * them as parameters), not from SQL `now()`, so tests can move time.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { Kysely, PostgresDialect } from "kysely";
import pg from "pg";
import { type Clock, systemClock } from "../domain/clock.ts";
import { defaultTemplatePath, EMBEDDED_PG_MAJOR, type EmbeddedServer, startEmbedded } from "./embedded.ts";
import { StoreError } from "./errors.ts";
import { type DataDirLock, lockDataDir } from "./lock.ts";
import { pgTypes } from "./types.ts";

export const DEFAULT_DATA_DIR = ".hddt/data";

export interface OpenOptions {
  /** `postgres://…`, `memory://` or `file:///folder`. */
  readonly url?: string;
  /** Folder of an embedded database (created if missing), or `memory://`. */
  readonly dataDir?: string;
  /** The clock the parts above use for business time. Default: the system clock. */
  readonly clock?: Clock;
  /** Connections in the pool. Default 10 on a server, 4 embedded (one session serves them in turn). */
  readonly poolSize?: number;
  /** Shown in pg_stat_activity. Default "hddt". */
  readonly applicationName?: string;
  readonly embedded?: {
    /** Close a connection that holds a transaction idle this long while others wait. Default 30 s; 0 never. */
    readonly ownerIdleTimeoutMs?: number;
    /** Start a new database from a cached initialised copy (≈1 s instead of ≈5 s). Default true. */
    readonly template?: boolean;
  };
  /** Connection errors outside a query (server restart, embedded thread crash). Default: a process warning. */
  readonly onError?: (error: Error) => void;
}

export interface Database {
  readonly kind: "embedded" | "postgres";
  /** Where the data is: `memory://`, the data folder, or the server URL with the password hidden. */
  readonly location: string;
  /** The server's version, e.g. "15.18" or "18.6". */
  readonly serverVersion: string;
  readonly clock: Clock;
  readonly pool: pg.Pool;
  /**
   * Kysely bound to a schema: unqualified table names resolve there (`authority`, `tvan`, `seller`).
   * Raw `sql` is not rewritten: qualify names in it. One instance per schema, shared.
   */
  kysely<DB>(schema: string): Kysely<DB>;
  /** Ends the pool, stops the embedded thread, releases the data folder. Safe to call twice. */
  close(): Promise<void>;
}

type Target = { kind: "postgres"; url: string } | { kind: "embedded"; dataDir: string | null };

const SCHEMA_RE = /^[a-z_][a-z0-9_]{0,62}$/;

/** Checks a schema name (lower-case identifier, no quoting needed); throws STORE_BAD_SCHEMA. */
export function checkSchemaName(schema: string): string {
  if (!SCHEMA_RE.test(schema) || schema.startsWith("pg_"))
    throw new StoreError("STORE_BAD_SCHEMA", { schema });
  return schema;
}

function hidePassword(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = "***";
    return u.toString();
  } catch {
    return "(unparseable url)";
  }
}

function resolveTarget(options: OpenOptions): Target {
  const url = options.url ?? (options.dataDir === undefined ? process.env.DATABASE_URL : undefined);
  if (url !== undefined && url !== "") {
    if (url === "memory://" || url === "memory:") return { kind: "embedded", dataDir: null };
    if (/^postgres(ql)?:\/\//.test(url)) return { kind: "postgres", url };
    if (url.startsWith("file://")) return { kind: "embedded", dataDir: fileURLToPath(url) };
    throw new StoreError("STORE_BAD_URL", { url: hidePassword(url) });
  }
  if (options.dataDir === "memory://") return { kind: "embedded", dataDir: null };
  return { kind: "embedded", dataDir: resolve(options.dataDir ?? DEFAULT_DATA_DIR) };
}

function defaultOnError(error: Error): void {
  process.emitWarning(`hddt database: ${error.message}`);
}

function makePool(config: pg.PoolConfig, onError: (error: Error) => void): pg.Pool {
  const pool = new pg.Pool({ ...config, types: pgTypes, options: "-c TimeZone=UTC" });
  // Without these, an idle or checked-out client that loses its connection throws from an event emitter.
  // An idle client's error reaches both listeners (the pool forwards it): report it once.
  const seen = new WeakSet<Error>();
  const report = (error: Error) => {
    if (seen.has(error)) return;
    seen.add(error);
    onError(error);
  };
  pool.on("error", report);
  pool.on("connect", (client) => client.on("error", report));
  return pool;
}

async function serverVersion(pool: pg.Pool, location: string): Promise<string> {
  try {
    const r = await pool.query<{ v: string }>("select current_setting('server_version') as v");
    return r.rows[0]?.v ?? "";
  } catch (error) {
    throw new StoreError("STORE_CONNECT", { location, reason: (error as Error).message }, { cause: error });
  }
}

/** Opens the database (see the module notes for which one). */
export async function openDatabase(options: OpenOptions = {}): Promise<Database> {
  const target = resolveTarget(options);
  const onError = options.onError ?? defaultOnError;
  const applicationName = options.applicationName ?? "hddt";

  if (target.kind === "postgres") {
    const location = hidePassword(target.url);
    const pool = makePool(
      { connectionString: target.url, max: options.poolSize ?? 10, application_name: applicationName },
      onError,
    );
    let version: string;
    try {
      version = await serverVersion(pool, location);
    } catch (error) {
      await pool.end().catch(() => {});
      throw error;
    }
    return makeDatabase("postgres", location, version, pool, options.clock, async () => {});
  }

  // Embedded.
  let lock: DataDirLock | undefined;
  let socketDir: string;
  let tempDir: string | undefined;
  let pgdata: string | null = null;
  if (target.dataDir !== null) {
    mkdirSync(target.dataDir, { recursive: true, mode: 0o700 });
    lock = lockDataDir(target.dataDir);
    pgdata = join(target.dataDir, "pgdata");
    const versionFile = join(pgdata, "PG_VERSION");
    if (existsSync(versionFile)) {
      const found = readFileSync(versionFile, "utf8").trim();
      if (found !== EMBEDDED_PG_MAJOR) {
        lock.release();
        throw new StoreError("STORE_DATA_DIR_VERSION", {
          dir: target.dataDir,
          found,
          expected: EMBEDDED_PG_MAJOR,
        });
      }
    }
    mkdirSync(pgdata, { recursive: true, mode: 0o700 });
    socketDir = target.dataDir;
  } else {
    tempDir = mkdtempSync(join(tmpdir(), "hddt-pg-"));
    socketDir = tempDir;
  }
  // pg reaches a unix socket as <host folder>/.s.PGSQL.<port>; sun_path holds 107 bytes.
  const socketPath = join(socketDir, ".s.PGSQL.5432");
  const useSocket = Buffer.byteLength(socketPath) <= 100;
  if (useSocket) rmSync(socketPath, { force: true }); // left by a crash; the folder is ours (locked)

  const cleanup = () => {
    lock?.release();
    if (tempDir) rmSync(tempDir, { recursive: true, force: true });
  };
  let server: EmbeddedServer;
  try {
    server = await startEmbedded(
      {
        pgdata,
        listen: useSocket ? { path: socketPath } : { host: "127.0.0.1", port: 0 },
        template: options.embedded?.template === false ? null : defaultTemplatePath(),
        ownerIdleTimeoutMs: options.embedded?.ownerIdleTimeoutMs ?? 30_000,
        maxConnections: 64,
      },
      (message) => onError(new Error(message)),
    );
  } catch (error) {
    cleanup();
    throw error;
  }
  const where = server.listen;
  lock?.setServes("path" in where ? socketDir : `${where.host}:${where.port}`);
  const pool = makePool(
    {
      ...("path" in where ? { host: socketDir, port: 5432 } : { host: where.host, port: where.port }),
      user: "postgres",
      database: "postgres",
      max: options.poolSize ?? 4,
      application_name: applicationName,
    },
    onError,
  );
  const location = target.dataDir ?? "memory://";
  const stop = async () => {
    try {
      await server.stop();
    } finally {
      cleanup();
    }
  };
  try {
    await serverVersion(pool, location);
  } catch (error) {
    await pool.end().catch(() => {});
    await stop();
    throw error;
  }
  return makeDatabase("embedded", location, server.version, pool, options.clock, stop);
}

function makeDatabase(
  kind: Database["kind"],
  location: string,
  version: string,
  pool: pg.Pool,
  clock: Clock | undefined,
  stop: () => Promise<void>,
): Database {
  const base = new Kysely<Record<string, never>>({ dialect: new PostgresDialect({ pool }) });
  const bySchema = new Map<string, Kysely<unknown>>();
  let closing: Promise<void> | undefined;
  return {
    kind,
    location,
    serverVersion: version,
    clock: clock ?? systemClock,
    pool,
    kysely<DB>(schema: string): Kysely<DB> {
      if (closing) throw new StoreError("STORE_CLOSED", {});
      let k = bySchema.get(schema);
      if (!k) {
        k = base.withSchema(checkSchemaName(schema)) as unknown as Kysely<unknown>;
        bySchema.set(schema, k);
      }
      return k as unknown as Kysely<DB>;
    },
    close() {
      closing ??= (async () => {
        try {
          await base.destroy(); // ends the pool if Kysely ever used it
          if (!pool.ending) await pool.end();
        } finally {
          await stop();
        }
      })();
      return closing;
    },
  };
}
