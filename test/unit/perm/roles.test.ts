import { describe, expect, test } from "bun:test";
import {
  canCreateRepo,
  grantedActions,
  maxRole,
  resolveRepoRole,
  roleAtLeast,
  tokenAllows,
  type Grants,
  type PolicyOptions,
  type Principal,
  type RepoFacts,
  type RepoRole,
  type TeamRole,
  type TokenAccess,
  type V2Action,
} from "../../../src/perm/roles.ts";
import type { ScopeAction } from "../../../src/perm/scope.ts";

// Principals
const anon: Principal = { kind: "anonymous" };
const alice: Principal = { kind: "user", name: "alice", superuser: false, readonlySuperuser: false };
const su: Principal = { kind: "user", name: "root", superuser: true, readonlySuperuser: false };
const gro: Principal = { kind: "user", name: "auditor", superuser: false, readonlySuperuser: true };
const suAndGro: Principal = { kind: "user", name: "both", superuser: true, readonlySuperuser: true };
const orgBot: Principal = { kind: "robot", name: "acme+ci", owner: "acme" };
const userBot: Principal = { kind: "robot", name: "alice+bot", owner: "alice" };

// Repositories: [namespace, exists, visibility]
const r = (namespace: string, exists: boolean, visibility: RepoFacts["visibility"]): RepoFacts => ({
  namespace,
  exists,
  visibility,
});
const g = (direct?: RepoRole, viaTeams: RepoRole[] = [], namespaceTeamRoles: TeamRole[] = []): Grants => ({
  direct,
  viaTeams,
  namespaceTeamRoles,
});
const none = g();
const FA: PolicyOptions = { superuserFullAccess: true };
const NOFA: PolicyOptions = { superuserFullAccess: false };

describe("maxRole / roleAtLeast", () => {
  test.each<[RepoRole[], RepoRole]>([
    [[], "none"],
    [["none"], "none"],
    [["read", "none"], "read"],
    [["write", "read", "admin", "none"], "admin"],
    [["read", "write"], "write"],
  ])("maxRole(%j) = %s", (roles, expected) => expect(maxRole(...roles)).toBe(expected));

  test.each<[RepoRole, RepoRole, boolean]>([
    ["none", "none", true],
    ["none", "read", false],
    ["read", "read", true],
    ["read", "write", false],
    ["write", "read", true],
    ["write", "admin", false],
    ["admin", "write", true],
    ["admin", "admin", true],
  ])("roleAtLeast(%s, %s) = %p", (role, needed, expected) => expect(roleAtLeast(role, needed)).toBe(expected));
});

