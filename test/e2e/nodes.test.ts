// Several nodes (the compiled binary) serving one registry from one PostgreSQL database and one
// bucket prefix (issue 14): three nodes where skopeo pushes through one while the others serve
// pulls, every image byte for byte from every node, a tag moved through one seen by the two
// others at once; a node SIGKILLed in the middle of a chunked upload (just after an acknowledged
// PATCH, and while a PATCH is in flight) whose upload another node reports at the acknowledged
// offset and finishes, fsck clean, the killed node restarted serving the blob; and the collector
// on two nodes (the lease holder's pass every second) racing `berth gc` passes from two other
// processes while images are deleted through one node and their layers pushed again through the
// other: every image whose push was acknowledged and not deleted pulls byte for byte from both,
// no blob file freed twice, no deletion left unfinished, fsck finds nothing missing. Real PostgreSQL (BERTH_TEST_DATABASE) and Ceph RGW
// (BERTH_TEST_S3); skipped, saying so, unless both are set.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { SQL } from "bun";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { buildBinary, tempDirs, type BinaryServer } from "../support/server";
import { hashBody, layoutRef, locationOf, MiB, OCI, OciLayoutWriter, rangeEnd, SeededBytes, type LayoutDescriptor } from "../support/e2eHelpers";
import { signedIn } from "../support/v1Client";
import { berthWithS3, freshS3Store, S3_SKIP_MESSAGE, testS3Settings } from "../support/s3";
import { ociImage, onNode, patchChunk, SharedRegistry, tagDigest, tagSeenWithin, withDigest, withPassword, type Image } from "../support/sharedRegistry";
import { scratchDatabases } from "../unit/store/pgScratch";

const PASSWORD = "nodes-e2e-Admin-pw-1";
const SERVICE = "berth-nodes-e2e";
const s3 = testS3Settings();
const pgBase = process.env.BERTH_TEST_DATABASE;
const SKIP = `${S3_SKIP_MESSAGE}; BERTH_TEST_DATABASE is ${pgBase ? "set" : "unset"}: the multi-node end-to-end tests need both`;
/** What "at once" means for a tag moved on another node: well within the 1 s change poll and the 10 s expiry. */
const AT_ONCE_MS = 300;

const scratchDirs = tempDirs();
const dir = scratchDirs.make;

async function berth(args: string[]): Promise<{ code: number; out: string }> {
  return berthWithS3(await buildBinary(), args);
}

/** `berth fsck` on the shared database and storage: nothing damaged (a blob row or a manifest's blob without its object included). */
async function expectFsckClean(registry: SharedRegistry, dataDir: string): Promise<string> {
  const fsck = await berth(["fsck", "--data", dataDir, "--database", registry.database, "--storage", registry.storage]);
  expect(fsck.out).not.toContain("damage:");
  expect(fsck.code).toBe(0);
  return fsck.out;
}

function manifestDigest(img: Image, tag = img.tag): string {
  return layoutRef(img.layout, tag)!.digest;
}

/** A blob of an image's layout. */
function layoutBlob(img: Image, digest: string): Buffer {
  return readFileSync(join(img.layout, "blobs", "sha256", digest.slice(7)));
}

function ociManifest(img: Image): { config: LayoutDescriptor; layers: LayoutDescriptor[] } {
  return JSON.parse(layoutBlob(img, manifestDigest(img)).toString());
}

/** The digests of an image's config and layers (what the registry keeps as blob objects). */
function ociBlobs(img: Image): string[] {
  const manifest = ociManifest(img);
  return [manifest.config.digest, ...manifest.layers.map((l) => l.digest)];
}

/** A new image (a new config, so a new manifest) over the same layers as `img`: the same blob digests pushed again. */
function sameLayers(img: Image, repo: string, tag: string): Image {
  const layout = dir("berth-nodes-again-");
  const manifest = ociManifest(img);
  const config = JSON.parse(layoutBlob(img, manifest.config.digest).toString());
  config.config.Labels = { "test.nonce": crypto.randomUUID() };
  const w = new OciLayoutWriter(layout);
  const layers = manifest.layers.map((l) => w.addBlob(l.mediaType, layoutBlob(img, l.digest)));
  const newConfig = w.addBlob(OCI.config, new TextEncoder().encode(JSON.stringify(config)));
  w.tag(tag, w.addBlob(OCI.manifest, new TextEncoder().encode(JSON.stringify({ schemaVersion: 2, mediaType: OCI.manifest, config: newConfig, layers }))));
  return { repo, tag, layout };
}

