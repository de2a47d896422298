// The login throttle's counters in PostgreSQL, shared by every node: the storage of
// src/auth/pgLoginThrottle.ts, whose rules are auth's (store imports no auth).
import type { SQL } from "bun";
import { clockParam, PurgeSchedule } from "./clock";

/** A counter as stored: consecutive failures and when the last one was counted. */
export interface LoginCounter {
  failures: number;
  lastMs: number;
}

/** What a decision over locked counters writes (undefined: delete) and answers. */
export interface CounterUpdate<R> {
  writes: Map<string, LoginCounter | undefined>;
  result: R;
}

/**
 * update() runs one transaction holding the keys' rows `FOR UPDATE` (missing ones inserted first
 * as placeholders, keys sorted so two attempts never deadlock): concurrent attempts on any node
 * wait for each other and see each other's counts. Time is the database's clock unless given.
 */
export class PgLoginCounters {
  private readonly purges = new PurgeSchedule();

  constructor(
    private readonly sql: SQL,
    private readonly now?: () => number,
  ) {}

  async update<R>(keys: readonly string[], decide: (now: number, counters: Map<string, LoginCounter>) => CounterUpdate<R>): Promise<{ result: R; now: number }> {
    const list = [...new Set(keys)].sort();
    return this.sql.begin(async (tx) => {
      let rows: { key: string; failures: number; last_ms: string | number; now: string | number }[];
      do {
        await tx`INSERT INTO login_throttle_counters (key, failures, last_ms)
          SELECT k, 0, 0 FROM unnest(${list}::text[]) AS k ORDER BY k ON CONFLICT (key) DO NOTHING`;
        rows = await tx`SELECT key, failures, last_ms,
            COALESCE(${clockParam(this.now)}::bigint, floor(extract(epoch from clock_timestamp()) * 1000)::bigint) AS now
          FROM login_throttle_counters WHERE key = ANY(${list}::text[]) ORDER BY key FOR UPDATE`;
        // A row deleted by the transaction this one waited for (a login settled, a purge) is not
        // returned: made again and locked, so every key is held before deciding.
      } while (rows.length < list.length);
      const now = Number(rows[0].now);
      const counters = new Map<string, LoginCounter>();
      // A placeholder (0 failures) is no counter.
      for (const r of rows) if (r.failures > 0) counters.set(r.key, { failures: r.failures, lastMs: Number(r.last_ms) });
      const { writes, result } = decide(now, counters);
      for (const [key, c] of writes) {
        if (c) await tx`UPDATE login_throttle_counters SET failures = ${c.failures}, last_ms = ${c.lastMs} WHERE key = ${key}`;
        else await tx`DELETE FROM login_throttle_counters WHERE key = ${key}`;
      }
      return { result, now };
    });
  }

  /** Deletes the counters idle since before `beforeMs` (and refused attempts' placeholders), at most once a minute per node. */
  async purge(nowMs: number, beforeMs: number): Promise<void> {
    if (!this.purges.due(nowMs)) return;
    await this.sql`DELETE FROM login_throttle_counters WHERE last_ms < ${beforeMs}`;
  }

  async reset(): Promise<void> {
    await this.sql`DELETE FROM login_throttle_counters`;
  }

  /** Counter rows kept (tests). */
  async size(): Promise<number> {
    const [row] = await this.sql`SELECT count(*)::int AS n FROM login_throttle_counters`;
    return row.n;
  }
}
