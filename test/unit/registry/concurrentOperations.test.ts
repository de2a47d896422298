// The registry's operations at once, on SQLite and on the real PostgreSQL: where SQLite's single
// writer serialises transactions, PostgreSQL runs them together, and the guards' locks (the
// repository's row, the namespace's quota lock) must make them take turns. Without those locks
// these cases fail on PostgreSQL: both pushes pass the quota, or two moves of one tag both end
// the same live period.
import { expect, test } from "bun:test";
import { and, asc, eq } from "drizzle-orm";
import { SYSTEM_ACTOR } from "../../../src/events/registryEvents";

const actor = SYSTEM_ACTOR;
import { all, type Runner } from "../../../src/store/dialect/program";
import { describeEachDialect, namespaceIdOf } from "../store/eachDialect";
import { registryOver, repository, sha256 } from "./registryOnEachDialect";

/** Every period of the tag, oldest first. */
function periods(runner: Runner, repoId: number, name: string) {
  return runner.run(function* ({ db, t }) {
    return yield* all(
      db
        .select({ digest: t.manifests.digest, endMs: t.tags.endMs })
        .from(t.tags)
        .innerJoin(t.manifests, eq(t.manifests.id, t.tags.manifestId))
        .where(and(eq(t.tags.repositoryId, repoId), eq(t.tags.name, name)))
        .orderBy(asc(t.tags.id)),
    );
  });
}

