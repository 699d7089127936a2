/**
 * Shares PGlite's single PostgreSQL session between many wire-protocol connections, correctly.
 *
 * PGlite is one backend, one session. pglite-socket 0.2.17 lets several connections in and queues their
 * messages, but it hands the session to another connection between any two messages unless a transaction
 * block is open. The extended protocol's implicit state (the unnamed statement and portal between Parse,
 * Bind, Execute and Sync) is not a transaction block, so when a query's bytes arrive in more than one TCP
 * chunk (a large parameter), another connection's Parse can run between this one's Parse and Bind and the
 * Bind then runs the other statement: wrong results, not just errors (the "large parameters" test in
 * test/store/database.test.ts; the rules themselves are unit-tested in session-queue.test.ts).
 *
 * This queue replaces pglite-socket's: a connection that sends a message owns the session until PGlite
 * answers with ReadyForQuery in the idle state ('I'), i.e. after a Sync or simple Query that left no
 * transaction open. Until then only the owner's messages run; the others wait in arrival order. So
 * transactions from different connections never interleave: they run one after another, and row locks,
 * SKIP LOCKED and serializable conflicts never meet (see `openDatabase`'s notes).
 *
 * Session state that outlives a transaction is still shared by all connections: SET (without LOCAL),
 * session advisory locks, temporary tables, named prepared statements, LISTEN. Do not use them; use
 * `SET LOCAL` and transaction advisory locks (`advisoryXactLock`).
 *
 * If the owner holds the session inside a transaction and sends nothing for `ownerIdleTimeoutMs` while
 * others wait, `onOwnerStalled` is called so the server can drop that connection (its transaction is rolled
 * back), like PostgreSQL's idle_in_transaction_session_timeout. This turns an application deadlock (a query
 * through the pool while the same code holds a transaction) into an error instead of a hang.
 */

/** What the queue needs from PGlite: run raw protocol bytes, streaming the raw answer. */
export interface WireBackend {
  exec(message: Uint8Array, onData: (data: Uint8Array) => void): Promise<void>;
}

export interface SessionQueueOptions {
  readonly ownerIdleTimeoutMs: number;
  readonly onOwnerStalled: (handlerId: number) => void;
}

interface Job {
  readonly handlerId: number;
  readonly message: Uint8Array;
  readonly onData: (data: Uint8Array) => void;
  readonly resolve: (bytes: number) => void;
  readonly reject: (error: unknown) => void;
}

interface Reset {
  readonly handlerId: number;
  readonly done: () => void;
}

const READY_FOR_QUERY = 0x5a; // 'Z'
const IDLE = 0x49; // 'I'
const SYNC = Uint8Array.of(0x53, 0, 0, 0, 4);

function simpleQuery(text: string): Uint8Array {
  const body = Buffer.from(`${text}\0`, "utf8");
  const out = Buffer.alloc(5 + body.length);
  out[0] = 0x51; // 'Q'
  out.writeInt32BE(4 + body.length, 1);
  body.copy(out, 5);
  return out;
}

const ROLLBACK = simpleQuery("ROLLBACK");

/**
 * Follows backend messages across chunks (type byte, int32 length, body) and remembers whether the last
 * complete message was ReadyForQuery with status idle.
 */
export class ReadyWatcher {
  #header = new Uint8Array(5);
  #headerFill = 0;
  #bodyLeft = 0;
  #lastType = 0;
  #status = 0;

