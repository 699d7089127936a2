/**
 * The T-VAN service on both database backends, with a fake authority and fake sellers behind an
 * InProcessTransport and time moved by a ManualClock: receipts, the byte-exact archive, idempotency by
 * message id, forwarding in per-seller order, answers returned once by push and listed by pull, outages,
 * maintenance windows and reconciliation.
 */
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { ManualClock } from "../../src/domain/clock.ts";
import { makeProblem } from "../../src/domain/problem.ts";
import {
  inspectMessage,
  type MessageHeader,
  newMessageId,
  payloadXml,
  readMessage,
  writeMessage,
} from "../../src/format/envelope.ts";
import {
  MAINTENANCE_NOTICE_FORM,
  MAINTENANCE_NOTICE_TYPE,
  writeMaintenanceNotice,
} from "../../src/format/forms/maintenance-notice.ts";
import {
  type ReconciliationReport,
  readReconciliationReport,
  readTechnicalReceipt,
  type TechnicalReceipt,
  writeReconciliationReport,
  writeTechnicalReceipt,
} from "../../src/format/forms/receipt.ts";
import type { MessageTypeCode } from "../../src/format/messages.ts";
import type { Database } from "../../src/store/index.ts";
import { migrate } from "../../src/store/index.ts";
import { compareReports, type SignatureCheck, TvanService, tvanCodes } from "../../src/transmission/tvan.ts";
import { messageListener } from "../../src/transport/http-listener.ts";
import { Outbox, type RetryPolicy } from "../../src/transport/outbox.ts";
import {
  type CheckResult,
  delivered,
  HttpTransport,
  InProcessTransport,
  networkFailure,
  type PartyEndpoint,
  type TransportResult,
  unavailable,
} from "../../src/transport/transport.ts";
import { OutboxWorker } from "../../src/transport/worker.ts";
import { openTestDatabase, testBackends } from "../store/backends.ts";

const TVAN = "V0100000001";
const SELLER_A = "0100109106";
const SELLER_B = "0312345678";
const START = "2026-03-08T03:00:00Z"; // 10:00 in Vietnam
const DAY = "2026-03-08";
const POLICY: Partial<RetryPolicy> = { baseMs: 1000, capMs: 8000, maxAttempts: 10, leaseMs: 30_000 };

const randomHex = () => randomBytes(16).toString("hex");

function sellerMessage(
  seller: string,
  type: MessageTypeCode,
  options: { id?: string; receiver?: string; body?: string } = {},
): { id: string; xml: string } {
  const id = options.id ?? newMessageId(seller, randomHex);
  const payload =
    options.body ??
    (type === 100
      ? `<TKhai><DLTKhai Id="t"><TTChung><MST>${seller}</MST></TTChung></DLTKhai></TKhai>`
      : `<HDon><DLHDon Id="d"><TTChung><PBan>2.1.0</PBan></TTChung></DLHDon></HDon>`);
  const header: MessageHeader = {
    version: "2.1.0",
    sender: seller,
    receiver: options.receiver ?? TVAN,
    type,
    messageId: id,
    taxCode: seller,
    count: 1,
  };
  return { id, xml: writeMessage(header, payload) };
}

function receiptOf(xml: string): { header: MessageHeader; receipt: TechnicalReceipt } {
  const m = readMessage(xml);
  if (!m.ok) throw new Error(m.problems.map((p) => p.message).join("; "));
  const r = readTechnicalReceipt(m.value.payloads[0]!);
  if (!r.ok) throw new Error(r.problems.map((p) => p.message).join("; "));
  return { header: m.value.header, receipt: r.value };
}

interface Arrival {
  readonly id: string;
  readonly type: number;
  readonly taxCode: string;
  readonly replyTo?: string;
  readonly xml: string;
}

/** A party that acts on a message id once and answers every arrival with a 999 (the first one again). */
class Recorder implements PartyEndpoint {
  readonly arrivals = new Map<string, number>();
  readonly processed: Arrival[] = [];
  readonly #receipts = new Map<string, string>();
  failWith: TransportResult | undefined;
  checkResult: CheckResult = { ok: true };

  constructor(readonly party: string) {}

  async handle(xml: string): Promise<TransportResult> {
    if (this.failWith) return this.failWith;
    const m = inspectMessage(xml);
    const id = m.header.messageId!;
    this.arrivals.set(id, (this.arrivals.get(id) ?? 0) + 1);
    const first = this.#receipts.get(id);
    if (first !== undefined) return delivered(first);
    this.processed.push({
      id,
      type: m.header.type!,
      taxCode: m.header.taxCode ?? "",
      ...(m.header.replyTo === undefined ? {} : { replyTo: m.header.replyTo }),
      xml,
    });
    const receipt = writeMessage(
      {
        version: "2.1.0",
        sender: this.party,
        receiver: m.header.sender!,
        type: 999,
        messageId: newMessageId(this.party, randomHex),
        replyTo: id,
      },
      writeTechnicalReceipt({ messageId: id, receivedAt: "2026-03-08T10:00:00", status: 0 }),
    );
    this.#receipts.set(id, receipt);
    return delivered(receipt);
  }

  async check(): Promise<CheckResult> {
    return this.checkResult;
  }

  idsOf(taxCode: string): string[] {
    return this.processed.filter((a) => a.taxCode === taxCode).map((a) => a.id);
  }
}

