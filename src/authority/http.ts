/**
 * The tax authority's HTTP API: the message endpoint T-VANs post TDiep messages to, the replies to a
 * message, administration (taxpayers, stop/resume, maintenance windows), the connection check, and the
 * lookups (public, inspector, a buyer's purchases).
 *
 * Routes (all documented in /openapi.json):
 *   POST /authority/messages                          TDiep XML in, the 999 receipt XML out
 *   GET  /authority/messages/{id}/replies             replies sent for a message id (999, 102, 202…)
 *   GET  /authority/connection-check                  is the system up (503 during maintenance)
 *   PUT  /authority/admin/taxpayers                   add or update a taxpayer            (admin key)
 *   GET  /authority/admin/taxpayers[/{taxCode}]       list / one taxpayer                 (admin key)
 *   POST /authority/admin/taxpayers/{taxCode}/stop    stop its use of e-invoices         (admin key)
 *   POST /authority/admin/taxpayers/{taxCode}/resume  resume it                           (admin key)
 *   POST /authority/admin/maintenance                 schedule a window                   (admin key)
 *   GET  /authority/admin/maintenance                 list windows                        (admin key)
 *   POST /authority/admin/taxpayers/{taxCode}/exception-contracts  contract before a suspension (admin)
 *   POST /authority/admin/taxpayers/{taxCode}/require-coded  forced switch to coded invoices, 105 (admin)
 *   POST /authority/admin/review-notices              send a 302 review notice            (admin key)
 *   GET  /authority/admin/inspector-access            the inspectors' access log          (admin key)
 *   GET  /authority/lookup/invoice                    public lookup, rate-limited per client address
 *   GET  /authority/inspector/invoice                 full detail for an inspector; every access logged
 *   GET  /authority/buyers/{taxCode}/invoices         a buyer's purchases, cursor pages (buyer or admin key)
 *
 * Keys go in the `x-api-key` header (see src/api/auth.ts). During a maintenance window the message
 * endpoint and the connection check answer 503 with Retry-After and do nothing else.
 *
 * The routes call `AuthorityApi`, the part of the authority's service they need.
 */
import { z } from "zod";
import { type ApiKeys, principalOf, requireApiKey } from "../api/auth.ts";
import { apiCodes } from "../api/codes.ts";
import {
  errorBody,
  errorResponses,
  errorSchema,
  sendProblem,
  sendProblems,
  statusForProblems,
} from "../api/errors.ts";
import { type RateLimiter, TokenBucketLimiter } from "../api/rate-limit.ts";
import {
  type HttpApp,
  rateLimit,
  requireMediaType,
  sendUnavailable,
  XML_MEDIA_TYPES,
} from "../api/server.ts";
import { type Clock, systemClock } from "../domain/clock.ts";
import { makeProblem, type Problem, type Result } from "../domain/problem.ts";
import { inspectMessage, isMessageId, isPartyCode, readMessage } from "../format/envelope.ts";
import { readErrorReply, readTechnicalReceipt } from "../format/forms/receipt.ts";
import { parseXml } from "../format/xml.ts";
import type { Database } from "../store/database.ts";
import { type AuthorityDb, STOP_CAUSES, type StopCause } from "./schema.ts";
import {
  type AuthorityService,
  type BuyerPage,
  type CodedInvoiceDetail,
  type InvoiceKey,
  type MaintenanceWindow,
  OUTBOX_XML,
  type PublicInvoice,
  type PublicLookupInput,
  type ReceiveResult,
  type RegistrationRecord,
  type ReviewNoticeInput,
  type SentMessage,
  type Taxpayer,
  type TaxpayerInput,
} from "./service.ts";

// ---------------------------------------------------------------------------------------------------------
// What the routes need from the service

/** A message the authority sent in answer to another. */
export interface StoredReply {
  readonly messageId: string;
  readonly type: number;
  readonly createdAt: Date;
  /** The TDiep as sent. */
  readonly xml: string;
}

/**
 * The operations behind the routes. `AuthorityService` has all of them but the query `repliesTo`;
 * `authorityApi(service, db)` adds it.
 */
