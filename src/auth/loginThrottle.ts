import { formatIp, parseIp, truncateIp } from "../ipAddress";

// Login throttling: the interface every credential check goes through, and its pure rules.
//
// Three counters per attempt, each an exponential backoff over consecutive failures:
// - pair    (account + client address): the classic lockout. Three typos are free, then
//           1 s, 2 s, 4 s … 60 s. A correct password from elsewhere is never affected by it.
// - address (client address, any account): one client guessing across accounts. Refuses like
//           the pair counter, with more free failures (several people may share an address).
// - account (any address): a guess at one account spread over many addresses. It only slows:
//           while it is hot each attempt waits (at most 2 s) before its check, and is never
//           refused, so an attacker cannot lock the owner out.
// IPv6 clients are counted per /64, the block one site usually gets.
//
// Reservation: admit() counts the attempt as a failure before the (slow) check, atomically with
// the decision, so concurrent guesses see each other. settle() starts a failure's wait at the
// answer, or gives a success back: the pair counter is cleared, the address and account
// counters get their one failure back (clearing them would let an attacker wipe their address's
// record by logging into their own account).

export interface BackoffPolicy {
  /** Consecutive failures that cost nothing. */
  freeFailures: number;
  /** The wait after the first failure past the free ones; each further failure doubles it. */
  baseMs: number;
  /** The longest wait. */
  maxMs: number;
  /** A counter with no failure for this long is forgotten. */
  forgetAfterMs: number;
}

export interface LoginPolicy {
  pair: BackoffPolicy;
  address: BackoffPolicy;
  /** Its waits are delays, never refusals; maxMs is the longest delay. */
  account: BackoffPolicy;
}

export const DEFAULT_LOGIN_POLICY: LoginPolicy = {
  pair: { freeFailures: 3, baseMs: 1000, maxMs: 60_000, forgetAfterMs: 120_000 },
  address: { freeFailures: 10, baseMs: 1000, maxMs: 60_000, forgetAfterMs: 120_000 },
  account: { freeFailures: 10, baseMs: 250, maxMs: 2000, forgetAfterMs: 600_000 },
};

/** A login attempt as the throttle sees it. */
export interface LoginAttempt {
  /**
   * The account's stable key (one for its username and its email), or undefined for
   * credentials that name no account before they are checked ($app, $oauthtoken).
   */
  account?: string;
  /** The client address (clientAddress.ts). */
  address: string;
}

export type Admission = { admitted: false; retryAfterSeconds: number } | { admitted: true; delayMs: number };

/** What a login check asks before and tells after; a multi-node implementation shares the counters. */
export interface LoginThrottle {
  /** Decides, and when admitted counts the attempt as a failure until settle() says otherwise. */
  admit(attempt: LoginAttempt): Promise<Admission>;
  /** The outcome of an admitted attempt. */
  settle(attempt: LoginAttempt, succeeded: boolean): Promise<void>;
  /** Forgets everything (tests, whose requests all come from one address). */
  reset(): Promise<void>;
}

// ---- pure rules ----

export interface Streak {
  /** Consecutive failures, reserved attempts included. */
  failures: number;
  /** When the last one was counted (ms). */
  lastMs: number;
}

export type CounterName = keyof LoginPolicy;
/** Every counter, in the order admit() and settle() go through them. */
export const COUNTER_NAMES: readonly CounterName[] = ["pair", "address", "account"];

/** How long the idlest counter is kept: past it every counter is forgotten. */
export function longestForgetMs(policy: LoginPolicy): number {
  return Math.max(...COUNTER_NAMES.map((n) => policy[n].forgetAfterMs));
}
export type Streaks = Partial<Record<CounterName, Streak>>;
export type CounterKeys = Partial<Record<CounterName, string>>;

/** The wait imposed after `failures` consecutive failures. */
export function backoffMs(failures: number, p: BackoffPolicy): number {
  const over = failures - p.freeFailures;
  // 2 ** 30 already exceeds any sane cap; bounding the exponent avoids Infinity arithmetic.
  return over <= 0 ? 0 : Math.min(p.maxMs, p.baseMs * 2 ** Math.min(over - 1, 30));
}

/** The streak as it stands at `now`: undefined once idle for forgetAfterMs. */
export function live(streak: Streak | undefined, now: number, p: BackoffPolicy): Streak | undefined {
  return streak && now - streak.lastMs <= p.forgetAfterMs ? streak : undefined;
}

/** How long until the next attempt may go ahead. */
export function remainingMs(streak: Streak | undefined, now: number, p: BackoffPolicy): number {
  const s = live(streak, now, p);
  return s ? Math.max(0, s.lastMs + backoffMs(s.failures, p) - now) : 0;
}

/** The storage key of each counter an attempt touches. */
export function counterKeys(attempt: LoginAttempt): CounterKeys {
  const address = throttleAddress(attempt.address);
  const keys: CounterKeys = { address: `address:${address}` };
  if (attempt.account !== undefined) {
    keys.pair = `pair:${attempt.account}|${address}`;
    keys.account = `account:${attempt.account}`;
  }
  return keys;
}

/** IPv6 addresses count per /64: one site can pick any address of its block. */
export function throttleAddress(address: string): string {
  const ip = parseIp(address);
  if (!ip) return address;
  return ip.version === 6 ? `${formatIp(truncateIp(ip, 64))}/64` : formatIp(ip);
}

/** Refused while the pair or address counter waits; delayed while the account counter does. */
export function decide(streaks: Streaks, now: number, policy: LoginPolicy): Admission {
  const refuse = Math.max(remainingMs(streaks.pair, now, policy.pair), remainingMs(streaks.address, now, policy.address));
  if (refuse > 0) return { admitted: false, retryAfterSeconds: Math.ceil(refuse / 1000) };
  return { admitted: true, delayMs: Math.min(remainingMs(streaks.account, now, policy.account), policy.account.maxMs) };
}

/** The streak with one more failure counted at `now`. */
export function withFailure(streak: Streak | undefined, now: number, p: BackoffPolicy): Streak {
  return { failures: (live(streak, now, p)?.failures ?? 0) + 1, lastMs: now };
}

/**
 * What settle() leaves of a counter. A failure was counted at admission; its wait runs from the
 * answer, so a slow check does not use the wait up. A success clears the pair counter and gives
 * the others their failure back.
 */
export function afterSettle(name: CounterName, streak: Streak | undefined, succeeded: boolean, now: number): Streak | undefined {
  if (!streak) return undefined;
  if (!succeeded) return { failures: streak.failures, lastMs: Math.max(streak.lastMs, now) };
  if (name === "pair" || streak.failures <= 1) return undefined;
  return { failures: streak.failures - 1, lastMs: streak.lastMs };
}
