import { execFileSync } from "node:child_process";
import { readdirSync } from "node:fs";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { FIXTURES, fixture } from "../../test/signing/support.ts";
import { canonicalize, parseDom, XmlParseError } from "./c14n.ts";

function first(xml: string, name: string) {
  return parseDom(xml).getElementsByTagName(name).item(0)!;
}

/** libxml2's canonicalisation of a whole document (an independent implementation; it keeps comments). */
function xmllint(xml: string, mode: "--c14n" | "--exc-c14n" | "--c14n11" = "--c14n"): string {
  return execFileSync("xmllint", [mode, "-"], { input: xml, encoding: "utf8" });
}

describe("inclusive C14N 1.0 of a subtree", () => {
  it("puts the namespace declarations in scope on the apex, sorted, default first", () => {
    const xml = '<a xmlns:z="urn:z" xmlns="urn:d" xmlns:b="urn:b"><c x="1"><d/></c></a>';
    expect(canonicalize(first(xml, "c"))).toBe(
      '<c xmlns="urn:d" xmlns:b="urn:b" xmlns:z="urn:z" x="1"><d></d></c>',
    );
  });

  it('renders xmlns="" only where it undoes a rendered default namespace', () => {
    const xml = '<a xmlns="urn:d"><b xmlns=""><c xmlns=""></c></b></a>';
    expect(canonicalize(first(xml, "a"))).toBe('<a xmlns="urn:d"><b xmlns=""><c></c></b></a>');
    expect(canonicalize(first(xml, "b"))).toBe("<b><c></c></b>");
  });

  it("drops redundant declarations below the apex", () => {
    const xml = '<a xmlns:p="urn:p"><p:b xmlns:p="urn:p"><p:c xmlns:p="urn:other"></p:c></p:b></a>';
    expect(canonicalize(first(xml, "a"))).toBe(
      '<a xmlns:p="urn:p"><p:b><p:c xmlns:p="urn:other"></p:c></p:b></a>',
    );
  });

  it("sorts attributes by namespace URI, then local name, unqualified first", () => {
    const xml = '<a xmlns:y="urn:a" xmlns:x="urn:b" x:z="1" b="2" y:a="3" a="4"></a>';
    expect(canonicalize(first(xml, "a"))).toBe(
      '<a xmlns:x="urn:b" xmlns:y="urn:a" a="4" b="2" y:a="3" x:z="1"></a>',
    );
  });

  it("copies the xml:* attributes the apex inherits", () => {
    const xml = '<a xml:lang="vi" xml:space="preserve"><b xml:lang="en"><c></c></b></a>';
    expect(canonicalize(first(xml, "b"))).toBe('<b xml:lang="en" xml:space="preserve"><c></c></b>');
  });

  it("escapes text and attribute values as C14N requires, and normalises line ends", () => {
    const xml = '<a t="&lt;&amp;&gt;&quot;&#9;&#10;&#13;\'">x &lt; y &amp;&amp; z &gt; "w"\r\n&#13;</a>';
    expect(canonicalize(first(xml, "a"))).toBe(
      '<a t="&lt;&amp;>&quot;&#x9;&#xA;&#xD;\'">x &lt; y &amp;&amp; z &gt; "w"\n&#xD;</a>',
    );
  });

  it("writes CDATA as text, keeps processing instructions, and comments only when asked", () => {
    const xml = "<a><![CDATA[<b>&]]><!--c--><?p d?></a>";
    expect(canonicalize(first(xml, "a"))).toBe("<a>&lt;b&gt;&amp;<?p d?></a>");
    expect(canonicalize(first(xml, "a"), { comments: true })).toBe("<a>&lt;b&gt;&amp;<!--c--><?p d?></a>");
  });

  it("leaves out an excluded subtree (the enveloped signature)", () => {
    const doc = parseDom("<a><b>1</b><s><x></x></s><c>2</c></a>");
    const s = doc.getElementsByTagName("s").item(0)!;
    expect(canonicalize(doc.documentElement!, { exclude: s })).toBe("<a><b>1</b><c>2</c></a>");
  });
});

describe("exclusive C14N", () => {
  it("renders only the namespaces used, plus the inclusive prefix list", () => {
    const xml = '<a xmlns:u="urn:u" xmlns:v="urn:v" xmlns="urn:d"><u:b v:x="1"><c></c></u:b></a>';
    const b = first(xml, "u:b");
    expect(canonicalize(b, { exclusive: true })).toBe(
      '<u:b xmlns:u="urn:u" xmlns:v="urn:v" v:x="1"><c xmlns="urn:d"></c></u:b>',
    );
    expect(canonicalize(b, { exclusive: true, inclusivePrefixes: ["#default"] })).toBe(
      '<u:b xmlns="urn:d" xmlns:u="urn:u" xmlns:v="urn:v" v:x="1"><c></c></u:b>',
    );
  });
});

describe("agreement with libxml2 (xmllint) on whole documents", () => {
  const files = readdirSync(FIXTURES).filter((f) => f.endsWith(".xml"));

  it.each(files)("%s, inclusive and exclusive", (file) => {
    const xml = fixture(file);
    const doc = parseDom(xml);
    expect(canonicalize(doc, { comments: true })).toBe(xmllint(xml));
    expect(canonicalize(doc, { exclusive: true, comments: true })).toBe(xmllint(xml, "--exc-c14n"));
  });

  const text = fc.string({ unit: fc.constantFrom(..."aăb <>&\"'\t\r\nZ9"), maxLength: 8 });
  const name = fc.constantFrom("a", "b", "c", "p:d", "q:e");
  const attrs = fc.uniqueArray(fc.tuple(fc.constantFrom("x", "y", "p:z", "q:w"), text), {
    maxLength: 3,
    selector: (a) => a[0],
  });
  const element: fc.Memo<string> = fc.memo((depth) =>
    fc
      .tuple(
        name,
        attrs,
        depth > 1
          ? fc.array(fc.oneof(text.map(escapeXml), element(depth - 1)), { maxLength: 3 })
          : fc.constant([]),
      )
      .map(
        ([n, as, kids]) =>
          `<${n}${as.map(([k, v]) => ` ${k}="${escapeXml(v)}"`).join("")}>${kids.join("")}</${n}>`,
      ),
  );

  it("random documents with namespaces, attributes and hostile text", () => {
    fc.assert(
      fc.property(element(4), fc.boolean(), (body, comment) => {
        const xml = `<r xmlns:p="urn:p" xmlns:q="urn:q" xmlns="urn:d">${comment ? "<!--x-->" : ""}${body}</r>`;
        expect(canonicalize(parseDom(xml), { comments: true })).toBe(xmllint(xml));
      }),
      { numRuns: 60 },
    );
  });
});

function escapeXml(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/"/g, "&quot;");
}

describe("parsing", () => {
  it("refuses a DOCTYPE and malformed documents", () => {
    expect(() => parseDom('<!DOCTYPE a [<!ENTITY e "x">]><a>&e;</a>')).toThrow(XmlParseError);
    expect(() => parseDom("<a><b></a>")).toThrow(XmlParseError);
    expect(() => parseDom("<a>&nbsp;</a>")).toThrow(XmlParseError);
  });

  it("keeps Unicode line separators (XML 1.0 line ends are CR and CR LF only)", () => {
    expect(canonicalize(parseDom("<a>x\u2028y\u0085z</a>"))).toBe("<a>x\u2028y\u0085z</a>");
  });
});
