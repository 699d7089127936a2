/**
 * Bad input (issue 8): generated inputs (fast-check) and mutations of real material (the real fixtures,
 * and messages and invoices this installation made and signed itself) against every endpoint that takes a
 * body: every seller route with a JSON body (enumerated from the app's routes), the authority's message
 * receiver, the T-VAN's receivers (from sellers and from the authority), the seller's inbound endpoint,
 * and the buyer's lookup. Classes: XXE and other entities, billion laughs, deep nesting, oversized bodies,
 * invalid UTF-8, wrong types, prototype keys, broken and forged signatures, wrong tax codes, truncations.
 *
 * Each answer must be a 4xx whose body carries an error code, or (for the message receivers, which answer
 * a message with a receipt) a 200 with a 999 that refuses it; never a 5xx, never later than the
 * per-request limit. After every refused request, the row count of every table of the three parts'
 * schemas is what it was before (no partial write). A forged or broken signature never gets an
 * authority code. Memory stays bounded: the live JS heap after a full collection grows less than 128 MB
 * over the run (it stays flat: no leak), the resident set less than 768 MB (freed native memory of large
 * bodies is not all given back to the system).
 *
 * Sizes: HDDT_FUZZ_RUNS inputs (short form 1,000; full form, HDDT_STRESS=1, 10,000), and a tenth as many
 * broken workbooks; HDDT_FUZZ_SEED repeats a run.
 */
import { readdirSync, readFileSync } from "node:fs";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import fc from "fast-check";
import type { LightMyRequestResponse } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ApiKeys } from "../../src/api/auth.ts";
import { buildServer, type HttpApp, XLSX_MEDIA_TYPE } from "../../src/api/server.ts";
import { importAll } from "../../src/excel/import.ts";
import { writeImportTemplate } from "../../src/excel/template.ts";
import { writeMessage } from "../../src/format/envelope.ts";
import type { MessageTypeCode } from "../../src/format/messages.ts";
import { registerTvanRoutes } from "../../src/transmission/http.ts";
import {
  ADMIN_KEY,
  invoiceInput,
  openSellerKit,
  SELLER_A,
  type SellerKit,
  seriesOf,
} from "../seller/support.ts";
import { figure, PG_URL, routesOf, rowCounts, size, within } from "./stress-support.ts";

const RUNS = size("HDDT_FUZZ_RUNS", 1000, 10_000);
/** Per request: an answer later than this is a hang. */
const REQUEST_MS = 20_000;
/** Growth of the resident set over the run, measured after a full garbage collection, in bytes. */
const RSS_BOUND = 768 * 1024 * 1024;
/** Growth of the live JS heap (after a full collection) over the run: what a leak would show. */
const HEAP_BOUND = 128 * 1024 * 1024;

/** A full garbage collection (vitest's workers do not expose `gc`; the flag can be set at run time). */
const collect: () => void = (() => {
  setFlagsFromString("--expose-gc");
  return runInNewContext("gc") as () => void;
})();
const SEED = Number(process.env.HDDT_FUZZ_SEED ?? Date.now() % 2 ** 31);
const CLIENT_KEY = "fuzz-client-key-0123456789";
const TVAN_AUTHORITY_KEY = "fuzz-authority-key-0123456789";

const FIXTURES = join(import.meta.dirname, "..", "fixtures", "real");
const realFiles = readdirSync(FIXTURES)
  .filter((f) => f.endsWith(".xml") || f.endsWith(".json"))
  .map((f) => ({ name: f, bytes: readFileSync(join(FIXTURES, f)) }));

type Target = "seller-json" | "authority" | "tvan" | "tvan-authority" | "seller-inbound" | "lookup";

interface Attempt {
  readonly target: Target;
  readonly method: "GET" | "POST" | "PUT" | "PATCH" | "DELETE";
  readonly url: string;
  readonly body?: Buffer | string;
  readonly contentType?: string;
  readonly key?: string;
  readonly kind: string;
  /** A forged or broken signature: must never be coded. */
  readonly forged?: boolean;
}

