/**
 * The seller's pages: dashboard, invoice form (live totals), list, view and downloads, series,
 * corrections, reports and settings. Every page reads and writes only the organisation of the session's
 * key (the tax code is never taken from the request), and the roles are those of the seller API: owner
 * (everything), accountant (series, invoices, corrections), viewer (reading).
 */
import type { FastifyReply, FastifyRequest } from "fastify";
import { sendWorkbook } from "../api/server.ts";
import { daysBetween, instantToDate, instantToDateTime, isDate } from "../domain/dates.ts";
import { fail, type Problem } from "../domain/problem.ts";
import { exportSalesReport, reportRowOf } from "../excel/export.ts";
import { ERROR_KINDS } from "../seller/corrections.ts";
import { checkPeriod } from "../seller/reports.ts";
import {
  INVOICE_STATES,
  type InvoiceState,
  type InvoiceView,
  ROLES,
  type UserRole,
} from "../seller/service.ts";
import { portalProblem } from "./codes.ts";
import { readDocument } from "./documents.ts";
import { type Html, html } from "./html.ts";
import { type Lang, t, tOr } from "./i18n.ts";
import {
  LINE_FIELDS,
  liveTotals,
  parseInvoiceForm,
  parseNumber,
  showAmount,
  type TotalsRequest,
  toFormPaths,
  VAT_RATES,
} from "./invoice-form.ts";
import type { Form, PortalKit } from "./kit.ts";
import { csrfField, errorSummary, FieldErrors, field, notice, page, problemLine } from "./layout.ts";
import type { PortalRoutes } from "./routes.ts";
import { randomToken } from "./session.ts";

const WRITERS: readonly UserRole[] = ["owner", "accountant"];
const OWNER: readonly UserRole[] = ["owner"];
/** Numbers of a series run to 8 digits; warn from here on. */
const NUMBERS_WARNING = 99_000_000;
const CERTIFICATE_WARNING_DAYS = 30;

function stateLabel(lang: Lang, state: string): string {
  return tOr(lang, `state_${state}`, state);
}

function buyerNameOf(v: InvoiceView): string {
  const b = v.input.buyer ?? {};
  const name = typeof b.name === "string" ? b.name : typeof b.contactName === "string" ? b.contactName : "";
  return name;
}

function symbolOf(v: { template: string; series: string }): string {
  return `${v.template}${v.series}`;
}

function today(kit: PortalKit): string {
  return instantToDate(kit.clock.now());
}

