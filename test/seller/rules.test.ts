/**
 * The seller's rules around issuing: no-code invoices (delivered at once, data sent as 203), a refused
 * no-code registration forcing coded invoices, stopped organisations, series symbols and their year-end
 * warning, and the checks that keep numbers and dates honest.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { addDays } from "../../src/domain/dates.ts";
import { loadDevCa } from "../../src/signing/dev-ca.ts";
import { testBackends } from "../store/backends.ts";
import {
  devCaDir,
  invoiceInput,
  openSellerKit,
  SELLER_A,
  SELLER_B,
  type SellerKit,
  seriesOf,
} from "./support.ts";

const HIGH_RISK = "0101243150";
const PROFILE = { email: "ketoan@example.vn", phone: "0241234567" };

describe.each(testBackends())("seller rules (%s)", (backend) => {
  let kit: SellerKit;
  let coded: string;
  let noCode: string;

  beforeAll(async () => {
    kit = await openSellerKit(backend);
    coded = seriesOf(kit.today());
    noCode = seriesOf(kit.today(), false);
    await kit.onboard({ taxCode: SELLER_A, name: "Công ty A", address: "Hà Nội", profile: PROFILE });
    await kit.onboard(
      { taxCode: SELLER_B, name: "Công ty B", address: "TP Hồ Chí Minh", profile: PROFILE },
      { forms: { withCode: true, withoutCode: true } },
    );
    await kit.authority.upsertTaxpayer({ taxCode: HIGH_RISK, name: "Rủi ro cao", highRisk: true });
    await kit.onboard(
      { taxCode: HIGH_RISK, name: "Công ty C", address: "Đà Nẵng", profile: PROFILE },
      { forms: { withCode: false, withoutCode: true } },
    );
    await kit.drain();
    for (const tc of [SELLER_A, SELLER_B, HIGH_RISK]) {
      await kit.seller.createSeries(tc, { template: "1", series: coded });
      await kit.seller.createSeries(tc, { template: "1", series: noCode });
    }
  }, 180_000);
  afterAll(async () => {
    await kit?.close();
  });

  it("refuses to register with a profile that lacks what the form needs", async () => {
    await kit.seller.createOrganisation({ taxCode: "0100686209", name: "Công ty D", address: "Huế" });
    await kit.seller.issueDevSigningKey("0100686209", await loadDevCa(await devCaDir()));
    const r = await kit.seller.register("0100686209", { withCode: true, withoutCode: false });
    expect(!r.ok && r.problems.map((p) => p.code)).toEqual([
      "SELLER_PROFILE_INCOMPLETE",
      "SELLER_PROFILE_INCOMPLETE",
    ]);
  });

  it("delivers a no-code invoice at once and sends its data (203) to the authority", async () => {
    const d = await kit.seller.createDraft(SELLER_B, invoiceInput(noCode, { buyerEmail: "b@example.vn" }));
    if (!d.ok) throw new Error(JSON.stringify(d.problems));
    const r = await kit.seller.issue(SELLER_B, d.value.invoice.id);
    if (!r.ok) throw new Error(JSON.stringify(r.problems));
    expect(r.value).toMatchObject({ state: "delivered", number: 1, authorityCode: null });
    expect(kit.recorded.delivered.filter((x) => x.invoiceId === r.value.id)).toHaveLength(1);
    const pending = await kit.sellerOutbox.inspect(r.value.messageId!);
    expect(pending.ok && pending.value.xml).toContain("<MLTDiep>203</MLTDiep>");
    await kit.drain();
    const sent = await kit.sellerOutbox.inspect(r.value.messageId!);
    expect(sent.ok && sent.value.state).toBe("sent");
    // The buyer can look it up at once: it needs no code.
    expect((await kit.seller.lookup(r.value.lookupCode)).ok).toBe(true);
  });

  it("binds a seller whose no-code registration was refused to coded invoices", async () => {
    const [reg] = await kit.seller.registrations(HIGH_RISK);
    expect(reg?.state).toBe("refused");
    const org = await kit.seller.getOrganisation(HIGH_RISK);
    expect(org.ok && org.value.codedOnly).toBe(true);
    const d = await kit.seller.createDraft(HIGH_RISK, invoiceInput(noCode));
    if (!d.ok) throw new Error(JSON.stringify(d.problems));
    const r = await kit.seller.issue(HIGH_RISK, d.value.invoice.id);
    expect(!r.ok && r.problems[0]!.code).toBe("SELLER_CODED_ONLY");
    expect((await kit.seller.listSeries(HIGH_RISK)).find((s) => s.series === noCode)?.used).toBe(0);
  });

  it("refuses to issue for a stopped organisation, and issues again once resumed", async () => {
    await kit.seller.setStopped(SELLER_A, { note: "01/TB-NSD" });
    const d = await kit.seller.createDraft(SELLER_A, invoiceInput(coded));
    if (!d.ok) throw new Error(JSON.stringify(d.problems));
    const r = await kit.seller.issue(SELLER_A, d.value.invoice.id);
    expect(!r.ok && r.problems[0]!.code).toBe("SELLER_STOPPED");
    await kit.seller.setStopped(SELLER_A, null);
    const again = await kit.seller.issue(SELLER_A, d.value.invoice.id);
    expect(again.ok && again.value.state).toBe("waiting_for_code");
  });

  it("checks series symbols by the rules of their year and refuses a second one alike", async () => {
    const bad = await kit.seller.createSeries(SELLER_A, { template: "1", series: `X${coded.slice(1)}` });
    expect(!bad.ok && bad.problems[0]!.code).toBe("SERIES_FORMAT");
    const twice = await kit.seller.createSeries(SELLER_A, { template: "1", series: coded });
    expect(!twice.ok && twice.problems[0]!.code).toBe("SELLER_SERIES_EXISTS");
  });

  it("warns in the last 30 days of a series' year", async () => {
    const year = Number(kit.today().slice(0, 4));
    const warned = (s: { warnings: readonly { code: string }[] }) =>
      s.warnings.some((w) => w.code === "SELLER_SERIES_YEAR_ENDING");
    const saved = kit.manual.now();
    try {
      kit.manual.set(new Date(`${year}-12-20T03:00:00Z`));
      expect(warned((await kit.seller.listSeries(SELLER_A)).find((s) => s.series === coded)!)).toBe(true);
      kit.manual.set(new Date(`${year}-06-20T03:00:00Z`));
      expect(warned((await kit.seller.listSeries(SELLER_A)).find((s) => s.series === coded)!)).toBe(false);
    } finally {
      kit.manual.set(saved);
    }
  });

  it("refuses a date after today, and a draft whose content is wrong", async () => {
    const future = addDays(kit.today(), 1);
    const d = await kit.seller.createDraft(SELLER_A, invoiceInput(coded, { issueDate: future }));
    if (!d.ok) throw new Error(JSON.stringify(d.problems));
    const r = await kit.seller.issue(SELLER_A, d.value.invoice.id);
    expect(!r.ok && r.problems.map((p) => p.code)).toContain("SELLER_DATE_IN_FUTURE");
    const wrong = await kit.seller.createDraft(SELLER_A, {
      ...invoiceInput(coded),
      buyer: { name: "X", taxCode: "0100109107" },
    });
    expect(wrong.ok).toBe(false);
  });
});
