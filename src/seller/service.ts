/**
 * The seller's invoicing system: organisations, users and API keys, signing keys, series, invoices from
 * draft to delivery, registration through the T-VAN, and the answers the T-VAN brings back.
 *
 * Tenancy: every row carries the organisation's tax code and every method takes it first; a query never
 * reads across organisations (the HTTP layer derives the tax code from the API key, never from the body).
 *
 * Numbering (Decree 123 art. 10.3: numbers continuous, in date order, per series): a number is taken only
 * in the transaction that also stores the signed invoice. That transaction locks the series row
 * (`select … for update`), refuses an invoice dated before the series' last one, takes last + 1, writes and
 * signs the invoice, stores it, archives it, and for a coded invoice queues message 200 in the seller's
 * outbox, all before commit. A failure anywhere rolls everything back, the number included: no gaps, no
 * duplicates (also guarded by a unique constraint). Never "max + 1". Signing inside the lock costs one RSA
 * signature per invoice per series at a time; batches sign many invoices per transaction (in parallel when
 * the signer is a pool).
 *
 * Coded invoices (C): issued → waiting_for_code (200 queued) → coded on 202 (the coded invoice kept
 * byte-exact and archived) → delivered. Delivering before the 202 would be illegal use of invoices (seed
 * 002), so delivery happens only in the 202 handler. A 204 → refused with the authority's reasons.
 * No-code invoices (K): issued (signed) → delivered at once; their data goes to the authority as 203, or,
 * for a seller allowed summary tables (profile `summarySector`), waits for the table 01/TH-HĐĐT (400) of its
 * period (`sendSummaryTable`). `data_state` follows the data: sent → accepted | refused on the 204.
 * Cash-register invoices (M series): the seller-made 23-character code (C10–C20 from a per-seller, per-year
 * counter taken in the issuing transaction), no seller signature, delivered at once, one 206 per invoice
 * queued in the issuing transaction (CKSNNT-signed when the organisation has a key); the 204 sets
 * `data_state`. Per-occurrence invoices: as coded ones, sent with 201; the authority's 205 (not valid
 * refuses) and 202 follow the tax declaration. See flows.ts for the rules of these flows.
 * Stopped organisations issue only invoices naming (TTKhac SoHopDong) a recorded exception contract signed
 * before the stop. The authority's review notice (302) is recorded with its deadline (deadlines.ts) and
 * answered once by a 04/SS-HĐĐT of Loai 2 (`answerReviewNotice`).
 *
 * Idempotency: a create with a key is inserted with `on conflict do nothing` on (tax code, key): under
 * concurrency the unique index decides, the losers read the winner's invoice. The same key with another
 * body is a conflict (SELLER_IDEMPOTENCY_CONFLICT).
 *
 * Answers: the T-VAN pushes the authority's answers to the seller's party address; `endpoint.handle`
 * stores each by message id (a repeat changes nothing), acts on it and replies with a 999.
 */
import { createHash, randomBytes, randomUUID } from "node:crypto";
import { type Kysely, type RawBuilder, sql, type Transaction } from "kysely";
import type { Clock } from "../domain/clock.ts";
import {
  makeCashRegisterCode,
  parseCashRegisterCode,
  parseSeries,
  TEMPLATE_MEANINGS,
  validateSymbol,
} from "../domain/codes.ts";
import { daysBetween, instantToDate, instantToDateTime, isDate } from "../domain/dates.ts";
import type { Invoice, Seller, TemplateDigit } from "../domain/invoice.ts";
import { fail, ok, type Problem, type Result } from "../domain/problem.ts";
import { validateInvoice } from "../domain/validate.ts";
import { inspectMessage, type MessageHeader, newMessageId, writeMessage } from "../format/envelope.ts";
import type { Reason } from "../format/forms/common.ts";
import { readReviewNotice, writeErrorNotice } from "../format/forms/error-notice.ts";
import { writeTechnicalReceipt } from "../format/forms/receipt.ts";
import { type Registration, VIA_TRANSMISSION, writeRegistration } from "../format/forms/registration.ts";
import { SUMMARY_TABLE_FORM, writeSummaryTable } from "../format/forms/summary-table.ts";
import { readInvoice, writeInvoice } from "../format/invoice.ts";
import type { MessageTypeCode } from "../format/messages.ts";
import type { XmlElement } from "../format/xml.ts";
import { parseCertificate } from "../signing/certificate.ts";
import { type DevCa, issueCertificate } from "../signing/dev-ca.ts";
import { signAs, specFor } from "../signing/profiles.ts";
import { finishSignature, type PreparedSignature, prepareSignature } from "../signing/sign.ts";
import type { Signer } from "../signing/signer.ts";
import type { Database } from "../store/database.ts";
import { inTransaction } from "../store/transaction.ts";
import type { Outbox, OutgoingMessage } from "../transport/outbox.ts";
import {
  delivered,
  type PartyAddress,
  type PartyEndpoint,
  type TransportResult,
} from "../transport/transport.ts";
import type { Archive, ArchiveEntry } from "./archive.ts";
import { sellerProblem } from "./codes.ts";
import {
  type CorrectionDuty,
  type CorrectionWay,
  type ErrorKind,
  type ErrorNoticeItem,
  type InvoiceChange,
  planAdjustment,
  planErrorNotice,
  planReplacement,
  type ReplacementContent,
} from "./corrections.ts";
import { type ReminderKind, remindersDue, reviewDeadline } from "./deadlines.ts";
import {
  CONTRACT_FIELD,
  checkNoticeType,
  contractOf,
  goodsKindOf,
  periodOver,
  perOccurrenceResult,
  type SummarySector,
  summaryPeriod,
  summaryRows,
} from "./flows.ts";
import {
  canonicalJson,
  completeLines,
  type InvoiceInput,
  inputOf,
  reviveAmounts,
  toInvoice,
} from "./model.ts";
import {
  type BuyerDelivery,
  defaultSignerFactory,
  isUserHeld,
  type SignerFactory,
  type SigningKeyConfig,
} from "./ports.ts";

export const ROLES = ["owner", "accountant", "viewer"] as const;
export type UserRole = (typeof ROLES)[number];

export const INVOICE_STATES = [
  "draft",
  "awaiting_signature",
  "issued",
  "waiting_for_code",
  "coded",
  "refused",
  "delivered",
  "adjusted",
  "replaced",
  "cancelled",
] as const;
export type InvoiceState = (typeof INVOICE_STATES)[number];

/** Largest batch of one request. */
export const MAX_BATCH = 5000;
/** Invoices numbered and signed per transaction in a batch. */
const CHUNK = 50;
/** Days before the end of a series' year when listing it warns. */
const YEAR_END_WARNING_DAYS = 30;

export interface SellerConfig {
  /** The sender code the seller writes in MNGui for an organisation: its MST, or a provider's code. */
  readonly partyFor?: (taxCode: string) => PartyAddress;
  /** The T-VAN's party code (MNNhan of every message sent). */
  readonly tvan: PartyAddress;
  /** MSTTCGP written on invoices: the tax code of the software provider. */
  readonly providerTaxCode?: string;
  /** PBan of messages. Default "2.1.0". */
  readonly version?: string;
}

export interface SellerPorts {
  readonly db: Database;
  readonly clock: Clock;
  readonly archive: Archive;
  /** The seller's outbox (`new Outbox(db, { schema: "seller" })`). */
  readonly outbox: Outbox;
  readonly delivery: BuyerDelivery;
  readonly config: SellerConfig;
  /** Default: PKCS#12, PKCS#11 and development keys. */
  readonly signers?: SignerFactory;
}

export interface OrganisationProfile {
  readonly phone?: string;
  readonly email?: string;
  readonly bankAccount?: string;
  readonly bankName?: string;
  readonly website?: string;
  /** For the registration form. */
  readonly authorityName?: string;
  readonly authorityCode?: string;
  readonly representativeName?: string;
  readonly contactName?: string;
  readonly contactAddress?: string;
  readonly contactPhone?: string;
  readonly contactEmail?: string;
  readonly place?: string;
  /** C5–C9 of the cash-register code: the 5 characters the authority issued to the seller (reference §4.2). */
  readonly cashRegisterBlock?: string;
  /** Set when the seller may send its no-code invoices' data as summary tables (see flows.ts). */
  readonly summarySector?: SummarySector;
}

export interface OrganisationInput {
  readonly taxCode: string;
  readonly name: string;
  readonly address: string;
  readonly profile?: OrganisationProfile;
}

export interface Organisation extends OrganisationInput {
  readonly profile: OrganisationProfile;
  readonly registrationState: string;
  readonly codedOnly: boolean;
  readonly stoppedAt: string | null;
  readonly hasSigningKey: boolean;
  readonly createdAt: string;
}

export interface User {
  readonly id: string;
  readonly taxCode: string;
  readonly email: string;
  readonly name: string;
  readonly role: UserRole;
}

export interface ApiKeyInfo {
  readonly id: string;
  readonly name: string;
  readonly role: UserRole;
  readonly prefix: string;
  readonly createdAt: string;
  readonly revokedAt: string | null;
}

/** Who holds an API key. */
export interface KeyHolder {
  readonly taxCode: string;
  readonly role: UserRole;
  readonly keyId: string;
  readonly name: string;
}

export interface SeriesInput {
  readonly template: string;
  readonly series: string;
  readonly cashRegister?: boolean;
}

export interface SeriesView {
  readonly template: string;
  readonly series: string;
  readonly year: number;
  readonly coded: boolean;
  readonly cashRegister: boolean;
  readonly active: boolean;
  /** Invoices issued so far (the last number). */
  readonly used: number;
  readonly lastDate: string | null;
  readonly warnings: readonly Problem[];
}

/** The organisation's signing key as shown to its users. */
export interface SigningKeyView {
  /** pkcs12 (file on the server), pkcs11 (token or HSM on the server), dev (TEST), two-step (key at the user). */
  readonly kind: SigningKeyConfig["kind"];
  readonly subject: string;
  readonly issuer: string;
  readonly serial: string;
  /** Tax code in the certificate's subject. */
  readonly taxCode: string | null;
  readonly notBefore: string;
  readonly notAfter: string;
  readonly testCertificate: boolean;
  /** When the key was set. */
  readonly since: string;
  /** Invoices numbered and waiting for the signature of a key at the user. */
  readonly awaitingSignature: number;
  readonly certificate: string;
}

/** An invoice waiting for the signature of a key at the user, and what that key must sign. */
export interface SigningRequest {
  readonly invoiceId: string;
  readonly template: string;
  readonly series: string;
  readonly number: number;
  readonly issueDate: string;
  readonly totalPayable: string;
  readonly algorithm: string;
  readonly digestAlgorithm: string;
  /** Base64 digest of `signedInfo`, for signers that sign a precomputed hash. */
  readonly digest: string;
  /** Base64 DER DigestInfo around the digest, for tokens that take the raw PKCS#1 v1.5 input. */
  readonly digestInfo: string;
  /** The canonical SignedInfo (UTF-8): the exact bytes the signature value is computed over. */
  readonly signedInfo: string;
  /** The certificate the value must come from (PEM). */
  readonly certificate: string;
}

export interface InvoiceView {
  readonly id: string;
  readonly taxCode: string;
  readonly state: InvoiceState;
  readonly template: string;
  readonly series: string;
  readonly number: number | null;
  readonly issueDate: string | null;
  readonly buyerTaxCode: string | null;
  readonly totalPayable: string | null;
  readonly authorityCode: string | null;
  readonly lookupCode: string;
  readonly messageId: string | null;
  readonly idempotencyKey: string | null;
  readonly errors: readonly unknown[] | null;
  /**
   * Where the data of an invoice sent without a code stand with the authority: sent (203/206 queued),
   * pending_summary, summarised, accepted, refused; null for coded invoices and drafts.
   */
  readonly dataState: DataState | null;
  /** The exception contract a stopped seller invoiced against (TTKhac SoHopDong). */
  readonly contractNo: string | null;
  /** For an adjusting or replacing invoice: the invoice it corrects, and how. */
  readonly correctsId: string | null;
  readonly correction: CorrectionWay | null;
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly input: InvoiceInput;
}

export type DataState = "sent" | "pending_summary" | "summarised" | "accepted" | "refused";

export interface HistoryEntry {
  readonly at: string;
  readonly from: InvoiceState | null;
  readonly to: InvoiceState;
  readonly actor: string | null;
  readonly detail: unknown;
}

export interface ListFilter {
  readonly state?: InvoiceState;
  readonly template?: string;
  readonly series?: string;
  readonly from?: string;
  readonly to?: string;
  readonly buyerTaxCode?: string;
  /** Cursor: the id of the last invoice of the previous page. */
  readonly after?: string;
  readonly limit?: number;
}

export interface BatchItem {
  readonly input: InvoiceInput;
  readonly idempotencyKey?: string;
}

export type BatchResult =
  | { readonly index: number; readonly ok: true; readonly invoice: InvoiceView }
  | { readonly index: number; readonly ok: false; readonly problems: readonly Problem[] };

export interface CorrectionRequestOptions {
  /** Date of the correcting invoice; default today. */
  readonly issueDate?: string;
  /** Its series; default the original's with this year's digits. */
  readonly series?: string;
  /** The buyer's agreement, where the regime asks for one. */
  readonly agreement?: { reference: string; date: string };
  readonly idempotencyKey?: string;
  readonly actor?: string;
}

export interface RegistrationForms {
  readonly withCode: boolean;
  readonly withoutCode: boolean;
  readonly cashRegister?: boolean;
}

export interface RegistrationView {
  readonly id: string;
  readonly messageId: string;
  /** awaiting_signature (key at the user), sent, received, not_received, accepted, refused. */
  readonly state: string;
  readonly forms: RegistrationForms;
  readonly reasons: readonly unknown[] | null;
  readonly createdAt: string;
  readonly decidedAt: string | null;
  /** While it waits for the signature of the key at the user: what that key must sign. */
  readonly signingRequest?: Omit<
    SigningRequest,
    "invoiceId" | "template" | "series" | "number" | "issueDate" | "totalPayable"
  >;
}

export interface ExceptionContract {
  readonly contractNo: string;
  readonly signedOn: string;
  readonly note: string | null;
  readonly createdAt: string;
}

export interface SummaryTableView {
  readonly id: string;
  readonly messageId: string;
  readonly tableNumber: number;
  readonly periodKind: string;
  readonly period: string;
  readonly goodsKind: number;
  readonly invoiceIds: readonly string[];
  /** sent, accepted or refused (the authority's 204). */
  readonly state: string;
  readonly reasons: readonly unknown[] | null;
  readonly createdAt: string;
  readonly decidedAt: string | null;
}

export interface ReviewNoticeInvoice {
  /** The seller's invoice, when the notice names one of its invoices. */
  readonly invoiceId: string | null;
  readonly template: string | null;
  readonly series: string | null;
  readonly number: string | null;
  readonly date: string;
  readonly reason: string;
}

export interface ReviewNoticeView {
  readonly id: string;
  readonly messageId: string;
  /** The notice's number and date (So, NTBao), which the answer names. */
  readonly number: string;
  readonly noticeDate: string;
  /** THan: working days to answer, and the last day (deadlines.ts). */
  readonly days: number;
  readonly round: number;
  readonly dueDate: string;
  readonly invoices: readonly ReviewNoticeInvoice[];
  readonly answer: { messageId: string; at: string; late: boolean } | null;
  readonly overdue: boolean;
  /** Reminders due now and not yet taken (`takeReviewReminders`). */
  readonly reminders: readonly ReminderKind[];
  readonly createdAt: string;
}

/** A failure inside a transaction: rolls it back and becomes the method's problems. */
class ProblemError extends Error {
  constructor(readonly problems: Problem[]) {
    super(problems[0]?.message ?? "problem");
  }
}

// ---------------------------------------------------------------------------------------------------------
// Rows

interface OrgRow {
  tax_code: string;
  name: string;
  address: string;
  profile: OrganisationProfile;
  registration_state: string;
  coded_only: boolean;
  stopped_at: Date | null;
  created_at: Date;
  has_key: boolean;
}

interface InvoiceRow {
  id: string;
  tax_code: string;
  idempotency_key: string | null;
  request_hash: string;
  state: InvoiceState;
  template: string;
  series: string;
  number: bigint | null;
  issue_date: string | null;
  input: InvoiceInput;
  buyer_tax_code: string | null;
  buyer_email: string | null;
  total_payable: string | null;
  authority_code: string | null;
  message_id: string | null;
  lookup_code: string;
  errors: unknown[] | null;
  data_state: DataState | null;
  contract_no: string | null;
  corrects_id: string | null;
  correction: CorrectionWay | null;
  created_at: Date;
  updated_at: Date;
}

interface SeriesRow {
  id: bigint;
  template: string;
  series: string;
  year: number;
  coded: boolean;
  cash_register: boolean;
  last_number: bigint;
  last_date: string | null;
  active: boolean;
}

interface ContractRow {
  contract_no: string;
  signed_on: string;
  note: string | null;
  created_at: Date;
}

const contractView = (r: ContractRow): ExceptionContract => ({
  contractNo: r.contract_no,
  signedOn: r.signed_on,
  note: r.note,
  createdAt: r.created_at.toISOString(),
});

interface SummaryRow {
  id: bigint;
  idempotency_key: string | null;
  request_hash: string;
  message_id: string;
  table_number: number;
  period_kind: string;
  period: string;
  goods_kind: number;
  invoice_ids: string[];
  state: string;
  reasons: unknown[] | null;
  created_at: Date;
  decided_at: Date | null;
}

const summaryView = (r: SummaryRow): SummaryTableView => ({
  id: String(r.id),
  messageId: r.message_id,
  tableNumber: r.table_number,
  periodKind: r.period_kind,
  period: r.period,
  goodsKind: r.goods_kind,
  invoiceIds: r.invoice_ids,
  state: r.state,
  reasons: r.reasons,
  createdAt: r.created_at.toISOString(),
  decidedAt: r.decided_at?.toISOString() ?? null,
});

interface ReviewRow {
  id: bigint;
  message_id: string;
  number: string;
  notice_date: string;
  days: number;
  round: number;
  due_date: string;
  invoices: ReviewNoticeInvoice[];
  reminders: ReminderKind[];
  answer_message_id: string | null;
  answer_key: string | null;
  answered_at: Date | null;
  created_at: Date;
}

