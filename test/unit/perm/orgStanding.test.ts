import { describe, expect, test } from "bun:test";
import type { OAuthScope } from "../../../src/auth/oauthScopeNames.ts";
import { mayListTeamMembers, orgRights, type OrgFacts, type OrgRights } from "../../../src/perm/orgStanding.ts";
import type { TeamRole } from "../../../src/perm/roles.ts";

const facts = (teamRoles: TeamRole[], extra: Partial<OrgFacts> = {}): OrgFacts => ({
  exists: true,
  teamRoles,
  superuser: false,
  readonlySuperuser: false,
  superuserFullAccess: true,
  ...extra,
});
type Base = Pick<OrgRights, "roles" | "isAdmin" | "isMember" | "canRead">;
const rights = (roles: TeamRole[], isAdmin: boolean, isMember: boolean, canRead = isAdmin): Base => ({ roles, isAdmin, isMember, canRead });
const base = ({ roles, isAdmin, isMember, canRead }: OrgRights): Base => ({ roles, isAdmin, isMember, canRead });
const NONE = rights([], false, false);

describe("orgRights: a session is not capped; a token's scopes cap its team roles (Quay's SCOPE_MAX_TEAM_ROLES)", () => {
  test.each<[string, OrgFacts, OAuthScope[] | undefined, Base]>([
    ["session, admin", facts(["admin"]), undefined, rights(["admin"], true, true)],
    ["session, member", facts(["member"]), undefined, rights(["member"], false, true)],
    ["session, outsider", facts([]), undefined, NONE],
    ["admin, repo:read token", facts(["admin"]), ["repo:read"], NONE],
    ["admin, repo:admin user:admin token", facts(["admin"]), ["repo:admin", "user:admin"], NONE],
    ["admin, repo:create token", facts(["admin"]), ["repo:create"], rights(["creator"], false, true)],
    ["admin, org:admin token", facts(["admin"]), ["org:admin"], rights(["admin"], true, true)],
    ["member and creator, repo:create token", facts(["member", "creator"]), ["repo:create"], rights(["member", "creator"], false, true)],
    ["member, org:admin token: no more than the user has", facts(["member"]), ["org:admin"], rights(["member"], false, true)],
    ["no such org", facts(["admin"], { exists: false }), undefined, rights(["admin"], false, false)],
  ])("%s", (_, f, scopes, expected) => {
    expect(base(orgRights(f, scopes))).toEqual(expected);
  });
});

describe("orgRights: superuser powers need a session or the super:user scope", () => {
  const su = (extra: Partial<OrgFacts>) => facts([], { superuser: true, ...extra });
  const gro = facts([], { readonlySuperuser: true });
  test.each<[string, OrgFacts, OAuthScope[] | undefined, Base]>([
    ["full-access superuser, session", su({}), undefined, rights([], true, true)],
    ["full-access superuser, super:user token", su({}), ["super:user"], rights([], true, true)],
    ["full-access superuser, org:admin token", su({}), ["org:admin"], NONE],
    ["superuser without full access", su({ superuserFullAccess: false }), undefined, NONE],
    ["read-only superuser, session", gro, undefined, rights([], false, false, true)],
    ["read-only superuser, super:user token", gro, ["super:user"], rights([], false, false, true)],
    ["read-only superuser, repo:read token", gro, ["repo:read"], NONE],
  ])("%s", (_, f, scopes, expected) => {
    expect(base(orgRights(f, scopes))).toEqual(expected);
  });
});

describe("what the rights let a caller see and do in the org", () => {
  const gro = facts([], { readonlySuperuser: true });
  // canReadAsMember: teams in the org view, the robot list; canCreateRepo: `can_create_repo`.
  test.each<[string, OrgFacts, OAuthScope[] | undefined, { canReadAsMember: boolean; canCreateRepo: boolean }]>([
    ["admin", facts(["admin"]), undefined, { canReadAsMember: true, canCreateRepo: true }],
    ["creator", facts(["creator"]), undefined, { canReadAsMember: true, canCreateRepo: true }],
    ["member", facts(["member"]), undefined, { canReadAsMember: true, canCreateRepo: false }],
    ["outsider", facts([]), undefined, { canReadAsMember: false, canCreateRepo: false }],
    ["read-only superuser", gro, undefined, { canReadAsMember: true, canCreateRepo: false }],
    ["full-access superuser", facts([], { superuser: true }), undefined, { canReadAsMember: true, canCreateRepo: true }],
    ["admin, repo:create token", facts(["admin"]), ["repo:create"], { canReadAsMember: true, canCreateRepo: true }],
    ["creator, repo:read token", facts(["creator"]), ["repo:read"], { canReadAsMember: false, canCreateRepo: false }],
    ["no such org", facts(["admin"], { exists: false }), undefined, { canReadAsMember: false, canCreateRepo: false }],
  ])("%s", (_, f, scopes, expected) => {
    const r = orgRights(f, scopes);
    expect({ canReadAsMember: r.canReadAsMember, canCreateRepo: r.canCreateRepo }).toEqual(expected);
  });

  test.each<[string, OrgFacts, boolean, boolean]>([
    ["admin, any team", facts(["admin"]), false, true],
    ["read-only superuser, any team", gro, false, true],
    ["member of this team", facts(["member"]), true, true],
    ["member of another team", facts(["member"]), false, false],
    ["outsider", facts([]), false, false],
  ])("team members: %s", (_, f, inTeam, allowed) => {
    expect(mayListTeamMembers(orgRights(f, undefined), inTeam)).toBe(allowed);
  });
});
