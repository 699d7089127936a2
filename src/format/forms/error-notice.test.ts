import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parseXml } from "../xml.ts";
import type { SignatureSlot } from "./common.ts";
import {
  type ErrorNotice,
  type ErrorNoticeAnswer,
  type ReviewNotice,
  readErrorNotice,
  readErrorNoticeAnswer,
  readReviewNotice,
  writeErrorNotice,
  writeErrorNoticeAnswer,
  writeReviewNotice,
} from "./error-notice.ts";

// --- arbitraries -----------------------------------------------------------------------------------------

const VI_CHARS = [
  ..."aăâbcdđeêghiklmnoôơpqrstuưvxyAĂÂĐÊÔƠƯáàảãạấầẩẫậắằẳẵặéèẻẽẹếềểễệíìỉĩịóòỏõọốồổỗộớờởỡợúùủũụứừửữựýỳỷỹỵ0123456789 -/.,&<>\"'",
];
const viText = (max = 40) =>
  fc
    .array(fc.constantFrom(...VI_CHARS), { minLength: 1, maxLength: max })
    .map((a) => a.join(""))
    .filter((s) => s.trim() !== "");
const code = (max: number) => fc.stringMatching(new RegExp(`^[0-9A-Z]{1,${max}}$`));
const date = fc
  .record({
    y: fc.integer({ min: 2010, max: 2030 }),
    m: fc.integer({ min: 1, max: 12 }),
    d: fc.integer({ min: 1, max: 28 }),
  })
  .map(({ y, m, d }) => `${y}-${String(m).padStart(2, "0")}-${String(d).padStart(2, "0")}`);
const dateTime = fc
  .tuple(date, fc.integer({ min: 0, max: 23 }), fc.integer({ min: 0, max: 59 }))
  .map(([d, h, m]) => `${d}T${String(h).padStart(2, "0")}:${String(m).padStart(2, "0")}:05`);
const opt = <T>(a: fc.Arbitrary<T>) => fc.option(a, { nil: undefined });
const signature = fc
  .tuple(fc.stringMatching(/^[0-9a-f]{8}$/), fc.base64String({ minLength: 4, maxLength: 40 }))
  .map(
    ([id, b64]) =>
      `<Signature xmlns="http://www.w3.org/2000/09/xmldsig#" Id="S-${id}"><SignedInfo><Reference URI="#D-${id}"></Reference></SignedInfo><SignatureValue>${b64}</SignatureValue></Signature>`,
  );
const slots = (name: string): fc.Arbitrary<SignatureSlot[]> =>
  fc.oneof(
    fc.constant(null).map((): SignatureSlot[] => [{ name, xml: "" }]),
    signature.map((xml): SignatureSlot[] => [{ name, xml }]),
  );
const reason = fc.record({
  index: opt(fc.integer({ min: 1, max: 9999 })),
  code: opt(code(4)),
  description: opt(viText()),
  content: fc.constant(undefined),
  advice: opt(viText()),
  note: opt(viText()),
});
const invoiceRef = {
  index: opt(fc.integer({ min: 1, max: 9999 })),
  template: opt(fc.constantFrom("1", "2", "01GTKT0/001")),
  series: opt(fc.constantFrom("C25TAA", "K26TYY", "AA/14E")),
  number: opt(fc.stringMatching(/^[0-9]{1,8}$/)),
  date: fc.oneof(date, dateTime),
  regime: fc.constantFrom(1 as const, 2 as const, 3 as const, 4 as const),
};
const nature = fc.constantFrom(0 as const, 1 as const, 2 as const, 3 as const, 4 as const, 5 as const);

const errorNotice: fc.Arbitrary<ErrorNotice> = fc.record({
  id: opt(fc.constantFrom("DLTBao-1", "SigningData")),
  version: fc.constantFrom("2.0.0", "2.1.0"),
  form: fc.constant("04/SS-HĐĐT"),
  name: viText(),
  kind: fc.constantFrom(1 as const, 2 as const),
  authorityNoticeNumber: opt(viText(30)),
  authorityNoticeDate: opt(date),
  authorityCode: code(5),
  authorityName: viText(),
  taxpayerName: viText(),
  taxCode: fc.constantFrom("0100109106", "0104831030-091"),
  budgetUnitCode: opt(code(7)),
  place: viText(),
  date,
  invoices: fc.array(
    fc.record({ ...invoiceRef, authorityCode: opt(code(34)), nature, reason: opt(viText()) }),
    { minLength: 1, maxLength: 4 },
  ),
  signatures: slots("NNT"),
});

