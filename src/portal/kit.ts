/**
 * The portal's request plumbing shared by its pages: language (`?lang=` then the cookie, Vietnamese by
 * default), the session and its checks (seller roles, the authority console's keys), CSRF, form bodies,
 * and sending pages. Pages never see fastify's error shape: every failure is a page.
 */
import type { FastifyReply, FastifyRequest } from "fastify";
import type { ApiKeys } from "../api/auth.ts";
import type { RateLimiter } from "../api/rate-limit.ts";
import type { AuthorityService } from "../authority/service.ts";
import type { Clock } from "../domain/clock.ts";
import type { Problem, Result } from "../domain/problem.ts";
import type { SellerReports } from "../seller/reports.ts";
import type { SellerService, UserRole } from "../seller/service.ts";
import type { VerifyOptions } from "../signing/verify.ts";
import { portalProblem } from "./codes.ts";
import { defaultPdfRenderer, type PdfRenderer } from "./documents.ts";
import { type Html, html } from "./html.ts";
import { isLang, type Lang, t } from "./i18n.ts";
import { errorSummary, type PageContext, page } from "./layout.ts";
import {
  cookie,
  LANG_COOKIE,
  PRE_CSRF_COOKIE,
  parseCookies,
  randomToken,
  SESSION_COOKIE,
  type Session,
  type SessionOptions,
  type SessionStore,
  sameToken,
} from "./session.ts";

export interface PortalDeps {
  /** The seller's system: seller pages and the lookup by code. */
  readonly seller?: SellerService;
  /** The tax authority's system: the console, and checking the authority's code on a looked-up invoice. */
  readonly authority?: AuthorityService;
  /** The installation's keys: role admin signs in to the authority console, role inspector to its lookup. */
  readonly adminKeys?: ApiKeys;
  /** Reports on the seller pages. */
  readonly reports?: SellerReports;
  /** PDF of an invoice XML; default: src/render's renderer. */
  readonly render?: PdfRenderer;
  /** Trust for signature checks (e.g. the development CA's); without it chains are not checked. */
  readonly verify?: Omit<VerifyOptions, "now">;
  readonly clock: Clock;
  readonly session?: SessionOptions;
  /** Mark cookies Secure (behind HTTPS). Default false. */
  readonly secureCookies?: boolean;
  /** Limiter of the public lookup per client address. Default: bursts of 20, 5 per second. */
  readonly lookupLimiter?: RateLimiter;
  /** Public base URL of the portal's lookup page, printed on PDFs. Default `/portal/lookup`. */
  readonly lookupUrl?: string;
  /**
   * Sign-in of people with a password (e.g. `SellerLogins.signIn`): on success a session key of the
   * user's role, revoked again at sign-out. Without it the sign-in page asks for an API key only.
   */
  readonly passwordSignIn?: (
    taxCode: string,
    email: string,
    password: string,
  ) => Promise<Result<PasswordSignedIn>>;
}

export interface PasswordSignedIn {
  readonly key: string;
  readonly holder: {
    readonly taxCode: string;
    readonly role: UserRole;
    readonly keyId: string;
    readonly name: string;
  };
}

export type Form = Record<string, string>;

interface RequestState {
  lang: Lang;
  session?: Session;
  expired: boolean;
  preCsrf?: string;
}

export class PortalKit {
  readonly #state = new WeakMap<FastifyRequest, RequestState>();

  constructor(
    readonly deps: PortalDeps,
    readonly sessions: SessionStore,
  ) {}

  get clock(): Clock {
    return this.deps.clock;
  }

  /** The onRequest work: language and session. */
  begin(request: FastifyRequest, reply: FastifyReply): void {
    const cookies = parseCookies(request.headers.cookie);
    const q = (request.query ?? {}) as Record<string, unknown>;
    let lang: Lang = isLang(cookies[LANG_COOKIE]) ? (cookies[LANG_COOKIE] as Lang) : "vi";
    if (isLang(q.lang)) {
      lang = q.lang;
      this.#setCookie(reply, cookie(LANG_COOKIE, lang, { maxAgeSeconds: 365 * 86400, secure: this.#secure }));
    }
    const found = this.sessions.find(cookies[SESSION_COOKIE]);
    const state: RequestState = { lang, expired: found.state === "expired" };
    if (found.state === "ok") state.session = found.session;
    if (found.state === "expired") this.#setCookie(reply, cookie(SESSION_COOKIE, "", { maxAgeSeconds: 0 }));
    const pre = cookies[PRE_CSRF_COOKIE];
    if (pre) state.preCsrf = pre;
    this.#state.set(request, state);
  }

