/**
 * The worker draining the outbox over the HTTP adapter to a receiver on loopback: replies recorded, a 503
 * with Retry-After holds the destination, a stopped receiver (connection refused) is retried with backoff
 * until it is back.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ManualClock } from "../../src/domain/clock.ts";
import type { Database } from "../../src/store/index.ts";
import { migrate } from "../../src/store/index.ts";
import { messageListener } from "../../src/transport/http-listener.ts";
import { Outbox } from "../../src/transport/outbox.ts";
import { HttpTransport, unavailable } from "../../src/transport/transport.ts";
import { OutboxWorker } from "../../src/transport/worker.ts";
import { openTestDatabase, testBackends } from "../store/backends.ts";
import { IdempotentReceiver, messageId, tdiep } from "./support.ts";

function listen(server: Server, port = 0): Promise<number> {
  return new Promise((resolve) => {
    server.listen(port, "127.0.0.1", () => resolve((server.address() as AddressInfo).port));
  });
}
const close = (server: Server) =>
  new Promise<void>((resolve) => {
    server.closeAllConnections();
    server.close(() => resolve());
  });

describe.each(testBackends())("worker over HTTP (%s)", (backend) => {
  let db: Database;
  beforeAll(async () => {
    db = await openTestDatabase(backend);
    await migrate(db, "tvan");
  });
  afterAll(async () => {
    await db.close();
  });

  it("delivers, holds on 503 Retry-After, and retries a receiver that went away until it is back", async () => {
    const clock = new ManualClock("2026-03-08T10:00:00Z");
    const authority = new IdempotentReceiver();
    let server = createServer(messageListener({ "/authority": authority }));
    const port = await listen(server);
    const transport = new HttpTransport({
      routes: new Map([["TCT", `http://127.0.0.1:${port}/authority`]]),
      clock,
      timeoutMs: 5000,
    });
    const outbox = new Outbox(db, { clock, random: () => 0.5 });
    const w = new OutboxWorker({ outbox, transport, clock });
    const send = async () => {
      const id = messageId();
      await outbox.enqueue({ messageId: id, destination: "TCT", xml: tdiep(id) });
      return id;
    };

    const a = await send();
    expect(await w.tick()).toMatchObject({ claimed: 1, sent: 1 });
    const detail = await outbox.inspect(a);
    expect(detail.ok && detail.value.reply).toBe(authority.replies.get(a));

    authority.failWith = unavailable("bảo trì", new Date("2026-03-08T10:30:00Z"));
    const b = await send();
    expect(await w.tick()).toMatchObject({ claimed: 1, retried: 1 });
    expect(await outbox.heldUntil("TCT")).toMatchObject({ until: new Date("2026-03-08T10:30:00Z") });
    authority.failWith = undefined;
    clock.set("2026-03-08T10:29:59Z");
    expect((await w.tick()).claimed).toBe(0);
    clock.set("2026-03-08T10:30:00Z");
    expect(await w.tick()).toMatchObject({ claimed: 1, sent: 1 });

    await close(server);
    const c = await send();
    expect(await w.tick()).toMatchObject({ claimed: 1, retried: 1 });
    const failed = await outbox.inspect(c);
    expect(failed.ok && failed.value.lastError).toBe("network: ECONNREFUSED");
    server = createServer(messageListener({ "/authority": authority }));
    await listen(server, port);
    clock.advance({ seconds: 1 });
    expect(await w.tick()).toMatchObject({ claimed: 1, sent: 1 });
    await close(server);
    expect(authority.processed).toEqual([a, b, c]);
  });
});
