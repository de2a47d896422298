// /v2 and immutable tags (Quay: 409 on a manifest PUT onto one, on DELETE by its tag or by the
// digest it points at). The refusal is the spec's DENIED code with Quay's status.
import { describe, expect, test } from "bun:test";
import type { Stores } from "../../src/store";
import type { Registry } from "../../src/registry/registry";
import { serverForFile } from "../support/server";
import { expectError, expectStatus, RegistryClient, repoName } from "../support/registryClient";

let c: RegistryClient;
let stores: Stores;
let registry: Registry;
serverForFile((started) => {
  c = new RegistryClient(started.url);
  stores = started.server.ctx.stores;
  registry = started.server.ctx.registry;
});

const mpath = (repo: string, ref: string) => `/v2/${repo}/manifests/${ref}`;
/** Sets or clears v1's immutability through the registry (what API v1's tag PUT does). */
async function setImmutable(name: string, tag: string, immutable: boolean) {
  const row = (await stores.repositories.find(name))!;
  return (await registry.setTagImmutable({ repo: { id: row.id, name: row.fullName }, tag, immutable, actor: {} })).kind;
}

describe("an immutable tag on /v2", () => {
  test("PUT by the tag, DELETE by the tag or by its digest: 409 DENIED, and nothing changes", async () => {
    const name = repoName();
    const image = await c.pushImage(name, "v1");
    expect(await setImmutable(name, "v1", true)).toBe("ok");

    const other = await c.makeImage(name);
    const moved = await c.putManifest(name, "v1", other.bytes, other.mediaType);
    const [err] = await expectError(moved.res, 409, "DENIED");
    expect(err!.message).toBe("tag 'v1' is immutable");
    // Nothing of the refused push was stored.
    await expectError(await c.fetch(mpath(name, other.digest)), 404, "MANIFEST_UNKNOWN");

    // Not even the same bytes again (Quay refuses any retarget of an immutable tag).
    await expectError((await c.putManifest(name, "v1", image.bytes, image.mediaType)).res, 409, "DENIED");
    await expectError(await c.fetch(mpath(name, "v1"), { method: "DELETE" }), 409, "DENIED");
    await expectError(await c.fetch(mpath(name, image.digest), { method: "DELETE" }), 409, "DENIED");

    const got = await c.fetch(mpath(name, "v1"), { headers: { Accept: image.mediaType } });
    await expectStatus(got, 200);
    expect(got.headers.get("docker-content-digest")).toBe(image.digest);
  });

  test("other tags and pushes by digest are unaffected; clearing the flag lets DELETE through", async () => {
    const name = repoName();
    const image = await c.pushImage(name, "v1");
    await setImmutable(name, "v1", true);

    await expectStatus((await c.putManifest(name, image.digest, image.bytes, image.mediaType)).res, 201);
    await expectStatus((await c.putManifest(name, "latest", image.bytes, image.mediaType)).res, 201);
    await expectStatus(await c.fetch(mpath(name, "latest"), { method: "DELETE" }), 202);

    expect(await setImmutable(name, "v1", false)).toBe("ok");
    await expectStatus(await c.fetch(mpath(name, "v1"), { method: "DELETE" }), 202);
    await expectStatus(await c.fetch(mpath(name, image.digest), { method: "DELETE" }), 202);
  });

  test("a missing tag or digest is still MANIFEST_UNKNOWN", async () => {
    const name = repoName();
    await c.pushImage(name, "v1");
    await expectError(await c.fetch(mpath(name, "nope"), { method: "DELETE" }), 404, "MANIFEST_UNKNOWN");
    await expectError(await c.fetch(mpath(name, `sha256:${"0".repeat(64)}`), { method: "DELETE" }), 404, "MANIFEST_UNKNOWN");
  });
});
