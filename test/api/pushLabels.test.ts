// Push-time labels from a real image config over /v2: stored on the manifest with source
// "manifest", and `quay.immutable` / `quay.expires-after` acting on the pushed tag.
import { describe, expect, test } from "bun:test";
import type { Stores } from "../../src/store";
import { eventually } from "../support/eventually";
import { serverForFile } from "../support/server";
import { expectError, RegistryClient, repoName } from "../support/registryClient";

let c: RegistryClient;
let stores: Stores;
serverForFile((started) => {
  c = new RegistryClient(started.url);
  stores = started.server.ctx.stores;
});

const mpath = (repo: string, ref: string) => `/v2/${repo}/manifests/${ref}`;
const repoId = async (name: string) => (await stores.repositories.find(name))!.id;
const manifestId = async (name: string, digest: string) => (await stores.manifests.getByDigest(await repoId(name), digest))!.id;

async function liveTag(name: string, tag: string) {
  return (await stores.tags.history(await repoId(name), { name: tag, onlyActive: true, offset: 0, limit: 1 }))[0];
}

describe("push-time labels", () => {
  test.each(["oci", "docker"] as const)("%s image: config Labels are stored on the manifest with source manifest", async (format) => {
    const name = repoName();
    const image = await c.pushImage(name, "v1", { format, labels: { maintainer: "team-web", "com.example.meta": '{"a":1}' } });
    const labels = await eventually(async () => {
      const found = await stores.labels.list((await manifestId(name, image.digest)));
      return found.length ? found : undefined;
    });
    expect(labels.map((l) => [l.key, l.value, l.mediaType, l.sourceType])).toEqual([
      ["maintainer", "team-web", "text/plain", "manifest"],
      ["com.example.meta", '{"a":1}', "application/json", "manifest"],
    ]);
  });

  test("OCI annotations count too, over the config's labels", async () => {
    const name = repoName();
    const image = await c.pushImage(name, "v1", { labels: { a: "config", b: "config" }, annotations: { b: "annotation" } });
    const labels = await eventually(async () => {
      const found = await stores.labels.list((await manifestId(name, image.digest)));
      return found.length ? found : undefined;
    });
    expect(Object.fromEntries(labels.map((l) => [l.key, l.value]))).toEqual({ a: "config", b: "annotation" });
  });

  test("quay.immutable=true makes the pushed tag immutable: the next push onto it is refused", async () => {
    const name = repoName();
    const image = await c.pushImage(name, "v1", { labels: { "quay.immutable": "true" } });
    await eventually(async () => ((await liveTag(name, "v1"))?.immutable ? true : undefined));
    const next = await c.makeImage(name);
    await expectError((await c.putManifest(name, "v1", next.bytes, next.mediaType)).res, 409, "DENIED");
    await expectError(await c.fetch(mpath(name, image.digest), { method: "DELETE" }), 409, "DENIED");
  });

  test("quay.expires-after sets the pushed tag's expiry to its start plus the duration", async () => {
    const name = repoName();
    await c.pushImage(name, "v1", { format: "docker", labels: { "quay.expires-after": "2h" } });
    const tag = await eventually(async () => ((await liveTag(name, "v1"))?.expiresMs !== undefined ? (await liveTag(name, "v1")) : undefined));
    expect(tag!.expiresMs).toBe(tag!.startMs + 2 * 3600_000);
  });

  test("pushing the same image under another tag adds no labels and no expiry", async () => {
    const name = repoName();
    const image = await c.pushImage(name, "v1", { labels: { "quay.expires-after": "1d", keep: "me" } });
    await eventually(async () => ((await liveTag(name, "v1"))?.expiresMs !== undefined ? true : undefined));
    await c.pushManifest(name, "v2", image.bytes, image.mediaType);
    await Bun.sleep(50);
    expect(await stores.labels.list((await manifestId(name, image.digest)))).toHaveLength(2);
    expect((await liveTag(name, "v2"))!.expiresMs).toBeUndefined();
  });
});
