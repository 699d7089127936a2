import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parseXml } from "../xml.ts";
import {
  type CodeRequirementNotice,
  type Registration,
  type RegistrationDecision,
  type RegistrationReceipt,
  readCodeRequirementNotice,
  readRegistration,
  readRegistrationDecision,
  readRegistrationReceipt,
  writeCodeRequirementNotice,
  writeRegistration,
  writeRegistrationDecision,
  writeRegistrationReceipt,
} from "./registration.ts";

// ---------------------------------------------------------------------------------------------------------
// Arbitraries

const VI = [
  ..."aăâbcdđeêghiklmnoôơpqrstuưvxyAĂÂBCDĐEÊGHIKLMNOÔƠPQRSTUƯVXY",
  ..."àáảãạằắẳẵặầấẩẫậèéẻẽẹềếểễệìíỉĩịòóỏõọồốổỗộờớởỡợùúủũụừứửữựỳýỷỹỵ",
  ..."ĐÀÁẢÃẠỀẾỂỄỆỜỚỞỠỢỪỨỬỮỰ0123456789 .,-/&<>\"'()",
];
/** Non-blank Vietnamese text of 1..max characters (NFC, as the writer writes). */
const viText = (max: number) =>
  fc
    .array(fc.constantFrom(...VI), { minLength: 1, maxLength: Math.min(max, 40) })
    .map((a) => a.join(""))
    .filter((s) => s.trim() !== "");
const digits = (n: number) =>
  fc.string({ unit: fc.constantFrom(..."0123456789"), minLength: n, maxLength: n });
const taxCode = fc.oneof(
  digits(10),
  digits(10).map((d) => `${d}-001`),
);
const day = fc
  .date({ min: new Date("2000-01-01T00:00:00Z"), max: new Date("2099-12-31T00:00:00Z"), noInvalidDate: true })
  .map((d) => d.toISOString().slice(0, 10));
const dateTime = fc
  .date({ min: new Date("2000-01-01T00:00:00Z"), max: new Date("2099-12-31T00:00:00Z"), noInvalidDate: true })
  .map((d) => d.toISOString().slice(0, 19));
const id = fc.option(fc.stringMatching(/^Id-[0-9a-f]{8}$/), { nil: undefined });
const signature = fc.constantFrom(
  "",
  `<Signature xmlns="http://www.w3.org/2000/09/xmldsig#" Id="s1"><SignatureValue>QUJD</SignatureValue></Signature>`,
);
const slots = (...names: string[]) =>
  fc.tuple(...names.map((n) => signature.map((xml) => ({ name: n, xml }))));
const reasons = fc.array(fc.record({ code: digits(4), description: viText(255) }), {
  minLength: 1,
  maxLength: 3,
});

function clean<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

const provider = fc.record(
  {
    index: fc.integer({ min: 1, max: 999 }),
    name: viText(400),
    taxCode: digits(10),
    from: day,
    to: day,
    note: viText(255),
  },
  { requiredKeys: ["name", "taxCode", "from"] },
);

