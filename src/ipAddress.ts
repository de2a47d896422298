// IP addresses and CIDR ranges as bytes: parsing, canonical text, range membership. Pure, a leaf
// module (config validates `trustedProxies` with it; auth derives client addresses with it).
//
// IPv4-mapped IPv6 addresses (::ffff:a.b.c.d, which Bun reports for IPv4 peers on a dual-stack
// listener) are unmapped to IPv4 on parsing, so one client has one form whichever way it came.

export interface IpAddress {
  version: 4 | 6;
  bytes: Uint8Array;
}

export interface IpRange {
  address: IpAddress;
  /** Leading bits that must match. */
  prefix: number;
}

const IPV4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;
const HEX_GROUP = /^[0-9a-f]{1,4}$/i;

function parseIpv4(text: string): Uint8Array | undefined {
  const m = IPV4.exec(text);
  if (!m) return undefined;
  const bytes = new Uint8Array(4);
  for (let i = 0; i < 4; i++) {
    const part = m[i + 1]!;
    // "010" reads as octal to some parsers and decimal to others: refuse the ambiguity.
    if (part.length > 1 && part.startsWith("0")) return undefined;
    const n = Number(part);
    if (n > 255) return undefined;
    bytes[i] = n;
  }
  return bytes;
}

function parseIpv6(text: string): Uint8Array | undefined {
  const zone = text.indexOf("%"); // fe80::1%eth0: the zone names an interface, not an address
  if (zone >= 0) text = text.slice(0, zone);
  const halves = text.split("::");
  if (halves.length > 2) return undefined;
  const groupsOf = (s: string): number[] | undefined => {
    if (s === "") return [];
    const out: number[] = [];
    const parts = s.split(":");
    for (let i = 0; i < parts.length; i++) {
      const p = parts[i]!;
      if (i === parts.length - 1 && p.includes(".")) {
        const v4 = parseIpv4(p);
        if (!v4) return undefined;
        out.push((v4[0]! << 8) | v4[1]!, (v4[2]! << 8) | v4[3]!);
      } else if (HEX_GROUP.test(p)) {
        out.push(parseInt(p, 16));
      } else {
        return undefined;
      }
    }
    return out;
  };
  const head = groupsOf(halves[0]!);
  const tail = halves.length === 2 ? groupsOf(halves[1]!) : [];
  if (!head || !tail) return undefined;
  const missing = 8 - head.length - tail.length;
  if (halves.length === 2 ? missing < 1 : missing !== 0) return undefined;
  const groups = [...head, ...new Array<number>(missing).fill(0), ...tail];
  const bytes = new Uint8Array(16);
  groups.forEach((g, i) => {
    bytes[2 * i] = g >> 8;
    bytes[2 * i + 1] = g & 0xff;
  });
  return bytes;
}

function isV4Mapped(b: Uint8Array): boolean {
  for (let i = 0; i < 10; i++) if (b[i] !== 0) return false;
  return b[10] === 0xff && b[11] === 0xff;
}

/** An IPv4 or IPv6 address (IPv4-mapped ones come back as IPv4), or undefined. */
export function parseIp(text: string): IpAddress | undefined {
  if (typeof text !== "string" || text.length > 64) return undefined;
  const v4 = parseIpv4(text);
  if (v4) return { version: 4, bytes: v4 };
  if (!text.includes(":")) return undefined;
  const v6 = parseIpv6(text);
  if (!v6) return undefined;
  return isV4Mapped(v6) ? { version: 4, bytes: v6.slice(12) } : { version: 6, bytes: v6 };
}

/** Dotted IPv4, or IPv6 as RFC 5952 writes it (lowercase, the longest run of zero groups as ::). */
export function formatIp(ip: IpAddress): string {
  const b = ip.bytes;
  if (ip.version === 4) return b.join(".");
  const groups = Array.from({ length: 8 }, (_, i) => (b[2 * i]! << 8) | b[2 * i + 1]!);
  let bestStart = -1;
  let bestLen = 1; // a single zero group is not compressed
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) [bestStart, bestLen] = [i, j - i];
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart < 0) return hex.join(":");
  return `${hex.slice(0, bestStart).join(":")}::${hex.slice(bestStart + bestLen).join(":")}`;
}

/** The canonical text of an address, or undefined when `text` is not one. */
export function canonicalIp(text: string): string | undefined {
  const ip = parseIp(text);
  return ip && formatIp(ip);
}

/**
 * An address ("10.0.0.1", "::1") or a CIDR range ("10.0.0.0/8", "fd00::/8"). An IPv4-mapped
 * range (::ffff:10.0.0.0/104) is the IPv4 range it maps. Bits past the prefix are ignored.
 */
export function parseIpRange(text: string): IpRange | undefined {
  if (typeof text !== "string") return undefined;
  const slash = text.indexOf("/");
  const addressText = (slash < 0 ? text : text.slice(0, slash)).trim();
  const prefixText = slash < 0 ? undefined : text.slice(slash + 1).trim();
  const address = parseIp(addressText);
  if (!address) return undefined;
  const bits = address.bytes.length * 8;
  if (prefixText === undefined) return { address, prefix: bits };
  if (!/^\d{1,3}$/.test(prefixText)) return undefined;
  let prefix = Number(prefixText);
  // Written as IPv6 but unmapped to IPv4 by parseIp: the prefix counted 96 bits of mapping.
  if (address.version === 4 && addressText.includes(":")) {
    if (prefix < 96 || prefix > 128) return undefined;
    prefix -= 96;
  }
  return prefix <= bits ? { address, prefix } : undefined;
}

export function inRange(ip: IpAddress, range: IpRange): boolean {
  if (ip.version !== range.address.version) return false;
  const whole = range.prefix >> 3;
  for (let i = 0; i < whole; i++) if (ip.bytes[i] !== range.address.bytes[i]) return false;
  const rest = range.prefix & 7;
  if (rest === 0) return true;
  const mask = (0xff << (8 - rest)) & 0xff;
  return (ip.bytes[whole]! & mask) === (range.address.bytes[whole]! & mask);
}

/** The first `prefix` bits of the address, the rest zeroed (an IPv6 /64 names one site). */
export function truncateIp(ip: IpAddress, prefix: number): IpAddress {
  const bytes = new Uint8Array(ip.bytes.length);
  const whole = Math.min(prefix >> 3, bytes.length);
  bytes.set(ip.bytes.subarray(0, whole));
  const rest = prefix & 7;
  if (rest && whole < bytes.length) bytes[whole] = ip.bytes[whole]! & ((0xff << (8 - rest)) & 0xff);
  return { version: ip.version, bytes };
}
