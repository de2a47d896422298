// Quay's health endpoints against a running server: /health/instance (the process: a database
// query, the data disk's free space) and /health/endtoend (a database write read back, a blob
// store write read back). Each answers Quay's shape, {"data": {"services": {...}},
// "status_code": N}, and a broken database or blob store turns endtoend into a 503 that names it.
import { sqliteOf } from "../support/sqliteStores";
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, readdirSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { startTestServer, type TestServer } from "../support/server";

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

const probeRow = () =>
  sqliteOf(server.server.ctx.stores).$client.query<{ token: string; written_ms: number }, []>("SELECT token, written_ms FROM health_probes").all();

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
    const first = probeRow();
    expect(first).toHaveLength(1);
    expect(first[0]!.written_ms).toBe(now);
    later();
    expect((await health("/status")).status).toBe(200);
    const second = probeRow();
    expect(second[0]!.token).not.toBe(first[0]!.token);
    expect(readdirSync(join(server.dataDir, "uploads"))).toEqual([]);
    expect(readdirSync(join(server.dataDir, "blobs")).filter((n) => n.includes("probe"))).toEqual([]);
  });

  test("callers within a second share one end-to-end run (an anonymous flood cannot make it write more)", async () => {
    later();
    await Promise.all(Array.from({ length: 20 }, () => health("/health/endtoend")));
    const token = probeRow()[0]!.token;
    await health("/health/endtoend");
    expect(probeRow()[0]!.token).toBe(token);
  });
});

describe("broken", () => {
  test("a database that refuses writes: endtoend 503 naming the database; instance (reads) still 200", async () => {
    const sqlite = sqliteOf(server.server.ctx.stores).$client;
    sqlite.exec("PRAGMA query_only = 1");
    try {
      later();
      const r = await health("/health/endtoend");
      expect(r.status).toBe(503);
      expect(r.body).toEqual({ data: { services: { database: false, storage: true } }, status_code: 503 });
      expect((await health("/health/instance")).status).toBe(200);
    } finally {
      sqlite.exec("PRAGMA query_only = 0");
    }
    later();
    expect((await health("/health/endtoend")).status).toBe(200);
  });

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

  test("a closed database: instance 503 naming the database", async () => {
    // A server of its own: its database is closed for good.
    const other = await startTestServer();
    try {
      sqliteOf(other.server.ctx.stores).$client.close();
      const res = await fetch(`${other.url}/health/instance`);
      expect(res.status).toBe(503);
      expect(((await res.json()) as any).data.services).toEqual({ database: false, disk_space: true });
    } finally {
      // Its store is closed already: stop the listener only.
      await other.server.stop().catch(() => {});
      rmSync(other.dataDir, { recursive: true, force: true });
    }
  });
});