const registration: fc.Arbitrary<Registration> = fc
  .record({
    id,
    version: fc.constantFrom("2.0.0", "2.0.1", "2.1.0"),
    title: viText(100),
    kind: fc.constantFrom(1 as const, 2 as const),
    taxpayerName: viText(400),
    taxCode,
    authorityName: viText(100),
    authorityCode: digits(5),
    representativeName: fc.option(viText(50), { nil: undefined }),
    representativePhone: fc.option(digits(10), { nil: undefined }),
    citizenId: fc.option(digits(12), { nil: undefined }),
    passport: fc.option(viText(20), { nil: undefined }),
    representativeBirthDate: fc.option(day, { nil: undefined }),
    representativeGender: fc.option(fc.constantFrom(0 as const, 1 as const), { nil: undefined }),
    contactName: fc.option(viText(50), { nil: undefined }),
    contactAddress: viText(400),
    email: fc.stringMatching(/^[a-z]{1,10}@[a-z]{1,10}\.vn$/),
    contactPhone: fc.option(digits(10), { nil: undefined }),
    place: viText(50),
    date: day,
    withCode: fc.boolean(),
    withoutCode: fc.boolean(),
    cashRegister: fc.option(fc.boolean(), { nil: undefined }),
    flags: fc.array(fc.boolean(), { minLength: 10, maxLength: 10 }),
    optFlags: fc.array(fc.option(fc.boolean(), { nil: undefined }), { minLength: 4, maxLength: 4 }),
    certificates: fc.array(
      fc.record(
        {
          index: fc.integer({ min: 1, max: 999 }),
          issuer: viText(400),
          serial: fc.stringMatching(/^[0-9A-F]{16,40}$/),
          validFrom: dateTime,
          validTo: dateTime,
          action: fc.constantFrom(1 as const, 2 as const, 3 as const),
        },
        { requiredKeys: ["issuer", "serial", "validFrom", "validTo", "action"] },
      ),
      { maxLength: 3 },
    ),
    solutionProviders: fc.option(fc.array(provider, { maxLength: 2 }), { nil: undefined }),
    transmissionProviders: fc.option(fc.array(provider, { maxLength: 2 }), { nil: undefined }),
    signatures: slots("NNT", "CCKSKhac"),
  })
  .map((g) => {
    const old = g.version.startsWith("2.0");
    const [f0, f1, f2, f3, f4, f5, f6, f7, f8, f9] = g.flags as [boolean, ...boolean[]];
    const x: Registration = clean({
      id: g.id,
      version: g.version,
      form: "01/ĐKTĐ-HĐĐT",
      title: g.title,
      kind: g.kind,
      taxpayerName: g.taxpayerName,
      taxCode: g.taxCode,
      authorityName: g.authorityName,
      authorityCode: g.authorityCode,
      representativeName: g.representativeName,
      representativePhone: g.representativePhone,
      citizenId: g.citizenId,
      passport: g.passport,
      representativeBirthDate: g.representativeBirthDate,
      representativeGender: g.representativeGender,
      contactName: old ? (g.contactName ?? "Nguyễn Văn A") : g.contactName,
      contactAddress: g.contactAddress,
      email: g.email,
      contactPhone: old ? (g.contactPhone ?? "0901234567") : g.contactPhone,
      place: g.place,
      date: g.date,
      invoiceForms: clean({ withCode: g.withCode, withoutCode: g.withoutCode, cashRegister: g.cashRegister }),
      sending: clean({
        difficultArea: f0,
        provincialProposal: f1!,
        publicAssetAgency: g.optFlags[0],
        directToAuthority: f2!,
        viaTransmission: f3!,
      }),
      transfer: { full: f4!, summary: f5! },
      invoiceTypes: clean({
        vat: f6!,
        vatWithReceipt: g.optFlags[1],
        sales: f7!,
        salesWithReceipt: g.optFlags[2],
        commercial: g.optFlags[3],
        publicAssets: f8!,
        nationalReserve: f9!,
        other: f0,
        documents: f1!,
      }),
      certificates: g.certificates,
      solutionProviders: g.solutionProviders,
      transmissionProviders: g.transmissionProviders,
      signatures: [...g.signatures],
    });
    return x;
  });

function roundTrip<T>(write: (x: T) => string, read: typeof readRegistration, x: T): unknown {
  const xml = write(x);
  const p = parseXml(xml);
  if (!p.ok) throw new Error(JSON.stringify(p.problems));
  const r = read(p.value.root, p.value.source);
  if (!r.ok) throw new Error(`${xml}\n${JSON.stringify(r.problems, null, 1)}`);
  return r.value;
}

function problemsOf(
  read: (el: import("../xml.ts").XmlElement, source?: string) => { ok: boolean; problems?: unknown },
  xml: string,
): Array<{ code: string; path: string }> {
  const p = parseXml(xml);
  if (!p.ok) throw new Error("bad xml");
  const r = read(p.value.root, p.value.source) as
    | { ok: true }
    | { ok: false; problems: Array<{ code: string; path: string }> };
  return r.ok ? [] : r.problems.map(({ code, path }) => ({ code, path }));
}

