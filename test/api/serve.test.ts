import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Command } from "@commander-js/extra-typings";
import { afterEach, describe, expect, it, vi } from "vitest";
import { parseApiKeys, registerServeCommands, startServer } from "../../src/cli/serve.ts";

describe("parseApiKeys", () => {
  it("reads role:name:key entries, keeping colons inside the key", () => {
    expect(parseApiKeys("admin:an:k1-0123456789abcdef, buyer:0101234567:a:b:c")).toEqual([
      { role: "admin", name: "an", key: "k1-0123456789abcdef" },
      { role: "buyer", name: "0101234567", key: "a:b:c" },
    ]);
    expect(parseApiKeys(undefined)).toEqual([]);
    expect(parseApiKeys("  ")).toEqual([]);
  });

  it("refuses an unknown role or a missing key, naming the entry", () => {
    expect(() => parseApiKeys("admin:a:0123456789abcdef,root:b:0123456789abcdef")).toThrow(/entry 2/);
    expect(() => parseApiKeys("admin:a")).toThrow(/entry 1/);
  });
});

describe("hddt serve", () => {
  afterEach(() => {
    process.exitCode = undefined;
    vi.restoreAllMocks();
  });

  async function run(...args: string[]): Promise<string> {
    const err = vi.spyOn(process.stderr, "write").mockImplementation(() => true);
    const program = new Command("hddt").exitOverride();
    registerServeCommands(program);
    await program.parseAsync(["node", "hddt", "serve", ...args]);
    return err.mock.calls.map((c) => String(c[0])).join("");
  }

  it("says the seller part has no HTTP API yet and exits 2", async () => {
    expect(await run("--part", "seller")).toContain("the seller part has no HTTP API yet");
    expect(process.exitCode).toBe(2);
    process.exitCode = undefined;
  });

  it("refuses to serve the transmission part without --authority-url and exits 2", async () => {
    expect(await run("--part", "transmission")).toContain("needs --authority-url");
    expect(process.exitCode).toBe(2);
    process.exitCode = undefined;
  });

  it("exits 2 on an unknown part or a bad port", async () => {
    expect(await run("--part", "bank")).toContain("--part must be one of");
    expect(process.exitCode).toBe(2);
    process.exitCode = undefined;
    expect(await run("--part", "authority", "--port", "http")).toContain("--port must be");
    expect(process.exitCode).toBe(2);
  });

  it("serves the authority on a port: health, OpenAPI and the message endpoint", async () => {
    const dir = mkdtempSync(join(tmpdir(), "hddt-serve-"));
    const server = await startServer({
      part: "authority",
      port: 0,
      host: "127.0.0.1",
      database: "memory://",
      devCaDir: join(dir, "dev-ca"),
      stateDir: dir,
      logger: false,
      apiKeys: [{ role: "admin", name: "a", key: "0123456789abcdef0123" }],
    });
    try {
      const health = await fetch(`${server.url}/health`);
      expect(health.status).toBe(200);
      const doc = (await (await fetch(`${server.url}/openapi.json`)).json()) as {
        paths: Record<string, unknown>;
      };
      expect(Object.keys(doc.paths)).toContain("/authority/messages");
      const bad = await fetch(`${server.url}/authority/messages`, {
        method: "POST",
        headers: { "content-type": "application/xml" },
        body: "<TDiep>",
      });
      expect(bad.status).toBe(400);
      const admin = await fetch(`${server.url}/authority/admin/taxpayers`, {
        headers: { "x-api-key": "0123456789abcdef0123" },
      });
      expect(admin.status).toBe(200);
      const registrations = await fetch(`${server.url}/authority/admin/registrations?status=refused`, {
        headers: { "x-api-key": "0123456789abcdef0123" },
      });
      expect(registrations.status).toBe(200);
      expect(await registrations.json()).toEqual({ items: [], page: 1, pageSize: 100 });
      const badFilter = await fetch(`${server.url}/authority/admin/registrations?taxCode=abc`, {
        headers: { "x-api-key": "0123456789abcdef0123" },
      });
      expect(badFilter.status).toBe(400);
    } finally {
      await server.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
