// The collector over real stores with a movable clock: what is garbage (indexes, referrers,
// shared blobs, deleted repositories, uploads), the grace period, the re-checks that make it safe
// beside pushes, the dry run, and recovery from a crashed pass.
import { describe, expect, test } from "bun:test";
import { mkdirSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { DAY, HOUR, actor, lifecyclePerTest, sha256 } from "./lifecycleFixture";

const s = lifecyclePerTest();
const LATER = 2 * HOUR; // past the hour of grace (and the files' minute)

async function windowZero(l: ReturnType<typeof s.get>, ns: string) {
  await l.stores.namespaces.setTagExpiration((await l.stores.namespaces.settings(ns))!.id, 0);
}

describe("what is garbage", () => {
  test("an untagged index goes with its children in one pass; a tagged index keeps them", async () => {
    const l = s.get();
    const repo = await l.repo("ns/multi");
    await windowZero(l, "ns");
    const amd = await l.pushImage(repo, ["amd64 layer"]);
    const arm = await l.pushImage(repo, ["arm64 layer"]);
    await l.pushIndex(repo, [amd.digest, arm.digest], "v1");
    l.advance(LATER);
    expect(await l.collect()).toMatchObject({ manifestsCollected: 0, filesRemoved: 0 });
    expect((await l.registry.deleteTag({ repo, tag: "v1", actor })).kind).toBe("ok");
    // Batches of 3: the index, then its children, across two transactions, in one pass.
    expect(await l.collect()).toMatchObject({ manifestsCollected: 3, filesRemoved: 4, bytesFreed: amd.bytes + arm.bytes });
    expect(l.blobFiles()).toEqual([]);
  });

  test("referrers live as long as their subject, and go with it", async () => {
    const l = s.get();
    const repo = await l.repo("ns/signed");
    await windowZero(l, "ns");
    const img = await l.pushImage(repo, ["signed layer"], "v1");
    const sig = await l.pushImage(repo, ["signature"], undefined, { subject: { mediaType: "application/vnd.oci.image.manifest.v1+json", digest: img.digest, size: 1 } });
    l.advance(LATER);
    expect(await l.collect()).toMatchObject({ manifestsCollected: 0 });
    expect((await l.stores.manifests.referrers(repo.id, img.digest)).map((r) => r.digest)).toEqual([sig.digest]);
    expect((await l.registry.deleteTag({ repo, tag: "v1", actor })).kind).toBe("ok");
    expect(await l.collect()).toMatchObject({ manifestsCollected: 2, filesRemoved: 4, bytesFreed: img.bytes + sig.bytes });
  });

  test("a blob shared with another repository stays for it; only the other links go", async () => {
    const l = s.get();
    const a = await l.repo("ns/a");
    const b = await l.repo("ns/b");
    await windowZero(l, "ns");
    const imgA = await l.pushImage(a, ["shared base", "a only"], "v1");
    await l.pushImage(b, ["shared base"], "v1");
    l.advance(LATER);
    expect((await l.registry.deleteTag({ repo: a, tag: "v1", actor })).kind).toBe("ok");
    const report = await l.collect();
    expect(report).toMatchObject({ manifestsCollected: 1, linksRemoved: 3, blobRowsRemoved: 2, filesRemoved: 2 });
    expect((await l.stores.blobLinks.linkedSize(b.id, sha256("shared base")))).toBe(11);
    expect((await l.stores.blobLinks.linkedSize(a.id, sha256("shared base")))).toBeUndefined();
    expect(report.bytesFreed).toBe(imgA.bytes - 11);
  });

  test("a deleted repository (or namespace) is freed whole in the next pass", async () => {
    const l = s.get();
    const repo = await l.repo("gone/app");
    const img = await l.pushImage(repo, ["layer of a repository about to go"], "v1");
    l.advance(LATER);
    expect((await l.registry.deleteRepository({ repo, actor })).kind).toBe("ok");
    expect(await l.collect()).toMatchObject({ blobRowsRemoved: 2, filesRemoved: 2, bytesFreed: img.bytes });
  });

  test("upload sessions past their age go, with their files", async () => {
    const l = s.get();
    const repo = await l.repo("ns/up");
    const started = await l.registry.startUpload({ repo });
    if (started.kind !== "ok") throw new Error("start");
    await l.stores.uploads.append(repo.id, started.id, new Response("half a layer").body);
    expect(await l.collect()).toMatchObject({ uploadsRemoved: 0 });
    l.advance(DAY + HOUR);
    expect(await l.collect()).toMatchObject({ uploadsRemoved: 1, uploadBytesFreed: 12 });
    expect(await l.stores.blobs.listUploads()).toEqual([]);
  });
});

describe("the grace period", () => {
  test("a blob uploaded moments ago and a manifest pushed by digest moments ago survive; later they go", async () => {
    const l = s.get();
    const repo = await l.repo("ns/inflight");
    const layer = await l.upload(repo, "layer of a push in flight");
    const child = await l.pushImage(repo, ["child of an index not pushed yet"]);
    expect(await l.collect()).toMatchObject({ manifestsCollected: 0, linksRemoved: 0, filesRemoved: 0 });
    l.advance(LATER);
    expect(await l.collect()).toMatchObject({ manifestsCollected: 1, linksRemoved: 3, filesRemoved: 3 });
    expect(l.blobFiles()).not.toContain(layer);
    expect((await l.stores.manifests.getByDigest(repo.id, child.digest))).toBeUndefined();
  });

  test("uploading or mounting a blob again refreshes its grace; pushing a manifest again refreshes its own", async () => {
    const l = s.get();
    const repo = await l.repo("ns/again");
    const other = await l.repo("ns/other");
    const layer = await l.upload(repo, "uploaded twice");
    const mounted = await l.upload(other, "mounted later");
    const img = await l.pushImage(repo, ["by digest, twice"]);
    l.advance(LATER);
    await l.upload(repo, "uploaded twice");
    expect((await l.registry.mountBlob({ repo, from: other, digest: mounted, actor })).kind).toBe("ok");
    await l.pushImage(repo, ["by digest, twice"]); // a new config, the same layer
    const again = await l.registry.pushManifest({
      repo,
      manifest: { ...(await l.stores.manifests.getByDigest(repo.id, img.digest))!, blobDigests: img.blobs, childDigests: [] },
      requiredBlobs: img.blobs,
      actor,
    });
    expect(again.kind).toBe("ok");
    const report = await l.collect();
    expect(report.manifestsCollected).toBe(0);
    expect((await l.stores.blobLinks.linkedSize(repo.id, layer))).toBeDefined();
    expect((await l.stores.blobLinks.linkedSize(repo.id, mounted))).toBeDefined();
    expect((await l.stores.manifests.getByDigest(repo.id, img.digest))).toBeDefined();
  });
});

describe("racing pushes: every deletion re-checks inside its transaction", () => {
  test("a manifest PUT after the links went fails with missingBlob; one before keeps them", async () => {
    const l = s.get();
    const repo = await l.repo("ns/race");
    const config = await l.upload(repo, "race config");
    const layer = await l.upload(repo, "race layer");
    l.advance(LATER);
    // The collector looked and found both links unreferenced; a PUT naming the layer commits first.
    const content = new TextEncoder().encode(JSON.stringify({ schemaVersion: 2, layers: [layer] }));
    const put = await l.registry.pushManifest({
      repo,
      manifest: { digest: sha256(content), mediaType: "application/vnd.oci.image.manifest.v1+json", content, blobDigests: [layer], childDigests: [] },
      requiredBlobs: [layer],
      tag: "v1",
      actor,
    });
    expect(put.kind).toBe("ok");
    const out = await l.registry.collectBlobLinks({ repo, digests: [config, layer], linkedBeforeMs: l.now() - HOUR, actor });
    expect(out).toEqual({ kind: "ok", unlinked: [config] });
    // Now a PUT naming the unlinked config fails: never a manifest with a missing blob.
    const late = new TextEncoder().encode(JSON.stringify({ schemaVersion: 2, config }));
    const refused = await l.registry.pushManifest({
      repo,
      manifest: { digest: sha256(late), mediaType: "application/vnd.oci.image.manifest.v1+json", content: late, blobDigests: [config], childDigests: [] },
      requiredBlobs: [config],
      actor,
    });
    expect(refused).toEqual({ kind: "missingBlob", digest: config });
  });

  test("a candidate manifest tagged, indexed or pushed again before its transaction stays", async () => {
    const l = s.get();
    const repo = await l.repo("ns/recheck");
    await windowZero(l, "ns");
    const tagged = await l.pushImage(repo, ["t"]);
    const indexed = await l.pushImage(repo, ["i"]);
    const repushed = await l.pushImage(repo, ["r"]);
    const plain = await l.pushImage(repo, ["p"]);
    l.advance(LATER);
    const candidates = await Promise.all([tagged, indexed, repushed, plain].map(async (m) => ({ ...(await l.stores.manifests.getByDigest(repo.id, m.digest))!, subjectDigest: null })));
    // What happens between the collector's look and its transaction:
    expect((await l.registry.putTag({ repo, tag: "late", digest: tagged.digest, actor })).kind).toBe("ok");
    await l.pushIndex(repo, [indexed.digest]);
    const row = (await l.stores.manifests.getByDigest(repo.id, repushed.digest))!;
    expect((await l.registry.pushManifest({ repo, manifest: { ...row, blobDigests: repushed.blobs, childDigests: [] }, requiredBlobs: repushed.blobs, actor })).kind).toBe("ok");
    const out = await l.registry.collectManifests({ repo, candidates, sinceMs: l.now(), pushedBeforeMs: l.now() - HOUR, actor });
    expect(out).toEqual({ kind: "ok", collected: [plain.digest] });
  });

  test("a blob row linked again before its transaction stays", async () => {
    const l = s.get();
    const repo = await l.repo("ns/rows");
    const d = await l.upload(repo, "unlinked, then uploaded again");
    expect((await l.registry.unlinkBlob({ repo, digest: d, actor })).kind).toBe("ok");
    await l.upload(repo, "unlinked, then uploaded again");
    expect(await l.registry.collectBlobRows({ digests: [d] })).toEqual({ kind: "ok", deleted: [] });
  });
});

describe("dry run and crash recovery", () => {
  test("a dry run counts what a pass then frees, and changes nothing", async () => {
    const l = s.get();
    const repo = await l.repo("ns/dry");
    await windowZero(l, "ns");
    const amd = await l.pushImage(repo, ["dry amd"]);
    const arm = await l.pushImage(repo, ["dry arm"]);
    await l.pushIndex(repo, [amd.digest, arm.digest], "v1");
    const kept = await l.pushImage(repo, ["kept"], "stable");
    l.advance(LATER);
    expect((await l.registry.deleteTag({ repo, tag: "v1", actor })).kind).toBe("ok");
    const files = l.blobFiles();
    const dry = await l.collect({ dryRun: true });
    expect(l.blobFiles()).toEqual(files);
    expect((await l.stores.manifests.getByDigest(repo.id, amd.digest))).toBeDefined();
    const real = await l.collect();
    const { ms: _a, ...dryCounts } = dry;
    const { ms: _b, ...realCounts } = real;
    expect(dryCounts).toEqual(realCounts);
    expect(real).toMatchObject({ periodsPurged: 1, manifestsCollected: 3, filesRemoved: 4, bytesFreed: amd.bytes + arm.bytes });
    expect(l.blobFiles()).toEqual([...kept.blobs].sort());
  });

  test("a pass told to stop ends between batches; the next pass carries on", async () => {
    const l = s.get();
    const repo = await l.repo("ns/stop");
    await windowZero(l, "ns");
    const img = await l.pushImage(repo, ["stopped"], "v1");
    l.advance(LATER);
    expect((await l.registry.deleteTag({ repo, tag: "v1", actor })).kind).toBe("ok");
    const stopping = new AbortController();
    stopping.abort();
    expect(await l.collector.collect(l.now(), { stopping: stopping.signal })).toMatchObject({ stoppedEarly: true, manifestsCollected: 0, filesRemoved: 0 });
    expect(await l.collect()).toMatchObject({ stoppedEarly: false, manifestsCollected: 1, filesRemoved: 2, bytesFreed: img.bytes });
  });

  test("what a crashed pass left (blobs set aside, files without rows) is repaired by the next", async () => {
    const l = s.get();
    const repo = await l.repo("ns/crash");
    const img = await l.pushImage(repo, ["still referenced"], "v1");
    const orphan = await l.upload(repo, "orphan whose row went");
    expect((await l.registry.unlinkBlob({ repo, digest: orphan, actor })).kind).toBe("ok");
    expect(await l.registry.collectBlobRows({ digests: [orphan] })).toMatchObject({ deleted: [{ digest: orphan }] });
    // The crashed pass had moved a referenced blob aside (a pass that died between its rename and its check).
    const [alg, hex] = img.blobs[1]!.split(":");
    mkdirSync(join(l.dir, "trash"), { recursive: true });
    renameSync(join(l.dir, "blobs", alg!, hex!.slice(0, 2), hex!), join(l.dir, "trash", `${alg}-${hex}-x`));
    writeFileSync(join(l.dir, "trash", `sha256-${"ab".repeat(32)}-y`), "unreferenced, set aside");
    l.advance(LATER);
    const report = await l.collect();
    expect(report).toMatchObject({ trashRestored: 1, filesRemoved: 1, blobRowsRemoved: 0 });
    expect(await l.stores.blobs.read(img.blobs[1]!).text()).toBe("still referenced");
    expect(await l.stores.blobs.trashCount()).toBe(0);
    expect(l.blobFiles()).toEqual([...img.blobs].sort());
  });
});
