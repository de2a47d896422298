// The compiled binary on PostgreSQL (`--database`) with its blobs in S3: one node pushed to and
// pulled from by skopeo byte for byte, seen by API v1, restarted with everything still there, its
// database URL's password never shown; then a second node on the same database and bucket prefix
// (its own data directory holding the first's keys/): pushes through one pull through the other,
// a tag moved on one is seen by the other at once (its read cache cleared by NOTIFY), a chunked
// upload whose PATCHes alternate between the nodes, one rate limit and one login throttle for
// both; and a registry moved by `berth migrate` from a data directory served on PostgreSQL + S3. Real PostgreSQL
// (BERTH_TEST_DATABASE) and Ceph RGW (BERTH_TEST_S3); skipped, saying so, unless both are set.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { cpSync, existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { buildBinary, startBinary, tempDirs, type BinaryServer } from "../support/server";
import { hashBody, layoutBlobs, layoutRef, locationOf, MiB, OciLayoutWriter, rangeEnd, run, SeededBytes } from "../support/e2eHelpers";
import { expectJson, signedIn } from "../support/v1Client";
import { berthWithS3, freshS3Store, s3BinaryEnv, S3_SKIP_MESSAGE, testS3Settings } from "../support/s3";
import { scratchDatabases } from "../unit/store/pgScratch";

const PASSWORD = "pg-e2e-Admin-pw-1";
/** Put into the database URL: PostgreSQL's trust authentication ignores it, Berth must never show it. */
const DB_PASSWORD = "Db-Pass-w0rd-never-shown";
/** One token audience for every node (behind a load balancer they share a name). */
const SERVICE = "berth-pg-e2e";
const s3 = testS3Settings();
const pgBase = process.env.BERTH_TEST_DATABASE;
const SKIP = `${S3_SKIP_MESSAGE}; BERTH_TEST_DATABASE is ${pgBase ? "set" : "unset"}: the PostgreSQL + S3 end-to-end tests need both`;

const scratchDirs = tempDirs();
const dir = scratchDirs.make;
const basic = `Basic ${Buffer.from(`admin:${PASSWORD}`).toString("base64")}`;

/** The URL of a scratch database with a password in it. */
function withPassword(url: string): string {
  const u = new URL(url);
  u.password = DB_PASSWORD;
  return u.toString();
}

/** Runs the binary (not a server) with the S3 settings; its whole output. */
async function berth(args: string[]): Promise<{ code: number; out: string }> {
  return berthWithS3(await buildBinary(), args);
}

interface Image {
  repo: string;
  tag: string;
  layout: string;
}

function makeImage(repo: string, tag: string, layers: number, layerSize = MiB / 2): Image {
  const layout = dir("berth-pg-oci-");
  const w = new OciLayoutWriter(layout);
  w.tag(tag, w.addImage({ layers, layerSize }).manifest);
  return { repo, tag, layout };
}

const skopeo = (...args: string[]) => run(["skopeo", "--insecure-policy", ...args]);

async function push(srv: BinaryServer, img: Image, tag = img.tag): Promise<void> {
  await skopeo("copy", "-q", "--dest-tls-verify=false", "--preserve-digests", "--dest-creds", `admin:${PASSWORD}`, `oci:${img.layout}:${img.tag}`, `docker://127.0.0.1:${srv.port}/${img.repo}:${tag}`);
}

/** Pulls `img` into a new layout: the same manifest digest, every blob's bytes the same. */
async function expectPullsByteForByte(srv: BinaryServer, img: Image, tag = img.tag): Promise<void> {
  const back = dir("berth-pg-pull-");
  await skopeo("copy", "-q", "--src-tls-verify=false", "--preserve-digests", "--src-creds", `admin:${PASSWORD}`, `docker://127.0.0.1:${srv.port}/${img.repo}:${tag}`, `oci:${back}:${tag}`);
  expect(layoutRef(back, tag)?.digest).toBe(layoutRef(img.layout, img.tag)!.digest);
  const sent = layoutBlobs(img.layout);
  const got = layoutBlobs(back);
  expect([...got.keys()].sort()).toEqual([...sent.keys()].sort());
  for (const [digest, info] of got) {
    expect(info.actual).toBe(digest);
    expect(Buffer.compare(readFileSync(info.path), readFileSync(sent.get(digest)!.path))).toBe(0);
  }
}

/** A registry token for `scope` from the node at `url`. */
async function token(url: string, scope: string): Promise<string> {
  const res = await fetch(`${url}/v2/auth?${new URLSearchParams({ service: SERVICE, scope })}`, { headers: { Authorization: basic } });
  expect(res.status).toBe(200);
  return ((await res.json()) as { token: string }).token;
}

/** The digest a tag's manifest GET answers on a node. */
async function tagDigest(url: string, bearer: string, repo: string, tag: string): Promise<string | null> {
  const res = await fetch(`${url}/v2/${repo}/manifests/${tag}`, {
    headers: { Authorization: `Bearer ${bearer}`, Accept: "application/vnd.oci.image.manifest.v1+json" },
  });
  await res.arrayBuffer();
  return res.headers.get("docker-content-digest");
}