const authorityHeader = {
  id: opt(fc.constant("Id-1")),
  version: fc.constantFrom("2.0.0", "2.1.0"),
  name: viText(),
  number: opt(viText(30)),
  place: viText(),
  date: opt(date),
  superiorAuthorityName: opt(viText()),
  authorityName: viText(),
  taxpayerName: viText(),
  taxCode: fc.constant("0202019860"),
  budgetUnitCode: opt(code(7)),
  signingForm: opt(viText()),
  signerTitle: opt(viText()),
  stamp: opt(fc.record({ id: opt(fc.constant("Id-2")), number: viText(30), date: fc.oneof(date, dateTime) })),
  signatures: slots("CQT"),
};

const answer: fc.Arbitrary<ErrorNoticeAnswer> = fc.record({
  ...authorityHeader,
  form: fc.constant("01/TB-SSĐT"),
  transactionId: fc.constant("V0107001729001F6CA05C0FAD546FCA237A8E930E7CB49"),
  receivedAt: dateTime,
  taxpayerNoticeDate: opt(date),
  noticeIndex: fc.integer({ min: 1, max: 9999 }),
  reasons: opt(fc.array(reason, { maxLength: 3 })),
  invoices: fc.array(
    fc.record({
      ...invoiceRef,
      authorityCode: opt(code(34)),
      nature,
      status: fc.constantFrom(1 as const, 2 as const),
      reasons: opt(fc.array(reason, { maxLength: 2 })),
    }),
    { maxLength: 3 },
  ),
});

const review: fc.Arbitrary<ReviewNotice> = fc.record({
  ...authorityHeader,
  form: fc.constant("01/TB-RSĐT"),
  taxpayerAddress: viText(),
  email: opt(fc.constant("ketoan@example.vn")),
  deadlineDays: fc.integer({ min: 1, max: 99 }),
  round: fc.integer({ min: 1, max: 9 }),
  invoices: fc.array(fc.record({ ...invoiceRef, reason: viText() }), { minLength: 1, maxLength: 3 }),
});

function root(xml: string) {
  const p = parseXml(xml);
  if (!p.ok) throw new Error(JSON.stringify(p.problems));
  return p.value;
}

// --- tests -----------------------------------------------------------------------------------------------

