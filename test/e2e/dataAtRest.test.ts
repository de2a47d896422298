// Issue 8 item 12: data at rest. An older Berth left its data directory 0755 with berth.db 0644
// (argon2 hashes, robot tokens, readable by every local account) and stored robot tokens in
// plaintext. The compiled binary, started on such a directory, makes it owner-only, encrypts
// the plaintext robot rows (no copy of the token left in berth.db or its WAL), and the robot
// still logs in and is still shown its token, as Quay shows it.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { Database } from "bun:sqlite";
import { chmodSync, existsSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { registryAuthStatus } from "../support/registryClient";
import { buildBinary, startBinary, type BinaryServer } from "../support/server";
import { expectJson, signedIn } from "../support/v1Client";
import { onPgS3 } from "../support/e2eBackend";

const ADMIN_PASSWORD = "e2e-Admin-pw-1";
const env = { BERTH_ADMIN_PASSWORD: ADMIN_PASSWORD };
let srv: BinaryServer | undefined;
let dataDir: string | undefined;

beforeAll(async () => {
  await buildBinary();
});
afterAll(async () => {
  await srv?.stop();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

const modeOf = (path: string) => (statSync(path).mode & 0o777).toString(8);
const ROBOT_TOKEN = "OLDPLAINTEXTROBOTTOKEN" + "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789AB".slice(0, 42);

/** Whether the bytes of the database and its WAL contain `needle` anywhere (a `strings`-like scan). */
function onDisk(dir: string, needle: string): string[] {
  return ["berth.db", "berth.db-wal"]
    .filter((f) => existsSync(join(dir, f)) && readFileSync(join(dir, f)).includes(Buffer.from(needle)))
    .map((f) => f);
}

/**
 * What an older Berth left after a crash: no token_digest column (migration 0005 not applied),
 * a plaintext robot in the database and in the WAL it did not get to checkpoint, 0755/0644 modes.
 */
function makeItOld(dir: string): void {
  const db = new Database(join(dir, "berth.db"));
  rollBackTo(db, "0007_robot_token_encryption");
  db.run("INSERT INTO robots (namespace_id, short_name, full_name, token) SELECT id, 'ci', 'admin+ci', ? FROM namespaces WHERE name = 'admin'", [ROBOT_TOKEN]);
  const wal = readFileSync(join(dir, "berth.db-wal"));
  db.close();
  writeFileSync(join(dir, "berth.db-wal"), wal);
  chmodSync(dir, 0o755);
  for (const f of readdirSync(dir)) if (f.startsWith("berth.db")) chmodSync(join(dir, f), 0o644);
  for (const sub of ["keys", "uploads"]) {
    chmodSync(join(dir, sub), 0o755);
    for (const f of readdirSync(join(dir, sub))) chmodSync(join(dir, sub, f), 0o644);
  }
}

/**
 * Undoes the migrations from `tag` on (drizzle applies only migrations newer than the newest one
 * recorded, so every later one goes too). Each needs its undo here: a new migration must say how.
 */
const UNDO: Record<string, string> = {
  "0007_robot_token_encryption": "ALTER TABLE robots DROP COLUMN token_digest",
  "0008_repository_state": "ALTER TABLE repositories DROP COLUMN state",
  "0009_policies": "DROP TABLE autoprune_policies; DROP TABLE immutability_policies",
  "0010_health_probes": "DROP TABLE health_probes",
  "0011_quotas":
    "DROP TABLE quota_notices; DROP TABLE quota_limits; DROP TABLE namespace_quotas; DROP TABLE namespace_usage; DROP TABLE namespace_blob_refs; DROP TABLE repository_usage; DROP TABLE repository_blob_refs",
  "0013_repo_mirrors": "DROP TABLE repo_mirrors",
  "0014_proxy_cache_configs": "DROP TABLE proxy_cache_configs",
  "0015_proxy_cache_tags": "DROP TABLE proxy_cache_tags",
  "0016_mirror_proxy": "ALTER TABLE repo_mirrors DROP COLUMN proxy",
  "0017_blob_deletions": "DROP TABLE blob_deletions",
  "0018_s3_uploads": "DROP TABLE s3_uploads",
  "0012_quota_usage_triggers":
    "DROP TRIGGER quota_count_manifest_blob; DROP TRIGGER quota_uncount_manifest; DROP TRIGGER quota_count_repository_blob; DROP TRIGGER quota_uncount_repository_blob; DROP TRIGGER quota_count_blob_row; DROP TRIGGER quota_uncount_blob_row; DELETE FROM repository_blob_refs; DELETE FROM namespace_blob_refs; DELETE FROM namespace_usage; DELETE FROM repository_usage",
};
function rollBackTo(db: Database, tag: string): void {
  const journal = JSON.parse(readFileSync(join(import.meta.dir, "../../src/store/migrations/meta/_journal.json"), "utf8")) as {
    entries: { tag: string; when: number }[];
  };
  const from = journal.entries.find((e) => e.tag === tag)!;
  for (const e of journal.entries.filter((e) => e.when >= from.when).reverse()) {
    const undo = UNDO[e.tag];
    if (!undo) throw new Error(`test/e2e/dataAtRest.test.ts: add how to undo migration ${e.tag} to UNDO`);
    db.exec(undo);
    db.run("DELETE FROM __drizzle_migrations WHERE created_at = ?", [e.when]);
  }
}

// An older data directory's berth.db, its modes and its bytes: SQLite and the filesystem only.
if (onPgS3) test.skip("data at rest: not on PostgreSQL + S3 (it checks berth.db's file modes and bytes)", () => {});

test.skipIf(onPgS3)("an older data directory: owner-only modes, robot tokens encrypted at rest, robot login and robot GET unchanged", async () => {
  srv = await startBinary({ args: ["--auth", "token"], env });
  dataDir = srv.dataDir;
  await srv.stop();
  makeItOld(dataDir);
  expect(modeOf(dataDir)).toBe("755");
  expect(onDisk(dataDir, ROBOT_TOKEN)).toEqual(["berth.db", "berth.db-wal"]);

  srv = await startBinary({ dataDir, args: ["--auth", "token"], env });
  const url = srv.url;

  expect(modeOf(dataDir)).toBe("700");
  for (const f of readdirSync(dataDir).filter((f) => f.startsWith("berth.db"))) expect([f, modeOf(join(dataDir!, f))]).toEqual([f, "600"]);
  expect(existsSync(join(dataDir, "berth.db-wal"))).toBe(true);
  for (const sub of ["keys", "uploads", "blobs"]) expect([sub, modeOf(join(dataDir, sub))]).toEqual([sub, "700"]);
  for (const f of readdirSync(join(dataDir, "keys"))) expect([f, modeOf(join(dataDir, "keys", f))]).toEqual([f, "600"]);
  expect(readdirSync(join(dataDir, "keys"))).toContain("database-secret.key");

  // The robot logs in with its old token and its owner reads the same token back.
  expect(await registryAuthStatus(url, ["admin+ci", ROBOT_TOKEN], "repository:admin/app:pull")).toBe(200);
  expect(await registryAuthStatus(url, ["admin+ci", ROBOT_TOKEN.toLowerCase()], "repository:admin/app:pull")).toBe(401);
  const admin = await signedIn(url, "admin", ADMIN_PASSWORD);
  expect((await expectJson(await admin.get("/api/v1/user/robots/ci"), 200)).token).toBe(ROBOT_TOKEN);

  // A robot made now is encrypted from the start; files the server makes are owner-only.
  const made = await expectJson(await admin.put("/api/v1/user/robots/fresh", {}), 201);
  expect(await registryAuthStatus(url, [made.name, made.token], "repository:admin/app:pull")).toBe(200);
  const upload = await fetch(`${url}/v2/admin/app/blobs/uploads/`, { method: "POST", headers: { Authorization: `Bearer ${await adminPushToken(url)}` } });
  expect(upload.status).toBe(202);
  for (const f of readdirSync(join(dataDir, "uploads"))) expect(modeOf(join(dataDir, "uploads", f))).toBe("600");

  // No copy of either token in the database file or its WAL, while serving and after stopping.
  expect(onDisk(dataDir, ROBOT_TOKEN)).toEqual([]);
  expect(onDisk(dataDir, made.token)).toEqual([]);
  await srv.stop();
  srv = undefined;
  expect(onDisk(dataDir, ROBOT_TOKEN)).toEqual([]);
  expect(onDisk(dataDir, made.token)).toEqual([]);
});

async function adminPushToken(url: string): Promise<string> {
  const q = new URLSearchParams({ service: new URL(url).host, scope: "repository:admin/app:pull,push" });
  const res = await fetch(`${url}/v2/auth?${q}`, { headers: { Authorization: `Basic ${Buffer.from(`admin:${ADMIN_PASSWORD}`).toString("base64")}` } });
  return ((await res.json()) as { token: string }).token;
}
