/**
 * One process at a time per embedded data folder. PGlite has no lock of its own, and a second process
 * opening the same folder corrupts it (electric-sql/pglite#1106, #884).
 *
 * The lock is a file `hddt.lock` in the folder, holding the owner's pid, the pid's start time (Linux, from
 * /proc, to tell a reused pid), the host, a random token and where the owner serves the database. It is
 * created atomically (written to a temporary file, then hard-linked into place, so it is never seen half
 * written). A lock whose process is gone is stale and taken over; a live one is refused with
 * STORE_DATA_DIR_LOCKED. A lock from another host cannot be checked and is treated as live.
 */
import { randomBytes } from "node:crypto";
import { linkSync, readFileSync, renameSync, unlinkSync, writeFileSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import { StoreError } from "./errors.ts";

export const LOCK_FILE = "hddt.lock";

export interface LockInfo {
  readonly pid: number;
  /** Start time of the process in clock ticks since boot (Linux), or null where unknown. */
  readonly started: string | null;
  readonly host: string;
  readonly token: string;
  readonly since: string;
  /** Where the owner serves the database (a unix socket folder or host:port), for tools that want to connect. */
  readonly serves: string | null;
}

export interface DataDirLock {
  readonly path: string;
  readonly info: LockInfo;
  /** Records where the database is served (rewrites the file atomically). */
  setServes(serves: string): void;
  /** Removes the lock if it is still ours. Safe to call twice. */
  release(): void;
}

/** Field 22 of /proc/<pid>/stat: the process start time. Null when not on Linux or the process is gone. */
export function processStartTime(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "latin1");
    // The command name (field 2) is in parentheses and may contain spaces: count fields after the last ')'.
    const rest = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return rest[19] ?? null;
  } catch {
    return null;
  }
}

function isAlive(info: LockInfo): boolean {
  if (info.host !== hostname()) return true;
  try {
    process.kill(info.pid, 0);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ESRCH") return false;
  }
  // The pid exists; if it started at another time than the owner did, it is a different process.
  if (info.started !== null) {
    const now = processStartTime(info.pid);
    if (now !== null && now !== info.started) return false;
  }
  return true;
}

function readLock(path: string): LockInfo | undefined {
  try {
    const parsed = JSON.parse(readFileSync(path, "utf8")) as Partial<LockInfo>;
    if (typeof parsed.pid !== "number" || typeof parsed.token !== "string") return undefined;
    return {
      pid: parsed.pid,
      started: typeof parsed.started === "string" ? parsed.started : null,
      host: typeof parsed.host === "string" ? parsed.host : "",
      token: parsed.token,
      since: typeof parsed.since === "string" ? parsed.since : "",
      serves: typeof parsed.serves === "string" ? parsed.serves : null,
    };
  } catch {
    return undefined;
  }
}

function writeAtomically(target: string, content: string, mode: "create" | "replace"): boolean {
  const tmp = `${target}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`;
  writeFileSync(tmp, content, { mode: 0o600 });
  try {
    if (mode === "replace") {
      renameSync(tmp, target);
      return true;
    }
    try {
      linkSync(tmp, target);
      return true;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === "EEXIST") return false;
      throw e;
    }
  } finally {
    if (mode === "create") unlinkSync(tmp);
  }
}

/** Takes the lock of a data folder (which must exist), or throws STORE_DATA_DIR_LOCKED. */
export function lockDataDir(dir: string): DataDirLock {
  const path = join(dir, LOCK_FILE);
  let info: LockInfo = {
    pid: process.pid,
    started: processStartTime(process.pid),
    host: hostname(),
    token: randomBytes(12).toString("hex"),
    since: new Date().toISOString(),
    serves: null,
  };
  for (let attempt = 0; ; attempt++) {
    if (writeAtomically(path, JSON.stringify(info), "create")) break;
    const held = readLock(path);
    if (held && isAlive(held)) {
      throw new StoreError("STORE_DATA_DIR_LOCKED", {
        dir,
        pid: held.host === info.host ? String(held.pid) : `${held.pid}@${held.host}`,
      });
    }
    if (attempt >= 3) throw new StoreError("STORE_DATA_DIR_LOCKED", { dir, pid: "?" });
    // Stale (or unreadable): move it aside atomically, then make sure what we moved is what we judged.
    const aside = `${path}.stale.${process.pid}.${randomBytes(4).toString("hex")}`;
    try {
      renameSync(path, aside);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === "ENOENT") continue; // someone else removed it: try again
      throw e;
    }
    const moved = readLock(aside);
    if (held && moved && moved.token !== held.token) {
      // Another process took the stale lock between our read and our rename: give it back.
      try {
        linkSync(aside, path);
      } catch {
        // it re-created one meanwhile; nothing to restore
      }
      unlinkSync(aside);
      throw new StoreError("STORE_DATA_DIR_LOCKED", { dir, pid: String(moved.pid) });
    }
    unlinkSync(aside);
  }
  let released = false;
  return {
    path,
    get info() {
      return info;
    },
    setServes(serves: string) {
      info = { ...info, serves };
      writeAtomically(path, JSON.stringify(info), "replace");
    },
    release() {
      if (released) return;
      released = true;
      const held = readLock(path);
      if (held?.token === info.token) unlinkSync(path);
    },
  };
}