  get #secure(): boolean {
    return this.deps.secureCookies ?? false;
  }

  #setCookie(reply: FastifyReply, value: string): void {
    const prev = reply.getHeader("set-cookie");
    const list = prev === undefined ? [] : Array.isArray(prev) ? prev : [String(prev)];
    reply.header("set-cookie", [...list, value]);
  }

  #st(request: FastifyRequest): RequestState {
    let s = this.#state.get(request);
    if (!s) {
      s = { lang: "vi", expired: false };
      this.#state.set(request, s);
    }
    return s;
  }

  lang(request: FastifyRequest): Lang {
    return this.#st(request).lang;
  }

  session(request: FastifyRequest): Session | undefined {
    return this.#st(request).session;
  }

  /** The page context; without a session, a pre-sign-in CSRF cookie is set for the forms of the page. */
  ctx(request: FastifyRequest, reply: FastifyReply): PageContext {
    const st = this.#st(request);
    let csrf = st.session?.csrf;
    if (!csrf) {
      csrf = st.preCsrf ?? randomToken();
      if (!st.preCsrf) {
        st.preCsrf = csrf;
        this.#setCookie(reply, cookie(PRE_CSRF_COOKIE, csrf, { secure: this.#secure }));
      }
    }
    return {
      lang: st.lang,
      ...(st.session ? { session: st.session } : {}),
      csrf,
      url: request.url,
    };
  }

  /** Starts a session: its cookie replaces any previous one. */
  signIn(reply: FastifyReply, session: Session): void {
    this.#setCookie(reply, cookie(SESSION_COOKIE, session.id, { secure: this.#secure }));
  }

  async signOut(request: FastifyRequest, reply: FastifyReply): Promise<void> {
    const s = this.#st(request).session;
    this.sessions.end(s?.id);
    // A key made by a password sign-in lives only as long as its session.
    if (s?.ownKeyId && s.taxCode && this.deps.seller)
      await this.deps.seller.revokeApiKey(s.taxCode, s.ownKeyId);
    this.#setCookie(reply, cookie(SESSION_COOKIE, "", { maxAgeSeconds: 0 }));
  }

  send(reply: FastifyReply, body: Html, status = 200): FastifyReply {
    return reply
      .code(status)
      .header("cache-control", "no-store")
      .header("x-frame-options", "DENY")
      .header("x-content-type-options", "nosniff")
      .header("referrer-policy", "same-origin")
      .header(
        "content-security-policy",
        "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; frame-ancestors 'none'; form-action 'self'",
      )
      .type("text/html; charset=utf-8")
      .send(body.text);
  }

  /** A page with only a message (errors, refusals). */
  message(
    request: FastifyRequest,
    reply: FastifyReply,
    status: number,
    title: string,
    problems: readonly Problem[],
  ): FastifyReply {
    const ctx = this.ctx(request, reply);
    return this.send(reply, page(ctx, title, html`${errorSummary(ctx.lang, problems)}`), status);
  }

  /** An invoice's XML as a download, or its PDF (with the lookup block) shown in the browser. */
  async sendInvoiceFile(
    request: FastifyRequest,
    reply: FastifyReply,
    kind: "xml" | "pdf",
    xml: string,
    lookupCode: string,
    name: string,
  ): Promise<FastifyReply> {
    if (kind === "xml")
      return reply
        .type("application/xml; charset=utf-8")
        .header("content-disposition", `attachment; filename="${name}.xml"`)
        .send(xml);
    const pdf = await (this.deps.render ?? defaultPdfRenderer)(xml, {
      lookupCode,
      lookupUrl: this.deps.lookupUrl ?? "/portal/lookup",
      language: this.lang(request),
      now: this.clock.now(),
      ...(this.deps.verify ? { verify: this.deps.verify } : {}),
    });
    if (!pdf) return this.notFound(request, reply);
    return reply
      .type("application/pdf")
      .header("content-disposition", `inline; filename="${name}.pdf"`)
      .send(pdf);
  }

  notFound(request: FastifyRequest, reply: FastifyReply): FastifyReply {
    const lang = this.lang(request);
    return this.message(request, reply, 404, t(lang, "notFoundTitle"), [
      portalProblem("PORTAL_NOT_FOUND", "url"),
    ]);
  }

  forbidden(request: FastifyRequest, reply: FastifyReply): FastifyReply {
    const lang = this.lang(request);
    return this.message(request, reply, 403, t(lang, "forbiddenTitle"), [
      portalProblem("PORTAL_FORBIDDEN", ""),
    ]);
  }

  #toSignIn(request: FastifyRequest, reply: FastifyReply): FastifyReply {
    const expired = this.#st(request).expired;
    const back = request.method === "GET" ? `&back=${encodeURIComponent(request.url)}` : "";
    return reply.redirect(`/portal/sign-in?${expired ? "expired=1" : "required=1"}${back}`, 303);
  }

  /** The form body of a POST (fields by name). */
  form(request: FastifyRequest): Form {
    const b = request.body;
    return b !== null && typeof b === "object" && !Array.isArray(b) ? (b as Form) : {};
  }

  /** A POST's CSRF check against the session's token (or the pre-sign-in cookie). */
  csrfOk(request: FastifyRequest): boolean {
    const st = this.#st(request);
    const header = request.headers["x-csrf-token"];
    // Forms send the token as a field; the form's script sends it as a header.
    const sent = this.form(request)._csrf ?? (typeof header === "string" ? header : undefined);
    return sameToken(sent, st.session ? st.session.csrf : st.preCsrf);
  }

  refuseCsrf(request: FastifyRequest, reply: FastifyReply): FastifyReply {
    const lang = this.lang(request);
    return this.message(request, reply, 403, t(lang, "forbiddenTitle"), [
      portalProblem("PORTAL_CSRF_REFUSED", "_csrf"),
    ]);
  }

  /**
   * A seller's session of one of `roles`, with its key still valid (a revoked key ends the session), and
   * on POST a valid CSRF token; otherwise the answer is sent and undefined returned.
   */
  async seller(
    request: FastifyRequest,
    reply: FastifyReply,
    roles: readonly UserRole[] = ["owner", "accountant", "viewer"],
  ): Promise<{ session: Session; taxCode: string; service: SellerService } | undefined> {
    const service = this.deps.seller;
    const s = this.session(request);
    if (!s) {
      this.#toSignIn(request, reply);
      return undefined;
    }
    if (s.kind !== "seller" || !service || s.taxCode === undefined) {
      this.forbidden(request, reply);
      return undefined;
    }
    const holder = await service.authenticate(s.key);
    if (!holder || holder.taxCode !== s.taxCode) {
      this.sessions.end(s.id);
      this.#st(request).expired = true;
      delete this.#st(request).session;
      this.#toSignIn(request, reply);
      return undefined;
    }
    if (request.method === "POST" && !this.csrfOk(request)) {
      this.refuseCsrf(request, reply);
      return undefined;
    }
    if (!roles.includes(holder.role)) {
      this.forbidden(request, reply);
      return undefined;
    }
    return { session: s, taxCode: s.taxCode, service };
  }

  /** An authority console session (admin; `inspector` also lets inspectors in), CSRF checked on POST. */
  authority(
    request: FastifyRequest,
    reply: FastifyReply,
    options: { inspector?: boolean } = {},
  ): { session: Session; service: AuthorityService } | undefined {
    const service = this.deps.authority;
    const s = this.session(request);
    if (!s) {
      this.#toSignIn(request, reply);
      return undefined;
    }
    const allowed = s.role === "admin" || (options.inspector === true && s.role === "inspector");
    if (s.kind !== "authority" || !service || !allowed) {
      this.forbidden(request, reply);
      return undefined;
    }
    if (request.method === "POST" && !this.csrfOk(request)) {
      this.refuseCsrf(request, reply);
      return undefined;
    }
    return { session: s, service };
  }

  expired(request: FastifyRequest): boolean {
    return this.#st(request).expired;
  }
}
