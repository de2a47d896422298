import { describe, expect, test } from "bun:test";
import { bucketKeys, fullAtMs, ratePolicies, refilled, RequestLimits, takeFrom, type Bucket, type BucketPolicy } from "../../../src/auth/rateLimits";
import { SingleNodeRateLimiter } from "../../../src/auth/singleNodeRateLimiter";
import { rateLimiterCases } from "./rateLimiterCases";
import { loadConfig } from "../../../src/config";

const P: BucketPolicy = { burst: 4, perSecond: 2 };
const NOW = 1_000_000;

describe("refilled: a bucket as it stands at a later time", () => {
  test.each<[string, Bucket | undefined, number, number]>([
    ["a missing bucket is full", undefined, NOW, 4],
    ["no time, no tokens", { tokens: 0, atMs: NOW }, NOW, 0],
    ["half a second at 2/s is one token", { tokens: 0, atMs: NOW }, NOW + 500, 1],
    ["fractions count", { tokens: 0, atMs: NOW }, NOW + 250, 0.5],
    ["never above the burst", { tokens: 3, atMs: NOW }, NOW + 60_000, 4],
    ["a clock going back adds nothing", { tokens: 1, atMs: NOW }, NOW - 10_000, 1],
  ])("%s", (_, bucket, at, tokens) => {
    expect(refilled(bucket, at, P)).toEqual({ tokens, atMs: at });
  });

  test("fullAtMs: when an emptied bucket is the same as none", () => {
    expect(fullAtMs({ tokens: 0, atMs: NOW }, P)).toBe(NOW + 2000);
    expect(fullAtMs({ tokens: 4, atMs: NOW }, P)).toBe(NOW);
  });
});

describe("takeFrom: one token from each bucket, or none", () => {
  test.each<[string, (Bucket | undefined)[], boolean, number[], number | null]>([
    ["fresh buckets give one each", [undefined, undefined], true, [3, 3], null],
    ["the last token", [{ tokens: 1, atMs: NOW }], true, [0], null],
    ["an empty bucket refuses, Retry-After the time to one token", [{ tokens: 0, atMs: NOW }], false, [0], 1],
    ["at 2/s a token takes half a second: Retry-After is at least 1", [{ tokens: 0.9, atMs: NOW }], false, [0.9], 1],
    ["one empty bucket refuses for both, the full one keeps its tokens", [undefined, { tokens: 0, atMs: NOW }], false, [4, 0], 1],
  ])("%s", (_, buckets, allowed, tokens, retryAfter) => {
    const out = takeFrom(buckets, NOW, P);
    expect(out.allowed).toBe(allowed);
    expect(out.buckets.map((b) => b.tokens)).toEqual(tokens);
    expect(out.allowed ? null : out.retryAfterSeconds).toBe(retryAfter);
  });

  test("a slow refill says how long: at one token per 10 s, Retry-After 10", () => {
    const out = takeFrom([{ tokens: 0, atMs: NOW }], NOW, { burst: 1, perSecond: 0.1 });
    expect(out).toMatchObject({ allowed: false, retryAfterSeconds: 10 });
  });
});

describe("bucketKeys", () => {
  test.each<[string, Parameters<typeof bucketKeys>[1], string[]]>([
    ["an address", { address: "192.0.2.1" }, ["v2Write|address|192.0.2.1"]],
    ["IPv6 counts per /64", { address: "2001:db8:1:2:aaaa::1" }, ["v2Write|address|2001:db8:1:2::/64"]],
    ["an account too", { address: "192.0.2.1", account: { kind: "robot", name: "org+ci" } }, ["v2Write|address|192.0.2.1", "v2Write|robot|org+ci"]],
    ["an account alone", { account: { kind: "user", name: "alice" } }, ["v2Write|user|alice"]],
  ])("%s", (_, who, keys) => {
    expect(bucketKeys("v2Write", who)).toEqual(keys);
  });
});

describe("ratePolicies: the settings", () => {
  const config = (flags: Record<string, string> = {}) => loadConfig(flags, {});

  test("by default: token requests, /v2 writes and API v1 writes; reads not", () => {
    expect(ratePolicies(config())).toEqual({
      auth: { perSecond: 10, burst: 100 },
      v2Write: { perSecond: 100, burst: 1000 },
      v1Write: { perSecond: 10, burst: 100 },
    });
  });

  test("a rate of 0 turns a class off; reads can be turned on; rateLimits false turns all off", () => {
    expect(ratePolicies(config({ rateLimitV1WritesPerSecond: "0", rateLimitReadsPerSecond: "50", rateLimitReadsBurst: "200" }))).toEqual({
      auth: { perSecond: 10, burst: 100 },
      v2Write: { perSecond: 100, burst: 1000 },
      read: { perSecond: 50, burst: 200 },
    });
    expect(ratePolicies(config({ rateLimits: "false" }))).toEqual({});
  });

  test("from the environment, fractional rates included", () => {
    const c = loadConfig({}, { BERTH_RATE_LIMIT_AUTH_PER_SECOND: "0.5", BERTH_RATE_LIMIT_AUTH_BURST: "5" });
    expect(ratePolicies(c).auth).toEqual({ perSecond: 0.5, burst: 5 });
  });

  test("RequestLimits: a class that is off allows without asking the buckets", async () => {
    const asked: string[][] = [];
    const limits = new RequestLimits({ v2Write: P }, { take: async (keys) => (asked.push([...keys]), { allowed: false, retryAfterSeconds: 1 }) });
    expect(limits.on("read")).toBe(false);
    expect(await limits.take("read", { address: "192.0.2.1" })).toEqual({ allowed: true });
    expect(await limits.take("v2Write", { address: "192.0.2.1" })).toEqual({ allowed: false, retryAfterSeconds: 1 });
    expect(asked).toEqual([["v2Write|address|192.0.2.1"]]);
  });
});

describe("SingleNodeRateLimiter", () => {
  rateLimiterCases(async (clock) => new SingleNodeRateLimiter({ now: () => clock.ms }));

  test("memory is bounded: refilled buckets are forgotten first, then the least recently used", async () => {
    let now = NOW;
    const limiter = new SingleNodeRateLimiter({ maxBuckets: 100, now: () => now });
    for (let i = 0; i < 100; i++) await limiter.take([`old-${i}`], P);
    expect(limiter.size).toBe(100);
    // Two seconds on, the old buckets are full again: the same as none.
    now += 2_000;
    await limiter.take(["new"], P);
    expect(limiter.size).toBe(1);
    // A flood of keys all still busy: the least recently used go, the busiest key keeps its count.
    for (let i = 0; i < 1000; i++) {
      await limiter.take([`flood-${i}`], P);
      await limiter.take(["busy"], { burst: 10_000, perSecond: 1 });
      expect(limiter.size).toBeLessThanOrEqual(100);
    }
    for (let i = 0; i < 9_000; i++) await limiter.take(["busy"], { burst: 10_000, perSecond: 1 });
    expect((await limiter.take(["busy"], { burst: 10_000, perSecond: 1 })).allowed).toBe(false);
  });

  test("idle buckets go in the minute's sweep without any flood", async () => {
    let now = NOW;
    const limiter = new SingleNodeRateLimiter({ now: () => now });
    for (let i = 0; i < 50; i++) await limiter.take([`k-${i}`], P);
    now += 61_000;
    await limiter.take(["later"], P);
    expect(limiter.size).toBe(1);
  });
});