describe("resolveRepoRole", () => {
  test.each<[string, Principal, RepoFacts, Grants, PolicyOptions, RepoRole]>([
    // Anonymous: public read only, grants ignored.
    ["anon public", anon, r("acme", true, "public"), none, FA, "read"],
    ["anon private", anon, r("acme", true, "private"), none, FA, "none"],
    ["anon private, bogus grants ignored", anon, r("acme", true, "private"), g("admin", ["write"], ["admin"]), FA, "none"],
    ["anon missing", anon, r("acme", false, "public"), none, FA, "none"],

    // User without special rights.
    ["user public, no grants", alice, r("acme", true, "public"), none, NOFA, "read"],
    ["user private, no grants", alice, r("acme", true, "private"), none, NOFA, "none"],
    ["user private, direct read", alice, r("acme", true, "private"), g("read"), NOFA, "read"],
    ["user private, direct write", alice, r("acme", true, "private"), g("write"), NOFA, "write"],
    ["user private, direct admin", alice, r("acme", true, "private"), g("admin"), NOFA, "admin"],
    ["user private, team write", alice, r("acme", true, "private"), g(undefined, ["write"]), NOFA, "write"],
    ["user private, max of direct and teams", alice, r("acme", true, "private"), g("read", ["write", "read"]), NOFA, "write"],
    ["user public, direct none, team read", alice, r("acme", true, "public"), g("none", ["read"]), NOFA, "read"],
    ["user public, direct write beats public", alice, r("acme", true, "public"), g("write"), NOFA, "write"],
    ["user private, member team only", alice, r("acme", true, "private"), g(undefined, [], ["member"]), NOFA, "none"],
    ["user private, creator team only", alice, r("acme", true, "private"), g(undefined, [], ["creator"]), NOFA, "none"],
    ["user private, org admin team", alice, r("acme", true, "private"), g(undefined, [], ["admin"]), NOFA, "admin"],
    ["user own namespace private", alice, r("alice", true, "private"), none, NOFA, "admin"],
    ["user own namespace public", alice, r("alice", true, "public"), none, NOFA, "admin"],
    ["user missing, grants ignored", alice, r("acme", false, "private"), g("admin", ["admin"], ["creator"]), NOFA, "none"],
    ["user missing public, no public read", alice, r("acme", false, "public"), none, NOFA, "none"],
    ["user missing, own namespace", alice, r("alice", false, "private"), none, NOFA, "admin"],
    ["user missing, org admin", alice, r("acme", false, "private"), g(undefined, [], ["admin"]), NOFA, "admin"],
    ["user other namespace private", alice, r("bob", true, "private"), none, NOFA, "none"],

    // Superuser, with and without full access.
    ["su FA private", su, r("acme", true, "private"), none, FA, "admin"],
    ["su FA missing", su, r("acme", false, "private"), none, FA, "admin"],
    ["su no-FA private", su, r("acme", true, "private"), none, NOFA, "none"],
    ["su no-FA public", su, r("acme", true, "public"), none, NOFA, "read"],
    ["su no-FA with grant", su, r("acme", true, "private"), g("write"), NOFA, "write"],
    ["su no-FA missing", su, r("acme", false, "private"), none, NOFA, "none"],
    ["su no-FA own namespace", su, r("root", true, "private"), none, NOFA, "admin"],

    // Global read-only superuser: read everywhere, never more.
    ["gro private", gro, r("acme", true, "private"), none, NOFA, "read"],
    ["gro public", gro, r("acme", true, "public"), none, FA, "read"],
    ["gro with admin grant capped", gro, r("acme", true, "private"), g("admin", ["write"], ["admin"]), FA, "read"],
    ["gro own namespace capped", gro, r("auditor", true, "private"), none, FA, "read"],
    ["gro missing", gro, r("acme", false, "private"), none, FA, "none"],
    ["superuser + gro: read-only wins", suAndGro, r("acme", true, "private"), none, FA, "read"],
    ["superuser + gro missing: no create-admin", suAndGro, r("acme", false, "private"), none, FA, "none"],

    // Org robot, inside its owner namespace.
    ["org robot private, no grants", orgBot, r("acme", true, "private"), none, FA, "none"],
    ["org robot public, no grants", orgBot, r("acme", true, "public"), none, FA, "read"],
    ["org robot direct write", orgBot, r("acme", true, "private"), g("write"), FA, "write"],
    ["org robot team read", orgBot, r("acme", true, "private"), g(undefined, ["read"]), FA, "read"],
    ["org robot admin team", orgBot, r("acme", true, "private"), g(undefined, [], ["admin"]), FA, "admin"],
    ["org robot creator team", orgBot, r("acme", true, "private"), g(undefined, [], ["creator"]), FA, "none"],
    ["org robot missing, grants ignored", orgBot, r("acme", false, "private"), g("admin", ["admin"]), FA, "none"],
    ["org robot missing, admin team", orgBot, r("acme", false, "private"), g(undefined, [], ["admin"]), FA, "admin"],

    // Robot outside its owner namespace: public read at most, grants never count.
    ["org robot elsewhere private with grants", orgBot, r("other", true, "private"), g("admin", ["admin"], ["admin"]), FA, "none"],
    ["org robot elsewhere public with grants", orgBot, r("other", true, "public"), g("admin", ["admin"], ["admin"]), FA, "read"],
    ["org robot elsewhere missing", orgBot, r("other", false, "public"), g("admin"), FA, "none"],

    // User-owned robot: never the namespace owner.
    ["user robot own namespace, no grants", userBot, r("alice", true, "private"), none, FA, "none"],
    ["user robot own namespace public", userBot, r("alice", true, "public"), none, FA, "read"],
    ["user robot own namespace, direct write", userBot, r("alice", true, "private"), g("write"), FA, "write"],
    ["user robot own namespace missing", userBot, r("alice", false, "private"), none, FA, "none"],
    ["user robot in a namespace named like itself", userBot, r("alice+bot", true, "private"), g("write"), FA, "none"],
    ["user robot elsewhere", userBot, r("acme", true, "private"), g("write"), FA, "none"],
  ])("%s", (_label, principal, repo, grants, opts, expected) => {
    expect(resolveRepoRole(principal, repo, grants, opts)).toBe(expected);
  });
});

describe("canCreateRepo", () => {
  test.each<[string, Principal, string, TeamRole[], PolicyOptions, boolean]>([
    ["anonymous never", anon, "acme", ["admin"], FA, false],
    ["user in own namespace", alice, "alice", [], NOFA, true],
    ["user elsewhere, no teams", alice, "bob", [], NOFA, false],
    ["user, member team", alice, "acme", ["member"], NOFA, false],
    ["user, creator team", alice, "acme", ["creator"], NOFA, true],
    ["user, admin team", alice, "acme", ["admin"], NOFA, true],
    ["user, member + creator", alice, "acme", ["member", "creator"], NOFA, true],
    ["su FA anywhere", su, "acme", [], FA, true],
    ["su no-FA elsewhere", su, "acme", [], NOFA, false],
    ["su no-FA own namespace", su, "root", [], NOFA, true],
    ["gro never, even own namespace", gro, "auditor", [], FA, false],
    ["gro never, even admin team", gro, "acme", ["admin"], FA, false],
    ["superuser + gro: read-only wins", suAndGro, "acme", [], FA, false],
    ["org robot, creator team", orgBot, "acme", ["creator"], NOFA, true],
    ["org robot, admin team", orgBot, "acme", ["admin"], NOFA, true],
    ["org robot, member team", orgBot, "acme", ["member"], NOFA, false],
    ["org robot, no team", orgBot, "acme", [], FA, false],
    ["org robot, other namespace", orgBot, "other", ["creator"], FA, false],
    ["user robot, owner namespace", userBot, "alice", [], FA, false],
    ["user robot elsewhere", userBot, "acme", [], FA, false],
  ])("%s", (_label, principal, namespace, teamRoles, opts, expected) => {
    expect(canCreateRepo(principal, namespace, teamRoles, opts)).toBe(expected);
  });
});

