// API v1 tags in process (reference quay-api.md §2.6, §1.9): the history listing with page-number
// pagination, create/move/delete/restore, expiry, permissions and CSRF, each write checked on the
// /v2 side (tags/list and manifest GET by tag). /v2 runs in open mode, so images are pushed without tokens.
import { beforeAll, describe, expect, test } from "bun:test";
import type { Stores } from "../../src/store";
import type { UserRow } from "../../src/store/meta/users";
import { expectError, RegistryClient, type Image } from "../support/registryClient";
import type { TestServer } from "../support/server";
import { worldForFile } from "../support/world";
import { expectCsrfError, expectJson, expectProblem, V1Client } from "../support/v1Client";

const PASSWORDS = { alice: "alice-Secret-1", bob: "bob-Secret-1" } as const;

const world = worldForFile({ users: PASSWORDS, sessions: ["alice", "bob"] });
let server: TestServer, stores: Stores, registry: RegistryClient, users: Record<string, UserRow>;
let alice: V1Client, bob: V1Client, anon: V1Client;
beforeAll(() => {
  ({ server, stores, registry, users, anon } = world);
  [alice, bob] = [world.session("alice"), world.session("bob")];
});

let counter = 0;
const uniq = (prefix = "r") => `${prefix}${++counter}-${crypto.randomUUID().slice(0, 6)}`;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A private repository of alice's (created through API v1). */
async function create(name = uniq(), visibility: "public" | "private" = "private"): Promise<string> {
  const body = await expectJson(await alice.post("/api/v1/repository", { repository: name, visibility, description: "" }), 201);
  return `${body.namespace}/${body.name}`;
}

/** Pushes an image under `tag`, a few ms apart so start times order the history. */
async function push(repo: string, tag?: string): Promise<Image> {
  await sleep(3);
  return registry.pushImage(repo, tag);
}

const tagsPath = (repo: string) => `/api/v1/repository/${repo}/tag/`;
const tagPath = (repo: string, tag: string) => `/api/v1/repository/${repo}/tag/${tag}`;

async function v2Tags(repo: string): Promise<string[]> {
  return (await expectJson(await registry.fetch(`/v2/${repo}/tags/list`), 200)).tags;
}
async function v2Digest(repo: string, tag: string): Promise<string | undefined> {
  const res = await registry.fetch(`/v2/${repo}/manifests/${tag}`);
  if (res.status === 404) {
    await expectError(res, 404, "MANIFEST_UNKNOWN");
    return undefined;
  }
  expect(res.status).toBe(200);
  await res.arrayBuffer();
  return res.headers.get("docker-content-digest") ?? undefined;
}

