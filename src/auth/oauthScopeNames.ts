// The names of API v1 OAuth scopes (reference §3.4) and their text form: what a token carries,
// read when the token is checked and when a client asks for one. Pure. What each scope lets a
// token do (the caps, and which scope implies which) is perm's: src/perm/oauthScopes.ts.

export const OAUTH_SCOPES = [
  "repo:read",
  "repo:write",
  "repo:admin",
  "repo:create",
  "user:read",
  "user:admin",
  "org:admin",
  "super:user",
] as const;

export type OAuthScope = (typeof OAUTH_SCOPES)[number];

export type ParsedScopes = { ok: true; scopes: OAuthScope[] } | { ok: false; error: string };

const KNOWN = new Set<string>(OAUTH_SCOPES);

export function isOAuthScope(name: string): name is OAuthScope {
  return KNOWN.has(name);
}

/**
 * Parses a space- or comma-separated list (as Quay accepts both). Any unknown name invalidates
 * the whole string; so does a list naming nothing. Runs of separators are tolerated. The result
 * is deduplicated in canonical order and holds only the names given (implications are applied by
 * the caps, not written into the list).
 */
export function parseScopes(text: string): ParsedScopes {
  if (typeof text !== "string") return { ok: false, error: "scopes must be a string" };
  const names = text.split(/[\s,]+/).filter((n) => n !== "");
  if (names.length === 0) return { ok: false, error: "no scopes given" };
  const unknown = names.filter((n) => !isOAuthScope(n));
  if (unknown.length > 0) {
    const listed = [...new Set(unknown)].map((n) => `"${n}"`).join(", ");
    return { ok: false, error: `unknown scope${unknown.length > 1 ? "s" : ""} ${listed} (known: ${OAUTH_SCOPES.join(" ")})` };
  }
  return { ok: true, scopes: OAUTH_SCOPES.filter((s) => names.includes(s)) };
}

/** The canonical space-separated form, as stored and as shown in token listings. */
export function formatScopes(scopes: readonly OAuthScope[]): string {
  return OAUTH_SCOPES.filter((s) => scopes.includes(s)).join(" ");
}
