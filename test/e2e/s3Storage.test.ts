// The compiled binary on SQLite with its blobs in S3 (a real Ceph RGW on loopback, started by
// scripts/services/rgw.sh): skopeo pushes a multi-layer image and pulls it back byte for byte,
// a chunked upload in small PATCHes, a restart in the middle of a chunked upload finished after
// it, and pulls redirected to presigned URLs. Skipped, saying so, when BERTH_TEST_S3 is unset.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { readFileSync, readdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { buildBinary, startBinary, tempDir, type BinaryServer } from "../support/server";
import { hashBody, layoutBlobs, locationOf, MiB, OciLayoutWriter, rangeEnd, run, SeededBytes } from "../support/e2eHelpers";
import { freshS3Store, S3_SKIP_MESSAGE, testS3Settings } from "../support/s3";

const settings = testS3Settings();

/** A PATCH of `bytes` at `offset`; answers the next location. */
async function patch(base: string, location: string, offset: number, bytes: Uint8Array): Promise<string> {
  const res = await fetch(location, {
    method: "PATCH",
    headers: { "Content-Range": `${offset}-${offset + bytes.byteLength - 1}`, "Content-Length": String(bytes.byteLength) },
    body: bytes,
  });
  if (res.status !== 202) throw new Error(`PATCH at ${offset}: ${res.status} ${await res.text()}`);
  expect(rangeEnd(res)).toBe(offset + bytes.byteLength);
  return locationOf(base, res);
}