describeEachDialect(import.meta.path, "registry operations at once", (get) => {
  test("pushes into a namespace whose quota fits only one: exactly one passes, the others are refused", async () => {
    const { runner } = get();
    const x = registryOver(runner);
    const repos = [await repository(runner, "acme/a"), await repository(runner, "acme/b"), await repository(runner, "acme/c"), await repository(runner, "acme/d")];
    const quota = await x.quotas.create(await namespaceIdOf(runner, "acme"), 1000);
    if (quota.kind !== "created") throw new Error("no quota");
    await x.quotas.addLimit(quota.id, "Reject", 100);
    // Each repository holds a 600-byte layer of its own (an upload alone stays under the quota).
    const layers = repos.map((r) => sha256(`layer of ${r.name}`));
    for (const [i, repo] of repos.entries()) expect(await x.link(repo, layers[i]!, 600)).toMatchObject({ kind: "ok" });
    // Different repositories: no row they share, only the namespace's quota lock.
    await x.warm();
    const pushed = await Promise.all(repos.map((repo, i) => x.push(repo, `m${i}`, [layers[i]!], "v1")));
    const kinds = pushed.map((p) => p.outcome.kind).sort();
    expect(kinds).toEqual(["ok", "quotaExceeded", "quotaExceeded", "quotaExceeded"]);
    const namespaceId = await namespaceIdOf(runner, "acme");
    expect(await x.usage.namespaceBytes(namespaceId)).toBe(600);
    expect(await x.usage.recompute(namespaceId)).toBe(600);
  });

  test("pushes into one repository whose quota fits only one: exactly one passes", async () => {
    const { runner } = get();
    const x = registryOver(runner);
    const repo = await repository(runner, "acme/app");
    const quota = await x.quotas.create(await namespaceIdOf(runner, "acme"), 1000);
    if (quota.kind !== "created") throw new Error("no quota");
    await x.quotas.addLimit(quota.id, "Reject", 100);
    const layers = ["x", "y", "z"].map((n) => sha256(n));
    for (const layer of layers) expect(await x.link(repo, layer, 600)).toMatchObject({ kind: "ok" });
    await x.warm();
    const pushed = await Promise.all(layers.map((layer, i) => x.push(repo, `m${i}`, [layer], `t${i}`)));
    expect(pushed.map((p) => p.outcome.kind).sort()).toEqual(["ok", "quotaExceeded", "quotaExceeded"]);
    expect(await x.usage.namespaceBytes(await namespaceIdOf(runner, "acme"))).toBe(600);
  });

  test("moves of one tag at once: each applies in turn, the last one wins, the history is one chain", async () => {
    const { runner } = get();
    const x = registryOver(runner);
    const repo = await repository(runner, "acme/app");
    const a = await x.push(repo, "a", [], "latest");
    const b = await x.push(repo, "b");
    expect([a.outcome, b.outcome]).toEqual([{ kind: "ok" }, { kind: "ok" }]);
    x.emitted.length = 0;
    const targets = Array.from({ length: 12 }, (_, i) => (i % 2 ? a : b).digest);
    await x.warm();
    const moved = await Promise.all(targets.map((digest) => x.registry.putTag({ repo, tag: "latest", digest, actor })));
    expect(moved).toEqual(targets.map(() => ({ kind: "ok" })));
    const history = await periods(runner, repo.id, "latest");
    // One live period, the newest; every other ended.
    expect(history.filter((p) => p.endMs === null)).toHaveLength(1);
    expect(history.at(-1)!.endMs).toBeNull();
    // Each move saw the move before it: every period follows one at another manifest, and the
    // events tell the same chain in the same order.
    const chain = history.map((p) => p.digest);
    for (let i = 1; i < chain.length; i++) expect(chain[i]).not.toBe(chain[i - 1]);
    const told = x.emitted.filter((e) => e.type === "tagMoved").map((e) => [e.previousDigest, e.digest]);
    expect(told).toEqual(chain.slice(1).map((digest, i) => [chain[i], digest]));
  });

  test("pushes naming the same blobs in other orders, in other repositories of a namespace: all pass", async () => {
    const { runner } = get();
    const x = registryOver(runner);
    const repos = [await repository(runner, "acme/a"), await repository(runner, "acme/b"), await repository(runner, "acme/c"), await repository(runner, "acme/d")];
    const layers = Array.from({ length: 8 }, (_, i) => sha256(`shared ${i}`));
    for (const repo of repos) for (const layer of layers) await x.link(repo, layer, 10);
    await x.warm();
    // Each blob's reference counts are rows the pushes update (the usage triggers): taken in
    // opposite orders by two transactions, they would wait on each other.
    const pushed = await Promise.all(repos.map((repo, i) => x.push(repo, `m${i}`, i % 2 ? layers.toReversed() : layers)));
    expect(pushed.map((p) => p.outcome)).toEqual(repos.map(() => ({ kind: "ok" })));
    expect(await x.usage.namespaceBytes(await namespaceIdOf(runner, "acme"))).toBe(80);
  });

  test("creations of one repository at once: one creates it, the others find it", async () => {
    const { runner } = get();
    const x = registryOver(runner);
    await x.warm();
    const made = await Promise.all([1, 2, 3, 4, 5, 6].map(() => x.registry.createRepository({ fullName: "open/app", visibility: "private", createNamespace: true, actor })));
    expect(made.map((m) => m.kind).sort()).toEqual(["exists", "exists", "exists", "exists", "exists", "ok"]);
    const ids = made.map((m) => ("repo" in m ? m.repo.id : undefined));
    expect(new Set(ids).size).toBe(1);
    expect(x.emitted.filter((e) => e.type === "repositoryCreated")).toHaveLength(1);
  });

  test("pushes by one tag at once: one live period, each push's period in turn", async () => {
    const { runner } = get();
    const x = registryOver(runner);
    const repo = await repository(runner, "acme/app");
    await x.warm();
    const pushed = await Promise.all(["a", "b", "c", "d"].map((n) => x.push(repo, n, [], "v1")));
    expect(pushed.map((p) => p.outcome)).toEqual(pushed.map(() => ({ kind: "ok" })));
    const history = await periods(runner, repo.id, "v1");
    expect(history.map((p) => p.digest).sort()).toEqual(pushed.map((p) => p.digest).sort());
    expect(history.filter((p) => p.endMs === null)).toHaveLength(1);
    expect(history.at(-1)!.endMs).toBeNull();
  });
});
