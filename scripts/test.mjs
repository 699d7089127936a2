// `npm test`: typecheck, lint, then every vitest test. Ends with one line "N passed, N failed"
// (typecheck and lint count as one check each), which CI reads. Exit status 0 only when all pass.
import { spawnSync } from "node:child_process";
import { readFileSync, rmSync } from "node:fs";

const bin = (name) => `node_modules/.bin/${name}`;
const run = (label, cmd, args) => {
  process.stdout.write(`\n== ${label}: ${cmd} ${args.join(" ")}\n`);
  const r = spawnSync(cmd, args, { stdio: "inherit" });
  return r.status === 0;
};

let passed = 0;
let failed = 0;
for (const [label, cmd, args] of [
  ["typecheck", bin("tsc"), ["--noEmit", "-p", "tsconfig.json"]],
  ["lint", bin("biome"), ["check", "src", "test", "bench", "scripts"]],
]) {
  if (run(label, cmd, args)) passed++;
  else failed++;
}

const report = ".test-results.json";
rmSync(report, { force: true });
const extra = process.argv.slice(2);
const ok = run("tests", bin("vitest"), [
  "run",
  "--reporter=default",
  "--reporter=json",
  `--outputFile=${report}`,
  ...extra,
]);
try {
  const r = JSON.parse(readFileSync(report, "utf8"));
  passed += r.numPassedTests ?? 0;
  failed += (r.numFailedTests ?? 0) + (r.numRuntimeErrorTestSuites ?? 0);
  if (!ok && (r.numFailedTests ?? 0) === 0 && (r.numRuntimeErrorTestSuites ?? 0) === 0) failed++;
  const skipped = (r.numPendingTests ?? 0) + (r.numTodoTests ?? 0);
  console.log(`\n${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ""}`);
} catch {
  failed++;
  console.log(`\n${passed} passed, ${failed} failed`);
}
process.exit(failed === 0 ? 0 : 1);