/** The authority's answer to a forwarded message: a 202-like reply with the coded invoice. */
function codedReply(to: Arrival, id = newMessageId("TCT", randomHex)): string {
  return writeMessage(
    {
      version: "2.1.0",
      sender: "TCT",
      receiver: TVAN,
      type: 202,
      messageId: id,
      replyTo: to.id,
      taxCode: to.taxCode,
      count: 1,
    },
    `<HDon><DLHDon Id="d"><TTChung><PBan>2.1.0</PBan></TTChung></DLHDon><MCCQT Id="c">00ABC</MCCQT></HDon>`,
  );
}

/** An invoice payload numbered `n`, replacing invoice `replaces` when given (TTHDLQuan). */
function invoiceBody(n: number, replaces?: number): string {
  const related =
    replaces === undefined
      ? ""
      : `<TTHDLQuan><TCHDon>1</TCHDon><LHDCLQuan>1</LHDCLQuan><KHMSHDCLQuan>1</KHMSHDCLQuan><KHHDCLQuan>C26TAA</KHHDCLQuan><SHDCLQuan>${String(replaces).padStart(8, "0")}</SHDCLQuan><NLHDCLQuan>2026-03-08</NLHDCLQuan></TTHDLQuan>`;
  return `<HDon><DLHDon Id="d"><TTChung><PBan>2.1.0</PBan><KHMSHDon>1</KHMSHDon><KHHDon>C26TAA</KHHDon><SHDon>${n}</SHDon>${related}</TTChung></DLHDon></HDon>`;
}

/** The authority's notice of a window (950, hddt/TB-BTHT), unsigned (the T-VAN does not check it). */
function maintenanceNoticeMessage(startsAt: Date, endsAt: Date): string {
  const vn = (d: Date) => new Date(d.getTime() + 7 * 3_600_000).toISOString().slice(0, 19);
  const body = writeMaintenanceNotice({
    version: "2.1.0",
    form: MAINTENANCE_NOTICE_FORM,
    title: "Thông báo bảo trì",
    number: "1",
    place: "Hà Nội",
    date: DAY,
    authority: "Cục Thuế",
    windowId: "7",
    startsAt: vn(startsAt),
    endsAt: vn(endsAt),
    reason: "Nâng cấp",
    signatures: [],
  });
  return writeMessage(
    {
      version: "2.1.0",
      sender: "TCT",
      receiver: TVAN,
      type: MAINTENANCE_NOTICE_TYPE as MessageTypeCode,
      messageId: newMessageId("TCT", randomHex),
      count: 1,
    },
    body,
  );
}

