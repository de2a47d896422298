// Immutability policies (Quay's endpoints/api/immutability_policy.py): namespace and repository
// families with Quay's bodies, checks, permissions and audit kinds; a tag the policy names is
// immutable from its push (/v2) or creation (API v1 tag PUT) on, and existing tags are marked when
// a policy is created or changed, as Quay does.
import { beforeAll, describe, expect, test } from "bun:test";
import { orgAdd } from "../../src/cli/accounts";
import type { Stores } from "../../src/store";
import { BearerRegistryClient, expectError, registryToken, type RegistryClient } from "../support/registryClient";
import type { TestServer } from "../support/server";
import { expectCsrfError, expectJson, expectProblem, V1Client } from "../support/v1Client";
import { worldForFile } from "../support/world";

const PASSWORDS = { alice: "alice-Secret-1", bob: "bob-Secret-1", rita: "rita-Secret-1" } as const;

const world = worldForFile({
  config: { auth: "token", readonlySuperusers: "rita" },
  users: PASSWORDS,
  orgs: { acme: { owner: "alice" } },
  sessions: ["alice", "bob", "rita"],
});
let server: TestServer;
let stores: Stores;
let alice: V1Client;
let bob: V1Client;
let rita: V1Client;
let anon: V1Client;
let aliceId: number;
beforeAll(() => {
  ({ server, stores, anon } = world);
  [alice, bob, rita] = [world.session("alice"), world.session("bob"), world.session("rita")];
  aliceId = world.users.alice.id;
});

let counter = 0;
/** A fresh repository in `ns` (made over API v1), with a /v2 client holding a push token for it. */
async function newRepo(ns = "acme"): Promise<{ repo: string; v2: RegistryClient }> {
  const name = `app${++counter}`;
  await expectJson(await alice.post("/api/v1/repository", { namespace: ns, repository: name, visibility: "private", description: "" }), 201);
  const repo = `${ns}/${name}`;
  const token = await registryToken(server.url, ["alice", PASSWORDS.alice], `repository:${repo}:pull,push,delete`);
  return { repo, v2: new BearerRegistryClient(server.url, token) };
}

/** An organization of alice's with nothing in it (namespace policies of other tests stay out). */
async function freshOrg(): Promise<string> {
  const name = `org${++counter}`;
  await orgAdd(stores, name, "alice");
  return name;
}

const tagsOf = async (repo: string): Promise<Record<string, boolean>> => {
  const body = await expectJson(await alice.get(`/api/v1/repository/${repo}/tag/?onlyActiveTags=true&limit=100`), 200);
  return Object.fromEntries((body.tags as { name: string; immutable: boolean }[]).map((t) => [t.name, t.immutable]));
};

const auditEntries = async (kind: string, repo?: string) => {
  await stores.auditWriter.flush();
  const id = repo ? (await stores.repositories.find(repo))!.id : undefined;
  return (await stores.auditLog.page({ startMs: 0, endMs: Date.now() + 60_000, kinds: [kind] as any, ...(id ? { repositoryId: id } : {}) })).entries;
};

