// Moving the clock for tests that depend on elapsed time (the server runs in this process).
import { setSystemTime } from "bun:test";

/** Quay's fresh-login window (reference §1.7) plus a minute. */
const PAST_FRESH_LOGIN_MS = 11 * 60 * 1000;

/** Runs `fn` with the clock eleven minutes ahead: every login made before is no longer fresh. */
export async function withStaleLogins<T>(fn: () => Promise<T>): Promise<T> {
  setSystemTime(new Date(Date.now() + PAST_FRESH_LOGIN_MS));
  try {
    return await fn();
  } finally {
    setSystemTime();
  }
}
