import { describe, expect, test } from "bun:test";
import type { OAuthScope } from "../../../src/auth/oauthScopeNames.ts";
import { orgRights, type OrgFacts, type OrgRights } from "../../../src/perm/orgStanding.ts";
import type { TeamRole } from "../../../src/perm/roles.ts";

const facts = (teamRoles: TeamRole[], extra: Partial<OrgFacts> = {}): OrgFacts => ({
  exists: true,
  teamRoles,
  superuser: false,
  readonlySuperuser: false,
  superuserFullAccess: true,
  ...extra,
});
const rights = (roles: TeamRole[], isAdmin: boolean, isMember: boolean, canRead = isAdmin): OrgRights => ({ roles, isAdmin, isMember, canRead });
const NONE = rights([], false, false);

describe("orgRights: a session is not capped; a token's scopes cap its team roles (Quay's SCOPE_MAX_TEAM_ROLES)", () => {
  test.each<[string, OrgFacts, OAuthScope[] | undefined, OrgRights]>([
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
    expect(orgRights(f, scopes)).toEqual(expected);
  });
});

describe("orgRights: superuser powers need a session or the super:user scope", () => {
  const su = (extra: Partial<OrgFacts>) => facts([], { superuser: true, ...extra });
  const gro = facts([], { readonlySuperuser: true });
  test.each<[string, OrgFacts, OAuthScope[] | undefined, OrgRights]>([
    ["full-access superuser, session", su({}), undefined, rights([], true, true)],
    ["full-access superuser, super:user token", su({}), ["super:user"], rights([], true, true)],
    ["full-access superuser, org:admin token", su({}), ["org:admin"], NONE],
    ["superuser without full access", su({ superuserFullAccess: false }), undefined, NONE],
    ["read-only superuser, session", gro, undefined, rights([], false, false, true)],
    ["read-only superuser, super:user token", gro, ["super:user"], rights([], false, false, true)],
    ["read-only superuser, repo:read token", gro, ["repo:read"], NONE],
  ])("%s", (_, f, scopes, expected) => {
    expect(orgRights(f, scopes)).toEqual(expected);
  });
});
