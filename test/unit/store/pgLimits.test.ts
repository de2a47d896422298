// The login throttle and the rate limiter over PostgreSQL (src/store/pg/nodeState/), against a real
// PostgreSQL (BERTH_TEST_DATABASE; skipped with a message when unset): the single-node cases, then
// what several nodes need, with two pools standing for two nodes.
import { describe, expect, test } from "bun:test";
import type { PgMetaDb } from "../../../src/store/pg/open";
import type { LoginAttempt } from "../../../src/auth/loginThrottle";
import { PgLoginThrottle } from "../../../src/auth/pgLoginThrottle";
import { PgLoginCounters } from "../../../src/store/pg/nodeState/loginCounters";
import { PgRateLimiter } from "../../../src/store/pg/nodeState/rateLimiter";
import { SharedTestRateLimiter } from "../../../src/notify/testRateLimit";
import { loginThrottleCases, NOW } from "../auth/loginThrottleCases";
import { rateLimiterCases } from "../auth/rateLimiterCases";
import { testDatabaseUrl, twoNodes } from "./pgScratch";

const url = testDatabaseUrl("pgLimits.test.ts");

describe.skipIf(!url)("login throttle and rate limits in PostgreSQL (BERTH_TEST_DATABASE)", () => {
  const nodes = twoNodes(url!);

  /** A node's throttle; on the database's clock unless given one. */
  function throttleOn(node: PgMetaDb, clock?: { ms: number }) {
    const counters = new PgLoginCounters(node.$client, clock && (() => clock.ms));
    return Object.assign(new PgLoginThrottle(counters), { size: () => counters.size() });
  }

  async function empty(): Promise<void> {
    await nodes.a.$client`TRUNCATE login_throttle_counters, rate_buckets`;
  }

  describe("PgLoginThrottle: the single-node cases", () => {
    loginThrottleCases(async (clock) => {
      await empty();
      return throttleOn(nodes.a, clock);
    });
  });

  describe("PgLoginThrottle on two nodes", () => {
    const bob = (address: string): LoginAttempt => ({ account: "user:2", address });

    test("two nodes' failures add up: 60 attempts spread over both, 4 admitted", async () => {
      await empty();
      const clock = { ms: NOW };
      const a = throttleOn(nodes.a, clock);
      const b = throttleOn(nodes.b, clock);
      const admissions = await Promise.all(Array.from({ length: 60 }, (_, i) => (i % 2 ? a : b).admit(bob("10.0.0.1"))));
      expect(admissions.filter((x) => x.admitted)).toHaveLength(4);
      // Refused on either node now, and a success settled on one clears the pair for both.
      expect((await a.admit(bob("10.0.0.1"))).admitted).toBe(false);
      expect((await b.admit(bob("10.0.0.1"))).admitted).toBe(false);
      await a.settle(bob("10.0.0.1"), true);
      expect((await b.admit(bob("10.0.0.1"))).admitted).toBe(true);
    });

    test("the database's clock by default: a streak counted on one node is seen on the other", async () => {
      await empty();
      const a = throttleOn(nodes.a);
      const b = throttleOn(nodes.b);
      for (let i = 0; i < 4; i++) expect((await (i % 2 ? a : b).admit(bob("10.0.0.2"))).admitted).toBe(true);
      expect(await a.admit(bob("10.0.0.2"))).toEqual({ admitted: false, retryAfterSeconds: 1 });
    });

    test("a counter deleted while an attempt waits for its lock (a login settled on the other node) is made again, not a crash", async () => {
      await empty();
      const a = throttleOn(nodes.a);
      const b = throttleOn(nodes.b);
      const alice: LoginAttempt = { account: "user:3", address: "10.0.0.3" };
      expect((await a.admit(alice)).admitted).toBe(true);
      // Node B's attempt finds the rows and waits for their locks, held here as a settling login holds them.
      const held = await nodes.a.$client.reserve();
      try {
        await held`BEGIN`;
        await held`SELECT key FROM login_throttle_counters FOR UPDATE`;
        const waiting = b.admit(alice);
        await Bun.sleep(100);
        await held`DELETE FROM login_throttle_counters`;
        await held`COMMIT`;
        // Before: B's SELECT … FOR UPDATE came back without the deleted rows and the update threw.
        expect((await waiting).admitted).toBe(true);
      } finally {
        held.release();
      }
      // B's reservation was counted in rows made again: three more admitted (four in all), then refused.
      expect((await a.admit(alice)).admitted).toBe(true);
      expect((await b.admit(alice)).admitted).toBe(true);
      expect((await a.admit(alice)).admitted).toBe(true);
      expect((await b.admit(alice)).admitted).toBe(false);
    });

    test("bounded: idle counters and refused attempts' placeholders are deleted", async () => {
      await empty();
      const clock = { ms: NOW };
      const t = throttleOn(nodes.a, clock);
      for (let i = 0; i < 30; i++) await t.admit({ address: `10.1.0.${i}` });
      expect(await t.size()).toBe(30);
      clock.ms += 600_001;
      await t.admit({ address: "10.2.0.1" });
      expect(await t.size()).toBe(1);
    });
  });

  describe("PgRateLimiter: the single-node cases", () => {
    rateLimiterCases(async (clock) => {
      await empty();
      return new PgRateLimiter(nodes.a.$client, { now: () => clock.ms });
    });
  });

  describe("PgRateLimiter on two nodes", () => {
    const P = { burst: 10, perSecond: 1 };

    test("one burst for all nodes: 40 concurrent takes over two nodes, 10 allowed", async () => {
      await empty();
      const a = new PgRateLimiter(nodes.a.$client, { now: () => NOW });
      const b = new PgRateLimiter(nodes.b.$client, { now: () => NOW });
      const decisions = await Promise.all(Array.from({ length: 40 }, (_, i) => (i % 2 ? a : b).take(["k", `other-${i % 3}`], P)));
      expect(decisions.filter((d) => d.allowed)).toHaveLength(10);
      expect(await b.take(["k"], P)).toEqual({ allowed: false, retryAfterSeconds: 1 });
    });

    test("the refill is computed from the stored time, on the database's clock by default", async () => {
      await empty();
      const a = new PgRateLimiter(nodes.a.$client);
      const b = new PgRateLimiter(nodes.b.$client);
      const fast = { burst: 1, perSecond: 20 };
      expect(await a.take(["k"], fast)).toEqual({ allowed: true });
      expect((await b.take(["k"], fast)).allowed).toBe(false);
      await Bun.sleep(60);
      expect(await b.take(["k"], fast)).toEqual({ allowed: true });
    });

    test("the test-notification allowance is the namespace's on every node: 10 at once, then one every 6 s", async () => {
      await empty();
      const clock = { ms: NOW };
      const a = new SharedTestRateLimiter(new PgRateLimiter(nodes.a.$client, { now: () => clock.ms }));
      const b = new SharedTestRateLimiter(new PgRateLimiter(nodes.b.$client, { now: () => clock.ms }));
      const decisions = await Promise.all(Array.from({ length: 16 }, (_, i) => (i % 2 ? a : b).take("acme")));
      expect(decisions.filter((d) => d.allowed)).toHaveLength(10);
      expect(await a.take("acme")).toEqual({ allowed: false, retryAfterSeconds: 6 });
      expect((await b.take("other-namespace")).allowed).toBe(true);
      clock.ms += 6_000;
      expect(await b.take("acme")).toEqual({ allowed: true });
      expect((await a.take("acme")).allowed).toBe(false);
    });

    test("bounded: buckets full again are purged", async () => {
      await empty();
      const clock = { ms: NOW };
      const limiter = new PgRateLimiter(nodes.a.$client, { now: () => clock.ms });
      for (let i = 0; i < 50; i++) await limiter.take([`k-${i}`], P);
      expect(await limiter.size()).toBe(50);
      clock.ms += 61_000;
      await limiter.take(["later"], P);
      expect(await limiter.size()).toBe(1);
    });
  });
});
