/**
 * The HTTP server every part mounts its routes on: fastify with zod schemas (validation, types and the
 * OpenAPI document from one schema per route), the OpenAPI document at `/openapi.json`, its pages at
 * `/docs`, a health check at `/health`, and one mapping of every failure to the error shape of errors.ts.
 *
 * Bad input never gets a 5xx: schema failures are 400, unreadable bodies 400, bodies over the format's
 * 2 MB message limit 413, other media types 415, unknown routes 404, all with a code. A 500 means a bug; it
 * is logged with the request id and answered without details.
 *
 * XML bodies (`application/xml`, `text/xml`) reach the handlers as raw bytes (a Buffer): fastify does not
 * parse them, and the handler reads them with the format's own strict reader.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { PassThrough } from "node:stream";
import swagger from "@fastify/swagger";
import swaggerUi from "@fastify/swagger-ui";
import Fastify, {
  type FastifyBaseLogger,
  type FastifyError,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
  type FastifyServerOptions,
  type RawServerDefault,
} from "fastify";
import {
  createJsonSchemaTransform,
  hasZodFastifySchemaValidationErrors,
  serializerCompiler,
  validatorCompiler,
  type ZodTypeProvider,
} from "fastify-type-provider-zod";
import { z } from "zod";
import { type Clock, systemClock } from "../domain/clock.ts";
import { makeProblem, type Problem } from "../domain/problem.ts";
import { API_KEY_HEADER } from "./auth.ts";
import { apiCodes } from "./codes.ts";
import { retryAfterSeconds, sendProblem, sendProblems } from "./errors.ts";
import type { RateLimiter } from "./rate-limit.ts";

/** The largest body accepted: 2 MB, the format's limit for one message (QĐ 1271). */
export const MAX_BODY_BYTES = 2 * 1024 * 1024;

/** Media types read as raw XML bytes. */
export const XML_MEDIA_TYPES = ["application/xml", "text/xml"] as const;
/** Excel workbooks (.xlsx): taken as raw bytes, like XML. */
export const XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

export type HttpApp = FastifyInstance<
  RawServerDefault,
  IncomingMessage,
  ServerResponse<IncomingMessage>,
  FastifyBaseLogger,
  ZodTypeProvider
>;

export interface ServerOptions {
  /** fastify's logger option: false (default), true, or pino options. */
  readonly logger?: FastifyServerOptions["logger"];
  /** Largest body in bytes. Default MAX_BODY_BYTES. */
  readonly bodyLimit?: number;
  /** Time for health answers and Retry-After. Default: the system clock. */
  readonly clock?: Clock;
  /** Serve the documentation pages at /docs. Default true. */
  readonly docs?: boolean;
  /** Title and version in the OpenAPI document. */
  readonly title?: string;
  readonly version?: string;
  /** Behind a proxy: trust X-Forwarded-For for the client address (rate limits). Default false. */
  readonly trustProxy?: boolean;
}

const DOCS_PREFIX = "/docs";

