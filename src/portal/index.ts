/**
 * The web portal: pages rendered on the server (no front-end build; one small script, served as a file,
 * for the invoice form's live totals), Vietnamese by default with English as a switch (`?lang=en`, kept
 * in a cookie). Sellers sign in with an API key of their organisation, the tax authority's console with an
 * installation administrator's key (inspectors with theirs, for the inspector lookup); buyers look
 * invoices up without signing in. Pages call the services directly, never the HTTP API.
 *
 * Mount: `registerPortal(app, { seller, authority, adminKeys, reports, verify, clock })` before the app
 * listens; everything is under `/portal` and hidden from the OpenAPI document.
 *
 * Safety: every value printed goes through the `html` tag's escaping; sessions are random ids in an
 * HttpOnly SameSite=Strict cookie, kept in memory; every POST form carries a CSRF token; bad input is
 * shown on the page next to its field with its stable code, never as a 500.
 */
import type { FastifyError, FastifyInstance } from "fastify";
import { apiCodes } from "../api/codes.ts";
import type { HttpApp } from "../api/server.ts";
import { makeProblem, type Problem } from "../domain/problem.ts";
import { registerAuthorityPages } from "./authority-pages.ts";
import { portalProblem } from "./codes.ts";
import { html } from "./html.ts";
import { t } from "./i18n.ts";
import { type PortalDeps, PortalKit } from "./kit.ts";
import { csrfField, errorSummary, FieldErrors, field, notice, page, problemLine } from "./layout.ts";
import { registerLookupPages } from "./lookup-pages.ts";
import { portalRoutes } from "./routes.ts";
import { INVOICE_FORM_SCRIPT, registerSellerPages } from "./seller-pages.ts";
import { SessionStore } from "./session.ts";

export { escapeHtml, html } from "./html.ts";
export type { PortalDeps } from "./kit.ts";

/** Largest form body: an invoice of a few hundred lines. */
const FORM_LIMIT = 1024 * 1024;

