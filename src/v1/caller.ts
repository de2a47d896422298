import type { Identity } from "../auth/identity";
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
  scopes?: ReadonlySet<string>;
}

export const SESSION_COOKIE = "_csrf_token"; // Quay's session cookie name, kept for tooling
export const FRESH_LOGIN_MS = 10 * 60 * 1000;

export function callerFromSession(session: SessionData | undefined, users: UserStore): Caller {
  const data = session ?? {};
  if (data.u) {
    const user = users.byUuid(data.u);
    if (user?.enabled) return { identity: { kind: "user", user, via: "password" }, via: "session", session: data };
  }
  return { identity: { kind: "anonymous" }, via: "anonymous", session: data };
}

export function isSignedIn(caller: Caller): boolean {
  return caller.identity.kind !== "anonymous";
}