describe("GET /api/v1/repository/<repo>/tag/", () => {
  test("lists live and ended periods, newest first, with Quay's tag object", async () => {
    const repo = await create();
    const one = await push(repo, "latest");
    const two = await push(repo, "latest"); // moves latest: the first period ends
    const v1 = await push(repo, "v1");

    const body = await expectJson(await alice.get(tagsPath(repo)), 200);
    expect(body.page).toBe(1);
    expect(body.has_additional).toBe(false);
    expect(body.tags.map((t: any) => [t.name, t.manifest_digest])).toEqual([
      ["v1", v1.digest],
      ["latest", two.digest],
      ["latest", one.digest],
    ]);
    const [live, , ended] = body.tags;
    expect(live).toEqual({
      name: "v1",
      reversion: false,
      start_ts: expect.any(Number),
      manifest_digest: v1.digest,
      is_manifest_list: false,
      // Quay's size: the layers' total, without the config blob.
      size: v1.layers.reduce((n, l) => n + l.size, 0),
      last_modified: expect.stringMatching(/^\w{3}, \d{2} \w{3} \d{4} \d{2}:\d{2}:\d{2} -0000$/),
      immutable: false,
    });
    expect(Math.abs(live.start_ts - Date.now() / 1000)).toBeLessThan(60);
    expect(ended.end_ts).toBeGreaterThanOrEqual(ended.start_ts);
    expect(ended.expiration).toMatch(/-0000$/);
    expect(body.tags[1].end_ts).toBeUndefined();

    const active = await expectJson(await alice.get(`${tagsPath(repo)}?onlyActiveTags=true`), 200);
    expect(active.tags.map((t: any) => t.manifest_digest)).toEqual([v1.digest, two.digest]);

    const specific = await expectJson(await alice.get(`${tagsPath(repo)}?specificTag=latest`), 200);
    expect(specific.tags.map((t: any) => t.manifest_digest)).toEqual([two.digest, one.digest]);
  });

  test("one image has one size: the tag list, the repository view and the manifest view agree", async () => {
    const repo = await create();
    const image = await registry.pushImage(repo, "sized", { layers: 3, layerSize: 1000 });
    const layers = image.layers.reduce((n, l) => n + l.size, 0);
    const [listed] = (await expectJson(await alice.get(`${tagsPath(repo)}?specificTag=sized`), 200)).tags;
    const repoView = await expectJson(await alice.get(`/api/v1/repository/${repo}`), 200);
    const manifest = await expectJson(await alice.get(`/api/v1/repository/${repo}/manifest/${image.digest}`), 200);
    expect(image.config.size).toBeGreaterThan(0);
    expect([listed.size, repoView.tags.sized.size, manifest.layers_compressed_size]).toEqual([layers, layers, layers]);
  });

  test("onlyActiveTags=True (as Python clients send it) hides a deleted tag, so a script can re-create it", async () => {
    const repo = await create();
    const image = await push(repo, "gone");
    await push(repo, "kept");
    expect((await alice.delete(tagPath(repo, "gone"))).status).toBe(204);
    for (const spelling of ["True", "1", "TRUE"]) {
      const active = await expectJson(await alice.get(`${tagsPath(repo)}?onlyActiveTags=${spelling}&specificTag=gone`), 200);
      expect(active.tags).toEqual([]);
    }
    for (const spelling of ["False", "0", ""]) {
      const all = await expectJson(await alice.get(`${tagsPath(repo)}?onlyActiveTags=${spelling}&specificTag=gone`), 200);
      expect(all.tags).toEqual([expect.objectContaining({ name: "gone", end_ts: expect.any(Number) })]);
    }
    // The script's next step: the tag is absent, so it points it at the manifest again.
    expect((await alice.put(tagPath(repo, "gone"), { manifest_digest: image.digest })).status).toBe(201);
    expect(await v2Digest(repo, "gone")).toBe(image.digest);
  });

  test("page-number pagination with has_additional; limit clamped to 100", async () => {
    const repo = await create();
    const pushed: string[] = [];
    for (let i = 0; i < 5; i++) pushed.push((await push(repo, `t${i}`)).digest);
    const newestFirst = [...pushed].reverse();
    const seen: string[] = [];
    for (const [page, more] of [[1, true], [2, true], [3, false]] as const) {
      const body = await expectJson(await alice.get(`${tagsPath(repo)}?limit=2&page=${page}`), 200);
      expect(body.page).toBe(page);
      expect(body.has_additional).toBe(more);
      seen.push(...body.tags.map((t: any) => t.manifest_digest));
    }
    expect(seen).toEqual(newestFirst);
    const all = await expectJson(await alice.get(`${tagsPath(repo)}?limit=1000`), 200);
    expect(all.tags).toHaveLength(5);
    expect(all.has_additional).toBe(false);
    await expectProblem(await alice.get(`${tagsPath(repo)}?page=abc`), 400, "invalid_request", /page/);
  });

  test("public repository: anonymous reads; private: 401 anonymous, 403 for a stranger", async () => {
    const pub = await create(uniq("pub"), "public");
    await push(pub, "latest");
    expect((await expectJson(await new V1Client(server.url).get(tagsPath(pub)), 200)).tags).toHaveLength(1);
    const priv = await create();
    await expectProblem(await new V1Client(server.url).get(tagsPath(priv)), 401, "invalid_token");
    await expectProblem(await bob.get(tagsPath(priv)), 403, "insufficient_scope");
  });

  test("a repository name with slashes and a repository named like the route", async () => {
    const repo = await create(`${uniq("group")}/tag/inner`);
    const img = await push(repo, "tag");
    const body = await expectJson(await alice.get(tagsPath(repo)), 200);
    expect(body.tags.map((t: any) => [t.name, t.manifest_digest])).toEqual([["tag", img.digest]]);
    // Without the trailing slash it is still the repository view.
    expect((await expectJson(await alice.get(`/api/v1/repository/${repo}`), 200)).name).toBe(repo.slice("alice/".length));
    expect(await expectJson(await alice.put(tagPath(repo, "tag"), { expiration: null }), 201)).toBe("Updated");
  });
});

