// Default permissions (prototypes) and what they grant on a new repository, the same assertions
// on SQLite and on PostgreSQL (./eachDialect.ts). The registry's creation with them:
// repositoryCreation.test.ts.
import { expect, test } from "bun:test";
import { applyPrototypesOnCreate } from "../../../src/store/meta/prototypes";
import { setRepoPermission } from "../../../src/store/meta/permissions";
import { describeEachDialect } from "./eachDialect";
import { acmeWorld, addRepositoryIn, carlsPrototypes, orgStores } from "./orgFixtures";

describeEachDialect("prototypes.test.ts", "PrototypeStore", (backend) => {
  test("create, list with names, get, updateRole, delete", async () => {
    const w = await acmeWorld(backend().runner);
    const p1 = await w.prototypes.create({ namespaceId: w.ns, delegate: { teamId: w.devs }, role: "read" });
    const p2 = await w.prototypes.create({ namespaceId: w.ns, activating: { userId: w.carl }, delegate: { userId: w.uma }, role: "write" });
    const p3 = await w.prototypes.create({ namespaceId: w.ns, activating: { robotId: w.ci }, delegate: { robotId: w.ci }, role: "admin" });
    expect(p1).toEqual({ uuid: p1.uuid, role: "read", activating: null, delegate: { kind: "team", id: w.devs, name: "devs" } });
    expect(p2).toMatchObject({ activating: { kind: "user", id: w.carl, name: "carl" }, delegate: { kind: "user", id: w.uma, name: "uma" } });
    expect(p3).toMatchObject({ activating: { kind: "robot", id: w.ci, name: "acme+ci" }, delegate: { kind: "robot", name: "acme+ci" } });
    expect((await w.prototypes.list(w.ns)).map((p) => p.uuid)).toEqual([p1.uuid, p2.uuid, p3.uuid]);
    expect(await w.prototypes.get(w.ns, p2.uuid)).toEqual(p2);

    expect((await w.prototypes.updateRole(w.ns, p1.uuid, "admin"))?.role).toBe("admin");
    expect(await w.prototypes.updateRole(w.ns, crypto.randomUUID(), "admin")).toBeUndefined();
    expect(await w.prototypes.delete(w.ns, p2.uuid)).toBe(true);
    expect(await w.prototypes.delete(w.ns, p2.uuid)).toBe(false);
    expect((await w.prototypes.list(w.ns)).map((p) => p.uuid)).toEqual([p1.uuid, p3.uuid]);
  });

  test("prototypes belong to their organization", async () => {
    const w = await acmeWorld(backend().runner);
    const other = await w.orgs.create("other", w.owen);
    if (other.kind !== "ok") throw new Error("org");
    const p = await w.prototypes.create({ namespaceId: w.ns, delegate: { teamId: w.devs }, role: "read" });
    expect(await w.prototypes.list(other.namespaceId)).toEqual([]);
    expect(await w.prototypes.get(other.namespaceId, p.uuid)).toBeUndefined();
    expect(await w.prototypes.updateRole(other.namespaceId, p.uuid, "admin")).toBeUndefined();
    expect(await w.prototypes.delete(other.namespaceId, p.uuid)).toBe(false);
  });

  test("a prototype goes with its delegate team", async () => {
    const w = await acmeWorld(backend().runner);
    await w.prototypes.create({ namespaceId: w.ns, delegate: { teamId: w.ops }, role: "read" });
    await w.teams.deleteTeam(w.ops);
    expect(await w.prototypes.list(w.ns)).toEqual([]);
  });

  // The steps the registry's repository creation runs inside its transaction.
  test("applyPrototypesOnCreate grants what the prototypes for the creator or anybody say, in one transaction", async () => {
    const { runner } = backend();
    const w = await acmeWorld(runner);
    await carlsPrototypes(w);
    const repo = await addRepositoryIn(runner, w.ns, "acme/app");
    const made = await runner.transaction(function* (scope) {
      yield* setRepoPermission(scope, repo, { userId: w.carl }, "admin");
      return yield* applyPrototypesOnCreate(scope, w.ns, repo, { userId: w.carl });
    });
    expect(made).toBe(2);
    const grants = (await w.permissions.grantsOfRepo(repo)).map((g) => `${g.kind}:${g.name}:${g.role}`).sort();
    expect(grants).toEqual(["robot:acme+ci:write", "team:devs:write", "user:carl:admin"]);
  });

  test("a failing grant rolls back the transaction it runs in", async () => {
    const { runner } = backend();
    const w = await acmeWorld(runner);
    await w.prototypes.create({ namespaceId: w.ns, delegate: { teamId: w.devs }, role: "read" });
    const repo = await addRepositoryIn(runner, w.ns, "acme/broken");
    const failing = runner.transaction(function* (scope) {
      yield* applyPrototypesOnCreate(scope, w.ns, repo, { userId: w.carl });
      yield* setRepoPermission(scope, repo, { userId: 999_999 }, "admin");
    });
    expect(await failing.then(() => "done", () => "failed")).toBe("failed");
    expect(await orgStores(runner).permissions.grantsOfRepo(repo)).toEqual([]);
  });
});
