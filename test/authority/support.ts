/**
 * Test kit for the authority's system: one development PKI per process (CA, seller, authority), a fresh
 * migrated database per suite, and builders of the messages a seller's T-VAN sends.
 */
import { randomBytes } from "node:crypto";
import { AuthorityService } from "../../src/authority/index.ts";
import { ManualClock } from "../../src/domain/clock.ts";
import type { Invoice } from "../../src/domain/invoice.ts";
import { newMessageId, readMessage, writeMessage } from "../../src/format/envelope.ts";
import type { Registration } from "../../src/format/forms/registration.ts";
import { VIA_TRANSMISSION, writeRegistration } from "../../src/format/forms/registration.ts";
import { writeInvoice } from "../../src/format/invoice.ts";
import type { MessageTypeCode } from "../../src/format/messages.ts";
import { createDevCa, type DevCa, type DevIdentity, issueCertificate } from "../../src/signing/dev-ca.ts";
import { signAs } from "../../src/signing/profiles.ts";
import { memorySigner, type Signer } from "../../src/signing/signer.ts";
import { TrustStore } from "../../src/signing/trust.ts";
import { type Database, migrate } from "../../src/store/index.ts";
import { type Backend, openTestDatabase } from "../store/backends.ts";
import { sampleInvoice, withTotals } from "../support/invoices.ts";

export const SELLER = "0100109106";
export const BUYER = "0309478306";
export const TVAN = "V0101300842";

export interface Pki {
  ca: DevCa;
  seller: DevIdentity;
  authority: DevIdentity;
  sellerSigner: Signer;
  authoritySigner: Signer;
  trust: TrustStore;
}

let pki: Promise<Pki> | undefined;

/** The development PKI, made once per process. */
export function devPki(): Promise<Pki> {
  pki ??= (async () => {
    // Valid from 2020 to 2040, so tests may move the clock.
    const validity = {
      notBefore: new Date("2020-01-01T00:00:00Z"),
      notAfter: new Date("2040-01-01T00:00:00Z"),
    };
    const ca = await createDevCa(validity);
    const seller = await issueCertificate(ca, { name: "Công ty Bán", taxCode: SELLER, ...validity });
    const authority = await issueCertificate(ca, { name: "Tổng cục Thuế", ...validity });
    return {
      ca,
      seller,
      authority,
      sellerSigner: memorySigner({ key: seller.key!, certificate: seller.certificate }),
      authoritySigner: memorySigner({ key: authority.key!, certificate: authority.certificate }),
      trust: new TrustStore().addRoot(ca.certificate),
    };
  })();
  return pki;
}

const identities = new Map<string, Promise<{ identity: DevIdentity; signer: Signer }>>();

/** A certificate and signer of the dev CA for `taxCode` (the seller's own for SELLER), made once. */
export function identityFor(taxCode: string): Promise<{ identity: DevIdentity; signer: Signer }> {
  let p = identities.get(taxCode);
  if (!p) {
    p = devPki().then(async (keys) => {
      if (taxCode === SELLER) return { identity: keys.seller, signer: keys.sellerSigner };
      const identity = await issueCertificate(keys.ca, {
        name: `Người nộp thuế ${taxCode}`,
        taxCode,
        notBefore: new Date("2020-01-01T00:00:00Z"),
        notAfter: new Date("2040-01-01T00:00:00Z"),
      });
      return { identity, signer: memorySigner({ key: identity.key!, certificate: identity.certificate }) };
    });
    identities.set(taxCode, p);
  }
  return p;
}

export interface Kit {
  db: Database;
  clock: ManualClock;
  service: AuthorityService;
  pki: Pki;
  close(): Promise<void>;
}

export async function openKit(backend: Backend): Promise<Kit> {
  const keys = await devPki();
  const clock = new ManualClock(new Date());
  const db = await openTestDatabase(backend, { clock });
  await migrate(db, "authority");
  const service = new AuthorityService({
    db,
    clock,
    signer: keys.authoritySigner,
    verify: { trust: keys.trust, warnTestCertificates: false },
    config: { codeSecret: Buffer.from("0123456789abcdef0123456789abcdef") },
  });
  return { db, clock, service, pki: keys, close: () => db.close() };
}

export function messageId(sender = TVAN): string {
  return newMessageId(sender, () => randomBytes(16).toString("hex"));
}

