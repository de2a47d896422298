// What a test binary stored, read on the backend it ran on (test/support/e2eBackend.ts): the
// data directory's berth.db and blob files by default, its scratch PostgreSQL database and bucket
// prefix in the pg+s3 mode. Open these while no chore holds the stores, or alongside a server.
import { loadConfig } from "../../src/config";
import { openStoresOn } from "../../src/store/openDatabase";
import { openBlobStore } from "../../src/store/blobs/openBlobStore";
import type { BlobStore } from "../../src/store/blobs/blobStore";
import type { Stores } from "../../src/store";
import { backendEnv } from "./e2eBackend";

async function configOf(dataDir: string) {
  return loadConfig({ data: dataDir }, await backendEnv(dataDir));
}

/** The blob store the binaries on `dataDir` use. */
export async function storedBlobs(dataDir: string): Promise<BlobStore> {
  return openBlobStore(await configOf(dataDir));
}

/** The stores the binaries on `dataDir` use (close them after). */
export async function storesOf(dataDir: string): Promise<Stores> {
  const config = await configOf(dataDir);
  return openStoresOn(config.database, { dataDir, uploadTtlMs: 60_000, blobs: await openBlobStore(config) });
}

/** Every digest stored for `dataDir`. */
export async function storedDigests(dataDir: string): Promise<string[]> {
  const out: string[] = [];
  for await (const digest of (await storedBlobs(dataDir)).list()) out.push(digest);
  return out;
}

/** The stored blobs whose bytes do not hash to their digest. */
export async function corruptBlobs(dataDir: string): Promise<string[]> {
  const store = await storedBlobs(dataDir);
  const bad: string[] = [];
  for await (const digest of store.list()) {
    const [alg] = digest.split(":") as [string];
    const h = new Bun.CryptoHasher(alg as "sha256" | "sha512");
    for await (const chunk of store.read(digest).stream()) h.update(chunk);
    if (`${alg}:${h.digest("hex")}` !== digest) bad.push(digest);
  }
  return bad;
}
