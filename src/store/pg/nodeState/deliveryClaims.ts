// Which outbox rows are being sent, shared by every node (docs/ARCHITECTURE.md, "State one process
// holds"; src/notify/deliveryClaims.ts): a lease per row in `delivery_claims`. Shaped as notify's
// `DeliveryClaims` (store imports no notify; the tests hold it to that interface).
import type { SQL } from "bun";
import { clockParam, PurgeSchedule } from "./clock";

export interface PgDeliveryClaimsOptions {
  /** How long a claim lasts: longer than a send may take, so only a dead node's claims lapse. */
  leaseMs?: number;
  /** The clock; by default the database's, one clock for every node. */
  now?: () => number;
}

/** Ten minutes: a webhook send gives up long before (src/notify/webhookSender.ts). */
const DEFAULT_LEASE_MS = 600_000;

/**
 * claim() is one statement: a row unclaimed, or whose lease expired (its node died mid-send),
 * becomes this node's; a live lease of anyone's, this node's included, refuses. release() deletes
 * only this node's own claim, so a node that outlived its lease cannot free the next holder's.
 * Expired claims (rows sent by nobody since, or deleted) are purged at most once a minute per node.
 */
export class PgDeliveryClaims {
  /** This instance: claims are released only by whoever took them. */
  readonly holder = crypto.randomUUID();
  private readonly leaseMs: number;
  private readonly purges = new PurgeSchedule();

  constructor(
    private readonly sql: SQL,
    private readonly opts: PgDeliveryClaimsOptions = {},
  ) {
    this.leaseMs = opts.leaseMs ?? DEFAULT_LEASE_MS;
  }

  async claim(id: number): Promise<boolean> {
    const rows = await this.sql`
      WITH clock AS (SELECT COALESCE(${clockParam(this.opts.now)}::bigint, floor(extract(epoch from clock_timestamp()) * 1000)::bigint) AS ms)
      INSERT INTO delivery_claims (delivery_id, holder, until_ms)
      SELECT ${id}::bigint, ${this.holder}, clock.ms + ${this.leaseMs}::bigint FROM clock
      ON CONFLICT (delivery_id) DO UPDATE SET holder = excluded.holder, until_ms = excluded.until_ms
        WHERE delivery_claims.until_ms <= excluded.until_ms - ${this.leaseMs}::bigint
      RETURNING until_ms - ${this.leaseMs}::bigint AS now`;
    if (rows.length === 0) return false;
    await this.purge(Number(rows[0].now));
    return true;
  }

  async release(id: number): Promise<void> {
    await this.sql`DELETE FROM delivery_claims WHERE delivery_id = ${id} AND holder = ${this.holder}`;
  }

  private async purge(nowMs: number): Promise<void> {
    if (!this.purges.due(nowMs)) return;
    await this.sql`DELETE FROM delivery_claims WHERE until_ms <= ${nowMs}`;
  }
}
