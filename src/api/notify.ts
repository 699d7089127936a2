/**
 * Notifications of an organisation.
 *
 * - The e-mails to an invoice's buyer with their delivery log (each try and the mail server's answer), and
 *   sending a dead one again (when hddt mails: `hddt start --smtp`).
 * - Webhook subscriptions (owner keys): list, add (the secret is shown once), change, remove, send a test
 *   event, read the delivery log, send a dead delivery again.
 * Every route works on the key's own organisation: another organisation's e-mail or subscription is
 * "not found".
 *
 * URLs into private networks (loopback, RFC 1918, link-local, unique-local) are refused unless the
 * installation allows them (`allowPrivateTargets`, for development and tests): the server would otherwise
 * POST wherever a customer points it.
 */
import { z } from "zod";
import { makeProblem, type Result } from "../domain/problem.ts";
import { notifyCodes } from "../notify/codes.ts";
import type { EmailQueue } from "../notify/email-queue.ts";
import { privateTarget } from "../notify/targets.ts";
import { type Subscription, WEBHOOK_EVENTS, type Webhooks } from "../notify/webhooks.ts";
import type { SellerService } from "../seller/service.ts";
import { errorResponses, sendResult } from "./errors.ts";
import { holderOf, requireSellerKey } from "./seller.ts";
import { type HttpApp, requireMediaType } from "./server.ts";

export interface NotifyRouteOptions {
  readonly webhooks: Webhooks;
  /** The e-mail queue, when hddt mails. */
  readonly emails?: EmailQueue;
  /** Accept webhook URLs into private networks. Default false. */
  readonly allowPrivateTargets?: boolean;
}

const tags = ["seller: webhooks"];
const security = [{ apiKey: [] }];
const success = { 200: z.unknown(), 201: z.unknown() };
const idParam = z.object({ id: z.string().min(1).max(20) });
const events = z.array(z.enum(WEBHOOK_EVENTS)).min(1).max(WEBHOOK_EVENTS.length);
const url = z.string().min(1).max(2000);

