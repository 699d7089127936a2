import fc from "fast-check";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { ApiKeys, requireApiKey } from "../../src/api/auth.ts";
import { apiCodes } from "../../src/api/codes.ts";
import { errorBody, retryAfterSeconds, statusForProblems } from "../../src/api/errors.ts";
import { TokenBucketLimiter } from "../../src/api/rate-limit.ts";
import {
  buildServer,
  type HttpApp,
  rateLimit,
  requireMediaType,
  sendUnavailable,
} from "../../src/api/server.ts";
import { ManualClock } from "../../src/domain/clock.ts";
import { defineCodes, makeProblem } from "../../src/domain/problem.ts";

const testCodes = defineCodes({
  THING_NOT_FOUND: { vi: "Không thấy", en: "Not found" },
  THING_EXISTS: { vi: "Đã có", en: "Exists" },
  THING_WRONG: { vi: "Sai", en: "Wrong" },
  THING_NOTE: { vi: "Lưu ý", en: "Note", severity: "warning" },
});
const p = (code: keyof typeof testCodes) => makeProblem(testCodes, code, "/x");

let app: HttpApp;
let clock: ManualClock;

beforeEach(async () => {
  clock = new ManualClock("2026-03-02T03:00:00Z");
  app = await buildServer({ clock });
  app.post(
    "/echo",
    {
      onRequest: requireMediaType("application/json"),
      schema: {
        body: z.object({ n: z.number().int().min(1) }),
        response: { 200: z.object({ n: z.number() }) },
      },
    },
    async (request) => ({ n: request.body.n }),
  );
  app.post("/open", { schema: { body: z.object({ n: z.number() }) } }, async () => ({}));
  app.get("/bug", async () => {
    throw new TypeError("a bug");
  });
  app.get("/down", async (_request, reply) =>
    sendUnavailable(reply, new Date("2026-03-02T03:00:10.200Z"), clock.now()),
  );
  const limiter = new TokenBucketLimiter({ capacity: 1, refillPerSecond: 1 });
  app.get(
    "/limited",
    { onRequest: rateLimit(limiter, { clock, key: (r) => String(r.headers["x-who"]) }) },
    async () => ({
      ok: true,
    }),
  );
  const keys = new ApiKeys([{ name: "a", role: "admin", key: "k".repeat(16) }]);
  app.get("/secret", { onRequest: requireApiKey(keys, "admin") }, async () => ({ ok: true }));
  await app.ready();
});
afterEach(() => app.close());

const code = (body: string) => (JSON.parse(body) as { error: { code: string } }).error.code;

