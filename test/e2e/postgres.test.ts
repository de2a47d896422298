// The compiled binary on PostgreSQL (`--database`) with its blobs in S3: one node pushed to and
// pulled from by skopeo byte for byte, seen by API v1, restarted with everything still there, its
// database URL's password never shown; then a second node on the same database and bucket prefix
// (its own data directory holding the first's keys/): pushes through one pull through the other,
// a tag moved on one is seen by the other at once (its read cache cleared by NOTIFY), a chunked
// upload whose PATCHes alternate between the nodes, one rate limit and one login throttle for
// both; and a registry moved by `berth migrate` from a data directory served on PostgreSQL + S3. Real PostgreSQL
// (BERTH_TEST_DATABASE) and Ceph RGW (BERTH_TEST_S3); skipped, saying so, unless both are set.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { buildBinary, startBinary, tempDirs, type BinaryServer } from "../support/server";
import { hashBody, layoutRef, locationOf, MiB, SeededBytes } from "../support/e2eHelpers";
import { expectJson, signedIn } from "../support/v1Client";
import { berthWithS3, freshS3Store, s3BinaryEnv, S3_SKIP_MESSAGE, testS3Settings } from "../support/s3";
import { DB_PASSWORD, ociImage, onNode, patchChunk, SharedRegistry, tagDigest, tagSeenWithin, withDigest, withPassword, type Image } from "../support/sharedRegistry";
import { scratchDatabases } from "../unit/store/pgScratch";

const PASSWORD = "pg-e2e-Admin-pw-1";
/** One token audience for every node (behind a load balancer they share a name). */
const SERVICE = "berth-pg-e2e";
const s3 = testS3Settings();
const pgBase = process.env.BERTH_TEST_DATABASE;
const SKIP = `${S3_SKIP_MESSAGE}; BERTH_TEST_DATABASE is ${pgBase ? "set" : "unset"}: the PostgreSQL + S3 end-to-end tests need both`;

const scratchDirs = tempDirs();
const dir = scratchDirs.make;
const basic = `Basic ${Buffer.from(`admin:${PASSWORD}`).toString("base64")}`;

/** Runs the binary (not a server) with the S3 settings; its whole output. */
async function berth(args: string[]): Promise<{ code: number; out: string }> {
  return berthWithS3(await buildBinary(), args);
}

function makeImage(repo: string, tag: string, layers: number, layerSize = MiB / 2): Image {
  return ociImage(dir("berth-pg-oci-"), repo, tag, layers, layerSize);
}

