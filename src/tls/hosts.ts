// Which names and addresses the automatic server certificate is for. Pure: the machine's host
// name and interfaces are passed in (os.hostname(), os.networkInterfaces()), so tests use tables.
import { canonicalIp, parseIp } from "../ipAddress";

export interface InterfaceAddress {
  address: string;
  family: string;
  internal: boolean;
  scopeid?: number;
}

/**
 * The default `tlsHosts`: the public URL's host (when set), this machine's host name, `localhost`,
 * and every address of the machine (loopback included). IPv6 link-local addresses are left out:
 * they need a zone (`fe80::1%eth0`), which no image reference can carry.
 */
export function defaultTlsHosts(hostname: string, interfaces: Record<string, InterfaceAddress[] | undefined>, publicUrl?: string): string[] {
  const hosts: string[] = [];
  if (publicUrl) hosts.push(new URL(publicUrl).hostname.replace(/^\[(.*)\]$/, "$1"));
  if (hostname) hosts.push(hostname);
  hosts.push("localhost", "127.0.0.1", "::1");
  for (const list of Object.values(interfaces)) {
    for (const a of list ?? []) {
      const ip = parseIp(a.address);
      if (!ip || (ip.version === 6 && ip.bytes[0] === 0xfe && (ip.bytes[1]! & 0xc0) === 0x80)) continue;
      hosts.push(a.address);
    }
  }
  return uniqueHosts(hosts);
}

/** Hosts without repeats: names compared case-insensitively, addresses in canonical form. */
export function uniqueHosts(hosts: string[]): string[] {
  const seen = new Set<string>();
  const out: string[] = [];
  for (const h of hosts) {
    const key = canonicalIp(h) ?? h.toLowerCase();
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(canonicalIp(h) ?? h.toLowerCase());
  }
  return out;
}

/** The Subject Alternative Names for `hosts`: addresses as IP entries, the rest as DNS names. */
export function subjectAltNames(hosts: string[]): { type: "dns" | "ip"; value: string }[] {
  return hosts.map((h) => (parseIp(h) ? { type: "ip" as const, value: canonicalIp(h)! } : { type: "dns" as const, value: h }));
}

/**
 * `host:port` as image references and certs.d directories spell it: IPv6 in brackets, and no
 * port for 443 (Docker and containers/image look for `certs.d/<host>` then).
 */
export function referenceHost(host: string, port: number): string {
  const name = parseIp(host)?.version === 6 ? `[${canonicalIp(host)}]` : host;
  return port === 443 ? name : `${name}:${port}`;
}