export interface AuthorityApi {
  /** Receives one TDiep message (bytes as posted); during maintenance, "unavailable" and nothing stored. */
  receive(input: Uint8Array): Promise<ReceiveResult>;
  connectionCheck(): Promise<{ available: boolean; now: Date; until?: Date }>;
  /** Replies sent for a message id (the 999 first); undefined when the id was never received. */
  repliesTo(messageId: string): Promise<readonly StoredReply[] | undefined>;
  upsertTaxpayer(input: TaxpayerInput): Promise<Taxpayer>;
  getTaxpayer(taxCode: string): Promise<Result<Taxpayer>>;
  /** Taxpayers by tax code, `limit` from `offset`. */
  listTaxpayers(offset: number, limit: number): Promise<readonly Taxpayer[]>;
  /** Registrations decided, newest first, `limit` from `offset`. */
  listRegistrations(
    filter: { taxCode?: string; status?: "accepted" | "refused" },
    offset: number,
    limit: number,
  ): Promise<readonly RegistrationRecord[]>;
  stopTaxpayer(taxCode: string, cause: StopCause, note?: string): Promise<Result<Taxpayer>>;
  resumeTaxpayer(taxCode: string): Promise<Result<Taxpayer>>;
  scheduleMaintenance(
    startsAt: Date,
    endsAt: Date,
    reason: string,
    options?: { checkUntil?: Date },
  ): Promise<Result<MaintenanceWindow>>;
  listMaintenance(): Promise<readonly MaintenanceWindow[]>;
  publicLookup(query: PublicLookupInput): Promise<PublicInvoice | undefined>;
  /** Looks up for an inspector and records the access (who, why, what), found or not. */
  inspectorLookup(
    inspector: string,
    key: InvoiceKey,
    purpose?: string,
  ): Promise<CodedInvoiceDetail | undefined>;
  buyerInvoices(buyerTaxCode: string, options?: { after?: string; limit?: number }): Promise<BuyerPage>;
  /** The inspectors' access log, newest first. */
  accessLog(
    limit?: number,
  ): Promise<
    Array<{ inspector: string; purpose: string | null; invoiceId: string | null; query: string; at: Date }>
  >;
  /** Records a contract signed before a business suspension (Decree 123 art. 16.3). */
  addExceptionContract(
    taxCode: string,
    contractNo: string,
    signedOn: string,
    note?: string,
  ): Promise<Result<{ id: string }>>;
  /** The forced switch to coded invoices: sends a 105 to `to`. */
  requireCodedInvoices(taxCode: string, to: string, switchBy: string): Promise<Result<SentMessage>>;
  /** Sends a 302 (01/TB-RSĐT) and returns it with the answer deadline. */
  createReviewNotice(input: ReviewNoticeInput): Promise<Result<SentMessage & { deadline: string }>>;
}

/** The service with the query it lacks, read from the authority's own schema. */
export function authorityApi(service: AuthorityService, db: Database): AuthorityApi {
  const k = db.kysely<AuthorityDb>("authority");
  return {
    receive: (input) => service.receive(input),
    connectionCheck: () => service.connectionCheck(),
    upsertTaxpayer: (input) => service.upsertTaxpayer(input),
    getTaxpayer: (taxCode) => service.getTaxpayer(taxCode),
    listTaxpayers: (offset, limit) => service.listTaxpayers(offset, limit),
    listRegistrations: (filter, offset, limit) => service.listRegistrations(filter, offset, limit),
    stopTaxpayer: (taxCode, cause, note) => service.stopTaxpayer(taxCode, cause, note),
    resumeTaxpayer: (taxCode) => service.resumeTaxpayer(taxCode),
    scheduleMaintenance: (startsAt, endsAt, reason, options) =>
      service.scheduleMaintenance(startsAt, endsAt, reason, options),
    listMaintenance: () => service.listMaintenance(),
    publicLookup: (query) => service.publicLookup(query),
    inspectorLookup: (inspector, key, purpose) => service.inspectorLookup(inspector, key, purpose),
    buyerInvoices: (buyer, options) => service.buyerInvoices(buyer, options),
    accessLog: (limit) => service.accessLog(limit),
    addExceptionContract: (taxCode, contractNo, signedOn, note) =>
      service.addExceptionContract(taxCode, contractNo, signedOn, note),
    requireCodedInvoices: (taxCode, to, switchBy) => service.requireCodedInvoices(taxCode, to, switchBy),
    createReviewNotice: (input) => service.createReviewNotice(input),
    async repliesTo(messageId) {
      const inbox = await k
        .selectFrom("inbox")
        .select(["receipt", "received_at"])
        .where("message_id", "=", messageId)
        .executeTakeFirst();
      if (!inbox) return undefined;
      const rows = await k
        .selectFrom("outbox as o")
        .select(["o.message_id", "o.type", OUTBOX_XML.as("xml"), "o.created_at"])
        .where("o.reply_to", "=", messageId)
        .orderBy("o.id")
        .execute();
      const receipt = readMessage(inbox.receipt);
      const first: StoredReply[] = receipt.ok
        ? [
            {
              messageId: receipt.value.header.messageId,
              type: receipt.value.header.type,
              createdAt: inbox.received_at,
              xml: inbox.receipt,
            },
          ]
        : [];
      return [
        ...first,
        ...rows.map((r) => ({ messageId: r.message_id, type: r.type, createdAt: r.created_at, xml: r.xml })),
      ];
    },
  };
}

