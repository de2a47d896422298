// OrgStore and TeamStore, the same assertions on SQLite and on PostgreSQL (./eachDialect.ts).
import { expect, test } from "bun:test";
import { changes } from "../../../src/store/dialect/program";
import { addRepository, addUser, describeEachDialect, namespaceIdOf } from "./eachDialect";
import { acmeWorld, addRepositoryIn, addRobot, orgStores } from "./orgFixtures";

describeEachDialect("orgs.test.ts", "OrgStore and TeamStore", (backend) => {
  test("create makes the org with an owners team (admin) holding its owner", async () => {
    const { runner } = backend();
    const { orgs, teams } = orgStores(runner);
    const owen = await addUser(runner, "owen");
    const out = await orgs.create("acme", owen);
    if (out.kind !== "ok") throw new Error(out.kind);
    expect(await orgs.org("acme")).toEqual({ id: out.namespaceId, name: "acme", email: null });
    expect(await orgs.namespace("acme")).toEqual({ id: out.namespaceId, kind: "org" });
    expect(await teams.teams(out.namespaceId)).toEqual([expect.objectContaining({ name: "owners", role: "admin", memberCount: 1, repoCount: 0 })]);
    expect(await teams.teamRolesOf(out.namespaceId, { userId: owen })).toEqual(["admin"]);
    expect(await teams.adminUserCount(out.namespaceId)).toBe(1);
  });

  test("a taken or reserved name is refused", async () => {
    const { runner } = backend();
    const { orgs } = orgStores(runner);
    const owen = await addUser(runner, "owen");
    await addRepository(runner, "someone/app"); // a namespace of kind user
    expect((await orgs.create("acme", owen)).kind).toBe("ok");
    expect(await orgs.create("acme", owen)).toEqual({ kind: "nameTaken" });
    expect(await orgs.create("someone", owen)).toEqual({ kind: "nameTaken" });
    expect(await orgs.create("library", owen)).toEqual({ kind: "nameTaken" });
    expect((await orgs.list()).map((o) => o.name)).toEqual(["acme"]);
    expect(await orgs.org("someone")).toBeUndefined();
  });

  test("two creates of one name at once: one org", async () => {
    const { runner } = backend();
    const { orgs } = orgStores(runner);
    const owen = await addUser(runner, "owen");
    const outs = await Promise.all([orgs.create("acme", owen), orgs.create("acme", owen)]);
    expect(outs.map((o) => o.kind).sort()).toEqual(["nameTaken", "ok"]);
  });

  test("list pages in id order after a cursor", async () => {
    const { runner } = backend();
    const { orgs } = orgStores(runner);
    const owen = await addUser(runner, "owen");
    for (const name of ["zeta", "alpha", "mid"]) await orgs.create(name, owen);
    const all = await orgs.list();
    expect(all.map((o) => o.name)).toEqual(["zeta", "alpha", "mid"]);
    expect((await orgs.list({ afterId: all[0]!.id, limit: 1 })).map((o) => o.name)).toEqual(["alpha"]);
  });

  test("claimReserved: made when missing, kept when an org, converted when ownerless, left alone when a user's", async () => {
    const { runner } = backend();
    const { orgs, teams } = orgStores(runner);
    const made = await orgs.claimReserved("library");
    expect(made.kind).toBe("created");
    expect((await teams.teams(made.namespaceId)).map((t) => [t.name, t.role, t.memberCount])).toEqual([["owners", "admin", 0]]);
    expect(await orgs.claimReserved("library")).toEqual({ kind: "org", namespaceId: made.namespaceId });

    await addRepository(runner, "ownerless/app"); // open mode's push: a namespace without a user
    const ownerless = await namespaceIdOf(runner, "ownerless");
    expect(await orgs.claimReserved("ownerless")).toEqual({ kind: "converted", namespaceId: ownerless });
    expect(await orgs.namespace("ownerless")).toEqual({ id: ownerless, kind: "org" });
    expect((await teams.teams(ownerless)).map((t) => t.name)).toEqual(["owners"]);

    await addUser(runner, "person");
    await addRepository(runner, "person/app");
    const person = await namespaceIdOf(runner, "person");
    expect(await orgs.claimReserved("person")).toEqual({ kind: "user", namespaceId: person });
    expect(await orgs.namespace("person")).toEqual({ id: person, kind: "user" });
  });

  test("two claims at once: one creates, the other finds the org", async () => {
    const { orgs } = orgStores(backend().runner);
    const outs = await Promise.all([orgs.claimReserved("library"), orgs.claimReserved("library")]);
    expect(outs.map((o) => o.kind).sort()).toEqual(["created", "org"]);
  });

  test("setOwners sets exactly these people, keeps robots, and makes the owners team admin again", async () => {
    const { runner } = backend();
    const w = await acmeWorld(runner);
    const owners = (await w.teams.team(w.ns, "owners"))!.id;
    await w.teams.addMember(owners, { robotId: w.ci });
    await w.teams.setTeam(w.ns, "owners", "member");
    expect(await w.orgs.setOwners(w.ns, [w.uma, w.carl])).toEqual({ added: ["carl", "uma"], removed: ["owen"] });
    expect((await w.teams.teamMembers(owners)).map((m) => m.name)).toEqual(["carl", "uma", "acme+ci"]);
    expect((await w.teams.team(w.ns, "owners"))!.role).toBe("admin");
    expect(await w.orgs.setOwners(w.ns, [w.uma, w.carl])).toEqual({ added: [], removed: [] });
  });

  // Without the owners team's row locked (oneLocked, and the role update), both may read owen alone on PostgreSQL and leave carl and uma.
  test("two setOwners at once: the owners are exactly one of the two sets", async () => {
    const { runner } = backend();
    const w = await acmeWorld(runner);
    const owners = (await w.teams.team(w.ns, "owners"))!.id;
    await Promise.all([w.orgs.setOwners(w.ns, [w.carl]), w.orgs.setOwners(w.ns, [w.uma])]);
    expect([["carl"], ["uma"]]).toContainEqual((await w.teams.teamMembers(owners)).map((m) => m.name));
  });

  test("teams in creation order with their member and grant counts; members users first, then robots", async () => {
    const { runner } = backend();
    const w = await acmeWorld(runner);
    const repo = await addRepositoryIn(runner, w.ns, "acme/app");
    await w.permissions.set(repo, { teamId: w.devs }, "read");
    expect((await w.teams.teams(w.ns)).map((t) => [t.name, t.role, t.memberCount, t.repoCount])).toEqual([
      ["owners", "admin", 1, 0],
      ["devs", "member", 2, 1],
      ["ops", "creator", 1, 0],
    ]);
    expect(await w.teams.teamMembers(w.devs)).toEqual([
      { name: "dana", email: null, isRobot: false },
      { name: "acme+ci", email: null, isRobot: true },
    ]);
    expect(await w.teams.userMembers(w.ns)).toEqual([
      { userId: w.carl, name: "carl", email: null, teams: ["ops"] },
      { userId: w.dana, name: "dana", email: null, teams: ["devs"] },
      { userId: w.owen, name: "owen", email: null, teams: ["owners"] },
    ]);
  });

  test("what a member belongs to: roles, team names, team ids, organizations", async () => {
    const { runner } = backend();
    const w = await acmeWorld(runner);
    await w.teams.addMember(w.ops, { userId: w.dana });
    const other = await w.orgs.create("beta", w.dana);
    if (other.kind !== "ok") throw new Error(other.kind);
    expect((await w.teams.teamRolesOf(w.ns, { userId: w.dana })).sort()).toEqual(["creator", "member"]);
    expect(await w.teams.teamsOf(w.ns, { userId: w.dana })).toEqual(["devs", "ops"]);
    expect(await w.teams.teamsOf(w.ns, { robotId: w.ci })).toEqual(["devs"]);
    expect((await w.teams.teamIdsOf({ userId: w.dana })).length).toBe(3);
    expect(await w.teams.orgsOf({ userId: w.dana })).toEqual([
      { name: "acme", email: null, roles: ["member", "creator"] },
      { name: "beta", email: null, roles: ["admin"] },
    ]);
    expect(await w.teams.teamRolesOf(w.ns, { userId: w.uma })).toEqual([]);
  });

  test("setTeam creates or changes a team's role and description; deleteTeam removes it", async () => {
    const { runner } = backend();
    const w = await acmeWorld(runner);
    const id = await w.teams.setTeam(w.ns, "devs", "admin", "the developers");
    expect(id).toBe(w.devs);
    expect((await w.teams.teams(w.ns)).find((t) => t.name === "devs")).toMatchObject({ role: "admin", description: "the developers" });
    await w.teams.setTeam(w.ns, "devs", "member");
    expect((await w.teams.teams(w.ns)).find((t) => t.name === "devs")).toMatchObject({ role: "member", description: "the developers" });
    await w.teams.deleteTeam(w.devs);
    expect(await w.teams.team(w.ns, "devs")).toBeUndefined();
    expect(await w.teams.teamsOf(w.ns, { userId: w.dana })).toEqual([]);
  });

  test("matchingTeams: teams of one org by prefix, taken literally", async () => {
    const { runner } = backend();
    const w = await acmeWorld(runner);
    await w.teams.setTeam(w.ns, "d_x", "member");
    expect(await w.teams.matchingTeams(w.ns, "d", 10)).toEqual([{ name: "d_x" }, { name: "devs" }]);
    expect(await w.teams.matchingTeams(w.ns, "d_", 10)).toEqual([{ name: "d_x" }]);
    expect(await w.teams.matchingTeams(w.ns, "o", 10)).toEqual([{ name: "ops" }, { name: "owners" }]);
    expect(await w.teams.matchingTeams(w.ns, "d", 1)).toEqual([{ name: "d_x" }]);
  });

  test("removeFromOrg: the last admin stays; others leave every team of the org", async () => {
    const { runner } = backend();
    const w = await acmeWorld(runner);
    await w.teams.addMember(w.ops, { userId: w.dana });
    expect(await w.teams.removeFromOrg(w.ns, { userId: w.owen })).toEqual({ kind: "lastAdmin" });
    expect(await w.teams.teamsOf(w.ns, { userId: w.owen })).toEqual(["owners"]);
    expect(await w.teams.removeFromOrg(w.ns, { userId: w.dana })).toEqual({ kind: "ok", removed: 2 });
    expect(await w.teams.teamsOf(w.ns, { userId: w.dana })).toEqual([]);
    expect(await w.teams.removeFromOrg(w.ns, { robotId: w.ci })).toEqual({ kind: "ok", removed: 1 });
    const owners = (await w.teams.team(w.ns, "owners"))!.id;
    await w.teams.addMember(owners, { userId: w.uma });
    expect(await w.teams.removeFromOrg(w.ns, { userId: w.owen })).toEqual({ kind: "ok", removed: 1 });
    expect(await w.teams.adminUserCount(w.ns)).toBe(1);
  });

  test("removeMember: leaving an admin team is refused only when no admin user would remain", async () => {
    const { runner } = backend();
    const w = await acmeWorld(runner);
    const owners = (await w.teams.team(w.ns, "owners"))!.id;
    expect(await w.teams.removeMember(owners, { userId: w.owen })).toEqual({ kind: "lastAdmin" });
    // Admin through another admin team: may leave this one.
    await w.teams.setTeam(w.ns, "ops", "admin");
    await w.teams.addMember(w.ops, { userId: w.owen });
    expect(await w.teams.removeMember(owners, { userId: w.owen })).toEqual({ kind: "ok", removed: 1 });
    // A robot never counts, and a non-admin team never matters.
    await w.teams.addMember(owners, { robotId: w.ci });
    expect(await w.teams.removeMember(owners, { robotId: w.ci })).toEqual({ kind: "ok", removed: 1 });
    expect(await w.teams.removeMember(w.devs, { userId: w.dana })).toEqual({ kind: "ok", removed: 1 });
    expect(await w.teams.removeMember(w.devs, { userId: w.uma })).toEqual({ kind: "ok", removed: 0 });
    expect(await w.teams.adminUserCount(w.ns)).toBe(2);
  });

  // Without the org's row locked, both transactions count two admins on PostgreSQL and both leave.
  test("the last two admins removing each other at once: one stays", async () => {
    const { runner } = backend();
    const w = await acmeWorld(runner);
    const owners = (await w.teams.team(w.ns, "owners"))!.id;
    await w.teams.addMember(owners, { userId: w.uma });
    const outs = await Promise.all([w.teams.removeFromOrg(w.ns, { userId: w.owen }), w.teams.removeMember(owners, { userId: w.uma })]);
    expect(outs.map((o) => o.kind).sort()).toEqual(["lastAdmin", "ok"]);
    expect(await w.teams.adminUserCount(w.ns)).toBe(1);
  });

  test("an org's teams go with its namespace", async () => {
    const { runner } = backend();
    const w = await acmeWorld(runner);
    await runner.run(function* ({ db, t }) {
      yield* changes(db.delete(t.namespaces));
    });
    expect(await w.orgs.list()).toEqual([]);
    expect(await w.teams.orgsOf({ userId: w.dana })).toEqual([]);
    expect(await addRobot(runner, "acme", "x").catch(() => "no namespace")).toBe("no namespace");
  });
});
