// The registry's size for the superuser panel (Quay's /superuser/registrysize/). Quay queues the
// sum for a worker and reports the last result; summing Berth's blob rows is one quick query, so
// every GET is fresh (never queued, never running) and POST, Quay's "calculate now", has nothing
// left to queue: it answers 201 at once and the next GET shows the new figure.
import type { V1App } from "./app";
import type { V1Context } from "./context";
import { SUPERUSER_READ, SUPERUSER_WRITE } from "./superuser";

export function registrySizeRoutes(api: V1App, ctx: V1Context) {
  return (
    api
      .get(
        "/api/v1/superuser/registrysize/",
        async () => ({ size_bytes: await ctx.stores.blobLinks.totalBytes(), last_ran: Date.now(), queued: false, running: false }),
        { nickname: "getRegistrySize", internal: true, ...SUPERUSER_READ },
      )
      // Quay's queueRegistrySizeCalculation records no audit entry either.
      .post("/api/v1/superuser/registrysize/", () => new Response(null, { status: 201 }), {
        nickname: "queueRegistrySizeCalculation",
        internal: true,
        ...SUPERUSER_WRITE,
      })
  );
}
