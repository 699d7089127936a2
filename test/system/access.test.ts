/**
 * Access (issue 8): every route of the composed app, enumerated from its OpenAPI document (so a route added
 * later is checked too), refuses a missing key, an unknown key and a revoked key with 401 and a code; a
 * viewer's key never writes (403 on every seller route that is not a read); an accountant's key never does
 * an owner's work; an organisation's key never reaches another organisation's invoices (404, and the
 * answer names nothing of the other organisation). The buyer's lookup is rate-limited (429 with
 * Retry-After) and a wrong code finds nothing. The authority codes only invoices of registered taxpayers
 * signed with a trusted certificate over unchanged content. No key reaches the request log; a person's
 * password is kept only as a memory-hard (scrypt) hash.
 *
 * Public routes are listed below by name: a new public route fails this test until it is added there.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ApiKeys } from "../../src/api/auth.ts";
import { registerSellerRoutes } from "../../src/api/seller.ts";
import { buildServer } from "../../src/api/server.ts";
import { writeMessage } from "../../src/format/envelope.ts";
import { writeInvoice } from "../../src/format/invoice.ts";
import type { MessageTypeCode } from "../../src/format/messages.ts";
import { createDevCa, issueCertificate } from "../../src/signing/dev-ca.ts";
import { signAs } from "../../src/signing/profiles.ts";
import { memorySigner } from "../../src/signing/signer.ts";
import { codedInvoice } from "../authority/support.ts";
import {
  ADMIN_KEY,
  invoiceInput,
  openSellerKit,
  SELLER_A,
  SELLER_B,
  type SellerKit,
  seriesOf,
} from "../seller/support.ts";
import { withTotals } from "../support/invoices.ts";
import { figure, PG_URL, routesOf } from "./stress-support.ts";

/** Routes anyone may call (no key), each for a stated reason. */
const PUBLIC = new Set([
  "GET /health",
  // The buyer's lookup: the secret code is the credential; rate-limited.
  "GET /lookup/:code",
  "GET /lookup/:code/xml",
  "GET /authority/lookup/invoice",
  // Message exchange: the signed message is the credential.
  "POST /authority/messages",
  "GET /authority/messages/:id/replies",
  "GET /authority/connection-check",
  "POST /seller/messages",
  // A person's sign-in: the password is the credential; rate-limited per address and locked per user.
  "POST /seller/sign-in",
]);

/** Routes any role may use although they are not reads: signing out revokes the caller's own key. */
const ANY_ROLE = new Set(["POST /seller/sign-out"]);

/** Seller routes only an owner may use (an accountant is refused). */
const OWNER_ONLY = (route: string) => OWNER_ROUTES.has(route) || route.includes(" /seller/webhooks");
const OWNER_ROUTES = new Set([
  "PUT /seller/users/:id/password",
  "POST /seller/exception-contracts",
  "PATCH /seller/organisation",
  "GET /seller/users",
  "POST /seller/users",
  "GET /seller/api-keys",
  "POST /seller/api-keys",
  "DELETE /seller/api-keys/:id",
  "PUT /seller/signing-key",
  "POST /seller/registration",
]);

/** Routes of installation keys (HDDT_API_KEYS), which an organisation's key never opens. */
const INSTALLATION = (route: string) =>
  route.includes(" /authority/") ||
  route === "POST /seller/organisations" ||
  route === "GET /seller/organisations" ||
  route === "GET /seller/reports/provider";

