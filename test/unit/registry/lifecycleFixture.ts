// Stores with a movable clock, the registry over them, a collector, and images pushed through the
// registry's own operations (blobs uploaded, manifests pushed), for the lifecycle's tests.
import { afterEach, beforeEach, expect } from "bun:test";
import { readdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { parseDigest } from "../../../src/oci";
import { openStores, type Stores } from "../../../src/store";
import { SYSTEM_ACTOR } from "../../../src/events/registryEvents";
import type { Registry } from "../../../src/registry/registry";
import { Collector, type CollectionReport } from "../../../src/registry/lifecycle/collector";
import { registryFor } from "../../support/registryFixture";
import { tempDir } from "../../support/server";

export const HOUR = 3600_000;
export const DAY = 24 * HOUR;
export const actor = SYSTEM_ACTOR;
const enc = new TextEncoder();

export const sha256 = (bytes: Uint8Array | string) => `sha256:${new Bun.CryptoHasher("sha256").update(bytes).digest("hex")}`;

export interface Lifecycle {
  dir: string;
  stores: Stores;
  registry: Registry;
  collector: Collector;
  /** The registry's and the collector's clock; starts at the real time. */
  now(): number;
  advance(ms: number): void;
  /** One collection pass at the clock's time (or a dry run). */
  collect(opts?: { dryRun?: boolean }): Promise<CollectionReport>;
  repo(fullName: string): Promise<{ id: number; name: string }>;
  /** Uploads a blob with these bytes into the repository. */
  upload(repo: { id: number; name: string }, content: Uint8Array | string): Promise<string>;
  /** Pushes an image (config + layers uploaded first), by tag or by digest. */
  pushImage(repo: { id: number; name: string }, layers: (Uint8Array | string)[], tag?: string, extra?: Record<string, unknown>): Promise<Image>;
  /** Pushes an index of the given manifests. */
  pushIndex(repo: { id: number; name: string }, children: string[], tag?: string): Promise<string>;
  blobFiles(): string[];
}

export interface Image {
  digest: string;
  blobs: string[];
  bytes: number;
}

/** A fresh data directory per test, with a grace period of an hour unless told. */
export function lifecyclePerTest(opts: { graceMs?: number } = {}): { get(): Lifecycle } {
  let current: Lifecycle | undefined;
  beforeEach(() => {
    const dir = tempDir("berth-lifecycle-");
    let t = Date.now();
    const stores = openStores({ dataDir: dir, uploadTtlMs: DAY, clock: () => t });
    const { registry } = registryFor(stores);
    const collector = new Collector({ registry, reads: stores.collection, blobs: stores.blobs, uploads: stores.uploads }, { graceMs: opts.graceMs ?? HOUR, batchSize: 3 });
    const upload = async (repo: { id: number; name: string }, content: Uint8Array | string) => {
      const bytes = typeof content === "string" ? enc.encode(content) : content;
      const d = parseDigest(sha256(bytes));
      if (!d.ok) throw new Error("digest");
      const out = await registry.putMonolithic({ repo, digest: d.digest, body: new Response(bytes).body, actor });
      expect(out.kind).toBe("ok");
      return d.digest.value;
    };
    const pushManifest = async (repo: { id: number; name: string }, body: Record<string, unknown>, blobs: string[], children: string[], tag?: string) => {
      const content = enc.encode(JSON.stringify(body));
      const digest = sha256(content);
      const out = await registry.pushManifest({
        repo,
        manifest: {
          digest,
          mediaType: body.mediaType as string,
          subjectDigest: (body.subject as { digest: string } | undefined)?.digest,
          content,
          blobDigests: blobs,
          childDigests: children,
        },
        requiredBlobs: blobs,
        tag,
        actor,
      });
      expect(out.kind).toBe("ok");
      return digest;
    };
    current = {
      dir,
      stores,
      registry,
      collector,
      now: () => t,
      advance: (ms) => (t += ms),
      collect: (o = {}) => collector.collect(t, o),
      repo: async (fullName) => {
        const row = (await stores.repositories.ensure(fullName));
        return { id: row.id, name: row.fullName };
      },
      upload,
      async pushImage(repo, layers, tag, extra = {}) {
        const configText = `config of ${crypto.randomUUID()}`;
        const config = await upload(repo, configText);
        const digests = [config];
        let bytes = enc.encode(configText).byteLength;
        for (const l of layers) {
          digests.push(await upload(repo, l));
          bytes += typeof l === "string" ? enc.encode(l).byteLength : l.byteLength;
        }
        const body = {
          schemaVersion: 2,
          mediaType: "application/vnd.oci.image.manifest.v1+json",
          config: { mediaType: "application/vnd.oci.image.config.v1+json", digest: config, size: 1 },
          layers: digests.slice(1).map((digest) => ({ mediaType: "application/vnd.oci.image.layer.v1.tar", digest, size: 1 })),
          ...extra,
        };
        return { digest: await pushManifest(repo, body, digests, [], tag), blobs: digests, bytes };
      },
      pushIndex(repo, children, tag) {
        const body = {
          schemaVersion: 2,
          mediaType: "application/vnd.oci.image.index.v1+json",
          manifests: children.map((digest) => ({ mediaType: "application/vnd.oci.image.manifest.v1+json", digest, size: 1 })),
        };
        return pushManifest(repo, body, [], children, tag);
      },
      blobFiles: () => {
        const root = join(dir, "blobs", "sha256");
        const out: string[] = [];
        for (const p of readdirSync(root, { withFileTypes: true })) {
          if (p.isDirectory()) for (const f of readdirSync(join(root, p.name))) out.push(`sha256:${f}`);
        }
        return out.sort();
      },
    };
  });
  afterEach(async () => {
    await current?.stores.close();
    if (current) rmSync(current.dir, { recursive: true, force: true });
  });
  return { get: () => current! };
}