const XXE = (root: string) =>
  `<?xml version="1.0" encoding="UTF-8"?><!DOCTYPE ${root} [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>`;
const LAUGHS =
  '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">' +
  '<!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;"><!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">' +
  '<!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;"><!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">' +
  '<!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;"><!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">' +
  '<!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;"><!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">]>';

/** Mutations of an XML document (as text or bytes); `rnd` picks positions. */
function mutateXml(
  xml: string,
  choice: number,
  rnd: () => number,
): { body: Buffer | string; kind: string; forged?: boolean } {
  const at = () => Math.floor(rnd() * xml.length);
  const body = xml.replace(/^<\?xml[^>]*\?>\s*/, "");
  const root = /^<([A-Za-z_][\w.-]*)/.exec(body)?.[1] ?? "TDiep";
  switch (choice % 22) {
    case 0: {
      const b = Buffer.from(xml, "utf8");
      const i = Math.floor(rnd() * b.length);
      b[i] = (b[i]! ^ (1 << Math.floor(rnd() * 8))) & 0xff;
      return { body: b, kind: "bit flip", forged: true };
    }
    case 1:
      return { body: xml.slice(0, at()), kind: "truncated" };
    case 2: {
      const i = at();
      const j = Math.min(xml.length, i + Math.floor(rnd() * 200));
      return { body: xml.slice(0, i) + xml.slice(j), kind: "range deleted", forged: true };
    }
    case 3: {
      const i = at();
      return {
        body: xml.slice(0, i) + xml.slice(i, i + 300) + xml.slice(i),
        kind: "range doubled",
        forged: true,
      };
    }
    case 4:
      return {
        body: `${XXE(root)}${body.replace(/>([^<]{1,40})</, ">&xxe;<")}`,
        kind: "XXE external entity",
      };
    case 5:
      return { body: `${LAUGHS}${body.replace(/>([^<]{1,40})</, ">&lol9;<")}`, kind: "billion laughs" };
    case 6: {
      const depth = 1000 + Math.floor(rnd() * 200_000);
      const i = body.indexOf(">") + 1;
      return {
        body: `${body.slice(0, i)}${"<a>".repeat(depth)}${"</a>".repeat(depth)}${body.slice(i)}`,
        kind: "deep nesting",
      };
    }
    case 7:
      return { body: `${xml}<!--${"x".repeat(2 * 1024 * 1024)}-->`, kind: "oversized" };
    case 8: {
      const b = Buffer.from(xml, "utf8");
      const i = Math.floor(rnd() * b.length);
      const bad = [
        Buffer.from([0xc3, 0x28]),
        Buffer.from([0xff]),
        Buffer.from([0xed, 0xa0, 0x80]),
        Buffer.from([0xe2, 0x82]),
      ];
      return {
        body: Buffer.concat([b.subarray(0, i), bad[Math.floor(rnd() * bad.length)]!, b.subarray(i)]),
        kind: "invalid UTF-8",
      };
    }
    case 9: {
      // Forged: the signed content changed after signing (a digit of an amount, a name).
      const m = [...xml.matchAll(/>(\d{3,})</g)];
      if (m.length === 0)
        return { body: xml.replace("Công ty", "Cong ty"), kind: "forged content", forged: true };
      const pick = m[Math.floor(rnd() * m.length)]!;
      const digits = pick[1]!;
      const changed = digits.slice(0, -1) + String((Number(digits.at(-1)) + 1) % 10);
      const i = pick.index!;
      return {
        body: `${xml.slice(0, i)}>${changed}<${xml.slice(i + pick[0].length)}`,
        kind: "forged content",
        forged: true,
      };
    }
    case 10: {
      const sv = /<(\w+:)?SignatureValue[^>]*>([^<]+)</.exec(xml);
      if (!sv) return { body: xml.replace(/<\/TDiep>/, "<x/></TDiep>"), kind: "signature broken" };
      const v = sv[2]!;
      const j = Math.floor(rnd() * v.length);
      const broken = v.slice(0, j) + (v[j] === "A" ? "B" : "A") + v.slice(j + 1);
      return { body: xml.replace(v, broken), kind: "signature broken", forged: true };
    }
    case 11:
      return {
        body: xml.replace(/<(\w+:)?Signature[ >][\s\S]*?<\/(\w+:)?Signature>/g, ""),
        kind: "signature removed",
        forged: true,
      };
    case 12: {
      const wrong = [
        "0100109107",
        "01001091",
        "0000000000",
        "abcdefghij",
        "0100109106-999",
        "",
        "' or 1=1 --",
        "9".repeat(200),
      ];
      const w = wrong[Math.floor(rnd() * wrong.length)]!;
      return {
        body: xml.replace(/<(MST|MSTNBan|MNGui)>[^<]*</g, (_m, tag: string) => `<${tag}>${w}<`),
        kind: "wrong tax code",
        forged: true,
      };
    }
    case 13: {
      const texts = [...xml.matchAll(/>([^<]+)</g)];
      if (texts.length === 0) return { body: xml, kind: "text replaced" };
      const pick = texts[Math.floor(rnd() * texts.length)]!;
      const junk = [
        "",
        "-1",
        "1e309",
        "NaN",
        "9".repeat(400),
        "\u0000",
        "&amp;&lt;",
        "<![CDATA[x]]>",
        "日本",
        "\uFFFE",
        "2026-13-45",
        " ",
      ][Math.floor(rnd() * 12)]!;
      const i = pick.index!;
      return {
        body: `${xml.slice(0, i)}>${junk}<${xml.slice(i + pick[0].length)}`,
        kind: "text replaced",
        forged: true,
      };
    }
    case 14:
      return { body: "", kind: "empty" };
    case 15:
      return {
        body: Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(xml, "utf16le")]),
        kind: "UTF-16",
      };
    case 16:
      return {
        body: xml.replace(/^<\?xml[^>]*\?>/, '<?xml version="1.0" encoding="ISO-8859-1"?>'),
        kind: "declared other encoding",
      };
    case 17:
      return {
        body: `<?xml version="1.0"?><!DOCTYPE ${root} SYSTEM "http://127.0.0.1:9/x.dtd">${body}`,
        kind: "external DTD",
      };
    case 18:
      return { body: `${xml}<${root}/>`, kind: "two roots" };
    case 19: {
      const i = body.indexOf(">");
      const attrs = Array.from({ length: 5000 }, (_, k) => ` a${k}="${k}"`).join("");
      return { body: body.slice(0, i) + attrs + body.slice(i), kind: "many attributes" };
    }
    case 20:
      return { body: `<?xml-stylesheet href="file:///etc/passwd"?>${xml}`, kind: "processing instruction" };
    default: {
      const i = at();
      const junk = ["<", ">", "&", "&#0;", "&#x110000;", "]]>", "<!--", "\u0001", "<?", "</", '"'][
        Math.floor(rnd() * 11)
      ]!;
      return { body: xml.slice(0, i) + junk + xml.slice(i), kind: "markup injected", forged: true };
    }
  }
}

