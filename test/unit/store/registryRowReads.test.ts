// The registry's other read stores on both dialects (describeEachDialect): blob links, upload
// session rows, and what the collector reads to find garbage.
import { expect, test } from "bun:test";
import { BlobLinkStore } from "../../../src/store/meta/blobLinks";
import { CollectionReads } from "../../../src/store/meta/collection";
import { UploadRowStore } from "../../../src/store/meta/uploads";
import { addRepository, describeEachDialect } from "./eachDialect";
import { addBlobRow, addManifestRow, addTagRow, digestOf, setTimeMachine } from "./registryRows";

describeEachDialect("registryRowReads.test.ts", "blob links", (backend) => {
  test("linked size, a holder to mount from, the same namespace's holder, the total", async () => {
    const runner = backend().runner;
    const links = new BlobLinkStore(runner);
    const a = await addRepository(runner, "cache/a");
    const b = await addRepository(runner, "cache/b");
    const other = await addRepository(runner, "other/c");
    const [x, y] = [digestOf("x"), digestOf("y")];
    await addBlobRow(runner, x, 3_000_000_000, [b, other]);
    await addBlobRow(runner, y, 7, []);
    expect(await links.linkedSize(b, x)).toBe(3_000_000_000);
    expect(await links.linkedSize(a, x)).toBeUndefined();
    expect(await links.linkedSize(b, y)).toBeUndefined();
    expect([b, other]).toContain((await links.holder(x))!.id);
    expect(await links.holder(y)).toBeUndefined();
    // Only when a manifest of `a` names it, and only from `a`'s namespace.
    expect(await links.sameNamespaceHolder(a, x)).toBeUndefined();
    await addManifestRow(runner, a, "names-x", { blobs: [x] });
    expect(await links.sameNamespaceHolder(a, x)).toEqual({ id: b, fullName: "cache/b" });
    expect(await links.totalBytes()).toBe(3_000_000_007);
  });

  test("no blobs: a total of 0", async () => {
    expect(await new BlobLinkStore(backend().runner).totalBytes()).toBe(0);
  });
});

describeEachDialect("registryRowReads.test.ts", "upload rows", (backend) => {
  test("a row is created, read in its repository only, moved on, found expired and old, deleted", async () => {
    const runner = backend().runner;
    const rows = new UploadRowStore(runner);
    const repo = await addRepository(runner, "ns/app");
    const other = await addRepository(runner, "ns/other");
    await rows.create("u1", repo, 5_000);
    await rows.create("u2", repo, 9_000);
    expect(await rows.get("u1", repo)).toEqual({ id: "u1", repositoryId: repo, offset: 0, expiresMs: 5_000 });
    expect(await rows.get("u1", other)).toBeUndefined();
    await rows.setOffset("u1", 3_000_000_000, 8_000);
    expect(await rows.get("u1", repo)).toEqual({ id: "u1", repositoryId: repo, offset: 3_000_000_000, expiresMs: 8_000 });
    expect(await rows.expired(8_500)).toEqual(["u1"]);
    expect(await rows.createdBefore(Date.now() + 60_000)).toEqual(["u1", "u2"]);
    expect(await rows.createdBefore(0)).toEqual([]);
    expect(await rows.exists("u2")).toBe(true);
    await rows.delete("u2");
    expect(await rows.exists("u2")).toBe(false);
  });

  test("an owner's open sessions are capped; expired ones do not count", async () => {
    const runner = backend().runner;
    const rows = new UploadRowStore(runner);
    const repo = await addRepository(runner, "ns/app");
    expect(await rows.createWithinCap("old", repo, 900, "user:alice", 2, 1_000)).toBe(true); // expired at 1 000
    expect(await rows.createWithinCap("a", repo, 5_000, "user:alice", 2, 1_000)).toBe(true);
    expect(await rows.createWithinCap("b", repo, 5_000, "user:alice", 2, 1_000)).toBe(true);
    expect(await rows.createWithinCap("c", repo, 5_000, "user:alice", 2, 1_000)).toBe(false);
    expect(await rows.createWithinCap("d", repo, 5_000, "user:bob", 2, 1_000)).toBe(true);
    expect(await rows.exists("c")).toBe(false);
  });

  test("starts racing in one repository never pass the cap together", async () => {
    const runner = backend().runner;
    const rows = new UploadRowStore(runner);
    const repo = await addRepository(runner, "ns/app");
    const started = await Promise.all(Array.from({ length: 8 }, (_, i) => rows.createWithinCap(`s${i}`, repo, 5_000, "user:alice", 3, 1_000)));
    expect(started.filter(Boolean)).toHaveLength(3);
  });
});

