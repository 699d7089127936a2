/**
 * Starts and stops the embedded database thread (`embedded-worker.ts`). The worker is TypeScript run
 * through tsx, like the rest of hddt; when this file is itself compiled to JavaScript, the worker is too.
 */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { pathToFileURL } from "node:url";
import { Worker } from "node:worker_threads";
import type { Listen, WorkerConfig, WorkerReply, WorkerRequest } from "./embedded-worker.ts";
import { StoreError } from "./errors.ts";

export type { Listen, WorkerConfig } from "./embedded-worker.ts";

/** The PostgreSQL major version PGlite 0.5.x embeds (each PGlite minor series tracks one major). */
export const EMBEDDED_PG_MAJOR = "18";

const require = createRequire(import.meta.url);

/** Version of the installed PGlite package (its package.json is not exported, so it is found by path). */
export function pgliteVersion(): string {
  const main = require.resolve("@electric-sql/pglite");
  const pkg = JSON.parse(readFileSync(join(dirname(main), "..", "package.json"), "utf8")) as {
    version: string;
  };
  return pkg.version;
}

/** Where the template of a fresh database is kept: the project's node_modules/.cache, per PGlite version. */
export function defaultTemplatePath(): string {
  const main = require.resolve("@electric-sql/pglite");
  const nodeModules = join(dirname(main), "..", "..", "..");
  return join(nodeModules, ".cache", "hddt", `pglite-${pgliteVersion()}-template.tar.gz`);
}

/** The ESM entry of tsx's API (require.resolve would give its CommonJS build, which fails in a worker). */
function tsxEsmApi(): string {
  const pkgPath = require.resolve("tsx/package.json");
  const pkg = JSON.parse(readFileSync(pkgPath, "utf8")) as {
    exports: Record<string, { import?: { default?: string } }>;
  };
  const entry = pkg.exports["./esm/api"]?.import?.default;
  if (!entry) throw new Error("tsx has no ./esm/api export");
  return pathToFileURL(join(dirname(pkgPath), entry)).href;
}

function spawnWorker(config: WorkerConfig): Worker {
  const url = new URL(
    import.meta.url.endsWith(".ts") ? "./embedded-worker.ts" : "./embedded-worker.js",
    import.meta.url,
  );
  if (!url.pathname.endsWith(".ts")) return new Worker(url, { workerData: config });
  // Worker threads do not inherit tsx's loader: register it in the thread, then load the worker module.
  const tsx = tsxEsmApi();
  const bootstrap = `import(${JSON.stringify(tsx)}).then((api) => { api.register(); return import(${JSON.stringify(url.href)}); }).catch((e) => { require("node:worker_threads").parentPort.postMessage({ type: "failed", message: String((e && e.stack) || e) }); });`;
  return new Worker(bootstrap, { eval: true, workerData: config });
}

export interface EmbeddedServer {
  readonly listen: Listen;
  /** The server_version PGlite reports, e.g. "18.6". */
  readonly version: string;
  readonly fromTemplate: boolean;
  stop(): Promise<void>;
}

/** Starts the worker and waits until it serves connections; throws STORE_EMBEDDED_START on failure. */
export function startEmbedded(
  config: WorkerConfig,
  onWarning: (message: string) => void,
  startTimeoutMs = 180_000,
): Promise<EmbeddedServer> {
  const worker = spawnWorker(config);
  let stopped: (() => void) | undefined;
  const exited = new Promise<void>((resolve) => worker.once("exit", () => resolve()));

  return new Promise<EmbeddedServer>((resolve, reject) => {
    let ready = false;
    const fail = (reason: string) => {
      clearTimeout(timer);
      void worker.terminate();
      reject(new StoreError("STORE_EMBEDDED_START", { reason }));
    };
    const timer = setTimeout(() => fail(`not ready after ${startTimeoutMs} ms`), startTimeoutMs);
    worker.on("message", (reply: WorkerReply) => {
      switch (reply.type) {
        case "ready": {
          ready = true;
          clearTimeout(timer);
          const server: EmbeddedServer = {
            listen: reply.listen,
            version: reply.version,
            fromTemplate: reply.fromTemplate,
            stop: async () => {
              const done = new Promise<void>((r) => {
                stopped = r;
              });
              worker.postMessage({ type: "stop" } satisfies WorkerRequest);
              const force = setTimeout(() => void worker.terminate(), 30_000);
              await Promise.race([done, exited]);
              await exited;
              clearTimeout(force);
            },
          };
          resolve(server);
          break;
        }
        case "failed":
          if (!ready) fail(reply.message);
          else onWarning(`embedded database failed: ${reply.message}`);
          break;
        case "warning":
          onWarning(reply.message);
          break;
        case "stopped":
          stopped?.();
          break;
      }
    });
    worker.on("error", (error) => {
      if (!ready) fail(error.stack ?? error.message);
      else onWarning(`embedded database thread crashed: ${error.message}`);
    });
    worker.on("exit", (code) => {
      if (!ready) fail(`thread exited with code ${code}`);
    });
  });
}
