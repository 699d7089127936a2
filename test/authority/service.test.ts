import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isAuthorityCode } from "../../src/authority/index.ts";
import { payloadXml } from "../../src/format/envelope.ts";
import { readCheckResult } from "../../src/format/forms/check-result.ts";
import {
  readErrorNoticeAnswer,
  readReviewNotice,
  writeErrorNotice,
} from "../../src/format/forms/error-notice.ts";
import { readPerOccurrenceResult } from "../../src/format/forms/per-occurrence.ts";
import { readTechnicalReceipt } from "../../src/format/forms/receipt.ts";
import {
  readCodeRequirementNotice,
  readRegistrationDecision,
  readRegistrationReceipt,
} from "../../src/format/forms/registration.ts";
import { signAs } from "../../src/signing/profiles.ts";
import { verifyDocument } from "../../src/signing/verify.ts";
import { testBackends } from "../store/backends.ts";
import {
  BUYER,
  codedInvoice,
  envelope,
  type Kit,
  messageId,
  noCodeInvoice,
  openKit,
  parseReply,
  registerSeller,
  registration,
  SELLER,
  signedInvoice,
  TVAN,
} from "./support.ts";

function ok<T extends { status: string }>(r: T): Extract<T, { status: "ok" }> {
  if (r.status !== "ok") throw new Error(`not ok: ${JSON.stringify(r)}`);
  return r as Extract<T, { status: "ok" }>;
}

function receiptOf(xml: string) {
  const m = parseReply(xml);
  const r = readTechnicalReceipt(m.payloads[0]!, { source: m.parsed.source });
  if (!r.ok) throw new Error(JSON.stringify(r.problems));
  return { header: m.header, receipt: r.value };
}

function checkResultOf(xml: string) {
  const m = parseReply(xml);
  expect(m.header.type).toBe(204);
  const r = readCheckResult(m.payloads[0]!, { source: m.parsed.source });
  if (!r.ok) throw new Error(JSON.stringify(r.problems));
  return r.value;
}

function refusalCodes(xml: string): string[] {
  return (checkResultOf(xml).codeRefusal?.reasons ?? []).map((r) => r.code ?? "");
}

