/**
 * Format throughput on one core: read + validate, and write, of a 10-line VAT invoice.
 * Goals (issue 2): read + validate ≥ 10,000 invoices/s, write ≥ 30,000 invoices/s.
 */
import { validateInvoice } from "../src/domain/validate.ts";
import { readInvoice, writeInvoice } from "../src/format/invoice.ts";
import { sampleInvoice } from "../test/support/invoices.ts";

function rate(label: string, seconds: number, fn: () => void): number {
  // Warm up, then run for the given time and count.
  for (let i = 0; i < 2000; i++) fn();
  let n = 0;
  const start = process.hrtime.bigint();
  const limit = BigInt(Math.round(seconds * 1e9));
  let elapsed = 0n;
  while (elapsed < limit) {
    for (let i = 0; i < 200; i++) fn();
    n += 200;
    elapsed = process.hrtime.bigint() - start;
  }
  const perSecond = n / (Number(elapsed) / 1e9);
  console.log(`${label.padEnd(48)} ${Math.round(perSecond).toLocaleString("en-US").padStart(10)} /s`);
  return perSecond;
}

export async function run(seconds = 3): Promise<void> {
  const invoice = sampleInvoice(10);
  const xml = writeInvoice(invoice);
  const bytes = new TextEncoder().encode(xml);
  console.log(`format: 10-line invoice, ${bytes.length} bytes, one core`);
  const problems = validateInvoice(readInvoice(bytes).invoice!, { stage: "issued" });
  if (problems.some((p) => p.severity === "error"))
    throw new Error(`bench invoice is invalid: ${JSON.stringify(problems)}`);
  rate("read (parse XML → model)", seconds, () => readInvoice(bytes));
  rate("validate (model)", seconds, () => validateInvoice(invoice, { stage: "issued" }));
  const rv = rate("read + validate           [goal ≥ 10,000/s]", seconds, () => {
    const r = readInvoice(bytes);
    validateInvoice(r.invoice!, { stage: "issued" });
  });
  const w = rate("write (model → canonical XML) [goal ≥ 30,000/s]", seconds, () => writeInvoice(invoice));
  console.log(
    `read+validate goal ${rv >= 10_000 ? "met" : "NOT met"}; write goal ${w >= 30_000 ? "met" : "NOT met"}`,
  );
}

if (import.meta.url === `file://${process.argv[1]}`) await run();
