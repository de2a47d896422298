// The /v2 side of proxy-cache organizations: their errors as registry errors. The pulls
// themselves are src/proxy's (ctx.proxyCaches.pulls).
import type { Refusal } from "../registry/outcomes";
import { RegistryError, refusalError } from "./errors";

/**
 * Runs a pull through the cache. What nothing cached has and the upstream cannot give is not
 * there: `notThere` (404 MANIFEST_UNKNOWN, BLOB_UNKNOWN or NAME_UNKNOWN, as Quay answers; never a
 * 500) with the upstream's reason; a refusal to store it (a quota) is answered as the refusal.
 */
export async function pullThrough<T>(run: () => Promise<T>, notThere: (reason: string) => RegistryError | Promise<RegistryError>): Promise<T> {
  try {
    return await run();
  } catch (e) {
    if (e instanceof RegistryError) throw e;
    const refusal = (e as { refusal?: Refusal }).refusal;
    if (refusal) throw refusalError(refusal);
    throw await notThere(`proxy cache: ${(e as Error).message}`);
  }
}

/** A write into a cache org. */
export function cacheIsReadOnly(repo: string): RegistryError {
  return new RegistryError("UNSUPPORTED", "cannot push to a proxy cache organization", { name: repo });
}