// ---------------------------------------------------------------------------------------------------------

const sample: Registration = {
  id: "Id-6213B5FD",
  version: "2.1.0",
  form: "01/ĐKTĐ-HĐĐT",
  title: "Tờ khai đăng ký/thay đổi thông tin sử dụng hóa đơn điện tử",
  kind: 1,
  taxpayerName: "Công ty TNHH Hào Hưng",
  taxCode: "0202019860",
  authorityName: "Chi cục Thuế khu vực Hồng Bàng - An Dương",
  authorityCode: "10113",
  representativeName: "Trần Thị Lê",
  representativePhone: "0901234567",
  citizenId: "001190012345",
  representativeBirthDate: "1978-12-07",
  representativeGender: 0,
  contactAddress: "12 Lạch Tray, Hải Phòng",
  email: "ketoan@haohung.vn",
  place: "Hải Phòng",
  date: "2025-07-01",
  invoiceForms: { withCode: true, withoutCode: false, cashRegister: false },
  sending: {
    difficultArea: false,
    provincialProposal: false,
    publicAssetAgency: false,
    directToAuthority: false,
    viaTransmission: true,
  },
  transfer: { full: true, summary: false },
  invoiceTypes: {
    vat: true,
    vatWithReceipt: false,
    sales: false,
    salesWithReceipt: false,
    commercial: false,
    publicAssets: false,
    nationalReserve: false,
    other: false,
    documents: false,
  },
  certificates: [
    {
      index: 1,
      issuer: "VNPT-CA",
      serial: "4A0112440956D88FD8468689",
      validFrom: "2024-12-01T00:00:00",
      validTo: "2027-12-01T23:59:59",
      action: 1,
    },
  ],
  signatures: [
    { name: "NNT", xml: "" },
    { name: "CCKSKhac", xml: "" },
  ],
};