export function registerNotifyRoutes(
  app: HttpApp,
  service: SellerService,
  options: NotifyRouteOptions,
): void {
  const hooks = options.webhooks;
  const owner = requireSellerKey(service, "owner");
  const any = requireSellerKey(service, "owner", "accountant", "viewer");
  const writer = requireSellerKey(service, "owner", "accountant");
  const json = requireMediaType("application/json");
  const emails = options.emails;

  if (emails) {
    app.get(
      "/seller/invoices/:id/emails",
      {
        onRequest: any,
        schema: {
          summary: "The e-mails of an invoice to its buyer, each with its tries and the server's answers",
          tags: ["seller: invoices"],
          security,
          params: z.object({ id: z.string().min(1).max(64) }),
        },
      },
      async (request) => {
        const list = await emails.list({ taxCode: holderOf(request).taxCode, ref: request.params.id });
        return {
          items: await Promise.all(list.map(async (e) => ({ ...e, attempts: await emails.attempts(e.id) }))),
        };
      },
    );

    app.post(
      "/seller/emails/:id/retry",
      {
        onRequest: writer,
        schema: {
          summary: "Send a dead e-mail again",
          tags: ["seller: invoices"],
          security,
          params: idParam,
          response: { ...success, ...errorResponses(401, 403, 404, 409) },
        },
      },
      async (request, reply) => {
        const found = await emails.get({ id: request.params.id });
        if (!found.ok || found.value.taxCode !== holderOf(request).taxCode)
          return sendResult(reply, {
            ok: false,
            problems: [makeProblem(notifyCodes, "EMAIL_NOT_FOUND", "/id", { id: request.params.id })],
          });
        return sendResult(reply, await emails.requeue(request.params.id));
      },
    );
  }

  /** The subscription when it belongs to `taxCode`; WEBHOOK_NOT_FOUND otherwise (nothing else leaks). */
  const own = async (taxCode: string, id: string): Promise<Result<Subscription>> => {
    const s = await hooks.subscription(id);
    if (s.ok && s.value.taxCode === taxCode) return s;
    return { ok: false, problems: [makeProblem(notifyCodes, "WEBHOOK_NOT_FOUND", "/id", { id })] };
  };
  const publicOnly = (target: string | undefined): Result<true> => {
    if (target === undefined || options.allowPrivateTargets) return { ok: true, value: true };
    const host = privateTarget(target);
    if (host === undefined) return { ok: true, value: true };
    return {
      ok: false,
      problems: [makeProblem(notifyCodes, "WEBHOOK_PRIVATE_URL", "/url", { url: target, host })],
    };
  };

  app.get(
    "/seller/webhooks",
    { onRequest: owner, schema: { summary: "The organisation's webhook subscriptions", tags, security } },
    async (request) => ({ items: await hooks.subscriptions(holderOf(request).taxCode) }),
  );

  app.post(
    "/seller/webhooks",
    {
      onRequest: [owner, json],
      schema: {
        summary: "Subscribe a URL to events (the signing secret is shown once)",
        tags,
        security,
        body: z.object({
          url,
          events,
          secret: z.string().min(1).max(200).optional(),
          description: z.string().max(400).optional(),
          active: z.boolean().optional(),
        }),
        response: { ...success, ...errorResponses(400, 401, 403, 415, 422) },
      },
    },
    async (request, reply) => {
      const b = request.body;
      const allowed = publicOnly(b.url);
      if (!allowed.ok) return sendResult(reply, allowed);
      return sendResult(reply, await hooks.subscribe({ ...b, taxCode: holderOf(request).taxCode }), 201);
    },
  );

  app.patch(
    "/seller/webhooks/:id",
    {
      onRequest: [owner, json],
      schema: {
        summary: "Change a subscription's URL, events, secret, description or active flag",
        tags,
        security,
        params: idParam,
        body: z.object({
          url: url.optional(),
          events: events.optional(),
          secret: z.string().min(1).max(200).optional(),
          description: z.string().max(400).nullable().optional(),
          active: z.boolean().optional(),
        }),
        response: { ...success, ...errorResponses(400, 401, 403, 404, 415, 422) },
      },
    },
    async (request, reply) => {
      const found = await own(holderOf(request).taxCode, request.params.id);
      if (!found.ok) return sendResult(reply, found);
      const allowed = publicOnly(request.body.url);
      if (!allowed.ok) return sendResult(reply, allowed);
      return sendResult(reply, await hooks.update(request.params.id, request.body));
    },
  );

  app.delete(
    "/seller/webhooks/:id",
    {
      onRequest: owner,
      schema: {
        summary: "Remove a subscription with its delivery log",
        tags,
        security,
        params: idParam,
        response: { ...success, ...errorResponses(401, 403, 404) },
      },
    },
    async (request, reply) => {
      const found = await own(holderOf(request).taxCode, request.params.id);
      if (!found.ok) return sendResult(reply, found);
      const r = await hooks.unsubscribe(request.params.id);
      return r.ok ? { removed: true } : sendResult(reply, r);
    },
  );

  app.post(
    "/seller/webhooks/:id/test",
    {
      onRequest: owner,
      schema: {
        summary: "Send a webhook.test event now and report the receiver's answer",
        tags,
        security,
        params: idParam,
        response: { ...success, ...errorResponses(401, 403, 404) },
      },
    },
    async (request, reply) => {
      const found = await own(holderOf(request).taxCode, request.params.id);
      if (!found.ok) return sendResult(reply, found);
      return sendResult(reply, await hooks.testDelivery(request.params.id));
    },
  );

  app.get(
    "/seller/webhooks/:id/deliveries",
    {
      onRequest: owner,
      schema: {
        summary: "The subscription's deliveries with their tries, oldest first",
        tags,
        security,
        params: idParam,
        querystring: z.object({
          after: z
            .string()
            .regex(/^\d{1,19}$/)
            .optional(),
          limit: z.coerce.number().int().min(1).max(200).optional(),
        }),
        response: { ...success, ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (request, reply) => {
      const found = await own(holderOf(request).taxCode, request.params.id);
      if (!found.ok) return sendResult(reply, found);
      const list = await hooks.deliveries({
        subscriptionId: request.params.id,
        ...(request.query.after !== undefined ? { afterId: request.query.after } : {}),
        limit: request.query.limit ?? 50,
      });
      const items = await Promise.all(
        list.map(async (d) => ({ ...d, attempts: await hooks.attempts(d.id) })),
      );
      return { items, ...(items.length > 0 ? { next: items[items.length - 1]!.id } : {}) };
    },
  );

  app.post(
    "/seller/webhooks/:id/deliveries/:delivery/retry",
    {
      onRequest: owner,
      schema: {
        summary: "Send a dead delivery again",
        tags,
        security,
        params: z.object({ id: idParam.shape.id, delivery: z.string().min(1).max(20) }),
        response: { ...success, ...errorResponses(401, 403, 404, 409) },
      },
    },
    async (request, reply) => {
      const found = await own(holderOf(request).taxCode, request.params.id);
      if (!found.ok) return sendResult(reply, found);
      const d = await hooks.delivery(request.params.delivery);
      if (!d.ok || d.value.subscriptionId !== request.params.id)
        return sendResult(reply, {
          ok: false,
          problems: [
            makeProblem(notifyCodes, "WEBHOOK_DELIVERY_NOT_FOUND", "/delivery", {
              id: request.params.delivery,
            }),
          ],
        });
      return sendResult(reply, await hooks.requeue(request.params.delivery));
    },
  );
}
