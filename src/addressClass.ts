// What kind of network an IP address belongs to, for deciding where the registry may connect (webhooks, mirror upstreams). Pure: no I/O.
//
// Takes addresses as DNS answers and WHATWG URL parsing write them: dotted-quad IPv4 and IPv6
// (optionally in brackets, with a zone id, or ending in a dotted quad). URL parsing has already
// turned `2130706433`, `0x7f.1` and `017700000001` into `127.0.0.1`, so only canonical IPv4 is
// accepted here; anything else is not an address (the caller treats it as a name to resolve).
//
// IPv6 forms that carry an IPv4 address and reach it from this host (IPv4-mapped, -translated
// and -compatible, NAT64's well-known prefix, 6to4) take the class of the IPv4 address inside:
// `::ffff:127.0.0.1` is loopback, `64:ff9b::a9fe:a9fe` is the link-local metadata service.

import { parseIp } from "./ipAddress";

export type AddressClass =
  /** 127.0.0.0/8, ::1 */
  | "loopback"
  /** 0.0.0.0/8 and :: ("this host": connecting to it reaches local listeners) */
  | "unspecified"
  /** 169.254.0.0/16 (cloud metadata services live here), fe80::/10 */
  | "linkLocal"
  /** RFC 1918, 100.64.0.0/10 (carrier-grade NAT, Tailscale), 198.18.0.0/15, fc00::/7, fec0::/10, 64:ff9b:1::/48 */
  | "private"
  /** 224.0.0.0/4, ff00::/8 */
  | "multicast"
  /** 255.255.255.255 */
  | "broadcast"
  /** 240.0.0.0/4, 192.0.0.0/24, the documentation ranges, 100::/64: nothing to deliver to */
  | "reserved"
  | "public";

/** 4 or 16 bytes, or undefined when `text` is not an IP address (a host name). */
function parseAddress(text: string): number[] | undefined {
  let t = text.trim();
  if (t.startsWith("[") && t.endsWith("]")) t = t.slice(1, -1);
  // IPv4-mapped forms come back as IPv4 (same class); a zone id (fe80::1%eth0) is dropped.
  const ip = parseIp(t);
  return ip && [...ip.bytes];
}

const within = (b: number[], prefix: number[], bits: number): boolean => {
  for (let i = 0; i < bits; i++) {
    const bit = (v: number) => (v >> (7 - (i % 8))) & 1;
    if (bit(b[i >> 3]!) !== bit(prefix[i >> 3] ?? 0)) return false;
  }
  return true;
};

function classifyIPv4(b: number[]): AddressClass {
  const [a, x] = [b[0]!, b[1]!];
  if (a === 0) return "unspecified";
  if (a === 127) return "loopback";
  if (a === 169 && x === 254) return "linkLocal";
  if (a === 10 || (a === 172 && x >= 16 && x <= 31) || (a === 192 && x === 168)) return "private";
  if (a === 100 && x >= 64 && x <= 127) return "private";
  if (a === 198 && (x === 18 || x === 19)) return "private";
  if (b.every((v) => v === 255)) return "broadcast";
  if (a >= 224 && a <= 239) return "multicast";
  if (a >= 240) return "reserved";
  if (a === 192 && x === 0 && (b[2] === 0 || b[2] === 2)) return "reserved";
  if ((a === 198 && x === 51 && b[2] === 100) || (a === 203 && x === 0 && b[2] === 113)) return "reserved";
  return "public";
}

/** Where an IPv6 address carries an IPv4 address that this host would reach: [prefix, bits, offset]. */
const EMBEDDING: [number[], number, number][] = [
  [[0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff], 96, 12], // IPv4-mapped ::ffff:0:0/96
  [[0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0, 0], 96, 12], // IPv4-translated ::ffff:0:0:0/96
  [[0, 0x64, 0xff, 0x9b], 96, 12], // NAT64 well-known prefix 64:ff9b::/96
  [[], 96, 12], // IPv4-compatible ::/96 (deprecated; :: and ::1 are decided before)
  [[0x20, 0x02], 16, 2], // 6to4 2002::/16
];

function classifyIPv6(b: number[]): AddressClass {
  const zeros = (n: number) => b.slice(0, n).every((v) => v === 0);
  if (zeros(16)) return "unspecified";
  if (zeros(15) && b[15] === 1) return "loopback";
  for (const [prefix, bits, offset] of EMBEDDING) {
    if (within(b, prefix, bits)) return classifyIPv4(b.slice(offset, offset + 4));
  }
  if (within(b, [0xfe, 0x80], 10)) return "linkLocal";
  if (within(b, [0xfc], 7) || within(b, [0xfe, 0xc0], 10) || within(b, [0, 0x64, 0xff, 0x9b, 0, 1], 48)) return "private";
  if (b[0] === 0xff) return "multicast";
  if (within(b, [0x01], 64) || within(b, [0x20, 0x01, 0x0d, 0xb8], 32)) return "reserved";
  return "public";
}

/** The class of an IP address, or undefined when `text` is not one (a host name). */
export function classifyAddress(text: string): AddressClass | undefined {
  const b = parseAddress(text);
  if (!b) return undefined;
  return b.length === 4 ? classifyIPv4(b) : classifyIPv6(b);
}

/** Why a class of address may not be connected to (the caller's policy), or undefined when it may. */
export type ClassRule = (cls: AddressClass) => string | undefined;

/** Names that mean this host whatever DNS says (RFC 6761). */
export function isLocalhostName(hostname: string): boolean {
  const h = hostname.toLowerCase().replace(/\.$/, "");
  return h === "localhost" || h.endsWith(".localhost");
}

/**
 * The part of a target decision that needs no DNS, on a hostname as URL parsing leaves it (IPv4
 * forms already canonical, IPv6 in brackets). A refusal; or undefined for an allowed address
 * literal, or for a name, which is judged by its addresses before connecting.
 */
export function refusedHostnameBy(hostname: string, rule: ClassRule): string | undefined {
  const cls = isLocalhostName(hostname) ? "loopback" : classifyAddress(hostname);
  const why = cls && rule(cls);
  return why && `${hostname} is ${why}`;
}

/** The addresses a name resolved to: one refused address refuses the name (DNS may hand out the other next time). */
export function refusedAddressesBy(hostname: string, addresses: readonly string[], rule: ClassRule): string | undefined {
  for (const address of addresses) {
    const cls = classifyAddress(address);
    // An answer that is no address at all is nothing to connect to.
    const why = cls ? rule(cls) : "not an IP address";
    if (why) return `${hostname} resolves to ${address}, ${why}`;
  }
  return undefined;
}
