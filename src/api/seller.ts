/**
 * The seller's HTTP routes: organisations, users, API keys, signing key, series, invoices (create with an
 * Idempotency-Key, issue, batch, read, XML, history), registration, the buyer's lookup by secret code, and
 * the inbound endpoint where the T-VAN pushes answers.
 *
 * Keys: an organisation's key (`x-api-key`, made by `POST /seller/organisations` or `/seller/api-keys`)
 * names its organisation and role; every route reads and writes only that organisation (the tax code is
 * never taken from the request). Roles: owner (everything), accountant (series and invoices), viewer
 * (reading). Creating organisations takes an installation administrator's key (HDDT_API_KEYS, role admin).
 */

import type { FastifyReply, FastifyRequest } from "fastify";
import { z } from "zod";
import type { Clock } from "../domain/clock.ts";
import { isDate } from "../domain/dates.ts";
import type { Result } from "../domain/problem.ts";
import { exportSalesReport, reportRowOf } from "../excel/export.ts";
import { sellerProblem } from "../seller/codes.ts";
import { ERROR_KINDS } from "../seller/corrections.ts";
import { SUMMARY_SECTORS } from "../seller/flows.ts";
import type { InvoiceInput } from "../seller/model.ts";
import { checkPeriod, type SellerReports } from "../seller/reports.ts";
import {
  INVOICE_STATES,
  type KeyHolder,
  MAX_BATCH,
  ROLES,
  type SellerService,
  type UserRole,
} from "../seller/service.ts";
import type { DevCa } from "../signing/dev-ca.ts";
import { API_KEY_HEADER, type ApiKeys, requireApiKey } from "./auth.ts";
import { apiCodes } from "./codes.ts";
import { errorResponses, sendProblem, sendProblems, statusForProblems } from "./errors.ts";
import { type RateLimiter, TokenBucketLimiter } from "./rate-limit.ts";
import { type HttpApp, rateLimit, requireMediaType, sendWorkbook, XML_MEDIA_TYPES } from "./server.ts";

export interface SellerRouteOptions {
  /** Installation administrators (role admin): they create organisations. */
  readonly adminKeys?: ApiKeys;
  /** The development CA, to issue development signing keys (`PUT /seller/signing-key` kind dev). */
  readonly devCa?: () => Promise<DevCa>;
  readonly clock?: Clock;
  /** Limiter of the public lookup per client address. Default: bursts of 20, 5 per second. */
  readonly lookupLimiter?: RateLimiter;
  /** The reports; without it the report routes are not served. */
  readonly reports?: SellerReports;
}

const holders = new WeakMap<FastifyRequest, KeyHolder>();

export function holderOf(request: FastifyRequest): KeyHolder {
  const h = holders.get(request);
  if (!h) throw new Error("no key holder: the route lacks its requireSellerKey hook");
  return h;
}

/** An onRequest hook: the request must carry a valid organisation key of one of `roles`. */
export function requireSellerKey(service: SellerService, ...roles: UserRole[]) {
  return async function checkSellerKey(request: FastifyRequest, reply: FastifyReply) {
    const header = request.headers[API_KEY_HEADER];
    const key = Array.isArray(header) ? header[0] : header;
    if (!key) return sendProblem(reply, 401, apiCodes, "HTTP_API_KEY_MISSING", `header:${API_KEY_HEADER}`);
    const who = await service.authenticate(key);
    if (!who) return sendProblem(reply, 401, apiCodes, "HTTP_API_KEY_REFUSED", `header:${API_KEY_HEADER}`);
    if (!roles.includes(who.role))
      return sendProblems(reply, 403, [
        sellerProblem("SELLER_FORBIDDEN", `header:${API_KEY_HEADER}`, {
          role: who.role,
          action: request.routeOptions.url ?? "",
        }),
      ]);
    holders.set(request, who);
    return undefined;
  };
}

function answer<T>(reply: FastifyReply, result: Result<T>, status = 200) {
  if (result.ok) return reply.code(status).send(result.value);
  return sendProblems(reply, statusForProblems(result.problems), result.problems);
}

/** YYYY-MM-DD of a real day (2026-02-30 is refused here, not by the database). */
const calendarDate = z.string().refine(isDate, "not a calendar date (YYYY-MM-DD)");
const taxCode = z.string().regex(/^\d{10}(?:-\d{3})?$/);
const role = z.enum(ROLES);
const idParam = z.object({ id: z.string().min(1).max(64) });
const tags = {
  reports: ["seller: reports"],
  orgs: ["seller: organisations"],
  series: ["seller: series"],
  invoices: ["seller: invoices"],
  registration: ["seller: registration"],
  notices: ["seller: authority notices and summary tables"],
  lookup: ["buyer: lookup"],
};
const security = [{ apiKey: [] }];
/** Success bodies are described by the route's summary; errors share one shape. */
const success = { 200: z.unknown(), 201: z.unknown(), 202: z.unknown() };

const profile = z
  .object({
    phone: z.string().max(20),
    email: z.string().max(50),
    bankAccount: z.string().max(30),
    bankName: z.string().max(400),
    website: z.string().max(100),
    authorityName: z.string().max(100),
    authorityCode: z.string().max(5),
    representativeName: z.string().max(100),
    contactName: z.string().max(50),
    contactAddress: z.string().max(400),
    contactPhone: z.string().max(20),
    contactEmail: z.string().max(50),
    place: z.string().max(50),
    cashRegisterBlock: z
      .string()
      .regex(/^[0-9A-Z]{5}$/)
      .describe("C5–C9 of the cash-register code: the 5 characters the authority issued"),
    summarySector: z
      .enum(SUMMARY_SECTORS)
      .describe("Set when the seller sends its no-code invoices' data as summary tables 01/TH-HĐĐT"),
  })
  .partial();

