import { describe, expect, it } from "vitest";
import { GroupCommit, type Settled } from "./group-commit.ts";

/** A write whose batches are recorded and which finishes only when `release` is called. */
function gatedWrite() {
  const batches: number[][] = [];
  const pending: Array<() => void> = [];
  const write = async (items: readonly number[]): Promise<Settled<string>[]> => {
    batches.push([...items]);
    await new Promise<void>((r) => pending.push(r));
    return items.map((i) =>
      i < 0 ? { ok: false, error: new Error(`bad ${i}`) } : { ok: true, value: `w${i}` },
    );
  };
  const release = async () => {
    while (pending.length === 0) await new Promise((r) => setImmediate(r));
    pending.shift()!();
  };
  return { batches, write, release };
}

describe("group commit", () => {
  it("writes the first item at once and gathers those that arrive meanwhile into the next batch", async () => {
    const g = gatedWrite();
    const gc = new GroupCommit(g.write);
    const first = gc.submit(1);
    const rest = [2, 3, 4].map((i) => gc.submit(i));
    await g.release();
    expect(await first).toBe("w1");
    await g.release();
    expect(await Promise.all(rest)).toEqual(["w2", "w3", "w4"]);
    expect(g.batches).toEqual([[1], [2, 3, 4]]);
  });

  it("fails only the item whose write failed, and caps the batch size", async () => {
    const g = gatedWrite();
    const gc = new GroupCommit(g.write, 2);
    const a = gc.submit(1);
    const b = gc.submit(-2).catch((e: unknown) => e);
    const c = gc.submit(3);
    const d = gc.submit(4);
    for (let i = 0; i < 3; i++) await g.release();
    expect(await a).toBe("w1");
    expect(String(await b)).toBe("Error: bad -2");
    expect(await c).toBe("w3");
    expect(await d).toBe("w4");
    expect(g.batches).toEqual([[1], [-2, 3], [4]]);
  });

  it("fails the whole batch when the write itself throws, and goes on with the next", async () => {
    let n = 0;
    const gc = new GroupCommit<number, number>(async (items) => {
      if (n++ === 0) throw new Error("connection lost");
      return items.map((value) => ({ ok: true, value }));
    });
    await expect(gc.submit(1)).rejects.toThrow("connection lost");
    expect(await gc.submit(2)).toBe(2);
  });
});
