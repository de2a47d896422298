// The lifecycle's cluster-wide lease over PostgreSQL (src/store/pg/nodeState/lifecycleLease.ts,
// src/registry/lifecycle/leasedScheduler.ts), against a real PostgreSQL (BERTH_TEST_DATABASE;
// skipped with a message when unset): pools standing for nodes, one runs the passes at a time, and
// when it stops or dies another takes over.
import { describe, expect, test } from "bun:test";
import { createLogger } from "../../../src/log";
import { LeasedLifecycleScheduler, NOT_HOLDER } from "../../../src/registry/lifecycle/leasedScheduler";
import type { LifecycleTask } from "../../../src/registry/lifecycle/scheduler";
import { openPostgres } from "../../../src/store/pg/open";
import { PgLifecycleLease } from "../../../src/store/pg/nodeState/lifecycleLease";
import { testDatabaseUrl, twoNodes } from "./pgScratch";

const url = testDatabaseUrl("pgLifecycleLease.test.ts");
const log = createLogger({ requests: false, write: () => {} });

/** A collection that notes which node ran it, and whether two ran at once anywhere. */
function collector(node: string, seen: { runs: string[]; running: number; overlaps: number }): LifecycleTask {
  return {
    name: "collect",
    async run() {
      seen.runs.push(node);
      if (++seen.running > 1) seen.overlaps++;
      await Bun.sleep(5);
      seen.running--;
      return "done";
    },
  };
}

/** Waits until `done` (polling), failing after 10 s. */
async function until(done: () => boolean): Promise<void> {
  for (let i = 0; i < 1000 && !done(); i++) await Bun.sleep(10);
  if (!done()) throw new Error("not reached within 10 s");
}

describe.skipIf(!url)("the lifecycle's cluster-wide lease in PostgreSQL (BERTH_TEST_DATABASE)", () => {
  const nodes = twoNodes(url!);

  /** Node A's and node B's schedulers without an interval (runOnce only). */
  function onDemand() {
    const seen = { runs: [] as string[], running: 0, overlaps: 0 };
    const a = new LeasedLifecycleScheduler([collector("a", seen)], new PgLifecycleLease(nodes.a.$client), 0, log);
    const b = new LeasedLifecycleScheduler([collector("b", seen)], new PgLifecycleLease(nodes.b.$client), 0, log);
    return { seen, a, b };
  }

  test("the lease taken by node A refuses node B until A stops; then B runs the passes", async () => {
    const { seen, a, b } = onDemand();
    try {
      expect(await a.runOnce()).toEqual(["collect: done"]);
      expect(await b.runOnce()).toEqual([NOT_HOLDER]);
      expect(await a.runOnce()).toEqual(["collect: done"]); // the holder keeps it
      await a.stop();
      expect(await b.runOnce()).toEqual(["collect: done"]);
      expect(seen.runs).toEqual(["a", "a", "b"]);
    } finally {
      await a.stop();
      await b.stop();
    }
  });

  test("on intervals, two nodes never run a pass at once; the holder dies and the other takes over", async () => {
    const seen = { runs: [] as string[], running: 0, overlaps: 0 };
    const dying = await openPostgres(nodes.url, { max: 2 });
    const a = new LeasedLifecycleScheduler([collector("a", seen)], new PgLifecycleLease(dying.$client), 10, log);
    const b = new LeasedLifecycleScheduler([collector("b", seen)], new PgLifecycleLease(nodes.b.$client), 10, log);
    try {
      a.start();
      await until(() => seen.runs.length > 0); // a holds the lease before b starts asking
      b.start();
      await until(() => seen.runs.length > 10);
      expect(seen.runs).not.toContain("b");
      expect(seen.overlaps).toBe(0); // while both live, never two passes at once
      // Node A dies: its connections end without a word (no stop(), no release).
      await dying.$client.close({ timeout: 0 });
      const before = seen.runs.length;
      await until(() => seen.runs.slice(before).filter((n) => n === "b").length > 3);
      // At most the pass under way when A died ran on A after it. A cut connection cannot stop that
      // pass, so it may still be running when B takes the lease (docs/POSTGRES.md): that one
      // overlap at most, no other.
      expect(seen.runs.slice(before).filter((n) => n === "a").length).toBeLessThanOrEqual(1);
      expect(seen.overlaps).toBeLessThanOrEqual(1);
    } finally {
      await a.stop();
      await b.stop();
    }
  });

  test("a holder whose connection is cut stops at its next tick; the other node takes over", async () => {
    const { seen, a, b } = onDemand();
    try {
      expect(await a.runOnce()).toEqual(["collect: done"]);
      expect(await b.runOnce()).toEqual([NOT_HOLDER]);
      const [cut] = await nodes.b.$client`SELECT count(pg_terminate_backend(pid))::int AS n FROM pg_locks WHERE locktype = 'advisory' AND granted AND pid <> pg_backend_pid() AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`;
      expect(cut.n).toBe(1);
      await Bun.sleep(50); // the server ends the session asynchronously
      expect(await b.runOnce()).toEqual(["collect: done"]);
      expect(await a.runOnce()).toEqual([NOT_HOLDER]);
    } finally {
      await a.stop();
      await b.stop();
    }
  });
});
