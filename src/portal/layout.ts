/** The page frame (head, navigation, language switch) and the small form helpers every page uses. */
import type { Problem } from "../domain/problem.ts";
import { type Html, html, raw } from "./html.ts";
import { type Lang, type MessageKey, problemText, t } from "./i18n.ts";
import type { Session } from "./session.ts";

/** What a page needs to know about its request. */
export interface PageContext {
  readonly lang: Lang;
  readonly session?: Session;
  /** The CSRF token for POST forms on this page (the session's, or the pre-sign-in one). */
  readonly csrf: string;
  /** The current URL (path and query), for the language switch. */
  readonly url: string;
}

/** Problems grouped by the form field (path) they belong to; those of no field shown at the top. */
export class FieldErrors {
  readonly #byPath = new Map<string, Problem[]>();
  readonly #shown = new Set<Problem>();
  readonly all: readonly Problem[];

  constructor(problems: readonly Problem[] = []) {
    this.all = problems;
    for (const p of problems) {
      const list = this.#byPath.get(p.path) ?? [];
      list.push(p);
      this.#byPath.set(p.path, list);
    }
  }

  get any(): boolean {
    return this.all.length > 0;
  }

  /** Problems of a field; marks them shown, so the summary lists only the others. */
  take(path: string): Problem[] {
    const list = this.#byPath.get(path) ?? [];
    for (const p of list) this.#shown.add(p);
    return list;
  }