export function registerSellerPages(kit: PortalKit, r: PortalRoutes): void {
  // ----- dashboard

  r.get("/seller", async (request, reply) => {
    const s = await kit.seller(request, reply);
    if (!s) return reply;
    const ctx = kit.ctx(request, reply);
    const lang = ctx.lang;
    const [counts, refused, series, org, key] = await Promise.all([
      s.service.counts(s.taxCode),
      s.service.list(s.taxCode, { state: "refused", limit: 20 }),
      s.service.listSeries(s.taxCode),
      s.service.getOrganisation(s.taxCode),
      s.service.signingKey(s.taxCode),
    ]);
    const attention: Html[] = [];
    for (const v of refused.items)
      attention.push(
        html`<li>${t(lang, "refusedInvoices")}: <a href="/portal/seller/invoices/${v.id}">${symbolOf(v)} ${
          v.number ?? ""
        }</a> ${buyerNameOf(v)}</li>`,
      );
    for (const se of series) {
      for (const w of se.warnings) attention.push(html`<li>${problemLine(lang, w)}</li>`);
      if (se.active && se.used >= NUMBERS_WARNING)
        attention.push(
          html`<li>${t(lang, "seriesRunningOut", { series: symbolOf(se), used: showAmount(String(se.used), lang) })}</li>`,
        );
    }
    let certificate: Html = notice("warn", t(lang, "noSigningKey"));
    if (key) {
      const until = key.notAfter.slice(0, 10);
      const days = daysBetween(today(kit), until);
      if (days < CERTIFICATE_WARNING_DAYS) {
        const expires = t(lang, "certificateExpires", { subject: key.subject, date: until, days });
        attention.push(html`<li>${expires}</li>`);
        certificate = notice("warn", expires);
      } else certificate = html`<p>${t(lang, "certificateOk", { date: until })}</p>`;
    }
    if (key && key.awaitingSignature > 0)
      attention.push(html`<li>${t(lang, "awaitingSignature", { n: key.awaitingSignature })}</li>`);
    const body = html`
${org.ok ? html`<p>${org.value.name} — ${org.value.taxCode}. ${t(lang, "registrationState", { state: tOr(lang, `reg_${org.value.registrationState}`, org.value.registrationState) })}</p>` : ""}
<h2>${t(lang, "countsTitle")}</h2>
<table id="counts"><tr>${INVOICE_STATES.map((st) => html`<th>${stateLabel(lang, st)}</th>`)}</tr>
<tr>${INVOICE_STATES.map(
      (st) =>
        html`<td class="num" data-state="${st}"><a href="/portal/seller/invoices?state=${st}">${counts[st] ?? 0}</a></td>`,
    )}</tr></table>
<h2>${t(lang, "attentionTitle")}</h2>
${attention.length > 0 ? html`<ul id="attention">${attention}</ul>` : html`<p>${t(lang, "nothingToDo")}</p>`}
<h2>${t(lang, "certificateTitle")}</h2>${certificate}`;
    return kit.send(reply, page(ctx, t(lang, "dashboardTitle"), body));
  });

  // ----- invoice list

  r.get("/seller/invoices", async (request, reply) => {
    const s = await kit.seller(request, reply);
    if (!s) return reply;
    const ctx = kit.ctx(request, reply);
    const lang = ctx.lang;
    const q = request.query as Record<string, string | undefined>;
    const state = INVOICE_STATES.includes(q.state as InvoiceState) ? (q.state as InvoiceState) : undefined;
    const dateProblems: Problem[] = [];
    const date = (name: string, v: string | undefined) => {
      if (!v) return undefined;
      if (isDate(v)) return v;
      dateProblems.push(portalProblem("PORTAL_BAD_DATE", name, { value: v.slice(0, 40) }));
      return undefined;
    };
    const from = date("from", q.from);
    const to = date("to", q.to);
    const buyer = (q.buyer ?? "").trim().slice(0, 100);
    const byTaxCode = /^\d{10}(?:-\d{3})?$/.test(buyer);
    const after = q.after && q.after.length <= 64 ? q.after : undefined;
    const found = await s.service.list(s.taxCode, {
      ...(state ? { state } : {}),
      ...(from ? { from } : {}),
      ...(to ? { to } : {}),
      ...(byTaxCode ? { buyerTaxCode: buyer } : {}),
      ...(after ? { after } : {}),
      limit: buyer !== "" && !byTaxCode ? 1000 : 100,
    });
    const needle = buyer.toLocaleLowerCase("vi");
    const items =
      buyer !== "" && !byTaxCode
        ? found.items.filter((v) => buyerNameOf(v).toLocaleLowerCase("vi").includes(needle))
        : found.items;
    const errors = new FieldErrors(dateProblems);
    const nextQuery = new URLSearchParams({
      ...(state ? { state } : {}),
      ...(from ? { from } : {}),
      ...(to ? { to } : {}),
      ...(buyer ? { buyer } : {}),
      ...(found.next ? { after: found.next } : {}),
    });
    const body = html`
<form method="get" action="/portal/seller/invoices" class="row" id="filters">
${field(lang, t(lang, "filterState"), "state", errors, {
  value: state ?? "",
  options: [["", t(lang, "all")], ...INVOICE_STATES.map((st) => [st, stateLabel(lang, st)] as const)],
})}
${field(lang, t(lang, "filterFrom"), "from", errors, { type: "date", value: from ?? q.from })}
${field(lang, t(lang, "filterTo"), "to", errors, { type: "date", value: to ?? q.to })}
${field(lang, t(lang, "filterBuyer"), "buyer", errors, { value: buyer })}
<button type="submit">${t(lang, "search")}</button></form>
${
  items.length === 0
    ? html`<p>${t(lang, "noInvoices")}</p>`
    : html`<table id="invoices"><tr><th>${t(lang, "colSymbol")}</th><th>${t(lang, "colNumber")}</th><th>${t(
        lang,
        "colDate",
      )}</th><th>${t(lang, "colBuyer")}</th><th class="num">${t(lang, "colTotal")}</th><th>${t(
        lang,
        "colState",
      )}</th></tr>
${items.map(
  (v) =>
    html`<tr><td><a href="/portal/seller/invoices/${v.id}">${symbolOf(v)}</a></td><td>${v.number ?? "—"}</td><td>${
      v.issueDate ?? ""
    }</td><td>${buyerNameOf(v)}${v.buyerTaxCode ? html` (${v.buyerTaxCode})` : ""}</td><td class="num">${showAmount(
      v.totalPayable,
      lang,
    )}</td><td><span class="state" data-state="${v.state}">${stateLabel(lang, v.state)}</span></td></tr>`,
)}</table>`
}
${found.next ? html`<p><a href="/portal/seller/invoices?${nextQuery.toString()}">${t(lang, "next")}</a></p>` : ""}`;
    return kit.send(reply, page(ctx, t(lang, "invoicesTitle"), body));
  });

  // ----- invoice form

  const invoiceForm = async (
    request: FastifyRequest,
    reply: FastifyReply,
    taxCode: string,
    values: Form,
    problems: readonly Problem[],
    status: number,
  ) => {
    const ctx = kit.ctx(request, reply);
    const lang = ctx.lang;
    // This year's series first: the first one is the form's default.
    const series = (await kit.deps.seller!.listSeries(taxCode))
      .filter((x) => x.active)
      .sort((a, b) => b.year - a.year);
    const errors = new FieldErrors(problems);
    const rows = Math.max(
      3,
      ...Object.keys(values)
        .map((k) => /^lines\[(\d{1,3})\]\./.exec(k))
        .filter((m) => m !== null)
        .map((m) => Number(m[1]) + 1),
    );
    const v = (name: string, fallback = "") => values[name] ?? fallback;
    const lineRow = (i: number) => html`<tr class="line" data-row="${i}">
${LINE_FIELDS.map((f) => {
  const name = `lines[${i}].${f}`;
  const ps = errors.take(name);
  const cls = ps.length > 0 ? "bad" : "";
  const control =
    f === "vatRate"
      ? html`<select name="${name}" class="${cls}">${VAT_RATES.map(
          (rate) =>
            html`<option value="${rate}"${rate === v(name, "10%") ? html` selected` : ""}>${rate}</option>`,
        )}</select>`
      : html`<input name="${name}" class="${cls}" value="${v(name)}"${
          f === "quantity" || f === "unitPrice" ? html` inputmode="decimal"` : ""
        }>`;
  return html`<td>${control}${ps.map((p) => problemLine(lang, p))}</td>`;
})}<td class="num" data-amount-for="${i}"></td></tr>`;
    const fields = html`
<fieldset><legend>${t(lang, "headerSection")}</legend><div class="row">
${field(lang, `${t(lang, "template")} / ${t(lang, "series")}`, "symbol", errors, {
  value: v("symbol"),
  options: series.map((x) => [`${x.template}|${x.series}`, symbolOf(x)] as const),
})}
${field(lang, t(lang, "issueDate"), "header.issueDate", errors, { type: "date", value: v("header.issueDate", today(kit)) })}
${field(lang, t(lang, "paymentMethod"), "header.paymentMethod", errors, { value: v("header.paymentMethod", "TM/CK") })}
</div></fieldset>
<fieldset><legend>${t(lang, "buyerSection")}</legend><div class="row">
${field(lang, t(lang, "buyerName"), "buyer.name", errors, { value: v("buyer.name") })}
${field(lang, t(lang, "buyerTaxCode"), "buyer.taxCode", errors, { value: v("buyer.taxCode") })}
${field(lang, t(lang, "buyerPerson"), "buyer.contactName", errors, { value: v("buyer.contactName") })}
</div><div class="row">
${field(lang, t(lang, "buyerAddress"), "buyer.address", errors, { value: v("buyer.address"), attrs: html` size="60"` })}
${field(lang, t(lang, "buyerEmail"), "buyer.email", errors, { type: "email", value: v("buyer.email") })}
</div></fieldset>
<fieldset class="lines"><legend>${t(lang, "linesSection")}</legend>
<table id="lines"><thead><tr><th>${t(lang, "itemName")}</th><th>${t(lang, "unit")}</th><th>${t(lang, "quantity")}</th><th>${t(
      lang,
      "unitPrice",
    )}</th><th>${t(lang, "vatRate")}</th><th class="num">${t(lang, "amount")}</th></tr></thead>
<tbody>${Array.from({ length: Math.min(rows, 500) }, (_, i) => lineRow(i))}</tbody></table>
<button type="button" class="plain" id="add-line">${t(lang, "addLine")}</button></fieldset>`;
    const rest = errors.rest();
    const body = html`
${series.length === 0 ? notice("warn", html`${t(lang, "noSeries")} <a href="/portal/seller/series">${t(lang, "navSeries")}</a>`) : ""}
${errorSummary(lang, rest)}
<form method="post" action="/portal/seller/invoices" id="invoice-form">${csrfField(ctx)}
<input type="hidden" name="_idem" value="${values._idem ?? randomToken()}">
${fields}
<fieldset id="totals"><legend>${t(lang, "totalsSection")}</legend>
<table><thead><tr><th>${t(lang, "vatRate")}</th><th class="num">${t(lang, "amount")}</th><th class="num">${t(
      lang,
      "vatAmount",
    )}</th></tr></thead><tbody id="t-rates"></tbody>
<tr><th>${t(lang, "totalBeforeVat")}</th><td class="num" id="t-before" colspan="2"></td></tr>
<tr><th>${t(lang, "totalVat")}</th><td class="num" id="t-vat" colspan="2"></td></tr>
<tr><th>${t(lang, "totalPayable")}</th><td class="num" id="t-payable" colspan="2"></td></tr></table>
<p>${t(lang, "inWords")}: <span class="words" id="t-words"></span></p></fieldset>
<div class="row"><button type="submit" name="intent" value="draft" class="plain">${t(lang, "saveDraft")}</button>
<button type="submit" name="intent" value="issue" id="issue">${t(lang, "saveAndIssue")}</button></div>
</form>
<script src="/portal/assets/invoice-form.js" defer></script>`;
    return kit.send(reply, page(ctx, t(lang, "newInvoiceTitle"), body), status);
  };

  r.get("/seller/invoices/new", async (request, reply) => {
    const s = await kit.seller(request, reply, WRITERS);
    if (!s) return reply;
    return invoiceForm(request, reply, s.taxCode, {}, [], 200);
  });

  r.post("/seller/invoices", async (request, reply) => {
    const s = await kit.seller(request, reply, WRITERS);
    if (!s) return reply;
    const lang = kit.lang(request);
    const form = kit.form(request);
    const parsed = parseInvoiceForm(form, lang);
    if (!form.symbol)
      parsed.problems.push(portalProblem("PORTAL_REQUIRED", "symbol", { field: t(lang, "series") }));
    if (parsed.problems.length > 0) return invoiceForm(request, reply, s.taxCode, form, parsed.problems, 422);
    const idem = form._idem && form._idem.length <= 64 ? `portal-${form._idem}` : undefined;
    const created = await s.service.createDraft(s.taxCode, parsed.input, {
      actor: s.session.name,
      ...(idem ? { idempotencyKey: idem } : {}),
    });
    if (!created.ok)
      return invoiceForm(request, reply, s.taxCode, form, toFormPaths(created.problems, parsed.rows), 422);
    const id = created.value.invoice.id;
    if (form.intent !== "issue") return reply.redirect(`/portal/seller/invoices/${id}?done=draft`, 303);
    const issued = await s.service.issue(s.taxCode, id, { actor: s.session.name });
    if (!issued.ok) return invoiceView(request, reply, s, id, issued.problems, 422);
    return reply.redirect(`/portal/seller/invoices/${id}?done=issued`, 303);
  });

  r.post("/seller/api/totals", async (request, reply) => {
    const s = await kit.seller(request, reply);
    if (!s) return reply;
    const b = request.body as Partial<TotalsRequest> | null;
    // Only strings are read from what the script sends; anything else counts as empty.
    const text = (x: unknown) => (typeof x === "string" ? x.slice(0, 60) : "");
    const lines = (Array.isArray(b?.lines) ? (b.lines as unknown[]) : []).map((l) => {
      const o = l !== null && typeof l === "object" ? (l as Record<string, unknown>) : {};
      return { quantity: text(o.quantity), unitPrice: text(o.unitPrice), vatRate: text(o.vatRate) };
    });
    return reply
      .header("cache-control", "no-store")
      .send(
        liveTotals(
          { lines, ...(typeof b?.currency === "string" ? { currency: b.currency } : {}) },
          kit.lang(request),
        ),
      );
  });

  // ----- invoice view

  type SellerSession = NonNullable<Awaited<ReturnType<PortalKit["seller"]>>>;
  const invoiceView = async (
    request: FastifyRequest,
    reply: FastifyReply,
    s: SellerSession,
    id: string,
    problems: readonly Problem[],
    status: number,
  ) => {
    const got = await s.service.get(s.taxCode, id);
    if (!got.ok) return kit.notFound(request, reply);
    const v = got.value;
    const ctx = kit.ctx(request, reply);
    const lang = ctx.lang;
    const history = await s.service.history(s.taxCode, id);
    const done = (request.query as Record<string, string | undefined>).done;
    const canWrite = WRITERS.includes((await s.service.authenticate(s.session.key))?.role ?? "viewer");
    let signatures: Html = html``;
    if (v.state !== "draft") {
      const xml = await s.service.xml(s.taxCode, id);
      if (xml.ok)
        signatures = signatureTable(lang, readDocument(xml.value, kit.deps.verify, kit.clock.now()));
    }
    const input = v.input;
    const lines = input.lines ?? [];
    const title =
      v.number === null
        ? t(lang, "draftTitle", { symbol: symbolOf(v) })
        : t(lang, "invoiceTitle", { symbol: symbolOf(v), number: v.number });
    const body = html`
${done === "issued" && v.number !== null ? notice("good", t(lang, "issuedNotice", { number: v.number })) : ""}
${done === "draft" ? notice("good", t(lang, "draftSaved")) : ""}
${errorSummary(lang, problems)}
<table id="invoice-facts">
<tr><th>${t(lang, "stateLabel")}</th><td><span class="state" id="invoice-state" data-state="${v.state}">${stateLabel(lang, v.state)}</span></td></tr>
<tr><th>${t(lang, "issueDate")}</th><td>${v.issueDate ?? ""}</td></tr>
<tr><th>${t(lang, "buyerSection")}</th><td id="buyer-name">${buyerNameOf(v)}${v.buyerTaxCode ? html` — ${v.buyerTaxCode}` : ""}</td></tr>
<tr><th>${t(lang, "totalPayable")}</th><td>${showAmount(v.totalPayable, lang)}</td></tr>
${v.authorityCode ? html`<tr><th>${t(lang, "authorityCode")}</th><td><code id="authority-code">${v.authorityCode}</code></td></tr>` : ""}
${v.state !== "draft" ? html`<tr><th>${t(lang, "lookupCode")}</th><td><code id="lookup-code">${v.lookupCode}</code></td></tr>` : ""}
</table>
${
  v.errors && v.errors.length > 0
    ? html`<h2>${t(lang, "refusedReasons")}</h2><ul>${v.errors.map((e) => html`<li>${reasonText(e)}</li>`)}</ul>`
    : ""
}
<h2>${t(lang, "linesSection")}</h2>
<table><tr><th>${t(lang, "itemName")}</th><th>${t(lang, "unit")}</th><th class="num">${t(lang, "quantity")}</th><th class="num">${t(
      lang,
      "unitPrice",
    )}</th><th>${t(lang, "vatRate")}</th></tr>
${lines.map(
  (l) =>
    html`<tr><td>${str(l.itemName)}</td><td>${str(l.unit)}</td><td class="num">${showAmount(str(l.quantity), lang)}</td><td class="num">${showAmount(
      str(l.unitPrice),
      lang,
    )}</td><td>${str(l.vatRate)}</td></tr>`,
)}</table>
${
  v.state === "draft" && canWrite
    ? html`<form method="post" action="/portal/seller/invoices/${v.id}/issue">${csrfField(ctx)}<button type="submit" id="issue">${t(
        lang,
        "issueNow",
      )}</button></form>`
    : ""
}
${
  v.state !== "draft"
    ? html`<h2>${t(lang, "downloads")}</h2><p><a id="download-xml" href="/portal/seller/invoices/${v.id}/xml">${t(
        lang,
        "downloadXml",
      )}</a> · <a id="download-pdf" href="/portal/seller/invoices/${v.id}/pdf">${t(lang, "downloadPdf")}</a></p>
${signatures}
${canWrite ? html`<p><a href="/portal/seller/corrections?id=${v.id}">${t(lang, "correctThis")}</a></p>` : ""}`
    : ""
}
<h2>${t(lang, "historyTitle")}</h2>
<table id="history"><tr><th>${t(lang, "colAt")}</th><th>${t(lang, "colFrom")}</th><th>${t(lang, "colTo")}</th><th>${t(
      lang,
      "colActor",
    )}</th><th>${t(lang, "colDetail")}</th></tr>
${(history.ok ? history.value : []).map(
  (e) =>
    html`<tr><td>${instantToDateTime(new Date(e.at)).replace("T", " ")}</td><td>${e.from ? stateLabel(lang, e.from) : ""}</td><td>${stateLabel(lang, e.to)}</td><td>${
      e.actor ?? ""
    }</td><td><code>${e.detail === null || e.detail === undefined ? "" : JSON.stringify(e.detail).slice(0, 300)}</code></td></tr>`,
)}</table>`;
    return kit.send(reply, page(ctx, title, body), status);
  };

  r.get("/seller/invoices/:id", async (request, reply) => {
    const s = await kit.seller(request, reply);
    if (!s) return reply;
    return invoiceView(request, reply, s, (request.params as { id: string }).id, [], 200);
  });

  r.post("/seller/invoices/:id/issue", async (request, reply) => {
    const s = await kit.seller(request, reply, WRITERS);
    if (!s) return reply;
    const id = (request.params as { id: string }).id;
    const issued = await s.service.issue(s.taxCode, id, { actor: s.session.name });
    if (!issued.ok) {
      if (issued.problems.some((p) => p.code === "SELLER_INVOICE_NOT_FOUND"))
        return kit.notFound(request, reply);
      return invoiceView(request, reply, s, id, issued.problems, 422);
    }
    return reply.redirect(`/portal/seller/invoices/${id}?done=issued`, 303);
  });

  for (const kind of ["xml", "pdf"] as const) {
    r.get(`/seller/invoices/:id/${kind}`, async (request, reply) => {
      const s = await kit.seller(request, reply);
      if (!s) return reply;
      const id = (request.params as { id: string }).id;
      const got = await s.service.get(s.taxCode, id);
      const xml = await s.service.xml(s.taxCode, id);
      if (!got.ok || !xml.ok) return kit.notFound(request, reply);
      return kit.sendInvoiceFile(request, reply, kind, xml.value, got.value.lookupCode, fileName(got.value));
    });
  }

  // ----- series

  const seriesPage = async (
    request: FastifyRequest,
    reply: FastifyReply,
    taxCode: string,
    values: Form,
    problems: readonly Problem[],
    status: number,
    done?: string,
  ) => {
    const ctx = kit.ctx(request, reply);
    const lang = ctx.lang;
    const list = await kit.deps.seller!.listSeries(taxCode);
    const errors = new FieldErrors(problems);
    const year = today(kit).slice(2, 4);
    const form = html`<form method="post" action="/portal/seller/series" class="row" id="series-form">${csrfField(ctx)}
${field(lang, t(lang, "template"), "template", errors, { value: values.template ?? "1", attrs: html` size="2" maxlength="1"` })}
${field(lang, t(lang, "series"), "series", errors, { value: values.series ?? `C${year}TAA`, attrs: html` size="8" maxlength="6"` })}
<label><input type="checkbox" name="cashRegister" value="1"${values.cashRegister ? html` checked` : ""}> ${t(lang, "cashRegister")}</label>
<button type="submit">${t(lang, "createSeries")}</button></form>`;
    const body = html`${done ? notice("good", t(lang, "seriesCreated", { series: done })) : ""}
<table id="series"><tr><th>${t(lang, "colSymbol")}</th><th>${t(lang, "colYear")}</th><th>${t(lang, "colCoded")}</th><th class="num">${t(
      lang,
      "colUsed",
    )}</th><th>${t(lang, "colLastDate")}</th><th>${t(lang, "colActive")}</th><th>${t(lang, "colWarnings")}</th></tr>
${list.map(
  (x) =>
    html`<tr><td>${symbolOf(x)}</td><td>${x.year}</td><td>${t(lang, x.coded ? "yes" : "no")}</td><td class="num">${
      x.used
    }</td><td>${x.lastDate ?? ""}</td><td>${t(lang, x.active ? "yes" : "no")}</td><td>${x.warnings.map((w) =>
      problemLine(lang, w),
    )}</td></tr>`,
)}</table>
${form}${errorSummary(lang, errors.rest())}`;
    return kit.send(reply, page(ctx, t(lang, "seriesTitle"), body), status);
  };

  r.get("/seller/series", async (request, reply) => {
    const s = await kit.seller(request, reply);
    if (!s) return reply;
    return seriesPage(request, reply, s.taxCode, {}, [], 200);
  });

  r.post("/seller/series", async (request, reply) => {
    const s = await kit.seller(request, reply, WRITERS);
    if (!s) return reply;
    const form = kit.form(request);
    const template = (form.template ?? "").trim();
    const series = (form.series ?? "").trim().toUpperCase();
    const created = await s.service.createSeries(s.taxCode, {
      template,
      series,
      ...(form.cashRegister ? { cashRegister: true } : {}),
    });
    if (!created.ok) return seriesPage(request, reply, s.taxCode, form, created.problems, 422);
    return seriesPage(request, reply, s.taxCode, {}, [], 201, `${template}${series}`);
  });

  // ----- corrections

  const correctionsPage = async (
    request: FastifyRequest,
    reply: FastifyReply,
    which: string,
    values: Form,
    problems: readonly Problem[],
    status: number,
    done?: Html,
  ) => {
    const ctx = kit.ctx(request, reply);
    const lang = ctx.lang;
    const q = request.query as Record<string, string | undefined>;
    const id = values.id ?? q.id ?? "";
    const errorsFor = (form: string) => new FieldErrors(which === form ? problems : []);
    const ea = errorsFor("adjust");
    const er = errorsFor("replace");
    const en = errorsFor("notice");
    const val = (form: string, name: string, fallback = "") =>
      which === form ? (values[name] ?? fallback) : fallback;
    const body = html`${done ?? ""}
<h2>${t(lang, "adjustTitle")}</h2>
<form method="post" action="/portal/seller/corrections/adjust" id="adjust-form">${csrfField(ctx)}<div class="row">
${field(lang, t(lang, "invoiceId"), "id", ea, { value: which === "adjust" ? values.id : id, attrs: html` size="38"` })}
${field(lang, t(lang, "lineNo"), "line", ea, { value: val("adjust", "line", "1"), path: "change.lines[0].line", attrs: html` size="4"` })}
${field(lang, t(lang, "newQuantity"), "quantity", ea, { value: val("adjust", "quantity"), path: "change.lines[0].quantity" })}
${field(lang, t(lang, "newUnitPrice"), "unitPrice", ea, { value: val("adjust", "unitPrice"), path: "change.lines[0].unitPrice" })}
${field(lang, t(lang, "agreementRef"), "agreementRef", ea, { value: val("adjust", "agreementRef"), path: "agreement.reference" })}
${field(lang, t(lang, "agreementDate"), "agreementDate", ea, { type: "date", value: val("adjust", "agreementDate"), path: "agreement.date" })}
</div>${errorSummary(lang, ea.rest())}<button type="submit">${t(lang, "make")}</button></form>
<h2>${t(lang, "replaceTitle")}</h2>
<form method="post" action="/portal/seller/corrections/replace" id="replace-form">${csrfField(ctx)}<div class="row">
${field(lang, t(lang, "invoiceId"), "id", er, { value: which === "replace" ? values.id : id, attrs: html` size="38"` })}
${field(lang, t(lang, "buyerName"), "buyerName", er, { value: val("replace", "buyerName"), path: "content.buyer.name" })}
${field(lang, t(lang, "buyerTaxCode"), "buyerTaxCode", er, { value: val("replace", "buyerTaxCode"), path: "content.buyer.taxCode" })}
${field(lang, t(lang, "buyerAddress"), "buyerAddress", er, { value: val("replace", "buyerAddress"), path: "content.buyer.address" })}
</div><div class="row">
${field(lang, t(lang, "itemName"), "itemName", er, { value: val("replace", "itemName"), path: "content.lines[0].itemName" })}
${field(lang, t(lang, "unit"), "unit", er, { value: val("replace", "unit") })}
${field(lang, t(lang, "quantity"), "quantity", er, { value: val("replace", "quantity"), path: "content.lines[0].quantity" })}
${field(lang, t(lang, "unitPrice"), "unitPrice", er, { value: val("replace", "unitPrice"), path: "content.lines[0].unitPrice" })}
${field(lang, t(lang, "vatRate"), "vatRate", er, { value: val("replace", "vatRate", "10%"), options: VAT_RATES.map((x) => [x, x] as const), path: "content.lines[0].vatRate" })}
</div>${errorSummary(lang, er.rest())}<button type="submit">${t(lang, "make")}</button></form>
<h2>${t(lang, "errorNoticeTitle")}</h2>
<form method="post" action="/portal/seller/corrections/notice" id="notice-form">${csrfField(ctx)}<div class="row">
${field(lang, t(lang, "invoiceId"), "id", en, { value: which === "notice" ? values.id : id, path: "items[0].id", attrs: html` size="38"` })}
${field(lang, t(lang, "errorKind"), "error", en, { value: val("notice", "error", "name-address"), options: ERROR_KINDS.map((k) => [k, tOr(lang, `errkind_${k}`, k)] as const) })}
${field(lang, t(lang, "action"), "action", en, {
  value: val("notice", "action", ""),
  options: (["", "adjust", "replace", "cancel", "explain"] as const).map(
    (k) => [k, t(lang, `action_${k}`)] as const,
  ),
})}
${field(lang, t(lang, "reason"), "reason", en, { value: val("notice", "reason"), path: "items[0].reason", attrs: html` size="50"` })}
</div>${errorSummary(lang, en.rest())}<button type="submit">${t(lang, "send")}</button></form>`;
    return kit.send(reply, page(ctx, t(lang, "correctionsTitle"), body), status);
  };

  r.get("/seller/corrections", async (request, reply) => {
    const s = await kit.seller(request, reply, WRITERS);
    if (!s) return reply;
    return correctionsPage(request, reply, "", {}, [], 200);
  });

  for (const way of ["adjust", "replace"] as const) {
    r.post(`/seller/corrections/${way}`, async (request, reply) => {
      const s = await kit.seller(request, reply, WRITERS);
      if (!s) return reply;
      const lang = kit.lang(request);
      const f = kit.form(request);
      const problems: Problem[] = [];
      const id = (f.id ?? "").trim();
      if (id === "") problems.push(portalProblem("PORTAL_REQUIRED", "id", { field: t(lang, "invoiceId") }));
      const num = (name: string, path: string) => {
        const text = (f[name] ?? "").trim();
        if (text === "") return undefined;
        const d = parseNumber(text, lang);
        if (!d) problems.push(portalProblem("PORTAL_BAD_NUMBER", path, { value: text }));
        return d;
      };
      const agreement =
        f.agreementRef?.trim() && f.agreementDate?.trim()
          ? { reference: f.agreementRef.trim(), date: f.agreementDate.trim() }
          : undefined;
      let result: Awaited<ReturnType<typeof s.service.adjust>> | undefined;
      if (way === "adjust") {
        const line = Number.parseInt(f.line ?? "", 10);
        if (!(line >= 1))
          problems.push(portalProblem("PORTAL_BAD_NUMBER", "change.lines[0].line", { value: f.line ?? "" }));
        const quantity = num("quantity", "change.lines[0].quantity");
        const unitPrice = num("unitPrice", "change.lines[0].unitPrice");
        if (problems.length === 0)
          result = await s.service.adjust(
            s.taxCode,
            id,
            {
              lines: [
                {
                  line: line - 1, // the form counts lines from 1, the service from 0
                  ...(quantity ? { quantity: quantity.toPlain() } : {}),
                  ...(unitPrice ? { unitPrice: unitPrice.toPlain() } : {}),
                },
              ],
            },
            { actor: s.session.name, ...(agreement ? { agreement } : {}) },
          );
      } else {
        const quantity = num("quantity", "content.lines[0].quantity");
        const unitPrice = num("unitPrice", "content.lines[0].unitPrice");
        const buyer = Object.fromEntries(
          (
            [
              ["name", f.buyerName],
              ["taxCode", f.buyerTaxCode],
              ["address", f.buyerAddress],
            ] as const
          )
            .map(([k, v]) => [k, (v ?? "").trim()] as const)
            .filter(([, v]) => v !== ""),
        );
        if (problems.length === 0)
          result = await s.service.replace(
            s.taxCode,
            id,
            {
              buyer,
              lines: [
                {
                  itemName: (f.itemName ?? "").trim(),
                  ...(f.unit?.trim() ? { unit: f.unit.trim() } : {}),
                  ...(quantity ? { quantity: quantity.toPlain() } : {}),
                  ...(unitPrice ? { unitPrice: unitPrice.toPlain() } : {}),
                  ...(f.vatRate ? { vatRate: f.vatRate } : {}),
                },
              ],
            },
            { actor: s.session.name, ...(agreement ? { agreement } : {}) },
          );
      }
      if (result && !result.ok) problems.push(...result.problems);
      if (problems.length > 0 || !result?.ok) return correctionsPage(request, reply, way, f, problems, 422);
      return reply.redirect(`/portal/seller/invoices/${result.value.invoice.id}?done=draft`, 303);
    });
  }

  r.post("/seller/corrections/notice", async (request, reply) => {
    const s = await kit.seller(request, reply, WRITERS);
    if (!s) return reply;
    const lang = kit.lang(request);
    const f = kit.form(request);
    const problems: Problem[] = [];
    const id = (f.id ?? "").trim();
    const reason = (f.reason ?? "").trim();
    if (id === "")
      problems.push(portalProblem("PORTAL_REQUIRED", "items[0].id", { field: t(lang, "invoiceId") }));
    if (reason === "")
      problems.push(portalProblem("PORTAL_REQUIRED", "items[0].reason", { field: t(lang, "reason") }));
    const error = ERROR_KINDS.find((k) => k === f.error) ?? "other";
    const action = (["adjust", "replace", "cancel", "explain"] as const).find((a) => a === f.action);
    if (problems.length > 0) return correctionsPage(request, reply, "notice", f, problems, 422);
    const r2 = await s.service.sendErrorNotice(
      s.taxCode,
      [{ invoiceId: id, error, reason: reason.slice(0, 255), ...(action ? { action } : {}) }],
      { actor: s.session.name },
    );
    if (!r2.ok) return correctionsPage(request, reply, "notice", f, r2.problems, 422);
    return correctionsPage(
      request,
      reply,
      "",
      {},
      [],
      202,
      notice("good", t(lang, "noticeSent", { id: r2.value.messageId })),
    );
  });

  // ----- reports

  r.get("/seller/reports", async (request, reply) => {
    const s = await kit.seller(request, reply);
    if (!s) return reply;
    const ctx = kit.ctx(request, reply);
    const lang = ctx.lang;
    const q = request.query as Record<string, string | undefined>;
    const now = today(kit);
    const from = q.from ?? `${now.slice(0, 7)}-01`;
    const to = q.to ?? now;
    // checkPeriod reads the shape only; a date like 2026-13-45 is refused here before the database sees it.
    const period =
      isDate(from) && isDate(to)
        ? checkPeriod({ from, to })
        : fail<{ from: string; to: string }>([
            portalProblem("PORTAL_BAD_DATE", isDate(from) ? "to" : "from", {
              value: (isDate(from) ? to : from).slice(0, 40),
            }),
          ]);
    const errors = new FieldErrors(period.ok ? [] : period.problems);
    let table: Html = html``;
    const reports = kit.deps.reports;
    if (!reports) table = notice("warn", portalProblem("PORTAL_NOT_AVAILABLE", "").messageVi);
    else if (period.ok) {
      const rows: Html[] = [];
      for await (const x of reports.sales(s.taxCode, period.value)) {
        const h = x.invoice.header;
        rows.push(
          html`<tr><td>${h.template}${h.series}</td><td>${h.number ?? ""}</td><td>${h.issueDate}</td><td>${
            x.invoice.buyer.name ?? ""
          }</td><td class="num">${showAmount(x.invoice.totals.totalVat?.toPlain(), lang)}</td><td class="num">${showAmount(
            x.invoice.totals.totalPayable?.toPlain(),
            lang,
          )}</td><td>${stateLabel(lang, x.state)}</td></tr>`,
        );
        if (rows.length >= 1000) break;
      }
      const usage = await reports.seriesUsage(s.taxCode, period.value);
      table = html`<h2>${t(lang, "reportSales")}</h2>
<table id="sales"><tr><th>${t(lang, "colSymbol")}</th><th>${t(lang, "colNumber")}</th><th>${t(lang, "colDate")}</th><th>${t(
        lang,
        "colBuyer",
      )}</th><th class="num">${t(lang, "totalVat")}</th><th class="num">${t(lang, "colTotal")}</th><th>${t(
        lang,
        "colState",
      )}</th></tr>${rows}</table>
<h2>${t(lang, "reportSeries")}</h2><pre>${JSON.stringify(usage, null, 2)}</pre>`;
    }
    const api = `/seller/reports/sales?from=${from}&to=${to}`;
    const body = html`<form method="get" action="/portal/seller/reports" class="row">
${field(lang, t(lang, "filterFrom"), "from", errors, { type: "date", value: from })}
${field(lang, t(lang, "filterTo"), "to", errors, { type: "date", value: to })}
<button type="submit">${t(lang, "search")}</button></form>${errorSummary(lang, errors.rest())}
${table}
${
  reports && period.ok
    ? html`<p><a id="sales-xlsx" href="/portal/seller/reports/sales.xlsx?from=${from}&amp;to=${to}">${t(lang, "reportSales")} — ${t(
        lang,
        "reportXlsx",
      )}</a></p>`
    : ""
}
<p>${t(lang, "reportHelp", { base: "" })}<code>${api}</code> (${t(lang, "reportJson")}), <code>${api}&amp;format=xlsx</code> (${t(
      lang,
      "reportXlsx",
    )}), <code>/seller/reports/series-usage?from=${from}&amp;to=${to}</code></p>`;
    return kit.send(reply, page(ctx, t(lang, "reportsTitle"), body));
  });

  r.get("/seller/reports/sales.xlsx", async (request, reply) => {
    const s = await kit.seller(request, reply);
    if (!s) return reply;
    const reports = kit.deps.reports;
    const q = request.query as Record<string, string | undefined>;
    const from = q.from ?? "";
    const to = q.to ?? "";
    const period = isDate(from) && isDate(to) ? checkPeriod({ from, to }) : undefined;
    if (!reports || !period?.ok) return kit.notFound(request, reply);
    const taxCode = s.taxCode;
    const rows = (async function* () {
      for await (const x of reports.sales(taxCode, period.value)) yield reportRowOf(x.invoice);
    })();
    return sendWorkbook(reply, `bang-ke-${from}-${to}.xlsx`, (out) =>
      exportSalesReport(rows, out, period.value),
    );
  });

  // ----- settings

  const settingsPage = async (
    request: FastifyRequest,
    reply: FastifyReply,
    taxCode: string,
    which: string,
    values: Form,
    problems: readonly Problem[],
    status: number,
    done?: Html,
  ) => {
    const ctx = kit.ctx(request, reply);
    const lang = ctx.lang;
    const service = kit.deps.seller!;
    const [org, users, keys, signing] = await Promise.all([
      service.getOrganisation(taxCode),
      service.listUsers(taxCode),
      service.listApiKeys(taxCode),
      service.signingKey(taxCode),
    ]);
    const e = (form: string) => new FieldErrors(which === form ? problems : []);
    const eo = e("org");
    const eu = e("user");
    const ek = e("key");
    const ec = e("cert");
    const o = org.ok ? org.value : undefined;
    const val = (form: string, name: string, fallback = "") =>
      which === form ? (values[name] ?? fallback) : fallback;
    const roleOptions = ROLES.map((x) => [x, t(lang, `role_${x}`)] as const);
    const body = html`${done ?? ""}
<h2>${t(lang, "orgSection")} (${taxCode})</h2>
<form method="post" action="/portal/seller/settings/organisation" id="org-form">${csrfField(ctx)}
${field(lang, t(lang, "orgName"), "name", eo, { value: val("org", "name", o?.name ?? ""), attrs: html` size="60"` })}
${field(lang, t(lang, "orgAddress"), "address", eo, { value: val("org", "address", o?.address ?? ""), attrs: html` size="60"` })}
${field(lang, t(lang, "orgEmail"), "email", eo, { value: val("org", "email", o?.profile.email ?? ""), path: "profile.email" })}
${field(lang, t(lang, "orgPhone"), "phone", eo, { value: val("org", "phone", o?.profile.phone ?? ""), path: "profile.phone" })}
${errorSummary(lang, eo.rest())}<button type="submit">${t(lang, "save")}</button></form>
<h2>${t(lang, "usersSection")}</h2>
<table id="users"><tr><th>${t(lang, "userEmail")}</th><th>${t(lang, "userName")}</th><th>${t(lang, "userRole")}</th></tr>
${users.map((u) => html`<tr><td>${u.email}</td><td>${u.name}</td><td>${t(lang, `role_${u.role}`)}</td></tr>`)}</table>
<form method="post" action="/portal/seller/settings/users" class="row" id="user-form">${csrfField(ctx)}
${field(lang, t(lang, "userEmail"), "email", eu, { type: "email", value: val("user", "email") })}
${field(lang, t(lang, "userName"), "name", eu, { value: val("user", "name") })}
${field(lang, t(lang, "userRole"), "role", eu, { value: val("user", "role", "accountant"), options: roleOptions })}
<button type="submit">${t(lang, "addUser")}</button></form>${errorSummary(lang, eu.rest())}
<h2>${t(lang, "keysSection")}</h2>
<table id="keys"><tr><th>${t(lang, "keyName")}</th><th>${t(lang, "userRole")}</th><th>${t(lang, "keyPrefix")}</th><th>${t(
      lang,
      "keyCreated",
    )}</th><th>${t(lang, "keyRevoked")}</th><th></th></tr>
${keys.map(
  (k) =>
    html`<tr><td>${k.name}</td><td>${t(lang, `role_${k.role}`)}</td><td><code>${k.prefix}…</code></td><td>${k.createdAt}</td><td>${
      k.revokedAt ?? ""
    }</td><td>${
      k.revokedAt
        ? ""
        : html`<form method="post" action="/portal/seller/settings/keys/${k.id}/revoke" style="margin:0">${csrfField(ctx)}<button class="plain" type="submit">${t(
            lang,
            "revoke",
          )}</button></form>`
    }</td></tr>`,
)}</table>
<form method="post" action="/portal/seller/settings/keys" class="row" id="key-form">${csrfField(ctx)}
${field(lang, t(lang, "keyName"), "name", ek, { value: val("key", "name") })}
${field(lang, t(lang, "userRole"), "role", ek, { value: val("key", "role", "accountant"), options: roleOptions })}
<button type="submit">${t(lang, "createKey")}</button></form>${errorSummary(lang, ek.rest())}
<h2>${t(lang, "certificateTitle")}</h2>
${
  signing
    ? html`<table id="certificate">
<tr><th>${t(lang, "keyKind")}</th><td data-kind="${signing.kind}">${t(lang, `keykind_${signing.kind}`)}</td></tr>
<tr><th>${t(lang, "certSubject")}</th><td>${signing.subject}</td></tr>
<tr><th>${t(lang, "certIssuer")}</th><td>${signing.issuer}</td></tr>
<tr><th>${t(lang, "certSerial")}</th><td><code>${signing.serial}</code></td></tr>
<tr><th>${t(lang, "certValidity")}</th><td>${signing.notBefore.slice(0, 10)} → ${signing.notAfter.slice(0, 10)}${
        signing.testCertificate ? html` <strong>TEST</strong>` : ""
      }</td></tr></table>`
    : notice("warn", t(lang, "noSigningKey"))
}
<form method="post" action="/portal/seller/settings/certificate" id="certificate-form">${csrfField(ctx)}
<p>${t(lang, "twoStepHelp")}</p>
${field(lang, t(lang, "certificatePem"), "certificate", ec, {
  value: val("cert", "certificate"),
  textarea: true,
})}
${errorSummary(lang, ec.rest())}<button type="submit">${t(lang, "useTwoStep")}</button></form>`;
    return kit.send(reply, page(ctx, t(lang, "settingsTitle"), body), status);
  };

  r.get("/seller/settings", async (request, reply) => {
    const s = await kit.seller(request, reply, OWNER);
    if (!s) return reply;
    return settingsPage(request, reply, s.taxCode, "", {}, [], 200);
  });

  r.post("/seller/settings/organisation", async (request, reply) => {
    const s = await kit.seller(request, reply, OWNER);
    if (!s) return reply;
    const lang = kit.lang(request);
    const f = kit.form(request);
    const problems: Problem[] = [];
    const name = (f.name ?? "").trim();
    const address = (f.address ?? "").trim();
    if (name === "") problems.push(portalProblem("PORTAL_REQUIRED", "name", { field: t(lang, "orgName") }));
    if (address === "")
      problems.push(portalProblem("PORTAL_REQUIRED", "address", { field: t(lang, "orgAddress") }));
    if (problems.length > 0) return settingsPage(request, reply, s.taxCode, "org", f, problems, 422);
    const profile: Record<string, string> = {};
    if (f.email?.trim()) profile.email = f.email.trim().slice(0, 50);
    if (f.phone?.trim()) profile.phone = f.phone.trim().slice(0, 20);
    const u = await s.service.updateProfile(s.taxCode, {
      name: name.slice(0, 400),
      address: address.slice(0, 400),
      profile,
    });
    if (!u.ok) return settingsPage(request, reply, s.taxCode, "org", f, u.problems, 422);
    return settingsPage(request, reply, s.taxCode, "", {}, [], 200, notice("good", t(lang, "saved")));
  });

  r.post("/seller/settings/users", async (request, reply) => {
    const s = await kit.seller(request, reply, OWNER);
    if (!s) return reply;
    const lang = kit.lang(request);
    const f = kit.form(request);
    const problems: Problem[] = [];
    const email = (f.email ?? "").trim();
    const name = (f.name ?? "").trim();
    const role = ROLES.find((x) => x === f.role);
    if (!/^[^@\s]+@[^@\s]+$/.test(email) || email.length > 100)
      problems.push(portalProblem("PORTAL_REQUIRED", "email", { field: t(lang, "userEmail") }));
    if (name === "") problems.push(portalProblem("PORTAL_REQUIRED", "name", { field: t(lang, "userName") }));
    if (!role) problems.push(portalProblem("PORTAL_REQUIRED", "role", { field: t(lang, "userRole") }));
    if (problems.length > 0 || !role)
      return settingsPage(request, reply, s.taxCode, "user", f, problems, 422);
    const u = await s.service.addUser(s.taxCode, { email, name: name.slice(0, 100), role });
    if (!u.ok) return settingsPage(request, reply, s.taxCode, "user", f, u.problems, 422);
    return settingsPage(request, reply, s.taxCode, "", {}, [], 201, notice("good", t(lang, "saved")));
  });

  r.post("/seller/settings/certificate", async (request, reply) => {
    const s = await kit.seller(request, reply, OWNER);
    if (!s) return reply;
    const lang = kit.lang(request);
    const f = kit.form(request);
    const certificate = (f.certificate ?? "").trim();
    if (certificate === "")
      return settingsPage(
        request,
        reply,
        s.taxCode,
        "cert",
        f,
        [portalProblem("PORTAL_REQUIRED", "certificate", { field: t(lang, "certificatePem") })],
        422,
      );
    const u = await s.service.setSigningKey(s.taxCode, {
      kind: "two-step",
      certificate: certificate.slice(0, 20_000),
    });
    if (!u.ok)
      return settingsPage(
        request,
        reply,
        s.taxCode,
        "cert",
        f,
        u.problems.map((p) => ({ ...p, path: "certificate" })),
        422,
      );
    return settingsPage(request, reply, s.taxCode, "", {}, [], 200, notice("good", t(lang, "saved")));
  });

  r.post("/seller/settings/keys", async (request, reply) => {
    const s = await kit.seller(request, reply, OWNER);
    if (!s) return reply;
    const lang = kit.lang(request);
    const f = kit.form(request);
    const name = (f.name ?? "").trim();
    const role = ROLES.find((x) => x === f.role);
    const problems: Problem[] = [];
    if (name === "") problems.push(portalProblem("PORTAL_REQUIRED", "name", { field: t(lang, "keyName") }));
    if (!role) problems.push(portalProblem("PORTAL_REQUIRED", "role", { field: t(lang, "userRole") }));
    if (problems.length > 0 || !role) return settingsPage(request, reply, s.taxCode, "key", f, problems, 422);
    const k = await s.service.createApiKey(s.taxCode, { name: name.slice(0, 100), role });
    return settingsPage(
      request,
      reply,
      s.taxCode,
      "",
      {},
      [],
      201,
      notice("good", html`<span id="new-key">${t(lang, "newKeyShown", { key: k.key })}</span>`),
    );
  });

  r.post("/seller/settings/keys/:id/revoke", async (request, reply) => {
    const s = await kit.seller(request, reply, OWNER);
    if (!s) return reply;
    const id = (request.params as { id: string }).id;
    if (!(await s.service.revokeApiKey(s.taxCode, id))) return kit.notFound(request, reply);
    // Revoking the key of this very session ends it at the next request.
    return settingsPage(
      request,
      reply,
      s.taxCode,
      "",
      {},
      [],
      200,
      notice("good", t(kit.lang(request), "revoked")),
    );
  });
}

