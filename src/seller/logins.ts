/**
 * Sign-in of people with a password, beside the API keys of programs.
 *
 * - Passwords are stored as scrypt hashes (memory-hard: N = 2^15, r = 8, so 32 MiB and tens of
 *   milliseconds per try), in the self-describing form `scrypt$<log2 N>$<r>$<p>$<salt>$<hash>` (base64url),
 *   so the cost can be raised later and old hashes still verify. Comparison is constant-time.
 * - A password has at least 10 characters, is not one character repeated, and does not contain the
 *   user's e-mail name or the organisation's tax code.
 * - Sign-in answers the same refusal for an unknown address and a wrong password (nothing tells which
 *   addresses exist), and after 10 failures in a row the user is locked for 15 minutes.
 * - A successful sign-in makes an API key of the user's role that expires after 12 hours (`api_key.expires_at`),
 *   so everything after sign-in goes through the same key checks as programs.
 */
import { createHash, randomBytes, scrypt, timingSafeEqual } from "node:crypto";
import type { Clock } from "../domain/clock.ts";
import { defineCodes, fail, makeProblem, ok, type Problem, type Result } from "../domain/problem.ts";
import type { Database } from "../store/database.ts";
import type { KeyHolder, UserRole } from "./service.ts";

export const loginCodes = defineCodes({
  LOGIN_REFUSED: {
    vi: "Sai địa chỉ thư điện tử hoặc mật khẩu",
    en: "Wrong e-mail address or password",
  },
  LOGIN_LOCKED: {
    vi: "Tài khoản tạm khóa sau nhiều lần đăng nhập sai; thử lại sau {until}",
    en: "The account is locked after too many failed sign-ins; try again after {until}",
  },
  LOGIN_WEAK_PASSWORD: {
    vi: "Mật khẩu chưa đủ mạnh: {reasonVi}",
    en: "The password is too weak: {reason}",
  },
  LOGIN_USER_NOT_FOUND: {
    vi: "Không có người dùng số {id} trong tổ chức",
    en: "The organisation has no user {id}",
  },
});

const LOG2_N = 15;
const R = 8;
const P = 1;
const KEY_BYTES = 32;
/** scrypt needs 128 · N · r bytes; Node's default ceiling (32 MiB) is just below that. */
const MAXMEM = 64 * 1024 * 1024;
const MAX_FAILURES = 10;
const LOCK_MS = 15 * 60_000;
const SESSION_MS = 12 * 3_600_000;
const MIN_LENGTH = 10;

function derive(password: string, salt: Buffer, log2n: number, r: number, p: number): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    scrypt(password.normalize("NFC"), salt, KEY_BYTES, { N: 2 ** log2n, r, p, maxmem: MAXMEM }, (e, key) =>
      e ? reject(e) : resolve(key),
    ),
  );
}

export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await derive(password, salt, LOG2_N, R, P);
  return ["scrypt", LOG2_N, R, P, salt.toString("base64url"), key.toString("base64url")].join("$");
}

/** True when `password` gives `stored`; false for a malformed hash as for a wrong password. */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const parts = stored.split("$");
  if (parts.length !== 6 || parts[0] !== "scrypt") return false;
  const [log2n, r, p] = parts.slice(1, 4).map(Number) as [number, number, number];
  if (![log2n, r, p].every((x) => Number.isInteger(x) && x > 0) || log2n > 20) return false;
  const expected = Buffer.from(parts[5]!, "base64url");
  const key = await derive(password, Buffer.from(parts[4]!, "base64url"), log2n, r, p);
  return key.length === expected.length && timingSafeEqual(key, expected);
}

/** Why a password is refused (empty: it is taken). */
export function passwordProblems(password: string, context: { email: string; taxCode: string }): Problem[] {
  const reason = (vi: string, en: string): Problem[] => [
    makeProblem(loginCodes, "LOGIN_WEAK_PASSWORD", "/password", { reason: en, reasonVi: vi }),
  ];
  const chars = [...password.normalize("NFC")];
  if (chars.length < MIN_LENGTH)
    return reason(`cần ít nhất ${MIN_LENGTH} ký tự`, `at least ${MIN_LENGTH} characters are needed`);
  if (new Set(chars).size === 1) return reason("chỉ lặp một ký tự", "it repeats one character");
  const lower = password.toLowerCase();
  const name = context.email.split("@")[0]?.toLowerCase() ?? "";
  if ((name.length >= 4 && lower.includes(name)) || lower.includes(context.taxCode))
    return reason("chứa tên thư điện tử hoặc mã số thuế", "it contains the e-mail name or the tax code");
  return [];
}