if (!s3 || !pgBase) {
  console.warn(SKIP);
  test.skip(SKIP, () => {});
} else {
  let database = "";
  let bucket: Awaited<ReturnType<typeof freshS3Store>>;
  const scratch = scratchDatabases(pgBase);
  const storage = () => `s3://${s3.bucket}/${bucket.prefix}`;
  const servers: BinaryServer[] = [];
  let a: BinaryServer;
  const dirA = dir("berth-pg-node-a-");

  /** A node on the shared database and bucket prefix. */
  async function node(dataDir: string, env: Record<string, string> = {}): Promise<BinaryServer> {
    const srv = await startBinary({
      dataDir,
      args: ["--auth", "token", "--database", database, "--storage", storage()],
      env: { ...s3BinaryEnv(), BERTH_ADMIN_PASSWORD: PASSWORD, BERTH_SERVICE: SERVICE, ...env },
    });
    servers.push(srv);
    return srv;
  }

  const images = [makeImage("admin/app", "v1", 3, 6 * MiB), makeImage("admin/app", "v2", 2)];

  beforeAll(async () => {
    bucket = await freshS3Store();
    database = withPassword(await scratch.create());
    a = await node(dirA);
  });

  afterAll(async () => {
    for (const srv of servers) await srv.stop().catch(() => {});
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
      await a.stop();
      servers.splice(servers.indexOf(a), 1);
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
      const dirB = dir("berth-pg-node-b-");
      cpSync(join(dirA, "keys"), join(dirB, "keys"), { recursive: true });
      b = await node(dirB);
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
      const bearer = await token(a.url, "repository:admin/app:pull,push");
      const v1 = layoutRef(images[0]!.layout, "v1")!.digest;
      const v2 = layoutRef(images[1]!.layout, "v2")!.digest;
      await push(a, images[0]!, "moving");
      // B has the tag in its read cache now.
      expect(await tagDigest(b.url, bearer, "admin/app", "moving")).toBe(v1);
      expect(await tagDigest(b.url, bearer, "admin/app", "moving")).toBe(v1);
      const admin = await signedIn(a.url, "admin", PASSWORD);
      expect((await admin.put("/api/v1/repository/admin/app/tag/moving", { manifest_digest: v2 })).status).toBe(201);
      // Well within the change counter's 1 s poll and the 10 s expiry: the notification did it.
      const deadline = Date.now() + 300;
      let seen = await tagDigest(b.url, bearer, "admin/app", "moving");
      while (seen !== v2 && Date.now() < deadline) {
        await Bun.sleep(10);
        seen = await tagDigest(b.url, bearer, "admin/app", "moving");
      }
      expect(seen).toBe(v2);
    });

    test("a chunked upload whose PATCHes alternate between A and B, finished on B: the digest checks and A serves it", async () => {
      const bearer = await token(a.url, "repository:admin/chunks:pull,push");
      const auth = { Authorization: `Bearer ${bearer}` };
      const gen = new SeededBytes("pg-two-nodes-chunks");
      const size = 11 * MiB;
      const post = await fetch(`${a.url}/v2/admin/chunks/blobs/uploads/`, { method: "POST", headers: auth });
      expect(post.status).toBe(202);
      let location = locationOf(a.url, post);
      let offset = 0;
      let i = 0;
      for (const chunk of gen.chunks(0, size, 3 * MiB)) {
        const via = i++ % 2 === 0 ? a : b;
        const target = location.replace(/^https?:\/\/[^/]+/, via.url);
        const res = await fetch(target, {
          method: "PATCH",
          headers: { ...auth, "Content-Range": `${offset}-${offset + chunk.byteLength - 1}`, "Content-Length": String(chunk.byteLength) },
          body: chunk,
        });
        expect(res.status).toBe(202);
        expect(rangeEnd(res)).toBe(offset + chunk.byteLength);
        offset += chunk.byteLength;
        location = locationOf(via.url, res);
      }
      expect(i).toBe(4);
      const digest = gen.digest(size);
      const finish = location.replace(/^https?:\/\/[^/]+/, b.url);
      const put = await fetch(`${finish}${finish.includes("?") ? "&" : "?"}digest=${digest}`, { method: "PUT", headers: auth });
      expect(put.status).toBe(201);
      expect(await hashBody(await fetch(`${a.url}/v2/admin/chunks/blobs/${digest}`, { headers: auth }))).toEqual({ digest, size });
      // A wrong digest is refused on whichever node finishes.
      const again = await fetch(`${a.url}/v2/admin/chunks/blobs/uploads/`, { method: "POST", headers: auth });
      const loc = locationOf(a.url, again).replace(/^https?:\/\/[^/]+/, b.url);
      const wrong = await fetch(`${loc}${loc.includes("?") ? "&" : "?"}digest=sha256:${"0".repeat(64)}`, { method: "PUT", headers: { ...auth, "Content-Length": "3" }, body: "abc" });
      expect(wrong.status).toBe(400);
    });

    test("one rate limit for both nodes: /v2/auth's burst is spent across them", async () => {
      // Two more nodes with rate limits on (A and B take no tokens: they run without).
      const limited = { BERTH_RATE_LIMITS: "true", BERTH_RATE_LIMIT_AUTH_BURST: "4", BERTH_RATE_LIMIT_AUTH_PER_SECOND: "0.01" };
      const [c, d] = await Promise.all(
        ["c", "d"].map((name) => {
          const d = dir(`berth-pg-node-${name}-`);
          cpSync(join(dirA, "keys"), join(d, "keys"), { recursive: true });
          return node(d, limited);
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
