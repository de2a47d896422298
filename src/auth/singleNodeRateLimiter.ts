import { fullAtMs, takeFrom, type Bucket, type BucketPolicy, type RateDecision, type RateLimiter } from "./rateLimits";

export interface SingleNodeRateLimiterOptions {
  /** Hard bound on the buckets kept; beyond it the idlest go first. */
  maxBuckets?: number;
  now?: () => number;
}

interface Kept extends Bucket {
  /** From then on the bucket is full: the same as none, so it may be forgotten. */
  fullAtMs: number;
}

/**
 * The rate limits' buckets in this process's memory. take() decides and takes in one synchronous
 * step, so concurrent requests cannot both spend the last token. Memory is bounded: a bucket
 * that has refilled is forgotten (a sweep at most once a minute), and past `maxBuckets` the least
 * recently used go first; a forgotten bucket that was not yet full gives its key a fresh burst,
 * the price of the bound (a client needs that many other busy keys to cause it). Several nodes
 * need an implementation over shared storage instead, or each node allows its own burst.
 */
export class SingleNodeRateLimiter implements RateLimiter {
  private readonly maxBuckets: number;
  private readonly now: () => number;
  private readonly buckets = new Map<string, Kept>();
  private lastSweepMs: number;

  constructor(opts: SingleNodeRateLimiterOptions = {}) {
    this.maxBuckets = Math.max(1, opts.maxBuckets ?? 100_000);
    this.now = opts.now ?? Date.now;
    this.lastSweepMs = this.now();
  }

  async take(keys: readonly string[], policy: BucketPolicy): Promise<RateDecision> {
    // No await in here: the decision and the taking are one step.
    const nowMs = this.now();
    const outcome = takeFrom(keys.map((k) => this.buckets.get(k)), nowMs, policy);
    if (!outcome.allowed) return { allowed: false, retryAfterSeconds: outcome.retryAfterSeconds };
    keys.forEach((key, i) => {
      const b = outcome.buckets[i]!;
      this.buckets.delete(key); // re-inserted: Map order is least recently used first
      this.buckets.set(key, { ...b, fullAtMs: fullAtMs(b, policy) });
    });
    this.sweep(nowMs);
    return { allowed: true };
  }

  /** Number of buckets kept (tests). */
  get size(): number {
    return this.buckets.size;
  }

  private sweep(nowMs: number): void {
    const over = this.buckets.size > this.maxBuckets;
    if (!over && nowMs - this.lastSweepMs < 60_000) return;
    this.lastSweepMs = nowMs;
    for (const [key, b] of this.buckets) if (b.fullAtMs <= nowMs) this.buckets.delete(key);
    if (!over) return;
    // Was over and still is: the least recently used go, down to 90 % so that the next request
    // does not sweep again.
    const target = Math.floor(this.maxBuckets * 0.9);
    for (const key of this.buckets.keys()) {
      if (this.buckets.size <= target) break;
      this.buckets.delete(key);
    }
  }
}
