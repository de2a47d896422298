// What kind of network an IP address belongs to, for deciding where webhooks may go. Pure: no I/O.
//
// Takes addresses as DNS answers and WHATWG URL parsing write them: dotted-quad IPv4 and IPv6
// (optionally in brackets, with a zone id, or ending in a dotted quad). URL parsing has already
// turned `2130706433`, `0x7f.1` and `017700000001` into `127.0.0.1`, so only canonical IPv4 is
// accepted here; anything else is not an address (the caller treats it as a name to resolve).
//
// IPv6 forms that carry an IPv4 address and reach it from this host (IPv4-mapped, -translated
// and -compatible, NAT64's well-known prefix, 6to4) take the class of the IPv4 address inside:
// `::ffff:127.0.0.1` is loopback, `64:ff9b::a9fe:a9fe` is the link-local metadata service.

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

/** Dotted-quad IPv4 in canonical form (no leading zeros), as 4 bytes. */
function parseIPv4(text: string): number[] | undefined {
  const parts = text.split(".");
  if (parts.length !== 4) return undefined;
  const bytes: number[] = [];
  for (const p of parts) {
    if (!/^(0|[1-9]\d{0,2})$/.test(p)) return undefined;
    const n = Number(p);
    if (n > 255) return undefined;
    bytes.push(n);
  }
  return bytes;
}

/** IPv6 text (with `::`, an optional trailing dotted quad) as 16 bytes. */
function parseIPv6(text: string): number[] | undefined {
  if (!text.includes(":")) return undefined;
  const lastColon = text.lastIndexOf(":");
  const quad = text.slice(lastColon + 1);
  if (quad.includes(".")) {
    // ::ffff:127.0.0.1 is ::ffff:7f00:1.
    const v4 = parseIPv4(quad);
    if (!v4) return undefined;
    const hex = (hi: number, lo: number) => ((hi << 8) | lo).toString(16);
    return parseIPv6(`${text.slice(0, lastColon + 1)}${hex(v4[0]!, v4[1]!)}:${hex(v4[2]!, v4[3]!)}`);
  }
  const halves = text.split("::");
  if (halves.length > 2) return undefined;
  const groups = (s: string) => (s === "" ? [] : s.split(":"));
  const left = groups(halves[0]!);
  const right = halves.length === 2 ? groups(halves[1]!) : [];
  const missing = 8 - left.length - right.length;
  if (halves.length === 2 ? missing < 1 : missing !== 0) return undefined;
  const bytes: number[] = [];
  for (const g of [...left, ...Array<string>(missing).fill("0"), ...right]) {
    if (!/^[0-9a-f]{1,4}$/i.test(g)) return undefined;
    const n = parseInt(g, 16);
    bytes.push(n >> 8, n & 0xff);
  }
  return bytes;
}

/** 4 or 16 bytes, or undefined when `text` is not an IP address (a host name). */
export function parseAddress(text: string): number[] | undefined {
  let t = text.trim();
  if (t.startsWith("[") && t.endsWith("]")) t = t.slice(1, -1);
  // A zone (fe80::1%eth0) names the interface, not the address.
  const zone = t.indexOf("%");
  if (zone >= 0 && t.includes(":")) t = t.slice(0, zone);
  return parseIPv4(t) ?? parseIPv6(t);
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
