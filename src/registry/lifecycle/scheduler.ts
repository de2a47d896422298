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
  /** One pass. `now` is the pass's clock; the answer is one log line of what it did. */
  run(now: number): Promise<string>;
}

export interface LifecycleScheduler {
  /** Starts the interval (the first pass runs one interval after start). */
  start(): void;
  /** Stops the interval and waits for a pass in progress. */
  stop(): Promise<void>;
  /** Runs every task once now (waits for a pass in progress first); what each said. */
  runOnce(now?: number): Promise<string[]>;
}

export class SingleNodeLifecycleScheduler implements LifecycleScheduler {
  private timer: ReturnType<typeof setInterval> | undefined;
  private running: Promise<string[]> | undefined;

  constructor(
    private readonly tasks: readonly LifecycleTask[],
    private readonly intervalMs: number,
    private readonly log: Logger,
    private readonly clock: () => number = Date.now,
  ) {}

  start(): void {
    if (this.timer || this.intervalMs <= 0 || this.tasks.length === 0) return;
    this.timer = setInterval(() => void this.runOnce().catch(() => {}), this.intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
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
      try {
        const line = await task.run(now);
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
