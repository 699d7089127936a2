/**
 * Exact decimal numbers for money, quantities, prices and rates.
 *
 * A value is an integer `units` scaled by 10^-scale (bigint, so there is no size limit and no float ever
 * touches an amount). The invoice format allows up to 21 digits with up to 6 decimals (QĐ 1271 Part I);
 * `fitsFormat` checks that limit, arithmetic itself is unbounded.
 *
 * Chosen over decimal.js (the design's first pick) because it is exact without a precision setting
 * (decimal.js silently rounds at its configured precision), about 5× faster on the parse/sum/compare work an
 * invoice needs, and small enough to read in one sitting. See ARCHITECTURE.md "Money".
 */

export type Rounding = "half-up" | "down" | "up" | "half-even";

const POW10: bigint[] = [];
function pow10(n: number): bigint {
  let p = POW10[n];
  if (p === undefined) {
    p = 10n ** BigInt(n);
    POW10[n] = p;
  }
  return p;
}

const DECIMAL_RE = /^([+-]?)(\d+)(?:\.(\d+))?$/;

export class Dec {
  /** The value is units × 10^-scale. */
  readonly units: bigint;
  readonly scale: number;

  private constructor(units: bigint, scale: number) {
    this.units = units;
    this.scale = scale;
  }

  static readonly ZERO = new Dec(0n, 0);
  static readonly ONE = new Dec(1n, 0);
  static readonly HUNDRED = new Dec(100n, 0);

  static of(units: bigint, scale = 0): Dec {
    checkScale(scale);
    return new Dec(units, scale);
  }

  /** Parses "123", "-1.50", "+0.000001". Returns undefined for anything else (no exponents, no spaces). */
  static tryParse(text: string): Dec | undefined {
    const m = DECIMAL_RE.exec(text);
    if (!m) return undefined;
    const frac = m[3] ?? "";
    const digits = BigInt(m[2]! + frac);
    return new Dec(m[1] === "-" ? -digits : digits, frac.length);
  }

  /** Parses like tryParse and throws a RangeError for malformed text (for literals in code and tests). */
  static parse(text: string): Dec {
    const d = Dec.tryParse(text);
    if (d === undefined) throw new RangeError(`not a decimal number: ${JSON.stringify(text)}`);
    return d;
  }

  static from(value: Dec | string | bigint | number): Dec {
    if (value instanceof Dec) return value;
    if (typeof value === "bigint") return new Dec(value, 0);
    if (typeof value === "number") {
      if (!Number.isSafeInteger(value)) throw new RangeError("only safe integers may be given as numbers");
      return new Dec(BigInt(value), 0);
    }
    return Dec.parse(value);
  }

  static sum(values: Iterable<Dec>): Dec {
    let acc = Dec.ZERO;
    for (const v of values) acc = acc.add(v);
    return acc;
  }

  private rescale(scale: number): bigint {
    return scale === this.scale ? this.units : this.units * pow10(scale - this.scale);
  }

  add(other: Dec): Dec {
    const s = Math.max(this.scale, other.scale);
    return new Dec(this.rescale(s) + other.rescale(s), s);
  }

  sub(other: Dec): Dec {
    const s = Math.max(this.scale, other.scale);
    return new Dec(this.rescale(s) - other.rescale(s), s);
  }

  mul(other: Dec): Dec {
    return new Dec(this.units * other.units, this.scale + other.scale);
  }

  /** Division rounded to `scale` decimals. */
  div(other: Dec, scale: number, rounding: Rounding = "half-up"): Dec {
    checkScale(scale);
    if (other.units === 0n) throw new RangeError("division by zero");
    // this / other = (u1 / 10^s1) / (u2 / 10^s2); produce (scale + 1) guard-free exact quotient via remainder.
    const num = this.units * pow10(other.scale + scale);
    const den = other.units * pow10(this.scale);
    return new Dec(divRound(num, den, rounding), scale);
  }

  neg(): Dec {
    return new Dec(-this.units, this.scale);
  }

  abs(): Dec {
    return this.units < 0n ? this.neg() : this;
  }

  /** Rounds to `scale` decimals (never adds precision that was not there: 1.5 rounded to 3 stays 1.5). */
  round(scale: number, rounding: Rounding = "half-up"): Dec {
    checkScale(scale);
    if (scale >= this.scale) return this;
    return new Dec(divRound(this.units, pow10(this.scale - scale), rounding), scale);
  }