describe("buildServer", () => {
  it("answers the health check", async () => {
    const res = await app.inject({ method: "GET", url: "/health" });
    expect(res.statusCode).toBe(200);
    expect(JSON.parse(res.body)).toEqual({ status: "ok", time: "2026-03-02T03:00:00.000Z" });
  });

  it("serves the OpenAPI document as JSON and the documentation pages", async () => {
    const doc = await app.inject({ method: "GET", url: "/openapi.json" });
    expect(doc.statusCode).toBe(200);
    expect(JSON.parse(doc.body)).toMatchObject({ openapi: "3.0.3", info: { title: "hddt API" } });
    expect(Object.keys(JSON.parse(doc.body).paths)).toContain("/health");
    expect(Object.keys(JSON.parse(doc.body).paths)).not.toContain("/openapi.json");
    const docs = await app.inject({ method: "GET", url: "/docs/" });
    expect(docs.statusCode).toBe(200);
    expect(docs.headers["content-type"]).toMatch(/text\/html/);
  });

  it("answers an unknown route with a JSON 404 and a code", async () => {
    const res = await app.inject({ method: "GET", url: "/nowhere?x=1" });
    expect(res.statusCode).toBe(404);
    expect(res.headers["content-type"]).toMatch(/application\/json/);
    expect(JSON.parse(res.body).error).toMatchObject({
      code: "HTTP_NOT_FOUND",
      message: "There is no route GET /nowhere",
    });
  });

  it("maps schema failures to 400 with one problem per field", async () => {
    const res = await app.inject({ method: "POST", url: "/echo", payload: { n: 0 } });
    expect(res.statusCode).toBe(400);
    const body = JSON.parse(res.body);
    expect(body.error.code).toBe("HTTP_INVALID_INPUT");
    expect(body.error.problems[0].path).toBe("body/n");
    expect(body.error.messageVi).toContain("body/n");
  });

  it("maps unreadable JSON and empty JSON bodies to 400 HTTP_MALFORMED_BODY", async () => {
    for (const payload of ["{", ""]) {
      const res = await app.inject({
        method: "POST",
        url: "/echo",
        headers: { "content-type": "application/json" },
        payload,
      });
      expect(res.statusCode, JSON.stringify(payload)).toBe(400);
      expect(code(res.body)).toBe("HTTP_MALFORMED_BODY");
    }
  });

  it("maps another media type to 415", async () => {
    const res = await app.inject({
      method: "POST",
      url: "/echo",
      headers: { "content-type": "text/plain" },
      payload: "n=1",
    });
    expect(res.statusCode).toBe(415);
    expect(code(res.body)).toBe("HTTP_UNSUPPORTED_MEDIA_TYPE");
    for (const type of [
      "text/plain",
      "application/x-www-form-urlencoded",
      "multipart/form-data; boundary=x",
    ]) {
      const open = await app.inject({
        method: "POST",
        url: "/open",
        headers: { "content-type": type },
        payload: "n=1",
      });
      expect(open.statusCode, type).toBe(415);
      expect(code(open.body)).toBe("HTTP_UNSUPPORTED_MEDIA_TYPE");
    }
  });

  it("maps a body over 2 MB to 413 with a code", async () => {
    const res = await app.inject({
      method: "POST",
      url: "/echo",
      headers: { "content-type": "application/json" },
      payload: `{"n":1,"pad":"${"x".repeat(2 * 1024 * 1024)}"}`,
    });
    expect(res.statusCode).toBe(413);
    expect(code(res.body)).toBe("HTTP_BODY_TOO_LARGE");
  });

  it("maps a URL fastify cannot decode to 400", async () => {
    const res = await app.inject({ method: "GET", url: "/health/%E0%A4%A" });
    expect(res.statusCode).toBe(400);
    expect(code(res.body)).toBe("HTTP_BAD_REQUEST");
  });

  it("answers a bug with 500 HTTP_INTERNAL and no details", async () => {
    const res = await app.inject({ method: "GET", url: "/bug" });
    expect(res.statusCode).toBe(500);
    expect(code(res.body)).toBe("HTTP_INTERNAL");
    expect(res.body).not.toContain("a bug");
  });

  it("logs a bug with its request id", async () => {
    const lines: string[] = [];
    const logged = await buildServer({
      docs: false,
      logger: { level: "error", stream: { write: (line: string) => lines.push(line) } },
    });
    logged.get("/bug", async () => {
      throw new TypeError("a bug");
    });
    const res = await logged.inject({ method: "GET", url: "/bug" });
    await logged.close();
    const record = JSON.parse(lines.find((l) => l.includes("unhandled error")) ?? "{}");
    expect(record.err.message).toBe("a bug");
    expect(JSON.parse(res.body).error.message).toContain(String(record.reqId));
  });

  it("sends 503 with Retry-After rounded up to whole seconds", async () => {
    const res = await app.inject({ method: "GET", url: "/down" });
    expect(res.statusCode).toBe(503);
    expect(res.headers["retry-after"]).toBe("11");
    expect(code(res.body)).toBe("HTTP_UNAVAILABLE");
  });

  it("rate-limits per key with 429 and Retry-After", async () => {
    const get = (who: string) => app.inject({ method: "GET", url: "/limited", headers: { "x-who": who } });
    expect((await get("a")).statusCode).toBe(200);
    const limited = await get("a");
    expect(limited.statusCode).toBe(429);
    expect(limited.headers["retry-after"]).toBe("1");
    expect(code(limited.body)).toBe("HTTP_RATE_LIMITED");
    expect((await get("b")).statusCode).toBe(200);
    clock.advance({ seconds: 1 });
    expect((await get("a")).statusCode).toBe(200);
  });

  it("requires an API key of the right role", async () => {
    expect((await app.inject({ method: "GET", url: "/secret" })).statusCode).toBe(401);
    const wrong = await app.inject({
      method: "GET",
      url: "/secret",
      headers: { "x-api-key": "j".repeat(16) },
    });
    expect(code(wrong.body)).toBe("HTTP_API_KEY_REFUSED");
    const ok = await app.inject({ method: "GET", url: "/secret", headers: { "x-api-key": "k".repeat(16) } });
    expect(ok.statusCode).toBe(200);
  });

  it("refuses API keys shorter than 16 characters in the configuration", () => {
    expect(() => new ApiKeys([{ name: "a", role: "admin", key: "short" }])).toThrow(RangeError);
  });
});

