/**
 * One behaviour for both transport adapters: the same endpoints, reached in process or over HTTP on
 * loopback, give the same results. HTTP-only details (Retry-After forms, timeouts, refused connections)
 * follow the contract.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ManualClock } from "../../src/domain/clock.ts";
import { makeProblem } from "../../src/domain/problem.ts";
import { transportCodes } from "../../src/transport/codes.ts";
import { messageListener } from "../../src/transport/http-listener.ts";
import {
  delivered,
  HttpTransport,
  InProcessTransport,
  type PartyEndpoint,
  parseRetryAfter,
  rejected,
  type Transport,
  unavailable,
} from "../../src/transport/transport.ts";

const WINDOW_END = new Date("2026-03-09T03:45:00.250Z");
const refusal = makeProblem(transportCodes, "TRANSPORT_REJECTED", "/TDiep", { status: "400" });

const endpoints: Record<string, PartyEndpoint> = {
  TCT: {
    handle: async (xml) =>
      delivered(`<TDiep><DLieu><TBao><MTDiep>${xml.length}</MTDiep></TBao></DLieu></TDiep>`),
  },
  V0100000001: {
    handle: async () => unavailable("bảo trì hệ thống", WINDOW_END),
    check: async () => unavailable("bảo trì hệ thống", WINDOW_END),
  },
  V0100000002: { handle: async () => rejected(400, [refusal]) },
  V0100000003: {
    handle: async () => {
      throw new Error("boom");
    },
  },
  "0100000004": { handle: async (xml) => delivered(xml) },
};

function listen(server: Server): Promise<string> {
  return new Promise((resolve) => {
    server.listen(0, "127.0.0.1", () =>
      resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`),
    );
  });
}

const close = (server: Server) => new Promise<void>((resolve) => server.close(() => resolve()));

const servers: Server[] = [];
afterAll(async () => {
  for (const s of servers) {
    s.closeAllConnections();
    await close(s);
  }
});

type Make = () => Promise<Transport>;
const adapters: Array<[string, Make]> = [
  ["in-process", async () => new InProcessTransport(Object.entries(endpoints))],
  [
    "http",
    async () => {
      const prefixed: Record<string, PartyEndpoint> = {};
      for (const [party, ep] of Object.entries(endpoints)) prefixed[`/parties/${party}`] = ep;
      const server = createServer(messageListener(prefixed));
      servers.push(server);
      const base = await listen(server);
      return new HttpTransport({
        routes: (to) => (to in endpoints ? `${base}/parties/${to}` : undefined),
        timeoutMs: 5000,
      });
    },
  ],
];

describe.each(adapters)("transport contract (%s)", (_name, make) => {
  let t: Transport;
  beforeAll(async () => {
    t = await make();
  });

  it("returns the receiver's synchronous reply", async () => {
    const r = await t.send("TCT", "<TDiep>abc</TDiep>");
    expect(r).toEqual({ ok: true, reply: "<TDiep><DLieu><TBao><MTDiep>18</MTDiep></TBao></DLieu></TDiep>" });
  });

  it("carries Vietnamese text byte-exact both ways", async () => {
    const xml = "<TDiep><Ten>Công ty TNHH Đồng Tháp – hóa đơn ₫</Ten></TDiep>";
    expect(await t.send("0100000004", xml)).toEqual({ ok: true, reply: xml });
  });

  it("reports a receiver in maintenance as unavailable with the end of the window", async () => {
    const r = await t.send("V0100000001", "<TDiep/>");
    expect(r.ok).toBe(false);
    if (r.ok || r.kind !== "unavailable") throw new Error(`expected unavailable, got ${JSON.stringify(r)}`);
    expect(r.retryAfter?.toISOString()).toBe(WINDOW_END.toISOString());
    expect(r.reason).toBe("bảo trì hệ thống");
  });

  it("reports a refusal as rejected with the receiver's problem codes", async () => {
    const r = await t.send("V0100000002", "<TDiep/>");
    expect(r).toMatchObject({ ok: false, kind: "rejected", status: 400 });
    if (r.ok || r.kind !== "rejected") throw new Error("expected rejected");
    expect(r.problems.map((p) => p.code)).toEqual(["TRANSPORT_REJECTED"]);
  });

  it("reports a receiver that fails as unavailable without a retry time", async () => {
    const r = await t.send("V0100000003", "<TDiep/>");
    expect(r).toMatchObject({ ok: false, kind: "unavailable" });
    if (r.ok || r.kind !== "unavailable") throw new Error("expected unavailable");
    expect(r.retryAfter).toBeUndefined();
  });

  it("reports a party it has no route to as a network failure", async () => {
    const r = await t.send("V9999999999", "<TDiep/>");
    expect(r).toMatchObject({ ok: false, kind: "network" });
  });

  it("answers the connection check: ready, in maintenance, or unreachable", async () => {
    expect(await t.check("TCT")).toEqual({ ok: true });
    expect(await t.check("V0100000001")).toMatchObject({ ok: false, kind: "unavailable" });
    expect(await t.check("V9999999999")).toMatchObject({ ok: false, kind: "network" });
  });
});

describe("HTTP transport details", () => {
  const clock = new ManualClock("2026-03-08T23:00:00Z");
  let base: string;
  let slowBase: string;
  const headers = new Map<string, Record<string, string>>([
    ["/seconds/messages", { "retry-after": "120" }],
    ["/date/messages", { "retry-after": "Thu, 09 Mar 2023 03:45:00 GMT" }],
    ["/garbage/messages", { "retry-after": "soon" }],
    ["/busy/messages", { "retry-after": "7" }],
  ]);

  beforeAll(async () => {
    const server = createServer((req, res) => {
      const url = req.url ?? "";
      req.resume();
      const h = headers.get(url);
      if (h) {
        res.writeHead(url.startsWith("/busy") ? 429 : 503, h);
        res.end();
        return;
      }
      if (url === "/reset/messages") {
        req.socket.destroy();
        return;
      }
      res.writeHead(204);
      res.end();
    });
    servers.push(server);
    base = await listen(server);
    const slow = createServer(() => {
      /* never answers */
    });
    servers.push(slow);
    slowBase = await listen(slow);
  });

  const transport = (path: string, timeoutMs = 5000) =>
    new HttpTransport({ routes: () => `${path.startsWith("http") ? "" : base}${path}`, timeoutMs, clock });

  it("reads Retry-After in seconds against the clock", async () => {
    const r = await transport("/seconds").send("TCT", "<x/>");
    expect(r).toMatchObject({ ok: false, kind: "unavailable", retryAfter: new Date("2026-03-08T23:02:00Z") });
  });

  it("reads Retry-After as an HTTP-date", async () => {
    const r = await transport("/date").send("TCT", "<x/>");
    expect(r).toMatchObject({ kind: "unavailable", retryAfter: new Date("2023-03-09T03:45:00Z") });
  });

  it("treats 429 Too Many Requests as unavailable, and ignores an unreadable Retry-After", async () => {
    expect(await transport("/busy").send("TCT", "<x/>")).toMatchObject({
      kind: "unavailable",
      retryAfter: new Date("2026-03-08T23:00:07Z"),
    });
    const r = await transport("/garbage").send("TCT", "<x/>");
    expect(r).toMatchObject({ kind: "unavailable" });
    expect(r.ok === false && r.kind === "unavailable" ? r.retryAfter : "wrong kind").toBeUndefined();
  });

  it("treats an unexpected success status as unavailable, not as a reply", async () => {
    expect(await transport("/other").send("TCT", "<x/>")).toMatchObject({ kind: "unavailable" });
  });

  it("reports a connection reset as a network failure", async () => {
    expect(await transport("/reset").send("TCT", "<x/>")).toMatchObject({ kind: "network" });
  });

  it("reports a refused connection as a network failure", async () => {
    const s = createServer();
    const url = await listen(s);
    await close(s);
    const r = await transport(url).send("TCT", "<x/>");
    expect(r).toMatchObject({ kind: "network", reason: "ECONNREFUSED" });
  });

  it("gives up on a receiver that does not answer in time", async () => {
    const r = await transport(slowBase, 150).send("TCT", "<x/>");
    expect(r).toEqual({ ok: false, kind: "network", reason: "timed out" });
  });
});

describe("parseRetryAfter", () => {
  const now = new Date("2026-01-01T00:00:00Z");
  it("reads seconds and HTTP-dates, and refuses anything else", () => {
    expect(parseRetryAfter("0", now)).toEqual(now);
    expect(parseRetryAfter(" 30 ", now)).toEqual(new Date("2026-01-01T00:00:30Z"));
    expect(parseRetryAfter("Sun, 06 Nov 1994 08:49:37 GMT", now)).toEqual(new Date("1994-11-06T08:49:37Z"));
    expect(parseRetryAfter("", now)).toBeUndefined();
    expect(parseRetryAfter(null, now)).toBeUndefined();
    expect(parseRetryAfter("later", now)).toBeUndefined();
  });
});
