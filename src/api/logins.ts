/**
 * People's sign-in (src/seller/logins.ts): an owner sets a user's password; a user signs in with the
 * organisation's tax code, e-mail and password and gets a session key (`x-api-key`, expires after 12 hours)
 * of the user's role; signing out revokes it. Sign-in is rate-limited per client address besides the lock
 * per user, and answers the same refusal whether the address or the password was wrong.
 */
import { z } from "zod";
import type { Clock } from "../domain/clock.ts";
import type { SellerLogins } from "../seller/logins.ts";
import type { SellerService } from "../seller/service.ts";
import { apiCodes } from "./codes.ts";
import { errorResponses, retryAfterSeconds, sendProblem, sendProblems, sendResult } from "./errors.ts";
import { type RateLimiter, TokenBucketLimiter } from "./rate-limit.ts";
import { holderOf, requireSellerKey } from "./seller.ts";
import { type HttpApp, rateLimit, requireMediaType } from "./server.ts";

export interface LoginRouteOptions {
  readonly clock?: Clock;
  /** Per client address. Default: bursts of 10, one every 2 seconds. */
  readonly limiter?: RateLimiter;
}

const tags = ["seller: organisations"];
const success = { 200: z.unknown() };

export function registerLoginRoutes(
  app: HttpApp,
  service: SellerService,
  logins: SellerLogins,
  options: LoginRouteOptions = {},
): void {
  const json = requireMediaType("application/json");
  const limited = rateLimit(
    options.limiter ?? new TokenBucketLimiter({ capacity: 10, refillPerSecond: 0.5 }),
    options.clock ? { clock: options.clock } : {},
  );
  const owner = requireSellerKey(service, "owner");
  const any = requireSellerKey(service, "owner", "accountant", "viewer");

  app.post(
    "/seller/sign-in",
    {
      onRequest: [limited, json],
      schema: {
        summary: "Sign in with e-mail and password: a session key of the user's role, for 12 hours",
        tags,
        body: z.object({
          taxCode: z.string().regex(/^\d{10}(?:-\d{3})?$/),
          email: z.string().min(3).max(100),
          password: z.string().min(1).max(200),
        }),
        response: { ...success, ...errorResponses(400, 401, 415, 429) },
      },
    },
    async (request, reply) => {
      const b = request.body;
      const r = await logins.signIn(b.taxCode, b.email, b.password);
      if (r.ok) {
        const { holder, key, expiresAt, userId } = r.value;
        return { key, expiresAt, role: holder.role, name: holder.name, userId };
      }
      const locked = r.problems.find((p) => p.code === "LOGIN_LOCKED");
      if (locked?.params?.until) {
        const now = (options.clock?.now() ?? new Date()).getTime();
        reply.header("retry-after", String(retryAfterSeconds(Date.parse(locked.params.until), now)));
        return sendProblems(reply, 429, r.problems);
      }
      return sendProblems(reply, 401, r.problems);
    },
  );

  app.post(
    "/seller/sign-out",
    {
      onRequest: any,
      schema: { summary: "Revoke the key of this request (a session key, or any key)", tags },
    },
    async (request, reply) => {
      const who = holderOf(request);
      if (await service.revokeApiKey(who.taxCode, who.keyId)) return { signedOut: true };
      return sendProblem(reply, 404, apiCodes, "HTTP_RESOURCE_NOT_FOUND", "", { what: "the key" });
    },
  );

  app.put(
    "/seller/users/:id/password",
    {
      onRequest: [owner, json],
      schema: {
        summary: "Set a user's password (owner)",
        tags,
        params: z.object({ id: z.string().min(1).max(20) }),
        body: z.object({ password: z.string().min(1).max(200) }),
        response: { ...success, ...errorResponses(400, 401, 403, 404, 415, 422) },
      },
    },
    async (request, reply) =>
      sendResult(
        reply,
        await logins.setPassword(holderOf(request).taxCode, request.params.id, request.body.password),
      ),
  );
}
