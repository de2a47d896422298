// PermissionStore, the same assertions on SQLite and on PostgreSQL (./eachDialect.ts).
import { expect, test } from "bun:test";
import type { GrantRole, PermissionStore } from "../../../src/store/meta/permissions";
import { describeEachDialect } from "./eachDialect";
import { acmeWorld, addRepositoryIn } from "./orgFixtures";

type World = Awaited<ReturnType<typeof acmeWorld>>;

describeEachDialect("permissions.test.ts", "PermissionStore", (backend) => {
  test.each([
    ["direct only", async (st: PermissionStore, w: World, r: number) => st.set(r, { userId: w.dana }, "write"), { userId: "dana" }, ["write"]],
    ["via a team only", async (st: PermissionStore, w: World, r: number) => st.set(r, { teamId: w.devs }, "read"), { userId: "dana" }, ["read"]],
    [
      "direct first, then teams",
      async (st: PermissionStore, w: World, r: number) => {
        await st.set(r, { teamId: w.devs }, "read");
        await st.set(r, { userId: w.dana }, "admin");
      },
      { userId: "dana" },
      ["admin", "read"],
    ],
    ["a team the user is not in", async (st: PermissionStore, w: World, r: number) => st.set(r, { teamId: w.ops }, "write"), { userId: "dana" }, []],
    ["a robot via its team", async (st: PermissionStore, w: World, r: number) => st.set(r, { teamId: w.devs }, "write"), { robotId: "ci" }, ["write"]],
    // Org ownership is not a grant on the repository.
    ["an org owner without grants", async () => {}, { userId: "owen" }, []],
  ] as const)("transitive: %s", async (_name, grant, who, want) => {
    const { runner } = backend();
    const w = await acmeWorld(runner);
    const repo = await addRepositoryIn(runner, w.ns, "acme/app");
    const other = await addRepositoryIn(runner, w.ns, "acme/other");
    await w.permissions.set(other, { teamId: w.devs }, "admin"); // grants elsewhere never count
    await grant(w.permissions, w, repo);
    const principal = "userId" in who ? { userId: (w as any)[who.userId] as number } : { robotId: w.ci };
    expect(await w.permissions.transitive(repo, principal)).toEqual([...want]);
  });

  test("set replaces the grantee's grant; remove drops it once", async () => {
    const { runner } = backend();
    const w = await acmeWorld(runner);
    const repo = await addRepositoryIn(runner, w.ns, "acme/app");
    await w.permissions.set(repo, { userId: w.dana }, "read");
    await w.permissions.set(repo, { userId: w.dana }, "admin");
    await w.permissions.set(repo, { robotId: w.ci }, "write");
    expect(await w.permissions.grantsOfRepo(repo)).toEqual([
      { role: "admin", kind: "user", name: "dana" },
      { role: "write", kind: "robot", name: "acme+ci" },
    ]);
    expect(await w.permissions.grantsOn(repo, { userId: w.dana }, [w.devs])).toEqual({ direct: "admin", viaTeams: [] });
    expect(await w.permissions.remove(repo, { userId: w.dana })).toBe(true);
    expect(await w.permissions.remove(repo, { userId: w.dana })).toBe(false);
    expect(await w.permissions.grantsOn(repo, { userId: w.dana }, [])).toEqual({ direct: undefined, viaTeams: [] });
  });

  test("three grants to one grantee at once: one grant, with one of their roles", async () => {
    const { runner } = backend();
    const w = await acmeWorld(runner);
    const repo = await addRepositoryIn(runner, w.ns, "acme/app");
    await Promise.all((["read", "write", "admin"] as GrantRole[]).map((role) => w.permissions.set(repo, { userId: w.dana }, role)));
    const grants = await w.permissions.grantsOfRepo(repo);
    expect(grants).toHaveLength(1);
    expect(["read", "write", "admin"]).toContain(grants[0]!.role);
  });

  test("a namespace's grants: by name, writers, and all of one grantee's dropped", async () => {
    const { runner } = backend();
    const w = await acmeWorld(runner);
    const [b, a] = [await addRepositoryIn(runner, w.ns, "acme/b"), await addRepositoryIn(runner, w.ns, "acme/a")];
    await w.permissions.set(b, { userId: w.dana }, "write");
    await w.permissions.set(a, { userId: w.dana }, "read");
    await w.permissions.set(a, { robotId: w.ci }, "admin");
    await w.permissions.set(a, { teamId: w.devs }, "write");
    expect(await w.permissions.directRepoNames(w.ns, { userId: w.dana })).toEqual(["a", "b"]);
    expect(await w.permissions.writersIn(w.ns)).toEqual([
      { name: "acme+ci", repository: "acme/a", role: "admin" },
      { name: "dana", repository: "acme/b", role: "write" },
    ]);
    expect(await w.permissions.reposGrantedTo({ userId: w.dana })).toEqual([
      { repository: "acme/a", visibility: "private", role: "read" },
      { repository: "acme/b", visibility: "private", role: "write" },
    ]);
    await w.permissions.removeAllIn(w.ns, { userId: w.dana });
    expect(await w.permissions.directRepoNames(w.ns, { userId: w.dana })).toEqual([]);
    expect(await w.permissions.reposGrantedTo({ teamId: w.devs })).toEqual([{ repository: "acme/a", visibility: "private", role: "write" }]);
  });
});
