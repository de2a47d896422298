// Exponential backoff for failed logins, per key. Callers pass several keys per attempt, e.g.
// [`user:${name.toLowerCase()}`, `ip:${address}`]: the account key slows a distributed guess at
// one account, the address key one client guessing across accounts. An attempt is refused while
// any of its keys is waiting.
//
// After `freeFailures` consecutive failures (3: typos are free), the n-th failure imposes a wait
// of baseMs · 2^(n − freeFailures − 1), capped at maxMs: 1 s, 2 s, 4 s, … 60 s with the defaults.
// The cap keeps the price of locking someone else's account out low (a minute at most).
//
// success() resets the keys it is given. Passing only the account key there (not the address)
// stops an attacker from clearing their address's penalty by logging into their own account.

export type ThrottleDecision = { allowed: true } | { allowed: false; retryAfterSeconds: number };

export interface LoginThrottleOptions {
  baseMs?: number;
  maxMs?: number;
  freeFailures?: number;
  /** Hard bound on tracked keys, on top of the idle expiry. */
  maxEntries?: number;
  now?: () => number;
}

interface Entry {
  failures: number;
  /** No attempt allowed before this time (ms). */
  until: number;
  lastFailure: number;
}

export class LoginThrottle {
  private readonly baseMs: number;
  private readonly maxMs: number;
  private readonly freeFailures: number;
  private readonly maxEntries: number;
  private readonly now: () => number;
  private readonly entries = new Map<string, Entry>();
  private lastSweep: number;

  constructor(opts: LoginThrottleOptions = {}) {
    this.baseMs = opts.baseMs ?? 1000;
    this.maxMs = opts.maxMs ?? 60_000;
    this.freeFailures = opts.freeFailures ?? 3;
    this.maxEntries = opts.maxEntries ?? 100_000;
    this.now = opts.now ?? Date.now;
    this.lastSweep = this.now();
  }

  /** Forgets every failure (tests, whose requests all come from one address). */
  reset(): void {
    this.entries.clear();
  }

  check(keys: string[]): ThrottleDecision {
    const now = this.now();
    let wait = 0;
    for (const k of keys) {
      const e = this.entries.get(k);
      if (e && e.until > now) wait = Math.max(wait, e.until - now);
    }
    return wait > 0 ? { allowed: false, retryAfterSeconds: Math.ceil(wait / 1000) } : { allowed: true };
  }

  failure(keys: string[]): void {
    const now = this.now();
    this.sweep(now);
    for (const k of new Set(keys)) {
      const e = this.entries.get(k) ?? { failures: 0, until: 0, lastFailure: now };
      if (now - e.lastFailure > this.maxMs * 2) e.failures = 0; // same decay whether swept or not
      e.failures += 1;
      e.lastFailure = now;
      const over = e.failures - this.freeFailures;
      // 2 ** 30 already exceeds any sane cap; bounding the exponent avoids Infinity arithmetic.
      if (over > 0) e.until = now + Math.min(this.maxMs, this.baseMs * 2 ** Math.min(over - 1, 30));
      this.entries.delete(k); // re-insert: Map order becomes least-recently-failed first
      this.entries.set(k, e);
    }
  }

  success(keys: string[]): void {
    for (const k of keys) this.entries.delete(k);
  }

  /** Number of tracked keys (for tests and metrics). */
  get size(): number {
    return this.entries.size;
  }

  // An entry idle for 2·maxMs has no wait left and its streak is forgotten. Sweeps run at most
  // once per maxMs, or when the hard bound is hit (then the least recently failed keys go).
  private sweep(now: number): void {
    const full = this.entries.size >= this.maxEntries;
    if (!full && now - this.lastSweep < this.maxMs) return;
    this.lastSweep = now;
    for (const [k, e] of this.entries) {
      if (now - e.lastFailure > this.maxMs * 2) this.entries.delete(k);
    }
    let excess = this.entries.size - this.maxEntries + 1;
    for (const k of this.entries.keys()) {
      if (excess-- <= 0) break;
      this.entries.delete(k);
    }
  }
}
