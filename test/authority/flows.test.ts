/**
 * The authority's flows finished after the first build: the taxpayer's message signature on 206, the coded
 * invoice of a per-occurrence sale after its tax declaration, and maintenance notices to connected T-VANs.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { inspectMessage } from "../../src/format/envelope.ts";
import { readCheckResult } from "../../src/format/forms/check-result.ts";
import { MAINTENANCE_NOTICE_FORM, readMaintenanceNotice } from "../../src/format/forms/maintenance-notice.ts";
import { readPerOccurrenceResult } from "../../src/format/forms/per-occurrence.ts";
import { writeInvoice } from "../../src/format/invoice.ts";
import { verifyDocument } from "../../src/signing/verify.ts";
import { testBackends } from "../store/backends.ts";
import { withTotals } from "../support/invoices.ts";
import {
  codedInvoice,
  envelope,
  identityFor,
  type Kit,
  messageId,
  openKit,
  parseReply,
  registerSeller,
  SELLER,
  signedCashRegisterMessage,
  signedInvoice,
  TVAN,
} from "./support.ts";

function ok<T extends { status: string }>(r: T): Extract<T, { status: "ok" }> {
  if (r.status !== "ok") throw new Error(`not ok: ${JSON.stringify(r)}`);
  return r as Extract<T, { status: "ok" }>;
}

function checkResultOf(xml: string) {
  const m = parseReply(xml);
  expect(m.header.type).toBe(204);
  const r = readCheckResult(m.payloads[0]!, { source: m.parsed.source });
  if (!r.ok) throw new Error(JSON.stringify(r.problems));
  return r.value;
}

const today = () => new Date(Date.now() + 7 * 3_600_000).toISOString().slice(0, 10);

/** A cash-register invoice (series C..M..) of the seller, unsigned as the law allows. */
function cashInvoice(number: string): string {
  return writeInvoice(withTotals(codedInvoice(number, { series: `C${today().slice(2, 4)}MAA` })));
}