// ---------------------------------------------------------------------------------------------------------
// Schemas

const TAX_CODE = /^\d{10}(-\d{3})?$/;
const taxCode = z.string().regex(TAX_CODE, "a tax code: 10 digits, or 10 digits, '-' and 3 digits");
const messageId = z
  .string()
  .max(46)
  .refine(isMessageId, "a message id: sender code and 32 uppercase hex digits");
const page = z.coerce.number().int().min(1).max(100_000).default(1);
const PAGE_SIZE = 100;

const invoiceKey = z.object({
  seller: taxCode.describe("seller's tax code (MST)"),
  template: z
    .string()
    .regex(/^[1-9]$/, "one digit 1–9")
    .describe("template symbol (KHMSHDon)"),
  series: z
    .string()
    .regex(/^[CK]\d{2}[A-Z][A-Z0-9]{2}$/, "six characters like C25TAA")
    .describe("series (KHHDon)"),
  number: z
    .string()
    .regex(/^\d{1,8}$/, "1 to 8 digits")
    .describe("invoice number (SHDon)"),
});
const invoiceQuery = invoiceKey.extend({
  total: z
    .string()
    .regex(/^\d{1,19}(\.\d{1,6})?$/, "a decimal number, '.' as decimal point")
    .describe("total payable (TgTTTBSo)"),
});

const publicInvoice = z.object({
  seller: z.string(),
  template: z.string(),
  series: z.string(),
  number: z.string(),
  authorityCode: z.string().describe("the tax authority's code (MCCQT)"),
  issueDate: z.string(),
  total: z.string(),
  codedAt: z.date(),
});

const inspectorInvoice = publicInvoice.extend({
  buyerTaxCode: z.string().nullable(),
  messageId: z.string().describe("the 200 message that asked for the code"),
  xml: z.string().describe("the coded invoice as stored, byte-exact"),
});

const taxpayerView = z.object({
  taxCode: z.string(),
  name: z.string(),
  status: z.enum(["active", "stopped"]),
  stopCause: z.enum(STOP_CAUSES).nullable(),
  stopNote: z.string().nullable(),
  stoppedAt: z.date().nullable(),
  resumedAt: z.date().nullable(),
  highRisk: z.boolean(),
  codedOnly: z.boolean(),
});

const maintenanceView = z.object({
  id: z.string(),
  startsAt: z.date(),
  endsAt: z.date(),
  reason: z.string(),
});

const xmlBody = z
  .custom<Buffer>((v) => Buffer.isBuffer(v), "an XML body")
  .meta({ type: "string", format: "binary", description: "a TDiep message, UTF-8, at most 2 MB" });

const messageError = errorSchema
  .extend({
    receipt: z.string().optional().describe("the 999 (or −1) saying the message was not received"),
  })
  .describe("Error: the problems, and the 999 (or −1) receipt that refuses the message");

const xmlResponse = (description: string) => ({
  description,
  content: { "application/xml": { schema: z.string() } },
});

/** HTTP statuses of the service's codes that are not 422. */
const STATUS_OF = new Map<string, number>([
  ["AUTHORITY_UNKNOWN_TAXPAYER", 404],
  ["AUTHORITY_NOT_FOUND", 404],
  ["AUTHORITY_BAD_INPUT", 400],
  ["AUTHORITY_UNAVAILABLE", 503],
]);

function publicView(d: PublicInvoice) {
  return {
    seller: d.sellerTaxCode,
    template: d.template,
    series: d.series,
    number: d.number,
    authorityCode: d.authorityCode,
    issueDate: d.issueDate,
    total: d.total,
    codedAt: d.codedAt,
  };
}

// ---------------------------------------------------------------------------------------------------------
// Message refusals

// The authority's receipts are written canonically by its own writer, so the status reads as this text.
const REFUSED = "<TTTNhan>1</TTTNhan>";

