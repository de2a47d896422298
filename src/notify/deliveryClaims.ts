// Which outbox rows are being sent right now (docs/ARCHITECTURE.md, "State one process holds").
// A delivery goes out once at a time: the worker claims a due row before it sends it and releases
// it when the attempt is recorded. In one process a set of ids does. Several nodes polling one
// outbox need a claim they all see: a lease on the row taken in one statement
// (UPDATE … SET claimed_until = now + lease WHERE id = ? AND claimed_until < now, or SELECT … FOR
// UPDATE SKIP LOCKED), longer than a send's timeout, so the claims of a node that died lapse.

export interface DeliveryClaims {
  /** Claims outbox row `id` for this worker; false while another send holds it. */
  claim(id: number): Promise<boolean>;
  /** Gives a claimed row back (sent, rescheduled, given up, or cut short by stop()). */
  release(id: number): Promise<void>;
}

export class InProcessDeliveryClaims implements DeliveryClaims {
  private readonly claimed = new Set<number>();

  async claim(id: number): Promise<boolean> {
    if (this.claimed.has(id)) return false;
    this.claimed.add(id);
    return true;
  }

  async release(id: number): Promise<void> {
    this.claimed.delete(id);
  }

  /** Rows claimed now (tests). */
  get size(): number {
    return this.claimed.size;
  }
}
