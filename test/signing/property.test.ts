/**
 * Property tests of verification:
 * - any single change of the signed content (one character of any element, an element added or removed, the
 *   signing time) makes the signature invalid, in the fast path and in the full path;
 * - the fast path never accepts what the full path rejects: for arbitrary edits anywhere in a signed document
 *   (including namespace declarations, comments, CDATA, references, line ends), whenever the fast path gives
 *   only valid reports, the full path gives the same reports.
 */
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { signAs } from "../../src/signing/profiles.ts";
import { TrustStore } from "../../src/signing/trust.ts";
import { verifyDocument, verifyFast, verifyFull } from "../../src/signing/verify.ts";
import { indexXml } from "../../src/signing/xml-index.ts";
import { testPki, unsignedInvoice } from "./support.ts";

let signed: string;
let trust: TrustStore;
/** Element spans inside DLHDon (excluding DLHDon itself): [start, openEnd, closeStart, end]. */
let spans: Array<[number, number, number, number]>;
let dl: { start: number; end: number };

beforeAll(async () => {
  const pki = await testPki();
  trust = new TrustStore().addRoot(pki.ca.certificate);
  const seller = await signAs(
    unsignedInvoice({ lines: 4, mccqtId: "Id-MCCQT-P" }),
    pki.sellerSigner,
    "seller",
  );
  if (!seller.ok) throw new Error("sign");
  const both = await signAs(seller.value.xml, pki.authoritySigner, "authority");
  if (!both.ok) throw new Error("sign");
  signed = both.value.xml;
  const idx = indexXml(signed)!;
  const dlIndex = idx.ids.get("DLHDon-C25TAC-00001144")!;
  dl = idx.elements[dlIndex]!;
  spans = idx.elements
    .filter((e) => e.start > dl.start && e.end <= dl.end)
    .map((e) => [e.start, e.openEnd, e.closeStart, e.end]);
});

const ALPHABET = [..."aăâbcdđeêghiklmnoôơpqrstuưvxyAĂĐÊÔƠƯZ0123456789 .,-/()%"];

function allInvalid(xml: string): boolean {
  const full = verifyFull(xml, { trust });
  const combined = verifyDocument(xml, { trust });
  return full.some((r) => !r.valid) && combined.some((r) => !r.valid);
}

describe("any single change of the signed content breaks the signature", () => {
  it("one character of an element's text replaced", () => {
    fc.assert(
      fc.property(fc.nat(), fc.nat(), fc.constantFrom(...ALPHABET), (which, at, ch) => {
        const withText = spans.filter(([, open, close]) => {
          const text = signed.slice(open, close);
          return close > open && !text.includes("<") && !text.includes("&");
        });
        const [, open, close] = withText[which % withText.length]!;
        const pos = open + (at % (close - open));
        fc.pre(signed[pos] !== ch);
        const changed = signed.slice(0, pos) + ch + signed.slice(pos + 1);
        const [seller, cqt] = verifyDocument(changed, { trust });
        expect(seller!.problems.map((p) => p.code)).toContain("SIG_DIGEST_MISMATCH");
        expect(cqt!.valid).toBe(false);
        expect(allInvalid(changed)).toBe(true);
      }),
      { numRuns: 150 },
    );
  });

  it("one character added to any element, even an empty one", () => {
    fc.assert(
      fc.property(fc.nat(), fc.constantFrom(...ALPHABET), (which, ch) => {
        const [, open] = spans[which % spans.length]!;
        const changed = signed.slice(0, open) + ch + signed.slice(open);
        expect(allInvalid(changed)).toBe(true);
      }),
      { numRuns: 150 },
    );
  });

  it("an element added", () => {
    fc.assert(
      fc.property(fc.nat(), fc.boolean(), (which, inside) => {
        const [start, open] = spans[which % spans.length]!;
        const at = inside ? open : start;
        const changed = `${signed.slice(0, at)}<GhiChu>thêm</GhiChu>${signed.slice(at)}`;
        expect(allInvalid(changed)).toBe(true);
      }),
      { numRuns: 100 },
    );
  });

  it("an element removed", () => {
    fc.assert(
      fc.property(fc.nat(), (which) => {
        const [start, , , end] = spans[which % spans.length]!;
        const changed = signed.slice(0, start) + signed.slice(end);
        expect(allInvalid(changed)).toBe(true);
      }),
      { numRuns: 100 },
    );
  });

  it("a digit of a signing time changed", () => {
    fc.assert(
      fc.property(fc.constantFrom(0, 1), fc.integer({ min: 0, max: 18 }), (sig, at) => {
        let from = -1;
        for (let k = 0; k <= sig; k++) from = signed.indexOf("<SigningTime>", from + 1);
        const pos = from + 13 + at;
        const c = signed[pos]!;
        fc.pre(/\d/.test(c));
        const changed = signed.slice(0, pos) + String((Number(c) + 1) % 10) + signed.slice(pos + 1);
        const reports = verifyDocument(changed, { trust });
        expect(reports[sig]!.valid).toBe(false);
      }),
      { numRuns: 60 },
    );
  });
});

// Edits that probe the fast path's model: markup, namespaces, references, line ends, comments, CDATA.
const EDITS = [
  ..."<>&\"'=/ \t\r\n:;#",
  ' xmlns="urn:x"',
  ' xmlns:p="urn:p"',
  ' xml:lang="vi"',
  ' a="1"',
  ' Id="DLHDon-C25TAC-00001144"',
  "<!--c-->",
  "<?pi x?>",
  "<![CDATA[x]]>",
  "&amp;",
  "&#65;",
  "&#xD;",
  "&gt;",
  "<x/>",
  "<p:x></p:x>",
  "\uFFFE",
  "\u0001",
];

describe("the fast path never accepts what the full path rejects", () => {
  it("for arbitrary edits anywhere in a signed document", () => {
    fc.assert(
      fc.property(
        fc.nat(),
        fc.oneof(
          fc.record({ kind: fc.constant("insert" as const), text: fc.constantFrom(...EDITS) }),
          fc.record({ kind: fc.constant("delete" as const), length: fc.integer({ min: 1, max: 3 }) }),
          fc.record({ kind: fc.constant("replace" as const), text: fc.constantFrom(...EDITS) }),
        ),
        (at, edit) => {
          const pos = at % signed.length;
          const changed =
            edit.kind === "insert"
              ? signed.slice(0, pos) + edit.text + signed.slice(pos)
              : edit.kind === "delete"
                ? signed.slice(0, pos) + signed.slice(pos + edit.length)
                : signed.slice(0, pos) + edit.text + signed.slice(pos + 1);
          const fast = verifyFast(changed, { trust });
          const full = verifyFull(changed, { trust });
          if (fast?.every((r) => r.valid)) expect(full).toEqual(fast);
          expect(verifyDocument(changed, { trust })).toEqual(full);
        },
      ),
      { numRuns: 600 },
    );
  });

  it("accepts the unchanged document through the fast path", () => {
    const fast = verifyFast(signed, { trust });
    expect(fast?.map((r) => r.valid)).toEqual([true, true]);
    expect(fast).toEqual(verifyFull(signed, { trust }));
    expect(dl.end).toBeGreaterThan(dl.start);
  });
});
