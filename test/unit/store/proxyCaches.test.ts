// ProxyCacheStore and ProxyCacheTagStore, the same assertions on SQLite and on PostgreSQL
// (./eachDialect.ts): one configuration per organization, credentials sealed at rest, the memory
// of cache orgs the manifest GET path asks synchronously (kept current through the read cache),
// and the cached tags' bookkeeping eviction orders by.
import { expect, test } from "bun:test";
import { eq } from "drizzle-orm";
import { all, changes, type Runner } from "../../../src/store/dialect/program";
import { FieldCipher } from "../../../src/store/fieldEncryption";
import { ProxyCacheStore, type NewProxyCache } from "../../../src/store/meta/proxyCaches";
import { ProxyCacheTagStore } from "../../../src/store/meta/proxyCacheTags";
import { InProcessReadCache } from "../../../src/store/meta/readCache";
import { addManifest, addRepository, describeEachDialect, namespaceIdOf } from "./eachDialect";

const cipher = new FieldCipher(new Uint8Array(32).fill(9), "proxy cache credential");

const config = (namespaceId: number): NewProxyCache => ({ namespaceId, upstreamRegistry: "quay.io/acme", username: "bob", password: "hunter2", expirationS: 3600, insecure: false });

function addTag(runner: Runner, repositoryId: number, name: string, manifestId: number, extra: { immutable?: boolean; expiresMs?: number } = {}) {
  return runner.run(function* ({ db, t }) {
    yield* changes(db.insert(t.tags).values({ repositoryId, name, manifestId, startMs: 1, ...extra }));
  });
}

describeEachDialect("proxyCaches.test.ts", "ProxyCacheStore", (backend) => {
  async function org(name = "cache") {
    const { runner } = backend();
    const repoId = await addRepository(runner, `${name}/app`);
    const namespaceId = await namespaceIdOf(runner, name);
    const cache = new InProcessReadCache();
    return { runner, repoId, namespaceId, cache, caches: new ProxyCacheStore(runner, cipher, cache) };
  }

  test("create: credentials sealed at rest, read back; the configuration by org name; delete", async () => {
    const { runner, namespaceId, caches } = await org();
    expect(await caches.forOrg("cache")).toBeUndefined();
    expect(await caches.create(config(namespaceId))).toBe(true);
    const [row] = await runner.run(function* ({ db, t }) {
      return yield* all(db.select({ u: t.proxyCacheConfigs.username, p: t.proxyCacheConfigs.password }).from(t.proxyCacheConfigs));
    });
    expect([row!.u!.startsWith("v1$$"), row!.p!.startsWith("v1$$")]).toEqual([true, true]);
    expect(await caches.credentials(namespaceId)).toEqual({ username: "bob", password: "hunter2" });
    expect(await caches.forOrg("cache")).toEqual({ namespaceId, org: "cache", upstreamRegistry: "quay.io/acme", expirationS: 3600, insecure: false });
    expect(await caches.forOrg("other")).toBeUndefined();
    expect(await caches.delete(namespaceId)).toBe(true);
    expect(await caches.delete(namespaceId)).toBe(false);
    expect(await caches.forOrg("cache")).toBeUndefined();
    expect(await caches.credentials(namespaceId)).toBeUndefined();
  });

  test("anonymous: no credentials", async () => {
    const { namespaceId, caches } = await org();
    expect(await caches.create({ ...config(namespaceId), username: null, password: null })).toBe(true);
    expect(await caches.credentials(namespaceId)).toBeUndefined();
  });

  test("one configuration per organization, also when created at once", async () => {
    const { namespaceId, caches } = await org();
    const created = await Promise.all(Array.from({ length: 6 }, () => caches.create(config(namespaceId))));
    expect(created.filter(Boolean)).toHaveLength(1);
    expect(await caches.create(config(namespaceId))).toBe(false);
  });

  test("the memory of cache orgs: synchronous while current; created and deleted ones count at once", async () => {
    const { namespaceId, caches } = await org();
    expect(await caches.mayBeCache("cache")).toBe(false);
    // Read: answered without a promise (the manifest GET path of every other org).
    expect(caches.mayBeCache("cache")).toBe(false);
    await caches.create(config(namespaceId));
    expect(await caches.mayBeCache("cache")).toBe(true);
    expect(caches.mayBeCache("cache")).toBe(true);
    expect(caches.mayBeCache("other")).toBe(false);
    await caches.delete(namespaceId);
    expect(await caches.mayBeCache("cache")).toBe(false);
  });

  test("another node's create counts once its read cache is cleared (what every node hears of a committed write)", async () => {
    const { runner, namespaceId, caches } = await org();
    const elsewhere = new InProcessReadCache();
    const other = new ProxyCacheStore(runner, cipher, elsewhere);
    expect(await other.mayBeCache("cache")).toBe(false);
    await caches.create(config(namespaceId));
    // Not heard yet: the other node's memory is still current to it.
    expect(other.mayBeCache("cache")).toBe(false);
    elsewhere.clear();
    const answer = other.mayBeCache("cache");
    expect(answer).toBeInstanceOf(Promise);
    expect(await answer).toBe(true);
    expect(await other.mayBeCache("cache")).toBe(true);
    expect(await other.forOrg("cache")).toMatchObject({ org: "cache" });
  });

  test("hasImmutableTags: a live immutable tag anywhere in the namespace", async () => {
    const { runner, repoId, namespaceId, caches } = await org();
    const manifest = await addManifest(runner, repoId, "m");
    await addTag(runner, repoId, "mutable", manifest);
    expect(await caches.hasImmutableTags(namespaceId)).toBe(false);
    await addTag(runner, repoId, "fixed", manifest, { immutable: true });
    expect(await caches.hasImmutableTags(namespaceId)).toBe(true);
    const other = await org("elsewhere");
    expect(await caches.hasImmutableTags(other.namespaceId)).toBe(false);
  });
});

