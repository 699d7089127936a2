/**
 * `hddt serve`: runs the HTTP API of one part, or of every part that exists, on one port.
 *
 *   hddt serve --part authority --port 8080 --database postgres://…
 *
 * Only the tax authority's part can be served so far; `--part all` serves what exists. Configuration that
 * must not sit on a command line comes from the environment:
 * - `HDDT_API_KEYS`: keys for the protected routes, comma-separated `role:name:key` (role admin, inspector
 *   or buyer; for a buyer, name is its tax code; keys at least 16 characters). Without it, protected routes
 *   answer 401.
 * - `HDDT_P12_PASSWORD`: password of the authority's PKCS#12 file (default: the development CA's).
 * - `HDDT_CODE_SECRET`: the secret the MCCQT codes are made with (at least 32 characters). Without it, a
 *   random one is made once and kept in `<state>/code-secret`.
 * Without `--authority-p12`, the development CA in `.hddt/dev-ca` is used, and made if missing: its
 * certificates are TEST certificates, never for real invoices.
 */
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import type { Command } from "@commander-js/extra-typings";
import { type ApiKey, ApiKeys, type Role } from "../api/auth.ts";
import { buildServer, type HttpApp } from "../api/server.ts";
import { authorityApi, registerAuthorityRoutes } from "../authority/http.ts";
import { AuthorityService } from "../authority/service.ts";
import { DEFAULT_DEV_CA_DIR, DEFAULT_P12_PASSWORD, devTrustStore, writeDevCa } from "../signing/dev-ca.ts";
import { pkcs12Signer } from "../signing/pkcs12.ts";
import { type Database, migrate, openDatabase } from "../store/index.ts";

export const SERVE_PARTS = ["authority", "transmission", "seller", "all"] as const;
export type ServePart = (typeof SERVE_PARTS)[number];

/** Parts that can be served today. */
const READY: ReadonlySet<ServePart> = new Set(["authority", "all"]);

const ROLES: readonly Role[] = ["admin", "inspector", "buyer"];

/** Reads `role:name:key,…` (HDDT_API_KEYS). Throws a RangeError naming the entry at fault. */
export function parseApiKeys(text: string | undefined): ApiKey[] {
  if (!text?.trim()) return [];
  return text.split(",").map((entry, i) => {
    const [role, name, ...rest] = entry.trim().split(":");
    const key = rest.join(":");
    if (!role || !ROLES.includes(role as Role) || !name || !key)
      throw new RangeError(
        `HDDT_API_KEYS entry ${i + 1} is not role:name:key with role admin, inspector or buyer`,
      );
    return { role: role as Role, name, key };
  });
}

export interface ServeOptions {
  readonly part: ServePart;
  readonly port: number;
  readonly host: string;
  /** Database URL (postgres://…, memory://, file:///folder); default: DATABASE_URL or .hddt/data. */
  readonly database?: string;
  readonly authorityP12?: string;
  readonly p12Password?: string;
  readonly devCaDir?: string;
  /** Folder of local state (the code secret). Default .hddt. */
  readonly stateDir?: string;
  readonly apiKeys?: readonly ApiKey[];
  readonly codeSecret?: string;
  readonly logger?: boolean;
}

export interface RunningServer {
  readonly app: HttpApp;
  /** Where it listens, e.g. http://127.0.0.1:8080. */
  readonly url: string;
  readonly db: Database;
  close(): Promise<void>;
}

async function codeSecret(options: ServeOptions): Promise<Uint8Array> {
  if (options.codeSecret !== undefined) {
    if (options.codeSecret.length < 32)
      throw new RangeError("HDDT_CODE_SECRET must be at least 32 characters");
    return Buffer.from(options.codeSecret, "utf8");
  }
  const file = join(options.stateDir ?? ".hddt", "code-secret");
  if (existsSync(file)) return Buffer.from((await readFile(file, "utf8")).trim(), "hex");
  const secret = randomBytes(32);
  await mkdir(dirname(file), { recursive: true });
  await writeFile(file, `${secret.toString("hex")}\n`, { mode: 0o600 });
  return secret;
}

