// What a caller is in an organization, as Quay's permissions see it, capped by an OAuth token's
// scopes (reference §3.4). Pure: RepoRoleResolver.orgStanding (repoRoles.ts) gathers the facts
// (team roles, superuser flags) and asks here.
//
// Quay lowers every team role to what the token's scopes allow (repo:create → creator, org:admin
// → admin, anything else → nothing), so a repo:read token of an org admin is neither admin nor
// member: it gets the org's public view. Superuser powers need the super:user scope.
import type { OAuthScope } from "../auth/oauthScopeNames";
import { allowsSuperuser, capTeamRole } from "./oauthScopes";
import type { TeamRole } from "./roles";

export interface OrgFacts {
  exists: boolean;
  /** The caller's roles in the org's teams, uncapped. */
  teamRoles: readonly TeamRole[];
  superuser: boolean;
  readonlySuperuser: boolean;
  superuserFullAccess: boolean;
}

export interface OrgRights {
  /** Team roles after the scope cap. */
  roles: TeamRole[];
  isAdmin: boolean;
  isMember: boolean;
  /** Org admin, or a global read-only superuser (reads only). */
  canRead: boolean;
  /** Member, or a global read-only superuser: sees the org's teams and lists its robots. */
  canReadAsMember: boolean;
  /** Admin, or in a team with the creator role (API v1's `can_create_repo`). */
  canCreateRepo: boolean;
}

/** What the caller is in an organization; `ns` undefined when no organization has the name. */
export interface OrgStanding extends OrgRights {
  ns?: { id: number; name: string };
}

/** Team roles lowered to what a token's scopes allow; `scopes` undefined (a session): unchanged. */
export function capTeamRoles(roles: readonly TeamRole[], scopes: readonly OAuthScope[] | undefined): TeamRole[] {
  if (scopes === undefined) return [...roles];
  return roles.flatMap((r) => {
    const capped = capTeamRole(r, scopes);
    return capped === "none" ? [] : [capped];
  });
}

/** `scopes` is the token's, or undefined for a session (no cap). */
export function orgRights(facts: OrgFacts, scopes: readonly OAuthScope[] | undefined): OrgRights {
  const roles = capTeamRoles(facts.teamRoles, scopes);
  const superPowers = scopes === undefined || allowsSuperuser(scopes);
  const superFull = superPowers && facts.superuser && facts.superuserFullAccess;
  const readonlySuper = superPowers && facts.readonlySuperuser;
  const isAdmin = facts.exists && (roles.includes("admin") || superFull);
  const isMember = facts.exists && (roles.length > 0 || superFull);
  const canRead = isAdmin || (facts.exists && readonlySuper);
  return { roles, isAdmin, isMember, canRead, canReadAsMember: isMember || canRead, canCreateRepo: isAdmin || roles.includes("creator") };
}

/** A team's member list: its own members see it; org admins (and read-only superusers) see any team's. */
export function mayListTeamMembers(rights: OrgRights, inTeam: boolean): boolean {
  return rights.canRead || inTeam;
}
