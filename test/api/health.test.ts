// Quay's health endpoints against a running server: /health/instance (the process: a database
// query, the data disk's free space) and /health/endtoend (a database write read back, a blob
// store write read back). Each answers Quay's shape, {"data": {"services": {...}},
// "status_code": N}, and a broken database or blob store turns endtoend into a 503 that names it.
import { sqliteOf } from "../support/sqliteStores";
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, readdirSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { startTestServer, type TestServer } from "../support/server";
import { onPostgres, onServerPostgres, storedRows } from "../support/serverBackends";
import { S3BlobStore } from "../../src/store/blobs/s3BlobStore";
import { dropApiDatabase } from "../support/apiDatabase";
import { dropApiS3Prefix } from "../support/s3";

let server: TestServer;
let now = 1_000_000;
const later = () => (now += 2000); // past the second for which an end-to-end result is reused

beforeAll(async () => {
  server = await startTestServer({}, { healthClock: () => now });
});
afterAll(() => server.stop());

async function health(path: string): Promise<{ status: number; body: any; cache: string | null }> {
  const res = await fetch(`${server.url}${path}`);
  return { status: res.status, body: await res.json(), cache: res.headers.get("cache-control") };
}

const probeRow = () => storedRows<{ token: string; written_ms: number }>(server.server.ctx.config, "SELECT token, written_ms FROM health_probes");

/** What an end-to-end run could leave behind: upload sessions, and stored names with "probe" in them (files, or keys in the bucket). */
async function leftovers(): Promise<string[]> {
  const blobs = server.server.ctx.stores.blobs;
  const names = blobs instanceof S3BlobStore ? await Array.fromAsync(blobs.api.keys(`${new URL(server.server.ctx.config.storage!).pathname.slice(1)}/`)) : readdirSync(join(server.dataDir, "blobs"));
  return [...(await blobs.listUploads()), ...names.filter((n) => n.includes("probe"))];
}

/**
 * A database that refuses writes: SQLite set query-only; on PostgreSQL (where a session's mode
 * cannot be set from outside) a trigger that refuses every write to the probe table.
 */
async function refuseWrites(on: boolean): Promise<void> {
  const config = server.server.ctx.config;
  if (!onPostgres(config)) return void sqliteOf(server.server.ctx.stores).$client.exec(`PRAGMA query_only = ${on ? 1 : 0}`);
  await onServerPostgres(
    config,
    on
      ? `CREATE FUNCTION test_refuse() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'writes refused by the test'; END $$;
         CREATE TRIGGER test_refuse BEFORE INSERT OR UPDATE OR DELETE ON health_probes FOR EACH STATEMENT EXECUTE FUNCTION test_refuse()`
      : "DROP TRIGGER test_refuse ON health_probes; DROP FUNCTION test_refuse()",
  );
}

describe("healthy", () => {
  test("/health/instance: the database answers and the disk has space, in Quay's shape, never cached", async () => {
    for (const path of ["/health/instance", "/health"]) {
      const r = await health(path);
      expect(r.status).toBe(200);
      expect(r.body).toEqual({ data: { services: { database: true, disk_space: true } }, status_code: 200 });
      expect(r.cache).toBe("no-cache, no-store, must-revalidate");
    }
  });

  test("/health/endtoend writes a row and a blob-store object, reads both back, and leaves no file behind", async () => {
    later();
    const r = await health("/health/endtoend");
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ data: { services: { database: true, storage: true } }, status_code: 200 });
    const first = await probeRow();
    expect(first).toHaveLength(1);
    expect(first[0]!.written_ms).toBe(now);
    later();
    expect((await health("/status")).status).toBe(200);
    const second = await probeRow();
    expect(second[0]!.token).not.toBe(first[0]!.token);
    expect(await leftovers()).toEqual([]);
  });

  test("callers within a second share one end-to-end run (an anonymous flood cannot make it write more)", async () => {
    later();
    await Promise.all(Array.from({ length: 20 }, () => health("/health/endtoend")));
    const token = (await probeRow())[0]!.token;
    await health("/health/endtoend");
    expect((await probeRow())[0]!.token).toBe(token);
  });
});