describe("namespace and repository families in Quay's shapes", () => {
  for (const [family, base] of [
    ["organization", () => "/api/v1/organization/acme/immutabilitypolicy/"],
    ["a user's own namespace, by its name", () => "/api/v1/organization/alice/immutabilitypolicy/"],
  ] as const) {
    test(family, async () => {
      const path = base();
      const made = await expectJson(await alice.post(path, { tagPattern: " ^v[0-9]+.*$ " }), 201);
      expect(Object.keys(made)).toEqual(["uuid"]);
      const view = { uuid: made.uuid, tagPattern: "^v[0-9]+.*$", tagPatternMatches: true };
      expect(await expectJson(await alice.get(`${path}${made.uuid}`), 200)).toEqual(view);
      expect((await expectJson(await alice.get(path), 200)).policies).toContainEqual(view);
      const put = await alice.put(`${path}${made.uuid}`, { tagPattern: "^release-", tagPatternMatches: false });
      expect(put.status).toBe(204);
      expect(await expectJson(await alice.get(`${path}${made.uuid}`), 200)).toEqual({ uuid: made.uuid, tagPattern: "^release-", tagPatternMatches: false });
      expect(await expectJson(await alice.delete(`${path}${made.uuid}`), 200)).toEqual({ uuid: made.uuid });
      await expectProblem(await alice.get(`${path}${made.uuid}`), 404, "not_found");
      await expectProblem(await alice.put(`${path}${made.uuid}`, { tagPattern: "x" }), 404, "not_found");
      await expectProblem(await alice.delete(`${path}${made.uuid}`), 404, "not_found");
    });
  }

  test("repository", async () => {
    const { repo } = await newRepo();
    const path = `/api/v1/repository/${repo}/immutabilitypolicy/`;
    expect(await expectJson(await alice.get(path), 200)).toEqual({ policies: [] });
    const made = await expectJson(await alice.post(path, { tagPattern: "^stable$", tagPatternMatches: true }), 201);
    expect(await expectJson(await alice.get(path), 200)).toEqual({ policies: [{ uuid: made.uuid, tagPattern: "^stable$", tagPatternMatches: true }] });
    expect((await alice.put(`${path}${made.uuid}`, { tagPattern: "^prod$" })).status).toBe(204);
    await expectProblem(await alice.get(`/api/v1/organization/acme/immutabilitypolicy/${made.uuid}`), 404, "not_found");
    expect(await expectJson(await alice.delete(`${path}${made.uuid}`), 200)).toEqual({ uuid: made.uuid });
    await expectProblem(await alice.get("/api/v1/repository/acme/none-such/immutabilitypolicy/"), 404, "not_found");
  });

  test("audit: create, update and delete with Quay's metadata", async () => {
    const { repo } = await newRepo();
    const path = `/api/v1/repository/${repo}/immutabilitypolicy/`;
    const made = await expectJson(await alice.post(path, { tagPattern: "^audit-1$" }), 201);
    expect((await alice.put(`${path}${made.uuid}`, { tagPattern: "^audit-2$", tagPatternMatches: false })).status).toBe(204);
    await expectJson(await alice.delete(`${path}${made.uuid}`), 200);
    const name = repo.split("/")[1];
    expect((await auditEntries("create_immutability_policy", repo))[0]).toMatchObject({
      performer: { name: "alice" },
      metadata: { namespace: "acme", repo: name, tag_pattern: "^audit-1$", tag_pattern_matches: true },
    });
    expect((await auditEntries("update_immutability_policy", repo))[0]!.metadata).toMatchObject({ tag_pattern: "^audit-2$", tag_pattern_matches: false });
    expect((await auditEntries("delete_immutability_policy", repo))[0]!.metadata).toMatchObject({ policy_uuid: made.uuid, namespace: "acme", repo: name });
  });
});

describe("bad bodies: 400 naming the field", () => {
  const path = "/api/v1/organization/acme/immutabilitypolicy/";
  test.each([
    [{}, /tagPattern/],
    [{ tagPattern: 5 }, /tagPattern/],
    [{ tagPattern: "  " }, "tag_pattern is required and must be a non-empty string"],
    [{ tagPattern: "[invalid" }, /^Invalid regex pattern: unterminated character set/],
    [{ tagPattern: "v(?=1)" }, /^Invalid regex pattern: lookaround is not supported/],
    [{ tagPattern: "x".repeat(257) }, "tag_pattern must be 256 characters or less"],
  ])("%j", async (body, message) => {
    const problem = await expectProblem(await alice.post(path, body), 400, "invalid_request", message);
    expect(problem.field).toBe("tagPattern");
  });

  test("tagPatternMatches must be a boolean", async () => {
    expect((await expectProblem(await alice.post(path, { tagPattern: "a", tagPatternMatches: "no" }), 400, "invalid_request")).field).toBe("tagPatternMatches");
  });

  test("one repository holds at most 50 policies", async () => {
    const { repo } = await newRepo((await freshOrg()));
    const path = `/api/v1/repository/${repo}/immutabilitypolicy/`;
    for (let i = 0; i < 50; i++) expect((await alice.post(path, { tagPattern: `^p${i}$` })).status).toBe(201);
    await expectProblem(await alice.post(path, { tagPattern: "^one-more$" }), 400, "invalid_request", "At most 50 policies of this kind for one repository");
  });

  test("a second policy with the same pattern is refused, on create and on update", async () => {
    await expectJson(await alice.post(path, { tagPattern: "^dup$" }), 201);
    await expectProblem(await alice.post(path, { tagPattern: "^dup$", tagPatternMatches: false }), 400, "invalid_request", "A policy with the same tag_pattern already exists");
    const other = await expectJson(await alice.post(path, { tagPattern: "^dup2$" }), 201);
    await expectProblem(await alice.put(`${path}${other.uuid}`, { tagPattern: "^dup$" }), 400, "invalid_request", "A policy with the same tag_pattern already exists");
    // Updating a policy to its own pattern is no duplicate.
    expect((await alice.put(`${path}${other.uuid}`, { tagPattern: "^dup2$", tagPatternMatches: false })).status).toBe(204);
  });
});

