import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ReadyWatcher, SessionQueue, type WireBackend } from "./session-queue.ts";

function backendMessage(type: string, body: Uint8Array = new Uint8Array(0)): Uint8Array {
  const out = new Uint8Array(5 + body.length);
  out[0] = type.charCodeAt(0);
  new DataView(out.buffer).setInt32(1, 4 + body.length);
  out.set(body, 5);
  return out;
}
const ready = (status: "I" | "T" | "E") => backendMessage("Z", Uint8Array.of(status.charCodeAt(0)));
const concat = (...parts: Uint8Array[]) => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
};

function frontend(type: string, text = ""): Uint8Array {
  return backendMessage(type, new TextEncoder().encode(text ? `${text}\0` : ""));
}

/** A pretend PostgreSQL session: answers like a backend and records what ran, in order. */
class FakeSession implements WireBackend {
  readonly ran: string[] = [];
  status: "I" | "T" | "E" = "I";
  failNext = false;

  async exec(message: Uint8Array, onData: (data: Uint8Array) => void): Promise<void> {
    await Promise.resolve();
    if (this.failNext) {
      this.failNext = false;
      throw new Error("wasm aborted");
    }
    const type = String.fromCharCode(message[0]!);
    const text = new TextDecoder().decode(message.subarray(5, message.length - 1));
    this.ran.push(type === "Q" ? text : type);
    switch (type) {
      case "P":
        return onData(backendMessage("1"));
      case "B":
        return onData(backendMessage("2"));
      case "E":
        return onData(backendMessage("C", new TextEncoder().encode("SELECT 1\0")));
      case "S":
        return onData(ready(this.status));
      case "Q":
        if (text === "BEGIN") this.status = "T";
        if (text === "COMMIT" || text === "ROLLBACK") this.status = "I";
        // Split the answer in two chunks, the way a stream may deliver it.
        onData(backendMessage("C", new TextEncoder().encode(`${text}\0`)));
        return onData(ready(this.status));
    }
  }
}

function queueOf(
  session: FakeSession,
  onOwnerStalled: (id: number) => void = () => {},
  ownerIdleTimeoutMs = 0,
) {
  return new SessionQueue(session, { ownerIdleTimeoutMs, onOwnerStalled });
}

const noop = () => {};