describeEachDialect("proxyCaches.test.ts", "ProxyCacheTagStore", (backend) => {
  async function cached() {
    const { runner } = backend();
    const repoId = await addRepository(runner, "cache/app");
    return { runner, repoId, namespaceId: await namespaceIdOf(runner, "cache"), tags: new ProxyCacheTagStore(runner) };
  }

  const pulledMs = (runner: Runner) =>
    runner.run(function* ({ db, t }) {
      const rows = yield* all(db.select({ name: t.proxyCacheTags.name, ms: t.proxyCacheTags.pulledMs }).from(t.proxyCacheTags).orderBy(t.proxyCacheTags.name));
      return Object.fromEntries(rows.map((r) => [r.name, r.ms]));
    });

  test("checked and pulled times: later pulls only, a check moves the pull time forward only", async () => {
    const { runner, repoId, tags } = await cached();
    expect(await tags.checkedMs(repoId, "latest")).toBeUndefined();
    await tags.markChecked(repoId, "latest", 1000);
    expect(await tags.checkedMs(repoId, "latest")).toBe(1000);
    await tags.recordPulls([
      { repoId, name: "latest", ms: 5000 },
      { repoId, name: "latest", ms: 3000 },
      // Not cached (never checked): nothing to record.
      { repoId, name: "other", ms: 5000 },
    ]);
    expect(await pulledMs(runner)).toEqual({ latest: 5000 });
    await tags.recordPulls([{ repoId, name: "latest", ms: 4000 }]);
    await tags.markChecked(repoId, "latest", 2000);
    expect([await tags.checkedMs(repoId, "latest"), (await pulledMs(runner)).latest]).toEqual([2000, 5000]);
    await tags.markChecked(repoId, "latest", 9000);
    expect((await pulledMs(runner)).latest).toBe(9000);
    await tags.recordPulls([]);
  });

  test("batches at once over the same tags in opposite orders all land, the latest time winning", async () => {
    const { runner, repoId, tags } = await cached();
    const names = Array.from({ length: 20 }, (_, i) => `t${String(i).padStart(2, "0")}`);
    for (const name of names) await tags.markChecked(repoId, name, 0);
    const batch = (ms: number, reversed: boolean) => (reversed ? [...names].reverse() : names).map((name) => ({ repoId, name, ms }));
    await Promise.all(Array.from({ length: 8 }, (_, i) => tags.recordPulls(batch(100 + i, i % 2 === 1))));
    expect(Object.values(await pulledMs(runner))).toEqual(names.map(() => 107));
  });

  test("eviction candidates: live, mutable, unexpired cached tags, least recently pulled first; an image's manifests; the time machine", async () => {
    const { runner, repoId, namespaceId, tags } = await cached();
    const m1 = await addManifest(runner, repoId, "one");
    const m2 = await addManifest(runner, repoId, "two");
    await addTag(runner, repoId, "old", m1);
    await addTag(runner, repoId, "new", m2);
    await addTag(runner, repoId, "fixed", m1, { immutable: true });
    await addTag(runner, repoId, "expired", m1, { expiresMs: 50 });
    await addTag(runner, repoId, "uncached", m1);
    for (const [name, ms] of [["new", 300], ["old", 100], ["fixed", 50], ["expired", 10]] as const) await tags.markChecked(repoId, name, ms);
    expect((await tags.leastRecentlyPulled(namespaceId, 100, 10)).map((c) => c.tag)).toEqual(["old", "new"]);
    expect((await tags.leastRecentlyPulled(namespaceId, 100, 1)).map((c) => c.tag)).toEqual(["old"]);
    expect((await tags.leastRecentlyPulled(namespaceId, 10, 10)).map((c) => c.tag)).toEqual(["expired", "old", "new"]);
    const [first] = await tags.leastRecentlyPulled(namespaceId, 100, 1);
    expect(first).toMatchObject({ repoId, repoName: "cache/app", tag: "old" });

    const digestOf = (id: number) =>
      runner.run(function* ({ db, t }) {
        return (yield* all(db.select({ digest: t.manifests.digest }).from(t.manifests).where(eq(t.manifests.id, id))))[0]!.digest;
      });
    const index = await addManifest(runner, repoId, "index");
    const child = await digestOf(m1);
    await runner.run(function* ({ db, t }) {
      yield* changes(db.insert(t.manifestChildren).values({ manifestId: index, childDigest: child }));
    });
    expect((await tags.imageManifests(repoId, await digestOf(index))).map((m) => m.id)).toEqual([index, m1]);
    expect((await tags.imageManifests(repoId, await digestOf(m2))).map((m) => m.id)).toEqual([m2]);
    expect(await tags.imageManifests(repoId, "sha256:none")).toEqual([]);
    expect(await tags.timeMachineMs(repoId)).toBe(1209600 * 1000);
    expect(await tags.timeMachineMs(repoId + 1000)).toBe(0);
  });
});
