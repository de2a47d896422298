// Quay's permission checks as plain functions; each throws the ApiError Quay would answer with.
// The macros in macros.ts put them on routes; handlers call them for checks that depend on the body.
import { constantTimeEqual } from "../secrets";
import { isValidRepoName } from "../oci";
import type { OAuthScope } from "../auth/oauthScopeNames";
import { scopesAllow } from "../perm/oauthScopes";
import type { RepoStanding } from "../perm/repoRoles";
import type { RepoRole } from "../perm/roles";
import { roleAtLeast } from "../perm/roles";
import { orgRights, type OrgRights } from "../perm/orgStanding";
import { FRESH_LOGIN_MS, isSignedIn, tokenScopes, type Caller } from "./caller";
import type { V1Context } from "./context";
import { ApiError } from "./errors";

export type OAuthScopeName = OAuthScope;

export function requireUser(caller: Caller) {
  if (caller.identity.kind !== "user") throw ApiError.unauthorized(false);
  return caller.identity.user;
}

/** Sessions need a login within ten minutes; OAuth tokens skip the rule, as in Quay. */
export function requireFreshLogin(caller: Caller, now = Date.now()): void {
  requireUser(caller);
  if (caller.via === "oauth") return;
  if (!caller.session.t || now - caller.session.t > FRESH_LOGIN_MS) throw ApiError.freshLoginRequired();
}

/**
 * A bearer token never mints, widens or renews credentials (OAuth grants, app tokens, passwords,
 * sessions): such methods need the browser session, as Quay's require_session_login. Anonymous
 * callers pass through to the route's own sign-in check.
 */
export function requireSessionLogin(caller: Caller): void {
  if (caller.via === "oauth") throw ApiError.sessionRequired();
}

/** OAuth tokens act only within their scopes; sessions are not capped. */
export function requireScope(caller: Caller, scope: OAuthScopeName): void {
  if (caller.via === "oauth" && !scopesAllow(caller.scopes ?? [], scope)) throw ApiError.unauthorized(isSignedIn(caller));
}

/** The repository standing, requiring at least `role`. Private repositories never leak: 401/403 like a missing one. */
export function requireRepoRole(caller: Caller, roles: V1Context["roles"], repo: string, role: RepoRole): RepoStanding {
  const standing = roles.standing(caller.identity, repo);
  if (!roleAtLeast(standing.role, role)) throw ApiError.unauthorized(isSignedIn(caller));
  if (!standing.exists) throw ApiError.notFound();
  return standing;
}

/** requireRepoRole plus the OAuth cap and Quay's read-only-superuser allowance for admin reads. */
export function requireRepoStanding(
  ctx: V1Context,
  caller: Caller,
  repo: string,
  role: RepoRole,
  scope: OAuthScopeName,
  opts: { allowForGlobalReadonlySuperuser?: boolean },
): RepoStanding {
  requireScope(caller, scope);
  if (!repo.includes("/") || !isValidRepoName(repo)) throw ApiError.notFound();
  if (role === "admin" && opts.allowForGlobalReadonlySuperuser) {
    const p = ctx.roles.principalOf(caller.identity);
    if (p.kind === "user" && p.readonlySuperuser) return requireRepoRole(caller, ctx.roles, repo, "read");
  }
  return requireRepoRole(caller, ctx.roles, repo, role);
}

/** Superuser panel: any superuser reads, only real superusers write. */
export function requireSuperuser(ctx: V1Context, caller: Caller, mode: "read" | "write"): void {
  requireUser(caller);
  requireScope(caller, "super:user");
  const p = ctx.roles.principalOf(caller.identity);
  const ok = p.kind === "user" && (p.superuser || (mode === "read" && p.readonlySuperuser));
  if (!ok) throw ApiError.unauthorized(true);
}

/** Quay's web routes outside the CSRF-protected API: the programmatic first-user bootstrap. */
const CSRF_EXEMPT = new Set(["/api/v1/user/initialize"]);

/** CSRF on cookie-authenticated (and anonymous) writes, compared in constant time. OAuth callers are exempt. */
export function checkCsrf(caller: Caller, request: Request, body?: unknown): void {
  const method = request.method;
  if (method === "GET" || method === "HEAD" || method === "OPTIONS") return;
  if (caller.via === "oauth") return;
  const url = new URL(request.url);
  if (CSRF_EXEMPT.has(url.pathname)) return;
  // Header, query parameter, or the `_csrf_token` form field (HTML forms such as /oauth/authorizeapp).
  const field = body && typeof body === "object" ? (body as Record<string, unknown>)._csrf_token : undefined;
  const given = request.headers.get("x-csrf-token") ?? url.searchParams.get("_csrf_token") ?? (typeof field === "string" ? field : null);
  const expected = caller.session.c;
  if (!given || !expected || !constantTimeEqual(given, expected)) throw ApiError.csrf();
}

/** What the caller is in an organization: its team roles, and admin/member as Quay's permissions see them. */
export interface OrgStanding extends OrgRights {
  /** undefined when no organization has this name. */
  ns?: { id: number; name: string };
}

/** The caller's standing in `org`, capped by an OAuth token's scopes (src/perm/orgStanding.ts). */
export function orgStanding(ctx: V1Context, caller: Caller, org: string): OrgStanding {
  const found = ctx.stores.orgs.namespace(org);
  const ns = found?.kind === "org" ? { id: found.id, name: org } : undefined;
  const principal = ctx.roles.principalOf(caller.identity);
  const teamRoles = ns && caller.identity.kind === "user" ? ctx.stores.orgs.teamRolesOf(ns.id, { userId: caller.identity.user.id }) : [];
  const facts = {
    exists: ns !== undefined,
    teamRoles,
    superuser: principal.kind === "user" && principal.superuser,
    readonlySuperuser: principal.kind === "user" && principal.readonlySuperuser,
    superuserFullAccess: ctx.config.superuserFullAccess,
  };
  return { ns, ...orgRights(facts, tokenScopes(caller)) };
}

/** Quay's order: the permission first (so unknown orgs answer 401/403 like private ones), then 404. */
export function requireOrgAdmin(ctx: V1Context, caller: Caller, org: string, read = false) {
  const standing = orgStanding(ctx, caller, org);
  if (!(read ? standing.canRead : standing.isAdmin)) throw ApiError.unauthorized(isSignedIn(caller));
  if (!standing.ns) throw ApiError.notFound();
  return { ...standing, ns: standing.ns };
}

