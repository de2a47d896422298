// One run per key at a time: what 32 concurrent first pulls of one blob rely on.
import { expect, test } from "bun:test";
import { SingleFlight } from "../../../src/proxy/singleFlight";

test("callers of a running key share its run; a finished key runs again; other keys run apart", async () => {
  const flights = new SingleFlight<number>();
  let runs = 0;
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  const run = async () => {
    runs++;
    await gate;
    return runs;
  };
  const all = Array.from({ length: 32 }, () => flights.do("a", run));
  expect(flights.current("a")).toBeDefined();
  const other = flights.do("b", async () => -1);
  release();
  expect(new Set(await Promise.all(all)).size).toBe(1);
  expect(await other).toBe(-1);
  expect(runs).toBe(1);
  expect(flights.current("a")).toBeUndefined();
  await flights.do("a", run);
  expect(runs).toBe(2);
});

test("a failed run fails every caller and is forgotten", async () => {
  const flights = new SingleFlight<void>();
  const failing = () => flights.do("k", async () => Promise.reject(new Error("upstream down")));
  const results = await Promise.allSettled([failing(), failing()]);
  expect(results.map((r) => r.status)).toEqual(["rejected", "rejected"]);
  expect(flights.current("k")).toBeUndefined();
});
