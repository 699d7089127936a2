/**
 * The envelope, registration notices and lookup replies against real messages of the tax authority and a
 * T-VAN (test/fixtures/real, see its README).
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { payloadXml, readMessage, writeMessage } from "../../src/format/envelope.ts";
import { decodeReply, readLookupReply, writeLookupReply } from "../../src/format/forms/lookup-reply.ts";
import { readRegistrationDecision, writeRegistrationDecision } from "../../src/format/forms/registration.ts";
import { parseXml } from "../../src/format/xml.ts";

const real = (name: string) => readFileSync(new URL(`../fixtures/real/${name}`, import.meta.url));

describe("real TDiep messages", () => {
  it.each([
    ["gdt-test-tdiep202-ts24-c21tct-14.xml", "TCTB2C5E9AF7DEF49B5BA33411171A2DF30", "0106324653"],
    ["asia-tdiep202-c23tvh-9.xml", "TCTA8A1907031A84C92A5787D219D2BBF50", "2700842301"],
    ["asia-tdiep202-c23tvt-5.xml", "TCT3CE34EB5CA194676B6C3EE1D65CAAAA6", "5300100276"],
  ])("reads the 202 message %s", (file, messageId, taxCode) => {
    const r = readMessage(real(file));
    if (!r.ok) throw new Error(JSON.stringify(r.problems, null, 1));
    const m = r.value;
    expect(m.header).toMatchObject({
      version: "2.0.0",
      sender: "TCT",
      type: 202,
      messageId,
      taxCode,
      count: 1,
    });
    expect(m.header.receiver).toMatch(/^V\d{10}$/);
    expect(m.payloads.map((p) => p.name)).toEqual(["HDon"]);
  });

  it("rewrites a real 202 around the same invoice bytes, so its two signatures still cover the same text", () => {
    const r = readMessage(real("gdt-test-tdiep202-ts24-c21tct-14.xml"));
    if (!r.ok) throw new Error("unreadable");
    const invoice = payloadXml(r.value, 0);
    const again = readMessage(writeMessage(r.value.header, invoice));
    expect(again.ok && payloadXml(again.value, 0)).toBe(invoice);
    expect(again.ok && again.value.header).toEqual(r.value.header);
  });
});

describe("real T-VAN lookup replies", () => {
  it("reads 999 + 102 'not received' (MLoi 9992)", () => {
    const r = readLookupReply(real("tvan-ketquatracuu-20220112-999-102-khongtiepnhan.xml"));
    if (!r.ok) throw new Error(JSON.stringify(r.problems, null, 1));
    expect(r.value.reply.resultCode).toBe("0");
    const [receipt, notice] = r.value.messages.map((m) => decodeReply(m));
    expect(receipt).toEqual({
      ok: true,
      value: {
        type: 999,
        receipt: {
          messageId: "V040148690141B924C263C34C13B5EF49E1DDB10CA5",
          sender: "V0401486901",
          receivedAt: "2022-01-12T16:24:22",
          status: 0,
        },
      },
    });
    if (!notice?.ok || notice.value.type !== 102) throw new Error(JSON.stringify(notice));
    expect(notice.value.notice).toMatchObject({
      form: "01/TB-TNĐT",
      case: 2,
      taxCode: "0301521415",
      transactionId: "V040148690141B924C263C34C13B5EF49E1DDB10CA5",
      reasons: [{ code: "9992" }],
    });
    expect(notice.value.notice.signatures.map((s) => s.name)).toEqual(["CQT"]);
  });

  it("reads 999 + 102 'received' + 103 'not accepted' (MLoi 2005, 2007) with two signatures", () => {
    const r = readLookupReply(real("tvan-ketquatracuu-20220117-999-102-103-khongchapnhan.xml"));
    if (!r.ok) throw new Error(JSON.stringify(r.problems, null, 1));
    expect(r.value.reply.transactionId).toBe("8A5A73DF108D4181965B5854E76D39E2");
    const decoded = r.value.messages.map((m) => decodeReply(m));
    expect(decoded.map((d) => d.ok && d.value.type)).toEqual([999, 102, 103]);
    const decision = decoded[2];
    if (!decision?.ok || decision.value.type !== 103) throw new Error("no 103");
    expect(decision.value.notice).toMatchObject({
      status: 2,
      registrationKind: 1,
      reasons: [{ code: "2005" }, { code: "2007" }],
      notice: { number: "1169TB-CCTKVQ12HM-HĐĐT", date: "2022-01-17T15:31:57" },
    });
    expect(decision.value.notice.signatures.map((s) => s.name)).toEqual(["TTCQT", "CQT"]);
  });

  it("writes the same messages back byte-exact", () => {
    const r = readLookupReply(real("tvan-ketquatracuu-20220117-999-102-103-khongchapnhan.xml"));
    if (!r.ok) throw new Error("unreadable");
    const again = readLookupReply(writeLookupReply(r.value.reply));
    expect(again.ok && again.value.reply).toEqual(r.value.reply);
  });
});

describe("real 01/TB-ĐKĐT notice (bare TBao)", () => {
  const source = real("tbao-103-chapnhan-haiphong-20220104.xml").toString("utf8");

  it("reads the acceptance with its notice number and both signatures byte-exact", () => {
    const p = parseXml(source);
    if (!p.ok) throw new Error("unreadable");
    const r = readRegistrationDecision(p.value.root, p.value.source);
    if (!r.ok) throw new Error(JSON.stringify(r.problems, null, 1));
    expect(r.value).toMatchObject({
      form: "01/TB-ĐKĐT",
      status: 1,
      taxCode: "0202019860",
      taxpayerName: "CÔNG TY TNHH GIAO NHẬN VẬN TẢI HÀO HƯNG",
      notice: { id: "Id-502dc02159354f3593f1f194235cf8de", number: "14TB-CCTKV" },
    });
    for (const s of r.value.signatures) expect(source).toContain(s.xml);
  });

  it("writes it back to exactly the bytes the tax authority signed", () => {
    const p = parseXml(source);
    if (!p.ok) throw new Error("unreadable");
    const r = readRegistrationDecision(p.value.root, p.value.source);
    if (!r.ok) throw new Error("unreadable");
    expect(writeRegistrationDecision(r.value)).toBe(source);
  });
});
