/**
 * PDF rendering rate on one core: a 10-line VAT invoice (one page) and a 60-line one (two pages), each
 * with its QR code, a seller signature box, the lookup block and the signed XML attached (PDF/A-3b).
 * Every rendering is of a different invoice (its number changes, so does its QR code): nothing is rendered
 * twice. Goal (issue 7): ≥ 50 invoices/s per core. Rendering is sequential on the main thread, so the rate is
 * per core; both the wall-clock rate and the rate per CPU-second of this process are printed (the second
 * is the fairer figure on a machine busy with other work).
 */
import { writeInvoice } from "../src/format/invoice.ts";
import { renderInvoicePdf } from "../src/render/index.ts";
import type { RenderExtras } from "../src/render/layout.ts";
import { sampleInvoice } from "../test/support/invoices.ts";

async function rate(label: string, seconds: number, fn: () => Promise<unknown>): Promise<number> {
  for (let i = 0; i < 10; i++) await fn(); // warm up: fonts parsed, code compiled
  let n = 0;
  const start = process.hrtime.bigint();
  const cpuStart = process.cpuUsage();
  const limit = BigInt(Math.round(seconds * 1e9));
  while (process.hrtime.bigint() - start < limit) {
    await fn();
    n++;
  }
  const wall = Number(process.hrtime.bigint() - start) / 1e9;
  const used = process.cpuUsage(cpuStart);
  const cpu = (used.user + used.system) / 1e6;
  const perWall = n / wall;
  const perCpu = n / cpu;
  console.log(
    `${label.padEnd(44)} ${perWall.toFixed(1).padStart(7)} /s wall   ${perCpu.toFixed(1).padStart(7)} /s per CPU-second`,
  );
  return perCpu;
}

export async function run(seconds = 5): Promise<void> {
  const extras = (lines: number): RenderExtras => ({
    authorityCode: "00ABCDEF0123456789ABCDEF0123456789",
    lookupCode: "7KQ2M9XA",
    lookupUrl: "https://hddt.example/tra-cuu",
    signatures: [
      {
        role: "seller",
        signer: "Công ty TNHH Phần mềm Hóa Đơn Mở",
        signingTime: "2025-07-15T03:00:00Z",
        valid: true,
        test: true,
      },
    ],
    signedXml: writeInvoice(sampleInvoice(lines)),
  });
  const one = sampleInvoice(10, { series: "C25TAA" });
  const two = sampleInvoice(60, { series: "C25TAA" });
  let serial = 0;
  // The same lines under a new number each time: a different QR code and header, as in a real run.
  const next = (invoice: typeof one) => ({
    ...invoice,
    header: { ...invoice.header, number: String(++serial) },
  });
  const extras10 = extras(10);
  const extras60 = extras(60);
  const bytes = (await renderInvoicePdf(one, extras10)).length;
  console.log(
    `render: A4 PDF/A-3b, DejaVu Sans subset, QR, XML attached; 10-line PDF ${bytes} bytes; one core`,
  );
  const r = await rate("10-line invoice (1 page)  [goal ≥ 50/s]", seconds, () =>
    renderInvoicePdf(next(one), extras10),
  );
  await rate("60-line invoice (2 pages)", seconds, () => renderInvoicePdf(next(two), extras60));
  console.log(`render goal ${r >= 50 ? "met" : "NOT met"} (${r.toFixed(1)} invoices per CPU-second)`);
}

if (import.meta.url === `file://${process.argv[1]}`) await run();
