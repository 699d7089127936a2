/**
 * The T-VAN's HTTP API. Every route is in /openapi.json; errors have the one shape of src/api/errors.ts.
 *
 *   POST /tvan/messages                         a seller's or provider's TDiep in, the 999 out   (client key)
 *   POST /tvan/authority/messages               the authority pushing its answers or notices  (client key TCT)
 *   GET  /tvan/health                           connection check, in the shape HttpTransport reads (public)
 *   GET  /tvan/sellers/{taxCode}/replies        the authority's answers for a seller, by cursor (client/admin)
 *   GET  /tvan/events                           maintenance and availability events (client: its own; admin)
 *   GET  /tvan/outbox                           outbox rows by state and destination              (admin key)
 *   GET  /tvan/outbox/counts                    rows per state                                      (admin key)
 *   GET  /tvan/outbox/{messageId}               one message: bytes sent, the reply, attempts, error (admin)
 *   POST /tvan/outbox/{messageId}/requeue       a dead message gets a fresh set of tries          (admin key)
 *   GET  /tvan/maintenance                      the authority's maintenance windows known         (admin key)
 *   GET  /tvan/reconciliation/{date}            the day's count of messages exchanged (901 data)  (admin key)
 *   POST /tvan/reconciliation/{date}            compare with the authority's count: the differences (admin)
 *
 * Keys (`x-api-key`, src/api/auth.ts): role `client` for the parties sending to the T-VAN, named by their
 * party code (a seller's MST, a provider's code, `TCT` for the authority). A client may send only messages
 * whose MNGui is its own code, and read only the replies of sellers it is or has sent for. Role `admin`
 * for the operator routes. The message routes answer 200 with the 999 also when it refuses the message
 * (TTTNhan 1): the receipt is the answer, as the exchange expects; a message whose id cannot be read gets
 * a −1, also with 200.
 */
import { z } from "zod";
import { type ApiKeys, principalOf, requireApiKey } from "../api/auth.ts";
import { apiCodes } from "../api/codes.ts";
import { errorResponses, sendProblem, sendProblems, statusForProblems } from "../api/errors.ts";
import { type HttpApp, requireMediaType, XML_MEDIA_TYPES } from "../api/server.ts";
import type { Clock } from "../domain/clock.ts";
import { readMessage } from "../format/envelope.ts";
import { readReconciliationReport } from "../format/forms/receipt.ts";
import type { Outbox, OutboxEntry } from "../transport/outbox.ts";
import { type TvanService, tvanCodes } from "./tvan.ts";

export interface TvanHttpOptions {
  readonly tvan: TvanService;
  readonly outbox: Outbox;
  readonly keys: ApiKeys;
  readonly clock: Clock;
  /** The authority's party code (its key's name). Default `TCT`. */
  readonly authority?: string;
}

const SENDER = /<MNGui>\s*([^<]*?)\s*<\/MNGui>/;

const xmlBody = z
  .custom<Buffer>((v) => Buffer.isBuffer(v), "an XML body")
  .meta({ type: "string", format: "binary", description: "a TDiep message, UTF-8, at most 2 MB" });

const xmlResponse = (description: string) => ({
  description,
  content: { "application/xml": { schema: z.string() } },
});

const cursor = z.string().regex(/^\d{1,18}$/, "a cursor");
const date = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, "a YYYY-MM-DD date");

const replySchema = z.object({
  cursor: z.string(),
  messageId: z.string(),
  authorityMessageId: z.string(),
  type: z.number().nullable(),
  taxCode: z.string().nullable(),
  replyTo: z.string().nullable(),
  destination: z.string().nullable(),
  xml: z.string(),
  receivedAt: z.date(),
});

const eventSchema = z.object({
  cursor: z.string(),
  kind: z.string(),
  party: z.string().nullable(),
  at: z.date(),
  destination: z.string().nullable(),
  startsAt: z.date().nullable(),
  endsAt: z.date().nullable(),
  notice: z.string().nullable(),
});

const STATES = ["pending", "in_flight", "sent", "dead"] as const;

