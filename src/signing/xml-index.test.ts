import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { unsignedInvoice } from "../../test/signing/support.ts";
import { canonicalize, parseDom } from "./c14n.ts";
import { canonicalRegion, indexXml, inheritedNamespaces, isClean, pathOf } from "./xml-index.ts";

function cleanOf(xml: string, name: string): boolean {
  const idx = indexXml(xml)!;
  const el = idx.elements.find((e) => e.name === name)!;
  return isClean(idx, el.start, el.end);
}

describe("indexXml", () => {
  it("indexes elements with offsets, parents, paths and Ids", () => {
    const xml = '<?xml version="1.0"?><a><b Id="x">t</b><c/></a>';
    const idx = indexXml(xml)!;
    expect(idx.elements.map((e) => [e.name, xml.slice(e.start, e.end), e.parent])).toEqual([
      ["a", '<a><b Id="x">t</b><c/></a>', -1],
      ["b", '<b Id="x">t</b>', 0],
      ["c", "<c/>", 0],
    ]);
    expect(idx.ids.get("x")).toBe(1);
    expect(pathOf(idx, 2)).toBe("/a/c");
  });

  it("records Ids that occur twice", () => {
    expect(indexXml('<a><b Id="x"></b><c Id="x"></c></a>')!.duplicateIds).toEqual(new Set(["x"]));
  });

  it("marks what is not canonical as written", () => {
    expect(cleanOf("<r><a><b>x &amp; &lt; &gt; &#xD;</b></a></r>", "a")).toBe(true);
    expect(cleanOf('<r><a x="1" y="&quot;&#x9;"></a></r>', "a")).toBe(true);
    for (const dirty of [
      "<r><a><b/></a></r>",
      "<r><a>x > y</a></r>",
      "<r><a>x\r\ny</a></r>",
      "<r><a>&#65;</a></r>",
      "<r><a>&quot;</a></r>",
      "<r><a><!--c--></a></r>",
      "<r><a><?p?></a></r>",
      "<r><a><![CDATA[x]]></a></r>",
      "<r><a y='1'></a></r>",
      '<r><a y="1" x="2"></a></r>',
      '<r><a  x="1"></a></r>',
      '<r><a x = "1"></a></r>',
      "<r><a ></a></r>",
      "<r><a></a ></r>",
      '<r><a x="a\tb"></a></r>',
      '<r><a xmlns="urn:x"></a></r>',
      '<r xmlns:p="urn:p"><a><p:b></p:b></a></r>',
    ]) {
      expect(cleanOf(dirty, "a"), dirty).toBe(false);
    }
  });

  it("refuses what it does not model or what is malformed", () => {
    for (const bad of [
      "<!DOCTYPE a><a></a>",
      "<a><b></a>",
      "<a></a><b></b>",
      "<a>&nbsp;</a>",
      "<a>&#0;</a>",
      "<a>\u0001</a>",
      '<a x="1" x="2"></a>',
      '<a x="<"></a>',
      "<p:a></p:a>",
      "<a>]]></a>",
      "text<a></a>",
      "<a><!-- a -- b --></a>",
    ]) {
      expect(indexXml(bad), bad).toBeUndefined();
    }
  });

  it("gives the namespace declarations an element inherits, canonical-rendered", () => {
    const xml = '<a xmlns:z="urn:z" xmlns="urn:d"><b xmlns:y="urn:y"><c></c></b></a>';
    const idx = indexXml(xml)!;
    expect(inheritedNamespaces(idx, 2)).toBe(' xmlns="urn:d" xmlns:y="urn:y" xmlns:z="urn:z"');
    expect(inheritedNamespaces(indexXml('<a xml:lang="vi"><b></b></a>')!, 1)).toBeUndefined();
  });
});

describe("canonicalRegion", () => {
  it("finds hddt's DLHDon and checks it is canonical without indexing it", () => {
    const xml = unsignedInvoice();
    const r = canonicalRegion(xml, "DLHDon-C25TAC-00001144")!;
    expect(xml.slice(r.start, r.end)).toBe(
      canonicalize(parseDom(xml).getElementsByTagName("DLHDon").item(0)!),
    );
    expect(xml.slice(r.closeStart, r.end)).toBe("</DLHDon>");
  });

  it("declines anything it cannot vouch for", () => {
    const xml = unsignedInvoice();
    const id = "DLHDon-C25TAC-00001144";
    for (const [what, changed] of [
      ["empty-element tag", xml.replace("<DVTTe>VND</DVTTe>", "<DVTTe/>")],
      ["character reference", xml.replace("<DVTTe>VND</DVTTe>", "<DVTTe>&#86;ND</DVTTe>")],
      ["'>' in text", xml.replace("<DVTTe>VND</DVTTe>", "<DVTTe>V>D</DVTTe>")],
      ["CR", xml.replace("<DVTTe>VND</DVTTe>", "<DVTTe>V\rD</DVTTe>")],
      ["comment", xml.replace("<DVTTe>", "<!--x--><DVTTe>")],
      ["namespace", xml.replace("<DVTTe>", '<DVTTe xmlns="urn:x">')],
      ["another Id inside", xml.replace("<DVTTe>", '<DVTTe Id="y">')],
      ["nested element of the same name", xml.replace("<DVTTe>", "<DLHDon></DLHDon><DVTTe>")],
      ["control character", xml.replace("<DVTTe>VND", "<DVTTe>V\u0002ND")],
      ["whitespace after the start tag", xml.replace(`<DLHDon Id="${id}">`, `<DLHDon Id="${id}"> `)],
    ] as const) {
      expect(canonicalRegion(changed, id), what).toBeUndefined();
    }
    expect(canonicalRegion(xml, "nothing")).toBeUndefined();
  });

  it("never vouches for a region whose text is not its canonical form", () => {
    const pieces = [
      "<x>",
      "</x>",
      "a",
      "&amp;",
      "&lt;",
      "&gt;",
      "&#xD;",
      "&quot;",
      "'",
      '"',
      ">",
      "\r",
      "\n",
      " ",
      "<y/>",
      "<!--c-->",
      "é",
    ];
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...pieces), { maxLength: 12 }), (parts) => {
        const xml = `<r><D Id="k"><x>${parts.join("")}</x></D></r>`;
        const region = canonicalRegion(xml, "k");
        let dom: ReturnType<typeof parseDom> | undefined;
        try {
          dom = parseDom(xml);
        } catch {
          dom = undefined;
        }
        if (region && dom) {
          expect(xml.slice(region.start, region.end)).toBe(
            canonicalize(dom.getElementsByTagName("D").item(0)!),
          );
        }
      }),
      { numRuns: 400 },
    );
  });
});
