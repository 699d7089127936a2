import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { CATALOGUE, catalogueMarkdown } from "../src/catalogue.ts";

describe("error catalogue", () => {
  it("has every code once across all areas", () => {
    const seen = new Map<string, string>();
    const clashes: string[] = [];
    for (const s of CATALOGUE) {
      for (const code of Object.keys(s.codes)) {
        if (seen.has(code)) clashes.push(`${code} in ${seen.get(code)} and ${s.area}`);
        seen.set(code, s.area);
      }
    }
    expect(clashes).toEqual([]);
  });

  it("gives every code a stable UPPER_SNAKE name and a message in Vietnamese and in English", () => {
    for (const s of CATALOGUE) {
      for (const [code, def] of Object.entries(s.codes)) {
        expect(code).toMatch(/^[A-Z][A-Z0-9_]+$/);
        expect(def.vi.trim().length).toBeGreaterThan(5);
        expect(def.en.trim().length).toBeGreaterThan(5);
        // The same placeholders in both languages (a Vietnamese message may take the "…Vi" form of one).
        const names = (t: string) =>
          [...t.matchAll(/\{(\w+)\}/g)].map((m) => m[1]!.replace(/Vi$/, "")).sort();
        expect(names(def.vi), code).toEqual(names(def.en));
      }
    }
  });

  it("is documented in docs/error-codes.md exactly as generated", () => {
    const doc = readFileSync(join(import.meta.dirname, "../docs/error-codes.md"), "utf8");
    expect(doc).toBe(catalogueMarkdown());
  });
});
