/**
 * Test helpers for signing: real fixtures, a realistic unsigned invoice in hddt's canonical form, and a
 * development PKI (CA, seller, buyer, authority) made once per test process.
 */
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Element } from "@xmldom/xmldom";
import { canonicalize, parseDom } from "../../src/signing/c14n.ts";
import { createDevCa, type DevCa, type DevIdentity, issueCertificate } from "../../src/signing/dev-ca.ts";
import { memorySigner, type Signer } from "../../src/signing/signer.ts";

export const FIXTURES = join(import.meta.dirname, "..", "fixtures", "real");

export function fixture(name: string): string {
  return readFileSync(join(FIXTURES, name), "utf8");
}

export const SELLER_TAX_CODE = "0100109106";
export const BUYER_TAX_CODE = "4500673836";

export interface InvoiceOptions {
  /** Goods lines kept (default 10). */
  readonly lines?: number;
  readonly id?: string;
  readonly sellerTaxCode?: string;
  /** Keep an empty DSCKS with NBan, NMua, CQT, CCKSKhac (default true). */
  readonly dscks?: boolean;
  /** Add an MCCQT with this Id (for the tax authority's signature). */
  readonly mccqtId?: string;
}

/**
 * A real 2025 BKAV invoice with its signatures and code removed, cut to `lines` goods lines, the seller's tax
 * code replaced by the test one, written in canonical form (as hddt's writer emits documents).
 */
export function unsignedInvoice(options: InvoiceOptions = {}): string {
  const doc = parseDom(fixture("bkav-c25tac-00001144.xml"));
  const root = doc.documentElement!;
  const dl = root.getElementsByTagName("DLHDon").item(0)!;
  dl.setAttribute("Id", options.id ?? "DLHDon-C25TAC-00001144");
  const lines = dl.getElementsByTagName("HHDVu");
  const keep = options.lines ?? 10;
  const all: Element[] = [];
  for (let i = 0; i < lines.length; i++) all.push(lines.item(i)!);
  for (const [i, el] of all.entries()) if (i >= keep) el.parentNode!.removeChild(el);
  const nban = dl.getElementsByTagName("NBan").item(0)!;
  nban.getElementsByTagName("MST").item(0)!.textContent = options.sellerTaxCode ?? SELLER_TAX_CODE;
  for (const name of ["MCCQT", "DSCKS"]) {
    const el = root.getElementsByTagName(name).item(0);
    if (el) root.removeChild(el);
  }
  if (options.mccqtId !== undefined) {
    const m = doc.createElement("MCCQT");
    m.setAttribute("Id", options.mccqtId);
    m.appendChild(doc.createTextNode("00A1B2C3D4E5F60718293A4B5C6D7E8F90"));
    root.appendChild(m);
  }
  if (options.dscks !== false) {
    const d = doc.createElement("DSCKS");
    for (const slot of ["NBan", "NMua", "CQT", "CCKSKhac"]) d.appendChild(doc.createElement(slot));
    root.appendChild(d);
  }
  return canonicalize(doc);
}

export interface TestPki {
  readonly ca: DevCa;
  readonly seller: DevIdentity;
  readonly buyer: DevIdentity;
  readonly authority: DevIdentity;
  readonly sellerSigner: Signer;
  readonly buyerSigner: Signer;
  readonly authoritySigner: Signer;
}

let pkiPromise: Promise<TestPki> | undefined;

/** One development PKI per test process (key generation is the slow part). */
export function testPki(): Promise<TestPki> {
  pkiPromise ??= (async () => {
    // The CA is valid from long ago, so that tests can sign at past signing times.
    const ca = await createDevCa({ notBefore: new Date(Date.now() - 400 * 86_400_000) });
    const seller = await issueCertificate(ca, { name: "CÔNG TY TNHH HDDT THỬ", taxCode: SELLER_TAX_CODE });
    const buyer = await issueCertificate(ca, { name: "CÔNG TY TNHH MUA THỬ", taxCode: BUYER_TAX_CODE });
    const authority = await issueCertificate(ca, { name: "CỤC THUẾ", organization: "BỘ TÀI CHÍNH" });
    const signer = (id: DevIdentity) => memorySigner({ key: id.key!, certificate: id.certificate });
    return {
      ca,
      seller,
      buyer,
      authority,
      sellerSigner: signer(seller),
      buyerSigner: signer(buyer),
      authoritySigner: signer(authority),
    };
  })();
  return pkiPromise;
}