describe.each(testBackends())("authority flows (%s)", (backend) => {
  let kit: Kit;
  const stored = async (table: string, number: string) =>
    Number(
      (
        await kit.db.pool.query<{ n: string }>(
          `select count(*) as n from authority.${table} where seller_tax_code = $1 and number = $2`,
          [SELLER, number],
        )
      ).rows[0]?.n,
    );

  beforeAll(async () => {
    kit = await openKit(backend);
    await registerSeller(kit, { withCode: true, withoutCode: true, cashRegister: true });
  }, 60_000);
  afterAll(async () => {
    await kit.close();
  });

  describe("cash-register messages (206) with the taxpayer's signature CKSNNT", () => {
    it("accepts a package signed over DLieu with the taxpayer's own certificate", async () => {
      const msg = await signedCashRegisterMessage(
        [cashInvoice("601"), cashInvoice("602")],
        kit.pki.sellerSigner,
      );
      expect(msg).toMatch(/<\/DLieu><CKSNNT><Signature /);
      const r = ok(await kit.service.receive(msg));
      expect(checkResultOf(r.replies[0]!).noticeType).toBe(2);
      expect(await stored("nocode_invoice", "601")).toBe(1);
      expect(await stored("nocode_invoice", "602")).toBe(1);
    });

    it("refuses the whole package (LTBao 7, MLoi 4001) when DLieu was changed after signing", async () => {
      const msg = await signedCashRegisterMessage(cashInvoice("611"), kit.pki.sellerSigner);
      const tampered = msg.replace("<SHDon>611</SHDon>", "<SHDon>612</SHDon>");
      expect(tampered).not.toBe(msg);
      const r = ok(await kit.service.receive(tampered));
      const c = checkResultOf(r.replies[0]!);
      expect(c.noticeType).toBe(7);
      expect(c.cashRegisterReasons?.map((x) => [x.code, x.note])).toEqual([["4001", "CKSNNT"]]);
      expect(c.cashRegisterReasons?.[0]?.description).toContain("CKSNNT");
      expect(await stored("nocode_invoice", "612")).toBe(0);
    });

    it("refuses a package signed with another taxpayer's certificate (MLoi 4002)", async () => {
      const other = await identityFor("0101243150");
      const msg = await signedCashRegisterMessage(cashInvoice("621"), other.signer);
      const r = ok(await kit.service.receive(msg));
      const c = checkResultOf(r.replies[0]!);
      expect(c.noticeType).toBe(7);
      expect(c.cashRegisterReasons?.map((x) => [x.code, x.note])).toEqual([["4002", "CKSNNT"]]);
      expect(c.cashRegisterReasons?.[0]?.description).toContain("0101243150");
      expect(await stored("nocode_invoice", "621")).toBe(0);
    });

    it("refuses an empty CKSNNT as a missing signature, and still takes unsigned packages", async () => {
      const empty = envelope(206, cashInvoice("631")).replace("</DLieu>", "</DLieu><CKSNNT></CKSNNT>");
      const c = checkResultOf(ok(await kit.service.receive(empty)).replies[0]!);
      expect(c.cashRegisterReasons?.map((x) => x.code)).toEqual(["4001"]);
      const unsigned = ok(await kit.service.receive(envelope(206, cashInvoice("632"))));
      expect(checkResultOf(unsigned.replies[0]!).noticeType).toBe(2);
    });
  });

  describe("per-occurrence invoices (201 → 205)", () => {
    it("issues the coded invoice (MCCQT + CQT signature) with the 205 once the tax is declared", async () => {
      const id = messageId();
      const r = ok(
        await kit.service.receive(envelope(201, await signedInvoice(codedInvoice("701")), { id })),
      );
      expect(r.replies).toEqual([]);
      expect(await stored("coded_invoice", "701")).toBe(0);
      const d = await kit.service.recordTaxDeclaration(id);
      if (!d.ok) throw new Error(JSON.stringify(d.problems));
      const m205 = parseReply(d.value.xml);
      const result = readPerOccurrenceResult(m205.payloads[0]!, { source: m205.parsed.source });
      expect(result.ok && result.value.result).toBe(1);
      const issued = d.value.invoice;
      if (!issued) throw new Error("no coded invoice");
      expect(issued.authorityCode).toMatch(/^00[0-9A-F]{32}$/);
      const m202 = parseReply(issued.xml);
      expect(m202.header).toMatchObject({ type: 202, replyTo: id, receiver: TVAN, taxCode: SELLER });
      const hdon = m202.parsed.source.slice(m202.payloads[0]!.start, m202.payloads[0]!.end);
      expect(hdon).toContain(`<MCCQT Id="MCCQT-${issued.authorityCode}">${issued.authorityCode}</MCCQT>`);
      const sigs = verifyDocument(hdon, { trust: kit.pki.trust, warnTestCertificates: false });
      expect(sigs.map((s) => [s.slot, s.valid])).toEqual([
        ["NBan", true],
        ["CQT", true],
      ]);
      expect(sigs[1]?.references.map((x) => x.element)).toContain("MCCQT");
      const inv = withTotals(codedInvoice("701"));
      const found = await kit.service.publicLookup({
        sellerTaxCode: SELLER,
        template: inv.header.template,
        series: inv.header.series,
        number: "701",
        total: inv.totals.totalPayable.toString(),
      });
      expect(found?.authorityCode).toBe(issued.authorityCode);
      const full = await kit.service.inspectorLookup("inspector-1", {
        sellerTaxCode: SELLER,
        template: inv.header.template,
        series: inv.header.series,
        number: "701",
      });
      expect(full?.xml).toBe(hdon);
      expect((await kit.service.repliesTo(id))?.map((x) => x.type)).toEqual([999, 205, 202]);
      // Declared twice: nothing more is issued.
      expect((await kit.service.recordTaxDeclaration(id)).ok).toBe(false);
      expect(await stored("coded_invoice", "701")).toBe(1);
    });

    it("answers KQKTra 0 and issues no code when the number was coded by a 200 before the declaration", async () => {
      const id = messageId();
      ok(await kit.service.receive(envelope(201, await signedInvoice(codedInvoice("711")), { id })));
      const coded = ok(await kit.service.receive(envelope(200, await signedInvoice(codedInvoice("711")))));
      expect(parseReply(coded.replies[0]!).header.type).toBe(202);
      const d = await kit.service.recordTaxDeclaration(id);
      if (!d.ok) throw new Error(JSON.stringify(d.problems));
      expect(d.value.invoice).toBeUndefined();
      const m = parseReply(d.value.xml);
      const result = readPerOccurrenceResult(m.payloads[0]!, { source: m.parsed.source });
      expect(result.ok && result.value.result).toBe(0);
      expect(result.ok && result.value.contentCheck?.reasons?.map((x) => x.advice)).toEqual([
        "AUTHORITY_ALREADY_CODED",
      ]);
      expect((await kit.service.repliesTo(id))?.map((x) => x.type)).toEqual([999, 205]);
      expect(await stored("coded_invoice", "711")).toBe(1);
    });
  });

  describe("coded invoices stored once", () => {
    it("keeps the 202 as an envelope around the stored coded invoice, and serves it byte for byte", async () => {
      const id = messageId();
      const r = ok(
        await kit.service.receive(envelope(200, await signedInvoice(codedInvoice("901")), { id })),
      );
      const sent = r.replies[0]!;
      expect(parseReply(sent).header.type).toBe(202);
      const row = await kit.db.pool.query<{ xml: string; coded_invoice_id: string | null; coded: string }>(
        `select o.xml, o.coded_invoice_id, c.xml as coded from authority.outbox o
           join authority.coded_invoice c on c.id = o.coded_invoice_id where o.reply_to = $1`,
        [id],
      );
      expect(row.rows).toHaveLength(1);
      expect(row.rows[0]?.xml).toContain("<DLieu></DLieu>");
      expect(row.rows[0]?.xml.length).toBeLessThan(sent.length - row.rows[0]!.coded.length + 1);
      expect((await kit.service.repliesTo(id))?.[1]?.xml).toBe(sent);
      expect(ok(await kit.service.receive(envelope(200, "<HDon/>", { id }))).replies).toEqual([sent]);
      expect(
        (await kit.service.pendingFor(TVAN, 1000)).find(
          (m) => m.messageId === parseReply(sent).header.messageId,
        )?.xml,
      ).toBe(sent);
    });
  });

  describe("maintenance notices to connected T-VANs", () => {
    const OTHER_TVAN = "V0309478306";
    const CONNECTOR = `K${SELLER}`;

    const notices = async (party: string) =>
      (await kit.service.pendingFor(party)).filter((m) => m.type === 950);

    it("puts one signed notice of a scheduled window in the outbox of every connected T-VAN, once", async () => {
      // TVAN has sent the registration; another T-VAN and a direct connector send a message each.
      ok(await kit.service.receive(envelope(206, cashInvoice("801"), { sender: OTHER_TVAN })));
      ok(await kit.service.receive(envelope(206, cashInvoice("802"), { sender: CONNECTOR })));
      const now = kit.clock.now();
      const startsAt = new Date(now.getTime() + 86_400_000);
      const endsAt = new Date(startsAt.getTime() + 3 * 3_600_000);
      const checkUntil = new Date(endsAt.getTime() + 3_600_000);
      const w = await kit.service.scheduleMaintenance(startsAt, endsAt, "Nâng cấp hạ tầng kỹ thuật", {
        checkUntil,
      });
      if (!w.ok) throw new Error(JSON.stringify(w.problems));

      for (const party of [TVAN, OTHER_TVAN, CONNECTOR]) {
        const mine = await notices(party);
        expect(mine, party).toHaveLength(1);
        const m = inspectMessage(mine[0]!.xml);
        expect(m.typeText).toBe("950");
        expect(m.header).toMatchObject({ sender: "TCT", receiver: party, messageId: mine[0]!.messageId });
        const read = readMaintenanceNotice(m.payloads[0]!, { source: m.parsed!.source });
        if (!read.ok) throw new Error(JSON.stringify(read.problems));
        expect(read.value).toMatchObject({
          form: MAINTENANCE_NOTICE_FORM,
          windowId: w.value.id,
          startsAt: new Date(startsAt.getTime() + 7 * 3_600_000).toISOString().slice(0, 19),
          endsAt: new Date(endsAt.getTime() + 7 * 3_600_000).toISOString().slice(0, 19),
          checkUntil: new Date(checkUntil.getTime() + 7 * 3_600_000).toISOString().slice(0, 19),
          reason: "Nâng cấp hạ tầng kỹ thuật",
        });
        const tbao = m.parsed!.source.slice(m.payloads[0]!.start, m.payloads[0]!.end);
        const [sig] = verifyDocument(tbao, { trust: kit.pki.trust, warnTestCertificates: false });
        expect([sig?.slot, sig?.valid]).toEqual(["CQT", true]);
      }
      // Not to the authority itself nor to a taxpayer that never connected.
      expect(await notices("TCT")).toEqual([]);
      expect(await notices(SELLER)).toEqual([]);

      // Delivered once: acknowledged notices do not come again.
      await kit.service.markDelivered((await notices(TVAN)).map((m) => m.messageId));
      expect(await notices(TVAN)).toEqual([]);
      const rows = await kit.db.pool.query<{ party: string }>(
        "select party from authority.maintenance_notice where window_id = $1 order by party",
        [w.value.id],
      );
      expect(rows.rows.map((x) => x.party)).toEqual([CONNECTOR, TVAN, OTHER_TVAN].sort());

      // A second window: one more notice each.
      const w2 = await kit.service.scheduleMaintenance(
        new Date(startsAt.getTime() + 7 * 86_400_000),
        new Date(endsAt.getTime() + 7 * 86_400_000),
        "Bảo trì định kỳ",
      );
      expect(w2.ok).toBe(true);
      expect(await notices(TVAN)).toHaveLength(1);
      expect(await notices(OTHER_TVAN)).toHaveLength(2);
    });

    it("refuses a connection check that ends before the window does", async () => {
      const now = kit.clock.now();
      const r = await kit.service.scheduleMaintenance(
        new Date(now.getTime() + 1000),
        new Date(now.getTime() + 2000),
        "x",
        { checkUntil: new Date(now.getTime() + 1500) },
      );
      expect(!r.ok && r.problems[0]?.code).toBe("AUTHORITY_BAD_INPUT");
    });
  });
});
