import type { Identity } from "../auth/identity";
import { bearerToken, type OAuthTokenService } from "../auth/oauthTokens";
import type { OAuthScope } from "../auth/oauthScopeNames";
import type { UserStore } from "../store/meta/users";

/** What the session cookie holds: the user's uuid (rotated at sign-out), login time, CSRF token. */
export interface SessionData {
  u?: string;
  t?: number;
  c?: string;
}

export interface Caller {
  identity: Identity;
  /** How the caller authenticated; CSRF applies to cookie sessions and anonymous callers. */
  via: "session" | "anonymous" | "oauth";
  session: SessionData;
  /** An OAuth token's scopes: the caller may do only what they allow. Absent for sessions. */
  scopes?: readonly OAuthScope[];
}

export const SESSION_COOKIE = "_csrf_token"; // Quay's session cookie name, kept for tooling
export const FRESH_LOGIN_MS = 10 * 60 * 1000;

/** How long a login lasts (sessionLifetimeSeconds), and the clock to judge it by. */
export interface SessionPolicy {
  lifetimeMs: number;
  now: number;
}

/**
 * Whether the session's login (its time `t`) is still within the lifetime. The cookie's Max-Age
 * only asks the browser to forget it; a kept or replayed cookie must fail here too. A login
 * without a time does not count (the time is signed with the cookie, so it cannot be forged).
 */
export function loginAlive(data: SessionData, policy: SessionPolicy): boolean {
  return typeof data.t === "number" && policy.now - data.t < policy.lifetimeMs;
}

/**
 * Quay's order: a Bearer token (an OAuth access token) wins; an invalid one makes the caller
 * anonymous, never falling back to the cookie. Without one, the session cookie decides.
 */
export async function callerFromRequest(
  request: Request,
  session: SessionData | undefined,
  users: UserStore,
  oauth: OAuthTokenService,
  policy: SessionPolicy,
): Promise<Caller> {
  const token = bearerToken(request.headers.get("authorization"));
  if (token === undefined) return callerFromSession(session, users, policy);
  const found = await oauth.authenticateToken(token);
  // Anonymous and still subject to CSRF: only a valid token exempts a write.
  if (!found) return { identity: { kind: "anonymous" }, via: "anonymous", session: {} };
  return { identity: { kind: "user", user: found.user, via: "oauth" }, via: "oauth", session: {}, scopes: found.scopes };
}

export async function callerFromSession(session: SessionData | undefined, users: UserStore, policy: SessionPolicy): Promise<Caller> {
  const data = session ?? {};
  // An expired login is no session at all: anonymous, and its CSRF token is dropped with it.
  if (data.u && !loginAlive(data, policy)) return { identity: { kind: "anonymous" }, via: "anonymous", session: {} };
  if (data.u) {
    const user = await users.byUuid(data.u);
    if (user?.enabled) return { identity: { kind: "user", user, via: "password" }, via: "session", session: data };
  }
  return { identity: { kind: "anonymous" }, via: "anonymous", session: data };
}

/** The scopes that cap the caller: its OAuth token's, or undefined for a session (no cap). */
export function tokenScopes(caller: Caller): readonly OAuthScope[] | undefined {
  return caller.via === "oauth" ? (caller.scopes ?? []) : undefined;
}

export function isSignedIn(caller: Caller): boolean {
  return caller.identity.kind !== "anonymous";
}