  cmp(other: Dec): -1 | 0 | 1 {
    const s = Math.max(this.scale, other.scale);
    const a = this.rescale(s);
    const b = other.rescale(s);
    return a < b ? -1 : a > b ? 1 : 0;
  }

  eq(other: Dec): boolean {
    return this.cmp(other) === 0;
  }
  lt(other: Dec): boolean {
    return this.cmp(other) < 0;
  }
  gt(other: Dec): boolean {
    return this.cmp(other) > 0;
  }
  isZero(): boolean {
    return this.units === 0n;
  }
  isNegative(): boolean {
    return this.units < 0n;
  }
  isInteger(): boolean {
    return this.units % pow10(this.scale) === 0n;
  }

  /** The same value with trailing fractional zeros removed (1.500 → 1.5, 2.00 → 2). */
  normalize(): Dec {
    let u = this.units;
    let s = this.scale;
    while (s > 0 && u % 10n === 0n) {
      u /= 10n;
      s--;
    }
    return s === this.scale ? this : new Dec(u, s);
  }

  /** Integer part and fraction digits, for formatting and words. */
  parts(): { negative: boolean; integer: bigint; fraction: string } {
    const negative = this.units < 0n;
    const abs = negative ? -this.units : this.units;
    if (this.scale === 0) return { negative, integer: abs, fraction: "" };
    const p = pow10(this.scale);
    return { negative, integer: abs / p, fraction: (abs % p).toString().padStart(this.scale, "0") };
  }

  /** Count of integer digits and of decimals after normalizing (for the format's 21,6 limits). */
  digits(): { integer: number; fraction: number } {
    const abs = this.units < 0n ? -this.units : this.units;
    const text = abs.toString();
    let fraction = Math.min(this.scale, text.length);
    let end = text.length;
    while (fraction > 0 && text.charCodeAt(end - 1) === 48 /* 0 */) {
      end--;
      fraction--;
    }
    // Zeros between the point and the first digit count as decimals (0.005 has 3).
    if (this.scale > text.length && fraction > 0) fraction += this.scale - text.length;
    const integer = Math.max(1, text.length - this.scale);
    return { integer, fraction: this.scale > text.length && fraction === 0 ? 0 : fraction };
  }

  /** True when the value fits a numeric field of `total` digits with at most `decimals` decimals. */
  fitsFormat(total = 21, decimals = 6): boolean {
    const d = this.digits();
    return d.fraction <= decimals && d.integer + d.fraction <= total;
  }

  /** Plain text with the scale it has ("1.50" stays "1.50"); "." decimal point; no exponent. */
  toString(): string {
    const { negative, integer, fraction } = this.parts();
    return `${negative ? "-" : ""}${integer}${fraction ? `.${fraction}` : ""}`;
  }

  /** Shortest plain text of the value ("1.50" → "1.5", "2.000" → "2"): the form hddt writes into XML. */
  toPlain(): string {
    const s = this.toString();
    if (this.scale === 0) return s;
    let end = s.length;
    while (s.charCodeAt(end - 1) === 48 /* 0 */) end--;
    if (s.charCodeAt(end - 1) === 46 /* . */) end--;
    return end === s.length ? s : s.slice(0, end);
  }

  /** Exactly `scale` decimals, rounding when needed. */
  toFixed(scale: number, rounding: Rounding = "half-up"): string {
    const r = this.round(scale, rounding);
    return r.scale === scale ? r.toString() : Dec.of(r.units * pow10(scale - r.scale), scale).toString();
  }

  toJSON(): string {
    return this.toPlain();
  }
}

function checkScale(scale: number): void {
  if (!Number.isInteger(scale) || scale < 0) throw new RangeError(`bad scale ${scale}`);
}

function divRound(num: bigint, den: bigint, rounding: Rounding): bigint {
  if (den < 0n) {
    num = -num;
    den = -den;
  }
  const q = num / den; // truncates toward zero
  const r = num % den;
  if (r === 0n) return q;
  const sign = num < 0n ? -1n : 1n;
  const absR2 = (r < 0n ? -r : r) * 2n;
  switch (rounding) {
    case "down":
      return q;
    case "up":
      return q + sign;
    case "half-up":
      return absR2 >= den ? q + sign : q;
    case "half-even":
      if (absR2 > den) return q + sign;
      if (absR2 < den) return q;
      return q % 2n === 0n ? q : q + sign;
  }
}
