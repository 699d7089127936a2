/**
 * Group commit: concurrent callers' writes are gathered into one statement. The first caller runs at once;
 * whoever arrives while a batch is being written waits for it and goes in the next batch, together with
 * everyone else who arrived meanwhile (at most `max`). One batch runs at a time, so under load a round
 * trip and a WAL flush serve many callers, and alone a caller waits for nobody.
 *
 * `write` answers each item of a batch in order, with a value or the error of that item alone.
 */
export type Settled<R> =
  | { readonly ok: true; readonly value: R }
  | { readonly ok: false; readonly error: unknown };

export class GroupCommit<T, R> {
  readonly #write: (items: readonly T[]) => Promise<readonly Settled<R>[]>;
  readonly #max: number;
  #queue: Array<{ item: T; resolve: (r: R) => void; reject: (e: unknown) => void }> = [];
  #running = false;

  constructor(write: (items: readonly T[]) => Promise<readonly Settled<R>[]>, max = 32) {
    this.#write = write;
    this.#max = max;
  }

  submit(item: T): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.#queue.push({ item, resolve, reject });
      if (!this.#running) void this.#drain();
    });
  }

  async #drain(): Promise<void> {
    this.#running = true;
    try {
      while (this.#queue.length > 0) {
        const batch = this.#queue.splice(0, this.#max);
        let out: readonly Settled<R>[];
        try {
          out = await this.#write(batch.map((b) => b.item));
        } catch (error) {
          out = batch.map(() => ({ ok: false, error }));
        }
        batch.forEach((b, i) => {
          const r = out[i];
          if (r?.ok) b.resolve(r.value);
          else b.reject(r ? r.error : new Error("group commit: no answer for an item"));
        });
      }
    } finally {
      this.#running = false;
    }
  }
}