describe("access: every route, every kind of key", () => {
  let kit: SellerKit;
  const keys: Record<string, string> = {};
  let invoiceA = { id: "", lookupCode: "", authorityCode: "" };
  let routes: Array<{ method: string; url: string }> = [];

  const call = (
    key: string | undefined,
    method: string,
    url: string,
    payload?: unknown,
    extra: Record<string, string> = {},
  ) =>
    kit.app.inject({
      method: method as "GET",
      url,
      headers: {
        ...(key ? { "x-api-key": key } : {}),
        ...(payload !== undefined ? { "content-type": "application/json" } : {}),
        ...extra,
      },
      ...(payload !== undefined ? { payload: JSON.stringify(payload) } : {}),
    });

  beforeAll(async () => {
    kit = await openSellerKit(PG_URL ? "postgres" : "embedded");
    const series = seriesOf(kit.today());
    for (const [name, tc] of [
      ["A", SELLER_A],
      ["B", SELLER_B],
    ] as const) {
      const r = await call(ADMIN_KEY, "POST", "/seller/organisations", {
        taxCode: tc,
        name: `Công ty ${name} bí mật`,
        address: "Số 1 Tràng Tiền, Hà Nội",
        profile: { email: "ketoan@example.vn", phone: "0241234567" },
      });
      expect(r.statusCode).toBe(201);
      keys[name] = r.json().apiKey.key;
      await kit.authority.upsertTaxpayer({ taxCode: tc, name: tc });
      expect((await call(keys[name], "PUT", "/seller/signing-key", { kind: "dev" })).statusCode).toBe(200);
      expect((await call(keys[name], "POST", "/seller/series", { template: "1", series })).statusCode).toBe(
        201,
      );
      expect(
        (await call(keys[name], "POST", "/seller/registration", { withCode: true, withoutCode: false }))
          .statusCode,
      ).toBe(202);
    }
    for (const role of ["accountant", "viewer", "owner"] as const) {
      const r = await call(keys.A, "POST", "/seller/api-keys", { name: `k-${role}`, role });
      expect(r.statusCode).toBe(201);
      keys[role] = r.json().key;
      if (role === "owner") {
        // This one is revoked at once.
        expect((await call(keys.A, "DELETE", `/seller/api-keys/${r.json().id}`)).statusCode).toBe(200);
        keys.revoked = r.json().key;
      }
    }
    await kit.drain();
    const issued = await call(keys.A, "POST", "/seller/invoices?issue=true", invoiceInput(series), {
      "idempotency-key": "access-a-1",
    });
    expect(issued.statusCode).toBe(201);
    await kit.drain();
    const got = (await call(keys.A, "GET", `/seller/invoices/${issued.json().id}`)).json();
    invoiceA = { id: got.id, lookupCode: got.lookupCode, authorityCode: got.authorityCode ?? "" };
    expect(invoiceA.authorityCode).not.toBe("");
    routes = await routesOf(kit.app);
  }, 180_000);

  afterAll(async () => {
    await kit?.close();
  });

  const urlOf = (url: string) =>
    url.replace(":id", invoiceA.id).replace(":code", invoiceA.lookupCode).replace(":taxCode", SELLER_A);
  const body = (method: string) => (["POST", "PUT", "PATCH"].includes(method) ? {} : undefined);
  /** Nothing of organisation A in an answer given to someone else. */
  const leaks = (text: string) =>
    [SELLER_A, invoiceA.lookupCode, invoiceA.authorityCode, "Công ty A bí mật"].filter((s) =>
      text.includes(s),
    );

  it("enumerates the routes of every part", () => {
    expect(routes.length).toBeGreaterThan(30);
    expect(routes.some((r) => r.url === "/seller/invoices/:id")).toBe(true);
  });

  it("refuses a missing, an unknown and a revoked key on every protected route, leaking nothing", async () => {
    const failures: string[] = [];
    let checked = 0;
    for (const r of routes) {
      const name = `${r.method} ${r.url}`;
      if (PUBLIC.has(name) || r.url.startsWith("/docs")) continue;
      for (const [label, key] of [
        ["missing", undefined],
        ["unknown", "hddt_not-a-key-of-anyone-0123456789"],
        ["revoked", keys.revoked],
      ] as const) {
        const res = await call(key, r.method, urlOf(r.url), body(r.method));
        checked++;
        const code = res.statusCode === 401 ? (res.json() as { error: { code: string } }).error.code : "";
        const want = label === "missing" ? "HTTP_API_KEY_MISSING" : "HTTP_API_KEY_REFUSED";
        if (res.statusCode !== 401 || code !== want)
          failures.push(`${name} with a ${label} key: ${res.statusCode} ${res.body.slice(0, 200)}`);
        const leaked = leaks(res.body);
        if (leaked.length > 0) failures.push(`${name} with a ${label} key leaked ${leaked.join(", ")}`);
      }
    }
    figure(
      "access",
      `${checked} requests without a valid key on ${routes.length} routes; failures ${failures.length}`,
    );
    expect(failures).toEqual([]);
  });

  it("keeps each organisation's key to its own organisation and its role", async () => {
    const failures: string[] = [];
    let checked = 0;
    for (const r of routes) {
      const name = `${r.method} ${r.url}`;
      if (PUBLIC.has(name) || r.url.startsWith("/docs")) continue;
      if (INSTALLATION(name)) {
        // An organisation's owner key is no installation key.
        const res = await call(keys.A, r.method, urlOf(r.url), body(r.method));
        checked++;
        if (res.statusCode !== 401) failures.push(`${name} with an organisation's key: ${res.statusCode}`);
        continue;
      }
      if (!r.url.startsWith("/seller/")) {
        failures.push(`${name}: a route this test does not know; classify it`);
        continue;
      }
      // Another organisation's owner: never A's data. Reads of A's invoice are 404; lists hold only B's.
      // (Writes with B's key act on B; they are not sent, except where they name A's invoice.)
      if (r.method === "GET" || r.url.includes(":id")) {
        const res = await call(keys.B, r.method, urlOf(r.url), body(r.method));
        checked++;
        const leaked = leaks(res.body);
        if (leaked.length > 0) failures.push(`${name} with B's key leaked ${leaked.join(", ")}`);
        if (
          r.url.includes(":id") &&
          !r.url.startsWith("/seller/api-keys") &&
          ![400, 404].includes(res.statusCode)
        )
          failures.push(`${name} on A's invoice with B's key: ${res.statusCode} ${res.body.slice(0, 200)}`);
      }
      if (r.method !== "GET" && !ANY_ROLE.has(name)) {
        // A viewer reads only.
        const v = await call(keys.viewer, r.method, urlOf(r.url), body(r.method));
        checked++;
        if (v.statusCode !== 403 || v.json().error?.code !== "SELLER_FORBIDDEN")
          failures.push(`${name} with a viewer's key: ${v.statusCode} ${v.body.slice(0, 200)}`);
      }
      if (OWNER_ONLY(name)) {
        const a = await call(keys.accountant, r.method, urlOf(r.url), body(r.method));
        checked++;
        if (a.statusCode !== 403 || a.json().error?.code !== "SELLER_FORBIDDEN")
          failures.push(`${name} with an accountant's key: ${a.statusCode} ${a.body.slice(0, 200)}`);
      }
    }
    // B's key revokes none of A's keys (ids are small numbers, easy to guess).
    for (let id = 1; id <= 8; id++) {
      const res = await call(keys.B, "DELETE", `/seller/api-keys/${id}`);
      checked++;
      if (res.statusCode === 200) {
        const stillA = await call(keys.A, "GET", "/seller/organisation");
        if (stillA.statusCode !== 200) failures.push(`B's key revoked A's key ${id}`);
      }
    }
    expect((await call(keys.viewer, "GET", "/seller/organisation")).statusCode).toBe(200);
    figure(
      "access",
      `${checked} requests with another organisation's or a weaker role's key; failures ${failures.length}`,
    );
    expect(failures).toEqual([]);
  });

  it("finds nothing with a wrong lookup code and limits the rate of lookups", async () => {
    const wrong = invoiceA.lookupCode.replace(/.$/, (c) => (c === "A" ? "B" : "A"));
    const miss = await call(undefined, "GET", `/lookup/${wrong}`);
    expect(miss.statusCode).toBe(404);
    expect(leaks(miss.body)).toEqual([]);
    const statuses: number[] = [];
    let retryAfter: string | undefined;
    for (let i = 0; i < 40; i++) {
      const r = await call(undefined, "GET", `/lookup/${wrong}${i}`);
      statuses.push(r.statusCode);
      if (r.statusCode === 429) {
        retryAfter = String(r.headers["retry-after"]);
        expect(r.json().error.code).toBe("HTTP_RATE_LIMITED");
      }
    }
    const limited = statuses.filter((s) => s === 429).length;
    figure(
      "access",
      `lookups: ${statuses.length - limited} answered, ${limited} limited (429) of ${statuses.length} in a burst`,
    );
    expect(limited).toBeGreaterThan(0);
    expect(Number(retryAfter)).toBeGreaterThanOrEqual(1);
    expect(statuses.every((s) => s === 404 || s === 429)).toBe(true);
  });

  it("codes only registered taxpayers' invoices, signed with a trusted certificate over unchanged content", async () => {
    const signing = await kit.db.pool.query<{ config: { keyPem: string }; certificate: string }>(
      "select config, certificate from seller.signing_key where tax_code = $1",
      [SELLER_A],
    );
    const own = memorySigner({
      key: signing.rows[0]!.config.keyPem,
      certificate: signing.rows[0]!.certificate,
    });
    const strangerCa = await createDevCa();
    const stranger = await issueCertificate(strangerCa, { name: "Công ty A giả", taxCode: SELLER_A });
    const strangerSigner = memorySigner({ key: stranger.key!, certificate: stranger.certificate });
    const date = kit.today();
    let n = 9000;
    const invoice = (taxCode = SELLER_A) => {
      const inv = codedInvoice(String(++n), { series: seriesOf(date), issueDate: date });
      return withTotals({ ...inv, seller: { ...inv.seller, taxCode } });
    };
    const sign = async (xml: string, signer = own) => {
      const r = await signAs(xml, signer, "seller");
      if (!r.ok) throw new Error(JSON.stringify(r.problems));
      return r.value.xml;
    };
    const send = async (payload: string, taxCode = SELLER_A) => {
      const id = `${kit.tvanParty}${Math.random().toString(16).slice(2).padEnd(16, "0")}${"0".repeat(16)}`
        .slice(0, 46)
        .toUpperCase();
      const xml = writeMessage(
        {
          version: "2.1.0",
          sender: kit.tvanParty,
          receiver: "TCT",
          type: 200 as MessageTypeCode,
          messageId: id,
          taxCode,
          count: 1,
        },
        [payload],
      );
      const res = await kit.app.inject({
        method: "POST",
        url: "/authority/messages",
        headers: { "content-type": "application/xml" },
        payload: xml,
      });
      await kit.drain();
      const replies = (await kit.authority.repliesTo(id)) ?? [];
      return { status: res.statusCode, types: replies.map((r) => r.type) };
    };
    // The control: the same path with everything right is coded, so the refusals below are meaningful.
    const good = await send(await sign(writeInvoice(invoice())));
    expect(good.types).toContain(202);
    const cases = {
      "an untrusted certificate": await send(await sign(writeInvoice(invoice()), strangerSigner)),
      "content changed after signing": await send(
        (await sign(writeInvoice(invoice()))).replace(/<THHDVu>([^<]+)</, "<THHDVu>$1 (sửa)<"),
      ),
      "no signature": await send(writeInvoice(invoice())),
      "an unregistered taxpayer": await send(await sign(writeInvoice(invoice("0101243150"))), "0101243150"),
    };
    for (const [what, r] of Object.entries(cases)) {
      expect(r.types, what).not.toContain(202);
      expect(
        r.status === 200 ? r.types.some((t) => t === 204 || t === -1 || t === 999) : r.status >= 400,
        what,
      ).toBe(true);
    }
    figure(
      "access",
      `authority: 1 good invoice coded; ${Object.keys(cases).length} bad senders or signatures refused`,
    );
  });

  it("never writes a key to the request log", async () => {
    const lines: string[] = [];
    const app = await buildServer({
      logger: { level: "trace", stream: { write: (line: string) => lines.push(line) } },
      clock: kit.clock,
    });
    registerSellerRoutes(app, kit.seller, {
      adminKeys: new ApiKeys([{ role: "admin", name: "admin", key: ADMIN_KEY }]),
      clock: kit.clock,
    });
    const made = await app.inject({
      method: "POST",
      url: "/seller/api-keys",
      headers: { "x-api-key": keys.A!, "content-type": "application/json" },
      payload: JSON.stringify({ name: "logged?", role: "viewer" }),
    });
    expect(made.statusCode).toBe(201);
    const shown = made.json().key as string;
    for (const key of [keys.A!, keys.revoked!, shown, ADMIN_KEY, "hddt_wrong-key-0123456789abcdef"])
      await app.inject({ method: "GET", url: "/seller/organisation", headers: { "x-api-key": key } });
    await app.inject({ method: "GET", url: "/seller/organisations", headers: { "x-api-key": ADMIN_KEY } });
    await app.close();
    expect(lines.length).toBeGreaterThan(5);
    const secrets = [keys.A!, keys.revoked!, shown, ADMIN_KEY, "hddt_wrong-key-0123456789abcdef"];
    expect(lines.filter((l) => secrets.some((k) => l.includes(k)))).toEqual([]);
    figure("access", `${lines.length} log lines of requests with 6 keys: no key written`);
  });

  it("keeps a person's password only as a memory-hard hash, and signs in with it", async () => {
    const user = await call(keys.A, "POST", "/seller/users", {
      email: "ke.toan@a.vn",
      name: "Kế toán",
      role: "accountant",
    });
    expect(user.statusCode).toBe(201);
    const password = "mật-khẩu-rất-dài-0123";
    const set = await call(keys.A, "PUT", `/seller/users/${user.json().id}/password`, { password });
    expect(set.statusCode).toBe(200);
    const stored = await kit.db.pool.query<{ password_hash: string }>(
      "select password_hash from seller.app_user where email = $1",
      ["ke.toan@a.vn"],
    );
    const hash = stored.rows[0]!.password_hash;
    // scrypt with N ≥ 2^15 (32 MiB a try), never the password itself.
    expect(hash).toMatch(/^scrypt\$(\d+)\$/);
    expect(Number(/^scrypt\$(\d+)\$/.exec(hash)![1])).toBeGreaterThanOrEqual(15);
    expect(hash).not.toContain(password);
    const wrong = await call(undefined, "POST", "/seller/sign-in", {
      taxCode: SELLER_A,
      email: "ke.toan@a.vn",
      password: "sai",
    });
    expect(wrong.statusCode).toBe(401);
    const ok = await call(undefined, "POST", "/seller/sign-in", {
      taxCode: SELLER_A,
      email: "ke.toan@a.vn",
      password,
    });
    expect(ok.statusCode).toBe(200);
    expect(ok.json().role).toBe("accountant");
  });
});