describe("01/ĐKTĐ-HĐĐT", () => {
  it("writes 2.1.0 in the reference order: representative after MCQTQLy, contact after e-mail", () => {
    const xml = writeRegistration(sample);
    expect(xml).toContain(
      "<MCQTQLy>10113</MCQTQLy><TNDDPLuat>Trần Thị Lê</TNDDPLuat><DTDDPLuat>0901234567</DTDDPLuat>" +
        "<CCCDan>001190012345</CCCDan><NSDDPLuat>1978-12-07</NSDDPLuat><GTinh>0</GTinh>" +
        "<DCLHe>12 Lạch Tray, Hải Phòng</DCLHe><DCTDTu>ketoan@haohung.vn</DCTDTu><DDanh>",
    );
    expect(xml).toContain(
      "<NDTKhai><HTHDon><CMa>1</CMa><KCMa>0</KCMa><CMTMTTien>0</CMTMTTien></HTHDon><HTGDLHDDT>" +
        "<NNTDBKKhan>0</NNTDBKKhan><NNTKTDNUBND>0</NNTKTDNUBND><CQXLTSCong>0</CQXLTSCong>" +
        "<CDLTTDCQT>0</CDLTTDCQT><CDLQTCTN>1</CDLQTCTN></HTGDLHDDT><PThuc><CDDu>1</CDDu><CBTHop>0</CBTHop></PThuc>" +
        "<LHDSDung><HDGTGT>1</HDGTGT><HDGTGTTHBLai>0</HDGTGTTHBLai><HDBHang>0</HDBHang><HDBHTHBLai>0</HDBHTHBLai>" +
        "<HDTMai>0</HDTMai><HDBTSCong>0</HDBTSCong><HDBHDTQGia>0</HDBHDTQGia><HDKhac>0</HDKhac><CTu>0</CTu></LHDSDung>",
    );
    expect(xml.startsWith(`<TKhai><DLTKhai Id="Id-6213B5FD"><TTChung><PBan>2.1.0</PBan>`)).toBe(true);
    expect(xml.endsWith("<DSCKS><NNT></NNT><CCKSKhac></CCKSKhac></DSCKS></TKhai>")).toBe(true);
  });

  it("writes 2.0.x in the 1450 order: NLHe, DCLHe, DCTDTu, DTLHe", () => {
    const old: Registration = { ...sample, version: "2.0.0", contactName: "Lê Văn B", contactPhone: "0912" };
    expect(writeRegistration(old)).toContain(
      "<NLHe>Lê Văn B</NLHe><DCLHe>12 Lạch Tray, Hải Phòng</DCLHe><DCTDTu>ketoan@haohung.vn</DCTDTu>" +
        "<DTLHe>0912</DTLHe><DDanh>",
    );
  });

  it("write → read is the identity", () => {
    fc.assert(
      fc.property(registration, (x) => {
        expect(roundTrip(writeRegistration, readRegistration, x)).toEqual(x);
      }),
      { numRuns: 200 },
    );
  });

  it("keeps signature slots byte-exact when read with the source", () => {
    const sig = `<Signature xmlns="http://www.w3.org/2000/09/xmldsig#"><SignedInfo/><X a='1'/></Signature>`;
    const xml = writeRegistration(sample).replace("<NNT></NNT>", `<NNT>${sig}</NNT>`);
    const p = parseXml(xml);
    const r = p.ok ? readRegistration(p.value.root, p.value.source) : undefined;
    expect(r?.ok && r.value.signatures[0]).toEqual({ name: "NNT", xml: sig });
  });

  it("reads CDLQTVAN (a QĐ 1450 model's name) as data sent through a T-VAN", () => {
    const xml = writeRegistration(sample).replace(/<CDLQTCTN>1<\/CDLQTCTN>/, "<CDLQTVAN>1</CDLQTVAN>");
    const p = parseXml(xml);
    const r = p.ok ? readRegistration(p.value.root) : undefined;
    expect(r?.ok && r.value.sending.viaTransmission).toBe(true);
  });

  it("refuses missing required fields with codes and paths", () => {
    const xml = writeRegistration(sample)
      .replace(/<MST>[^<]*<\/MST>/, "")
      .replace(/<KCMa>0<\/KCMa>/, "")
      .replace(/<Seri>[^<]*<\/Seri>/, "");
    expect(problemsOf(readRegistration, xml)).toEqual([
      { code: "FORM_FIELD_MISSING", path: "/TKhai/DLTKhai/TTChung/MST" },
      { code: "FORM_FIELD_MISSING", path: "/TKhai/DLTKhai/NDTKhai/HTHDon/KCMa" },
      { code: "FORM_FIELD_MISSING", path: "/TKhai/DLTKhai/NDTKhai/DSCTSSDung/CTS[1]/Seri" },
    ]);
  });

  it("requires the contact person and phone in 2.0.x only", () => {
    const old = writeRegistration({ ...sample, version: "2.0.1" });
    expect(problemsOf(readRegistration, old)).toEqual([
      { code: "FORM_FIELD_MISSING", path: "/TKhai/DLTKhai/TTChung/NLHe" },
      { code: "FORM_FIELD_MISSING", path: "/TKhai/DLTKhai/TTChung/DTLHe" },
    ]);
    expect(problemsOf(readRegistration, writeRegistration(sample))).toEqual([]);
  });

  it("refuses missing groups, the signature block included", () => {
    const xml = writeRegistration(sample)
      .replace(/<PThuc>.*<\/PThuc>/, "")
      .replace(/<DSCKS>.*<\/DSCKS>/, "");
    expect(problemsOf(readRegistration, xml)).toEqual([
      { code: "FORM_FIELD_MISSING", path: "/TKhai/DLTKhai/NDTKhai/PThuc" },
      { code: "FORM_FIELD_MISSING", path: "/TKhai/DSCKS" },
    ]);
  });

  it("refuses flags other than 0/1, unknown codes, bad dates, over-long text and a wrong form number", () => {
    const xml = writeRegistration(sample)
      .replace("<CMa>1</CMa>", "<CMa>2</CMa>")
      .replace("<HThuc>1</HThuc><TNNT>", "<HThuc>3</HThuc><TNNT>")
      .replace("<NLap>2025-07-01</NLap>", "<NLap>01/07/2025</NLap>")
      .replace("<MCQTQLy>10113</MCQTQLy>", "<MCQTQLy>101130</MCQTQLy>")
      .replace("<MSo>01/ĐKTĐ-HĐĐT</MSo>", "<MSo>01/TB-ĐKĐT</MSo>");
    expect(problemsOf(readRegistration, xml)).toEqual([
      { code: "REGISTRATION_WRONG_FORM", path: "/TKhai/DLTKhai/TTChung/MSo" },
      { code: "FORM_FIELD_BAD_CODE", path: "/TKhai/DLTKhai/TTChung/HThuc" },
      { code: "FORM_FIELD_TOO_LONG", path: "/TKhai/DLTKhai/TTChung/MCQTQLy" },
      { code: "FORM_FIELD_BAD_DATE", path: "/TKhai/DLTKhai/TTChung/NLap" },
      { code: "FORM_FIELD_BAD_CODE", path: "/TKhai/DLTKhai/NDTKhai/HTHDon/CMa" },
    ]);
  });

  it("counts lengths in characters, not bytes (Vietnamese text)", () => {
    const name = "Đ".repeat(400);
    expect(problemsOf(readRegistration, writeRegistration({ ...sample, taxpayerName: name }))).toEqual([]);
    expect(problemsOf(readRegistration, writeRegistration({ ...sample, taxpayerName: `${name}a` }))).toEqual([
      { code: "FORM_FIELD_TOO_LONG", path: "/TKhai/DLTKhai/TTChung/TNNT" },
    ]);
  });

  it("refuses another root element", () => {
    expect(problemsOf(readRegistration, "<TBao></TBao>")[0]).toEqual({
      code: "FORM_WRONG_ROOT",
      path: "/TBao",
    });
  });
});

