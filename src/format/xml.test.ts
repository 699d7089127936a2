import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { attr, child, childText, parseXml, XmlWriteError, XmlWriter } from "./xml.ts";

function codeOf(input: string | Uint8Array, limits = {}): string | undefined {
  const r = parseXml(input, limits);
  return r.ok ? undefined : r.problems[0]?.code;
}

describe("parseXml", () => {
  it("reads elements, attributes, text and keeps byte-exact offsets", () => {
    const src = `<?xml version="1.0"?><HDon><DLHDon Id="a&amp;b"><Ten>A &lt; B &#x1EA0;</Ten><X/></DLHDon></HDon>`;
    const r = parseXml(src);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    const dl = child(r.value.root, "DLHDon")!;
    expect(attr(dl, "Id")).toBe("a&b");
    expect(childText(dl, "Ten")).toBe("A < B Ạ");
    expect(r.value.source.slice(dl.start, dl.end)).toBe(
      `<DLHDon Id="a&amp;b"><Ten>A &lt; B &#x1EA0;</Ten><X/></DLHDon>`,
    );
  });

  it("keeps processing instructions before the root and skips comments", () => {
    const r = parseXml(`<?xml-stylesheet type="text/xsl" href="a.xsl"?><!-- c --><a><!-- d -->x</a>`);
    expect(r.ok && r.value.instructions).toEqual([`xml-stylesheet type="text/xsl" href="a.xsl"`]);
    expect(r.ok && r.value.root.text).toBe("x");
  });

  it("reads CDATA as text", () => {
    const r = parseXml("<a><![CDATA[<b>&]]></a>");
    expect(r.ok && r.value.root.text).toBe("<b>&");
  });

  it("refuses a DOCTYPE (no entity expansion, no external fetch)", () => {
    expect(codeOf(`<!DOCTYPE a [<!ENTITY x SYSTEM "file:///etc/passwd">]><a>&x;</a>`)).toBe("XML_DOCTYPE");
  });

  it("refuses entities other than the predefined five", () => {
    expect(codeOf("<a>&nbsp;</a>")).toBe("XML_ENTITY");
  });

  it("refuses a document over the size limit", () => {
    expect(codeOf(`<a>${"x".repeat(100)}</a>`, { maxBytes: 50 })).toBe("XML_TOO_LARGE");
    expect(codeOf(new Uint8Array(60), { maxBytes: 50 })).toBe("XML_TOO_LARGE");
  });

  it("counts the size in UTF-8 bytes, not characters", () => {
    expect(codeOf(`<a>${"ạ".repeat(20)}</a>`, { maxBytes: 50 })).toBe("XML_TOO_LARGE");
  });

  it("refuses invalid UTF-8 bytes", () => {
    expect(codeOf(new Uint8Array([0x3c, 0x61, 0x3e, 0xc3, 0x28, 0x3c, 0x2f, 0x61, 0x3e]))).toBe(
      "XML_BAD_UTF8",
    );
  });

  it("refuses nesting deeper than the limit without recursion", () => {
    const deep = `${"<a>".repeat(100_000)}${"</a>".repeat(100_000)}`;
    expect(codeOf(deep)).toBe("XML_TOO_DEEP");
    expect(codeOf("<a><a><a></a></a></a>", { maxDepth: 2 })).toBe("XML_TOO_DEEP");
  });

  it("refuses control characters", () => {
    expect(codeOf("<a>\u0001</a>")).toBe("XML_BAD_CHAR");
    expect(codeOf("<a>&#1;</a>")).toBe("XML_MALFORMED");
  });

  it.each([
    ["<a><b></a>", "XML_MALFORMED"],
    ["<a>", "XML_MALFORMED"],
    ["<a x=1></a>", "XML_MALFORMED"],
    ['<a x="1" x="2"></a>', "XML_MALFORMED"],
    ["<a></a><b></b>", "XML_MALFORMED"],
    ["text", "XML_MALFORMED"],
    ["", "XML_EMPTY"],
    ["<a>&amp</a>", "XML_MALFORMED"],
  ])("refuses malformed input %j with %s", (input, code) => {
    expect(codeOf(input)).toBe(code);
  });

  it("never throws on arbitrary input", () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 200 }), (s) => {
        parseXml(s);
        parseXml(`<a>${s}</a>`);
      }),
      { numRuns: 2000 },
    );
  });
});

describe("XmlWriter", () => {
  it("writes canonical form: sorted attributes, start-end pairs, C14N escaping, CR as LF", () => {
    const w = new XmlWriter();
    w.start("A", { z: "1", Id: 'x"<&' }).leaf("B", "a<b>&\r").leaf("C", "").leaf("D", undefined).end();
    expect(w.toString()).toBe(`<A Id="x&quot;&lt;&amp;" z="1"><B>a&lt;b&gt;&amp;\n</B><C></C></A>`);
  });

  it("writes text in NFC", () => {
    const nfd = "Hóa đơn".normalize("NFD");
    expect(new XmlWriter().leaf("T", nfd).toString()).toBe("<T>Hóa đơn</T>".normalize("NFC"));
  });

  it("refuses characters XML cannot carry", () => {
    expect(() => new XmlWriter().leaf("T", "a\u0002")).toThrow(XmlWriteError);
  });

  it("round-trips any text through write and read", () => {
    const xmlChar = fc
      .string({ unit: "grapheme", maxLength: 60 })
      .map((s) => s.replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF\r]/g, ""));
    fc.assert(
      fc.property(xmlChar, xmlChar, (text, value) => {
        const xml = new XmlWriter().start("A", { v: value }).leaf("B", text).end().toString();
        const r = parseXml(xml);
        expect(r.ok).toBe(true);
        if (!r.ok) return;
        expect(child(r.value.root, "B")!.text).toBe(text.normalize("NFC"));
        expect(attr(r.value.root, "v")).toBe(value.normalize("NFC"));
      }),
    );
  });
});
