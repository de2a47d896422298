// How a collection pass gives way: yields between batches, rests to keep to its share of the
// event loop, and leaves a gap after each transaction; a fake clock, no sleeps.
import { describe, expect, test } from "bun:test";
import { Pacer, type PacerClock, type PacerOptions } from "../../../src/registry/lifecycle/pacer";

/** A clock the test moves; records what the pacer did between batches. */
function fakeClock() {
  const did: string[] = [];
  let t = 0;
  const clock: PacerClock = {
    now: () => t,
    sleep: async (ms) => {
      did.push(`sleep ${ms}`);
      t += ms;
    },
    yieldOnce: async () => {
      did.push("yield");
    },
  };
  return { clock, did, work: (ms: number) => (t += ms) };
}

describe("Pacer", () => {
  test.each<[string, PacerOptions, [number, boolean][], string[]]>([
    ["by default it only yields, however long the batch worked", {}, [[1, false], [40, true]], ["yield", "yield"]],
    ["share 0.5 rests as long as the batch worked", { share: 0.5 }, [[10, false], [4, true]], ["sleep 10", "sleep 4"]],
    ["share 0.25 rests three times as long", { share: 0.25 }, [[2, false]], ["sleep 6"]],
    ["a batch shorter than a millisecond of rest yields", { share: 0.5 }, [[0.5, false]], ["yield"]],
    ["a gap follows a transaction, not a read", { writeGapMs: 5 }, [[1, false], [1, true]], ["yield", "sleep 5"]],
    ["the longer of gap and rest wins", { share: 0.5, writeGapMs: 5 }, [[20, true], [2, true]], ["sleep 20", "sleep 5"]],
  ])("%s", async (_name, opts, batches, want) => {
    const { clock, did, work } = fakeClock();
    const pacer = new Pacer(opts, clock);
    for (const [ms, wrote] of batches) {
      work(ms);
      await pacer.breathe(wrote);
    }
    expect(did).toEqual(want);
  });

  test("rest counts from where the last one ended, not from the start", async () => {
    const { clock, did, work } = fakeClock();
    const pacer = new Pacer({ share: 0.5 }, clock);
    work(8);
    await pacer.breathe(); // rests 8
    work(3);
    await pacer.breathe(); // rests 3, not 11
    expect(did).toEqual(["sleep 8", "sleep 3"]);
  });
});
