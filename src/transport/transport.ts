/**
 * The transport port: how one part hands a TDiep message to another (seller → T-VAN → authority and back).
 * Parts never import each other; they only `send(to, xml)` and get back either the receiver's synchronous
 * reply (a 999 receipt, as XML) or a typed failure:
 *
 * - `unavailable`: the receiver is up but not taking messages now (HTTP 503/429 or 5xx, or a maintenance
 *   notice). `retryAfter`, when known, is the instant before which trying again is pointless.
 * - `network`: the receiver could not be reached (refused, reset, timed out, no route).
 * - `rejected`: the receiver refused this message for good (HTTP 4xx); `problems` say why. Sending the same
 *   bytes again will not help.
 *
 * Two adapters: `InProcessTransport` (all parts in one process; a map of party → handler) and
 * `HttpTransport` (each part its own process; `POST {baseUrl}/messages` with `content-type:
 * application/xml`, `GET {baseUrl}/health` for the connection check). `http-listener.ts` is the matching
 * server side, so a handler behaves the same behind either adapter.
 */
import type { Clock } from "../domain/clock.ts";
import { systemClock } from "../domain/clock.ts";
import { makeProblem, type Problem } from "../domain/problem.ts";
import { transportCodes } from "./codes.ts";

/** A party code as in MNGui/MNNhan: `TCT`, `V`+MST, `K`+MST or an MST. */
export type PartyAddress = string;

export interface Delivered {
  readonly ok: true;
  /** The receiver's synchronous reply (a 999 TDiep), as XML. */
  readonly reply: string;
}

export interface Unavailable {
  readonly ok: false;
  readonly kind: "unavailable";
  /** Do not try again before this instant (from Retry-After or a maintenance notice); absent if unknown. */
  readonly retryAfter?: Date;
  readonly reason: string;
}

export interface NetworkFailure {
  readonly ok: false;
  readonly kind: "network";
  readonly reason: string;
}

export interface Rejected {
  readonly ok: false;
  readonly kind: "rejected";
  /** HTTP status (4xx); the in-process adapter uses the same numbers. */
  readonly status: number;
  readonly problems: readonly Problem[];
}

export type TransportFailure = Unavailable | NetworkFailure | Rejected;
export type TransportResult = Delivered | TransportFailure;
/** Result of a connection check: `{ ok: true }` or why the party cannot take messages. */
export type CheckResult = { readonly ok: true } | TransportFailure;

export interface Transport {
  /** Hands `xml` to the party `to`; never throws for a failure of the receiver or the network. */
  send(to: PartyAddress, xml: string): Promise<TransportResult>;
  /** The connection check (e.g. after a maintenance window): can `to` take messages now? */
  check(to: PartyAddress): Promise<CheckResult>;
}

/**
 * The receiving side of a party: answers a message with its reply or a failure. The same handler serves the
 * in-process adapter directly and the HTTP adapter through `messageListener`.
 */
export interface PartyEndpoint {
  handle(xml: string): Promise<TransportResult>;
  /** Connection check; default: ready. */
  check?(): Promise<CheckResult>;
}

export type MessageHandler = PartyEndpoint["handle"];

// ---------------------------------------------------------------------------------------------------------
// Helpers

export const delivered = (reply: string): Delivered => ({ ok: true, reply });

export function unavailable(reason: string, retryAfter?: Date): Unavailable {
  return retryAfter
    ? { ok: false, kind: "unavailable", retryAfter, reason }
    : { ok: false, kind: "unavailable", reason };
}

export const networkFailure = (reason: string): NetworkFailure => ({ ok: false, kind: "network", reason });

export function rejected(status: number, problems: readonly Problem[]): Rejected {
  return { ok: false, kind: "rejected", status, problems };
}

function noRoute(to: PartyAddress): NetworkFailure {
  return networkFailure(makeProblem(transportCodes, "TRANSPORT_NO_ROUTE", "/to", { to }).message);
}

const DIGITS = /^\d+$/;

/**
 * Reads an HTTP Retry-After value: delay-seconds (`120`) or an HTTP-date (`Wed, 21 Oct 2026 07:28:00 GMT`).
 * Returns the instant, or undefined when the value is neither.
 */
export function parseRetryAfter(value: string | null | undefined, now: Date): Date | undefined {
  if (value === null || value === undefined) return undefined;
  const v = value.trim();
  if (v === "") return undefined;
  if (DIGITS.test(v)) return new Date(now.getTime() + Number(v) * 1000);
  const ms = Date.parse(v);
  return Number.isFinite(ms) ? new Date(ms) : undefined;
}

// ---------------------------------------------------------------------------------------------------------
// In-process adapter

/** All parts in one process: each party is a handler, called directly (the XML string is passed as is). */
export class InProcessTransport implements Transport {
  readonly #parties = new Map<PartyAddress, PartyEndpoint>();

  constructor(parties: Iterable<[PartyAddress, PartyEndpoint | MessageHandler]> = []) {
    for (const [to, p] of parties) this.register(to, p);
  }

  /** Adds or replaces the endpoint of a party. */
  register(to: PartyAddress, endpoint: PartyEndpoint | MessageHandler): void {
    this.#parties.set(to, typeof endpoint === "function" ? { handle: endpoint } : endpoint);
  }

  unregister(to: PartyAddress): void {
    this.#parties.delete(to);
  }

