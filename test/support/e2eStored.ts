// What a test binary stored, read on the backend it ran on (test/support/e2eBackend.ts): the
// data directory's berth.db and blob files by default, its scratch PostgreSQL database and bucket
// prefix in the pg+s3 mode. Open these while no chore holds the stores, or alongside a server.
import { loadConfig } from "../../src/config";
import type { Stores } from "../../src/store";
import { backendEnv } from "./e2eBackend";
import { openStoresLike } from "./serverBackends";

async function configOf(dataDir: string) {
  return loadConfig({ data: dataDir }, await backendEnv(dataDir));
}

/** The stores the binaries on `dataDir` use (close them after). */
export async function storesOf(dataDir: string): Promise<Stores> {
  return openStoresLike(await configOf(dataDir), 60_000);
}

/** Runs `read` on the stores the binaries on `dataDir` use, closing them after. */
async function withStores<T>(dataDir: string, read: (stores: Stores) => Promise<T>): Promise<T> {
  const stores = await storesOf(dataDir);
  try {
    return await read(stores);
  } finally {
    await stores.close();
  }
}

/** Every digest stored for `dataDir`. */
export function storedDigests(dataDir: string): Promise<string[]> {
  return withStores(dataDir, async ({ blobs }) => {
    const out: string[] = [];
    for await (const digest of blobs.list()) out.push(digest);
    return out;
  });
}

/** The stored blobs whose bytes do not hash to their digest. */
export function corruptBlobs(dataDir: string): Promise<string[]> {
  return withStores(dataDir, async ({ blobs }) => {
    const bad: string[] = [];
    for await (const digest of blobs.list()) {
      const [alg] = digest.split(":") as [string];
      const h = new Bun.CryptoHasher(alg as "sha256" | "sha512");
      for await (const chunk of blobs.read(digest).stream()) h.update(chunk);
      if (`${alg}:${h.digest("hex")}` !== digest) bad.push(digest);
    }
    return bad;
  });
}
