/**
 * `hddt serve`: runs the HTTP API of one part, or of every part that exists, on one port.
 *
 *   hddt serve --part authority --port 8080 --database postgres://…
 *   hddt serve --part transmission --port 8081 --authority-url http://127.0.0.1:8080 --database …
 *
 * The tax authority's part and the T-VAN (transmission) can be served; `--part all` serves the authority.
 * The authority also gets `/authority/outbox/{party}` (what waits for a T-VAN, admin key) and
 * `/authority/health` (the connection check `HttpTransport` uses); see `startTransmission` for the T-VAN's
 * routes. Configuration that must not sit on a command line comes from the environment:
 * - `HDDT_API_KEYS`: keys for the protected routes, comma-separated `role:name:key` (role admin, inspector,
 *   buyer, or client of the T-VAN; for a buyer, name is its tax code; for a client, its party code: a
 *   seller's MST, a provider's code, TCT for the authority; keys at least 16 characters). Without it,
 *   protected routes answer 401.
 * - `HDDT_P12_PASSWORD`: password of the authority's PKCS#12 file (default: the development CA's).
 * - `HDDT_AUTHORITY_API_KEY` (transmission): the authority's admin key, to pull the authority's replies.
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
import { z } from "zod";
import { type ApiKey, ApiKeys, type Role, requireApiKey } from "../api/auth.ts";
import { buildServer, type HttpApp } from "../api/server.ts";
import { authorityApi, registerAuthorityRoutes } from "../authority/http.ts";
import { AuthorityService } from "../authority/service.ts";
import {
  DEFAULT_DEV_CA_DIR,
  DEFAULT_P12_PASSWORD,
  DEFAULT_PARTIES,
  devTrustStore,
  writeDevCa,
} from "../signing/dev-ca.ts";
import { pkcs12Signer } from "../signing/pkcs12.ts";
import { type Database, migrate, openDatabase } from "../store/index.ts";
import { registerTvanRoutes } from "../transmission/http.ts";
import { TvanService, verifierSignatureCheck } from "../transmission/tvan.ts";
import { Outbox } from "../transport/outbox.ts";
import { HttpTransport } from "../transport/transport.ts";
import { OutboxWorker } from "../transport/worker.ts";

export const SERVE_PARTS = ["authority", "transmission", "seller", "all"] as const;
export type ServePart = (typeof SERVE_PARTS)[number];

/** Parts that can be served today. */
const READY: ReadonlySet<ServePart> = new Set(["authority", "transmission", "all"]);

const ROLES: readonly Role[] = ["admin", "inspector", "buyer", "client"];

