/**
 * `hddt start` (what `npm start` runs): every part in one process on one database, ready to use.
 *
 * - Database: `--database`, else `DATABASE_URL`, else the embedded database in `<state>/data` (`.hddt/data`).
 * - The development CA in `<state>/dev-ca`, made on first run. Its certificates are TEST certificates: they
 *   show as such wherever a signature is reported, and are never for real invoices.
 * - One demo seller (the development CA's seller certificate), registered through the T-VAN on first run,
 *   with a coded series of the current year. Its owner API key is made once and kept in
 *   `<state>/demo-seller.json` (mode 600) with an example invoice in `<state>/demo-invoice.json`, so every
 *   start can print how to issue an invoice.
 * - The installation's admin key (creates organisations, authority admin routes) is made once and kept in
 *   `<state>/admin-key`; `HDDT_API_KEYS` adds more (see serve.ts). The key sealing secrets in the database
 *   (webhook secrets) is made once and kept in `<state>/secret-key`.
 * - E-mail: with `--smtp` (or `HDDT_SMTP_URL`) invoices are mailed to their buyers and the authority's
 *   maintenance notices to every customer; without, deliveries are only recorded.
 * Ctrl-C stops the workers, the server and the database in that order.
 */
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { chmod, mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { Command } from "@commander-js/extra-typings";
import type { ApiKey } from "../api/auth.ts";
import { type SmtpConfig, SmtpEmailSender } from "../notify/smtp.ts";
import { DEFAULT_PARTIES } from "../signing/dev-ca.ts";
import { type Database, openDatabase } from "../store/index.ts";
import { type Composed, composeAll } from "./compose.ts";
import { parseSmtpUrl } from "./notifications.ts";
import { parseApiKeys } from "./serve.ts";

export interface StartOptions {
  readonly port: number;
  readonly host: string;
  readonly database?: string;
  /** Folder of local state. Default `.hddt`. */
  readonly stateDir?: string;
  readonly logger?: boolean;
  /** How long to wait for the demo seller's registration to be accepted. Default 60 s. */
  readonly registrationWaitMs?: number;
  /** The SMTP server (see `parseSmtpUrl`); none: deliveries are recorded, not mailed. */
  readonly smtp?: SmtpConfig;
  /** Base address of the public pages in e-mails. Default: the address listened on. */
  readonly publicUrl?: string;
}

export interface DemoSeller {
  readonly taxCode: string;
  readonly name: string;
  readonly template: string;
  readonly series: string;
  readonly apiKey: string;
}

export interface Started {
  readonly url: string;
  readonly composed: Composed;
  readonly demo: DemoSeller;
  readonly adminKey: string;
  close(): Promise<void>;
}

async function secretFile(file: string, make: () => string): Promise<string> {
  if (existsSync(file)) return (await readFile(file, "utf8")).trim();
  const value = make();
  await writeFile(file, `${value}\n`, { mode: 0o600 });
  return value;
}

/** The demo seller: onboarded and registered on first run, its series of this year made when missing. */
async function ensureDemoSeller(composed: Composed, stateDir: string, waitMs: number): Promise<DemoSeller> {
  const { seller, clock } = composed;
  const file = join(stateDir, "demo-seller.json");
  const party = DEFAULT_PARTIES.seller;
  const year = clock.now().getUTCFullYear();
  const series = `C${String(year).slice(2)}TAA`;
  const known = await seller.getOrganisation(party.taxCode);
  if (!known.ok) {
    await composed.onboard(
      {
        taxCode: party.taxCode,
        name: party.name,
        address: "1 Tràng Tiền, Hoàn Kiếm, Hà Nội",
        profile: {
          email: "hoadon@demo.hddt.invalid",
          phone: "0240000000",
          representativeName: "Nguyễn Văn Demo",
          authorityName: "Cục Thuế thành phố Hà Nội",
          place: "Hà Nội",
        },
      },
      { forms: { withCode: true, withoutCode: false } },
    );
  }
  const deadline = Date.now() + waitMs;
  for (;;) {
    const org = await seller.getOrganisation(party.taxCode);
    if (org.ok && org.value.registrationState === "accepted") break;
    if (org.ok && org.value.registrationState === "refused")
      throw new Error("the demo seller's registration was refused by the authority");
    if (Date.now() > deadline) throw new Error("the demo seller's registration was not answered in time");
    await new Promise((r) => setTimeout(r, 100));
  }
  const list = await seller.listSeries(party.taxCode, { year });
  if (!list.some((s) => s.series === series)) {
    const made = await seller.createSeries(party.taxCode, { template: "1", series });
    if (!made.ok) throw new Error(made.problems[0]!.message);
  }
  let saved: Partial<DemoSeller> = {};
  if (existsSync(file)) saved = JSON.parse(await readFile(file, "utf8")) as Partial<DemoSeller>;
  // A key that no longer opens anything (a new database under an old state folder) is replaced.
  let apiKey = saved.apiKey;
  if (!apiKey || !(await seller.authenticate(apiKey))) {
    apiKey = (await seller.createApiKey(party.taxCode, { name: "demo owner", role: "owner" })).key;
  }
  const demo: DemoSeller = { taxCode: party.taxCode, name: party.name, template: "1", series, apiKey };
  await writeFile(file, `${JSON.stringify(demo, null, 2)}\n`, { mode: 0o600 });
  await chmod(file, 0o600);
  await writeFile(
    join(stateDir, "demo-invoice.json"),
    `${JSON.stringify(
      {
        header: { template: "1", series, paymentMethod: "TM/CK" },
        buyer: {
          name: "Công ty Cổ phần Người Mua",
          taxCode: "0101243150",
          address: "12 Nguyễn Huệ, Quận 1, TP Hồ Chí Minh",
        },
        lines: [
          {
            itemName: "Máy tính xách tay",
            unit: "Chiếc",
            quantity: "2",
            unitPrice: "15000000",
            vatRate: "10%",
          },
          { itemName: "Dịch vụ lắp đặt", unit: "Lần", quantity: "1", unitPrice: "500000", vatRate: "8%" },
        ],
      },
      null,
      2,
    )}\n`,
  );
  return demo;
}

/** Opens the database, composes every part, makes the demo seller and listens. */
export async function startAll(options: StartOptions): Promise<Started> {
  const stateDir = options.stateDir ?? ".hddt";
  await mkdir(stateDir, { recursive: true });
  let db: Database | undefined;
  let composed: Composed | undefined;
  try {
    db = await openDatabase(
      options.database !== undefined
        ? { url: options.database }
        : process.env.DATABASE_URL
          ? {}
          : { dataDir: join(stateDir, "data") },
    );
    const adminKey = await secretFile(
      join(stateDir, "admin-key"),
      () => `hddt_admin_${randomBytes(24).toString("base64url")}`,
    );
    const secretKey = await secretFile(join(stateDir, "secret-key"), () =>
      randomBytes(32).toString("base64"),
    );
    const apiKeys: ApiKey[] = [
      { role: "admin", name: "admin", key: adminKey },
      ...parseApiKeys(process.env.HDDT_API_KEYS),
    ];
    let listening = "";
    composed = await composeAll({
      db,
      devCaDir: join(stateDir, "dev-ca"),
      apiKeys,
      logger: options.logger ?? false,
      secretKey: Buffer.from(secretKey, "base64"),
      ...(options.publicUrl !== undefined ? { publicUrl: options.publicUrl } : {}),
      // Development installations may send webhooks to a receiver on the same machine.
      allowPrivateWebhookTargets: process.env.HDDT_WEBHOOKS_ALLOW_PRIVATE === "1",
      ...(options.smtp
        ? {
            mail: {
              sender: new SmtpEmailSender(options.smtp),
              publicUrl: () => options.publicUrl ?? listening,
            },
          }
        : {}),
    });
    composed.start();
    const demo = await ensureDemoSeller(composed, stateDir, options.registrationWaitMs ?? 60_000);
    const address = await composed.app.listen({ port: options.port, host: options.host });
    listening = address;
    const running = composed;
    const database = db;
    return {
      url: address,
      composed: running,
      demo,
      adminKey,
      async close() {
        await running.stop();
        await running.app.close();
        await database.close();
      },
    };
  } catch (error) {
    await composed?.stop().catch(() => undefined);
    await composed?.app.close().catch(() => undefined);
    await db?.close().catch(() => undefined);
    throw error;
  }
}

function banner(s: Started, stateDir: string): string {
  const u = s.url;
  return [
    "",
    `hddt is running at ${u}  (all parts in one process; database: ${s.composed.db.location})`,
    `  web portal    ${u}/portal    (sign in with the API key below; buyers look invoices up at ${u}/portal/lookup)`,
    `  API docs      ${u}/docs      OpenAPI ${u}/openapi.json`,
    `  demo seller   ${s.demo.name} (MST ${s.demo.taxCode}), series ${s.demo.template}${s.demo.series}, TEST certificate`,
    `  its API key   ${s.demo.apiKey}   (kept in ${join(stateDir, "demo-seller.json")})`,
    `  e-mail        ${s.composed.notifications.mail ? "invoices and maintenance notices are mailed" : "not sent, only recorded (--smtp smtp://…?from=… to send)"}`,
    "",
    "Issue a coded invoice:",
    `  curl -s -X POST '${u}/seller/invoices?issue=true' -H 'x-api-key: ${s.demo.apiKey}' \\`,
    `    -H 'content-type: application/json' -H 'idempotency-key: demo-1' --data @${join(stateDir, "demo-invoice.json")}`,
    `Then: curl -s ${u}/seller/invoices -H 'x-api-key: ${s.demo.apiKey}'   and   ${u}/lookup/<lookupCode>`,
    "Ctrl-C stops hddt.",
    "",
  ].join("\n");
}

export function registerStartCommand(program: Command): void {
  program
    .command("start")
    .description(
      "run every part (tax authority, T-VAN, seller) in one process with a demo seller (what `npm start` runs)",
    )
    .option("--port <n>", "port to listen on", process.env.PORT ?? "8080")
    .option("--host <host>", "address to listen on", "127.0.0.1")
    .option("--database <url>", "postgres://… or file:///folder (default: DATABASE_URL, else .hddt/data)")
    .option("--state <dir>", "folder of local state (data, dev CA, keys)", ".hddt")
    .option("--log", "log every request")
    .option(
      "--smtp <url>",
      "mail invoices and notices: smtp://user:pass@host:587?from=hoadon@example.vn (default: HDDT_SMTP_URL)",
      process.env.HDDT_SMTP_URL,
    )
    .option("--public-url <url>", "address of the public pages in e-mails (default: the address listened on)")
    .action(async (opts) => {
      const port = Number(opts.port);
      if (!Number.isInteger(port) || port < 0 || port > 65535) {
        process.stderr.write(`hddt start: --port must be a port number, not '${opts.port}'\n`);
        process.exitCode = 2;
        return;
      }
      let smtp: SmtpConfig | undefined;
      try {
        smtp = opts.smtp ? parseSmtpUrl(opts.smtp) : undefined;
      } catch (error) {
        process.stderr.write(`hddt start: --smtp: ${(error as Error).message}\n`);
        process.exitCode = 2;
        return;
      }
      let started: Started;
      try {
        started = await startAll({
          ...(smtp ? { smtp } : {}),
          ...(opts.publicUrl !== undefined ? { publicUrl: opts.publicUrl.replace(/\/+$/, "") } : {}),
          port,
          host: opts.host,
          stateDir: opts.state,
          logger: opts.log === true,
          ...(opts.database !== undefined ? { database: opts.database } : {}),
        });
      } catch (error) {
        process.stderr.write(`hddt start: ${(error as Error).message}\n`);
        process.exitCode = 1;
        return;
      }
      process.stdout.write(banner(started, opts.state));
      let stopping = false;
      const stop = () => {
        if (stopping) return;
        stopping = true;
        process.stdout.write("hddt: stopping…\n");
        started.close().then(
          () => process.exit(0),
          (error: unknown) => {
            process.stderr.write(`hddt: ${(error as Error).message}\n`);
            process.exit(1);
          },
        );
      };
      process.on("SIGINT", stop);
      process.on("SIGTERM", stop);
    });
}
