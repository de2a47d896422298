// AutoPrunePolicyStore, the same assertions on SQLite and on PostgreSQL (./eachDialect.ts).
import { expect, test } from "bun:test";
import { eq } from "drizzle-orm";
import { changes } from "../../../src/store/dialect/program";
import { AutoPrunePolicyStore, type AutoPruneRow } from "../../../src/store/meta/autoPrunePolicies";
import { addManifest, addPolicyScopes, addRepository, addUser, describeEachDialect, namespaceIdOf } from "./eachDialect";

const byCount = (value: number, tagPattern: string | null = null): AutoPruneRow => ({ method: "number_of_tags", value, tagPattern, tagPatternMatches: true });

describeEachDialect("autoPrunePolicies.test.ts", "AutoPrunePolicyStore", (backend) => {
  async function scopes() {
    const { runner } = backend();
    return { policies: new AutoPrunePolicyStore(runner), ...(await addPolicyScopes(runner)) };
  }

  test("create answers a uuid; get and list read values back by method", async () => {
    const { policies, ns } = await scopes();
    const a = await policies.create(ns, byCount(5), 10);
    const b = await policies.create(ns, { method: "creation_date", value: "7d", tagPattern: "^dev", tagPatternMatches: false }, 10);
    if (a.kind !== "ok" || b.kind !== "ok") throw new Error("not created");
    expect(await policies.get(ns, a.uuid)).toEqual({ uuid: a.uuid, repositoryId: null, config: byCount(5) });
    expect(await policies.list(ns)).toEqual([
      { uuid: a.uuid, repositoryId: null, config: byCount(5) },
      { uuid: b.uuid, repositoryId: null, config: { method: "creation_date", value: "7d", tagPattern: "^dev", tagPatternMatches: false } },
    ]);
  });

  test("duplicates (a null pattern equals a null pattern) and the limit are refused", async () => {
    const { policies, repo } = await scopes();
    expect((await policies.create(repo, byCount(5), 3)).kind).toBe("ok");
    expect((await policies.create(repo, byCount(5), 3)).kind).toBe("duplicate");
    expect((await policies.create(repo, byCount(5, "x"), 3)).kind).toBe("ok");
    expect((await policies.create(repo, byCount(5, "x"), 3)).kind).toBe("duplicate");
    expect((await policies.create(repo, { ...byCount(5, "x"), tagPatternMatches: false }, 3)).kind).toBe("ok");
    expect((await policies.create(repo, byCount(6), 3)).kind).toBe("tooMany");
  });

  test("scopes are apart; update and delete find only the scope's policy", async () => {
    const { policies, ns, repo } = await scopes();
    const own = await policies.create(ns, byCount(5), 10);
    if (own.kind !== "ok") throw new Error(own.kind);
    expect((await policies.create(repo, byCount(5), 10)).kind).toBe("ok");
    expect(await policies.get(repo, own.uuid)).toBeUndefined();
    expect(await policies.update(repo, own.uuid, byCount(1))).toBe(false);
    expect(await policies.delete(repo, own.uuid)).toBe(false);
    expect(await policies.update(ns, own.uuid, byCount(1, "y"))).toBe(true);
    expect((await policies.get(ns, own.uuid))!.config).toEqual(byCount(1, "y"));
    expect(await policies.delete(ns, own.uuid)).toBe(true);
    expect(await policies.delete(ns, own.uuid)).toBe(false);
    expect((await policies.policiesIn(ns.namespaceId)).map((p) => p.repositoryId)).toEqual([repo.repositoryId]);
  });

  test("namespacesWithPolicies leaves out namespaces without policies and those of disabled users", async () => {
    const { runner } = backend();
    const { policies, ns } = await scopes();
    await addRepository(runner, "empty/app");
    const userRepo = await addRepository(runner, "alice/app");
    const alice = await namespaceIdOf(runner, "alice");
    const userId = await addUser(runner, "alice");
    await policies.create({ namespaceId: alice, repositoryId: userRepo }, byCount(1), 10);
    await policies.create(ns, byCount(1), 10);
    expect(await policies.namespacesWithPolicies()).toEqual([
      { id: ns.namespaceId, name: "ns" },
      { id: alice, name: "alice" },
    ]);
    await runner.run(function* ({ db, t }) {
      yield* changes(db.update(t.users).set({ enabled: false }).where(eq(t.users.id, userId)));
    });
    expect(await policies.namespacesWithPolicies()).toEqual([{ id: ns.namespaceId, name: "ns" }]);
  });

  test("repositoriesIn answers the NORMAL ones by name; liveTags the tags neither ended nor expired", async () => {
    const { runner } = backend();
    const { policies, ns, repo } = await scopes();
    const b = await addRepository(runner, "ns/b");
    const frozen = await addRepository(runner, "ns/c");
    await runner.run(function* ({ db, t }) {
      yield* changes(db.update(t.repositories).set({ state: "READ_ONLY" }).where(eq(t.repositories.id, frozen)));
    });
    expect(await policies.repositoriesIn(ns.namespaceId)).toEqual([
      { id: repo.repositoryId, name: "ns/app" },
      { id: b, name: "ns/b" },
    ]);
    const manifestId = await addManifest(runner, repo.repositoryId, "m");
    await runner.run(function* ({ db, t }) {
      yield* changes(
        db.insert(t.tags).values([
          { repositoryId: repo.repositoryId, name: "live", manifestId, startMs: 1000 },
          { repositoryId: repo.repositoryId, name: "kept", manifestId, startMs: 2000, expiresMs: 9000, immutable: true },
          { repositoryId: repo.repositoryId, name: "ended", manifestId, startMs: 1000, endMs: 3000 },
          { repositoryId: repo.repositoryId, name: "expired", manifestId, startMs: 1000, expiresMs: 4000 },
          { repositoryId: b, name: "other", manifestId, startMs: 1000 },
        ]),
      );
    });
    expect(await policies.liveTags(repo.repositoryId, 5000)).toEqual([
      { id: expect.any(Number), name: "live", startMs: 1000, immutable: false },
      { id: expect.any(Number), name: "kept", startMs: 2000, immutable: true },
    ]);
  });

  test("creates at once keep the limit and refuse duplicates (the namespace row is locked)", async () => {
    const { policies, ns, repo } = await scopes();
    const limited = await Promise.all([1, 2, 3, 4, 5, 6].map((n) => policies.create(repo, byCount(n), 2)));
    expect(limited.filter((r) => r.kind === "ok")).toHaveLength(2);
    expect(await policies.list(repo)).toHaveLength(2);
    const same = await Promise.all([1, 2, 3, 4].map(() => policies.create(ns, byCount(9), 10)));
    expect(same.filter((r) => r.kind === "ok")).toHaveLength(1);
    expect(await policies.list(ns)).toHaveLength(1);
  });
});
