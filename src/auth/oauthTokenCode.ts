import { constantTimeEqual, randomAlnum, ROBOT_TOKEN_ALPHABET } from "../secrets";
import type { NewOAuthToken, OAuthTokenInfo, OAuthTokenStore } from "../store/meta/oauthTokens";

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

/** Makes a token and stores it for `input`: the answer is the only place the token string exists. */
export async function issueOAuthToken(tokens: OAuthTokenStore, input: Omit<NewOAuthToken, "lookup" | "secretHash">): Promise<OAuthTokenInfo & { token: string }> {
  const token = newOAuthToken();
  const { lookup, secret } = splitOAuthToken(token)!;
  return { ...await tokens.create({ ...input, lookup, secretHash: hashOAuthSecret(secret) }), token };
}

/** The token's row when `token` is a live token of ours: known lookup half, right secret, not expired. */
export async function findOAuthToken(tokens: OAuthTokenStore, token: string): Promise<OAuthTokenInfo | undefined> {
  const parts = splitOAuthToken(token);
  if (!parts) return undefined;
  const row = await tokens.liveByLookup(parts.lookup);
  // Hash and compare even without a row, so timing does not tell a known lookup half apart.
  const hash = hashOAuthSecret(parts.secret);
  if (!constantTimeEqual(row?.secretHash ?? "", hash) || !row) return undefined;
  const { secretHash: _, ...info } = row;
  return info;
}
