/**
 * An in-memory `AuthorityApi` for route tests. It reads messages with the real envelope reader and writes
 * receipts with the real writers, refuses messages not addressed to TCT (as the service does), and keeps
 * taxpayers, windows and invoices in memory.
 */

import { authorityCodes } from "../../src/authority/codes.ts";
import type { AuthorityApi, StoredReply } from "../../src/authority/http.ts";
import type { StopCause } from "../../src/authority/schema.ts";
import type {
  BuyerPage,
  CodedInvoiceDetail,
  InvoiceKey,
  MaintenanceWindow,
  PublicLookupInput,
  ReceiveResult,
  RegistrationRecord,
  ReviewNoticeInput,
  SentMessage,
  Taxpayer,
  TaxpayerInput,
} from "../../src/authority/service.ts";
import type { Clock } from "../../src/domain/clock.ts";
import { fail, makeProblem, ok, type Result } from "../../src/domain/problem.ts";
import { inspectMessage, writeMessage } from "../../src/format/envelope.ts";
import { writeTechnicalReceipt } from "../../src/format/forms/receipt.ts";

let counter = 0;
const nextId = () => `TCT${(++counter).toString(16).toUpperCase().padStart(32, "0")}`;

function receipt(
  type: 999 | -1,
  replyTo: string | undefined,
  reasons: { code: string; description: string }[],
) {
  return writeMessage(
    {
      version: "2.1.0",
      sender: "TCT",
      receiver: "V0309478306",
      type: type as 999,
      messageId: nextId(),
      ...(replyTo ? { replyTo } : {}),
      count: 1,
    },
    writeTechnicalReceipt({
      ...(replyTo ? { messageId: replyTo } : {}),
      receivedAt: "2026-03-02T10:00:00",
      status: reasons.length > 0 ? 1 : 0,
      ...(reasons.length > 0 ? { reasons } : {}),
    }),
  );
}

export class FakeAuthority implements AuthorityApi {
  readonly taxpayers = new Map<string, Taxpayer>();
  readonly windows: MaintenanceWindow[] = [];
  readonly invoices: CodedInvoiceDetail[] = [];
  readonly replies = new Map<string, StoredReply[]>();
  readonly inspections: { inspector: string; purpose?: string | undefined; key: InvoiceKey }[] = [];
  received = 0;

  constructor(private readonly clock: Clock) {}

