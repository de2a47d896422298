// The rate limiter's behaviour, whichever implementation holds the buckets: the single-node one
// (rateLimits.test.ts) and PostgreSQL's (test/unit/store/pgNodeState.test.ts) run these.
import { expect, test } from "bun:test";
import type { BucketPolicy, RateLimiter } from "../../../src/auth/rateLimits";

const P: BucketPolicy = { burst: 4, perSecond: 2 };
const NOW = 1_000_000;

/** A fresh limiter (no buckets) over `clock`, whose `ms` the cases move. */
export type MakeLimiter = (clock: { ms: number }) => Promise<RateLimiter>;

export function rateLimiterCases(make: MakeLimiter): void {
  test("a burst, a refusal with Retry-After, a refill", async () => {
    const clock = { ms: NOW };
    const limiter = await make(clock);
    for (let i = 0; i < 4; i++) expect(await limiter.take(["k"], P)).toEqual({ allowed: true });
    expect(await limiter.take(["k"], P)).toEqual({ allowed: false, retryAfterSeconds: 1 });
    clock.ms += 500;
    expect(await limiter.take(["k"], P)).toEqual({ allowed: true });
    expect(await limiter.take(["k"], P)).toEqual({ allowed: false, retryAfterSeconds: 1 });
  });

  test("all or none: a refusal by one key costs the other nothing", async () => {
    const limiter = await make({ ms: NOW });
    const one: BucketPolicy = { burst: 1, perSecond: 1 };
    expect(await limiter.take(["account"], one)).toEqual({ allowed: true });
    expect((await limiter.take(["address", "account"], one)).allowed).toBe(false);
    expect(await limiter.take(["address"], one)).toEqual({ allowed: true });
  });

  test("concurrent takes never spend more than the burst", async () => {
    const limiter = await make({ ms: NOW });
    const decisions = await Promise.all(Array.from({ length: 20 }, () => limiter.take(["k"], P)));
    expect(decisions.filter((d) => d.allowed)).toHaveLength(4);
  });
}