describe("04/SS-HĐĐT error notice", () => {
  it("reads back what it writes (with and without the source text)", () => {
    fc.assert(
      fc.property(errorNotice, (x) => {
        const xml = writeErrorNotice(x);
        const doc = root(xml);
        const withSource = readErrorNotice(doc.root, { source: doc.source });
        expect(withSource).toEqual({ ok: true, value: x });
        expect(readErrorNotice(doc.root)).toEqual({ ok: true, value: x });
      }),
      { numRuns: 200 },
    );
  });

  it("writes the elements in the reference order", () => {
    const xml = writeErrorNotice({
      id: "TB1",
      version: "2.1.0",
      form: "04/SS-HĐĐT",
      name: "Thông báo hóa đơn điện tử có sai sót",
      kind: 1,
      authorityCode: "10100",
      authorityName: "Cục Thuế Hà Nội",
      taxpayerName: "Công ty Cổ phần Ánh Dương",
      taxCode: "0100109106",
      place: "Hà Nội",
      date: "2025-07-01",
      invoices: [
        {
          index: 1,
          template: "1",
          series: "C25TAA",
          number: "12",
          date: "2025-06-20",
          regime: 1,
          nature: 2,
          reason: "Sai địa chỉ",
        },
      ],
      signatures: [{ name: "NNT", xml: "" }],
    });
    expect(xml).toBe(
      '<TBao><DLTBao Id="TB1"><PBan>2.1.0</PBan><MSo>04/SS-HĐĐT</MSo><Ten>Thông báo hóa đơn điện tử có sai sót</Ten>' +
        "<Loai>1</Loai><MCQT>10100</MCQT><TCQT>Cục Thuế Hà Nội</TCQT><TNNT>Công ty Cổ phần Ánh Dương</TNNT>" +
        "<MST>0100109106</MST><DDanh>Hà Nội</DDanh><NTBao>2025-07-01</NTBao><DSHDon><HDon><STT>1</STT>" +
        "<KHMSHDon>1</KHMSHDon><KHHDon>C25TAA</KHHDon><SHDon>12</SHDon><Ngay>2025-06-20</Ngay><LADHDDT>1</LADHDDT>" +
        "<TCTBao>2</TCTBao><LDo>Sai địa chỉ</LDo></HDon></DSHDon></DLTBao><DSCKS><NNT></NNT></DSCKS></TBao>",
    );
  });

  it("accepts the LADHĐĐT spelling, NLap for the date and unknown extra elements", () => {
    const xml =
      "<TBao><DLTBao><PBan>2.0.0</PBan><MSo>04/SS-HĐĐT</MSo><Ten>TB</Ten><Loai>2</Loai><So>12/TB</So>" +
      "<NTBCCQT>2024-01-02</NTBCCQT><MCQT>10100</MCQT><TCQT>CT</TCQT><TNNT>A</TNNT><MST>0100109106</MST>" +
      "<VendorX>x</VendorX><DDanh>HN</DDanh><NTBao>2024-01-05</NTBao><DSHDon><HDon><NLap>2023-12-30</NLap>" +
      "<LADHĐĐT>3</LADHĐĐT><TCTBao>1</TCTBao></HDon></DSHDon></DLTBao></TBao>";
    const r = readErrorNotice(root(xml).root);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.value.invoices[0]).toMatchObject({ date: "2023-12-30", regime: 3, nature: 1 });
    expect(r.value.signatures).toEqual([]);
  });

  it("refuses missing required fields with their paths", () => {
    const xml =
      "<TBao><DLTBao><PBan>2.1.0</PBan><MSo>04/SS-HĐĐT</MSo><Ten>TB</Ten><Loai>1</Loai><MCQT>10100</MCQT>" +
      "<TCQT>CT</TCQT><DDanh>HN</DDanh><NTBao>2025-07-01</NTBao><DSHDon><HDon><LADHDDT>1</LADHDDT>" +
      "<TCTBao>0</TCTBao></HDon></DSHDon></DLTBao></TBao>";
    const r = readErrorNotice(root(xml).root);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.problems.map((p) => [p.code, p.path])).toEqual(
      expect.arrayContaining([
        ["FORM_FIELD_MISSING", "/TBao/DLTBao/TNNT"],
        ["FORM_NO_TAXPAYER_ID", "/TBao/DLTBao/MST"],
        ["FORM_FIELD_MISSING", "/TBao/DLTBao/DSHDon/HDon[1]/Ngay"],
      ]),
    );
  });

  it("refuses a TCTBao outside 0–5 and a notice without invoices", () => {
    const head =
      "<TBao><DLTBao><PBan>2.1.0</PBan><MSo>04/SS-HĐĐT</MSo><Ten>TB</Ten><Loai>1</Loai><MCQT>1</MCQT><TCQT>C</TCQT>" +
      "<TNNT>A</TNNT><MST>0100109106</MST><DDanh>HN</DDanh><NTBao>2025-07-01</NTBao>";
    const bad = readErrorNotice(
      root(
        `${head}<DSHDon><HDon><Ngay>2025-06-01</Ngay><LADHDDT>1</LADHDDT><TCTBao>7</TCTBao></HDon></DSHDon></DLTBao></TBao>`,
      ).root,
    );
    expect(bad.ok ? [] : bad.problems.map((p) => [p.code, p.path])).toEqual([
      ["FORM_FIELD_BAD_CODE", "/TBao/DLTBao/DSHDon/HDon[1]/TCTBao"],
    ]);
    const empty = readErrorNotice(root(`${head}<DSHDon></DSHDon></DLTBao></TBao>`).root);
    expect(empty.ok ? [] : empty.problems.map((p) => p.code)).toEqual(["NOTICE_NO_INVOICES"]);
  });

  it("refuses a root that is not TBao and uses the given root path", () => {
    const r = readErrorNotice(root("<HDon></HDon>").root, { path: "/TDiep/DLieu/HDon" });
    expect(r.ok ? [] : r.problems.map((p) => [p.code, p.path])).toContainEqual([
      "FORM_WRONG_ROOT",
      "/TDiep/DLieu/HDon",
    ]);
  });

  it("keeps a signature byte-exact when read with the source", () => {
    const sig =
      '<Signature xmlns="http://www.w3.org/2000/09/xmldsig#" Id="seller"><SignedInfo>\n  <Reference URI="#TB1"/></SignedInfo></Signature>';
    const xml =
      '<TBao><DLTBao Id="TB1"><PBan>2.1.0</PBan><MSo>04/SS-HĐĐT</MSo><Ten>TB</Ten><Loai>1</Loai><MCQT>1</MCQT>' +
      "<TCQT>C</TCQT><TNNT>A</TNNT><MST>0100109106</MST><DDanh>HN</DDanh><NTBao>2025-07-01</NTBao><DSHDon><HDon>" +
      `<Ngay>2025-06-01</Ngay><LADHDDT>1</LADHDDT><TCTBao>2</TCTBao></HDon></DSHDon></DLTBao><DSCKS><NNT>${sig}</NNT></DSCKS></TBao>`;
    const doc = root(xml);
    const r = readErrorNotice(doc.root, { source: doc.source });
    expect(r.ok && r.value.signatures).toEqual([{ name: "NNT", xml: sig }]);
    expect(r.ok && writeErrorNotice(r.value)).toBe(xml);
  });
});

