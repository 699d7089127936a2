import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { ApiKeys } from "../../src/api/auth.ts";
import { TokenBucketLimiter } from "../../src/api/rate-limit.ts";
import { buildServer, type HttpApp } from "../../src/api/server.ts";
import { authorityApi, registerAuthorityRoutes } from "../../src/authority/http.ts";
import { ManualClock } from "../../src/domain/clock.ts";
import { FakeAuthority } from "../api/fake-authority.ts";
import {
  codedInvoice,
  envelope,
  type Kit,
  messageId,
  openKit,
  registerSeller,
  SELLER,
  signedInvoice,
} from "./support.ts";

const FIXTURES = join(import.meta.dirname, "../fixtures/real");
// A real 202 sent by the authority, turned round so that it is addressed to the authority (TCT).
const REAL_202 = readFileSync(join(FIXTURES, "gdt-test-tdiep202-ts24-c21tct-14.xml"), "utf8");
const GOOD_ID = "V0309478306B2C5E9AF7DEF49B5BA33411171A2DF30";
const GOOD = Buffer.from(
  REAL_202.replace(
    "<MNGui>TCT</MNGui><MNNhan>V0309478306</MNNhan>",
    "<MNGui>V0309478306</MNGui><MNNhan>TCT</MNNhan>",
  ).replace("<MTDiep>TCTB2C5E9AF7DEF49B5BA33411171A2DF30</MTDiep>", `<MTDiep>${GOOD_ID}</MTDiep>`),
);
const ADMIN_KEY = "admin-key-0123456789abcdef";
const INSPECTOR_KEY = "inspector-key-0123456789abcdef";
const BUYER_KEY = "buyer-key-0123456789abcdef";
const BUYER = "0101234567";
const XML = { "content-type": "application/xml" };

const INVOICE = {
  id: "1",
  messageId: GOOD_ID,
  sellerTaxCode: "0106324653",
  template: "1",
  series: "C21TCT",
  number: "14",
  authorityCode: "M".repeat(34),
  issueDate: "2021-11-05",
  total: "1100000",
  buyerTaxCode: BUYER,
  codedAt: new Date("2021-11-05T07:00:00Z"),
  xml: "<HDon></HDon>",
};
const LOOKUP = "seller=0106324653&template=1&series=C21TCT&number=14&total=1100000";

let app: HttpApp;
let service: FakeAuthority;
let clock: ManualClock;

async function start(limiter = new TokenBucketLimiter({ capacity: 100, refillPerSecond: 100 })) {
  clock = new ManualClock("2026-03-02T03:00:00Z");
  service = new FakeAuthority(clock);
  service.invoices.push(INVOICE);
  app = await buildServer({ clock, docs: false });
  registerAuthorityRoutes(app, service, {
    clock,
    lookupLimiter: limiter,
    keys: new ApiKeys([
      { name: "admin-1", role: "admin", key: ADMIN_KEY },
      { name: "inspector-7", role: "inspector", key: INSPECTOR_KEY },
      { name: BUYER, role: "buyer", key: BUYER_KEY },
    ]),
  });
  await app.ready();
}

beforeEach(() => start());
afterEach(() => app.close());

function codeOf(body: string): string {
  return (JSON.parse(body) as { error: { code: string } }).error.code;
}

