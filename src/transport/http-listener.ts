/**
 * The server side of `HttpTransport`: a node:http request listener that passes `POST {prefix}/messages`
 * to a party's endpoint and writes its answer back the way `HttpTransport` reads it:
 *
 * - delivered → 200, `application/xml`, the reply;
 * - unavailable → 503 with `Retry-After` (HTTP-date) and `{ until, reason }` as JSON (`until` keeps the
 *   milliseconds that the HTTP-date drops);
 * - rejected → its 4xx status and `{ problems }` as JSON;
 * - anything else the endpoint returns or throws → 502/500.
 *
 * `GET {prefix}/health` answers the connection check (200, or 503 as above).
 */
import type { IncomingMessage, RequestListener, ServerResponse } from "node:http";
import type { CheckResult, PartyEndpoint, TransportResult } from "./transport.ts";

export interface ListenerOptions {
  /** Largest request body accepted. Default 64 MiB. */
  readonly maxBodyBytes?: number;
}

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    "content-type": "application/json; charset=utf-8",
    "content-length": Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
}

function writeResult(res: ServerResponse, r: TransportResult | CheckResult): void {
  if (r.ok) {
    if ("reply" in r) {
      res.writeHead(200, {
        "content-type": "application/xml; charset=utf-8",
        "content-length": Buffer.byteLength(r.reply),
      });
      res.end(r.reply);
    } else sendJson(res, 200, { ok: true });
    return;
  }
  switch (r.kind) {
    case "unavailable": {
      const headers: Record<string, string> = {};
      if (r.retryAfter) headers["retry-after"] = r.retryAfter.toUTCString();
      sendJson(
        res,
        503,
        { reason: r.reason, ...(r.retryAfter ? { until: r.retryAfter.toISOString() } : {}) },
        headers,
      );
      return;
    }
    case "rejected":
      sendJson(res, r.status >= 400 && r.status < 500 ? r.status : 400, { problems: r.problems });
      return;
    case "network":
      sendJson(res, 502, { reason: r.reason });
      return;
  }
}

function readBody(req: IncomingMessage, max: number): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (c: Buffer) => {
      size += c.length;
      if (size > max) {
        resolve(undefined);
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });
}

/** A request listener serving each endpoint under its path prefix (e.g. `{ "/authority": endpoint }`). */
export function messageListener(
  endpoints: Readonly<Record<string, PartyEndpoint>>,
  options: ListenerOptions = {},
): RequestListener {
  const max = options.maxBodyBytes ?? 64 * 1024 * 1024;
  const routes = new Map<string, { endpoint: PartyEndpoint; action: "messages" | "health" }>();
  for (const [prefix, endpoint] of Object.entries(endpoints)) {
    const p = prefix.endsWith("/") ? prefix.slice(0, -1) : prefix;
    routes.set(`${p}/messages`, { endpoint, action: "messages" });
    routes.set(`${p}/health`, { endpoint, action: "health" });
  }
  return (req, res) => {
    const path = (req.url ?? "/").split("?", 1)[0] ?? "/";
    const route = routes.get(path);
    if (!route) {
      sendJson(res, 404, { reason: "not found" });
      return;
    }
    const run = async () => {
      if (route.action === "health") {
        if (req.method !== "GET") return sendJson(res, 405, { reason: "method not allowed" });
        writeResult(res, route.endpoint.check ? await route.endpoint.check() : { ok: true });
        return;
      }
      if (req.method !== "POST") return sendJson(res, 405, { reason: "method not allowed" });
      const body = await readBody(req, max);
      if (body === undefined) return sendJson(res, 413, { reason: "body too large" });
      writeResult(res, await route.endpoint.handle(body));
    };
    run().catch((error: unknown) => {
      if (!res.headersSent) sendJson(res, 500, { reason: (error as Error).message });
      else res.destroy();
    });
  };
}
