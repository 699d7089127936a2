/**
 * One hddt process of the system suites (crash, scale-out): every part composed on one database
 * (src/cli/compose.ts), serving the HTTP API, running the outbox workers, or both.
 *
 *   tsx test/system/node.ts --database <url> --dev-ca <dir> --role api|workers|all [--port <n>]
 *
 * Keys come from HDDT_API_KEYS (see serve.ts). It prints `ready <url>` on stdout once it serves (or
 * `ready workers`), and stops on SIGTERM; the suites end it with SIGKILL.
 */
import { parseArgs } from "node:util";
import { composeAll } from "../../src/cli/compose.ts";
import { parseApiKeys } from "../../src/cli/serve.ts";
import { openDatabase } from "../../src/store/index.ts";

const { values } = parseArgs({
  options: {
    database: { type: "string" },
    "dev-ca": { type: "string" },
    role: { type: "string", default: "all" },
    port: { type: "string", default: "0" },
    threads: { type: "string", default: "1" },
  },
});
if (!values.database || !values["dev-ca"]) throw new Error("--database and --dev-ca are needed");
const role = values.role;
if (role !== "api" && role !== "workers" && role !== "all") throw new Error(`no role ${role}`);

const db = await openDatabase({ url: values.database, poolSize: 12 });
const composed = await composeAll({
  db,
  devCaDir: values["dev-ca"],
  apiKeys: parseApiKeys(process.env.HDDT_API_KEYS),
  signingThreads: Number(values.threads),
});
if (role !== "api") composed.start();
let url = "workers";
if (role !== "workers") url = await composed.app.listen({ port: Number(values.port), host: "127.0.0.1" });
process.stdout.write(`ready ${url}\n`);

process.once("SIGTERM", () => {
  void (async () => {
    await composed.stop();
    await composed.app.close();
    await db.close();
    process.exit(0);
  })();
});
