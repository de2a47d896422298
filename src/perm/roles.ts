// Quay's permission model (reference §3) as pure functions: the token endpoint gathers the facts
// (principal, repository, grants) and these decide. No I/O, so the matrix is unit-tested whole.

import type { ScopeAction } from "./scope.ts";

export type RepoRole = "none" | "read" | "write" | "admin";
export type TeamRole = "member" | "creator" | "admin";

const REPO_ROLE_RANK: Record<RepoRole, number> = { none: 0, read: 1, write: 2, admin: 3 };

/** The highest of `roles`; "none" when given nothing. */
export function maxRole(...roles: RepoRole[]): RepoRole {
  let best: RepoRole = "none";
  for (const role of roles) if (REPO_ROLE_RANK[role] > REPO_ROLE_RANK[best]) best = role;
  return best;
}

export function roleAtLeast(role: RepoRole, needed: RepoRole): boolean {
  return REPO_ROLE_RANK[role] >= REPO_ROLE_RANK[needed];
}

export interface RepoFacts {
  namespace: string;
  exists: boolean;
  visibility: "public" | "private";
}

export type Principal =
  | { kind: "anonymous" }
  | { kind: "user"; name: string; superuser: boolean; readonlySuperuser: boolean }
  | { kind: "robot"; name: string /* owner+short */; owner: string };

export interface Grants {
  direct?: RepoRole;
  viaTeams: RepoRole[];
  /** The principal's team roles in the repo's namespace when it is an org. */
  namespaceTeamRoles: TeamRole[];
}

export interface PolicyOptions {
  superuserFullAccess: boolean;
}

function publicRead(repo: RepoFacts): RepoRole {
  return repo.exists && repo.visibility === "public" ? "read" : "none";
}

/** Direct + team rows + org admin team + public, for a principal whose grants apply here. */
function grantedRole(repo: RepoFacts, grants: Grants): RepoRole {
  const orgAdmin: RepoRole = grants.namespaceTeamRoles.includes("admin") ? "admin" : "none";
  // A missing repository has no permission rows: stale rows of a deleted repo must not leak.
  if (!repo.exists) return orgAdmin;
  return maxRole(grants.direct ?? "none", ...grants.viaTeams, orgAdmin, publicRead(repo));
}

/** The effective role of `principal` on `repo` (reference §3.2, §3.3). */
export function resolveRepoRole(
  principal: Principal,
  repo: RepoFacts,
  grants: Grants,
  opts: PolicyOptions,
): RepoRole {
  switch (principal.kind) {
    case "anonymous":
      return publicRead(repo);
    case "robot":
      // Robots only receive rows in their owner's namespace; elsewhere any row is stale/bogus.
      if (repo.namespace !== principal.owner) return publicRead(repo);
      return grantedRole(repo, grants);
    case "user": {
      // Read-only wins over superuser when both are set; a GRO never writes, not even where
      // granted, and reads every existing repository.
      if (principal.readonlySuperuser) return repo.exists ? "read" : "none";
      if (principal.superuser && opts.superuserFullAccess) return "admin";
      if (principal.name === repo.namespace) return "admin";
      return grantedRole(repo, grants);
    }
  }
}

/** Whether `principal` may create a repository in `namespace` (reference §3.2). */
export function canCreateRepo(
  principal: Principal,
  namespace: string,
  namespaceTeamRoles: TeamRole[],
  opts: PolicyOptions,
): boolean {
  const creatorTeam = namespaceTeamRoles.includes("creator") || namespaceTeamRoles.includes("admin");
  switch (principal.kind) {
    case "anonymous":
      return false;
    case "robot":
      // Never via ownership; only via a creator/admin team of the owner org. A user-owned robot
      // sits in no team (user namespaces have none), so it never creates.
      return principal.owner === namespace && creatorTeam;
    case "user":
      if (principal.readonlySuperuser) return false; // creating is a write
      if (principal.superuser && opts.superuserFullAccess) return true;
      return principal.name === namespace || creatorTeam;
  }
}

const ACTION_NEEDS: Record<ScopeAction, RepoRole> = {
  pull: "read",
  push: "write",
  // Distribution asks for "delete" on DELETE; Quay gates deletes like pushes, so write suffices.
  delete: "write",
  "*": "admin",
};

/**
 * The subset of `requested` the role allows, in requested order; denied actions are dropped
 * silently (the token endpoint still answers 200). For a missing repository, push depends on
 * `canCreate`, and a creator who asks for push also gets pull: the client HEADs blobs in the
 * repository it is creating, and the creator will own it.
 */
export function grantedActions(
  requested: ScopeAction[],
  role: RepoRole,
  canCreate: boolean,
  repoExists: boolean,
): ScopeAction[] {
  const creating = !repoExists && canCreate && requested.includes("push");
  const allowed = (action: ScopeAction): boolean => {
    if (creating && (action === "push" || action === "pull")) return true;
    if (action === "push" && !repoExists) return false;
    return roleAtLeast(role, ACTION_NEEDS[action]);
  };
  return [...new Set(requested)].filter(allowed);
}

export type V2Action = "pull" | "push" | "delete";

export interface TokenAccess {
  type: string;
  name: string;
  actions: readonly string[];
}

/**
 * Whether a verified token's `access` list grants every `needed` action on `repo` (`*` grants
 * all). Entry names must equal `repo`: the token endpoint writes the canonical name it checked
 * (host stripped, `library/` added), so stripping again here would read `john.doe/app` as `app`
 * on host `john.doe`. Several entries for the same repository add up.
 */
export function tokenAllows(access: readonly TokenAccess[], repo: string, needed: V2Action[]): boolean {
  const granted = new Set<string>();
  let found = false;
  for (const entry of access) {
    if (entry.type !== "repository" || typeof entry.name !== "string") continue;
    if (entry.name !== repo || !Array.isArray(entry.actions)) continue;
    found = true;
    for (const action of entry.actions) granted.add(action);
  }
  if (!found) return false;
  return granted.has("*") || needed.every((action) => granted.has(action));
}