if (!settings) {
  console.warn(S3_SKIP_MESSAGE);
  test.skip(S3_SKIP_MESSAGE, () => {});
} else {
  let srv: BinaryServer;
  let bucket: Awaited<ReturnType<typeof freshS3Store>>;
  const dirs: string[] = [];
  const dataDir = tempDir("berth-s3-e2e-");
  dirs.push(dataDir);

  const start = async (extraEnv: Record<string, string> = {}) =>
    startBinary({
      dataDir,
      args: ["--storage", `s3://${settings.bucket}/${bucket.prefix}`],
      env: {
        BERTH_S3_ENDPOINT: settings.endpoint,
        BERTH_S3_REGION: settings.region,
        BERTH_S3_ACCESS_KEY: settings.accessKeyId,
        BERTH_S3_SECRET_KEY: settings.secretAccessKey,
        BERTH_S3_PATH_STYLE: String(settings.pathStyle),
        ...extraEnv,
      },
    });

  beforeAll(async () => {
    // A fresh prefix of the test bucket; the server is pointed at it (and at nothing else).
    bucket = await freshS3Store();
    srv = await start();
  });

  afterAll(async () => {
    await srv?.stop();
    await bucket?.cleanup();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  const skopeo = (...args: string[]) => run(["skopeo", "--insecure-policy", ...args]);
  const keysUnder = async (sub: string) => {
    const keys: string[] = [];
    for await (const key of bucket.store.api.keys(`${bucket.prefix}${sub}`)) keys.push(key);
    return keys;
  };

  describe("skopeo against S3 storage", () => {
    test("a three-layer image (layers of ~9 MiB: more than one S3 part each) is pushed, lands in the bucket, and pulls back byte for byte", async () => {
      const src = tempDir("berth-s3-src-");
      const dst = tempDir("berth-s3-dst-");
      dirs.push(src, dst);
      const layout = new OciLayoutWriter(src);
      const image = layout.addImage({ layers: 3, layerSize: 9 * MiB });
      layout.tag("v1", image.manifest);
      await skopeo("copy", "--dest-tls-verify=false", "--preserve-digests", `oci:${src}:v1`, `docker://127.0.0.1:${srv.port}/s3/app:v1`);
      // The bytes are in the bucket, none in the data directory.
      const stored = await keysUnder("blobs/");
      for (const layer of image.layers) {
        expect(layer.size).toBeGreaterThan(9 * MiB);
        expect(stored).toContain(`${bucket.prefix}blobs/${layer.digest.replace(":", "/")}`);
      }
      expect(readdirSync(dataDir)).not.toContain("blobs");
      expect(await keysUnder("uploads/")).toEqual([]);
      await skopeo("copy", "--src-tls-verify=false", `docker://127.0.0.1:${srv.port}/s3/app:v1`, `oci:${dst}:v1`);
      const pushed = layoutBlobs(src);
      const pulled = layoutBlobs(dst);
      expect([...pulled.keys()].sort()).toEqual([...pushed.keys()].sort());
      for (const [digest, blob] of pushed) {
        expect(pulled.get(digest)!.actual).toBe(digest);
        expect(Buffer.compare(readFileSync(blob.path), readFileSync(pulled.get(digest)!.path))).toBe(0);
      }
    });
  });

  describe("chunked uploads into S3", () => {
    test("12 MiB in 256 KiB PATCHes (each under S3's 5 MiB part minimum) commits and streams back whole", async () => {
      const gen = new SeededBytes("s3-small-patches");
      const size = 12 * MiB;
      const post = await fetch(`${srv.url}/v2/s3/small/blobs/uploads/`, { method: "POST" });
      expect(post.status).toBe(202);
      let location = locationOf(srv.url, post);
      let offset = 0;
      for (const chunk of gen.chunks(0, size, 256 * 1024)) {
        location = await patch(srv.url, location, offset, chunk);
        offset += chunk.byteLength;
      }
      const digest = gen.digest(size);
      const put = await fetch(`${location}${location.includes("?") ? "&" : "?"}digest=${digest}`, { method: "PUT" });
      expect(put.status).toBe(201);
      expect(await hashBody(await fetch(`${srv.url}/v2/s3/small/blobs/${digest}`))).toEqual({ digest, size });
      // A range is served from the bucket too.
      const ranged = await fetch(`${srv.url}/v2/s3/small/blobs/${digest}`, { headers: { range: "bytes=100-199" } });
      expect(ranged.status).toBe(206);
      expect(Buffer.compare(new Uint8Array(await ranged.arrayBuffer()), [...gen.chunks(100, 100)][0]!)).toBe(0);
    });

    test("a server killed in the middle of a chunked upload: the restarted one (pulls redirected to the bucket) finishes it", async () => {
      const gen = new SeededBytes("s3-restart");
      const size = 14 * MiB;
      const first = 9 * MiB; // past one 8 MiB part: the restarted server re-reads parts it never saw
      const post = await fetch(`${srv.url}/v2/s3/restart/blobs/uploads/`, { method: "POST" });
      let location = locationOf(srv.url, post);
      const uploadPath = new URL(location).pathname + new URL(location).search;
      location = await patch(srv.url, location, 0, [...gen.chunks(0, first, first)][0]!);
      await srv.kill();
      srv = await start({ BERTH_STORAGE_REDIRECT: "true" });
      location = `${srv.url}${uploadPath}`;
      const status = await fetch(location);
      expect(status.status).toBe(204);
      expect(status.headers.get("range")).toBe(`0-${first - 1}`);
      let offset = first;
      for (const chunk of gen.chunks(first, size - first, 2 * MiB)) {
        location = await patch(srv.url, location, offset, chunk);
        offset += chunk.byteLength;
      }
      const digest = gen.digest(size);
      const put = await fetch(`${location}${location.includes("?") ? "&" : "?"}digest=${digest}`, { method: "PUT" });
      expect(put.status).toBe(201);
      // With storageRedirect the pull goes to a presigned URL on the object store.
      const redirected = await fetch(`${srv.url}/v2/s3/restart/blobs/${digest}`, { redirect: "manual" });
      expect(redirected.status).toBe(307);
      const target = redirected.headers.get("location")!;
      expect(target).toStartWith(settings.endpoint);
      expect(target).toContain("X-Amz-Signature=");
      expect(await hashBody(await fetch(target))).toEqual({ digest, size });
      expect(await hashBody(await fetch(`${srv.url}/v2/s3/restart/blobs/${digest}`))).toEqual({ digest, size });
      expect(await keysUnder("uploads/")).toEqual([]);
    });

    test("berth gc on the data directory without its --storage is refused, naming the storage (it would see every blob missing)", async () => {
      const gc = await run([await buildBinary(), "gc", "--data", dataDir], { allowFail: true, env: { BERTH_STORAGE: "" } });
      expect(gc.code).toBe(2);
      expect(gc.stderr).toContain(`start it with --storage s3://${settings.bucket}/${bucket.prefix.replace(/\/$/, "")}`);
    });

    test("skopeo pulls through the redirect byte for byte", async () => {
      const dst = tempDir("berth-s3-redirect-");
      dirs.push(dst);
      await skopeo("copy", "--src-tls-verify=false", `docker://127.0.0.1:${srv.port}/s3/app:v1`, `oci:${dst}:v1`);
      for (const [digest, blob] of layoutBlobs(dst)) expect(blob.actual).toBe(digest);
      expect(layoutBlobs(dst).size).toBe(5);
    });
  });
}
