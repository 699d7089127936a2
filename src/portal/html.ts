/**
 * HTML out of TypeScript with escaping by default: `html\`<p>${name}</p>\`` escapes every interpolated
 * value unless it is itself `Html` (made by `html` or, for text known to be markup, `raw`). Pages are
 * built only with this tag, so a buyer named `<script>` is printed as text, never run.
 */

/** Markup that is already safe to print. */
export class Html {
  constructor(readonly text: string) {}
  toString(): string {
    return this.text;
  }
}

const ESCAPES: Record<string, string> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
  "'": "&#39;",
};

/** Escapes text for an element's content or a quoted attribute value. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c]!);
}

type Part = Html | string | number | bigint | boolean | null | undefined | readonly Part[];

function render(value: Part): string {
  if (value === null || value === undefined || value === false || value === true) return "";
  if (value instanceof Html) return value.text;
  if (Array.isArray(value)) return value.map(render).join("");
  return escapeHtml(String(value));
}

/** The tag: literal parts kept, interpolations escaped (arrays joined, null/undefined/booleans empty). */
export function html(strings: TemplateStringsArray, ...values: readonly Part[]): Html {
  let out = strings[0]!;
  for (let i = 0; i < values.length; i++) out += render(values[i]!) + strings[i + 1]!;
  return new Html(out);
}

/** Trusted markup (constants of this module's callers only; never user input). */
export function raw(text: string): Html {
  return new Html(text);
}

/** Text safe inside an inline <script> as a JSON value (no `</script>` can close it). */
export function jsonForScript(value: unknown): Html {
  return new Html(
    JSON.stringify(value).replace(/</g, "\\u003c").replace(/>/g, "\\u003e").replace(/&/g, "\\u0026"),
  );
}