export interface SignedIn {
  readonly holder: KeyHolder;
  /** The session's API key (shown once). */
  readonly key: string;
  readonly expiresAt: Date;
  readonly userId: string;
}

/** API keys are kept as SHA-256 digests (as the seller's service keeps them). */
const digestOf = (key: string) => createHash("sha256").update(key).digest("hex");

export class SellerLogins {
  readonly #db: Database;
  readonly #clock: Clock;

  constructor(db: Database, options: { clock?: Clock } = {}) {
    this.#db = db;
    this.#clock = options.clock ?? db.clock;
  }

  /** Sets a user's password (hashed); LOGIN_WEAK_PASSWORD, LOGIN_USER_NOT_FOUND. */
  async setPassword(taxCode: string, userId: string, password: string): Promise<Result<true>> {
    if (!/^\d{1,19}$/.test(userId)) return fail([this.#noUser(userId)]);
    const u = await this.#db.pool.query<{ email: string }>(
      "select email from seller.app_user where tax_code = $1 and id = $2::bigint",
      [taxCode, userId],
    );
    const user = u.rows[0];
    if (!user) return fail([this.#noUser(userId)]);
    const weak = passwordProblems(password, { email: user.email, taxCode });
    if (weak.length > 0) return fail(weak);
    const hash = await hashPassword(password);
    await this.#db.pool.query(
      `update seller.app_user set password_hash = $3, password_set_at = $4, failed_sign_ins = 0, locked_until = null
       where tax_code = $1 and id = $2::bigint`,
      [taxCode, userId, hash, this.#clock.now()],
    );
    return ok(true);
  }

  /**
   * Checks the password of `email` in the organisation; on success a session key of the user's role.
   * LOGIN_REFUSED (unknown address, no password set, wrong password), LOGIN_LOCKED.
   */
  async signIn(taxCode: string, email: string, password: string): Promise<Result<SignedIn>> {
    const now = this.#clock.now();
    const r = await this.#db.pool.query<{
      id: string;
      name: string;
      role: UserRole;
      password_hash: string | null;
      locked_until: Date | null;
    }>(
      `select id::text as id, name, role, password_hash, locked_until from seller.app_user
       where tax_code = $1 and email = $2`,
      [taxCode, email.trim().toLowerCase()],
    );
    const user = r.rows[0];
    if (user?.locked_until && user.locked_until > now)
      return fail([
        makeProblem(loginCodes, "LOGIN_LOCKED", "/email", { until: user.locked_until.toISOString() }),
      ]);
    // A hash is computed for unknown addresses too, so the time taken tells nothing.
    const good = await verifyPassword(password, user?.password_hash ?? (await dummyHash()));
    if (!user?.password_hash || !good) {
      if (user) await this.#failed(user.id, now);
      return fail([makeProblem(loginCodes, "LOGIN_REFUSED", "/password")]);
    }
    const key = `hddt_s_${randomBytes(24).toString("base64url")}`;
    const expiresAt = new Date(now.getTime() + SESSION_MS);
    const k = await this.#db.pool.query<{ id: string }>(
      `insert into seller.api_key (tax_code, user_id, name, role, digest, prefix, created_at, expires_at)
       values ($1, $2::bigint, $3, $4, $5, $6, $7, $8) returning id::text as id`,
      [taxCode, user.id, `sign-in ${email}`, user.role, digestOf(key), key.slice(0, 10), now, expiresAt],
    );
    await this.#db.pool.query(
      "update seller.app_user set failed_sign_ins = 0, locked_until = null where id = $1::bigint",
      [user.id],
    );
    return ok({
      holder: { taxCode, role: user.role, keyId: k.rows[0]!.id, name: user.name },
      key,
      expiresAt,
      userId: user.id,
    });
  }

  async #failed(userId: string, now: Date): Promise<void> {
    await this.#db.pool.query(
      `update seller.app_user set failed_sign_ins = failed_sign_ins + 1,
         locked_until = case when failed_sign_ins + 1 >= $2 then $3::timestamptz else locked_until end
       where id = $1::bigint`,
      [userId, MAX_FAILURES, new Date(now.getTime() + LOCK_MS)],
    );
  }

  #noUser(id: string): Problem {
    return makeProblem(loginCodes, "LOGIN_USER_NOT_FOUND", "/id", { id });
  }
}

let dummy: Promise<string> | undefined;
/** A valid hash of a random password, verified against when the address is unknown. */
function dummyHash(): Promise<string> {
  dummy ??= hashPassword(randomBytes(16).toString("hex"));
  return dummy;
}