describe.each(testBackends())("authority service (%s)", (backend) => {
  let kit: Kit;
  beforeAll(async () => {
    kit = await openKit(backend);
  }, 60_000);
  afterAll(async () => {
    await kit.close();
  });

  describe("registration", () => {
    it("answers a registration with 999, then 102 received and 103 accepted", async () => {
      await kit.service.upsertTaxpayer({ taxCode: SELLER, name: "Công ty TNHH Phần mềm Hóa Đơn Mở" });
      const id = messageId();
      const r = ok(await kit.service.receive(envelope(100, await registration(), { id })));
      const { header, receipt } = receiptOf(r.receipt);
      expect(header).toMatchObject({ type: 999, sender: "TCT", receiver: TVAN, replyTo: id });
      expect(receipt).toMatchObject({ messageId: id, status: 0 });
      expect(r.replies).toHaveLength(2);
      const m102 = parseReply(r.replies[0]!);
      const n102 = readRegistrationReceipt(m102.payloads[0]!, { source: m102.parsed.source });
      expect(n102.ok && n102.value).toMatchObject({ case: 1, transactionId: id, taxCode: SELLER });
      const m103 = parseReply(r.replies[1]!);
      const n103 = readRegistrationDecision(m103.payloads[0]!, { source: m103.parsed.source });
      expect(n103.ok && n103.value.status).toBe(1);
      const sigs = verifyDocument(payloadXml(m103, 0), { trust: kit.pki.trust });
      expect(sigs.map((s) => [s.role, s.valid])).toEqual([["authority", true]]);
    });

    it("does not receive an unsigned registration, nor one signed for another tax code", async () => {
      const { writeRegistration, readRegistration } = await import("../../src/format/forms/registration.ts");
      const { parseXml } = await import("../../src/format/xml.ts");
      const signed = await registration();
      const p = parseXml(signed);
      if (!p.ok) throw new Error("unreadable");
      const read = readRegistration(p.value.root, { source: p.value.source });
      if (!read.ok) throw new Error(JSON.stringify(read.problems));
      const unsigned = writeRegistration({ ...read.value, signatures: [{ name: "NNT", xml: "" }] });
      const r = ok(await kit.service.receive(envelope(100, unsigned)));
      const m = parseReply(r.replies[0]!);
      const n = readRegistrationReceipt(m.payloads[0]!, { source: m.parsed.source });
      expect(n.ok && [n.value.case, n.value.reasons?.map((x) => x.code)]).toEqual([2, ["4001"]]);
      // The seller's declaration signed with a certificate of another taxpayer.
      const other = await (await import("./support.ts")).identityFor("0101010101");
      const forged = await signAs(unsigned, other.signer, "taxpayer");
      if (!forged.ok) throw new Error("unsigned");
      const r2 = ok(await kit.service.receive(envelope(100, forged.value.xml)));
      const m2 = parseReply(r2.replies[0]!);
      const n2 = readRegistrationReceipt(m2.payloads[0]!, { source: m2.parsed.source });
      expect(n2.ok && n2.value.reasons?.map((x) => x.code)).toEqual(["4001"]);
    });

    it("does not receive a registration of a taxpayer missing from the registry (102 case 2)", async () => {
      const r = ok(
        await kit.service.receive(
          envelope(100, await registration({}, "0312345675"), { taxCode: "0312345675" }),
        ),
      );
      expect(r.replies).toHaveLength(1);
      const m = parseReply(r.replies[0]!);
      const n = readRegistrationReceipt(m.payloads[0]!, { source: m.parsed.source });
      expect(n.ok && n.value.case).toBe(2);
      expect(n.ok && n.value.reasons?.map((x) => x.code)).toEqual(["2001"]);
    });

    it("refuses no-code invoices to a high-risk taxpayer and binds it to coded invoices", async () => {
      const tax = "0102030405";
      await kit.service.upsertTaxpayer({ taxCode: tax, name: "Công ty Rủi Ro", highRisk: true });
      const r = ok(
        await kit.service.receive(
          envelope(100, await registration({ withCode: false, withoutCode: true }, tax), { taxCode: tax }),
        ),
      );
      const m = parseReply(r.replies[1]!);
      const n = readRegistrationDecision(m.payloads[0]!, { source: m.parsed.source });
      expect(n.ok && n.value.status).toBe(2);
      expect(n.ok && n.value.reasons?.map((x) => x.code)).toEqual(["2002"]);
      const t = await kit.service.getTaxpayer(tax);
      expect(t.ok && t.value.codedOnly).toBe(true);
    });

    it("lists the registrations it decided, newest first, by taxpayer and by decision", async () => {
      const all = await kit.service.listRegistrations({}, 0, 1000);
      expect(all.length).toBeGreaterThanOrEqual(2);
      expect(all.map((x) => Number(x.id))).toEqual([...all.map((x) => Number(x.id))].sort((a, b) => b - a));
      const refused = await kit.service.listRegistrations(
        { taxCode: "0102030405", status: "refused" },
        0,
        10,
      );
      expect(refused).toHaveLength(1);
      expect(refused[0]).toMatchObject({
        taxCode: "0102030405",
        taxpayerName: "Công ty Rủi Ro",
        kind: "first",
        forms: { withCode: false, withoutCode: true, cashRegister: false },
        status: "refused",
        reasons: ["AUTHORITY_CODED_ONLY"],
      });
      const accepted = await kit.service.listRegistrations({ status: "accepted" }, 0, 1000);
      expect(accepted.length).toBeGreaterThan(0);
      expect(accepted.every((x) => x.status === "accepted" && x.reasons.length === 0)).toBe(true);
      expect(accepted[0]?.certificates[0]).toMatch(/^[0-9A-F]+$/);
      expect(
        await kit.service.listRegistrations({ taxCode: "0102030405", status: "accepted" }, 0, 10),
      ).toEqual([]);
    });

    it("sends the forced switch 105 and binds the taxpayer to coded invoices", async () => {
      const tax = "0102030406";
      await kit.service.upsertTaxpayer({ taxCode: tax, name: "Công ty Chuyển Đổi" });
      const r = await kit.service.requireCodedInvoices(tax, TVAN, "2026-12-31");
      if (!r.ok) throw new Error(JSON.stringify(r.problems));
      const m = parseReply(r.value.xml);
      expect(m.header.type).toBe(105);
      const n = readCodeRequirementNotice(m.payloads[0]!, { source: m.parsed.source });
      expect(n.ok && n.value).toMatchObject({ case: 2, switchBy: "2026-12-31", taxCode: tax });
      const t = await kit.service.getTaxpayer(tax);
      expect(t.ok && [t.value.highRisk, t.value.codedOnly]).toEqual([true, true]);
      const listed = await kit.service.listTaxpayers(0, 1000);
      expect(listed.map((x) => x.taxCode)).toContain(tax);
      expect(listed.map((x) => x.taxCode)).toEqual([...listed.map((x) => x.taxCode)].sort());
      expect((await kit.service.pendingFor(TVAN)).map((x) => x.messageId)).toContain(r.value.messageId);
    });
  });

  describe("code issuance (200)", () => {
    beforeAll(async () => {
      await registerSeller(kit);
    });

    it("codes a valid invoice: 202 with a 34-character MCCQT and a CQT signature that verifies", async () => {
      const xml = await signedInvoice(codedInvoice("101"));
      const id = messageId();
      const r = ok(await kit.service.receive(envelope(200, xml, { id })));
      expect(receiptOf(r.receipt).receipt.status).toBe(0);
      expect(r.replies).toHaveLength(1);
      const m = parseReply(r.replies[0]!);
      expect(m.header).toMatchObject({ type: 202, replyTo: id, taxCode: SELLER, count: 1 });
      const hdon = payloadXml(m, 0);
      const code = /<MCCQT Id="[^"]+">([0-9A-F]{34})<\/MCCQT>/.exec(hdon)?.[1] ?? "";
      expect(isAuthorityCode(code)).toBe(true);
      expect(code.startsWith("00")).toBe(true);
      // The seller's bytes are untouched: the invoice as sent is the coded one without MCCQT and CQT.
      expect(hdon.startsWith(xml.slice(0, xml.indexOf("</DLHDon>")))).toBe(true);
      const sigs = verifyDocument(hdon, { trust: kit.pki.trust });
      expect(sigs.map((s) => [s.role, s.valid]).sort()).toEqual([
        ["authority", true],
        ["seller", true],
      ]);
      const found = await kit.service.publicLookup({
        sellerTaxCode: SELLER,
        template: "1",
        series: codedInvoice("101").header.series,
        number: "101",
        total: /<TgTTTBSo>([^<]+)<\/TgTTTBSo>/.exec(xml)?.[1] ?? "",
      });
      expect(found?.authorityCode).toBe(code);
      // The public sees the code, total and dates, not the buyer nor the content.
      expect(Object.keys(found ?? {}).sort()).toEqual([
        "authorityCode",
        "codedAt",
        "issueDate",
        "number",
        "sellerTaxCode",
        "series",
        "template",
        "total",
      ]);
      const full = await kit.service.inspectorLookup("inspector-1", {
        sellerTaxCode: SELLER,
        template: "1",
        series: codedInvoice("101").header.series,
        number: "101",
      });
      expect(full?.xml).toBe(hdon);
    });

    it("answers the same message id sent twice at once with the same receipt and replies, and one code", async () => {
      const xml = await signedInvoice(codedInvoice("102"));
      const id = messageId();
      const msg = envelope(200, xml, { id });
      const results = await Promise.all([1, 2, 3, 4].map(() => kit.service.receive(msg))).then((a) =>
        a.map(ok),
      );
      const receipts = new Set(results.map((r) => r.receipt));
      const replies = new Set(results.map((r) => r.replies.join("|")));
      expect(receipts.size).toBe(1);
      expect(replies.size).toBe(1);
      expect(results.filter((r) => !r.duplicate)).toHaveLength(1);
      const rows = await kit.db.pool.query(
        "select count(*)::int as n from authority.coded_invoice where number = '102' and seller_tax_code = $1",
        [SELLER],
      );
      expect(rows.rows[0].n).toBe(1);
    });

    it("codes one invoice sent at once under two message ids only once; the other gets 204", async () => {
      const xml = await signedInvoice(codedInvoice("111"));
      const results = (
        await Promise.all([envelope(200, xml), envelope(200, xml)].map((m) => kit.service.receive(m)))
      ).map(ok);
      const types = results.map((r) => parseReply(r.replies[0]!).header.type).sort();
      expect(types).toEqual([202, 204]);
      const refused = results.find((r) => parseReply(r.replies[0]!).header.type === 204)!;
      expect(refusalCodes(refused.replies[0]!)).toEqual(["3005"]);
    });

    it("signs through a signer pool as well", async () => {
      const { signerPool } = await import("../../src/signing/pool.ts");
      const { AuthorityService } = await import("../../src/authority/index.ts");
      const pool = signerPool({
        key: kit.pki.authority.key!,
        certificate: kit.pki.authority.certificate,
        size: 2,
      });
      try {
        const pooled = new AuthorityService({
          db: kit.db,
          clock: kit.clock,
          signer: pool,
          verify: { trust: kit.pki.trust },
          config: { codeSecret: Buffer.from("0123456789abcdef0123456789abcdef"), codeIssuer: "01" },
        });
        const r = ok(await pooled.receive(envelope(200, await signedInvoice(codedInvoice("112")))));
        const hdon = payloadXml(parseReply(r.replies[0]!), 0);
        expect(hdon).toMatch(/<MCCQT Id="[^"]+">01[0-9A-F]{32}<\/MCCQT>/);
        expect(verifyDocument(hdon, { trust: kit.pki.trust }).every((s) => s.valid)).toBe(true);
      } finally {
        await pool.close();
      }
    });

    it("refuses to code the same invoice number twice (204, MLoi 3005)", async () => {
      const xml = await signedInvoice(codedInvoice("103"));
      ok(await kit.service.receive(envelope(200, xml)));
      const again = ok(await kit.service.receive(envelope(200, xml)));
      expect(refusalCodes(again.replies[0]!)).toEqual(["3005"]);
    });

    it("check 1, the registration: refuses a no-code series and a seller not registered for coded invoices", async () => {
      const xml = await signedInvoice(noCodeInvoice("104"));
      const r = ok(await kit.service.receive(envelope(200, xml)));
      const c = checkResultOf(r.replies[0]!);
      expect(c.noticeType).toBe(1);
      expect(c.codeRefusal?.reasons?.map((x) => x.code)).toContain("3001");
    });

    it("check 2, the format: refuses an invoice the reader cannot read", async () => {
      const xml = (await signedInvoice(codedInvoice("105"))).replace(
        "<THTTLTSuat>",
        "<THTTLTSuat><Bogus>1</Bogus>",
      );
      const r = ok(await kit.service.receive(envelope(200, xml)));
      const codes = refusalCodes(r.replies[0]!);
      expect(codes.length).toBeGreaterThan(0);
      expect(codes.some((c) => c === "3002" || c === "4001")).toBe(true);
    });

    it("check 3, the content: refuses an invoice whose totals do not add up", async () => {
      const inv = codedInvoice("106");
      const xml = (await signedInvoice({ ...inv })).replace(
        /<TgTTTBSo>(\d+)<\/TgTTTBSo>/,
        (_all, n: string) => `<TgTTTBSo>${BigInt(n) + 1000n}</TgTTTBSo>`,
      );
      const r = ok(await kit.service.receive(envelope(200, xml)));
      const codes = refusalCodes(r.replies[0]!);
      expect(codes).toContain("3003");
      // The change also breaks the seller's signature.
      expect(codes).toContain("4001");
    });

    it("check 4, the taxpayer: refuses while stopped, codes again once resumed", async () => {
      const stop = await kit.service.stopTaxpayer(SELLER, "tax_debt_enforcement", "QĐ 12/QĐ-CCT");
      expect(stop.ok && stop.value.status).toBe("stopped");
      const xml = await signedInvoice(codedInvoice("107"));
      const r = ok(await kit.service.receive(envelope(200, xml)));
      expect(refusalCodes(r.replies[0]!)).toEqual(["3004"]);
      await kit.service.resumeTaxpayer(SELLER);
      const again = ok(await kit.service.receive(envelope(200, xml)));
      expect(parseReply(again.replies[0]!).header.type).toBe(202);
    });

    it("lets a suspended business code invoices under a contract signed before the suspension", async () => {
      await kit.service.stopTaxpayer(SELLER, "business_suspended");
      const refused = ok(await kit.service.receive(envelope(200, await signedInvoice(codedInvoice("108")))));
      expect(refusalCodes(refused.replies[0]!)).toEqual(["3004"]);
      const c = await kit.service.addExceptionContract(SELLER, "HĐ-01/2026", "2020-01-02");
      expect(c.ok).toBe(true);
      const r = ok(await kit.service.receive(envelope(200, await signedInvoice(codedInvoice("108")))));
      expect(parseReply(r.replies[0]!).header.type).toBe(202);
      await kit.service.resumeTaxpayer(SELLER);
    });

    it("refuses an unsigned invoice and one signed with an unregistered certificate", async () => {
      const { writeInvoice } = await import("../../src/format/invoice.ts");
      const { withTotals } = await import("../support/invoices.ts");
      const unsigned = writeInvoice(withTotals(codedInvoice("109")));
      const r = ok(await kit.service.receive(envelope(200, unsigned)));
      expect(refusalCodes(r.replies[0]!)).toEqual(["4001"]);
      const { issueCertificate } = await import("../../src/signing/dev-ca.ts");
      const { memorySigner } = await import("../../src/signing/signer.ts");
      const other = await issueCertificate(kit.pki.ca, {
        name: "Công ty Bán (chứng thư khác)",
        taxCode: SELLER,
      });
      const xml = await signedInvoice(
        codedInvoice("109"),
        memorySigner({ key: other.key!, certificate: other.certificate }),
      );
      const r2 = ok(await kit.service.receive(envelope(200, xml)));
      expect(refusalCodes(r2.replies[0]!)).toEqual(["3001"]);
    });

    it("answers a broken envelope with a 999 listing the errors, and unreadable bytes with −1", async () => {
      const id = messageId();
      const bad = envelope(200, await signedInvoice(codedInvoice("110")), { id }).replace(
        "<MST>0100109106</MST>",
        "<MST>01-00</MST>",
      );
      const r = ok(await kit.service.receive(bad));
      const { receipt } = receiptOf(r.receipt);
      expect(receipt.status).toBe(1);
      expect(receipt.reasons?.[0]?.code).toBe("1001");
      expect(r.replies).toEqual([]);
      const junk = ok(await kit.service.receive("<not-xml"));
      const m = parseReply(junk.receipt);
      expect(m.header.type).toBe(-1);
      const unsupported = ok(await kit.service.receive(envelope(106, "<DNghi/>")));
      expect(receiptOf(unsupported.receipt).receipt.reasons?.map((x) => x.code)).toEqual(["1003"]);
      const noSender = ok(
        await kit.service.receive(envelope(200, "<HDon/>").replace(`<MNGui>${TVAN}</MNGui>`, "")),
      );
      expect(receiptOf(noSender.receipt).header.receiver).toBe(TVAN);
      const wrong = ok(await kit.service.receive(envelope(200, "<HDon/>", { receiver: "V0101300842" })));
      expect(receiptOf(wrong.receipt).receipt.reasons?.map((x) => x.code)).toEqual(["1002"]);
    });
  });

  describe("robustness", () => {
    it.each([
      [100, "<TKhai/>"],
      [101, "<TKhai><DLTKhai Id='x'/></TKhai>"],
      [200, "<HDon/>"],
      [200, "<HDon><DLHDon Id='a'><TTChung/></DLHDon></HDon>"],
      [201, "<HDon/>"],
      [203, "<HDon/>"],
      [206, "<HDon><DLHDon/></HDon>"],
      [300, "<TBao/>"],
      [400, "<BTHDLieu/>"],
    ])("answers a %i carrying %s with a 999 and valid replies, never an exception", async (type, body) => {
      const r = ok(await kit.service.receive(envelope(type, body)));
      expect(receiptOf(r.receipt).receipt.status).toBe(0);
      for (const x of r.replies) expect(parseReply(x).header.replyTo).toBeDefined();
    });
  });

  describe("maintenance windows", () => {
    it("answers 'unavailable until T' during a window, stores nothing, then accepts after it", async () => {
      const now = kit.clock.now();
      const ends = new Date(now.getTime() + 3_600_000);
      const w = await kit.service.scheduleMaintenance(
        new Date(now.getTime() + 60_000),
        ends,
        "Nâng cấp hệ thống",
      );
      expect(w.ok).toBe(true);
      expect((await kit.service.listMaintenance()).map((x) => x.reason)).toContain("Nâng cấp hệ thống");
      kit.clock.advance({ minutes: 2 });
      const id = messageId();
      const msg = envelope(200, await signedInvoice(codedInvoice("201")), { id });
      const r = await kit.service.receive(msg);
      expect(r.status).toBe("unavailable");
      expect(r.status === "unavailable" && r.until.getTime()).toBe(ends.getTime());
      expect(r.status === "unavailable" && r.problem.code).toBe("AUTHORITY_UNAVAILABLE");
      expect((await kit.service.connectionCheck()).available).toBe(false);
      const stored = await kit.db.pool.query("select 1 from authority.inbox where message_id = $1", [id]);
      expect(stored.rowCount).toBe(0);
      kit.clock.set(ends);
      expect((await kit.service.connectionCheck()).available).toBe(true);
      const after = ok(await kit.service.receive(msg));
      expect(after.duplicate).toBe(false);
      expect(parseReply(after.replies[0]!).header.type).toBe(202);
    });

    it("refuses a window that ends before it starts", async () => {
      const now = kit.clock.now();
      const r = await kit.service.scheduleMaintenance(now, now, "x");
      expect(!r.ok && r.problems[0]?.code).toBe("AUTHORITY_BAD_INPUT");
    });
  });

  describe("no-code data, cash register, per occurrence, summary tables", () => {
    const NOCODE = "0101243150";
    beforeAll(async () => {
      await kit.service.upsertTaxpayer({ taxCode: NOCODE, name: "Công ty Không Mã" });
    });

    it("checks a 203 package: 204 LTBao 2 when all are valid, 3 listing the invalid ones", async () => {
      const { writeInvoice } = await import("../../src/format/invoice.ts");
      const { withTotals } = await import("../support/invoices.ts");
      await registerSeller(kit, { withCode: true, withoutCode: true });
      const a = await signedInvoice(noCodeInvoice("301"));
      const b = await signedInvoice(noCodeInvoice("302"));
      const r = ok(await kit.service.receive(envelope(203, [a, b])));
      expect(checkResultOf(r.replies[0]!).noticeType).toBe(2);
      const unsigned = writeInvoice(withTotals(noCodeInvoice("303")));
      const r2 = ok(
        await kit.service.receive(envelope(203, [await signedInvoice(noCodeInvoice("304")), unsigned])),
      );
      const c = checkResultOf(r2.replies[0]!);
      expect(c.noticeType).toBe(3);
      expect(c.noCodeInvoices?.map((x) => [x.number, x.reasons?.map((y) => y.code)])).toEqual([
        ["303", ["4001"]],
      ]);
      const n = await kit.db.pool.query("select number from authority.nocode_invoice order by number");
      expect(n.rows.map((x) => x.number)).toEqual(["301", "302", "304"]);
    });

    it("checks cash-register invoices (206): valid with a registration, LTBao 7 without", async () => {
      const { writeInvoice } = await import("../../src/format/invoice.ts");
      const { withTotals } = await import("../support/invoices.ts");
      const date = new Date(Date.now() + 7 * 3_600_000).toISOString().slice(0, 10);
      const inv = codedInvoice("401", { series: `C${date.slice(2, 4)}MAA` });
      const xml = writeInvoice(withTotals(inv));
      const refused = ok(await kit.service.receive(envelope(206, xml)));
      const c = checkResultOf(refused.replies[0]!);
      expect(c.noticeType).toBe(7);
      expect(c.cashRegisterReasons?.map((x) => x.code)).toEqual(["3001"]);
      await registerSeller(kit, { withCode: true, withoutCode: true, cashRegister: true });
      const accepted = ok(await kit.service.receive(envelope(206, xml)));
      expect(checkResultOf(accepted.replies[0]!).noticeType).toBe(2);
    });

    it("answers a per-occurrence invoice (201) with 205 only after the tax declaration", async () => {
      const id = messageId();
      const r = ok(
        await kit.service.receive(envelope(201, await signedInvoice(codedInvoice("501")), { id })),
      );
      expect(r.replies).toEqual([]);
      expect(receiptOf(r.receipt).receipt.status).toBe(0);
      const d = await kit.service.recordTaxDeclaration(id);
      if (!d.ok) throw new Error(JSON.stringify(d.problems));
      const m = parseReply(d.value.xml);
      expect(m.header).toMatchObject({ type: 205, replyTo: id });
      const n = readPerOccurrenceResult(m.payloads[0]!, { source: m.parsed.source });
      expect(n.ok && n.value.result).toBe(1);
      expect((await kit.service.recordTaxDeclaration(id)).ok).toBe(false);
      const stored = await kit.service.repliesTo(id);
      expect(stored?.map((x) => x.type)).toEqual([999, 205, 202]);
      expect(stored?.[1]?.xml).toBe(d.value.xml);
      expect(stored?.[2]?.xml).toBe(d.value.invoice?.xml);
      expect(await kit.service.repliesTo(messageId())).toBeUndefined();
      // The same message again returns the replies now stored.
      const again = ok(await kit.service.receive(envelope(201, "<HDon/>", { id })));
      expect(again.replies).toEqual([d.value.xml, d.value.invoice?.xml]);
    });

    it("answers a summary table (400) with 204 refusing it when unsigned", async () => {
      const { writeSummaryTable } = await import("../../src/format/forms/summary-table.ts");
      const table = writeSummaryTable({
        id: "DLBTHop-1",
        header: {
          version: "2.1.0",
          form: "01/TH-HĐĐT",
          name: "Bảng tổng hợp dữ liệu hóa đơn điện tử",
          tableNumber: 1,
          periodKind: "T",
          period: "10/2026",
          first: 1,
          date: "2026-11-01",
          taxpayerName: "Công ty TNHH Phần mềm Hóa Đơn Mở",
          taxCode: SELLER,
          printed: 0,
          goodsKind: 9,
        },
        rows: [],
        signatures: [{ name: "NNT", xml: "" }],
      });
      const r = ok(await kit.service.receive(envelope(400, table)));
      const c = checkResultOf(r.replies[0]!);
      expect(c.noticeType).toBe(4);
      expect(c.nonFuelTables?.[0]?.generalReasons?.map((x) => x.code)).toContain("4001");
      const signed = await signAs(table, kit.pki.sellerSigner, "taxpayer");
      if (!signed.ok) throw new Error(JSON.stringify(signed.problems));
      const r2 = ok(await kit.service.receive(envelope(400, signed.value.xml)));
      expect(checkResultOf(r2.replies[0]!).noticeType).toBe(2);
    });
  });

  describe("error notices", () => {
    it("answers a 04/SS-HĐĐT (300) with 301: accepted for a coded invoice it knows, refused otherwise", async () => {
      await registerSeller(kit);
      const okInv = ok(await kit.service.receive(envelope(200, await signedInvoice(codedInvoice("601")))));
      const code = /<MCCQT Id="[^"]+">([0-9A-F]{34})</.exec(okInv.replies[0]!)?.[1] ?? "";
      const notice = (authorityCode: string) =>
        writeErrorNotice({
          id: "DLTBao-1",
          version: "2.1.0",
          form: "04/SS-HĐĐT",
          name: "Thông báo hóa đơn điện tử có sai sót",
          kind: 1,
          authorityCode: "10100",
          authorityName: "Cục Thuế Hà Nội",
          taxpayerName: "Công ty TNHH Phần mềm Hóa Đơn Mở",
          taxCode: SELLER,
          place: "Hà Nội",
          date: "2026-11-23",
          invoices: [
            {
              index: 1,
              authorityCode,
              template: "1",
              series: codedInvoice("601").header.series,
              number: "601",
              date: codedInvoice("601").header.issueDate,
              regime: 1,
              nature: 1,
              reason: "Sai tên người mua",
            },
          ],
          signatures: [{ name: "NNT", xml: "" }],
        });
      const sign = async (xml: string) => {
        const s = await signAs(xml, kit.pki.sellerSigner, "taxpayer");
        if (!s.ok) throw new Error(JSON.stringify(s.problems));
        return s.value.xml;
      };
      const r = ok(await kit.service.receive(envelope(300, await sign(notice(code)))));
      const m = parseReply(r.replies[0]!);
      expect(m.header.type).toBe(301);
      const a = readErrorNoticeAnswer(m.payloads[0]!, { source: m.parsed.source });
      expect(a.ok && a.value.invoices.map((x) => x.status)).toEqual([1]);
      const r2 = ok(await kit.service.receive(envelope(300, await sign(notice(`00${"F".repeat(32)}`)))));
      const m2 = parseReply(r2.replies[0]!);
      const a2 = readErrorNoticeAnswer(m2.payloads[0]!, { source: m2.parsed.source });
      expect(a2.ok && a2.value.invoices.map((x) => [x.status, x.reasons?.[0]?.code])).toEqual([[2, "3006"]]);
    });

    it("sends a review notice (302) with the answer deadline in working days", async () => {
      // Friday 2026-11-20 10:00 GMT+7: two working days later is Tuesday 2026-11-24.
      kit.clock.set("2026-11-20T03:00:00Z");
      const r = await kit.service.createReviewNotice({
        taxCode: SELLER,
        to: TVAN,
        taxpayerAddress: "Số 1 Tràng Tiền, Hà Nội",
        invoices: [
          {
            template: "1",
            series: "C26TAA",
            number: "601",
            date: "2026-11-20",
            regime: 1,
            reason: "Rà soát",
          },
        ],
        deadlineDays: 2,
      });
      if (!r.ok) throw new Error(JSON.stringify(r.problems));
      expect(r.value.deadline).toBe("2026-11-24");
      const m = parseReply(r.value.xml);
      const n = readReviewNotice(m.payloads[0]!, { source: m.parsed.source });
      expect(n.ok && n.value.deadlineDays).toBe(2);
      kit.clock.set("2026-11-25T03:00:00Z");
      expect((await kit.service.overdueReviewNotices()).map((x) => x.messageId)).toContain(r.value.messageId);
      kit.clock.set(new Date());
    });
  });

  describe("lookups", () => {
    it("finds an invoice publicly only with the right total, logs inspectors, pages a buyer's purchases", async () => {
      await registerSeller(kit);
      const numbers = ["701", "702", "703"];
      for (const n of numbers)
        ok(await kit.service.receive(envelope(200, await signedInvoice(codedInvoice(n)))));
      const inv = codedInvoice("701");
      const key = { sellerTaxCode: SELLER, template: "1", series: inv.header.series, number: "701" };
      const stored = await kit.db.pool.query(
        "select total from authority.coded_invoice where number = '701'",
      );
      const total = String(stored.rows[0].total);
      expect(await kit.service.publicLookup({ ...key, total })).toBeDefined();
      expect(await kit.service.publicLookup({ ...key, total: "1" })).toBeUndefined();
      expect(await kit.service.publicLookup({ ...key, total: "abc" })).toBeUndefined();

      const seen = await kit.service.inspectorLookup("QLTT-HN-042", key, "kiểm tra hàng hóa lưu thông");
      expect(seen?.xml).toContain("<MCCQT");
      expect(await kit.service.inspectorLookup("QLTT-HN-042", { ...key, number: "99999" })).toBeUndefined();
      const log = await kit.service.accessLog(2);
      expect(log.map((l) => [l.inspector, l.invoiceId === null])).toEqual([
        ["QLTT-HN-042", true],
        ["QLTT-HN-042", false],
      ]);

      const all: string[] = [];
      let after: string | undefined;
      for (;;) {
        const page = await kit.service.buyerInvoices(BUYER, { limit: 2, ...(after ? { after } : {}) });
        all.push(...page.items.map((i) => i.number));
        if (!page.next) break;
        after = page.next;
      }
      expect(new Set(all).size).toBe(all.length);
      for (const n of numbers) expect(all).toContain(n);
    });
  });
});