/** True when the 999 (or −1) says the message was not received. */
function refuses(receipt: string): boolean {
  return receipt.includes(REFUSED);
}

/**
 * Why a message was refused, as problems with codes: the envelope reader's own problems when it finds any,
 * else the receipt's reason lines (MLoi and description) under HTTP_MESSAGE_REFUSED.
 */
function refusalProblems(body: Uint8Array, receipt: string): Problem[] {
  const own = inspectMessage(body).problems.filter((p) => p.severity === "error");
  if (own.length > 0) return own;
  const m = readMessage(receipt);
  const payload = m.ok ? m.value.payloads[0] : undefined;
  if (m.ok && payload) {
    const r =
      m.value.header.type === 999
        ? readTechnicalReceipt(payload, m.value.parsed.source)
        : readErrorReply(payload, m.value.parsed.source);
    if (r.ok && r.value.reasons && r.value.reasons.length > 0) {
      return r.value.reasons.map((reason, i) =>
        makeProblem(apiCodes, "HTTP_MESSAGE_REFUSED", `/TBao/DSLDo/LDo[${i + 1}]`, {
          mloi: reason.code ?? "",
          reason: reason.description ?? "",
        }),
      );
    }
  }
  return [makeProblem(apiCodes, "HTTP_MESSAGE_REFUSED", "/TBao", { mloi: "", reason: "" })];
}

// ---------------------------------------------------------------------------------------------------------
// Routes

export interface AuthorityRouteOptions {
  /** Keys of administrators, inspectors and buyers. Without them every protected route answers 401. */
  readonly keys?: ApiKeys;
  /** Time for Retry-After and the rate limiter. Default: the system clock (pass the service's). */
  readonly clock?: Clock;
  /** Limiter of the public lookup, per client address. Default: bursts of 20, 5 per second. */
  readonly lookupLimiter?: RateLimiter;
}

const security = [{ apiKey: [] as string[] }];

