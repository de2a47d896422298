// The upload locks and the outbox claims over PostgreSQL (src/store/pg/nodeState/), against a real
// PostgreSQL (BERTH_TEST_DATABASE; skipped with a message when unset), with separate pools standing
// for separate nodes: two nodes never hold one upload session or one outbox row, and what a node
// held is free again when it dies.
import { describe, expect, test } from "bun:test";
import { openPostgres } from "../../../src/store/pg/open";
import { PgUploadLocks } from "../../../src/store/pg/nodeState/uploadLocks";
import type { DeliveryClaims } from "../../../src/notify/deliveryClaims";
import { PgDeliveryClaims } from "../../../src/store/pg/nodeState/deliveryClaims";
import { testDatabaseUrl, twoNodes } from "./pgScratch";

const url = testDatabaseUrl("pgNodeLocks.test.ts");

describe.skipIf(!url)("upload locks and outbox claims in PostgreSQL (BERTH_TEST_DATABASE)", () => {
  const nodes = twoNodes(url!);

  /** Ends, from the server's side, the sessions holding upload advisory locks: a node whose connection died. */
  async function killLockHolders(): Promise<number> {
    const [row] = await nodes.b.$client`SELECT count(pg_terminate_backend(pid))::int AS n FROM pg_locks WHERE locktype = 'advisory' AND granted AND pid <> pg_backend_pid() AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`;
    return row.n;
  }

  describe("PgUploadLocks", () => {
    test("40 requests on two nodes for one session at once: exactly one holds it", async () => {
      const a = new PgUploadLocks(nodes.a.$client);
      const b = new PgUploadLocks(nodes.b.$client);
      try {
        const got = await Promise.all(Array.from({ length: 40 }, (_, i) => (i % 2 ? a : b).tryLock("session-1")));
        expect(got.filter(Boolean)).toHaveLength(1);
        const holder = got.findIndex(Boolean) % 2 ? a : b;
        const other = holder === a ? b : a;
        // Busy on both nodes (the holder's own node included) until the holder unlocks.
        expect(await holder.tryLock("session-1")).toBe(false);
        expect(await other.tryLock("session-1")).toBe(false);
        expect(await other.tryLock("session-2")).toBe(true);
        await holder.unlock("session-1");
        expect(await other.tryLock("session-1")).toBe(true);
        expect(await holder.tryLock("session-1")).toBe(false);
        // An unlock by a node that does not hold the session frees nothing.
        await holder.unlock("session-1");
        expect(await holder.tryLock("session-1")).toBe(false);
      } finally {
        await a.close();
        await b.close();
      }
    });

    test("a node that stops lets go of its sessions", async () => {
      const a = new PgUploadLocks(nodes.a.$client);
      const b = new PgUploadLocks(nodes.b.$client);
      try {
        expect(await a.tryLock("s")).toBe(true);
        expect(await b.tryLock("s")).toBe(false);
        await a.close();
        expect(await b.tryLock("s")).toBe(true);
      } finally {
        await b.close();
      }
    });

    test("a node that dies (its pool closed, or its connection cut) lets go of its sessions", async () => {
      const dying = await openPostgres(nodes.url, { max: 2 });
      const a = new PgUploadLocks(dying.$client);
      const b = new PgUploadLocks(nodes.b.$client);
      try {
        expect(await a.tryLock("s-pool")).toBe(true);
        expect(await b.tryLock("s-pool")).toBe(false);
        await dying.$client.close({ timeout: 0 }); // no waiting for its queries: gone at once
        // The server notices the session's end at once: no lease to wait out.
        expect(await waitFor(() => b.tryLock("s-pool"))).toBe(true);

        const c = new PgUploadLocks(nodes.a.$client);
        expect(await c.tryLock("s-cut")).toBe(true);
        await b.unlock("s-pool");
        expect(await killLockHolders()).toBe(1);
        expect(await waitFor(() => b.tryLock("s-cut"))).toBe(true);
        // The cut node finds out at its next lock, and takes a new connection after.
        await expect(c.tryLock("s-other")).rejects.toThrow();
        expect(await c.tryLock("s-other")).toBe(true);
        expect(await c.tryLock("s-cut")).toBe(false);
        await c.close();
      } finally {
        await b.close();
      }
    });
  });

  describe("PgDeliveryClaims", () => {
    test("40 claims of one row on two nodes at once: exactly one succeeds; released, the other node claims it", async () => {
      // Held to notify's interface: what the delivery worker would be given.
      const a: DeliveryClaims = new PgDeliveryClaims(nodes.a.$client);
      const b: DeliveryClaims = new PgDeliveryClaims(nodes.b.$client);
      const got = await Promise.all(Array.from({ length: 40 }, (_, i) => (i % 2 ? a : b).claim(1)));
      expect(got.filter(Boolean)).toHaveLength(1);
      const holder = got.findIndex(Boolean) % 2 ? a : b;
      const other = holder === a ? b : a;
      expect(await holder.claim(1)).toBe(false);
      expect(await other.claim(2)).toBe(true);
      await other.release(1); // not its claim: nothing happens
      expect(await other.claim(1)).toBe(false);
      await holder.release(1);
      expect(await other.claim(1)).toBe(true);
    });

    test("a dead node's claim lapses with its lease; its late release cannot free the new holder's claim", async () => {
      const clock = { ms: 1_000_000 };
      const a = new PgDeliveryClaims(nodes.a.$client, { leaseMs: 30_000, now: () => clock.ms });
      const b = new PgDeliveryClaims(nodes.b.$client, { leaseMs: 30_000, now: () => clock.ms });
      expect(await a.claim(10)).toBe(true);
      clock.ms += 29_999;
      expect(await b.claim(10)).toBe(false);
      clock.ms += 1;
      expect(await b.claim(10)).toBe(true);
      await a.release(10);
      expect(await a.claim(10)).toBe(false);
    });

    test("expired claims are purged", async () => {
      const clock = { ms: 5_000_000 };
      const a = new PgDeliveryClaims(nodes.a.$client, { leaseMs: 1000, now: () => clock.ms });
      for (let id = 100; id < 120; id++) expect(await a.claim(id)).toBe(true);
      clock.ms += 120_000;
      expect(await a.claim(200)).toBe(true);
      const [row] = await nodes.a.$client`SELECT count(*)::int AS n FROM delivery_claims WHERE delivery_id >= 100`;
      expect(row.n).toBe(1);
    });
  });
});

/** What `attempt` answers once true, or false after a second of trying (the server ends a killed session asynchronously). */
async function waitFor(attempt: () => Promise<boolean>): Promise<boolean> {
  for (let i = 0; i < 50; i++) {
    if (await attempt()) return true;
    await Bun.sleep(20);
  }
  return false;
}
