/**
 * The tax authority's console (signed in with an installation administrator's key): taxpayers and their
 * status, registrations decided (filtered by taxpayer and decision), maintenance windows (list; schedule, which announces the window to every connected party),
 * review notices past their answer deadline, and the inspector lookup (inspectors may sign in for it alone;
 * every lookup is logged by the service with the signed-in name).
 */
import type { FastifyReply, FastifyRequest } from "fastify";
import { dateTimeToInstant, instantToDateTime } from "../domain/dates.ts";
import type { Problem } from "../domain/problem.ts";
import { portalProblem } from "./codes.ts";
import { type Html, html } from "./html.ts";
import { t, tOr } from "./i18n.ts";
import { showAmount } from "./invoice-form.ts";
import type { Form, PortalKit } from "./kit.ts";
import { csrfField, errorSummary, FieldErrors, field, notice, page } from "./layout.ts";
import type { PortalRoutes } from "./routes.ts";

const PAGE = 100;

/** A `datetime-local` value (Vietnam time) as an instant. */
function localInstant(text: string): Date | undefined {
  const v = text.trim();
  return dateTimeToInstant(v.length === 16 ? `${v}:00` : v);
}

function vnTime(d: Date): string {
  return instantToDateTime(d).replace("T", " ");
}

export function registerAuthorityPages(kit: PortalKit, r: PortalRoutes): void {
  r.get("/authority", async (request, reply) => {
    const a = kit.authority(request, reply);
    if (!a) return reply;
    const ctx = kit.ctx(request, reply);
    const lang = ctx.lang;
    const q = request.query as Record<string, string | undefined>;
    const offset = Math.min(Math.max(0, Number.parseInt(q.offset ?? "0", 10) || 0), 100_000_000);
    const list = await a.service.listTaxpayers(offset, PAGE);
    const body = html`<table id="taxpayers"><tr><th>${t(lang, "colTaxCode")}</th><th>${t(lang, "colName")}</th><th>${t(
      lang,
      "colStatus",
    )}</th><th>${t(lang, "colHighRisk")}</th><th>${t(lang, "colCodedOnly")}</th></tr>
${list.map(
  (x) =>
    html`<tr><td>${x.taxCode}</td><td>${x.name}</td><td data-status="${x.status}">${t(lang, `status_${x.status}`)}${
      x.stopCause
        ? html` (${tOr(lang, `cause_${x.stopCause}`, x.stopCause)}${x.stoppedAt ? `, ${vnTime(x.stoppedAt)}` : ""})`
        : ""
    }</td><td>${t(lang, x.highRisk ? "yes" : "no")}</td><td>${t(lang, x.codedOnly ? "yes" : "no")}</td></tr>`,
)}</table>
${list.length === PAGE ? html`<p><a href="/portal/authority?offset=${offset + PAGE}">${t(lang, "next")}</a></p>` : ""}`;
    return kit.send(reply, page(ctx, t(lang, "taxpayersTitle"), body));
  });

  r.get("/authority/registrations", async (request, reply) => {
    const a = kit.authority(request, reply);
    if (!a) return reply;
    const ctx = kit.ctx(request, reply);
    const lang = ctx.lang;
    const q = request.query as Record<string, string | undefined>;
    const offset = Math.min(Math.max(0, Number.parseInt(q.offset ?? "0", 10) || 0), 100_000_000);
    const taxCode = /^\d{10}(?:-\d{3})?$/.test(q.taxCode ?? "") ? q.taxCode : undefined;
    const status = q.status === "accepted" || q.status === "refused" ? q.status : undefined;
    const list = await a.service.listRegistrations(
      { ...(taxCode !== undefined ? { taxCode } : {}), ...(status !== undefined ? { status } : {}) },
      offset,
      PAGE,
    );
    const yesNo = (b: boolean) => t(lang, b ? "yes" : "no");
    const filterForm = html`<form method="get" action="/portal/authority/registrations" class="row">
${field(lang, t(lang, "colTaxCode"), "taxCode", new FieldErrors([]), { value: taxCode ?? "" })}
${field(lang, t(lang, "colDecision"), "status", new FieldErrors([]), {
  value: status ?? "",
  options: [
    ["", t(lang, "all")],
    ["accepted", t(lang, "decision_accepted")],
    ["refused", t(lang, "decision_refused")],
  ],
})}<button type="submit">${t(lang, "search")}</button></form>`;
    const more = new URLSearchParams({
      ...(taxCode !== undefined ? { taxCode } : {}),
      ...(status !== undefined ? { status } : {}),
      offset: String(offset + PAGE),
    });
    const body = html`${filterForm}
${
  list.length === 0
    ? html`<p>${t(lang, "none")}</p>`
    : html`<table id="registrations"><tr><th>${t(lang, "colDecidedAt")}</th><th>${t(lang, "colTaxCode")}</th><th>${t(
        lang,
        "colName",
      )}</th><th>${t(lang, "colRegistrationKind")}</th><th>${t(lang, "colWithCode")}</th><th>${t(
        lang,
        "colWithoutCode",
      )}</th><th>${t(lang, "colCashRegister")}</th><th>${t(lang, "colCertificates")}</th><th>${t(
        lang,
        "colDecision",
      )}</th></tr>${list.map(
        (x) =>
          html`<tr data-id="${x.id}"><td>${vnTime(x.decidedAt)}</td><td>${x.taxCode}</td><td>${
            x.taxpayerName ?? ""
          }</td><td>${t(lang, `regkind_${x.kind}`)}</td><td>${yesNo(x.forms.withCode)}</td><td>${yesNo(
            x.forms.withoutCode,
          )}</td><td>${yesNo(x.forms.cashRegister)}</td><td>${x.certificates.map(
            (c) => html`<code>${c}</code> `,
          )}</td><td data-status="${x.status}">${t(lang, `decision_${x.status}`)}${
            x.reasons.length > 0 ? html` (${x.reasons.join(", ")})` : ""
          }</td></tr>`,
      )}</table>`
}
${list.length === PAGE ? html`<p><a href="/portal/authority/registrations?${more.toString()}">${t(lang, "next")}</a></p>` : ""}`;
    return kit.send(reply, page(ctx, t(lang, "registrationsTitle"), body));
  });

  const maintenancePage = async (
    request: FastifyRequest,
    reply: FastifyReply,
    values: Form,
    problems: readonly Problem[],
    status: number,
    done?: Html,
  ) => {
    const ctx = kit.ctx(request, reply);
    const lang = ctx.lang;
    const windows = await kit.deps.authority!.listMaintenance();
    const errors = new FieldErrors(problems);
    const body = html`${done ?? ""}
${
  windows.length === 0
    ? html`<p>${t(lang, "noWindows")}</p>`
    : html`<table id="windows"><tr><th>${t(lang, "startsAt")}</th><th>${t(lang, "endsAt")}</th><th>${t(
        lang,
        "maintenanceReason",
      )}</th></tr>${windows.map(
        (w) => html`<tr><td>${vnTime(w.startsAt)}</td><td>${vnTime(w.endsAt)}</td><td>${w.reason}</td></tr>`,
      )}</table>`
}
<form method="post" action="/portal/authority/maintenance" id="maintenance-form">${csrfField(ctx)}<div class="row">
${field(lang, t(lang, "startsAt"), "startsAt", errors, { type: "datetime-local", value: values.startsAt })}
${field(lang, t(lang, "endsAt"), "endsAt", errors, { type: "datetime-local", value: values.endsAt })}
${field(lang, t(lang, "maintenanceReason"), "reason", errors, { value: values.reason, attrs: html` size="50"` })}
</div>${errorSummary(lang, errors.rest())}<button type="submit">${t(lang, "schedule")}</button></form>`;
    return kit.send(reply, page(ctx, t(lang, "maintenanceTitle"), body), status);
  };

  r.get("/authority/maintenance", async (request, reply) => {
    const a = kit.authority(request, reply);
    if (!a) return reply;
    return maintenancePage(request, reply, {}, [], 200);
  });

  r.post("/authority/maintenance", async (request, reply) => {
    const a = kit.authority(request, reply);
    if (!a) return reply;
    const lang = kit.lang(request);
    const f = kit.form(request);
    const problems: Problem[] = [];
    const when = (name: "startsAt" | "endsAt") => {
      const text = (f[name] ?? "").trim();
      if (text === "") {
        problems.push(portalProblem("PORTAL_REQUIRED", name, { field: t(lang, name) }));
        return undefined;
      }
      const d = localInstant(text);
      if (!d) problems.push(portalProblem("PORTAL_BAD_DATE", name, { value: text }));
      return d;
    };
    const startsAt = when("startsAt");
    const endsAt = when("endsAt");
    const reason = (f.reason ?? "").trim().slice(0, 255);
    if (problems.length > 0 || !startsAt || !endsAt) return maintenancePage(request, reply, f, problems, 422);
    const w = await a.service.scheduleMaintenance(startsAt, endsAt, reason);
    if (!w.ok) return maintenancePage(request, reply, f, w.problems, 422);
    return maintenancePage(request, reply, {}, [], 201, notice("good", t(lang, "scheduled")));
  });

  r.get("/authority/notices", async (request, reply) => {
    const a = kit.authority(request, reply);
    if (!a) return reply;
    const ctx = kit.ctx(request, reply);
    const lang = ctx.lang;
    const overdue = await a.service.overdueReviewNotices();
    const body =
      overdue.length === 0
        ? html`<p>${t(lang, "none")}</p>`
        : html`<table id="notices"><tr><th>${t(lang, "colTaxCode")}</th><th>${t(lang, "colMessage")}</th><th>${t(
            lang,
            "colDeadline",
          )}</th></tr>${overdue.map(
            (n) =>
              html`<tr><td>${n.taxCode}</td><td><code>${n.messageId}</code></td><td>${n.deadline}</td></tr>`,
          )}</table>`;
    return kit.send(reply, page(ctx, t(lang, "noticesTitle"), body));
  });

  r.get("/authority/inspector", async (request, reply) => {
    const a = kit.authority(request, reply, { inspector: true });
    if (!a) return reply;
    const ctx = kit.ctx(request, reply);
    const lang = ctx.lang;
    const q = request.query as Record<string, string | undefined>;
    const key = {
      sellerTaxCode: (q.seller ?? "").trim(),
      template: (q.template ?? "").trim(),
      series: (q.series ?? "").trim().toUpperCase(),
      number: (q.number ?? "").trim(),
    };
    const purpose = (q.purpose ?? "").trim().slice(0, 255);
    const asked = Object.values(key).some((v) => v !== "");
    const problems: Problem[] = [];
    let result: Html = html``;
    let status = 200;
    if (asked) {
      for (const [name, label] of [
        ["sellerTaxCode", "sellerTaxCode"],
        ["template", "template"],
        ["series", "series"],
        ["number", "invoiceNumber"],
      ] as const)
        if (key[name] === "")
          problems.push(portalProblem("PORTAL_REQUIRED", `key.${name}`, { field: t(lang, label) }));
      if (problems.length > 0) status = 422;
      else {
        const d = await a.service.inspectorLookup(a.session.name, key, purpose || undefined);
        if (!d) {
          problems.push(portalProblem("PORTAL_LOOKUP_NOT_FOUND", "key"));
          status = 404;
        } else
          result = html`<table id="inspector-result">
<tr><th>${t(lang, "authorityCode")}</th><td><code>${d.authorityCode}</code></td></tr>
<tr><th>${t(lang, "colDate")}</th><td>${d.issueDate}</td></tr>
<tr><th>${t(lang, "buyerTax")}</th><td>${d.buyerTaxCode ?? ""}</td></tr>
<tr><th>${t(lang, "totalPayable")}</th><td>${showAmount(d.total, lang)}</td></tr></table>
<details><summary>${t(lang, "invoiceXml")}</summary><pre style="white-space:pre-wrap">${d.xml}</pre></details>`;
      }
    }
    const errors = new FieldErrors(problems);
    const log = a.session.role === "admin" ? await a.service.accessLog(20) : [];
    const body = html`<form method="get" action="/portal/authority/inspector" class="row" id="inspector-form">
${field(lang, t(lang, "sellerTaxCode"), "seller", errors, { value: key.sellerTaxCode, path: "key.sellerTaxCode" })}
${field(lang, t(lang, "template"), "template", errors, { value: key.template, path: "key.template", attrs: html` size="3"` })}
${field(lang, t(lang, "series"), "series", errors, { value: key.series, path: "key.series", attrs: html` size="8"` })}
${field(lang, t(lang, "invoiceNumber"), "number", errors, { value: key.number, path: "key.number", attrs: html` size="8"` })}
${field(lang, t(lang, "purpose"), "purpose", errors, { value: purpose })}
<button type="submit">${t(lang, "search")}</button></form>${errorSummary(lang, errors.rest())}
${result}
${
  log.length > 0
    ? html`<h2>${t(lang, "accessLogTitle")}</h2><table id="access-log"><tr><th>${t(lang, "colAt")}</th><th>${t(
        lang,
        "colInspector",
      )}</th><th>${t(lang, "purpose")}</th><th>${t(lang, "colQuery")}</th></tr>${log.map(
        (x) =>
          html`<tr><td>${vnTime(x.at)}</td><td>${x.inspector}</td><td>${x.purpose ?? ""}</td><td><code>${x.query}</code></td></tr>`,
      )}</table>`
    : ""
}`;
    return kit.send(reply, page(ctx, t(lang, "inspectorTitle"), body), status);
  });
}