  push(data: Uint8Array): void {
    let i = 0;
    while (i < data.length) {
      if (this.#bodyLeft > 0) {
        if (this.#lastType === READY_FOR_QUERY) this.#status = data[i]!;
        const n = Math.min(this.#bodyLeft, data.length - i);
        this.#bodyLeft -= n;
        i += n;
        continue;
      }
      this.#header[this.#headerFill++] = data[i++]!;
      if (this.#headerFill === 5) {
        const h = this.#header;
        this.#lastType = h[0]!;
        this.#bodyLeft = ((h[1]! << 24) | (h[2]! << 16) | (h[3]! << 8) | h[4]!) - 4;
        this.#headerFill = 0;
        this.#status = 0;
      }
    }
  }

  /** True when the output so far ends with a complete ReadyForQuery('I'). */
  get idle(): boolean {
    return (
      this.#headerFill === 0 &&
      this.#bodyLeft === 0 &&
      this.#lastType === READY_FOR_QUERY &&
      this.#status === IDLE
    );
  }
}

export class SessionQueue {
  readonly #backend: WireBackend;
  readonly #options: SessionQueueOptions;
  #jobs: Job[] = [];
  #resets: Reset[] = [];
  #owner: number | null = null;
  #running: number | null = null;
  #draining = false;
  #stallTimer: NodeJS.Timeout | undefined;

  constructor(backend: WireBackend, options: SessionQueueOptions) {
    this.#backend = backend;
    this.#options = options;
  }

  /** The connection that currently owns the session, if any. */
  get owner(): number | null {
    return this.#owner;
  }

  getQueueLength(): number {
    return this.#jobs.length;
  }

  enqueue(handlerId: number, message: Uint8Array, onData: (data: Uint8Array) => void): Promise<number> {
    return new Promise<number>((resolve, reject) => {
      this.#jobs.push({ handlerId, message, onData, resolve, reject });
      if (handlerId === this.#owner) this.#clearStall();
      void this.#drain();
    });
  }

  /** Drops a closed connection's waiting messages. */
  clearQueueForHandler(handlerId: number): void {
    const kept: Job[] = [];
    for (const job of this.#jobs) {
      if (job.handlerId === handlerId) job.reject(new Error("connection closed"));
      else kept.push(job);
    }
    this.#jobs = kept;
  }

  /** After a connection closed: if it owned the session, ends its protocol cycle and rolls back. */
  clearTransactionIfNeeded(handlerId: number): Promise<void> {
    if (this.#owner !== handlerId && this.#running !== handlerId) return Promise.resolve();
    return new Promise<void>((done) => {
      this.#resets.push({ handlerId, done });
      void this.#drain();
    });
  }

  async #drain(): Promise<void> {
    if (this.#draining) return;
    this.#draining = true;
    try {
      for (;;) {
        const reset = this.#resets.shift();
        if (reset) {
          if (this.#owner === reset.handlerId) await this.#reset();
          reset.done();
          continue;
        }
        const index = this.#owner === null ? 0 : this.#jobs.findIndex((j) => j.handlerId === this.#owner);
        if (index < 0 || this.#jobs.length === 0) break;
        const job = this.#jobs.splice(index, 1)[0]!;
        await this.#run(job);
      }
    } finally {
      this.#draining = false;
    }
    this.#armStall();
  }

  async #run(job: Job): Promise<void> {
    const watcher = new ReadyWatcher();
    let bytes = 0;
    this.#running = job.handlerId;
    try {
      await this.#backend.exec(job.message, (data) => {
        bytes += data.length;
        watcher.push(data);
        job.onData(data);
      });
    } catch (error) {
      // PGlite itself failed (SQL errors are answers, not exceptions): let the connection go.
      this.#owner = null;
      job.reject(error);
      return;
    } finally {
      this.#running = null;
    }
    this.#owner = watcher.idle ? null : job.handlerId;
    if (this.#owner === null) this.#clearStall();
    job.resolve(bytes);
  }

  /** Brings the session back to idle: Sync ends an extended-protocol cycle, ROLLBACK a transaction. */
  async #reset(): Promise<void> {
    for (const message of [SYNC, ROLLBACK]) {
      const watcher = new ReadyWatcher();
      try {
        await this.#backend.exec(message, (data) => watcher.push(data));
      } catch {
        break;
      }
      if (watcher.idle) break;
    }
    this.#owner = null;
    this.#clearStall();
  }

  #armStall(): void {
    if (this.#owner === null || this.#jobs.length === 0 || this.#stallTimer) return;
    if (this.#options.ownerIdleTimeoutMs <= 0) return;
    const owner = this.#owner;
    this.#stallTimer = setTimeout(() => {
      this.#stallTimer = undefined;
      if (this.#owner === owner && !this.#jobs.some((j) => j.handlerId === owner)) {
        this.#options.onOwnerStalled(owner);
      }
    }, this.#options.ownerIdleTimeoutMs);
    this.#stallTimer.unref();
  }

  #clearStall(): void {
    if (this.#stallTimer) {
      clearTimeout(this.#stallTimer);
      this.#stallTimer = undefined;
    }
  }
}