/** Builds the server with its plugins ready for routes. Routes are added by each part's `register…`. */
export async function buildServer(options: ServerOptions = {}): Promise<HttpApp> {
  const clock = options.clock ?? systemClock;
  const bodyLimit = options.bodyLimit ?? MAX_BODY_BYTES;
  const app = Fastify({
    logger: options.logger ?? false,
    bodyLimit,
    trustProxy: options.trustProxy ?? false,
    // A URL fastify cannot decode is bad input like any other.
    frameworkErrors: (error, _request, reply) => {
      void sendProblem(reply, 400, apiCodes, "HTTP_BAD_REQUEST", "url", { reason: error.message });
    },
  }).withTypeProvider<ZodTypeProvider>();

  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);

  // Bodies: JSON (fastify's own parser) and raw XML bytes; nothing else (text/plain included) is read.
  app.removeContentTypeParser("text/plain");
  app.addContentTypeParser([...XML_MEDIA_TYPES], { parseAs: "buffer", bodyLimit }, (_req, body, done) => {
    done(null, body);
  });
  // PostgreSQL text and jsonb cannot hold U+0000: a NUL anywhere in the query, the path parameters or a
  // JSON body is bad input (400 with its path), never a database error.
  app.addHook("preValidation", async (request, reply) => {
    for (const [where, value] of [
      ["query", request.query],
      ["params", request.params],
      ["body", Buffer.isBuffer(request.body) ? undefined : request.body],
    ] as const) {
      const at = nulAt(value, where);
      if (at !== undefined)
        return sendProblem(reply, 400, apiCodes, "HTTP_INVALID_INPUT", at, {
          field: at,
          reason: "U+0000 (NUL) is not allowed in text",
        });
    }
    return undefined;
  });
  // A route that takes workbooks sets its own (larger) body limit.
  app.addContentTypeParser(XLSX_MEDIA_TYPE, { parseAs: "buffer" }, (_req, body, done) => {
    done(null, body);
  });

  app.setErrorHandler((error: FastifyError, request, reply) => mapError(error, request, reply, bodyLimit));
  app.setNotFoundHandler((request, reply) =>
    sendProblem(reply, 404, apiCodes, "HTTP_NOT_FOUND", "url", {
      method: request.method,
      url: request.url.split("?", 1)[0] ?? "",
    }),
  );

  await app.register(swagger, {
    openapi: {
      openapi: "3.0.3",
      info: {
        title: options.title ?? "hddt API",
        version: options.version ?? "0.1.0",
        description:
          "Vietnamese e-invoice platform. Errors share one shape: `{ error: { code, message, messageVi, " +
          "problems } }`; codes are listed in docs/error-codes.md.",
      },
      components: {
        securitySchemes: {
          apiKey: {
            type: "apiKey",
            in: "header",
            name: API_KEY_HEADER,
            description: "An administrator's or inspector's key, from the server's configuration",
          },
        },
      },
    },
    transform: createJsonSchemaTransform({
      skipList: [DOCS_PREFIX, `${DOCS_PREFIX}/`, `${DOCS_PREFIX}/*`, `${DOCS_PREFIX}/static/*`],
    }),
  });
  if (options.docs ?? true) await app.register(swaggerUi, { routePrefix: DOCS_PREFIX });

  app.get("/openapi.json", { schema: { hide: true } }, async () => app.swagger());

  app.get(
    "/health",
    {
      schema: {
        summary: "Health check",
        tags: ["system"],
        response: { 200: z.object({ status: z.literal("ok"), time: z.string() }) },
      },
    },
    async () => ({ status: "ok" as const, time: clock.now().toISOString() }),
  );

  return app;
}

/** Turns any error thrown or passed to fastify into the error shape; 500 only for what is not bad input. */
function mapError(error: FastifyError, request: FastifyRequest, reply: FastifyReply, bodyLimit: number) {
  if (hasZodFastifySchemaValidationErrors(error)) {
    const where = error.validationContext ?? "body";
    const problems: Problem[] = error.validation.map((v) =>
      makeProblem(apiCodes, "HTTP_INVALID_INPUT", `${where}${v.instancePath === "/" ? "" : v.instancePath}`, {
        field: `${where}${v.instancePath === "/" ? "" : v.instancePath}`,
        reason: v.message ?? "invalid",
      }),
    );
    return sendProblems(reply, 400, problems);
  }
  switch (error.code) {
    case "FST_ERR_CTP_BODY_TOO_LARGE":
      return sendProblem(reply, 413, apiCodes, "HTTP_BODY_TOO_LARGE", "body", { limit: String(bodyLimit) });
    case "FST_ERR_CTP_INVALID_MEDIA_TYPE":
      return sendUnsupportedType(reply, request.headers["content-type"]);
    case "FST_ERR_CTP_EMPTY_JSON_BODY":
    case "FST_ERR_CTP_INVALID_CONTENT_LENGTH":
    case "FST_ERR_CTP_INVALID_JSON_BODY":
      return sendProblem(reply, 400, apiCodes, "HTTP_MALFORMED_BODY", "body", { reason: error.message });
  }
  if (error.validation) {
    return sendProblem(reply, 400, apiCodes, "HTTP_BAD_REQUEST", error.validationContext ?? "request", {
      reason: error.message,
    });
  }
  const status = error.statusCode ?? 500;
  if (status >= 400 && status < 500) {
    // JSON syntax errors and other client errors fastify raises while reading the request.
    const code = error instanceof SyntaxError ? "HTTP_MALFORMED_BODY" : "HTTP_BAD_REQUEST";
    return sendProblem(reply, status, apiCodes, code, "request", { reason: error.message });
  }
  request.log.error({ err: error }, "unhandled error");
  return sendProblem(reply, 500, apiCodes, "HTTP_INTERNAL", "", { requestId: String(request.id) });
}

