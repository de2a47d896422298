import { describe, expect, test } from "bun:test";
import {
  afterSettle,
  backoffMs,
  counterKeys,
  decide,
  DEFAULT_LOGIN_POLICY,
  remainingMs,
  throttleAddress,
  withFailure,
  type Admission,
  type BackoffPolicy,
  type LoginAttempt,
  type Streaks,
} from "../../../src/auth/loginThrottle.ts";
import { SingleNodeLoginThrottle } from "../../../src/auth/singleNodeLoginThrottle.ts";
import { loginThrottleCases } from "./loginThrottleCases.ts";

const P = DEFAULT_LOGIN_POLICY;
const NOW = 1_000_000;

describe("backoffMs: the wait after n consecutive failures", () => {
  test.each<[string, BackoffPolicy, number, number]>([
    ["pair", P.pair, 0, 0],
    ["pair", P.pair, 3, 0], // three typos are free
    ["pair", P.pair, 4, 1000],
    ["pair", P.pair, 5, 2000],
    ["pair", P.pair, 9, 32_000],
    ["pair", P.pair, 10, 60_000], // capped
    ["pair", P.pair, 5000, 60_000], // no overflow
    ["address", P.address, 10, 0],
    ["address", P.address, 11, 1000],
    ["address", P.address, 17, 60_000],
    ["account", P.account, 10, 0],
    ["account", P.account, 11, 250],
    ["account", P.account, 13, 1000],
    ["account", P.account, 14, 2000], // a delay, capped at 2 s
    ["account", P.account, 100, 2000],
  ])("%s after %#: %i failures → %i ms", (_name, policy, failures, wait) => {
    expect(backoffMs(failures, policy)).toBe(wait);
  });
});

describe("remainingMs and forgetting", () => {
  test.each<[string, number, number, number]>([
    // failures, ms since the last one → remaining wait (pair policy)
    ["just failed", 5, 0, 2000],
    ["half way", 5, 1500, 500],
    ["waited out", 5, 2000, 0],
    ["free failures wait nothing", 3, 0, 0],
    ["idle past forgetAfterMs", 10, 120_001, 0],
  ])("%s", (_name, failures, since, remaining) => {
    expect(remainingMs({ failures, lastMs: NOW - since }, NOW, P.pair)).toBe(remaining);
  });

  test("a failure after the streak was forgotten starts from one", () => {
    expect(withFailure({ failures: 9, lastMs: NOW - 120_001 }, NOW, P.pair)).toEqual({ failures: 1, lastMs: NOW });
    expect(withFailure({ failures: 9, lastMs: NOW - 1000 }, NOW, P.pair)).toEqual({ failures: 10, lastMs: NOW });
  });
});

describe("decide: pair and address refuse, account only delays", () => {
  const s = (failures: number, since = 0) => ({ failures, lastMs: NOW - since });
  test.each<[string, Streaks, Admission]>([
    ["nothing known", {}, { admitted: true, delayMs: 0 }],
    ["free typos", { pair: s(3), address: s(3), account: s(3) }, { admitted: true, delayMs: 0 }],
    ["pair waiting", { pair: s(4) }, { admitted: false, retryAfterSeconds: 1 }],
    ["pair waiting, rounded up", { pair: s(5, 500) }, { admitted: false, retryAfterSeconds: 2 }],
    ["address waiting", { address: s(12) }, { admitted: false, retryAfterSeconds: 2 }],
    ["the longer of pair and address", { pair: s(4), address: s(13) }, { admitted: false, retryAfterSeconds: 4 }],
    ["account hot: delayed, not refused", { account: s(13) }, { admitted: true, delayMs: 1000 }],
    ["account very hot: the delay is capped", { account: s(500) }, { admitted: true, delayMs: 2000 }],
    ["account hot and pair waiting: refused", { pair: s(4), account: s(500) }, { admitted: false, retryAfterSeconds: 1 }],
    ["account cooled down", { account: s(13, 1000) }, { admitted: true, delayMs: 0 }],
  ])("%s", (_name, streaks, admission) => {
    expect(decide(streaks, NOW, P)).toEqual(admission);
  });
});

describe("afterSettle", () => {
  const s = { failures: 5, lastMs: NOW - 300 };
  test.each<[string, "pair" | "address" | "account", boolean, unknown]>([
    ["a failure keeps the reserved count; its wait runs from the answer", "pair", false, { failures: 5, lastMs: NOW }],
    ["the same for the account", "account", false, { failures: 5, lastMs: NOW }],
    ["a success clears the pair", "pair", true, undefined],
    ["a success gives the address its failure back", "address", true, { failures: 4, lastMs: NOW - 300 }],
    ["a success gives the account its failure back", "account", true, { failures: 4, lastMs: NOW - 300 }],
    ["the last failure given back clears", "address", true, undefined],
  ])("%s", (name, counter, ok, expected) => {
    const streak = name.startsWith("the last") ? { failures: 1, lastMs: NOW } : s;
    expect(afterSettle(counter, streak, ok, NOW)).toEqual(expected as never);
  });

  test("nothing to settle when the counter was forgotten meanwhile", () => {
    expect(afterSettle("pair", undefined, false, NOW)).toBeUndefined();
  });
});

describe("counter keys", () => {
  test.each<[LoginAttempt, Record<string, string>]>([
    [{ account: "user:7", address: "10.0.0.1" }, { address: "address:10.0.0.1", pair: "pair:user:7|10.0.0.1", account: "account:user:7" }],
    [{ address: "10.0.0.1" }, { address: "address:10.0.0.1" }], // $app, $oauthtoken: no account
    [{ address: "::ffff:10.0.0.1" }, { address: "address:10.0.0.1" }],
    [{ address: "2001:db8:1:2:aaaa::1" }, { address: "address:2001:db8:1:2::/64" }],
    [{ address: "2001:db8:1:2:bbbb::9" }, { address: "address:2001:db8:1:2::/64" }], // same site
    [{ address: "unknown" }, { address: "address:unknown" }],
  ])("%j", (attempt, keys) => {
    expect(counterKeys(attempt)).toEqual(keys);
  });

  test("throttleAddress canonicalises", () => {
    expect(throttleAddress("2001:DB8:0:0:0:0:0:1")).toBe("2001:db8::/64");
  });
});

function throttle(opts: ConstructorParameters<typeof SingleNodeLoginThrottle>[0] = {}) {
  const clock = { ms: NOW };
  return { t: new SingleNodeLoginThrottle({ now: () => clock.ms, ...opts }), clock };
}

describe("SingleNodeLoginThrottle", () => {
  loginThrottleCases(async (clock) => new SingleNodeLoginThrottle({ now: () => clock.ms }));

  test("memory: idle counters are swept, and a hard bound holds under a flood of addresses", async () => {
    const { t, clock } = throttle({ maxEntries: 100 });
    for (let i = 0; i < 30; i++) await t.admit({ address: `10.1.0.${i}` });
    expect(t.size).toBe(30);
    clock.ms += 600_001;
    await t.admit({ address: "10.2.0.1" });
    expect(t.size).toBe(1);
    for (let i = 0; i < 1000; i++) await t.admit({ account: `user:${i}`, address: `10.3.${i >> 8}.${i & 255}` });
    expect(t.size).toBeLessThanOrEqual(100);
  });
});
