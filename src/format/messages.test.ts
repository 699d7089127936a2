import { describe, expect, it } from "vitest";
import {
  isMessageType,
  MESSAGE_TYPE_CODES,
  messageTypeInfo,
  messageTypes,
  parseMessageType,
  payloadKindOf,
} from "./messages.ts";

describe("message type catalogue", () => {
  it("knows every type of reference §5.2 that a source names, and hddt's own 950", () => {
    const expected = [
      100, 101, 102, 103, 104, 105, 106, 200, 201, 202, 203, 204, 205, 206, 300, 301, 302, 303, 400, 500, 501,
      503, 504, 505, 506, 507, 600, 601, 602, 603, 901, 902, 950, 999, -1, -2,
    ];
    expect([...messageTypes.keys()].sort((a, b) => a - b)).toEqual(expected.sort((a, b) => a - b));
    expect(MESSAGE_TYPE_CODES).toHaveLength(expected.length);
  });

  it("marks 950 (maintenance notice) as hddt's own, from the authority to a T-VAN, signed by the authority", () => {
    expect(messageTypeInfo(950)).toMatchObject({
      from: "authority",
      to: "transmission",
      hddtDefined: true,
      signedBy: ["authority"],
    });
  });

  it("does not invent a meaning for 502, which no source names", () => {
    expect(isMessageType(502)).toBe(false);
    expect(messageTypeInfo(502)).toBeUndefined();
  });

  it.each([
    [100, "TKhai", "01/ĐKTĐ-HĐĐT"],
    [102, "TBao", "01/TB-TNĐT"],
    [103, "TBao", "01/TB-ĐKĐT"],
    [105, "TBao", "01/TB-KTT"],
    [106, "DNghi", "06/ĐN-PSĐT"],
    [200, "HDon", undefined],
    [203, "HDon", undefined],
    [204, "TBao", "01/TB-KTDL"],
    [300, "TBao", "04/SS-HĐĐT"],
    [301, "TBao", "01/TB-SSĐT"],
    [302, "TBao", "01/TB-RSĐT"],
    [400, "BTHDLieu", "01/TH-HĐĐT"],
    [901, "BCDSoat", undefined],
    [999, "TBao", undefined],
    [-1, "TBao", undefined],
  ])("type %i carries <%s> (form %s)", (code, payload, form) => {
    expect(payloadKindOf(code)).toBe(payload);
    expect(messageTypeInfo(code)?.form).toBe(form);
  });

  it("gives no payload kind for unknown codes and unpublished payloads", () => {
    expect(payloadKindOf(123)).toBeUndefined();
    expect(payloadKindOf(505)).toBeUndefined();
  });

  it("marks one-or-many payloads: one invoice for a code request, many for no-code data and cash registers", () => {
    expect(messageTypeInfo(200)?.many).toBe(false);
    expect(messageTypeInfo(202)?.many).toBe(false);
    expect(messageTypeInfo(203)?.many).toBe(true);
    expect(messageTypeInfo(206)?.many).toBe(true);
  });

  it("states directions and signers", () => {
    const t100 = messageTypeInfo(100)!;
    expect([t100.from, t100.to, t100.signedBy]).toEqual(["taxpayer", "authority", ["taxpayer"]]);
    const t202 = messageTypeInfo(202)!;
    expect([t202.from, t202.to, t202.signedBy]).toEqual(["authority", "taxpayer", ["taxpayer", "authority"]]);
    expect(messageTypeInfo(999)!.signedBy).toEqual([]);
    expect(messageTypeInfo(999)!.from).toBe("any");
  });

  it("requires MTDTChieu on replies, makes it optional on technical replies and absent on requests", () => {
    expect(messageTypeInfo(102)!.replyTo).toBe("required");
    expect(messageTypeInfo(202)!.replyTo).toBe("required");
    expect(messageTypeInfo(999)!.replyTo).toBe("optional");
    expect(messageTypeInfo(200)!.replyTo).toBe("absent");
    expect(messageTypeInfo(302)!.replyTo).toBe("absent");
  });

  it("does not require MST and SLuong on 999 (reference: absent in 999)", () => {
    expect(messageTypeInfo(999)!.taxCode).toBe("optional");
    expect(messageTypeInfo(999)!.count).toBe("optional");
    expect(messageTypeInfo(203)!.taxCode).toBe("required");
    expect(messageTypeInfo(203)!.count).toBe("required");
  });

  it("has a Vietnamese and an English name for every type", () => {
    for (const info of messageTypes.values()) {
      expect(info.vi.length).toBeGreaterThan(5);
      expect(info.en.length).toBeGreaterThan(5);
    }
  });

  it.each([
    ["100", 100],
    [" 999 ", 999],
    ["-1", -1],
    ["-2", -2],
    ["502", undefined],
    ["1000", undefined],
    ["abc", undefined],
    ["", undefined],
    ["+100", undefined],
  ])("parses MLTDiep %j as %s", (text, code) => {
    expect(parseMessageType(text)).toBe(code);
  });
});