function sendUnsupportedType(
  reply: FastifyReply,
  type: string | undefined,
  accepted = ["application/json", ...XML_MEDIA_TYPES].join(", "),
) {
  return sendProblem(reply, 415, apiCodes, "HTTP_UNSUPPORTED_MEDIA_TYPE", "header:content-type", {
    type: type ?? "",
    accepted,
  });
}

function mediaType(header: string | undefined): string {
  if (!header) return "";
  const semi = header.indexOf(";");
  return (semi < 0 ? header : header.slice(0, semi)).trim().toLowerCase();
}

/**
 * An onRequest hook that refuses (415) a request whose body has another media type, before the body is
 * read. Used on routes with a body, so a JSON route never sees XML and the XML route never sees JSON.
 */
export function requireMediaType(...types: string[]) {
  const accepted = types.join(", ");
  return async function checkMediaType(
    request: FastifyRequest,
    reply: FastifyReply,
  ): Promise<FastifyReply | undefined> {
    const header = request.headers["content-type"];
    if (types.includes(mediaType(header))) return undefined;
    return sendUnsupportedType(reply, header, accepted);
  };
}

/** Sends 503 "unavailable until T" with Retry-After (seconds until `until`). */
export function sendUnavailable(reply: FastifyReply, until: Date, now: Date): FastifyReply {
  reply.header("retry-after", String(retryAfterSeconds(until.getTime(), now.getTime())));
  return sendProblem(reply, 503, apiCodes, "HTTP_UNAVAILABLE", "", { until: until.toISOString() });
}

export interface RateLimitOptions {
  readonly clock?: Clock;
  /** The key a request is counted under. Default: the client address. */
  readonly key?: (request: FastifyRequest) => string;
}

/** An onRequest hook that answers 429 with Retry-After once `limiter` refuses the request's key. */
export function rateLimit(limiter: RateLimiter, options: RateLimitOptions = {}) {
  const clock = options.clock ?? systemClock;
  const keyOf = options.key ?? ((request: FastifyRequest) => request.ip);
  return async function limitRate(
    request: FastifyRequest,
    reply: FastifyReply,
  ): Promise<FastifyReply | undefined> {
    const decision = await limiter.take(keyOf(request), clock.now().getTime());
    if (decision.allowed) return undefined;
    const seconds = Math.max(1, Math.ceil(decision.retryAfterMs / 1000));
    reply.header("retry-after", String(seconds));
    return sendProblem(reply, 429, apiCodes, "HTTP_RATE_LIMITED", "", { seconds: String(seconds) });
  };
}

/** The path of the first string holding U+0000 in a parsed value, if any. */
export function nulAt(value: unknown, path: string, depth = 0): string | undefined {
  if (typeof value === "string") return value.includes("\u0000") ? path : undefined;
  if (value === null || typeof value !== "object" || depth > 64) return undefined;
  for (const [k, v] of Object.entries(value)) {
    if (k.includes("\u0000")) return `${path}/${k.replaceAll("\u0000", "\\u0000")}`;
    const found = nulAt(v, `${path}/${k}`, depth + 1);
    if (found !== undefined) return found;
  }
  return undefined;
}

/**
 * Streams a workbook as a download: `write` fills the stream (the xlsx writers leave a stream they are given
 * open) and the stream is ended when it is done, or destroyed with its error.
 */
export function sendWorkbook(
  reply: FastifyReply,
  fileName: string,
  write: (out: PassThrough) => Promise<unknown>,
): FastifyReply {
  const out = new PassThrough();
  write(out).then(
    () => out.end(),
    (error: unknown) => out.destroy(error as Error),
  );
  return reply
    .type(XLSX_MEDIA_TYPE)
    .header("content-disposition", `attachment; filename="${fileName}"`)
    .send(out);
}
