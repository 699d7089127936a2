/** Messages and an idempotent receiver for the transmission tests. */
import { randomBytes } from "node:crypto";
import { newMessageId, writeMessage } from "../../src/format/envelope.ts";
import { writeTechnicalReceipt } from "../../src/format/forms/receipt.ts";
import {
  type CheckResult,
  delivered,
  type PartyEndpoint,
  type TransportResult,
} from "../../src/transport/transport.ts";

export const TVAN = "V0100000001";
const randomHex = () => randomBytes(16).toString("hex");

export const messageId = (sender = TVAN): string => newMessageId(sender, randomHex);

/** A small 200 message (the invoice inside is a stand-in; the outbox never reads it). */
export function tdiep(id: string, taxCode = "0100109106"): string {
  return writeMessage(
    { version: "2.1.0", sender: TVAN, receiver: "TCT", type: 200, messageId: id, taxCode, count: 1 },
    `<HDon><DLHDon Id="d"><TTChung><PBan>2.1.0</PBan></TTChung></DLHDon></HDon>`,
  );
}

const MTDIEP = /<MTDiep>([^<]+)<\/MTDiep>/;
const MST = /<MST>([^<]+)<\/MST>/;

/**
 * A receiver that acts on a message id once: a repeat gets the first 999 again and changes nothing.
 * `deliveries` counts every arrival, `processed` the ids acted on, in arrival order per tax code.
 */
export class IdempotentReceiver implements PartyEndpoint {
  readonly deliveries = new Map<string, number>();
  readonly replies = new Map<string, string>();
  readonly processed: string[] = [];
  readonly byTaxCode = new Map<string, string[]>();
  /** Set to answer every message with this instead (outage simulation). */
  failWith: TransportResult | undefined;
  checkResult: CheckResult = { ok: true };

  async handle(xml: string): Promise<TransportResult> {
    if (this.failWith) return this.failWith;
    const id = MTDIEP.exec(xml)?.[1];
    if (!id) throw new Error("no MTDiep");
    this.deliveries.set(id, (this.deliveries.get(id) ?? 0) + 1);
    const first = this.replies.get(id);
    if (first !== undefined) return delivered(first);
    this.processed.push(id);
    const mst = MST.exec(xml)?.[1] ?? "";
    const list = this.byTaxCode.get(mst);
    if (list) list.push(id);
    else this.byTaxCode.set(mst, [id]);
    const reply = writeMessage(
      {
        version: "2.1.0",
        sender: "TCT",
        receiver: TVAN,
        type: 999,
        messageId: messageId("TCT"),
        replyTo: id,
      },
      writeTechnicalReceipt({ messageId: id, sender: TVAN, receivedAt: "2026-03-08T10:00:00", status: 0 }),
    );
    this.replies.set(id, reply);
    return delivered(reply);
  }

  async check(): Promise<CheckResult> {
    return this.checkResult;
  }
}