/** A TDiep from the T-VAN to the authority around `payloads`. */
export function envelope(
  type: number,
  payloads: string | readonly string[],
  options: { id?: string; taxCode?: string; receiver?: string; sender?: string } = {},
): string {
  const items = typeof payloads === "string" ? [payloads] : payloads;
  const sender = options.sender ?? TVAN;
  return writeMessage(
    {
      version: "2.1.0",
      sender,
      receiver: options.receiver ?? "TCT",
      type: type as MessageTypeCode,
      messageId: options.id ?? messageId(sender),
      taxCode: options.taxCode ?? SELLER,
      count: items.length,
    },
    items,
  );
}

/**
 * A cash-register message 206 around `invoices`, signed by the taxpayer over DLieu into TDiep/CKSNNT with
 * `signer` (reference §6.1); DLieu gets the Id the signature refers to.
 */
export async function signedCashRegisterMessage(
  invoices: string | readonly string[],
  signer: Signer,
  options: { id?: string; taxCode?: string } = {},
): Promise<string> {
  const xml = envelope(206, invoices, options).replace("<DLieu>", '<DLieu Id="DLieu-206">');
  const r = await signAs(xml, signer, "cashRegister");
  if (!r.ok) throw new Error(JSON.stringify(r.problems));
  return r.value.xml;
}

/** A registration for the seller (coded invoices unless told), listing the seller's certificate. */
export async function registration(
  forms: Partial<Registration["invoiceForms"]> = {},
  taxCode = SELLER,
): Promise<string> {
  const { identity, signer } = await identityFor(taxCode);
  const reg: Registration = {
    id: "DLTKhai-1",
    version: "2.1.0",
    form: "01/ĐKTĐ-HĐĐT",
    title: "Tờ khai đăng ký/thay đổi thông tin sử dụng hóa đơn điện tử",
    kind: 1,
    taxpayerName: "Công ty TNHH Phần mềm Hóa Đơn Mở",
    taxCode,
    authorityName: "Cục Thuế Hà Nội",
    authorityCode: "10100",
    representativeName: "Nguyễn Văn A",
    contactName: "Trần Thị B",
    contactAddress: "Số 1 Tràng Tiền, Hà Nội",
    email: "ketoan@hddt.example",
    contactPhone: "0241234567",
    place: "Hà Nội",
    date: new Date().toISOString().slice(0, 10),
    invoiceForms: { withCode: true, withoutCode: false, cashRegister: false, ...forms },
    ...VIA_TRANSMISSION,
    certificates: [
      {
        index: 1,
        issuer: "hddt TEST CA",
        serial: identity.info.serialNumber,
        validFrom: "2024-01-01T00:00:00",
        validTo: "2030-01-01T00:00:00",
        action: 1,
      },
    ],
    signatures: [{ name: "NNT", xml: "" }],
  };
  const signed = await signAs(writeRegistration(reg), signer, "taxpayer");
  if (!signed.ok) throw new Error(JSON.stringify(signed.problems));
  return signed.value.xml;
}

const today = () => new Date(Date.now() + 7 * 3_600_000).toISOString().slice(0, 10);

/** A valid invoice of the seller in a coded series (C + this year), numbered `number`. */
export function codedInvoice(number: string, overrides: Partial<Invoice["header"]> = {}): Invoice {
  const date = today();
  return sampleInvoice(3, {
    series: `C${date.slice(2, 4)}TAA`,
    issueDate: date,
    number,
    ...overrides,
  });
}

export function noCodeInvoice(number: string): Invoice {
  const date = today();
  return sampleInvoice(3, { series: `K${date.slice(2, 4)}TAA`, issueDate: date, number });
}

/** The invoice written and signed by the seller. */
export async function signedInvoice(inv: Invoice, signer?: Signer): Promise<string> {
  const keys = await devPki();
  const r = await signAs(writeInvoice(withTotals(inv)), signer ?? keys.sellerSigner, "seller");
  if (!r.ok) throw new Error(JSON.stringify(r.problems));
  return r.value.xml;
}

/** Registers the seller (taxpayer added, 100 accepted). */
export async function registerSeller(
  kit: Kit,
  forms: Partial<Registration["invoiceForms"]> = {},
): Promise<void> {
  await kit.service.upsertTaxpayer({ taxCode: SELLER, name: "Công ty TNHH Phần mềm Hóa Đơn Mở" });
  const r = await kit.service.receive(envelope(100, await registration(forms)));
  if (r.status !== "ok") throw new Error("unavailable");
  const decision = r.replies[1];
  if (!decision?.includes("<TTXNCQT>1</TTXNCQT>"))
    throw new Error(`registration refused: ${r.replies.join("\n")}`);
}

/** Reads a reply message and returns it (throws when it is not a valid TDiep). */
export function parseReply(xml: string) {
  const r = readMessage(xml);
  if (!r.ok) throw new Error(JSON.stringify(r.problems, null, 1));
  return r.value;
}