/** Reads `role:name:key,…` (HDDT_API_KEYS). Throws a RangeError naming the entry at fault. */
export function parseApiKeys(text: string | undefined): ApiKey[] {
  if (!text?.trim()) return [];
  return text.split(",").map((entry, i) => {
    const [role, name, ...rest] = entry.trim().split(":");
    const key = rest.join(":");
    if (!role || !ROLES.includes(role as Role) || !name || !key)
      throw new RangeError(
        `HDDT_API_KEYS entry ${i + 1} is not role:name:key with role admin, inspector, buyer or client`,
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
  if (!READY.has(options.part) || options.part === "transmission")
    throw new RangeError(`the ${options.part} part cannot be served by startServer`);
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
    const keys = new ApiKeys(options.apiKeys ?? []);
    registerAuthorityRoutes(app, authorityApi(service, db), { clock: db.clock, keys });
    registerDeliveryRoutes(app, service, keys);
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

const partyParam = z.object({ party: z.string().min(1).max(14) });

/**
 * The authority's outbox as a pull API for the T-VANs (admin key): `GET /authority/outbox/{party}` lists
 * what waits for a party, oldest first; `POST /authority/outbox/{party}/delivered` with `{ ids }`
 * acknowledges it. `GET /authority/health` is the connection check in the shape `HttpTransport` reads.
 */
function registerDeliveryRoutes(app: HttpApp, service: AuthorityService, keys: ApiKeys): void {
  const admin = requireApiKey(keys, "admin");
  app.get(
    "/authority/outbox/:party",
    {
      onRequest: admin,
      schema: {
        summary: "Messages waiting for a party",
        tags: ["authority: messages"],
        params: partyParam,
        querystring: z.object({ limit: z.coerce.number().int().min(1).max(1000).default(100) }),
      },
    },
    async (request) => ({
      items: await service.pendingFor(request.params.party, request.query.limit),
    }),
  );
  app.post(
    "/authority/outbox/:party/delivered",
    {
      onRequest: admin,
      schema: {
        summary: "Acknowledge messages taken by a party",
        tags: ["authority: messages"],
        params: partyParam,
        body: z.object({ ids: z.array(z.string().max(60)).max(1000) }),
      },
    },
    async (request) => {
      await service.markDelivered(request.body.ids);
      return { ok: true };
    },
  );
  app.get(
    "/authority/health",
    { schema: { summary: "Connection check for HttpTransport", tags: ["authority: messages"] } },
    async (_request, reply) => {
      const c = await service.connectionCheck();
      if (c.available) return { ok: true };
      const until = c.until ?? c.now;
      return reply
        .code(503)
        .header("retry-after", until.toUTCString())
        .send({ reason: "maintenance", until: until.toISOString() });
    },
  );
}

export interface TransmissionOptions {
  readonly port: number;
  readonly host: string;
  /** Base URL of the authority's process, e.g. http://127.0.0.1:8080. */
  readonly authorityUrl: string;
  /** Admin key of the authority, for pulling its replies (HDDT_AUTHORITY_API_KEY). */
  readonly authorityApiKey?: string;
  /** This T-VAN's party code (V + tax code). */
  readonly party: string;
  readonly database?: string;
  readonly devCaDir?: string;
  /** Largest backoff of the outbox, ms. Default: the outbox's. */
  readonly retryCapMs?: number;
  /** Real-time wait between pulls of the authority's replies when none came. Default 200 ms. */
  readonly pullIdleMs?: number;
  /** Keys of the T-VAN's clients (role client, named by party code) and operators (role admin). */
  readonly apiKeys?: readonly ApiKey[];
  readonly logger?: boolean;
}

export interface RunningTransmission {
  readonly url: string;
  readonly db: Database;
  readonly tvan: TvanService;
  readonly outbox: Outbox;
  close(): Promise<void>;
}

/**
 * The T-VAN as its own process: the routes of src/transmission/http.ts (sellers post to `/tvan/messages`
 * with a client key, operators use the admin routes); an OutboxWorker drains to the authority over HTTP,
 * and a loop pulls what the authority's outbox holds for this T-VAN (`/authority/outbox/{party}`: answers,
 * and maintenance notices that hold forwarding during their window) into `receiveFromAuthority`.
 */
export async function startTransmission(options: TransmissionOptions): Promise<RunningTransmission> {
  const db = await openDatabase(options.database !== undefined ? { url: options.database } : {});
  let app: HttpApp | undefined;
  try {
    await migrate(db, "tvan");
    const authorityBase = `${options.authorityUrl.replace(/\/$/, "")}/authority`;
    const transport = new HttpTransport({
      routes: (to) => (to === "TCT" ? authorityBase : undefined),
      timeoutMs: 10_000,
      clock: db.clock,
    });
    const outbox = new Outbox(
      db,
      options.retryCapMs !== undefined ? { policy: { capMs: options.retryCapMs } } : {},
    );
    const tvan = new TvanService({
      db,
      clock: db.clock,
      transport,
      outbox,
      // Sellers poll the pull API; pushing to a seller comes with the seller part's own HTTP endpoint.
      config: { party: options.party, pushTo: () => false },
      checkSignature: verifierSignatureCheck({
        trust: await devTrustStore(options.devCaDir ?? DEFAULT_DEV_CA_DIR),
        warnTestCertificates: false,
      }),
    });
    const worker = new OutboxWorker({
      outbox,
      transport,
      clock: db.clock,
      idleMs: 50,
      onResult: (m, r) => {
        void tvan.observeSend(m.destination, r).catch(() => undefined);
      },
    });
    const headers: Record<string, string> = options.authorityApiKey
      ? { "x-api-key": options.authorityApiKey }
      : {};
    let stopping = false;
    const pull = async (): Promise<number> => {
      const res = await fetch(`${authorityBase}/outbox/${options.party}?limit=500`, {
        headers,
        signal: AbortSignal.timeout(10_000),
      });
      if (!res.ok) {
        await res.body?.cancel();
        return 0;
      }
      const body = (await res.json()) as { items: Array<{ messageId: string; xml: string }> };
      if (body.items.length === 0) return 0;
      // All of a page at once: they queue in the authority's order and are stored by group commit, so a
      // seller's delivery numbers follow that order. Everything taken is acknowledged: a repeat is a
      // duplicate to the T-VAN, and a message it cannot read would not become readable by pulling again.
      const taken: string[] = [];
      const outcomes = await Promise.all(body.items.map((item) => tvan.receiveFromAuthority(item.xml)));
      for (let i = 0; i < body.items.length; i++) {
        const item = body.items[i]!;
        if (outcomes[i]!.status === "unreadable")
          process.emitWarning(`hddt transmission: unreadable message ${item.messageId} from the authority`);
        taken.push(item.messageId);
      }
      const ack = await fetch(`${authorityBase}/outbox/${options.party}/delivered`, {
        method: "POST",
        headers: { ...headers, "content-type": "application/json" },
        body: JSON.stringify({ ids: taken }),
        signal: AbortSignal.timeout(10_000),
      });
      await ack.body?.cancel();
      return body.items.length;
    };
    const idle = options.pullIdleMs ?? 200;
    const pulling = (async () => {
      while (!stopping) {
        let n = 0;
        try {
          n = await pull();
        } catch {
          // The authority is down or restarting: try again after the idle wait.
        }
        if (n === 0 && !stopping) await new Promise((r) => setTimeout(r, idle));
      }
    })();
    const web = await buildServer({
      logger: options.logger ?? false,
      clock: db.clock,
      title: "hddt: T-VAN (transmission)",
    });
    app = web;
    registerTvanRoutes(web, { tvan, outbox, keys: new ApiKeys(options.apiKeys ?? []), clock: db.clock });
    const url = await web.listen({ port: options.port, host: options.host });
    worker.start();
    return {
      url,
      db,
      tvan,
      outbox,
      async close() {
        stopping = true;
        await worker.stop();
        await pulling;
        await web.close();
        await db.close();
      },
    };
  } catch (error) {
    await app?.close();
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
    .option("--authority-url <url>", "transmission: base URL of the authority's process")
    .option("--party <code>", "transmission: this T-VAN's party code", `V${DEFAULT_PARTIES.tvan.taxCode}`)
    .option("--retry-cap-ms <ms>", "transmission: largest backoff of the outbox, in ms")
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
          `hddt serve: the ${part} part has no HTTP API yet; only 'authority', 'transmission' or 'all'\n`,
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
      if (part === "transmission") {
        if (opts.authorityUrl === undefined) {
          process.stderr.write("hddt serve: --part transmission needs --authority-url\n");
          process.exitCode = 2;
          return;
        }
        const cap = opts.retryCapMs === undefined ? undefined : Number(opts.retryCapMs);
        const tvan = await startTransmission({
          port,
          host: opts.host,
          authorityUrl: opts.authorityUrl,
          party: opts.party,
          devCaDir: opts.devCa,
          apiKeys,
          ...(cap !== undefined && Number.isInteger(cap) && cap > 0 ? { retryCapMs: cap } : {}),
          ...(opts.database !== undefined ? { database: opts.database } : {}),
          ...(process.env.HDDT_AUTHORITY_API_KEY !== undefined
            ? { authorityApiKey: process.env.HDDT_AUTHORITY_API_KEY }
            : {}),
        });
        process.stderr.write(`hddt serve: transmission on ${tvan.url}\n`);
        const stopTvan = () => {
          void tvan.close().then(() => process.exit(0));
        };
        process.once("SIGINT", stopTvan);
        process.once("SIGTERM", stopTvan);
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
