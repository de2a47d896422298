// RepoRoleResolver.orgStanding: the facts it gathers from the store (which org, which team roles,
// which superuser lists) before the pure rules in orgStanding.ts decide.
import { describe, expect, test } from "bun:test";
import type { Identity } from "../../../src/auth/identity.ts";
import type { OAuthScope } from "../../../src/auth/oauthScopeNames.ts";
import { RepoRoleResolver } from "../../../src/perm/repoRoles.ts";
import type { TeamRole } from "../../../src/perm/roles.ts";
import type { Stores } from "../../../src/store";
import { storesPerTest } from "../store/storeFixtures.ts";

const current = storesPerTest("berth-orgstanding-");

async function world(stores: Stores, superuserFullAccess = true) {
  const user = async (name: string): Promise<Identity> => {
    const made = await stores.users.create(name, null, null);
    if (made.kind !== "ok") throw new Error(made.kind);
    return { kind: "user", user: made.user, via: "password" };
  };
  const [alice, bob, carol, dave, root, auditor] = await Promise.all(["alice", "bob", "carol", "dave", "root", "auditor"].map(user));
  const acme = await stores.orgs.create("acme", (alice as { user: { id: number } }).user.id);
  if (acme.kind !== "ok") throw new Error(acme.kind);
  const team = async (name: string, role: "member" | "creator", who: Identity) => {
    if (who.kind !== "user") throw new Error("users only");
    await stores.teams.addMember(await stores.teams.setTeam(acme.namespaceId, name, role), { userId: who.user.id });
  };
  await team("readers", "member", bob);
  await team("builders", "creator", carol);
  const robot = (await stores.robots.create("acme", "ci", "x".repeat(64)))!;
  const resolver = new RepoRoleResolver(stores, { superusers: ["root"], readonlySuperusers: ["auditor"], superuserFullAccess });
  return { resolver, acmeId: acme.namespaceId, who: { alice, bob, carol, dave, root, auditor, robot: { kind: "robot", robot } as Identity } };
}

type Who = "alice" | "bob" | "carol" | "dave" | "root" | "auditor" | "robot";
type Seen = { roles: TeamRole[]; isAdmin: boolean; isMember: boolean; canRead: boolean };

describe("RepoRoleResolver.orgStanding", () => {
  test.each<[string, Who, OAuthScope[] | undefined, Seen]>([
    ["owner (team owners)", "alice", undefined, { roles: ["admin"], isAdmin: true, isMember: true, canRead: true }],
    ["member team", "bob", undefined, { roles: ["member"], isAdmin: false, isMember: true, canRead: false }],
    ["creator team", "carol", undefined, { roles: ["creator"], isAdmin: false, isMember: true, canRead: false }],
    ["outsider", "dave", undefined, { roles: [], isAdmin: false, isMember: false, canRead: false }],
    ["configured superuser", "root", undefined, { roles: [], isAdmin: true, isMember: true, canRead: true }],
    ["configured read-only superuser", "auditor", undefined, { roles: [], isAdmin: false, isMember: false, canRead: true }],
    // Robots are in no team here; their team roles are not looked up for org standing.
    ["robot of the org", "robot", undefined, { roles: [], isAdmin: false, isMember: false, canRead: false }],
    ["owner with a repo:read token", "alice", ["repo:read"], { roles: [], isAdmin: false, isMember: false, canRead: false }],
    ["owner with an org:admin token", "alice", ["org:admin"], { roles: ["admin"], isAdmin: true, isMember: true, canRead: true }],
    ["superuser with an org:admin token", "root", ["org:admin"], { roles: [], isAdmin: false, isMember: false, canRead: false }],
  ])("%s", async (_, who, scopes, want) => {
    const { resolver, acmeId, who: ids } = await world(current.get());
    const s = await resolver.orgStanding(ids[who], "acme", scopes);
    expect(s.ns).toEqual({ id: acmeId, name: "acme" });
    expect({ roles: s.roles, isAdmin: s.isAdmin, isMember: s.isMember, canRead: s.canRead }).toEqual(want);
  });

  test("superuser powers over orgs follow superuserFullAccess", async () => {
    const { resolver, who } = await world(current.get(), false);
    expect((await resolver.orgStanding(who.root, "acme", undefined)).isAdmin).toBe(false);
  });

  test("a user namespace or an unknown name is no organization: no ns, no rights", async () => {
    const { resolver, who } = await world(current.get());
    for (const name of ["alice", "nobody"]) {
      const s = await resolver.orgStanding(who.alice, name, undefined);
      expect(s.ns).toBeUndefined();
      expect([s.isAdmin, s.isMember, s.canRead, s.canReadAsMember]).toEqual([false, false, false, false]);
    }
    // Even a superuser: nothing to administer.
    expect((await resolver.orgStanding(who.root, "nobody", undefined)).isAdmin).toBe(false);
  });
});
