/**
 * The T-VAN's HTTP API (src/transmission/http.ts) and the operator CLI (src/cli/tvan-commands.ts) on the
 * embedded database: client keys bound to party codes, the pull API's access rule, and the operator routes
 * to list, inspect and requeue outbox messages, list events and windows, and reconcile a day.
 */
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ApiKeys } from "../../src/api/auth.ts";
import { buildServer, type HttpApp } from "../../src/api/server.ts";
import {
  type TvanCliIo,
  tvanEvents,
  tvanOutboxList,
  tvanOutboxRequeue,
  tvanOutboxShow,
  tvanReconcile,
} from "../../src/cli/tvan-commands.ts";
import { ManualClock } from "../../src/domain/clock.ts";
import { type MessageHeader, newMessageId, writeMessage } from "../../src/format/envelope.ts";
import { writeReconciliationReport } from "../../src/format/forms/receipt.ts";
import type { Database } from "../../src/store/index.ts";
import { migrate, openDatabase } from "../../src/store/index.ts";
import { registerTvanRoutes } from "../../src/transmission/http.ts";
import { TvanService } from "../../src/transmission/tvan.ts";
import { Outbox } from "../../src/transport/outbox.ts";
import { InProcessTransport, rejected } from "../../src/transport/transport.ts";
import { OutboxWorker } from "../../src/transport/worker.ts";
import { IdempotentReceiver } from "./support.ts";

const TVAN = "V0100000001";
const SELLER_A = "0100109106";
const SELLER_B = "0312345678";
const PROVIDER = "K0109999999";
const KEYS = {
  admin: `admin-${randomBytes(8).toString("hex")}`,
  a: `seller-a-${randomBytes(8).toString("hex")}`,
  b: `seller-b-${randomBytes(8).toString("hex")}`,
  provider: `provider-${randomBytes(8).toString("hex")}`,
};
const randomHex = () => randomBytes(16).toString("hex");

function message(sender: string, taxCode: string): { id: string; xml: string } {
  const id = newMessageId(sender, randomHex);
  const header: MessageHeader = {
    version: "2.1.0",
    sender,
    receiver: TVAN,
    type: 200,
    messageId: id,
    taxCode,
    count: 1,
  };
  return {
    id,
    xml: writeMessage(header, `<HDon><DLHDon Id="d"><TTChung><PBan>2.1.0</PBan></TTChung></DLHDon></HDon>`),
  };
}

function capture(): TvanCliIo & { out: (t: string) => void; text: () => string; errors: () => string } {
  let out = "";
  let err = "";
  return {
    out: (t) => {
      out += t;
    },
    err: (t) => {
      err += t;
    },
    text: () => out,
    errors: () => err,
  };
}

