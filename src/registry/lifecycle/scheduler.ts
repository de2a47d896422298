// The lifecycle's passes (auto-prune, then collection, ...) run one after another on an interval,
// never two at once in this process. Each task is a small object registered in app.ts in the
// order it must run; a task that fails is logged and the next still runs.
//
// Single-node: the interval and the "one pass at a time" rule live in this process. Several
// nodes will need a lease (one pass cluster-wide) in place of `running`.
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
}

export interface LifecycleScheduler {
  /** Starts the interval (the first pass runs one interval after start). */
  start(): void;
  /** Stops the interval, tells a pass in progress to stop, and waits for it. */
  stop(): Promise<void>;
  /** Runs every task once now (waits for a pass in progress first); what each said. Nothing once stopped. */
  runOnce(now?: number): Promise<string[]>;
}

export class SingleNodeLifecycleScheduler implements LifecycleScheduler {
  private timer: ReturnType<typeof setInterval> | undefined;
  private running: Promise<string[]> | undefined;
  private readonly stopping = new AbortController();

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
      if (!this.running) void this.runOnce().catch(() => {});
    }, this.intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    this.stopping.abort();
    await this.running?.catch(() => {});
  }

  async runOnce(now?: number): Promise<string[]> {
    while (this.running) await this.running.catch(() => {});
    this.running = this.pass(now ?? this.clock());
    try {
      return await this.running;
    } finally {
      this.running = undefined;
    }
  }

  private async pass(now: number): Promise<string[]> {
    const said: string[] = [];
    for (const task of this.tasks) {
      if (this.stopping.signal.aborted) break;
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
 * A task that runs at most every `intervalMs` by the clock it is given, so passes with different
 * intervals share one scheduler (which ticks at the shortest). A skipped tick says "not due".
 */
export function atMostEvery(intervalMs: number, task: LifecycleTask): LifecycleTask {
  let lastRunMs: number | undefined;
  return {
    name: task.name,
    async run(now, stopping) {
      if (lastRunMs !== undefined && now - lastRunMs < intervalMs) return "not due";
      lastRunMs = now;
      return task.run(now, stopping);
    },
  };
}
