import { accountOf, type Identity } from "../auth/identity";
import { canonicalRepoName } from "../oci";
import type { OrgStore } from "../store/meta/orgs";
import type { TeamRole, TeamStore } from "../store/meta/teams";
import type { PermissionStore } from "../store/meta/permissions";
import type { ProxyCacheStore } from "../store/meta/proxyCaches";
import type { RepositoryStore } from "../store/meta/repositories";
// standing() reads the org and permission stores synchronously (SQLite); until they run through
// the dialect runner and it becomes async, it reads the repository at once too.
import type { OAuthScope } from "../auth/oauthScopeNames";
import { allowsSuperuser } from "./oauthScopes";
import { capStandingToScopes } from "./oauthStanding";
import { orgRights, type OrgStanding } from "./orgStanding";
import { canCreateRepo, resolveRepoRole, type Principal, type RepoRole } from "./roles";

export interface RoleStores {
  repositories: RepositoryStore;
  orgs: OrgStore;
  teams: TeamStore;
  permissions: PermissionStore;
  /** Absent in unit tests that build a resolver without caches. */
  proxyCaches?: Pick<ProxyCacheStore, "forOrg">;
}

export interface SuperuserPolicy {
  superusers: string[];
  readonlySuperusers: string[];
  superuserFullAccess: boolean;
}

export interface RepoStanding {
  repo: string;
  exists: boolean;
  repoId?: number;
  role: RepoRole;
  /** The role without what public visibility gives everyone (Quay's repository listings use it). */
  grantedRole: RepoRole;
  /** May create repositories in this namespace (whether or not this one exists). */
  canCreateInNamespace: boolean;
  /** canCreateInNamespace, for a repository that does not exist yet. */
  canCreate: boolean;
}

/** Gathers the facts about a caller and a repository (or organization) from the store, then asks the pure rules. */
export class RepoRoleResolver {
  private readonly superusers: Set<string>;
  private readonly readonlySuperusers: Set<string>;

  constructor(
    private readonly stores: RoleStores,
    private readonly policy: SuperuserPolicy,
  ) {
    this.readonlySuperusers = new Set(policy.readonlySuperusers);
    // Read-only wins when a name is in both lists, as in Quay.
    this.superusers = new Set(policy.superusers.filter((n) => !this.readonlySuperusers.has(n)));
  }

  principalOf(identity: Identity): Principal {
    if (identity.kind === "user") {
      const name = identity.user.username;
      const readonly = this.readonlySuperusers.has(name);
      const superuser = !readonly && (this.superusers.has(name) || identity.user.superuser);
      return { kind: "user", name, superuser, readonlySuperuser: readonly };
    }
    if (identity.kind === "robot") return { kind: "robot", name: identity.robot.fullName, owner: identity.robot.owner };
    return { kind: "anonymous" };
  }

  async standing(identity: Identity, requestedName: string): Promise<RepoStanding> {
    const repo = canonicalRepoName(requestedName);
    const namespace = repo.slice(0, repo.indexOf("/"));
    const row = await this.stores.repositories.find(repo);
    const scopes = identity.kind === "user" ? identity.oauthScopes : undefined;
    let principal = this.principalOf(identity);
    if (scopes && principal.kind === "user" && !allowsSuperuser(scopes)) principal = { ...principal, superuser: false };
    const opts = { superuserFullAccess: this.policy.superuserFullAccess };
    const member = accountOf(identity);
    const ns = await this.stores.orgs.namespace(namespace);
    const namespaceTeamRoles: TeamRole[] = member && ns?.kind === "org" ? await this.stores.teams.teamRolesOf(ns.id, member) : [];
    const grants =
      member && row
        ? { ...(await this.stores.permissions.grantsOn(row.id, member, await this.stores.teams.teamIdsOf(member))), namespaceTeamRoles }
        : { viaTeams: [], namespaceTeamRoles };
    const resolved = resolveRepoRole(
      principal,
      { namespace, exists: !!row, visibility: row?.visibility ?? "private" },
      grants,
      opts,
    );
    // Quay's v2auth: in a proxy-cache organization, its members may pull any repository (the
    // pull creates it). Members: users in a team of the org, and the org's robots.
    const cacheMember =
      ns?.kind === "org" &&
      (namespaceTeamRoles.length > 0 || (principal.kind === "robot" && principal.owner === namespace)) &&
      (await this.stores.proxyCaches?.forOrg(namespace)) !== undefined;
    const role: RepoRole = cacheMember && resolved === "none" ? "read" : resolved;
    const grantedRole =
      row?.visibility === "public" ? resolveRepoRole(principal, { namespace, exists: true, visibility: "private" }, grants, opts) : role;
    // Only existing namespaces can receive new repositories (Quay's CREATE_NAMESPACE_ON_PUSH off),
    // except for full-access superusers, whose pushes create an organisation they own.
    const canCreateInNamespace = ns !== undefined || (principal.kind === "user" && principal.superuser && opts.superuserFullAccess)
      ? canCreateRepo(principal, namespace, namespaceTeamRoles, opts)
      : false;
    const standing = { repo, exists: !!row, repoId: row?.id, role, grantedRole, canCreateInNamespace, canCreate: !row && canCreateInNamespace };
    return scopes ? capStandingToScopes(standing, scopes, row?.visibility === "public") : standing;
  }

  /**
   * The caller's standing in the organization `org`, capped by an OAuth token's `scopes`
   * (undefined for a session: no cap). A user or unknown name gives `ns` undefined and no rights.
   */
  async orgStanding(identity: Identity, org: string, scopes: readonly OAuthScope[] | undefined): Promise<OrgStanding> {
    const found = await this.stores.orgs.namespace(org);
    const ns = found?.kind === "org" ? { id: found.id, name: org } : undefined;
    const principal = this.principalOf(identity);
    const teamRoles = ns && identity.kind === "user" ? await this.stores.teams.teamRolesOf(ns.id, { userId: identity.user.id }) : [];
    const facts = {
      exists: ns !== undefined,
      teamRoles,
      superuser: principal.kind === "user" && principal.superuser,
      readonlySuperuser: principal.kind === "user" && principal.readonlySuperuser,
      superuserFullAccess: this.policy.superuserFullAccess,
    };
    return { ns, ...orgRights(facts, scopes) };
  }

  /**
   * The caller's standing over any namespace, as Quay's AdministerOrganizationPermission sees it:
   * an organization's as orgStanding, and every user administers their own namespace (capped by
   * a token's scopes like a team role). Superusers stand as they do in organizations.
   */
  async namespaceStanding(identity: Identity, name: string, scopes: readonly OAuthScope[] | undefined): Promise<OrgStanding> {
    const found = await this.stores.orgs.namespace(name);
    if (found?.kind !== "user") return this.orgStanding(identity, name, scopes);
    const principal = this.principalOf(identity);
    const own = identity.kind === "user" && identity.user.username === name;
    const facts = {
      exists: true,
      teamRoles: own ? (["admin"] as const) : [],
      superuser: principal.kind === "user" && principal.superuser,
      readonlySuperuser: principal.kind === "user" && principal.readonlySuperuser,
      superuserFullAccess: this.policy.superuserFullAccess,
    };
    return { ns: { id: found.id, name }, ...orgRights(facts, scopes) };
  }

  async isPublic(requestedName: string): Promise<boolean> {
    return (await this.stores.repositories.find(canonicalRepoName(requestedName)))?.visibility === "public";
  }
}
