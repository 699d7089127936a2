/** Test kit of the seller: all three parts composed in-process on a fresh database, a shared dev CA. */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Composed, type ComposeOptions, composeAll } from "../../src/cli/compose.ts";
import { ManualClock } from "../../src/domain/clock.ts";
import { instantToDate } from "../../src/domain/dates.ts";
import type { InvoiceInput } from "../../src/seller/model.ts";
import type { RecordingDelivery } from "../../src/seller/ports.ts";
import { writeDevCa } from "../../src/signing/dev-ca.ts";
import { type Backend, openTestDatabase } from "../store/backends.ts";

export const SELLER_A = "0100109106";
export const SELLER_B = "0309478306";
export const ADMIN_KEY = "admin-key-0123456789abcdef";

let ca: Promise<string> | undefined;

/** One development CA per process (made once: RSA keys take seconds). */
export function devCaDir(): Promise<string> {
  ca ??= (async () => {
    const dir = mkdtempSync(join(tmpdir(), "hddt-seller-ca-"));
    await writeDevCa(dir);
    return dir;
  })();
  return ca;
}

export interface SellerKit extends Composed {
  readonly manual: ManualClock;
  /** The deliveries to buyers, when the kit is composed without mail. */
  readonly recorded: RecordingDelivery;
  /** Today in Vietnam, by the kit's clock. */
  today(): string;
  close(): Promise<void>;
}

export async function openSellerKit(
  backend: Backend,
  options: {
    poolSize?: number;
    /** More of composeAll's options (mail, webhooks, signing threads). */
    compose?: Partial<Omit<ComposeOptions, "db" | "clock" | "devCaDir">>;
  } = {},
): Promise<SellerKit> {
  const manual = new ManualClock(new Date());
  const db = await openTestDatabase(backend, { clock: manual, poolSize: options.poolSize ?? 10 });
  const c = await composeAll({
    apiKeys: [{ role: "admin", name: "admin", key: ADMIN_KEY }],
    ...options.compose,
    db,
    clock: manual,
    devCaDir: await devCaDir(),
  });
  return {
    ...c,
    manual,
    recorded: c.delivery as RecordingDelivery,
    today: () => instantToDate(manual.now()),
    async close() {
      await c.stop();
      await c.app.close();
      await db.close();
    },
  };
}

/** A VAT invoice input of `lines` lines in a series, amounts as strings. */
export function invoiceInput(
  series: string,
  options: { lines?: number; buyerEmail?: string; issueDate?: string } = {},
): InvoiceInput {
  const lines = [];
  for (let i = 0; i < (options.lines ?? 2); i++)
    lines.push({
      itemName: `Hàng hóa số ${i + 1}`,
      unit: "Cái",
      quantity: String(i + 1),
      unitPrice: "125000",
      vatRate: i % 2 === 0 ? "10%" : "8%",
    });
  return {
    header: {
      template: "1",
      series,
      ...(options.issueDate !== undefined ? { issueDate: options.issueDate } : {}),
      paymentMethod: "TM/CK",
    },
    buyer: {
      name: "Công ty Cổ phần Người Mua",
      taxCode: "0101243150",
      address: "12 Nguyễn Huệ, Quận 1, TP Hồ Chí Minh",
      ...(options.buyerEmail !== undefined ? { email: options.buyerEmail } : {}),
    },
    lines,
  };
}

/** `C` + the year's two digits + `TAA` (or K…). */
export function seriesOf(today: string, coded = true): string {
  return `${coded ? "C" : "K"}${today.slice(2, 4)}TAA`;
}
