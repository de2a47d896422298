// The read cache on several nodes (src/store/pg/nodeState/readCache.ts) against a real PostgreSQL
// (BERTH_TEST_DATABASE; skipped with a message when unset): two pools for two nodes, a shared
// value standing for a row both read; each way a node hears of a change is tested on its own.
import { describe, expect, test } from "bun:test";
import { PgReadCache } from "../../../src/store/pg/nodeState/readCache";
import { testDatabaseUrl, twoNodes } from "./pgScratch";

const url = testDatabaseUrl("pgReadCache.test.ts");
const HOUR = 3_600_000;

/** Waits until `done` (polling), failing after 10 s. */
async function until(done: () => boolean): Promise<void> {
  for (let i = 0; i < 1000 && !done(); i++) await Bun.sleep(10);
  if (!done()) throw new Error("not reached within 10 s");
}

describe.skipIf(!url)("PgReadCache (BERTH_TEST_DATABASE)", () => {
  const nodes = twoNodes(url!);
  /** The row both nodes read. */
  const row = { visibility: "private" };
  const read = (cache: PgReadCache) => cache.get("repo:a/b", () => row.visibility);

  test("a write on node A clears node B's memory through NOTIFY (no poll, no expiry within the test)", async () => {
    const a = await PgReadCache.open(nodes.a.$client, { pollMs: HOUR, ttlMs: HOUR });
    const b = await PgReadCache.open(nodes.b.$client, { pollMs: HOUR, ttlMs: HOUR });
    try {
      row.visibility = "private";
      expect(read(a)).toBe("private");
      expect(read(b)).toBe("private");
      row.visibility = "public"; // node A's write commits...
      expect(read(b)).toBe("private"); // (remembered: that is what a cache is)
      a.clear(); // ...and clears
      expect(read(a)).toBe("public");
      await until(() => b.size === 0);
      expect(read(b)).toBe("public");
    } finally {
      await a.close();
      await b.close();
    }
  });

  test("a notification lost while node B's listening connection is down: the reconnect or the change counter clears B", async () => {
    const a = await PgReadCache.open(nodes.a.$client, { pollMs: HOUR, ttlMs: HOUR });
    const b = await PgReadCache.open(nodes.b.$client, { pollMs: 50, ttlMs: HOUR });
    try {
      row.visibility = "private";
      expect(read(b)).toBe("private");
      await Bun.sleep(100); // b's poll has seen the counter as it stands
      // B's listener goes; A's announcement is sent while nobody of B's listens.
      const [cut] = await nodes.a.$client`SELECT count(pg_terminate_backend(pid))::int AS n FROM pg_stat_activity WHERE query ILIKE 'LISTEN%' AND pid <> pg_backend_pid() AND datname = current_database()`;
      expect(cut.n).toBeGreaterThanOrEqual(1);
      row.visibility = "public";
      a.clear();
      await until(() => b.size === 0);
      expect(read(b)).toBe("public");
    } finally {
      await a.close();
      await b.close();
    }
  });

  test("the change counter alone: a counted change whose notification never came clears B at its next poll", async () => {
    const b = await PgReadCache.open(nodes.b.$client, { pollMs: 50, ttlMs: HOUR });
    try {
      row.visibility = "private";
      expect(read(b)).toBe("private");
      await Bun.sleep(100);
      expect(b.size).toBe(1);
      row.visibility = "public";
      await nodes.a.$client`SELECT nextval('read_cache_changes')`; // counted, never notified
      await until(() => b.size === 0);
      expect(read(b)).toBe("public");
    } finally {
      await b.close();
    }
  });

  test("a read under way on node B when node A's change is heard is answered, not remembered", async () => {
    const a = await PgReadCache.open(nodes.a.$client, { pollMs: HOUR, ttlMs: HOUR });
    const b = await PgReadCache.open(nodes.b.$client, { pollMs: HOUR, ttlMs: HOUR });
    try {
      // B's read of the row, as PostgreSQL answers it: a promise that settles later.
      let settle!: (visibility: string) => void;
      const reading = b.get("repo:a/b", () => new Promise<string>((resolve) => (settle = resolve)));
      expect(b.get("probe", () => "remembered")).toBe("remembered");
      a.clear(); // A's write commits while B's read is under way
      await until(() => b.size === 0); // B heard it
      settle("private"); // what B read before A's write
      expect(await reading).toBe("private");
      expect(b.get("repo:a/b", () => "public")).toBe("public");
    } finally {
      await a.close();
      await b.close();
    }
  });

  test("a change nobody announced is answered at most ttlMs", async () => {
    const clock = { ms: 1_000_000 };
    const b = await PgReadCache.open(nodes.b.$client, { pollMs: HOUR, ttlMs: 5000, now: () => clock.ms });
    try {
      row.visibility = "private";
      expect(read(b)).toBe("private");
      row.visibility = "public";
      clock.ms += 4999;
      expect(read(b)).toBe("private");
      clock.ms += 1;
      expect(read(b)).toBe("public");
    } finally {
      await b.close();
    }
  });

  test("keep false: answered, not remembered; the memory is bounded", async () => {
    const b = await PgReadCache.open(nodes.b.$client, { pollMs: HOUR, ttlMs: HOUR });
    try {
      let loads = 0;
      const load = () => ++loads;
      b.get("k", load, () => false);
      b.get("k", load, () => false);
      expect(loads).toBe(2);
      for (let i = 0; i < 10_050; i++) b.get(`k${i}`, () => i);
      expect(b.size).toBeLessThanOrEqual(10_000);
    } finally {
      await b.close();
    }
  });
});
