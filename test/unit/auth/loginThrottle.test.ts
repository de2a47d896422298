import { describe, expect, test } from "bun:test";
import { LoginThrottle } from "../../../src/auth/loginThrottle.ts";

function throttle(opts: ConstructorParameters<typeof LoginThrottle>[0] = {}) {
  const clock = { ms: 1_000_000 };
  return { t: new LoginThrottle({ now: () => clock.ms, ...opts }), clock };
}

const keys = ["user:alice", "ip:10.0.0.1"];

describe("LoginThrottle", () => {
  // After the n-th consecutive failure: the wait (ms) imposed before the next attempt.
  test.each<[number, number]>([
    [1, 0], [2, 0], [3, 0], // three free failures
    [4, 1000], [5, 2000], [6, 4000], [7, 8000], [8, 16_000], [9, 32_000],
    [10, 60_000], [11, 60_000], [50, 60_000], [2000, 60_000], // capped
  ])("failure #%i → wait %i ms", (n, wait) => {
    const { t, clock } = throttle();
    for (let i = 0; i < n; i++) {
      clock.ms += 1000; // a steady stream of attempts, never idle long enough to be forgotten
      t.failure(keys);
    }
    const start = clock.ms;
    if (wait === 0) {
      expect(t.check(keys)).toEqual({ allowed: true });
      return;
    }
    expect(t.check(keys)).toEqual({ allowed: false, retryAfterSeconds: wait / 1000 });
    clock.ms = start + wait - 1;
    expect(t.check(keys)).toEqual({ allowed: false, retryAfterSeconds: 1 });
    clock.ms = start + wait;
    expect(t.check(keys)).toEqual({ allowed: true });
  });

  test("retryAfterSeconds rounds up and reports the longest wait among the keys", () => {
    const { t, clock } = throttle({ baseMs: 1500, freeFailures: 0 });
    t.failure(["ip:1"]); // 1.5 s
    t.failure(["user:a"]);
    t.failure(["user:a"]); // 3 s
    expect(t.check(["ip:1"])).toEqual({ allowed: false, retryAfterSeconds: 2 });
    expect(t.check(["ip:1", "user:a"])).toEqual({ allowed: false, retryAfterSeconds: 3 });
    expect(t.check(["ip:2", "user:b"])).toEqual({ allowed: true });
    clock.ms += 1500;
    expect(t.check(["ip:1"])).toEqual({ allowed: true });
  });

  test("any blocked key blocks the attempt; keys are counted independently", () => {
    const { t } = throttle();
    for (const ip of ["ip:1", "ip:2", "ip:3", "ip:4"]) t.failure(["user:alice", ip]);
    expect(t.check(["user:alice", "ip:9"]).allowed).toBe(false); // account under attack from many addresses
    expect(t.check(["user:bob", "ip:1"]).allowed).toBe(true); // each address failed once only
  });

  test("duplicate keys in one call count once", () => {
    const { t } = throttle({ freeFailures: 1 });
    t.failure(["k", "k"]);
    expect(t.check(["k"]).allowed).toBe(true);
  });

  test("success resets the given keys only", () => {
    const { t } = throttle();
    for (let i = 0; i < 5; i++) t.failure(keys);
    expect(t.check(keys).allowed).toBe(false);
    t.success(["user:alice"]);
    expect(t.check(["user:alice"]).allowed).toBe(true);
    expect(t.check(["ip:10.0.0.1"]).allowed).toBe(false);
    t.success(["ip:10.0.0.1"]);
    expect(t.check(keys)).toEqual({ allowed: true });
    t.failure(keys);
    expect(t.check(keys)).toEqual({ allowed: true }); // the streak starts again from zero
  });

  test("a streak idle for more than 2·maxMs is forgotten", () => {
    const { t, clock } = throttle({ maxMs: 10_000 });
    for (let i = 0; i < 4; i++) t.failure(["k"]);
    clock.ms += 20_001;
    t.failure(["k"]); // counts as the first failure again
    expect(t.check(["k"]).allowed).toBe(true);
  });

  test("memory: idle entries are swept, and a hard bound holds under a flood of addresses", () => {
    const { t, clock } = throttle({ maxMs: 1000, maxEntries: 100 });
    for (let i = 0; i < 50; i++) t.failure([`ip:${i}`]);
    expect(t.size).toBe(50);
    clock.ms += 2001;
    t.failure(["ip:new"]);
    expect(t.size).toBe(1);
    for (let i = 0; i < 1000; i++) t.failure([`ip:flood${i}`]);
    expect(t.size).toBeLessThanOrEqual(100);
  });
});