describe("who may call what", () => {
  test("anonymous 401, outsiders 403, read-only superusers read but do not write", async () => {
    const { repo } = await newRepo();
    for (const path of ["/api/v1/organization/acme/immutabilitypolicy/", `/api/v1/repository/${repo}/immutabilitypolicy/`]) {
      await expectProblem(await anon.get(path), 401, "invalid_token");
      await expectProblem(await bob.get(path), 403, "insufficient_scope");
      await expectProblem(await bob.post(path, { tagPattern: "x" }), 403, "insufficient_scope");
      await expectJson(await rita.get(path), 200);
      await expectProblem(await rita.post(path, { tagPattern: "x" }), 403, "insufficient_scope");
    }
    await expectProblem(await bob.get("/api/v1/organization/alice/immutabilitypolicy/"), 403, "insufficient_scope");
  });

  test("CSRF refused for a cookie write; OAuth tokens need org:admin (namespaces) or repo:admin (repositories)", async () => {
    const { repo } = await newRepo();
    await expectCsrfError(await alice.post("/api/v1/organization/acme/immutabilitypolicy/", { tagPattern: "csrf" }, { csrf: false }));
    await expectCsrfError(await alice.post(`/api/v1/repository/${repo}/immutabilitypolicy/`, { tagPattern: "csrf" }, { csrf: false }));
    const token = async (scope: string) => {
      const minted = await server.server.ctx.oauth.mint(aliceId, scope);
      if (!minted.ok) throw new Error(minted.message);
      return minted.token;
    };
    const post = async (path: string, scope: string) =>
      fetch(`${server.url}${path}`, { method: "POST", headers: { Authorization: `Bearer ${await token(scope)}`, "Content-Type": "application/json" }, body: JSON.stringify({ tagPattern: `t-${scope}` }) });
    expect((await post("/api/v1/organization/acme/immutabilitypolicy/", "repo:admin")).status).toBe(403);
    expect((await post("/api/v1/organization/acme/immutabilitypolicy/", "org:admin")).status).toBe(201);
    expect((await post(`/api/v1/repository/${repo}/immutabilitypolicy/`, "repo:write")).status).toBe(403);
    expect((await post(`/api/v1/repository/${repo}/immutabilitypolicy/`, "repo:admin")).status).toBe(201);
  });
});

describe("tags the policy names are immutable when pushed", () => {
  test("via /v2: the pushed tag is immutable; pushing over it or deleting it answers 409, other tags stay mutable", async () => {
    const ns = (await freshOrg());
    const { repo, v2 } = await newRepo(ns);
    await expectJson(await alice.post(`/api/v1/repository/${repo}/immutabilitypolicy/`, { tagPattern: "^v[0-9]+$" }), 201);
    const first = await v2.pushImage(repo, "v1", { layers: 1, layerSize: 20 });
    await v2.pushImage(repo, "latest", { layers: 1, layerSize: 21 });
    expect(await tagsOf(repo)).toEqual({ v1: true, latest: false });
    const other = await v2.makeImage(repo, { layers: 1, layerSize: 22 });
    await expectError(await v2.fetch(`/v2/${repo}/manifests/v1`, { method: "PUT", headers: { "Content-Type": other.mediaType }, body: other.bytes }), 409, "DENIED");
    await expectError(await v2.fetch(`/v2/${repo}/manifests/v1`, { method: "DELETE" }), 409, "DENIED");
    await expectError(await v2.fetch(`/v2/${repo}/manifests/${first.digest}`, { method: "DELETE" }), 409, "DENIED");
    await expectProblem(await alice.delete(`/api/v1/repository/${repo}/tag/v1`), 409, "tag_immutable", "Cannot delete immutable tag 'v1'");
    // The policy's entry: no performer (the policy did it), Quay's metadata.
    const [entry] = await auditEntries("tag_made_immutable_by_policy", repo);
    expect(entry).toMatchObject({ metadata: { tag: "v1", immutable: true, namespace: ns, repo: repo.split("/")[1] } });
    expect(entry!.performer).toBeUndefined();
    expect((await v2.fetch(`/v2/${repo}/manifests/latest`, { method: "DELETE" })).status).toBe(202);
  });

  test("via API v1's tag PUT: creating or moving a tag to a name the policy names makes it immutable", async () => {
    const ns = (await freshOrg());
    const { repo, v2 } = await newRepo(ns);
    const image = await v2.pushImage(repo, "base", { layers: 1, layerSize: 23 });
    await expectJson(await alice.post(`/api/v1/organization/${ns}/immutabilitypolicy/`, { tagPattern: "^prod-.*" }), 201);
    expect((await alice.put(`/api/v1/repository/${repo}/tag/prod-1`, { manifest_digest: image.digest })).status).toBe(201);
    expect((await alice.put(`/api/v1/repository/${repo}/tag/dev-1`, { manifest_digest: image.digest })).status).toBe(201);
    expect(await tagsOf(repo)).toMatchObject({ "prod-1": true, "dev-1": false });
    const other = await v2.pushImage(repo, undefined, { layers: 1, layerSize: 24 });
    await expectProblem(await alice.put(`/api/v1/repository/${repo}/tag/prod-1`, { manifest_digest: other.digest }), 409, "tag_immutable");
    // A repository admin may still lift the protection (then the tag moves, and is immutable again).
    expect((await alice.put(`/api/v1/repository/${repo}/tag/prod-1`, { immutable: false, manifest_digest: other.digest })).status).toBe(201);
    expect(await tagsOf(repo)).toMatchObject({ "prod-1": true });
  });

  test("tagPatternMatches false: every tag but those the pattern names is immutable", async () => {
    const ns = (await freshOrg());
    const { repo, v2 } = await newRepo(ns);
    await expectJson(await alice.post(`/api/v1/repository/${repo}/immutabilitypolicy/`, { tagPattern: "dev-.*", tagPatternMatches: false }), 201);
    await v2.pushImage(repo, "dev-7", { layers: 1, layerSize: 25 });
    await v2.pushImage(repo, "1.0", { layers: 1, layerSize: 26 });
    // The pattern must match the whole name (Quay's fullmatch): "x-dev-7" is not a dev tag.
    await v2.pushImage(repo, "x-dev-7", { layers: 1, layerSize: 27 });
    expect(await tagsOf(repo)).toEqual({ "dev-7": false, "1.0": true, "x-dev-7": true });
  });
});

