// The login throttle's counters in PostgreSQL, shared by every node (docs/ARCHITECTURE.md, "State
// one process holds"). The rules are the single-node throttle's (src/auth/loginThrottle.ts, pure);
// only where the counters live differs.
import type { SQL } from "bun";
import {
  afterSettle,
  COUNTER_NAMES,
  counterKeys,
  decide,
  DEFAULT_LOGIN_POLICY,
  live,
  longestForgetMs,
  withFailure,
  type Admission,
  type CounterName,
  type LoginAttempt,
  type LoginPolicy,
  type LoginThrottle,
  type Streak,
  type Streaks,
} from "../../../auth/loginThrottle";
import type { SingleNodeLoginThrottleOptions } from "../../../auth/singleNodeLoginThrottle";
import { clockParam, PurgeSchedule } from "./clock";

/** The single-node throttle's options but its memory bound; `now` by default is the database's clock, one for every node. */
export type PgLoginThrottleOptions = Pick<SingleNodeLoginThrottleOptions, "policy" | "now">;

const NAMES = COUNTER_NAMES;

/**
 * admit() decides and reserves in one transaction holding the attempt's counter rows
 * (`FOR UPDATE`, keys in one order so two attempts never deadlock): concurrent attempts on any
 * node wait for each other and see each other's reservation, as the single-node throttle's
 * synchronous step does. Idle counters are deleted at most once a minute per node; the table is
 * bounded by the counters that failed within the longest `forgetAfterMs`.
 */
export class PgLoginThrottle implements LoginThrottle {
  private readonly policy: LoginPolicy;
  private readonly forgetAfterMs: number;
  private readonly purges = new PurgeSchedule();

  constructor(
    private readonly sql: SQL,
    private readonly opts: PgLoginThrottleOptions = {},
  ) {
    this.policy = opts.policy ?? DEFAULT_LOGIN_POLICY;
    this.forgetAfterMs = longestForgetMs(this.policy);
  }

  async admit(attempt: LoginAttempt): Promise<Admission> {
    const keys = counterKeys(attempt);
    const outcome = await this.sql.begin(async (tx) => {
      const { now, streaks } = await this.lock(tx, keys);
      const admission = decide(streaks, now, this.policy);
      if (admission.admitted) {
        for (const name of NAMES) {
          const key = keys[name];
          if (key) await this.write(tx, key, withFailure(streaks[name], now, this.policy[name]));
        }
      }
      return { admission, now };
    });
    if (outcome.admission.admitted) await this.purge(outcome.now);
    return outcome.admission;
  }

  async settle(attempt: LoginAttempt, succeeded: boolean): Promise<void> {
    const keys = counterKeys(attempt);
    await this.sql.begin(async (tx) => {
      const { now, streaks } = await this.lock(tx, keys);
      for (const name of NAMES) {
        const key = keys[name];
        if (key) await this.write(tx, key, afterSettle(name, streaks[name], succeeded, now));
      }
    });
  }

  async reset(): Promise<void> {
    await this.sql`DELETE FROM login_throttle_counters`;
  }

  /** Counter rows kept (tests). */
  async size(): Promise<number> {
    const [row] = await this.sql`SELECT count(*)::int AS n FROM login_throttle_counters`;
    return row.n;
  }

  /** Locks the attempt's counters (a placeholder row for a missing one) and reads them as they stand now. */
  private async lock(tx: SQL, keys: Partial<Record<CounterName, string>>): Promise<{ now: number; streaks: Streaks }> {
    const list = NAMES.map((n) => keys[n]).filter((k): k is string => k !== undefined).sort();
    await tx`INSERT INTO login_throttle_counters (key, failures, last_ms)
      SELECT k, 0, 0 FROM unnest(${list}::text[]) AS k ORDER BY k ON CONFLICT (key) DO NOTHING`;
    const rows = await tx`SELECT key, failures, last_ms, COALESCE(${clockParam(this.opts.now)}::bigint, floor(extract(epoch from clock_timestamp()) * 1000)::bigint) AS now
      FROM login_throttle_counters WHERE key = ANY(${list}::text[]) ORDER BY key FOR UPDATE`;
    const now = Number(rows[0].now);
    const byKey = new Map<string, Streak>();
    for (const r of rows) if (r.failures > 0) byKey.set(r.key, { failures: r.failures, lastMs: Number(r.last_ms) });
    const streaks: Streaks = {};
    for (const name of NAMES) {
      const key = keys[name];
      if (key) streaks[name] = live(byKey.get(key), now, this.policy[name]) ?? undefined;
    }
    return { now, streaks };
  }

  private async write(tx: SQL, key: string, streak: Streak | undefined): Promise<void> {
    if (streak) await tx`UPDATE login_throttle_counters SET failures = ${streak.failures}, last_ms = ${streak.lastMs} WHERE key = ${key}`;
    else await tx`DELETE FROM login_throttle_counters WHERE key = ${key}`;
  }

  private async purge(now: number): Promise<void> {
    if (!this.purges.due(now)) return;
    await this.sql`DELETE FROM login_throttle_counters WHERE last_ms < ${now - this.forgetAfterMs}`;
  }
}
