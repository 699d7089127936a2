/**
 * The seller with the T-VAN and the authority in one process (composeAll): registration, coded invoices
 * from issue to delivery, refusals, gap-free numbering and idempotency under concurrency.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readInvoice } from "../../src/format/invoice.ts";
import { testBackends } from "../store/backends.ts";
import { invoiceInput, openSellerKit, SELLER_A, type SellerKit, seriesOf } from "./support.ts";

const ORG = {
  taxCode: SELLER_A,
  name: "Công ty TNHH Phần mềm Hóa Đơn Mở",
  address: "Số 1 Tràng Tiền, Hoàn Kiếm, Hà Nội",
  profile: { email: "ketoan@hddt.example", phone: "0241234567" },
};

describe.each(testBackends())("seller end to end (%s)", (backend) => {
  let kit: SellerKit;
  let series: string;

  beforeAll(async () => {
    kit = await openSellerKit(backend);
    series = seriesOf(kit.today());
    await kit.onboard(ORG);
    await kit.drain();
    const created = await kit.seller.createSeries(SELLER_A, { template: "1", series });
    if (!created.ok) throw new Error(JSON.stringify(created.problems));
  }, 120_000);
  afterAll(async () => {
    await kit?.close();
  });

  it("registers through the T-VAN: 102 received, then 103 accepted", async () => {
    const [reg] = await kit.seller.registrations(SELLER_A);
    expect(reg).toMatchObject({ state: "accepted", forms: { withCode: true, withoutCode: false } });
    const org = await kit.seller.getOrganisation(SELLER_A);
    expect(org.ok && org.value.registrationState).toBe("accepted");
  });

  it("issues a coded invoice: waiting for code, then 202 → coded and delivered, byte-exact and found by lookup", async () => {
    const d = await kit.seller.createDraft(SELLER_A, invoiceInput(series, { buyerEmail: "mua@example.vn" }));
    if (!d.ok) throw new Error(JSON.stringify(d.problems));
    const issued = await kit.seller.issue(SELLER_A, d.value.invoice.id);
    if (!issued.ok) throw new Error(JSON.stringify(issued.problems));
    expect(issued.value).toMatchObject({ state: "waiting_for_code", number: 1 });
    // Nothing reaches the buyer before the code.
    expect(kit.recorded.delivered.filter((x) => x.invoiceId === d.value.invoice.id)).toEqual([]);
    expect((await kit.seller.lookup(issued.value.lookupCode)).ok).toBe(false);

    await kit.drain();
    const got = await kit.seller.get(SELLER_A, d.value.invoice.id);
    if (!got.ok) throw new Error("gone");
    expect(got.value.state).toBe("delivered");
    expect(got.value.authorityCode).toMatch(/^[0-9A-F]{34}$/);

    const coded = await kit.seller.xml(SELLER_A, got.value.id, "coded");
    if (!coded.ok) throw new Error("no coded xml");
    const read = readInvoice(coded.value);
    expect(read.invoice?.authorityCode).toBe(got.value.authorityCode);
    // Archived byte for byte.
    const archived = await kit.archive.get(SELLER_A, `${got.value.id}.coded`, "invoice");
    expect(archived.ok && archived.value.toString("utf8")).toBe(coded.value);
    // Delivered once, with the coded invoice.
    const deliveries = kit.recorded.delivered.filter((x) => x.invoiceId === got.value.id);
    expect(deliveries).toHaveLength(1);
    expect(deliveries[0]!.xml).toBe(coded.value);
    // The buyer finds it by its secret code.
    const found = await kit.seller.lookup(got.value.lookupCode.toLowerCase());
    expect(found.ok && found.value.xml).toBe(coded.value);
    const history = await kit.seller.history(SELLER_A, got.value.id);
    expect(history.ok && history.value.map((h) => h.to)).toEqual([
      "draft",
      "issued",
      "waiting_for_code",
      "coded",
      "delivered",
    ]);
  }, 60_000);

  it("records the authority's refusal (204) with its reasons and never delivers", async () => {
    // The authority stops the taxpayer after the seller's last look: the seller still sends, the
    // authority refuses the code.
    await kit.authority.stopTaxpayer(SELLER_A, "tax_code_terminated");
    try {
      const d = await kit.seller.createDraft(SELLER_A, invoiceInput(series));
      if (!d.ok) throw new Error(JSON.stringify(d.problems));
      const issued = await kit.seller.issue(SELLER_A, d.value.invoice.id);
      if (!issued.ok) throw new Error(JSON.stringify(issued.problems));
      await kit.drain();
      const got = await kit.seller.get(SELLER_A, d.value.invoice.id);
      if (!got.ok) throw new Error("gone");
      expect(got.value.state).toBe("refused");
      expect(got.value.errors?.length).toBeGreaterThan(0);
      expect(kit.recorded.delivered.some((x) => x.invoiceId === got.value.id)).toBe(false);
    } finally {
      await kit.authority.resumeTaxpayer(SELLER_A);
    }
  }, 60_000);

  it("numbers 20 concurrent issues gap-free and in order, and codes them all", async () => {
    const drafts = await Promise.all(
      Array.from({ length: 20 }, () => kit.seller.createDraft(SELLER_A, invoiceInput(series))),
    );
    const ids = drafts.map((d) => {
      if (!d.ok) throw new Error(JSON.stringify(d.problems));
      return d.value.invoice.id;
    });
    const before = (await kit.seller.listSeries(SELLER_A)).find((s) => s.series === series)!.used;
    const issued = await Promise.all(ids.map((id) => kit.seller.issue(SELLER_A, id)));
    const numbers = issued.map((r) => (r.ok ? r.value.number : -1)).sort((a, b) => (a ?? 0) - (b ?? 0));
    expect(numbers).toEqual(Array.from({ length: 20 }, (_, i) => before + i + 1));
    const after = (await kit.seller.listSeries(SELLER_A)).find((s) => s.series === series)!.used;
    expect(after).toBe(before + 20);
    await kit.drain();
    const states = await Promise.all(ids.map((id) => kit.seller.get(SELLER_A, id)));
    expect(states.map((s) => s.ok && s.value.state)).toEqual(ids.map(() => "delivered"));
  }, 60_000);

  it("numbers a draft once when concurrent requests issue it together with others", async () => {
    const drafts = await Promise.all(
      Array.from({ length: 4 }, () => kit.seller.createDraft(SELLER_A, invoiceInput(series))),
    );
    const ids = drafts.map((d) => (d.ok ? d.value.invoice.id : "failed"));
    const before = (await kit.seller.listSeries(SELLER_A)).find((s) => s.series === series)!.used;
    const issued = await Promise.all([...ids, ids[0]!, ids[0]!].map((id) => kit.seller.issue(SELLER_A, id)));
    const numbers = issued.map((r) => (r.ok ? r.value.number : -1));
    expect(numbers.slice(4)).toEqual([numbers[0], numbers[0]]);
    expect([...numbers.slice(0, 4)].sort((a, b) => (a ?? 0) - (b ?? 0))).toEqual(
      Array.from({ length: 4 }, (_, i) => before + i + 1),
    );
    expect((await kit.seller.listSeries(SELLER_A)).find((s) => s.series === series)!.used).toBe(before + 4);
  }, 60_000);

  it("gives one invoice for one idempotency key, also under concurrency; another body is a conflict", async () => {
    const input = invoiceInput(series, { lines: 3 });
    const results = await Promise.all(
      Array.from({ length: 10 }, () =>
        kit.seller.createDraft(SELLER_A, input, { idempotencyKey: "order-42" }),
      ),
    );
    const ids = new Set(results.map((r) => (r.ok ? r.value.invoice.id : "failed")));
    expect(ids.size).toBe(1);
    expect(ids.has("failed")).toBe(false);
    expect(results.filter((r) => r.ok && r.value.created)).toHaveLength(1);
    const other = await kit.seller.createDraft(SELLER_A, invoiceInput(series, { lines: 1 }), {
      idempotencyKey: "order-42",
    });
    expect(other.ok).toBe(false);
    if (!other.ok) expect(other.problems[0]!.code).toBe("SELLER_IDEMPOTENCY_CONFLICT");
  });

  it("refuses an invoice dated before the series' last one, without taking a number", async () => {
    const before = (await kit.seller.listSeries(SELLER_A)).find((s) => s.series === series)!;
    // The first day of the series' year: earlier than today's invoices unless today is 1 January.
    const early = `${kit.today().slice(0, 4)}-01-01`;
    if (early === before.lastDate) return; // only on 1 January: nothing of this year is earlier
    const d = await kit.seller.createDraft(SELLER_A, invoiceInput(series, { issueDate: early }));
    if (!d.ok) throw new Error(JSON.stringify(d.problems));
    const r = await kit.seller.issue(SELLER_A, d.value.invoice.id);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.problems[0]!.code).toBe("SELLER_DATE_ORDER");
    const after = (await kit.seller.listSeries(SELLER_A)).find((s) => s.series === series)!;
    expect(after.used).toBe(before.used);
  });
  it("adjusts a coded invoice: the adjusting invoice refers to it, and once coded the original is adjusted", async () => {
    const d = await kit.seller.createDraft(SELLER_A, invoiceInput(series));
    if (!d.ok) throw new Error(JSON.stringify(d.problems));
    await kit.seller.issue(SELLER_A, d.value.invoice.id);
    await kit.drain();
    const original = await kit.seller.get(SELLER_A, d.value.invoice.id);
    expect(original.ok && original.value.state).toBe("delivered");

    const adj = await kit.seller.adjust(SELLER_A, d.value.invoice.id, {
      lines: [{ line: 0, quantity: "3" }],
    });
    if (!adj.ok) throw new Error(JSON.stringify(adj.problems));
    expect(adj.value.invoice).toMatchObject({
      state: "draft",
      correctsId: d.value.invoice.id,
      correction: "adjust",
    });
    const related = adj.value.invoice.input.header.related as { nature: number; number: string };
    expect(related).toMatchObject({ nature: 2, number: String(original.ok && original.value.number) });
    const issued = await kit.seller.issue(SELLER_A, adj.value.invoice.id);
    if (!issued.ok) throw new Error(JSON.stringify(issued.problems));
    // Not in force before its code: the original keeps its state.
    const mid = await kit.seller.get(SELLER_A, d.value.invoice.id);
    expect(mid.ok && mid.value.state).toBe("delivered");
    await kit.drain();
    const after = await kit.seller.get(SELLER_A, adj.value.invoice.id);
    expect(after.ok && after.value.state).toBe("delivered");
    const orig = await kit.seller.history(SELLER_A, d.value.invoice.id);
    expect(orig.ok && orig.value.at(-1)).toMatchObject({ from: "delivered", to: "adjusted" });
  }, 60_000);

  it("replaces a coded invoice; a replaced invoice cannot be corrected again", async () => {
    const d = await kit.seller.createDraft(SELLER_A, invoiceInput(series));
    if (!d.ok) throw new Error(JSON.stringify(d.problems));
    await kit.seller.issue(SELLER_A, d.value.invoice.id);
    await kit.drain();
    const content = {
      buyer: { name: "Công ty Cổ phần Người Mua Mới", taxCode: "0101243150", address: "Hà Nội" },
      lines: [
        {
          itemName: "Hàng hóa thay thế",
          unit: "Cái",
          quantity: "1",
          unitPrice: "200000",
          amount: "200000",
          vatRate: "10%",
        },
      ],
    };
    const rep = await kit.seller.replace(SELLER_A, d.value.invoice.id, content);
    if (!rep.ok) throw new Error(JSON.stringify(rep.problems));
    const issued = await kit.seller.issue(SELLER_A, rep.value.invoice.id);
    if (!issued.ok) throw new Error(JSON.stringify(issued.problems));
    await kit.drain();
    const orig = await kit.seller.get(SELLER_A, d.value.invoice.id);
    expect(orig.ok && orig.value.state).toBe("replaced");
    const again = await kit.seller.replace(SELLER_A, d.value.invoice.id, content);
    expect(!again.ok && again.problems[0]!.code).toBe("SELLER_INVOICE_STATE");
  }, 60_000);
  it("sends an error notice (04/SS, 300) for a wrong buyer address and records the authority's 301", async () => {
    const d = await kit.seller.createDraft(SELLER_A, invoiceInput(series));
    if (!d.ok) throw new Error(JSON.stringify(d.problems));
    await kit.seller.issue(SELLER_A, d.value.invoice.id);
    await kit.drain();
    const sent = await kit.seller.sendErrorNotice(SELLER_A, [
      { invoiceId: d.value.invoice.id, error: "name-address", reason: "Sai địa chỉ người mua" },
    ]);
    if (!sent.ok) throw new Error(JSON.stringify(sent.problems));
    expect(sent.value.natures).toEqual([4]);
    await kit.drain();
    const h = await kit.seller.history(SELLER_A, d.value.invoice.id);
    if (!h.ok) throw new Error("no history");
    const answered = h.value.find(
      (e) => (e.detail as { errorNoticeAnswer?: string } | null)?.errorNoticeAnswer,
    );
    expect(answered?.detail).toMatchObject({
      errorNoticeAnswer: sent.value.messageId,
      received: true,
      nature: 4,
    });
    const inv = await kit.seller.get(SELLER_A, d.value.invoice.id);
    expect(inv.ok && inv.value.state).toBe("delivered");
  }, 60_000);
});
