// applyPushLabels over real stores: what a pushed image's labels become, and when nothing happens.
import { describe, expect, test } from "bun:test";
import { applyPushLabels, MAX_IMAGE_LABELS, type ApplyLabelEffects } from "../../../src/labels/pushLabels";
import { SYSTEM_ACTOR } from "../../../src/events/registryEvents";
import { registryFor } from "../../support/registryFixture";
import { parseDigest } from "../../../src/oci";
import type { Stores } from "../../../src/store";
import { sha256, storesPerTest } from "../store/storeFixtures";

const s = storesPerTest("berth-pushlabels-");
const enc = new TextEncoder();
const OCI = "application/vnd.oci.image.manifest.v1+json";
const DOCKER = "application/vnd.docker.distribution.manifest.v2+json";

async function pushBlob(stores: Stores, repoId: number, content: Uint8Array): Promise<string> {
  const d = parseDigest(sha256(content));
  if (!d.ok) throw new Error("bad digest");
  const out = await registryFor(stores).registry.putMonolithic({ repo: ref(repoId), digest: d.digest, body: new Response(content).body, actor: SYSTEM_ACTOR });
  expect(out.kind).toBe("ok");
  return d.digest.value;
}

interface ImageSpec {
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  format?: "oci" | "docker";
  configMediaType?: string;
  /** Raw config bytes instead of a generated config. */
  config?: Uint8Array;
  tag?: string;
}

async function pushImage(stores: Stores, repoId: number, spec: ImageSpec = {}) {
  const docker = spec.format === "docker";
  const config =
    spec.config ?? enc.encode(JSON.stringify({ os: "linux", config: spec.labels ? { Labels: spec.labels } : {}, nonce: crypto.randomUUID() }));
  const configDigest = await pushBlob(stores, repoId, config);
  const manifest = {
    schemaVersion: 2,
    mediaType: docker ? DOCKER : OCI,
    config: {
      mediaType: spec.configMediaType ?? (docker ? "application/vnd.docker.container.image.v1+json" : "application/vnd.oci.image.config.v1+json"),
      digest: configDigest,
      size: config.byteLength,
    },
    layers: [],
    ...(spec.annotations ? { annotations: spec.annotations } : {}),
  };
  const content = enc.encode(JSON.stringify(manifest));
  const digest = sha256(content);
  const put = await registryFor(stores).registry.pushManifest({
    repo: ref(repoId),
    manifest: { digest, mediaType: manifest.mediaType, content, blobDigests: [configDigest], childDigests: [] },
    requiredBlobs: [configDigest],
    tag: spec.tag ?? "v1",
    actor: SYSTEM_ACTOR,
  });
  expect(put.kind).toBe("ok");
  return { digest, id: (await stores.manifests.getByDigest(repoId, digest))!.id };
}

async function repo(stores: Stores): Promise<number> {
  return (await stores.repositories.ensure("ns/app")).id;
}

const ref = (id: number) => ({ id, name: "ns/app" });

/** What the server wires: the registry applies the effects. */
const applyWith = (stores: Stores): ApplyLabelEffects => (target, effects) =>
  registryFor(stores).registry.applyLabelEffects({ ...target, effects, actor: SYSTEM_ACTOR });

const labelsOf = async (stores: Stores, manifestId: number) =>
  Object.fromEntries((await stores.labels.list(manifestId)).map((l) => [l.key, [l.value, l.mediaType, l.sourceType]]));

