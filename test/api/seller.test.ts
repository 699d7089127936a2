/**
 * The seller's HTTP API on the composed system: organisations and keys, series, invoices (idempotent
 * create, issue, batch, read, XML, history), registration, the buyer's lookup, roles, and tenant isolation
 * for every group of routes (organisation A's key never sees organisation B's data).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TokenBucketLimiter } from "../../src/api/rate-limit.ts";
import { registerSellerRoutes } from "../../src/api/seller.ts";
import { buildServer } from "../../src/api/server.ts";
import {
  ADMIN_KEY,
  invoiceInput,
  openSellerKit,
  SELLER_A,
  SELLER_B,
  type SellerKit,
  seriesOf,
} from "../seller/support.ts";
import { testBackends } from "../store/backends.ts";

describe.each(testBackends())("seller HTTP API (%s)", (backend) => {
  let kit: SellerKit;
  let keyA: string;
  let keyB: string;
  let series: string;

  const call = (
    key: string | undefined,
    method: "GET" | "POST" | "PUT" | "PATCH" | "DELETE",
    url: string,
    payload?: unknown,
    headers: Record<string, string> = {},
  ) =>
    kit.app.inject({
      method,
      url,
      headers: {
        ...(key ? { "x-api-key": key } : {}),
        ...(payload !== undefined ? { "content-type": "application/json" } : {}),
        ...headers,
      },
      ...(payload !== undefined ? { payload: JSON.stringify(payload) } : {}),
    });

  async function createOrg(taxCode: string, name: string): Promise<string> {
    const r = await call(ADMIN_KEY, "POST", "/seller/organisations", {
      taxCode,
      name,
      address: "Số 1 Tràng Tiền, Hà Nội",
      profile: { email: "ketoan@example.vn", phone: "0241234567" },
      owner: { email: `owner@${taxCode}.vn`, name: "Chủ" },
    });
    expect(r.statusCode).toBe(201);
    return r.json().apiKey.key as string;
  }

  beforeAll(async () => {
    kit = await openSellerKit(backend);
    series = seriesOf(kit.today());
    keyA = await createOrg(SELLER_A, "Công ty A");
    keyB = await createOrg(SELLER_B, "Công ty B");
    for (const [key, tc] of [
      [keyA, SELLER_A],
      [keyB, SELLER_B],
    ] as const) {
      await kit.authority.upsertTaxpayer({ taxCode: tc, name: tc });
      expect((await call(key, "PUT", "/seller/signing-key", { kind: "dev" })).statusCode).toBe(200);
      expect((await call(key, "POST", "/seller/series", { template: "1", series })).statusCode).toBe(201);
      expect(
        (await call(key, "POST", "/seller/registration", { withCode: true, withoutCode: false })).statusCode,
      ).toBe(202);
    }
    await kit.drain();
  }, 120_000);
  afterAll(async () => {
    await kit?.close();
  });

  it("creates organisations only with an administrator's key", async () => {
    const r = await call(keyA, "POST", "/seller/organisations", {
      taxCode: "0101243150",
      name: "X",
      address: "Y",
    });
    expect(r.statusCode).toBe(401);
    const again = await call(ADMIN_KEY, "POST", "/seller/organisations", {
      taxCode: SELLER_A,
      name: "X",
      address: "Y",
    });
    expect(again.statusCode).toBe(409);
    expect(again.json().error.code).toBe("SELLER_ORG_EXISTS");
  });

  it("registers through the T-VAN and shows the accepted state", async () => {
    const r = await call(keyA, "GET", "/seller/registration");
    expect(r.json().items[0]).toMatchObject({ state: "accepted" });
    expect((await call(keyA, "GET", "/seller/organisation")).json()).toMatchObject({
      taxCode: SELLER_A,
      registrationState: "accepted",
      hasSigningKey: true,
    });
  });

  it("creates with an Idempotency-Key: 201, the same invoice again with 200, another body 409", async () => {
    const body = invoiceInput(series);
    const first = await call(keyA, "POST", "/seller/invoices", body, { "idempotency-key": "k-1" });
    expect(first.statusCode).toBe(201);
    const again = await call(keyA, "POST", "/seller/invoices", body, { "idempotency-key": "k-1" });
    expect(again.statusCode).toBe(200);
    expect(again.json().id).toBe(first.json().id);
    const other = await call(keyA, "POST", "/seller/invoices", invoiceInput(series, { lines: 1 }), {
      "idempotency-key": "k-1",
    });
    expect(other.statusCode).toBe(409);
    expect(other.json().error.code).toBe("SELLER_IDEMPOTENCY_CONFLICT");
  });

  it("issues, codes and delivers; serves the XML, the history and the buyer's lookup", async () => {
    const created = await call(
      keyA,
      "POST",
      "/seller/invoices?issue=true",
      invoiceInput(series, { buyerEmail: "b@example.vn" }),
    );
    expect(created.statusCode).toBe(201);
    const inv = created.json();
    expect(inv).toMatchObject({ state: "waiting_for_code", template: "1", series });
    expect((await kit.app.inject({ url: `/lookup/${inv.lookupCode}` })).statusCode).toBe(404);
    await kit.drain();
    const got = (await call(keyA, "GET", `/seller/invoices/${inv.id}`)).json();
    expect(got.state).toBe("delivered");
    const xml = await call(keyA, "GET", `/seller/invoices/${inv.id}/xml?which=coded`);
    expect(xml.statusCode).toBe(200);
    expect(xml.headers["content-type"]).toContain("application/xml");
    expect(xml.body).toContain(`<MCCQT Id="`);
    expect(xml.body).toContain(got.authorityCode);
    const history = (await call(keyA, "GET", `/seller/invoices/${inv.id}/history`)).json();
    expect(history.items.map((h: { to: string }) => h.to)).toEqual([
      "draft",
      "issued",
      "waiting_for_code",
      "coded",
      "delivered",
    ]);
    const lookup = await kit.app.inject({ url: `/lookup/${inv.lookupCode}` });
    expect(lookup.statusCode).toBe(200);
    expect(lookup.json()).toMatchObject({ id: inv.id, state: "delivered", authorityCode: got.authorityCode });
    expect(lookup.json().input).toBeUndefined();
    const lookupXml = await kit.app.inject({ url: `/lookup/${inv.lookupCode}/xml` });
    expect(lookupXml.body).toBe(xml.body);
    const list = (await call(keyA, "GET", `/seller/invoices?state=delivered&limit=1000`)).json();
    expect(list.items.map((i: { id: string }) => i.id)).toContain(inv.id);
  }, 60_000);

  it("issues a batch with a result per item", async () => {
    const good = invoiceInput(series);
    const bad = {
      ...invoiceInput(series),
      lines: [{ itemName: "x", quantity: "abc", unitPrice: "1", vatRate: "10%" }],
    };
    const r = await call(keyA, "POST", "/seller/invoices/batch", {
      items: [{ invoice: good }, { invoice: bad }, { invoice: good, idempotencyKey: "batch-3" }],
    });
    expect(r.statusCode).toBe(200);
    const body = r.json();
    expect(body).toMatchObject({ issued: 2, failed: 1 });
    expect(body.results.map((x: { ok: boolean }) => x.ok)).toEqual([true, false, true]);
    expect(body.results[1].problems[0].code).toBe("SELLER_BAD_AMOUNT");
    const numbers = [body.results[0].invoice.number, body.results[2].invoice.number];
    expect(numbers[1]).toBe(numbers[0] + 1);
  }, 60_000);

  it("keeps viewers to reading", async () => {
    const k = await call(keyA, "POST", "/seller/api-keys", { name: "viewer", role: "viewer" });
    expect(k.statusCode).toBe(201);
    const viewer = k.json().key as string;
    expect((await call(viewer, "GET", "/seller/invoices")).statusCode).toBe(200);
    const w = await call(viewer, "POST", "/seller/invoices", invoiceInput(series));
    expect(w.statusCode).toBe(403);
    expect(w.json().error.code).toBe("SELLER_FORBIDDEN");
    expect((await call(viewer, "GET", "/seller/api-keys")).statusCode).toBe(403);
    // A revoked key opens nothing.
    expect((await call(keyA, "DELETE", `/seller/api-keys/${k.json().id}`)).statusCode).toBe(200);
    expect((await call(viewer, "GET", "/seller/invoices")).statusCode).toBe(401);
  });

  it("answers 400 with the field's path for a date that does not exist or text holding NUL, never 500", async () => {
    const bad = await call(keyA, "GET", "/seller/invoices?from=2026-02-30");
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error).toMatchObject({ code: "HTTP_INVALID_INPUT" });
    const nulQuery = await call(keyA, "GET", "/seller/invoices?after=%00");
    expect(nulQuery.statusCode).toBe(400);
    expect(nulQuery.json().error.problems[0].path).toBe("query/after");
    const input = invoiceInput(series);
    const nulBody = await call(keyA, "POST", "/seller/invoices", {
      ...input,
      buyer: { ...input.buyer, name: "Công ty\u0000 B" },
    });
    expect(nulBody.statusCode).toBe(400);
    expect(nulBody.json().error.problems[0].path).toBe("body/buyer/name");
  });

  describe("tenant isolation", () => {
    let invA: { id: string };
    beforeAll(async () => {
      invA = (
        await call(keyA, "POST", "/seller/invoices", invoiceInput(series), { "idempotency-key": "iso" })
      ).json();
    });

    it("invoices: B's key never reads, lists, issues or downloads A's invoice", async () => {
      for (const url of [
        `/seller/invoices/${invA.id}`,
        `/seller/invoices/${invA.id}/xml`,
        `/seller/invoices/${invA.id}/history`,
      ]) {
        const r = await call(keyB, "GET", url);
        expect(r.statusCode, url).toBe(404);
      }
      expect((await call(keyB, "POST", `/seller/invoices/${invA.id}/issue`)).statusCode).toBe(404);
      const list = (await call(keyB, "GET", "/seller/invoices?limit=1000")).json();
      expect(list.items.every((i: { taxCode: string }) => i.taxCode === SELLER_B)).toBe(true);
      expect(list.items.map((i: { id: string }) => i.id)).not.toContain(invA.id);
      // The same idempotency key in B makes B's own invoice.
      const b = await call(keyB, "POST", "/seller/invoices", invoiceInput(series), {
        "idempotency-key": "iso",
      });
      expect(b.statusCode).toBe(201);
      expect(b.json().id).not.toBe(invA.id);
    });

    it("series, users, keys and registrations: each key sees only its organisation", async () => {
      await call(keyA, "POST", "/seller/series", { template: "2", series });
      const seriesB = (await call(keyB, "GET", "/seller/series")).json().items;
      expect(seriesB.map((s: { template: string }) => s.template)).toEqual(["1"]);
      const usersB = (await call(keyB, "GET", "/seller/users")).json().items;
      expect(usersB.map((u: { email: string }) => u.email)).toEqual([`owner@${SELLER_B}.vn`]);
      const keysA = (await call(keyA, "GET", "/seller/api-keys")).json().items as { id: string }[];
      const keysB = (await call(keyB, "GET", "/seller/api-keys")).json().items as { id: string }[];
      expect(keysB.some((k) => keysA.some((a) => a.id === k.id))).toBe(false);
      expect((await call(keyB, "DELETE", `/seller/api-keys/${keysA[0]!.id}`)).statusCode).toBe(404);
      const regsB = (await call(keyB, "GET", "/seller/registration")).json().items;
      const regsA = (await call(keyA, "GET", "/seller/registration")).json().items;
      expect(regsB.some((r: { id: string }) => regsA.some((a: { id: string }) => a.id === r.id))).toBe(false);
      expect((await call(keyB, "GET", "/seller/organisation")).json().taxCode).toBe(SELLER_B);
    });
  });

  it("serves the web portal beside the API in the composed system", async () => {
    const r = await kit.app.inject({ url: "/portal/sign-in" });
    expect(r.statusCode).toBe(200);
    expect(r.headers["content-type"]).toContain("text/html");
    expect((await kit.app.inject({ url: "/portal/lookup" })).statusCode).toBe(200);
  });

  it("publishes the routes in the OpenAPI document", async () => {
    const doc = (await kit.app.inject({ url: "/openapi.json" })).json();
    for (const p of [
      "/seller/invoices",
      "/seller/invoices/batch",
      "/seller/invoices/{id}/issue",
      "/lookup/{code}",
    ])
      expect(Object.keys(doc.paths)).toContain(p);
  });
});

describe("seller lookup rate limit", () => {
  it("answers 429 with Retry-After once the client's bucket is empty", async () => {
    const app = await buildServer();
    const service = { lookup: async () => ({ ok: false, problems: [] }) } as never;
    registerSellerRoutes(app, service, {
      lookupLimiter: new TokenBucketLimiter({ capacity: 1, refillPerSecond: 0.1 }),
    });
    await app.inject({ url: "/lookup/ABCDEFGHJKMN" });
    const r = await app.inject({ url: "/lookup/ABCDEFGHJKMN" });
    expect(r.statusCode).toBe(429);
    expect(Number(r.headers["retry-after"])).toBeGreaterThan(0);
    await app.close();
  });
});
