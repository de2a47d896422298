import { formatIp, inRange, parseIp, parseIpRange, type IpAddress, type IpRange } from "../ipAddress";

// The address of the client behind a request, for the login throttle and the audit log.
//
// The TCP peer is the client unless it is one of the configured `trustedProxies`: then
// X-Forwarded-For is read right to left (each proxy appends the address it saw), skipping the
// trusted hops, and the first address not trusted is the client. Anything left of it was written
// by the client and is never believed. Without trusted proxies the header is ignored, so a
// client cannot pick its own throttle key.
//
// Bun.serve knows the peer but the Request object does not: the server records the derived
// address per request here.

const addresses = new WeakMap<Request, string>();
/** Requests whose TCP peer is a trusted proxy: only their X-Forwarded-* headers are believed. */
const viaTrustedProxy = new WeakSet<Request>();

/** Bounds the work a long forged header can cause; real chains are a few hops. */
const MAX_HOPS = 32;

export class TrustedProxies {
  private readonly ranges: IpRange[];

  /** Throws on an entry that is not an address or CIDR range (config checks them first). */
  constructor(entries: readonly string[]) {
    this.ranges = entries.map((e) => {
      const range = parseIpRange(e);
      if (!range) throw new Error(`trustedProxies: "${e}" is not an IP address or CIDR range`);
      return range;
    });
  }

  get empty(): boolean {
    return this.ranges.length === 0;
  }

  trusts(ip: IpAddress): boolean {
    return this.ranges.some((r) => inRange(ip, r));
  }
}

/** One X-Forwarded-For element: an address, maybe bracketed ([::1]) or with a port. */
function forwardedHop(text: string): IpAddress | undefined {
  const t = text.trim();
  const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(t);
  if (bracketed) return parseIp(bracketed[1]!);
  const withPort = /^(\d{1,3}(?:\.\d{1,3}){3}):\d+$/.exec(t);
  return parseIp(withPort ? withPort[1]! : t);
}

/**
 * The client's address: the peer, or when the peer is a trusted proxy the rightmost
 * X-Forwarded-For address that is not a trusted proxy. A hop that is not an address ends the
 * walk at the last trusted hop: that proxy is the client as far as we can tell.
 */
export function resolveClientAddress(peer: string | undefined, forwardedFor: string | null, proxies: TrustedProxies): string {
  if (peer !== undefined && (forwardedFor === null || proxies.empty)) return peerAddress(peer);
  const peerIp = peer === undefined ? undefined : parseIp(peer);
  if (!peerIp) return peer ?? "unknown";
  let client = peerIp;
  if (forwardedFor && !proxies.empty && proxies.trusts(peerIp)) {
    const hops = forwardedFor.split(",");
    for (let i = hops.length - 1, walked = 0; i >= 0 && walked < MAX_HOPS; i--, walked++) {
      const hop = forwardedHop(hops[i]!);
      if (!hop) break;
      client = hop;
      if (!proxies.trusts(hop)) break;
    }
  }
  return formatIp(client);
}

// A connection's peer, parsed and written in canonical form, once per distinct peer (every request
// asks): a pure function of the string. Bounded, cleared when full.
const peerAddresses = new Map<string, string>();
const MAX_PEERS = 4096;

function peerAddress(peer: string): string {
  let address = peerAddresses.get(peer);
  if (address === undefined) {
    const ip = parseIp(peer);
    address = ip ? formatIp(ip) : peer;
    if (peerAddresses.size >= MAX_PEERS) peerAddresses.clear();
    peerAddresses.set(peer, address);
  }
  return address;
}

/** Whether the connection's peer is one of the trusted proxies (never true without any). */
export function peerIsTrustedProxy(peer: string | undefined, proxies: TrustedProxies): boolean {
  if (proxies.empty || peer === undefined) return false;
  const ip = parseIp(peer);
  return ip !== undefined && proxies.trusts(ip);
}

export function recordClientAddress(request: Request, address: string | undefined, fromTrustedProxy = false): void {
  if (address) addresses.set(request, address);
  if (fromTrustedProxy) viaTrustedProxy.add(request);
}

/** Whether this request came through a trusted proxy, so its X-Forwarded-* headers may be believed. */
export function cameThroughTrustedProxy(request: Request): boolean {
  return viaTrustedProxy.has(request);
}

export function clientAddress(request: Request): string {
  return addresses.get(request) ?? "unknown";
}
