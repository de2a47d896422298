// Three nodes (the compiled binary) serving one registry from one PostgreSQL database and one
// bucket prefix, each with its own data directory holding the same keys/ (issue 14): skopeo
// pushes through one while the others serve pulls, every image byte for byte from every node, a
// tag moved through one seen by the two others at once; a node SIGKILLed in the middle of a
// chunked upload (just after an acknowledged PATCH, and while a PATCH is in flight) whose upload
// the others report at the acknowledged offset and finish, fsck clean, the killed node restarted
// serving the blob. The collector on several nodes: nodesCollector.test.ts. Real PostgreSQL
// (BERTH_TEST_DATABASE) and Ceph RGW (BERTH_TEST_S3); skipped, saying so, unless both are set.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { tempDirs, type BinaryServer } from "../support/server";
import { hashBody, locationOf, MiB, rangeEnd, SeededBytes } from "../support/e2eHelpers";
import { signedIn } from "../support/v1Client";
import { imageDigest, ociImage, onNode, patchChunk, scratchRegistries, sharedRegistrySkip, tagDigest, tagSeenWithin, withDigest, type SharedRegistry } from "../support/sharedRegistry";

const PASSWORD = "nodes-e2e-Admin-pw-1";
const SERVICE = "berth-nodes-e2e";
const SKIP = sharedRegistrySkip("the multi-node end-to-end tests");
/** What "at once" means for a tag moved on another node: well within the 1 s change poll and the 10 s expiry. */
const AT_ONCE_MS = 300;

const scratchDirs = tempDirs();
const dir = scratchDirs.make;

if (SKIP) {
  console.warn(SKIP);
  test.skip(SKIP, () => {});
} else {
  const registries = scratchRegistries({ password: PASSWORD, service: SERVICE, pulledInto: dir });
  let registry: SharedRegistry;
  let a: BinaryServer;
  let b: BinaryServer;
  let c: BinaryServer;
  const dirA = dir("berth-nodes-a-");

  beforeAll(async () => {
    ({ registry } = await registries.create());
    a = await registry.start(dirA);
    [b, c] = await Promise.all(["b", "c"].map((n) => registry.start(dir(`berth-nodes-${n}-`), { keysFrom: dirA })));
  });

  afterAll(async () => {
    await registries.removeAll();
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
      const [first, second] = [imageDigest(earlier), imageDigest(later[0]!)];
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
      await registry.expectFsckClean(b.dataDir);
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
}
