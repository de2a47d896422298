// The lifecycle's passes on several nodes: one node at a time runs them, the one holding a
// cluster-wide lease (docs/ARCHITECTURE.md, "State one process holds"). The holder keeps the lease
// while it lives, so the tasks' intervals stay what they say (each node remembers only its own
// runs); the others try at every tick and take over when the holder stops or dies.
import type { Logger } from "../../log";
import { SingleNodeLifecycleScheduler, type LifecycleScheduler, type LifecycleTask } from "./scheduler";

/** A lease only one node holds at a time, lost with its holder (src/store/pg/nodeState/lifecycleLease.ts). */
export interface ClusterLease {
  /** True while this node holds the lease, taking it when free; false while another node does. */
  tryHold(): Promise<boolean>;
  /** Lets go (the node stopping). */
  release(): Promise<void>;
}

/** What runOnce answers on a node that does not hold the lease. */
export const NOT_HOLDER = "lifecycle: another node holds the lease and runs the passes";

export class LeasedLifecycleScheduler implements LifecycleScheduler {
  private readonly passes: SingleNodeLifecycleScheduler;
  private timer: ReturnType<typeof setInterval> | undefined;
  private ticking: Promise<unknown> | undefined;
  private stopped = false;

  constructor(
    tasks: readonly LifecycleTask[],
    private readonly lease: ClusterLease,
    private readonly intervalMs: number,
    private readonly log: Logger,
    clock?: () => number,
  ) {
    // The single-node scheduler runs the passes (one at a time, per-task intervals, logging);
    // this one only decides whether this node may.
    this.passes = new SingleNodeLifecycleScheduler(tasks, 0, log, clock);
  }

  start(): void {
    if (this.timer || this.intervalMs <= 0) return;
    this.timer = setInterval(() => {
      this.ticking ??= this.tick().finally(() => (this.ticking = undefined));
    }, this.intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    this.timer = undefined;
    await this.passes.stop();
    await this.ticking?.catch(() => {});
    await this.lease.release().catch((e) => this.log.error("lifecycle: cannot release the lease", e));
  }

  /** Every task now, on the node holding the lease; elsewhere only a line saying who runs them. */
  async runOnce(now?: number): Promise<string[]> {
    if (this.stopped) return [];
    if (!(await this.lease.tryHold())) return [NOT_HOLDER];
    return this.passes.runOnce(now);
  }

  private async tick(): Promise<void> {
    try {
      if (!this.stopped && (await this.lease.tryHold())) await this.passes.runOnce(undefined, true);
    } catch (e) {
      this.log.error("lifecycle: cannot check the lease", e);
    }
  }
}