// ---------------------------------------------------------------------------------------------------------

const receipt: fc.Arbitrary<RegistrationReceipt> = fc
  .record({
    id,
    version: fc.constantFrom("2.0.0", "2.1.0"),
    title: viText(255),
    number: fc.stringMatching(/^[0-9]{1,30}$/),
    place: viText(50),
    date: day,
    taxCode,
    taxpayerName: viText(400),
    declarationName: viText(100),
    transactionId: fc.stringMatching(/^V[0-9]{10}[0-9A-F]{32}$/),
    sentAt: dateTime,
    case: fc.constantFrom(1 as const, 2 as const, 3 as const, 4 as const),
    receivedAt: fc.option(dateTime, { nil: undefined }),
    reasons: fc.option(reasons, { nil: undefined }),
    signatures: slots("CQT"),
  })
  .map((g) =>
    clean({
      ...g,
      form: "01/TB-TNĐT",
      receivedAt: g.case === 1 || g.case === 3 ? (g.receivedAt ?? g.sentAt) : g.receivedAt,
      signatures: [...g.signatures],
    }),
  );

describe("01/TB-TNĐT (102)", () => {
  it("write → read is the identity", () => {
    fc.assert(
      fc.property(receipt, (x) => {
        expect(roundTrip(writeRegistrationReceipt, readRegistrationReceipt as never, x)).toEqual(x);
      }),
      { numRuns: 200 },
    );
  });

  it("requires TGNhan when the declaration was received (THop 1 or 3), not otherwise", () => {
    const x: RegistrationReceipt = {
      version: "2.0.0",
      form: "01/TB-TNĐT",
      title: "Về việc tiếp nhận tờ khai",
      number: "7922220000007366",
      place: "Hà Nội",
      date: "2022-01-17",
      taxCode: "0314080292",
      taxpayerName: "TRẦN THỊ LÊ",
      declarationName: "Tờ khai đăng ký/thay đổi thông tin sử dụng hóa đơn điện tử",
      transactionId: "V04014869018A5A73DF108D4181965B5854E76D39E2",
      sentAt: "2022-01-17T10:22:23",
      case: 1,
      signatures: [{ name: "CQT", xml: "" }],
    };
    expect(problemsOf(readRegistrationReceipt, writeRegistrationReceipt(x))).toEqual([
      { code: "FORM_FIELD_MISSING", path: "/TBao/DLTBao/TGNhan" },
    ]);
    expect(problemsOf(readRegistrationReceipt, writeRegistrationReceipt({ ...x, case: 2 }))).toEqual([]);
  });

  it("refuses a reason without its code, and an unknown THop", () => {
    const x = writeRegistrationReceipt({
      version: "2.0.0",
      form: "01/TB-TNĐT",
      title: "T",
      number: "1",
      place: "P",
      date: "2022-01-12",
      taxCode: "0301521415",
      taxpayerName: "N",
      declarationName: "D",
      transactionId: "V040148690141B924C263C34C13B5EF49E1DDB10CA5",
      sentAt: "2022-01-12T16:24:22",
      case: 2,
      reasons: [{ description: "Đã tồn tại tờ khai" }],
      signatures: [],
    }).replace("<THop>2</THop>", "<THop>5</THop>");
    expect(problemsOf(readRegistrationReceipt, x)).toEqual([
      { code: "FORM_FIELD_BAD_CODE", path: "/TBao/DLTBao/THop" },
      { code: "FORM_FIELD_MISSING", path: "/TBao/DLTBao/DSLDKCNhan/LDo[1]/MLoi" },
    ]);
  });
});