const entrySchema = z.object({
  id: z.string(),
  messageId: z.string(),
  destination: z.string(),
  state: z.enum(STATES),
  attempts: z.number(),
  nextAttemptAt: z.date(),
  lastError: z.string().nullable(),
  claimedBy: z.string().nullable(),
  orderingKey: z.string().nullable(),
  sequence: z.string().nullable(),
  createdAt: z.date(),
  sentAt: z.date().nullable(),
});

const windowSchema = z.object({
  id: z.string(),
  destination: z.string(),
  startsAt: z.date(),
  endsAt: z.date(),
  notice: z.string().optional(),
  announcedAt: z.date(),
  resumedAt: z.date().nullable(),
  lastCheckError: z.string().nullable(),
});

const reportSchema = z.object({
  version: z.string(),
  date: z.string(),
  entries: z.array(
    z.object({
      type: z.number(),
      direction: z.number(),
      count: z.number(),
      messageIds: z.array(z.string()).optional(),
    }),
  ),
});

const TAGS = { messages: ["T-VAN: messages"], ops: ["T-VAN: operator"] };
const SECURED = [{ apiKey: [] }];

export function registerTvanRoutes(app: HttpApp, options: TvanHttpOptions): void {
  const { tvan, outbox, keys } = options;
  const authority = options.authority ?? "TCT";
  const client = requireApiKey(keys, "client");
  const clientOrAdmin = requireApiKey(keys, "client", "admin");
  const admin = requireApiKey(keys, "admin");
  const xmlOnly = requireMediaType(...XML_MEDIA_TYPES);
  const sendXml = (reply: import("fastify").FastifyReply, xml: string) =>
    reply.code(200).type("application/xml; charset=utf-8").send(xml);

  app.post(
    "/tvan/messages",
    {
      onRequest: [client, xmlOnly],
      schema: {
        summary: "Send a message to the tax authority through the T-VAN",
        description:
          "Takes one TDiep (application/xml, UTF-8, at most 2 MB) whose MNGui is the key holder's code, " +
          "checks its envelope and the taxpayer's signature, keeps it byte-exact and answers with the 999 " +
          "(TTTNhan 0: accepted and queued for the authority; 1: refused, with the reasons). A repeat of a " +
          "message id gets the first 999 again. 403 when MNGui is not the key holder's code.",
        tags: TAGS.messages,
        security: SECURED,
        consumes: [...XML_MEDIA_TYPES],
        body: xmlBody,
        response: { 200: xmlResponse("the 999 (or −1) receipt"), ...errorResponses(401, 403, 413, 415) },
      },
    },
    async (request, reply) => {
      const xml = request.body.toString("utf8");
      const holder = principalOf(request)!.name;
      const sender = SENDER.exec(xml)?.[1];
      if (sender !== undefined && sender !== holder)
        return sendProblem(reply, 403, tvanCodes, "TVAN_SENDER_NOT_KEY_HOLDER", "/TDiep/TTChung/MNGui", {
          value: sender,
          holder,
        });
      return sendXml(reply, (await tvan.receive(xml)).receipt);
    },
  );

  app.post(
    "/tvan/authority/messages",
    {
      onRequest: [client, xmlOnly],
      schema: {
        summary: "The authority pushes an answer or a notice to the T-VAN",
        description:
          "For the authority only (a client key named by its code). The answer is archived, matched to the " +
          "seller's message and passed on; a maintenance notice (950) holds forwarding during its window.",
        tags: TAGS.messages,
        security: SECURED,
        consumes: [...XML_MEDIA_TYPES],
        body: xmlBody,
        response: { 200: xmlResponse("the 999 (or −1) receipt"), ...errorResponses(401, 403, 413, 415) },
      },
    },
    async (request, reply) => {
      const holder = principalOf(request)!.name;
      const xml = request.body.toString("utf8");
      if (holder !== authority)
        return sendProblem(reply, 403, tvanCodes, "TVAN_SENDER_NOT_KEY_HOLDER", "/TDiep/TTChung/MNGui", {
          value: SENDER.exec(xml)?.[1] ?? "",
          holder,
        });
      return sendXml(reply, (await tvan.receiveFromAuthority(xml)).receipt);
    },
  );

  app.get(
    "/tvan/health",
    {
      schema: {
        summary: "Connection check of the T-VAN (as HttpTransport reads it)",
        tags: TAGS.messages,
        response: { 200: z.object({ ok: z.literal(true) }) },
      },
    },
    async () => ({ ok: true as const }),
  );

  app.get(
    "/tvan/sellers/:taxCode/replies",
    {
      onRequest: clientOrAdmin,
      schema: {
        summary: "The authority's answers for a seller, oldest first, after a cursor",
        description:
          "Pass the last `cursor` seen as `since` to get the next ones: each reply is listed once and none is " +
          "skipped (the cursor follows commit order per seller). `next` is the cursor to pass next time.",
        tags: TAGS.messages,
        security: SECURED,
        params: z.object({ taxCode: z.string().regex(/^\d{10}(-?\d{3})?$/, "a tax code") }),
        querystring: z.object({
          since: cursor.optional(),
          limit: z.coerce.number().int().min(1).max(1000).default(100),
        }),
        response: {
          200: z.object({ items: z.array(replySchema), next: z.string().nullable() }),
          ...errorResponses(400, 401, 403),
        },
      },
    },
    async (request, reply) => {
      const who = principalOf(request)!;
      const { taxCode } = request.params;
      if (who.role !== "admin" && !(await tvan.servesSeller(who.name, taxCode)))
        return sendProblem(reply, 403, tvanCodes, "TVAN_NOT_YOUR_SELLER", "/taxCode", {
          holder: who.name,
          taxCode,
        });
      const { since, limit } = request.query;
      const items = await tvan.pendingFor(taxCode, since, limit);
      return { items, next: items.at(-1)?.cursor ?? since ?? null };
    },
  );

  app.get(
    "/tvan/events",
    {
      onRequest: clientOrAdmin,
      schema: {
        summary: "Maintenance and availability events, oldest first, after a cursor",
        description:
          "A client gets its own events and the T-VAN's general ones (party null); an administrator gets " +
          "all, or one party's with `party`.",
        tags: TAGS.messages,
        security: SECURED,
        querystring: z.object({
          since: cursor.optional(),
          party: z.string().max(14).optional(),
          limit: z.coerce.number().int().min(1).max(1000).default(1000),
        }),
        response: { 200: z.object({ items: z.array(eventSchema) }), ...errorResponses(400, 401) },
      },
    },
    async (request) => {
      const who = principalOf(request)!;
      const party = who.role === "admin" ? request.query.party : who.name;
      return { items: await tvan.events(request.query.since, party, request.query.limit) };
    },
  );

  app.get(
    "/tvan/outbox",
    {
      onRequest: admin,
      schema: {
        summary: "Outbox rows in id order (without their content)",
        tags: TAGS.ops,
        security: SECURED,
        querystring: z.object({
          state: z.enum(STATES).optional(),
          destination: z.string().max(14).optional(),
          after: cursor.optional(),
          limit: z.coerce.number().int().min(1).max(1000).default(100),
        }),
        response: { 200: z.object({ items: z.array(entrySchema) }), ...errorResponses(400, 401) },
      },
    },
    async (request) => {
      const q = request.query;
      const items: OutboxEntry[] = await outbox.list({
        limit: q.limit,
        ...(q.state === undefined ? {} : { state: q.state }),
        ...(q.destination === undefined ? {} : { destination: q.destination }),
        ...(q.after === undefined ? {} : { afterId: q.after }),
      });
      return { items };
    },
  );

  app.get(
    "/tvan/outbox/counts",
    {
      onRequest: admin,
      schema: {
        summary: "Outbox rows per state",
        tags: TAGS.ops,
        security: SECURED,
        response: { 200: z.record(z.enum(STATES), z.number()), ...errorResponses(401) },
      },
    },
    async () => outbox.counts(),
  );

  app.get(
    "/tvan/outbox/:messageId",
    {
      onRequest: admin,
      schema: {
        summary: "One outbox message: the bytes sent, the receiver's reply, tries and last error",
        tags: TAGS.ops,
        security: SECURED,
        params: z.object({ messageId: z.string().max(46) }),
        response: {
          200: entrySchema.extend({ xml: z.string(), reply: z.string().nullable() }),
          ...errorResponses(401, 404),
        },
      },
    },
    async (request, reply) => {
      const r = await outbox.inspect(request.params.messageId);
      if (!r.ok) return sendProblems(reply, statusForProblems(r.problems), r.problems);
      return r.value;
    },
  );

  app.post(
    "/tvan/outbox/:messageId/requeue",
    {
      onRequest: admin,
      schema: {
        summary: "Give a dead message a fresh set of tries, due now",
        tags: TAGS.ops,
        security: SECURED,
        params: z.object({ messageId: z.string().max(46) }),
        response: { 200: entrySchema, ...errorResponses(401, 404, 409) },
      },
    },
    async (request, reply) => {
      const r = await outbox.requeue(request.params.messageId);
      if (!r.ok) return sendProblems(reply, statusForProblems(r.problems, REQUEUE_STATUS), r.problems);
      return r.value;
    },
  );

  app.get(
    "/tvan/maintenance",
    {
      onRequest: admin,
      schema: {
        summary: "The authority's maintenance windows the T-VAN knows of, newest first",
        tags: TAGS.ops,
        security: SECURED,
        querystring: z.object({ limit: z.coerce.number().int().min(1).max(1000).default(100) }),
        response: { 200: z.object({ items: z.array(windowSchema) }), ...errorResponses(400, 401) },
      },
    },
    async (request) => ({ items: await tvan.maintenanceWindows(request.query.limit) }),
  );

  app.get(
    "/tvan/reconciliation/:date",
    {
      onRequest: admin,
      schema: {
        summary: "The day's count of messages exchanged with the authority (GMT+7 day), with their ids",
        tags: TAGS.ops,
        security: SECURED,
        params: z.object({ date }),
        response: { 200: reportSchema, ...errorResponses(401, 422) },
      },
    },
    async (request, reply) => {
      const r = await tvan.countsFor(request.params.date);
      if (!r.ok) return sendProblems(reply, statusForProblems(r.problems), r.problems);
      return r.value;
    },
  );

  app.post(
    "/tvan/reconciliation/:date",
    {
      onRequest: [admin, xmlOnly],
      schema: {
        summary: "Compare the day's count with the authority's (a 901/902 TDiep or BCDSoat): the differences",
        tags: TAGS.ops,
        security: SECURED,
        params: z.object({ date }),
        consumes: [...XML_MEDIA_TYPES],
        body: xmlBody,
        response: {
          200: z.object({
            differences: z.array(
              z.object({
                type: z.number(),
                direction: z.number(),
                ours: z.number(),
                theirs: z.number(),
                onlyOurs: z.array(z.string()),
                onlyTheirs: z.array(z.string()),
              }),
            ),
          }),
          ...errorResponses(400, 401, 415, 422),
        },
      },
    },
    async (request, reply) => {
      const xml = request.body.toString("utf8");
      const m = readMessage(xml);
      if (!m.ok) return sendProblems(reply, 400, m.problems);
      const payload = m.value.payloads[0];
      if (!payload)
        return sendProblem(reply, 400, apiCodes, "HTTP_BAD_REQUEST", "body", {
          reason: "no BCDSoat in DLieu",
        });
      const theirs = readReconciliationReport(payload, xml);
      if (!theirs.ok) return sendProblems(reply, 422, theirs.problems);
      const r = await tvan.reconcile(request.params.date, theirs.value);
      if (!r.ok) return sendProblems(reply, statusForProblems(r.problems), r.problems);
      return {
        differences: r.value.map((d) => ({ ...d, onlyOurs: [...d.onlyOurs], onlyTheirs: [...d.onlyTheirs] })),
      };
    },
  );
}

const REQUEUE_STATUS: ReadonlyMap<string, number> = new Map([["OUTBOX_NOT_REQUEUEABLE", 409]]);
