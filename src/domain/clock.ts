/**
 * The `Clock` port: every rule that depends on the current time asks a clock, never `Date.now()` directly,
 * so tests can set and move time (deadlines, working days, certificate validity, maintenance windows).
 *
 * `systemClock` is the one place that reads the machine's time. `ManualClock` is for tests and simulations.
 */

export interface Clock {
  /** The current instant. Each call returns a new Date, so callers may keep it. */
  now(): Date;
}

/** The machine's clock. */
export const systemClock: Clock = {
  now: () => new Date(),
};

/** A duration for `ManualClock.advance`; the parts add up. */
export interface Duration {
  readonly days?: number;
  readonly hours?: number;
  readonly minutes?: number;
  readonly seconds?: number;
  readonly ms?: number;
}

function toMs(t: Date | string | number): number {
  const ms = t instanceof Date ? t.getTime() : typeof t === "string" ? Date.parse(t) : t;
  if (!Number.isFinite(ms)) throw new RangeError(`not an instant: ${String(t)}`);
  return ms;
}

export function durationMs(d: Duration | number): number {
  if (typeof d === "number") return d;
  return (
    (d.days ?? 0) * 86_400_000 +
    (d.hours ?? 0) * 3_600_000 +
    (d.minutes ?? 0) * 60_000 +
    (d.seconds ?? 0) * 1000 +
    (d.ms ?? 0)
  );
}

/** A clock that stands still until told to move. Time may go backwards with `set` (to test skew). */
export class ManualClock implements Clock {
  #ms: number;

  /** Starts at `start` (a Date, an ISO string with its offset, or epoch milliseconds). */
  constructor(start: Date | string | number = "2026-01-05T02:00:00Z") {
    this.#ms = toMs(start);
  }

  now(): Date {
    return new Date(this.#ms);
  }

  /** Jumps to an instant. */
  set(instant: Date | string | number): void {
    this.#ms = toMs(instant);
  }

  /** Moves forward (or back, with a negative duration) and returns the new time. */
  advance(by: Duration | number): Date {
    const ms = durationMs(by);
    if (!Number.isFinite(ms)) throw new RangeError("duration is not finite");
    this.#ms += ms;
    return this.now();
  }
}
