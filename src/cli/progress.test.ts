import { describe, expect, it } from "vitest";
import { progressLine, progressReporter } from "./progress.ts";

function sink(isTTY: boolean) {
  const out: string[] = [];
  return { out, write: (t: string) => void out.push(t), isTTY, columns: 120 };
}

describe("progressLine", () => {
  it("draws a bar, the percentage and grouped counts when the total is known", () => {
    expect(progressLine("hddt backup", { phase: "events written", done: 6000, total: 10000 }, 1234.4)).toBe(
      "hddt backup: [██████████████░░░░░░░░░░]  60%  6,000 of 10,000 events written  1,234/s",
    );
  });

  it("shows a count without a bar when the total is unknown", () => {
    expect(progressLine("hddt restore", { phase: "rows read", done: 12 }, undefined)).toBe(
      "hddt restore: 12 rows read",
    );
  });
});

describe("progressReporter", () => {
  it("writes a plain line per phase and at most one a second off a terminal", () => {
    let t = 0;
    const s = sink(false);
    const p = progressReporter("x", s, () => t);
    p({ phase: "a", done: 1, total: 10 });
    t = 500;
    p({ phase: "a", done: 5, total: 10 });
    t = 1200;
    p({ phase: "a", done: 8, total: 10 });
    p({ phase: "b", done: 1 });
    expect(s.out).toHaveLength(3);
    expect(s.out.every((l) => l.endsWith("\n"))).toBe(true);
  });

  it("redraws one line in place on a terminal and ends it when done", () => {
    let t = 0;
    const s = sink(true);
    const p = progressReporter("x", s, () => t);
    p({ phase: "a", done: 1, total: 4 });
    t = 200;
    p({ phase: "a", done: 2, total: 4 });
    t = 210;
    // The last update is always drawn, however soon it comes.
    p({ phase: "a", done: 4, total: 4 });
    p.done();
    expect(s.out.slice(0, 3).every((l) => l.startsWith("\r"))).toBe(true);
    expect(s.out[2]).toContain("100%");
    expect(s.out.at(-1)).toBe("\n");
  });
});
