// The time machine as a Quay user meets it, over HTTP with the server's clock moved by the test
// (no sleeps): push 24 MiB, delete the tag, collect: nothing comes back while the tag can still
// be restored; once the window has passed (at once with a window of 0) every byte does. And
// Quay's permanent deletion endpoint (removeTagFromTimemachine).
import { beforeAll, describe, expect, test } from "bun:test";
import { RegistryClient } from "../support/registryClient";
import type { TestServer } from "../support/server";
import { expectCsrfError, expectJson, expectProblem, signedIn, V1Client } from "../support/v1Client";
import { worldForFile } from "../support/world";
import { storedBlobs } from "../support/serverBackends";


const MiB = 1024 * 1024;
const HOUR = 3600_000;
const TWO_WEEKS = 14 * 24 * HOUR;
const PASSWORDS = { tina: "tina-Secret-1", bob: "bob-Secret-1" } as const;

let offset = 0;
/** Moves the server's registry and lifecycle clock forward. */
const advance = (ms: number) => (offset += ms);
const world = worldForFile({ server: { clock: () => Date.now() + offset }, users: PASSWORDS, sessions: ["tina"] });
let server: TestServer;
let registry: RegistryClient;
let tina: V1Client;
beforeAll(() => {
  ({ server, registry } = world);
  tina = world.session("tina");
});

/** Bytes of every stored blob (files, or objects in the bucket). */
async function blobBytes(): Promise<number> {
  let total = 0;
  for (const size of (await storedBlobs(server.server.ctx.stores.blobs)).values()) total += size;
  return total;
}

const collect = () => server.server.ctx.lifecycle.runOnce();
/** The collector's line of one lifecycle pass (the auto-prune pass reports before it). */
const collectionLine = async () => (await collect()).find((line) => /: purged \d+ tag periods/.test(line));
const history = async (repo: string) =>
  (await expectJson(await tina.get(`/api/v1/repository/${repo}/tag/`), 200)).tags.map((t: any) => [t.name, t.end_ts === undefined ? "live" : "ended"]);
const uniq = () => crypto.randomUUID().slice(0, 8);

describe("push 24 MiB, delete the tag, collect", () => {
  test("nothing comes back inside the window (the tag is restorable); all of it once the window passed", async () => {
    const repo = `tina/big-${uniq()}`;
    const before = await blobBytes();
    const image = await registry.pushImage(repo, "v1", { layers: 3, layerSize: 8 * MiB });
    const pushed = (await blobBytes()) - before;
    expect(pushed).toBeGreaterThan(24 * MiB);
    advance(2 * HOUR); // past the grace period

    expect((await registry.fetch(`/v2/${repo}/manifests/v1`, { method: "DELETE" })).status).toBe(202);
    expect(await history(repo)).toEqual([["v1", "ended"]]);
    await collect();
    expect((await blobBytes()) - before).toBe(pushed);

    await expectJson(await tina.post(`/api/v1/repository/${repo}/tag/v1/restore`, { manifest_digest: image.digest }), 200);
    expect((await registry.fetch(`/v2/${repo}/manifests/v1`)).status).toBe(200);
    expect((await tina.delete(`/api/v1/repository/${repo}/tag/v1`)).status).toBe(204);

    advance(TWO_WEEKS + HOUR);
    expect(await history(repo)).toEqual([]);
    await expectProblem(await tina.post(`/api/v1/repository/${repo}/tag/v1/restore`, { manifest_digest: image.digest }), 404, "not_found");
    const line = await collectionLine();
    expect(line).toContain(`${pushed} bytes`);
    expect(await blobBytes()).toBe(before);
    expect((await registry.fetch(`/v2/${repo}/manifests/${image.digest}`)).status).toBe(404);
  });

  test("with a window of 0 every byte comes back in the first pass after the delete", async () => {
    await expectJson(await tina.put("/api/v1/user/", { tag_expiration_s: 0 }), 200);
    try {
      const repo = `tina/zero-${uniq()}`;
      const before = await blobBytes();
      await registry.pushImage(repo, "v1", { layers: 3, layerSize: 8 * MiB });
      expect((await expectJson(await tina.get(`/api/v1/repository/${repo}`), 200)).tag_expiration_s).toBe(0);
      advance(2 * HOUR);
      expect((await registry.fetch(`/v2/${repo}/manifests/v1`, { method: "DELETE" })).status).toBe(202);
      expect(await history(repo)).toEqual([]);
      await collect();
      expect(await blobBytes()).toBe(before);
    } finally {
      await expectJson(await tina.put("/api/v1/user/", { tag_expiration_s: 1209600 }), 200);
    }
  });
});