  async send(to: PartyAddress, xml: string): Promise<TransportResult> {
    const p = this.#parties.get(to);
    if (!p) return noRoute(to);
    try {
      return await p.handle(xml);
    } catch (error) {
      // A handler that throws is a bug on the receiving side; over HTTP it would be a 500.
      return unavailable(`receiver failed: ${(error as Error).message}`);
    }
  }

  async check(to: PartyAddress): Promise<CheckResult> {
    const p = this.#parties.get(to);
    if (!p) return noRoute(to);
    try {
      return p.check ? await p.check() : { ok: true };
    } catch (error) {
      return unavailable(`check failed: ${(error as Error).message}`);
    }
  }
}

// ---------------------------------------------------------------------------------------------------------
// HTTP adapter

export interface HttpTransportOptions {
  /** Base URL of each party (e.g. `http://127.0.0.1:8081/authority`), or a function giving it. */
  readonly routes: ReadonlyMap<PartyAddress, string> | ((to: PartyAddress) => string | undefined);
  /** Whole-request timeout. Default 30 s. */
  readonly timeoutMs?: number;
  /** For delay-seconds Retry-After. Default: the system clock. */
  readonly clock?: Clock;
  /** Extra request headers per receiver, e.g. its API key (`x-api-key`). */
  readonly headers?: (to: PartyAddress) => Readonly<Record<string, string>> | undefined;
}

/** Body of a refusal (4xx) or a maintenance answer (503), as `messageListener` writes it. */
interface FailureBody {
  problems?: Problem[];
  /** The error shape of the fastify APIs (src/api/errors.ts). */
  error?: { problems?: Problem[] };
  /** End of an announced maintenance window (ISO 8601). */
  until?: string;
  reason?: string;
}

const NETWORK_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ETIMEDOUT",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ENOTFOUND",
  "EAI_AGAIN",
  "EPIPE",
]);

function describeFetchError(error: unknown): string {
  const e = error as { name?: string; message?: string; cause?: { code?: string; message?: string } };
  if (e.name === "TimeoutError" || e.name === "AbortError") return "timed out";
  const code = e.cause?.code;
  if (code && NETWORK_CODES.has(code)) return code;
  return e.cause?.message ?? e.message ?? String(error);
}

async function readJson(res: Response): Promise<FailureBody> {
  try {
    const text = await res.text();
    if (!text) return {};
    const v = JSON.parse(text) as unknown;
    return v !== null && typeof v === "object" ? (v as FailureBody) : {};
  } catch {
    return {};
  }
}

/** Each part its own process: messages go by HTTP POST. */
export class HttpTransport implements Transport {
  readonly #routes: (to: PartyAddress) => string | undefined;
  readonly #timeoutMs: number;
  readonly #clock: Clock;
  readonly #headers: HttpTransportOptions["headers"];

  constructor(options: HttpTransportOptions) {
    this.#headers = options.headers;
    const r = options.routes;
    this.#routes = typeof r === "function" ? r : (to) => r.get(to);
    this.#timeoutMs = options.timeoutMs ?? 30_000;
    this.#clock = options.clock ?? systemClock;
  }

  #base(to: PartyAddress): string | undefined {
    const b = this.#routes(to);
    return b === undefined ? undefined : b.endsWith("/") ? b.slice(0, -1) : b;
  }

  async send(to: PartyAddress, xml: string): Promise<TransportResult> {
    const base = this.#base(to);
    if (base === undefined) return noRoute(to);
    let res: Response;
    try {
      res = await fetch(`${base}/messages`, {
        method: "POST",
        headers: { ...this.#headers?.(to), "content-type": "application/xml; charset=utf-8" },
        body: xml,
        signal: AbortSignal.timeout(this.#timeoutMs),
      });
    } catch (error) {
      return networkFailure(describeFetchError(error));
    }
    try {
      if (res.status === 200 || res.status === 201 || res.status === 202) return delivered(await res.text());
      return await this.#failure(res);
    } catch (error) {
      // The body was cut off (reset, timeout): whether the receiver kept the message is unknown.
      return networkFailure(describeFetchError(error));
    }
  }

  async check(to: PartyAddress): Promise<CheckResult> {
    const base = this.#base(to);
    if (base === undefined) return noRoute(to);
    let res: Response;
    try {
      res = await fetch(`${base}/health`, {
        headers: { ...this.#headers?.(to) },
        signal: AbortSignal.timeout(this.#timeoutMs),
      });
    } catch (error) {
      return networkFailure(describeFetchError(error));
    }
    try {
      if (res.ok) {
        await res.body?.cancel();
        return { ok: true };
      }
      return await this.#failure(res);
    } catch (error) {
      return networkFailure(describeFetchError(error));
    }
  }

  async #failure(res: Response): Promise<TransportFailure> {
    const status = res.status;
    const body = await readJson(res);
    if (status === 503 || status === 429 || status >= 500) {
      const header = parseRetryAfter(res.headers.get("retry-after"), this.#clock.now());
      const until = body.until === undefined ? undefined : new Date(body.until);
      const retryAfter = until && Number.isFinite(until.getTime()) ? until : header;
      return unavailable(body.reason ?? `HTTP ${status}`, retryAfter);
    }
    if (status >= 400) {
      const given = body.problems ?? body.error?.problems;
      const problems =
        Array.isArray(given) && given.length > 0
          ? given
          : [makeProblem(transportCodes, "TRANSPORT_REJECTED", "/", { status: String(status) })];
      return rejected(status, problems);
    }
    return unavailable(`unexpected HTTP ${status}`);
  }
}