if (!s3 || !pgBase) {
  console.warn(SKIP);
  test.skip(SKIP, () => {});
} else {
  let database = "";
  let bucket: Awaited<ReturnType<typeof freshS3Store>>;
  let registry: SharedRegistry;
  const scratch = scratchDatabases(pgBase);
  const storage = () => `s3://${s3.bucket}/${bucket.prefix}`;
  let a: BinaryServer;
  const dirA = dir("berth-pg-node-a-");

  /** A node on the shared database and bucket prefix. */
  const node = (dataDir: string, env: Record<string, string> = {}) => registry.start(dataDir, { env });
  const push = (srv: BinaryServer, img: Image, tag?: string) => registry.push(srv, img, tag);
  const expectPullsByteForByte = (srv: BinaryServer, img: Image, tag?: string) => registry.expectPullsByteForByte(srv, img, tag);

  const images = [makeImage("admin/app", "v1", 3, 6 * MiB), makeImage("admin/app", "v2", 2)];

  beforeAll(async () => {
    bucket = await freshS3Store();
    database = withPassword(await scratch.create());
    registry = new SharedRegistry(database, storage(), { password: PASSWORD, service: SERVICE, pulledInto: dir });
    a = await node(dirA);
  });

  afterAll(async () => {
    await registry?.stopAll();
    await bucket?.cleanup();
    await scratch.drop();
    scratchDirs.removeAll();
  });

  describe("one node on PostgreSQL + S3", () => {
    test("skopeo pushes two images and pulls them back byte for byte; no database file in the data directory", async () => {
      for (const img of images) await push(a, img);
      for (const img of images) await expectPullsByteForByte(a, img);
      expect(existsSync(join(dirA, "berth.db"))).toBe(false);
      expect(existsSync(join(dirA, "blobs"))).toBe(false);
      expect(existsSync(join(dirA, "keys", "database-secret.key"))).toBe(true);
    });

    test("API v1 sees the repository and its tags", async () => {
      const admin = await signedIn(a.url, "admin", PASSWORD);
      const repo = await expectJson(await admin.get("/api/v1/repository/admin/app"), 200);
      expect(repo).toMatchObject({ namespace: "admin", name: "app" });
      const tags = await expectJson(await admin.get("/api/v1/repository/admin/app/tag/?onlyActiveTags=true"), 200);
      expect(tags.tags.map((t: { name: string }) => t.name).sort()).toEqual(["v1", "v2"]);
    });

    test("after a restart everything is still there", async () => {
      await registry.stop(a);
      a = await node(dirA);
      for (const img of images) await expectPullsByteForByte(a, img);
      const admin = await signedIn(a.url, "admin", PASSWORD);
      const tags = await expectJson(await admin.get("/api/v1/repository/admin/app/tag/?onlyActiveTags=true"), 200);
      expect(tags.tags.length).toBe(2);
    });

    test("the database URL's password is in no log line, /config answer or config check", async () => {
      const config = await (await fetch(`${a.url}/config`)).text();
      expect(config).not.toContain(DB_PASSWORD);
      const check = await berth(["config", "check", "--database", database]);
      expect(check.code).toBe(0);
      expect(check.out).toContain("postgres://berth:(set)@");
      expect(check.out).not.toContain(DB_PASSWORD);
      expect(a.output()).toContain("metadata in postgres://");
      expect(a.output()).not.toContain(DB_PASSWORD);
    });

    test("a database that cannot be reached: a clear start error naming it without the password, no stack trace", async () => {
      const unreachable = `postgres://berth:${DB_PASSWORD}@127.0.0.1:1/nowhere`;
      const out = await berth(["serve", "--port", "0", "--data", dir("berth-pg-bad-"), "--database", unreachable]);
      expect(out.code).toBe(1);
      expect(out.out).toBe("berth: cannot start: cannot open the PostgreSQL database postgres://berth:(set)@127.0.0.1:1/nowhere: Failed to connect\n");
      const invalid = await berth(["serve", "--port", "0", "--data", dir("berth-pg-bad-"), "--database", `postgres://berth:${DB_PASSWORD}@[::1/x`]);
      expect(invalid.code).toBe(2);
      expect(invalid.out).not.toContain(DB_PASSWORD);
      expect(invalid.out).toContain("--database: not a URL");
    });

    test("CLI chores take --database: user add, fsck; backup refuses it", async () => {
      const add = await berth(["user", "add", "dave", "--email", "dave@example.com", "--data", dirA, "--database", database, "--storage", storage()]);
      expect(add.code).toBe(0);
      const admin = await signedIn(a.url, "admin", PASSWORD);
      expect((await admin.get("/api/v1/users/dave")).status).toBe(200);
      const fsck = await berth(["fsck", "--data", dirA, "--database", database, "--storage", storage()]);
      expect(fsck.out).not.toContain(DB_PASSWORD);
      expect(fsck.code).toBe(0);
      const backup = await berth(["backup", dir("berth-pg-backup-"), "--data", dirA, "--database", database]);
      expect(backup.code).toBe(2);
      expect(backup.out).toContain("not with PostgreSQL");
    });
  });

  describe("two nodes on one database and one bucket prefix", () => {
    let b: BinaryServer;

    beforeAll(async () => {
      // A node needs the registry's keys: without them it is refused.
      const bare = await berth(["serve", "--port", "0", "--data", dir("berth-pg-nokeys-"), "--database", database, "--storage", storage()]);
      expect(bare.code).toBe(1);
      expect(bare.out).toContain("copy keys/");
      b = await registry.start(dir("berth-pg-node-b-"), { keysFrom: dirA });
    });

    test("pushed through A, pulled through B byte for byte (and the other way)", async () => {
      const img = makeImage("admin/shared", "one", 2);
      await push(a, img);
      await expectPullsByteForByte(b, img);
      const other = makeImage("admin/shared", "two", 1);
      await push(b, other);
      await expectPullsByteForByte(a, other);
    });

    test("a tag moved through A is seen by B at once: B's read cache is cleared by A's NOTIFY", async () => {
      const bearer = await registry.token(a.url, "repository:admin/app:pull,push");
      const v1 = layoutRef(images[0]!.layout, "v1")!.digest;
      const v2 = layoutRef(images[1]!.layout, "v2")!.digest;
      await push(a, images[0]!, "moving");
      // B has the tag in its read cache now.
      expect(await tagDigest(b.url, bearer, "admin/app", "moving")).toBe(v1);
      expect(await tagDigest(b.url, bearer, "admin/app", "moving")).toBe(v1);
      const admin = await signedIn(a.url, "admin", PASSWORD);
      expect((await admin.put("/api/v1/repository/admin/app/tag/moving", { manifest_digest: v2 })).status).toBe(201);
      // Well within the change counter's 1 s poll and the 10 s expiry: the notification did it.
      expect(await tagSeenWithin(b.url, bearer, "admin/app", "moving", v2, Date.now(), 300)).toBe(v2);
    });

    test("a chunked upload whose PATCHes alternate between A and B, finished on B: the digest checks and A serves it", async () => {
      const bearer = await registry.token(a.url, "repository:admin/chunks:pull,push");
      const auth = { Authorization: `Bearer ${bearer}` };
      const gen = new SeededBytes("pg-two-nodes-chunks");
      const size = 11 * MiB;
      const post = await fetch(`${a.url}/v2/admin/chunks/blobs/uploads/`, { method: "POST", headers: auth });
      expect(post.status).toBe(202);
      let location = locationOf(a.url, post);
      let offset = 0;
      let i = 0;
      for (const chunk of gen.chunks(0, size, 3 * MiB)) {
        location = await patchChunk(onNode(i++ % 2 === 0 ? a : b, location), auth, offset, chunk);
        offset += chunk.byteLength;
      }
      expect(i).toBe(4);
      const digest = gen.digest(size);
      const put = await fetch(withDigest(onNode(b, location), digest), { method: "PUT", headers: auth });
      expect(put.status).toBe(201);
      expect(await hashBody(await fetch(`${a.url}/v2/admin/chunks/blobs/${digest}`, { headers: auth }))).toEqual({ digest, size });
      // A wrong digest is refused on whichever node finishes.
      const again = await fetch(`${a.url}/v2/admin/chunks/blobs/uploads/`, { method: "POST", headers: auth });
      const wrong = await fetch(withDigest(onNode(b, locationOf(a.url, again)), `sha256:${"0".repeat(64)}`), { method: "PUT", headers: { ...auth, "Content-Length": "3" }, body: "abc" });
      expect(wrong.status).toBe(400);
    });

    test("one rate limit for both nodes: /v2/auth's burst is spent across them", async () => {
      // Two more nodes with rate limits on (A and B take no tokens: they run without).
      const limited = { BERTH_RATE_LIMITS: "true", BERTH_RATE_LIMIT_AUTH_BURST: "4", BERTH_RATE_LIMIT_AUTH_PER_SECOND: "0.01" };
      const [c, d] = await Promise.all(
        ["c", "d"].map((name) => {
          return registry.start(dir(`berth-pg-node-${name}-`), { env: limited, keysFrom: dirA });
        }),
      );
      const ask = async (srv: BinaryServer) =>
        (await fetch(`${srv.url}/v2/auth?${new URLSearchParams({ service: SERVICE, scope: "repository:admin/app:pull" })}`, { headers: { Authorization: basic } })).status;
      expect([await ask(c!), await ask(d!), await ask(c!), await ask(d!)]).toEqual([200, 200, 200, 200]);
      expect([await ask(c!), await ask(d!)]).toEqual([429, 429]);
    });

    test("one login throttle for both nodes: failures on A and B add up", async () => {
      const wrong = `Basic ${Buffer.from("dave:not-his-password").toString("base64")}`;
      const attempt = async (srv: BinaryServer) =>
        (await fetch(`${srv.url}/v2/auth?${new URLSearchParams({ service: SERVICE })}`, { headers: { Authorization: wrong } })).status;
      // Three failures are free (the pair of account and address), then a second's wait: counted
      // per node, A would have seen two failures only.
      expect([await attempt(a), await attempt(b), await attempt(b), await attempt(b)]).toEqual([401, 401, 401, 401]);
      expect(await attempt(a)).toBe(429);
    });
  });

  describe("berth migrate from a data directory, then served on PostgreSQL + S3", () => {
    test("the migrated registry serves what was there, byte for byte", async () => {
      const img = makeImage("admin/old", "v1", 2);
      const sqlite = await startBinary({ dataDir: dir("berth-pg-sqlite-"), args: ["--auth", "token"], env: { BERTH_ADMIN_PASSWORD: PASSWORD } });
      try {
        await push(sqlite, img);
      } finally {
        await sqlite.stop();
      }
      const target = withPassword(await scratch.create());
      const migrated = await freshS3Store();
      try {
        const nodeDir = join(dir("berth-pg-migrated-"), "node");
        const moved = await berth(["migrate", "--from", sqlite.dataDir, "--to", target, "--storage", `s3://${s3.bucket}/${migrated.prefix}`, "--data", nodeDir]);
        expect(moved.code).toBe(0);
        const srv = await startBinary({
          dataDir: nodeDir,
          args: ["--auth", "token", "--database", target, "--storage", `s3://${s3.bucket}/${migrated.prefix}`],
          env: { ...s3BinaryEnv(), BERTH_SERVICE: SERVICE },
        });
        try {
          await expectPullsByteForByte(srv, img);
          const admin = await signedIn(srv.url, "admin", PASSWORD);
          const tags = await expectJson(await admin.get("/api/v1/repository/admin/old/tag/?onlyActiveTags=true"), 200);
          expect(tags.tags.map((t: { name: string }) => t.name)).toEqual(["v1"]);
          expect(srv.output()).not.toContain(DB_PASSWORD);
        } finally {
          await srv.stop();
        }
      } finally {
        await migrated.cleanup();
      }
    });
  });
}