describeEachDialect("registryRowReads.test.ts", "collection reads", (backend) => {
  const NOW = 1_000_000_000;

  test("repositories by id with their time machine window; purgeable periods (an expiry passed counts, immutable ones never)", async () => {
    const runner = backend().runner;
    const reads = new CollectionReads(runner);
    const a = await addRepository(runner, "ns/a");
    const b = await addRepository(runner, "ns/b");
    await setTimeMachine(runner, "ns", 60);
    expect(await reads.repositories(0, 10)).toEqual([
      { id: a, fullName: "ns/a", timeMachineMs: 60_000 },
      { id: b, fullName: "ns/b", timeMachineMs: 60_000 },
    ]);
    expect(await reads.repositories(a, 10)).toEqual([{ id: b, fullName: "ns/b", timeMachineMs: 60_000 }]);
    const m = await addManifestRow(runner, a, "m");
    await addTagRow(runner, a, { name: "live", manifestId: m.id, startMs: NOW - 100 });
    await addTagRow(runner, a, { name: "ended", manifestId: m.id, startMs: NOW - 100, endMs: NOW - 50 });
    await addTagRow(runner, a, { name: "expired", manifestId: m.id, startMs: NOW - 100, expiresMs: NOW - 40 });
    await addTagRow(runner, a, { name: "locked", manifestId: m.id, startMs: NOW - 100, endMs: NOW - 50, immutable: true });
    expect(await reads.purgeablePeriods(a, NOW)).toBe(2);
    expect(await reads.purgeablePeriods(a, NOW - 45)).toBe(1);
    expect(await reads.purgeablePeriods(b, NOW)).toBe(0);
  });

  test("manifests in pages with whether a period keeps them and what they list; the blobs they name", async () => {
    const runner = backend().runner;
    const reads = new CollectionReads(runner);
    const repo = await addRepository(runner, "ns/app");
    const child = await addManifestRow(runner, repo, "child", { blobs: [digestOf("layer")], createdMs: 5 });
    const index = await addManifestRow(runner, repo, "index", { children: [child.digest, digestOf("elsewhere")], createdMs: 6 });
    const ended = await addManifestRow(runner, repo, "ended", { createdMs: 7 });
    const locked = await addManifestRow(runner, repo, "locked", { createdMs: 8 });
    await addTagRow(runner, repo, { name: "v1", manifestId: index.id, startMs: NOW - 10 });
    await addTagRow(runner, repo, { name: "old", manifestId: ended.id, startMs: NOW - 100, endMs: NOW - 90 });
    await addTagRow(runner, repo, { name: "kept", manifestId: locked.id, startMs: NOW - 100, endMs: NOW - 90, immutable: true });
    const page = await reads.manifests(repo, 0, 10, NOW - 50);
    expect(page.map((r) => [r.id, r.digest, r.createdMs, r.tagged, r.children])).toEqual([
      [child.id, child.digest, 5, false, []],
      [index.id, index.digest, 6, true, [child.digest, digestOf("elsewhere")].sort()],
      [ended.id, ended.digest, 7, false, []],
      [locked.id, locked.digest, 8, true, []],
    ]);
    // Ended within the window: kept too.
    expect((await reads.manifests(repo, 0, 10, NOW - 95)).find((r) => r.id === ended.id)!.tagged).toBe(true);
    expect((await reads.manifests(repo, child.id, 2, NOW)).map((r) => r.id)).toEqual([index.id, ended.id]);
    expect(await reads.blobsNamed(repo, 0, locked.id)).toEqual([{ manifestId: child.id, digest: digestOf("layer") }]);
    expect(await reads.blobsNamed(repo, child.id, locked.id)).toEqual([]);
  });

  test("blob rows with whether anything references them; old links; what references a blob; rows among digests", async () => {
    const runner = backend().runner;
    const reads = new CollectionReads(runner);
    const repo = await addRepository(runner, "ns/app");
    const [linked, named, loose] = [digestOf("linked"), digestOf("named"), digestOf("loose")];
    await addBlobRow(runner, linked, 1, [repo], 100);
    await addBlobRow(runner, named, 2);
    await addBlobRow(runner, loose, 3);
    const m = await addManifestRow(runner, repo, "m", { blobs: [named] });
    const rows = await reads.blobRows("", 10);
    expect(rows).toEqual(
      [
        { digest: linked, size: 1, unreferenced: false },
        { digest: named, size: 2, unreferenced: false },
        { digest: loose, size: 3, unreferenced: true },
      ].sort((x, y) => (x.digest < y.digest ? -1 : 1)),
    );
    expect(await reads.blobRows(rows.at(-1)!.digest, 10)).toEqual([]);
    expect(await reads.oldLinks(repo, "", 101, 10)).toEqual([linked]);
    expect(await reads.oldLinks(repo, "", 100, 10)).toEqual([]);
    expect(await reads.referencesOf(named)).toEqual({ linkedIn: [], namedBy: [m.id] });
    expect(await reads.referencesOf(linked)).toEqual({ linkedIn: [repo], namedBy: [] });
    expect(await reads.hasBlobRow(loose)).toBe(true);
    expect(await reads.hasBlobRow(digestOf("none"))).toBe(false);
    expect(await reads.blobRowsAmong([loose, digestOf("none"), linked])).toEqual(new Set([loose, linked]));
    expect(await reads.blobRowsAmong([])).toEqual(new Set());
  });
});
