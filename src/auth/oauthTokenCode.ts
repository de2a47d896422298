import { randomAlnum, ROBOT_TOKEN_ALPHABET } from "./password";

// An OAuth access token is 40 characters of A-Z0-9, as Quay's: the first 20 find the row (a
// unique index), the last 20 are the secret, of which only the sha256 is stored. 20 characters
// of 36 are ~103 bits, far beyond guessing, so a fast hash is enough (as for app tokens); the
// lookup half keeps the comparison to one row and lets it run in constant time.

export const OAUTH_TOKEN_LENGTH = 40;
const LOOKUP_LENGTH = 20;
const SHAPE = /^[A-Z0-9]{40}$/;

export function newOAuthToken(): string {
  return randomAlnum(OAUTH_TOKEN_LENGTH, ROBOT_TOKEN_ALPHABET);
}

/** The token's two halves, or undefined when it cannot be one of ours (no database read needed). */
export function splitOAuthToken(token: string): { lookup: string; secret: string } | undefined {
  if (typeof token !== "string" || !SHAPE.test(token)) return undefined;
  return { lookup: token.slice(0, LOOKUP_LENGTH), secret: token.slice(LOOKUP_LENGTH) };
}

export function hashOAuthSecret(secret: string): string {
  return new Bun.CryptoHasher("sha256").update(secret).digest("hex");
}
