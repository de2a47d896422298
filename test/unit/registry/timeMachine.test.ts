// The time machine with a movable clock (no sleeps): an ended tag period stays listable and
// restorable for its namespace's window, then it is purged and collection frees the bytes; an
// expired tag enters the window at its expiry; a window of 0 frees at once; permanent deletion.
import { describe, expect, test } from "bun:test";
import { DAY, HOUR, actor, lifecyclePerTest, type Lifecycle } from "./lifecycleFixture";

const s = lifecyclePerTest();
const TWO_WEEKS = 14 * DAY;
const MiB = 1024 * 1024;

const listed = async (l: Lifecycle, repoId: number, tag?: string) =>
  (await l.stores.tags.history(repoId, { name: tag, offset: 0, limit: 100 })).map((p) => [p.name, p.digest, p.endMs === undefined ? "live" : "ended"]);

async function windowOf(l: Lifecycle, ns: string, seconds: number) {
  await l.stores.namespaces.setTagExpiration((await l.stores.namespaces.settings(ns))!.id, seconds);
}

describe("the time machine", () => {
  test("delete, list, restore, window expiry, then collection frees every byte", async () => {
    const l = s.get();
    const repo = await l.repo("team/app");
    const layers = [new Uint8Array(3 * MiB).fill(1), new Uint8Array(2 * MiB).fill(2)];
    const img = await l.pushImage(repo, layers, "v1");
    l.advance(2 * HOUR); // past the grace period: only the tag keeps the image now

    expect((await l.registry.deleteTag({ repo, tag: "v1", actor })).kind).toBe("ok");
    expect((await l.stores.manifests.getByTag(repo.id, "v1"))).toBeUndefined();
    expect((await listed(l, repo.id))).toEqual([["v1", img.digest, "ended"]]);
    // Inside the window nothing is garbage.
    expect(await l.collect()).toMatchObject({ manifestsCollected: 0, filesRemoved: 0, bytesFreed: 0 });
    expect(l.blobFiles()).toEqual([...img.blobs].sort());

    expect(await l.registry.restoreTag({ repo, tag: "v1", digest: img.digest, actor })).toEqual({ kind: "ok" });
    expect((await l.stores.manifests.getByTag(repo.id, "v1"))?.digest).toBe(img.digest);
    expect((await l.registry.deleteTag({ repo, tag: "v1", actor })).kind).toBe("ok");

    l.advance(TWO_WEEKS - 60_000); // a minute before the window closes: still listed and restorable
    expect((await listed(l, repo.id, "v1"))).toHaveLength(2);
    expect(await l.collect()).toMatchObject({ periodsPurged: 0, manifestsCollected: 0, filesRemoved: 0 });

    l.advance(2 * 60_000); // the window has passed
    expect((await listed(l, repo.id))).toEqual([]);
    expect(await l.registry.restoreTag({ repo, tag: "v1", digest: img.digest, actor })).toEqual({ kind: "unknownManifest", digest: img.digest });
    const report = await l.collect();
    expect(report).toMatchObject({
      periodsPurged: 2,
      manifestsCollected: 1,
      linksRemoved: img.blobs.length,
      blobRowsRemoved: img.blobs.length,
      filesRemoved: img.blobs.length,
      bytesFreed: img.bytes,
    });
    expect(l.blobFiles()).toEqual([]);
    expect((await l.stores.manifests.getByDigest(repo.id, img.digest))).toBeUndefined();
    // A second pass finds nothing left.
    expect(await l.collect()).toMatchObject({ periodsPurged: 0, manifestsCollected: 0, linksRemoved: 0, filesRemoved: 0 });
  });

  test("a window of 0: a deleted tag is gone from the history at once and the next pass frees everything", async () => {
    const l = s.get();
    const repo = await l.repo("quick/app");
    await windowOf(l, "quick", 0);
    const img = await l.pushImage(repo, ["layer one", "layer two"], "v1");
    l.advance(2 * HOUR);
    expect((await l.registry.deleteTag({ repo, tag: "v1", actor })).kind).toBe("ok");
    expect((await listed(l, repo.id))).toEqual([]);
    expect((await l.registry.restoreTag({ repo, tag: "v1", digest: img.digest, actor })).kind).toBe("unknownManifest");
    expect(await l.collect()).toMatchObject({ manifestsCollected: 1, filesRemoved: 3, bytesFreed: img.bytes });
    expect(l.blobFiles()).toEqual([]);
  });

  test("an expired tag stops resolving at its expiry, stays in the window from then, then goes", async () => {
    const l = s.get();
    const repo = await l.repo("team/exp");
    const img = await l.pushImage(repo, ["expiring layer"], "v1");
    const expiry = l.now() + 3 * HOUR;
    expect((await l.registry.setTagExpiry({ repo, tag: "v1", expiresMs: expiry, actor })).kind).toBe("ok");
    l.advance(3 * HOUR + 1);
    expect((await l.stores.manifests.getByTag(repo.id, "v1"))).toBeUndefined();
    const [period] = (await l.stores.tags.history(repo.id, { offset: 0, limit: 10 }));
    expect(period).toMatchObject({ name: "v1", endMs: expiry });
    expect(await l.collect()).toMatchObject({ manifestsCollected: 0, filesRemoved: 0 });
    // Restorable inside the window, counted from the expiry.
    l.advance(TWO_WEEKS - 10 * 60_000);
    expect((await l.registry.restoreTag({ repo, tag: "v1", digest: img.digest, actor })).kind).toBe("ok");
    expect((await l.registry.setTagExpiry({ repo, tag: "v1", expiresMs: l.now() + 1, actor })).kind).toBe("ok");
    l.advance(TWO_WEEKS + 1000);
    expect(await l.collect()).toMatchObject({ periodsPurged: 2, manifestsCollected: 1, filesRemoved: 2, bytesFreed: img.bytes });
  });

  test("only periods past the window are purged; a manifest another tag keeps stays", async () => {
    const l = s.get();
    const repo = await l.repo("team/keep");
    const img = await l.pushImage(repo, ["shared layer"], "v1");
    expect((await l.registry.putTag({ repo, tag: "stable", digest: img.digest, actor })).kind).toBe("ok");
    expect((await l.registry.deleteTag({ repo, tag: "v1", actor })).kind).toBe("ok");
    l.advance(TWO_WEEKS + HOUR);
    expect(await l.collect()).toMatchObject({ periodsPurged: 1, manifestsCollected: 0, filesRemoved: 0 });
    expect((await listed(l, repo.id))).toEqual([["stable", img.digest, "live"]]);
    expect(l.blobFiles()).toHaveLength(2);
  });

  test("permanent deletion (removeTagFromTimemachine): the live tag, or ended periods at a manifest", async () => {
    const l = s.get();
    const repo = await l.repo("team/perm");
    const a = await l.pushImage(repo, ["a"], "v1");
    const b = await l.pushImage(repo, ["b"], "v1"); // moves v1: the period at a ended
    l.advance(2 * HOUR);
    // Ended periods at a: out of the window at once; the live tag at b is untouched.
    expect(await l.registry.removeTagFromTimeMachine({ repo, tag: "v1", alive: false, digest: a.digest, actor })).toEqual({ kind: "ok", digest: a.digest });
    expect((await listed(l, repo.id))).toEqual([["v1", b.digest, "live"]]);
    // Nothing left at a to remove; an unknown manifest; a tag that is not live.
    expect((await l.registry.removeTagFromTimeMachine({ repo, tag: "v1", alive: false, digest: a.digest, actor })).kind).toBe("notLive");
    expect((await l.registry.removeTagFromTimeMachine({ repo, tag: "v1", alive: false, digest: "sha256:" + "0".repeat(64), actor })).kind).toBe("unknownManifest");
    expect((await l.registry.removeTagFromTimeMachine({ repo, tag: "nope", alive: true, actor })).kind).toBe("notLive");
    // An immutable live tag is refused, as deleting it is.
    expect((await l.registry.setTagImmutable({ repo, tag: "v1", immutable: true, actor })).kind).toBe("ok");
    expect(await l.registry.removeTagFromTimeMachine({ repo, tag: "v1", alive: true, actor })).toEqual({ kind: "immutable", tag: "v1", action: "delete" });
    expect((await l.registry.setTagImmutable({ repo, tag: "v1", immutable: false, actor })).kind).toBe("ok");
    expect(await l.registry.removeTagFromTimeMachine({ repo, tag: "v1", alive: true, actor })).toEqual({ kind: "ok", digest: b.digest });
    expect((await listed(l, repo.id))).toEqual([]);
    expect((await l.stores.manifests.getByTag(repo.id, "v1"))).toBeUndefined();
    expect(await l.collect()).toMatchObject({ periodsPurged: 2, manifestsCollected: 2, filesRemoved: 4, bytesFreed: a.bytes + b.bytes });
  });
});
