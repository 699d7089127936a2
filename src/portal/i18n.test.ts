import { describe, expect, it } from "vitest";
import { MESSAGES, t, tOr } from "./i18n.ts";

describe("the portal's message table", () => {
  it("has every message in both languages with the same placeholders", () => {
    const names = (text: string) => [...text.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();
    for (const [key, m] of Object.entries(MESSAGES)) {
      expect(m.vi.trim(), key).not.toBe("");
      expect(m.en.trim(), key).not.toBe("");
      expect(names(m.vi), key).toEqual(names(m.en));
    }
  });

  it("fills placeholders and falls back to the value for keys made from unknown values", () => {
    expect(t("vi", "issuedNotice", { number: 12 })).toBe("Đã phát hành hóa đơn số 12");
    expect(t("en", "issuedNotice", { number: 12 })).toBe("Invoice number 12 was issued");
    expect(tOr("en", "state_coded", "coded")).toBe("Coded");
    expect(tOr("en", "state_unheard_of", "unheard_of")).toBe("unheard_of");
  });
});
