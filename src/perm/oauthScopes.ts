// What the OAuth scopes of API v1 bearer tokens (reference §3.4) cap. Pure. The scope names and
// their text form belong to the token, so auth owns them (src/auth/oauthScopeNames.ts).
//
// A scope never grants anything by itself: it caps what the token's user could do with a
// session. Quay models each cap as "the highest role this scope allows" per role kind (repository,
// team, account); a token's cap is the highest over its scopes, so repo:admin implies repo:write
// and repo:read, user:admin implies user:read, and org:admin (team role admin) also allows
// creating repositories like repo:create (team role creator).

import { OAUTH_SCOPES, type OAuthScope } from "../auth/oauthScopeNames";
import type { RepoRole, TeamRole } from "./roles";

/** The scopes given plus every scope they imply. */
export function expandScopes(scopes: readonly OAuthScope[]): OAuthScope[] {
  const out = new Set<OAuthScope>(scopes);
  if (out.has("repo:admin")) out.add("repo:write");
  if (out.has("repo:write")) out.add("repo:read");
  if (out.has("user:admin")) out.add("user:read");
  return OAUTH_SCOPES.filter((s) => out.has(s));
}

// ---- caps: the highest role each scope allows, per kind of role ----

const REPO_CAP: Partial<Record<OAuthScope, RepoRole>> = { "repo:read": "read", "repo:write": "write", "repo:admin": "admin" };
const REPO_RANK: Record<RepoRole, number> = { none: 0, read: 1, write: 2, admin: 3 };

export type CappedTeamRole = TeamRole | "none";
const TEAM_CAP: Partial<Record<OAuthScope, TeamRole>> = { "repo:create": "creator", "org:admin": "admin" };
const TEAM_RANK: Record<CappedTeamRole, number> = { none: 0, member: 1, creator: 2, admin: 3 };

export type AccountRole = "none" | "read" | "admin";
const USER_CAP: Partial<Record<OAuthScope, AccountRole>> = { "user:read": "read", "user:admin": "admin" };
const USER_RANK: Record<AccountRole, number> = { none: 0, read: 1, admin: 2 };

function capOf<R extends string>(scopes: readonly OAuthScope[], table: Partial<Record<OAuthScope, R>>, rank: Record<R, number>, none: R): R {
  let best = none;
  for (const scope of scopes) {
    const role = table[scope];
    if (role !== undefined && rank[role] > rank[best]) best = role;
  }
  return best;
}

function lower<R extends string>(a: R, b: R, rank: Record<R, number>): R {
  return rank[a] <= rank[b] ? a : b;
}

/** The highest repository role the scopes allow; "none" without a repo:read/write/admin scope. */
export function maxRepoRole(scopes: readonly OAuthScope[]): RepoRole {
  return capOf(scopes, REPO_CAP, REPO_RANK, "none");
}

/** `role` (resolved as for a session, reference §3.2) lowered to what the token's scopes allow. */
export function capRepoRole(role: RepoRole, scopes: readonly OAuthScope[]): RepoRole {
  return lower(role, maxRepoRole(scopes), REPO_RANK);
}

/**
 * A team role (org membership) lowered to what the scopes allow. Quay caps namespace-wide
 * standing this way too: membership checks need at least "member", so a token without
 * repo:create or org:admin does not count as an org member.
 */
export function capTeamRole(role: CappedTeamRole, scopes: readonly OAuthScope[]): CappedTeamRole {
  return lower(role, capOf(scopes, TEAM_CAP, TEAM_RANK, "none"), TEAM_RANK);
}

/** The caller's role over its own account lowered to what the scopes allow. */
export function capAccountRole(role: AccountRole, scopes: readonly OAuthScope[]): AccountRole {
  return lower(role, capOf(scopes, USER_CAP, USER_RANK, "none"), USER_RANK);
}

/** Creating repositories needs team role creator: repo:create, or org:admin (team role admin). */
export function mayCreateRepos(scopes: readonly OAuthScope[]): boolean {
  return TEAM_RANK[capOf(scopes, TEAM_CAP, TEAM_RANK, "none")] >= TEAM_RANK.creator;
}

/** Reading one's own account (GET /user/, organizations list): user:read or user:admin. */
export function allowsUserRead(scopes: readonly OAuthScope[]): boolean {
  return capAccountRole("admin", scopes) !== "none";
}

/** Changing one's own account (PUT /user/, app tokens, creating organizations): user:admin. */
export function allowsUserAdmin(scopes: readonly OAuthScope[]): boolean {
  return capAccountRole("admin", scopes) === "admin";
}

/** Administering organizations the user administers anyway: org:admin. */
export function allowsOrgAdmin(scopes: readonly OAuthScope[]): boolean {
  return capTeamRole("admin", scopes) === "admin";
}

/** Using superuser powers the user has anyway: super:user. */
export function allowsSuperuser(scopes: readonly OAuthScope[]): boolean {
  return scopes.includes("super:user");
}

/** Whether a token holding `scopes` may use a route that needs `needed` (what a Quay @require_scope checks). */
export function scopesAllow(scopes: readonly OAuthScope[], needed: OAuthScope): boolean {
  switch (needed) {
    case "repo:read":
    case "repo:write":
    case "repo:admin":
      return REPO_RANK[maxRepoRole(scopes)] >= REPO_RANK[needed.slice(5) as RepoRole];
    case "repo:create":
      return mayCreateRepos(scopes);
    case "user:read":
      return allowsUserRead(scopes);
    case "user:admin":
      return allowsUserAdmin(scopes);
    case "org:admin":
      return allowsOrgAdmin(scopes);
    case "super:user":
      return allowsSuperuser(scopes);
  }
}

/** Whether a caller may use a route that needs `needed`: `scopes` are its token's, or undefined for a session (not capped). */
export function withinScopes(scopes: readonly OAuthScope[] | undefined, needed: OAuthScope): boolean {
  return scopes === undefined || scopesAllow(scopes, needed);
}