function str(v: unknown): string {
  return typeof v === "string" || typeof v === "number" ? String(v) : "";
}

function reasonText(e: unknown): string {
  if (e && typeof e === "object") {
    const o = e as Record<string, unknown>;
    const parts = [o.code, o.message ?? o.description ?? o.reason].filter((x) => typeof x === "string");
    if (parts.length > 0) return parts.join(": ");
  }
  return JSON.stringify(e);
}

function fileName(v: InvoiceView): string {
  return `${v.taxCode}_${v.template}${v.series}_${v.number ?? v.id}`.replace(/[^A-Za-z0-9_-]/g, "_");
}

/** The signatures of a document: role, signer, time, valid or not. */
export function signatureTable(lang: Lang, doc: ReturnType<typeof readDocument>): Html {
  return html`<h2>${t(lang, "signaturesTitle")}</h2><table id="signatures"><tr><th>${t(lang, "userRole")}</th><th>${t(
    lang,
    "colName",
  )}</th><th>${t(lang, "colAt")}</th><th>${t(lang, "colStatus")}</th></tr>
${doc.signatures.map(
  (x) =>
    html`<tr><td>${t(lang, `role_${x.role}`)}</td><td>${x.signer}${x.test ? html` (${t(lang, "testCertificate")})` : ""}</td><td>${
      x.signingTime ? instantToDateTime(new Date(x.signingTime)).replace("T", " ") : ""
    }</td><td class="sig-${x.valid ? "valid" : "invalid"}">${t(lang, x.valid ? "signatureValid" : "signatureInvalid")}</td></tr>`,
)}</table>`;
}

