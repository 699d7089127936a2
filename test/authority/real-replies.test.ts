/**
 * The authority's replies against real ones (test/fixtures/real): the 999, 102 and 103 the tax authority
 * sent through a T-VAN, and a bare 103, are read by the same readers as the ones hddt's authority writes,
 * their payloads survive our writers, and our notices put the shared elements in the same order.
 */
import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Message, payloadXml, readMessage } from "../../src/format/envelope.ts";
import { type DecodedReply, decodeReply, readLookupReply } from "../../src/format/forms/lookup-reply.ts";
import { writeTechnicalReceipt } from "../../src/format/forms/receipt.ts";
import {
  readRegistrationDecision,
  writeRegistrationDecision,
  writeRegistrationReceipt,
} from "../../src/format/forms/registration.ts";
import { parseXml } from "../../src/format/xml.ts";
import { testBackends } from "../store/backends.ts";
import { envelope, type Kit, openKit, registration, SELLER } from "./support.ts";

const real = (name: string) => readFileSync(new URL(`../fixtures/real/${name}`, import.meta.url));

function realMessages(name: string): Message[] {
  const r = readLookupReply(real(name));
  if (!r.ok) throw new Error(JSON.stringify(r.problems, null, 1));
  return r.value.messages;
}

function decoded(m: Message): DecodedReply {
  const d = decodeReply(m);
  if (!d.ok) throw new Error(JSON.stringify(d.problems, null, 1));
  return d.value;
}

/** Element names in document order. */
function names(xml: string): string[] {
  return [...xml.matchAll(/<([A-Za-z][\w.-]*)[\s>/]/g)].map((m) => m[1]!);
}

/** The names both documents use, in the order of `a`, and in the order of `b`. */
function sharedOrder(a: string, b: string): [string[], string[]] {
  const inA = new Set(names(a));
  const inB = new Set(names(b));
  const firstOf = (list: string[], other: Set<string>) => [...new Set(list.filter((n) => other.has(n)))];
  return [firstOf(names(a), inB), firstOf(names(b), inA)];
}

/** The DLTBao of a notice without its signatures. */
function dataPart(xml: string): string {
  const start = xml.indexOf("<DLTBao");
  return xml.slice(start, xml.indexOf("</DLTBao>", start));
}

describe("real 999, 102 and 103 replies", () => {
  const [r999, r102, r103] = realMessages("tvan-ketquatracuu-20220117-999-102-103-khongchapnhan.xml");

  it("reads each with the readers that read ours, and our writers give back equal payloads", () => {
    const d999 = decoded(r999!);
    const d102 = decoded(r102!);
    const d103 = decoded(r103!);
    if (d999.type !== 999 || d102.type !== 102 || d103.type !== 103) throw new Error("wrong types");
    const again = (xml: string, type: number) => {
      const m = readMessage(
        `<TDiep><TTChung><PBan>2.0.0</PBan><MNGui>TCT</MNGui><MNNhan>V0401486901</MNNhan><MLTDiep>${type}</MLTDiep><MTDiep>TCT${"A".repeat(32)}</MTDiep><MTDTChieu>V0401486901${"B".repeat(32)}</MTDTChieu><MST>0301521415</MST><SLuong>1</SLuong></TTChung><DLieu>${xml}</DLieu></TDiep>`,
      );
      if (!m.ok) throw new Error(JSON.stringify(m.problems, null, 1));
      return decoded(m.value);
    };
    expect(again(writeTechnicalReceipt(d999.receipt), 999)).toEqual(d999);
    expect(again(writeRegistrationReceipt(d102.notice), 102)).toEqual(d102);
    expect(again(writeRegistrationDecision(d103.notice), 103)).toEqual(d103);
  });

  it("reads the bare 103 of Hải Phòng and writes it back byte-exact", () => {
    const source = real("tbao-103-chapnhan-haiphong-20220104.xml").toString("utf8");
    const p = parseXml(source);
    if (!p.ok) throw new Error("unreadable");
    const r = readRegistrationDecision(p.value.root, p.value.source);
    if (!r.ok) throw new Error(JSON.stringify(r.problems, null, 1));
    expect(r.value.status).toBe(1);
    expect(writeRegistrationDecision(r.value)).toBe(source);
  });

  describe.each(testBackends())("against hddt's authority (%s)", (backend) => {
    let kit: Kit;
    let ours: Message[];
    beforeAll(async () => {
      kit = await openKit(backend);
      await kit.service.upsertTaxpayer({ taxCode: SELLER, name: "Công ty TNHH Phần mềm Hóa Đơn Mở" });
      const r = await kit.service.receive(envelope(100, await registration()));
      if (r.status !== "ok") throw new Error("unavailable");
      ours = [r.receipt, ...r.replies].map((xml) => {
        const m = readMessage(xml);
        if (!m.ok) throw new Error(JSON.stringify(m.problems, null, 1));
        return m.value;
      });
    }, 60_000);
    afterAll(async () => {
      await kit.close();
    });

    it("answers with 999, 102 and 103 that the same decoder reads", () => {
      expect(ours.map((m) => decoded(m).type)).toEqual([999, 102, 103]);
      expect(ours.map((m) => m.header.type)).toEqual([
        r999!.header.type,
        r102!.header.type,
        r103!.header.type,
      ]);
    });

    it("writes the elements it shares with the real notices in the same order", () => {
      const pairs: Array<[Message, Message]> = [
        [ours[0]!, r999!],
        [ours[1]!, r102!],
        [ours[2]!, r103!],
      ];
      for (const [mine, theirs] of pairs) {
        const a = payloadXml(mine, 0);
        const b = payloadXml(theirs, 0);
        const [x, y] = mine.header.type === 999 ? sharedOrder(a, b) : sharedOrder(dataPart(a), dataPart(b));
        expect(x.length).toBeGreaterThan(3);
        expect(x).toEqual(y);
      }
    });
  });
});
