import { describe, expect, it } from "vitest";
import { privateTarget } from "./targets.ts";

describe("privateTarget", () => {
  it("names loopback, private, link-local and unique-local hosts", () => {
    for (const url of [
      "http://127.0.0.1:8080/hook",
      "http://localhost/hook",
      "http://api.localhost/hook",
      "http://10.1.2.3/",
      "http://172.20.0.1/",
      "http://192.168.1.1/",
      "http://169.254.169.254/latest/meta-data",
      "http://100.64.0.1/",
      "http://0.0.0.0/",
      "http://[::1]/",
      "http://[fd00::1]/",
      "http://[fe80::1]/",
      "http://[::ffff:127.0.0.1]/",
    ]) {
      expect(privateTarget(url), url).toBeDefined();
    }
  });

  it("lets public addresses and names through", () => {
    for (const url of [
      "https://hooks.example.vn/hddt",
      "https://8.8.8.8/",
      "http://172.32.0.1/",
      "http://192.169.0.1/",
      "https://[2001:db8::1]/",
    ]) {
      expect(privateTarget(url), url).toBeUndefined();
    }
  });
});
