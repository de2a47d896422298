// Stores over a fresh data directory per test, and manifests put straight into them.
import { afterEach, beforeEach } from "bun:test";
import { rmSync } from "node:fs";
import { openStores, type Stores } from "../../../src/store";
import { tempDir } from "../../support/server";

/** `get()` answers the current test's stores (opened before it, closed and removed after it). */
export function storesPerTest(prefix = "berth-store-"): { get(): Stores } {
  let dir = "";
  let stores: Stores | undefined;
  beforeEach(() => {
    dir = tempDir(prefix);
    stores = openStores({ dataDir: dir, uploadTtlMs: 60_000 });
  });
  afterEach(() => {
    stores?.close();
    rmSync(dir, { recursive: true, force: true });
  });
  return { get: () => stores! };
}

const enc = new TextEncoder();

export function sha256(bytes: Uint8Array | string): string {
  return `sha256:${new Bun.CryptoHasher("sha256").update(bytes).digest("hex")}`;
}

/** Puts a manifest without blobs (an OCI artifact with no layers); `tag` points at it when given. */
export function putManifest(stores: Stores, repoId: number, nonce: string, tag?: string) {
  const content = enc.encode(JSON.stringify({ schemaVersion: 2, nonce }));
  const digest = sha256(content);
  const outcome = stores.manifests.put(
    repoId,
    { digest, mediaType: "application/vnd.oci.image.manifest.v1+json", content, blobDigests: [], requiredBlobs: [], childDigests: [] },
    tag,
  );
  return { digest, outcome, id: stores.manifests.getByDigest(repoId, digest)?.id };
}
