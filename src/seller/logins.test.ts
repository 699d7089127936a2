import { describe, expect, it } from "vitest";
import { hashPassword, passwordProblems, verifyPassword } from "./logins.ts";

describe("password hashes", () => {
  it("are scrypt with N = 2^15 and a fresh salt, and verify only the same password", async () => {
    const a = await hashPassword("Hóa đơn điện tử 2026");
    const b = await hashPassword("Hóa đơn điện tử 2026");
    expect(a).toMatch(/^scrypt\$15\$8\$1\$[\w-]{22}\$[\w-]{43}$/);
    expect(a).not.toBe(b);
    expect(await verifyPassword("Hóa đơn điện tử 2026", a)).toBe(true);
    expect(await verifyPassword("Hóa đơn điện tử 2025", a)).toBe(false);
  });

  it("treat the composed and decomposed forms of a Vietnamese password as one", async () => {
    const h = await hashPassword("Mật khẩu của tôi".normalize("NFC"));
    expect(await verifyPassword("Mật khẩu của tôi".normalize("NFD"), h)).toBe(true);
  });

  it("refuse a malformed or absurdly costly stored hash instead of throwing", async () => {
    expect(await verifyPassword("x", "")).toBe(false);
    expect(await verifyPassword("x", "bcrypt$2b$10$abc")).toBe(false);
    expect(await verifyPassword("x", "scrypt$30$8$1$AAAA$AAAA")).toBe(false);
  });
});

describe("passwordProblems", () => {
  const ctx = { email: "ketoan@example.vn", taxCode: "0100109106" };
  it("refuses short, one-character, e-mail-name and tax-code passwords with a reason in both languages", () => {
    for (const weak of ["short", "aaaaaaaaaaaa", "Ketoan-2026!", "x0100109106x"]) {
      const p = passwordProblems(weak, ctx);
      expect(
        p.map((x) => x.code),
        weak,
      ).toEqual(["LOGIN_WEAK_PASSWORD"]);
      expect(p[0]!.messageVi).toMatch(/^Mật khẩu chưa đủ mạnh: \S/);
      expect(p[0]!.message).toMatch(/^The password is too weak: \S/);
    }
  });

  it("takes a long enough password that names neither", () => {
    expect(passwordProblems("trăng rằm tháng tám", ctx)).toEqual([]);
  });
});
