/**
 * What a newcomer does, as the README says it: a fresh clone, `npm install`, `npm start`; then issue a coded
 * invoice through the API with the demo seller's key that `npm start` printed, see it coded, and find it
 * as the buyer does, by its lookup code.
 *
 * The clone is of the committed HEAD of this checkout (CI runs on a clean clone, so there it is the code
 * under test). `npm install` uses the npm cache when it can.
 */
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";

const ROOT = process.cwd();

function waitForOutput(child: ChildProcess, pattern: RegExp, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = "";
    const timer = setTimeout(
      () => reject(new Error(`npm start printed no ${pattern} in ${timeoutMs} ms:\n${text}`)),
      timeoutMs,
    );
    const onData = (chunk: Buffer) => {
      text += chunk.toString("utf8");
      if (pattern.test(text)) {
        clearTimeout(timer);
        resolve(text);
      }
    };
    child.stdout?.on("data", onData);
    child.stderr?.on("data", onData);
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`npm start exited with ${code}:\n${text}`));
    });
  });
}

describe("a newcomer on a fresh machine", () => {
  const dir = mkdtempSync(join(tmpdir(), "hddt-newcomer-"));
  const clone = join(dir, "hddt");
  let server: ChildProcess | undefined;

  afterAll(async () => {
    if (server?.pid !== undefined && server.exitCode === null) {
      const exited = new Promise((r) => server!.once("exit", r));
      process.kill(-server.pid, "SIGTERM");
      await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000))]);
      if (server.exitCode === null) process.kill(-server.pid, "SIGKILL");
    }
    rmSync(dir, { recursive: true, force: true });
  });

  it("clones, installs, starts, issues a coded invoice and finds it by its lookup code", async () => {
    execFileSync("git", ["clone", "--quiet", ROOT, clone], { stdio: "pipe" });
    execFileSync("npm", ["install", "--no-audit", "--no-fund", "--prefer-offline"], {
      cwd: clone,
      stdio: "pipe",
      timeout: 300_000,
    });

    const env = { ...process.env };
    delete env.DATABASE_URL;
    server = spawn("npm", ["start", "--", "--port", "0"], { cwd: clone, env, detached: true });
    const banner = await waitForOutput(server, /Ctrl-C stops hddt/, 180_000);
    const url = /hddt is running at (http:\/\/\S+)/.exec(banner)?.[1];
    const key = /its API key\s+(\S+)/.exec(banner)?.[1];
    expect(url).toBeDefined();
    expect(key).toMatch(/^hddt_/);

    const body = readFileSync(join(clone, ".hddt", "demo-invoice.json"), "utf8");
    const created = await fetch(`${url}/seller/invoices?issue=true`, {
      method: "POST",
      headers: { "x-api-key": key!, "content-type": "application/json", "idempotency-key": "newcomer-1" },
      body,
    });
    expect(created.status).toBe(201);
    const invoice = (await created.json()) as { id: string; number: number; lookupCode: string };
    expect(invoice.number).toBe(1);

    let state = "";
    let authorityCode: string | null = null;
    for (let i = 0; i < 600 && state !== "delivered"; i++) {
      const got = (await (
        await fetch(`${url}/seller/invoices/${invoice.id}`, { headers: { "x-api-key": key! } })
      ).json()) as { state: string; authorityCode: string | null };
      state = got.state;
      authorityCode = got.authorityCode;
      if (state !== "delivered") await new Promise((r) => setTimeout(r, 100));
    }
    expect(state).toBe("delivered");
    expect(authorityCode).toMatch(/^[0-9A-F]{34}$/);

    const found = await fetch(`${url}/lookup/${invoice.lookupCode}`);
    expect(found.status).toBe(200);
    expect(JSON.stringify(await found.json())).toContain(authorityCode!);
    const wrong = await fetch(
      `${url}/lookup/${invoice.lookupCode.replace(/.$/, (c) => (c === "A" ? "B" : "A"))}`,
    );
    expect(wrong.status).toBe(404);
  }, 600_000);
});
