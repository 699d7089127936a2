import { describe, expect, it } from "vitest";
import { durationMs, ManualClock, systemClock } from "./clock.ts";

describe("ManualClock", () => {
  it("stands still until moved", () => {
    const clock = new ManualClock("2026-03-09T08:00:00+07:00");
    expect(clock.now().toISOString()).toBe("2026-03-09T01:00:00.000Z");
    expect(clock.now().toISOString()).toBe("2026-03-09T01:00:00.000Z");
  });

  it("advances by a duration and returns the new time", () => {
    const clock = new ManualClock(0);
    expect(clock.advance({ days: 1, hours: 2, minutes: 3, seconds: 4, ms: 5 }).getTime()).toBe(93_784_005);
    expect(clock.advance(-5).getTime()).toBe(93_784_000);
  });

  it("jumps to a set instant, also backwards", () => {
    const clock = new ManualClock("2026-03-09T00:00:00Z");
    clock.set(new Date("2025-01-01T00:00:00Z"));
    expect(clock.now().toISOString()).toBe("2025-01-01T00:00:00.000Z");
  });

  it("hands out copies, so a caller cannot move it", () => {
    const clock = new ManualClock(1000);
    clock.now().setTime(0);
    expect(clock.now().getTime()).toBe(1000);
  });

  it("refuses an instant that is not one", () => {
    expect(() => new ManualClock("not a date")).toThrow(RangeError);
    expect(() => new ManualClock(0).advance(Number.NaN)).toThrow(RangeError);
  });
});

describe("systemClock", () => {
  it("reads the machine's time", () => {
    const before = Date.now();
    const t = systemClock.now().getTime();
    expect(t).toBeGreaterThanOrEqual(before);
    expect(t).toBeLessThanOrEqual(Date.now());
  });
});

describe("durationMs", () => {
  it("adds up the parts", () => {
    expect(durationMs({ hours: 1, minutes: 30 })).toBe(5_400_000);
    expect(durationMs(42)).toBe(42);
  });
});
