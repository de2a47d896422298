// Secret helpers every layer may use (a leaf module): comparing secrets in constant time and
// drawing random codes. The auth layer decides what the codes are for; the store draws OAuth
// application client ids and secrets with them and compares a client secret.

import { createHash, randomBytes, timingSafeEqual } from "node:crypto";

/** Compares digests, not the strings, so neither content nor length leaks through timing. */
export function constantTimeEqual(a: string, b: string): boolean {
  const da = createHash("sha256").update(a, "utf8").digest();
  const db = createHash("sha256").update(b, "utf8").digest();
  return timingSafeEqual(da, db);
}

/** `bytes` random bytes as URL-safe base64 without padding (48 bytes → 64 characters). */
export function randomToken(bytes = 48): string {
  return randomBytes(bytes).toString("base64url");
}

/** Quay robot tokens: 64 characters from A-Z0-9. */
export const ROBOT_TOKEN_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";

/**
 * `length` characters drawn uniformly from `alphabet`. Rejection sampling: bytes at or above the
 * largest multiple of the alphabet size are discarded, so `byte % size` has no modulo bias.
 */
export function randomAlnum(length: number, alphabet: string = ROBOT_TOKEN_ALPHABET): string {
  const size = alphabet.length;
  if (!Number.isInteger(length) || length < 0) throw new RangeError("length must be a non-negative integer");
  if (size < 2 || size > 256) throw new RangeError("alphabet must have 2..256 characters");
  const limit = 256 - (256 % size);
  let out = "";
  while (out.length < length) {
    for (const b of randomBytes(Math.ceil((length - out.length) * 1.25) + 8)) {
      if (b >= limit) continue;
      out += alphabet[b % size];
      if (out.length === length) break;
    }
  }
  return out;
}
