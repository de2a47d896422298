// The lifecycle's passes (auto-prune, then collection, ...) run one after another on an interval,
// never two at once in this process. Each task is a small object registered in app.ts in the
// order it must run; a task that fails is logged and the next still runs.
//
// Single-node: the interval and the "one pass at a time" rule live in this process. Several
// nodes take a cluster-wide lease around it (leasedScheduler.ts: one node runs the passes).
import type { Logger } from "../../log";

export interface LifecycleTask {
  /** Short name for logs ("autoprune", "collect"). */
  readonly name: string;
  /**
   * One pass. `now` is the pass's clock; the answer is one log line of what it did. `stopping`
   * aborts when the server shuts down: a long pass should end at its next batch (every step of
   * it being complete in itself).
   */
  run(now: number, stopping: AbortSignal): Promise<string>;
  /**
   * How often the interval runs it (atMostEvery); 0: never on the interval, only by runOnce (an
   * operator's `berth gc`, a test). A task without it runs on every tick.
   */
  readonly everyMs?: number;
}

export interface LifecycleScheduler {
  /** Starts the interval (the first pass runs one interval after start). */
  start(): void;
  /** Stops the interval, tells a pass in progress to stop, and waits for it. */
  stop(): Promise<void>;
  /** Runs every task once now, due or not (waits for a pass in progress first); what each said. Nothing once stopped. */
  runOnce(now?: number): Promise<string[]>;
}

export class SingleNodeLifecycleScheduler implements LifecycleScheduler {
  private timer: ReturnType<typeof setInterval> | undefined;
  private running: Promise<string[]> | undefined;
  private readonly stopping = new AbortController();
  /** When each task last ran (by the pass's clock), for the interval's "is it due". */
  private readonly lastRunMs = new Map<LifecycleTask, number>();

  constructor(
    private readonly tasks: readonly LifecycleTask[],
    private readonly intervalMs: number,
    private readonly log: Logger,
    private readonly clock: () => number = Date.now,
  ) {}

  start(): void {
    if (this.timer || this.intervalMs <= 0 || this.tasks.length === 0) return;
    // A pass longer than the interval is not queued behind: the next tick after it starts one.
    this.timer = setInterval(() => {
      if (!this.running) void this.runOnce(undefined, true).catch(() => {});
    }, this.intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    this.stopping.abort();
    await this.running?.catch(() => {});
  }

  async runOnce(now?: number, onlyDue = false): Promise<string[]> {
    while (this.running) await this.running.catch(() => {});
    this.running = this.pass(now ?? this.clock(), onlyDue);
    try {
      return await this.running;
    } finally {
      this.running = undefined;
    }
  }

  private due(task: LifecycleTask, now: number): boolean {
    if (task.everyMs === undefined) return true;
    const last = this.lastRunMs.get(task);
    return task.everyMs > 0 && (last === undefined || now - last >= task.everyMs);
  }

  private async pass(now: number, onlyDue: boolean): Promise<string[]> {
    const said: string[] = [];
    for (const task of this.tasks) {
      if (this.stopping.signal.aborted) break;
      if (onlyDue && !this.due(task, now)) continue;
      this.lastRunMs.set(task, now);
      try {
        const line = await task.run(now, this.stopping.signal);
        said.push(`${task.name}: ${line}`);
        this.log.info(`lifecycle ${task.name}: ${line}`);
      } catch (e) {
        said.push(`${task.name}: failed`);
        this.log.error(`lifecycle ${task.name} failed`, e);
      }
    }
    return said;
  }
}

/**
 * The task, run by the interval at most every `everyMs` (0: never by the interval), so passes with
 * different intervals share one scheduler, which ticks at the shortest. runOnce runs it anyway.
 */
export function atMostEvery(everyMs: number, task: LifecycleTask): LifecycleTask {
  return { name: task.name, everyMs, run: (now, stopping) => task.run(now, stopping) };
}
