// Stores over a fresh data directory per test, and manifests put straight into them.
import { afterEach, beforeEach } from "bun:test";
import { rmSync } from "node:fs";
import { and, eq } from "drizzle-orm";
import { openStores, type SqliteStores as Stores } from "../../../src/store";
import { manifests, repositories } from "../../../src/store/schema";
import { tempDir } from "../../support/server";
import { RegistryEvents, SYSTEM_ACTOR } from "../../../src/events/registryEvents";
import { createLogger } from "../../../src/log";
import { runOperation } from "../../../src/registry/operation";
import { pushManifest } from "../../../src/registry/manifestSteps";
import type { PushManifestOutcome } from "../../../src/registry/outcomes";

/** `get()` answers the current test's stores (opened before it, closed and removed after it). */
export function storesPerTest(prefix = "berth-store-"): { get(): Stores } {
  let dir = "";
  let stores: Stores | undefined;
  beforeEach(() => {
    dir = tempDir(prefix);
    stores = openStores({ dataDir: dir, uploadTtlMs: 60_000 });
  });
  afterEach(async () => {
    await stores?.close();
    rmSync(dir, { recursive: true, force: true });
  });
  return { get: () => stores! };
}

const enc = new TextEncoder();

export function sha256(bytes: Uint8Array | string): string {
  return `sha256:${new Bun.CryptoHasher("sha256").update(bytes).digest("hex")}`;
}

/**
 * Puts a manifest without blobs (an OCI artifact with no layers) through the registry's push
 * step; `tag` points at it when given. On SQLite the operation's transaction has run (committed
 * or rolled back) when this returns, so `id` is read at once; `outcome` is its promise.
 */
export function putManifest(stores: Stores, repoId: number, nonce: string, tag?: string) {
  const content = enc.encode(JSON.stringify({ schemaVersion: 2, nonce }));
  const digest = sha256(content);
  const events = new RegistryEvents(createLogger({ requests: false, write: () => {} }));
  const row = stores.db.select({ name: repositories.fullName }).from(repositories).where(eq(repositories.id, repoId)).get();
  const repo = { id: repoId, name: row?.name ?? "ns/unknown" };
  const outcome = runOperation<PushManifestOutcome>({ writes: stores.registryWrites, events }, (op) =>
    pushManifest(op, {
      repo,
      manifest: { digest, mediaType: "application/vnd.oci.image.manifest.v1+json", content, blobDigests: [], childDigests: [] },
      requiredBlobs: [],
      tag,
      actor: SYSTEM_ACTOR,
    }),
  );
  const made = stores.db.select({ id: manifests.id }).from(manifests).where(and(eq(manifests.repositoryId, repoId), eq(manifests.digest, digest))).get();
  return { digest, outcome, id: made?.id };
}
