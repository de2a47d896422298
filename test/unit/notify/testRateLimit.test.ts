// The per-namespace allowance for test notifications, on an injected clock.
import { describe, expect, test } from "bun:test";
import { InProcessTestRateLimiter } from "../../../src/notify/testRateLimit";

function limiter(opts: { burst: number; refillMs: number; maxKeys?: number }) {
  const clock = { now: 1_000_000 };
  return { clock, limit: new InProcessTestRateLimiter({ ...opts, now: () => clock.now }) };
}

describe("InProcessTestRateLimiter", () => {
  test("a burst is allowed, then one more per refill period, with Retry-After seconds", () => {
    const { clock, limit } = limiter({ burst: 3, refillMs: 10_000 });
    expect([1, 2, 3].map(() => limit.take("acme").allowed)).toEqual([true, true, true]);
    expect(limit.take("acme")).toEqual({ allowed: false, retryAfterSeconds: 10 });
    clock.now += 4_000;
    expect(limit.take("acme")).toEqual({ allowed: false, retryAfterSeconds: 6 });
    clock.now += 6_000;
    expect(limit.take("acme")).toEqual({ allowed: true });
    expect(limit.take("acme").allowed).toBe(false);
  });

  test("refused attempts do not push the next allowance further away", () => {
    const { clock, limit } = limiter({ burst: 1, refillMs: 1_000 });
    expect(limit.take("acme").allowed).toBe(true);
    for (let i = 0; i < 50; i++) expect(limit.take("acme").allowed).toBe(false);
    clock.now += 1_000;
    expect(limit.take("acme").allowed).toBe(true);
  });

  test("keys are independent: one namespace's burst leaves another's intact", () => {
    const { limit } = limiter({ burst: 2, refillMs: 60_000 });
    limit.take("flood");
    limit.take("flood");
    expect(limit.take("flood").allowed).toBe(false);
    expect(limit.take("acme").allowed).toBe(true);
  });

  test("an idle bucket refills to the burst, never beyond", () => {
    const { clock, limit } = limiter({ burst: 2, refillMs: 1_000 });
    limit.take("acme");
    clock.now += 3_600_000;
    expect([1, 2, 3].map(() => limit.take("acme").allowed)).toEqual([true, true, false]);
  });

  test("at most maxKeys are remembered; forgotten full buckets change nothing", () => {
    const { clock, limit } = limiter({ burst: 1, refillMs: 1_000, maxKeys: 2 });
    limit.take("a");
    limit.take("b");
    clock.now += 1_000;
    // a and b are full again and may be forgotten; c is new.
    limit.take("c");
    expect(limit.take("c").allowed).toBe(false);
    expect(limit.take("a").allowed).toBe(true);
  });
});
