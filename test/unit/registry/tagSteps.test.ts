// Tag operations of the registry core over real stores: immutable tags protect what they point
// at, expiries and immutability exclude each other, label effects, and one event per change.
import { afterEach, describe, expect, setSystemTime, test } from "bun:test";
import type { SqliteStores as Stores } from "../../../src/store";
import { registryFor } from "../../support/registryFixture";
import { putManifest, storesPerTest } from "../store/storeFixtures";
import { SYSTEM_ACTOR } from "../../../src/events/registryEvents";

const s = storesPerTest("berth-tags-");
const actor = SYSTEM_ACTOR;
afterEach(() => setSystemTime());

/** A repository with manifests a and b; tag "v1" points at a and is immutable. */
async function setup(stores: Stores) {
  const row = (await stores.repositories.ensure("ns/app"));
  const repo = { id: row.id, name: row.fullName };
  const a = putManifest(stores, row.id, "a", "v1");
  const b = putManifest(stores, row.id, "b");
  const { registry, emitted } = registryFor(stores);
  expect(await registry.setTagImmutable({ repo, tag: "v1", immutable: true, actor })).toEqual({ kind: "ok" });
  emitted.length = 0;
  return { repo, a, b, registry, emitted };
}
type Setup = Awaited<ReturnType<typeof setup>>;

const liveDigest = async (stores: Stores, repo: number, tag: string) => (await stores.manifests.getByTag(repo, tag))?.digest;
const UNKNOWN = "sha256:" + "0".repeat(64);
const refused = (action: string) => ({ kind: "immutable", tag: "v1", action });

describe("an immutable tag refuses", () => {
  test.each<[string, (x: Setup, st: Stores) => Promise<unknown> | unknown, unknown]>([
    ["putTag to another manifest", (x) => x.registry.putTag({ repo: x.repo, tag: "v1", digest: x.b.digest, actor }), refused("move")],
    // Quay refuses even the manifest the tag already points at.
    ["putTag to the same manifest", (x) => x.registry.putTag({ repo: x.repo, tag: "v1", digest: x.a.digest, actor }), refused("move")],
    ["putTag to an unknown manifest (unknown first, as Quay)", (x) => x.registry.putTag({ repo: x.repo, tag: "v1", digest: UNKNOWN, actor }), { kind: "unknownManifest", digest: UNKNOWN }],
    ["restoreTag", (x) => x.registry.restoreTag({ repo: x.repo, tag: "v1", digest: x.a.digest, actor }), refused("restore")],
    ["deleteTag", (x) => x.registry.deleteTag({ repo: x.repo, tag: "v1", actor }), refused("delete")],
    ["setTagExpiry to a time", (x) => x.registry.setTagExpiry({ repo: x.repo, tag: "v1", expiresMs: Date.now() + 60_000, actor }), refused("set expiration on")],
    ["a manifest push by the tag", (x, st) => putManifest(st, x.repo.id, "c", "v1").outcome, refused("push over")],
    ["a re-push of the same manifest by the tag", (x, st) => putManifest(st, x.repo.id, "a", "v1").outcome, refused("push over")],
    ["deleting the manifest it points at", (x) => x.registry.deleteManifest({ repo: x.repo, digest: x.a.digest, actor }), refused("delete")],
  ])("%s", async (_name, act, want) => {
    const stores = s.get();
    const x = await setup(stores);
    expect(await act(x, stores)).toEqual(want);
    // Whatever was tried, v1 still points at a, immutable, with no expiry, and nothing was told.
    expect((await liveDigest(stores, x.repo.id, "v1"))).toBe(x.a.digest);
    const [live] = (await stores.tags.history(x.repo.id, { name: "v1", onlyActive: true, offset: 0, limit: 10 }));
    expect(live).toMatchObject({ immutable: true, expiresMs: undefined });
    expect((await stores.tags.history(x.repo.id, { name: "v1", offset: 0, limit: 10 }))).toHaveLength(1);
    expect(x.emitted).toEqual([]);
  });

  test("a refused push by tag stores no manifest", async () => {
    const stores = s.get();
    const x = await setup(stores);
    const c = putManifest(stores, x.repo.id, "c", "v1");
    expect((await stores.manifests.getByDigest(x.repo.id, c.digest))).toBeUndefined();
  });
});