if (!s3 || !pgBase) {
  console.warn(SKIP);
  test.skip(SKIP, () => {});
} else {
  const scratch = scratchDatabases(pgBase);
  type Bucket = Awaited<ReturnType<typeof freshS3Store>>;
  const buckets: Bucket[] = [];
  const registries: SharedRegistry[] = [];

  /** A registry on a fresh database and a fresh bucket prefix (no node started yet). */
  async function freshRegistry(): Promise<{ registry: SharedRegistry; bucket: Bucket }> {
    const bucket = await freshS3Store();
    buckets.push(bucket);
    const registry = new SharedRegistry(withPassword(await scratch.create()), `s3://${s3!.bucket}/${bucket.prefix}`, { password: PASSWORD, service: SERVICE, pulledInto: dir });
    registries.push(registry);
    return { registry, bucket };
  }

  // The collector's registry, first: the images whose deletion the collectors race must be older
  // than a minute by then (a blob file written within the last minute is never deleted).
  let gcRegistry: SharedRegistry;
  let gcBucket: Bucket;
  const gcDir = dir("berth-nodes-gc-d-");
  const OLD_IMAGES = 8;
  const old: Image[] = [];
  let oldPushedMs = 0;

  let registry: SharedRegistry;
  let a: BinaryServer;
  let b: BinaryServer;
  let c: BinaryServer;
  const dirA = dir("berth-nodes-a-");

  beforeAll(async () => {
    ({ registry: gcRegistry, bucket: gcBucket } = await freshRegistry());
    const seeder = await gcRegistry.start(gcDir);
    for (let i = 0; i < OLD_IMAGES; i++) {
      old.push(ociImage(dir("berth-nodes-old-"), `admin/base-${i}`, "v1", 3, MiB / 4));
      await gcRegistry.push(seeder, old[i]!);
    }
    oldPushedMs = Date.now();
    await gcRegistry.stop(seeder);

    ({ registry } = await freshRegistry());
    a = await registry.start(dirA);
    [b, c] = await Promise.all(["b", "c"].map((n) => registry.start(dir(`berth-nodes-${n}-`), { keysFrom: dirA })));
  });

  afterAll(async () => {
    for (const r of registries) await r.stopAll();
    for (const bucket of buckets) await bucket.cleanup();
    await scratch.drop();
    scratchDirs.removeAll();
  });

  describe("three nodes on one database and one bucket prefix", () => {
    const earlier = ociImage(dir("berth-nodes-oci-"), "admin/three", "earlier", 3, 2 * MiB);
    const later = [ociImage(dir("berth-nodes-oci-"), "admin/three", "later", 2), ociImage(dir("berth-nodes-oci-"), "admin/other", "v1", 3)];

    test("skopeo pushes through A while B and C serve pulls of an earlier image; every image pulls byte for byte from every node", async () => {
      await registry.push(a, earlier);
      let pushed = false;
      const pulls = { b: 0, c: 0 };
      await Promise.all([
        (async () => {
          for (const img of later) await registry.push(a, img);
          pushed = true;
        })(),
        ...(["b", "c"] as const).map(async (name) => {
          // At least once each, and on until A's pushes are done.
          do {
            await registry.expectPullsByteForByte(name === "b" ? b : c, earlier);
            pulls[name]++;
          } while (!pushed);
        }),
      ]);
      console.log(`three nodes: ${pulls.b} pulls through B and ${pulls.c} through C during A's pushes`);
      for (const img of [earlier, ...later]) for (const srv of [a, b, c]) await registry.expectPullsByteForByte(srv, img);
    });

    test("a tag moved through C (API v1, then a push) is seen by A and B at once", async () => {
      const bearer = await registry.token(c.url, "repository:admin/three:pull,push");
      const [first, second] = [manifestDigest(earlier), manifestDigest(later[0]!)];
      await registry.push(a, earlier, "moving");
      // A and B have the tag in their read caches now.
      for (const srv of [a, b]) for (let i = 0; i < 2; i++) expect(await tagDigest(srv.url, bearer, "admin/three", "moving")).toBe(first);
      const admin = await signedIn(c.url, "admin", PASSWORD);
      expect((await admin.put("/api/v1/repository/admin/three/tag/moving", { manifest_digest: second })).status).toBe(201);
      let moved = Date.now();
      expect(await Promise.all([a, b].map((srv) => tagSeenWithin(srv.url, bearer, "admin/three", "moving", second, moved, AT_ONCE_MS)))).toEqual([second, second]);
      // Back through /v2 on C (a manifest PUT, the registry's other way of moving a tag).
      await registry.push(c, earlier, "moving");
      moved = Date.now();
      expect(await Promise.all([a, b].map((srv) => tagSeenWithin(srv.url, bearer, "admin/three", "moving", first, moved, AT_ONCE_MS)))).toEqual([first, first]);
    });
  });

  describe("a node killed in the middle of a chunked upload, finished on another", () => {
    /** A token for `repo` and an upload opened on `srv`: the auth header and the upload's Location. */
    async function openUpload(srv: BinaryServer, repo: string): Promise<{ auth: Record<string, string>; location: string }> {
      const auth = { Authorization: `Bearer ${await registry.token(srv.url, `repository:${repo}:pull,push`)}` };
      const post = await fetch(`${srv.url}/v2/${repo}/blobs/uploads/`, { method: "POST", headers: auth });
      expect(post.status).toBe(202);
      return { auth, location: locationOf(srv.url, post) };
    }

    /** The offset a node reports for the upload (GET on its Location). */
    async function uploadOffset(srv: BinaryServer, location: string, auth: Record<string, string>): Promise<number> {
      const status = await fetch(onNode(srv, location), { headers: auth });
      expect(status.status).toBe(204);
      return rangeEnd(status);
    }

    /** PATCHes [offset, size) in 3 MiB chunks alternating `via`, then PUTs on `finisher`; B and C serve the blob byte for byte, fsck is clean. */
    async function finish(gen: SeededBytes, location: string, auth: Record<string, string>, offset: number, size: number, repo: string, finisher: BinaryServer): Promise<string> {
      let i = 0;
      for (const chunk of gen.chunks(offset, size - offset, 3 * MiB)) {
        location = await patchChunk(onNode(i++ % 2 === 0 ? b : c, location), auth, offset, chunk);
        offset += chunk.byteLength;
      }
      const digest = gen.digest(size);
      const put = await fetch(withDigest(onNode(finisher, location), digest), { method: "PUT", headers: auth });
      expect(put.status).toBe(201);
      for (const srv of [b, c]) expect(await hashBody(await fetch(`${srv.url}/v2/${repo}/blobs/${digest}`, { headers: auth }))).toEqual({ digest, size });
      await expectFsckClean(registry, b.dataDir);
      return digest;
    }

    /** A restarted on its data directory serves the blob. */
    async function restartedAServes(repo: string, digest: string, size: number, auth: Record<string, string>): Promise<void> {
      a = await registry.start(dirA);
      expect(await hashBody(await fetch(`${a.url}/v2/${repo}/blobs/${digest}`, { headers: auth }))).toEqual({ digest, size });
    }

    test("SIGKILL just after an acknowledged PATCH: B reports that offset, B and C finish it, both serve it, fsck is clean, A restarted serves it", async () => {
      const repo = "admin/killed-after";
      const gen = new SeededBytes("nodes-kill-after-ack");
      const size = 14 * MiB;
      const { auth, location } = await openUpload(a, repo);
      let next = location;
      let acknowledged = 0;
      // Three PATCHes on A: past one 8 MiB part of the object store's multipart upload.
      for (const chunk of gen.chunks(0, 9 * MiB, 3 * MiB)) {
        next = await patchChunk(onNode(a, next), auth, acknowledged, chunk);
        acknowledged += chunk.byteLength;
      }
      await registry.stop(a, "kill");
      expect(await uploadOffset(b, next, auth)).toBe(acknowledged);
      expect(await uploadOffset(c, next, auth)).toBe(acknowledged);
      const digest = await finish(gen, next, auth, acknowledged, size, repo, c);
      await restartedAServes(repo, digest, size, auth);
    });

    test("SIGKILL while a PATCH is in flight: B reports the acknowledged offset (not the bytes A was still receiving), B and C finish it, fsck is clean, A restarted serves it", async () => {
      const repo = "admin/killed-during";
      const gen = new SeededBytes("nodes-kill-in-flight");
      const size = 20 * MiB;
      const acknowledged = 4 * MiB;
      const { auth, location } = await openUpload(a, repo);
      const next = await patchChunk(onNode(a, location), auth, 0, gen.chunks(0, acknowledged, acknowledged).next().value!);
      // The next PATCH streams 10 MiB (more than a part) and stalls after them: A dies with it open.
      const IN_FLIGHT = 10 * MiB;
      let sentAll!: () => void;
      const stalled = new Promise<void>((r) => (sentAll = r));
      let cut!: (e: Error) => void;
      const pieces = gen.chunks(acknowledged, IN_FLIGHT, 256 * 1024);
      const body = new ReadableStream<Uint8Array>(
        {
          async pull(controller) {
            const piece = pieces.next();
            if (!piece.done) return controller.enqueue(piece.value);
            sentAll();
            await new Promise<void>((_, reject) => (cut = reject)).catch((e) => controller.error(e));
          },
        },
        { highWaterMark: 0 },
      );
      const patch = fetch(onNode(a, next), { method: "PATCH", headers: auth, body, duplex: "half" } as RequestInit).then(
        (r) => `answered ${r.status}`,
        () => "cut off",
      );
      await stalled;
      // Let A take in (and store) what was sent.
      await Bun.sleep(500);
      await registry.stop(a, "kill");
      cut(new Error("the node died"));
      expect(await patch).toBe("cut off");
      expect(await uploadOffset(b, next, auth)).toBe(acknowledged);
      expect(await uploadOffset(c, next, auth)).toBe(acknowledged);
      const digest = await finish(gen, next, auth, acknowledged, size, repo, b);
      await restartedAServes(repo, digest, size, auth);
    });
  });

  describe("the collector on two nodes and two `berth gc` processes beside them", () => {
    test("images deleted through one node while their layers are pushed again through the other: nothing acknowledged is lost, fsck finds nothing missing", async () => {
      // Two nodes with a pass every second (the lease holder runs it). The grace is a few seconds:
      // a push's blobs are linked before its manifest names them, and a shorter grace refuses the
      // manifest (MANIFEST_BLOB_UNKNOWN) of nearly every push. The old images' links are far older.
      const GRACE = "5";
      // A, B and C are done: their connections go back to PostgreSQL (each node pools 20).
      await registry.stopAll();
      const collecting = { BERTH_GC_INTERVAL_SECONDS: "1", BERTH_GC_GRACE_SECONDS: GRACE };
      const [d, e] = await Promise.all([gcRegistry.start(gcDir, { env: collecting }), gcRegistry.start(dir("berth-nodes-gc-e-"), { env: collecting, keysFrom: gcDir })]);
      const nodes = [d!, e!];
      // Deleted tags are not kept for a time machine window: their manifests are garbage at once.
      const admin = await signedIn(d!.url, "admin", PASSWORD);
      expect((await admin.put("/api/v1/user/", { tag_expiration_s: 0 })).status).toBe(200);
      // The old images' files must be past the collector's minute before they are freed.
      await Bun.sleep(Math.max(0, oldPushedMs + 62_000 - Date.now()));

      const live = new Map<string, Image>(old.map((img) => [`${img.repo}:${img.tag}`, img]));
      const deleted: { repo: string; tag: string }[] = [];
      const failedPushes: string[] = [];
      /** Pushes, trying again after a failure (a manifest PUT racing the collector may be refused); whether it was acknowledged. */
      const pushAcknowledged = async (srv: BinaryServer, img: Image, tag = img.tag): Promise<boolean> => {
        for (let attempt = 0; attempt < 3; attempt++) {
          try {
            await gcRegistry.push(srv, img, tag);
            live.set(`${img.repo}:${tag}`, img);
            return true;
          } catch (err) {
            failedPushes.push(String(err).split("\n").slice(1).join(" ").trim());
          }
        }
        return false;
      };

      // `berth gc` passes from two other processes (no lease: they race the node's pass and each
      // other). A pass that fails ends the race (the workers stop at their next image) and the test.
      let racing = true;
      let gcFailed: string | undefined;
      const gcPass = async (answers: string[]) => {
        const out = await berth(["gc", "--grace", GRACE, "--data", gcDir, "--database", gcRegistry.database, "--storage", gcRegistry.storage]);
        if (out.code !== 0) {
          gcFailed = `berth gc exited ${out.code}: ${out.out}`;
          racing = false;
        }
        answers.push(out.out.trim());
      };
      /** Each process's answers, pass after pass. */
      const gcAnswers: string[][] = [[], []];
      const gcLoops = gcAnswers.map(async (answers) => {
        while (racing) await gcPass(answers);
      });

      /** Deletes old images at once, each through one node, by tag or by digest. */
      const deleteAtOnce = (first: number, end: number) =>
        Promise.all(
          old.slice(first, end).map(async (img, k) => {
            const i = first + k;
            const deleter = nodes[i % 2]!;
            const bearer = await gcRegistry.token(deleter.url, `repository:${img.repo}:pull,push,delete`);
            const ref = i % 3 === 0 ? img.tag : manifestDigest(img);
            const del = await fetch(`${deleter.url}/v2/${img.repo}/manifests/${ref}`, { method: "DELETE", headers: { Authorization: `Bearer ${bearer}` } });
            expect(del.status).toBe(202);
            live.delete(`${img.repo}:${img.tag}`);
            deleted.push({ repo: img.repo, tag: img.tag });
          }),
        );
      // Half the old images go at once (their files become garbage together: the collectors'
      // file phases meet on them), the other half two seconds later, while the first half's layers
      // are being pushed again. Two workers push, through the node that did not delete it, a new
      // image over each old one's layers to another repository, then the old image back to its
      // repository under another tag.
      const started = Date.now();
      const HALF = OLD_IMAGES / 2;
      await deleteAtOnce(0, HALF);
      const secondHalf = Bun.sleep(2000).then(() => deleteAtOnce(HALF, OLD_IMAGES));
      let nextOld = 0;
      const worker = async () => {
        for (let i = nextOld++; i < OLD_IMAGES && racing; i = nextOld++) {
          if (i >= HALF) await secondHalf;
          const pusher = nodes[(i + 1) % 2]!;
          await pushAcknowledged(pusher, sameLayers(old[i]!, `admin/again-${i}`, "v1"));
          await Bun.sleep(Math.random() * 1500);
          await pushAcknowledged(pusher, old[i]!, "back");
        }
      };
      await Promise.all([worker(), worker(), secondHalf]);
      const loopMs = Date.now() - started;
      racing = false;
      await Promise.all(gcLoops);
      // More passes after the pushes (the lease holder's, then one of berth gc): nothing acknowledged may go.
      await Bun.sleep(1500);
      await gcPass(gcAnswers[0]!);
      expect(gcFailed).toBeUndefined();

      const freed = (lines: string[]) => lines.reduce((n, l) => n + Number(/freed (\d+) blob files/.exec(l)?.[1] ?? 0), 0);
      const serverPasses = nodes.map((n) => n.output().split("\n").filter((l) => l.includes("lifecycle collect:")));
      // Blob files freed by each collector: the two berth gc processes, the lease holder.
      const freedBy = [...gcAnswers.map(freed), freed(serverPasses.flat())];
      console.log(
        `collector race: ${loopMs} ms, berth gc passes ${gcAnswers.map((a) => a.length).join("+")} and node passes ${serverPasses.map((p) => p.length).join("+")} ` +
          `freed ${freedBy.join("+")} blob files; ${failedPushes.length} pushes refused and tried again: ${[...new Set(failedPushes)].slice(0, 3).join(" | ")}`,
      );
      // The race was real: the three collectors ran pass after pass, and blob files (only the old
      // images' are past the minute) went while their layers were being pushed again. Which
      // collector frees a burst is chance: the first to announce its digests takes them all.
      for (const passes of [...gcAnswers, serverPasses.flat()]) expect(passes.length).toBeGreaterThan(2);
      expect(freedBy.reduce((x, y) => x + y)).toBeGreaterThan(0);
      // The lease: one node runs the passes.
      expect(serverPasses.filter((p) => p.length > 0).length).toBe(1);
      // No file freed twice: each old blob went at most once (pushed again, it is younger than the
      // minute), so two collectors both deleting one would count more than there are.
      const oldBlobs = new Set(old.flatMap((img) => ociBlobs(img)));
      expect(freedBy.reduce((x, y) => x + y)).toBeLessThanOrEqual(oldBlobs.size);
      // Every deletion ended: no announcement left standing, nothing left set aside in trash/.
      const sql = new SQL({ url: gcRegistry.database, max: 1 });
      try {
        expect(await sql`SELECT digest FROM blob_deletions`).toEqual([]);
      } finally {
        await sql.close();
      }
      const setAside: string[] = [];
      for await (const key of gcBucket.store.api.keys(`${gcBucket.prefix}trash/`)) setAside.push(key);
      expect(setAside).toEqual([]);

      // Every acknowledged image not deleted since pulls byte for byte from both nodes.
      expect(live.size).toBeGreaterThanOrEqual(OLD_IMAGES);
      for (const [ref, img] of live) {
        const tag = ref.slice(ref.indexOf(":") + 1);
        for (const srv of nodes) await gcRegistry.expectPullsByteForByte(srv, img, tag);
      }
      // What was deleted stays deleted on both nodes (pushed back under another tag).
      expect(deleted.length).toBe(OLD_IMAGES);
      for (const gone of deleted) {
        const bearer = await gcRegistry.token(d!.url, `repository:${gone.repo}:pull`);
        for (const srv of nodes) expect(await tagDigest(srv.url, bearer, gone.repo, gone.tag)).toBeNull();
      }
      const fsck = await expectFsckClean(gcRegistry, gcDir);
      console.log(`collector race: ${fsck.trim().split("\n").at(-1)}`);
    }, 120_000);
  });
}
