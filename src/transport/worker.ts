/**
 * The drain loop of the outbox: claim a batch, send each message through the Transport (all of a batch at
 * once; the outbox never claims together two messages that must go in order), record the answers in one go.
 * Run as many workers, in as many processes, as the database bears.
 *
 * Before each batch (at most once per `checkEveryMs` of clock time) the worker looks for maintenance windows
 * that have ended and runs the connection check on their destination; a success resumes sending to it, a
 * failure keeps it held until the next check. During a window nothing is claimed for its destination. A
 * destination held as down (see outbox.ts) is probed the same way every `probeEveryMs`; when it answers,
 * its hold ends at once.
 *
 * Times come from the Clock; `tick()` does one round and is what tests drive with a ManualClock. `start()`
 * loops until `stop()`, waiting `idleMs` (real time) when there was nothing to do.
 */
import { randomUUID } from "node:crypto";
import type { Clock } from "../domain/clock.ts";
import type { ClaimedMessage, CompletionReport, Outbox } from "./outbox.ts";
import type { Transport, TransportResult } from "./transport.ts";

export interface WorkerOptions {
  readonly outbox: Outbox;
  readonly transport: Transport;
  readonly clock: Clock;
  /** Shown in the outbox's `claimed_by`. Default: a random id. */
  readonly workerId?: string;
  /** Messages per claim. Default 100. */
  readonly batchSize?: number;
  /** Real-time wait when nothing was due. Default 200 ms. */
  readonly idleMs?: number;
  /** Clock time between looks for ended maintenance windows. Default 1 s. */
  readonly checkEveryMs?: number;
  /** Clock time between connection checks of a destination held as down. Default 5 s. */
  readonly probeEveryMs?: number;
  /** Errors of a round (database down…); the loop goes on after `idleMs`. Default: a process warning. */
  readonly onError?: (error: unknown) => void;
  /** Called after each message's result, before it is recorded (tests, metrics). */
  readonly onResult?: (message: ClaimedMessage, result: TransportResult) => void;
}

export interface TickReport extends CompletionReport {
  readonly claimed: number;
  /** Maintenance windows resumed by a successful check in this round. */
  readonly resumed: number;
}

export class OutboxWorker {
  readonly workerId: string;
  readonly #o: Required<Omit<WorkerOptions, "onResult" | "workerId">> & Pick<WorkerOptions, "onResult">;
  #lastCheck = Number.NEGATIVE_INFINITY;
  /** When each destination held as down was last probed (clock ms). */
  readonly #lastProbe = new Map<string, number>();
  #running: Promise<void> | undefined;
  #stopping = false;
  #wake: (() => void) | undefined;

  constructor(options: WorkerOptions) {
    this.workerId = options.workerId ?? `worker-${randomUUID().slice(0, 8)}`;
    this.#o = {
      outbox: options.outbox,
      transport: options.transport,
      clock: options.clock,
      batchSize: options.batchSize ?? 100,
      idleMs: options.idleMs ?? 200,
      checkEveryMs: options.checkEveryMs ?? 1000,
      probeEveryMs: options.probeEveryMs ?? 5000,
      onError: options.onError ?? ((e) => process.emitWarning(`hddt outbox worker: ${(e as Error).message}`)),
      onResult: options.onResult,
    };
  }

  /**
   * Resumes destinations whose maintenance ended, if a connection check passes, and releases destinations
   * held as down whose check passes again (each probed at most once per `probeEveryMs`); returns how many
   * windows were resumed.
   */
  async checkWindows(): Promise<number> {
    const { outbox, transport, clock, probeEveryMs } = this.#o;
    const now = clock.now().getTime();
    this.#lastCheck = now;
    for (const destination of await outbox.heldDown()) {
      if (now - (this.#lastProbe.get(destination) ?? 0) < probeEveryMs) continue;
      this.#lastProbe.set(destination, now);
      if ((await transport.check(destination)).ok) await outbox.releaseDown(destination);
    }
    let resumed = 0;
    const due = await outbox.windowsDueForCheck();
    const checked = new Map<string, Awaited<ReturnType<Transport["check"]>>>();
    for (const w of due) {
      let r = checked.get(w.destination);
      if (!r) {
        r = await transport.check(w.destination);
        checked.set(w.destination, r);
      }
      await outbox.recordCheck(w.id, r.ok ? r : { ok: false, reason: `${r.kind}: ${describe(r)}` });
      if (r.ok) resumed++;
    }
    return resumed;
  }

  /** One round: window checks when due, then one batch claimed, sent and recorded. */
  async tick(): Promise<TickReport> {
    const { outbox, transport, clock, batchSize, checkEveryMs, onResult } = this.#o;
    const resumed = clock.now().getTime() - this.#lastCheck >= checkEveryMs ? await this.checkWindows() : 0;
    const claimed = await outbox.claim(batchSize, this.workerId);
    if (claimed.length === 0) return { claimed: 0, resumed, sent: 0, retried: 0, dead: 0, stale: 0 };
    const results = await Promise.all(
      claimed.map(async (message) => {
        const result = await transport.send(message.destination, message.xml);
        onResult?.(message, result);
        return { message, result };
      }),
    );
    // A destination that answered none of the batch gets a connection check: if that fails too, it is down
    // and the outbox holds it without counting the tries (see outbox.ts).
    const silent = new Set<string>();
    const answered = new Set<string>();
    for (const { message, result } of results) {
      if (result.ok || result.kind === "rejected" || (result.kind === "unavailable" && result.retryAfter))
        answered.add(message.destination);
      else silent.add(message.destination);
    }
    const unreachable = new Set<string>();
    for (const destination of silent) {
      if (answered.has(destination)) continue;
      if (!(await transport.check(destination)).ok) unreachable.add(destination);
    }
    const report = await outbox.complete(results, { unreachable });
    return { claimed: claimed.length, resumed, ...report };
  }

  /** Starts the loop (once); `stop()` ends it after the current round. */
  start(): void {
    if (this.#running) return;
    this.#stopping = false;
    this.#running = this.#loop();
  }

  async stop(): Promise<void> {
    this.#stopping = true;
    this.#wake?.();
    await this.#running;
    this.#running = undefined;
  }

  get running(): boolean {
    return this.#running !== undefined && !this.#stopping;
  }

  async #loop(): Promise<void> {
    while (!this.#stopping) {
      let idle = false;
      try {
        const r = await this.tick();
        idle = r.claimed === 0;
      } catch (error) {
        this.#o.onError(error);
        idle = true;
      }
      if (idle && !this.#stopping) await this.#sleep(this.#o.idleMs);
    }
  }

  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(done, ms);
      function done() {
        clearTimeout(t);
        resolve();
      }
      this.#wake = done;
    });
  }
}

function describe(r: { kind: string; reason?: string; status?: number }): string {
  return r.reason ?? `HTTP ${r.status ?? "?"}`;
}