describe("PUT, DELETE and restore", () => {
  test("PUT manifest_digest creates and moves a tag, visible on /v2", async () => {
    const repo = await create();
    const a = await push(repo, "a");
    const b = await push(repo); // untagged
    const res = await alice.put(tagPath(repo, "prod"), { manifest_digest: a.digest });
    expect(res.headers.get("content-type")).toContain("application/json");
    expect(await expectJson(res, 201)).toBe("Updated");
    expect((await v2Tags(repo)).sort()).toEqual(["a", "prod"]);
    expect(await v2Digest(repo, "prod")).toBe(a.digest);

    await sleep(3);
    expect(await expectJson(await alice.put(tagPath(repo, "prod"), { manifest_digest: b.digest }), 201)).toBe("Updated");
    expect(await v2Digest(repo, "prod")).toBe(b.digest);
    const hist = await expectJson(await alice.get(`${tagsPath(repo)}?specificTag=prod`), 200);
    expect(hist.tags.map((t: any) => [t.manifest_digest, t.end_ts === undefined])).toEqual([
      [b.digest, true],
      [a.digest, false],
    ]);
  });

  test("PUT an unknown manifest: 404, nothing changes", async () => {
    const repo = await create();
    const a = await push(repo, "latest");
    const other = await create();
    const foreign = await push(other, "x");
    await expectProblem(await alice.put(tagPath(repo, "latest"), { manifest_digest: foreign.digest }), 404, "not_found");
    await expectProblem(await alice.put(tagPath(repo, "new"), { manifest_digest: `sha256:${"0".repeat(64)}` }), 404, "not_found");
    expect(await v2Digest(repo, "latest")).toBe(a.digest);
    expect(await v2Tags(repo)).toEqual(["latest"]);
  });

  test("DELETE ends the live period, keeps history; unknown tag 404", async () => {
    const repo = await create();
    const a = await push(repo, "gone");
    await push(repo, "stays");
    const res = await alice.delete(tagPath(repo, "gone"));
    expect(res.status).toBe(204);
    expect(await v2Tags(repo)).toEqual(["stays"]);
    expect(await v2Digest(repo, "gone")).toBeUndefined();
    // The manifest stays reachable by digest, and the period stays in the history.
    expect(await v2Digest(repo, a.digest)).toBe(a.digest);
    const hist = await expectJson(await alice.get(`${tagsPath(repo)}?specificTag=gone`), 200);
    expect(hist.tags).toHaveLength(1);
    expect(hist.tags[0].end_ts).toEqual(expect.any(Number));
    expect((await expectJson(await alice.get(`${tagsPath(repo)}?specificTag=gone&onlyActiveTags=true`), 200)).tags).toEqual([]);
    await expectProblem(await alice.delete(tagPath(repo, "gone")), 404, "not_found");
    await expectProblem(await alice.delete(tagPath(repo, "never")), 404, "not_found");
  });

  test("restore points the tag at a past target again, also after a delete", async () => {
    const repo = await create();
    const one = await push(repo, "latest");
    const two = await push(repo, "latest");
    expect(await v2Digest(repo, "latest")).toBe(two.digest);
    await sleep(3);
    expect(await expectJson(await alice.post(`${tagPath(repo, "latest")}/restore`, { manifest_digest: one.digest }), 200)).toEqual({});
    expect(await v2Digest(repo, "latest")).toBe(one.digest);

    expect((await alice.delete(tagPath(repo, "latest"))).status).toBe(204);
    expect(await v2Tags(repo)).toEqual([]);
    await sleep(3);
    expect(await expectJson(await alice.post(`${tagPath(repo, "latest")}/restore`, { manifest_digest: two.digest }), 200)).toEqual({});
    expect(await v2Tags(repo)).toEqual(["latest"]);
    expect(await v2Digest(repo, "latest")).toBe(two.digest);
    const hist = await expectJson(await alice.get(`${tagsPath(repo)}?specificTag=latest`), 200);
    expect(hist.tags.map((t: any) => t.manifest_digest)).toEqual([two.digest, one.digest, two.digest, one.digest]);

    // A manifest of the repository this tag never pointed at: 404.
    const other = await push(repo, "other");
    await expectProblem(await alice.post(`${tagPath(repo, "latest")}/restore`, { manifest_digest: other.digest }), 404, "not_found");
    expect(await v2Digest(repo, "latest")).toBe(two.digest);
  });

  test("a tag named restore and a repository path ending in /restore", async () => {
    const repo = await create();
    const a = await push(repo, "latest");
    expect(await expectJson(await alice.put(tagPath(repo, "restore"), { manifest_digest: a.digest }), 201)).toBe("Updated");
    expect(await v2Digest(repo, "restore")).toBe(a.digest);
    expect((await alice.delete(tagPath(repo, "restore"))).status).toBe(204);
    expect(await expectJson(await alice.post(`${tagPath(repo, "restore")}/restore`, { manifest_digest: a.digest }), 200)).toEqual({});
    expect(await v2Digest(repo, "restore")).toBe(a.digest);
  });
});

