/**
 * People's sign-in through the API: an owner sets a password (weak ones refused), the user signs in and works
 * with the session key until it expires or is signed out; wrong passwords and unknown addresses get the same
 * answer; ten failures lock the user.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SellerLogins } from "../../src/seller/logins.ts";
import { ADMIN_KEY, openSellerKit, SELLER_A, type SellerKit } from "../seller/support.ts";
import { testBackends } from "../store/backends.ts";

describe.each(testBackends())("sign-in with a password (%s)", (backend) => {
  let kit: SellerKit;
  let owner: string;
  let userId: string;
  const call = (method: "GET" | "POST" | "PUT", url: string, key: string | undefined, body?: unknown) =>
    kit.app.inject({
      method,
      url,
      headers: {
        ...(key ? { "x-api-key": key } : {}),
        ...(body !== undefined ? { "content-type": "application/json" } : {}),
      },
      ...(body !== undefined ? { payload: JSON.stringify(body) } : {}),
    });
  const signIn = (email: string, password: string) =>
    call("POST", "/seller/sign-in", undefined, { taxCode: SELLER_A, email, password });

  beforeAll(async () => {
    kit = await openSellerKit(backend);
    const r = await call("POST", "/seller/organisations", ADMIN_KEY, {
      taxCode: SELLER_A,
      name: "Công ty A",
      address: "Số 1 Tràng Tiền, Hà Nội",
      owner: { email: "giamdoc@example.vn", name: "Giám đốc" },
    });
    owner = (r.json() as { apiKey: { key: string } }).apiKey.key;
    const u = await call("POST", "/seller/users", owner, {
      email: "KeToan@Example.vn",
      name: "Kế toán",
      role: "accountant",
    });
    expect(u.statusCode, u.body).toBe(201);
    userId = (u.json() as { id: string }).id;
  }, 120_000);
  afterAll(async () => {
    await kit?.close();
  });

  it("refuses a weak password and keeps none", async () => {
    const r = await call("PUT", `/seller/users/${userId}/password`, owner, { password: "ketoan2026!" });
    expect(r.statusCode).toBe(422);
    expect(r.json()).toMatchObject({ error: { code: "LOGIN_WEAK_PASSWORD" } });
    expect((await signIn("ketoan@example.vn", "ketoan2026!")).statusCode).toBe(401);
  });

  it("lets the user sign in and work with the session key until it expires", async () => {
    const set = await call("PUT", `/seller/users/${userId}/password`, owner, {
      password: "trăng rằm tháng tám",
    });
    expect(set.statusCode, set.body).toBe(200);
    const r = await signIn("ketoan@example.vn", "trăng rằm tháng tám");
    expect(r.statusCode, r.body).toBe(200);
    const s = r.json() as { key: string; role: string; expiresAt: string };
    expect(s.role).toBe("accountant");
    expect((await call("GET", "/seller/organisation", s.key)).statusCode).toBe(200);
    // An accountant's key cannot do an owner's work.
    expect((await call("GET", "/seller/api-keys", s.key)).statusCode).toBe(403);
    kit.manual.advance(12 * 3_600_000 + 1000);
    expect((await call("GET", "/seller/organisation", s.key)).statusCode).toBe(401);
  });

  it("answers a wrong password and an unknown address alike", async () => {
    const wrong = await signIn("ketoan@example.vn", "not the password at all");
    const unknown = await signIn("nobody@example.vn", "not the password at all");
    expect(wrong.statusCode).toBe(401);
    expect(unknown.statusCode).toBe(401);
    expect(wrong.body).toBe(unknown.body);
  });

  it("signs out: the session key stops working", async () => {
    const s = (await signIn("ketoan@example.vn", "trăng rằm tháng tám")).json() as { key: string };
    expect((await call("POST", "/seller/sign-out", s.key)).statusCode).toBe(200);
    expect((await call("GET", "/seller/organisation", s.key)).statusCode).toBe(401);
  });

  it("locks the user after ten failures in a row, even against the right password, for 15 minutes", async () => {
    const logins = new SellerLogins(kit.db, { clock: kit.manual });
    for (let i = 0; i < 10; i++) {
      const r = await logins.signIn(SELLER_A, "ketoan@example.vn", `wrong password ${i}`);
      expect(r.ok || r.problems[0]!.code).toBe("LOGIN_REFUSED");
    }
    const locked = await logins.signIn(SELLER_A, "ketoan@example.vn", "trăng rằm tháng tám");
    expect(locked.ok || locked.problems[0]!.code).toBe("LOGIN_LOCKED");
    kit.manual.advance(16 * 60_000);
    expect((await logins.signIn(SELLER_A, "ketoan@example.vn", "trăng rằm tháng tám")).ok).toBe(true);
  });

  it("limits sign-in attempts per client address with 429 and Retry-After", async () => {
    kit.manual.advance(60_000);
    const codes: number[] = [];
    for (let i = 0; i < 12; i++)
      codes.push((await signIn("nobody@example.vn", "not the password")).statusCode);
    expect(codes.slice(0, 10).every((c) => c === 401)).toBe(true);
    const last = await signIn("nobody@example.vn", "not the password");
    expect(last.statusCode).toBe(429);
    expect(Number(last.headers["retry-after"])).toBeGreaterThanOrEqual(1);
  });
});
