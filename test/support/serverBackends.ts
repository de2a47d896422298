// What a test reads or opens beside a running test server, on whichever backends it runs
// (BERTH_TEST_API_DATABASE=pg, BERTH_TEST_API_STORAGE=s3: test/support/apiDatabase.ts, s3.ts):
// its metadata rows through a connection of the test's own (the data directory's berth.db, or
// the server's PostgreSQL database), and the stores a second process such as the CLI opens.
import { Database } from "bun:sqlite";
import { SQL } from "bun";
import { join } from "node:path";
import type { Config } from "../../src/config";
import type { Stores } from "../../src/store";
import type { BlobStore } from "../../src/store/blobs/blobStore";
import { openBlobStore } from "../../src/store/blobs/openBlobStore";
import { openStoresOn } from "../../src/store/openDatabase";
import { s3BinaryEnv } from "./s3";

type ServerConfig = Pick<Config, "data" | "database" | "storage"> & Partial<Config>;

/** Whether the server keeps its metadata in PostgreSQL. */
export const onPostgres = (config: ServerConfig): boolean => config.database !== undefined;

/** Whether the server keeps its blobs in an S3 bucket. */
export const onS3 = (config: ServerConfig): boolean => config.storage?.startsWith("s3://") ?? false;

/**
 * The rows a plain SELECT finds in the server's metadata database, read through a connection of
 * the test's own (so also after the server stopped). The same text runs on both dialects; a
 * PostgreSQL bigint comes back as a number.
 */
export async function storedRows<T extends Record<string, unknown>>(config: ServerConfig, select: string): Promise<T[]> {
  if (!config.database) {
    const db = new Database(join(config.data, "berth.db"), { readonly: true });
    try {
      return db.query(select).all() as T[];
    } finally {
      db.close();
    }
  }
  const pg = new SQL({ url: config.database, max: 1, bigint: true });
  try {
    const rows = (await pg.unsafe(select)) as Record<string, unknown>[];
    return rows.map((row) => Object.fromEntries(Object.entries(row).map(([k, v]) => [k, typeof v === "bigint" ? Number(v) : v])) as T);
  } finally {
    await pg.close();
  }
}

/** Runs statements on the server's PostgreSQL database through a connection of the test's own. */
export async function onServerPostgres(config: ServerConfig, statements: string): Promise<void> {
  if (!config.database) throw new Error("the server runs on SQLite");
  const pg = new SQL({ url: config.database, max: 1 });
  try {
    await pg.unsafe(statements).simple();
  } finally {
    await pg.close();
  }
}

/** The stores another process (the CLI, a second node) opens for the server's registry: its database and blob storage. */
export async function openStoresLike(config: Config, uploadTtlMs = 3600_000): Promise<Stores> {
  return openStoresOn(config.database, { dataDir: config.data, uploadTtlMs, blobs: await openBlobStore(config) });
}

/** Every stored blob and its size, as the blob store lists them (files, or objects in the bucket). */
export async function storedBlobs(blobs: BlobStore): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  for await (const digest of blobs.list()) {
    const stat = await blobs.stat(digest);
    if (stat.exists) out.set(digest, stat.size);
  }
  return out;
}

/** The flags and environment that point a `berth` chore (gc, fsck) at the server's database and blob storage. */
export function choreBackend(config: Config): { args: string[]; env: Record<string, string> } {
  return {
    args: [...(config.database ? ["--database", config.database] : []), ...(config.storage ? ["--storage", config.storage] : [])],
    env: onS3(config) ? s3BinaryEnv() : {},
  };
}