describe("POST /authority/messages", () => {
  it("answers a readable message with its 999 receipt as XML", async () => {
    const res = await app.inject({ method: "POST", url: "/authority/messages", headers: XML, payload: GOOD });
    expect(res.statusCode).toBe(200);
    expect(res.headers["content-type"]).toMatch(/^application\/xml/);
    expect(res.body).toContain(`<MTDiep>${GOOD_ID}</MTDiep>`);
    expect(res.body).toContain("<TTTNhan>0</TTTNhan>");
  });

  it("accepts text/xml with a charset parameter", async () => {
    const res = await app.inject({
      method: "POST",
      url: "/authority/messages",
      headers: { "content-type": "text/xml; charset=utf-8" },
      payload: GOOD,
    });
    expect(res.statusCode).toBe(200);
  });

  it("refuses malformed XML with 400 XML_MALFORMED before the service sees it", async () => {
    const res = await app.inject({
      method: "POST",
      url: "/authority/messages",
      headers: XML,
      payload: "<TDiep><TTChung></TDiep>",
    });
    expect(res.statusCode).toBe(400);
    expect(codeOf(res.body)).toBe("XML_MALFORMED");
    expect(service.received).toBe(0);
  });

  it("refuses a DOCTYPE with 400 XML_DOCTYPE", async () => {
    const res = await app.inject({
      method: "POST",
      url: "/authority/messages",
      headers: XML,
      payload: '<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><TDiep>&e;</TDiep>',
    });
    expect(res.statusCode).toBe(400);
    expect(codeOf(res.body)).toBe("XML_DOCTYPE");
  });

  it("refuses invalid UTF-8 with 400 XML_BAD_UTF8", async () => {
    const res = await app.inject({
      method: "POST",
      url: "/authority/messages",
      headers: XML,
      payload: Buffer.from([0x3c, 0x61, 0x3e, 0xff, 0xfe, 0x3c, 0x2f, 0x61, 0x3e]),
    });
    expect(res.statusCode).toBe(400);
    expect(codeOf(res.body)).toBe("XML_BAD_UTF8");
  });

  it("refuses a 3 MB body with 413 HTTP_BODY_TOO_LARGE", async () => {
    const big = Buffer.alloc(3 * 1024 * 1024, 0x20);
    const res = await app.inject({ method: "POST", url: "/authority/messages", headers: XML, payload: big });
    expect(res.statusCode).toBe(413);
    expect(codeOf(res.body)).toBe("HTTP_BODY_TOO_LARGE");
    expect(service.received).toBe(0);
  });

  it("refuses other media types with 415 HTTP_UNSUPPORTED_MEDIA_TYPE", async () => {
    for (const type of ["application/json", "text/plain", "application/octet-stream"]) {
      const res = await app.inject({
        method: "POST",
        url: "/authority/messages",
        headers: { "content-type": type },
        payload: type === "application/json" ? "{}" : "x",
      });
      expect(res.statusCode, type).toBe(415);
      expect(codeOf(res.body)).toBe("HTTP_UNSUPPORTED_MEDIA_TYPE");
    }
  });

  it("refuses a body without a content type with 415 and an empty XML body with 400", async () => {
    const untyped = await app.inject({ method: "POST", url: "/authority/messages", payload: GOOD });
    expect(untyped.statusCode).toBe(415);
    const empty = await app.inject({ method: "POST", url: "/authority/messages", headers: XML, payload: "" });
    expect(empty.statusCode).toBe(400);
    expect(service.received).toBe(0);
  });

  it("answers a well-formed document that is not a message with 422, its codes and the 999", async () => {
    const res = await app.inject({
      method: "POST",
      url: "/authority/messages",
      headers: XML,
      payload: "<HDon/>",
    });
    expect(res.statusCode).toBe(422);
    const body = JSON.parse(res.body) as { error: { code: string }; receipt: string };
    expect(body.error.code).toBe("ENVELOPE_NOT_MESSAGE");
    expect(body.receipt).toContain("<TTTNhan>1</TTTNhan>");
  });

  it("answers a message the service refuses with 422, the receipt's reasons as codes and the 999", async () => {
    const res = await app.inject({
      method: "POST",
      url: "/authority/messages",
      headers: XML,
      payload: REAL_202,
    });
    expect(res.statusCode).toBe(422);
    const body = JSON.parse(res.body);
    expect(body.error.code).toBe("HTTP_MESSAGE_REFUSED");
    expect(body.error.problems[0].params).toMatchObject({ mloi: "1002" });
    expect(body.receipt).toContain("<TTTNhan>1</TTTNhan>");
  });

  it("answers the same message id twice with the same receipt", async () => {
    const first = await app.inject({
      method: "POST",
      url: "/authority/messages",
      headers: XML,
      payload: GOOD,
    });
    const second = await app.inject({
      method: "POST",
      url: "/authority/messages",
      headers: XML,
      payload: GOOD,
    });
    expect(second.statusCode).toBe(200);
    expect(second.body).toBe(first.body);
  });

  it("answers 503 with Retry-After during a maintenance window and receives nothing", async () => {
    await service.scheduleMaintenance(
      new Date("2026-03-02T02:00:00Z"),
      new Date("2026-03-02T05:30:00Z"),
      "upgrade",
    );
    const res = await app.inject({ method: "POST", url: "/authority/messages", headers: XML, payload: GOOD });
    expect(res.statusCode).toBe(503);
    expect(res.headers["retry-after"]).toBe(String(2.5 * 3600));
    expect(codeOf(res.body)).toBe("HTTP_UNAVAILABLE");
    expect(JSON.parse(res.body).error.message).toContain("2026-03-02T05:30:00.000Z");
    expect(service.received).toBe(0);

    const check = await app.inject({ method: "GET", url: "/authority/connection-check" });
    expect(check.statusCode).toBe(503);
    expect(check.headers["retry-after"]).toBe("9000");

    clock.set("2026-03-02T05:30:00Z");
    const after = await app.inject({ method: "GET", url: "/authority/connection-check" });
    expect(after.statusCode).toBe(200);
    const again = await app.inject({
      method: "POST",
      url: "/authority/messages",
      headers: XML,
      payload: GOOD,
    });
    expect(again.statusCode).toBe(200);
  });

  it("never answers 5xx to random or mutated bodies", async () => {
    const reals = readdirSync(FIXTURES)
      .filter((f) => f.endsWith(".xml"))
      .map((f) => readFileSync(join(FIXTURES, f)));
    const mutated = fc
      .tuple(fc.constantFrom(...reals), fc.nat(), fc.nat(), fc.uint8Array({ maxLength: 16 }), fc.nat(3))
      .map(([base, a, b, bytes, how]) => {
        const i = a % (base.length + 1);
        const j = Math.min(base.length, i + (b % 64));
        if (how === 0) return base.subarray(0, i);
        if (how === 1) return Buffer.concat([base.subarray(0, i), Buffer.from(bytes), base.subarray(j)]);
        if (how === 2) return Buffer.concat([base.subarray(0, i), base.subarray(j)]);
        return Buffer.concat([base.subarray(j), base.subarray(0, i)]);
      });
    const bodies = fc.oneof(
      mutated,
      fc.uint8Array({ maxLength: 512 }).map((u) => Buffer.from(u)),
      fc.string({ unit: "grapheme", maxLength: 200 }).map((s) => Buffer.from(`<TDiep>${s}</TDiep>`)),
      fc.string({ maxLength: 200 }).map((s) => Buffer.from(s)),
    );
    const types = fc.constantFrom(
      "application/xml",
      "text/xml",
      "text/xml; charset=utf-8",
      "application/json",
    );
    await fc.assert(
      fc.asyncProperty(bodies, types, async (payload, type) => {
        const res = await app.inject({
          method: "POST",
          url: "/authority/messages",
          headers: { "content-type": type },
          payload,
        });
        expect(res.statusCode).toBeLessThan(500);
        if (res.statusCode >= 400) expect(codeOf(res.body)).toMatch(/^[A-Z0-9_]+$/);
      }),
      { numRuns: 300 },
    );
  });
});