/** Keys of the invoice model whose JSON value is a number (amounts may be numbers or strings). */
const NUMBER_KEYS = new Set(["nature", "relatedKind", "lineNo", "line"]);
const AMOUNT_KEYS = new Set([
  ...["exchangeRate", "quantity", "unitPrice", "discountRate", "discountAmount", "amount", "vatAmount"],
  ...[
    "totalBeforeVat",
    "totalVat",
    "nonTaxableDeductions",
    "tradeDiscount",
    "otherDeductions",
    "totalPayable",
  ],
]);
const BOOLEAN_KEYS = new Set(["financialLeasing", "nonTariffZone", "multiExchangeRate", "remove"]);
/** Keys whose value is an object or a list in the model (and the roots of a correction's change). */
const STRUCTURE_KEYS = new Set([
  ...["", "header", "buyer", "lines", "totals", "sellerExtra", "related", "extra", "specialGoods"],
  ...["byRate", "fees", "contentExtra", "dataExtra", "add", "content", "change"],
]);

/**
 * Every leaf of an invoice's JSON has its model's type: text everywhere, numbers only where the model has
 * numbers or amounts, booleans only where it has flags. A wrong type is bad input (400), not a crash of the
 * model code that trusts the types.
 */
function typedLeaves(value: unknown, ctx: z.RefinementCtx, path: (string | number)[] = [], depth = 0): void {
  if (depth > 12) {
    ctx.addIssue({ code: "custom", message: "nested too deep", path });
    return;
  }
  if (value === null || typeof value === "string") return;
  const key = [...path].reverse().find((p) => typeof p === "string") ?? "";
  // An object directly inside a list is an item of that list (a line, an extra field).
  const item = typeof path.at(-1) === "number";
  if (typeof value === "object" && !item && !STRUCTURE_KEYS.has(key)) {
    ctx.addIssue({ code: "custom", message: `${key} takes a single value, not a list or an object`, path });
    return;
  }
  if (Array.isArray(value)) {
    if (item) ctx.addIssue({ code: "custom", message: "a list inside a list", path });
    else for (const [i, v] of value.entries()) typedLeaves(v, ctx, [...path, i], depth + 1);
    return;
  }
  if (typeof value === "object") {
    for (const [k, v] of Object.entries(value)) typedLeaves(v, ctx, [...path, k], depth + 1);
    return;
  }
  if (typeof value === "number" && Number.isFinite(value) && (NUMBER_KEYS.has(key) || AMOUNT_KEYS.has(key)))
    return;
  if (typeof value === "boolean" && BOOLEAN_KEYS.has(key)) return;
  ctx.addIssue({ code: "custom", message: `a ${typeof value} is not a valid ${key || "value"}`, path });
}

/** An invoice in JSON: the domain model without seller and number; amounts as decimal strings. */
const invoiceInput = z
  .object({
    header: z
      .object({
        template: z.string().min(1).max(11),
        series: z.string().min(1).max(8),
        issueDate: calendarDate.optional(),
        currency: z.string().length(3).optional(),
      })
      .catchall(z.unknown()),
    buyer: z.record(z.string(), z.unknown()).optional(),
    lines: z.array(z.record(z.string(), z.unknown())).min(1).max(10_000),
    totals: z.record(z.string(), z.unknown()).optional(),
    sellerExtra: z.record(z.string(), z.unknown()).optional(),
  })
  .catchall(z.unknown())
  .superRefine((v, ctx) => typedLeaves(v, ctx))
  .describe(
    "The invoice model of src/domain/invoice.ts in JSON (amounts as decimal strings), without seller and number; totals are computed from the lines when left out",
  );

const signingKey = z.discriminatedUnion("kind", [
  z.object({ kind: z.literal("pkcs12"), path: z.string().min(1), password: z.string() }),
  z.object({
    kind: z.literal("pkcs11"),
    library: z.string().min(1),
    pin: z.string(),
    tokenLabel: z.string().optional(),
    keyLabel: z.string().optional(),
    keyId: z.string().optional(),
  }),
  z.object({ kind: z.literal("dev") }),
  z.object({ kind: z.literal("two-step"), certificate: z.string().min(1).max(20_000) }),
]);

const listQuery = z.object({
  state: z.enum(INVOICE_STATES).optional(),
  template: z.string().max(11).optional(),
  series: z.string().max(8).optional(),
  from: calendarDate.optional(),
  to: calendarDate.optional(),
  buyerTaxCode: z.string().max(14).optional(),
  after: z.string().max(64).optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
});

