// Password hashing and the rules a new password must meet. (Constant-time compare and random
// codes are src/secrets.ts: the store needs them too.)
//
// argon2id with m=7168 KiB, t=5, p=1: one of OWASP's equivalent minimum settings (the same
// defence as m=19456,t=2, traded towards CPU). Measured on this machine (2 vCPUs, Bun 1.4.5,
// quiet, means of 10 runs after warm-up):
//   m=7168,t=5 (ours):          hash 20 ms, verify 20-21 ms, 8 concurrent verifies 78-82 ms
//   m=19456,t=2 (until 2026-12): hash 23 ms, verify 23-29 ms, 8 concurrent verifies 95-103 ms
//   Bun default (m=65536,t=2):  hash 89-94 ms, verify 94-104 ms (a busier day)
// Memory is what set the choice: each check holds its m for its duration, so a burst of logins
// costs m each, and on a small node the 19 MiB of one check was the process's peak (a 1 GiB
// push peaked below the token request that began it; docs/BENCHMARKS.md). Hashes made with
// other parameters still verify and are hashed again at the next login (Authenticator).

import { randomToken } from "../secrets";

const ARGON2 = { algorithm: "argon2id", memoryCost: 7168, timeCost: 5 } as const;
/** Prefix of a hash made with the current parameters; anything else should be rehashed at next login. */
const CURRENT_PREFIX = "$argon2id$v=19$m=7168,t=5,p=1$";

export const PASSWORD_MIN_LENGTH = 8;
/** Bounds the work an attacker can make one login attempt cost. */
export const PASSWORD_MAX_LENGTH = 1024;

export async function hashPassword(pw: string): Promise<string> {
  return Bun.password.hash(pw, ARGON2);
}

let dummyHash: Promise<string> | undefined;

/**
 * True if `pw` matches `hash`. A missing or unparsable hash (unknown user, user without a
 * password) still costs one argon2 verify against a dummy hash, so response time does not tell
 * whether an account exists.
 */
export async function verifyPassword(pw: string, hash: string | null | undefined): Promise<boolean> {
  // A code point is at most two UTF-16 units; anything longer was never a valid password.
  if (typeof pw !== "string" || pw.length > PASSWORD_MAX_LENGTH * 2) return false;
  try {
    if (typeof hash === "string" && hash.startsWith("$argon2")) return await Bun.password.verify(pw, hash);
  } catch {
    // malformed hash in the database: fall through to the dummy verify and refuse
  }
  dummyHash ??= hashPassword(randomToken(16));
  await Bun.password.verify(pw, await dummyHash).catch(() => false);
  return false;
}

export function needsRehash(hash: string): boolean {
  return !hash.startsWith(CURRENT_PREFIX);
}

/** Why a new password is unacceptable, or undefined when it is fine. Counts code points. */
export function passwordProblem(pw: string): string | undefined {
  if (typeof pw !== "string") return "Password is required";
  const length = [...pw].length;
  if (length < PASSWORD_MIN_LENGTH) return `Password must be at least ${PASSWORD_MIN_LENGTH} characters long`;
  if (length > PASSWORD_MAX_LENGTH) return `Password must be at most ${PASSWORD_MAX_LENGTH} characters long`;
  if (/\s/u.test(pw)) return "Password must not contain whitespace";
  return undefined;
}
