import {
  afterSettle,
  COUNTER_NAMES,
  counterKeys,
  decide,
  longestForgetMs,
  DEFAULT_LOGIN_POLICY,
  withFailure,
  type Admission,
  type CounterName,
  type LoginAttempt,
  type LoginPolicy,
  type LoginThrottle,
  type Streak,
  type Streaks,
} from "./loginThrottle";

export interface SingleNodeLoginThrottleOptions {
  policy?: LoginPolicy;
  /** Hard bound on tracked counters, on top of the idle expiry. */
  maxEntries?: number;
  now?: () => number;
}

const NAMES = COUNTER_NAMES;

/**
 * The login throttle's counters in this process's memory. admit() decides and reserves in one
 * synchronous step, so concurrent attempts cannot slip between the decision and the count.
 * Several nodes need an implementation over shared storage instead.
 */
export class SingleNodeLoginThrottle implements LoginThrottle {
  private readonly policy: LoginPolicy;
  private readonly maxEntries: number;
  private readonly now: () => number;
  private readonly entries = new Map<string, Streak>();
  private readonly forgetAfterMs: number;
  private lastSweep: number;

  constructor(opts: SingleNodeLoginThrottleOptions = {}) {
    this.policy = opts.policy ?? DEFAULT_LOGIN_POLICY;
    this.maxEntries = opts.maxEntries ?? 100_000;
    this.now = opts.now ?? Date.now;
    this.forgetAfterMs = longestForgetMs(this.policy);
    this.lastSweep = this.now();
  }

  async admit(attempt: LoginAttempt): Promise<Admission> {
    // No await in here: the decision and the reservation are one step.
    const now = this.now();
    const keys = counterKeys(attempt);
    const streaks: Streaks = {};
    for (const name of NAMES) if (keys[name]) streaks[name] = this.entries.get(keys[name]!);
    const admission = decide(streaks, now, this.policy);
    if (!admission.admitted) return admission;
    this.sweep(now);
    for (const name of NAMES) {
      const key = keys[name];
      if (key) this.put(key, withFailure(streaks[name], now, this.policy[name]));
    }
    return admission;
  }

  async settle(attempt: LoginAttempt, succeeded: boolean): Promise<void> {
    const now = this.now();
    const keys = counterKeys(attempt);
    for (const name of NAMES) {
      const key = keys[name];
      if (!key) continue;
      const next = afterSettle(name, this.entries.get(key), succeeded, now);
      if (next) this.entries.set(key, next);
      else this.entries.delete(key);
    }
  }

  async reset(): Promise<void> {
    this.entries.clear();
  }

  /** Number of tracked counters (tests). */
  get size(): number {
    return this.entries.size;
  }

  private put(key: string, streak: Streak): void {
    this.entries.delete(key); // re-insert: Map order becomes least recently failed first
    this.entries.set(key, streak);
  }

  // Forgotten counters go at most once per minute, or when the hard bound is hit (then the least
  // recently failed go first, so a flood of addresses cannot grow memory without bound).
  private sweep(now: number): void {
    const full = this.entries.size >= this.maxEntries;
    if (!full && now - this.lastSweep < 60_000) return;
    this.lastSweep = now;
    for (const [k, s] of this.entries) {
      if (now - s.lastMs > this.forgetAfterMs) this.entries.delete(k);
    }
    let excess = this.entries.size - this.maxEntries + 3; // room for this attempt's counters
    for (const k of this.entries.keys()) {
      if (excess-- <= 0) break;
      this.entries.delete(k);
    }
  }
}