describe.each(testBackends())("T-VAN service (%s)", (backend) => {
  let db: Database;
  let clock: ManualClock;
  let outbox: Outbox;
  let transport: InProcessTransport;
  let authority: Recorder;
  let sellerA: Recorder;
  let sellerB: Recorder;
  let tvan: TvanService;
  let worker: OutboxWorker;
  let signatureCalls: number;

  const fakeSignature: SignatureCheck = (xml, { index }) => {
    signatureCalls++;
    return xml.includes("BADSIG")
      ? [makeProblem(tvanCodes, "TVAN_SIGNATURE_INVALID", "/TDiep/DLieu", { index: String(index + 1) })]
      : [];
  };

  /** Ticks the worker until nothing is due, moving time by a second between rounds. */
  const drain = async (rounds = 50) => {
    for (let i = 0; i < rounds; i++) {
      const r = await worker.tick();
      if (r.claimed === 0 && r.resumed === 0) return;
      clock.advance({ seconds: 1 });
    }
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
      `truncate tvan.outbox, tvan.outbox_key, tvan.destination_hold, tvan.maintenance_window, tvan.message,
        tvan.event, tvan.seller_sequence restart identity`,
    );
    clock = new ManualClock(START);
    outbox = new Outbox(db, { clock, policy: POLICY, random: () => 0.5 });
    authority = new Recorder("TCT");
    sellerA = new Recorder(SELLER_A);
    sellerB = new Recorder(SELLER_B);
    signatureCalls = 0;
    transport = new InProcessTransport([
      ["TCT", authority],
      [SELLER_A, sellerA],
      [SELLER_B, sellerB],
    ]);
    tvan = new TvanService({
      db,
      clock,
      transport,
      outbox,
      config: { party: TVAN },
      checkSignature: fakeSignature,
    });
    transport.register(TVAN, tvan.endpoint);
    worker = new OutboxWorker({ outbox, transport, clock, workerId: "w1", checkEveryMs: 0 });
  });

  it("answers a seller's message with a 999 and keeps it byte-exact with origin, destination and time", async () => {
    const base = sellerMessage(SELLER_A, 200);
    // Odd but legal layout: a declaration, line breaks and indentation the T-VAN must keep.
    const xml = `<?xml version="1.0" encoding="UTF-8"?>\n${base.xml
      .replace("<DLieu>", "<DLieu>\n    ")
      .replace("</DLieu>", "\n  </DLieu>")}\n`;
    const res = await transport.send(TVAN, xml);
    if (!res.ok) throw new Error(res.kind);
    const { header, receipt } = receiptOf(res.reply);
    expect(header).toMatchObject({ type: 999, sender: TVAN, receiver: SELLER_A, replyTo: base.id });
    expect(receipt).toMatchObject({ messageId: base.id, status: 0, receivedAt: "2026-03-08T10:00:00" });
    expect(signatureCalls).toBe(1);

    const stored = await tvan.stored(base.id);
    expect(stored).toMatchObject({
      kind: "seller",
      status: "accepted",
      origin: SELLER_A,
      destination: "TCT",
      taxCode: SELLER_A,
      receivedAt: new Date(START),
      receipt: res.reply,
    });
    expect(stored!.xml).toBe(xml);

    // Forwarded re-addressed: only TTChung differs; DLieu is byte-exact.
    const queued = await outbox.inspect(stored!.forwardId!);
    if (!queued.ok) throw new Error("not queued");
    expect(queued.value).toMatchObject({ destination: "TCT", orderingKey: SELLER_A, state: "pending" });
    const fwd = readMessage(queued.value.xml);
    if (!fwd.ok) throw new Error(fwd.problems[0]!.message);
    expect(fwd.value.header).toMatchObject({ sender: TVAN, receiver: "TCT", type: 200, taxCode: SELLER_A });
    expect(fwd.value.header.messageId.startsWith(TVAN)).toBe(true);
    const original = readMessage(xml);
    if (!original.ok) throw new Error("unreadable");
    expect(payloadXml(fwd.value, 0)).toBe(payloadXml(original.value, 0));
    const dlieu = (s: string) => s.slice(s.indexOf("<DLieu>"));
    expect(dlieu(queued.value.xml)).toBe(dlieu(xml));
  });

  it("answers a repeated message id with the same 999 and stores and forwards it once", async () => {
    const m = sellerMessage(SELLER_A, 200);
    const first = await tvan.receive(m.xml);
    clock.advance({ minutes: 5 });
    const again = await tvan.receive(m.xml);
    const concurrent = await Promise.all([tvan.receive(m.xml), tvan.receive(m.xml)]);
    expect(first.status).toBe("accepted");
    expect(again).toMatchObject({ status: "duplicate", receipt: first.receipt });
    for (const c of concurrent) expect(c.receipt).toBe(first.receipt);
    expect(await outbox.counts()).toEqual({ pending: 1, in_flight: 0, sent: 0, dead: 0 });
    const n = await db.pool.query<{ n: bigint }>("select count(*) as n from tvan.message");
    expect(n.rows[0]!.n).toBe(1n);
  });

  it("answers a message addressed elsewhere with a 999 listing the error, and does not forward it", async () => {
    const m = sellerMessage(SELLER_A, 200, { receiver: "V0999999999" });
    const out = await tvan.receive(m.xml);
    expect(out.status).toBe("rejected");
    expect(out.problems.map((p) => p.code)).toEqual(["TVAN_WRONG_RECEIVER"]);
    const { receipt } = receiptOf(out.receipt);
    expect(receipt.status).toBe(1);
    expect(receipt.reasons?.[0]?.description).toContain("TVAN_WRONG_RECEIVER");
    expect((await tvan.stored(m.id))?.status).toBe("rejected");
    expect((await tvan.receive(m.xml)).receipt).toBe(out.receipt);
    expect(await outbox.counts()).toEqual({ pending: 0, in_flight: 0, sent: 0, dead: 0 });
  });

  it("accepts a message addressed to the authority as its final destination", async () => {
    const m = sellerMessage(SELLER_A, 200, { receiver: "TCT" });
    expect((await tvan.receive(m.xml)).status).toBe("accepted");
  });

  it("refuses a message a seller may not send, and a message with an invalid envelope", async () => {
    const notice = writeMessage(
      {
        version: "2.1.0",
        sender: SELLER_A,
        receiver: TVAN,
        type: 102,
        messageId: newMessageId(SELLER_A, randomHex),
        replyTo: newMessageId(SELLER_A, randomHex),
        taxCode: SELLER_A,
        count: 1,
      },
      "<TBao><DLTBao/></TBao>",
    );
    expect((await tvan.receive(notice)).problems.map((p) => p.code)).toEqual(["TVAN_NOT_FORWARDABLE"]);
    const noCount = sellerMessage(SELLER_A, 200).xml.replace(/<SLuong>1<\/SLuong>/, "");
    const out = await tvan.receive(noCount);
    expect(out.status).toBe("rejected");
    expect(out.problems.map((p) => p.code)).toContain("ENVELOPE_FIELD_MISSING");
    expect(receiptOf(out.receipt).receipt.status).toBe(1);
  });

  it("answers an unreadable message with a −1 and stores nothing", async () => {
    for (const bad of ["not xml at all", "<TDiep><TTChung><PBan>2.1.0</PBan></TTChung></TDiep>"]) {
      const out = await tvan.receive(bad);
      expect(out.status).toBe("unreadable");
      const m = readMessage(out.receipt);
      if (!m.ok) throw new Error(m.problems[0]!.message);
      expect(m.value.header.type).toBe(-1);
      expect(out.problems.length).toBeGreaterThan(0);
    }
    const n = await db.pool.query<{ n: bigint }>("select count(*) as n from tvan.message");
    expect(n.rows[0]!.n).toBe(0n);
  });

  it("refuses an invoice whose seller signature does not verify", async () => {
    const m = sellerMessage(SELLER_A, 200, { body: "<HDon><DLHDon Id='d'>BADSIG</DLHDon></HDon>" });
    const out = await tvan.receive(m.xml);
    expect(out.problems.map((p) => p.code)).toEqual(["TVAN_SIGNATURE_INVALID"]);
    expect(receiptOf(out.receipt).receipt.status).toBe(1);
    expect(await outbox.counts()).toEqual({ pending: 0, in_flight: 0, sent: 0, dead: 0 });
  });

  it("checks a real seller signature with the verifier: a signed invoice passes, a changed one is refused", async () => {
    const invoice = readFileSync(
      new URL("../fixtures/real/bkav-c23tms-00000103.xml", import.meta.url),
      "utf8",
    );
    const mst = /<NBan>.*?<MST>([^<]+)<\/MST>/s.exec(invoice)![1]!;
    const real = new TvanService({ db, clock, transport, outbox, config: { party: TVAN } });
    const good = sellerMessage(mst, 200, { body: invoice });
    expect((await real.receive(good.xml)).status).toBe("accepted");
    const changed = sellerMessage(mst, 200, { body: invoice.replace("<TTChung>", "<TTChung> ") });
    const out = await real.receive(changed.xml);
    expect(out.problems.map((p) => p.code)).toEqual(["TVAN_SIGNATURE_INVALID", "SIG_DIGEST_MISMATCH"]);
    expect(receiptOf(out.receipt).receipt.status).toBe(1);
  });

  it("forwards to the authority and returns its answer to the seller once by push and lists it by pull", async () => {
    const m = sellerMessage(SELLER_A, 200);
    await tvan.receive(m.xml);
    await drain();
    expect(authority.processed).toHaveLength(1);
    const arrival = authority.processed[0]!;
    const forwardId = (await tvan.stored(m.id))!.forwardId;
    expect(arrival.id).toBe(forwardId);

    // The authority answers later, and (its own retry) sends the same answer again.
    const replyId = newMessageId("TCT", randomHex);
    const reply = codedReply(arrival, replyId);
    const r1 = await transport.send(TVAN, reply);
    const r2 = await transport.send(TVAN, reply);
    if (!r1.ok || !r2.ok) throw new Error("answer refused");
    expect(receiptOf(r1.reply).receipt).toMatchObject({ messageId: replyId, status: 0 });
    expect(r2.reply).toBe(r1.reply);
    expect((await tvan.stored(replyId))?.xml).toBe(reply);
    await drain();

    expect(sellerA.processed).toHaveLength(1);
    expect([...sellerA.arrivals.values()]).toEqual([1]);
    const pushed = sellerA.processed[0]!;
    expect(pushed).toMatchObject({ type: 202, taxCode: SELLER_A, replyTo: m.id });
    expect(pushed.xml.slice(pushed.xml.indexOf("<DLieu>"))).toBe(reply.slice(reply.indexOf("<DLieu>")));
    expect(sellerB.processed).toHaveLength(0);

    const byId = await tvan.repliesFor(m.id);
    expect(byId).toHaveLength(1);
    expect(byId[0]).toMatchObject({ messageId: pushed.id, authorityMessageId: replyId, replyTo: m.id });
    const pending = await tvan.pendingFor(SELLER_A);
    expect(pending.map((p) => p.messageId)).toEqual([pushed.id]);
    expect(pending[0]!.xml).toBe(pushed.xml);
    expect(await tvan.pendingFor(SELLER_A, pending[0]!.cursor)).toEqual([]);
    expect(await tvan.pendingFor(SELLER_B)).toEqual([]);
  });

  it("passes the authority's error receipt on to the seller once", async () => {
    const relays: Promise<unknown>[] = [];
    worker = new OutboxWorker({
      outbox,
      transport,
      clock,
      workerId: "w1",
      onResult: (message, result) => {
        relays.push(tvan.relayAuthorityReceipt(message.destination, result));
      },
    });
    const good = sellerMessage(SELLER_A, 200);
    const bad = sellerMessage(SELLER_A, 200);
    await tvan.receive(good.xml);
    await tvan.receive(bad.xml);
    const badForward = (await tvan.stored(bad.id))!.forwardId!;
    const errorReceipt = writeMessage(
      {
        version: "2.1.0",
        sender: "TCT",
        receiver: TVAN,
        type: 999,
        messageId: newMessageId("TCT", randomHex),
        replyTo: badForward,
      },
      writeTechnicalReceipt({
        messageId: badForward,
        receivedAt: "2026-03-08T10:00:01",
        status: 1,
        reasons: [{ code: "10", description: "Sai định dạng" }],
      }),
    );
    const handle = authority.handle.bind(authority);
    authority.handle = async (xml) =>
      inspectMessage(xml).header.messageId === badForward ? delivered(errorReceipt) : handle(xml);
    await drain();
    await Promise.all(relays);
    await drain();
    expect(sellerA.processed.map((p) => [p.type, p.replyTo])).toEqual([[999, bad.id]]);
    expect((await tvan.repliesFor(bad.id)).map((r) => r.type)).toEqual([999]);
    expect(await tvan.repliesFor(good.id)).toEqual([]);
  });

  it("sends a notice of the authority to the seller's last party, and keeps one for an unknown seller unmatched", async () => {
    await tvan.receive(sellerMessage(SELLER_A, 200).xml);
    const notice = (taxCode: string) =>
      writeMessage(
        {
          version: "2.1.0",
          sender: "TCT",
          receiver: TVAN,
          type: 302,
          messageId: newMessageId("TCT", randomHex),
          taxCode,
          count: 1,
        },
        "<TBao><DLTBao Id='r'><MSo>01/TB-RSĐT</MSo></DLTBao></TBao>",
      );
    const known = await tvan.receiveFromAuthority(notice(SELLER_A));
    const unknown = await tvan.receiveFromAuthority(notice("0100000009"));
    expect([known.status, unknown.status]).toEqual(["accepted", "unmatched"]);
    await drain();
    expect(sellerA.processed.map((p) => [p.type, p.replyTo])).toEqual([[302, undefined]]);
    expect((await tvan.pendingFor("0100000009")).map((r) => r.authorityMessageId)).toEqual([
      unknown.messageId,
    ]);
  });

  it("keeps each seller's order: the registration before its invoices, an invoice before its replacement", async () => {
    const a = [
      sellerMessage(SELLER_A, 100),
      sellerMessage(SELLER_A, 200),
      sellerMessage(SELLER_A, 200),
      sellerMessage(SELLER_A, 200),
    ];
    const b = [sellerMessage(SELLER_B, 100), sellerMessage(SELLER_B, 200)];
    for (let i = 0; i < a.length; i++) {
      await tvan.receive(a[i]!.xml);
      if (b[i]) await tvan.receive(b[i]!.xml);
    }
    // The registration of A fails twice before it goes through: A's invoices wait; B goes on.
    let failures = 0;
    const handle = authority.handle.bind(authority);
    authority.handle = async (xml) => {
      if (inspectMessage(xml).header.taxCode === SELLER_A && failures < 2) {
        failures++;
        return networkFailure("ECONNRESET");
      }
      return handle(xml);
    };
    await drain();
    const forwarded = async (list: { id: string }[]) =>
      Promise.all(list.map(async (x) => (await tvan.stored(x.id))!.forwardId));
    expect(authority.idsOf(SELLER_A)).toEqual(await forwarded(a));
    expect(authority.idsOf(SELLER_B)).toEqual(await forwarded(b));
    expect(failures).toBe(2);
    expect([...authority.arrivals.values()].every((n) => n === 1)).toBe(true);
  });

  it("holds while the authority is unavailable (Retry-After) and then delivers everything once", async () => {
    const sent = [sellerMessage(SELLER_A, 200), sellerMessage(SELLER_B, 200), sellerMessage(SELLER_A, 200)];
    for (const m of sent) await tvan.receive(m.xml);
    const until = new Date(clock.now().getTime() + 60_000);
    authority.failWith = unavailable("bảo trì", until);
    const observed: Promise<void>[] = [];
    worker = new OutboxWorker({
      outbox,
      transport,
      clock,
      workerId: "w1",
      onResult: (message, result) => {
        observed.push(tvan.observeSend(message.destination, result));
      },
    });
    const first = await worker.tick();
    expect(first.sent).toBe(0);
    await Promise.all(observed);
    expect((await tvan.events()).map((e) => [e.kind, e.endsAt, e.notice])).toEqual([
      ["authority_unavailable", until, "bảo trì"],
    ]);
    authority.failWith = undefined;
    clock.advance({ seconds: 30 });
    expect((await worker.tick()).claimed).toBe(0);
    clock.advance({ seconds: 31 });
    await drain();
    expect(authority.processed).toHaveLength(3);
    // The authority answers each; a seller that is down for a while still gets each answer once.
    sellerA.failWith = networkFailure("ECONNREFUSED");
    for (const arrival of authority.processed) {
      const r = await transport.send(TVAN, codedReply(arrival));
      expect(r.ok).toBe(true);
    }
    await drain(3);
    sellerA.failWith = undefined;
    clock.advance({ seconds: 30 });
    await drain();
    expect(sellerA.processed).toHaveLength(2);
    expect(sellerB.processed).toHaveLength(1);
    for (const r of [authority, sellerA, sellerB])
      expect([...r.arrivals.values()].every((n) => n === 1)).toBe(true);
    expect(await outbox.counts()).toMatchObject({ pending: 0, in_flight: 0, dead: 0 });
    expect((await tvan.pendingFor(SELLER_A)).map((p) => p.replyTo)).toEqual([sent[0]!.id, sent[2]!.id]);
  });

  it("records a maintenance notice, flushes before the window, holds during it and resumes after a check", async () => {
    const before = sellerMessage(SELLER_A, 200);
    await tvan.receive(before.xml);
    const startsAt = new Date(clock.now().getTime() + 10_000);
    const endsAt = new Date(startsAt.getTime() + 30_000);
    const announced = await tvan.announceMaintenance({ startsAt, endsAt, notice: "bảo trì" });
    expect(announced).toMatchObject({ kind: "maintenance_announced", startsAt, endsAt, destination: "TCT" });
    await drain(1);
    expect(authority.processed).toHaveLength(1);

    clock.set(new Date(startsAt.getTime() + 1000));
    const during = sellerMessage(SELLER_A, 200);
    expect((await tvan.receive(during.xml)).status).toBe("accepted");
    await drain();
    expect(authority.processed).toHaveLength(1);

    // After the end the check fails once (still down), then passes.
    clock.set(new Date(endsAt.getTime() + 1000));
    authority.checkResult = unavailable("still down");
    await worker.tick();
    expect(authority.processed).toHaveLength(1);
    authority.checkResult = { ok: true };
    clock.advance({ seconds: 5 });
    await drain();
    expect(authority.processed).toHaveLength(2);

    // One event for the T-VAN's own record and one for the connected seller, each announced and resumed.
    const events = await tvan.events();
    expect(events.map((e) => [e.kind, e.party])).toEqual([
      ["maintenance_announced", null],
      ["maintenance_announced", SELLER_A],
      ["maintenance_resumed", null],
      ["maintenance_resumed", SELLER_A],
    ]);
    expect(await tvan.events(events[1]!.cursor)).toHaveLength(2);
    expect(await tvan.events(events[3]!.cursor)).toEqual([]);
    expect((await tvan.events(undefined, SELLER_B)).map((e) => e.party)).toEqual([null, null]);
    expect(await tvan.maintenanceWindows()).toMatchObject([{ startsAt, endsAt, destination: "TCT" }]);
  });

  // Needs two sessions at once: the embedded database has one.
  it.skipIf(backend === "embedded")(
    "never lets a poller skip a reply whose transaction began first but committed last",
    async () => {
      const sent = [sellerMessage(SELLER_A, 200), sellerMessage(SELLER_A, 200)];
      for (const m of sent) await tvan.receive(m.xml);
      await drain();
      const [a1, a2] = authority.processed;
      let release!: () => void;
      const gate = new Promise<void>((r) => {
        release = r;
      });
      let entered!: () => void;
      const inside = new Promise<void>((r) => {
        entered = r;
      });
      // Holds its transaction open after the archive row is written (the outbox write comes last).
      class GatedOutbox extends Outbox {
        override async enqueue(...args: Parameters<Outbox["enqueue"]>) {
          entered();
          await gate;
          return super.enqueue(...args);
        }
      }
      const slow = new TvanService({
        db,
        clock,
        transport,
        outbox: new GatedOutbox(db, { clock }),
        config: { party: TVAN },
        checkSignature: fakeSignature,
      });
      const first = slow.receiveFromAuthority(codedReply(a1!));
      await inside;
      let secondDone = false;
      const second = tvan.receiveFromAuthority(codedReply(a2!)).finally(() => {
        secondDone = true;
      });
      // Wait until the second writer either committed (the bug) or waits for the first one's lock.
      for (;;) {
        const w = await db.pool.query<{ n: string }>(
          "select count(*)::text as n from pg_stat_activity where wait_event_type = 'Lock' and datname = current_database()",
        );
        if (secondDone || w.rows[0]!.n !== "0") break;
        await new Promise((r) => setImmediate(r));
      }
      // A poller now must not see the later-started reply before the earlier one.
      const early = await tvan.pendingFor(SELLER_A);
      expect(early).toEqual([]);
      release();
      await Promise.all([first, second]);
      const all = await tvan.pendingFor(SELLER_A);
      const forwards = await Promise.all(
        sent.map(async (m) => [(await tvan.stored(m.id))!.forwardId!, m.id] as const),
      );
      const seller = new Map(forwards);
      expect(all.map((r) => r.replyTo)).toEqual([seller.get(a1!.id), seller.get(a2!.id)]);
      expect(await tvan.pendingFor(SELLER_A, all[0]!.cursor)).toHaveLength(1);
    },
  );

  it("learns a window from the authority's maintenance notice (950) once, and holds from its start", async () => {
    await tvan.receive(sellerMessage(SELLER_A, 200).xml);
    await tvan.receive(sellerMessage(SELLER_B, 200).xml);
    await drain();
    const startsAt = new Date(clock.now().getTime() + 60_000);
    const endsAt = new Date(startsAt.getTime() + 30_000);
    const notice = maintenanceNoticeMessage(startsAt, endsAt);
    const first = await tvan.receiveFromAuthority(notice);
    expect(first.status).toBe("accepted");
    expect((await tvan.receiveFromAuthority(notice)).status).toBe("duplicate");
    expect(await tvan.maintenanceWindows()).toMatchObject([{ startsAt, endsAt, destination: "TCT" }]);
    const events = await tvan.events();
    expect(events.map((e) => e.party).sort()).toEqual([SELLER_A, SELLER_B, null].sort());
    expect(events.every((e) => e.kind === "maintenance_announced")).toBe(true);
    // Not a reply for any seller, and not counted in reconciliation.
    expect(await tvan.pendingFor(SELLER_A)).toEqual([]);
    const counts = await tvan.countsFor(DAY);
    expect(counts.ok && counts.value.entries.some((e) => e.type === (950 as MessageTypeCode))).toBe(false);
    // Held during the window.
    clock.set(new Date(startsAt.getTime() + 1000));
    await tvan.receive(sellerMessage(SELLER_A, 200).xml);
    const before = authority.processed.length;
    await drain(3);
    expect(authority.processed).toHaveLength(before);
  });

  it("forwards a seller's invoices together but a registration alone, and a replacement after its original", async () => {
    const reg = sellerMessage(SELLER_A, 100);
    const invoices = [1, 2, 3].map((n) => sellerMessage(SELLER_A, 200, { body: invoiceBody(n) }));
    const replacement = sellerMessage(SELLER_A, 200, { body: invoiceBody(4, 2) });
    await tvan.receive(reg.xml);
    for (const m of invoices) await tvan.receive(m.xml);
    await tvan.receive(replacement.xml);
    const claimed = async () => (await outbox.claim(10, "w1")).map((c) => c);
    const ok = (list: Awaited<ReturnType<typeof claimed>>) =>
      outbox.complete(list.map((message) => ({ message, result: delivered("<r/>") })));
    const forwardOf = async (id: string) => (await tvan.stored(id))!.forwardId!;
    const c1 = await claimed();
    expect(c1.map((c) => c.messageId)).toEqual([await forwardOf(reg.id)]);
    await ok(c1);
    const c2 = await claimed();
    expect(c2.map((c) => c.messageId).sort()).toEqual(
      (await Promise.all(invoices.map((m) => forwardOf(m.id)))).sort(),
    );
    // The replacement waits for invoice 2, which is in flight.
    expect(await claimed()).toEqual([]);
    await ok(c2);
    expect((await claimed()).map((c) => c.messageId)).toEqual([await forwardOf(replacement.id)]);
    expect((await outbox.inspect(await forwardOf(replacement.id))).ok).toBe(true);
  });

  it("holds a replacement while the invoice it corrects is unsent, not while other invoices are", async () => {
    const invoices = [1, 2].map((n) => sellerMessage(SELLER_A, 200, { body: invoiceBody(n) }));
    const replacement = sellerMessage(SELLER_A, 200, { body: invoiceBody(3, 1) });
    for (const m of [...invoices, replacement]) await tvan.receive(m.xml);
    const forwardOf = async (id: string) => (await tvan.stored(id))!.forwardId!;
    const first = await outbox.claim(10, "w1");
    expect(first.map((c) => c.messageId).sort()).toEqual(
      [await forwardOf(invoices[0]!.id), await forwardOf(invoices[1]!.id)].sort(),
    );
    // The other invoice is sent, the corrected one fails: the replacement still waits.
    const original = await forwardOf(invoices[0]!.id);
    await outbox.complete(
      first.map((message) => ({
        message,
        result: message.messageId === original ? networkFailure("ECONNRESET") : delivered("<r/>"),
      })),
    );
    clock.advance({ seconds: 30 });
    const second = await outbox.claim(10, "w1");
    expect(second.map((c) => c.messageId)).toEqual([original]);
    await outbox.complete(second.map((message) => ({ message, result: delivered("<r/>") })));
    expect((await outbox.claim(10, "w1")).map((c) => c.messageId)).toEqual([await forwardOf(replacement.id)]);
  });

  it("serves a provider sending for many sellers: answers go back to the provider, pull works per seller", async () => {
    const PROVIDER = "0109999999";
    const provider = new Recorder(PROVIDER);
    transport.register(PROVIDER, provider);
    const forSeller = (taxCode: string) => {
      const m = sellerMessage(PROVIDER, 200);
      return { id: m.id, xml: m.xml.replace(`<MST>${PROVIDER}</MST>`, `<MST>${taxCode}</MST>`) };
    };
    const ma = forSeller(SELLER_A);
    const mb = forSeller(SELLER_B);
    expect((await tvan.receive(ma.xml)).status).toBe("accepted");
    expect((await tvan.receive(mb.xml)).status).toBe("accepted");
    await drain();
    for (const arrival of authority.processed) await transport.send(TVAN, codedReply(arrival));
    await drain();
    expect(provider.processed.map((p) => [p.taxCode, p.replyTo])).toEqual([
      [SELLER_A, ma.id],
      [SELLER_B, mb.id],
    ]);
    expect(sellerA.processed).toHaveLength(0);
    expect((await tvan.pendingFor(SELLER_B)).map((r) => r.replyTo)).toEqual([mb.id]);
  });

  it("sends the day's count to the authority as a 901 once, and keeps the authority's 901 without passing it on", async () => {
    await tvan.receive(sellerMessage(SELLER_A, 200).xml);
    await drain();
    const sent = await tvan.sendReconciliation(DAY);
    const again = await tvan.sendReconciliation(DAY);
    if (!sent.ok || !again.ok) throw new Error("not sent");
    expect(again.value).toEqual(sent.value);
    await drain();
    const arrived = authority.processed.filter((a) => a.type === 901);
    expect(arrived.map((a) => a.id)).toEqual([sent.value.messageId]);
    const m = readMessage(arrived[0]!.xml);
    if (!m.ok) throw new Error(m.problems[0]!.message);
    const report = readReconciliationReport(m.value.payloads[0]!);
    expect(report.ok && report.value.entries.map((e) => [e.type, e.direction, e.count])).toEqual([
      [200, 1, 1],
    ]);

    const theirs = writeMessage(
      {
        version: "2.1.0",
        sender: "TCT",
        receiver: TVAN,
        type: 901,
        messageId: newMessageId("TCT", randomHex),
      },
      writeReconciliationReport({ version: "2.1.0", date: DAY, entries: [] }),
    );
    const out = await tvan.receiveFromAuthority(theirs);
    expect(out.status).toBe("accepted");
    expect((await tvan.stored(out.messageId!))?.destination).toBe(TVAN);
    await drain();
    expect(sellerA.processed).toHaveLength(0);
    const counts = await tvan.countsFor(DAY);
    expect(counts.ok && counts.value.entries.map((e) => e.type)).toEqual([200]);
  });

  it("refuses a message that claims to come from the authority on the sellers' side, and a seller's on the authority's", async () => {
    const fake = codedReply({ id: newMessageId(TVAN, randomHex), type: 200, taxCode: SELLER_A, xml: "" });
    expect((await tvan.sellerEndpoint.handle(fake)).ok).toBe(true);
    expect((await tvan.stored(inspectMessage(fake).header.messageId!))?.status).toBe("rejected");
    const m = sellerMessage(SELLER_A, 200);
    const out = await tvan.receiveFromAuthority(m.xml);
    expect(out.problems.map((p) => p.code)).toEqual(["TVAN_NOT_FROM_AUTHORITY"]);
  });

  it("answers over HTTP as it does in process", async () => {
    const server = createServer(messageListener({ "/tvan": tvan.endpoint }));
    const port = await new Promise<number>((resolve) =>
      server.listen(0, "127.0.0.1", () => resolve((server.address() as AddressInfo).port)),
    );
    try {
      const http = new HttpTransport({ routes: new Map([[TVAN, `http://127.0.0.1:${port}/tvan`]]), clock });
      const m = sellerMessage(SELLER_A, 200);
      const r = await http.send(TVAN, m.xml);
      if (!r.ok) throw new Error(r.kind);
      expect(receiptOf(r.reply).receipt).toMatchObject({ messageId: m.id, status: 0 });
      expect((await tvan.stored(m.id))?.xml).toBe(m.xml);
    } finally {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });

  it("stores and forwards each of many concurrent messages once, repeats included, with the first 999", async () => {
    const msgs = Array.from({ length: 120 }, (_, i) => sellerMessage(i % 2 === 0 ? SELLER_A : SELLER_B, 200));
    const all = [...msgs, ...msgs, ...msgs.slice(0, 30)];
    const outcomes = await Promise.all(all.map((m) => tvan.receive(m.xml)));
    const receipts = new Map<string, string>();
    for (const o of outcomes) {
      const known = receipts.get(o.messageId!);
      if (known === undefined) receipts.set(o.messageId!, o.receipt);
      else expect(o.receipt).toBe(known);
    }
    expect(outcomes.filter((o) => o.status === "accepted")).toHaveLength(120);
    expect(outcomes.filter((o) => o.status === "duplicate")).toHaveLength(150);
    expect(await outbox.counts()).toEqual({ pending: 120, in_flight: 0, sent: 0, dead: 0 });
    await drain(200); // one message per seller and round: 60 rounds
    expect(authority.processed).toHaveLength(120);
    const forwarded = await Promise.all(msgs.map(async (m) => (await tvan.stored(m.id))!.forwardId));
    expect([...authority.idsOf(SELLER_A), ...authority.idsOf(SELLER_B)].sort()).toEqual(forwarded.sort());
  });

  it("keeps answers for a seller that only polls, without pushing them", async () => {
    const polling = new TvanService({
      db,
      clock,
      transport,
      outbox,
      config: { party: TVAN, pushTo: (party) => party !== SELLER_A },
      checkSignature: fakeSignature,
    });
    transport.register(TVAN, polling.endpoint);
    const m = sellerMessage(SELLER_A, 200);
    await polling.receive(m.xml);
    await drain();
    await transport.send(TVAN, codedReply(authority.processed[0]!));
    await drain();
    expect(sellerA.processed).toHaveLength(0);
    expect((await polling.pendingFor(SELLER_A)).map((r) => r.replyTo)).toEqual([m.id]);
    expect(await outbox.counts()).toMatchObject({ pending: 0, sent: 1 });
  });

  it("reconciles the day's count with the authority's and lists the differences", async () => {
    const msgs = [sellerMessage(SELLER_A, 100), sellerMessage(SELLER_A, 200), sellerMessage(SELLER_B, 200)];
    for (const m of msgs) await tvan.receive(m.xml);
    await drain();
    for (const arrival of authority.processed.filter((a) => a.type === 200)) {
      await transport.send(TVAN, codedReply(arrival));
    }
    await drain();
    // The authority's own count, from what it processed and answered.
    const byType = (type: number) =>
      authority.processed
        .filter((a) => a.type === type)
        .map((a) => a.id)
        .sort();
    const replies = (await tvan.pendingFor(SELLER_A))
      .concat(await tvan.pendingFor(SELLER_B))
      .map((r) => r.authorityMessageId)
      .sort();
    const theirs: ReconciliationReport = {
      version: "2.1.0",
      date: DAY,
      entries: [
        { type: 202, direction: 2, count: 2, messageIds: replies },
        { type: 100, direction: 1, count: 1, messageIds: byType(100) },
        { type: 200, direction: 1, count: 2, messageIds: byType(200) },
      ],
    };
    const ours = await tvan.countsFor(DAY);
    if (!ours.ok) throw new Error("bad date");
    expect(ours.value.entries.map((e) => [e.type, e.direction, e.count])).toEqual([
      [100, 1, 1],
      [200, 1, 2],
      [202, 2, 2],
    ]);
    expect(await tvan.reconcile(DAY, theirs)).toEqual({ ok: true, value: [] });

    const missing = byType(200)[0]!;
    const short: ReconciliationReport = {
      ...theirs,
      entries: [
        theirs.entries[0]!,
        theirs.entries[1]!,
        { type: 200, direction: 1, count: 1, messageIds: byType(200).slice(1) },
      ],
    };
    expect(await tvan.reconcile(DAY, short)).toEqual({
      ok: true,
      value: [{ type: 200, direction: 1, ours: 2, theirs: 1, onlyOurs: [missing], onlyTheirs: [] }],
    });
    const other = await tvan.reconcile("2026-03-09", theirs);
    expect(other.ok ? [] : other.problems.map((p) => p.code)).toEqual(["TVAN_RECONCILIATION_WRONG_DATE"]);
    const nextDay = await tvan.countsFor("2026-03-09");
    expect(nextDay.ok && nextDay.value.entries).toEqual([]);
  });
});

describe("compareReports", () => {
  it("counts an entry only one side has as a difference, and agrees with itself", () => {
    const id = newMessageId(TVAN, randomHex);
    const a: ReconciliationReport = {
      version: "2.1.0",
      date: DAY,
      entries: [{ type: 200, direction: 1, count: 1, messageIds: [id] }],
    };
    const b: ReconciliationReport = { version: "2.1.0", date: DAY, entries: [] };
    expect(compareReports(a, a)).toEqual([]);
    expect(compareReports(a, b)).toEqual([
      { type: 200, direction: 1, ours: 1, theirs: 0, onlyOurs: [id], onlyTheirs: [] },
    ]);
    expect(compareReports(b, { ...a, entries: [{ type: 200, direction: 1, count: 3 }] })).toEqual([
      { type: 200, direction: 1, ours: 0, theirs: 3, onlyOurs: [], onlyTheirs: [] },
    ]);
  });
});
