// ImmutabilityPolicyStore, the same assertions on SQLite and on PostgreSQL (./eachDialect.ts).
import { expect, test } from "bun:test";
import { ImmutabilityPolicyStore } from "../../../src/store/meta/immutabilityPolicies";
import { addPolicyScopes, describeEachDialect } from "./eachDialect";

describeEachDialect("immutabilityPolicies.test.ts", "ImmutabilityPolicyStore", (backend) => {
  async function scopes() {
    const { runner } = backend();
    return { policies: new ImmutabilityPolicyStore(runner), ...(await addPolicyScopes(runner)) };
  }

  test("create answers a uuid; get and list find the policy, oldest first", async () => {
    const { policies, ns } = await scopes();
    const a = await policies.create(ns, { tagPattern: "^v", tagPatternMatches: true }, 10);
    const b = await policies.create(ns, { tagPattern: "latest", tagPatternMatches: false }, 10);
    if (a.kind !== "ok" || b.kind !== "ok") throw new Error(`not created: ${a.kind} ${b.kind}`);
    expect(a.uuid).toMatch(/^[0-9a-f-]{36}$/);
    expect(await policies.get(ns, a.uuid)).toEqual({ uuid: a.uuid, tagPattern: "^v", tagPatternMatches: true });
    expect(await policies.list(ns)).toEqual([
      { uuid: a.uuid, tagPattern: "^v", tagPatternMatches: true },
      { uuid: b.uuid, tagPattern: "latest", tagPatternMatches: false },
    ]);
  });

  test("a namespace's own policies and a repository's are apart", async () => {
    const { policies, ns, repo } = await scopes();
    const own = await policies.create(ns, { tagPattern: "^v", tagPatternMatches: true }, 10);
    if (own.kind !== "ok") throw new Error(own.kind);
    expect(await policies.list(repo)).toEqual([]);
    expect(await policies.get(repo, own.uuid)).toBeUndefined();
    expect(await policies.delete(repo, own.uuid)).toBe(false);
    expect((await policies.update(repo, own.uuid, { tagPattern: "x", tagPatternMatches: true })).kind).toBe("missing");
    // The same pattern in the repository is no duplicate of the namespace's.
    expect((await policies.create(repo, { tagPattern: "^v", tagPatternMatches: true }, 10)).kind).toBe("ok");
  });

  test("duplicates and the limit are refused", async () => {
    const { policies, repo } = await scopes();
    expect((await policies.create(repo, { tagPattern: "a", tagPatternMatches: true }, 2)).kind).toBe("ok");
    expect((await policies.create(repo, { tagPattern: "a", tagPatternMatches: false }, 2)).kind).toBe("duplicate");
    expect((await policies.create(repo, { tagPattern: "b", tagPatternMatches: true }, 2)).kind).toBe("ok");
    expect((await policies.create(repo, { tagPattern: "c", tagPatternMatches: true }, 2)).kind).toBe("tooMany");
    expect(await policies.list(repo)).toHaveLength(2);
  });

  test("update replaces the rule; another policy's pattern is a duplicate, its own is not", async () => {
    const { policies, repo } = await scopes();
    const a = await policies.create(repo, { tagPattern: "a", tagPatternMatches: true }, 10);
    const b = await policies.create(repo, { tagPattern: "b", tagPatternMatches: true }, 10);
    if (a.kind !== "ok" || b.kind !== "ok") throw new Error("not created");
    expect(await policies.update(repo, a.uuid, { tagPattern: "b", tagPatternMatches: true })).toEqual({ kind: "duplicate" });
    expect(await policies.update(repo, a.uuid, { tagPattern: "a", tagPatternMatches: false })).toEqual({ kind: "ok", uuid: a.uuid });
    expect(await policies.get(repo, a.uuid)).toEqual({ uuid: a.uuid, tagPattern: "a", tagPatternMatches: false });
    expect((await policies.update(repo, crypto.randomUUID(), { tagPattern: "z", tagPatternMatches: true })).kind).toBe("missing");
  });

  test("delete removes the policy once", async () => {
    const { policies, ns } = await scopes();
    const a = await policies.create(ns, { tagPattern: "a", tagPatternMatches: true }, 10);
    if (a.kind !== "ok") throw new Error(a.kind);
    expect(await policies.delete(ns, a.uuid)).toBe(true);
    expect(await policies.delete(ns, a.uuid)).toBe(false);
    expect(await policies.list(ns)).toEqual([]);
  });

  test("creates at once keep the limit and refuse duplicates (the namespace row is locked)", async () => {
    const { policies, ns, repo } = await scopes();
    const limited = await Promise.all(["a", "b", "c", "d", "e", "f"].map((p) => policies.create(repo, { tagPattern: p, tagPatternMatches: true }, 2)));
    expect(limited.filter((r) => r.kind === "ok")).toHaveLength(2);
    expect(await policies.list(repo)).toHaveLength(2);
    const same = await Promise.all([1, 2, 3, 4].map(() => policies.create(ns, { tagPattern: "x", tagPatternMatches: true }, 10)));
    expect(same.filter((r) => r.kind === "ok")).toHaveLength(1);
    expect(await policies.list(ns)).toHaveLength(1);
  });
});