describe("expiration", () => {
  test("in the past: 400 as in Quay; once an expiry passes the tag disappears from /v2 and ends in the history", async () => {
    const repo = await create();
    const a = await push(repo, "temp");
    await push(repo, "keep");
    expect(await v2Digest(repo, "temp")).toBe(a.digest); // cached now
    const past = Math.floor(Date.now() / 1000) - 10;
    expect((await expectProblem(await alice.put(tagPath(repo, "temp"), { expiration: past }), 400, "invalid_request")).field).toBe("expiration");
    expect(await v2Digest(repo, "temp")).toBe(a.digest);
    // An expiry a moment ahead, then passed.
    expect(await expectJson(await alice.put(tagPath(repo, "temp"), { expiration: Date.now() / 1000 + 0.3 }), 201)).toBe("Updated");
    await sleep(400);
    expect(await v2Digest(repo, "temp")).toBeUndefined();
    expect(await v2Tags(repo)).toEqual(["keep"]);
    const hist = await expectJson(await alice.get(`${tagsPath(repo)}?specificTag=temp`), 200);
    expect(hist.tags).toHaveLength(1);
    expect(hist.tags[0].end_ts).toEqual(expect.any(Number));
    expect((await expectJson(await alice.get(`${tagsPath(repo)}?onlyActiveTags=true`), 200)).tags.map((t: any) => t.name)).toEqual(["keep"]);
    // Expired is not live: setting it again or deleting it is 404; a push revives the tag.
    await expectProblem(await alice.put(tagPath(repo, "temp"), { expiration: null }), 404, "not_found");
    await expectProblem(await alice.delete(tagPath(repo, "temp")), 404, "not_found");
    await sleep(3);
    await registry.pushManifest(repo, "temp", a.bytes, a.mediaType);
    expect(await v2Digest(repo, "temp")).toBe(a.digest);
    expect((await expectJson(await alice.get(`${tagsPath(repo)}?specificTag=temp`), 200)).tags).toHaveLength(2);
  });

  test("a near expiry: served until it passes, never from a stale cache", async () => {
    const repo = await create();
    const a = await push(repo, "soon");
    const row = (await stores.repositories.find(repo))!;
    await server.server.ctx.registry.setTagExpiry({ repo: { id: row.id, name: row.fullName }, tag: "soon", expiresMs: Date.now() + 300, actor: {} });
    expect(await v2Digest(repo, "soon")).toBe(a.digest);
    expect(await v2Tags(repo)).toEqual(["soon"]);
    await sleep(350);
    expect(await v2Digest(repo, "soon")).toBeUndefined();
    expect(await v2Tags(repo)).toEqual([]);
  });

  test("in the future: shown as expiration and end_ts; null clears it", async () => {
    const repo = await create();
    const a = await push(repo, "later");
    const future = Math.floor(Date.now() / 1000) + 3600;
    expect(await expectJson(await alice.put(tagPath(repo, "later"), { expiration: future }), 201)).toBe("Updated");
    expect(await v2Digest(repo, "later")).toBe(a.digest);
    let [tag] = (await expectJson(await alice.get(tagsPath(repo)), 200)).tags;
    expect(tag.end_ts).toBe(future);
    expect(tag.expiration).toBe(new Date(future * 1000).toUTCString().replace("GMT", "-0000"));
    expect((await expectJson(await alice.get(`${tagsPath(repo)}?onlyActiveTags=true`), 200)).tags).toHaveLength(1);

    expect(await expectJson(await alice.put(tagPath(repo, "later"), { expiration: null }), 201)).toBe("Updated");
    [tag] = (await expectJson(await alice.get(tagsPath(repo)), 200)).tags;
    expect(tag.end_ts).toBeUndefined();
    expect(tag.expiration).toBeUndefined();
  });
});

