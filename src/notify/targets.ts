/**
 * Webhook targets that must not be reached from the server: loopback, private, link-local (cloud metadata
 * at 169.254.169.254), unique-local and unspecified addresses, written as IP literals or as `localhost`.
 * A name that resolves to such an address is not caught here (that needs the lookup at connection time).
 */
import { isIP } from "node:net";

const V4_PRIVATE: ReadonlyArray<readonly [number, number, number]> = [
  // [first octet, second octet from, second octet to]
  [0, 0, 255],
  [10, 0, 255],
  [100, 64, 127], // carrier-grade NAT
  [127, 0, 255],
  [169, 254, 254],
  [172, 16, 31],
  [192, 168, 168],
  [198, 18, 19], // benchmarking
];

function privateV4(address: string): boolean {
  const [a, b] = address.split(".").map(Number) as [number, number];
  return V4_PRIVATE.some(([first, from, to]) => a === first && b >= from && b <= to) || a >= 224;
}

function privateV6(address: string): boolean {
  const a = address.toLowerCase();
  if (a === "::" || a === "::1") return true;
  // IPv4-mapped: the URL parser writes ::ffff:127.0.0.1 as ::ffff:7f00:1.
  const mapped = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(a);
  if (mapped) {
    const hi = Number.parseInt(mapped[1]!, 16);
    const lo = Number.parseInt(mapped[2]!, 16);
    return privateV4(`${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`);
  }
  return /^f[cd][0-9a-f]{2}:/.test(a) || /^fe[89ab][0-9a-f]:/.test(a) || /^ff[0-9a-f]{2}:/.test(a);
}

/** The private host a URL names, or undefined when it names a public one (or is no URL). */
export function privateTarget(url: string): string | undefined {
  let host: string;
  try {
    host = new URL(url).hostname.toLowerCase();
  } catch {
    return undefined;
  }
  const bare = host.replace(/^\[(.*)\]$/, "$1").replace(/\.$/, "");
  if (bare === "localhost" || bare.endsWith(".localhost")) return host;
  const kind = isIP(bare);
  if (kind === 4 && privateV4(bare)) return host;
  if (kind === 6 && privateV6(bare)) return host;
  return undefined;
}
