// The per-namespace allowance for test notifications, on an injected clock.
import { describe, expect, test } from "bun:test";
import { InProcessTestRateLimiter } from "../../../src/notify/testRateLimit";

function limiter(opts: { burst: number; refillMs: number; maxKeys?: number }) {
  const clock = { now: 1_000_000 };
  return { clock, limit: new InProcessTestRateLimiter({ ...opts, now: () => clock.now }) };
}

/** Whether each of `n` takes in a row was allowed. */
async function allowedInTurn(limit: InProcessTestRateLimiter, key: string, n: number): Promise<boolean[]> {
  const out: boolean[] = [];
  for (let i = 0; i < n; i++) out.push((await limit.take(key)).allowed);
  return out;
}

describe("InProcessTestRateLimiter", () => {
  test("a burst is allowed, then one more per refill period, with Retry-After seconds", async () => {
    const { clock, limit } = limiter({ burst: 3, refillMs: 10_000 });
    expect(await allowedInTurn(limit, "acme", 3)).toEqual([true, true, true]);
    expect(await limit.take("acme")).toEqual({ allowed: false, retryAfterSeconds: 10 });
    clock.now += 4_000;
    expect(await limit.take("acme")).toEqual({ allowed: false, retryAfterSeconds: 6 });
    clock.now += 6_000;
    expect(await limit.take("acme")).toEqual({ allowed: true });
    expect((await limit.take("acme")).allowed).toBe(false);
  });

  test("refused attempts do not push the next allowance further away", async () => {
    const { clock, limit } = limiter({ burst: 1, refillMs: 1_000 });
    expect((await limit.take("acme")).allowed).toBe(true);
    for (let i = 0; i < 50; i++) expect((await limit.take("acme")).allowed).toBe(false);
    clock.now += 1_000;
    expect((await limit.take("acme")).allowed).toBe(true);
  });

  test("keys are independent: one namespace's burst leaves another's intact", async () => {
    const { limit } = limiter({ burst: 2, refillMs: 60_000 });
    await limit.take("flood");
    await limit.take("flood");
    expect((await limit.take("flood")).allowed).toBe(false);
    expect((await limit.take("acme")).allowed).toBe(true);
  });

  test("an idle bucket refills to the burst, never beyond", async () => {
    const { clock, limit } = limiter({ burst: 2, refillMs: 1_000 });
    await limit.take("acme");
    clock.now += 3_600_000;
    expect(await allowedInTurn(limit, "acme", 3)).toEqual([true, true, false]);
  });

  test("at most maxKeys are remembered; forgotten full buckets change nothing", async () => {
    const { clock, limit } = limiter({ burst: 1, refillMs: 1_000, maxKeys: 2 });
    await limit.take("a");
    await limit.take("b");
    clock.now += 1_000;
    // a and b are full again and may be forgotten; c is new.
    await limit.take("c");
    expect((await limit.take("c")).allowed).toBe(false);
    expect((await limit.take("a")).allowed).toBe(true);
  });
});
