/**
 * Excel import of 100,000 lines (10,000 invoices × 10 lines, in the import template's layout): wall time,
 * CPU time and peak memory. Goal (issue 7): 100,000 rows in under 500 MB. The workbook is generated first
 * (streaming writer, timed too); the import then runs in a fresh child process so that its peak resident
 * memory (maxRSS) is its own, not the generator's. Also times a 100,000-row sales-report export.
 */
import { execFileSync } from "node:child_process";
import { mkdtemp, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { exportSalesReport, importAll, reportRowOf, writeImportWorkbook } from "../src/excel/index.ts";
import { sampleInvoice } from "../test/support/invoices.ts";

const INVOICES = 10_000;
const LINES = 10;
const CHILD = "HDDT_EXCEL_BENCH_FILE";

const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(0)} MB`;

/** In the child: import the file and print the figures as JSON. */
async function child(path: string): Promise<void> {
  let peakHeap = 0;
  const sample = setInterval(() => {
    peakHeap = Math.max(peakHeap, process.memoryUsage().heapUsed);
  }, 20);
  const start = process.hrtime.bigint();
  const cpu = process.cpuUsage();
  let rows = 0;
  const result = await importAll(path, {
    seller: sampleInvoice(1).seller,
    onProgress: (p) => {
      if (p.sheet === "Hàng hóa") rows = p.rows;
    },
  });
  const wall = Number(process.hrtime.bigint() - start) / 1e9;
  const used = process.cpuUsage(cpu);
  clearInterval(sample);
  peakHeap = Math.max(peakHeap, process.memoryUsage().heapUsed);
  const out = {
    ok: result.ok,
    invoices: result.ok ? result.invoices.length : 0,
    problems: result.ok ? 0 : result.problems.length,
    rows,
    wall,
    cpu: (used.user + used.system) / 1e6,
    peakHeap,
    maxRss: process.resourceUsage().maxRSS * 1024,
  };
  console.log(JSON.stringify(out));
}

export async function run(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), "hddt-bench-excel-"));
  try {
    const path = join(dir, "import.xlsx");
    const base = sampleInvoice(LINES);
    const t0 = process.hrtime.bigint();
    await writeImportWorkbook(path, function* () {
      for (let i = 0; i < INVOICES; i++) yield { ref: `HD${String(i).padStart(6, "0")}`, invoice: base };
    });
    const writeSeconds = Number(process.hrtime.bigint() - t0) / 1e9;
    const size = (await stat(path)).size;
    console.log(
      `excel: generated ${INVOICES.toLocaleString("en-US")} invoices × ${LINES} lines = ${(INVOICES * LINES).toLocaleString("en-US")} line rows, ${mb(size)} .xlsx, in ${writeSeconds.toFixed(1)} s`,
    );

    const self = fileURLToPath(import.meta.url);
    const stdout = execFileSync(process.execPath, ["--import", "tsx", self], {
      env: { ...process.env, [CHILD]: path },
      encoding: "utf8",
      maxBuffer: 1 << 20,
    });
    const r = JSON.parse(stdout.trim().split("\n").at(-1)!) as {
      ok: boolean;
      invoices: number;
      problems: number;
      rows: number;
      wall: number;
      cpu: number;
      peakHeap: number;
      maxRss: number;
    };
    if (!r.ok) throw new Error(`bench import failed with ${r.problems} problems`);
    console.log(
      `import of ${r.rows.toLocaleString("en-US")} line rows (${r.invoices.toLocaleString("en-US")} invoices, validated): ${r.wall.toFixed(1)} s wall, ${r.cpu.toFixed(1)} s CPU, ${Math.round(r.rows / r.wall).toLocaleString("en-US")} rows/s`,
    );
    console.log(
      `import peak memory: maxRSS ${mb(r.maxRss)}, peak JS heap ${mb(r.peakHeap)} (goal: < 500 MB)`,
    );

    const reportRow = reportRowOf(base);
    const t1 = process.hrtime.bigint();
    const reportPath = join(dir, "report.xlsx");
    await exportSalesReport(
      (function* () {
        for (let i = 0; i < INVOICES * LINES; i++) yield { ...reportRow, number: String(i + 1) };
      })(),
      reportPath,
      { from: "2025-07-01", to: "2025-07-31" },
    );
    const exportSeconds = Number(process.hrtime.bigint() - t1) / 1e9;
    console.log(
      `export of a 100,000-row sales report: ${exportSeconds.toFixed(1)} s, ${mb((await stat(reportPath)).size)} .xlsx`,
    );
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

const childPath = process.env[CHILD];
if (childPath && fileURLToPath(import.meta.url) === process.argv[1]) await child(childPath);
else if (fileURLToPath(import.meta.url) === process.argv[1]) await run();