describe("01/TB-SSĐT answer", () => {
  it("reads back what it writes", () => {
    fc.assert(
      fc.property(answer, (x) => {
        const doc = root(writeErrorNoticeAnswer(x));
        expect(readErrorNoticeAnswer(doc.root, { source: doc.source })).toEqual({ ok: true, value: x });
      }),
      { numRuns: 200 },
    );
  });

  it("reads a notice shaped like the tax authority's (STBao outside DLTBao, DSLDKTNhan list name)", () => {
    const xml =
      '<TBao><DLTBao Id="Id-a"><PBan>2.0.0</PBan><MSo>01/TB-SSĐT</MSo><Ten>Thông báo</Ten><DDanh>Hải Phòng</DDanh>' +
      "<TCQTCTren>Cục thuế Thành phố Hải phòng</TCQTCTren><TCQT>Chi cục Thuế khu vực Hồng Bàng</TCQT><TNNT>Công ty A</TNNT>" +
      "<MST>0202019860</MST><MGDDTu>V0107001729001F6CA05C0FAD546FCA237A8E930E7CB49</MGDDTu><TGNhan>2022-01-04T08:34:22</TGNhan>" +
      "<STTThe>1</STTThe><HThuc>KT. Chi Cục Trưởng</HThuc><CDanh>Phó Chi Cục Trưởng</CDanh>" +
      "<DSLDKTNhan><LDo><MLoi>2005</MLoi><MTLoi>Sai</MTLoi><HDXLy>Gửi lại</HDXLy></LDo></DSLDKTNhan>" +
      "<DSHDon><HDon><STT>1</STT><KHMSHDon>1</KHMSHDon><KHHDon>C22TAA</KHHDon><SHDon>5</SHDon><NLap>2022-01-01</NLap>" +
      "<LADHĐĐT>1</LADHĐĐT><TCTBao>2</TCTBao><TTTNCCQT>2</TTTNCCQT><DSLDKTNhan><LDo><MLoi>1</MLoi><MTa>Trùng</MTa></LDo>" +
      '</DSLDKTNhan></HDon></DSHDon></DLTBao><STBao Id="Id-b"><So>14TB-CCTKV</So><NTBao>2022-01-04T08:34:22</NTBao></STBao>' +
      "<DSCKS><TTCQT></TTCQT></DSCKS></TBao>";
    const r = readErrorNoticeAnswer(root(xml).root);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.value.stamp).toEqual({ id: "Id-b", number: "14TB-CCTKV", date: "2022-01-04T08:34:22" });
    expect(r.value.reasons).toEqual([
      {
        index: undefined,
        code: "2005",
        description: "Sai",
        content: undefined,
        advice: "Gửi lại",
        note: undefined,
      },
    ]);
    expect(r.value.invoices[0]).toMatchObject({ status: 2, nature: 2, date: "2022-01-01" });
    expect(r.value.invoices[0]?.reasons?.[0]).toMatchObject({ code: "1", description: "Trùng" });
    expect(r.value.signatures).toEqual([{ name: "TTCQT", xml: "" }]);
  });
});

describe("01/TB-RSĐT review notice", () => {
  it("reads back what it writes", () => {
    fc.assert(
      fc.property(review, (x) => {
        const doc = root(writeReviewNotice(x));
        expect(readReviewNotice(doc.root, { source: doc.source })).toEqual({ ok: true, value: x });
      }),
      { numRuns: 200 },
    );
  });

  it("refuses a deadline that is not a whole number and a missing reason", () => {
    const xml =
      "<TBao><DLTBao><PBan>2.1.0</PBan><MSo>01/TB-RSĐT</MSo><Ten>TB</Ten><DDanh>HN</DDanh><TCQT>C</TCQT><TNNT>A</TNNT>" +
      "<MST>0100109106</MST><DCNNT>Số 1 Tràng Tiền</DCNNT><THan>mười</THan><Lan>1</Lan><DSHDon><HDon><Ngay>2025-06-01</Ngay>" +
      "<LADHDDT>1</LADHDDT></HDon></DSHDon></DLTBao></TBao>";
    const r = readReviewNotice(root(xml).root);
    expect(r.ok ? [] : r.problems.map((p) => [p.code, p.path])).toEqual([
      ["FORM_FIELD_MISSING", "/TBao/DLTBao/DSHDon/HDon[1]/LDo"],
      ["FORM_FIELD_NOT_INTEGER", "/TBao/DLTBao/THan"],
    ]);
  });
});