describe("GET /authority/messages/{id}/replies", () => {
  it("lists the replies sent for a message id", async () => {
    await app.inject({ method: "POST", url: "/authority/messages", headers: XML, payload: GOOD });
    const res = await app.inject({
      method: "GET",
      url: `/authority/messages/${GOOD_ID}/replies`,
    });
    expect(res.statusCode).toBe(200);
    const body = JSON.parse(res.body);
    expect(body.replies).toHaveLength(1);
    expect(body.replies[0].type).toBe(999);
  });

  it("answers 404 for an id never received and 400 for a malformed id", async () => {
    const unknown = await app.inject({
      method: "GET",
      url: `/authority/messages/V0309478306${"0".repeat(32)}/replies`,
    });
    expect(unknown.statusCode).toBe(404);
    expect(codeOf(unknown.body)).toBe("HTTP_RESOURCE_NOT_FOUND");
    const bad = await app.inject({ method: "GET", url: "/authority/messages/not-an-id/replies" });
    expect(bad.statusCode).toBe(400);
    expect(codeOf(bad.body)).toBe("HTTP_INVALID_INPUT");
  });
});

describe("administration", () => {
  const admin = { "x-api-key": ADMIN_KEY };

  it("refuses requests without a key, with an unknown key, or with another role's key", async () => {
    const none = await app.inject({ method: "GET", url: "/authority/admin/taxpayers" });
    expect(none.statusCode).toBe(401);
    expect(codeOf(none.body)).toBe("HTTP_API_KEY_MISSING");
    for (const key of ["wrong-key-0123456789abcdef", INSPECTOR_KEY, BUYER_KEY]) {
      const res = await app.inject({
        method: "GET",
        url: "/authority/admin/taxpayers",
        headers: { "x-api-key": key },
      });
      expect(res.statusCode).toBe(401);
      expect(codeOf(res.body)).toBe("HTTP_API_KEY_REFUSED");
    }
  });

  it("adds, reads, stops and resumes a taxpayer", async () => {
    const put = await app.inject({
      method: "PUT",
      url: "/authority/admin/taxpayers",
      headers: admin,
      payload: { taxCode: "0106324653", name: "Công ty TNHH A" },
    });
    expect(put.statusCode).toBe(200);
    expect(JSON.parse(put.body).status).toBe("active");

    const list = await app.inject({
      method: "GET",
      url: "/authority/admin/taxpayers?page=1",
      headers: admin,
    });
    expect(JSON.parse(list.body).items).toHaveLength(1);

    const stop = await app.inject({
      method: "POST",
      url: "/authority/admin/taxpayers/0106324653/stop",
      headers: admin,
      payload: { cause: "tax_debt_enforcement", note: "QĐ 12/QĐ-CCT" },
    });
    expect(stop.statusCode).toBe(200);
    expect(JSON.parse(stop.body)).toMatchObject({ status: "stopped", stopCause: "tax_debt_enforcement" });

    const resume = await app.inject({
      method: "POST",
      url: "/authority/admin/taxpayers/0106324653/resume",
      headers: admin,
    });
    expect(resume.statusCode).toBe(200);
    const one = await app.inject({
      method: "GET",
      url: "/authority/admin/taxpayers/0106324653",
      headers: admin,
    });
    expect(JSON.parse(one.body).status).toBe("active");
  });

  it("maps bad input to 400 and the service's not-found to 404, with codes", async () => {
    const badCause = await app.inject({
      method: "POST",
      url: "/authority/admin/taxpayers/0106324653/stop",
      headers: admin,
      payload: { cause: "because" },
    });
    expect(badCause.statusCode).toBe(400);
    const problems = JSON.parse(badCause.body).error.problems as { code: string; path: string }[];
    expect(problems[0]).toMatchObject({ code: "HTTP_INVALID_INPUT", path: "body/cause" });

    const unknown = await app.inject({
      method: "POST",
      url: "/authority/admin/taxpayers/0100000000/stop",
      headers: admin,
      payload: { cause: "other" },
    });
    expect(unknown.statusCode).toBe(404);
    expect(codeOf(unknown.body)).toBe("AUTHORITY_UNKNOWN_TAXPAYER");

    const badTaxCode = await app.inject({
      method: "PUT",
      url: "/authority/admin/taxpayers",
      headers: admin,
      payload: { taxCode: "01063", name: "x" },
    });
    expect(badTaxCode.statusCode).toBe(400);

    const malformed = await app.inject({
      method: "PUT",
      url: "/authority/admin/taxpayers",
      headers: { ...admin, "content-type": "application/json" },
      payload: "{not json",
    });
    expect(malformed.statusCode).toBe(400);
    expect(codeOf(malformed.body)).toBe("HTTP_MALFORMED_BODY");

    const xml = await app.inject({
      method: "PUT",
      url: "/authority/admin/taxpayers",
      headers: { ...admin, "content-type": "application/xml" },
      payload: "<a/>",
    });
    expect(xml.statusCode).toBe(415);
  });

  it("schedules and lists maintenance windows, refusing one that ends before it starts", async () => {
    const ok = await app.inject({
      method: "POST",
      url: "/authority/admin/maintenance",
      headers: admin,
      payload: {
        startsAt: "2026-03-07T22:00:00+07:00",
        endsAt: "2026-03-08T02:00:00+07:00",
        reason: "nâng cấp",
      },
    });
    expect(ok.statusCode).toBe(201);
    expect(JSON.parse(ok.body).endsAt).toBe("2026-03-07T19:00:00.000Z");
    const backwards = await app.inject({
      method: "POST",
      url: "/authority/admin/maintenance",
      headers: admin,
      payload: { startsAt: "2026-03-08T02:00:00+07:00", endsAt: "2026-03-07T22:00:00+07:00", reason: "x" },
    });
    expect(backwards.statusCode).toBe(400);
    expect(JSON.parse(backwards.body).error.problems[0].path).toBe("body/endsAt");
    const list = await app.inject({ method: "GET", url: "/authority/admin/maintenance", headers: admin });
    expect(JSON.parse(list.body).items).toHaveLength(1);
  });
});

