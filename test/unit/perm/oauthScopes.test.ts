import { describe, expect, test } from "bun:test";
import {
  allowsOrgAdmin,
  allowsSuperuser,
  allowsUserAdmin,
  allowsUserRead,
  capAccountRole,
  capRepoRole,
  capTeamRole,
  expandScopes,
  mayCreateRepos,
  maxRepoRole,
  scopesAllow,
  withinScopes,
  type AccountRole,
  type CappedTeamRole,
} from "../../../src/perm/oauthScopes.ts";
import { OAUTH_SCOPES, parseScopes, type OAuthScope } from "../../../src/auth/oauthScopeNames.ts";
import type { RepoRole } from "../../../src/perm/roles.ts";

describe("expandScopes", () => {
  test.each<[OAuthScope[], OAuthScope[]]>([
    [[], []],
    [["repo:read"], ["repo:read"]],
    [["repo:write"], ["repo:read", "repo:write"]],
    [["repo:admin"], ["repo:read", "repo:write", "repo:admin"]],
    [["user:admin", "repo:write"], ["repo:read", "repo:write", "user:read", "user:admin"]],
    [["org:admin"], ["org:admin"]],
    [["super:user", "repo:create"], ["repo:create", "super:user"]],
  ])("%p → %p", (scopes, expanded) => {
    expect(expandScopes(scopes)).toEqual(expanded);
  });
});

describe("capRepoRole", () => {
  const roles: RepoRole[] = ["none", "read", "write", "admin"];
  // scopes → the cap; every role is lowered to it and never raised.
  test.each<[OAuthScope[], RepoRole]>([
    [[], "none"],
    [["user:read", "user:admin", "org:admin", "super:user", "repo:create"], "none"],
    [["repo:read"], "read"],
    [["repo:write"], "write"],
    [["repo:admin"], "admin"],
    [["repo:read", "repo:admin"], "admin"],
    [["repo:write", "user:read"], "write"],
  ])("%p caps at %p", (scopes, cap) => {
    expect(maxRepoRole(scopes)).toBe(cap);
    const rank = (r: RepoRole) => roles.indexOf(r);
    for (const role of roles) {
      expect(capRepoRole(role, scopes)).toBe(rank(role) <= rank(cap) ? role : cap);
    }
  });

  test.each<[RepoRole, OAuthScope[], RepoRole]>([
    ["admin", ["repo:read"], "read"],
    ["read", ["repo:admin"], "read"],
    ["none", ["repo:admin"], "none"],
    ["write", ["repo:write"], "write"],
    ["admin", ["repo:create"], "none"],
  ])("%p with %p → %p", (role, scopes, capped) => {
    expect(capRepoRole(role, scopes)).toBe(capped);
  });
});

describe("capTeamRole and capAccountRole", () => {
  test.each<[CappedTeamRole, OAuthScope[], CappedTeamRole]>([
    ["admin", [], "none"],
    ["admin", ["repo:admin", "user:admin"], "none"],
    ["member", ["repo:create"], "member"],
    ["admin", ["repo:create"], "creator"],
    ["admin", ["org:admin"], "admin"],
    ["creator", ["org:admin"], "creator"],
    ["none", ["org:admin"], "none"],
  ])("team %p with %p → %p", (role, scopes, capped) => {
    expect(capTeamRole(role, scopes)).toBe(capped);
  });

  test.each<[AccountRole, OAuthScope[], AccountRole]>([
    ["admin", [], "none"],
    ["admin", ["repo:admin", "org:admin", "super:user"], "none"],
    ["admin", ["user:read"], "read"],
    ["admin", ["user:admin"], "admin"],
    ["read", ["user:admin"], "read"],
    ["none", ["user:admin"], "none"],
  ])("account %p with %p → %p", (role, scopes, capped) => {
    expect(capAccountRole(role, scopes)).toBe(capped);
  });
});

describe("predicates", () => {
  type Row = [OAuthScope[], { create: boolean; userRead: boolean; userAdmin: boolean; orgAdmin: boolean; superuser: boolean }];
  const no = { create: false, userRead: false, userAdmin: false, orgAdmin: false, superuser: false };
  test.each<Row>([
    [[], no],
    [["repo:read", "repo:write", "repo:admin"], no],
    [["repo:create"], { ...no, create: true }],
    [["org:admin"], { ...no, create: true, orgAdmin: true }],
    [["user:read"], { ...no, userRead: true }],
    [["user:admin"], { ...no, userRead: true, userAdmin: true }],
    [["super:user"], { ...no, superuser: true }],
    [[...OAUTH_SCOPES], { create: true, userRead: true, userAdmin: true, orgAdmin: true, superuser: true }],
  ])("%p", (scopes, want) => {
    expect({
      create: mayCreateRepos(scopes),
      userRead: allowsUserRead(scopes),
      userAdmin: allowsUserAdmin(scopes),
      orgAdmin: allowsOrgAdmin(scopes),
      superuser: allowsSuperuser(scopes),
    }).toEqual(want);
  });
});

describe("scopesAllow: what a route needing one scope lets a token do", () => {
  const cases: [string, OAuthScope, boolean][] = [
    ["repo:read", "repo:read", true],
    ["repo:read", "repo:write", false],
    ["repo:write", "repo:read", true],
    ["repo:admin", "repo:write", true],
    ["repo:admin", "repo:create", false],
    ["repo:create", "repo:create", true],
    ["org:admin", "repo:create", true],
    ["org:admin", "repo:read", false],
    ["user:admin", "user:read", true],
    ["user:read", "user:admin", false],
    ["repo:admin user:read", "org:admin", false],
    ["super:user", "super:user", true],
    ["repo:admin org:admin user:admin", "super:user", false],
  ];
  test.each(cases)("%s needs %s → %p", (held, needed, allowed) => {
    const parsed = parseScopes(held);
    if (!parsed.ok) throw new Error(parsed.error);
    expect(scopesAllow(parsed.scopes, needed)).toBe(allowed);
  });
});

describe("withinScopes: sessions are not capped, tokens are", () => {
  test.each<[string, OAuthScope[] | undefined, OAuthScope, boolean]>([
    ["session", undefined, "super:user", true],
    ["session", undefined, "repo:admin", true],
    ["token with the scope", ["user:admin"], "user:admin", true],
    ["token with an implying scope", ["repo:admin"], "repo:read", true],
    ["token without it", ["repo:read"], "user:admin", false],
    ["token with no scopes", [], "repo:read", false],
  ])("%s needs %s", (_, scopes, needed, allowed) => {
    expect(withinScopes(scopes, needed)).toBe(allowed);
  });
});
