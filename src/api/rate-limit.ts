/**
 * Rate limiting per key (a client address, an API key). `RateLimiter` is the port; `TokenBucketLimiter`
 * keeps buckets in this process's memory, which is right for one process only: behind a load balancer each
 * process would allow its own share, so a shared store (PostgreSQL, Redis) belongs behind the same port.
 */

/** What a limiter decides for one request. */
export type RateDecision =
  | { readonly allowed: true }
  | { readonly allowed: false; readonly retryAfterMs: number };

export interface RateLimiter {
  /** Takes one token for `key` at `nowMs`, or says how long until one is available. */
  take(key: string, nowMs: number): RateDecision | Promise<RateDecision>;
}

export interface TokenBucketOptions {
  /** Requests allowed in a burst (the bucket's size). */
  readonly capacity: number;
  /** Tokens added per second. */
  readonly refillPerSecond: number;
  /** Buckets kept at most; the least recently used are dropped (a dropped key starts full). Default 100,000. */
  readonly maxKeys?: number;
}

interface Bucket {
  tokens: number;
  atMs: number;
}

const ALLOWED: RateDecision = { allowed: true };

/** A token bucket per key, in memory. */
export class TokenBucketLimiter implements RateLimiter {
  readonly #capacity: number;
  readonly #refillPerMs: number;
  readonly #maxKeys: number;
  readonly #buckets = new Map<string, Bucket>();

  constructor(options: TokenBucketOptions) {
    if (!(options.capacity >= 1) || !(options.refillPerSecond > 0))
      throw new RangeError("a token bucket needs capacity ≥ 1 and a positive refill rate");
    this.#capacity = options.capacity;
    this.#refillPerMs = options.refillPerSecond / 1000;
    this.#maxKeys = options.maxKeys ?? 100_000;
  }

  take(key: string, nowMs: number): RateDecision {
    let b = this.#buckets.get(key);
    if (b) {
      // Move to the end: Map keeps insertion order, so the first key is the least recently used.
      this.#buckets.delete(key);
      const elapsed = Math.max(0, nowMs - b.atMs);
      b.tokens = Math.min(this.#capacity, b.tokens + elapsed * this.#refillPerMs);
      b.atMs = nowMs;
    } else {
      b = { tokens: this.#capacity, atMs: nowMs };
      if (this.#buckets.size >= this.#maxKeys) {
        const oldest = this.#buckets.keys().next();
        if (!oldest.done) this.#buckets.delete(oldest.value);
      }
    }
    this.#buckets.set(key, b);
    // The epsilon absorbs rounding in the refill, so a request at exactly the promised time passes.
    if (b.tokens >= 1 - 1e-9) {
      b.tokens = Math.max(0, b.tokens - 1);
      return ALLOWED;
    }
    return { allowed: false, retryAfterMs: Math.ceil((1 - b.tokens) / this.#refillPerMs) };
  }

  /** Number of keys held (for tests and metrics). */
  get size(): number {
    return this.#buckets.size;
  }
}
