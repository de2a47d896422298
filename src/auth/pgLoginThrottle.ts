// The login throttle over counters in PostgreSQL, shared by every node (docs/ARCHITECTURE.md,
// "State one process holds"): the single-node throttle's pure rules (loginThrottle.ts); the
// counters and their locking are the store's (src/store/pg/nodeState/loginCounters.ts).
import type { PgLoginCounters } from "../store/pg/nodeState/loginCounters";
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
  type LoginAttempt,
  type LoginPolicy,
  type LoginThrottle,
  type Streak,
  type Streaks,
} from "./loginThrottle";

/**
 * admit() decides and reserves in one transaction holding the attempt's counters, so concurrent
 * attempts on any node see each other's reservation, as the single-node throttle's synchronous
 * step does. Idle counters are deleted at most once a minute per node: the table holds the
 * counters that failed within the longest `forgetAfterMs`.
 */
export class PgLoginThrottle implements LoginThrottle {
  constructor(
    private readonly counters: PgLoginCounters,
    private readonly policy: LoginPolicy = DEFAULT_LOGIN_POLICY,
  ) {}

  async admit(attempt: LoginAttempt): Promise<Admission> {
    const keys = counterKeys(attempt);
    const { result, now } = await this.counters.update(Object.values(keys), (now, stored) => {
      const streaks = this.streaks(keys, stored, now);
      const admission = decide(streaks, now, this.policy);
      const writes = new Map<string, Streak | undefined>();
      if (admission.admitted) {
        for (const name of COUNTER_NAMES) if (keys[name]) writes.set(keys[name]!, withFailure(streaks[name], now, this.policy[name]));
      }
      return { writes, result: admission };
    });
    if (result.admitted) await this.counters.purge(now, now - longestForgetMs(this.policy));
    return result;
  }

  async settle(attempt: LoginAttempt, succeeded: boolean): Promise<void> {
    const keys = counterKeys(attempt);
    await this.counters.update(Object.values(keys), (now, stored) => {
      const streaks = this.streaks(keys, stored, now);
      const writes = new Map<string, Streak | undefined>();
      for (const name of COUNTER_NAMES) if (keys[name]) writes.set(keys[name]!, afterSettle(name, streaks[name], succeeded, now));
      return { writes, result: undefined };
    });
  }

  async reset(): Promise<void> {
    await this.counters.reset();
  }

  /** The attempt's counters as they stand at `now` (forgotten ones undefined). */
  private streaks(keys: ReturnType<typeof counterKeys>, stored: Map<string, Streak>, now: number): Streaks {
    const streaks: Streaks = {};
    for (const name of COUNTER_NAMES) if (keys[name]) streaks[name] = live(stored.get(keys[name]!), now, this.policy[name]);
    return streaks;
  }
}
