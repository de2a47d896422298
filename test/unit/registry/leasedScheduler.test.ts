// The lifecycle on several nodes without a database: a lease in memory standing for the cluster's
// (the PostgreSQL one: test/unit/store/pgLifecycleLease.test.ts). Only the holder runs passes.
import { describe, expect, test } from "bun:test";
import { createLogger } from "../../../src/log";
import { LeasedLifecycleScheduler, NOT_HOLDER, type ClusterLease } from "../../../src/registry/lifecycle/leasedScheduler";

const log = createLogger({ requests: false, write: () => {} });

/** One lease for the "cluster"; each node's handle on it. */
function cluster() {
  const state = { holder: undefined as string | undefined };
  const handle = (node: string): ClusterLease => ({
    async tryHold() {
      state.holder ??= node;
      return state.holder === node;
    },
    async release() {
      if (state.holder === node) state.holder = undefined;
    },
  });
  return { state, handle };
}

describe("LeasedLifecycleScheduler", () => {
  test("runOnce runs on the holder only; stop() hands the lease over", async () => {
    const { state, handle } = cluster();
    const runs: string[] = [];
    const task = (node: string) => ({ name: "collect", run: async () => (runs.push(node), "done") });
    const a = new LeasedLifecycleScheduler([task("a")], handle("a"), 0, log);
    const b = new LeasedLifecycleScheduler([task("b")], handle("b"), 0, log);
    expect(await a.runOnce()).toEqual(["collect: done"]);
    expect(await b.runOnce()).toEqual([NOT_HOLDER]);
    await a.stop();
    expect(state.holder).toBeUndefined();
    expect(await a.runOnce()).toEqual([]); // stopped
    expect(await b.runOnce()).toEqual(["collect: done"]);
    expect(runs).toEqual(["a", "b"]);
    await b.stop();
  });

  test("the interval asks for the lease at every tick and runs the due tasks while held", async () => {
    const { state, handle } = cluster();
    state.holder = "elsewhere";
    let runs = 0;
    const s = new LeasedLifecycleScheduler([{ name: "collect", run: async () => (runs++, "done") }], handle("a"), 5, log);
    s.start();
    await Bun.sleep(50);
    expect(runs).toBe(0);
    state.holder = undefined; // the other node died
    for (let i = 0; i < 500 && runs < 3; i++) await Bun.sleep(10);
    expect(runs).toBeGreaterThanOrEqual(3);
    expect(state.holder as string | undefined).toBe("a"); // (TS narrowed it to undefined above)
    await s.stop();
    expect(state.holder).toBeUndefined();
  });
});
