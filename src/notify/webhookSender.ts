// One webhook attempt: POST the event as JSON, as Quay's WebhookMethod does. Whether and when
// to try again is the delivery worker's business.
//
// Where the request goes is decided here, at send time, by webhookTarget's rules: the host is
// resolved now (names whose answer changed since the notification was created included), every
// address is checked, and the connection goes to a checked address, not to a name that fetch
// would resolve again. The request keeps the URL's Host header and, for https, its name for SNI
// and the certificate check. Redirects are never followed, and no proxy is used: the registry
// itself talks to the address it checked.
import { lookup } from "node:dns/promises";
import { classifyAddress } from "../addressClass";
import { DEFAULT_TARGET_POLICY, refusedAddresses, refusedHostname, type TargetPolicy } from "./webhookTarget";

/** Quay's NOTIFICATION_SEND_TIMEOUT default. */
export const WEBHOOK_TIMEOUT_MS = 10_000;

/** A refusal is permanent: trying again would only repeat it (DNS may change, but rarely so). */
export type SendOutcome = { ok: true } | { ok: false; error: string; permanent?: true };

/** A host name's addresses (IPv4 and IPv6 text), as the system resolver (and /etc/hosts) answers. */
export type Resolver = (hostname: string) => Promise<string[]>;

export const systemResolver: Resolver = async (hostname) => (await lookup(hostname, { all: true, verbatim: true })).map((a) => a.address);

export interface WebhookOptions {
  /** For the whole attempt, the name lookup included. */
  timeoutMs?: number;
  /** Aborts the attempt early (shutdown); the outcome is then a failure naming the abort. */
  signal?: AbortSignal;
  /** Which addresses may be sent to; default DEFAULT_TARGET_POLICY. */
  policy?: TargetPolicy;
  resolve?: Resolver;
}

/** Rejects as soon as `signal` aborts (a resolver cannot be cancelled, only abandoned). */
function abortable<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener("abort", onAbort, { once: true });
    void work.then(resolve, reject).finally(() => signal.removeEventListener("abort", onAbort));
  });
}

type Target = { addresses: string[] } | { refused: string };

/** The addresses `url` may be sent to, or why none may. */
async function checkedAddresses(url: URL, policy: TargetPolicy, resolve: Resolver, signal: AbortSignal): Promise<Target> {
  const refused = refusedHostname(url.hostname, policy);
  if (refused) return { refused };
  // An address literal needs no lookup (URL parsing wrote IPv4 forms as dotted quads).
  if (classifyAddress(url.hostname)) return { addresses: [url.hostname.replace(/^\[|\]$/g, "")] };
  const addresses = await abortable(resolve(url.hostname), signal);
  if (!addresses.length) throw new Error(`${url.hostname} has no address`);
  const refusedOne = refusedAddresses(url.hostname, addresses, policy);
  return refusedOne ? { refused: refusedOne } : { addresses };
}

/** `url` with its host replaced by `address` (the port, path and query kept). */
function atAddress(url: URL, address: string): string {
  const u = new URL(url);
  u.hostname = address.includes(":") ? `[${address}]` : address;
  // The setter ignores what it cannot parse (an IPv6 zone, say), which would leave the name for
  // fetch to resolve again: never send then.
  if (!classifyAddress(u.hostname)) throw new Error(`cannot connect to ${address} by URL`);
  return u.href;
}

/**
 * POSTs `body` (JSON text) to `url`. A 2xx answer is a delivery; any other status, a redirect
 * (not followed: a receiver must not bounce the registry elsewhere, such as to its own
 * loopback), a timeout or a network error is a failed attempt, and a target the policy refuses
 * is a permanent failure.
 */
export async function sendWebhook(url: string, body: string, opts: WebhookOptions = {}): Promise<SendOutcome> {
  const timeoutMs = opts.timeoutMs ?? WEBHOOK_TIMEOUT_MS;
  const timeout = AbortSignal.timeout(timeoutMs);
  const signal = opts.signal ? AbortSignal.any([timeout, opts.signal]) : timeout;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return { ok: false, error: `webhook url ${JSON.stringify(url)} is not a URL`, permanent: true };
  }
  const isName = !classifyAddress(parsed.hostname);
  let lastError: unknown;
  try {
    const target = await checkedAddresses(parsed, opts.policy ?? DEFAULT_TARGET_POLICY, opts.resolve ?? systemResolver, signal);
    if ("refused" in target) return { ok: false, error: `webhook to url ${url} refused: ${target.refused}`, permanent: true };
    // Every address passed; the first that takes the connection gets the request.
    for (const address of target.addresses) {
      let res: Response;
      try {
        res = await fetch(atAddress(parsed, address), {
          method: "POST",
          headers: { Host: parsed.host, "Content-Type": "application/json", "User-Agent": "Berth-Notifications" },
          body,
          redirect: "manual",
          signal,
          proxy: false,
          keepalive: false,
          // SNI and the certificate check for the name in the URL, not the address.
          ...(parsed.protocol === "https:" && isName ? { tls: { serverName: parsed.hostname } } : {}),
        });
      } catch (e) {
        if (signal.aborted) throw e;
        lastError = e;
        continue;
      }
      // The body is of no interest; drain it so the connection closes cleanly.
      await res.arrayBuffer().catch(() => undefined);
      if (res.status >= 200 && res.status < 300) return { ok: true };
      return { ok: false, error: `${res.status} response for webhook to url: ${url}` };
    }
  } catch (e) {
    lastError = e;
  }
  if (timeout.aborted) return { ok: false, error: `no answer within ${timeoutMs} ms from webhook url: ${url}` };
  if (opts.signal?.aborted) return { ok: false, error: "aborted" };
  return { ok: false, error: `webhook to url ${url} failed: ${(lastError as Error)?.message ?? lastError}` };
}