describe("immutability", () => {
  test("an immutable tag refuses move, delete, expiry and restore with 409, on /v2 too; admin lifts it", async () => {
    const repo = await create();
    const a = await push(repo, "v1");
    const b = await push(repo);
    expect(await expectJson(await alice.put(tagPath(repo, "v1"), { immutable: true }), 201)).toBe("Updated");
    const listed = await expectJson(await alice.get(`${tagsPath(repo)}?specificTag=v1`), 200);
    expect(listed.tags[0].immutable).toBe(true);

    const refused = async (res: Response, operation: string) => {
      const body = await expectProblem(res, 409, "tag_immutable");
      expect(body.detail).toBe(`Cannot ${operation} immutable tag 'v1'`);
    };
    await refused(await alice.put(tagPath(repo, "v1"), { manifest_digest: b.digest }), "move");
    await refused(await alice.delete(tagPath(repo, "v1")), "delete");
    await refused(await alice.put(tagPath(repo, "v1"), { expiration: Math.floor(Date.now() / 1000) + 3600 }), "set expiration on");
    await refused(await alice.post(`${tagPath(repo, "v1")}/restore`, { manifest_digest: a.digest }), "restore");
    // /v2 refuses a push onto it as well (the spec's DENIED).
    const put = await registry.fetch(`/v2/${repo}/manifests/v1`, {
      method: "PUT",
      headers: { "Content-Type": b.mediaType },
      body: b.bytes,
    });
    await expectError(put, 409, "DENIED");
    expect(await v2Digest(repo, "v1")).toBe(a.digest);

    // Clearing the flag needs admin: a writer cannot, the owner can, in the same request as a move.
    await stores.permissions.set((await stores.repositories.find(repo))!.id, { userId: users.bob!.id }, "write");
    await expectProblem(await bob.put(tagPath(repo, "v1"), { immutable: false }), 403, "insufficient_scope");
    expect(await expectJson(await alice.put(tagPath(repo, "v1"), { immutable: false, manifest_digest: b.digest }), 201)).toBe("Updated");
    expect(await v2Digest(repo, "v1")).toBe(b.digest);
  });

  test("a tag with an expiry cannot be made immutable; an unknown tag is 404", async () => {
    const repo = await create();
    await push(repo, "soon");
    await expectJson(await alice.put(tagPath(repo, "soon"), { expiration: Math.floor(Date.now() / 1000) + 3600 }), 201);
    const body = await expectProblem(await alice.put(tagPath(repo, "soon"), { immutable: true }), 400, "invalid_request");
    expect(body.field).toBe("immutable");
    await expectProblem(await alice.put(tagPath(repo, "nope"), { immutable: true }), 404, "not_found");
  });
});

