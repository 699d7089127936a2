/**
 * The seller's flows beside coded and no-code invoices, end to end with the T-VAN and the authority in one
 * process (composeAll): cash-register invoices (seller-made code, 206, the authority's 204), per-occurrence
 * invoices (201 → 205 + 202), summary tables (400 → 204), the authority's review notice (302, answered by a
 * 300 before its deadline) and a stopped seller's exception contracts.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { instantToDate } from "../../src/domain/dates.ts";
import { inspectMessage } from "../../src/format/envelope.ts";
import type { InvoiceView } from "../../src/seller/service.ts";
import { testBackends } from "../store/backends.ts";
import { invoiceInput, openSellerKit, SELLER_A, SELLER_B, type SellerKit } from "./support.ts";

const SELLER_C = "0101243150";
const PROFILE = { email: "ketoan@hddt.example", phone: "0241234567" };

function must<T>(r: { ok: true; value: T } | { ok: false; problems: readonly unknown[] }): T {
  if (!r.ok) throw new Error(JSON.stringify(r.problems));
  return r.value;
}

describe.each(testBackends())("seller: more flows (%s)", (backend) => {
  let kit: SellerKit;
  let yy: string;

  const draftAndIssue = async (taxCode: string, series: string, extra: Record<string, unknown> = {}) => {
    const input = invoiceInput(series);
    const d = must(
      await kit.seller.createDraft(taxCode, { ...input, header: { ...input.header, ...extra } }),
    );
    return { id: d.invoice.id, issued: await kit.seller.issue(taxCode, d.invoice.id) };
  };
  const view = async (taxCode: string, id: string): Promise<InvoiceView> =>
    must(await kit.seller.get(taxCode, id));
  const sentMessages = async (taxCode: string, type: number) =>
    (
      await kit.db.pool.query<{ xml: string; invoice_id: string | null; message_id: string }>(
        "select xml, invoice_id, message_id from seller.message where tax_code = $1 and type = $2 and direction = 'out' order by id",
        [taxCode, type],
      )
    ).rows;

  beforeAll(async () => {
    kit = await openSellerKit(backend);
    yy = kit.today().slice(2, 4);
    await kit.onboard(
      {
        taxCode: SELLER_A,
        name: "Siêu thị Hóa Đơn Mở",
        address: "Số 1 Tràng Tiền, Hà Nội",
        profile: { ...PROFILE, cashRegisterBlock: "A1B2C" },
      },
      { forms: { withCode: true, withoutCode: true, cashRegister: true } },
    );
    await kit.onboard({ taxCode: SELLER_B, name: "Công ty B", address: "Hà Nội", profile: PROFILE });
    await kit.onboard(
      {
        taxCode: SELLER_C,
        name: "Điện lực C",
        address: "Hà Nội",
        profile: { ...PROFILE, summarySector: "electricity" },
      },
      { forms: { withCode: false, withoutCode: true } },
    );
    await kit.drain();
    for (const [taxCode, series] of [
      [SELLER_A, `C${yy}MAA`],
      [SELLER_A, `C${yy}TAA`],
      [SELLER_A, `K${yy}TAA`],
      [SELLER_B, `C${yy}MBB`],
      [SELLER_B, `C${yy}TBB`],
    ] as const)
      must(await kit.seller.createSeries(taxCode, { template: "1", series }));
  }, 180_000);
  afterAll(async () => {
    await kit?.close();
  });

  describe("cash-register invoices", () => {
    it("makes the 23-character code, signs no invoice, delivers at once and sends a 206 the authority accepts", async () => {
      const a = await draftAndIssue(SELLER_A, `C${yy}MAA`);
      const b = await draftAndIssue(SELLER_A, `C${yy}MAA`);
      const first = must(a.issued);
      const second = must(b.issued);
      expect(first).toMatchObject({ state: "delivered", number: 1, dataState: "sent" });
      expect(first.authorityCode).toBe(`M1-${yy}-A1B2C-00000000001`);
      expect(second.authorityCode).toBe(`M1-${yy}-A1B2C-00000000002`);
      const xml = must(await kit.seller.xml(SELLER_A, a.id));
      expect(xml).toContain(`<MCCQT>M1-${yy}-A1B2C-00000000001</MCCQT>`);
      expect(xml).not.toContain("<Signature");
      // Delivered to the buyer without waiting for the authority: the code is the seller's own.
      expect(kit.recorded.delivered.filter((x) => x.invoiceId === a.id)).toHaveLength(1);
      // One 206 per invoice, queued with it, signed by the taxpayer over DLieu (CKSNNT).
      const sent = (await sentMessages(SELLER_A, 206)).filter((m) => m.invoice_id === a.id);
      expect(sent).toHaveLength(1);
      expect(sent[0]!.xml).toMatch(/<\/DLieu><CKSNNT><Signature /);
      expect(inspectMessage(sent[0]!.xml).header.type).toBe(206);
      // Both archived byte for byte with the issue.
      const archived = must(await kit.archive.get(SELLER_A, a.id, "invoice"));
      expect(archived.toString("utf8")).toBe(xml);
      const archivedMessage = must(await kit.archive.get(SELLER_A, sent[0]!.message_id, "message"));
      expect(archivedMessage.toString("utf8")).toBe(sent[0]!.xml);

      await kit.drain();
      expect((await view(SELLER_A, a.id)).dataState).toBe("accepted");
      expect((await view(SELLER_A, b.id)).dataState).toBe("accepted");
      const stored = await kit.db.pool.query<{ kind: string }>(
        "select kind from authority.nocode_invoice where seller_tax_code = $1 and series = $2 order by number",
        [SELLER_A, `C${yy}MAA`],
      );
      expect(stored.rows.map((r) => r.kind)).toEqual(["cash_register", "cash_register"]);
      const found = must(await kit.seller.lookup(first.lookupCode));
      expect(found.xml).toBe(xml);
    }, 120_000);

    it("notices errors of cash-register invoices with a 303 the authority answers (301), never mixed with others", async () => {
      const cash = await draftAndIssue(SELLER_A, `C${yy}MAA`);
      must(cash.issued);
      must(await kit.seller.createSeries(SELLER_A, { template: "1", series: `C${yy}TAD` }));
      const coded = await draftAndIssue(SELLER_A, `C${yy}TAD`);
      await kit.drain();
      const item = (invoiceId: string) => ({
        invoiceId,
        error: "name-address" as const,
        reason: "Sai địa chỉ",
      });
      const mixed = await kit.seller.sendErrorNotice(SELLER_A, [item(cash.id), item(coded.id)]);
      expect(!mixed.ok && mixed.problems.map((p) => p.code)).toEqual(["SELLER_ERROR_NOTICE_MIXED"]);
      const sent = must(await kit.seller.sendErrorNotice(SELLER_A, [item(cash.id)]));
      const m = (await sentMessages(SELLER_A, 303)).find((x) => x.message_id === sent.messageId);
      expect(m && inspectMessage(m.xml).header.type).toBe(303);
      expect(m!.xml).toContain(`<MCQTCap>${must(cash.issued).authorityCode}</MCQTCap>`);
      await kit.drain();
      // The authority found the invoice among the cash-register invoices it received and accepted the notice.
      // (It knows the notice under the id the T-VAN forwarded it with.)
      const answer = await kit.db.pool.query<{ accepted: boolean }>(
        "select accepted from authority.error_notice where tax_code = $1 and strpos(xml, $2) > 0",
        [SELLER_A, `<MCQTCap>${must(cash.issued).authorityCode}</MCQTCap>`],
      );
      expect(answer.rows.map((r) => r.accepted)).toEqual([true]);
      const replies = await kit.db.pool.query<{ type: number }>(
        "select type from seller.message where tax_code = $1 and reply_to = $2 and direction = 'in'",
        [SELLER_A, sent.messageId],
      );
      expect(replies.rows.map((r) => r.type)).toContain(301);
    }, 120_000);

    it("replaces a cash-register invoice with another of its series: a new code, the original named, a 206", async () => {
      const orig = await draftAndIssue(SELLER_A, `C${yy}MAA`);
      const original = must(orig.issued);
      await kit.drain();
      const content = {
        buyer: { name: "Khách lẻ", address: "Hà Nội" },
        lines: [{ itemName: "Cà phê", unit: "Ly", quantity: "2", unitPrice: "30000", vatRate: "8%" }],
      };
      const rep = must(await kit.seller.replace(SELLER_A, orig.id, content));
      const issued = must(await kit.seller.issue(SELLER_A, rep.invoice.id));
      expect(issued.state).toBe("delivered");
      expect(issued.authorityCode).toMatch(new RegExp(`^M1-${yy}-A1B2C-\\d{11}$`));
      expect(issued.authorityCode).not.toBe(original.authorityCode);
      const xml = must(await kit.seller.xml(SELLER_A, rep.invoice.id));
      // TTHDLQuan names the original by its symbol, number and date; TCHDon 1 is a replacement.
      expect(xml).toContain("<TCHDon>1</TCHDon>");
      expect(xml).toContain(`<KHHDon>C${yy}MAA</KHHDon>`);
      expect(xml).toMatch(
        new RegExp(
          `<TTHDLQuan><TCHDon>1</TCHDon><LHDCLQuan>1</LHDCLQuan><KHMSHDCLQuan>1</KHMSHDCLQuan><KHHDCLQuan>C${yy}MAA</KHHDCLQuan><SHDCLQuan>${original.number}</SHDCLQuan>`,
        ),
      );
      expect((await sentMessages(SELLER_A, 206)).filter((m) => m.invoice_id === rep.invoice.id)).toHaveLength(
        1,
      );
      await kit.drain();
      expect((await view(SELLER_A, orig.id)).state).toBe("replaced");
      expect((await view(SELLER_A, rep.invoice.id)).dataState).toBe("accepted");
    }, 120_000);

    it("never gives one cash-register code twice when two series of the seller issue at once", async () => {
      must(await kit.seller.createSeries(SELLER_A, { template: "1", series: `C${yy}MAB` }));
      const drafts = [];
      for (let i = 0; i < 6; i++) {
        const input = invoiceInput(i % 2 === 0 ? `C${yy}MAA` : `C${yy}MAB`);
        drafts.push(must(await kit.seller.createDraft(SELLER_A, input)).invoice.id);
      }
      const issued = await Promise.all(drafts.map((id) => kit.seller.issue(SELLER_A, id)));
      const codes = issued.map((r) => must(r).authorityCode!);
      expect(new Set(codes.map((c) => c.slice(-11))).size).toBe(6);
      for (const c of codes) expect(c).toMatch(new RegExp(`^M1-${yy}-A1B2C-\\d{11}$`));
    }, 60_000);

    it("refuses to issue without the authority's 5 characters, and keeps the number", async () => {
      const r = await draftAndIssue(SELLER_B, `C${yy}MBB`);
      expect(!r.issued.ok && r.issued.problems.map((p) => p.code)).toEqual([
        "SELLER_CASH_REGISTER_BLOCK_MISSING",
      ]);
      expect((await view(SELLER_B, r.id)).state).toBe("draft");
      must(await kit.seller.updateProfile(SELLER_B, { profile: { cashRegisterBlock: "Z9Y8X" } }));
      const again = must(await kit.seller.issue(SELLER_B, r.id));
      expect(again).toMatchObject({ number: 1, authorityCode: `M1-${yy}-Z9Y8X-00000000001` });
    }, 60_000);

    it("issues cash-register invoices without any signing key, sending the 206 unsigned", async () => {
      const taxCode = "0101234565";
      must(
        await kit.seller.createOrganisation({
          taxCode,
          name: "Hộ kinh doanh D",
          address: "Hà Nội",
          profile: { cashRegisterBlock: "D4D4D" },
        }),
      );
      must(await kit.seller.createSeries(taxCode, { template: "1", series: `C${yy}MDD` }));
      const r = await draftAndIssue(taxCode, `C${yy}MDD`);
      expect(must(r.issued)).toMatchObject({
        state: "delivered",
        authorityCode: `M1-${yy}-D4D4D-00000000001`,
      });
      const [sent] = await sentMessages(taxCode, 206);
      expect(sent!.xml).not.toContain("CKSNNT");
      // A coded invoice of the same seller still needs the key.
      must(await kit.seller.createSeries(taxCode, { template: "1", series: `C${yy}TDD` }));
      const coded = await draftAndIssue(taxCode, `C${yy}TDD`);
      expect(!coded.issued.ok && coded.issued.problems[0]!.code).toBe("SELLER_NO_SIGNING_KEY");
    }, 60_000);

    it("records the authority's refusal of a 206 (seller not registered for cash registers) as data refused", async () => {
      const r = await draftAndIssue(SELLER_B, `C${yy}MBB`);
      must(r.issued);
      await kit.drain();
      const v = await view(SELLER_B, r.id);
      expect(v).toMatchObject({ state: "delivered", dataState: "refused" });
      const h = must(await kit.seller.history(SELLER_B, r.id));
      const refused = h.find((e) => (e.detail as { dataRefused?: unknown } | null)?.dataRefused);
      expect(JSON.stringify(refused?.detail)).toContain("máy tính tiền");
    }, 60_000);
  });

  describe("per-occurrence invoices", () => {
    it("sends a 201, waits for the tax declaration, then takes the 205 and the coded 202 and delivers", async () => {
      const input = invoiceInput(`C${yy}TAA`);
      const d = must(await kit.seller.createDraft(SELLER_A, input));
      const sent = must(await kit.seller.issuePerOccurrence(SELLER_A, d.invoice.id));
      expect(sent).toMatchObject({ state: "waiting_for_code", number: 1 });
      expect((await sentMessages(SELLER_A, 201)).map((m) => m.invoice_id)).toEqual([d.invoice.id]);
      await kit.drain();
      // Nothing comes before the declaration.
      expect((await view(SELLER_A, d.invoice.id)).state).toBe("waiting_for_code");
      // The authority knows the 201 under the id the T-VAN forwarded it with.
      const pending = await kit.db.pool.query<{ message_id: string }>(
        "select message_id from authority.per_occurrence where seller_tax_code = $1 and series = $2 and number = '1'",
        [SELLER_A, `C${yy}TAA`],
      );
      must(await kit.authority.recordTaxDeclaration(pending.rows[0]!.message_id));
      await kit.drain();
      const v = await view(SELLER_A, d.invoice.id);
      expect(v.state).toBe("delivered");
      expect(v.authorityCode).toMatch(/^[0-9A-Z]{2}[0-9A-F]{32}$/);
      const h = must(await kit.seller.history(SELLER_A, d.invoice.id));
      // The 205 and the 202 are independent answers: their order in the history is not fixed.
      expect(h.filter((e) => e.from !== e.to).map((e) => e.to)).toEqual([
        "draft",
        "issued",
        "waiting_for_code",
        "coded",
        "delivered",
      ]);
      expect(h.map((e) => e.detail)).toContainEqual({ perOccurrence: "valid" });
      // A repeat returns the invoice as it is.
      expect(must(await kit.seller.issuePerOccurrence(SELLER_A, d.invoice.id)).state).toBe("delivered");
    }, 120_000);

    it("records the authority's refusal (205 not valid) with its reasons", async () => {
      must(await kit.authority.stopTaxpayer(SELLER_A, "tax_debt_enforcement"));
      try {
        const d = must(await kit.seller.createDraft(SELLER_A, invoiceInput(`C${yy}TAA`)));
        must(await kit.seller.issuePerOccurrence(SELLER_A, d.invoice.id));
        await kit.drain();
        const v = await view(SELLER_A, d.invoice.id);
        expect(v.state).toBe("refused");
        expect(JSON.stringify(v.errors)).toContain("AUTHORITY_TAXPAYER_STOPPED");
      } finally {
        must(await kit.authority.resumeTaxpayer(SELLER_A));
      }
    }, 60_000);

    it("refuses cash-register and no-code series for a per-occurrence invoice", async () => {
      const cash = must(await kit.seller.createDraft(SELLER_A, invoiceInput(`C${yy}MAA`)));
      const r1 = await kit.seller.issuePerOccurrence(SELLER_A, cash.invoice.id);
      expect(!r1.ok && r1.problems[0]!.code).toBe("SELLER_CASH_REGISTER_SERIES");
      const k = must(await kit.seller.createDraft(SELLER_A, invoiceInput(`K${yy}TAA`)));
      const r2 = await kit.seller.issuePerOccurrence(SELLER_A, k.invoice.id);
      expect(!r2.ok && r2.problems[0]!.code).toBe("SELLER_PER_OCCURRENCE_SERIES");
      expect((await view(SELLER_A, k.invoice.id)).state).toBe("draft");
    }, 60_000);
  });

  describe("summary tables 01/TH-HĐĐT", () => {
    it("keeps a summary seller's no-code data for the table of its period, sends it (400) and records the 204", async () => {
      // Last month, in a series of its year: a month's table is sent once the month is over.
      const today = kit.today();
      const last = new Date(`${today.slice(0, 7)}-01T00:00:00Z`);
      last.setUTCDate(0);
      const month = instantToDate(last).slice(0, 7);
      const series = `K${month.slice(2, 4)}TCC`;
      must(await kit.seller.createSeries(SELLER_C, { template: "1", series }));
      const ids: string[] = [];
      for (const day of ["05", "20"]) {
        const d = must(
          await kit.seller.createDraft(SELLER_C, invoiceInput(series, { issueDate: `${month}-${day}` })),
        );
        const v = must(await kit.seller.issue(SELLER_C, d.invoice.id));
        expect(v).toMatchObject({ state: "delivered", dataState: "pending_summary", messageId: null });
        ids.push(d.invoice.id);
      }
      expect(await sentMessages(SELLER_C, 203)).toEqual([]);

      const notOver = await kit.seller.sendSummaryTable(SELLER_C, { period: today.slice(0, 7) });
      expect(!notOver.ok && notOver.problems[0]!.code).toBe("SELLER_SUMMARY_PERIOD");
      const sent = must(
        await kit.seller.sendSummaryTable(SELLER_C, { period: month }, { idempotencyKey: "t-1" }),
      );
      expect(sent.created).toBe(true);
      expect(sent.table).toMatchObject({ tableNumber: 1, periodKind: "T", goodsKind: 9, state: "sent" });
      expect([...sent.table.invoiceIds].sort()).toEqual([...ids].sort());
      // The same key gives the same table; another body under it is a conflict.
      const again = must(
        await kit.seller.sendSummaryTable(SELLER_C, { period: month }, { idempotencyKey: "t-1" }),
      );
      expect(again).toMatchObject({ created: false, table: { id: sent.table.id } });
      const other = await kit.seller.sendSummaryTable(
        SELLER_C,
        { period: `${month.slice(0, 4)}-Q1` },
        { idempotencyKey: "t-1" },
      );
      expect(!other.ok && other.problems[0]!.code).toBe("SELLER_IDEMPOTENCY_CONFLICT");
      // Nothing is left to summarise in the month.
      const empty = await kit.seller.sendSummaryTable(SELLER_C, { period: month });
      expect(!empty.ok && empty.problems[0]!.code).toBe("SELLER_SUMMARY_EMPTY");

      const msg = (await sentMessages(SELLER_C, 400))[0]!.xml;
      expect(msg).toContain(`<KDLieu>${month.slice(5, 7)}/${month.slice(0, 4)}</KDLieu>`);
      // Money exact: the rows add up to the invoices' totals.
      const totals = await kit.db.pool.query<{ s: string }>(
        "select sum(total_payable)::text as s from seller.invoice where id = any($1::text[])",
        [ids],
      );
      const rowTotals = [...msg.matchAll(/<TgTTToan>([^<]+)<\/TgTTToan>/g)].map((m) => BigInt(m[1]!));
      expect(String(rowTotals.reduce((a, b) => a + b, 0n))).toBe(totals.rows[0]!.s);

      await kit.drain();
      const [table] = await kit.seller.summaryTables(SELLER_C);
      expect(table).toMatchObject({ state: "accepted" });
      for (const id of ids) expect((await view(SELLER_C, id)).dataState).toBe("accepted");
      const atAuthority = await kit.db.pool.query<{ n: string }>(
        "select count(*)::text as n from authority.summary_table where tax_code = $1",
        [SELLER_C],
      );
      expect(atAuthority.rows[0]!.n).toBe("1");
    }, 120_000);

    it("puts the invoices of a refused table back for a supplement (LDau 0, BSLThu 1) that is accepted", async () => {
      const [first] = await kit.seller.summaryTables(SELLER_C);
      const month = `${first!.period.slice(3)}-${first!.period.slice(0, 2)}`;
      const d = must(
        await kit.seller.createDraft(
          SELLER_C,
          invoiceInput(`K${month.slice(2, 4)}TCC`, { issueDate: `${month}-25` }),
        ),
      );
      must(await kit.seller.issue(SELLER_C, d.invoice.id));
      // The authority refuses the table of a stopped taxpayer.
      must(await kit.authority.stopTaxpayer(SELLER_C, "other"));
      const refused = must(await kit.seller.sendSummaryTable(SELLER_C, { period: month }));
      await kit.drain();
      const [, t2] = await kit.seller.summaryTables(SELLER_C);
      expect(t2).toMatchObject({ id: refused.table.id, tableNumber: 2, state: "refused" });
      expect(t2!.reasons?.length).toBeGreaterThan(0);
      expect((await view(SELLER_C, d.invoice.id)).dataState).toBe("pending_summary");

      must(await kit.authority.resumeTaxpayer(SELLER_C));
      const supplement = must(await kit.seller.sendSummaryTable(SELLER_C, { period: month }));
      expect(supplement.table).toMatchObject({ tableNumber: 3, invoiceIds: [d.invoice.id] });
      const xml = (await sentMessages(SELLER_C, 400)).find(
        (m) => m.message_id === supplement.table.messageId,
      )!.xml;
      expect(xml).toContain("<LDau>0</LDau><BSLThu>1</BSLThu>");
      await kit.drain();
      expect((await view(SELLER_C, d.invoice.id)).dataState).toBe("accepted");
    }, 120_000);

    it("gives one table to two concurrent requests with one idempotency key", async () => {
      const [first] = await kit.seller.summaryTables(SELLER_C);
      const month = `${first!.period.slice(3)}-${first!.period.slice(0, 2)}`;
      const d = must(
        await kit.seller.createDraft(
          SELLER_C,
          invoiceInput(`K${month.slice(2, 4)}TCC`, { issueDate: `${month}-26` }),
        ),
      );
      must(await kit.seller.issue(SELLER_C, d.invoice.id));
      const both = await Promise.all([
        kit.seller.sendSummaryTable(SELLER_C, { period: month }, { idempotencyKey: "t-c" }),
        kit.seller.sendSummaryTable(SELLER_C, { period: month }, { idempotencyKey: "t-c" }),
      ]);
      const [a, b] = both.map((r) => must(r));
      expect([a!.created, b!.created].sort()).toEqual([false, true]);
      expect(a!.table.id).toBe(b!.table.id);
      expect(
        (await kit.seller.summaryTables(SELLER_C)).filter((t) => t.invoiceIds.includes(d.invoice.id)),
      ).toHaveLength(1);
    }, 60_000);

    it("sends a no-code invoice of a seller without summary tables by 203 and records the 204", async () => {
      const r = await draftAndIssue(SELLER_A, `K${yy}TAA`);
      expect(must(r.issued)).toMatchObject({ state: "delivered", dataState: "sent" });
      expect((await sentMessages(SELLER_A, 203)).map((m) => m.invoice_id)).toContain(r.id);
      await kit.drain();
      expect((await view(SELLER_A, r.id)).dataState).toBe("accepted");
    }, 60_000);

    it("refuses summary tables to a seller whose profile does not allow them", async () => {
      const r = await kit.seller.sendSummaryTable(SELLER_A, { period: "2026-01" });
      expect(!r.ok && r.problems[0]!.code).toBe("SELLER_SUMMARY_NOT_ALLOWED");
    });
  });

  describe("the authority's review notice (302)", () => {
    it("records the notice with its deadline, reminds once, and answers it with a 300 the authority accepts", async () => {
      const coded = await draftAndIssue(SELLER_A, `C${yy}TAA`);
      must(coded.issued);
      await kit.drain();
      const inv = await view(SELLER_A, coded.id);
      const notice = must(
        await kit.authority.createReviewNotice({
          taxCode: SELLER_A,
          to: kit.tvanParty,
          taxpayerAddress: "Số 1 Tràng Tiền, Hà Nội",
          deadlineDays: 2,
          invoices: [
            {
              template: inv.template,
              series: inv.series,
              number: String(inv.number),
              date: inv.issueDate!,
              regime: 1,
              reason: "Người mua không có trong hồ sơ đăng ký thuế",
            },
          ],
        }),
      );
      await kit.drain();
      const [open] = await kit.seller.reviewNotices(SELLER_A, { open: true });
      expect(open).toMatchObject({ dueDate: notice.deadline, days: 2, answer: null, overdue: false });
      expect(open!.invoices[0]).toMatchObject({ invoiceId: coded.id, number: String(inv.number) });
      // The first reminder is due at once (three working days before a two-day deadline), and given once.
      expect(open!.reminders).toEqual(["three-working-days-before"]);
      expect((await kit.seller.takeReviewReminders(SELLER_A)).map((r) => r.kind)).toEqual([
        "three-working-days-before",
      ]);
      expect(await kit.seller.takeReviewReminders(SELLER_A)).toEqual([]);

      const stranger = await draftAndIssue(SELLER_A, `C${yy}TAA`);
      const outside = await kit.seller.answerReviewNotice(SELLER_A, open!.id, [
        { invoiceId: stranger.id, error: "name-address", reason: "x" },
      ]);
      expect(!outside.ok && outside.problems[0]!.code).toBe("SELLER_REVIEW_INVOICE_NOT_LISTED");

      const items = [{ invoiceId: coded.id, error: "name-address" as const, reason: "Sai tên người mua" }];
      const answer = must(
        await kit.seller.answerReviewNotice(SELLER_A, open!.id, items, { idempotencyKey: "r-1" }),
      );
      expect(answer).toMatchObject({ created: true, notice: { answer: { late: false } } });
      const same = must(
        await kit.seller.answerReviewNotice(SELLER_A, open!.id, items, { idempotencyKey: "r-1" }),
      );
      expect(same).toMatchObject({ created: false, messageId: answer.messageId });
      const twice = await kit.seller.answerReviewNotice(SELLER_A, open!.id, items, { idempotencyKey: "r-2" });
      expect(!twice.ok && twice.problems[0]!.code).toBe("SELLER_REVIEW_ANSWER_CONFLICT");
      expect(await kit.seller.reviewNotices(SELLER_A, { open: true })).toEqual([]);
      const msg = (await sentMessages(SELLER_A, 300)).find((m) => m.message_id === answer.messageId)!.xml;
      expect(msg).toContain("<Loai>2</Loai>");
      await kit.drain();
      const answered = await kit.db.pool.query<{ answered: boolean }>(
        "select answered_at is not null as answered from authority.review_notice where message_id = $1",
        [notice.messageId],
      );
      expect(answered.rows[0]?.answered).toBe(true);
    }, 120_000);

    it("shows a notice past its deadline as overdue and marks a late answer late", async () => {
      const r = await draftAndIssue(SELLER_A, `C${yy}TAA`);
      must(r.issued);
      await kit.drain();
      const inv = await view(SELLER_A, r.id);
      const notice = must(
        await kit.authority.createReviewNotice({
          taxCode: SELLER_A,
          to: kit.tvanParty,
          taxpayerAddress: "Số 1 Tràng Tiền, Hà Nội",
          deadlineDays: 1,
          invoices: [
            {
              template: inv.template,
              series: inv.series,
              number: String(inv.number),
              date: inv.issueDate!,
              regime: 1,
              reason: "Cần rà soát",
            },
          ],
        }),
      );
      await kit.drain();
      const [open] = await kit.seller.reviewNotices(SELLER_A, { open: true });
      expect(open!.dueDate).toBe(notice.deadline);
      const back = kit.manual.now();
      // Two days after the last day, in Vietnam.
      kit.manual.set(new Date(`${notice.deadline}T12:00:00+07:00`).getTime() + 2 * 86_400_000);
      try {
        const [late] = await kit.seller.reviewNotices(SELLER_A, { open: true });
        expect(late).toMatchObject({ overdue: true, reminders: ["overdue"] });
        const items = [{ invoiceId: r.id, error: "name-address" as const, reason: "Sai tên người mua" }];
        // Two answers at once: one is sent, the other is told the notice was answered.
        const before = (await sentMessages(SELLER_A, 300)).length;
        const [x, y] = await Promise.all([
          kit.seller.answerReviewNotice(SELLER_A, open!.id, items, { idempotencyKey: "late-1" }),
          kit.seller.answerReviewNotice(SELLER_A, open!.id, items, { idempotencyKey: "late-2" }),
        ]);
        const answer = must(x!.ok ? x! : y!);
        const other = x!.ok ? y! : x!;
        expect(!other.ok && other.problems[0]!.code).toBe("SELLER_REVIEW_ANSWER_CONFLICT");
        expect(answer.notice).toMatchObject({ overdue: false, answer: { late: true }, reminders: [] });
        expect((await sentMessages(SELLER_A, 300)).length).toBe(before + 1);
      } finally {
        kit.manual.set(back);
      }
    }, 120_000);
  });

  describe("stopped sellers", () => {
    it("refuses a stopped seller's invoices except against an allowed contract signed before the stop", async () => {
      must(await kit.authority.stopTaxpayer(SELLER_B, "business_suspended"));
      must(await kit.authority.addExceptionContract(SELLER_B, "HD-01/2025", "2025-03-01"));
      must(await kit.seller.setStopped(SELLER_B, { note: "01/TB-NSD" }));
      const today = kit.today();
      const added = must(
        await kit.seller.addExceptionContract(SELLER_B, { contractNo: "HD-01/2025", signedOn: "2025-03-01" }),
      );
      expect(added.created).toBe(true);
      expect(
        must(
          await kit.seller.addExceptionContract(SELLER_B, {
            contractNo: "HD-01/2025",
            signedOn: "2025-03-01",
          }),
        ).created,
      ).toBe(false);
      const changed = await kit.seller.addExceptionContract(SELLER_B, {
        contractNo: "HD-01/2025",
        signedOn: "2025-03-02",
      });
      expect(!changed.ok && changed.problems[0]!.code).toBe("SELLER_IDEMPOTENCY_CONFLICT");
      must(await kit.seller.addExceptionContract(SELLER_B, { contractNo: "HD-NEW", signedOn: today }));
      const contract = (value: string) => ({ extra: [{ name: "SoHopDong", type: "string", value }] });

      const none = await draftAndIssue(SELLER_B, `C${yy}TBB`);
      expect(!none.issued.ok && none.issued.problems[0]!.code).toBe("SELLER_STOPPED");
      const unknown = await draftAndIssue(SELLER_B, `C${yy}TBB`, contract("HD-99"));
      expect(!unknown.issued.ok && unknown.issued.problems[0]!.code).toBe("SELLER_CONTRACT_NOT_ALLOWED");
      const late = await draftAndIssue(SELLER_B, `C${yy}TBB`, contract("HD-NEW"));
      expect(!late.issued.ok && late.issued.problems[0]!.code).toBe("SELLER_CONTRACT_AFTER_STOP");
      for (const r of [none, unknown, late]) expect((await view(SELLER_B, r.id)).state).toBe("draft");

      const allowed = await draftAndIssue(SELLER_B, `C${yy}TBB`, contract("HD-01/2025"));
      expect(must(allowed.issued)).toMatchObject({
        state: "waiting_for_code",
        number: 1,
        contractNo: "HD-01/2025",
      });
      await kit.drain();
      const v = await view(SELLER_B, allowed.id);
      expect(v.state).toBe("delivered");
      expect(must(await kit.seller.xml(SELLER_B, allowed.id))).toContain("<TTruong>SoHopDong</TTruong>");
    }, 120_000);
  });
});
