// Quay's permission checks as plain functions; each throws the ApiError Quay would answer with.
// The macros in macros.ts put them on routes; handlers call them for checks that depend on the body.
// The decisions are src/perm's; here a "no" becomes Quay's answer (401/403, 404, 400).
import { constantTimeEqual } from "../secrets";
import { isValidRepoName } from "../oci";
import type { OAuthScope } from "../auth/oauthScopeNames";
import { withinScopes } from "../perm/oauthScopes";
import type { OrgStanding } from "../perm/orgStanding";
import { checkRepoRole, roleRequired } from "../perm/repoAccess";
import type { RepoStanding } from "../perm/repoRoles";
import type { RepoRole } from "../perm/roles";
import { maySuperuser } from "../perm/superuser";
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
  if (!withinScopes(tokenScopes(caller), scope)) throw ApiError.unauthorized(isSignedIn(caller));
}

/** The repository standing, requiring at least `role`. Private repositories never leak: 401/403 like a missing one. */
export async function requireRepoRole(caller: Caller, roles: V1Context["roles"], repo: string, role: RepoRole): Promise<RepoStanding> {
  const standing = await roles.standing(caller.identity, repo);
  const check = checkRepoRole(standing, role);
  if (check === "denied") throw ApiError.unauthorized(isSignedIn(caller));
  if (check === "missing") throw ApiError.notFound();
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
): Promise<RepoStanding> {
  requireScope(caller, scope);
  if (!repo.includes("/") || !isValidRepoName(repo)) throw ApiError.notFound();
  const needed = roleRequired(ctx.roles.principalOf(caller.identity), role, opts.allowForGlobalReadonlySuperuser === true);
  return requireRepoRole(caller, ctx.roles, repo, needed);
}

/** Superuser panel: any superuser reads, only real superusers write. */
export function requireSuperuser(ctx: V1Context, caller: Caller, mode: "read" | "write"): void {
  requireUser(caller);
  requireScope(caller, "super:user");
  if (!maySuperuser(ctx.roles.principalOf(caller.identity), mode)) throw ApiError.unauthorized(true);
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

/** The caller's standing in `org`, capped by an OAuth token's scopes (decided in src/perm/orgStanding.ts). */
export function orgStanding(ctx: V1Context, caller: Caller, org: string): Promise<OrgStanding> {
  return ctx.roles.orgStanding(caller.identity, org, tokenScopes(caller));
}

/** Quay's order: the permission first (so unknown orgs answer 401/403 like private ones), then 404. */
export async function requireOrgAdmin(ctx: V1Context, caller: Caller, org: string, read = false) {
  return requireAdminOf(await orgStanding(ctx, caller, org), caller, read);
}

/** requireOrgAdmin for any namespace: a user's own counts (Quay: every user is the admin of their own 'org'). */
export async function requireNamespaceAdmin(ctx: V1Context, caller: Caller, name: string, read = false) {
  return requireAdminOf(await ctx.roles.namespaceStanding(caller.identity, name, tokenScopes(caller)), caller, read);
}

function requireAdminOf(standing: OrgStanding, caller: Caller, read: boolean) {
  if (!(read ? standing.canRead : standing.isAdmin)) throw ApiError.unauthorized(isSignedIn(caller));
  if (!standing.ns) throw ApiError.notFound();
  return { ...standing, ns: standing.ns };
}