describe("T-VAN HTTP API and operator commands", () => {
  let db: Database;
  let app: HttpApp;
  let url: string;
  let tvan: TvanService;
  let outbox: Outbox;
  let worker: OutboxWorker;
  const authority = new IdempotentReceiver();
  const clock = new ManualClock("2026-03-08T03:00:00Z");

  const post = (path: string, xml: string, key?: string) =>
    app.inject({
      method: "POST",
      url: path,
      headers: { "content-type": "application/xml", ...(key ? { "x-api-key": key } : {}) },
      payload: xml,
    });
  const get = (path: string, key?: string) =>
    app.inject({ method: "GET", url: path, headers: key ? { "x-api-key": key } : {} });

  beforeAll(async () => {
    db = await openDatabase({ url: "memory://" });
    await migrate(db, "tvan");
    outbox = new Outbox(db, { clock, policy: { maxAttempts: 1 }, random: () => 0.5 });
    const transport = new InProcessTransport([["TCT", authority]]);
    tvan = new TvanService({
      db,
      clock,
      transport,
      outbox,
      config: { party: TVAN, pushTo: () => false },
      checkSignature: () => [],
    });
    worker = new OutboxWorker({ outbox, transport, clock, workerId: "w1" });
    app = await buildServer({ clock });
    registerTvanRoutes(app, {
      tvan,
      outbox,
      clock,
      keys: new ApiKeys([
        { role: "admin", name: "ops", key: KEYS.admin },
        { role: "client", name: SELLER_A, key: KEYS.a },
        { role: "client", name: SELLER_B, key: KEYS.b },
        { role: "client", name: PROVIDER, key: KEYS.provider },
      ]),
    });
    url = await app.listen({ port: 0, host: "127.0.0.1" });
  });
  afterAll(async () => {
    await app.close();
    await db.close();
  });

  it("takes a message only with a client key of the party named in MNGui", async () => {
    const m = message(SELLER_A, SELLER_A);
    const none = await post("/tvan/messages", m.xml);
    expect(none.statusCode).toBe(401);
    expect(none.json().error.code).toBe("HTTP_API_KEY_MISSING");
    const admin = await post("/tvan/messages", m.xml, KEYS.admin);
    expect(admin.json().error.code).toBe("HTTP_API_KEY_REFUSED");
    const other = await post("/tvan/messages", m.xml, KEYS.b);
    expect(other.statusCode).toBe(403);
    expect(other.json().error.code).toBe("TVAN_SENDER_NOT_KEY_HOLDER");
    const ok = await post("/tvan/messages", m.xml, KEYS.a);
    expect(ok.statusCode).toBe(200);
    expect(ok.headers["content-type"]).toContain("application/xml");
    expect(ok.body).toContain("<TTTNhan>0</TTTNhan>");
    expect((await tvan.stored(m.id))?.sender).toBe(SELLER_A);
  });

  it("lets the authority's key alone push to the authority route", async () => {
    const r = await post("/tvan/authority/messages", message(SELLER_A, SELLER_A).xml, KEYS.a);
    expect(r.statusCode).toBe(403);
    expect(r.json().error.code).toBe("TVAN_SENDER_NOT_KEY_HOLDER");
  });

  it("shows a seller's replies to that seller, to a provider that sent for it, and to an operator only", async () => {
    await post("/tvan/messages", message(PROVIDER, SELLER_B).xml, KEYS.provider);
    expect((await get(`/tvan/sellers/${SELLER_A}/replies`, KEYS.a)).statusCode).toBe(200);
    expect((await get(`/tvan/sellers/${SELLER_B}/replies`, KEYS.provider)).statusCode).toBe(200);
    expect((await get(`/tvan/sellers/${SELLER_B}/replies`, KEYS.admin)).statusCode).toBe(200);
    const refused = await get(`/tvan/sellers/${SELLER_B}/replies`, KEYS.a);
    expect(refused.statusCode).toBe(403);
    expect(refused.json().error.code).toBe("TVAN_NOT_YOUR_SELLER");
    const badCursor = await get(`/tvan/sellers/${SELLER_A}/replies?since=abc`, KEYS.a);
    expect(badCursor.statusCode).toBe(400);
    expect(badCursor.json().error.code).toBe("HTTP_INVALID_INPUT");
  });

  it("keeps the operator routes for the admin key", async () => {
    for (const path of [
      "/tvan/outbox",
      "/tvan/outbox/counts",
      "/tvan/maintenance",
      "/tvan/reconciliation/2026-03-08",
    ]) {
      expect((await get(path, KEYS.a)).statusCode, path).toBe(401);
      expect((await get(path, KEYS.admin)).statusCode, path).toBe(200);
    }
  });

  it("lists, shows and requeues a dead message through the CLI, and refuses a requeue of a live one", async () => {
    const m = message(SELLER_A, SELLER_A);
    await post("/tvan/messages", m.xml, KEYS.a);
    // The authority refuses everything once: with one try allowed, the messages go to dead-letter.
    authority.failWith = rejected(422, []);
    await worker.tick();
    authority.failWith = undefined;
    const forwardId = (await tvan.stored(m.id))!.forwardId!;
    const client = { url, key: KEYS.admin };

    const list = capture();
    expect(await tvanOutboxList(client, { state: "dead", destination: "TCT" }, list)).toBe(0);
    const dead = JSON.parse(list.text()) as { items: Array<{ messageId: string; state: string }> };
    expect(dead.items.map((e) => e.messageId)).toContain(forwardId);
    expect(dead.items.every((e) => e.state === "dead")).toBe(true);

    const show = capture();
    expect(await tvanOutboxShow(client, forwardId, show)).toBe(0);
    const detail = JSON.parse(show.text()) as { xml: string; attempts: number; lastError: string };
    expect(detail.xml).toContain(`<MTDiep>${forwardId}</MTDiep>`);
    expect(detail.attempts).toBe(1);
    expect(detail.lastError).toContain("rejected 422");

    const requeue = capture();
    expect(await tvanOutboxRequeue(client, forwardId, requeue)).toBe(0);
    expect(JSON.parse(requeue.text())).toMatchObject({ messageId: forwardId, state: "pending", attempts: 0 });
    const again = capture();
    expect(await tvanOutboxRequeue(client, forwardId, again)).toBe(1);
    expect(JSON.parse(again.errors()).error.code).toBe("OUTBOX_NOT_REQUEUEABLE");
    const unknown = capture();
    expect(await tvanOutboxShow(client, `${TVAN}00000000000000000000000000000000`, unknown)).toBe(1);
    expect(JSON.parse(unknown.errors()).error.code).toBe("OUTBOX_NOT_FOUND");
    expect(await tvanOutboxList(client, { state: "lost" }, capture())).toBe(2);
    expect(await tvanOutboxList({ url }, {}, capture())).toBe(1);
  });

  it("lists events and reconciles a day through the CLI, exit 1 when the counts differ", async () => {
    await tvan.announceMaintenance({
      startsAt: new Date("2026-03-09T00:00:00Z"),
      endsAt: new Date("2026-03-09T01:00:00Z"),
    });
    const events = capture();
    expect(await tvanEvents({ url, key: KEYS.admin }, { party: SELLER_A }, events)).toBe(0);
    const items = (JSON.parse(events.text()) as { items: Array<{ kind: string; party: string | null }> })
      .items;
    expect(items.map((e) => [e.kind, e.party])).toEqual([
      ["maintenance_announced", null],
      ["maintenance_announced", SELLER_A],
    ]);
    // A client sees its own and the general events only, whatever it asks for.
    const own = (await get(`/tvan/events?party=${SELLER_B}`, KEYS.a)).json() as {
      items: Array<{ party: string | null }>;
    };
    expect(own.items.every((e) => e.party === null || e.party === SELLER_A)).toBe(true);

    await worker.tick();
    const counts = capture();
    expect(await tvanReconcile({ url, key: KEYS.admin }, "2026-03-08", undefined, counts)).toBe(0);
    const ours = JSON.parse(counts.text()) as { entries: Array<{ type: number; count: number }> };
    expect(ours.entries.find((e) => e.type === 200)?.count).toBeGreaterThan(0);
    const theirs = writeMessage(
      {
        version: "2.1.0",
        sender: "TCT",
        receiver: TVAN,
        type: 902,
        messageId: newMessageId("TCT", randomHex),
        count: 1,
      },
      writeReconciliationReport({ version: "2.1.0", date: "2026-03-08", entries: [] }),
    );
    const diff = capture();
    expect(await tvanReconcile({ url, key: KEYS.admin }, "2026-03-08", theirs, diff)).toBe(1);
    const differences = (JSON.parse(diff.text()) as { differences: Array<{ type: number; theirs: number }> })
      .differences;
    expect(differences.find((d) => d.type === 200)).toMatchObject({ theirs: 0 });
    expect(await tvanReconcile({ url, key: KEYS.admin }, "8/3/2026", undefined, capture())).toBe(2);
  });
});
