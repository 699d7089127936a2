/**
 * `npm run bench`: every benchmark, one after the other, each printing its own figures.
 * Run one alone with `npx tsx bench/<name>.ts`, or `npm run bench -- <name>`.
 * Database benchmarks measure PostgreSQL when `HDDT_BENCH_PG_URL` is set
 * (`HDDT_BENCH_PG_URL=$(bash scripts/ci-postgres.sh) npm run bench`), otherwise the embedded database.
 */
import { execFileSync } from "node:child_process";
import { cpus } from "node:os";

const cpu = cpus();
console.log(`machine: ${cpu.length} × ${cpu[0]?.model ?? "unknown CPU"}, node ${process.version}`);
try {
  const out = execFileSync("openssl", ["speed", "-seconds", "2", "rsa2048"], {
    encoding: "utf8",
    stdio: ["ignore", "pipe", "ignore"],
  });
  const line = out.split("\n").find((l) => /^rsa\s+2048/.test(l.trim()));
  if (line) {
    const cols = line.trim().split(/\s+/);
    console.log(`openssl speed rsa2048 (one core): ${cols[5]} sign/s, ${cols[6]} verify/s`);
  }
} catch {
  console.log("openssl speed rsa2048: openssl not available");
}

const only = process.argv[2];
const benches: Array<[string, () => Promise<{ run: () => Promise<void> }>]> = [
  ["format", () => import("./format.ts")],
  ["signing", () => import("./signing.ts")],
  ["transmission", () => import("./transmission.ts")],
  ["authority", () => import("./authority.ts")],
  ["seller", () => import("./seller.ts")],
  ["render", () => import("./render.ts")],
  ["excel", () => import("./excel.ts")],
];
for (const [name, load] of benches) {
  if (only && only !== name) continue;
  console.log(`\n== ${name}`);
  const mod = await load();
  await mod.run();
}
