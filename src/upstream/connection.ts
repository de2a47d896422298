// One HTTP exchange with an upstream registry, redirects included, under two rules:
// - every hop's host is checked against the address policy (target.ts) and the connection goes to
//   a checked address, not a name fetch would resolve again (DNS rebinding);
// - credentials (the Authorization header) go only to the configured host: a redirect to another
//   host (blob storage, a CDN) is followed without them, as registries' CDNs expect.
// Redirects are followed here, by hand, never by fetch.
import { lookup } from "node:dns/promises";
import { classifyAddress } from "../addressClass";
import { refusedUpstreamAddresses, refusedUpstreamHost, type UpstreamPolicy } from "./target";

export type Resolver = (hostname: string) => Promise<string[]>;
export const systemResolver: Resolver = async (hostname) => (await lookup(hostname, { all: true, verbatim: true })).map((a) => a.address);

/** A failure talking to the upstream; `status` when it answered. */
export class UpstreamError extends Error {
  constructor(
    message: string,
    readonly status?: number,
  ) {
    super(message);
  }
}

export interface ConnectionOptions {
  policy: UpstreamPolicy;
  /** false: certificates are not checked (Quay's verify_tls off). */
  verifyTls: boolean;
  resolve?: Resolver;
  timeoutMs?: number;
  signal?: AbortSignal;
  userAgent?: string;
}

const MAX_REDIRECTS = 5;

async function checkedAddress(url: URL, o: ConnectionOptions): Promise<string> {
  const refused = refusedUpstreamHost(url.hostname, o.policy);
  if (refused) throw new UpstreamError(`upstream refused: ${refused}`);
  if (classifyAddress(url.hostname)) return url.hostname.replace(/^\[|\]$/g, "");
  const addresses = await (o.resolve ?? systemResolver)(url.hostname);
  if (!addresses.length) throw new UpstreamError(`${url.hostname} has no address`);
  const refusedOne = refusedUpstreamAddresses(url.hostname, addresses, o.policy);
  if (refusedOne) throw new UpstreamError(`upstream refused: ${refusedOne}`);
  return addresses[0]!;
}

/**
 * GETs (or HEADs) `url`, following up to five redirects. `authorization` is sent only to
 * `credentialHost` (host:port); a response from any other host never sees it.
 */
export async function upstreamFetch(
  url: string,
  init: { method?: "GET" | "HEAD"; headers?: Record<string, string>; authorization?: string; credentialHost: string },
  o: ConnectionOptions,
): Promise<Response> {
  // The time limit is for the answer's headers (every hop): a blob's body may take as long as the
  // sync may (the caller's signal), so a large layer over a slow link is not cut off.
  const timeout = new AbortController();
  const timeoutMs = o.timeoutMs ?? 60_000;
  const timer = setTimeout(() => timeout.abort(new UpstreamError(`no answer within ${timeoutMs / 1000} s`)), timeoutMs);
  const signal = o.signal ? AbortSignal.any([timeout.signal, o.signal]) : timeout.signal;
  try {
    return await follow(url, init, o, signal, timeout.signal, timeoutMs);
  } finally {
    clearTimeout(timer);
  }
}

async function follow(
  url: string,
  init: { method?: "GET" | "HEAD"; headers?: Record<string, string>; authorization?: string; credentialHost: string },
  o: ConnectionOptions,
  signal: AbortSignal,
  timeout: AbortSignal,
  timeoutMs: number,
): Promise<Response> {
  let target = new URL(url);
  for (let hop = 0; ; hop++) {
    if (target.protocol !== "https:" && target.protocol !== "http:") throw new UpstreamError(`cannot follow ${target.protocol} URL`);
    const address = await checkedAddress(target, o);
    const direct = new URL(target);
    direct.hostname = address.includes(":") ? `[${address}]` : address;
    const headers: Record<string, string> = { ...init.headers, Host: target.host, "User-Agent": o.userAgent ?? "Berth-Mirror" };
    if (init.authorization && target.host === init.credentialHost) headers.Authorization = init.authorization;
    const isName = !classifyAddress(target.hostname);
    let res: Response;
    try {
      res = await fetch(direct.href, {
        method: init.method ?? "GET",
        headers,
        redirect: "manual",
        signal,
        proxy: false,
        tls: { rejectUnauthorized: o.verifyTls, ...(target.protocol === "https:" && isName ? { serverName: target.hostname } : {}) },
      } as RequestInit);
    } catch (e) {
      if (timeout.aborted) throw new UpstreamError(`no answer from ${target.host} within ${timeoutMs / 1000} s`);
      throw new UpstreamError(`${target.host}: ${(e as Error)?.message ?? e}`);
    }
    const location = res.headers.get("location");
    if (res.status < 300 || res.status >= 400 || !location) return res;
    await res.body?.cancel().catch(() => {});
    if (hop >= MAX_REDIRECTS) throw new UpstreamError(`more than ${MAX_REDIRECTS} redirects from ${url}`);
    target = new URL(location, target);
  }
}

/** A body read whole, refused past `max` bytes (manifests, token answers, tag lists). */
export async function cappedBody(res: Response, max: number, what: string): Promise<Uint8Array> {
  const declared = Number(res.headers.get("content-length") ?? NaN);
  if (declared > max) {
    await res.body?.cancel().catch(() => {});
    throw new UpstreamError(`${what} is ${declared} bytes, more than ${max}`);
  }
  if (!res.body) return new Uint8Array(0);
  const reader = res.body.getReader();
  const parts: Uint8Array[] = [];
  let total = 0;
  try {
    for (;;) {
      const next = await reader.read();
      if (next.done) return Buffer.concat(parts, total);
      total += next.value.byteLength;
      if (total > max) throw new UpstreamError(`${what} is more than ${max} bytes`);
      parts.push(next.value);
    }
  } finally {
    void reader.cancel().catch(() => {});
  }
}