export function registerSellerRoutes(
  app: HttpApp,
  service: SellerService,
  options: SellerRouteOptions = {},
): void {
  const any = requireSellerKey(service, "owner", "accountant", "viewer");
  const writer = requireSellerKey(service, "owner", "accountant");
  const owner = requireSellerKey(service, "owner");
  const admin = options.adminKeys
    ? requireApiKey(options.adminKeys, "admin")
    : async (_r: FastifyRequest, reply: FastifyReply) =>
        sendProblem(reply, 401, apiCodes, "HTTP_API_KEY_REFUSED", `header:${API_KEY_HEADER}`);
  const json = requireMediaType("application/json");

  // ----- organisations

  app.post(
    "/seller/organisations",
    {
      onRequest: [admin, json],
      schema: {
        summary: "Create an organisation (installation administrator)",
        description: "Returns the organisation and its owner's first API key (shown once).",
        tags: tags.orgs,
        security,
        body: z.object({
          taxCode,
          name: z.string().min(1).max(400),
          address: z.string().min(1).max(400),
          profile: profile.optional(),
          owner: z.object({ email: z.string().min(3).max(100), name: z.string().min(1).max(100) }).optional(),
        }),
        response: { ...success, ...errorResponses(400, 401, 409, 415) },
      },
    },
    async (request, reply) => {
      const b = request.body;
      const org = await service.createOrganisation({
        taxCode: b.taxCode,
        name: b.name,
        address: b.address,
        ...(b.profile ? { profile: b.profile } : {}),
      });
      if (!org.ok) return answer(reply, org);
      let userId: string | undefined;
      if (b.owner) {
        const u = await service.addUser(b.taxCode, { ...b.owner, role: "owner" });
        if (u.ok) userId = u.value.id;
      }
      const key = await service.createApiKey(b.taxCode, {
        name: b.owner?.email ?? "owner",
        role: "owner",
        ...(userId !== undefined ? { userId } : {}),
      });
      return reply.code(201).send({ organisation: org.value, apiKey: { key: key.key, ...key.info } });
    },
  );

  app.get(
    "/seller/organisations",
    {
      onRequest: admin,
      schema: { summary: "List organisations (administrator)", tags: tags.orgs, security },
    },
    async () => ({ items: await service.listOrganisations() }),
  );

  app.get(
    "/seller/organisation",
    {
      onRequest: any,
      schema: {
        summary: "The organisation of the key",
        tags: tags.orgs,
        security,
        response: { ...success, ...errorResponses(401) },
      },
    },
    async (request, reply) => answer(reply, await service.getOrganisation(holderOf(request).taxCode)),
  );

  app.patch(
    "/seller/organisation",
    {
      onRequest: [owner, json],
      schema: {
        summary: "Change the organisation's name, address or profile",
        tags: tags.orgs,
        security,
        body: z.object({
          name: z.string().min(1).max(400).optional(),
          address: z.string().min(1).max(400).optional(),
          profile: profile.optional(),
        }),
        response: { ...success, ...errorResponses(400, 401, 403, 415) },
      },
    },
    async (request, reply) => {
      const b = request.body;
      return answer(
        reply,
        await service.updateProfile(holderOf(request).taxCode, {
          ...(b.name !== undefined ? { name: b.name } : {}),
          ...(b.address !== undefined ? { address: b.address } : {}),
          ...(b.profile !== undefined ? { profile: b.profile } : {}),
        }),
      );
    },
  );

  app.get(
    "/seller/users",
    { onRequest: owner, schema: { summary: "Users of the organisation", tags: tags.orgs, security } },
    async (request) => ({ items: await service.listUsers(holderOf(request).taxCode) }),
  );

  app.post(
    "/seller/users",
    {
      onRequest: [owner, json],
      schema: {
        summary: "Add a user",
        tags: tags.orgs,
        security,
        body: z.object({ email: z.string().min(3).max(100), name: z.string().min(1).max(100), role }),
        response: { ...success, ...errorResponses(400, 401, 403, 409, 415) },
      },
    },
    async (request, reply) =>
      answer(reply, await service.addUser(holderOf(request).taxCode, request.body), 201),
  );

  app.get(
    "/seller/api-keys",
    {
      onRequest: owner,
      schema: {
        summary: "API keys of the organisation (never the keys themselves)",
        tags: tags.orgs,
        security,
      },
    },
    async (request) => ({ items: await service.listApiKeys(holderOf(request).taxCode) }),
  );

  app.post(
    "/seller/api-keys",
    {
      onRequest: [owner, json],
      schema: {
        summary: "Make an API key (the key is shown once)",
        tags: tags.orgs,
        security,
        body: z.object({
          name: z.string().min(1).max(100),
          role,
          userId: z.string().regex(/^\d+$/).optional(),
        }),
        response: { ...success, ...errorResponses(400, 401, 403, 415) },
      },
    },
    async (request, reply) => {
      const k = await service.createApiKey(holderOf(request).taxCode, request.body);
      return reply.code(201).send({ key: k.key, ...k.info });
    },
  );

  app.delete(
    "/seller/api-keys/:id",
    {
      onRequest: owner,
      schema: {
        summary: "Revoke an API key",
        tags: tags.orgs,
        security,
        params: idParam,
        response: { ...success, ...errorResponses(401, 403, 404) },
      },
    },
    async (request, reply) => {
      if (await service.revokeApiKey(holderOf(request).taxCode, request.params.id)) return { revoked: true };
      return sendProblem(reply, 404, apiCodes, "HTTP_RESOURCE_NOT_FOUND", "id", { what: "the API key" });
    },
  );

  app.get(
    "/seller/signing-key",
    {
      onRequest: any,
      schema: {
        summary: "How the organisation signs and the certificate in use (subject, serial, validity)",
        tags: tags.orgs,
        security,
        response: { ...success, ...errorResponses(401, 404) },
      },
    },
    async (request, reply) => {
      const key = await service.signingKey(holderOf(request).taxCode);
      if (key) return key;
      return sendProblem(reply, 404, apiCodes, "HTTP_RESOURCE_NOT_FOUND", "", { what: "the signing key" });
    },
  );

  app.put(
    "/seller/signing-key",
    {
      onRequest: [owner, json],
      schema: {
        summary: "Set how the organisation signs",
        description:
          "pkcs12: a PKCS#12 file on the server and its password; pkcs11: a token or HSM; dev: a TEST certificate of the development CA; two-step: only the certificate (PEM) of a key that stays with the user (USB token, remote signing): invoices then wait for their signature values (/seller/signing-requests).",
        tags: tags.orgs,
        security,
        body: signingKey,
        response: { ...success, ...errorResponses(400, 401, 403, 415, 422) },
      },
    },
    async (request, reply) => {
      const taxCode = holderOf(request).taxCode;
      const b = request.body;
      if (b.kind === "dev") {
        if (!options.devCa)
          return sendProblem(reply, 422, apiCodes, "HTTP_BAD_REQUEST", "body.kind", {
            reason: "no development CA here",
          });
        return answer(reply, await service.issueDevSigningKey(taxCode, await options.devCa()));
      }
      return answer(reply, await service.setSigningKey(taxCode, b));
    },
  );

  // ----- series

  app.get(
    "/seller/series",
    {
      onRequest: any,
      schema: {
        summary: "Series with usage counters and year-end warnings",
        tags: tags.series,
        security,
        querystring: z.object({ year: z.coerce.number().int().min(2000).max(2099).optional() }),
      },
    },
    async (request) => ({
      items: await service.listSeries(
        holderOf(request).taxCode,
        request.query.year !== undefined ? { year: request.query.year } : {},
      ),
    }),
  );

  app.post(
    "/seller/series",
    {
      onRequest: [writer, json],
      schema: {
        summary: "Add a template and series (e.g. 1 + C26TAA)",
        tags: tags.series,
        security,
        body: z.object({
          template: z.string().min(1).max(1),
          series: z.string().length(6),
          cashRegister: z.boolean().optional(),
        }),
        response: { ...success, ...errorResponses(400, 401, 403, 409, 415, 422) },
      },
    },
    async (request, reply) =>
      answer(reply, await service.createSeries(holderOf(request).taxCode, request.body), 201),
  );

  // ----- invoices

  app.post(
    "/seller/invoices",
    {
      onRequest: [writer, json],
      schema: {
        summary: "Create an invoice (draft), or create and issue it with ?issue=true",
        description:
          "With an Idempotency-Key header the same key and body always give the same invoice (200 on a repeat); the same key with another body is a 409.",
        tags: tags.invoices,
        security,
        headers: z.object({ "idempotency-key": z.string().min(1).max(200).optional() }),
        querystring: z.object({ issue: z.enum(["true", "false"]).default("false") }),
        body: invoiceInput,
        response: { ...success, ...errorResponses(400, 401, 403, 404, 409, 415, 422) },
      },
    },
    async (request, reply) => {
      const who = holderOf(request);
      const key = request.headers["idempotency-key"];
      const d = await service.createDraft(who.taxCode, request.body as InvoiceInput, {
        ...(key !== undefined ? { idempotencyKey: key } : {}),
        actor: who.name,
      });
      if (!d.ok) return answer(reply, d);
      const status = d.value.created ? 201 : 200;
      if (request.query.issue !== "true") return reply.code(status).send(d.value.invoice);
      return answer(reply, await service.issue(who.taxCode, d.value.invoice.id, { actor: who.name }), status);
    },
  );

  app.post(
    "/seller/invoices/batch",
    {
      onRequest: [writer, json],
      bodyLimit: 64 * 1024 * 1024,
      schema: {
        summary: `Create and issue up to ${MAX_BATCH} invoices, a result per item`,
        tags: tags.invoices,
        security,
        body: z.object({
          items: z
            .array(z.object({ idempotencyKey: z.string().min(1).max(200).optional(), invoice: invoiceInput }))
            .min(1)
            .max(MAX_BATCH),
        }),
        response: { ...success, ...errorResponses(400, 401, 403, 413, 415, 422) },
      },
    },
    async (request, reply) => {
      const who = holderOf(request);
      const r = await service.issueBatch(
        who.taxCode,
        request.body.items.map((i) => ({
          input: i.invoice as InvoiceInput,
          ...(i.idempotencyKey !== undefined ? { idempotencyKey: i.idempotencyKey } : {}),
        })),
        { actor: who.name },
      );
      if (!r.ok) return answer(reply, r);
      const issued = r.value.filter((x) => x.ok).length;
      return reply.send({ issued, failed: r.value.length - issued, results: r.value });
    },
  );

  app.post(
    "/seller/invoices/:id/issue",
    {
      onRequest: writer,
      schema: {
        summary: "Issue a draft: number, sign, send for a code (C) or deliver (K)",
        tags: tags.invoices,
        security,
        params: idParam,
        response: { ...success, ...errorResponses(401, 403, 404, 409, 422) },
      },
    },
    async (request, reply) => {
      const who = holderOf(request);
      return answer(reply, await service.issue(who.taxCode, request.params.id, { actor: who.name }));
    },
  );

  // ----- two-step signing (a key at the user)

  app.get(
    "/seller/signing-requests",
    {
      onRequest: writer,
      schema: {
        summary: "Invoices numbered and waiting for the signature of the key at the user, with what to sign",
        description:
          "Each item gives the canonical SignedInfo, its digest and the DER DigestInfo (for tokens that take the raw PKCS#1 v1.5 input), the algorithm and the certificate the value must come from.",
        tags: tags.invoices,
        security,
        querystring: z.object({ limit: z.coerce.number().int().min(1).max(MAX_BATCH).default(1000) }),
        response: { ...success, ...errorResponses(400, 401, 403) },
      },
    },
    async (request) => ({
      requests: await service.signingRequests(holderOf(request).taxCode, { limit: request.query.limit }),
    }),
  );

  app.post(
    "/seller/signing-requests/signatures",
    {
      onRequest: [writer, json],
      schema: {
        summary: "Give the signature values of waiting invoices; each is checked, put in place and sent on",
        description:
          "A value that does not verify against the invoice's SignedInfo and certificate is refused for that item (SIG_KEY_MISMATCH) and the invoice keeps waiting. Giving a value again for a finished invoice returns it as it is.",
        tags: tags.invoices,
        security,
        body: z.object({
          signatures: z
            .array(
              z.object({
                invoiceId: z.string().min(1).max(64),
                signatureValue: z.string().min(1).max(4096).describe("base64 signature value"),
              }),
            )
            .min(1)
            .max(MAX_BATCH),
        }),
        response: { ...success, ...errorResponses(400, 401, 403, 404, 415, 422) },
      },
    },
    async (request, reply) => {
      const who = holderOf(request);
      const r = await service.completeSignatures(who.taxCode, request.body.signatures, { actor: who.name });
      if (!r.ok) return answer(reply, r);
      const results = r.value.map((x, index) =>
        x.ok ? { index, ok: true, invoice: x.value } : { index, ok: false, problems: x.problems },
      );
      const signed = results.filter((x) => x.ok).length;
      return reply.send({ signed, failed: results.length - signed, results });
    },
  );

  app.delete(
    "/seller/invoices/:id/signing-request",
    {
      onRequest: writer,
      schema: {
        summary: "Take back an invoice waiting for its signature: a draft again, its number given back",
        description:
          "Only the series' last number can be given back (SELLER_WITHDRAW_NOT_LAST otherwise: sign that invoice).",
        tags: tags.invoices,
        security,
        params: idParam,
        response: { ...success, ...errorResponses(401, 403, 404, 422) },
      },
    },
    async (request, reply) => {
      const who = holderOf(request);
      return answer(
        reply,
        await service.withdrawSignature(who.taxCode, request.params.id, { actor: who.name }),
      );
    },
  );

  app.post(
    "/seller/invoices/:id/per-occurrence",
    {
      onRequest: writer,
      schema: {
        summary:
          "Issue a draft as a per-occurrence invoice (message 201): coded by the authority once the tax on the sale is declared (205 + 202)",
        tags: tags.invoices,
        security,
        params: idParam,
        response: { ...success, ...errorResponses(401, 403, 404, 409, 422) },
      },
    },
    async (request, reply) => {
      const who = holderOf(request);
      return answer(
        reply,
        await service.issuePerOccurrence(who.taxCode, request.params.id, { actor: who.name }),
      );
    },
  );

  app.get(
    "/seller/invoices",
    {
      onRequest: any,
      schema: {
        summary: "List invoices (filters, paging by `after`)",
        tags: tags.invoices,
        security,
        querystring: listQuery,
      },
    },
    async (request) => {
      const q = request.query;
      const filter = Object.fromEntries(Object.entries(q).filter(([, v]) => v !== undefined));
      return service.list(holderOf(request).taxCode, filter);
    },
  );

  app.get(
    "/seller/invoices/:id",
    {
      onRequest: any,
      schema: {
        summary: "An invoice",
        tags: tags.invoices,
        security,
        params: idParam,
        response: { ...success, ...errorResponses(401, 404) },
      },
    },
    async (request, reply) => answer(reply, await service.get(holderOf(request).taxCode, request.params.id)),
  );

  app.get(
    "/seller/invoices/:id/xml",
    {
      onRequest: any,
      schema: {
        summary: "The invoice's XML: coded (byte-exact from the authority) when it is, else as signed",
        tags: tags.invoices,
        security,
        params: idParam,
        querystring: z.object({ which: z.enum(["best", "signed", "coded"]).default("best") }),
        response: { ...success, ...errorResponses(401, 404) },
      },
    },
    async (request, reply) => {
      const r = await service.xml(holderOf(request).taxCode, request.params.id, request.query.which);
      if (!r.ok) return answer(reply, r);
      return reply.type("application/xml; charset=utf-8").send(r.value);
    },
  );

  app.get(
    "/seller/invoices/:id/history",
    {
      onRequest: any,
      schema: {
        summary: "Every state change of an invoice",
        tags: tags.invoices,
        security,
        params: idParam,
        response: { ...success, ...errorResponses(401, 404) },
      },
    },
    async (request, reply) => {
      const r = await service.history(holderOf(request).taxCode, request.params.id);
      return r.ok ? { items: r.value } : answer(reply, r);
    },
  );

  // ----- corrections

  const correctionOptions = {
    issueDate: calendarDate.optional(),
    series: z.string().length(6).optional(),
    agreement: z.object({ reference: z.string().min(1).max(255), date: calendarDate }).optional(),
  };
  for (const way of ["adjust", "replace"] as const) {
    app.post(
      `/seller/invoices/:id/${way}`,
      {
        onRequest: [writer, json],
        schema: {
          summary:
            way === "adjust"
              ? "Draft an adjusting invoice for an issued one (by the rules of the original's date)"
              : "Draft a replacing invoice for an issued one (by the rules of the original's date)",
          description:
            way === "adjust"
              ? "`change`: { lines: [{ line, quantity?, unitPrice?, amount?, vatRate?, remove? }], add: [lines] }, amounts as strings. Issue the draft with /issue; once in force the original becomes `adjusted`."
              : "`content`: { buyer, lines, paymentMethod? }. Issue the draft with /issue; once in force the original becomes `replaced`.",
          tags: tags.invoices,
          security,
          params: idParam,
          headers: z.object({ "idempotency-key": z.string().min(1).max(200).optional() }),
          body:
            way === "adjust"
              ? z.object({
                  change: z.record(z.string(), z.unknown()).superRefine((v, ctx) => typedLeaves(v, ctx)),
                  ...correctionOptions,
                })
              : z.object({
                  content: z.record(z.string(), z.unknown()).superRefine((v, ctx) => typedLeaves(v, ctx)),
                  ...correctionOptions,
                }),
          response: { ...success, ...errorResponses(400, 401, 403, 404, 409, 415, 422) },
        },
      },
      async (request, reply) => {
        const who = holderOf(request);
        const b = request.body as {
          change?: unknown;
          content?: unknown;
          issueDate?: string;
          series?: string;
          agreement?: { reference: string; date: string };
        };
        const key = request.headers["idempotency-key"];
        const options = {
          actor: who.name,
          ...(key !== undefined ? { idempotencyKey: key } : {}),
          ...(b.issueDate !== undefined ? { issueDate: b.issueDate } : {}),
          ...(b.series !== undefined ? { series: b.series } : {}),
          ...(b.agreement !== undefined ? { agreement: b.agreement } : {}),
        };
        const r =
          way === "adjust"
            ? await service.adjust(who.taxCode, request.params.id, b.change, options)
            : await service.replace(who.taxCode, request.params.id, b.content, options);
        return answer(reply, r, 201);
      },
    );
  }

  app.post(
    "/seller/error-notices",
    {
      onRequest: [writer, json],
      schema: {
        summary: "Send form 04/SS-HĐĐT for wrong invoices (message 300); the authority answers with 301",
        tags: tags.invoices,
        security,
        body: z.object({
          items: z
            .array(
              z.object({
                invoiceId: z.string().min(1).max(64),
                error: z.enum(ERROR_KINDS),
                reason: z.string().min(1).max(255),
                action: z.enum(["adjust", "replace", "cancel", "explain"]).optional(),
              }),
            )
            .min(1)
            .max(1000),
          kind: z.union([z.literal(1), z.literal(2)]).optional(),
          authorityNotice: z.object({ number: z.string().min(1).max(30), date: z.string() }).optional(),
        }),
        response: { ...success, ...errorResponses(400, 401, 403, 404, 415, 422) },
      },
    },
    async (request, reply) => {
      const who = holderOf(request);
      const b = request.body;
      return answer(
        reply,
        await service.sendErrorNotice(
          who.taxCode,
          b.items.map((i) => ({
            invoiceId: i.invoiceId,
            error: i.error,
            reason: i.reason,
            ...(i.action !== undefined ? { action: i.action } : {}),
          })),
          {
            actor: who.name,
            ...(b.kind !== undefined ? { kind: b.kind } : {}),
            ...(b.authorityNotice !== undefined ? { authorityNotice: b.authorityNotice } : {}),
          },
        ),
        202,
      );
    },
  );

  // ----- exception contracts of a stopped seller, summary tables, the authority's review notices

  const idempotencyHeader = z.object({ "idempotency-key": z.string().min(1).max(200).optional() });
  const date = calendarDate;

  app.post(
    "/seller/exception-contracts",
    {
      onRequest: [owner, json],
      schema: {
        summary:
          "Record a contract signed before a stop that the authority allowed; a stopped seller issues only invoices naming one (TTKhac SoHopDong)",
        description:
          "The contract number is the natural idempotency key: the same contract and data give 200 with the same record, other data under it a 409. An Idempotency-Key header is accepted and adds nothing.",
        tags: tags.notices,
        security,
        headers: idempotencyHeader,
        body: z.object({
          contractNo: z.string().min(1).max(100),
          signedOn: date,
          note: z.string().max(400).optional(),
        }),
        response: { ...success, ...errorResponses(400, 401, 403, 409, 415, 422) },
      },
    },
    async (request, reply) => {
      const b = request.body;
      const r = await service.addExceptionContract(holderOf(request).taxCode, {
        contractNo: b.contractNo,
        signedOn: b.signedOn,
        ...(b.note !== undefined ? { note: b.note } : {}),
      });
      if (!r.ok) return answer(reply, r);
      return reply.code(r.value.created ? 201 : 200).send(r.value.contract);
    },
  );

  app.get(
    "/seller/exception-contracts",
    {
      onRequest: any,
      schema: { summary: "Contracts a stopped seller may still invoice", tags: tags.notices, security },
    },
    async (request) => ({ items: await service.exceptionContracts(holderOf(request).taxCode) }),
  );

  app.post(
    "/seller/summary-tables",
    {
      onRequest: [writer, json],
      schema: {
        summary:
          "Send the summary table 01/TH-HĐĐT (message 400) of a finished period: YYYY-MM, YYYY-Qn, or YYYY-MM-DD for fuel retailers",
        description:
          "With an Idempotency-Key header the same key and period always give the same table (200 on a repeat); the same key with another period is a 409.",
        tags: tags.notices,
        security,
        headers: idempotencyHeader,
        body: z.object({ period: z.string().min(7).max(10) }),
        response: { ...success, ...errorResponses(400, 401, 403, 409, 415, 422) },
      },
    },
    async (request, reply) => {
      const who = holderOf(request);
      const key = request.headers["idempotency-key"];
      const r = await service.sendSummaryTable(
        who.taxCode,
        { period: request.body.period },
        { actor: who.name, ...(key !== undefined ? { idempotencyKey: key } : {}) },
      );
      if (!r.ok) return answer(reply, r);
      return reply.code(r.value.created ? 201 : 200).send(r.value.table);
    },
  );

  app.get(
    "/seller/summary-tables",
    {
      onRequest: any,
      schema: { summary: "Summary tables sent and the authority's answers", tags: tags.notices, security },
    },
    async (request) => ({ items: await service.summaryTables(holderOf(request).taxCode) }),
  );

  app.get(
    "/seller/review-notices",
    {
      onRequest: any,
      schema: {
        summary:
          "The authority's review notices 01/TB-RSĐT (302): deadline, invoices, answer; ?open=true lists those still to answer",
        tags: tags.notices,
        security,
        querystring: z.object({ open: z.enum(["true", "false"]).default("false") }),
      },
    },
    async (request) => ({
      items: await service.reviewNotices(holderOf(request).taxCode, { open: request.query.open === "true" }),
    }),
  );

  app.get(
    "/seller/review-notices/:id",
    {
      onRequest: any,
      schema: {
        summary: "A review notice",
        tags: tags.notices,
        security,
        params: idParam,
        response: { ...success, ...errorResponses(401, 403, 404) },
      },
    },
    async (request, reply) =>
      answer(reply, await service.getReviewNotice(holderOf(request).taxCode, request.params.id)),
  );

  app.post(
    "/seller/review-notices/:id/answer",
    {
      onRequest: [writer, json],
      schema: {
        summary: "Answer a review notice with form 04/SS-HĐĐT of Loai 2 (message 300) for invoices it lists",
        description:
          "One answer per notice. With an Idempotency-Key header a repeat gives the first answer (200); any other second answer is a 409.",
        tags: tags.notices,
        security,
        params: idParam,
        headers: idempotencyHeader,
        body: z.object({
          items: z
            .array(
              z.object({
                invoiceId: z.string().min(1).max(64),
                error: z.enum(ERROR_KINDS),
                reason: z.string().min(1).max(255),
                action: z.enum(["adjust", "replace", "cancel", "explain"]).optional(),
              }),
            )
            .min(1)
            .max(1000),
        }),
        response: { ...success, ...errorResponses(400, 401, 403, 404, 409, 415, 422) },
      },
    },
    async (request, reply) => {
      const who = holderOf(request);
      const key = request.headers["idempotency-key"];
      const r = await service.answerReviewNotice(
        who.taxCode,
        request.params.id,
        request.body.items.map((i) => ({
          invoiceId: i.invoiceId,
          error: i.error,
          reason: i.reason,
          ...(i.action !== undefined ? { action: i.action } : {}),
        })),
        { actor: who.name, ...(key !== undefined ? { idempotencyKey: key } : {}) },
      );
      if (!r.ok) return answer(reply, r);
      return reply.code(r.value.created ? 201 : 200).send(r.value);
    },
  );

  // ----- registration

  app.post(
    "/seller/registration",
    {
      onRequest: [owner, json],
      schema: {
        summary: "Register for e-invoices (form 01/ĐKTĐ-HĐĐT, message 100, through the T-VAN)",
        description:
          "With a two-step key the form waits (state awaiting_signature, with its signingRequest) until its signature value is given to /seller/registration/{id}/signature.",
        tags: tags.registration,
        security,
        body: z.object({
          withCode: z.boolean(),
          withoutCode: z.boolean(),
          cashRegister: z.boolean().optional(),
        }),
        response: { ...success, ...errorResponses(400, 401, 403, 415, 422) },
      },
    },
    async (request, reply) =>
      answer(reply, await service.register(holderOf(request).taxCode, request.body), 202),
  );

  app.get(
    "/seller/registration",
    {
      onRequest: any,
      schema: { summary: "Registrations sent and their state (102/103)", tags: tags.registration, security },
    },
    async (request) => ({ items: await service.registrations(holderOf(request).taxCode) }),
  );

  app.post(
    "/seller/registration/:id/signature",
    {
      onRequest: [owner, json],
      schema: {
        summary:
          "Give the signature value of a registration waiting for the key at the user; it is then sent",
        description:
          "The registration's signingRequest (GET /seller/registration) says what to sign. A value that does not verify is refused (SIG_KEY_MISMATCH) and the form keeps waiting.",
        tags: tags.registration,
        security,
        params: idParam,
        body: z.object({ signatureValue: z.string().min(1).max(4096).describe("base64 signature value") }),
        response: { ...success, ...errorResponses(400, 401, 403, 404, 415, 422) },
      },
    },
    async (request, reply) =>
      answer(
        reply,
        await service.completeRegistration(
          holderOf(request).taxCode,
          request.params.id,
          request.body.signatureValue,
        ),
      ),
  );

  // ----- the T-VAN's pushes (HttpTransport posts to {base}/messages)

  app.post(
    "/seller/messages",
    {
      onRequest: requireMediaType(...XML_MEDIA_TYPES),
      schema: { summary: "Answers pushed by the T-VAN (TDiep); replies with a 999", tags: tags.registration },
    },
    async (request, reply) => {
      const r = await service.endpoint.handle((request.body as Buffer).toString("utf8"));
      if (r.ok) return reply.code(200).type("application/xml; charset=utf-8").send(r.reply);
      return sendProblem(reply, 503, apiCodes, "HTTP_UNAVAILABLE", "", { until: "" });
    },
  );

  // ----- the buyer's lookup

  const limiter = options.lookupLimiter ?? new TokenBucketLimiter({ capacity: 20, refillPerSecond: 5 });
  const limited = rateLimit(limiter, options.clock ? { clock: options.clock } : {});
  const code = z.object({ code: z.string().min(8).max(32) });
  app.get(
    "/lookup/:code",
    {
      onRequest: limited,
      schema: {
        summary: "Look an invoice up by its secret lookup code",
        tags: tags.lookup,
        params: code,
        response: { ...success, ...errorResponses(404, 429) },
      },
    },
    async (request, reply) => {
      const r = await service.lookup(request.params.code);
      return r.ok ? r.value.invoice : answer(reply, r);
    },
  );
  app.get(
    "/lookup/:code/xml",
    {
      onRequest: limited,
      schema: {
        summary: "The looked-up invoice's XML",
        tags: tags.lookup,
        params: code,
        response: { ...success, ...errorResponses(404, 429) },
      },
    },
    async (request, reply) => {
      const r = await service.lookup(request.params.code);
      if (!r.ok) return answer(reply, r);
      return reply.type("application/xml; charset=utf-8").send(r.value.xml);
    },
  );

  // ----- reports

  const reports = options.reports;
  if (reports) {
    const periodQuery = z.object({
      from: calendarDate,
      to: calendarDate,
      format: z.enum(["json", "xlsx"]).default("json"),
    });
    app.get(
      "/seller/reports/sales",
      {
        onRequest: any,
        schema: {
          summary: "Sales list of a period (invoices with legal effect, amounts per VAT rate, exact sums)",
          description: "`format=xlsx` streams the list as an Excel workbook (bảng kê hóa đơn bán ra).",
          tags: tags.reports,
          security,
          querystring: periodQuery,
          response: { ...success, ...errorResponses(400, 401, 403, 422) },
        },
      },
      async (request, reply) => {
        const q = request.query;
        const period = checkPeriod({ from: q.from, to: q.to });
        if (!period.ok) return answer(reply, period);
        const taxCode = holderOf(request).taxCode;
        if (q.format === "xlsx") {
          const rows = (async function* () {
            for await (const r of reports.sales(taxCode, period.value)) yield reportRowOf(r.invoice);
          })();
          return sendWorkbook(reply, `bang-ke-${q.from}-${q.to}.xlsx`, (out) =>
            exportSalesReport(rows, out, period.value),
          );
        }
        const items = [];
        for await (const r of reports.sales(taxCode, period.value)) {
          const h = r.invoice.header;
          const t = r.invoice.totals;
          items.push({
            id: r.id,
            state: r.state,
            template: h.template,
            series: h.series,
            number: h.number,
            issueDate: h.issueDate,
            buyerTaxCode: r.invoice.buyer.taxCode ?? null,
            buyerName: r.invoice.buyer.name ?? null,
            byRate: t.byRate.map((b) => ({
              vatRate: b.vatRate,
              amount: b.amount.toPlain(),
              vatAmount: b.vatAmount?.toPlain() ?? null,
            })),
            totalVat: t.totalVat?.toPlain() ?? null,
            totalPayable: t.totalPayable?.toPlain() ?? null,
          });
        }
        const sum = await reports.salesSummary(taxCode, period.value);
        return {
          period: period.value,
          items,
          summary: {
            count: sum.count,
            byRate: sum.byRate.map((b) => ({
              vatRate: b.vatRate,
              amount: b.amount.toPlain(),
              vatAmount: b.vatAmount.toPlain(),
            })),
            totalVat: sum.totalVat.toPlain(),
            totalPayable: sum.totalPayable.toPlain(),
          },
        };
      },
    );
    app.get(
      "/seller/reports/series-usage",
      {
        onRequest: any,
        schema: {
          summary: "Numbers used per template and series in a period, by state",
          tags: tags.reports,
          security,
          querystring: periodQuery.omit({ format: true }),
          response: { ...success, ...errorResponses(400, 401, 403, 422) },
        },
      },
      async (request, reply) => {
        const period = checkPeriod(request.query);
        if (!period.ok) return answer(reply, period);
        return {
          period: period.value,
          items: await reports.seriesUsage(holderOf(request).taxCode, period.value),
        };
      },
    );
    app.get(
      "/seller/reports/provider",
      {
        onRequest: admin,
        schema: {
          summary:
            "The provider's 6-monthly report: businesses served, invoices used by template, series and range",
          description:
            "Circular 32/2011 Art 5, form 3. `period`: YYYY-H1 or YYYY-H2. Installation administrators only.",
          tags: tags.reports,
          security,
          querystring: z.object({ period: z.string().max(16) }),
          response: { ...success, ...errorResponses(400, 401, 403, 422) },
        },
      },
      async (request, reply) => answer(reply, await reports.providerReport(request.query.period)),
    );
  }
}