describe("lookups", () => {
  it("finds an invoice publicly by its five keys and hides buyer and content", async () => {
    const res = await app.inject({ method: "GET", url: `/authority/lookup/invoice?${LOOKUP}` });
    expect(res.statusCode).toBe(200);
    const body = JSON.parse(res.body);
    expect(body.authorityCode).toBe(INVOICE.authorityCode);
    expect(body.xml).toBeUndefined();
    expect(body.buyerTaxCode).toBeUndefined();
  });

  it("answers 404 for a wrong total and 400 for a malformed series", async () => {
    const wrong = await app.inject({ method: "GET", url: `/authority/lookup/invoice?${LOOKUP}0` });
    expect(wrong.statusCode).toBe(404);
    const bad = await app.inject({
      method: "GET",
      url: "/authority/lookup/invoice?seller=0106324653&template=1&series=c21tct&number=14&total=1",
    });
    expect(bad.statusCode).toBe(400);
    expect(JSON.parse(bad.body).error.problems[0].path).toBe("querystring/series");
  });

  it("limits the public lookup per client with 429 and Retry-After", async () => {
    await app.close();
    await start(new TokenBucketLimiter({ capacity: 3, refillPerSecond: 0.5 }));
    for (let i = 0; i < 3; i++) {
      const ok = await app.inject({ method: "GET", url: `/authority/lookup/invoice?${LOOKUP}` });
      expect(ok.statusCode).toBe(200);
    }
    const limited = await app.inject({ method: "GET", url: `/authority/lookup/invoice?${LOOKUP}` });
    expect(limited.statusCode).toBe(429);
    expect(limited.headers["retry-after"]).toBe("2");
    expect(codeOf(limited.body)).toBe("HTTP_RATE_LIMITED");
    clock.advance({ seconds: 2 });
    const later = await app.inject({ method: "GET", url: `/authority/lookup/invoice?${LOOKUP}` });
    expect(later.statusCode).toBe(200);
  });

  it("gives an inspector the full invoice and records who looked and why", async () => {
    const none = await app.inject({ method: "GET", url: `/authority/inspector/invoice?${LOOKUP}` });
    expect(none.statusCode).toBe(401);
    const res = await app.inject({
      method: "GET",
      url: `/authority/inspector/invoice?${LOOKUP}&purpose=goods%20in%20transit`,
      headers: { "x-api-key": INSPECTOR_KEY },
    });
    expect(res.statusCode).toBe(200);
    expect(JSON.parse(res.body).xml).toBe("<HDon></HDon>");
    expect(service.inspections).toEqual([
      {
        inspector: "inspector-7",
        purpose: "goods in transit",
        key: expect.objectContaining({ number: "14" }),
      },
    ]);
  });

  it("lists a buyer's invoices for its own key and an administrator, not for another buyer", async () => {
    const own = await app.inject({
      method: "GET",
      url: `/authority/buyers/${BUYER}/invoices`,
      headers: { "x-api-key": BUYER_KEY },
    });
    expect(own.statusCode).toBe(200);
    expect(JSON.parse(own.body)).toEqual({
      items: [expect.objectContaining({ number: "14", buyerTaxCode: BUYER })],
    });
    const other = await app.inject({
      method: "GET",
      url: "/authority/buyers/0109999999/invoices",
      headers: { "x-api-key": BUYER_KEY },
    });
    expect(other.statusCode).toBe(401);
    const admin = await app.inject({
      method: "GET",
      url: "/authority/buyers/0109999999/invoices?limit=10",
      headers: { "x-api-key": ADMIN_KEY },
    });
    expect(JSON.parse(admin.body)).toEqual({ items: [] });
  });

  it("pages a buyer's invoices with the cursor of the previous page", async () => {
    service.invoices.push({ ...INVOICE, id: "2", number: "15" });
    const headers = { "x-api-key": BUYER_KEY };
    const first = await app.inject({
      method: "GET",
      url: `/authority/buyers/${BUYER}/invoices?limit=1`,
      headers,
    });
    const page1 = JSON.parse(first.body);
    expect(page1.items.map((i: { number: string }) => i.number)).toEqual(["14"]);
    expect(page1.next).toBeTruthy();
    const second = await app.inject({
      method: "GET",
      url: `/authority/buyers/${BUYER}/invoices?limit=1&after=${page1.next}`,
      headers,
    });
    expect(JSON.parse(second.body)).toEqual({ items: [expect.objectContaining({ number: "15" })] });
    const bad = await app.inject({
      method: "GET",
      url: `/authority/buyers/${BUYER}/invoices?after=a%2Fb`,
      headers,
    });
    expect(bad.statusCode).toBe(400);
  });
});

