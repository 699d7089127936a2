/**
 * Portal sessions: a random id in an HttpOnly, SameSite=Strict cookie, the session itself kept in memory
 * here (a restart signs everyone out, which is what a key-based sign-in wants). A session ends after
 * `idleMs` without a request or `maxMs` after sign-in, whichever comes first, by the `Clock`.
 *
 * Every session has its own CSRF token, printed in each POST form and checked on each POST. Forms shown
 * before sign-in (the sign-in form itself) use a double-submit token: a random value in a SameSite=Strict
 * cookie that the form must repeat.
 */
import { randomBytes, timingSafeEqual } from "node:crypto";
import type { Clock } from "../domain/clock.ts";
import type { UserRole } from "../seller/service.ts";

export type SessionKind = "seller" | "authority";

export interface Session {
  readonly id: string;
  readonly kind: SessionKind;
  /** Who: the key's name (seller) or the installation key's name (authority). */
  readonly name: string;
  /** The seller's organisation and role (seller sessions). */
  readonly taxCode?: string;
  readonly role?: UserRole | "admin" | "inspector";
  /** The key signed in with, kept in memory only, so that each request sees a revocation at once. */
  readonly key: string;
  /** The id of a key made for this session alone (password sign-in), revoked at sign-out. */
  readonly ownKeyId?: string;
  readonly csrf: string;
  readonly createdAt: number;
  lastSeen: number;
}

export const SESSION_COOKIE = "hddt_portal";
export const PRE_CSRF_COOKIE = "hddt_portal_csrf";
export const LANG_COOKIE = "hddt_lang";

export interface SessionOptions {
  /** Idle limit. Default 30 minutes. */
  readonly idleMs?: number;
  /** Absolute limit. Default 12 hours. */
  readonly maxMs?: number;
}

export function randomToken(): string {
  return randomBytes(24).toString("base64url");
}

/** Compares two tokens in constant time (false when either is missing). */
export function sameToken(a: string | undefined, b: string | undefined): boolean {
  if (!a || !b) return false;
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

export type Lookup =
  | { readonly state: "none" }
  | { readonly state: "expired" }
  | { readonly state: "ok"; readonly session: Session };

export class SessionStore {
  readonly #sessions = new Map<string, Session>();
  readonly #clock: Clock;
  readonly #idleMs: number;
  readonly #maxMs: number;

  constructor(clock: Clock, options: SessionOptions = {}) {
    this.#clock = clock;
    this.#idleMs = options.idleMs ?? 30 * 60_000;
    this.#maxMs = options.maxMs ?? 12 * 3_600_000;
  }

  create(input: Omit<Session, "id" | "csrf" | "createdAt" | "lastSeen">): Session {
    const now = this.#clock.now().getTime();
    this.#sweep(now);
    const s: Session = { ...input, id: randomToken(), csrf: randomToken(), createdAt: now, lastSeen: now };
    this.#sessions.set(s.id, s);
    return s;
  }

  /** The session of a cookie value; touching it extends its idle limit. */
  find(id: string | undefined): Lookup {
    if (!id) return { state: "none" };
    const s = this.#sessions.get(id);
    if (!s) return { state: "none" };
    const now = this.#clock.now().getTime();
    if (now - s.lastSeen > this.#idleMs || now - s.createdAt > this.#maxMs) {
      this.#sessions.delete(id);
      return { state: "expired" };
    }
    s.lastSeen = now;
    return { state: "ok", session: s };
  }

  end(id: string | undefined): void {
    if (id) this.#sessions.delete(id);
  }

  get size(): number {
    return this.#sessions.size;
  }

  /** Drops expired sessions now and then, so abandoned ones do not pile up. */
  #sweep(now: number): void {
    if (this.#sessions.size < 1000) return;
    for (const [id, s] of this.#sessions)
      if (now - s.lastSeen > this.#idleMs || now - s.createdAt > this.#maxMs) this.#sessions.delete(id);
  }
}

/** Cookies of a request header (`a=b; c=d`). */
export function parseCookies(header: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  if (!header) return out;
  for (const part of header.split(";")) {
    const eq = part.indexOf("=");
    if (eq < 0) continue;
    const name = part.slice(0, eq).trim();
    const value = part.slice(eq + 1).trim();
    try {
      out[name] = decodeURIComponent(value);
    } catch {
      out[name] = value;
    }
  }
  return out;
}

/** A Set-Cookie value: always Path=/portal, HttpOnly and SameSite=Strict (and Secure when asked). */
export function cookie(
  name: string,
  value: string,
  options: { maxAgeSeconds?: number; secure?: boolean; httpOnly?: boolean } = {},
): string {
  const parts = [`${name}=${encodeURIComponent(value)}`, "Path=/portal", "SameSite=Strict"];
  if (options.httpOnly ?? true) parts.push("HttpOnly");
  if (options.secure) parts.push("Secure");
  if (options.maxAgeSeconds !== undefined) parts.push(`Max-Age=${options.maxAgeSeconds}`);
  return parts.join("; ");
}
