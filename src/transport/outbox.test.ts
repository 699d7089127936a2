import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { backoffDelay } from "./outbox.ts";

describe("backoffDelay", () => {
  const policy = { baseMs: 1000, capMs: 60_000 };

  it("doubles the ceiling per failed try up to the cap (seen with the largest jitter)", () => {
    const top = () => 0.999_999_999;
    expect([1, 2, 3, 4, 5, 6, 7, 8, 30, 2000].map((a) => backoffDelay(a, policy, top))).toEqual([
      999, 1999, 3999, 7999, 15_999, 31_999, 59_999, 59_999, 59_999, 59_999,
    ]);
  });

  it("stays within [0, min(cap, base × 2^(n−1))) for any try and any jitter", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 10_000 }),
        fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
        (n, r) => {
          const d = backoffDelay(n, policy, () => r);
          const ceiling = Math.min(policy.capMs, policy.baseMs * 2 ** Math.min(n - 1, 52));
          return Number.isInteger(d) && d >= 0 && d < ceiling;
        },
      ),
    );
  });

  it("waits nothing with zero jitter (full jitter may retry at once)", () => {
    expect(backoffDelay(5, policy, () => 0)).toBe(0);
  });
});
