// fsck over real stores: a clean store is clean; each kind of damage and leftover is found; with
// repair, what can be fixed safely is, and what cannot (a manifest whose blob is lost) is still
// reported until the image is pushed again.
import { describe, expect, test } from "bun:test";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Database } from "bun:sqlite";
import { checkStore, damageLeft, type FsckReport } from "../../../src/registry/lifecycle/fsck";
import { HOUR, actor, lifecyclePerTest, sha256, type Lifecycle } from "./lifecycleFixture";

const s = lifecyclePerTest();

function fsck(l: Lifecycle, repair = false): Promise<FsckReport> {
  const { stores, registry } = l;
  return checkStore(
    { registry, collection: stores.collection, integrity: stores.integrity, blobs: stores.blobs, uploads: stores.uploads },
    { repair, graceMs: HOUR, now: l.now() },
  );
}

const kinds = (r: FsckReport) => r.findings.map((f): [string, string, boolean] => [f.kind, f.subject, !!f.repaired]);
const blobPath = (l: Lifecycle, digest: string) => {
  const hex = digest.slice(7);
  return join(l.dir, "blobs", "sha256", hex.slice(0, 2), hex);
};

describe("fsck", () => {
  test("a store with images, an index and a referrer is clean", async () => {
    const l = s.get();
    const repo = await l.repo("ns/clean");
    const img = await l.pushImage(repo, ["one", "two"], "v1");
    await l.pushIndex(repo, [img.digest], "multi");
    await l.pushImage(repo, ["sig"], undefined, { subject: { mediaType: "application/vnd.oci.image.manifest.v1+json", digest: img.digest, size: 1 } });
    const report = await fsck(l);
    expect(report.findings).toEqual([]);
    expect(report).toMatchObject({ blobs: 5, manifests: 3, bytesHashed: expect.any(Number) });
  });

  test("damage: a corrupt blob, a lost file, a wrong size; repair forgets what is lost and the push heals it", async () => {
    const l = s.get();
    const repo = await l.repo("ns/damage");
    const img = await l.pushImage(repo, ["good layer", "layer to corrupt", "layer to lose"], "v1");
    const [config, good, corrupt, lost] = img.blobs as [string, string, string, string];
    writeFileSync(blobPath(l, corrupt), "garbled bytes");
    rmSync(blobPath(l, lost));
    new Database(join(l.dir, "berth.db")).run("UPDATE blobs SET size = 99 WHERE digest = ?", [good]);

    const found = await fsck(l);
    const damage: [string, string, boolean][] = [
      ["corruptBlob", corrupt, false],
      ["blobSizeMismatch", good, false],
      ["missingBlobFile", lost, false],
    ];
    expect(kinds(found).sort()).toEqual(damage.sort());
    expect(damageLeft(found)).toBe(3);

    const repaired = await fsck(l, true);
    const afterRepair: [string, string, boolean][] = [
      ["corruptBlob", corrupt, true],
      ["blobSizeMismatch", good, true],
      ["missingBlobFile", lost, true],
      // The image still names them: only a new push of those layers heals it.
      ["manifestMissingBlob", `ns/damage@${img.digest}`, false],
      ["manifestMissingBlob", `ns/damage@${img.digest}`, false],
    ];
    expect(kinds(repaired).sort()).toEqual(afterRepair.sort());
    expect((await l.stores.blobLinks.linkedSize(repo.id, good))).toBe(10);
    expect((await l.stores.blobLinks.linkedSize(repo.id, corrupt))).toBeUndefined(); // HEAD answers 404: the client uploads it again
    expect((await l.stores.blobLinks.linkedSize(repo.id, config))).toBeDefined();

    await l.upload(repo, "layer to corrupt");
    await l.upload(repo, "layer to lose");
    expect((await fsck(l)).findings).toEqual([]);
  });

  test("damage: an index missing a child, a manifest whose bytes changed", async () => {
    const l = s.get();
    const repo = await l.repo("ns/idx");
    const x = await l.pushImage(repo, ["x"]);
    const y = await l.pushImage(repo, ["y"]);
    const index = await l.pushIndex(repo, [x.digest], "v1");
    const db = new Database(join(l.dir, "berth.db"));
    db.run("PRAGMA foreign_keys = ON");
    db.run("DELETE FROM manifests WHERE digest = ?", [x.digest]);
    db.run("UPDATE manifests SET content = ? WHERE digest = ?", [Buffer.from("{}"), y.digest]);
    const found = await fsck(l, true);
    expect(kinds(found).filter(([kind]) => kind.startsWith("manifest"))).toEqual([
      ["manifestDigestMismatch", `ns/idx@${y.digest}`, false],
      ["manifestMissingChild", `ns/idx@${index}`, false],
    ]);
    expect(damageLeft(found)).toBe(2);
  });

  test("leftovers of a crash: set-aside blobs, files without rows, rows nothing references, stray uploads", async () => {
    const l = s.get();
    const repo = await l.repo("ns/left");
    const img = await l.pushImage(repo, ["kept"], "v1");
    const unreferenced = await l.upload(repo, "unlinked but its row stayed");
    await l.registry.unlinkBlob({ repo, digest: unreferenced, actor });
    const orphanBytes = "a file whose row went";
    const orphan = sha256(orphanBytes);
    mkdirSync(join(blobPath(l, orphan), ".."), { recursive: true });
    writeFileSync(blobPath(l, orphan), orphanBytes);
    mkdirSync(join(l.dir, "trash"), { recursive: true });
    writeFileSync(join(l.dir, "trash", `sha256-${"cd".repeat(32)}-1`), "set aside");
    writeFileSync(join(l.dir, "uploads", "stray-upload-0001"), "no session");
    const started = await l.registry.startUpload({ repo });
    if (started.kind !== "ok") throw new Error("start");
    rmSync(join(l.dir, "uploads", started.id));
    l.advance(2 * HOUR);

    const found = await fsck(l);
    const leftovers: [string, string, boolean][] = [
      ["setAsideBlobs", "trash/", false],
      ["orphanBlobFile", orphan, false],
      ["unreferencedBlob", unreferenced, false],
      ["sessionWithoutUpload", started.id, false],
      ["uploadWithoutSession", "stray-upload-0001", false],
    ];
    expect(kinds(found).sort()).toEqual(leftovers.sort());
    expect(damageLeft(found)).toBe(0);
    const repaired = await fsck(l, true);
    expect(repaired.findings.every((f) => f.repaired)).toBe(true);
    expect((await fsck(l)).findings).toEqual([]);
    expect(l.blobFiles()).toEqual([...img.blobs].sort());
  });
});
