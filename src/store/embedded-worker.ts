/**
 * The embedded database's thread: PGlite (PostgreSQL compiled to WebAssembly) behind a PostgreSQL
 * wire-protocol server, so the main thread talks to it with plain `pg` as to any server and its event loop
 * never waits on a query (PGlite runs queries synchronously on the thread that hosts it).
 *
 * Connections are framed by pglite-socket's `PGLiteSocketHandler`; the session is shared through our own
 * `SessionQueue`, which keeps each connection's protocol cycles and transactions whole (see there why
 * pglite-socket's queue is not enough). Started by `embedded.ts`; talks to it with `WorkerRequest` and
 * `WorkerReply` messages.
 */
import { existsSync } from "node:fs";
import { mkdir, readdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:net";
import { dirname, join } from "node:path";
import { parentPort, workerData } from "node:worker_threads";
import { PGlite } from "@electric-sql/pglite";
import { PGLiteSocketHandler, type PGLiteSocketHandlerOptions } from "@electric-sql/pglite-socket";
import { SessionQueue } from "./session-queue.ts";

export type Listen = { readonly path: string } | { readonly host: string; readonly port: number };

export interface WorkerConfig {
  /** PGlite's data folder, or null for an in-memory database. */
  readonly pgdata: string | null;
  /** A unix socket path, or a loopback host and port (0 picks one). */
  readonly listen: Listen;
  /** Tarball of a freshly initialised database, loaded instead of running initdb (and written if missing). */
  readonly template: string | null;
  readonly ownerIdleTimeoutMs: number;
  readonly maxConnections: number;
}

export type WorkerRequest = { readonly type: "stop" };

export type WorkerReply =
  | {
      readonly type: "ready";
      readonly listen: Listen;
      readonly version: string;
      readonly fromTemplate: boolean;
    }
  | { readonly type: "failed"; readonly message: string }
  | { readonly type: "warning"; readonly message: string }
  | { readonly type: "stopped" };

if (!parentPort) throw new Error("embedded-worker.ts runs only as a worker thread");
const port = parentPort;
const config = workerData as WorkerConfig;
const post = (reply: WorkerReply) => port.postMessage(reply);

async function readTemplate(path: string | null): Promise<Blob | undefined> {
  if (!path) return undefined;
  try {
    return new Blob([await readFile(path)]);
  } catch {
    return undefined;
  }
}

async function saveTemplate(db: PGlite, path: string): Promise<void> {
  try {
    const dump = await db.dumpDataDir("gzip");
    await mkdir(dirname(path), { recursive: true });
    const tmp = `${path}.${process.pid}.${Date.now()}.tmp`;
    await writeFile(tmp, Buffer.from(await dump.arrayBuffer()));
    await rename(tmp, path);
  } catch (error) {
    post({ type: "warning", message: `could not save the database template ${path}: ${String(error)}` });
  }
}

/** Opens PGlite, from the template when the folder is new; falls back to initdb if the template is bad. */
async function openPGlite(): Promise<{ db: PGlite; fromTemplate: boolean }> {
  const fresh = config.pgdata === null || !existsSync(join(config.pgdata, "PG_VERSION"));
  const template = fresh ? await readTemplate(config.template) : undefined;
  if (template) {
    try {
      return {
        db: await PGlite.create({ dataDir: config.pgdata ?? undefined, loadDataDir: template }),
        fromTemplate: true,
      };
    } catch (error) {
      post({
        type: "warning",
        message: `database template ${config.template} unusable, running initdb: ${String(error)}`,
      });
      if (config.pgdata) {
        // The folder was new: clear what the failed load left before initialising it.
        for (const entry of await readdir(config.pgdata))
          await rm(join(config.pgdata, entry), { recursive: true });
      }
    }
  }
  const db = await PGlite.create({ dataDir: config.pgdata ?? undefined });
  if (fresh && config.template) await saveTemplate(db, config.template);
  return { db, fromTemplate: false };
}

function listen(server: Server, where: Listen): Promise<Listen> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    const done = () => {
      server.off("error", reject);
      const address = server.address();
      resolve(
        typeof address === "object" && address !== null
          ? { host: address.address, port: address.port }
          : where,
      );
    };
    if ("path" in where) server.listen(where.path, done);
    else server.listen(where.port, where.host, done);
  });
}

async function main(): Promise<void> {
  const { db, fromTemplate } = await openPGlite();
  const handlers = new Map<number, PGLiteSocketHandler>();
  const queue = new SessionQueue(
    {
      exec: (message, onData) =>
        db.runExclusive(() => db.execProtocolRawStream(message, { onRawData: onData, syncToFs: false })),
    },
    {
      ownerIdleTimeoutMs: config.ownerIdleTimeoutMs,
      onOwnerStalled: (id) => {
        const handler = handlers.get(id);
        if (!handler) return;
        post({
          type: "warning",
          message: `embedded database: a connection held a transaction idle for ${config.ownerIdleTimeoutMs} ms while others waited; it was closed and its transaction rolled back`,
        });
        handler.detach(true).catch(() => {});
      },
    },
  );
  // pglite-socket types its queue as its own class; ours has the same public methods.
  const queryQueue = queue as unknown as PGLiteSocketHandlerOptions["queryQueue"];

  const server = createServer((socket) => {
    if (handlers.size >= config.maxConnections) {
      socket.destroy();
      return;
    }
    const handler = new PGLiteSocketHandler({ queryQueue, closeOnDetach: true });
    const forget = () => handlers.delete(handler.handlerId);
    handler.addEventListener("close", forget);
    handler.addEventListener("error", forget);
    handlers.set(handler.handlerId, handler);
    handler.attach(socket).catch(() => {
      forget();
      socket.destroy();
    });
  });
  const where = await listen(server, config.listen);
  const version =
    (await db.query<{ v: string }>("select current_setting('server_version') as v")).rows[0]?.v ?? "";
  post({ type: "ready", listen: where, version, fromTemplate });

  port.on("message", (request: WorkerRequest) => {
    if (request.type !== "stop") return;
    void (async () => {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const handler of handlers.values()) handler.detach(true).catch(() => {});
      });
      await db.close();
      post({ type: "stopped" });
      port.close();
    })();
  });
}

main().catch((error: unknown) => {
  post({ type: "failed", message: error instanceof Error ? (error.stack ?? error.message) : String(error) });
  port.close();
});