describe("push-time labels", () => {
  test("a Docker image's config labels are stored with source manifest", async () => {
    const stores = s.get();
    const r = (await repo(stores));
    const img = await pushImage(stores, r, { format: "docker", labels: { maintainer: "me", meta: '{"a":1}' } });
    expect(await applyPushLabels(stores, applyWith(stores), { repo: ref(r), digest: img.digest })).toEqual({
      kind: "labelled",
      count: 2,
      immutableTags: [],
      expiringTags: [],
    });
    expect(await labelsOf(stores, img.id)).toEqual({
      maintainer: ["me", "text/plain", "manifest"],
      meta: ['{"a":1}', "application/json", "manifest"],
    });
  });

  test("an OCI image's annotations join its config labels and win over them", async () => {
    const stores = s.get();
    const r = (await repo(stores));
    const img = await pushImage(stores, r, { labels: { a: "config", b: "config" }, annotations: { b: "annotation", c: "annotation" } });
    await applyPushLabels(stores, applyWith(stores), { repo: ref(r), digest: img.digest });
    expect(await labelsOf(stores, img.id)).toEqual({
      a: ["config", "text/plain", "manifest"],
      b: ["annotation", "text/plain", "manifest"],
      c: ["annotation", "text/plain", "manifest"],
    });
  });

  test("an OCI artifact gives its annotations without its config being read", async () => {
    const stores = s.get();
    const r = (await repo(stores));
    const img = await pushImage(stores, r, { configMediaType: "application/vnd.example+json", config: enc.encode("not json at all"), annotations: { a: "1" } });
    expect((await applyPushLabels(stores, applyWith(stores), { repo: ref(r), digest: img.digest })).kind).toBe("labelled");
    expect(await labelsOf(stores, img.id)).toEqual({ a: ["1", "text/plain", "manifest"] });
  });

  test("quay.expires-after sets the tags' expiry from their start", async () => {
    const stores = s.get();
    const r = (await repo(stores));
    const img = await pushImage(stores, r, { labels: { "quay.expires-after": "2h" } });
    expect(await applyPushLabels(stores, applyWith(stores), { repo: ref(r), digest: img.digest })).toMatchObject({ expiringTags: ["v1"] });
    const [v1] = (await stores.tags.history(r, { name: "v1", offset: 0, limit: 1 }));
    expect(v1!.expiresMs).toBe(v1!.startMs + 2 * 3600_000);
  });

  test("quay.immutable=true makes the tags immutable; with an expiry too, immutability wins", async () => {
    const stores = s.get();
    const r = (await repo(stores));
    const img = await pushImage(stores, r, { labels: { "quay.immutable": "TRUE", "quay.expires-after": "1d" } });
    expect(await applyPushLabels(stores, applyWith(stores), { repo: ref(r), digest: img.digest })).toMatchObject({ immutableTags: ["v1"], expiringTags: [] });
    const [v1] = (await stores.tags.history(r, { name: "v1", offset: 0, limit: 1 }));
    expect(v1).toMatchObject({ immutable: true, expiresMs: undefined });
  });

  // Issue 8 item 11: untrusted configs are bounded.
  test("an image with more labels than the bound keeps none (nor their effects)", async () => {
    const stores = s.get();
    const r = (await repo(stores));
    const many = (n: number) => ({ ...Object.fromEntries(Array.from({ length: n - 1 }, (_, i) => [`k${i}`, "v"])), "quay.immutable": "true" });
    const over = await pushImage(stores, r, { labels: many(MAX_IMAGE_LABELS + 1), tag: "over" });
    expect(await applyPushLabels(stores, applyWith(stores), { repo: ref(r), digest: over.digest })).toEqual({ kind: "tooManyLabels", count: MAX_IMAGE_LABELS + 1 });
    expect(await stores.labels.list(over.id)).toEqual([]);
    const at = await pushImage(stores, r, { labels: many(MAX_IMAGE_LABELS), tag: "at" });
    expect(await applyPushLabels(stores, applyWith(stores), { repo: ref(r), digest: at.digest })).toMatchObject({ kind: "labelled", count: MAX_IMAGE_LABELS, immutableTags: ["at"] });
  });

  test("a second push of the same manifest (another tag) changes nothing", async () => {
    const stores = s.get();
    const r = (await repo(stores));
    const img = await pushImage(stores, r, { labels: { "quay.expires-after": "2h", a: "1" } });
    await applyPushLabels(stores, applyWith(stores), { repo: ref(r), digest: img.digest });
    expect((await registryFor(stores).registry.putTag({ repo: ref(r), tag: "v2", digest: img.digest, actor: SYSTEM_ACTOR })).kind).toBe("ok");
    expect(await applyPushLabels(stores, applyWith(stores), { repo: ref(r), digest: img.digest })).toEqual({ kind: "alreadyLabelled" });
    expect(await stores.labels.list(img.id)).toHaveLength(2);
    const [v2] = (await stores.tags.history(r, { name: "v2", offset: 0, limit: 1 }));
    expect(v2!.expiresMs).toBeUndefined();
  });

  test.each([
    ["no labels", { labels: {} }, { kind: "none" }],
    ["a config that is not JSON", { config: enc.encode("{") }, { kind: "none" }],
  ])("%s: nothing stored", async (_name, spec, want) => {
    const stores = s.get();
    const r = (await repo(stores));
    const img = await pushImage(stores, r, spec);
    expect(await applyPushLabels(stores, applyWith(stores), { repo: ref(r), digest: img.digest })).toEqual(want as any);
    expect(await stores.labels.list(img.id)).toEqual([]);
  });

  test("a config over the cap is not read", async () => {
    const stores = s.get();
    const r = (await repo(stores));
    const img = await pushImage(stores, r, { labels: { a: "1" } });
    const outcome = await applyPushLabels(stores, applyWith(stores), { repo: ref(r), digest: img.digest }, 16);
    expect(outcome.kind).toBe("configUnreadable");
    expect(await stores.labels.list(img.id)).toEqual([]);
  });

  test("an unknown manifest is nothing to label", async () => {
    const stores = s.get();
    expect(await applyPushLabels(stores, applyWith(stores), { repo: ref((await repo(stores))), digest: sha256("nothing") })).toEqual({ kind: "none" });
  });
});
