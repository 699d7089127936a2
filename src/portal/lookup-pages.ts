/**
 * The buyer's lookup, public and without sign-in: by the secret lookup code (the invoice, its signatures
 * checked, the authority's code checked against the authority's records when this installation holds
 * them, XML and PDF downloads), or by the seller's tax code, template, series, number and total (the
 * authority's public record of the coded invoice). Rate-limited per client address, like the API's.
 */
import type { FastifyReply, FastifyRequest } from "fastify";
import { apiCodes } from "../api/codes.ts";
import { TokenBucketLimiter } from "../api/rate-limit.ts";
import { makeProblem, type Problem } from "../domain/problem.ts";
import { portalProblem } from "./codes.ts";
import { readDocument } from "./documents.ts";
import { type Html, html } from "./html.ts";
import { type Lang, t } from "./i18n.ts";
import { parseNumber, showAmount } from "./invoice-form.ts";
import type { PortalKit } from "./kit.ts";
import { errorSummary, FieldErrors, field, notice, page } from "./layout.ts";
import type { PortalRoutes } from "./routes.ts";
import { signatureTable } from "./seller-pages.ts";

const CODE_RE = /^[A-Za-z0-9]{8,32}$/;

export function registerLookupPages(kit: PortalKit, r: PortalRoutes): void {
  const limiter = kit.deps.lookupLimiter ?? new TokenBucketLimiter({ capacity: 20, refillPerSecond: 5 });
  const limited = async (request: FastifyRequest, reply: FastifyReply): Promise<boolean> => {
    const d = await limiter.take(request.ip, kit.clock.now().getTime());
    if (d.allowed) return false;
    reply.header("retry-after", String(Math.max(1, Math.ceil(d.retryAfterMs / 1000))));
    kit.message(request, reply, 429, t(kit.lang(request), "lookupTitle"), [
      makeProblem(apiCodes, "HTTP_RATE_LIMITED", "", {
        seconds: String(Math.max(1, Math.ceil(d.retryAfterMs / 1000))),
      }),
    ]);
    return true;
  };

  r.get("/lookup", async (request, reply) => {
    const q = request.query as Record<string, string | undefined>;
    const ctx = kit.ctx(request, reply);
    const lang = ctx.lang;
    const code = (q.code ?? "").trim();
    const key = {
      sellerTaxCode: (q.seller ?? "").trim(),
      template: (q.template ?? "").trim(),
      series: (q.series ?? "").trim().toUpperCase(),
      number: (q.number ?? "").trim(),
      total: (q.total ?? "").trim(),
    };
    const byKey = Object.values(key).some((v) => v !== "");
    const problems: Problem[] = [];
    let result: Html = html``;
    let status = 200;
    if (code !== "" || byKey) {
      if (await limited(request, reply)) return reply;
    }
    if (code !== "") {
      const found = CODE_RE.test(code) && kit.deps.seller ? await kit.deps.seller.lookup(code) : undefined;
      if (!found?.ok) {
        problems.push(portalProblem("PORTAL_LOOKUP_NOT_FOUND", "code"));
        status = 404;
      } else result = await codeResult(kit, lang, code.toUpperCase(), found.value.xml);
    } else if (byKey) {
      for (const [name, label] of [
        ["sellerTaxCode", "sellerTaxCode"],
        ["template", "template"],
        ["series", "series"],
        ["number", "invoiceNumber"],
        ["total", "invoiceTotal"],
      ] as const)
        if (key[name] === "")
          problems.push(portalProblem("PORTAL_REQUIRED", `key.${name}`, { field: t(lang, label) }));
      if (problems.length > 0) status = 422;
      else if (!kit.deps.authority) {
        problems.push(portalProblem("PORTAL_NOT_AVAILABLE", ""));
        status = 404;
      } else {
        const total = parseNumber(key.total, lang);
        const rec = total
          ? await kit.deps.authority.publicLookup({ ...key, total: total.toPlain() })
          : undefined;
        if (!rec) {
          problems.push(portalProblem("PORTAL_LOOKUP_NOT_FOUND", "key"));
          status = 404;
        } else
          result = html`<div id="lookup-result"><h2>${t(lang, "lookupFound")}</h2>${notice("good", t(lang, "codeValid"))}
<table><tr><th>${t(lang, "sellerTaxCode")}</th><td>${rec.sellerTaxCode}</td></tr>
<tr><th>${t(lang, "colSymbol")}</th><td>${rec.template}${rec.series}</td></tr>
<tr><th>${t(lang, "colNumber")}</th><td>${rec.number}</td></tr>
<tr><th>${t(lang, "colDate")}</th><td>${rec.issueDate}</td></tr>
<tr><th>${t(lang, "totalPayable")}</th><td>${showAmount(rec.total, lang)}</td></tr>
<tr><th>${t(lang, "authorityCode")}</th><td><code>${rec.authorityCode}</code></td></tr>
<tr><th></th><td>${t(lang, "registeredAt", { at: rec.codedAt.toISOString() })}</td></tr></table></div>`;
      }
    }
    const errors = new FieldErrors(problems);
    const body = html`
<h2>${t(lang, "lookupByCode")}</h2>
<form method="get" action="/portal/lookup" class="row" id="lookup-code-form">
${field(lang, t(lang, "lookupCode"), "code", errors, { value: code, attrs: html` size="24" autocomplete="off"` })}
<button type="submit">${t(lang, "search")}</button></form>
<h2>${t(lang, "lookupByKey")}</h2>
<form method="get" action="/portal/lookup" class="row" id="lookup-key-form">
${field(lang, t(lang, "sellerTaxCode"), "seller", errors, { value: key.sellerTaxCode, path: "key.sellerTaxCode" })}
${field(lang, t(lang, "template"), "template", errors, { value: key.template, path: "key.template", attrs: html` size="3"` })}
${field(lang, t(lang, "series"), "series", errors, { value: key.series, path: "key.series", attrs: html` size="8"` })}
${field(lang, t(lang, "invoiceNumber"), "number", errors, { value: key.number, path: "key.number", attrs: html` size="8"` })}
${field(lang, t(lang, "invoiceTotal"), "total", errors, { value: key.total, path: "key.total" })}
<button type="submit">${t(lang, "search")}</button></form>
${errorSummary(lang, errors.rest())}
${result}`;
    return kit.send(reply, page(ctx, t(lang, "lookupTitle"), body), status);
  });

  const download = (kind: "xml" | "pdf") => async (request: FastifyRequest, reply: FastifyReply) => {
    if (await limited(request, reply)) return reply;
    const code = (request.params as { code: string }).code;
    const found = CODE_RE.test(code) && kit.deps.seller ? await kit.deps.seller.lookup(code) : undefined;
    if (!found?.ok) return kit.notFound(request, reply);
    const v = found.value.invoice;
    const name = `${v.taxCode}_${v.template}${v.series}_${v.number ?? ""}`.replace(/[^A-Za-z0-9_-]/g, "_");
    return kit.sendInvoiceFile(request, reply, kind, found.value.xml, v.lookupCode, name);
  };
  r.get("/lookup/:code/xml", download("xml"));
  r.get("/lookup/:code/pdf", download("pdf"));
}