/** The actor option, when given. */
const actorOf = (o: { actor?: string }) => (o.actor !== undefined ? { actor: o.actor } : {});

const INVOICE_COLUMNS = sql.raw(`id, tax_code, idempotency_key, request_hash, state, template, series, number,
  issue_date, input, buyer_tax_code, buyer_email, total_payable, authority_code, message_id, lookup_code, errors,
  data_state, contract_no, corrects_id, correction, created_at, updated_at`);

function toView(r: InvoiceRow): InvoiceView {
  return {
    id: r.id,
    taxCode: r.tax_code,
    state: r.state,
    template: r.template,
    series: r.series,
    number: r.number === null ? null : Number(r.number),
    issueDate: r.issue_date,
    buyerTaxCode: r.buyer_tax_code,
    totalPayable: r.total_payable,
    authorityCode: r.authority_code,
    lookupCode: r.lookup_code,
    messageId: r.message_id,
    idempotencyKey: r.idempotency_key,
    errors: r.errors,
    dataState: r.data_state,
    contractNo: r.contract_no,
    correctsId: r.corrects_id,
    correction: r.correction,
    createdAt: r.created_at.toISOString(),
    updatedAt: r.updated_at.toISOString(),
    input: r.input,
  };
}

function toOrg(r: OrgRow): Organisation {
  return {
    taxCode: r.tax_code,
    name: r.name,
    address: r.address,
    profile: r.profile,
    registrationState: r.registration_state,
    codedOnly: r.coded_only,
    stoppedAt: r.stopped_at?.toISOString() ?? null,
    hasSigningKey: r.has_key,
    createdAt: r.created_at.toISOString(),
  };
}

const digestOf = (key: string) => createHash("sha256").update(key, "utf8").digest("hex");

/** Crockford base32 without I, L, O, U: easy to read out and type. */
const LOOKUP_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/** A secret lookup code: 80 random bits as 16 characters. */
export function newLookupCode(): string {
  const bytes = randomBytes(10);
  let bits = 0n;
  for (const b of bytes) bits = (bits << 8n) | BigInt(b);
  let out = "";
  for (let i = 0; i < 16; i++) {
    out = LOOKUP_ALPHABET[Number(bits & 31n)]! + out;
    bits >>= 5n;
  }
  return out;
}

/** The DLHDon element of an invoice, as written. */
function dataElement(xml: string): string | undefined {
  const start = xml.indexOf("<DLHDon");
  const end = xml.indexOf("</DLHDon>");
  return start < 0 || end < 0 ? undefined : xml.slice(start, end + "</DLHDon>".length);
}

const TEXT = (name: string) => new RegExp(`<${name}>([^<]*)</${name}>`, "g");

function reasonsIn(xml: string): Reason[] {
  const out: Reason[] = [];
  const codes = [...xml.matchAll(TEXT("MLoi"))].map((m) => m[1]!);
  const texts = [...xml.matchAll(TEXT("MTa")), ...xml.matchAll(TEXT("MTLoi"))].map((m) => m[1]!);
  for (let i = 0; i < texts.length; i++) out.push({ code: codes[i] ?? "", description: texts[i]! });
  return out;
}

// ---------------------------------------------------------------------------------------------------------

/** A draft to number in an issuing transaction: its place in its request, and who issues it. */
interface ChunkItem {
  readonly index: number;
  readonly row: InvoiceRow;
  readonly date: string;
  readonly actor: string | undefined;
}

/** How drafts are issued: as usual by their series, or as per-occurrence invoices (message 201). */
type IssueMode = "normal" | "per_occurrence";

/** A signed invoice to store: numbered in this transaction (`from` draft) or parked for its signature. */
interface SignedItem {
  readonly row: InvoiceRow;
  readonly actor: string | undefined;
  readonly from: "draft" | "awaiting_signature";
  readonly number: bigint;
  readonly date: string;
  readonly xml: string;
  readonly totalPayable: string;
  readonly code: string | null;
}

/** What a parked invoice keeps in `prepared` (plain JSON). */
interface ParkedSignature {
  readonly mode: IssueMode;
  /** The draft's own date (null: the day of issue), given back when the invoice is withdrawn. */
  readonly draftDate: string | null;
  readonly signature: PreparedSignature;
}

interface PendingChunk {
  readonly org: Organisation;
  readonly signer: () => Promise<Signer>;
  readonly mode: IssueMode;
  readonly chunk: readonly ChunkItem[];
  readonly resolve: (r: Result<InvoiceView>[]) => void;
  readonly reject: (e: unknown) => void;
}

/** A 202 the T-VAN pushed, waiting for its group (see `#codedMany`). */
interface PendingCode {
  readonly taxCode: string;
  readonly id: string;
  readonly replyTo: string;
  readonly xml: string;
  readonly payload: string;
  readonly now: Date;
  readonly resolve: () => void;
  readonly reject: (e: unknown) => void;
}

/** Most codes applied in one transaction. */
const CODES_BATCH = 200;

interface IssueQueue {
  running: boolean;
  readonly waiting: PendingChunk[];
}

export class SellerService {
  readonly #db: Database;
  readonly #k: Kysely<unknown>;
  readonly #clock: Clock;
  readonly #archive: Archive;
  readonly #outbox: Outbox;
  readonly #delivery: BuyerDelivery;
  readonly #config: SellerConfig;
  readonly #signerFactory: SignerFactory;
  readonly #signers = new Map<string, Promise<Signer>>();
  /** Chunks waiting to be issued, per tax code + template + series (see `#issueTogether`). */
  readonly #issuing = new Map<string, IssueQueue>();
  /** Codes (202) pushed and not yet applied (see `#codedMany`). */
  #codes: PendingCode[] = [];
  #codesRunning = 0;
  /** Receives the answers the T-VAN pushes (register under the seller's party code). */
  readonly endpoint: PartyEndpoint;

  constructor(ports: SellerPorts) {
    this.#db = ports.db;
    this.#k = ports.db.kysely<unknown>("seller");
    this.#clock = ports.clock;
    this.#archive = ports.archive;
    this.#outbox = ports.outbox;
    this.#delivery = ports.delivery;
    this.#config = ports.config;
    this.#signerFactory = ports.signers ?? defaultSignerFactory;
    this.endpoint = { handle: (xml) => this.receive(xml) };
  }

  /** The sender code used for an organisation's messages. */
  partyFor(taxCode: string): PartyAddress {
    return this.#config.partyFor?.(taxCode) ?? taxCode;
  }

  #today(): string {
    return instantToDate(this.#clock.now());
  }

  // -------------------------------------------------------------------------------------------------------
  // Organisations, users, keys