describe("OpenAPI", () => {
  it("documents every authority route, the XML body and the key scheme", async () => {
    const res = await app.inject({ method: "GET", url: "/openapi.json" });
    expect(res.statusCode).toBe(200);
    const doc = JSON.parse(res.body);
    expect(doc.openapi).toBe("3.0.3");
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining([
        "/authority/messages",
        "/authority/messages/{id}/replies",
        "/authority/connection-check",
        "/authority/admin/taxpayers",
        "/authority/admin/taxpayers/{taxCode}/stop",
        "/authority/admin/taxpayers/{taxCode}/resume",
        "/authority/admin/maintenance",
        "/authority/lookup/invoice",
        "/authority/inspector/invoice",
        "/authority/buyers/{taxCode}/invoices",
        "/authority/admin/taxpayers/{taxCode}/exception-contracts",
        "/authority/admin/taxpayers/{taxCode}/require-coded",
        "/authority/admin/review-notices",
        "/authority/admin/inspector-access",
      ]),
    );
    expect(Object.keys(doc.paths["/authority/messages"].post.requestBody.content)).toEqual([
      "application/xml",
      "text/xml",
    ]);
    expect(doc.paths["/authority/messages"].post.responses["503"]).toBeDefined();
    expect(doc.components.securitySchemes.apiKey).toMatchObject({ in: "header", name: "x-api-key" });
    expect(doc.paths["/authority/admin/taxpayers"].put.security).toEqual([{ apiKey: [] }]);
    expect(doc.paths["/authority/lookup/invoice"].get.security).toBeUndefined();
  });
});