describe("an immutable tag still allows", () => {
  test("clearing an expiry (there is none to clear): no event", async () => {
    const stores = s.get();
    const x = await setup(stores);
    expect(await x.registry.setTagExpiry({ repo: x.repo, tag: "v1", expiresMs: null, actor })).toEqual({ kind: "ok" });
    expect(x.emitted).toEqual([]);
  });

  test("other tags on the same manifest to move, end and go", async () => {
    const stores = s.get();
    const x = await setup(stores);
    const latest = { repo: x.repo, tag: "latest", actor };
    expect(await x.registry.putTag({ ...latest, digest: x.a.digest })).toEqual({ kind: "ok" });
    expect(await x.registry.putTag({ ...latest, digest: x.b.digest })).toEqual({ kind: "ok" });
    expect(await x.registry.deleteTag(latest)).toEqual({ kind: "ok" });
    expect(x.emitted.map((e) => e.type)).toEqual(["tagCreated", "tagMoved", "tagDeleted"]);
    expect(x.emitted[1]).toMatchObject({ tag: "latest", digest: x.b.digest, previousDigest: x.a.digest });
  });

  test("pushing the manifest again by digest", async () => {
    const stores = s.get();
    const x = await setup(stores);
    expect(await putManifest(stores, x.repo.id, "a").outcome).toEqual({ kind: "ok" });
  });

  test("everything once the flag is cleared", async () => {
    const stores = s.get();
    const x = await setup(stores);
    const v1 = { repo: x.repo, tag: "v1", actor };
    expect(await x.registry.setTagImmutable({ ...v1, immutable: false })).toEqual({ kind: "ok" });
    expect(await x.registry.putTag({ ...v1, digest: x.b.digest })).toEqual({ kind: "ok" });
    expect(await x.registry.setTagExpiry({ ...v1, expiresMs: Date.now() + 60_000 })).toEqual({ kind: "ok" });
    expect(await x.registry.deleteTag(v1)).toEqual({ kind: "ok" });
    expect(await x.registry.deleteManifest({ repo: x.repo, digest: x.a.digest, actor })).toEqual({ kind: "ok", tags: [] });
  });
});

describe("setTagImmutable", () => {
  type Before = (x: { registry: Setup["registry"]; repo: Setup["repo"] }) => Promise<unknown>;
  const nothing: Before = async () => undefined;
  const expireIn = (ms: number): Before => (x) => x.registry.setTagExpiry({ repo: x.repo, tag: "v1", expiresMs: Date.now() + ms, actor });
  test.each<[string, Before, boolean, string]>([
    ["a live tag", nothing, true, "ok"],
    ["a missing tag", (x) => x.registry.deleteTag({ repo: x.repo, tag: "v1", actor }), true, "notLive"],
    ["an expiring tag", expireIn(60_000), true, "expiring"],
    ["clearing on an expiring tag", expireIn(60_000), false, "ok"],
    ["clearing on a mutable tag", nothing, false, "ok"],
  ])("%s", async (_name, before, flag, want) => {
    const stores = s.get();
    const row = (await stores.repositories.ensure("ns/app"));
    const repo = { id: row.id, name: row.fullName };
    putManifest(stores, row.id, "a", "v1");
    const { registry } = registryFor(stores);
    await before({ registry, repo });
    const outcome = await registry.setTagImmutable({ repo, tag: "v1", immutable: flag, actor });
    expect(outcome.kind as string).toBe(want);
  });

  test("an expired tag is not live any more (the clock moved past its expiry)", async () => {
    const stores = s.get();
    const row = (await stores.repositories.ensure("ns/app"));
    const repo = { id: row.id, name: row.fullName };
    putManifest(stores, row.id, "a", "v1");
    const { registry } = registryFor(stores);
    const now = Date.now();
    await registry.setTagExpiry({ repo, tag: "v1", expiresMs: now + 1000, actor });
    setSystemTime(new Date(now + 2000));
    expect(await registry.setTagImmutable({ repo, tag: "v1", immutable: true, actor })).toEqual({ kind: "notLive", tag: "v1" });
    expect((await stores.manifests.getByTag(row.id, "v1"))).toBeUndefined();
  });

  test("an expiry in the past is refused, not applied", async () => {
    const stores = s.get();
    const row = (await stores.repositories.ensure("ns/app"));
    const repo = { id: row.id, name: row.fullName };
    putManifest(stores, row.id, "a", "v1");
    const { registry } = registryFor(stores);
    expect(await registry.setTagExpiry({ repo, tag: "v1", expiresMs: Date.now() - 1, actor })).toEqual({ kind: "expiryInPast", tag: "v1" });
    expect((await stores.manifests.getByTag(row.id, "v1"))).toBeDefined();
  });

  test("the history shows which periods were immutable", async () => {
    const stores = s.get();
    const row = (await stores.repositories.ensure("ns/app"));
    const a = putManifest(stores, row.id, "a", "v1");
    putManifest(stores, row.id, "b", "v1");
    await registryFor(stores).registry.setTagImmutable({ repo: { id: row.id, name: row.fullName }, tag: "v1", immutable: true, actor });
    const periods = (await stores.tags.history(row.id, { offset: 0, limit: 10 }));
    expect(periods.map((p) => [p.digest === a.digest ? "a" : "b", p.immutable])).toEqual([
      ["b", true],
      ["a", false],
    ]);
  });
});

