/**
 * A background loop that drains the e-mail queue and the webhook deliveries: one round drains both (each
 * until nothing is due), then the loop waits `idleMs` of real time when the round found nothing. Run one per
 * process; several processes may run at once (claims never overlap). `round()` is what tests drive.
 */
import type { EmailSender } from "./email.ts";
import type { DrainReport, EmailQueue } from "./email-queue.ts";
import type { WebhookDrainReport, Webhooks } from "./webhooks.ts";

export interface NotifyWorkerOptions {
  readonly email?: { readonly queue: EmailQueue; readonly sender: EmailSender };
  readonly webhooks?: Webhooks;
  /** Shown in the delivery logs. */
  readonly workerId?: string;
  /** Real-time wait after a round that found nothing. Default 1 s. */
  readonly idleMs?: number;
  /** Errors of a round (database or sender down); the loop goes on. Default: a process warning. */
  readonly onError?: (error: unknown) => void;
}

export interface RoundReport {
  readonly email?: DrainReport;
  readonly webhooks?: WebhookDrainReport;
}

export class NotifyWorker {
  readonly #o: NotifyWorkerOptions;
  #running: Promise<void> | undefined;
  #stopping = false;
  #wake: (() => void) | undefined;

  constructor(options: NotifyWorkerOptions) {
    this.#o = options;
  }

  /** Drains both once. */
  async round(): Promise<RoundReport> {
    const { email, webhooks, workerId } = this.#o;
    const opts = workerId === undefined ? {} : { workerId };
    const [e, w] = await Promise.all([email?.queue.drain(email.sender, opts), webhooks?.drain(opts)]);
    return { ...(e ? { email: e } : {}), ...(w ? { webhooks: w } : {}) };
  }

  start(): void {
    if (this.#running) return;
    this.#stopping = false;
    this.#running = this.#loop();
  }

  /** Ends the loop after the current round. */
  async stop(): Promise<void> {
    this.#stopping = true;
    this.#wake?.();
    await this.#running;
    this.#running = undefined;
  }

  async #loop(): Promise<void> {
    const onError =
      this.#o.onError ?? ((e: unknown) => process.emitWarning(`hddt notify worker: ${(e as Error).message}`));
    while (!this.#stopping) {
      let idle = true;
      try {
        const r = await this.round();
        idle = (r.email?.claimed ?? 0) + (r.webhooks?.claimed ?? 0) === 0;
      } catch (error) {
        onError(error);
      }
      if (idle && !this.#stopping) await this.#sleep(this.#o.idleMs ?? 1000);
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