/** Adds the authority's routes to `app`, calling `service`. */
export function registerAuthorityRoutes(
  app: HttpApp,
  service: AuthorityApi,
  options: AuthorityRouteOptions = {},
): void {
  const clock = options.clock ?? systemClock;
  const keys = options.keys;
  const admin = keys ? requireApiKey(keys, "admin") : refuseAll;
  const inspector = keys ? requireApiKey(keys, "inspector") : refuseAll;
  const buyerOrAdmin = keys ? requireApiKey(keys, "buyer", "admin") : refuseAll;
  const lookupLimit = rateLimit(
    options.lookupLimiter ?? new TokenBucketLimiter({ capacity: 20, refillPerSecond: 5 }),
    { clock },
  );

  app.post(
    "/authority/messages",
    {
      onRequest: requireMediaType(...XML_MEDIA_TYPES),
      schema: {
        summary: "Receive a TDiep message",
        description:
          "Takes one TDiep message (application/xml or text/xml, UTF-8, at most 2 MB, no DOCTYPE) and " +
          "answers with its 999 technical receipt. The business answers (102/103, 202/204, 301…) follow as " +
          "replies to the message id. The same message id sent again gets the same answer. A message the " +
          "authority does not receive gets a 4xx whose body carries the problems and, under `receipt`, " +
          "the 999 or −1 that says so. During maintenance: 503 with Retry-After, nothing received.",
        tags: ["authority: messages"],
        consumes: [...XML_MEDIA_TYPES],
        body: xmlBody,
        response: {
          200: xmlResponse("the 999 receipt (TTTNhan 0)"),
          400: messageError,
          422: messageError,
          ...errorResponses(413, 415, 503),
        },
      },
    },
    async (request, reply) => {
      // Size, UTF-8, DOCTYPE and well-formedness first: what cannot be a message never reaches the service.
      const parsed = parseXml(request.body);
      if (!parsed.ok) return sendProblems(reply, 400, parsed.problems);
      const r = await service.receive(request.body);
      if (r.status === "unavailable") return sendUnavailable(reply, r.until, clock.now());
      if (!refuses(r.receipt)) return reply.code(200).type("application/xml; charset=utf-8").send(r.receipt);
      const problems = refusalProblems(request.body, r.receipt);
      return reply
        .code(statusForProblems(problems, STATUS_OF) as 422)
        .type("application/json; charset=utf-8")
        .send({ ...errorBody(problems), receipt: r.receipt });
    },
  );

  app.get(
    "/authority/messages/:id/replies",
    {
      schema: {
        summary: "Replies to a message",
        description: "Every message the authority sent in answer to the message id: the 999 first.",
        tags: ["authority: messages"],
        params: z.object({ id: messageId }),
        response: {
          200: z.object({
            messageId: z.string(),
            replies: z.array(
              z.object({ messageId: z.string(), type: z.number(), createdAt: z.date(), xml: z.string() }),
            ),
          }),
          ...errorResponses(400, 404),
        },
      },
    },
    async (request, reply) => {
      const replies = await service.repliesTo(request.params.id);
      if (!replies)
        return sendProblem(reply, 404, apiCodes, "HTTP_RESOURCE_NOT_FOUND", "params/id", {
          what: `message ${request.params.id}`,
        });
      return { messageId: request.params.id, replies: [...replies] };
    },
  );

  app.get(
    "/authority/connection-check",
    {
      schema: {
        summary: "Connection check",
        description: "200 when messages can be sent; 503 with Retry-After during maintenance.",
        tags: ["authority: messages"],
        response: {
          200: z.object({ status: z.literal("ok"), time: z.date() }),
          ...errorResponses(503),
        },
      },
    },
    async (_request, reply) => {
      const c = await service.connectionCheck();
      if (!c.available) return sendUnavailable(reply, c.until ?? c.now, c.now);
      return { status: "ok" as const, time: c.now };
    },
  );

  // --- administration -----------------------------------------------------------------------------------

  app.put(
    "/authority/admin/taxpayers",
    {
      onRequest: [admin, requireMediaType("application/json")],
      schema: {
        summary: "Add or update a taxpayer",
        tags: ["authority: admin"],
        security,
        body: z.object({
          taxCode,
          name: z.string().trim().min(1).max(400),
          highRisk: z.boolean().optional(),
        }),
        response: { 200: taxpayerView, ...errorResponses(400, 401, 415, 422) },
      },
    },
    async (request) => {
      const { highRisk, ...rest } = request.body;
      return service.upsertTaxpayer(highRisk === undefined ? rest : { ...rest, highRisk });
    },
  );

  app.get(
    "/authority/admin/registrations",
    {
      onRequest: admin,
      schema: {
        summary: "Registrations decided (01/ĐKTĐ-HĐĐT), newest first",
        description: "100 per page; filter by taxpayer and by decision. reasons: the codes of a refusal.",
        tags: ["authority: admin"],
        security,
        querystring: z.object({
          page,
          taxCode: z
            .string()
            .regex(/^\d{10}(?:-\d{3})?$/)
            .optional(),
          status: z.enum(["accepted", "refused"]).optional(),
        }),
        response: {
          200: z.object({
            items: z.array(
              z.object({
                id: z.string(),
                taxCode: z.string(),
                taxpayerName: z.string().nullable(),
                messageId: z.string(),
                kind: z.enum(["first", "change"]),
                forms: z.object({
                  withCode: z.boolean(),
                  withoutCode: z.boolean(),
                  cashRegister: z.boolean(),
                }),
                status: z.enum(["accepted", "refused"]),
                certificates: z.array(z.string()).readonly(),
                reasons: z.array(z.string()).readonly(),
                decidedAt: z.date(),
              }),
            ),
            page: z.number(),
            pageSize: z.number(),
          }),
          ...errorResponses(400, 401),
        },
      },
    },
    async (request) => {
      const { page: at, taxCode, status } = request.query;
      const filter = {
        ...(taxCode !== undefined ? { taxCode } : {}),
        ...(status !== undefined ? { status } : {}),
      };
      return {
        items: [...(await service.listRegistrations(filter, (at - 1) * PAGE_SIZE, PAGE_SIZE))],
        page: at,
        pageSize: PAGE_SIZE,
      };
    },
  );

  app.get(
    "/authority/admin/taxpayers",
    {
      onRequest: admin,
      schema: {
        summary: "List taxpayers",
        description: "100 per page, by tax code.",
        tags: ["authority: admin"],
        security,
        querystring: z.object({ page }),
        response: {
          200: z.object({ items: z.array(taxpayerView), page: z.number(), pageSize: z.number() }),
          ...errorResponses(400, 401),
        },
      },
    },
    async (request) => ({
      items: [...(await service.listTaxpayers((request.query.page - 1) * PAGE_SIZE, PAGE_SIZE))],
      page: request.query.page,
      pageSize: PAGE_SIZE,
    }),
  );

  app.get(
    "/authority/admin/taxpayers/:taxCode",
    {
      onRequest: admin,
      schema: {
        summary: "One taxpayer",
        tags: ["authority: admin"],
        security,
        params: z.object({ taxCode }),
        response: { 200: taxpayerView, ...errorResponses(400, 401, 404) },
      },
    },
    async (request, reply) => answer(reply, await service.getTaxpayer(request.params.taxCode)),
  );

  app.post(
    "/authority/admin/taxpayers/:taxCode/stop",
    {
      onRequest: [admin, requireMediaType("application/json")],
      schema: {
        summary: "Stop a taxpayer's use of e-invoices",
        description: `Causes (Decree 123 art. 16.1, seed 002): ${STOP_CAUSES.join(", ")}.`,
        tags: ["authority: admin"],
        security,
        params: z.object({ taxCode }),
        body: z.object({ cause: z.enum(STOP_CAUSES), note: z.string().max(1000).optional() }),
        response: { 200: taxpayerView, ...errorResponses(400, 401, 404, 415, 422) },
      },
    },
    async (request, reply) =>
      answer(
        reply,
        await service.stopTaxpayer(request.params.taxCode, request.body.cause, request.body.note),
      ),
  );

  app.post(
    "/authority/admin/taxpayers/:taxCode/resume",
    {
      onRequest: admin,
      schema: {
        summary: "Resume a taxpayer's use of e-invoices",
        tags: ["authority: admin"],
        security,
        params: z.object({ taxCode }),
        response: { 200: taxpayerView, ...errorResponses(400, 401, 404, 422) },
      },
    },
    async (request, reply) => answer(reply, await service.resumeTaxpayer(request.params.taxCode)),
  );

  app.post(
    "/authority/admin/maintenance",
    {
      onRequest: [admin, requireMediaType("application/json")],
      schema: {
        summary: "Schedule a maintenance window",
        description:
          "During the window [startsAt, endsAt) the message endpoint and the connection check answer 503 " +
          "with Retry-After. A signed notice of the window (message 950, hddt/TB-BTHT, an hddt extension) is " +
          "put in the outbox of every connected T-VAN, once per window.",
        tags: ["authority: admin"],
        security,
        body: z
          .object({
            startsAt: z.iso.datetime({ offset: true }).describe("start, ISO 8601 with offset"),
            endsAt: z.iso.datetime({ offset: true }).describe("end, ISO 8601 with offset"),
            reason: z.string().trim().min(1).max(255),
            checkUntil: z.iso
              .datetime({ offset: true })
              .optional()
              .describe("end of the connection check after the window, ISO 8601 with offset"),
          })
          .refine((b) => Date.parse(b.endsAt) > Date.parse(b.startsAt), {
            message: "endsAt must come after startsAt",
            path: ["endsAt"],
          })
          .refine((b) => b.checkUntil === undefined || Date.parse(b.checkUntil) > Date.parse(b.endsAt), {
            message: "checkUntil must come after endsAt",
            path: ["checkUntil"],
          }),
        response: { 201: maintenanceView, ...errorResponses(400, 401, 415, 422) },
      },
    },
    async (request, reply) => {
      const { startsAt, endsAt, reason, checkUntil } = request.body;
      const r = await service.scheduleMaintenance(
        new Date(startsAt),
        new Date(endsAt),
        reason,
        checkUntil === undefined ? {} : { checkUntil: new Date(checkUntil) },
      );
      return answer(reply, r, 201);
    },
  );

  app.get(
    "/authority/admin/maintenance",
    {
      onRequest: admin,
      schema: {
        summary: "List maintenance windows",
        description: "The windows that have not ended yet (the announcements), in start order.",
        tags: ["authority: admin"],
        security,
        response: { 200: z.object({ items: z.array(maintenanceView) }), ...errorResponses(401) },
      },
    },
    async () => ({ items: [...(await service.listMaintenance())] }),
  );

  const sentMessage = z.object({
    type: z.number(),
    messageId: z.string(),
    xml: z.string().describe("the TDiep sent, signed by the authority"),
  });
  const partyCode = z
    .string()
    .max(14)
    .refine(isPartyCode, "a party code: TCT, V or K + tax code, or a tax code");
  const isoDate = z.iso.date().describe("YYYY-MM-DD");

  app.post(
    "/authority/admin/taxpayers/:taxCode/exception-contracts",
    {
      onRequest: [admin, requireMediaType("application/json")],
      schema: {
        summary: "Record a contract signed before a suspension",
        description:
          "While the taxpayer's business is suspended, invoices for a contract signed before the suspension " +
          "may still be coded (Decree 123 art. 16.3).",
        tags: ["authority: admin"],
        security,
        params: z.object({ taxCode }),
        body: z.object({
          contractNo: z.string().trim().min(1).max(100),
          signedOn: isoDate,
          note: z.string().max(1000).optional(),
        }),
        response: { 201: z.object({ id: z.string() }), ...errorResponses(400, 401, 404, 415, 422) },
      },
    },
    async (request, reply) => {
      const { contractNo, signedOn, note } = request.body;
      return answer(
        reply,
        await service.addExceptionContract(request.params.taxCode, contractNo, signedOn, note),
        201,
      );
    },
  );

  app.post(
    "/authority/admin/taxpayers/:taxCode/require-coded",
    {
      onRequest: [admin, requireMediaType("application/json")],
      schema: {
        summary: "Require coded invoices (high-risk taxpayer)",
        description:
          "Marks the taxpayer high-risk and bound to coded invoices, and sends a 105 (01/TB-KTT) to `to`.",
        tags: ["authority: admin"],
        security,
        params: z.object({ taxCode }),
        body: z.object({ to: partyCode, switchBy: isoDate }),
        response: { 201: sentMessage, ...errorResponses(400, 401, 404, 415, 422) },
      },
    },
    async (request, reply) =>
      answer(
        reply,
        await service.requireCodedInvoices(request.params.taxCode, request.body.to, request.body.switchBy),
        201,
      ),
  );

  app.post(
    "/authority/admin/review-notices",
    {
      onRequest: [admin, requireMediaType("application/json")],
      schema: {
        summary: "Send a review notice (302, 01/TB-RSĐT)",
        description:
          "Invoices the taxpayer must review; it answers with a 04/SS-HĐĐT within `deadlineDays` working " +
          "days (default 2). The answer deadline is returned.",
        tags: ["authority: admin"],
        security,
        body: z.object({
          taxCode,
          to: partyCode,
          taxpayerAddress: z.string().trim().min(1).max(400),
          email: z.string().max(50).optional(),
          deadlineDays: z.number().int().min(1).max(99).optional(),
          round: z.number().int().min(1).max(9).optional(),
          invoices: z
            .array(
              z.object({
                template: z.string().max(11).optional(),
                series: z.string().max(8).optional(),
                number: z.string().max(8).optional(),
                date: isoDate,
                regime: z.union([z.literal(1), z.literal(2), z.literal(3), z.literal(4)]),
                reason: z.string().trim().min(1).max(255),
              }),
            )
            .min(1)
            .max(1000),
        }),
        response: {
          201: sentMessage.extend({ deadline: z.string().describe("answer deadline, YYYY-MM-DD (GMT+7)") }),
          ...errorResponses(400, 401, 404, 415, 422),
        },
      },
    },
    async (request, reply) => {
      const b = request.body;
      const input: ReviewNoticeInput = {
        taxCode: b.taxCode,
        to: b.to,
        taxpayerAddress: b.taxpayerAddress,
        invoices: b.invoices.map((i, n) => ({
          index: n + 1,
          date: i.date,
          regime: i.regime,
          reason: i.reason,
          ...(i.template !== undefined ? { template: i.template } : {}),
          ...(i.series !== undefined ? { series: i.series } : {}),
          ...(i.number !== undefined ? { number: i.number } : {}),
        })),
        ...(b.email !== undefined ? { email: b.email } : {}),
        ...(b.deadlineDays !== undefined ? { deadlineDays: b.deadlineDays } : {}),
        ...(b.round !== undefined ? { round: b.round } : {}),
      };
      return answer(reply, await service.createReviewNotice(input), 201);
    },
  );

  app.get(
    "/authority/admin/inspector-access",
    {
      onRequest: admin,
      schema: {
        summary: "Inspectors' access log",
        description: "Every inspector lookup, newest first.",
        tags: ["authority: admin"],
        security,
        querystring: z.object({ limit: z.coerce.number().int().min(1).max(1000).default(100) }),
        response: {
          200: z.object({
            items: z.array(
              z.object({
                inspector: z.string(),
                purpose: z.string().nullable(),
                invoiceId: z.string().nullable(),
                query: z.string(),
                at: z.date(),
              }),
            ),
          }),
          ...errorResponses(400, 401),
        },
      },
    },
    async (request) => ({ items: await service.accessLog(request.query.limit) }),
  );

  // --- lookups --------------------------------------------------------------------------------------------

  app.get(
    "/authority/lookup/invoice",
    {
      onRequest: lookupLimit,
      schema: {
        summary: "Public invoice lookup",
        description:
          "Finds a coded invoice by seller tax code, template, series, number and total payable. " +
          "Rate-limited per client address (429 with Retry-After).",
        tags: ["authority: lookup"],
        querystring: invoiceQuery,
        response: { 200: publicInvoice, ...errorResponses(400, 404, 429) },
      },
    },
    async (request, reply) => {
      const { seller, ...rest } = request.query;
      const found = await service.publicLookup({ sellerTaxCode: seller, ...rest });
      return found ? publicView(found) : invoiceNotFound(reply);
    },
  );

  app.get(
    "/authority/inspector/invoice",
    {
      onRequest: inspector,
      schema: {
        summary: "Inspector lookup (goods in transit)",
        description:
          "Full detail of a coded invoice for an inspector; every access is recorded, found or not.",
        tags: ["authority: lookup"],
        security,
        querystring: invoiceKey.extend({ purpose: z.string().max(255).optional() }),
        response: { 200: inspectorInvoice, ...errorResponses(400, 401, 404) },
      },
    },
    async (request, reply) => {
      const who = principalOf(request)?.name ?? "";
      const { purpose, seller, ...rest } = request.query;
      request.log.info({ inspector: who, purpose, query: request.query }, "inspector lookup");
      const found = await service.inspectorLookup(who, { sellerTaxCode: seller, ...rest }, purpose);
      if (!found) return invoiceNotFound(reply);
      return {
        ...publicView(found),
        buyerTaxCode: found.buyerTaxCode,
        messageId: found.messageId,
        xml: found.xml,
      };
    },
  );

  app.get(
    "/authority/buyers/:taxCode/invoices",
    {
      onRequest: buyerOrAdmin,
      schema: {
        summary: "A buyer's purchased invoices",
        description:
          "The coded invoices whose buyer has this tax code, by issue date, for bulk export. Pass `next` " +
          "of a page as `after` for the following one. A buyer's key sees only its own tax code; an " +
          "administrator's sees any.",
        tags: ["authority: lookup"],
        security,
        params: z.object({ taxCode }),
        querystring: z.object({
          after: z
            .string()
            .max(200)
            .regex(/^[A-Za-z0-9_-]*$/, "a cursor from a previous page")
            .optional(),
          limit: z.coerce.number().int().min(1).max(1000).default(100),
        }),
        response: {
          200: z.object({
            items: z.array(publicInvoice.extend({ buyerTaxCode: z.string().nullable() })),
            next: z.string().optional(),
          }),
          ...errorResponses(400, 401),
        },
      },
    },
    async (request, reply) => {
      const who = principalOf(request);
      if (who?.role === "buyer" && who.name !== request.params.taxCode)
        return sendProblem(reply, 401, apiCodes, "HTTP_API_KEY_REFUSED", "header:x-api-key");
      const { after, limit } = request.query;
      const r = await service.buyerInvoices(request.params.taxCode, after ? { after, limit } : { limit });
      const items = r.items.map((i) => ({
        seller: i.sellerTaxCode,
        template: i.template,
        series: i.series,
        number: i.number,
        authorityCode: i.authorityCode,
        issueDate: i.issueDate,
        total: i.total,
        codedAt: i.codedAt,
        buyerTaxCode: i.buyerTaxCode,
      }));
      return r.next ? { items, next: r.next } : { items };
    },
  );
}

async function refuseAll(_request: unknown, reply: Parameters<typeof sendProblem>[0]) {
  return sendProblem(reply, 401, apiCodes, "HTTP_API_KEY_REFUSED", "header:x-api-key");
}

function invoiceNotFound(reply: Parameters<typeof sendProblem>[0]) {
  return sendProblem(reply, 404, apiCodes, "HTTP_RESOURCE_NOT_FOUND", "query", { what: "the invoice" });
}

/** A service result as the answer: the value with `status`, or its problems with their status. */
function answer<T>(reply: Parameters<typeof sendProblem>[0], result: Result<T>, status = 200) {
  if (result.ok) return reply.code(status).send(result.value);
  return sendProblems(reply, statusForProblems(result.problems, STATUS_OF), result.problems);
}
