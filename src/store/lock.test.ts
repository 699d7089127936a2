import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { StoreError } from "./errors.ts";
import { LOCK_FILE, lockDataDir, processStartTime } from "./lock.ts";

let dir: string;
const children: ChildProcess[] = [];

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "hddt-lock-"));
});
afterEach(() => {
  for (const c of children.splice(0)) c.kill("SIGKILL");
  rmSync(dir, { recursive: true, force: true });
});

function sleeper(): Promise<ChildProcess> {
  const child = spawn(process.execPath, ["-e", "setInterval(() => {}, 1000)"], { stdio: "ignore" });
  children.push(child);
  return new Promise((resolve) => child.once("spawn", () => resolve(child)));
}

function writeForeignLock(fields: Record<string, unknown>): void {
  const lock = {
    pid: 1,
    started: null,
    host: hostname(),
    token: "theirs",
    since: "",
    serves: null,
    ...fields,
  };
  writeFileSync(join(dir, LOCK_FILE), JSON.stringify(lock));
}

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (e) {
    return e instanceof StoreError ? e.code : `not a StoreError: ${String(e)}`;
  }
  return undefined;
}

describe("data folder lock", () => {
  it("records this process and refuses a second taker until released", () => {
    const lock = lockDataDir(dir);
    const content = JSON.parse(readFileSync(join(dir, LOCK_FILE), "utf8"));
    expect(content.pid).toBe(process.pid);
    expect(content.started).toBe(processStartTime(process.pid));
    expect(codeOf(() => lockDataDir(dir))).toBe("STORE_DATA_DIR_LOCKED");
    lock.release();
    lock.release();
    lockDataDir(dir).release();
  });

  it("refuses a folder held by another live process and names it", async () => {
    const child = await sleeper();
    writeForeignLock({ pid: child.pid, started: processStartTime(child.pid!) });
    try {
      lockDataDir(dir);
      expect.unreachable();
    } catch (e) {
      expect((e as StoreError).code).toBe("STORE_DATA_DIR_LOCKED");
      expect((e as StoreError).problem.params?.pid).toBe(String(child.pid));
    }
  });

  it("takes over the lock of a process that has ended", async () => {
    const child = await sleeper();
    const pid = child.pid!;
    writeForeignLock({ pid, started: processStartTime(pid) });
    child.kill("SIGKILL");
    await new Promise((r) => child.once("exit", r));
    const lock = lockDataDir(dir);
    expect(JSON.parse(readFileSync(join(dir, LOCK_FILE), "utf8")).pid).toBe(process.pid);
    lock.release();
  });

  it("takes over a lock whose pid now belongs to another process (different start time)", async () => {
    const child = await sleeper();
    writeForeignLock({ pid: child.pid, started: "1" });
    lockDataDir(dir).release();
  });

  it("takes over an unreadable lock file", () => {
    writeFileSync(join(dir, LOCK_FILE), "not json");
    lockDataDir(dir).release();
  });

  it("treats a lock from another host as live", () => {
    writeForeignLock({ pid: 12345, host: "elsewhere.example" });
    expect(codeOf(() => lockDataDir(dir))).toBe("STORE_DATA_DIR_LOCKED");
  });

  it("leaves alone a lock file that is no longer its own", () => {
    const lock = lockDataDir(dir);
    writeForeignLock({ pid: 99, token: "someone else" });
    lock.release();
    expect(JSON.parse(readFileSync(join(dir, LOCK_FILE), "utf8")).token).toBe("someone else");
  });

  it("records where the database is served", () => {
    const lock = lockDataDir(dir);
    lock.setServes("/some/socket/dir");
    expect(JSON.parse(readFileSync(join(dir, LOCK_FILE), "utf8")).serves).toBe("/some/socket/dir");
    expect(lock.info.serves).toBe("/some/socket/dir");
    lock.release();
  });
});
