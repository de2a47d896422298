import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { rmSync } from "node:fs";
import { parseDigest } from "../../../src/oci";
import { openStores, type Stores } from "../../../src/store";
import { collectGarbage } from "../../../src/store/garbageCollector";
import { tempDir } from "../../support/server";
import { SYSTEM_ACTOR } from "../../../src/events/registryEvents";
import type { Registry } from "../../../src/registry/registry";
import { registryFor } from "../../support/registryFixture";

const enc = new TextEncoder();
const digestOf = (s: string) => `sha256:${new Bun.CryptoHasher("sha256").update(s).digest("hex")}`;
const body = (s: string) => new Response(s).body;

let dir: string;
let stores: Stores;
let registry: Registry;
const actor = SYSTEM_ACTOR;
const ref = (repoId: number) => ({ id: repoId, name: `ns/${repoId}` });

beforeEach(() => {
  dir = tempDir("berth-gc-");
  stores = openStores({ dataDir: dir, uploadTtlMs: 60_000 });
  registry = registryFor(stores).registry;
});
afterEach(() => {
  stores.close();
  rmSync(dir, { recursive: true, force: true });
});

async function push(repoId: number, content: string): Promise<string> {
  const d = parseDigest(digestOf(content));
  if (!d.ok) throw new Error("bad digest");
  const out = await registry.putMonolithic({ repo: ref(repoId), digest: d.digest, body: body(content), actor });
  expect(out.kind).toBe("ok");
  return d.digest.value;
}

function putImage(repoId: number, config: string, layer: string, tag: string) {
  const content = enc.encode(JSON.stringify({ schemaVersion: 2, config: { digest: config }, layers: [{ digest: layer }] }));
  return registry.pushManifest({
    repo: ref(repoId),
    manifest: {
      digest: digestOf(new TextDecoder().decode(content)),
      mediaType: "application/vnd.oci.image.manifest.v1+json",
      content,
      blobDigests: [config, layer],
      childDigests: [],
    },
    requiredBlobs: [config, layer],
    tag,
    actor,
  });
}

describe("garbage collection", () => {
  test("frees an unlinked blob, keeps referenced ones and young links", async () => {
    const repo = stores.repositories.ensure("ns/app");
    const config = await push(repo.id, "config");
    const layer = await push(repo.id, "layer");
    const orphan = await push(repo.id, "orphan");
    const young = await push(repo.id, "young");
    expect((await putImage(repo.id, config, layer, "v1")).kind).toBe("ok");
    await registry.unlinkBlob({ repo: ref(repo.id), digest: orphan, actor });

    // Grace 0 treats every link as old; a future `now` makes the files old too.
    const report = await collectGarbage(stores.db, stores.blobs, 0, Date.now() + 1000);
    expect(report.filesRemoved).toBe(2); // the unlinked orphan, and "young" (no manifest, grace 0)
    expect((await stores.blobs.stat(config)).exists).toBe(true);
    expect((await stores.blobs.stat(layer)).exists).toBe(true);
    expect((await stores.blobs.stat(orphan)).exists).toBe(false);
    expect((await stores.blobs.stat(young)).exists).toBe(false);
    expect(stores.blobLinks.linkedSize(repo.id, layer)).toBe(5);
  });

  test("a push in flight (blob uploaded, manifest not yet) survives with the default grace", async () => {
    const repo = stores.repositories.ensure("ns/app");
    const layer = await push(repo.id, "pending layer");
    const report = await collectGarbage(stores.db, stores.blobs, 3600_000);
    expect(report).toEqual({ linksRemoved: 0, rowsRemoved: 0, filesRemoved: 0, bytesFreed: 0 });
    expect(stores.blobLinks.linkedSize(repo.id, layer)).toBe(13);
  });

  test("layers of a deleted manifest are reclaimed once old; a shared layer stays for the other repo", async () => {
    const a = stores.repositories.ensure("ns/a");
    const b = stores.repositories.ensure("ns/b");
    const config = await push(a.id, "cfg");
    const layer = await push(a.id, "shared");
    await push(b.id, "cfg");
    await push(b.id, "shared");
    await putImage(a.id, config, layer, "v1");
    await putImage(b.id, config, layer, "v1");
    const manifest = stores.manifests.getByTag(a.id, "v1")!;
    expect((await registry.deleteManifest({ repo: ref(a.id), digest: manifest.digest, actor })).kind).toBe("ok");
    const report = await collectGarbage(stores.db, stores.blobs, 0, Date.now() + 1000);
    expect(report.linksRemoved).toBe(2);
    expect(report.filesRemoved).toBe(0);
    expect(stores.blobLinks.linkedSize(a.id, layer)).toBeUndefined();
    expect(stores.blobLinks.linkedSize(b.id, layer)).toBe(6);
  });

  test("a manifest PUT cannot reference a blob the collector just unlinked", async () => {
    const repo = stores.repositories.ensure("ns/app");
    const config = await push(repo.id, "c");
    const layer = await push(repo.id, "l");
    await collectGarbage(stores.db, stores.blobs, 0, Date.now() + 1000);
    expect(await putImage(repo.id, config, layer, "v1")).toEqual({ kind: "missingBlob", digest: config });
  });
});