describe("broken", () => {
  test("a database that refuses writes: endtoend 503 naming the database; instance (reads) still 200", async () => {
    await refuseWrites(true);
    try {
      later();
      const r = await health("/health/endtoend");
      expect(r.status).toBe(503);
      expect(r.body).toEqual({ data: { services: { database: false, storage: true } }, status_code: 503 });
      expect((await health("/health/instance")).status).toBe(200);
    } finally {
      await refuseWrites(false);
    }
    later();
    expect((await health("/health/endtoend")).status).toBe(200);
  });

  // The blob directory broken two ways; on S3 (BERTH_TEST_API_STORAGE=s3) there is no directory:
  // the bucket goes instead, under a server of its own.
  if (process.env.BERTH_TEST_API_STORAGE !== "s3") {
    test("a blob directory that is gone (a file in its place): endtoend 503 naming storage", async () => {
      const blobs = join(server.dataDir, "blobs");
      // A file where the directory was: writes fail for root too (CI runs as root, for whom a
      // read-only mode changes nothing).
      renameSync(blobs, `${blobs}.aside`);
      writeFileSync(blobs, "not a directory");
      try {
        later();
        const r = await health("/health/endtoend");
        expect(r.status).toBe(503);
        expect(r.body).toEqual({ data: { services: { database: true, storage: false } }, status_code: 503 });
      } finally {
        rmSync(blobs);
        renameSync(`${blobs}.aside`, blobs);
      }
      expect(readdirSync(join(server.dataDir, "uploads"))).toEqual([]);
      later();
      expect((await health("/health/endtoend")).status).toBe(200);
    });

    test("a blob directory removed: endtoend 503 naming storage", async () => {
      const blobs = join(server.dataDir, "blobs");
      renameSync(blobs, `${blobs}.aside`);
      try {
        later();
        const r = await health("/health/endtoend");
        expect(r.status).toBe(503);
        expect(r.body.data.services).toEqual({ database: true, storage: false });
        expect(existsSync(blobs)).toBe(false); // the check does not paper over it by making the directory
      } finally {
        renameSync(`${blobs}.aside`, blobs);
      }
    });

  } else {
    test("a bucket that is gone: endtoend 503 naming storage, the check does not make it again; 200 once it is back", async () => {
      const bucket = `berth-health-${crypto.randomUUID().slice(0, 8)}`;
      const other = await startTestServer({ storage: `s3://${bucket}/r` }, { healthClock: () => now });
      const api = (other.server.ctx.stores.blobs as S3BlobStore).api;
      const bucketThere = async () => (await api.call("head bucket", "HEAD", "", {}).then(() => true, () => false));
      try {
        later();
        expect((await fetch(`${other.url}/health/endtoend`)).status).toBe(200);
        await api.call("delete bucket", "DELETE", "", {});
        later();
        const res = await fetch(`${other.url}/health/endtoend`);
        expect(res.status).toBe(503);
        expect(((await res.json()) as any).data.services).toEqual({ database: true, storage: false });
        expect(await bucketThere()).toBe(false); // the check does not paper over it by making the bucket
        await api.ensureBucket();
        later();
        expect((await fetch(`${other.url}/health/endtoend`)).status).toBe(200);
      } finally {
        await other.stop();
        for await (const key of api.keys("")) await api.client.delete(key);
        await api.call("delete bucket", "DELETE", "", {}).catch(() => {});
      }
    });
  }

  test("a closed database: instance 503 naming the database", async () => {
    // A server of its own: its database is closed for good.
    const other = await startTestServer();
    try {
      await other.server.ctx.stores.close();
      const res = await fetch(`${other.url}/health/instance`);
      expect(res.status).toBe(503);
      expect(((await res.json()) as any).data.services).toEqual({ database: false, disk_space: true });
    } finally {
      // Its store is closed already: stop the listener only.
      await other.server.stop().catch(() => {});
      rmSync(other.dataDir, { recursive: true, force: true });
      await dropApiDatabase(other.dataDir);
      await dropApiS3Prefix(other.dataDir);
    }
  });
});