describe("POST /api/v1/repository/<repo>/tag/<tag>/expire (removeTagFromTimemachine)", () => {
  test("/config tells a Quay client the windows it may choose and that permanent deletion is on", async () => {
    const { config } = await expectJson(await fetch(`${server.url}/config`), 200);
    expect(config).toMatchObject({ TAG_EXPIRATION_OPTIONS: ["0s", "1d", "1w", "2w", "4w"], PERMANENTLY_DELETE_TAGS: true });
  });

  test("the live tag or its ended periods leave the time machine now, logged as permanently_delete_tag", async () => {
    const repo = `tina/perm-${uniq()}`;
    const first = await registry.pushImage(repo, "v1");
    const second = await registry.pushImage(repo, "v1");
    const path = `/api/v1/repository/${repo}/tag/v1/expire`;
    // is_alive false needs the manifest; an unknown one, or one with no ended period, is 404.
    expect((await expectProblem(await tina.post(path, {}), 400, "invalid_request")).error_message).toBe("manifest_digest required when is_alive set to false");
    await expectProblem(await tina.post(path, { manifest_digest: `sha256:${"0".repeat(64)}` }), 404, "not_found");
    await expectProblem(await tina.post(path, { manifest_digest: second.digest }), 404, "not_found");
    expect(await expectJson(await tina.post(path, { manifest_digest: first.digest, include_submanifests: true }), 200)).toBe("");
    expect(await history(repo)).toEqual([["v1", "live"]]);
    expect(await expectJson(await tina.post(path, { is_alive: true }), 200)).toBe("");
    expect(await history(repo)).toEqual([]);
    expect((await registry.fetch(`/v2/${repo}/manifests/v1`)).status).toBe(404);
    await expectProblem(await tina.post(path, { is_alive: true }), 404, "not_found");
    const logs = (await expectJson(await tina.get(`/api/v1/repository/${repo}/logs`), 200)).logs;
    const permanent = logs.filter((l: any) => l.kind === "permanently_delete_tag").map((l: any) => l.metadata.manifest_digest);
    expect(permanent.sort()).toEqual([first.digest, second.digest].sort());
    // Nothing keeps either image now: one pass past the grace period frees them.
    advance(2 * HOUR);
    const line = await collectionLine();
    expect(line).toMatch(/ 2 manifests,/);
  });

  test("who may: 401 anonymous, 403 without write, CSRF refused; an immutable tag answers 409", async () => {
    const repo = `tina/guard-${uniq()}`;
    await registry.pushImage(repo, "v1");
    const path = `/api/v1/repository/${repo}/tag/v1/expire`;
    const anon = new V1Client(server.url);
    await anon.fetchCsrf();
    expect((await anon.post(path, { is_alive: true })).status).toBe(401);
    const bob = await signedIn(server.url, "bob", PASSWORDS.bob);
    expect((await bob.post(path, { is_alive: true })).status).toBe(403);
    await expectCsrfError(await tina.post(path, { is_alive: true }, { csrf: false }));
    await expectJson(await tina.put(`/api/v1/repository/${repo}/tag/v1`, { immutable: true }), 201);
    expect((await tina.post(path, { is_alive: true })).status).toBe(409);
    expect(await history(repo)).toEqual([["v1", "live"]]);
  });
});
