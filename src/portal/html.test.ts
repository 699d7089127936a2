import { describe, expect, it } from "vitest";
import { escapeHtml, html, jsonForScript, raw } from "./html.ts";

describe("html escaping", () => {
  it("escapes the five characters that matter in content and quoted attributes", () => {
    expect(escapeHtml(`<a href="x" title='y'>&</a>`)).toBe(
      "&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;&lt;/a&gt;",
    );
  });

  it("escapes every interpolated value, nested arrays included, but not markup made by the tag", () => {
    const name = "<script>alert(1)</script>";
    const out = html`<td title="${name}">${name}</td>${[name, [name]]}${html`<b>${name}</b>`}`;
    expect(out.text).not.toContain("<script>");
    expect(out.text).toBe(
      '<td title="&lt;script&gt;alert(1)&lt;/script&gt;">&lt;script&gt;alert(1)&lt;/script&gt;</td>' +
        "&lt;script&gt;alert(1)&lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt;<b>&lt;script&gt;alert(1)&lt;/script&gt;</b>",
    );
    expect(html`${null}${undefined}${false}${0}`.text).toBe("0");
    expect(html`${raw("<i>")}`.text).toBe("<i>");
  });

  it("keeps JSON inside a script from closing it", () => {
    expect(jsonForScript({ a: "</script><script>x" }).text).toBe(
      '{"a":"\\u003c/script\\u003e\\u003cscript\\u003ex"}',
    );
  });
});