async function codeResult(kit: PortalKit, lang: Lang, code: string, xml: string): Promise<Html> {
  const doc = readDocument(xml, kit.deps.verify, kit.clock.now());
  const inv = doc.invoice;
  let codeCheck: Html = html``;
  if (!doc.authorityCode) codeCheck = notice("good", t(lang, "noCode"));
  else if (!kit.deps.authority || !inv)
    codeCheck = notice(
      "warn",
      html`<span id="code-check" data-valid="unknown">${t(lang, "codeNotChecked")}</span>`,
    );
  else {
    const rec = await kit.deps.authority.publicLookup({
      sellerTaxCode: inv.seller.taxCode ?? "",
      template: inv.header.template,
      series: inv.header.series,
      number: inv.header.number ?? "",
      total: inv.totals.totalPayable?.toPlain() ?? "",
    });
    const valid = rec?.authorityCode === doc.authorityCode;
    codeCheck = notice(
      valid ? "good" : "bad",
      html`<span id="code-check" data-valid="${valid ? "yes" : "no"}">${t(lang, valid ? "codeValid" : "codeInvalid")}</span>`,
    );
  }
  const sig = notice(
    doc.signaturesValid ? "good" : "bad",
    html`<span id="signatures-check" data-valid="${doc.signaturesValid ? "yes" : "no"}">${t(
      lang,
      doc.signaturesValid ? "signaturesValid" : "signaturesInvalid",
    )}</span>`,
  );
  const h = inv?.header;
  return html`<div id="lookup-result"><h2>${t(lang, "lookupFound")}</h2>${sig}${codeCheck}
${
  inv && h
    ? html`<table>
<tr><th>${t(lang, "sellerLabel")}</th><td id="seller-name">${inv.seller.name ?? ""} — ${inv.seller.taxCode ?? ""}</td></tr>
<tr><th>${t(lang, "buyerSection")}</th><td id="buyer-name">${inv.buyer.name ?? inv.buyer.contactName ?? ""}${
        inv.buyer.taxCode ? ` — ${inv.buyer.taxCode}` : ""
      }</td></tr>
<tr><th>${t(lang, "colSymbol")}</th><td>${h.template}${h.series}</td></tr>
<tr><th>${t(lang, "colNumber")}</th><td id="invoice-number">${h.number ?? ""}</td></tr>
<tr><th>${t(lang, "colDate")}</th><td>${h.issueDate}</td></tr>
<tr><th>${t(lang, "totalPayable")}</th><td id="invoice-total">${showAmount(inv.totals.totalPayable?.toPlain(), lang)}</td></tr>
<tr><th>${t(lang, "inWords")}</th><td>${inv.totals.totalPayableInWords ?? ""}</td></tr>
${doc.authorityCode ? html`<tr><th>${t(lang, "authorityCode")}</th><td><code>${doc.authorityCode}</code></td></tr>` : ""}
</table>
<table><tr><th>${t(lang, "itemName")}</th><th>${t(lang, "unit")}</th><th class="num">${t(lang, "quantity")}</th><th class="num">${t(
        lang,
        "unitPrice",
      )}</th><th class="num">${t(lang, "amount")}</th><th>${t(lang, "vatRate")}</th></tr>
${inv.lines.map(
  (l) =>
    html`<tr><td>${l.itemName}</td><td>${l.unit ?? ""}</td><td class="num">${showAmount(l.quantity?.toPlain(), lang)}</td><td class="num">${showAmount(
      l.unitPrice?.toPlain(),
      lang,
    )}</td><td class="num">${showAmount(l.amount?.toPlain(), lang)}</td><td>${l.vatRate ?? ""}</td></tr>`,
)}</table>`
    : ""
}
${signatureTable(lang, doc)}
<h2>${t(lang, "downloads")}</h2><p><a id="download-xml" href="/portal/lookup/${code}/xml">${t(lang, "downloadXml")}</a> · <a id="download-pdf" href="/portal/lookup/${code}/pdf">${t(
    lang,
    "downloadPdf",
  )}</a></p></div>`;
}