describe("guards and validation", () => {
  test("writes: 401 anonymous, 403 read-only user, CSRF refused", async () => {
    const repo = await create();
    const a = await push(repo, "latest");
    await stores.permissions.set((await stores.repositories.find(repo))!.id, { userId: users.bob!.id }, "read");
    expect((await expectJson(await bob.get(tagsPath(repo)), 200)).tags).toHaveLength(1);

    await expectProblem(await anon.put(tagPath(repo, "x"), { manifest_digest: a.digest }), 401, "invalid_token");
    await expectProblem(await anon.delete(tagPath(repo, "latest")), 401, "invalid_token");
    await expectProblem(await bob.put(tagPath(repo, "x"), { manifest_digest: a.digest }), 403, "insufficient_scope");
    await expectProblem(await bob.delete(tagPath(repo, "latest")), 403, "insufficient_scope");
    await expectProblem(await bob.post(`${tagPath(repo, "latest")}/restore`, { manifest_digest: a.digest }), 403, "insufficient_scope");

    await expectCsrfError(await alice.put(tagPath(repo, "x"), { manifest_digest: a.digest }, { csrf: false }));
    await expectCsrfError(await alice.delete(tagPath(repo, "latest"), { csrf: "wrong" }));
    await expectCsrfError(await alice.post(`${tagPath(repo, "latest")}/restore`, { manifest_digest: a.digest }, { csrf: false }));
    expect(await v2Tags(repo)).toEqual(["latest"]);

    // Write permission is enough.
    await stores.permissions.set((await stores.repositories.find(repo))!.id, { userId: users.bob!.id }, "write");
    expect(await expectJson(await bob.put(tagPath(repo, "x"), { manifest_digest: a.digest }), 201)).toBe("Updated");
    expect((await v2Tags(repo)).sort()).toEqual(["latest", "x"]);
  });

  test("400 for a bad tag name and a bad body naming the field", async () => {
    const repo = await create();
    const a = await push(repo, "latest");
    for (const bad of [".hidden", "-flag", "x".repeat(129), "a%20b"]) {
      await expectProblem(await alice.put(tagPath(repo, bad), { manifest_digest: a.digest }), 400, "invalid_request", /Invalid tag name/);
    }
    await expectProblem(await alice.delete(tagPath(repo, ".bad")), 400, "invalid_request");
    const wrongType = await expectProblem(await alice.put(tagPath(repo, "ok"), { manifest_digest: 42 }), 400, "invalid_request", /manifest_digest/);
    expect(wrongType.field).toBe("manifest_digest");
    const badExpiry = await expectProblem(await alice.put(tagPath(repo, "latest"), { expiration: "tomorrow" }), 400, "invalid_request", /expiration/);
    expect(badExpiry.field).toBe("expiration");
    const missing = await expectProblem(await alice.post(`${tagPath(repo, "latest")}/restore`, {}), 400, "invalid_request", /manifest_digest/);
    expect(missing.field).toBe("manifest_digest");
    expect(await v2Tags(repo)).toEqual(["latest"]);
  });

  test("unknown repository: 403 for a signed-in user without rights, 404 for the namespace owner", async () => {
    await expectProblem(await bob.get(tagsPath(`alice/${uniq("none")}`)), 403, "insufficient_scope");
    await expectProblem(await alice.get(tagsPath(`alice/${uniq("none")}`)), 404, "not_found");
    await expectProblem(await alice.put(tagPath(`alice/${uniq("none")}`, "x"), { manifest_digest: `sha256:${"0".repeat(64)}` }), 404, "not_found");
  });
});