  async createOrganisation(input: OrganisationInput): Promise<Result<Organisation>> {
    const now = this.#clock.now();
    const r = await sql<{ tax_code: string }>`
      insert into seller.organisation (tax_code, name, address, profile, created_at, updated_at)
      values (${input.taxCode}, ${input.name}, ${input.address}, ${JSON.stringify(input.profile ?? {})}::jsonb,
              ${now}, ${now})
      on conflict (tax_code) do nothing returning tax_code`.execute(this.#k);
    if (r.rows.length === 0)
      return fail([sellerProblem("SELLER_ORG_EXISTS", "taxCode", { taxCode: input.taxCode })]);
    return this.getOrganisation(input.taxCode);
  }

  async getOrganisation(taxCode: string): Promise<Result<Organisation>> {
    const r = await sql<OrgRow>`
      select o.*, exists (select 1 from seller.signing_key k where k.tax_code = o.tax_code) as has_key
        from seller.organisation o where o.tax_code = ${taxCode}`.execute(this.#k);
    const row = r.rows[0];
    return row ? ok(toOrg(row)) : fail([sellerProblem("SELLER_ORG_NOT_FOUND", "taxCode", { taxCode })]);
  }

  async listOrganisations(): Promise<Organisation[]> {
    const r = await sql<OrgRow>`
      select o.*, exists (select 1 from seller.signing_key k where k.tax_code = o.tax_code) as has_key
        from seller.organisation o order by o.tax_code`.execute(this.#k);
    return r.rows.map(toOrg);
  }

  async updateProfile(
    taxCode: string,
    change: { name?: string; address?: string; profile?: OrganisationProfile },
  ): Promise<Result<Organisation>> {
    const r = await sql`
      update seller.organisation set
        name = coalesce(${change.name ?? null}, name),
        address = coalesce(${change.address ?? null}, address),
        profile = profile || ${JSON.stringify(change.profile ?? {})}::jsonb,
        updated_at = ${this.#clock.now()}
      where tax_code = ${taxCode}`.execute(this.#k);
    if (Number(r.numAffectedRows ?? 0n) === 0)
      return fail([sellerProblem("SELLER_ORG_NOT_FOUND", "taxCode", { taxCode })]);
    return this.getOrganisation(taxCode);
  }

  /** Records the authority's stop of the organisation's use of e-invoices (null: resumed). */
  async setStopped(taxCode: string, stopped: { note?: string } | null): Promise<Result<Organisation>> {
    const now = this.#clock.now();
    await sql`update seller.organisation set stopped_at = ${stopped ? now : null},
      stop_note = ${stopped?.note ?? null}, updated_at = ${now} where tax_code = ${taxCode}`.execute(this.#k);
    return this.getOrganisation(taxCode);
  }

  async addUser(
    taxCode: string,
    input: { email: string; name: string; role: UserRole },
  ): Promise<Result<User>> {
    const r = await sql<{ id: bigint }>`
      insert into seller.app_user (tax_code, email, name, role, created_at)
      values (${taxCode}, ${input.email.toLowerCase()}, ${input.name}, ${input.role}, ${this.#clock.now()})
      on conflict (tax_code, email) do nothing returning id`.execute(this.#k);
    const row = r.rows[0];
    if (!row) return fail([sellerProblem("SELLER_USER_EXISTS", "email", { email: input.email })]);
    return ok({
      id: String(row.id),
      taxCode,
      email: input.email.toLowerCase(),
      name: input.name,
      role: input.role,
    });
  }

  async listUsers(taxCode: string): Promise<User[]> {
    const r = await sql<{ id: bigint; email: string; name: string; role: UserRole }>`
      select id, email, name, role from seller.app_user where tax_code = ${taxCode} order by id`.execute(
      this.#k,
    );
    return r.rows.map((u) => ({ id: String(u.id), taxCode, email: u.email, name: u.name, role: u.role }));
  }

  /** Makes an API key; the key itself is returned once and only its SHA-256 digest is kept. */
  async createApiKey(
    taxCode: string,
    input: { name: string; role: UserRole; userId?: string },
  ): Promise<{ key: string; info: ApiKeyInfo }> {
    const key = `hddt_${randomBytes(24).toString("base64url")}`;
    const prefix = key.slice(0, 10);
    const now = this.#clock.now();
    const r = await sql<{ id: bigint }>`
      insert into seller.api_key (tax_code, user_id, name, role, digest, prefix, created_at)
      values (${taxCode}, ${input.userId ?? null}, ${input.name}, ${input.role}, ${digestOf(key)}, ${prefix}, ${now})
      returning id`.execute(this.#k);
    return {
      key,
      info: {
        id: String(r.rows[0]!.id),
        name: input.name,
        role: input.role,
        prefix,
        createdAt: now.toISOString(),
        revokedAt: null,
      },
    };
  }

  async listApiKeys(taxCode: string): Promise<ApiKeyInfo[]> {
    const r = await sql<{
      id: bigint;
      name: string;
      role: UserRole;
      prefix: string;
      created_at: Date;
      revoked_at: Date | null;
    }>`select id, name, role, prefix, created_at, revoked_at from seller.api_key
        where tax_code = ${taxCode} order by id`.execute(this.#k);
    return r.rows.map((k) => ({
      id: String(k.id),
      name: k.name,
      role: k.role,
      prefix: k.prefix,
      createdAt: k.created_at.toISOString(),
      revokedAt: k.revoked_at?.toISOString() ?? null,
    }));
  }

  async revokeApiKey(taxCode: string, id: string): Promise<boolean> {
    if (!/^\d+$/.test(id)) return false;
    const r = await sql`update seller.api_key set revoked_at = ${this.#clock.now()}
      where tax_code = ${taxCode} and id = ${id} and revoked_at is null`.execute(this.#k);
    return Number(r.numAffectedRows ?? 0n) > 0;
  }

  /** The holder of a key, if it is valid. */
  async authenticate(key: string): Promise<KeyHolder | undefined> {
    const r = await sql<{ id: bigint; tax_code: string; role: UserRole; name: string }>`
      select id, tax_code, role, name from seller.api_key
        where digest = ${digestOf(key)} and revoked_at is null
          and (expires_at is null or expires_at > ${this.#clock.now()})`.execute(this.#k);
    const row = r.rows[0];
    return row ? { taxCode: row.tax_code, role: row.role, keyId: String(row.id), name: row.name } : undefined;
  }

  /** Sets how the organisation signs; the key is tried at once (a wrong password fails here). */
  async setSigningKey(
    taxCode: string,
    config: SigningKeyConfig,
  ): Promise<Result<{ certificate: string; serial: string }>> {
    const org = await this.getOrganisation(taxCode);
    if (!org.ok) return org;
    let signer: Signer;
    try {
      signer = await this.#signerFactory(config);
    } catch (error) {
      return fail([
        sellerProblem("SELLER_SIGNING_FAILED", "signingKey", { reason: (error as Error).message }),
      ]);
    }
    const certificate = signer.certificate();
    const serial = parseCertificate(certificate).serialNumber;
    await sql`
      insert into seller.signing_key (tax_code, kind, config, certificate, serial, created_at)
      values (${taxCode}, ${config.kind}, ${JSON.stringify(config)}::jsonb, ${certificate}, ${serial}, ${this.#clock.now()})
      on conflict (tax_code) do update set kind = excluded.kind, config = excluded.config,
        certificate = excluded.certificate, serial = excluded.serial, created_at = excluded.created_at`.execute(
      this.#k,
    );
    const previous = this.#signers.get(taxCode);
    this.#signers.set(taxCode, Promise.resolve(signer));
    if (previous) void previous.then((s) => s.close?.()).catch(() => undefined);
    return ok({ certificate, serial });
  }

  /** How the organisation signs now and the certificate in use (no secret: passwords and PINs stay). */
  async signingKey(taxCode: string): Promise<SigningKeyView | undefined> {
    const r = await sql<{ kind: SigningKeyConfig["kind"]; certificate: string | null; created_at: Date }>`
      select kind, certificate, created_at from seller.signing_key where tax_code = ${taxCode}`.execute(
      this.#k,
    );
    const row = r.rows[0];
    if (!row?.certificate) return undefined;
    const c = parseCertificate(row.certificate);
    const waiting = await sql<{ n: bigint }>`select count(*) as n from seller.invoice
      where tax_code = ${taxCode} and state = 'awaiting_signature'`.execute(this.#k);
    return {
      kind: row.kind,
      subject: c.subject,
      issuer: c.issuer,
      serial: c.serialNumber,
      taxCode: c.taxCode,
      notBefore: c.notBefore.toISOString(),
      notAfter: c.notAfter.toISOString(),
      testCertificate: c.isTest,
      since: row.created_at.toISOString(),
      awaitingSignature: Number(waiting.rows[0]?.n ?? 0),
      certificate: c.pem,
    };
  }

  /** Issues a development certificate of `ca` for the organisation and uses it (tests and demos only). */
  async issueDevSigningKey(
    taxCode: string,
    ca: DevCa,
  ): Promise<Result<{ certificate: string; serial: string }>> {
    const org = await this.getOrganisation(taxCode);
    if (!org.ok) return org;
    const now = this.#clock.now();
    const identity = await issueCertificate(ca, {
      name: org.value.name,
      taxCode,
      notBefore: new Date(now.getTime() - 366 * 86_400_000),
      notAfter: new Date(now.getTime() + 3 * 366 * 86_400_000),
    });
    const keyPem = identity.key!.export({ type: "pkcs8", format: "pem" }).toString();
    return this.setSigningKey(taxCode, { kind: "dev", keyPem, certificate: identity.certificate });
  }

  async #signer(taxCode: string): Promise<Signer> {
    let p = this.#signers.get(taxCode);
    if (!p) {
      p = (async () => {
        const r = await sql<{ config: SigningKeyConfig }>`
          select config from seller.signing_key where tax_code = ${taxCode}`.execute(this.#k);
        const row = r.rows[0];
        if (!row) throw new ProblemError([sellerProblem("SELLER_NO_SIGNING_KEY", "signingKey", { taxCode })]);
        return this.#signerFactory(row.config);
      })();
      this.#signers.set(taxCode, p);
      p.catch(() => this.#signers.delete(taxCode));
    }
    return p;
  }

  /** The signer of a form the organisation signs itself (registration, error notice, summary table). */
  async #formSigner(taxCode: string, what: string): Promise<Result<Signer>> {
    try {
      const signer = await this.#signer(taxCode);
      return isUserHeld(signer)
        ? fail([sellerProblem("SELLER_KEY_AT_USER", "signingKey", { what })])
        : ok(signer);
    } catch (error) {
      if (error instanceof ProblemError) return fail(error.problems);
      throw error;
    }
  }

  /** Releases the signers (PKCS#11 sessions, pools). */
  async close(): Promise<void> {
    const all = [...this.#signers.values()];
    this.#signers.clear();
    await Promise.allSettled(all.map(async (p) => (await p).close?.()));
  }

  // -------------------------------------------------------------------------------------------------------
  // Series

  async createSeries(taxCode: string, input: SeriesInput): Promise<Result<SeriesView>> {
    const parsed = parseSeries(input.series);
    const date = parsed ? `${parsed.year}-01-01` : this.#today();
    // The rules of the series' year: its first day, or today when the year has begun.
    const today = this.#today();
    const on = parsed && today.slice(0, 4) === String(parsed.year) ? today : date;
    const problems = validateSymbol(input.template, input.series, on, {
      template: "template",
      series: "series",
    }).filter((p) => p.severity === "error");
    if (problems.length > 0 || !parsed) return fail(problems);
    const org = await this.getOrganisation(taxCode);
    if (!org.ok) return org;
    const r = await sql<SeriesRow>`
      insert into seller.series (tax_code, template, series, year, coded, cash_register, created_at)
      values (${taxCode}, ${input.template}, ${input.series}, ${parsed.year}, ${parsed.coded},
              ${input.cashRegister ?? parsed.letter === "M"}, ${this.#clock.now()})
      on conflict (tax_code, template, series) do nothing returning *`.execute(this.#k);
    const row = r.rows[0];
    if (!row)
      return fail([
        sellerProblem("SELLER_SERIES_EXISTS", "series", { template: input.template, series: input.series }),
      ]);
    return ok(this.#seriesView(row));
  }

  #seriesView(r: SeriesRow): SeriesView {
    const today = this.#today();
    const warnings: Problem[] = [];
    const yearEnd = `${r.year}-12-31`;
    const left = daysBetween(today, yearEnd);
    if (r.active && left >= 0 && left < YEAR_END_WARNING_DAYS)
      warnings.push(
        sellerProblem("SELLER_SERIES_YEAR_ENDING", "series", {
          series: `${r.template}${r.series}`,
          year: String(r.year),
          days: String(left + 1),
        }),
      );
    return {
      template: r.template,
      series: r.series,
      year: r.year,
      coded: r.coded,
      cashRegister: r.cash_register,
      active: r.active,
      used: Number(r.last_number),
      lastDate: r.last_date,
      warnings,
    };
  }

  async listSeries(taxCode: string, filter: { year?: number } = {}): Promise<SeriesView[]> {
    const r = await sql<SeriesRow>`
      select * from seller.series where tax_code = ${taxCode}
        and (${filter.year ?? null}::integer is null or year = ${filter.year ?? null}::integer)
        order by year, template, series`.execute(this.#k);
    return r.rows.map((s) => this.#seriesView(s));
  }

  async setSeriesActive(
    taxCode: string,
    template: string,
    series: string,
    active: boolean,
  ): Promise<Result<SeriesView>> {
    const r = await sql<SeriesRow>`update seller.series set active = ${active}
      where tax_code = ${taxCode} and template = ${template} and series = ${series} returning *`.execute(
      this.#k,
    );
    const row = r.rows[0];
    return row
      ? ok(this.#seriesView(row))
      : fail([sellerProblem("SELLER_SERIES_NOT_FOUND", "series", { template, series })]);
  }

  // -------------------------------------------------------------------------------------------------------
  // Invoices: drafts

  #sellerOf(org: Organisation): Seller {
    const p = org.profile;
    return {
      name: org.name,
      taxCode: org.taxCode,
      address: org.address,
      ...(p.phone ? { phone: p.phone } : {}),
      ...(p.email ? { email: p.email } : {}),
      ...(p.bankAccount ? { bankAccount: p.bankAccount } : {}),
      ...(p.bankName ? { bankName: p.bankName } : {}),
      ...(p.website ? { website: p.website } : {}),
    };
  }

  /** The model of an invoice as it will be issued (`number` placeholder when not given). */
  #model(org: Organisation, input: InvoiceInput, issueDate: string, number: string): Result<Invoice> {
    const template = String(input.header.template) as TemplateDigit;
    const header = { ...input.header };
    if (header.name === undefined && TEMPLATE_MEANINGS[template])
      header.name = TEMPLATE_MEANINGS[template].vi;
    if (header.providerTaxCode === undefined && this.#config.providerTaxCode)
      header.providerTaxCode = this.#config.providerTaxCode;
    return toInvoice({ ...input, header }, this.#sellerOf(org), { number, issueDate });
  }

  /** Checks a draft: the model reads, and the validator finds no error at the draft stage. */
  #checkDraft(org: Organisation, input: InvoiceInput): Problem[] {
    const date = input.header.issueDate ?? this.#today();
    const m = this.#model(org, input, date, "1");
    if (!m.ok) return m.problems;
    return validateInvoice(m.value, { stage: "draft" }).filter((p) => p.severity === "error");
  }

  /**
   * Drafts many invoices, all or none: every item is checked first, and any problem (its path prefixed by
   * `items[i].`) refuses them all before anything is written. Each item's idempotency key makes a repeat
   * give the same drafts, which is also how an import cut short by a crash is completed: send it again.
   */
  async importDrafts(
    taxCode: string,
    items: readonly BatchItem[],
    options: { actor?: string } = {},
  ): Promise<Result<{ invoice: InvoiceView; created: boolean }[]>> {
    const org = await this.getOrganisation(taxCode);
    if (!org.ok) return org;
    const problems = items.flatMap((item, i) =>
      this.#checkDraft(org.value, item.input).map((p) => ({ ...p, path: `items[${i}].${p.path}` })),
    );
    if (problems.length > 0) return fail(problems);
    const results = await this.#createDrafts(org.value, items, options.actor);
    const refused = results.flatMap((r, i) =>
      r.ok ? [] : r.problems.map((p) => ({ ...p, path: `items[${i}].${p.path}` })),
    );
    return refused.length > 0 ? fail(refused) : ok(results.flatMap((r) => (r.ok ? [r.value] : [])));
  }

  /**
   * Creates a draft (no number). With an idempotency key: the same key and body give the same invoice
   * (`created` false), also for concurrent calls; another body under the key is a conflict.
   */
  async createDraft(
    taxCode: string,
    input: InvoiceInput,
    options: {
      idempotencyKey?: string;
      actor?: string;
      corrects?: { id: string; way: CorrectionWay };
    } = {},
  ): Promise<Result<{ invoice: InvoiceView; created: boolean }>> {
    const org = await this.getOrganisation(taxCode);
    if (!org.ok) return org;
    const [r] = await this.#createDrafts(
      org.value,
      [
        {
          input,
          ...(options.idempotencyKey !== undefined ? { idempotencyKey: options.idempotencyKey } : {}),
        },
      ],
      options.actor,
      options.corrects,
    );
    return r!;
  }

  /** Drafts many invoices in few statements (multi-row inserts); a result per item, in order. */
  async #createDrafts(
    org: Organisation,
    items: readonly BatchItem[],
    actor: string | undefined,
    corrects?: { id: string; way: CorrectionWay },
  ): Promise<Result<{ invoice: InvoiceView; created: boolean }>[]> {
    const taxCode = org.taxCode;
    const out: Result<{ invoice: InvoiceView; created: boolean }>[] = new Array(items.length);
    const now = this.#clock.now();
    const prepared: { i: number; id: string; key: string | null; hash: string; input: InvoiceInput }[] = [];
    items.forEach((item, i) => {
      const problems = this.#checkDraft(org, item.input);
      if (problems.length > 0) {
        out[i] = fail(problems);
        return;
      }
      prepared.push({
        i,
        id: randomUUID(),
        key: item.idempotencyKey ?? null,
        hash: createHash("sha256").update(canonicalJson(item.input)).digest("hex"),
        input: item.input,
      });
    });
    const ROWS = 500;
    for (let from = 0; from < prepared.length; from += ROWS) {
      const part = prepared.slice(from, from + ROWS);
      const inserted = await inTransaction(this.#k, async (trx) => {
        const values = part.map((p) => {
          const buyer = p.input.buyer ?? {};
          return sql`(${p.id}, ${taxCode}, ${p.key}, ${p.hash}, 'draft', ${String(p.input.header.template)},
            ${String(p.input.header.series)}, ${p.input.header.issueDate ?? null}::date, ${JSON.stringify(p.input)}::jsonb,
            ${typeof buyer.taxCode === "string" ? buyer.taxCode : null},
            ${typeof buyer.email === "string" ? buyer.email : null}, ${newLookupCode()},
            ${corrects?.id ?? null}, ${corrects?.way ?? null}, ${contractOf(p.input) ?? null},
            ${now}::timestamptz, ${now}::timestamptz)`;
        });
        // Concurrent creates with one key: the unique index decides; the others read the winner below.
        const r = await sql<InvoiceRow>`
          insert into seller.invoice (id, tax_code, idempotency_key, request_hash, state, template, series,
            issue_date, input, buyer_tax_code, buyer_email, lookup_code, corrects_id, correction, contract_no,
            created_at, updated_at)
          values ${sql.join(values)}
          on conflict (tax_code, idempotency_key) do nothing
          returning ${INVOICE_COLUMNS}`.execute(trx);
        if (r.rows.length > 0) {
          const events = r.rows.map(
            (row) => sql`(${taxCode}, ${row.id}, ${now}::timestamptz, null, 'draft', ${actor ?? null}, null)`,
          );
          await sql`insert into seller.invoice_event (tax_code, invoice_id, at, from_state, to_state, actor, detail)
            values ${sql.join(events)}`.execute(trx);
        }
        return new Map(r.rows.map((row) => [row.id, row]));
      });
      const taken: typeof part = [];
      for (const p of part) {
        const row = inserted.get(p.id);
        if (row) out[p.i] = ok({ invoice: toView(row), created: true });
        else taken.push(p);
      }
      if (taken.length === 0) continue;
      // The key was taken: by this same request (a retry, a concurrent twin) or by another body.
      const existing = await sql<InvoiceRow>`select ${INVOICE_COLUMNS} from seller.invoice
        where tax_code = ${taxCode} and idempotency_key = any(${taken.map((p) => p.key!)}::text[])`.execute(
        this.#k,
      );
      const byKey = new Map(existing.rows.map((row) => [row.idempotency_key, row]));
      for (const p of taken) {
        const row = byKey.get(p.key);
        if (!row) throw new Error("idempotency key conflict without a row");
        out[p.i] =
          row.request_hash === p.hash
            ? ok({ invoice: toView(row), created: false })
            : fail([
                sellerProblem("SELLER_IDEMPOTENCY_CONFLICT", "header:idempotency-key", { key: p.key ?? "" }),
              ]);
      }
    }
    return out;
  }

  async #event(
    ex: Kysely<unknown> | Transaction<unknown>,
    taxCode: string,
    invoiceId: string,
    from: InvoiceState | null,
    to: InvoiceState,
    actor: string | undefined,
    detail: unknown,
    at: Date,
  ): Promise<void> {
    await sql`insert into seller.invoice_event (tax_code, invoice_id, at, from_state, to_state, actor, detail)
      values (${taxCode}, ${invoiceId}, ${at}, ${from}, ${to}, ${actor ?? null},
        ${detail === undefined ? null : JSON.stringify(detail)}::jsonb)`.execute(ex);
  }

  // -------------------------------------------------------------------------------------------------------
  // Invoices: issuing

  /** Issues one draft (see the module notes). Issuing an invoice already issued returns it unchanged. */
  async issue(taxCode: string, id: string, options: { actor?: string } = {}): Promise<Result<InvoiceView>> {
    const [r] = await this.#issueMany(taxCode, [id], options.actor);
    return r!;
  }

  /** Creates and issues up to MAX_BATCH invoices; a result per item, in the order given. */
  async issueBatch(
    taxCode: string,
    items: readonly BatchItem[],
    options: { actor?: string } = {},
  ): Promise<Result<BatchResult[]>> {
    if (items.length > MAX_BATCH)
      return fail([
        sellerProblem("SELLER_BATCH_TOO_LARGE", "items", {
          max: String(MAX_BATCH),
          count: String(items.length),
        }),
      ]);
    const results: BatchResult[] = new Array(items.length);
    const org = await this.getOrganisation(taxCode);
    if (!org.ok) return org;
    const drafts = await this.#createDrafts(org.value, items, options.actor);
    const ids: string[] = [];
    const at: number[] = [];
    drafts.forEach((d, i) => {
      if (!d.ok) results[i] = { index: i, ok: false, problems: d.problems };
      else {
        ids.push(d.value.invoice.id);
        at.push(i);
      }
    });
    const issued = await this.#issueMany(taxCode, ids, options.actor);
    issued.forEach((r, j) => {
      const i = at[j]!;
      results[i] = r.ok
        ? { index: i, ok: true, invoice: r.value }
        : { index: i, ok: false, problems: r.problems };
    });
    return ok(results);
  }

  /**
   * Invoices waiting for the signature of a key held by the user, lowest number first, with what the key
   * must sign: the digest (or the DigestInfo, for tokens that take the raw PKCS#1 input) of the canonical
   * SignedInfo.
   */
  async signingRequests(taxCode: string, options: { limit?: number } = {}): Promise<SigningRequest[]> {
    const r = await sql<{
      id: string;
      template: string;
      series: string;
      number: bigint;
      issue_date: string;
      total_payable: string;
      prepared: ParkedSignature;
    }>`select id, template, series, number, issue_date, total_payable, prepared from seller.invoice
      where tax_code = ${taxCode} and state = 'awaiting_signature'
      order by template, series, number limit ${options.limit ?? 1000}`.execute(this.#k);
    return r.rows.map((row) => {
      const p = row.prepared.signature;
      return {
        invoiceId: row.id,
        template: row.template,
        series: row.series,
        number: Number(row.number),
        issueDate: row.issue_date,
        totalPayable: row.total_payable,
        algorithm: p.algorithm,
        digestAlgorithm: p.digestAlgorithm,
        digest: p.digest,
        digestInfo: p.digestInfo,
        signedInfo: p.signedInfo,
        certificate: p.certificate,
      };
    });
  }

  /**
   * Two-step signing, step 2: each signature value is checked against its invoice's SignedInfo and the
   * certificate, put in place, and the invoice goes on as if signed on the server (message 200/201/203 in
   * the same transaction, delivery of a no-code invoice). A value given again for an invoice already
   * finished returns the invoice as it is.
   */
  async completeSignatures(
    taxCode: string,
    signatures: readonly { readonly invoiceId: string; readonly signatureValue: string }[],
    options: { actor?: string } = {},
  ): Promise<Result<Result<InvoiceView>[]>> {
    const orgR = await this.getOrganisation(taxCode);
    if (!orgR.ok) return orgR;
    const org = orgR.value;
    const ids = signatures.map((x) => x.invoiceId);
    const parked = await sql<{ id: string; prepared: ParkedSignature | null }>`select id, prepared
      from seller.invoice where tax_code = ${taxCode} and id = any(${ids}::text[])`.execute(this.#k);
    const preparedOf = new Map(parked.rows.map((r) => [r.id, r.prepared]));
    const rows = await this.#rows(taxCode, ids);
    const results: Result<InvoiceView>[] = new Array(signatures.length);
    // Finished documents per series and mode, each finished in one transaction.
    const groups = new Map<string, { index: number; row: InvoiceRow; mode: IssueMode; xml: string }[]>();
    signatures.forEach((x, index) => {
      const row = rows.get(x.invoiceId);
      if (!row) {
        results[index] = fail([
          sellerProblem("SELLER_INVOICE_NOT_FOUND", `signatures.${index}.invoiceId`, { id: x.invoiceId }),
        ]);
        return;
      }
      const prepared = preparedOf.get(x.invoiceId);
      if (row.state !== "awaiting_signature" || !prepared) {
        results[index] =
          row.state === "draft"
            ? fail([
                sellerProblem("SELLER_NOT_AWAITING_SIGNATURE", `signatures.${index}.invoiceId`, {
                  id: row.id,
                  state: row.state,
                }),
              ])
            : ok(toView(row));
        return;
      }
      const done = finishSignature(prepared.signature, x.signatureValue);
      if (!done.ok) {
        results[index] = fail(
          done.problems.map((p) => ({ ...p, path: `signatures.${index}.signatureValue` })),
        );
        return;
      }
      const key = `${row.template}\u0000${row.series}\u0000${prepared.mode}`;
      const item = { index, row, mode: prepared.mode, xml: done.value.xml };
      const g = groups.get(key);
      if (g) g.push(item);
      else groups.set(key, [item]);
    });
    const issued: string[] = [];
    for (const group of groups.values()) {
      const first = group[0]!.row;
      await inTransaction(this.#k, async (trx) => {
        const s = await sql<SeriesRow>`select * from seller.series
          where tax_code = ${taxCode} and template = ${first.template} and series = ${first.series}`.execute(
          trx,
        );
        const series = s.rows[0]!;
        // Finished meanwhile by another request: left as they are, read again below.
        const still = await sql<{ id: string }>`select id from seller.invoice
          where tax_code = ${taxCode} and id = any(${group.map((g) => g.row.id)}::text[])
            and state = 'awaiting_signature' for update`.execute(trx);
        const open = new Set(still.rows.map((r) => r.id));
        const items: SignedItem[] = group
          .filter((g) => open.has(g.row.id))
          .map((g) => ({
            row: g.row,
            actor: options.actor,
            from: "awaiting_signature",
            number: g.row.number!,
            date: g.row.issue_date!,
            xml: g.xml,
            totalPayable: g.row.total_payable!,
            code: null,
          }));
        if (items.length === 0) return;
        const stored = await this.#storeSigned(trx, org, series, group[0]!.mode, items, undefined);
        await this.#archive.putMany(trx, stored.archived);
        for (const v of stored.views) if (v.state === "issued") issued.push(v.id);
      });
    }
    if (issued.length > 0) await this.#deliverMany(taxCode, issued, options.actor);
    const fresh = await this.#rows(taxCode, ids);
    // Those finished here, or meanwhile by another request, as they are now.
    return ok(signatures.map((x, index) => results[index] ?? ok(toView(fresh.get(x.invoiceId)!))));
  }

  /**
   * Takes back an invoice parked for its signature, to a draft without a number. Only the series' last
   * number can be given back: a number below it is followed by others, so that invoice must be signed.
   */
  async withdrawSignature(
    taxCode: string,
    id: string,
    options: { actor?: string } = {},
  ): Promise<Result<InvoiceView>> {
    const row = (await this.#rows(taxCode, [id])).get(id);
    if (!row) return fail([sellerProblem("SELLER_INVOICE_NOT_FOUND", "id", { id })]);
    try {
      await inTransaction(this.#k, async (trx) => {
        const s = await sql<SeriesRow>`select * from seller.series
          where tax_code = ${taxCode} and template = ${row.template} and series = ${row.series}
          for update`.execute(trx);
        const series = s.rows[0]!;
        const now = await sql<{
          state: InvoiceState;
          number: bigint | null;
          prepared: ParkedSignature | null;
        }>`
          select state, number, prepared from seller.invoice where id = ${id} for update`.execute(trx);
        const cur = now.rows[0]!;
        if (cur.state !== "awaiting_signature" || cur.number === null || !cur.prepared)
          throw new ProblemError([
            sellerProblem("SELLER_NOT_AWAITING_SIGNATURE", "id", { id, state: cur.state }),
          ]);
        if (BigInt(cur.number) !== BigInt(series.last_number))
          throw new ProblemError([
            sellerProblem("SELLER_WITHDRAW_NOT_LAST", "id", {
              last: String(series.last_number),
              number: String(cur.number),
            }),
          ]);
        const previous = BigInt(cur.number) - 1n;
        const before = await sql<{ issue_date: string }>`select issue_date from seller.invoice
          where tax_code = ${taxCode} and template = ${row.template} and series = ${row.series}
            and number = ${previous}`.execute(trx);
        const at = this.#clock.now();
        await sql`update seller.invoice set state = 'draft', number = null, prepared = null,
            issue_date = ${cur.prepared.draftDate}, total_payable = null, updated_at = ${at}
          where id = ${id}`.execute(trx);
        await sql`update seller.series set last_number = ${previous},
            last_date = ${before.rows[0]?.issue_date ?? null} where id = ${series.id}`.execute(trx);
        await sql`insert into seller.invoice_event (tax_code, invoice_id, at, from_state, to_state, actor, detail)
          values (${taxCode}, ${id}, ${at}, 'awaiting_signature', 'draft', ${options.actor ?? null},
            ${JSON.stringify({ number: Number(cur.number), withdrawn: true })}::jsonb)`.execute(trx);
      });
    } catch (error) {
      if (error instanceof ProblemError) return fail(error.problems);
      throw error;
    }
    return ok(toView((await this.#rows(taxCode, [id])).get(id)!));
  }

  async #issueMany(
    taxCode: string,
    ids: readonly string[],
    actor?: string,
    mode: IssueMode = "normal",
  ): Promise<Result<InvoiceView>[]> {
    const out: Result<InvoiceView>[] = new Array(ids.length);
    const orgR = await this.getOrganisation(taxCode);
    if (!orgR.ok) return ids.map(() => orgR);
    const org = orgR.value;
    // A stopped seller issues only against the contracts signed before the stop that the authority allowed.
    const allowed = org.stoppedAt !== null ? await this.#contractMap(taxCode) : undefined;
    // The key is fetched when a chunk needs it: cash-register invoices need no signature.
    const signer = () => this.#signer(taxCode);
    const rows = await this.#rows(taxCode, ids);
    const today = this.#today();
    // Group the drafts by series; each group is numbered in date order, in chunks of CHUNK per transaction.
    const groups = new Map<string, { index: number; row: InvoiceRow; date: string }[]>();
    ids.forEach((id, index) => {
      const row = rows.get(id);
      if (!row) {
        out[index] = fail([sellerProblem("SELLER_INVOICE_NOT_FOUND", "id", { id })]);
        return;
      }
      if (row.state !== "draft") {
        out[index] = ok(toView(row));
        return;
      }
      if (allowed) {
        const stop = this.#stopProblem(org, allowed, row.contract_no);
        if (stop) {
          out[index] = fail([stop]);
          return;
        }
      }
      const date = row.issue_date ?? today;
      if (date > today) {
        out[index] = fail([sellerProblem("SELLER_DATE_IN_FUTURE", "header.issueDate", { date, today })]);
        return;
      }
      const key = `${row.template}\u0000${row.series}`;
      const g = groups.get(key);
      if (g) g.push({ index, row, date });
      else groups.set(key, [{ index, row, date }]);
    });
    for (const group of groups.values()) {
      group.sort((a, b) => (a.date < b.date ? -1 : a.date > b.date ? 1 : a.index - b.index));
      for (let i = 0; i < group.length; i += CHUNK) {
        const chunk = group.slice(i, i + CHUNK).map((c) => ({ ...c, actor }));
        const key = `${taxCode}\u0000${chunk[0]!.row.template}\u0000${chunk[0]!.row.series}\u0000${mode}`;
        const results = await this.#issueTogether(key, org, signer, chunk, mode);
        chunk.forEach((c, j) => {
          out[c.index] = results[j]!;
        });
      }
    }
    // No-code invoices go to their buyers once stored (a coded one waits for its code).
    const issued = out.flatMap((r) => (r?.ok && r.value.state === "issued" ? [r.value.id] : []));
    if (issued.length > 0) await this.#deliverMany(taxCode, issued, actor);
    const fresh = await this.#rows(
      taxCode,
      out.flatMap((r) => (r?.ok ? [r.value.id] : [])),
    );
    return out.map((r) => (r.ok ? ok(toView(fresh.get(r.value.id) ?? (r.value as never))) : r));
  }

  /**
   * Group commit of issuing: while a chunk of a series is in its transaction, the chunks other requests
   * bring for the same series wait and then go together (up to CHUNK drafts) in the next one, numbered in
   * date order (then in the order they came). Concurrent single issues thus share the series lock and the
   * round trips of one transaction instead of queueing for them one by one.
   */
  #issueTogether(
    key: string,
    org: Organisation,
    signer: () => Promise<Signer>,
    chunk: readonly ChunkItem[],
    mode: IssueMode,
  ): Promise<Result<InvoiceView>[]> {
    return new Promise((resolve, reject) => {
      let q = this.#issuing.get(key);
      if (!q) {
        q = { running: false, waiting: [] };
        this.#issuing.set(key, q);
      }
      q.waiting.push({ org, signer, mode, chunk, resolve, reject });
      if (!q.running) void this.#runIssuing(key, q);
    });
  }

  async #runIssuing(key: string, q: IssueQueue): Promise<void> {
    q.running = true;
    try {
      while (q.waiting.length > 0) {
        const take: PendingChunk[] = [q.waiting.shift()!];
        let size = take[0]!.chunk.length;
        while (q.waiting.length > 0 && size + q.waiting[0]!.chunk.length <= CHUNK) {
          const next = q.waiting.shift()!;
          size += next.chunk.length;
          take.push(next);
        }
        const merged = take.flatMap((p, from) => p.chunk.map((c, j) => ({ c, from, j })));
        merged.sort((a, b) =>
          a.c.date < b.c.date ? -1 : a.c.date > b.c.date ? 1 : a.from - b.from || a.j - b.j,
        );
        try {
          const results = await this.#issueChunk(
            take[0]!.org,
            take[0]!.signer,
            merged.map((m) => m.c),
            take[0]!.mode,
          );
          const per = take.map((p) => new Array<Result<InvoiceView>>(p.chunk.length));
          merged.forEach((m, k) => {
            per[m.from]![m.j] = results[k]!;
          });
          take.forEach((p, i) => {
            p.resolve(per[i]!);
          });
        } catch (error) {
          for (const p of take) p.reject(error);
        }
      }
    } finally {
      q.running = false;
      if (q.waiting.length === 0) this.#issuing.delete(key);
    }
  }

  async #rows(taxCode: string, ids: readonly string[]): Promise<Map<string, InvoiceRow>> {
    const map = new Map<string, InvoiceRow>();
    if (ids.length === 0) return map;
    const r = await sql<InvoiceRow>`select ${INVOICE_COLUMNS} from seller.invoice
      where tax_code = ${taxCode} and id = any(${ids as string[]}::text[])`.execute(this.#k);
    for (const row of r.rows) map.set(row.id, row);
    return map;
  }

  /**
   * Numbers, signs and stores one chunk of drafts of one series, in date order, in one transaction.
   * Drafts that fail a check get their problems and no number; the others are numbered without gaps.
   */
  async #issueChunk(
    org: Organisation,
    signerOf: () => Promise<Signer>,
    chunk: readonly ChunkItem[],
    mode: IssueMode,
  ): Promise<Result<InvoiceView>[]> {
    const taxCode = org.taxCode;
    const first = chunk[0]!.row;
    const results: Result<InvoiceView>[] = new Array(chunk.length);
    // Pure checks first, outside the transaction (the number does not change what they find).
    const todo: number[] = [];
    chunk.forEach((c, j) => {
      const m = this.#model(org, c.row.input, c.date, "1");
      const problems = m.ok
        ? validateInvoice(m.value, { stage: "issued" }).filter((p) => p.severity === "error")
        : m.problems;
      if (problems.length > 0) results[j] = fail(problems);
      else todo.push(j);
    });
    if (todo.length === 0) return results;
    // Cash-register series sign nothing but the 206 (when there is a key); the others need the key.
    let signer: Signer | undefined;
    try {
      signer = await signerOf();
    } catch (error) {
      if (!(error instanceof ProblemError)) throw error;
      const kind = await sql<{ cash_register: boolean }>`select cash_register from seller.series
        where tax_code = ${taxCode} and template = ${first.template} and series = ${first.series}`.execute(
        this.#k,
      );
      if (kind.rows[0]?.cash_register !== true || mode !== "normal") {
        for (const j of todo) results[j] = fail(error.problems);
        return results;
      }
    }
    try {
      await inTransaction(this.#k, async (trx) => {
        const s = await sql<SeriesRow>`select * from seller.series
          where tax_code = ${taxCode} and template = ${first.template} and series = ${first.series}
          for update`.execute(trx);
        const series = s.rows[0];
        const params = { template: first.template, series: first.series };
        if (!series)
          throw new ProblemError([sellerProblem("SELLER_SERIES_NOT_FOUND", "header.series", params)]);
        if (!series.active)
          throw new ProblemError([sellerProblem("SELLER_SERIES_INACTIVE", "header.series", params)]);
        if (!series.coded && org.codedOnly)
          throw new ProblemError([
            sellerProblem("SELLER_CODED_ONLY", "header.series", { series: first.series }),
          ]);
        const cash = series.cash_register;
        if (mode === "per_occurrence" && cash)
          throw new ProblemError([
            sellerProblem("SELLER_CASH_REGISTER_SERIES", "header.series", {
              series: first.series,
              what: "hóa đơn theo từng lần phát sinh / per-occurrence invoices",
            }),
          ]);
        if (mode === "per_occurrence" && !series.coded)
          throw new ProblemError([
            sellerProblem("SELLER_PER_OCCURRENCE_SERIES", "header.series", { series: first.series }),
          ]);
        const block = org.profile.cashRegisterBlock;
        if (cash && (block === undefined || !/^[0-9A-Z]{5}$/.test(block)))
          throw new ProblemError([
            sellerProblem("SELLER_CASH_REGISTER_BLOCK_MISSING", "profile.cashRegisterBlock"),
          ]);
        // Drafts issued meanwhile by someone else are left as they are.
        const states = await sql<{ id: string; state: InvoiceState }>`select id, state from seller.invoice
          where tax_code = ${taxCode} and id = any(${todo.map((j) => chunk[j]!.row.id)}::text[]) for update`.execute(
          trx,
        );
        const draft = new Set(states.rows.filter((x) => x.state === "draft").map((x) => x.id));
        let last = series.last_number;
        let lastDate = series.last_date;
        const numbered: { j: number; number: bigint; xml: string; model: Invoice; code: string | null }[] =
          [];
        for (const j of todo) {
          const c = chunk[j]!;
          if (!draft.has(c.row.id)) continue;
          if (String(series.year) !== c.date.slice(0, 4)) {
            results[j] = fail([
              sellerProblem("SELLER_SERIES_YEAR_MISMATCH", "header.issueDate", {
                date: c.date,
                series: series.series,
                year: String(series.year),
              }),
            ]);
            continue;
          }
          if (lastDate !== null && c.date < lastDate) {
            results[j] = fail([
              sellerProblem("SELLER_DATE_ORDER", "header.issueDate", { date: c.date, last: lastDate }),
            ]);
            continue;
          }
          const number = last + 1n;
          const m = this.#model(org, c.row.input, c.date, String(number));
          if (!m.ok) {
            results[j] = fail(m.problems);
            continue;
          }
          last = number;
          lastDate = c.date;
          // Twice in a merged chunk (two requests for one draft): numbered once, the other reads it after.
          draft.delete(c.row.id);
          numbered.push({ j, number, xml: writeInvoice(m.value), model: m.value, code: null });
        }
        if (numbered.length === 0) return;
        if (cash) {
          // C10–C20 of the cash-register code: the seller's running number of the year, taken for the chunk.
          const n = BigInt(numbered.length);
          const c = await sql<{ last: bigint }>`
            insert into seller.cash_register_counter as c (tax_code, year, last) values (${taxCode}, ${series.year}, ${n})
            on conflict (tax_code, year) do update set last = c.last + ${n} returning last`.execute(trx);
          let seq = BigInt(c.rows[0]!.last) - n;
          for (const x of numbered) {
            seq += 1n;
            x.code = makeCashRegisterCode({
              template: first.template as TemplateDigit,
              year: series.year,
              authorityBlock: block!,
              sequence: seq,
            });
            x.model = { ...x.model, authorityCode: x.code };
            x.xml = writeInvoice(x.model);
          }
        }
        const seriesUpdate = sql`update seller.series set last_number = ${last}, last_date = ${lastDate}
          where id = ${series.id}`;
        if (signer !== undefined && isUserHeld(signer) && !cash) {
          // The key is at the user: the numbered invoices wait for their signature values.
          const parked = await this.#park(
            trx,
            org,
            signer.certificate(),
            mode,
            numbered.map((n) => ({
              row: chunk[n.j]!.row,
              actor: chunk[n.j]!.actor,
              number: n.number,
              date: chunk[n.j]!.date,
              xml: n.xml,
              totalPayable: n.model.totals.totalPayable.toString(),
            })),
          );
          numbered.forEach((n, k) => {
            results[n.j] = parked[k]!;
          });
          await seriesUpdate.execute(trx);
          return;
        }
        // Sign the chunk (in parallel: a signer pool uses its threads). A failure rolls the numbers back.
        // A cash-register invoice needs no seller signature (Decree 123 art. 11).
        const signed = await Promise.all(
          numbered.map((n) =>
            cash
              ? Promise.resolve(ok({ xml: n.xml }))
              : // hddt's writer emits canonical XML (test/signing/canonical-writer.test.ts holds it to that).
                signAs(n.xml, signer!, "seller", { assumeCanonical: true }),
          ),
        );
        const items: SignedItem[] = numbered.map((n, k) => {
          const sres = signed[k]!;
          if (!sres.ok) throw new ProblemError(sres.problems);
          const c = chunk[n.j]!;
          return {
            row: c.row,
            actor: c.actor,
            from: "draft",
            number: n.number,
            date: c.date,
            xml: sres.value.xml,
            totalPayable: n.model.totals.totalPayable.toString(),
            code: n.code,
          };
        });
        const stored = await this.#storeSigned(trx, org, series, mode, items, signer);
        numbered.forEach((n, k) => {
          results[n.j] = ok(stored.views[k]!);
        });
        await seriesUpdate.execute(trx);
        // Last: the seller's archive head stays locked only until the commit that follows.
        await this.#archive.putMany(trx, stored.archived);
      });
    } catch (error) {
      if (!(error instanceof ProblemError)) throw error;
      for (const j of todo) results[j] = fail(error.problems);
    }
    // Drafts found issued by someone else: report them as they are now.
    const missing = todo.filter((j) => results[j] === undefined).map((j) => chunk[j]!.row.id);
    if (missing.length > 0) {
      const now = await this.#rows(taxCode, missing);
      for (const j of todo)
        if (results[j] === undefined) {
          const row = now.get(chunk[j]!.row.id);
          results[j] = row
            ? ok(toView(row))
            : fail([sellerProblem("SELLER_INVOICE_NOT_FOUND", "id", { id: chunk[j]!.row.id })]);
        }
    }
    return results;
  }

  /**
   * Stores signed invoices of one series (numbered in this transaction, or parked for a signature that has
   * come back): signed XML, state, history, and for each the message to the authority (queued in the
   * outbox). Returns their views and what the caller archives, last, before the commit.
   */
  async #storeSigned(
    trx: Kysely<unknown>,
    org: Organisation,
    series: Pick<SeriesRow, "coded" | "cash_register">,
    mode: IssueMode,
    items: readonly SignedItem[],
    signer: Signer | undefined,
  ): Promise<{ views: InvoiceView[]; archived: ArchiveEntry[] }> {
    const taxCode = org.taxCode;
    const cash = series.cash_register;
    const now = this.#clock.now();
    const messages: OutgoingMessage[] = [];
    // The chunk is written in a few statements, whatever its size: the series lock (and, at the end,
    // the archive head) is held for a fixed number of round trips.
    const updates: RawBuilder<unknown>[] = [];
    const events: RawBuilder<unknown>[] = [];
    const records: RawBuilder<unknown>[] = [];
    const archived: ArchiveEntry[] = [];
    const views: InvoiceView[] = [];
    const party = this.partyFor(taxCode);
    // Summary-table sellers send their no-code data later, in the table of the period.
    const summarised = !series.coded && org.profile.summarySector !== undefined;
    const type: MessageTypeCode = cash ? 206 : mode === "per_occurrence" ? 201 : series.coded ? 200 : 203;
    const dataState: DataState | null =
      series.coded && !cash ? null : summarised ? "pending_summary" : "sent";
    const state: InvoiceState = series.coded && !cash ? "waiting_for_code" : "issued";
    // A user-held key signs nothing on the server: its 206 goes unsigned, as for a seller without a key.
    const messageSigner = cash && signer !== undefined && !isUserHeld(signer) ? signer : undefined;
    const eventRow = (it: SignedItem, from: InvoiceState, to: InvoiceState, detail: unknown) =>
      sql`(${taxCode}, ${it.row.id}, ${now}, ${from}, ${to}, ${it.actor ?? null}, ${JSON.stringify(detail)}::jsonb)`;
    for (const it of items) {
      const messageId = summarised ? null : newMessageId(party, () => randomBytes(16).toString("hex"));
      updates.push(
        sql`(${it.row.id}::text, ${state}::text, ${it.number}::bigint, ${it.date}::date, ${it.xml}::text,
          ${messageId}::text, ${it.totalPayable}::numeric, ${dataState}::text, ${it.code}::text)`,
      );
      events.push(
        eventRow(it, it.from, "issued", {
          number: Number(it.number),
          ...(it.code !== null ? { cashRegisterCode: it.code } : {}),
          ...(it.from === "awaiting_signature" ? { signature: "two-step" } : {}),
        }),
      );
      if (state !== "issued") events.push(eventRow(it, "issued", state, { messageId, type }));
      archived.push({ taxCode, kind: "invoice", ref: it.row.id, documentDate: it.date, bytes: it.xml });
      if (messageId !== null) {
        let message = this.#envelope(taxCode, type, messageId, it.xml);
        if (messageSigner) {
          // The taxpayer's message signature (CKSNNT) covers DLieu, which then needs an Id.
          const s206 = await signAs(
            message.replace("<DLieu>", '<DLieu Id="DLieu">'),
            messageSigner,
            "cashRegister",
          );
          if (!s206.ok) throw new ProblemError(s206.problems);
          message = s206.value.xml;
        }
        archived.push({ taxCode, kind: "message", ref: messageId, documentDate: it.date, bytes: message });
        records.push(
          sql`(${taxCode}, ${messageId}, 'out', ${type}, null, ${message}, ${it.row.id}, null, ${now})`,
        );
        // Invoices do not wait for each other (each is coded on its own); registrations keep their order.
        messages.push({ messageId, destination: this.#config.tvan, xml: message });
      }
      views.push({
        ...toView(it.row),
        state,
        number: Number(it.number),
        issueDate: it.date,
        messageId,
        dataState,
        authorityCode: it.code,
        totalPayable: it.totalPayable,
      });
    }
    await sql`update seller.invoice as i set state = v.state, number = v.number, issue_date = v.issue_date,
        signed_xml = v.signed_xml, message_id = v.message_id, total_payable = v.total_payable,
        data_state = v.data_state, authority_code = v.code, prepared = null, updated_at = ${now}
      from (values ${sql.join(updates)})
        as v(id, state, number, issue_date, signed_xml, message_id, total_payable, data_state, code)
      where i.id = v.id`.execute(trx);
    await sql`insert into seller.invoice_event (tax_code, invoice_id, at, from_state, to_state, actor, detail)
      values ${sql.join(events)}`.execute(trx);
    if (records.length > 0)
      await sql`insert into seller.message (tax_code, message_id, direction, type, reply_to, xml, invoice_id, registration_id, at)
        values ${sql.join(records)} on conflict (message_id) do nothing`.execute(trx);
    if (messages.length > 0) await this.#outbox.enqueue(messages, trx);
    return { views, archived };
  }

  /**
   * Parks numbered invoices of an organisation whose key is at the user: each keeps its number and waits in
   * `awaiting_signature` with what its signer must sign (see `signingRequests`, `completeSignatures`).
   */
  async #park(
    trx: Kysely<unknown>,
    org: Organisation,
    certificate: string,
    mode: IssueMode,
    items: readonly Omit<SignedItem, "from" | "code">[],
  ): Promise<Result<InvoiceView>[]> {
    const now = this.#clock.now();
    const out: Result<InvoiceView>[] = [];
    const updates: RawBuilder<unknown>[] = [];
    const events: RawBuilder<unknown>[] = [];
    for (const it of items) {
      const spec = specFor(it.xml, "seller", { assumeCanonical: true, signingTime: now });
      const prepared = spec.ok ? prepareSignature(it.xml, certificate, spec.value) : spec;
      if (!prepared.ok) throw new ProblemError(prepared.problems);
      const parked: ParkedSignature = { mode, draftDate: it.row.issue_date, signature: prepared.value };
      updates.push(
        sql`(${it.row.id}::text, ${it.number}::bigint, ${it.date}::date, ${it.totalPayable}::numeric,
          ${JSON.stringify(parked)}::jsonb)`,
      );
      events.push(
        sql`(${org.taxCode}, ${it.row.id}, ${now}, 'draft', 'awaiting_signature', ${it.actor ?? null},
          ${JSON.stringify({ number: Number(it.number) })}::jsonb)`,
      );
      out.push(
        ok({
          ...toView(it.row),
          state: "awaiting_signature",
          number: Number(it.number),
          issueDate: it.date,
          totalPayable: it.totalPayable,
        }),
      );
    }
    await sql`update seller.invoice as i set state = 'awaiting_signature', number = v.number,
        issue_date = v.issue_date, total_payable = v.total_payable, prepared = v.prepared, updated_at = ${now}
      from (values ${sql.join(updates)}) as v(id, number, issue_date, total_payable, prepared)
      where i.id = v.id`.execute(trx);
    await sql`insert into seller.invoice_event (tax_code, invoice_id, at, from_state, to_state, actor, detail)
      values ${sql.join(events)}`.execute(trx);
    return out;
  }

  #envelope(taxCode: string, type: MessageTypeCode, messageId: string, payload: string): string {
    const header: MessageHeader = {
      version: this.#config.version ?? "2.1.0",
      sender: this.partyFor(taxCode),
      receiver: this.#config.tvan,
      type,
      messageId,
      taxCode,
      count: 1,
    };
    return writeMessage(header, payload);
  }

  async #recordMessage(
    ex: Kysely<unknown> | Transaction<unknown>,
    taxCode: string,
    messageId: string,
    direction: "in" | "out",
    type: number,
    replyTo: string | null,
    xml: string,
    invoiceId: string | null,
    registrationId: string | null,
    at: Date,
  ): Promise<boolean> {
    const r = await sql<{ id: bigint }>`
      insert into seller.message (tax_code, message_id, direction, type, reply_to, xml, invoice_id, registration_id, at)
      values (${taxCode}, ${messageId}, ${direction}, ${type}, ${replyTo}, ${xml}, ${invoiceId}, ${registrationId}, ${at})
      on conflict (message_id) do nothing returning id`.execute(ex);
    return r.rows.length > 0;
  }

  /** Hands an invoice to its buyer and records it (coded: only once coded; no-code: once issued). */
  async #deliver(taxCode: string, id: string, actor?: string): Promise<void> {
    const r = await sql<{
      state: InvoiceState;
      signed_xml: string | null;
      coded_xml: string | null;
      buyer_email: string | null;
      lookup_code: string;
      input: InvoiceInput;
    }>`select state, signed_xml, coded_xml, buyer_email, lookup_code, input from seller.invoice
        where tax_code = ${taxCode} and id = ${id}`.execute(this.#k);
    const row = r.rows[0];
    if (!row) return;
    const xml = row.state === "coded" ? row.coded_xml : row.state === "issued" ? row.signed_xml : null;
    if (xml === null) return;
    const buyerName = row.input.buyer?.name;
    const receipt = await this.#delivery.deliver({
      taxCode,
      invoiceId: id,
      xml,
      lookupCode: row.lookup_code,
      ...(row.buyer_email !== null ? { buyerEmail: row.buyer_email } : {}),
      ...(typeof buyerName === "string" ? { buyerName } : {}),
    });
    const now = this.#clock.now();
    await inTransaction(this.#k, async (trx) => {
      const u = await sql`update seller.invoice set state = 'delivered', updated_at = ${now}
        where tax_code = ${taxCode} and id = ${id} and state = ${row.state}`.execute(trx);
      if (Number(u.numAffectedRows ?? 0n) === 0) return;
      await sql`insert into seller.delivery (tax_code, invoice_id, channel, address, at)
        values (${taxCode}, ${id}, ${receipt.channel}, ${receipt.address ?? null}, ${now})`.execute(trx);
      await this.#event(trx, taxCode, id, row.state, "delivered", actor, { channel: receipt.channel }, now);
      // A correcting invoice in force changes the state of the invoice it corrects.
      const c = await sql<{ id: string; state: InvoiceState; correction: CorrectionWay }>`
        select o.id, o.state, i.correction from seller.invoice i join seller.invoice o on o.id = i.corrects_id
         where i.tax_code = ${taxCode} and i.id = ${id} and o.tax_code = ${taxCode}`.execute(trx);
      const orig = c.rows[0];
      if (orig) {
        const to: InvoiceState = orig.correction === "replace" ? "replaced" : "adjusted";
        if (orig.state !== "replaced") {
          await sql`update seller.invoice set state = ${to}, updated_at = ${now} where id = ${orig.id}`.execute(
            trx,
          );
          await this.#event(trx, taxCode, orig.id, orig.state, to, actor, { by: id }, now);
        }
      }
    });
  }

  // -------------------------------------------------------------------------------------------------------
  // Invoices: reading

  async get(taxCode: string, id: string): Promise<Result<InvoiceView>> {
    const rows = await this.#rows(taxCode, [id]);
    const row = rows.get(id);
    return row ? ok(toView(row)) : fail([sellerProblem("SELLER_INVOICE_NOT_FOUND", "id", { id })]);
  }

  async list(taxCode: string, filter: ListFilter = {}): Promise<{ items: InvoiceView[]; next?: string }> {
    const limit = Math.min(Math.max(filter.limit ?? 100, 1), 1000);
    const after = filter.after ?? null;
    const r = await sql<InvoiceRow>`
      select ${INVOICE_COLUMNS} from seller.invoice
       where tax_code = ${taxCode}
         and (${filter.state ?? null}::text is null or state = ${filter.state ?? null})
         and (${filter.template ?? null}::text is null or template = ${filter.template ?? null})
         and (${filter.series ?? null}::text is null or series = ${filter.series ?? null})
         and (${filter.from ?? null}::date is null or issue_date >= ${filter.from ?? null}::date)
         and (${filter.to ?? null}::date is null or issue_date <= ${filter.to ?? null}::date)
         and (${filter.buyerTaxCode ?? null}::text is null or buyer_tax_code = ${filter.buyerTaxCode ?? null})
         and (${after}::text is null or (created_at, id) > (select created_at, id from seller.invoice
               where tax_code = ${taxCode} and id = ${after}))
       order by created_at, id
       limit ${limit + 1}`.execute(this.#k);
    const items = r.rows.slice(0, limit).map(toView);
    return r.rows.length > limit ? { items, next: items.at(-1)!.id } : { items };
  }

  /** The invoice's XML: `coded` (the authority's, byte-exact) or `signed` (the seller's). */
  async xml(
    taxCode: string,
    id: string,
    which: "signed" | "coded" | "best" = "best",
  ): Promise<Result<string>> {
    const r = await sql<{ signed_xml: string | null; coded_xml: string | null }>`
      select signed_xml, coded_xml from seller.invoice where tax_code = ${taxCode} and id = ${id}`.execute(
      this.#k,
    );
    const row = r.rows[0];
    const xml = !row
      ? null
      : which === "signed"
        ? row.signed_xml
        : which === "coded"
          ? row.coded_xml
          : (row.coded_xml ?? row.signed_xml);
    return xml ? ok(xml) : fail([sellerProblem("SELLER_INVOICE_NOT_FOUND", "id", { id })]);
  }

  async history(taxCode: string, id: string): Promise<Result<HistoryEntry[]>> {
    const r = await sql<{
      at: Date;
      from_state: InvoiceState | null;
      to_state: InvoiceState;
      actor: string | null;
      detail: unknown;
    }>`
      select at, from_state, to_state, actor, detail from seller.invoice_event
       where tax_code = ${taxCode} and invoice_id = ${id} order by id`.execute(this.#k);
    if (r.rows.length === 0) return fail([sellerProblem("SELLER_INVOICE_NOT_FOUND", "id", { id })]);
    return ok(
      r.rows.map((e) => ({
        at: e.at.toISOString(),
        from: e.from_state,
        to: e.to_state,
        actor: e.actor,
        detail: e.detail,
      })),
    );
  }

  /** The buyer's lookup: an issued invoice by its secret code, with its XML (coded when it is). */
  async lookup(
    code: string,
  ): Promise<Result<{ invoice: Omit<InvoiceView, "input" | "idempotencyKey" | "messageId">; xml: string }>> {
    const r = await sql<InvoiceRow & { signed_xml: string | null; coded_xml: string | null }>`
      select ${INVOICE_COLUMNS}, signed_xml, coded_xml from seller.invoice
       where lookup_code = ${code.toUpperCase()} and state <> 'draft'`.execute(this.#k);
    const row = r.rows[0];
    // A coded invoice is shown only once coded: the buyer never sees an invoice before its code.
    const xml = row
      ? (row.coded_xml ?? (row.state === "delivered" || row.state === "issued" ? row.signed_xml : null))
      : null;
    if (!row || xml === null) return fail([sellerProblem("SELLER_LOOKUP_NOT_FOUND", "code")]);
    const { input: _i, idempotencyKey: _k, messageId: _m, ...view } = toView(row);
    return ok({ invoice: view, xml });
  }

  // -------------------------------------------------------------------------------------------------------
  // Corrections (plans of corrections.ts, by the rules of the original's date)

  /** The original as a model, and the ways already used on it; problems when it cannot be corrected. */
  async #original(
    taxCode: string,
    id: string,
  ): Promise<Result<{ invoice: Invoice; previous: CorrectionWay[] }>> {
    const r = await sql<{ state: InvoiceState; signed_xml: string | null; coded_xml: string | null }>`
      select state, signed_xml, coded_xml from seller.invoice where tax_code = ${taxCode} and id = ${id}`.execute(
      this.#k,
    );
    const row = r.rows[0];
    if (!row) return fail([sellerProblem("SELLER_INVOICE_NOT_FOUND", "id", { id })]);
    const correctable: readonly InvoiceState[] = ["issued", "coded", "delivered", "adjusted"];
    const xml = row.coded_xml ?? row.signed_xml;
    if (!correctable.includes(row.state) || xml === null)
      return fail([sellerProblem("SELLER_INVOICE_STATE", "id", { state: row.state, action: "corrected" })]);
    const read = readInvoice(xml);
    if (!read.invoice) return fail(read.problems);
    const prev = await sql<{ correction: CorrectionWay }>`
      select correction from seller.invoice where tax_code = ${taxCode} and corrects_id = ${id}
        and state not in ('draft', 'refused') order by created_at`.execute(this.#k);
    return ok({ invoice: read.invoice, previous: prev.rows.map((p) => p.correction) });
  }

  /**
   * A draft adjusting invoice (TCHDon 2) for `originalId`: `change` in JSON (LineChange/InvoiceChange of
   * corrections.ts, amounts as strings). Issue it like any draft; once in force the original is `adjusted`.
   */
  async adjust(
    taxCode: string,
    originalId: string,
    change: unknown,
    options: CorrectionRequestOptions = {},
  ): Promise<Result<{ invoice: InvoiceView; duties: CorrectionDuty[] }>> {
    const parsed = reviveAmounts<InvoiceChange>(change, "change");
    if (!parsed.ok) return parsed;
    const original = await this.#original(taxCode, originalId);
    if (!original.ok) return original;
    const plan = planAdjustment(
      original.value.invoice,
      parsed.value,
      this.#correctionOptions(original.value.previous, options),
    );
    if (!plan.ok) return plan;
    return this.#correctionDraft(
      taxCode,
      originalId,
      "adjust",
      plan.value.invoice,
      plan.value.duties,
      options,
    );
  }

  /** A draft replacing invoice (TCHDon 1) for `originalId`; once in force the original is `replaced`. */
  async replace(
    taxCode: string,
    originalId: string,
    content: unknown,
    options: CorrectionRequestOptions = {},
  ): Promise<Result<{ invoice: InvoiceView; duties: CorrectionDuty[] }>> {
    const parsed = reviveAmounts<ReplacementContent>(content, "content");
    if (!parsed.ok) return parsed;
    const original = await this.#original(taxCode, originalId);
    if (!original.ok) return original;
    // Amounts left out are computed as for a draft, in the original's currency.
    const lines = completeLines(parsed.value.lines, original.value.invoice.header.currency ?? "VND");
    const plan = planReplacement(
      original.value.invoice,
      { ...parsed.value, lines },
      this.#correctionOptions(original.value.previous, options),
    );
    if (!plan.ok) return plan;
    return this.#correctionDraft(
      taxCode,
      originalId,
      "replace",
      plan.value.invoice,
      plan.value.duties,
      options,
    );
  }

  #correctionOptions(previous: CorrectionWay[], options: CorrectionRequestOptions) {
    return {
      issueDate: options.issueDate ?? this.#today(),
      previous,
      ...(options.series !== undefined ? { series: options.series } : {}),
      ...(options.agreement !== undefined ? { agreement: options.agreement } : {}),
    };
  }

  async #correctionDraft(
    taxCode: string,
    originalId: string,
    way: CorrectionWay,
    invoice: Invoice,
    duties: CorrectionDuty[],
    options: CorrectionRequestOptions,
  ): Promise<Result<{ invoice: InvoiceView; duties: CorrectionDuty[] }>> {
    const d = await this.createDraft(taxCode, inputOf(invoice), {
      corrects: { id: originalId, way },
      ...(options.idempotencyKey !== undefined ? { idempotencyKey: options.idempotencyKey } : {}),
      ...(options.actor !== undefined ? { actor: options.actor } : {}),
    });
    if (!d.ok) return d;
    return ok({ invoice: d.value.invoice, duties });
  }

  /**
   * Sends form 04/SS-HĐĐT (message 300; 303 for cash-register invoices, which go in a notice of their own)
   * for wrong invoices of the organisation; the nature of each
   * (cancel, adjust, replace, explain) follows the rules of its date (`planErrorNotice`). The authority's
   * 301 is recorded in each invoice's history; an accepted cancellation makes the invoice `cancelled`.
   */
  async sendErrorNotice(
    taxCode: string,
    items: readonly {
      invoiceId: string;
      error: ErrorKind;
      reason: string;
      action?: ErrorNoticeItem["action"];
    }[],
    options: { kind?: 1 | 2; authorityNotice?: { number: string; date: string }; actor?: string } = {},
  ): Promise<Result<{ messageId: string; natures: number[] }>> {
    return this.#sendErrorNotice(taxCode, items, options);
  }

  /** `sendErrorNotice`, with `within` run in its transaction (a ProblemError there rolls it back). */
  async #sendErrorNotice(
    taxCode: string,
    items: readonly {
      invoiceId: string;
      error: ErrorKind;
      reason: string;
      action?: ErrorNoticeItem["action"];
    }[],
    options: { kind?: 1 | 2; authorityNotice?: { number: string; date: string }; actor?: string },
    within?: (trx: Transaction<unknown>, messageId: string, now: Date) => Promise<void>,
  ): Promise<Result<{ messageId: string; natures: number[] }>> {
    const orgR = await this.getOrganisation(taxCode);
    if (!orgR.ok) return orgR;
    const org = orgR.value;
    const planned: ErrorNoticeItem[] = [];
    const originals: { id: string; date: string }[] = [];
    for (const [i, item] of items.entries()) {
      const o = await this.#original(taxCode, item.invoiceId);
      if (!o.ok) return fail(o.problems.map((p) => ({ ...p, path: `items[${i}].${p.path}` })));
      planned.push({
        invoice: o.value.invoice,
        error: item.error,
        reason: item.reason,
        ...(item.action !== undefined ? { action: item.action } : {}),
      });
      originals.push({ id: item.invoiceId, date: o.value.invoice.header.issueDate });
    }
    const now = this.#clock.now();
    const plan = planErrorNotice(planned, {
      date: instantToDate(now),
      place: org.profile.place ?? "Hà Nội",
      authority: {
        code: org.profile.authorityCode ?? "10100",
        name: org.profile.authorityName ?? "Cục Thuế",
      },
      ...(options.kind !== undefined ? { kind: options.kind } : {}),
      ...(options.authorityNotice !== undefined ? { authorityNotice: options.authorityNotice } : {}),
      id: "DLTBao",
    });
    if (!plan.ok) return plan;
    // Cash-register invoices are noticed with message 303, the others with 300: one kind per notice.
    const cash = planned.filter(
      (p) => parseCashRegisterCode(p.invoice.authorityCode ?? "") !== undefined,
    ).length;
    if (cash > 0 && cash < planned.length) return fail([sellerProblem("SELLER_ERROR_NOTICE_MIXED", "items")]);
    const type: MessageTypeCode = cash > 0 ? 303 : 300;
    const notice = { ...plan.value.notice, taxpayerName: org.name, taxCode };
    const signerR = await this.#formSigner(taxCode, "thông báo sai sót 04/SS-HĐĐT / error notice 04/SS-HĐĐT");
    if (!signerR.ok) return signerR;
    const signer = signerR.value;
    const signed = await signAs(writeErrorNotice(notice), signer, "taxpayer");
    if (!signed.ok) return fail(signed.problems);
    const messageId = newMessageId(this.partyFor(taxCode), () => randomBytes(16).toString("hex"));
    const message = this.#envelope(taxCode, type, messageId, signed.value.xml);
    const natures = plan.value.actions.map((a) => a.nature as number);
    await inTransaction(this.#k, async (trx) => {
      await within?.(trx, messageId, now);
      await this.#recordMessage(trx, taxCode, messageId, "out", type, null, message, null, null, now);
      await this.#archive.put(trx, {
        taxCode,
        kind: "form",
        ref: messageId,
        documentDate: instantToDate(now),
        bytes: message,
      });
      for (const [i, o] of originals.entries()) {
        const cur = await sql<{
          state: InvoiceState;
        }>`select state from seller.invoice where id = ${o.id}`.execute(trx);
        const state = cur.rows[0]!.state;
        await this.#event(
          trx,
          taxCode,
          o.id,
          state,
          state,
          options.actor,
          { errorNotice: messageId, nature: natures[i] },
          now,
        );
      }
      await this.#outbox.enqueue(
        { messageId, destination: this.#config.tvan, xml: message, orderingKey: taxCode },
        trx,
      );
    });
    return ok({ messageId, natures });
  }

  /** The authority's 301 on our 04/SS: per invoice received (1) or not (2); a received cancellation cancels. */
  async #errorNoticeAnswer(
    taxCode: string,
    replyTo: string | undefined,
    payload: string,
    now: Date,
  ): Promise<void> {
    if (replyTo === undefined) return;
    const blocks = [...payload.matchAll(/<HDon>([\s\S]*?)<\/HDon>/g)].map((m) => m[1]!);
    await inTransaction(this.#k, async (trx) => {
      for (const b of blocks) {
        const pick = (name: string) => new RegExp(`<${name}>([^<]*)</${name}>`).exec(b)?.[1];
        const template = pick("KHMSHDon");
        const series = pick("KHHDon");
        const number = pick("SHDon");
        if (!template || !series || !number || !/^\d+$/.test(number)) continue;
        const received = pick("TTTNCCQT") === "1";
        const nature = pick("TCTBao");
        const r = await sql<{ id: string; state: InvoiceState }>`select id, state from seller.invoice
          where tax_code = ${taxCode} and template = ${template} and series = ${series} and number = ${number}`.execute(
          trx,
        );
        const row = r.rows[0];
        if (!row) continue;
        const detail = {
          errorNoticeAnswer: replyTo,
          received,
          nature: Number(nature),
          reasons: received ? [] : reasonsIn(b),
        };
        if (received && nature === "1" && row.state !== "cancelled") {
          await sql`update seller.invoice set state = 'cancelled', updated_at = ${now} where id = ${row.id}`.execute(
            trx,
          );
          await this.#event(trx, taxCode, row.id, row.state, "cancelled", "authority", detail, now);
        } else await this.#event(trx, taxCode, row.id, row.state, row.state, "authority", detail, now);
      }
    });
  }

  // -------------------------------------------------------------------------------------------------------
  // Stopped sellers: the contracts signed before the stop that the authority allowed (flows.ts)

  /**
   * Records a contract the authority allowed the stopped seller to keep invoicing. The contract number is
   * the natural key: the same contract with the same data gives the same record (`created` false), with
   * other data it is a conflict.
   */
  async addExceptionContract(
    taxCode: string,
    input: { contractNo: string; signedOn: string; note?: string },
  ): Promise<Result<{ contract: ExceptionContract; created: boolean }>> {
    if (!isDate(input.signedOn))
      return fail([sellerProblem("SELLER_BAD_DATE", "signedOn", { value: input.signedOn })]);
    const org = await this.getOrganisation(taxCode);
    if (!org.ok) return org;
    const r = await sql<ContractRow>`
      insert into seller.exception_contract (tax_code, contract_no, signed_on, note, created_at)
      values (${taxCode}, ${input.contractNo}, ${input.signedOn}, ${input.note ?? null}, ${this.#clock.now()})
      on conflict (tax_code, contract_no) do nothing returning *`.execute(this.#k);
    if (r.rows[0]) return ok({ contract: contractView(r.rows[0]), created: true });
    const existing = (await this.exceptionContracts(taxCode)).find((c) => c.contractNo === input.contractNo);
    if (existing && existing.signedOn === input.signedOn && existing.note === (input.note ?? null))
      return ok({ contract: existing, created: false });
    return fail([sellerProblem("SELLER_IDEMPOTENCY_CONFLICT", "contractNo", { key: input.contractNo })]);
  }

  async exceptionContracts(taxCode: string): Promise<ExceptionContract[]> {
    const r = await sql<ContractRow>`select * from seller.exception_contract where tax_code = ${taxCode}
      order by signed_on, contract_no`.execute(this.#k);
    return r.rows.map(contractView);
  }

  async #contractMap(taxCode: string): Promise<Map<string, string>> {
    return new Map((await this.exceptionContracts(taxCode)).map((c) => [c.contractNo, c.signedOn]));
  }

  /** Why a stopped seller may not issue an invoice naming `contract`; undefined when it may. */
  #stopProblem(
    org: Organisation,
    allowed: Map<string, string>,
    contract: string | null,
  ): Problem | undefined {
    const since = instantToDate(new Date(org.stoppedAt!));
    if (contract === null) return sellerProblem("SELLER_STOPPED", "", { since });
    const path = `header.extra[${CONTRACT_FIELD}]`;
    const signedOn = allowed.get(contract);
    if (signedOn === undefined)
      return sellerProblem("SELLER_CONTRACT_NOT_ALLOWED", path, { since, contract });
    if (signedOn >= since)
      return sellerProblem("SELLER_CONTRACT_AFTER_STOP", path, { contract, signedOn, since });
    return undefined;
  }

  // -------------------------------------------------------------------------------------------------------
  // Per-occurrence invoices (201 → 205 + 202)

  /**
   * Sends a draft as a per-occurrence invoice (hóa đơn theo từng lần phát sinh): numbered and signed as any
   * coded invoice, but sent with message 201. The authority answers once the tax on the sale is declared:
   * a 205 (01-1/QTr-HĐĐT; "not valid" refuses the invoice) and a 202 with the coded invoice, after which it
   * is delivered as a coded invoice is. A repeat returns the invoice as it is.
   */
  async issuePerOccurrence(
    taxCode: string,
    id: string,
    options: { actor?: string } = {},
  ): Promise<Result<InvoiceView>> {
    const [r] = await this.#issueMany(taxCode, [id], options.actor, "per_occurrence");
    return r!;
  }

  /** The 205 on our 201: not valid refuses the invoice (with the reasons); valid is recorded. */
  async #perOccurrenceAnswer(taxCode: string, replyTo: string | undefined, payload: string, now: Date) {
    if (replyTo === undefined) return;
    const result = perOccurrenceResult(payload);
    if (!result.valid) {
      return this.#refused(taxCode, replyTo, result.reasons, now);
    }
    await sql`insert into seller.invoice_event (tax_code, invoice_id, at, from_state, to_state, actor, detail)
      select tax_code, id, ${now}, state, state, 'authority', ${JSON.stringify({ perOccurrence: "valid" })}::jsonb
        from seller.invoice where tax_code = ${taxCode} and message_id = ${replyTo}`.execute(this.#k);
  }

  // -------------------------------------------------------------------------------------------------------
  // The authority's answers on data sent without a code (204 on 203, 206, 400)

  async #dataAnswer(taxCode: string, replyTo: string | undefined, payload: string, now: Date) {
    if (replyTo === undefined) return;
    const valid = checkNoticeType(payload) === 2;
    const reasons = valid ? [] : reasonsIn(payload);
    if (await this.#summaryAnswer(taxCode, replyTo, valid, reasons, now)) return;
    if (!valid) return this.#refused(taxCode, replyTo, reasons, now);
    await inTransaction(this.#k, async (trx) => {
      const r = await sql<{ id: string; state: InvoiceState }>`update seller.invoice
          set data_state = 'accepted', updated_at = ${now}
        where tax_code = ${taxCode} and message_id = ${replyTo} and data_state = 'sent'
        returning id, state`.execute(trx);
      for (const row of r.rows)
        await this.#event(
          trx,
          taxCode,
          row.id,
          row.state,
          row.state,
          "authority",
          { dataAccepted: replyTo },
          now,
        );
    });
  }

  /** The answer to a summary table of ours (a 204, or a refusing 999); false when `replyTo` is not one. */
  async #summaryAnswer(
    taxCode: string,
    replyTo: string,
    valid: boolean,
    reasons: Reason[],
    now: Date,
  ): Promise<boolean> {
    const table = await sql<{
      id: bigint;
      invoice_ids: string[];
    }>`select id, invoice_ids from seller.summary_table
      where tax_code = ${taxCode} and message_id = ${replyTo}`.execute(this.#k);
    const t = table.rows[0];
    if (!t) return false;
    const detail = valid ? { summaryTableAccepted: replyTo } : { summaryTableRefused: replyTo, reasons };
    await inTransaction(this.#k, async (trx) => {
      const u = await sql`update seller.summary_table set state = ${valid ? "accepted" : "refused"},
          reasons = ${valid ? null : JSON.stringify(reasons)}::jsonb, decided_at = ${now}
        where id = ${t.id} and state = 'sent'`.execute(trx);
      if (Number(u.numAffectedRows ?? 0n) === 0) return;
      // Refused: the invoices wait for the next table (a supplement of the period).
      await sql`update seller.invoice set data_state = ${valid ? "accepted" : "pending_summary"}, updated_at = ${now}
        where tax_code = ${taxCode} and id = any(${t.invoice_ids}::text[]) and data_state = 'summarised'`.execute(
        trx,
      );
      await sql`insert into seller.invoice_event (tax_code, invoice_id, at, from_state, to_state, actor, detail)
        select tax_code, id, ${now}, state, state, 'authority', ${JSON.stringify(detail)}::jsonb
          from seller.invoice where tax_code = ${taxCode} and id = any(${t.invoice_ids}::text[])`.execute(
        trx,
      );
    });
    return true;
  }

  // -------------------------------------------------------------------------------------------------------
  // Summary tables 01/TH-HĐĐT (message 400)

  /**
   * Builds the summary table of a finished period from the organisation's no-code invoices waiting for one
   * (see flows.ts for who may and which periods), signs it, and sends it (400). The first table of a period
   * is LDau 1; a later one (after a refusal, or invoices found late) is a supplement (LDau 0, BSLThu n).
   * With an idempotency key the same key and period give the same table.
   */
  async sendSummaryTable(
    taxCode: string,
    input: { period: string },
    options: { idempotencyKey?: string; actor?: string } = {},
  ): Promise<Result<{ table: SummaryTableView; created: boolean }>> {
    const orgR = await this.getOrganisation(taxCode);
    if (!orgR.ok) return orgR;
    const org = orgR.value;
    const sector = org.profile.summarySector;
    if (sector === undefined) return fail([sellerProblem("SELLER_SUMMARY_NOT_ALLOWED", "")]);
    const p = summaryPeriod(input.period, sector);
    if ("code" in p) return fail([p]);
    if (!periodOver(p, this.#today()))
      return fail([
        sellerProblem("SELLER_SUMMARY_PERIOD", "period", {
          period: input.period,
          reason: "the period is not over / kỳ chưa kết thúc",
        }),
      ]);
    const key = options.idempotencyKey ?? null;
    const hash = createHash("sha256")
      .update(canonicalJson({ period: input.period }))
      .digest("hex");
    const repeat = async (): Promise<Result<{ table: SummaryTableView; created: boolean }> | undefined> => {
      if (key === null) return undefined;
      const r = await sql<SummaryRow>`select * from seller.summary_table
        where tax_code = ${taxCode} and idempotency_key = ${key}`.execute(this.#k);
      const row = r.rows[0];
      if (!row) return undefined;
      return row.request_hash === hash
        ? ok({ table: summaryView(row), created: false })
        : fail([sellerProblem("SELLER_IDEMPOTENCY_CONFLICT", "header:idempotency-key", { key })]);
    };
    const before = await repeat();
    if (before) return before;
    const signerR = await this.#formSigner(taxCode, "bảng tổng hợp 01/TH-HĐĐT / summary table 01/TH-HĐĐT");
    if (!signerR.ok) return signerR;
    const signer = signerR.value;
    const now = this.#clock.now();
    const goodsKind = goodsKindOf(sector);
    let made: SummaryRow | undefined;
    try {
      made = await inTransaction(this.#k, async (trx) => {
        // One table at a time per seller: its number and the invoices it takes are decided under this lock.
        await sql`select tax_code from seller.organisation where tax_code = ${taxCode} for update`.execute(
          trx,
        );
        if (key !== null) {
          const again = await sql<{ id: bigint }>`select id from seller.summary_table
            where tax_code = ${taxCode} and idempotency_key = ${key}`.execute(trx);
          if (again.rows.length > 0) return undefined;
        }
        const inv = await sql<{ id: string; signed_xml: string }>`
          select id, signed_xml from seller.invoice
           where tax_code = ${taxCode} and data_state = 'pending_summary'
             and issue_date between ${p.from}::date and ${p.to}::date and signed_xml is not null
           order by template, series, number for update`.execute(trx);
        if (inv.rows.length === 0)
          throw new ProblemError([sellerProblem("SELLER_SUMMARY_EMPTY", "period", { period: input.period })]);
        const invoices = inv.rows.map((r) => {
          const read = readInvoice(r.signed_xml);
          if (!read.invoice) throw new Error(`stored invoice ${r.id} no longer reads`);
          return read.invoice;
        });
        const counts = await sql<{ last: number | null; earlier: bigint }>`
          select (select max(table_number) from seller.summary_table where tax_code = ${taxCode}) as last,
                 (select count(*) from seller.summary_table where tax_code = ${taxCode}
                    and period_kind = ${p.kind} and period = ${p.text} and goods_kind = ${goodsKind}
                    and state <> 'refused') as earlier`.execute(trx);
        // A refused table does not count: the next one of its period takes its place.
        const tableNumber = Number(counts.rows[0]?.last ?? 0) + 1;
        const earlier = Number(counts.rows[0]?.earlier ?? 0n);
        const xml = writeSummaryTable({
          id: "DLBTHop",
          header: {
            version: this.#config.version ?? "2.1.0",
            form: SUMMARY_TABLE_FORM,
            name: "Bảng tổng hợp dữ liệu hóa đơn điện tử gửi cơ quan thuế",
            tableNumber,
            periodKind: p.kind,
            period: p.text,
            first: earlier === 0 ? 1 : 0,
            ...(earlier > 0 ? { supplementNo: earlier } : {}),
            date: instantToDate(now),
            taxpayerName: org.name,
            taxCode,
            printed: 0,
            goodsKind,
            currency: "VND",
          },
          rows: summaryRows(invoices, goodsKind),
          signatures: [{ name: "NNT", xml: "" }],
        });
        const signed = await signAs(xml, signer, "taxpayer");
        if (!signed.ok) throw new ProblemError(signed.problems);
        const messageId = newMessageId(this.partyFor(taxCode), () => randomBytes(16).toString("hex"));
        const message = this.#envelope(taxCode, 400, messageId, signed.value.xml);
        const ids = inv.rows.map((r) => r.id);
        const row = await sql<SummaryRow>`
          insert into seller.summary_table (tax_code, idempotency_key, request_hash, message_id, table_number,
            period_kind, period, goods_kind, invoice_ids, state, created_at)
          values (${taxCode}, ${key}, ${hash}, ${messageId}, ${tableNumber}, ${p.kind}, ${p.text}, ${goodsKind},
            ${ids}::text[], 'sent', ${now}) returning *`.execute(trx);
        await sql`update seller.invoice set data_state = 'summarised', updated_at = ${now}
          where tax_code = ${taxCode} and id = any(${ids}::text[])`.execute(trx);
        await sql`insert into seller.invoice_event (tax_code, invoice_id, at, from_state, to_state, actor, detail)
          select tax_code, id, ${now}, state, state, ${options.actor ?? null},
                 ${JSON.stringify({ summaryTable: messageId, tableNumber })}::jsonb
            from seller.invoice where tax_code = ${taxCode} and id = any(${ids}::text[])`.execute(trx);
        await this.#recordMessage(trx, taxCode, messageId, "out", 400, null, message, null, null, now);
        await this.#archive.put(trx, {
          taxCode,
          kind: "form",
          ref: messageId,
          documentDate: instantToDate(now),
          bytes: message,
        });
        await this.#outbox.enqueue({ messageId, destination: this.#config.tvan, xml: message }, trx);
        return row.rows[0]!;
      });
    } catch (error) {
      if (error instanceof ProblemError) return fail(error.problems);
      throw error;
    }
    if (made === undefined) return (await repeat())!;
    return ok({ table: summaryView(made), created: true });
  }

  async summaryTables(taxCode: string): Promise<SummaryTableView[]> {
    const r = await sql<SummaryRow>`select * from seller.summary_table where tax_code = ${taxCode}
      order by table_number`.execute(this.#k);
    return r.rows.map(summaryView);
  }

  // -------------------------------------------------------------------------------------------------------
  // The authority's review notices 01/TB-RSĐT (302), answered by a 04/SS-HĐĐT (300, Loai 2)

  /** A 302 received: recorded with its deadline (working days, deadlines.ts), noted on each invoice named. */
  async #reviewNotice(
    taxCode: string,
    messageId: string,
    element: XmlElement | undefined,
    source: string | undefined,
    now: Date,
  ): Promise<void> {
    if (!element) return;
    const read = readReviewNotice(element, {
      ...(source !== undefined ? { source } : {}),
      path: "/TDiep/DLieu/TBao",
    });
    if (!read.ok) return;
    const n = read.value;
    const date = n.date ?? n.stamp?.date ?? instantToDate(now);
    const days = Math.max(1, n.deadlineDays);
    const due = reviewDeadline(isDate(date) ? date : instantToDate(now), days).dueDate;
    const invoices: ReviewNoticeInvoice[] = [];
    for (const i of n.invoices) {
      const r =
        i.template && i.series && i.number && /^\d+$/.test(i.number)
          ? await sql<{ id: string }>`select id from seller.invoice where tax_code = ${taxCode}
              and template = ${i.template} and series = ${i.series} and number = ${i.number}`.execute(this.#k)
          : { rows: [] };
      invoices.push({
        invoiceId: r.rows[0]?.id ?? null,
        template: i.template ?? null,
        series: i.series ?? null,
        number: i.number ?? null,
        date: i.date,
        reason: i.reason,
      });
    }
    await inTransaction(this.#k, async (trx) => {
      const r = await sql<{ id: bigint }>`
        insert into seller.review_notice (tax_code, message_id, number, notice_date, days, round, due_date,
          invoices, created_at)
        values (${taxCode}, ${messageId}, ${n.number ?? n.stamp?.number ?? messageId}, ${date}, ${days},
          ${n.round}, ${due}, ${JSON.stringify(invoices)}::jsonb, ${now})
        on conflict (message_id) do nothing returning id`.execute(trx);
      const id = r.rows[0]?.id;
      if (id === undefined) return;
      for (const i of invoices) {
        if (i.invoiceId === null) continue;
        const cur = await sql<{ state: InvoiceState }>`select state from seller.invoice
          where id = ${i.invoiceId}`.execute(trx);
        const state = cur.rows[0]!.state;
        await this.#event(
          trx,
          taxCode,
          i.invoiceId,
          state,
          state,
          "authority",
          { reviewNotice: String(id), reason: i.reason, dueDate: due },
          now,
        );
      }
    });
  }

  /** Review notices, the open ones (not answered) first by deadline; `open` keeps only those. */
  async reviewNotices(taxCode: string, filter: { open?: boolean } = {}): Promise<ReviewNoticeView[]> {
    const r = await sql<ReviewRow>`select * from seller.review_notice where tax_code = ${taxCode}
        and (${filter.open === true} = false or answer_message_id is null)
      order by answer_message_id is not null, due_date, id`.execute(this.#k);
    return r.rows.map((row) => this.#reviewView(row));
  }

  async getReviewNotice(taxCode: string, id: string): Promise<Result<ReviewNoticeView>> {
    if (!/^\d{1,18}$/.test(id)) return fail([sellerProblem("SELLER_REVIEW_NOTICE_NOT_FOUND", "id", { id })]);
    const r = await sql<ReviewRow>`select * from seller.review_notice
      where tax_code = ${taxCode} and id = ${id}`.execute(this.#k);
    const row = r.rows[0];
    return row
      ? ok(this.#reviewView(row))
      : fail([sellerProblem("SELLER_REVIEW_NOTICE_NOT_FOUND", "id", { id })]);
  }

  #reviewView(r: ReviewRow): ReviewNoticeView {
    const today = this.#today();
    const open = r.answer_message_id === null;
    return {
      id: String(r.id),
      messageId: r.message_id,
      number: r.number,
      noticeDate: r.notice_date,
      days: r.days,
      round: r.round,
      dueDate: r.due_date,
      invoices: r.invoices,
      answer: open
        ? null
        : {
            messageId: r.answer_message_id!,
            at: r.answered_at!.toISOString(),
            late: instantToDate(r.answered_at!) > r.due_date,
          },
      overdue: open && today > r.due_date,
      reminders: open
        ? remindersDue(r.due_date, this.#clock.now()).filter((k) => !r.reminders.includes(k))
        : [],
      createdAt: r.created_at.toISOString(),
    };
  }

  /**
   * The reminders due now on open review notices and not sent yet; they are recorded as sent (a scheduler
   * calls this and notifies the seller's people). One missed while the service was down still comes.
   */
  async takeReviewReminders(
    taxCode: string,
  ): Promise<{ noticeId: string; kind: ReminderKind; dueDate: string }[]> {
    const out: { noticeId: string; kind: ReminderKind; dueDate: string }[] = [];
    await inTransaction(this.#k, async (trx) => {
      const r = await sql<ReviewRow>`select * from seller.review_notice
        where tax_code = ${taxCode} and answer_message_id is null order by id for update`.execute(trx);
      for (const row of r.rows) {
        const fresh = remindersDue(row.due_date, this.#clock.now()).filter((k) => !row.reminders.includes(k));
        if (fresh.length === 0) continue;
        await sql`update seller.review_notice set reminders = reminders || ${fresh}::text[]
          where id = ${row.id}`.execute(trx);
        for (const kind of fresh) out.push({ noticeId: String(row.id), kind, dueDate: row.due_date });
      }
    });
    return out;
  }

  /**
   * Answers a review notice with a 04/SS-HĐĐT of Loai 2 naming the notice (number and date), for invoices
   * it lists. One answer per notice: a repeat with the same idempotency key gives the first answer, any
   * other is a conflict. An answer after the deadline is still sent, and marked late.
   */
  async answerReviewNotice(
    taxCode: string,
    noticeId: string,
    items: readonly {
      invoiceId: string;
      error: ErrorKind;
      reason: string;
      action?: ErrorNoticeItem["action"];
    }[],
    options: { idempotencyKey?: string; actor?: string } = {},
  ): Promise<Result<{ notice: ReviewNoticeView; messageId: string; natures: number[]; created: boolean }>> {
    const got = await this.getReviewNotice(taxCode, noticeId);
    if (!got.ok) return got;
    const notice = got.value;
    const answered = async (): Promise<
      Result<{ notice: ReviewNoticeView; messageId: string; natures: number[]; created: boolean }>
    > => {
      const now = await this.getReviewNotice(taxCode, noticeId);
      if (!now.ok) return now;
      const r = await sql<{ answer_key: string | null }>`select answer_key from seller.review_notice
        where id = ${noticeId}`.execute(this.#k);
      const a = now.value.answer!;
      if (options.idempotencyKey !== undefined && r.rows[0]?.answer_key === options.idempotencyKey)
        return ok({ notice: now.value, messageId: a.messageId, natures: [], created: false });
      return fail([
        sellerProblem("SELLER_REVIEW_ANSWER_CONFLICT", "id", { id: noticeId, messageId: a.messageId }),
      ]);
    };
    if (notice.answer !== null) return answered();
    const listed = new Set(notice.invoices.flatMap((i) => (i.invoiceId ? [i.invoiceId] : [])));
    const outside = items.flatMap((it, i) =>
      listed.has(it.invoiceId)
        ? []
        : [sellerProblem("SELLER_REVIEW_INVOICE_NOT_LISTED", `items[${i}].invoiceId`, { id: it.invoiceId })],
    );
    if (outside.length > 0) return fail(outside);
    let lost = false;
    let sent: Result<{ messageId: string; natures: number[] }>;
    try {
      sent = await this.#sendErrorNotice(
        taxCode,
        items,
        { kind: 2, authorityNotice: { number: notice.number, date: notice.noticeDate }, ...actorOf(options) },
        async (trx, messageId, now) => {
          // One answer per notice: a concurrent answer that committed first wins, this one rolls back.
          const u = await sql`update seller.review_notice set answer_message_id = ${messageId},
              answer_key = ${options.idempotencyKey ?? null}, answered_at = ${now}
            where tax_code = ${taxCode} and id = ${noticeId} and answer_message_id is null`.execute(trx);
          if (Number(u.numAffectedRows ?? 0n) === 0) {
            lost = true;
            throw new ProblemError([]);
          }
        },
      );
    } catch (error) {
      if (!(error instanceof ProblemError)) throw error;
      if (lost) return answered();
      return fail(error.problems);
    }
    if (!sent.ok) return sent;
    const after = await this.getReviewNotice(taxCode, noticeId);
    if (!after.ok) return after;
    return ok({
      notice: after.value,
      messageId: sent.value.messageId,
      natures: sent.value.natures,
      created: true,
    });
  }

  // -------------------------------------------------------------------------------------------------------
  // Registration

  /** Builds form 01/ĐKTĐ-HĐĐT from the organisation's profile and key, signs it and sends it (message 100). */
  async register(
    taxCode: string,
    forms: RegistrationForms,
    options: { kind?: 1 | 2 } = {},
  ): Promise<Result<RegistrationView>> {
    const orgR = await this.getOrganisation(taxCode);
    if (!orgR.ok) return orgR;
    const org = orgR.value;
    let signer: Signer;
    try {
      signer = await this.#signer(taxCode);
    } catch (error) {
      if (error instanceof ProblemError) return fail(error.problems);
      throw error;
    }
    const cert = parseCertificate(signer.certificate());
    const p = org.profile;
    // The form requires an e-mail (DCTDTu) and a phone of the contact: say so here, not in a 102 later.
    const missing: Problem[] = [];
    if (!(p.contactEmail ?? p.email))
      missing.push(sellerProblem("SELLER_PROFILE_INCOMPLETE", "profile.email", { field: "email" }));
    if (!(p.contactPhone ?? p.phone))
      missing.push(sellerProblem("SELLER_PROFILE_INCOMPLETE", "profile.phone", { field: "phone" }));
    if (missing.length > 0) return fail(missing);
    const now = this.#clock.now();
    const reg: Registration = {
      id: "DLTKhai",
      version: this.#config.version ?? "2.1.0",
      form: "01/ĐKTĐ-HĐĐT",
      title: "Tờ khai đăng ký/thay đổi thông tin sử dụng hóa đơn điện tử",
      kind: options.kind ?? (org.registrationState === "accepted" ? 2 : 1),
      taxpayerName: org.name,
      taxCode,
      authorityName: p.authorityName ?? "Cục Thuế",
      authorityCode: p.authorityCode ?? "10100",
      representativeName: p.representativeName ?? org.name,
      contactName: p.contactName ?? p.representativeName ?? org.name,
      contactAddress: p.contactAddress ?? org.address,
      email: p.contactEmail ?? p.email ?? "",
      contactPhone: p.contactPhone ?? p.phone ?? "",
      place: p.place ?? "Hà Nội",
      date: instantToDate(now),
      invoiceForms: {
        withCode: forms.withCode,
        withoutCode: forms.withoutCode,
        cashRegister: forms.cashRegister ?? false,
      },
      ...VIA_TRANSMISSION,
      certificates: [
        {
          index: 1,
          issuer: cert.issuer.slice(0, 400),
          serial: cert.serialNumber,
          validFrom: instantToDateTime(cert.notBefore),
          validTo: instantToDateTime(cert.notAfter),
          action: 1,
        },
      ],
      signatures: [{ name: "NNT", xml: "" }],
    };
    const messageId = newMessageId(this.partyFor(taxCode), () => randomBytes(16).toString("hex"));
    let id: string;
    if (isUserHeld(signer)) {
      // The key is at the user: the form waits for its signature value (`completeRegistration`).
      const xml = writeRegistration(reg);
      const spec = specFor(xml, "taxpayer", { signingTime: now });
      const prepared = spec.ok ? prepareSignature(xml, signer.certificate(), spec.value) : spec;
      if (!prepared.ok) return fail(prepared.problems);
      const r = await sql<{ id: bigint }>`
        insert into seller.registration (tax_code, message_id, state, invoice_forms, created_at, prepared)
        values (${taxCode}, ${messageId}, 'awaiting_signature', ${JSON.stringify(reg.invoiceForms)}::jsonb, ${now},
          ${JSON.stringify(prepared.value)}::jsonb) returning id`.execute(this.#k);
      id = String(r.rows[0]!.id);
    } else {
      const signed = await signAs(writeRegistration(reg), signer, "taxpayer");
      if (!signed.ok) return fail(signed.problems);
      id = await this.#sendRegistration(
        taxCode,
        undefined,
        messageId,
        signed.value.xml,
        reg.invoiceForms,
        now,
      );
    }
    const view = await this.registrations(taxCode);
    return ok(view.find((v) => v.id === id)!);
  }

  /** Two-step signing of a registration: the value of the user's key finishes the form, which is sent. */
  async completeRegistration(
    taxCode: string,
    id: string,
    signatureValue: string,
  ): Promise<Result<RegistrationView>> {
    const r = await sql<{
      message_id: string;
      state: string;
      prepared: PreparedSignature | null;
      invoice_forms: RegistrationForms;
    }>`
      select message_id, state, prepared, invoice_forms from seller.registration
      where tax_code = ${taxCode} and id = ${/^\d{1,18}$/.test(id) ? id : "0"}`.execute(this.#k);
    const row = r.rows[0];
    if (!row) return fail([sellerProblem("SELLER_REGISTRATION_NOT_FOUND", "id", { id })]);
    if (row.state === "awaiting_signature" && row.prepared) {
      const done = finishSignature(row.prepared, signatureValue);
      if (!done.ok) return fail(done.problems.map((p) => ({ ...p, path: "signatureValue" })));
      await this.#sendRegistration(
        taxCode,
        id,
        row.message_id,
        done.value.xml,
        row.invoice_forms,
        this.#clock.now(),
      );
    }
    const view = await this.registrations(taxCode);
    return ok(view.find((v) => v.id === id)!);
  }

  /**
   * Sends a signed registration (message 100): recorded, archived and queued in one transaction. `id` is the
   * row of a registration that waited for its signature (nothing happens if another request sent it).
   */
  async #sendRegistration(
    taxCode: string,
    id: string | undefined,
    messageId: string,
    signedXml: string,
    forms: RegistrationForms,
    now: Date,
  ): Promise<string> {
    const message = this.#envelope(taxCode, 100, messageId, signedXml);
    return inTransaction(this.#k, async (trx) => {
      const r =
        id === undefined
          ? await sql<{ id: bigint }>`
              insert into seller.registration (tax_code, message_id, state, invoice_forms, created_at)
              values (${taxCode}, ${messageId}, 'sent', ${JSON.stringify(forms)}::jsonb, ${now}) returning id`.execute(
              trx,
            )
          : await sql<{ id: bigint }>`update seller.registration set state = 'sent', prepared = null
              where id = ${id} and state = 'awaiting_signature' returning id`.execute(trx);
      const regId = r.rows[0]?.id;
      if (regId === undefined) return id!;
      await sql`update seller.organisation set registration_state = 'sent', updated_at = ${now}
        where tax_code = ${taxCode} and registration_state <> 'accepted'`.execute(trx);
      await this.#recordMessage(trx, taxCode, messageId, "out", 100, null, message, null, String(regId), now);
      await this.#archive.put(trx, {
        taxCode,
        kind: "form",
        ref: messageId,
        documentDate: instantToDate(now),
        bytes: message,
      });
      await this.#outbox.enqueue(
        { messageId, destination: this.#config.tvan, xml: message, orderingKey: taxCode },
        trx,
      );
      return String(regId);
    });
  }

  async registrations(taxCode: string): Promise<RegistrationView[]> {
    const r = await sql<{
      id: bigint;
      message_id: string;
      state: string;
      invoice_forms: RegistrationForms;
      reasons: unknown[] | null;
      created_at: Date;
      decided_at: Date | null;
      prepared: PreparedSignature | null;
    }>`select * from seller.registration where tax_code = ${taxCode} order by id desc`.execute(this.#k);
    return r.rows.map((x) => ({
      id: String(x.id),
      messageId: x.message_id,
      state: x.state,
      forms: x.invoice_forms,
      reasons: x.reasons,
      createdAt: x.created_at.toISOString(),
      decidedAt: x.decided_at?.toISOString() ?? null,
      ...(x.prepared
        ? {
            signingRequest: {
              algorithm: x.prepared.algorithm,
              digestAlgorithm: x.prepared.digestAlgorithm,
              digest: x.prepared.digest,
              digestInfo: x.prepared.digestInfo,
              signedInfo: x.prepared.signedInfo,
              certificate: x.prepared.certificate,
            },
          }
        : {}),
    }));
  }

  // -------------------------------------------------------------------------------------------------------
  // Answers from the T-VAN

  /**
   * A message pushed by the T-VAN (an answer of the authority, a notice, or a 999 relayed): stored once
   * by its id, acted on, and answered with a 999.
   */
  async receive(xml: string): Promise<TransportResult> {
    const now = this.#clock.now();
    const m = inspectMessage(xml);
    const h = m.header;
    const id = h.messageId;
    const sender = h.sender ?? this.#config.tvan;
    const receipt = (status: 0 | 1, reasons?: Reason[]) =>
      writeMessage(
        {
          version: this.#config.version ?? "2.1.0",
          sender: h.receiver && h.receiver.length > 0 ? h.receiver : this.partyFor(h.taxCode ?? ""),
          receiver: sender,
          type: 999,
          messageId: newMessageId(
            h.receiver && /^(?:[VK]?\d{10}(?:\d{3})?|TCT)$/.test(h.receiver) ? h.receiver : this.#config.tvan,
            () => randomBytes(16).toString("hex"),
          ),
          ...(id !== undefined ? { replyTo: id } : {}),
        },
        writeTechnicalReceipt({
          ...(id !== undefined ? { messageId: id } : {}),
          sender,
          receivedAt: instantToDateTime(now),
          status,
          ...(reasons ? { reasons } : {}),
        }),
      );
    if (id === undefined || h.type === undefined || h.taxCode === undefined || !m.parsed) {
      return delivered(
        receipt(
          1,
          m.problems
            .filter((p) => p.severity === "error")
            .slice(0, 20)
            .map((p) => ({
              code: "1",
              description: `${p.code} ${p.path}`.slice(0, 255),
            })),
        ),
      );
    }
    const taxCode = h.taxCode;
    const org = await this.getOrganisation(taxCode);
    if (!org.ok) return delivered(receipt(1, [{ code: "2", description: `unknown seller ${taxCode}` }]));
    const type = h.type;
    if (type === 202 && h.replyTo !== undefined) {
      const payload = m.payloads[0] ? m.parsed.source.slice(m.payloads[0].start, m.payloads[0].end) : "";
      await new Promise<void>((resolve, reject) => {
        this.#codes.push({ taxCode, id, replyTo: h.replyTo!, xml, payload, now, resolve, reject });
        this.#kickCodes();
      });
      return delivered(receipt(0));
    }
    const fresh = await inTransaction(this.#k, async (trx) => {
      const added = await this.#recordMessage(
        trx,
        taxCode,
        id,
        "in",
        type,
        h.replyTo ?? null,
        xml,
        null,
        null,
        now,
      );
      if (added)
        await this.#archive.put(trx, {
          taxCode,
          kind: type === 999 ? "receipt" : "notice",
          ref: id,
          documentDate: instantToDate(now),
          bytes: xml,
        });
      return added;
    });
    if (fresh) {
      const payload = m.payloads[0] ? m.parsed.source.slice(m.payloads[0].start, m.payloads[0].end) : "";
      if (type === 302) await this.#reviewNotice(taxCode, id, m.payloads[0], m.parsed.source, now);
      else await this.#act(taxCode, h.type, h.replyTo, payload, now);
    }
    return delivered(receipt(0));
  }

  #kickCodes(): void {
    while (this.#codesRunning < 2 && this.#codes.length > 0) {
      const batch = this.#codes.splice(0, CODES_BATCH);
      this.#codesRunning++;
      void this.#codedMany(batch)
        .then(
          () => {
            for (const c of batch) c.resolve();
          },
          (error: unknown) => {
            for (const c of batch) c.reject(error);
          },
        )
        .finally(() => {
          this.#codesRunning--;
          this.#kickCodes();
        });
    }
  }

  /**
   * Group commit of codes (202): the answers pushed meanwhile are stored, checked and applied together, in
   * one transaction that ends with one archive append (the seller's chain head is taken once for all),
   * then delivered together. Each answer has the effect `receive` + `#coded` give it alone.
   */
  async #codedMany(batch: readonly PendingCode[]): Promise<void> {
    const refusals: PendingCode[] = [];
    const coded: { id: string; taxCode: string }[] = [];
    await inTransaction(this.#k, async (trx) => {
      refusals.length = 0;
      coded.length = 0;
      const seen = new Set<string>();
      const once = batch.filter((c) => !seen.has(c.id) && seen.add(c.id));
      const added = await sql<{ message_id: string }>`
        insert into seller.message (tax_code, message_id, direction, type, reply_to, xml, invoice_id, registration_id, at)
        values ${sql.join(once.map((c) => sql`(${c.taxCode}, ${c.id}, 'in', 202, ${c.replyTo}, ${c.xml}, null, null, ${c.now})`))}
        on conflict (message_id) do nothing returning message_id`.execute(trx);
      const fresh = new Set(added.rows.map((r) => r.message_id));
      const todo = once.filter((c) => fresh.has(c.id));
      if (todo.length === 0) return;
      const archived: ArchiveEntry[] = todo.map((c) => ({
        taxCode: c.taxCode,
        kind: "notice" as const,
        ref: c.id,
        documentDate: instantToDate(c.now),
        bytes: c.xml,
      }));
      const rows = await sql<{
        id: string;
        tax_code: string;
        message_id: string;
        signed_xml: string | null;
        issue_date: string;
      }>`select id, tax_code, message_id, signed_xml, issue_date from seller.invoice
          where message_id = any(${todo.map((c) => c.replyTo)}::text[]) and state = 'waiting_for_code'
          order by id for update`.execute(trx);
      const byMessage = new Map(rows.rows.map((r) => [`${r.tax_code}\u0000${r.message_id}`, r]));
      const updates: RawBuilder<unknown>[] = [];
      const events: RawBuilder<unknown>[] = [];
      for (const c of todo) {
        const row = byMessage.get(`${c.taxCode}\u0000${c.replyTo}`);
        if (!row) continue;
        byMessage.delete(`${c.taxCode}\u0000${c.replyTo}`);
        // The coded invoice must carry our signed data unchanged, and a code.
        const code = /<MCCQT[^>]*>([^<]+)<\/MCCQT>/.exec(c.payload)?.[1];
        const same = row.signed_xml !== null && dataElement(row.signed_xml) === dataElement(c.payload);
        if (!code || !same) {
          refusals.push(c);
          continue;
        }
        updates.push(sql`(${row.id}::text, ${c.payload}::text, ${code}::text, ${c.now}::timestamptz)`);
        events.push(
          sql`(${c.taxCode}, ${row.id}, ${c.now}, 'waiting_for_code', 'coded', 'authority', ${JSON.stringify({ authorityCode: code })}::jsonb)`,
        );
        archived.push({
          taxCode: c.taxCode,
          kind: "invoice",
          ref: `${row.id}.coded`,
          documentDate: row.issue_date,
          bytes: c.payload,
        });
        coded.push({ id: row.id, taxCode: c.taxCode });
      }
      if (updates.length > 0) {
        await sql`update seller.invoice as i set state = 'coded', coded_xml = v.coded_xml,
            authority_code = v.code, updated_at = v.at
          from (values ${sql.join(updates)}) as v(id, coded_xml, code, at)
          where i.id = v.id and i.state = 'waiting_for_code'`.execute(trx);
        await sql`insert into seller.invoice_event (tax_code, invoice_id, at, from_state, to_state, actor, detail)
          values ${sql.join(events)}`.execute(trx);
      }
      await this.#archive.putMany(trx, archived);
    });
    for (const c of refusals)
      await this.#refused(
        c.taxCode,
        c.replyTo,
        [{ code: "", description: "the coded invoice does not match the invoice sent" }],
        c.now,
      );
    const byTaxCode = new Map<string, string[]>();
    for (const x of coded) byTaxCode.set(x.taxCode, [...(byTaxCode.get(x.taxCode) ?? []), x.id]);
    for (const [taxCode, ids] of byTaxCode) await this.#deliverMany(taxCode, ids, "system");
  }

  /**
   * `#deliver` for many invoices of one seller, recorded in one transaction. A correcting invoice (which
   * also changes the state of the one it corrects) goes through `#deliver` alone.
   */
  /**
   * Hands to their buyers the coded invoices that have waited longer than `olderThanMs` since their code:
   * the handing-over follows the commit of the 202, so a process killed in between leaves them coded. Run
   * from the composed system's loop; returns how many were handed over. Delivery channels are idempotent
   * per invoice (the e-mail queue's key), so a sweep racing a slow delivery sends nothing twice.
   */
  async deliverStuck(olderThanMs = 30_000, limit = 500): Promise<number> {
    const before = new Date(this.#clock.now().getTime() - olderThanMs);
    const r = await sql<{ tax_code: string; id: string }>`select tax_code, id from seller.invoice
      where state = 'coded' and updated_at < ${before} order by updated_at limit ${limit}`.execute(this.#k);
    const byOrg = new Map<string, string[]>();
    for (const row of r.rows) byOrg.set(row.tax_code, [...(byOrg.get(row.tax_code) ?? []), row.id]);
    for (const [taxCode, ids] of byOrg) await this.#deliverMany(taxCode, ids, "recovery");
    return r.rows.length;
  }

  async #deliverMany(taxCode: string, ids: readonly string[], actor: string | undefined): Promise<void> {
    const r = await sql<{
      id: string;
      state: InvoiceState;
      signed_xml: string | null;
      coded_xml: string | null;
      buyer_email: string | null;
      lookup_code: string;
      input: InvoiceInput;
      corrects_id: string | null;
    }>`select id, state, signed_xml, coded_xml, buyer_email, lookup_code, input, corrects_id from seller.invoice
        where tax_code = ${taxCode} and id = any(${ids as string[]}::text[])`.execute(this.#k);
    const plain = r.rows.filter((row) => row.corrects_id === null);
    await Promise.all(
      r.rows.filter((row) => row.corrects_id !== null).map((row) => this.#deliver(taxCode, row.id, actor)),
    );
    const handed = await Promise.all(
      plain.map(async (row) => {
        const xml = row.state === "coded" ? row.coded_xml : row.state === "issued" ? row.signed_xml : null;
        if (xml === null) return undefined;
        const buyerName = row.input.buyer?.name;
        const receipt = await this.#delivery.deliver({
          taxCode,
          invoiceId: row.id,
          xml,
          lookupCode: row.lookup_code,
          ...(row.buyer_email !== null ? { buyerEmail: row.buyer_email } : {}),
          ...(typeof buyerName === "string" ? { buyerName } : {}),
        });
        return { row, receipt };
      }),
    );
    const done = handed.filter((x) => x !== undefined);
    if (done.length === 0) return;
    const now = this.#clock.now();
    await inTransaction(this.#k, async (trx) => {
      const u = await sql<{
        id: string;
      }>`update seller.invoice as i set state = 'delivered', updated_at = ${now}
        from (values ${sql.join(done.map((d) => sql`(${d.row.id}::text, ${d.row.state}::text)`))}) as v(id, state)
        where i.tax_code = ${taxCode} and i.id = v.id and i.state = v.state returning i.id`.execute(trx);
      const moved = new Set(u.rows.map((x) => x.id));
      const rows = done.filter((d) => moved.has(d.row.id));
      if (rows.length === 0) return;
      await sql`insert into seller.delivery (tax_code, invoice_id, channel, address, at)
        values ${sql.join(rows.map((d) => sql`(${taxCode}, ${d.row.id}, ${d.receipt.channel}, ${d.receipt.address ?? null}, ${now})`))}`.execute(
        trx,
      );
      await sql`insert into seller.invoice_event (tax_code, invoice_id, at, from_state, to_state, actor, detail)
        values ${sql.join(
          rows.map(
            (d) =>
              sql`(${taxCode}, ${d.row.id}, ${now}, ${d.row.state}, 'delivered', ${actor ?? null}, ${JSON.stringify({ channel: d.receipt.channel })}::jsonb)`,
          ),
        )}`.execute(trx);
    });
  }

  /** The effect of one answer. */
  async #act(
    taxCode: string,
    type: number,
    replyTo: string | undefined,
    payload: string,
    now: Date,
  ): Promise<void> {
    switch (type) {
      case 102:
      case 103:
        return this.#registrationAnswer(taxCode, type, replyTo, payload, now);
      case 105:
        await sql`update seller.organisation set coded_only = true, updated_at = ${now} where tax_code = ${taxCode}`.execute(
          this.#k,
        );
        return;
      case 202:
        return this.#coded(taxCode, replyTo, payload, now);
      case 301:
        return this.#errorNoticeAnswer(taxCode, replyTo, payload, now);
      case 204:
        return this.#dataAnswer(taxCode, replyTo, payload, now);
      case 205:
        return this.#perOccurrenceAnswer(taxCode, replyTo, payload, now);
      case 999: {
        // A relayed receipt: TTTNhan 1 means our message was not received.
        if (!/<TTTNhan>1<\/TTTNhan>/.test(payload)) return;
        const target = /<MTDiep>([^<]+)<\/MTDiep>/.exec(payload)?.[1] ?? replyTo;
        return this.#notReceived(taxCode, target, reasonsIn(payload), now);
      }
      default:
        return;
    }
  }

  async #registrationAnswer(
    taxCode: string,
    type: 102 | 103,
    replyTo: string | undefined,
    payload: string,
    now: Date,
  ) {
    if (replyTo === undefined) return;
    const reg = await sql<{ id: bigint; invoice_forms: RegistrationForms }>`
      select id, invoice_forms from seller.registration where tax_code = ${taxCode} and message_id = ${replyTo}`.execute(
      this.#k,
    );
    const row = reg.rows[0];
    if (!row) return;
    let state: string;
    if (type === 102)
      state = /<TTTNhan>1<\/TTTNhan>/.test(payload) || /<LDo>/.test(payload) ? "not_received" : "received";
    else state = /<TTXNCQT>1<\/TTXNCQT>/.test(payload) ? "accepted" : "refused";
    const reasons = state === "not_received" || state === "refused" ? reasonsIn(payload) : null;
    await inTransaction(this.#k, async (trx) => {
      await sql`update seller.registration set state = ${state}, reasons = ${reasons ? JSON.stringify(reasons) : null}::jsonb,
          decided_at = ${type === 103 ? now : null}
        where id = ${row.id} and state not in ('accepted', 'refused')`.execute(trx);
      if (state === "accepted")
        await sql`update seller.organisation set registration_state = 'accepted',
            invoice_forms = ${JSON.stringify(row.invoice_forms)}::jsonb, updated_at = ${now}
          where tax_code = ${taxCode}`.execute(trx);
      else if (state === "refused")
        // A refused registration that asked for no-code invoices binds the seller to coded ones.
        await sql`update seller.organisation set
            registration_state = case when registration_state = 'accepted' then registration_state else 'refused' end,
            coded_only = coded_only or ${row.invoice_forms.withoutCode}, updated_at = ${now}
          where tax_code = ${taxCode}`.execute(trx);
      else
        await sql`update seller.organisation set registration_state = ${state}, updated_at = ${now}
          where tax_code = ${taxCode} and registration_state not in ('accepted')`.execute(trx);
    });
  }

  async #coded(taxCode: string, replyTo: string | undefined, payload: string, now: Date): Promise<void> {
    if (replyTo === undefined) return;
    const r = await sql<{ id: string; state: InvoiceState; signed_xml: string | null; issue_date: string }>`
      select id, state, signed_xml, issue_date from seller.invoice
       where tax_code = ${taxCode} and message_id = ${replyTo}`.execute(this.#k);
    const row = r.rows[0];
    if (!row) return;
    if (row.state !== "waiting_for_code") return;
    // The coded invoice must carry our signed data unchanged, and a code.
    const code = /<MCCQT[^>]*>([^<]+)<\/MCCQT>/.exec(payload)?.[1];
    const same = row.signed_xml !== null && dataElement(row.signed_xml) === dataElement(payload);
    if (!code || !same) {
      await this.#refused(
        taxCode,
        replyTo,
        [{ code: "", description: "the coded invoice does not match the invoice sent" }],
        now,
      );
      return;
    }
    const done = await inTransaction(this.#k, async (trx) => {
      const u =
        await sql`update seller.invoice set state = 'coded', coded_xml = ${payload}, authority_code = ${code},
          updated_at = ${now} where id = ${row.id} and state = 'waiting_for_code'`.execute(trx);
      if (Number(u.numAffectedRows ?? 0n) === 0) return false;
      await this.#archive.put(trx, {
        taxCode,
        kind: "invoice",
        ref: `${row.id}.coded`,
        documentDate: row.issue_date,
        bytes: payload,
      });
      await this.#event(
        trx,
        taxCode,
        row.id,
        "waiting_for_code",
        "coded",
        "authority",
        { authorityCode: code },
        now,
      );
      return true;
    });
    if (done) await this.#deliver(taxCode, row.id, "system");
  }

  async #refused(taxCode: string, replyTo: string | undefined, reasons: Reason[], now: Date): Promise<void> {
    if (replyTo === undefined) return;
    await inTransaction(this.#k, async (trx) => {
      const r = await sql<{ id: string; state: InvoiceState }>`
        update seller.invoice set state = 'refused', errors = ${JSON.stringify(reasons)}::jsonb, updated_at = ${now}
         where tax_code = ${taxCode} and message_id = ${replyTo} and state = 'waiting_for_code'
         returning id, state`.execute(trx);
      const row = r.rows[0];
      if (row)
        await this.#event(trx, taxCode, row.id, "waiting_for_code", "refused", "authority", { reasons }, now);
      // A no-code invoice's data refused: recorded in its history, its state stays.
      else {
        await sql`update seller.invoice set data_state = 'refused', updated_at = ${now}
          where tax_code = ${taxCode} and message_id = ${replyTo} and data_state = 'sent'`.execute(trx);
        await sql`insert into seller.invoice_event (tax_code, invoice_id, at, from_state, to_state, actor, detail)
          select tax_code, id, ${now}, state, state, 'authority', ${JSON.stringify({ dataRefused: reasons })}::jsonb
            from seller.invoice where tax_code = ${taxCode} and message_id = ${replyTo}`.execute(trx);
      }
    });
  }

  async #notReceived(
    taxCode: string,
    messageId: string | undefined,
    reasons: Reason[],
    now: Date,
  ): Promise<void> {
    if (messageId === undefined) return;
    if (await this.#summaryAnswer(taxCode, messageId, false, reasons, now)) return;
    await this.#refused(taxCode, messageId, reasons, now);
    await sql`update seller.registration set state = 'not_received', reasons = ${JSON.stringify(reasons)}::jsonb
      where tax_code = ${taxCode} and message_id = ${messageId} and state = 'sent'`.execute(this.#k);
  }

  /**
   * For the outbox worker's `onResult`: the T-VAN's synchronous 999 for a message of ours. A refusal
   * (TTTNhan 1) marks the invoice refused or the registration not received.
   */
  async observeSend(messageId: string, result: TransportResult): Promise<void> {
    if (!result.ok) return;
    const m = inspectMessage(result.reply);
    if (m.header.type !== 999 || !m.parsed || !m.payloads[0]) return;
    const payload = m.parsed.source.slice(m.payloads[0].start, m.payloads[0].end);
    if (!/<TTTNhan>1<\/TTTNhan>/.test(payload)) return;
    const r = await sql<{
      tax_code: string;
    }>`select tax_code from seller.message where message_id = ${messageId}`.execute(this.#k);
    const taxCode = r.rows[0]?.tax_code;
    if (taxCode === undefined) return;
    await this.#notReceived(taxCode, messageId, reasonsIn(payload), this.#clock.now());
  }

  /** How many of an organisation's invoices are in each state (dashboards, tests). */
  async counts(taxCode: string): Promise<Record<string, number>> {
    const r = await sql<{ state: string; n: bigint }>`select state, count(*) as n from seller.invoice
      where tax_code = ${taxCode} group by state`.execute(this.#k);
    return Object.fromEntries(r.rows.map((x) => [x.state, Number(x.n)]));
  }

  /** The database handle (for the composition root). */
  get database(): Database {
    return this.#db;
  }
}
