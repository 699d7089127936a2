import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { type MessageHeader, writeMessage } from "../envelope.ts";
import { decodeReply, type LookupReply, readLookupReply, writeLookupReply } from "./lookup-reply.ts";
import { writeTechnicalReceipt } from "./receipt.ts";
import { type RegistrationReceipt, writeRegistrationReceipt } from "./registration.ts";

const original = "V040148690141B924C263C34C13B5EF49E1DDB10CA5";

const receiptMessage = writeMessage(
  {
    version: "2.0.0",
    sender: "TCT",
    receiver: "V0401486901",
    type: 999,
    messageId: "TCT9CCBD05C4DAF43E787B29CF15C055F7B",
    replyTo: original,
  },
  writeTechnicalReceipt({
    messageId: original,
    sender: "V0401486901",
    receivedAt: "2022-01-12T16:24:22",
    status: 0,
  }),
);

const notice: RegistrationReceipt = {
  id: "Id-BAAA7B96",
  version: "2.0.0",
  form: "01/TB-TNĐT",
  title: "Về việc không tiếp nhận tờ khai đăng ký sử dụng HĐĐT",
  number: "70100220000002867",
  place: "Hồ Chí Minh",
  date: "2022-01-12",
  taxCode: "0301521415",
  taxpayerName: "CÔNG TY CỔ PHẦN TÔ THÀNH PHÁT",
  declarationName: "Tờ khai đăng ký/thay đổi thông tin sử dụng hóa đơn điện tử",
  transactionId: original,
  sentAt: "2022-01-12T16:24:22",
  case: 2,
  reasons: [{ code: "9992", description: "Đã tồn tại tờ khai đăng ký khác đã được chấp nhận" }],
  signatures: [{ name: "CQT", xml: "" }],
};
const noticeHeader: MessageHeader = {
  version: "2.0.0",
  sender: "TCT",
  receiver: "V0401486901",
  type: 102,
  messageId: "TCT41DB272DE3264AC9B841546900B450A2",
  replyTo: original,
  taxCode: "0301521415",
  count: 1,
};
const noticeMessage = writeMessage(noticeHeader, writeRegistrationReceipt(notice));

describe("KetQuaTraCuu", () => {
  it("writes MaGD, MaKetQua, MoTaKetQua, then the messages as given", () => {
    const x: LookupReply = {
      transactionId: "8A5A73DF",
      resultCode: "0",
      description: "CQT đã trả kết quả xử lý thông điệp",
      messages: [receiptMessage],
    };
    expect(writeLookupReply(x)).toBe(
      "<KetQuaTraCuu><MaGD>8A5A73DF</MaGD><MaKetQua>0</MaKetQua>" +
        `<MoTaKetQua>CQT đã trả kết quả xử lý thông điệp</MoTaKetQua><DuLieu>${receiptMessage}</DuLieu></KetQuaTraCuu>`,
    );
  });

  it("write → read is the identity, the messages byte-exact", () => {
    fc.assert(
      fc.property(
        fc.option(fc.stringMatching(/^[0-9A-F]{32}$/), { nil: undefined }),
        fc.constantFrom("0", "1", "2"),
        fc.option(fc.constantFrom("CQT đã trả kết quả", "Chưa có kết quả"), { nil: undefined }),
        fc.array(fc.constantFrom(receiptMessage, noticeMessage), { maxLength: 3 }),
        (transactionId, resultCode, description, messages) => {
          const x: LookupReply = { resultCode, messages };
          if (transactionId !== undefined) x.transactionId = transactionId;
          if (description !== undefined) x.description = description;
          const r = readLookupReply(writeLookupReply(x));
          if (!r.ok) throw new Error(JSON.stringify(r.problems));
          expect(r.value.reply).toEqual(x);
          expect(r.value.messages.map((m) => m.header.type)).toEqual(
            messages.map((m) => (m === receiptMessage ? 999 : 102)),
          );
        },
      ),
    );
  });

  it("decodes the 999 and 102 replies it holds", () => {
    const r = readLookupReply(
      writeLookupReply({ resultCode: "0", messages: [receiptMessage, noticeMessage] }),
    );
    if (!r.ok) throw new Error(JSON.stringify(r.problems));
    const [first, second] = r.value.messages.map((m) => decodeReply(m));
    expect(first).toEqual({
      ok: true,
      value: {
        type: 999,
        receipt: { messageId: original, sender: "V0401486901", receivedAt: "2022-01-12T16:24:22", status: 0 },
      },
    });
    expect(second).toEqual({ ok: true, value: { type: 102, notice } });
  });

  it("reports a broken message with its position in the reply", () => {
    const broken = noticeMessage.replace("<MNNhan>V0401486901</MNNhan>", "");
    const r = readLookupReply(writeLookupReply({ resultCode: "0", messages: [receiptMessage, broken] }));
    expect(r.ok ? [] : r.problems.map((p) => [p.code, p.path])).toEqual([
      ["ENVELOPE_FIELD_MISSING", "/KetQuaTraCuu/DuLieu/TDiep[2]/TTChung/MNNhan"],
    ]);
  });

  it("refuses a document without MaKetQua, or that is not a lookup reply", () => {
    const r = readLookupReply("<KetQuaTraCuu><DuLieu></DuLieu></KetQuaTraCuu>");
    expect(r.ok ? [] : r.problems.map((p) => [p.code, p.path])).toEqual([
      ["FORM_FIELD_MISSING", "/KetQuaTraCuu/MaKetQua"],
    ]);
    const s = readLookupReply("<TDiep></TDiep>");
    expect(s.ok ? [] : s.problems.map((p) => p.code)).toEqual(["FORM_WRONG_ROOT"]);
  });

  it("reports a broken payload with the message's path in front", () => {
    const broken = noticeMessage.replace("<TNNT>CÔNG TY CỔ PHẦN TÔ THÀNH PHÁT</TNNT>", "");
    const r = readLookupReply(writeLookupReply({ resultCode: "0", messages: [broken] }));
    if (!r.ok) throw new Error(JSON.stringify(r.problems));
    const d = decodeReply(r.value.messages[0]!, "/KetQuaTraCuu/DuLieu/TDiep[1]");
    expect(d.ok ? [] : d.problems.map((p) => [p.code, p.path])).toEqual([
      ["FORM_FIELD_MISSING", "/KetQuaTraCuu/DuLieu/TDiep[1]/DLieu/TBao/DLTBao/TNNT"],
    ]);
  });

  it("does not decode payloads of other message types", () => {
    const m = writeMessage(
      { ...noticeHeader, type: 204, messageId: "TCT41DB272DE3264AC9B841546900B450A3" },
      "<TBao></TBao>",
    );
    const r = readLookupReply(writeLookupReply({ resultCode: "0", messages: [m] }));
    if (!r.ok) throw new Error(JSON.stringify(r.problems));
    const d = decodeReply(r.value.messages[0]!);
    expect(d.ok ? [] : d.problems.map((p) => p.code)).toEqual(["LOOKUP_UNSUPPORTED_TYPE"]);
  });
});