// ---------------------------------------------------------------------------------------------------------

const decision: fc.Arbitrary<RegistrationDecision> = fc
  .record({
    id,
    version: fc.constantFrom("2.0.0", "2.1.0"),
    title: viText(255),
    place: viText(50),
    parentAuthority: viText(100),
    authority: viText(100),
    taxCode,
    taxpayerName: viText(400),
    registeredOn: fc.oneof(day, dateTime),
    registrationKind: fc.constantFrom(1 as const, 2 as const),
    status: fc.constantFrom(1 as const, 2 as const),
    cashRegisterCode: fc.option(fc.stringMatching(/^[A-Z0-9]{5}$/), { nil: undefined }),
    signerCapacity: viText(50),
    signerTitle: viText(50),
    reasons: fc.option(reasons, { nil: undefined }),
    notice: fc.option(
      fc.record({ id, number: fc.stringMatching(/^[0-9]{1,6}TB-[A-Z]{2,10}$/), date: dateTime }).map(clean),
      { nil: undefined },
    ),
    signatures: slots("TTCQT", "CQT"),
  })
  .map((g) => clean({ ...g, form: "01/TB-ĐKĐT", signatures: [...g.signatures] }));

describe("01/TB-ĐKĐT (103)", () => {
  it("write → read is the identity", () => {
    fc.assert(
      fc.property(decision, (x) => {
        expect(roundTrip(writeRegistrationDecision, readRegistrationDecision as never, x)).toEqual(x);
      }),
      { numRuns: 200 },
    );
  });

  it("writes STBao after DLTBao and before DSCKS, as the tax authority does", () => {
    const xml = writeRegistrationDecision({
      version: "2.0.0",
      form: "01/TB-ĐKĐT",
      title: "Thông báo",
      place: "Hải Phòng",
      parentAuthority: "Cục thuế",
      authority: "Chi cục",
      taxCode: "0202019860",
      taxpayerName: "N",
      registeredOn: "2021-12-31T07:00:00",
      registrationKind: 1,
      status: 1,
      signerCapacity: "KT. Chi Cục Trưởng",
      signerTitle: "Phó Chi Cục Trưởng",
      notice: { id: "Id-2", number: "14TB-CCTKV", date: "2022-01-04T08:34:22" },
      signatures: [{ name: "TTCQT", xml: "" }],
    });
    expect(xml).toContain(
      `<CDanh>Phó Chi Cục Trưởng</CDanh></DLTBao><STBao Id="Id-2"><So>14TB-CCTKV</So>` +
        `<NTBao>2022-01-04T08:34:22</NTBao></STBao><DSCKS><TTCQT></TTCQT></DSCKS></TBao>`,
    );
  });

  it("refuses an unknown TTXNCQT and a missing CDanh", () => {
    const xml =
      "<TBao><DLTBao><PBan>2.0.0</PBan><MSo>01/TB-ĐKĐT</MSo><Ten>T</Ten><DDanh>D</DDanh><TCQTCTren>A</TCQTCTren>" +
      "<TCQT>B</TCQT><MST>0202019860</MST><TNNT>N</TNNT><Ngay>2021-12-31</Ngay><HTDKy>1</HTDKy>" +
      "<TTXNCQT>3</TTXNCQT><HThuc>KT</HThuc></DLTBao><DSCKS></DSCKS></TBao>";
    expect(problemsOf(readRegistrationDecision, xml)).toEqual([
      { code: "FORM_FIELD_BAD_CODE", path: "/TBao/DLTBao/TTXNCQT" },
      { code: "FORM_FIELD_MISSING", path: "/TBao/DLTBao/CDanh" },
    ]);
  });
});

