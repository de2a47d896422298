// Every kind of registry operation, one after another, on SQLite and on the real PostgreSQL: one
// transaction body per operation runs on both (docs/POSTGRES.md, "One store, two dialects"), so
// each answers the same outcome and leaves the same rows. The SQLite-only suites (tagSteps,
// timeMachine, collector, quotaGuard) hold the rules in depth; this one holds the dialects equal.
import { expect, test } from "bun:test";
import { and, eq, isNull } from "drizzle-orm";
import { SYSTEM_ACTOR } from "../../../src/events/registryEvents";
import { one, type Runner } from "../../../src/store/dialect/program";
import { describeEachDialect, namespaceIdOf } from "../store/eachDialect";
import { registryOver, repository, sha256 } from "./registryOnEachDialect";

const actor = SYSTEM_ACTOR;

function liveDigest(runner: Runner, repoId: number, name: string) {
  return runner.run(function* ({ db, t }) {
    const row = yield* one(
      db
        .select({ digest: t.manifests.digest, expiresMs: t.tags.expiresMs, immutable: t.tags.immutable })
        .from(t.tags)
        .innerJoin(t.manifests, eq(t.manifests.id, t.tags.manifestId))
        .where(and(eq(t.tags.repositoryId, repoId), eq(t.tags.name, name), isNull(t.tags.endMs))),
    );
    return row;
  });
}

function manifestRow(runner: Runner, repoId: number, digest: string) {
  return runner.run(function* ({ db, t }) {
    return yield* one(db.select({ id: t.manifests.id, digest: t.manifests.digest, subjectDigest: t.manifests.subjectDigest }).from(t.manifests).where(and(eq(t.manifests.repositoryId, repoId), eq(t.manifests.digest, digest))));
  });
}

