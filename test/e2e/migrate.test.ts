// `berth migrate` with the compiled binary, real PostgreSQL and a real S3 (Ceph RGW): a registry
// made by skopeo pushes and API calls (users, an organization, a robot with a read grant, a tag,
// a label, a quota) on a data directory moves to a scratch database and a scratch bucket prefix,
// then back into a new data directory; every table's rows there equal the original's, quota usage
// included, and a server started on it pulls every image byte for byte, the robot's token too.
// A source blob whose bytes are damaged, a target that holds rows and another registry's keys are
// refused; a blob file nothing names is reported and left behind. Skipped, saying so, unless
// BERTH_TEST_DATABASE and BERTH_TEST_S3 are set.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { Database } from "bun:sqlite";
import { SQL } from "bun";
import { cpSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { buildBinary, startBinary, tempDir, type BinaryServer } from "../support/server";
import { blobFiles, layoutBlobs, layoutRef, MiB, OciLayoutWriter, run, sha256Of } from "../support/e2eHelpers";
import { blobFilePath } from "../../src/store/blobs/fsBlobStore";
import { expectJson, signedIn } from "../support/v1Client";
import { berthWithS3, freshS3Store, S3_SKIP_MESSAGE, testS3Settings } from "../support/s3";
import { scratchDatabases } from "../unit/store/pgScratch";
import { copiedTables } from "../../src/store/copy/copiedTables";

const PASSWORD = "migrate-Admin-pw-1";
const s3 = testS3Settings();
const pgBase = process.env.BERTH_TEST_DATABASE;
const SKIP = `${S3_SKIP_MESSAGE}; BERTH_TEST_DATABASE is ${pgBase ? "set" : "unset"}: the berth migrate tests need both`;

const dirs: string[] = [];
function dir(prefix: string): string {
  const d = tempDir(prefix);
  dirs.push(d);
  return d;
}

const skopeo = (...args: string[]) => run(["skopeo", "--insecure-policy", ...args]);

/** Runs the binary with the S3 settings of the test bucket. */
async function berth(args: string[]): Promise<{ code: number; out: string }> {
  return berthWithS3(await buildBinary(), args);
}

/** Every copied table's rows (sorted, as JSON) and the AUTOINCREMENT counters of a data directory's database. */
function tableRows(dataDir: string): Record<string, string[]> {
  const db = new Database(join(dataDir, "berth.db"), { readonly: true });
  try {
    const out: Record<string, string[]> = {};
    for (const t of copiedTables()) out[t.name] = db.prepare(`SELECT * FROM "${t.name}"`).all().map((r) => JSON.stringify(r)).sort();
    out.sqlite_sequence = db.prepare("SELECT * FROM sqlite_sequence").all().map((r) => JSON.stringify(r)).sort();
    return out;
  } finally {
    db.close();
  }
}

interface Image {
  repo: string;
  tag: string;
  layout: string;
}

function makeImage(repo: string, tag: string, layers: number): Image {
  const layout = dir("berth-migrate-oci-");
  const w = new OciLayoutWriter(layout);
  w.tag(tag, w.addImage({ layers, layerSize: MiB / 4 }).manifest);
  return { repo, tag, layout };
}

/** Pulls `img` with `creds` into a new layout: same manifest digest, every blob's bytes the same. */
async function expectPullsByteForByte(srv: BinaryServer, img: Image, creds: string, tag = img.tag): Promise<void> {
  const back = dir("berth-migrate-pull-");
  await skopeo("copy", "-q", "--src-tls-verify=false", "--preserve-digests", "--src-creds", creds, `docker://127.0.0.1:${srv.port}/${img.repo}:${tag}`, `oci:${back}:${tag}`);
  expect(layoutRef(back, tag)?.digest).toBe(layoutRef(img.layout, img.tag)!.digest);
  const sent = layoutBlobs(img.layout);
  const got = layoutBlobs(back);
  expect([...got.keys()].sort()).toEqual([...sent.keys()].sort());
  for (const [digest, info] of got) expect(info.actual).toBe(digest);
}

if (!s3 || !pgBase) {
  console.warn(SKIP);
  test.skip(SKIP, () => {});
} else {
  const scratch = scratchDatabases(pgBase);
  let bucket: Awaited<ReturnType<typeof freshS3Store>>;
  let source: string;
  const images = [makeImage("acme/app", "v1", 2), makeImage("acme/app", "v2", 3), makeImage("admin/tool", "v1", 1)];
  let robotToken = "";
  let carolPassword = "";
  let quotaBefore: unknown;
  const nodeDir = () => join(dirs[0]!, "node");

  beforeAll(async () => {
    dirs.unshift(tempDir("berth-migrate-root-"));
    bucket = await freshS3Store();
    const srv = await startBinary({ args: ["--auth", "token"], env: { BERTH_ADMIN_PASSWORD: PASSWORD } });
    source = srv.dataDir;
    dirs.push(source);
    try {
      const admin = await signedIn(srv.url, "admin", PASSWORD);
      expect((await admin.post("/api/v1/organization/", { name: "acme" })).status).toBe(201);
      for (const img of images) {
        await skopeo("copy", "-q", "--dest-tls-verify=false", "--preserve-digests", "--dest-creds", `admin:${PASSWORD}`, `oci:${img.layout}:${img.tag}`, `docker://127.0.0.1:${srv.port}/${img.repo}:${img.tag}`);
      }
      carolPassword = (await expectJson(await admin.post("/api/v1/superuser/users/", { username: "carol", email: "carol@example.com" }), 200)).password;
      const robot = await expectJson(await admin.put("/api/v1/organization/acme/robots/puller", { description: "reads acme/app" }), 201);
      robotToken = robot.token;
      await expectJson(await admin.put(`/api/v1/repository/acme/app/permissions/user/${robot.name}`, { role: "read" }), 200);
      const v1 = layoutRef(images[0]!.layout, "v1")!.digest;
      expect((await admin.put("/api/v1/repository/acme/app/tag/stable", { manifest_digest: v1 })).status).toBe(201);
      await expectJson(await admin.post(`/api/v1/repository/acme/app/manifest/${v1}/labels`, { key: "env", value: "prod", media_type: "text/plain" }), 201);
      expect((await admin.post("/api/v1/superuser/organization/acme/quota", { limit: "64 Mi" })).status).toBe(201);
      const [quota] = await expectJson(await admin.get("/api/v1/organization/acme/quota"), 200);
      expect((await admin.post(`/api/v1/organization/acme/quota/${quota.id}/limit`, { type: "Warning", threshold_percent: 80 })).status).toBe(201);
      quotaBefore = (await expectJson(await admin.get("/api/v1/organization/acme"), 200)).quota_report;
      expect(quotaBefore).toMatchObject({ quota_bytes: expect.any(Number) });
    } finally {
      await srv.stop();
    }
  });

  afterAll(async () => {
    await bucket?.cleanup();
    await scratch.drop();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  describe("berth migrate to PostgreSQL and S3, and back", () => {
    let pgUrl = "";
    const storage = () => `s3://${s3.bucket}/${bucket.prefix}`;

    test("a source blob whose bytes do not hash to its digest is refused, naming it; no row is written", async () => {
      const damaged = join(dir("berth-migrate-damaged-"), "data");
      cpSync(source, damaged, { recursive: true });
      const layer = blobFiles(damaged).sort((a, b) => b.size - a.size)[0]!;
      writeFileSync(layer.path, new Uint8Array(layer.size));
      const url = await scratch.create();
      const refused = await berth(["migrate", "--from", damaged, "--to", url, "--storage", `s3://${s3.bucket}/${bucket.prefix}damaged/`]);
      expect(refused.code).toBe(1);
      expect(refused.out).toContain(`${layer.digest}: its bytes in the source hash to sha256:`);
      expect(refused.out).toContain("no metadata was written");
      const db = new SQL({ url, max: 1 });
      try {
        expect(Number((await db`SELECT count(*) AS n FROM users`)[0].n)).toBe(0);
      } finally {
        await db.close();
      }
    });

    test("the data directory moves: every blob verified, every table's rows, the triggers back on, ids continuing", async () => {
      pgUrl = await scratch.create();
      mkdirSync(nodeDir());
      // A blob file no row names (as an interrupted push leaves): reported, not copied.
      const stray = new TextEncoder().encode("nothing references these bytes");
      const strayPath = blobFilePath(source, sha256Of(stray));
      mkdirSync(dirname(strayPath), { recursive: true });
      writeFileSync(strayPath, stray);
      const moved = await berth(["migrate", "--from", source, "--to", pgUrl, "--storage", storage(), "--data", nodeDir()]);
      expect(moved.out).toMatch(/blobs: \d+ named, \d+ copied, 0 already there; every one re-hashed/);
      expect(moved.out).toContain(`file(s) copied to ${nodeDir()}`);
      expect(moved.out).toContain(`not copied: 1 blobs nothing references (${stray.byteLength} B;`);
      expect(moved.code).toBe(0);
      const before = tableRows(source);
      const db = new SQL({ url: pgUrl, max: 1 });
      try {
        for (const table of ["users", "robots", "manifests", "tags", "manifest_labels", "namespace_quotas", "repository_usage", "namespace_usage"]) {
          expect(Number((await db.unsafe(`SELECT count(*) AS n FROM ${table}`))[0].n), table).toBe(before[table]!.length);
        }
        expect(Number((await db`SELECT count(*) AS n FROM pg_trigger WHERE NOT tgisinternal AND tgenabled <> 'O'`)[0].n)).toBe(0);
        const [ids] = await db`SELECT max(id) AS largest, pg_sequence_last_value(pg_get_serial_sequence('users', 'id')::regclass) AS next FROM users`;
        expect(Number(ids.next)).toBeGreaterThanOrEqual(Number(ids.largest));
      } finally {
        await db.close();
      }
      const stored: string[] = [];
      for await (const key of bucket.store.api.keys(`${bucket.prefix}blobs/`)) stored.push(key);
      expect(stored.length).toBe(before.blobs!.length);
    });

    test("a target that holds rows is refused and left as it was", async () => {
      const again = await berth(["migrate", "--from", source, "--to", pgUrl, "--storage", storage(), "--data", nodeDir()]);
      expect(again.code).toBe(1);
      expect(again.out).toContain("is not empty (rows in users");
      const used = dir("berth-migrate-used-");
      writeFileSync(join(used, "berth.db"), "");
      const back = await berth(["migrate", "--from", pgUrl, "--storage", storage(), "--data", nodeDir(), "--to", used]);
      expect(back.code).toBe(1);
      expect(back.out).toContain("is not empty (berth.db)");
    });

    test("keys of another registry are refused: its robot tokens would not open", async () => {
      const other = dir("berth-migrate-other-keys-");
      mkdirSync(join(other, "keys"));
      writeFileSync(join(other, "keys", "database-secret.key"), Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString("base64") + "\n");
      const refused = await berth(["migrate", "--from", pgUrl, "--storage", storage(), "--data", other, "--to", join(other, "back")]);
      expect(refused.code).toBe(1);
      expect(refused.out).toContain("do not open this registry's robot tokens");
    });

    test("and back into a new data directory: every table's rows equal the original's, quota usage included", async () => {
      const target = join(dirs[0]!, "back");
      const back = await berth(["migrate", "--from", pgUrl, "--storage", storage(), "--data", nodeDir(), "--to", target]);
      expect(back.out).toMatch(/blobs: \d+ named, \d+ copied/);
      expect(back.code).toBe(0);
      const before = tableRows(source);
      const after = tableRows(target);
      for (const table of ["users", "robots", "manifests", "tags", "manifest_labels", "namespace_quotas", "quota_limits", "repository_usage", "namespace_usage", "repository_blob_refs"]) {
        expect(before[table]!.length, table).toBeGreaterThan(0);
      }
      for (const table of Object.keys(before)) expect(after[table], table).toEqual(before[table]!);
    });

    test("a server on the new directory serves every image byte for byte, the users, the robot's token and the quota", async () => {
      const srv = await startBinary({ dataDir: join(dirs[0]!, "back"), args: ["--auth", "token"] });
      try {
        for (const img of images) await expectPullsByteForByte(srv, img, `admin:${PASSWORD}`);
        await expectPullsByteForByte(srv, images[0]!, `acme+puller:${robotToken}`);
        await expectPullsByteForByte(srv, images[0]!, `acme+puller:${robotToken}`, "stable");
        const admin = await signedIn(srv.url, "admin", PASSWORD);
        await signedIn(srv.url, "carol", carolPassword);
        expect((await expectJson(await admin.get("/api/v1/organization/acme/robots/puller"), 200)).token).toBe(robotToken);
        expect((await expectJson(await admin.get("/api/v1/organization/acme"), 200)).quota_report).toEqual(quotaBefore);
        const fsck = await berth(["fsck", "--data", srv.dataDir]);
        expect(fsck.out).toContain("clean");
      } finally {
        await srv.stop();
      }
    });
  });
}