/**
 * The invoice form's script, served as a file (the pages' CSP allows no inline script): live totals from
 * the portal's JSON endpoint while people type, and adding lines. No framework; text goes in with
 * textContent only.
 */
export const INVOICE_FORM_SCRIPT = String.raw`(function(){var cfg={url:"/portal/seller/api/totals"};var form=document.getElementById("invoice-form");if(!form)return;
var body=document.querySelector("#lines tbody");var timer=null;var seq=0;
function rows(){return Array.prototype.slice.call(body.querySelectorAll("tr.line"));}
function val(tr,f){var el=tr.querySelector('[name$="].'+f+'"]');return el?el.value:"";}
function update(){var my=++seq;var lines=rows().map(function(tr){return{quantity:val(tr,"quantity"),unitPrice:val(tr,"unitPrice"),vatRate:val(tr,"vatRate")};});
var tok=form.querySelector('[name="_csrf"]');
fetch(cfg.url,{method:"POST",headers:{"content-type":"application/json","x-csrf-token":tok?tok.value:""},credentials:"same-origin",body:JSON.stringify({lines:lines})})
.then(function(r){return r.ok?r.json():null;}).then(function(t){if(!t||my!==seq)return;
rows().forEach(function(tr,i){var c=tr.querySelector("[data-amount-for]");if(c)c.textContent=t.lines[i]?t.lines[i].amount:"";});
var tb=document.getElementById("t-rates");while(tb.firstChild)tb.removeChild(tb.firstChild);
t.byRate.forEach(function(g){var tr=document.createElement("tr");[g.vatRate,g.amount,g.vatAmount].forEach(function(x,j){var td=document.createElement("td");td.textContent=x;if(j>0)td.className="num";tr.appendChild(td);});tb.appendChild(tr);});
document.getElementById("t-before").textContent=t.totalBeforeVat;document.getElementById("t-vat").textContent=t.totalVat;
document.getElementById("t-payable").textContent=t.totalPayable;document.getElementById("t-words").textContent=t.words;}).catch(function(){});}
function later(){clearTimeout(timer);timer=setTimeout(update,120);}
form.addEventListener("input",later);form.addEventListener("change",later);
document.getElementById("add-line").addEventListener("click",function(){var all=rows();var last=all[all.length-1];var n=all.length;
var copy=last.cloneNode(true);copy.setAttribute("data-row",String(n));
Array.prototype.forEach.call(copy.querySelectorAll("[name]"),function(el){el.name=el.name.replace(/^lines\[\d+\]/,"lines["+n+"]");if(el.tagName==="INPUT")el.value="";el.classList.remove("bad");});
Array.prototype.forEach.call(copy.querySelectorAll(".error"),function(el){el.remove();});
var c=copy.querySelector("[data-amount-for]");c.setAttribute("data-amount-for",String(n));c.textContent="";body.appendChild(copy);});
update();})();`;
