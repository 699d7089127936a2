/**
 * API keys for administrators and inspectors, sent in the `x-api-key` header. Keys come from configuration
 * (see `hddt serve`); only their SHA-256 digests are kept in memory, and a key is looked up by its digest,
 * so the comparison does not leak the key through timing.
 */
import { createHash } from "node:crypto";
import type { FastifyReply, FastifyRequest } from "fastify";
import { apiCodes } from "./codes.ts";
import { sendProblem } from "./errors.ts";

export type Role = "admin" | "inspector" | "buyer" | "client";

export interface ApiKey {
  /** Who holds it: an administrator's or inspector's id, or a buyer's tax code; written to the access log. */
  readonly name: string;
  readonly role: Role;
  readonly key: string;
}

/** Who made a request, once a key was accepted. */
export interface Principal {
  readonly name: string;
  readonly role: Role;
}

export const API_KEY_HEADER = "x-api-key";

function digest(key: string): string {
  return createHash("sha256").update(key, "utf8").digest("hex");
}

/** The accepted keys, by digest. */
export class ApiKeys {
  readonly #byDigest = new Map<string, Principal>();

  constructor(keys: readonly ApiKey[]) {
    for (const k of keys) {
      if (k.key.length < 16) throw new RangeError(`the API key of ${k.name} is shorter than 16 characters`);
      this.#byDigest.set(digest(k.key), { name: k.name, role: k.role });
    }
  }

  /** The holder of `key`, if it is one of ours. */
  find(key: string): Principal | undefined {
    return this.#byDigest.get(digest(key));
  }
}

const principals = new WeakMap<FastifyRequest, Principal>();

/** The principal a `requireApiKey` hook accepted for this request. */
export function principalOf(request: FastifyRequest): Principal | undefined {
  return principals.get(request);
}

/** An onRequest hook that lets through only requests carrying a key of one of `roles`. */
export function requireApiKey(keys: ApiKeys, ...roles: Role[]) {
  return async function checkApiKey(
    request: FastifyRequest,
    reply: FastifyReply,
  ): Promise<FastifyReply | undefined> {
    const header = request.headers[API_KEY_HEADER];
    const key = Array.isArray(header) ? header[0] : header;
    if (!key) return sendProblem(reply, 401, apiCodes, "HTTP_API_KEY_MISSING", `header:${API_KEY_HEADER}`);
    const who = keys.find(key);
    if (!who || !roles.includes(who.role))
      return sendProblem(reply, 401, apiCodes, "HTTP_API_KEY_REFUSED", `header:${API_KEY_HEADER}`);
    principals.set(request, who);
    return undefined;
  };
}