describeEachDialect(import.meta.path, "registry operations", (get) => {
  test("tags: push, move, expiry, immutability, delete, restore, label effects, policy, renewals", async () => {
    const { runner } = get();
    const x = registryOver(runner);
    const repo = await repository(runner, "acme/app");
    const layer = sha256("layer");
    expect(await x.link(repo, layer, 100)).toEqual({ kind: "ok", size: 100 });
    const a = await x.push(repo, "a", [layer], "v1");
    const b = await x.push(repo, "b", [layer]);
    expect([a.outcome, b.outcome]).toEqual([{ kind: "ok" }, { kind: "ok" }]);
    expect((await x.push(repo, "c", [sha256("absent")])).outcome).toEqual({ kind: "missingBlob", digest: sha256("absent") });
    const tag = { repo, tag: "v1", actor };
    expect(await x.registry.putTag({ ...tag, digest: b.digest })).toEqual({ kind: "ok" });
    expect((await liveDigest(runner, repo.id, "v1"))?.digest).toBe(b.digest);
    const expiresMs = Date.now() + 3_600_000;
    expect(await x.registry.setTagExpiry({ ...tag, expiresMs })).toEqual({ kind: "ok" });
    expect(await x.registry.setTagImmutable({ ...tag, immutable: true })).toEqual({ kind: "expiring", tag: "v1" });
    expect(await x.registry.changeTag({ ...tag, change: { expiresMs: null, immutable: true } })).toEqual({ kind: "ok" });
    expect(await liveDigest(runner, repo.id, "v1")).toEqual({ digest: b.digest, expiresMs: null, immutable: true });
    expect(await x.registry.deleteTag(tag)).toEqual({ kind: "immutable", tag: "v1", action: "delete" });
    expect(await x.registry.setTagImmutable({ ...tag, immutable: false })).toEqual({ kind: "ok" });
    expect(await x.registry.deleteTag(tag)).toEqual({ kind: "ok" });
    expect(await liveDigest(runner, repo.id, "v1")).toBeUndefined();
    const unknown = sha256("never pushed");
    expect(await x.registry.restoreTag({ ...tag, digest: unknown })).toEqual({ kind: "unknownManifest", digest: unknown });
    // The deleted period is in the time machine (the namespace's default window).
    expect(await x.registry.restoreTag({ ...tag, digest: b.digest })).toEqual({ kind: "ok" });
    expect((await liveDigest(runner, repo.id, "v1"))?.digest).toBe(b.digest);
    expect(await x.registry.applyLabelEffects({ repo, digest: b.digest, effects: { immutable: false, expiresAfterMs: 60_000 }, actor })).toMatchObject({ kind: "ok", expiringTags: ["v1"] });
    const renewed = Date.now() + 7_200_000;
    expect(await x.registry.renewTagExpiries({ renewals: [{ repo, tag: "v1", expiresMs: renewed }], actor })).toEqual({ kind: "ok" });
    expect((await liveDigest(runner, repo.id, "v1"))?.expiresMs).toBe(renewed);
    expect(await x.registry.setTagExpiry({ ...tag, expiresMs: null })).toEqual({ kind: "ok" });
    const ns = await namespaceIdOf(runner, "acme");
    expect(await x.registry.applyImmutabilityPolicy({ target: { namespaceId: ns, repositoryId: null }, rule: { tagPattern: "v.*", tagPatternMatches: true }, batchSize: 1 })).toEqual({ kind: "ok", marked: 1 });
    expect((await liveDigest(runner, repo.id, "v1"))?.immutable).toBe(true);
    expect(await x.registry.deleteManifest({ repo, digest: b.digest, actor })).toEqual({ kind: "immutable", tag: "v1", action: "delete" });
  });

  test("blobs, repositories, the time machine's removal and the collector's deletions", async () => {
    const { runner } = get();
    const x = registryOver(runner);
    const repo = await repository(runner, "acme/app");
    const other = await repository(runner, "acme/other");
    const layer = sha256("layer");
    await x.link(repo, layer, 100);
    expect(await x.registry.mountBlob({ repo: other, from: repo, digest: layer, actor })).toEqual({ kind: "ok", size: 100 });
    expect(await x.registry.unlinkBlob({ repo: other, digest: layer, actor })).toEqual({ kind: "ok" });
    expect(await x.registry.unlinkBlob({ repo: other, digest: layer, actor })).toEqual({ kind: "unknownBlob", digest: layer });
    const a = await x.push(repo, "a", [layer], "v1");
    expect(await x.registry.removeTagFromTimeMachine({ repo, tag: "v1", alive: true, actor })).toEqual({ kind: "ok", digest: a.digest });
    const later = Date.now() + 1000;
    expect(await x.registry.purgeTagPeriods({ repo, endedByMs: later, limit: 10 })).toEqual({ kind: "ok", purged: 1 });
    const m = (await manifestRow(runner, repo.id, a.digest))!;
    expect(await x.registry.collectManifests({ repo, candidates: [m], sinceMs: 0, pushedBeforeMs: later, actor })).toEqual({ kind: "ok", collected: [a.digest] });
    expect(await manifestRow(runner, repo.id, a.digest)).toBeUndefined();
    expect(await x.registry.collectBlobLinks({ repo, digests: [layer], linkedBeforeMs: later, actor })).toEqual({ kind: "ok", unlinked: [layer] });
    expect(await x.registry.collectBlobRows({ digests: [layer] })).toEqual({ kind: "ok", deleted: [{ digest: layer, size: 100 }] });
    const lost = sha256("lost");
    await x.link(repo, lost, 5);
    expect(await x.registry.repairBlobSize({ digest: lost, size: 6 })).toEqual({ kind: "ok" });
    expect(await x.registry.forgetLostBlob({ digest: lost })).toEqual({ kind: "ok", links: 1 });
    expect(await x.registry.changeVisibility({ repo, visibility: "public", actor })).toEqual({ kind: "ok" });
    expect(await x.registry.setRepositoryState({ repo, state: "READ_ONLY", actor })).toEqual({ kind: "ok" });
    expect((await x.push(repo, "b")).outcome).toEqual({ kind: "readOnly", repo: "acme/app" });
    expect(await x.registry.deleteRepository({ repo, actor })).toEqual({ kind: "ok" });
    expect(await x.registry.putTag({ repo, tag: "v1", digest: a.digest, actor })).toEqual({ kind: "unknownManifest", digest: a.digest });
    const made = await x.registry.createRepository({ fullName: "fresh/app", visibility: "private", createNamespace: true, actor });
    expect(made).toMatchObject({ kind: "ok", repo: { fullName: "fresh/app" }, defaultGrants: 0 });
    expect(await x.registry.createRepository({ fullName: "fresh/app", visibility: "private", actor })).toMatchObject({ kind: "exists" });
    expect(await x.registry.createRepository({ fullName: "none/app", visibility: "private", actor })).toEqual({ kind: "noNamespace", namespace: "none" });
  });

  test("quotas: recheck, usage and its reconciliation", async () => {
    const { runner } = get();
    const x = registryOver(runner);
    const repo = await repository(runner, "acme/app");
    const ns = await namespaceIdOf(runner, "acme");
    const quota = await x.quotas.create(ns, 1000);
    if (quota.kind !== "created") throw new Error("no quota");
    expect(await x.quotas.create(ns, 5)).toEqual({ kind: "exists" });
    const limit = await x.quotas.addLimit(quota.id, "Warning", 50);
    expect(await x.quotas.addLimit(quota.id, "Warning", 50)).toEqual({ kind: "exists" });
    await x.link(repo, sha256("l"), 600);
    await x.push(repo, "a", [sha256("l")], "v1");
    expect(await x.registry.recheckQuota({ id: ns, name: "acme" })).toMatchObject({ severity: "Warning", usageBytes: 600, quotaBytes: 1000 });
    expect(await x.quotas.uses()).toEqual([{ namespace: "acme", limitBytes: 1000, usedBytes: 600 }]);
    expect(await x.quotas.claimNotice(ns, 50, 1000, 60_000, true)).toBe(true);
    expect(await x.quotas.claimNotice(ns, 50, 2000, 60_000, true)).toBe(false);
    expect(await x.quotas.notices(ns)).toEqual([{ percent: 50, reached: true }]);
    if (limit.kind !== "created") throw new Error("no limit");
    expect(await x.quotas.changeLimit(limit.id, { type: "Reject", percent: 90 })).toBe("ok");
    expect(await x.usage.reconcile()).toEqual({ checked: 1, drifted: [] });
    // A figure set wrong by hand is found and repaired.
    await runner.run(function* ({ db, t }) {
      yield* one(db.update(t.namespaceUsage).set({ sizeBytes: 1 }).where(eq(t.namespaceUsage.namespaceId, ns)).returning({ id: t.namespaceUsage.namespaceId }));
    });
    expect(await x.usage.reconcile()).toEqual({ checked: 1, drifted: [{ namespaceId: ns, maintained: 1, actual: 600 }] });
    expect(await x.usage.namespaceBytes(ns)).toBe(600);
    expect(await x.usage.repositoriesBytes([repo.id])).toEqual(new Map([[repo.id, 600]]));
  });
});
