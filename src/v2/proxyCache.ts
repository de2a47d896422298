// The /v2 side of proxy-cache organizations: their errors as registry errors. The pulls
// themselves are src/proxy's (ctx.proxyCaches.pulls).
import { RegistryError } from "./errors";

/** Runs a pull through the cache; an upstream that cannot serve what nothing cached has answers UNKNOWN with the upstream's reason. */
export async function pullThrough<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (e) {
    if (e instanceof RegistryError) throw e;
    throw new RegistryError("UNKNOWN", `proxy cache: ${(e as Error).message}`);
  }
}

/** A write into a cache org. */
export function cacheIsReadOnly(repo: string): RegistryError {
  return new RegistryError("UNSUPPORTED", "cannot push to a proxy cache organization", { name: repo });
}
