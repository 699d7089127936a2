import { describe, expect, it } from "vitest";
import { lookupPageUrl, parseSmtpUrl } from "./notifications.ts";

describe("parseSmtpUrl", () => {
  it("reads host, port, login and sender, with STARTTLS when offered by default", () => {
    expect(parseSmtpUrl("smtp://k%40toan:p%3Ass@mail.example.vn:25?from=hoadon@example.vn")).toEqual({
      host: "mail.example.vn",
      port: 25,
      from: "hoadon@example.vn",
      tls: "opportunistic",
      auth: { user: "k@toan", pass: "p:ss" },
    });
  });

  it("takes port 587 for smtp:// and 465 with TLS from the first byte for smtps://", () => {
    expect(parseSmtpUrl("smtp://mail.example.vn?from=a@example.vn&tls=starttls")).toMatchObject({
      port: 587,
      tls: "starttls",
    });
    expect(parseSmtpUrl("smtps://mail.example.vn?from=a@example.vn")).toMatchObject({
      port: 465,
      tls: "implicit",
    });
  });

  it("refuses a URL without a sender, another scheme, or an unknown TLS mode", () => {
    expect(() => parseSmtpUrl("smtp://mail.example.vn")).toThrow(/from=/);
    expect(() => parseSmtpUrl("http://mail.example.vn?from=a@example.vn")).toThrow(/smtp:\/\//);
    expect(() => parseSmtpUrl("smtp://mail.example.vn?from=a@example.vn&tls=maybe")).toThrow(/maybe/);
    expect(() => parseSmtpUrl("smtps://mail.example.vn?from=a@example.vn&tls=none")).toThrow(/smtps/);
    expect(() => parseSmtpUrl("mail.example.vn")).toThrow(/not a URL/);
  });
});

describe("lookupPageUrl", () => {
  it("escapes the code into the portal's lookup page", () => {
    expect(lookupPageUrl("https://hd.example.vn", "AB CD")).toBe(
      "https://hd.example.vn/portal/lookup?code=AB%20CD",
    );
  });
});