describe("SessionQueue", () => {
  it("keeps another connection out between a Parse and its Sync", async () => {
    const s = new FakeSession();
    const q = queueOf(s);
    const a1 = q.enqueue(1, frontend("P"), noop);
    const b = q.enqueue(2, frontend("Q", "select 2"), noop);
    await a1;
    expect(q.owner).toBe(1);
    const a2 = [
      q.enqueue(1, frontend("B"), noop),
      q.enqueue(1, frontend("E"), noop),
      q.enqueue(1, frontend("S"), noop),
    ];
    await Promise.all([...a2, b]);
    expect(s.ran).toEqual(["P", "B", "E", "S", "select 2"]);
    expect(q.owner).toBe(null);
  });

  it("runs a transaction whole before anyone else's messages", async () => {
    const s = new FakeSession();
    const q = queueOf(s);
    await q.enqueue(1, frontend("Q", "BEGIN"), noop);
    const other = q.enqueue(2, frontend("Q", "select 2"), noop);
    await q.enqueue(1, frontend("Q", "update"), noop);
    await q.enqueue(1, frontend("Q", "COMMIT"), noop);
    await other;
    expect(s.ran).toEqual(["BEGIN", "update", "COMMIT", "select 2"]);
  });

  it("serves waiting connections in arrival order when the session is free", async () => {
    const s = new FakeSession();
    const q = queueOf(s);
    await Promise.all([3, 1, 2].map((id) => q.enqueue(id, frontend("Q", `from ${id}`), noop)));
    expect(s.ran).toEqual(["from 3", "from 1", "from 2"]);
  });

  it("rolls back and frees the session when its owner disconnects mid-transaction", async () => {
    const s = new FakeSession();
    const q = queueOf(s);
    await q.enqueue(1, frontend("Q", "BEGIN"), noop);
    const other = q.enqueue(2, frontend("Q", "select 2"), noop);
    await q.clearTransactionIfNeeded(1);
    await other;
    expect(s.ran).toEqual(["BEGIN", "S", "ROLLBACK", "select 2"]);
    expect(s.status).toBe("I");
  });

  it("needs no reset for a connection that does not own the session", async () => {
    const s = new FakeSession();
    const q = queueOf(s);
    await q.enqueue(1, frontend("Q", "select 1"), noop);
    await q.clearTransactionIfNeeded(1);
    expect(s.ran).toEqual(["select 1"]);
  });

  it("drops a closed connection's waiting messages", async () => {
    const s = new FakeSession();
    const q = queueOf(s);
    await q.enqueue(1, frontend("Q", "BEGIN"), noop);
    const waiting = q.enqueue(2, frontend("Q", "select 2"), noop);
    q.clearQueueForHandler(2);
    await expect(waiting).rejects.toThrow("connection closed");
    expect(q.getQueueLength()).toBe(0);
  });

  it("reports an owner idle in a transaction while others wait", async () => {
    const s = new FakeSession();
    const stalled: number[] = [];
    const q = queueOf(s, (id) => stalled.push(id), 20);
    await q.enqueue(1, frontend("Q", "BEGIN"), noop);
    void q.enqueue(2, frontend("Q", "select 2"), noop);
    await new Promise((r) => setTimeout(r, 60));
    expect(stalled).toEqual([1]);
  });

  it("does not report an owner that keeps working", async () => {
    const s = new FakeSession();
    const stalled: number[] = [];
    const q = queueOf(s, (id) => stalled.push(id), 40);
    await q.enqueue(1, frontend("Q", "BEGIN"), noop);
    const other = q.enqueue(2, frontend("Q", "select 2"), noop);
    for (let i = 0; i < 4; i++) {
      await new Promise((r) => setTimeout(r, 15));
      await q.enqueue(1, frontend("Q", "update"), noop);
    }
    await q.enqueue(1, frontend("Q", "COMMIT"), noop);
    await other;
    expect(stalled).toEqual([]);
  });

  it("fails the message and frees the session when the engine itself fails", async () => {
    const s = new FakeSession();
    const q = queueOf(s);
    s.failNext = true;
    await expect(q.enqueue(1, frontend("P"), noop)).rejects.toThrow("wasm aborted");
    expect(q.owner).toBe(null);
    await q.enqueue(2, frontend("Q", "select 2"), noop);
    expect(s.ran).toEqual(["select 2"]);
  });
});

describe("ReadyWatcher", () => {
  const stream = concat(
    backendMessage("T", new Uint8Array(20)),
    backendMessage("D", Uint8Array.of(0x5a, 0, 0, 0, 5, 0x49)), // a data row that looks like ReadyForQuery
    backendMessage("C", new TextEncoder().encode("SELECT 1\0")),
  );

  it("sees an idle ReadyForQuery however the stream is cut", () => {
    const whole = concat(stream, ready("I"));
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: whole.length }), { maxLength: 6 }), (cuts) => {
        const points = [0, ...cuts.sort((a, b) => a - b), whole.length];
        const w = new ReadyWatcher();
        for (let i = 1; i < points.length; i++) w.push(whole.subarray(points[i - 1], points[i]));
        expect(w.idle).toBe(true);
      }),
    );
  });

  it("is not fooled by ReadyForQuery bytes inside another message, nor by a transaction status", () => {
    const w = new ReadyWatcher();
    w.push(stream);
    expect(w.idle).toBe(false);
    for (const status of ["T", "E"] as const) {
      const t = new ReadyWatcher();
      t.push(concat(stream, ready(status)));
      expect(t.idle).toBe(false);
    }
    const half = new ReadyWatcher();
    half.push(ready("I").subarray(0, 5));
    expect(half.idle).toBe(false);
  });
});