/** Adds the portal's pages under /portal. Returns the session store (tests look at it). */
export function registerPortal(app: HttpApp, deps: PortalDeps): SessionStore {
  const sessions = new SessionStore(deps.clock, deps.session);
  const kit = new PortalKit(deps, sessions);
  void app.register(
    async (scope: FastifyInstance) => {
      scope.addContentTypeParser(
        "application/x-www-form-urlencoded",
        { parseAs: "string", bodyLimit: FORM_LIMIT },
        (_request, body, done) => {
          const out: Record<string, string> = Object.create(null);
          for (const [k, v] of new URLSearchParams(String(body))) if (!(k in out)) out[k] = v;
          done(null, out);
        },
      );
      scope.addHook("onRequest", async (request, reply) => {
        kit.begin(request, reply);
      });
      // PostgreSQL text cannot hold NUL: drop it from every value before a page reads it.
      scope.addHook("preHandler", async (request) => {
        for (const bag of [request.query, request.params, request.body])
          if (bag !== null && typeof bag === "object" && !Array.isArray(bag))
            for (const [k, v] of Object.entries(bag as Record<string, unknown>))
              if (typeof v === "string" && v.includes("\u0000"))
                (bag as Record<string, unknown>)[k] = v.replaceAll("\u0000", "");
      });
      scope.setNotFoundHandler((request, reply) => kit.notFound(request, reply));
      scope.setErrorHandler((error: FastifyError, request, reply) => {
        const status = error.statusCode ?? 500;
        const lang = kit.lang(request);
        if (status >= 400 && status < 500)
          return kit.message(request, reply, status, t(lang, "errorsTitle"), [
            makeProblem(apiCodes, status === 413 ? "HTTP_BODY_TOO_LARGE" : "HTTP_BAD_REQUEST", "request", {
              reason: error.message,
              limit: String(FORM_LIMIT),
            }),
          ]);
        request.log.error({ err: error }, "portal: unhandled error");
        return kit.message(request, reply, 500, t(lang, "internalTitle"), [
          makeProblem(apiCodes, "HTTP_INTERNAL", "", { requestId: String(request.id) }),
        ]);
      });

      const r = portalRoutes(scope);

      r.get("/", async (request, reply) => {
        const s = kit.session(request);
        const to =
          s?.kind === "seller"
            ? "/portal/seller"
            : s?.kind === "authority"
              ? "/portal/authority"
              : "/portal/sign-in";
        return reply.redirect(
          s?.kind === "authority" && s.role === "inspector" ? "/portal/authority/inspector" : to,
          303,
        );
      });

      const signInPage = (
        request: Parameters<typeof kit.ctx>[0],
        reply: Parameters<typeof kit.ctx>[1],
        problems: readonly Problem[],
        status: number,
        values: Record<string, string> = {},
      ) => {
        const ctx = kit.ctx(request, reply);
        const lang = ctx.lang;
        const q = request.query as Record<string, string | undefined>;
        const errors = new FieldErrors(problems);
        const back = typeof q.back === "string" && q.back.startsWith("/portal/") ? q.back : "";
        const body = html`
${q.expired === "1" && problems.length === 0 ? notice("warn", problemLine(lang, portalProblem("PORTAL_SESSION_EXPIRED", ""))) : ""}
<p>${t(lang, "signInHelp")}</p>
<form method="post" action="/portal/sign-in" id="sign-in-form">${csrfField(ctx)}
<input type="hidden" name="back" value="${back}">
${field(lang, t(lang, "apiKey"), "key", errors, { type: "password", attrs: html` size="50" autocomplete="off" autofocus` })}
<button type="submit">${t(lang, "signIn")}</button></form>
${
  deps.passwordSignIn
    ? html`<h2>${t(lang, "passwordSignIn")}</h2>
<form method="post" action="/portal/sign-in/password" id="password-form">${csrfField(ctx)}
<input type="hidden" name="back" value="${back}">
${field(lang, t(lang, "colTaxCode"), "taxCode", errors, { value: values.taxCode, attrs: html` autocomplete="organization"` })}
${field(lang, t(lang, "userEmail"), "email", errors, { type: "email", value: values.email, attrs: html` autocomplete="username"` })}
${field(lang, t(lang, "password"), "password", errors, { type: "password", attrs: html` autocomplete="current-password"` })}
<button type="submit">${t(lang, "signIn")}</button></form>`
    : ""
}
${errorSummary(lang, errors.rest())}`;
        return kit.send(reply, page(ctx, t(lang, "signInTitle"), body), status);
      };

      r.get("/sign-in", async (request, reply) => signInPage(request, reply, [], 200));

      r.post("/sign-in", async (request, reply) => {
        if (!kit.csrfOk(request)) return kit.refuseCsrf(request, reply);
        const form = kit.form(request);
        const key = (form.key ?? "").trim();
        const back =
          typeof form.back === "string" && /^\/portal\/[\w\-/?=&.%]*$/.test(form.back)
            ? form.back
            : undefined;
        const installation = key.length >= 16 && key.length <= 200 ? deps.adminKeys?.find(key) : undefined;
        if (
          installation &&
          (installation.role === "admin" || installation.role === "inspector") &&
          deps.authority
        ) {
          await kit.signOut(request, reply);
          kit.signIn(
            reply,
            sessions.create({ kind: "authority", name: installation.name, role: installation.role, key }),
          );
          const home = installation.role === "admin" ? "/portal/authority" : "/portal/authority/inspector";
          return reply.redirect(back?.startsWith("/portal/authority") ? back : home, 303);
        }
        const holder =
          key !== "" && key.length <= 200 && deps.seller ? await deps.seller.authenticate(key) : undefined;
        if (!holder) return signInPage(request, reply, [portalProblem("PORTAL_KEY_REFUSED", "key")], 401);
        await kit.signOut(request, reply);
        kit.signIn(
          reply,
          sessions.create({
            kind: "seller",
            name: holder.name,
            taxCode: holder.taxCode,
            role: holder.role,
            key,
          }),
        );
        return reply.redirect(back?.startsWith("/portal/seller") ? back : "/portal/seller", 303);
      });

      r.post("/sign-in/password", async (request, reply) => {
        if (!kit.csrfOk(request)) return kit.refuseCsrf(request, reply);
        if (!deps.passwordSignIn || !deps.seller) return kit.notFound(request, reply);
        const lang = kit.lang(request);
        const form = kit.form(request);
        const taxCode = (form.taxCode ?? "").trim();
        const email = (form.email ?? "").trim();
        const password = form.password ?? "";
        const values = { taxCode, email };
        const missing: Problem[] = [];
        if (!/^\d{10}(?:-\d{3})?$/.test(taxCode))
          missing.push(portalProblem("PORTAL_REQUIRED", "taxCode", { field: t(lang, "colTaxCode") }));
        if (email === "")
          missing.push(portalProblem("PORTAL_REQUIRED", "email", { field: t(lang, "userEmail") }));
        if (password === "")
          missing.push(portalProblem("PORTAL_REQUIRED", "password", { field: t(lang, "password") }));
        if (missing.length > 0) return signInPage(request, reply, missing, 422, values);
        const r = await deps.passwordSignIn(taxCode, email.slice(0, 100), password.slice(0, 200));
        if (!r.ok) {
          // The login's paths are JSON pointers ("/password"); the form's fields are plain names.
          const problems = r.problems.map((p) => ({ ...p, path: p.path.replace(/^\//, "") }));
          return signInPage(request, reply, problems, 401, values);
        }
        const h = r.value.holder;
        await kit.signOut(request, reply);
        kit.signIn(
          reply,
          sessions.create({
            kind: "seller",
            name: h.name,
            taxCode: h.taxCode,
            role: h.role,
            key: r.value.key,
            ownKeyId: h.keyId,
          }),
        );
        const back =
          typeof form.back === "string" && /^\/portal\/seller[\w\-/?=&.%]*$/.test(form.back)
            ? form.back
            : "/portal/seller";
        return reply.redirect(back, 303);
      });

      r.post("/sign-out", async (request, reply) => {
        if (kit.session(request) && !kit.csrfOk(request)) return kit.refuseCsrf(request, reply);
        await kit.signOut(request, reply);
        return reply.redirect("/portal/sign-in", 303);
      });

      r.get("/assets/invoice-form.js", async (_request, reply) =>
        reply
          .type("text/javascript; charset=utf-8")
          .header("cache-control", "no-cache")
          .header("x-content-type-options", "nosniff")
          .send(INVOICE_FORM_SCRIPT),
      );

      registerSellerPages(kit, r);
      registerLookupPages(kit, r);
      registerAuthorityPages(kit, r);
    },
    { prefix: "/portal" },
  );
  return sessions;
}
