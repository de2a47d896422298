// The lifecycle scheduler: tasks in order, one pass at a time, a failing task does not stop the
// others, the interval, and stop() waiting for a pass in progress.
import { afterEach, describe, expect, test } from "bun:test";
import { atMostEvery, SingleNodeLifecycleScheduler, type LifecycleTask } from "../../../src/registry/lifecycle/scheduler";
import { createLogger } from "../../../src/log";

const logged: string[] = [];
const log = createLogger({ requests: false, write: (s) => logged.push(s) });
afterEach(() => {
  logged.length = 0;
});

/** A task that records its passes and, while `hold` is set, waits for it to be released. */
class RecordingTask implements LifecycleTask {
  readonly calls: number[] = [];
  running = 0;
  maxRunning = 0;
  private release?: () => void;
  hold = false;

  constructor(
    readonly name: string,
    private readonly trace: string[],
    private readonly fail = false,
  ) {}

  async run(now: number): Promise<string> {
    this.calls.push(now);
    this.trace.push(`${this.name}:start`);
    this.running++;
    this.maxRunning = Math.max(this.maxRunning, this.running);
    if (this.hold) await new Promise<void>((r) => (this.release = r));
    this.running--;
    this.trace.push(`${this.name}:end`);
    if (this.fail) throw new Error(`${this.name} broke`);
    return `${this.name} did ${this.calls.length}`;
  }

  /** Lets a held pass finish. */
  finish(): void {
    this.hold = false;
    this.release?.();
  }

  /** Resolves once the task has been entered `n` times. */
  async entered(n: number): Promise<void> {
    while (this.calls.length < n) await Bun.sleep(1);
  }
}

describe("SingleNodeLifecycleScheduler", () => {
  test("runOnce runs the tasks in order with the pass's clock and answers what each said", async () => {
    const trace: string[] = [];
    const a = new RecordingTask("autoprune", trace);
    const b = new RecordingTask("collect", trace);
    const s = new SingleNodeLifecycleScheduler([a, b], 0, log, () => 1234);
    expect(await s.runOnce()).toEqual(["autoprune: autoprune did 1", "collect: collect did 1"]);
    expect(trace).toEqual(["autoprune:start", "autoprune:end", "collect:start", "collect:end"]);
    expect(a.calls).toEqual([1234]);
    expect(await s.runOnce(99)).toHaveLength(2);
    expect(b.calls).toEqual([1234, 99]);
    log.flush();
    expect(logged.join("")).toContain("lifecycle collect: collect did 2");
  });

  test("a failing task is logged and the next one still runs", async () => {
    const trace: string[] = [];
    const broken = new RecordingTask("autoprune", trace, true);
    const collect = new RecordingTask("collect", trace);
    const s = new SingleNodeLifecycleScheduler([broken, collect], 0, log);
    expect(await s.runOnce()).toEqual(["autoprune: failed", "collect: collect did 1"]);
    log.flush();
    expect(logged.join("")).toContain("ERROR lifecycle autoprune failed: Error: autoprune broke");
  });

  test("passes never overlap: a second runOnce waits for the pass in progress", async () => {
    const trace: string[] = [];
    const t = new RecordingTask("collect", trace);
    const s = new SingleNodeLifecycleScheduler([t], 0, log);
    t.hold = true;
    const first = s.runOnce(1);
    const second = s.runOnce(2);
    const third = s.runOnce(3);
    await t.entered(1);
    await Bun.sleep(5);
    expect(t.calls).toEqual([1]); // the others wait
    t.finish();
    await Promise.all([first, second, third]);
    expect(t.calls).toEqual([1, 2, 3]);
    expect(t.maxRunning).toBe(1);
  });

  test("the interval runs passes, skips ticks while one runs, and stop() waits for it", async () => {
    const t = new RecordingTask("collect", []);
    const s = new SingleNodeLifecycleScheduler([t], 5, log);
    s.start();
    s.start(); // idempotent
    await t.entered(2);
    t.hold = true;
    await t.entered(3);
    await Bun.sleep(30); // ticks pass while the third pass is held: none is queued
    expect(t.calls).toHaveLength(3);
    let stopped = false;
    const stopping = s.stop().then(() => (stopped = true));
    await Bun.sleep(5);
    expect(stopped).toBe(false); // waits for the pass in progress
    t.finish();
    await stopping;
    const after = t.calls.length;
    await Bun.sleep(20);
    expect(t.calls).toHaveLength(after); // no more passes after stop
    expect(t.maxRunning).toBe(1);
  });

  test("stop() tells the pass in progress to stop; later tasks do not start", async () => {
    const trace: string[] = [];
    const seen: boolean[] = [];
    const long: LifecycleTask = {
      name: "collect",
      async run(_now, stopping) {
        trace.push("collect:start");
        while (!stopping.aborted) await Bun.sleep(1); // a pass that only ends when told
        seen.push(stopping.aborted);
        return "stopped early";
      },
    };
    const after = new RecordingTask("after", trace);
    const s = new SingleNodeLifecycleScheduler([long, after], 0, log);
    const pass = s.runOnce();
    while (trace.length === 0) await Bun.sleep(1);
    await s.stop();
    expect(await pass).toEqual(["collect: stopped early"]);
    expect(seen).toEqual([true]);
    expect(after.calls).toEqual([]);
    expect(await s.runOnce()).toEqual([]); // stopped for good
  });

  test("an interval of 0, or no tasks, starts nothing", async () => {
    const t = new RecordingTask("collect", []);
    const off = new SingleNodeLifecycleScheduler([t], 0, log);
    off.start();
    const empty = new SingleNodeLifecycleScheduler([], 5, log);
    empty.start();
    await Bun.sleep(20);
    expect(t.calls).toEqual([]);
    await off.stop();
    await empty.stop();
    expect(await empty.runOnce()).toEqual([]);
  });

  test("on the interval each task keeps to its own period (0: never); runOnce runs them all", async () => {
    const H = 3_600_000;
    let now = 0;
    const hourly = new RecordingTask("autoprune", []);
    const daily = new RecordingTask("collect", []);
    const never = new RecordingTask("quota", []);
    const s = new SingleNodeLifecycleScheduler([atMostEvery(H, hourly), atMostEvery(24 * H, daily), atMostEvery(0, never)], 2, log, () => now);
    s.start();
    await hourly.entered(1); // first tick: both periodic tasks are due, the 0 one is not
    await daily.entered(1);
    now += H / 2;
    await Bun.sleep(20); // ticks in the same half hour run nothing
    expect([hourly.calls.length, daily.calls.length, never.calls.length]).toEqual([1, 1, 0]);
    now += H / 2;
    await hourly.entered(2);
    await Bun.sleep(20);
    expect([hourly.calls.length, daily.calls.length, never.calls.length]).toEqual([2, 1, 0]);
    await s.stop();
    const onDemand = new SingleNodeLifecycleScheduler([atMostEvery(H, hourly), atMostEvery(0, never)], 0, log, () => now);
    expect(await onDemand.runOnce()).toEqual(["autoprune: autoprune did 3", "quota: quota did 1"]);
    expect(await onDemand.runOnce()).toHaveLength(2); // due or not
  });
});
