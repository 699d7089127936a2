/**
 * The outbox and its worker on both database backends, with time moved by a ManualClock: per-key order,
 * the backoff schedule, Retry-After, maintenance windows, dead-letter and requeue, exactly-once under
 * concurrent workers, and a worker dying between sending and recording.
 */
import fc from "fast-check";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { ManualClock } from "../../src/domain/clock.ts";
import { makeProblem } from "../../src/domain/problem.ts";
import type { Database } from "../../src/store/index.ts";
import { migrate } from "../../src/store/index.ts";
import { transportCodes } from "../../src/transport/codes.ts";
import { Outbox, type RetryPolicy } from "../../src/transport/outbox.ts";
import {
  InProcessTransport,
  networkFailure,
  rejected,
  type TransportResult,
  unavailable,
} from "../../src/transport/transport.ts";
import { OutboxWorker } from "../../src/transport/worker.ts";
import { openTestDatabase, testBackends } from "../store/backends.ts";
import { IdempotentReceiver, messageId, tdiep } from "./support.ts";

const START = "2023-03-08T20:00:00Z";
const POLICY: Partial<RetryPolicy> = { baseMs: 1000, capMs: 8000, maxAttempts: 4, leaseMs: 30_000 };

describe.each(testBackends())("outbox (%s)", (backend) => {
  let db: Database;
  let clock: ManualClock;
  let outbox: Outbox;
  let authority: IdempotentReceiver;
  let transport: InProcessTransport;

  const worker = (id = "w1", batchSize = 100) =>
    new OutboxWorker({ outbox, transport, clock, workerId: id, batchSize });
  const msg = (orderingKey?: string, taxCode?: string) => {
    const id = messageId();
    return {
      messageId: id,
      destination: "TCT",
      xml: tdiep(id, taxCode),
      ...(orderingKey ? { orderingKey } : {}),
    };
  };
  const state = async (id: string) => {
    const r = await outbox.inspect(id);
    if (!r.ok) throw new Error(r.problems[0]?.message);
    return r.value;
  };

  beforeAll(async () => {
    db = await openTestDatabase(backend, { poolSize: 10 });
    await migrate(db, "tvan");
  });
  afterAll(async () => {
    await db.close();
  });
  beforeEach(async () => {
    await db.pool.query(
      "truncate tvan.outbox, tvan.outbox_key, tvan.destination_hold, tvan.maintenance_window restart identity",
    );
    clock = new ManualClock(START);
    outbox = new Outbox(db, { clock, policy: POLICY, random: () => 0.5 });
    authority = new IdempotentReceiver();
    transport = new InProcessTransport([["TCT", authority]]);
  });

  it("enqueues a message id once and reports the second enqueue as a duplicate", async () => {
    const m = msg();
    expect(await outbox.enqueue(m)).toEqual({ enqueued: [m.messageId], duplicates: [] });
    const again = { ...m, xml: "<TDiep>other</TDiep>" };
    const n = msg();
    expect(await outbox.enqueue([again, n, n])).toEqual({
      enqueued: [n.messageId],
      duplicates: [m.messageId, n.messageId],
    });
    expect((await state(m.messageId)).xml).toBe(m.xml);
    expect(await outbox.counts()).toEqual({ pending: 2, in_flight: 0, sent: 0, dead: 0 });
  });

  it("enqueues inside the caller's transaction: a rollback leaves nothing behind", async () => {
    const m = msg("0100109106");
    await expect(
      db
        .kysely("tvan")
        .transaction()
        .execute(async (trx) => {
          await outbox.enqueue(m, trx);
          throw new Error("business change failed");
        }),
    ).rejects.toThrow("business change failed");
    expect((await outbox.inspect(m.messageId)).ok).toBe(false);
  });

  it("sends the non-barrier messages of a key together, but only after the earlier barriers of the key", async () => {
    const reg = { ...msg("A"), barrier: true };
    const inv = [1, 2, 3].map(() => ({ ...msg("A"), barrier: false }));
    const change = { ...msg("A"), barrier: true };
    const late = { ...msg("A"), barrier: false };
    await outbox.enqueue([reg, ...inv, change, late]);
    const ids = async () => (await outbox.claim(10, "w1")).map((c) => c.messageId).sort();
    const sendAll = async (claimed: Awaited<ReturnType<Outbox["claim"]>>) =>
      outbox.complete(claimed.map((message) => ({ message, result: { ok: true as const, reply: "<r/>" } })));
    // The registration alone first; the invoices wait for it.
    const first = await outbox.claim(10, "w1");
    expect(first.map((c) => c.messageId)).toEqual([reg.messageId]);
    await sendAll(first);
    // Then all three invoices at once; the change waits for them, the late invoice for the change.
    const second = await outbox.claim(10, "w1");
    expect(second.map((c) => c.messageId).sort()).toEqual(inv.map((m) => m.messageId).sort());
    expect(await ids()).toEqual([]);
    await sendAll(second);
    const third = await outbox.claim(10, "w1");
    expect(third.map((c) => c.messageId)).toEqual([change.messageId]);
    await sendAll(third);
    expect(await ids()).toEqual([late.messageId]);
  });

  it("sends a message named by `after` first, even in another key, and holds it while that one is dead", async () => {
    const original = { ...msg("A"), barrier: false };
    const replacement = { ...msg("B"), barrier: false, after: original.messageId };
    const orphan = { ...msg(), after: "V0100000001NOSUCHMESSAGE" };
    await outbox.enqueue([original, replacement, orphan]);
    const first = await outbox.claim(10, "w1");
    expect(first.map((c) => c.messageId).sort()).toEqual([original.messageId, orphan.messageId].sort());
    await outbox.complete(
      first.map((message) => ({
        message,
        result:
          message.messageId === original.messageId ? rejected(422, []) : { ok: true as const, reply: "<r/>" },
      })),
    );
    expect((await state(original.messageId)).state).toBe("dead");
    expect(await outbox.claim(10, "w1")).toEqual([]);
    expect((await outbox.requeue(original.messageId)).ok).toBe(true);
    const again = await outbox.claim(10, "w1");
    expect(again.map((c) => c.messageId)).toEqual([original.messageId]);
    await outbox.complete(
      again.map((message) => ({ message, result: { ok: true as const, reply: "<r/>" } })),
    );
    expect((await outbox.claim(10, "w1")).map((c) => c.messageId)).toEqual([replacement.messageId]);
  });

  it("sends one message of a key at a time, in enqueue order, and other keys alongside", async () => {
    const a = [msg("A", "0100000001"), msg("A", "0100000001"), msg("A", "0100000001")];
    const b = msg("B", "0100000002");
    const free = msg();
    await outbox.enqueue([a[0]!, a[1]!]);
    await outbox.enqueue([b, a[2]!, free]);
    const first = await outbox.claim(10, "w1");
    expect(first.map((c) => c.messageId).sort()).toEqual(
      [a[0]!.messageId, b.messageId, free.messageId].sort(),
    );
    expect(await outbox.claim(10, "w2")).toEqual([]);
    // A failure of A1 holds A2 even once A2 would be due.
    await outbox.complete(first.map((message) => ({ message, result: networkFailure("ECONNRESET") })));
    clock.advance({ seconds: 1 });
    const again = await outbox.claim(10, "w1");
    expect(again.map((c) => c.messageId).sort()).toEqual(
      [a[0]!.messageId, b.messageId, free.messageId].sort(),
    );
    const w = worker();
    await outbox.complete(
      await Promise.all(
        again.map(async (message) => ({ message, result: await transport.send("TCT", message.xml) })),
      ),
    );
    while ((await w.tick()).claimed > 0) clock.advance({ seconds: 1 });
    expect(authority.byTaxCode.get("0100000001")).toEqual(a.map((m) => m.messageId));
    expect(await outbox.counts()).toMatchObject({ sent: 5, pending: 0 });
  });

  it("blocks a key behind a dead message until an operator requeues it", async () => {
    const [m1, m2] = [msg("K"), msg("K")];
    await outbox.enqueue([m1, m2]);
    const [c] = await outbox.claim(10, "w1");
    expect(c?.messageId).toBe(m1.messageId);
    const refusal = makeProblem(transportCodes, "TRANSPORT_REJECTED", "/", { status: "400" });
    expect(await outbox.complete([{ message: c!, result: rejected(400, [refusal]) }])).toEqual({
      sent: 0,
      retried: 0,
      dead: 1,
      stale: 0,
    });
    expect((await state(m1.messageId)).lastError).toBe("rejected 400: TRANSPORT_REJECTED");
    expect(await outbox.claim(10, "w1")).toEqual([]);
    expect((await outbox.requeue(m1.messageId)).ok).toBe(true);
    expect((await worker().tick()).sent).toBe(1);
    expect((await worker().tick()).sent).toBe(1);
    expect(authority.processed).toEqual([m1.messageId, m2.messageId]);
  });

  it("backs off exponentially with full jitter, capped (jitter fixed at one half)", async () => {
    const m = msg();
    await outbox.enqueue(m);
    authority.failWith = networkFailure("ECONNREFUSED");
    const w = worker();
    const waits: number[] = [];
    const bigPolicy = new Outbox(db, { clock, policy: { ...POLICY, maxAttempts: 10 }, random: () => 0.5 });
    const w10 = new OutboxWorker({ outbox: bigPolicy, transport, clock, workerId: "w10" });
    for (let i = 0; i < 6; i++) {
      const before = clock.now().getTime();
      expect((await w10.tick()).retried).toBe(1);
      const next = (await state(m.messageId)).nextAttemptAt.getTime();
      waits.push(next - before);
      clock.set(next - 1);
      expect((await w.tick()).claimed).toBe(0);
      clock.set(next);
    }
    expect(waits).toEqual([500, 1000, 2000, 4000, 4000, 4000]);
    expect((await state(m.messageId)).attempts).toBe(6);
  });

  it("holds a destination that is down (its connection check fails too) without spending the tries", async () => {
    const ms = [msg(), msg(), msg()];
    await outbox.enqueue(ms);
    authority.failWith = networkFailure("ECONNREFUSED");
    authority.checkResult = networkFailure("ECONNREFUSED");
    const w = worker();
    // Far more rounds than the four tries allowed: nothing goes to dead-letter, and the waits grow.
    const waits: number[] = [];
    for (let i = 0; i < 8; i++) {
      const before = clock.now().getTime();
      expect(await w.tick()).toMatchObject({ claimed: 3, retried: 3, dead: 0 });
      const held = await outbox.heldUntil("TCT");
      waits.push(held!.until!.getTime() - before);
      expect((await w.tick()).claimed).toBe(0);
      clock.set(held!.until!);
    }
    expect(waits).toEqual([500, 1000, 2000, 4000, 4000, 4000, 4000, 4000]);
    for (const m of ms) expect((await state(m.messageId)).attempts).toBe(0);
    authority.failWith = undefined;
    authority.checkResult = { ok: true };
    expect(await w.tick()).toMatchObject({ sent: 3 });
    // The first answer resets the count: the next outage starts at the shortest wait again.
    await outbox.enqueue(msg());
    authority.failWith = networkFailure("ECONNREFUSED");
    authority.checkResult = networkFailure("ECONNREFUSED");
    const before = clock.now().getTime();
    await w.tick();
    expect((await outbox.heldUntil("TCT"))!.until!.getTime() - before).toBe(500);
  });

  it("releases a destination held as down as soon as its connection check answers, not when the wait ends", async () => {
    const ms = [msg(), msg()];
    await outbox.enqueue(ms);
    authority.failWith = networkFailure("ECONNREFUSED");
    authority.checkResult = networkFailure("ECONNREFUSED");
    const w = new OutboxWorker({ outbox, transport, clock, workerId: "prober", probeEveryMs: 2000 });
    // A long outage: the wait has grown to its ceiling.
    for (let i = 0; i < 6; i++) {
      await w.tick();
      clock.set((await outbox.heldUntil("TCT"))!.until!);
    }
    await w.tick();
    const until = (await outbox.heldUntil("TCT"))!.until!.getTime();
    expect(until - clock.now().getTime()).toBe(4000);
    // The receiver is back. Probes come at most every 2 s: the one due now releases the hold.
    authority.failWith = undefined;
    authority.checkResult = { ok: true };
    clock.advance({ seconds: 2 });
    expect(clock.now().getTime()).toBeLessThan(until);
    expect(await w.tick()).toMatchObject({ claimed: 2, sent: 2 });
    expect(await outbox.heldUntil("TCT")).toBeUndefined();
    for (const m of ms) expect((await state(m.messageId)).state).toBe("sent");
  });

  it("dead-letters after the bounded number of tries; list, inspect and requeue work on it", async () => {
    const m = msg();
    await outbox.enqueue(m);
    authority.failWith = unavailable("HTTP 500");
    const w = worker();
    for (let i = 0; i < 3; i++) {
      expect(await w.tick()).toMatchObject({ claimed: 1, retried: 1, dead: 0 });
      clock.advance({ seconds: 10 });
    }
    expect(await w.tick()).toMatchObject({ claimed: 1, retried: 0, dead: 1 });
    clock.advance({ hours: 1 });
    expect((await w.tick()).claimed).toBe(0);
    const dead = await outbox.list({ state: "dead" });
    expect(dead.map((e) => [e.messageId, e.attempts, e.lastError])).toEqual([
      [m.messageId, 4, "unavailable: HTTP 500"],
    ]);
    authority.failWith = undefined;
    const requeued = await outbox.requeue(m.messageId);
    expect(requeued.ok && requeued.value).toMatchObject({ state: "pending", attempts: 0 });
    expect(await w.tick()).toMatchObject({ sent: 1 });
    const sent = await state(m.messageId);
    expect(sent.state).toBe("sent");
    expect(sent.reply).toContain(`<MTDTChieu>${m.messageId}</MTDTChieu>`);
    const notDead = await outbox.requeue(m.messageId);
    expect(!notDead.ok && notDead.problems.map((p) => [p.code, p.params?.state])).toEqual([
      ["OUTBOX_NOT_REQUEUEABLE", "sent"],
    ]);
    const unknown = await outbox.requeue(messageId());
    expect(!unknown.ok && unknown.problems[0]?.code).toBe("OUTBOX_NOT_FOUND");
  });

  it("honours Retry-After: holds the destination until then and does not count the try", async () => {
    const [m1, m2] = [msg(), msg()];
    await outbox.enqueue(m1);
    const until = new Date(Date.parse(START) + 120_000);
    authority.failWith = unavailable("quá tải", until);
    const w = worker();
    expect(await w.tick()).toMatchObject({ claimed: 1, retried: 1 });
    expect(await state(m1.messageId)).toMatchObject({ attempts: 0, nextAttemptAt: until, state: "pending" });
    authority.failWith = undefined;
    await outbox.enqueue(m2);
    expect(await outbox.heldUntil("TCT")).toEqual({ until, reason: "quá tải" });
    clock.advance({ seconds: 119 });
    expect((await w.tick()).claimed).toBe(0);
    clock.advance({ seconds: 1 });
    expect(await w.tick()).toMatchObject({ claimed: 2, sent: 2 });
    expect(await outbox.heldUntil("TCT")).toBeUndefined();
  });

  it("holds a destination through a maintenance window, flushes before it, resumes after a connection check", async () => {
    const startsAt = new Date("2023-03-09T00:00:00+07:00");
    const endsAt = new Date("2023-03-09T03:45:00+07:00");
    await outbox.announceMaintenance({ destination: "TCT", startsAt, endsAt, notice: "Tạm dừng hệ thống" });
    const w = worker();
    clock.set("2023-03-08T23:00:00+07:00");
    const before = msg();
    await outbox.enqueue(before);
    clock.set("2023-03-08T23:59:00+07:00");
    expect(await w.tick()).toMatchObject({ sent: 1 }); // flushed before the window
    clock.set("2023-03-09T00:00:00+07:00");
    const during = [msg(), msg()];
    await outbox.enqueue(during);
    expect((await w.tick()).claimed).toBe(0);
    expect((await outbox.heldUntil("TCT"))?.reason).toContain("maintenance");
    clock.set("2023-03-09T02:00:00+07:00");
    expect((await w.tick()).claimed).toBe(0);
    // The window is over but the system is not back yet: keep holding, try the check again later.
    clock.set("2023-03-09T03:45:00+07:00");
    authority.checkResult = unavailable("chưa sẵn sàng");
    expect(await w.tick()).toMatchObject({ claimed: 0, resumed: 0 });
    expect((await outbox.openWindows())[0]?.lastCheckError).toBe("unavailable: chưa sẵn sàng");
    authority.checkResult = { ok: true };
    clock.advance({ minutes: 5 });
    expect(await w.tick()).toMatchObject({ resumed: 1, claimed: 2, sent: 2 });
    expect(await outbox.openWindows()).toEqual([]);
    expect(authority.processed).toEqual([before.messageId, ...during.map((m) => m.messageId)]);
  });

  it("sends each message exactly once with several workers draining at the same time", async () => {
    const keys = Array.from({ length: 20 }, (_, i) => `01000000${String(i).padStart(2, "0")}`);
    const all = [];
    for (let i = 0; i < 400; i++) {
      const k = keys[i % keys.length]!;
      all.push(msg(i % 5 === 0 ? undefined : k, k));
    }
    for (let i = 0; i < all.length; i += 50) await outbox.enqueue(all.slice(i, i + 50));
    const workers = Array.from(
      { length: 4 },
      (_, i) => new OutboxWorker({ outbox, transport, clock, workerId: `w${i}`, batchSize: 16, idleMs: 5 }),
    );
    const drain = async (w: OutboxWorker) => {
      for (let idle = 0; idle < 5; ) {
        const r = await w.tick();
        idle = r.claimed === 0 ? idle + 1 : 0;
        expect(r.stale).toBe(0);
      }
    };
    await Promise.all(workers.map(drain));
    expect(await outbox.counts()).toEqual({ pending: 0, in_flight: 0, sent: 400, dead: 0 });
    expect(authority.processed.length).toBe(400);
    expect([...authority.deliveries.values()].every((n) => n === 1)).toBe(true);
    for (const k of keys) {
      const ordered = all.filter((m) => m.orderingKey === k).map((m) => m.messageId);
      const arrived = (authority.byTaxCode.get(k) ?? []).filter((id) => ordered.includes(id));
      expect(arrived).toEqual(ordered);
    }
  });

  it("resends after a worker dies between sending and recording; the idempotent receiver acts once", async () => {
    const m = msg("0100109106");
    await outbox.enqueue(m);
    const [c] = await outbox.claim(1, "doomed");
    const lost = await transport.send("TCT", c!.xml); // delivered, then the worker dies
    expect(lost.ok).toBe(true);
    clock.advance({ seconds: 29 });
    expect((await worker("w2").tick()).claimed).toBe(0); // the lease still holds
    clock.advance({ seconds: 1 });
    expect(await worker("w2").tick()).toMatchObject({ claimed: 1, sent: 1 });
    expect(authority.deliveries.get(m.messageId)).toBe(2);
    expect(authority.processed).toEqual([m.messageId]);
    // The dead worker's late record changes nothing: the row was marked sent once.
    expect(await outbox.complete([{ message: c!, result: lost as TransportResult }])).toEqual({
      sent: 0,
      retried: 0,
      dead: 0,
      stale: 1,
    });
    expect(await state(m.messageId)).toMatchObject({ state: "sent", attempts: 2 });
  });

  it("keeps per-key order and acts on each message once, whatever fails in between (property)", async () => {
    const failure = fc.constantFrom<TransportResult | undefined>(
      undefined,
      undefined,
      networkFailure("ECONNRESET"),
      unavailable("HTTP 502"),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.constantFrom("0100000001", "0100000002", "0100000003"), { minLength: 1, maxLength: 12 }),
        fc.array(failure, { minLength: 1, maxLength: 30 }),
        fc.integer({ min: 1, max: 4 }),
        async (keys, failures, batchSize) => {
          await db.pool.query(
            "truncate tvan.outbox, tvan.outbox_key, tvan.destination_hold restart identity",
          );
          const receiver = new IdempotentReceiver();
          let i = 0;
          const flaky = new InProcessTransport([
            [
              "TCT",
              async (xml: string) => {
                // The cycle ends with a success, so every message gets through eventually.
                const f =
                  i % (failures.length + 1) === failures.length
                    ? undefined
                    : failures[i % (failures.length + 1)];
                i++;
                return f ?? receiver.handle(xml);
              },
            ],
          ]);
          const o = new Outbox(db, { clock, policy: { ...POLICY, maxAttempts: 1000 }, random: () => 0.5 });
          const w = new OutboxWorker({ outbox: o, transport: flaky, clock, batchSize });
          const sent = keys.map((k) => msg(k, k));
          for (const m of sent) await o.enqueue(m);
          for (let round = 0; round < 500 && (await o.counts()).sent < sent.length; round++) {
            await w.tick();
            clock.advance({ seconds: 10 });
          }
          expect((await o.counts()).sent).toBe(sent.length);
          expect(receiver.processed.length).toBe(sent.length);
          for (const k of new Set(keys)) {
            expect(receiver.byTaxCode.get(k)).toEqual(
              sent.filter((m) => m.orderingKey === k).map((m) => m.messageId),
            );
          }
        },
      ),
      { numRuns: 8 },
    );
  });

  it("runs as a loop until stopped", async () => {
    const w = new OutboxWorker({ outbox, transport, clock, idleMs: 5 });
    w.start();
    expect(w.running).toBe(true);
    await outbox.enqueue([msg(), msg(), msg()]);
    for (let i = 0; i < 200 && (await outbox.counts()).sent < 3; i++)
      await new Promise((r) => setTimeout(r, 10));
    await w.stop();
    expect(w.running).toBe(false);
    expect((await outbox.counts()).sent).toBe(3);
  });
});