  /** Problems no field took (call after rendering the fields). */
  rest(): Problem[] {
    return this.all.filter((p) => !this.#shown.has(p));
  }
}

const STYLE = raw(`
*{box-sizing:border-box}body{font-family:system-ui,"DejaVu Sans",sans-serif;margin:0;color:#1d2330;background:#f5f6f8}
header{background:#0b4a8b;color:#fff;padding:.6rem 1rem;display:flex;gap:1rem;align-items:center;flex-wrap:wrap}
header a{color:#fff}header .brand{font-weight:bold;text-decoration:none;margin-right:auto}
nav{background:#e3e9f2;padding:.4rem 1rem;display:flex;gap:1rem;flex-wrap:wrap}
main{padding:1rem;max-width:1200px;margin:0 auto}
table{border-collapse:collapse;width:100%;background:#fff;margin:.5rem 0}
th,td{border:1px solid #ccd3de;padding:.3rem .45rem;text-align:left;vertical-align:top}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}
fieldset{border:1px solid #ccd3de;background:#fff;margin:.7rem 0;padding:.7rem}
label{display:block;margin:.35rem 0}label span.l{display:block;font-size:.85rem;color:#444}
input,select,textarea{font:inherit;padding:.3rem;border:1px solid #98a4b5;border-radius:3px;max-width:100%}
input.bad,select.bad{border-color:#b00020;background:#fff3f4}
.error{color:#b00020;margin:.15rem 0;font-size:.9rem}.error code{font-weight:bold}
.box{padding:.6rem .8rem;border-radius:4px;margin:.6rem 0}
.box.bad{background:#fdecee;border:1px solid #e7a3ab}.box.good{background:#e8f6ec;border:1px solid #8fcaa0}
.box.warn{background:#fff7e0;border:1px solid #e5c76b}
button{font:inherit;padding:.35rem .8rem;border-radius:3px;border:1px solid #0b4a8b;background:#0b4a8b;color:#fff;cursor:pointer}
button.plain{background:#fff;color:#0b4a8b}
.row{display:flex;gap:1rem;flex-wrap:wrap;align-items:flex-end}
.lines input{width:100%}.words{font-style:italic}
.state{display:inline-block;padding:0 .4rem;border-radius:3px;background:#e3e9f2}
`);

/** The whole page. */
export function page(ctx: PageContext, title: string, body: Html, nav: Html = navFor(ctx)): Html {
  const lang = ctx.lang;
  const other: Lang = lang === "vi" ? "en" : "vi";
  const u = new URL(ctx.url, "http://portal.invalid");
  u.searchParams.set("lang", other);
  const switchUrl = `${u.pathname}${u.search}`;
  return html`<!doctype html>
<html lang="${lang}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title} · hddt</title><style>${STYLE}</style></head>
<body><header><a class="brand" href="/portal">${t(lang, "appName")}</a>
${ctx.session ? html`<span>${t(lang, "signedInAs", { name: ctx.session.name })}</span>` : ""}
<a id="lang-switch" href="${switchUrl}" hreflang="${other}">${t(lang, "langSwitch")}</a>
${
  ctx.session
    ? html`<form method="post" action="/portal/sign-out" style="margin:0">${csrfField(ctx)}<button class="plain" type="submit">${t(lang, "signOut")}</button></form>`
    : html`<a href="/portal/sign-in">${t(lang, "signIn")}</a>`
}</header>
${nav}
<main><h1>${title}</h1>
${body}</main></body></html>`;
}

function navFor(ctx: PageContext): Html {
  const link = (href: string, key: MessageKey) => html`<a href="${href}">${t(ctx.lang, key)}</a>`;
  const s = ctx.session;
  if (s?.kind === "seller")
    return html`<nav>${link("/portal/seller", "navDashboard")}${link("/portal/seller/invoices", "navInvoices")}${link(
      "/portal/seller/invoices/new",
      "navNewInvoice",
    )}${link("/portal/seller/series", "navSeries")}${link("/portal/seller/corrections", "navCorrections")}${link(
      "/portal/seller/reports",
      "navReports",
    )}${link("/portal/seller/settings", "navSettings")}${link("/portal/lookup", "navLookup")}</nav>`;
  if (s?.kind === "authority")
    return html`<nav>${link("/portal/authority", "navTaxpayers")}${link(
      "/portal/authority/registrations",
      "navRegistrations",
    )}${link(
      "/portal/authority/maintenance",
      "navMaintenance",
    )}${link("/portal/authority/inspector", "navInspector")}${link("/portal/authority/notices", "navNotices")}${link(
      "/portal/lookup",
      "navLookup",
    )}</nav>`;
  return html`<nav>${link("/portal/lookup", "navLookup")}${link("/portal/sign-in", "signIn")}</nav>`;
}

export function csrfField(ctx: PageContext): Html {
  return html`<input type="hidden" name="_csrf" value="${ctx.csrf}">`;
}

/** One problem as shown next to its field: the stable code and the message in the page's language. */
export function problemLine(lang: Lang, p: Problem): Html {
  return html`<p class="error" data-code="${p.code}" data-path="${p.path}"><code>${p.code}</code>: ${problemText(lang, p)}</p>`;
}

/** The box at the top of a form: the problems that belong to no field. */
export function errorSummary(lang: Lang, problems: readonly Problem[]): Html {
  if (problems.length === 0) return html``;
  return html`<div class="box bad" role="alert"><strong>${t(lang, "errorsTitle")}</strong>${problems.map(
    (p) => problemLine(lang, p),
  )}</div>`;
}

export interface FieldOptions {
  readonly type?: string;
  readonly value?: string | undefined;
  readonly required?: boolean;
  readonly attrs?: Html;
  /** A select's options: [value, label]. */
  readonly options?: ReadonlyArray<readonly [string, string]>;
  readonly className?: string;
  /** Problem path of the field when it differs from its name. */
  readonly path?: string;
  /** A multi-line text area instead of an input. */
  readonly textarea?: boolean;
}

/** A labelled input (or select, or text area) with its problems under it. */
export function field(
  lang: Lang,
  label: string,
  name: string,
  errors: FieldErrors,
  o: FieldOptions = {},
): Html {
  const problems = errors.take(o.path ?? name);
  const bad = problems.length > 0 ? " bad" : "";
  const cls = `${o.className ?? ""}${bad}`.trim();
  const control = o.textarea
    ? html`<textarea name="${name}" id="f-${name}" class="${cls}" rows="8" cols="66">${o.value ?? ""}</textarea>`
    : o.options
      ? html`<select name="${name}" id="f-${name}" class="${cls}">${o.options.map(
          ([v, l]) =>
            html`<option value="${v}"${v === (o.value ?? "") ? raw(" selected") : ""}>${l}</option>`,
        )}</select>`
      : html`<input name="${name}" id="f-${name}" class="${cls}" type="${o.type ?? "text"}" value="${o.value ?? ""}"${
          o.required ? raw(" required") : ""
        }${o.attrs ?? ""}>`;
  return html`<label><span class="l">${label}</span>${control}${problems.map((p) => problemLine(lang, p))}</label>`;
}

export function notice(kind: "good" | "bad" | "warn", text: string | Html): Html {
  return html`<div class="box ${kind}" role="status">${text}</div>`;
}
