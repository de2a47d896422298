// How often a namespace may queue test notifications (Quay's POST …/notification/<uuid>/test).
// Each test is a real delivery with retries; without a limit a repository admin could fill the
// outbox with sends to a receiver that never answers. A token bucket per namespace: `burst`
// tests at once, then one more every `refillMs`.
//
// On one node the counts live in this process (a restart forgets them, which costs one burst at
// most); on several nodes (PostgreSQL) they are buckets of the shared rate limiter, so the
// allowance is the namespace's, not each node's.

export type RateDecision = { allowed: true } | { allowed: false; retryAfterSeconds: number };

export interface TestRateLimiter {
  /** Takes one test for `key` if there is one left. */
  take(key: string): Promise<RateDecision>;
}

export interface TokenBucketOptions {
  /** Tests allowed at once. */
  burst?: number;
  /** One more test becomes available after this long. */
  refillMs?: number;
  /** Hard bound on remembered keys. */
  maxKeys?: number;
  now?: () => number;
}

/** 10 tests at once, then 10 a minute. */
export const DEFAULT_TEST_LIMIT = { burst: 10, refillMs: 6_000 } as const;

interface Bucket {
  tokens: number;
  /** When `tokens` was last brought up to date. */
  at: number;
}

export class InProcessTestRateLimiter implements TestRateLimiter {
  private readonly burst: number;
  private readonly refillMs: number;
  private readonly maxKeys: number;
  private readonly now: () => number;
  private readonly buckets = new Map<string, Bucket>();

  constructor(opts: TokenBucketOptions = {}) {
    this.burst = Math.max(1, opts.burst ?? DEFAULT_TEST_LIMIT.burst);
    this.refillMs = Math.max(1, opts.refillMs ?? DEFAULT_TEST_LIMIT.refillMs);
    this.maxKeys = opts.maxKeys ?? 10_000;
    this.now = opts.now ?? Date.now;
  }

  async take(key: string): Promise<RateDecision> {
    const now = this.now();
    const b = this.refilled(this.buckets.get(key), now);
    if (b.tokens < 1) {
      this.buckets.set(key, b);
      return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil(((1 - b.tokens) * this.refillMs) / 1000)) };
    }
    b.tokens -= 1;
    this.buckets.delete(key);
    this.buckets.set(key, b);
    if (this.buckets.size > this.maxKeys) this.forget(now);
    return { allowed: true };
  }

  private refilled(b: Bucket | undefined, now: number): Bucket {
    if (!b) return { tokens: this.burst, at: now };
    return { tokens: Math.min(this.burst, b.tokens + (now - b.at) / this.refillMs), at: now };
  }

  /** Drops full buckets (the same as none), then the least recently used beyond the bound. */
  private forget(now: number): void {
    for (const [k, b] of this.buckets) if (this.refilled(b, now).tokens >= this.burst) this.buckets.delete(k);
    for (const k of this.buckets.keys()) {
      if (this.buckets.size <= this.maxKeys) break;
      this.buckets.delete(k);
    }
  }
}

/** Token buckets kept elsewhere: the shared rate limiter's (src/store/pg/nodeState/rateLimiter.ts). */
export interface SharedBuckets {
  take(keys: readonly string[], policy: { burst: number; perSecond: number }): Promise<RateDecision>;
}

/** The allowance as a bucket of the rate limiter every node shares (its key apart from the request limits'). */
export class SharedTestRateLimiter implements TestRateLimiter {
  private readonly policy: { burst: number; perSecond: number };

  constructor(
    private readonly buckets: SharedBuckets,
    opts: Pick<TokenBucketOptions, "burst" | "refillMs"> = {},
  ) {
    this.policy = {
      burst: Math.max(1, opts.burst ?? DEFAULT_TEST_LIMIT.burst),
      perSecond: 1000 / Math.max(1, opts.refillMs ?? DEFAULT_TEST_LIMIT.refillMs),
    };
  }

  take(key: string): Promise<RateDecision> {
    return this.buckets.take([`notificationTest:${key}`], this.policy);
  }
}
