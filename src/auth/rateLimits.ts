import type { TokenSubject } from "./identity";
import { throttleAddress } from "./loginThrottle";

// Request rate limits: a token bucket per client address and one per account for each class of
// request (token requests at /v2/auth, /v2 writes, API v1 writes, and reads when switched on).
// A request takes one token from each bucket it names, all or none: a request refused by its
// account's bucket costs its address nothing, and the other way round. A bucket holds `burst`
// tokens and gains `perSecond` a second; an empty one answers how long until the next token.
//
// The address is the client's as clientAddress.ts derives it (X-Forwarded-For only from trusted
// proxies), IPv6 counted per /64 as the login throttle does: a client cannot pick its own key.
// The buckets themselves sit behind `RateLimiter`; this process's implementation is
// SingleNodeRateLimiter (singleNodeRateLimiter.ts).

export type LimitClass = "auth" | "v2Write" | "v1Write" | "read";

export interface BucketPolicy {
  /** Tokens a full bucket holds: the requests allowed at once. */
  burst: number;
  /** Tokens gained a second (may be fractional). */
  perSecond: number;
}

/** A class absent from the map is not limited. */
export type RatePolicies = Partial<Record<LimitClass, BucketPolicy>>;

export type RateDecision = { allowed: true } | { allowed: false; retryAfterSeconds: number };

/** Where the buckets live; a multi-node implementation shares them (a row per bucket, one statement per take). */
export interface RateLimiter {
  /** Takes one token from each of `keys` under `policy`, all or none. */
  take(keys: readonly string[], policy: BucketPolicy): Promise<RateDecision>;
}

// ---- pure rules ----

export interface Bucket {
  tokens: number;
  /** When `tokens` was counted (ms). */
  atMs: number;
}

/** The bucket as it stands at `nowMs`: refilled, never above the burst. A missing bucket is full. */
export function refilled(bucket: Bucket | undefined, nowMs: number, p: BucketPolicy): Bucket {
  if (!bucket) return { tokens: p.burst, atMs: nowMs };
  const gained = (Math.max(0, nowMs - bucket.atMs) / 1000) * p.perSecond;
  return { tokens: Math.min(p.burst, bucket.tokens + gained), atMs: nowMs };
}

/** When a bucket left with `tokens` at `atMs` is full again: from then on it is the same as none. */
export function fullAtMs(bucket: Bucket, p: BucketPolicy): number {
  return bucket.atMs + Math.ceil(((p.burst - bucket.tokens) / p.perSecond) * 1000);
}

export type TakeOutcome = { allowed: true; buckets: Bucket[] } | { allowed: false; retryAfterSeconds: number; buckets: Bucket[] };

/**
 * One token from each bucket, or none: the buckets as they stand after the decision (refilled,
 * and one token less each when allowed), and when refused the whole seconds until every bucket
 * has a token again (at least 1, for Retry-After).
 */
export function takeFrom(buckets: readonly (Bucket | undefined)[], nowMs: number, p: BucketPolicy): TakeOutcome {
  const now = buckets.map((b) => refilled(b, nowMs, p));
  const lacking = Math.max(0, ...now.map((b) => 1 - b.tokens));
  if (lacking > 0) return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil(lacking / p.perSecond)), buckets: now };
  return { allowed: true, buckets: now.map((b) => ({ tokens: b.tokens - 1, atMs: b.atMs })) };
}

/** The keys of a request's buckets in a class: its address's, and its account's when it names one. */
export function bucketKeys(cls: LimitClass, who: { address?: string; account?: TokenSubject }): string[] {
  const keys: string[] = [];
  if (who.address !== undefined) keys.push(`${cls}|address|${throttleAddress(who.address)}`);
  if (who.account !== undefined) keys.push(`${cls}|${who.account.kind}|${who.account.name}`);
  return keys;
}

/** The settings as policies; a class whose rate is 0 (or all, with rateLimits off) is not limited. */
export function ratePolicies(settings: {
  rateLimits: boolean;
  rateLimitAuthPerSecond: number;
  rateLimitAuthBurst: number;
  rateLimitV2WritesPerSecond: number;
  rateLimitV2WritesBurst: number;
  rateLimitV1WritesPerSecond: number;
  rateLimitV1WritesBurst: number;
  rateLimitReadsPerSecond: number;
  rateLimitReadsBurst: number;
}): RatePolicies {
  if (!settings.rateLimits) return {};
  const policies: RatePolicies = {};
  const add = (cls: LimitClass, perSecond: number, burst: number) => {
    if (perSecond > 0) policies[cls] = { perSecond, burst };
  };
  add("auth", settings.rateLimitAuthPerSecond, settings.rateLimitAuthBurst);
  add("v2Write", settings.rateLimitV2WritesPerSecond, settings.rateLimitV2WritesBurst);
  add("v1Write", settings.rateLimitV1WritesPerSecond, settings.rateLimitV1WritesBurst);
  add("read", settings.rateLimitReadsPerSecond, settings.rateLimitReadsBurst);
  return policies;
}

const ALLOWED: RateDecision = { allowed: true };

/** What the APIs ask: the configured policies over the buckets. */
export class RequestLimits {
  constructor(
    private readonly policies: RatePolicies,
    private readonly limiter: RateLimiter,
  ) {}

  /** Whether the class is limited at all: hot paths skip the call (and its await) when not. */
  on(cls: LimitClass): boolean {
    return this.policies[cls] !== undefined;
  }

  /** Takes one token from the address's and the account's bucket of the class. */
  take(cls: LimitClass, who: { address?: string; account?: TokenSubject }): Promise<RateDecision> {
    const policy = this.policies[cls];
    const keys = policy ? bucketKeys(cls, who) : [];
    return policy && keys.length ? this.limiter.take(keys, policy) : Promise.resolve(ALLOWED);
  }
}

/** A request is a read when it changes nothing by its method. */
export function isReadMethod(method: string): boolean {
  return method === "GET" || method === "HEAD" || method === "OPTIONS";
}
