// The lifecycle's cluster-wide lease (src/registry/lifecycle/leasedScheduler.ts) in PostgreSQL: a
// session advisory lock on a connection the holding node keeps. PostgreSQL lets go of it when that
// session ends, so a node that dies (process killed, network cut) hands the lease over at once,
// with no expiry to wait out. Shaped as registry's `ClusterLease` (store imports no registry; the
// tests hold it to that interface).
import type { SQL } from "bun";
import { LOCK_CLASS, NodeAdvisoryLocks } from "./advisoryLocks";

const NAME = "lifecycle";

/**
 * tryHold() while holding checks that the connection still lives (the lock lives as long as it
 * does): a holder whose connection was cut finds out at its next tick and stops running passes,
 * while another node takes the lease. A pass already under way then finishes beside the new
 * holder's; each step of a pass is complete in itself (scheduler.ts).
 */
export class PgLifecycleLease {
  private readonly locks: NodeAdvisoryLocks;
  private holding = false;

  constructor(sql: SQL) {
    this.locks = new NodeAdvisoryLocks(sql, LOCK_CLASS.lifecycle);
  }

  async tryHold(): Promise<boolean> {
    if (this.holding) {
      try {
        this.holding = await this.locks.stillConnected();
      } catch {
        this.holding = false;
      }
      if (this.holding) return true;
    }
    this.holding = await this.locks.tryLock(NAME).catch(() => false);
    return this.holding;
  }

  async release(): Promise<void> {
    this.holding = false;
    await this.locks.close();
  }
}