describe("with the real service (embedded database)", () => {
  let kit: Kit;
  let real: HttpApp;
  const inspectorHeaders = { "x-api-key": INSPECTOR_KEY };
  const adminHeaders = { "x-api-key": ADMIN_KEY };

  beforeAll(async () => {
    kit = await openKit("embedded");
    await registerSeller(kit);
    real = await buildServer({ clock: kit.clock, docs: false });
    registerAuthorityRoutes(real, authorityApi(kit.service, kit.db), {
      clock: kit.clock,
      keys: new ApiKeys([
        { name: "admin-1", role: "admin", key: ADMIN_KEY },
        { name: "inspector-7", role: "inspector", key: INSPECTOR_KEY },
      ]),
    });
    await real.ready();
  });
  afterAll(async () => {
    await real?.close();
    await kit?.close();
  });

  it("codes an invoice posted as a 200 message and serves its replies and lookups", async () => {
    const id = messageId();
    const message = envelope(200, await signedInvoice(codedInvoice("7")), { id });
    const res = await real.inject({
      method: "POST",
      url: "/authority/messages",
      headers: XML,
      payload: message,
    });
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain("<TTTNhan>0</TTTNhan>");
    expect(res.body).toContain(`<MTDTChieu>${id}</MTDTChieu>`);

    const replies = await real.inject({ method: "GET", url: `/authority/messages/${id}/replies` });
    expect(replies.statusCode).toBe(200);
    expect(JSON.parse(replies.body).replies.map((r: { type: number }) => r.type)).toEqual([999, 202]);

    const key = `seller=${SELLER}&template=1&series=${codedInvoice("7").header.series}&number=7`;
    const inspected = await real.inject({
      method: "GET",
      url: `/authority/inspector/invoice?${key}&purpose=road%20check`,
      headers: inspectorHeaders,
    });
    expect(inspected.statusCode).toBe(200);
    const detail = JSON.parse(inspected.body);
    expect(detail.authorityCode).toHaveLength(34);
    expect(detail.xml).toContain(detail.authorityCode);
    expect((await kit.service.accessLog())[0]).toMatchObject({
      inspector: "inspector-7",
      purpose: "road check",
    });

    const pub = await real.inject({
      method: "GET",
      url: `/authority/lookup/invoice?${key}&total=${detail.total}`,
    });
    expect(pub.statusCode).toBe(200);
    expect(JSON.parse(pub.body)).toEqual({
      seller: SELLER,
      template: "1",
      series: detail.series,
      number: "7",
      authorityCode: detail.authorityCode,
      issueDate: detail.issueDate,
      total: detail.total,
      codedAt: detail.codedAt,
    });

    expect(detail.buyerTaxCode).toBe("0309478306");
    const bought = await real.inject({
      method: "GET",
      url: `/authority/buyers/${detail.buyerTaxCode}/invoices`,
      headers: adminHeaders,
    });
    expect(JSON.parse(bought.body).items).toEqual([expect.objectContaining({ number: "7" })]);
  });

  it("never answers 5xx to mutations of a valid message or of the real fixtures", async () => {
    const valid = Buffer.from(envelope(200, await signedInvoice(codedInvoice("70"))));
    const bases = [
      valid,
      ...readdirSync(FIXTURES)
        .filter((f) => f.endsWith(".xml"))
        .map((f) => readFileSync(join(FIXTURES, f))),
    ];
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...bases),
        fc.nat(),
        fc.nat(64),
        fc.uint8Array({ maxLength: 8 }),
        async (base, at, cut, insert) => {
          const i = at % (base.length + 1);
          const payload = Buffer.concat([base.subarray(0, i), Buffer.from(insert), base.subarray(i + cut)]);
          const res = await real.inject({
            method: "POST",
            url: "/authority/messages",
            headers: XML,
            payload,
          });
          expect(res.statusCode).toBeLessThan(500);
        },
      ),
      { numRuns: 150 },
    );
  });

  it("refuses a message for another receiver with 422 and the receipt's reason code", async () => {
    const message = envelope(200, await signedInvoice(codedInvoice("8")), { receiver: "V0101300842" });
    const res = await real.inject({
      method: "POST",
      url: "/authority/messages",
      headers: XML,
      payload: message,
    });
    expect(res.statusCode).toBe(422);
    const body = JSON.parse(res.body);
    expect(body.error).toMatchObject({ code: "HTTP_MESSAGE_REFUSED" });
    expect(body.error.problems[0].params.mloi).toBe("1002");
    expect(body.receipt).toContain("<TTTNhan>1</TTTNhan>");
  });

  it("lists and stops taxpayers through the admin routes, 404 for an unknown one", async () => {
    const list = await real.inject({
      method: "GET",
      url: "/authority/admin/taxpayers",
      headers: adminHeaders,
    });
    expect(JSON.parse(list.body).items.map((t: { taxCode: string }) => t.taxCode)).toContain(SELLER);
    const unknown = await real.inject({
      method: "POST",
      url: "/authority/admin/taxpayers/0100000000/stop",
      headers: adminHeaders,
      payload: { cause: "other" },
    });
    expect(unknown.statusCode).toBe(404);
    expect(codeOf(unknown.body)).toBe("AUTHORITY_UNKNOWN_TAXPAYER");
  });

  it("records exception contracts, forces coded invoices, sends review notices and shows the access log", async () => {
    const contract = await real.inject({
      method: "POST",
      url: `/authority/admin/taxpayers/${SELLER}/exception-contracts`,
      headers: adminHeaders,
      payload: { contractNo: "HĐ-01/2026", signedOn: "2026-01-10" },
    });
    expect(contract.statusCode).toBe(201);
    expect(JSON.parse(contract.body).id).toMatch(/^\d+$/);

    const badDate = await real.inject({
      method: "POST",
      url: `/authority/admin/taxpayers/${SELLER}/exception-contracts`,
      headers: adminHeaders,
      payload: { contractNo: "HĐ-02", signedOn: "10/01/2026" },
    });
    expect(badDate.statusCode).toBe(400);

    const review = await real.inject({
      method: "POST",
      url: "/authority/admin/review-notices",
      headers: adminHeaders,
      payload: {
        taxCode: SELLER,
        to: "V0101300842",
        taxpayerAddress: "Số 1 Tràng Tiền, Hà Nội",
        invoices: [
          {
            template: "1",
            series: "C26TAA",
            number: "7",
            date: "2026-01-12",
            regime: 1,
            reason: "Sai thuế suất",
          },
        ],
      },
    });
    expect(review.statusCode).toBe(201);
    const notice = JSON.parse(review.body);
    expect(notice.type).toBe(302);
    expect(notice.deadline).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    expect(notice.xml).toContain("<MLTDiep>302</MLTDiep>");

    const forced = await real.inject({
      method: "POST",
      url: `/authority/admin/taxpayers/${SELLER}/require-coded`,
      headers: adminHeaders,
      payload: { to: "V0101300842", switchBy: "2026-04-01" },
    });
    expect(forced.statusCode).toBe(201);
    expect(JSON.parse(forced.body).type).toBe(105);
    const seller = await real.inject({
      method: "GET",
      url: `/authority/admin/taxpayers/${SELLER}`,
      headers: adminHeaders,
    });
    expect(JSON.parse(seller.body)).toMatchObject({ highRisk: true, codedOnly: true });

    const log = await real.inject({
      method: "GET",
      url: "/authority/admin/inspector-access",
      headers: adminHeaders,
    });
    expect(log.statusCode).toBe(200);
    expect(JSON.parse(log.body).items[0]).toMatchObject({ inspector: "inspector-7", purpose: "road check" });
  });

  it("answers 503 with Retry-After once an administrator schedules a window that has begun", async () => {
    const now = kit.clock.now().getTime();
    const scheduled = await real.inject({
      method: "POST",
      url: "/authority/admin/maintenance",
      headers: adminHeaders,
      payload: {
        startsAt: new Date(now - 60_000).toISOString(),
        endsAt: new Date(now + 600_000).toISOString(),
        reason: "nâng cấp hệ thống",
      },
    });
    expect(scheduled.statusCode).toBe(201);
    const message = envelope(200, await signedInvoice(codedInvoice("9")));
    const res = await real.inject({
      method: "POST",
      url: "/authority/messages",
      headers: XML,
      payload: message,
    });
    expect(res.statusCode).toBe(503);
    expect(res.headers["retry-after"]).toBe("600");
    const check = await real.inject({ method: "GET", url: "/authority/connection-check" });
    expect(check.statusCode).toBe(503);
    kit.clock.advance({ minutes: 10 });
    expect((await real.inject({ method: "GET", url: "/authority/connection-check" })).statusCode).toBe(200);
  });
});