/** Opens the database, migrates, builds the parts asked for and listens. */
export async function startServer(options: ServeOptions): Promise<RunningServer> {
  if (!READY.has(options.part)) throw new RangeError(`the ${options.part} part cannot be served yet`);
  const db = await openDatabase(options.database !== undefined ? { url: options.database } : {});
  try {
    await migrate(db, "authority");
    const devCaDir = options.devCaDir ?? DEFAULT_DEV_CA_DIR;
    let p12 = options.authorityP12;
    if (p12 === undefined) {
      p12 = join(devCaDir, "authority.p12");
      if (!existsSync(p12)) await writeDevCa(devCaDir);
    }
    const signer = await pkcs12Signer(p12, options.p12Password ?? DEFAULT_P12_PASSWORD);
    const service = new AuthorityService({
      db,
      clock: db.clock,
      signer,
      verify: { trust: await devTrustStore(devCaDir) },
      config: { codeSecret: await codeSecret(options) },
    });
    const app = await buildServer({
      logger: options.logger ?? true,
      clock: db.clock,
      title: "hddt: tax authority",
    });
    registerAuthorityRoutes(app, authorityApi(service, db), {
      clock: db.clock,
      keys: new ApiKeys(options.apiKeys ?? []),
    });
    const url = await app.listen({ port: options.port, host: options.host });
    return {
      app,
      url,
      db,
      async close() {
        await app.close();
        await db.close();
      },
    };
  } catch (error) {
    await db.close();
    throw error;
  }
}

export function registerServeCommands(program: Command): void {
  program
    .command("serve")
    .description("run the HTTP API (OpenAPI at /openapi.json, pages at /docs)")
    .option("--part <part>", `which part: ${SERVE_PARTS.join(", ")}`, "all")
    .option("--port <port>", "port to listen on", "8080")
    .option("--host <host>", "address to listen on", "127.0.0.1")
    .option(
      "--database <url>",
      "postgres://…, memory:// or file:///folder (default: DATABASE_URL or .hddt/data)",
    )
    .option(
      "--authority-p12 <file>",
      "the authority's PKCS#12 key and certificate (default: the development CA's)",
    )
    .option("--dev-ca <dir>", "folder of the development CA", DEFAULT_DEV_CA_DIR)
    .action(async (opts) => {
      const part = opts.part as ServePart;
      if (!SERVE_PARTS.includes(part)) {
        process.stderr.write(
          `hddt serve: --part must be one of ${SERVE_PARTS.join(", ")}, not '${opts.part}'\n`,
        );
        process.exitCode = 2;
        return;
      }
      if (!READY.has(part)) {
        process.stderr.write(
          `hddt serve: the ${part} part has no HTTP API yet; only 'authority' (or 'all') can be served\n`,
        );
        process.exitCode = 2;
        return;
      }
      const port = Number(opts.port);
      if (!Number.isInteger(port) || port < 0 || port > 65535) {
        process.stderr.write(
          `hddt serve: --port must be a whole number from 0 to 65535, not '${opts.port}'\n`,
        );
        process.exitCode = 2;
        return;
      }
      let apiKeys: ApiKey[];
      try {
        apiKeys = parseApiKeys(process.env.HDDT_API_KEYS);
        new ApiKeys(apiKeys);
      } catch (error) {
        process.stderr.write(`hddt serve: ${(error as Error).message}\n`);
        process.exitCode = 2;
        return;
      }
      const running = await startServer({
        part,
        port,
        host: opts.host,
        devCaDir: opts.devCa,
        apiKeys,
        ...(opts.database !== undefined ? { database: opts.database } : {}),
        ...(opts.authorityP12 !== undefined ? { authorityP12: opts.authorityP12 } : {}),
        ...(process.env.HDDT_P12_PASSWORD !== undefined
          ? { p12Password: process.env.HDDT_P12_PASSWORD }
          : {}),
        ...(process.env.HDDT_CODE_SECRET !== undefined ? { codeSecret: process.env.HDDT_CODE_SECRET } : {}),
      });
      process.stderr.write(`hddt serve: ${part} on ${running.url} (API description ${running.url}/docs)\n`);
      const stop = () => {
        void running.close().then(() => process.exit(0));
      };
      process.once("SIGINT", stop);
      process.once("SIGTERM", stop);
    });
}