describe("grantedActions", () => {
  test.each<[string, ScopeAction[], RepoRole, boolean, boolean, ScopeAction[]]>([
    ["none gets nothing", ["pull", "push", "delete", "*"], "none", false, true, []],
    ["read: pull only", ["pull", "push"], "read", false, true, ["pull"]],
    ["write: pull, push", ["pull", "push"], "write", false, true, ["pull", "push"]],
    ["write: delete allowed", ["delete"], "write", false, true, ["delete"]],
    ["read: delete refused", ["delete"], "read", false, true, []],
    ["write: * refused", ["pull", "*"], "write", false, true, ["pull"]],
    ["admin: everything", ["pull", "push", "delete", "*"], "admin", false, true, ["pull", "push", "delete", "*"]],
    ["requested order kept", ["*", "push", "pull"], "admin", false, true, ["*", "push", "pull"]],
    ["duplicates dropped", ["pull", "pull"], "read", false, true, ["pull"]],
    ["nothing requested", [], "admin", true, true, []],
    ["canCreate irrelevant for existing repo", ["push"], "read", true, true, []],
    ["missing: creator pushes and pulls", ["pull", "push"], "none", true, false, ["pull", "push"]],
    ["missing: creator gets no * from creating", ["pull", "push", "*"], "none", true, false, ["pull", "push"]],
    ["missing: creator asking only pull gets nothing", ["pull"], "none", true, false, []],
    ["missing: no create right", ["pull", "push"], "none", false, false, []],
    ["missing: write role without create right cannot push", ["push"], "write", false, false, []],
    ["missing: owner (admin) gets all", ["pull", "push", "*"], "admin", true, false, ["pull", "push", "*"]],
    ["missing: delete follows role", ["delete"], "none", true, false, []],
  ])("%s", (_label, requested, role, canCreate, exists, expected) => {
    expect(grantedActions(requested, role, canCreate, exists)).toEqual(expected);
  });
});

describe("tokenAllows", () => {
  const entry = (name: string, actions: string[], type = "repository"): TokenAccess => ({ type, name, actions });
  test.each<[string, TokenAccess[], string, V2Action[], boolean]>([
    ["empty access", [], "a/b", ["pull"], false],
    ["pull granted", [entry("a/b", ["pull"])], "a/b", ["pull"], true],
    ["push not covered by pull", [entry("a/b", ["pull"])], "a/b", ["pull", "push"], false],
    ["pull,push covers both", [entry("a/b", ["push", "pull"])], "a/b", ["pull", "push"], true],
    ["push does not imply delete", [entry("a/b", ["pull", "push"])], "a/b", ["delete"], false],
    ["delete granted", [entry("a/b", ["delete"])], "a/b", ["delete"], true],
    ["* covers all", [entry("a/b", ["*"])], "a/b", ["pull", "push", "delete"], true],
    ["other repository", [entry("a/c", ["*"])], "a/b", ["pull"], false],
    ["prefix is not a match", [entry("a", ["*"])], "a/b", ["pull"], false],
    ["wrong type", [entry("a/b", ["*"], "registry")], "a/b", ["pull"], false],
    ["empty actions", [entry("a/b", [])], "a/b", ["pull"], false],
    ["entry with nothing needed", [entry("a/b", [])], "a/b", [], true],
    ["no entry with nothing needed", [], "a/b", [], false],
    // Tokens carry the canonical name the endpoint checked; a prefix is another name.
    ["host-prefixed entry is another name", [entry("localhost:8080/a/b", ["pull"])], "a/b", ["pull"], false],
    ["bad host prefix never matches", [entry("a:b/c", ["pull"])], "c", ["pull"], false],
    ["split entries add up", [entry("a/b", ["pull"]), entry("a/b", ["push"])], "a/b", ["pull", "push"], true],
    // Found by the property tests: john.doe was stripped as a host, so john.doe/app never matched.
    ["dotted namespace matches itself", [entry("john.doe/app", ["pull"])], "john.doe/app", ["pull"], true],
    ["dotted namespace does not grant the rest of its path", [entry("x.y/library/app", ["*"])], "library/app", ["push"], false],
    ["unknown actions ignored", [entry("a/b", ["frobnicate"])], "a/b", ["pull"], false],
    ["malformed actions ignored", [{ type: "repository", name: "a/b", actions: "pull" as unknown as string[] }], "a/b", ["pull"], false],
  ])("%s", (_label, access, repo, needed, expected) => {
    expect(tokenAllows(access, repo, needed)).toBe(expected);
  });
});
