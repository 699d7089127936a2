/**
 * A coded invoice whose handing-over to the buyer was cut short (the process died between the commit of the
 * 202 and the delivery) is handed over by the sweep once it has waited long enough, and only then.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { testBackends } from "../store/backends.ts";
import { invoiceInput, openSellerKit, SELLER_A, type SellerKit, seriesOf } from "./support.ts";

describe.each(testBackends())("coded invoices left undelivered by a crash (%s)", (backend) => {
  let kit: SellerKit;
  let series: string;

  beforeAll(async () => {
    kit = await openSellerKit(backend, { compose: { signingThreads: 0 } });
    await kit.onboard({
      taxCode: SELLER_A,
      name: "Công ty A",
      address: "Số 1 Tràng Tiền, Hà Nội",
      profile: { email: "kt@example.vn", phone: "0241234567" },
    });
    await kit.drain();
    series = seriesOf(kit.today());
    const s = await kit.seller.createSeries(SELLER_A, { template: "1", series });
    if (!s.ok) throw new Error(JSON.stringify(s.problems));
  }, 120_000);
  afterAll(async () => {
    await kit?.close();
  });

  it("hands them over after 30 s, not before", async () => {
    const d = await kit.seller.createDraft(SELLER_A, invoiceInput(series));
    if (!d.ok) throw new Error(JSON.stringify(d.problems));
    const id = d.value.invoice.id;
    if (!(await kit.seller.issue(SELLER_A, id)).ok) throw new Error("not issued");
    await kit.drain();
    // The crash: coded, never delivered.
    await kit.db.pool.query("update seller.invoice set state = 'coded', updated_at = $2 where id = $1", [
      id,
      kit.manual.now(),
    ]);
    const handed = () => kit.recorded.delivered.filter((x) => x.invoiceId === id).length;
    const before = handed();
    kit.manual.advance(10_000);
    expect(await kit.seller.deliverStuck()).toBe(0);
    kit.manual.advance(25_000);
    expect(await kit.seller.deliverStuck()).toBe(1);
    expect(handed()).toBe(before + 1);
    const got = await kit.seller.get(SELLER_A, id);
    expect(got.ok && got.value.state).toBe("delivered");
    expect(await kit.seller.deliverStuck()).toBe(0);
  }, 60_000);
});