// ---------------------------------------------------------------------------------------------------------

const requirement: fc.Arbitrary<CodeRequirementNotice> = fc
  .record({
    id,
    version: fc.constantFrom("2.0.0", "2.1.0"),
    title: viText(255),
    number: fc.stringMatching(/^[0-9]{1,10}\/TB-[A-Z]{3}$/),
    place: viText(50),
    date: day,
    parentAuthority: viText(100),
    authority: viText(100),
    taxpayerName: viText(400),
    taxCode,
    case: fc.constantFrom(1 as const, 2 as const),
    switchBy: day,
    signatures: slots("CQT"),
  })
  .map((g) => clean({ ...g, form: "01/TB-KTT", signatures: [...g.signatures] }));

describe("01/TB-KTT (105)", () => {
  it("write → read is the identity", () => {
    fc.assert(
      fc.property(requirement, (x) => {
        expect(roundTrip(writeCodeRequirementNotice, readCodeRequirementNotice as never, x)).toEqual(x);
      }),
      { numRuns: 200 },
    );
  });

  it("writes the 1510 element order", () => {
    const xml = writeCodeRequirementNotice({
      version: "2.0.1",
      form: "01/TB-KTT",
      title: "Thông báo",
      number: "12/TB-CCT",
      place: "Hà Nội",
      date: "2025-06-01",
      parentAuthority: "Cục Thuế",
      authority: "Thuế cơ sở 1",
      taxpayerName: "Hộ kinh doanh A",
      taxCode: "8000000001",
      case: 2,
      switchBy: "2025-06-15",
      signatures: [{ name: "CQT", xml: "" }],
    });
    expect(xml).toBe(
      "<TBao><DLTBao><PBan>2.0.1</PBan><MSo>01/TB-KTT</MSo><Ten>Thông báo</Ten><So>12/TB-CCT</So>" +
        "<DDanh>Hà Nội</DDanh><NTBao>2025-06-01</NTBao><TCQTCTren>Cục Thuế</TCQTCTren><TCQT>Thuế cơ sở 1</TCQT>" +
        "<TNNT>Hộ kinh doanh A</TNNT><MST>8000000001</MST><THop>2</THop><NYCCDoi>2025-06-15</NYCCDoi></DLTBao>" +
        "<DSCKS><CQT></CQT></DSCKS></TBao>",
    );
  });

  it("refuses a notice of another form", () => {
    const xml = writeCodeRequirementNotice({
      version: "2.0.1",
      form: "01/TB-KTDL",
      title: "T",
      number: "1",
      place: "P",
      date: "2025-06-01",
      parentAuthority: "A",
      authority: "B",
      taxpayerName: "N",
      taxCode: "8000000001",
      case: 1,
      switchBy: "2025-06-15",
      signatures: [],
    });
    expect(problemsOf(readCodeRequirementNotice, xml)).toEqual([
      { code: "REGISTRATION_WRONG_FORM", path: "/TBao/DLTBao/MSo" },
    ]);
  });
});
