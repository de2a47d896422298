import { constantTimeEqual } from "../auth/password";
import type { RepoRole } from "../perm/roles";
import { roleAtLeast } from "../perm/roles";
import type { RepoRoleResolver, RepoStanding } from "../perm/repoRoles";
import { FRESH_LOGIN_MS, isSignedIn, type Caller } from "./caller";
import { ApiError } from "./errors";

// Quay's decorators as plain checks; each throws the ApiError Quay would answer with.

export function requireUser(caller: Caller) {
  if (caller.identity.kind !== "user") throw ApiError.unauthorized(false);
  return caller.identity.user;
}

export function requireFreshLogin(caller: Caller, now = Date.now()): void {
  requireUser(caller);
  if (!caller.session.t || now - caller.session.t > FRESH_LOGIN_MS) throw ApiError.freshLoginRequired();
}

/** The repository standing, requiring at least `role`. Private repositories never leak: 401/403 like a missing one. */
export function requireRepoRole(caller: Caller, roles: RepoRoleResolver, repo: string, role: RepoRole): RepoStanding {
  const standing = roles.standing(caller.identity, repo);
  if (!roleAtLeast(standing.role, role)) throw ApiError.unauthorized(isSignedIn(caller));
  if (!standing.exists) throw ApiError.notFound();
  return standing;
}

/** CSRF on cookie-authenticated (and anonymous) writes, compared in constant time. */
export function checkCsrf(caller: Caller, request: Request): void {
  const method = request.method;
  if (method === "GET" || method === "HEAD" || method === "OPTIONS") return;
  const url = new URL(request.url);
  const given = request.headers.get("x-csrf-token") ?? url.searchParams.get("_csrf_token");
  const expected = caller.session.c;
  if (!given || !expected || !constantTimeEqual(given, expected)) throw ApiError.csrf();
}