describe("changeTag: several changes, all or nothing", () => {
  test("a move that fails undoes the expiry set before it in the same request", async () => {
    const stores = s.get();
    const row = (await stores.repositories.ensure("ns/app"));
    const repo = { id: row.id, name: row.fullName };
    putManifest(stores, row.id, "a", "v1");
    const { registry, emitted } = registryFor(stores);
    const outcome = await registry.changeTag({ repo, tag: "v1", actor, change: { expiresMs: Date.now() + 60_000, digest: UNKNOWN } });
    expect(outcome).toEqual({ kind: "unknownManifest", digest: UNKNOWN });
    const [live] = (await stores.tags.history(row.id, { name: "v1", onlyActive: true, offset: 0, limit: 1 }));
    expect(live!.expiresMs).toBeUndefined();
    expect(emitted).toEqual([]);
  });

  test("unlock, move and lock again in one request", async () => {
    const stores = s.get();
    const x = await setup(stores);
    const outcome = await x.registry.changeTag({ repo: x.repo, tag: "v1", actor, change: { immutable: false, digest: x.b.digest } });
    expect(outcome).toEqual({ kind: "ok" });
    expect((await liveDigest(stores, x.repo.id, "v1"))).toBe(x.b.digest);
    expect(x.emitted.map((e) => e.type)).toEqual(["tagImmutabilityChanged", "tagMoved"]);
  });
});

describe("label effects on a manifest's tags", () => {
  async function labelled(stores: Stores) {
    const row = (await stores.repositories.ensure("ns/app"));
    const repo = { id: row.id, name: row.fullName };
    const a = putManifest(stores, row.id, "a", "v1");
    const { registry } = registryFor(stores);
    return { repo, a, registry, row };
  }

  test("immutable: live tags without an expiry", async () => {
    const stores = s.get();
    const { repo, a, registry } = await labelled(stores);
    for (const tag of ["v2", "soon", "gone"]) await registry.putTag({ repo, tag, digest: a.digest, actor });
    await registry.setTagExpiry({ repo, tag: "soon", expiresMs: Date.now() + 60_000, actor });
    await registry.deleteTag({ repo, tag: "gone", actor });
    putManifest(stores, repo.id, "b", "other");
    const applied = await registry.applyLabelEffects({ repo, digest: a.digest, effects: { immutable: true }, actor });
    expect(applied).toMatchObject({ kind: "ok", immutableTags: ["v1", "v2"], expiringTags: [] });
    expect((await registry.deleteTag({ repo, tag: "v2", actor })).kind).toBe("immutable");
    expect((await registry.deleteTag({ repo, tag: "other", actor })).kind).toBe("ok");
  });

  test("expires-after: start + duration on live mutable tags", async () => {
    const stores = s.get();
    const { repo, a, registry } = await labelled(stores);
    await registry.putTag({ repo, tag: "locked", digest: a.digest, actor });
    await registry.setTagImmutable({ repo, tag: "locked", immutable: true, actor });
    const applied = await registry.applyLabelEffects({ repo, digest: a.digest, effects: { immutable: false, expiresAfterMs: 3_600_000 }, actor });
    expect(applied).toMatchObject({ expiringTags: ["v1"] });
    const [v1] = (await stores.tags.history(repo.id, { name: "v1", offset: 0, limit: 1 }));
    expect(v1!.expiresMs).toBe(v1!.startMs + 3_600_000);
    const [locked] = (await stores.tags.history(repo.id, { name: "locked", offset: 0, limit: 1 }));
    expect(locked!.expiresMs).toBeUndefined();
  });

  test("an expiry already run out ends the tag for readers", async () => {
    const stores = s.get();
    const { repo, a, registry } = await labelled(stores);
    expect(await registry.applyLabelEffects({ repo, digest: a.digest, effects: { immutable: false, expiresAfterMs: 1 }, actor })).toMatchObject({ expiringTags: ["v1"] });
    Bun.sleepSync(5);
    expect((await stores.manifests.getByTag(repo.id, "v1"))).toBeUndefined();
    expect((await stores.tags.list(repo.id, undefined, undefined))).toEqual([]);
  });
});