  #active(at: Date): MaintenanceWindow | undefined {
    const t = at.getTime();
    return this.windows.find((w) => w.startsAt.getTime() <= t && t < w.endsAt.getTime());
  }

  async receive(bytes: Uint8Array): Promise<ReceiveResult> {
    const w = this.#active(this.clock.now());
    if (w) {
      const problem = makeProblem(authorityCodes, "AUTHORITY_UNAVAILABLE", "/", {
        until: w.endsAt.toISOString(),
      });
      return { status: "unavailable", until: w.endsAt, reason: w.reason, problem };
    }
    this.received++;
    const m = inspectMessage(bytes);
    const id = m.header.messageId;
    if (!id) {
      const xml = receipt(-1, undefined, [{ code: "1001", description: "Không đọc được thông điệp" }]);
      return { status: "ok", receipt: xml, replies: [], duplicate: false };
    }
    const known = this.replies.get(id);
    if (known?.[0])
      return { status: "ok", receipt: known[0].xml, replies: [], duplicate: true, messageId: id };
    const reasons =
      m.problems.length > 0
        ? [{ code: "1001", description: m.problems[0]?.messageVi ?? "" }]
        : m.header.receiver !== "TCT"
          ? [{ code: "1002", description: "Thông điệp không gửi tới cơ quan thuế" }]
          : [];
    const xml = receipt(999, id, reasons);
    this.replies.set(id, [{ messageId: "TCT", type: 999, createdAt: this.clock.now(), xml }]);
    return { status: "ok", receipt: xml, replies: [], duplicate: false, messageId: id };
  }

  async connectionCheck() {
    const now = this.clock.now();
    const w = this.#active(now);
    return w ? { available: false, now, until: w.endsAt } : { available: true, now };
  }

  async repliesTo(messageId: string): Promise<readonly StoredReply[] | undefined> {
    return this.replies.get(messageId);
  }

  async upsertTaxpayer(input: TaxpayerInput): Promise<Taxpayer> {
    const before = this.taxpayers.get(input.taxCode);
    const t: Taxpayer = {
      taxCode: input.taxCode,
      name: input.name,
      status: before?.status ?? "active",
      stopCause: before?.stopCause ?? null,
      stopNote: before?.stopNote ?? null,
      stoppedAt: before?.stoppedAt ?? null,
      resumedAt: before?.resumedAt ?? null,
      highRisk: input.highRisk ?? before?.highRisk ?? false,
      codedOnly: before?.codedOnly ?? false,
    };
    this.taxpayers.set(t.taxCode, t);
    return t;
  }

  async getTaxpayer(taxCode: string): Promise<Result<Taxpayer>> {
    const t = this.taxpayers.get(taxCode);
    return t
      ? ok(t)
      : fail([makeProblem(authorityCodes, "AUTHORITY_UNKNOWN_TAXPAYER", "taxCode", { taxCode })]);
  }

  async listTaxpayers(offset: number, limit: number): Promise<readonly Taxpayer[]> {
    return [...this.taxpayers.values()].slice(offset, offset + limit);
  }

  async listRegistrations(): Promise<readonly RegistrationRecord[]> {
    return [];
  }

  async stopTaxpayer(taxCode: string, cause: StopCause, note?: string): Promise<Result<Taxpayer>> {
    const t = await this.getTaxpayer(taxCode);
    if (!t.ok) return t;
    const stopped: Taxpayer = {
      ...t.value,
      status: "stopped",
      stopCause: cause,
      stopNote: note ?? null,
      stoppedAt: this.clock.now(),
    };
    this.taxpayers.set(taxCode, stopped);
    return ok(stopped);
  }

  async resumeTaxpayer(taxCode: string): Promise<Result<Taxpayer>> {
    const t = await this.getTaxpayer(taxCode);
    if (!t.ok) return t;
    const resumed: Taxpayer = {
      ...t.value,
      status: "active",
      stopCause: null,
      stopNote: null,
      resumedAt: this.clock.now(),
    };
    this.taxpayers.set(taxCode, resumed);
    return ok(resumed);
  }

  async scheduleMaintenance(
    startsAt: Date,
    endsAt: Date,
    reason: string,
  ): Promise<Result<MaintenanceWindow>> {
    const w: MaintenanceWindow = { id: String(this.windows.length + 1), startsAt, endsAt, reason };
    this.windows.push(w);
    return ok(w);
  }

  async listMaintenance(): Promise<readonly MaintenanceWindow[]> {
    return this.windows;
  }

  #find(q: InvoiceKey): CodedInvoiceDetail | undefined {
    return this.invoices.find(
      (i) =>
        i.sellerTaxCode === q.sellerTaxCode &&
        i.template === q.template &&
        i.series === q.series &&
        i.number === q.number,
    );
  }

  async publicLookup(q: PublicLookupInput): Promise<CodedInvoiceDetail | undefined> {
    const i = this.#find(q);
    return i && i.total === q.total ? i : undefined;
  }

  async inspectorLookup(inspector: string, key: InvoiceKey, purpose?: string) {
    this.inspections.push({ inspector, purpose, key });
    return this.#find(key);
  }

  async accessLog() {
    return this.inspections.map((i) => ({
      inspector: i.inspector,
      purpose: i.purpose ?? null,
      invoiceId: null,
      query: JSON.stringify(i.key),
      at: this.clock.now(),
    }));
  }

  async addExceptionContract(taxCode: string): Promise<Result<{ id: string }>> {
    const t = await this.getTaxpayer(taxCode);
    return t.ok ? ok({ id: "1" }) : t;
  }

  async requireCodedInvoices(taxCode: string): Promise<Result<SentMessage>> {
    const t = await this.getTaxpayer(taxCode);
    return t.ok ? ok({ type: 105, messageId: nextId(), xml: "<TDiep></TDiep>" }) : t;
  }

  async createReviewNotice(input: ReviewNoticeInput): Promise<Result<SentMessage & { deadline: string }>> {
    const t = await this.getTaxpayer(input.taxCode);
    return t.ok ? ok({ type: 302, messageId: nextId(), xml: "<TDiep></TDiep>", deadline: "2026-03-04" }) : t;
  }

  async buyerInvoices(
    buyerTaxCode: string,
    options: { after?: string; limit?: number } = {},
  ): Promise<BuyerPage> {
    const all = this.invoices.filter((i) => i.buyerTaxCode === buyerTaxCode);
    const from = options.after ? Number(options.after) : 0;
    const limit = options.limit ?? 100;
    const items = all.slice(from, from + limit);
    return from + limit < all.length ? { items, next: String(from + limit) } : { items };
  }
}