describe("existing tags (Quay applies a policy retroactively)", () => {
  test("creating a policy marks the live tags it names and clears their expiry; deleting it unmarks nothing", async () => {
    const ns = (await freshOrg());
    const { repo, v2 } = await newRepo(ns);
    for (const [tag, size] of [["1.0", 30], ["1.1", 31], ["edge", 32]] as const) await v2.pushImage(repo, tag, { layers: 1, layerSize: size });
    const soon = Math.floor(Date.now() / 1000) + 3600;
    expect((await alice.put(`/api/v1/repository/${repo}/tag/1.1`, { expiration: soon })).status).toBe(201);
    const made = await expectJson(await alice.post(`/api/v1/repository/${repo}/immutabilitypolicy/`, { tagPattern: "^1\\.\\d+$" }), 201);
    expect(await tagsOf(repo)).toEqual({ "1.0": true, "1.1": true, edge: false });
    const [live] = (await expectJson(await alice.get(`/api/v1/repository/${repo}/tag/?specificTag=1.1&onlyActiveTags=true`), 200)).tags;
    expect(live.expiration).toBeUndefined();
    expect((await auditEntries("tags_made_immutable_by_policy", repo))[0]!.metadata).toMatchObject({ tag_pattern: "^1\\.\\d+$", tag_pattern_matches: true, count: 2, namespace: ns });
    await expectJson(await alice.delete(`/api/v1/repository/${repo}/immutabilitypolicy/${made.uuid}`), 200);
    expect(await tagsOf(repo)).toEqual({ "1.0": true, "1.1": true, edge: false });
  });

  test("a namespace policy marks tags in every repository of the namespace, in batches; an update applies the new rule", async () => {
    const ns = (await freshOrg());
    const a = await newRepo(ns);
    const b = await newRepo(ns);
    await a.v2.pushImage(a.repo, "keep", { layers: 1, layerSize: 40 });
    await b.v2.pushImage(b.repo, "keep", { layers: 1, layerSize: 41 });
    await b.v2.pushImage(b.repo, "other", { layers: 1, layerSize: 42 });
    const made = await expectJson(await alice.post(`/api/v1/organization/${ns}/immutabilitypolicy/`, { tagPattern: "keep" }), 201);
    expect(await tagsOf(a.repo)).toEqual({ keep: true });
    expect(await tagsOf(b.repo)).toEqual({ keep: true, other: false });
    expect((await auditEntries("tags_made_immutable_by_policy")).find((e) => e.metadata.namespace === ns && e.metadata.tag_pattern === "keep")?.metadata).toMatchObject({ count: 2 });
    expect((await alice.put(`/api/v1/organization/${ns}/immutabilitypolicy/${made.uuid}`, { tagPattern: "oth.*" })).status).toBe(204);
    expect(await tagsOf(b.repo)).toEqual({ keep: true, other: true });
    // The registry's batches: a batch size of one reaches every tag too.
    const c = await newRepo(ns);
    for (const [tag, size] of [["x1", 43], ["x2", 44], ["x3", 45]] as const) await c.v2.pushImage(c.repo, tag, { layers: 1, layerSize: size });
    const nsId = (await stores.orgs.namespace(ns))!.id;
    const out = await server.server.ctx.registry.applyImmutabilityPolicy({ target: { namespaceId: nsId, repositoryId: null }, rule: { tagPattern: "x[13]", tagPatternMatches: true }, batchSize: 1 });
    expect(out).toEqual({ kind: "ok", marked: 2 });
    expect(await tagsOf(c.repo)).toEqual({ x1: true, x2: false, x3: true });
  });
});
