/**
 * What gap-free numbering and work queues will rely on, on both backends. On a server the transactions
 * below really overlap and contend; on the embedded database they run one after another (one session),
 * which these tests also pin down, since code must be right on both.
 */
import { type Generated, type Kysely, sql, type Transaction } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  advisoryXactLock,
  type Database,
  inTransaction,
  isRetryable,
  migrateSchema,
  tryAdvisoryXactLock,
} from "../../src/store/index.ts";
import { openTestDatabase, testBackends } from "./backends.ts";

interface Tables {
  counter: { series: string; value: bigint };
  issued: { series: string; number: bigint };
  job: { id: number; done_by: string | null };
  entry: { v: number };
  trace: { at: Generated<number>; what: string };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Takes the next number of a series, in the caller's transaction, the way invoice numbering will. */
async function nextNumber(trx: Transaction<Tables>, series: string, hold = 0): Promise<bigint> {
  const row = await trx
    .selectFrom("counter")
    .select("value")
    .where("series", "=", series)
    .forUpdate()
    .executeTakeFirstOrThrow();
  if (hold) await sleep(hold); // keep the row locked while the other transaction tries to take it
  const next = row.value + 1n;
  await trx.updateTable("counter").set({ value: next }).where("series", "=", series).execute();
  await trx.insertInto("issued").values({ series, number: next }).execute();
  return next;
}

describe.each(testBackends())("concurrency (%s)", (backend) => {
  let db: Database;
  let k: Kysely<Tables>;

  beforeAll(async () => {
    db = await openTestDatabase(backend, { poolSize: 10 });
    await migrateSchema(db, "cc", {
      "001_tables": {
        async up(m) {
          await sql`create table counter (series text primary key, value bigint not null)`.execute(m);
          await sql`create table issued (series text not null, number bigint not null, primary key (series, number))`.execute(
            m,
          );
          await sql`create table job (id int primary key, done_by text)`.execute(m);
          await sql`create table entry (v int not null)`.execute(m);
          await sql`create table trace (at serial primary key, what text not null)`.execute(m);
        },
      },
    });
    k = db.kysely<Tables>("cc");
  });
  afterAll(async () => {
    await db.close();
  });

  async function newSeries(name: string): Promise<void> {
    await k.insertInto("counter").values({ series: name, value: 0n }).execute();
  }

  it("gives two concurrent transactions on one counter row consecutive numbers, no duplicate, no gap", async () => {
    await newSeries("C26TAA");
    const numbers = await Promise.all([
      inTransaction(k, (trx) => nextNumber(trx, "C26TAA", 50)),
      (async () => {
        await sleep(10);
        return inTransaction(k, (trx) => nextNumber(trx, "C26TAA"));
      })(),
    ]);
    expect(numbers.sort()).toEqual([1n, 2n]);
  });

  it("numbers 40 concurrent issuers 1…40 and the counter ends at 40", async () => {
    await newSeries("C26TBB");
    const numbers = await Promise.all(
      Array.from({ length: 40 }, () => inTransaction(k, (trx) => nextNumber(trx, "C26TBB", 1))),
    );
    expect(numbers.map(Number).sort((a, b) => a - b)).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
    const row = await k
      .selectFrom("counter")
      .select("value")
      .where("series", "=", "C26TBB")
      .executeTakeFirstOrThrow();
    expect(row.value).toBe(40n);
  });

  it("leaves no gap when an issuing transaction fails after taking a number", async () => {
    await newSeries("C26TCC");
    await inTransaction(k, (trx) => nextNumber(trx, "C26TCC"));
    await expect(
      inTransaction(k, async (trx) => {
        await nextNumber(trx, "C26TCC");
        throw new Error("signing failed");
      }),
    ).rejects.toThrow("signing failed");
    expect(await inTransaction(k, (trx) => nextNumber(trx, "C26TCC"))).toBe(2n);
    const issued = await k
      .selectFrom("issued")
      .select("number")
      .where("series", "=", "C26TCC")
      .orderBy("number")
      .execute();
    expect(issued.map((r) => r.number)).toEqual([1n, 2n]);
  });

  it("without FOR UPDATE, loses an update on a server; embedded transactions never interleave", async () => {
    // The control for the tests above: read-then-write with no lock is only safe when nothing overlaps.
    await newSeries("C26TDD");
    const unlocked = async () =>
      k.transaction().execute(async (trx) => {
        const row = await trx
          .selectFrom("counter")
          .select("value")
          .where("series", "=", "C26TDD")
          .executeTakeFirstOrThrow();
        await sleep(50);
        await trx
          .updateTable("counter")
          .set({ value: row.value + 1n })
          .where("series", "=", "C26TDD")
          .execute();
        return row.value + 1n;
      });
    const got = await Promise.all([unlocked(), unlocked()]);
    expect(got.sort()).toEqual(backend === "postgres" ? [1n, 1n] : [1n, 2n]);
  });

  it("hands each job to exactly one of four workers with SKIP LOCKED", async () => {
    await k
      .insertInto("job")
      .values(Array.from({ length: 60 }, (_, i) => ({ id: i + 1, done_by: null })))
      .execute();
    const worker = async (name: string) => {
      let taken = 0;
      for (;;) {
        const got = await inTransaction(k, async (trx) => {
          const job = await trx
            .selectFrom("job")
            .select("id")
            .where("done_by", "is", null)
            .orderBy("id")
            .limit(1)
            .forUpdate()
            .skipLocked()
            .executeTakeFirst();
          if (!job) return false;
          await sleep(1);
          await trx
            .updateTable("job")
            .set({ done_by: name })
            .where("id", "=", job.id)
            .where("done_by", "is", null)
            .execute();
          return true;
        });
        if (!got) return taken;
        taken++;
      }
    };
    const counts = await Promise.all(["w1", "w2", "w3", "w4"].map(worker));
    expect(counts.reduce((a, b) => a + b, 0)).toBe(60);
    const left = await k.selectFrom("job").select("id").where("done_by", "is", null).execute();
    expect(left).toEqual([]);
  });

  it("makes a second holder of an advisory lock wait until the first commits", async () => {
    const holder = (name: string, hold: number) =>
      inTransaction(k, async (trx) => {
        await advisoryXactLock(trx, "series:C26TEE");
        await trx
          .insertInto("trace")
          .values({ what: `${name} in` })
          .execute();
        await sleep(hold);
        await trx
          .insertInto("trace")
          .values({ what: `${name} out` })
          .execute();
      });
    await Promise.all([holder("A", 60), sleep(15).then(() => holder("B", 0))]);
    const trace = (await k.selectFrom("trace").select("what").orderBy("at").execute()).map((t) => t.what);
    const [first, second] = trace[0] === "A in" ? ["A", "B"] : ["B", "A"];
    expect(trace).toEqual([`${first} in`, `${first} out`, `${second} in`, `${second} out`]);
  });

  it("tells a try of a held advisory lock it is taken, and frees it at commit", async () => {
    let release!: () => void;
    const released = new Promise<void>((r) => {
      release = r;
    });
    const first = inTransaction(k, async (trx) => {
      expect(await tryAdvisoryXactLock(trx, "series:C26TFF")).toBe(true);
      await released;
    });
    await sleep(100);
    // On the embedded database the second transaction cannot start while the first holds the session, so
    // it waits for the first to end; give it a moment, then let the first commit.
    const second = inTransaction(k, (trx) => tryAdvisoryXactLock(trx, "series:C26TFF"));
    await sleep(100);
    release();
    await first;
    const heldByFirst = backend === "postgres"; // embedded: the second ran after the first had committed
    expect(await second).toBe(!heldByFirst);
    expect(await inTransaction(k, (trx) => tryAdvisoryXactLock(trx, "series:C26TFF"))).toBe(true);
  });

  it("retries a serialization failure under serializable isolation until the result is serial", async () => {
    let attempts = 0;
    const writeCount = () =>
      inTransaction(
        k,
        async (trx) => {
          attempts++;
          const row = await trx
            .selectFrom("entry")
            .select(sql<string>`count(*)`.as("n"))
            .executeTakeFirstOrThrow();
          await sleep(40);
          await trx
            .insertInto("entry")
            .values({ v: Number(row.n) })
            .execute();
        },
        { isolation: "serializable" },
      );
    await Promise.all([writeCount(), sleep(5).then(writeCount)]);
    const rows = await k.selectFrom("entry").select("v").orderBy("v").execute();
    expect(rows.map((r) => r.v)).toEqual([0, 1]);
    if (backend === "postgres") expect(attempts).toBeGreaterThan(2);
    else expect(attempts).toBe(2);
  });

  it("retries only retryable failures, and only so often", async () => {
    let calls = 0;
    const flaky = await inTransaction(k, async () => {
      calls++;
      if (calls < 3) throw Object.assign(new Error("could not serialize access"), { code: "40001" });
      return "done";
    });
    expect([flaky, calls]).toEqual(["done", 3]);

    calls = 0;
    await expect(
      inTransaction(k, async (trx) => {
        calls++;
        await sql`select 1/0`.execute(trx);
      }),
    ).rejects.toMatchObject({ code: "22012" });
    expect(calls).toBe(1);

    calls = 0;
    await expect(
      inTransaction(
        k,
        async () => {
          calls++;
          throw Object.assign(new Error("deadlock detected"), { code: "40P01" });
        },
        { retries: 2 },
      ),
    ).rejects.toMatchObject({ code: "40P01" });
    expect(calls).toBe(3);
    expect(isRetryable({ code: "40001" })).toBe(true);
    expect(isRetryable(new Error("x"))).toBe(false);
  });
});