/** Sets the value at a random path of a JSON value (or deletes it). */
function mutateJson(value: unknown, replacement: unknown, rnd: () => number): unknown {
  const copy = JSON.parse(JSON.stringify(value)) as unknown;
  let node = copy;
  for (let step = 0; step < 6; step++) {
    if (node === null || typeof node !== "object") break;
    const keys = Object.keys(node);
    if (keys.length === 0) break;
    const k = keys[Math.floor(rnd() * keys.length)]!;
    const child = (node as Record<string, unknown>)[k];
    if (child === null || typeof child !== "object" || rnd() < 0.3) {
      if (replacement === undefined) delete (node as Record<string, unknown>)[k];
      else (node as Record<string, unknown>)[k] = replacement;
      return copy;
    }
    node = child;
  }
  return replacement;
}

function isErrorBody(r: LightMyRequestResponse): boolean {
  try {
    const b = r.json() as { error?: { code?: unknown } };
    return typeof b.error?.code === "string" && /^[A-Z][A-Z0-9_]+$/.test(b.error.code);
  } catch {
    return false;
  }
}

/** A 999 that refuses (TTTNhan 1), or a −1 error reply. */
function refusesInReceipt(r: LightMyRequestResponse): boolean {
  return /<TTTNhan>1<\/TTTNhan>|<MLTDiep>-1<\/MLTDiep>/.test(r.body);
}