describe("apiCodes", () => {
  it("gives every code a message in both languages with the same placeholders", () => {
    const names = (t: string) => [...t.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();
    for (const [name, def] of Object.entries(apiCodes)) {
      expect(name).toMatch(/^HTTP_[A-Z0-9_]+$/);
      expect(names(def.vi), name).toEqual(names(def.en));
    }
  });
});

describe("error mapping helpers", () => {
  it("gives 404 for not-found codes, 409 for conflicts, 422 otherwise, ignoring warnings", () => {
    expect(statusForProblems([p("THING_NOT_FOUND")])).toBe(404);
    expect(statusForProblems([p("THING_EXISTS")])).toBe(409);
    expect(statusForProblems([p("THING_WRONG")])).toBe(422);
    expect(statusForProblems([p("THING_WRONG"), p("THING_EXISTS")])).toBe(409);
    expect(statusForProblems([p("THING_NOTE")])).toBe(422);
    expect(statusForProblems([p("THING_WRONG")], new Map([["THING_WRONG", 400]]))).toBe(400);
  });

  it("puts the first error's code and messages at the top, skipping warnings", () => {
    const body = errorBody([p("THING_NOTE"), p("THING_WRONG")]);
    expect(body.error).toMatchObject({ code: "THING_WRONG", message: "Wrong", messageVi: "Sai" });
    expect(body.error.problems).toHaveLength(2);
  });

  it("rounds Retry-After up and never below one second", () => {
    expect(retryAfterSeconds(1000, 0)).toBe(1);
    expect(retryAfterSeconds(1001, 0)).toBe(2);
    expect(retryAfterSeconds(0, 5000)).toBe(1);
  });
});

describe("TokenBucketLimiter", () => {
  it("never allows more than capacity plus refill over any span", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 20 }),
        fc.integer({ min: 1, max: 50 }),
        fc.array(fc.integer({ min: 0, max: 500 }), { maxLength: 200 }),
        (capacity, rate, gaps) => {
          const limiter = new TokenBucketLimiter({ capacity, refillPerSecond: rate });
          let now = 0;
          let allowed = 0;
          for (const gap of gaps) {
            now += gap;
            if (limiter.take("k", now).allowed) allowed++;
          }
          expect(allowed).toBeLessThanOrEqual(capacity + Math.floor((now * rate) / 1000) + 1);
        },
      ),
    );
  });

  it("says when the next request will pass, and that request passes", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 5 }),
        fc.double({ min: 0.01, max: 100, noNaN: true }),
        (cap, rate) => {
          const limiter = new TokenBucketLimiter({ capacity: cap, refillPerSecond: rate });
          for (let i = 0; i < cap; i++) expect(limiter.take("k", 0).allowed).toBe(true);
          const refused = limiter.take("k", 0);
          expect(refused.allowed).toBe(false);
          if (!refused.allowed) expect(limiter.take("k", refused.retryAfterMs).allowed).toBe(true);
        },
      ),
    );
  });

  it("keeps at most maxKeys buckets, dropping the least recently used", () => {
    const limiter = new TokenBucketLimiter({ capacity: 1, refillPerSecond: 1, maxKeys: 2 });
    limiter.take("a", 0);
    limiter.take("b", 0);
    limiter.take("a", 0);
    limiter.take("c", 0);
    expect(limiter.size).toBe(2);
    // "b" was dropped, so it starts full again; "a" is still empty.
    expect(limiter.take("a", 0).allowed).toBe(false);
    expect(limiter.take("b", 0).allowed).toBe(true);
  });
});