/** Ids declared in the document, for xmlsec1's --id-attr (it needs to know each element carrying an Id). */
function idElements(xml: string): string[] {
  const names = new Set<string>();
  for (const m of xml.matchAll(/<([A-Za-z_][\w.-]*)(?=[^>]*\sId=")/g)) names.add(m[1]!);
  return [...names];
}

/**
 * Runs Debian's xmlsec1 on each signature of `xml` (selected one by one with --node-xpath) with `caPem` as
 * the trusted root. Returns xmlsec1's verdict per signature ("OK" or the error output).
 */
export async function xmlsec1Verify(xml: string, caPem: string, count: number): Promise<string[]> {
  const dir = await mkdtemp(join(tmpdir(), "hddt-xmlsec-"));
  const file = join(dir, "doc.xml");
  const ca = join(dir, "ca.pem");
  await writeFile(file, xml);
  await writeFile(ca, caPem);
  const idArgs = idElements(xml).flatMap((n) => ["--id-attr:Id", n]);
  const out: string[] = [];
  for (let i = 1; i <= count; i++) {
    const args = [
      "--verify",
      "--enabled-reference-uris",
      "same-doc",
      "--trusted-pem",
      ca,
      ...idArgs,
      "--node-xpath",
      `(//*[local-name()='Signature' and namespace-uri()='http://www.w3.org/2000/09/xmldsig#'])[${i}]`,
      file,
    ];
    try {
      execFileSync("xmlsec1", args, { stdio: ["ignore", "pipe", "pipe"] });
      out.push("OK");
    } catch (e) {
      const err = e as { stderr?: Buffer };
      out.push(err.stderr?.toString() ?? String(e));
    }
  }
  return out;
}

/** A minimal registration declaration 01/ĐKTĐ-HĐĐT (message 100), signed by the taxpayer in DSCKS/NNT. */
export function registrationForm(taxCode = SELLER_TAX_CODE): string {
  return (
    `<TKhai><DLTKhai Id="DLTKhai-1"><TTChung><PBan>2.1.0</PBan><MSo>01/ĐKTĐ-HĐĐT</MSo>` +
    `<Ten>Tờ khai đăng ký/thay đổi thông tin sử dụng hóa đơn điện tử</Ten><HThuc>1</HThuc>` +
    `<TNNT>CÔNG TY TNHH HDDT THỬ</TNNT><MST>${taxCode}</MST><CQTQLy>Cục Thuế Hà Nội</CQTQLy>` +
    `<MCQTQLy>10100</MCQTQLy><NLHe>Nguyễn Văn A</NLHe><DCLHe>Số 1 Phố Huế &amp; Hàng Bài</DCLHe>` +
    `<DCTDTu>a@example.vn</DCTDTu><DTLHe>0241234567</DTLHe><DDanh>Hà Nội</DDanh><NLap>2026-11-20</NLap></TTChung>` +
    `<NDTKhai><HTHDon><CMa>1</CMa><KCMa>0</KCMa></HTHDon></NDTKhai></DLTKhai>` +
    `<DSCKS><NNT></NNT><CCKSKhac></CCKSKhac></DSCKS></TKhai>`
  );
}

/** A minimal summary table 01/TH-HĐĐT (message 400) with DLBTHop, signed in DSCKS/NNT. */
export function summaryTable(taxCode = SELLER_TAX_CODE): string {
  return (
    `<BTHDLieu><DLBTHop Id="DLBTHop-7"><TTChung><PBan>2.1.0</PBan><MSo>01/TH-HĐĐT</MSo>` +
    `<Ten>Bảng tổng hợp dữ liệu hóa đơn điện tử gửi cơ quan thuế</Ten><SBTHDLieu>7</SBTHDLieu>` +
    `<LKDLieu>T</LKDLieu><KDLieu>10/2026</KDLieu><LDau>1</LDau><NLap>2026-11-05</NLap>` +
    `<TNNT>CÔNG TY TNHH HDDT THỬ</TNNT><MST>${taxCode}</MST><HDDIn>0</HDDIn><LHHoa>1</LHHoa></TTChung>` +
    `<NDBTHDLieu><DSDLieu><DLieu><STT>1</STT><KHMSHDon>1</KHMSHDon><KHHDon>C26TAA</KHHDon><SHDon>1</SHDon>` +
    `<TgTTToan>1080000</TgTTToan></DLieu></DSDLieu></NDBTHDLieu></DLBTHop><DSCKS><NNT></NNT></DSCKS></BTHDLieu>`
  );
}

/** A 01/TB-ĐKĐT acceptance notice (message 103 body) with STBao, for the tax authority's signature. */
export function authorityNotice(taxCode = SELLER_TAX_CODE): string {
  return (
    `<TBao><DLTBao Id="Id-DLTBao-103"><PBan>2.1.0</PBan><MSo>01/TB-ĐKĐT</MSo>` +
    `<Ten>Thông báo về việc chấp nhận đăng ký sử dụng hóa đơn điện tử</Ten><DDanh>Hà Nội</DDanh>` +
    `<TCQTCTren>Cục Thuế</TCQTCTren><TCQT>Thuế Thành phố Hà Nội</TCQT><MST>${taxCode}</MST>` +
    `<TNNT>CÔNG TY TNHH HDDT THỬ</TNNT><Ngay>2026-11-20T09:00:00</Ngay><HTDKy>1</HTDKy><TTXNCQT>1</TTXNCQT>` +
    `</DLTBao><STBao Id="Id-STBao-103"><So>1169/TB-HĐĐT</So><NTBao>2026-11-20T09:05:00</NTBao></STBao>` +
    `<DSCKS><TTCQT></TTCQT><CQT></CQT></DSCKS></TBao>`
  );
}

/** A cash-register message 206: the taxpayer signs TDiep/DLieu into TDiep/CKSNNT. */
export function cashRegisterMessage(taxCode = SELLER_TAX_CODE): string {
  const invoice = unsignedInvoice({ lines: 2, id: "DLHDon-MTT-1", dscks: false });
  return (
    `<TDiep><TTChung><PBan>2.1.0</PBan><MNGui>K${taxCode}</MNGui><MNNhan>TCT</MNNhan><MLTDiep>206</MLTDiep>` +
    `<MTDiep>K${taxCode}0123456789ABCDEF0123456789ABCDEF</MTDiep><MST>${taxCode}</MST><SLuong>1</SLuong></TTChung>` +
    `<DLieu Id="DLieu-206">${invoice}</DLieu></TDiep>`
  );
}

/**
 * An invoice inside a TDiep envelope that declares namespaces (the inclusive-C14N trap: the signed element
 * inherits them).
 */
export function envelopedInvoice(): string {
  const invoice = unsignedInvoice({ lines: 3, id: "DLHDon-TDiep-1" });
  return (
    `<TDiep xmlns:xsd="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">` +
    `<TTChung><PBan>2.1.0</PBan><MNGui>V0309478306</MNGui><MNNhan>TCT</MNNhan><MLTDiep>200</MLTDiep>` +
    `<MTDiep>V03094783060123456789ABCDEF0123456789ABCDEF</MTDiep><MST>${SELLER_TAX_CODE}</MST><SLuong>1</SLuong>` +
    `</TTChung><DLieu>${invoice}</DLieu></TDiep>`
  );
}

/**
 * The same invoice written the way other software writes it: XML declaration, CRLF line ends, indentation,
 * empty-element tags, character references and a comment inside the signed element.
 */
export function foreignInvoice(): string {
  return `<?xml version="1.0" encoding="UTF-8"?>\r\n${unsignedInvoice({ lines: 3, id: "SigningData-abc" })
    .replace("<TTChung>", "\r\n  <TTChung>\r\n    <!-- phần mềm khác -->")
    .replace("<DVTTe>VND</DVTTe>", "<DVTTe>&#86;ND</DVTTe><STKNHang/>")
    .replace("<NMua></NMua>", "<NMua />")}`;
}
