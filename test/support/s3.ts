// The object store the S3 tests run against: set by scripts/services/rgw.sh (a real Ceph RGW on
// loopback; .ci/run starts it). Unset, those tests are skipped with a message saying so.
import { rmSync } from "node:fs";
import { basename, join } from "node:path";
import { S3BlobStore, type S3StoreOptions } from "../../src/store/blobs/s3BlobStore";
import type { S3UploadRecords } from "../../src/store/blobs/s3/uploadRecords";
import { openMetaDb } from "../../src/store/db";
import { sqliteRunner } from "../../src/store/dialect/sqliteRunner";
import { S3UploadRecordStore } from "../../src/store/meta/s3Uploads";
import { tempDir } from "./server";
import { S3Api } from "../../src/store/blobs/s3/s3Api";

/** The settings from BERTH_TEST_S3=s3://bucket[/prefix] and BERTH_S3_*, or undefined when unset. */
export function testS3Settings(): Omit<S3StoreOptions, "prefix"> & { prefix: string } | undefined {
  const url = process.env.BERTH_TEST_S3;
  if (!url) return undefined;
  const parsed = new URL(url);
  return {
    bucket: parsed.host,
    prefix: parsed.pathname.replace(/^\/+/, ""),
    endpoint: process.env.BERTH_S3_ENDPOINT ?? "http://127.0.0.1:7480",
    region: process.env.BERTH_S3_REGION ?? "us-east-1",
    accessKeyId: process.env.BERTH_S3_ACCESS_KEY ?? "",
    secretAccessKey: process.env.BERTH_S3_SECRET_KEY ?? "",
    pathStyle: process.env.BERTH_S3_PATH_STYLE !== "false",
  };
}

export const S3_SKIP_MESSAGE = "BERTH_TEST_S3 is not set: the S3 tests are skipped (eval \"$(scripts/services/rgw.sh start)\" turns them on)";

/**
 * A store under a fresh prefix of the test bucket; cleanup removes everything under it. Its
 * uploads are recorded in `records`, else in a metadata database of its own (SQLite, removed by
 * cleanup).
 */
export async function freshS3Store(
  extra: Partial<S3StoreOptions> = {},
  given?: S3UploadRecords,
): Promise<{ store: S3BlobStore; prefix: string; records: S3UploadRecords; cleanup(): Promise<void> }> {
  const settings = testS3Settings();
  if (!settings) throw new Error(S3_SKIP_MESSAGE);
  const prefix = `${settings.prefix}${settings.prefix && !settings.prefix.endsWith("/") ? "/" : ""}t-${crypto.randomUUID()}/`;
  const own = given ? undefined : ownRecords();
  const records = given ?? own!.records;
  const store = await new S3BlobStore({ ...settings, ...extra, prefix }, records).open();
  return {
    store,
    prefix,
    records,
    async cleanup() {
      for await (const key of store.api.keys(prefix)) await store.api.client.delete(key);
      for (const open of await store.api.listMultipart(prefix)) await store.api.abortMultipart(open.key, open.uploadId);
      own?.close();
    },
  };
}

/** Upload records in a SQLite metadata database of their own. */
function ownRecords(): { records: S3UploadRecords; close(): void } {
  const dir = tempDir("berth-s3-records-");
  const db = openMetaDb(join(dir, "berth.db"));
  return {
    records: new S3UploadRecordStore(sqliteRunner(db)),
    close() {
      db.$client.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * With BERTH_TEST_API_STORAGE=s3 (and BERTH_TEST_S3), in-process test servers keep their blobs
 * under a prefix of the test bucket named after their data directory (a restart on the same
 * directory finds its blobs): the settings to add, or none.
 */
export function apiS3Overrides(dataDir: string): Record<string, string> {
  const settings = testS3Settings();
  if (process.env.BERTH_TEST_API_STORAGE !== "s3" || !settings) return {};
  return {
    storage: `s3://${settings.bucket}/api-${basename(dataDir)}`,
    s3Endpoint: settings.endpoint,
    s3Region: settings.region,
    s3AccessKey: settings.accessKeyId,
    s3SecretKey: settings.secretAccessKey,
    s3PathStyle: String(settings.pathStyle),
  };
}

/**
 * Removes what a test server left under its prefix (BERTH_TEST_API_STORAGE=s3): objects and open
 * multipart uploads. Without it every run of the API suite on S3 left some 300 MiB in the test
 * bucket, and the loopback RGW (memstore, RAM) filled up and stopped taking writes.
 */
export async function dropApiS3Prefix(dataDir: string): Promise<void> {
  const settings = testS3Settings();
  if (process.env.BERTH_TEST_API_STORAGE !== "s3" || !settings) return;
  const api = new S3Api(settings);
  const prefix = `api-${basename(dataDir)}/`;
  for (const open of await api.listMultipart(prefix)) await api.abortMultipart(open.key, open.uploadId);
  const keys = await Array.fromAsync(api.keys(prefix));
  for (let i = 0; i < keys.length; i += 16) await Promise.all(keys.slice(i, i + 16).map((key) => api.client.delete(key)));
}

/** The BERTH_S3_* environment that points the binary at the test object store. */
export function s3BinaryEnv(): Record<string, string> {
  const s = testS3Settings();
  if (!s) throw new Error(S3_SKIP_MESSAGE);
  return {
    BERTH_S3_ENDPOINT: s.endpoint,
    BERTH_S3_REGION: s.region,
    BERTH_S3_ACCESS_KEY: s.accessKeyId,
    BERTH_S3_SECRET_KEY: s.secretAccessKey,
    BERTH_S3_PATH_STYLE: String(s.pathStyle),
  };
}

/** Runs the binary (a chore, not a server) with the test object store's settings: its exit code and whole output. */
export async function berthWithS3(binary: string, args: string[], env: Record<string, string> = {}): Promise<{ code: number; out: string }> {
  const proc = Bun.spawn([binary, ...args], { stdout: "pipe", stderr: "pipe", env: { PATH: process.env.PATH ?? "", ...s3BinaryEnv(), ...env } });
  const [out, err] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text()]);
  return { code: await proc.exited, out: out + err };
}