describe("bad input: every endpoint with a body, generated and mutated inputs", () => {
  let kit: SellerKit;
  let tvanApp: HttpApp;
  let ownerKey = "";
  let draftId = "";
  let issuedId = "";
  let series = "";
  let validInvoice: Record<string, unknown> = {};
  let sellerMessage = "";
  let authorityMessage = "";
  let signedInvoiceXml = "";
  /** POST/PUT/PATCH seller routes with a JSON body, from the app's own route list. */
  const jsonRoutes: Array<{ method: "POST" | "PUT" | "PATCH"; url: string }> = [];

  const inject = (app: HttpApp, a: Attempt) =>
    app.inject({
      method: a.method,
      url: a.url,
      headers: {
        ...(a.key ? { "x-api-key": a.key } : {}),
        ...(a.contentType ? { "content-type": a.contentType } : {}),
      },
      ...(a.body !== undefined ? { payload: a.body } : {}),
    });

  beforeAll(async () => {
    kit = await openSellerKit(PG_URL ? "postgres" : "embedded");
    series = seriesOf(kit.today());
    const call = async (key: string, method: "POST" | "PUT", url: string, payload: unknown) => {
      const r = await kit.app.inject({
        method,
        url,
        headers: { "x-api-key": key, "content-type": "application/json" },
        payload: JSON.stringify(payload),
      });
      if (r.statusCode >= 300) throw new Error(`${url}: ${r.statusCode} ${r.body}`);
      return r.json() as Record<string, unknown>;
    };
    const org = await call(ADMIN_KEY, "POST", "/seller/organisations", {
      taxCode: SELLER_A,
      name: "Công ty A",
      address: "Số 1 Tràng Tiền, Hà Nội",
      profile: { email: "ketoan@example.vn", phone: "0241234567" },
    });
    ownerKey = (org.apiKey as { key: string }).key;
    await kit.authority.upsertTaxpayer({ taxCode: SELLER_A, name: "Công ty A" });
    await call(ownerKey, "PUT", "/seller/signing-key", { kind: "dev" });
    await call(ownerKey, "POST", "/seller/series", { template: "1", series });
    await call(ownerKey, "POST", "/seller/registration", { withCode: true, withoutCode: false });
    await kit.drain();
    validInvoice = invoiceInput(series) as unknown as Record<string, unknown>;
    issuedId = String((await call(ownerKey, "POST", "/seller/invoices?issue=true", validInvoice)).id);
    draftId = String((await call(ownerKey, "POST", "/seller/invoices", validInvoice)).id);
    // What the seller sent to the T-VAN, and the signed invoice, before the T-VAN took them.
    const sent = await kit.db.pool.query<{ xml: string }>(
      "select xml from seller.message where direction = 'out' and type = 200 order by id limit 1",
    );
    sellerMessage = sent.rows[0]!.xml;
    signedInvoiceXml = (
      await kit.app.inject({
        method: "GET",
        url: `/seller/invoices/${issuedId}/xml?which=signed`,
        headers: { "x-api-key": ownerKey },
      })
    ).body;
    await kit.drain();
    authorityMessage = writeMessage(
      {
        version: "2.1.0",
        sender: kit.tvanParty,
        receiver: "TCT",
        type: 200 as MessageTypeCode,
        messageId: `${kit.tvanParty}${"A".repeat(32)}`.slice(0, 46),
        taxCode: SELLER_A,
        count: 1,
      },
      [signedInvoiceXml],
    );

    tvanApp = await buildServer({ clock: kit.clock });
    registerTvanRoutes(tvanApp, {
      tvan: kit.tvan,
      outbox: kit.tvanOutbox,
      keys: new ApiKeys([
        { role: "client", name: SELLER_A, key: CLIENT_KEY },
        { role: "client", name: "TCT", key: TVAN_AUTHORITY_KEY },
      ]),
      clock: kit.clock,
    });
    await tvanApp.ready();
    for (const route of await routesOf(kit.app))
      if (
        route.url.startsWith("/seller/") &&
        ["POST", "PUT", "PATCH"].includes(route.method) &&
        route.url !== "/seller/messages" &&
        // Signing out revokes the very key the run uses: every later input would stop at the door.
        route.url !== "/seller/sign-out"
      )
        jsonRoutes.push({ method: route.method as "POST" | "PUT" | "PATCH", url: route.url });
  }, 180_000);

  afterAll(async () => {
    await tvanApp?.close();
    await kit?.close();
  });

  it(`answers ${RUNS} bad inputs with a coded 4xx or a refusing receipt, no 5xx, no hang, no partial write`, async () => {
    expect(jsonRoutes.length).toBeGreaterThanOrEqual(10);
    // Positions and choices from a seeded generator (fast-check's own samples lean to the edges).
    let state = SEED >>> 0;
    const next = () => {
      state = (state + 0x6d2b79f5) >>> 0;
      let t = state;
      t = Math.imul(t ^ (t >>> 15), t | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
    const jsonValues = fc.sample(fc.jsonValue({ maxDepth: 4 }), { numRuns: RUNS, seed: SEED });
    const anything = fc.sample(
      fc.oneof(
        fc.jsonValue({ maxDepth: 3 }),
        fc.constantFrom(
          null,
          -1,
          1e308,
          "",
          "9".repeat(100_000),
          [],
          {},
          true,
          "1e5",
          "0x10",
          "Infinity",
          "-0",
        ),
        fc.string({ unit: "binary", maxLength: 300 }),
      ),
      { numRuns: RUNS, seed: SEED + 1 },
    );
    const lookupCodes = fc.sample(fc.string({ unit: "binary", minLength: 0, maxLength: 60 }), {
      numRuns: RUNS,
      seed: SEED + 2,
    });
    const xmlBases = [
      { target: "authority" as const, xml: authorityMessage },
      { target: "tvan" as const, xml: sellerMessage },
      { target: "tvan-authority" as const, xml: sellerMessage },
      { target: "seller-inbound" as const, xml: sellerMessage },
    ];

    const attempt = (i: number): Attempt => {
      const route = jsonRoutes[i % jsonRoutes.length]!;
      const url = route.url.replace(":id", i % 3 === 0 ? issuedId : draftId);
      const key = url === "/seller/organisations" ? ADMIN_KEY : ownerKey;
      switch (i % 10) {
        case 0:
          return {
            target: "seller-json",
            method: route.method,
            url,
            key,
            contentType: "application/json",
            body: JSON.stringify(jsonValues[i % jsonValues.length]),
            kind: "generated JSON",
          };
        case 1:
        case 2: {
          const v = mutateJson(validInvoice, anything[i % anything.length], next);
          const body = JSON.stringify(v) ?? "null";
          return {
            target: "seller-json",
            method: "POST",
            url: "/seller/invoices",
            key: ownerKey,
            contentType: "application/json",
            body,
            kind: "invoice with a wrong value",
          };
        }
        case 3: {
          const raw = [
            `${"[".repeat(100_000)}${"]".repeat(100_000)}`,
            `${'{"a":'.repeat(50_000)}1${"}".repeat(50_000)}`,
            '{"__proto__":{"polluted":true},"header":{"template":"1","series":"x"},"lines":[{}]}',
            '{"constructor":{"prototype":{"polluted":true}}}',
            Buffer.concat([
              Buffer.from('{"header":{"template":"'),
              Buffer.from([0xff, 0xfe, 0xc3]),
              Buffer.from('"}}'),
            ]),
            `{"lines":[${'{"itemName":"x"},'.repeat(200_000)}{}]}`,
            '{"header":',
            "",
            "null",
            "\u0000",
            `{"header":{"template":"1","series":"${series}"},"lines":[{"quantity":"1e999999","unitPrice":"-0","vatRate":"10%","itemName":"a"}]}`,
          ];
          const body = raw[Math.floor(next() * raw.length)]!;
          return {
            target: "seller-json",
            method: route.method,
            url,
            key,
            contentType: "application/json",
            body,
            kind: "hostile JSON",
          };
        }
        case 4: {
          const types = [
            "application/xml",
            "text/plain",
            "multipart/form-data; boundary=x",
            "application/x-www-form-urlencoded",
            "application/json; charset=latin1",
            "",
          ];
          return {
            target: "seller-json",
            method: route.method,
            url,
            key,
            contentType: types[Math.floor(next() * types.length)]!,
            body: JSON.stringify(validInvoice),
            kind: "wrong media type",
          };
        }
        case 5: {
          const fx = realFiles[Math.floor(next() * realFiles.length)]!;
          const base = xmlBases[Math.floor(next() * xmlBases.length)]!;
          const text = fx.bytes.toString("utf8");
          const m =
            next() < 0.3
              ? { body: fx.bytes, kind: `real fixture ${fx.name}` }
              : mutateXml(text, Math.floor(next() * 1000), next);
          return xmlAttempt(base.target, m.body, `${m.kind} (${fx.name})`, m.forged);
        }
        case 9: {
          const code = lookupCodes[i % lookupCodes.length]!;
          return {
            target: "lookup",
            method: "GET",
            url: `/lookup/${encodeURIComponent(code)}${next() < 0.5 ? "/xml" : ""}`,
            kind: "lookup code",
          };
        }
        default: {
          const base = xmlBases[Math.floor(next() * xmlBases.length)]!;
          const m = mutateXml(base.xml, Math.floor(i / 10) * 7 + Math.floor(next() * 3), next);
          return xmlAttempt(base.target, m.body, m.kind, m.forged);
        }
      }
    };
    const xmlAttempt = (target: Target, body: Buffer | string, kind: string, forged?: boolean): Attempt => {
      const url = {
        authority: "/authority/messages",
        tvan: "/tvan/messages",
        "tvan-authority": "/tvan/authority/messages",
        "seller-inbound": "/seller/messages",
      }[target as "authority"];
      const key =
        target === "tvan" ? CLIENT_KEY : target === "tvan-authority" ? TVAN_AUTHORITY_KEY : undefined;
      return {
        target,
        method: "POST",
        url,
        body,
        contentType: next() < 0.5 ? "application/xml" : "text/xml; charset=utf-8",
        ...(key ? { key } : {}),
        kind,
        ...(forged ? { forged } : {}),
      };
    };

    collect();
    const rss0 = process.memoryUsage().rss;
    const heap0 = process.memoryUsage().heapUsed;
    let rssPeak = rss0;
    const byStatus = new Map<number, number>();
    const byKind = new Map<string, number>();
    const failures: string[] = [];
    let counts = await rowCounts(kit.db);
    let accepted = 0;
    let slowest = 0;
    const forgedMessageIds: string[] = [];
    const started = Date.now();
    for (let i = 0; i < RUNS; i++) {
      const a = attempt(i);
      const app = a.target === "tvan" || a.target === "tvan-authority" ? tvanApp : kit.app;
      const t0 = Date.now();
      const res = await within(REQUEST_MS, `${a.kind} → ${a.method} ${a.url}`, inject(app, a));
      slowest = Math.max(slowest, Date.now() - t0);
      byStatus.set(res.statusCode, (byStatus.get(res.statusCode) ?? 0) + 1);
      byKind.set(a.kind.replace(/ \(.*\)$/, ""), (byKind.get(a.kind.replace(/ \(.*\)$/, "")) ?? 0) + 1);
      const what = `#${i} ${a.kind} → ${a.method} ${a.url}: ${res.statusCode} ${res.body.slice(0, 300)}`;
      let refused: boolean;
      if (res.statusCode >= 500) {
        failures.push(`${what}\n  body: ${String(a.body).slice(0, 400)}`);
        refused = true;
      } else if (res.statusCode >= 400) {
        if (!isErrorBody(res)) failures.push(`no error code: ${what}`);
        // Inputs sent with a valid key must reach the handler: a 401 would mean the run tests only the door.
        if (res.statusCode === 401 && a.key !== undefined) failures.push(`valid key refused: ${what}`);
        refused = true;
      } else if (a.target === "seller-json" || a.target === "lookup") {
        refused = false;
      } else {
        // A receiver answers a message with a receipt: a refusal, or an acceptance of what is a message.
        refused = refusesInReceipt(res);
        if (!refused && a.forged && a.target === "authority") {
          const id = /<MTDiep>([^<]+)<\/MTDiep>/.exec(String(a.body))?.[1];
          if (id) forgedMessageIds.push(id);
        }
      }
      const after = await rowCounts(kit.db);
      if (refused) {
        // The authority keeps a record of each message it refused (the same id gets the same answer):
        // one inbox row, and nothing else.
        const logged = (t: string) =>
          a.target === "authority" && t === "authority.inbox" && after[t] === (counts[t] ?? 0) + 1;
        const changed = Object.keys({ ...counts, ...after }).filter(
          (t) => counts[t] !== after[t] && !logged(t),
        );
        if (changed.length > 0)
          failures.push(
            `partial write (${changed.map((t) => `${t} ${counts[t]}→${after[t]}`).join(", ")}): ${what}`,
          );
      } else accepted++;
      counts = after;
      if (i % 50 === 0) rssPeak = Math.max(rssPeak, process.memoryUsage().rss);
      if (failures.length >= 20) break;
    }
    collect();
    const rss1 = process.memoryUsage().rss;
    const heap1 = process.memoryUsage().heapUsed;
    rssPeak = Math.max(rssPeak, rss1);
    // A forged message the authority took (a 999 of receipt) must have been answered by a refusal, not a code.
    await kit.drain();
    for (const id of forgedMessageIds) {
      const replies = await kit.authority.repliesTo(id);
      for (const x of replies ?? []) if (x.type === 202) failures.push(`forged message ${id} was coded`);
    }
    figure(
      "fuzz",
      `${RUNS} inputs (seed ${SEED}) in ${((Date.now() - started) / 1000).toFixed(1)} s; statuses ${JSON.stringify(Object.fromEntries([...byStatus].sort((x, y) => x[0] - y[0])))}; ` +
        `accepted ${accepted}; slowest ${slowest} ms; RSS ${(rss0 / 2 ** 20).toFixed(0)} → ${(rss1 / 2 ** 20).toFixed(0)} MB (peak ${(rssPeak / 2 ** 20).toFixed(0)}), live heap ${(heap0 / 2 ** 20).toFixed(0)} → ${(heap1 / 2 ** 20).toFixed(0)} MB; ` +
        `forged messages taken then refused ${forgedMessageIds.length}; failures ${failures.length}; classes ${JSON.stringify(Object.fromEntries(byKind))}`,
    );
    expect(failures).toEqual([]);
    expect(rss1 - rss0).toBeLessThan(RSS_BOUND);
    expect(heap1 - heap0).toBeLessThan(HEAP_BOUND);
  }, 3_600_000);

  // Workbooks: the reader itself (as `hddt seller import` uses it) must end every input in a result, never a
  // throw or a hang; the HTTP import (POST /seller/invoices/import) must answer a coded 4xx and write nothing.
  it(`reads ${Math.ceil(RUNS / 10)} broken workbooks into problems, never a throw, a 5xx or a hang`, async () => {
    const dir = await mkdtemp(join(tmpdir(), "hddt-fuzz-xlsx-"));
    try {
      const path = join(dir, "template.xlsx");
      await writeImportTemplate(path);
      const template = await readFile(path);
      const seller = { name: "Công ty A", taxCode: SELLER_A, address: "Hà Nội" };
      let state = (SEED ^ 0x5bd1e995) >>> 0;
      const next = () => {
        state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
        return state / 4294967296;
      };
      const outcomes = { ok: 0, problems: 0 };
      const http = new Map<number, number>();
      const failures: string[] = [];
      const runs = Math.ceil(RUNS / 10);
      for (let i = 0; i < runs; i++) {
        const b = Buffer.from(template);
        let kind: string;
        switch (i % 5) {
          case 0:
            for (let k = 0; k < 1 + Math.floor(next() * 8); k++) {
              const at = Math.floor(next() * b.length);
              b[at] = b[at]! ^ (1 << Math.floor(next() * 8));
            }
            kind = "bit flips";
            break;
          case 1:
            kind = "truncated";
            break;
          case 2:
            kind = "garbage";
            break;
          case 3: {
            // A local header's sizes made huge.
            const at = b.indexOf(Buffer.from([0x50, 0x4b, 0x03, 0x04]), Math.floor(next() * 200));
            if (at >= 0) b.writeUInt32LE(0xfffffff0, at + 22);
            kind = "sizes forged";
            break;
          }
          default: {
            const at = Math.floor(next() * b.length);
            b.fill(0, at, Math.min(b.length, at + 64));
            kind = "range zeroed";
          }
        }
        const input =
          kind === "truncated"
            ? b.subarray(0, Math.floor(next() * b.length))
            : kind === "garbage"
              ? Buffer.from(
                  Array.from({ length: 1 + Math.floor(next() * 5000) }, () => Math.floor(next() * 256)),
                )
              : b;
        try {
          const r = await within(
            REQUEST_MS,
            `workbook ${kind}`,
            importAll(Readable.from([input]), { seller }),
          );
          if (r.ok) outcomes.ok++;
          else {
            outcomes.problems++;
            if (!r.problems.every((p) => /^[A-Z][A-Z0-9_]+$/.test(p.code)))
              failures.push(`#${i} ${kind}: a problem without a code`);
          }
        } catch (error) {
          failures.push(`#${i} ${kind}: ${(error as Error).message}`);
        }
        const before = await rowCounts(kit.db);
        const res = await within(
          REQUEST_MS,
          `workbook ${kind} over HTTP`,
          kit.app.inject({
            method: "POST",
            url: "/seller/invoices/import",
            headers: {
              "x-api-key": ownerKey,
              "content-type": XLSX_MEDIA_TYPE,
              "idempotency-key": `fuzz-xlsx-${i}`,
            },
            payload: input,
          }),
        );
        http.set(res.statusCode, (http.get(res.statusCode) ?? 0) + 1);
        const what = `#${i} ${kind} over HTTP: ${res.statusCode} ${res.body.slice(0, 300)}`;
        if (res.statusCode >= 500) failures.push(what);
        else if (res.statusCode >= 400) {
          if (!isErrorBody(res)) failures.push(`no error code: ${what}`);
          if (res.statusCode === 401) failures.push(`valid key refused: ${what}`);
          const after = await rowCounts(kit.db);
          const changed = Object.keys({ ...before, ...after }).filter((t) => before[t] !== after[t]);
          if (changed.length > 0) failures.push(`partial write (${changed.join(", ")}): ${what}`);
        }
      }
      figure(
        "fuzz",
        `${runs} broken workbooks: ${outcomes.ok} read, ${outcomes.problems} refused with problems; over HTTP ${JSON.stringify(Object.fromEntries(http))}; failures ${failures.length}`,
      );
      expect(failures).toEqual([]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 600_000);
});
