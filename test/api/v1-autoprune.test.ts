// Auto-prune policies (Quay's endpoints/api/policy.py): the user, organization and repository
// families with Quay's bodies, checks, permissions and audit kinds; then the lifecycle's pass
// applying both methods, with patterns, over a namespace and its repositories.
import { beforeAll, describe, expect, test } from "bun:test";
import { orgAdd } from "../../src/cli/accounts";
import type { Stores } from "../../src/store";
import { BearerRegistryClient, registryToken, type Image } from "../support/registryClient";
import type { TestServer } from "../support/server";
import { expectCsrfError, expectJson, expectProblem, V1Client } from "../support/v1Client";
import { worldForFile } from "../support/world";

const PASSWORDS = { alice: "alice-Secret-1", bob: "bob-Secret-1", rita: "rita-Secret-1" } as const;
const ADMIN = "admin-Secret-1";

// rita is a global read-only superuser; admin a superuser with full access (Berth's default).
const world = worldForFile({
  config: { auth: "token", readonlySuperusers: "rita" },
  server: { adminPassword: ADMIN },
  users: PASSWORDS,
  orgs: { acme: { owner: "alice" } },
  sessions: ["alice", "bob", "rita", "admin"],
});
let server: TestServer;
let stores: Stores;
let alice: V1Client;
let bob: V1Client;
let rita: V1Client;
let admin: V1Client;
let anon: V1Client;
let userIds: Record<string, number>;
beforeAll(() => {
  ({ server, stores, anon } = world);
  [alice, bob, rita, admin] = [world.session("alice"), world.session("bob"), world.session("rita"), world.session("admin")];
  userIds = { alice: world.users.alice.id, bob: world.users.bob.id };
});

let counter = 0;
async function newRepo(ns = "acme"): Promise<string> {
  const name = `app${++counter}`;
  await expectJson(await alice.post("/api/v1/repository", { namespace: ns, repository: name, visibility: "private", description: "" }), 201);
  return `${ns}/${name}`;
}

const bearer = async (user: "alice" | "bob", scope: string) => {
  const minted = await server.server.ctx.oauth.mint(userIds[user]!, scope);
  if (!minted.ok) throw new Error(minted.message);
  return { headers: { Authorization: `Bearer ${minted.token}` } };
};
const withToken = (path: string, token: { headers: Record<string, string> }, method = "GET", json?: unknown) =>
  fetch(`${server.url}${path}`, { method, headers: { ...token.headers, ...(json ? { "Content-Type": "application/json" } : {}) }, body: json ? JSON.stringify(json) : undefined });

const auditEntries = async (kind: string) => {
  stores.auditWriter.flush();
  return (await stores.auditLog.page({ startMs: 0, endMs: Date.now() + 365 * 86_400_000, kinds: [kind] as any })).entries;
};

describe("the three families: list, create, get, update, delete in Quay's shapes", () => {
  const families = [
    ["user", () => "/api/v1/user/autoprunepolicy/", () => alice],
    ["organization", () => "/api/v1/organization/acme/autoprunepolicy/", () => alice],
    ["user namespace by its name (Quay: every user administers their own 'org')", () => "/api/v1/organization/alice/autoprunepolicy/", () => alice],
  ] as const;
  for (const [family, path, who] of families) {
    test(family, async () => {
      const base = path();
      const client = who();
      const made = await expectJson(await client.post(base, { method: "number_of_tags", value: 5, tagPattern: "  ^v  " }), 201);
      expect(Object.keys(made)).toEqual(["uuid"]);
      const view = await expectJson(await client.get(`${base}${made.uuid}`), 200);
      // The pattern is trimmed (Quay strips it); the match flag defaults to true.
      expect(view).toEqual({ uuid: made.uuid, method: "number_of_tags", value: 5, tagPattern: "^v", tagPatternMatches: true });
      expect((await expectJson(await client.get(base), 200)).policies).toContainEqual(view);
      const put = await client.put(`${base}${made.uuid}`, { method: "creation_date", value: "2w", tagPatternMatches: false });
      expect(put.status).toBe(204);
      expect(await put.text()).toBe("");
      expect(await expectJson(await client.get(`${base}${made.uuid}`), 200)).toEqual({ uuid: made.uuid, method: "creation_date", value: "2w", tagPattern: null, tagPatternMatches: false });
      expect(await expectJson(await client.delete(`${base}${made.uuid}`), 200)).toEqual({ uuid: made.uuid });
      await expectProblem(await client.get(`${base}${made.uuid}`), 404, "not_found");
      await expectProblem(await client.delete(`${base}${made.uuid}`), 404, "not_found");
      await expectProblem(await client.put(`${base}${made.uuid}`, { method: "number_of_tags", value: 1 }), 404, "not_found");
    });
  }

  test("repository", async () => {
    const repo = await newRepo();
    const base = `/api/v1/repository/${repo}/autoprunepolicy/`;
    const made = await expectJson(await alice.post(base, { method: "creation_date", value: "7d", tagPattern: "^dev-", tagPatternMatches: true }), 201);
    expect(await expectJson(await alice.get(base), 200)).toEqual({
      policies: [{ uuid: made.uuid, method: "creation_date", value: "7d", tagPattern: "^dev-", tagPatternMatches: true }],
    });
    expect((await alice.put(`${base}${made.uuid}`, { method: "number_of_tags", value: 3 })).status).toBe(204);
    expect((await expectJson(await alice.get(`${base}${made.uuid}`), 200)).value).toBe(3);
    // A repository's policy is not its namespace's, and another repository does not see it.
    await expectProblem(await alice.get(`/api/v1/organization/acme/autoprunepolicy/${made.uuid}`), 404, "not_found");
    const other = await newRepo();
    await expectProblem(await alice.get(`/api/v1/repository/${other}/autoprunepolicy/${made.uuid}`), 404, "not_found");
    expect(await expectJson(await alice.delete(`${base}${made.uuid}`), 200)).toEqual({ uuid: made.uuid });
    // A repository that does not exist.
    await expectProblem(await alice.get("/api/v1/repository/acme/nothing-here/autoprunepolicy/"), 404, "not_found");
  });

  test("audit kinds: namespace and repository policies, with Quay's metadata", async () => {
    const made = await expectJson(await alice.post("/api/v1/organization/acme/autoprunepolicy/", { method: "number_of_tags", value: 42 }), 201);
    expect((await alice.put(`/api/v1/organization/acme/autoprunepolicy/${made.uuid}`, { method: "number_of_tags", value: 43, tagPattern: "x" })).status).toBe(204);
    await expectJson(await alice.delete(`/api/v1/organization/acme/autoprunepolicy/${made.uuid}`), 200);
    expect((await auditEntries("create_namespace_autoprune_policy")).find((e) => e.metadata.value === 42)).toMatchObject({
      performer: { name: "alice" },
      metadata: { method: "number_of_tags", value: 42, tag_pattern: null, tag_pattern_matches: true, namespace: "acme" },
    });
    expect((await auditEntries("update_namespace_autoprune_policy")).find((e) => e.metadata.value === 43)?.metadata).toMatchObject({ tag_pattern: "x", namespace: "acme" });
    expect((await auditEntries("delete_namespace_autoprune_policy")).find((e) => e.metadata.policy_uuid === made.uuid)?.metadata).toMatchObject({ namespace: "acme" });
    const repo = await newRepo();
    const r = await expectJson(await alice.post(`/api/v1/repository/${repo}/autoprunepolicy/`, { method: "creation_date", value: "1y" }), 201);
    await expectJson(await alice.delete(`/api/v1/repository/${repo}/autoprunepolicy/${r.uuid}`), 200);
    expect((await auditEntries("create_repository_autoprune_policy")).find((e) => e.metadata.repo === repo.split("/")[1])?.metadata).toMatchObject({ method: "creation_date", value: "1y", namespace: "acme" });
    expect((await auditEntries("delete_repository_autoprune_policy")).find((e) => e.metadata.policy_uuid === r.uuid)?.metadata).toMatchObject({ repo: repo.split("/")[1] });
  });
});

describe("bad bodies: 400 naming the field", () => {
  const path = "/api/v1/organization/acme/autoprunepolicy/";
  test.each([
    [{ value: 3 }, "method", /method/],
    [{ method: "number_of_tags" }, "value", /value/],
    [{ method: "keep_some", value: 3 }, "method", "Invalid method provided"],
    [{ method: "number_of_tags", value: "3" }, "value", "Invalid value given for method type"],
    [{ method: "number_of_tags", value: 0 }, "value", "Invalid value given for method type"],
    [{ method: "number_of_tags", value: 2.5 }, "value", /value/],
    [{ method: "creation_date", value: 7 }, "value", "Invalid value given for method type"],
    [{ method: "creation_date", value: "7 days" }, "value", "Invalid value given for method type"],
    [{ method: "creation_date", value: "0d" }, "value", "Invalid value given for method type"],
    [{ method: "creation_date", value: "7d", tagPattern: "   " }, "tagPattern", "tag_pattern cannot be empty"],
    [{ method: "creation_date", value: "7d", tagPattern: "v(1" }, "tagPattern", /^Invalid regex pattern: /],
    [{ method: "creation_date", value: "7d", tagPattern: "(a)\\1" }, "tagPattern", /^Invalid regex pattern: backreferences/],
    [{ method: "creation_date", value: "7d", tagPattern: "a".repeat(257) }, "tagPattern", "tag_pattern must be 256 characters or less"],
    [{ method: "creation_date", value: "7d", tagPattern: null }, "tagPattern", /tagPattern/],
    [{ method: "creation_date", value: "7d", tagPatternMatches: "yes" }, "tagPatternMatches", /tagPatternMatches/],
  ])("%j → %s", async (body, field, message) => {
    const problem = await expectProblem(await alice.post(path, body), 400, "invalid_request", message);
    expect(problem.field).toBe(field);
  });

  test("one namespace holds at most 50 policies", async () => {
    const ns = "capped";
    await orgAdd(stores, ns, "alice");
    const capped = `/api/v1/organization/${ns}/autoprunepolicy/`;
    for (let i = 1; i <= 50; i++) expect((await alice.post(capped, { method: "number_of_tags", value: 1000 + i })).status).toBe(201);
    await expectProblem(await alice.post(capped, { method: "number_of_tags", value: 5 }), 400, "invalid_request", "At most 50 policies of this kind for one namespace");
  });

  test("a duplicate of a policy in the same namespace (the same values) is refused; elsewhere it is not", async () => {
    const body = { method: "number_of_tags", value: 77, tagPattern: "^dup" };
    await expectJson(await alice.post(path, body), 201);
    await expectProblem(await alice.post(path, body), 400, "invalid_request", "Existing policy with same values for this namespace, duplicate policies are not permitted");
    await expectJson(await alice.post(path, { ...body, tagPatternMatches: false }), 201);
    const repo = await newRepo();
    await expectJson(await alice.post(`/api/v1/repository/${repo}/autoprunepolicy/`, body), 201);
    await expectProblem(
      await alice.post(`/api/v1/repository/${repo}/autoprunepolicy/`, body),
      400,
      "invalid_request",
      "Existing policy with same values for this repository, duplicate policies are not permitted",
    );
  });
});

describe("who may call what", () => {
  test("anonymous: 401 on every family", async () => {
    const repo = await newRepo();
    for (const path of ["/api/v1/user/autoprunepolicy/", "/api/v1/organization/acme/autoprunepolicy/", `/api/v1/repository/${repo}/autoprunepolicy/`]) {
      await expectProblem(await anon.get(path), 401, "invalid_token");
      await expectProblem(await anon.post(path, { method: "number_of_tags", value: 1 }), 401, "invalid_token");
    }
  });

  test("a signed-in outsider: 403, and for a namespace that does not exist as for one not theirs", async () => {
    const repo = await newRepo();
    const made = await expectJson(await alice.post("/api/v1/organization/acme/autoprunepolicy/", { method: "number_of_tags", value: 9 }), 201);
    await expectProblem(await bob.get("/api/v1/organization/acme/autoprunepolicy/"), 403, "insufficient_scope");
    await expectProblem(await bob.get(`/api/v1/organization/acme/autoprunepolicy/${made.uuid}`), 403, "insufficient_scope");
    await expectProblem(await bob.post("/api/v1/organization/acme/autoprunepolicy/", { method: "number_of_tags", value: 1 }), 403, "insufficient_scope");
    await expectProblem(await bob.delete(`/api/v1/organization/acme/autoprunepolicy/${made.uuid}`), 403, "insufficient_scope");
    await expectProblem(await bob.get("/api/v1/organization/alice/autoprunepolicy/"), 403, "insufficient_scope");
    await expectProblem(await bob.get("/api/v1/organization/no-such-org/autoprunepolicy/"), 403, "insufficient_scope");
    await expectProblem(await bob.get(`/api/v1/repository/${repo}/autoprunepolicy/`), 403, "insufficient_scope");
    // bob's own policies are his: alice's uuid is not found there.
    await expectProblem(await bob.get(`/api/v1/user/autoprunepolicy/${made.uuid}`), 404, "not_found");
  });

  test("a global read-only superuser reads every family but writes none; a superuser with full access does both", async () => {
    const repo = await newRepo();
    await expectJson(await rita.get("/api/v1/organization/acme/autoprunepolicy/"), 200);
    await expectJson(await rita.get(`/api/v1/repository/${repo}/autoprunepolicy/`), 200);
    await expectProblem(await rita.post("/api/v1/organization/acme/autoprunepolicy/", { method: "number_of_tags", value: 1 }), 403, "insufficient_scope");
    await expectProblem(await rita.post(`/api/v1/repository/${repo}/autoprunepolicy/`, { method: "number_of_tags", value: 1 }), 403, "insufficient_scope");
    const made = await expectJson(await admin.post("/api/v1/organization/acme/autoprunepolicy/", { method: "number_of_tags", value: 11 }), 201);
    await expectJson(await admin.post(`/api/v1/repository/${repo}/autoprunepolicy/`, { method: "number_of_tags", value: 11 }), 201);
    // A superuser reaches a user's namespace too (Quay's allow_if_superuser_with_full_access).
    await expectJson(await admin.post("/api/v1/organization/bob/autoprunepolicy/", { method: "number_of_tags", value: 11 }), 201);
    await expectJson(await admin.delete(`/api/v1/organization/acme/autoprunepolicy/${made.uuid}`), 200);
  });

  test("CSRF: a cookie-authenticated write without the token is refused", async () => {
    const repo = await newRepo();
    await expectCsrfError(await alice.post("/api/v1/user/autoprunepolicy/", { method: "number_of_tags", value: 1 }, { csrf: false }));
    await expectCsrfError(await alice.post("/api/v1/organization/acme/autoprunepolicy/", { method: "number_of_tags", value: 1 }, { csrf: false }));
    await expectCsrfError(await alice.post(`/api/v1/repository/${repo}/autoprunepolicy/`, { method: "number_of_tags", value: 1 }, { csrf: false }));
    expect((await expectJson(await alice.get(`/api/v1/repository/${repo}/autoprunepolicy/`), 200)).policies).toEqual([]);
  });

  test("OAuth tokens: org:admin for namespaces, user:admin for the user's own, repo:admin for repositories", async () => {
    const repo = await newRepo();
    const body = { method: "number_of_tags", value: 21 };
    expect((await withToken("/api/v1/organization/acme/autoprunepolicy/", await bearer("alice", "repo:admin user:admin"), "POST", body)).status).toBe(403);
    expect((await withToken("/api/v1/organization/acme/autoprunepolicy/", await bearer("alice", "org:admin"), "POST", body)).status).toBe(201);
    expect((await withToken("/api/v1/user/autoprunepolicy/", await bearer("alice", "user:read"), "POST", body)).status).toBe(403);
    expect((await withToken("/api/v1/user/autoprunepolicy/", await bearer("alice", "user:admin"), "POST", body)).status).toBe(201);
    expect((await withToken(`/api/v1/repository/${repo}/autoprunepolicy/`, await bearer("alice", "repo:write org:admin"), "POST", body)).status).toBe(403);
    expect((await withToken(`/api/v1/repository/${repo}/autoprunepolicy/`, await bearer("alice", "repo:admin"), "POST", body)).status).toBe(201);
  });
});

// ─── The pass ────────────────────────────────────────────────────────────────────────────────

const DAY = 86_400_000;
let passClock = Date.now();

/** One lifecycle pass at `now` (each later than the last: the task runs at most once an interval). */
async function prunePass(now: number): Promise<string[]> {
  passClock = Math.max(passClock + 2 * 3600_000, now);
  return server.server.ctx.lifecycle.runOnce(passClock);
}

/** A repository with one image, tagged with each name in this order (a later tag is newer, even within one millisecond). */
async function repoWithTags(names: string[], ns = "acme"): Promise<{ repo: string; image: Image }> {
  const repo = await newRepo(ns);
  const token = await registryToken(server.url, ["alice", PASSWORDS.alice], `repository:${repo}:pull,push`);
  const image = await new BearerRegistryClient(server.url, token).pushImage(repo, undefined, { layers: 1, layerSize: 16 });
  for (const tag of names) {
    expect((await alice.put(`/api/v1/repository/${repo}/tag/${tag}`, { manifest_digest: image.digest })).status).toBe(201);
  }
  return { repo, image };
}

const liveTags = async (repo: string) =>
  ((await expectJson(await alice.get(`/api/v1/repository/${repo}/tag/?onlyActiveTags=true&limit=100`), 200)).tags as { name: string }[]).map((t) => t.name).sort();

describe("the auto-prune pass", () => {
  test("number_of_tags with a pattern keeps the newest N matching tags; others, immutable and Cosign tags are left alone", async () => {
    const cosign = `sha256-${"a".repeat(64)}.sig`;
    const { repo } = await repoWithTags(["v1", "v2", "latest", "v3", "v4", cosign, "v5"]);
    expect((await alice.put(`/api/v1/repository/${repo}/tag/v1`, { immutable: true })).status).toBe(201);
    await expectJson(await alice.post(`/api/v1/repository/${repo}/autoprunepolicy/`, { method: "number_of_tags", value: 2, tagPattern: "^v\\d" }), 201);
    const said = await prunePass(Date.now());
    expect(said.join("\n")).toContain("autoprune: ");
    // v1 is immutable (neither pruned nor counted): v5 and v4 stay; v3 and v2 go.
    expect(await liveTags(repo)).toEqual([cosign, "latest", "v1", "v4", "v5"].sort());
    const entries = (await auditEntries("autoprune_tag_delete")).filter((e) => e.metadata.repo === repo.split("/")[1]);
    expect(entries.map((e) => e.metadata.tag).sort()).toEqual(["v2", "v3"]);
    expect(entries[0]).toMatchObject({ metadata: { performer: "autoprune worker", namespace: "acme" } });
    expect(entries[0]!.performer).toBeUndefined();
    // Ended tags enter the time machine: still listed in the history, restorable.
    expect(await expectJson(await alice.post(`/api/v1/repository/${repo}/tag/v2/restore`, { manifest_digest: (await alice.get(`/api/v1/repository/${repo}/tag/?specificTag=v2`).then((r) => r.json()) as any).tags[0].manifest_digest }), 200)).toEqual({});
  });

  test("creation_date with tagPatternMatches false: tags older than the age whose names do not match go", async () => {
    const { repo } = await repoWithTags(["keep-1", "old-1", "old-2"]);
    await expectJson(await alice.post(`/api/v1/repository/${repo}/autoprunepolicy/`, { method: "creation_date", value: "7d", tagPattern: "^keep", tagPatternMatches: false }), 201);
    // Six days on: nothing is old enough.
    await prunePass(Date.now() + 6 * DAY);
    expect(await liveTags(repo)).toEqual(["keep-1", "old-1", "old-2"]);
    // Eight days on: the old-* tags go; keep-1 is out of the policy's reach.
    await prunePass(Date.now() + 8 * DAY);
    expect(await liveTags(repo)).toEqual(["keep-1"]);
  });

  test("a namespace's policies apply to each of its repositories, and a repository's add to them (age first, then count)", async () => {
    const ns = "prune-ns";
    await orgAdd(stores, ns, "alice");
    const a = await repoWithTags(["a1", "a2", "a3", "a4"], ns);
    const b = await repoWithTags(["b1", "b2", "b3", "b4"], ns);
    const untouched = await repoWithTags(["c1", "c2", "c3", "c4"]);
    await expectJson(await alice.post(`/api/v1/organization/${ns}/autoprunepolicy/`, { method: "number_of_tags", value: 3 }), 201);
    await expectJson(await alice.post(`/api/v1/repository/${b.repo}/autoprunepolicy/`, { method: "number_of_tags", value: 1, tagPattern: "[34]$" }), 201);
    await prunePass(Date.now());
    expect(await liveTags(a.repo)).toEqual(["a2", "a3", "a4"]);
    // b: the namespace's keeps b2-b4, then its own keeps the newest of b3/b4.
    expect(await liveTags(b.repo)).toEqual(["b2", "b4"]);
    expect(await liveTags(untouched.repo)).toEqual(["c1", "c2", "c3", "c4"]);
  });

  test("a read-only repository is skipped, and so is a tag made immutable", async () => {
    const ns = "prune-ro";
    await orgAdd(stores, ns, "alice");
    const frozen = await repoWithTags(["f1", "f2", "f3"], ns);
    const guarded = await repoWithTags(["g1", "g2", "g3"], ns);
    expect((await alice.put(`/api/v1/repository/${guarded.repo}/tag/g1`, { immutable: true })).status).toBe(201);
    expect((await alice.put(`/api/v1/repository/${frozen.repo}/changestate`, { state: "READ_ONLY" })).status).toBe(200);
    await expectJson(await alice.post(`/api/v1/organization/${ns}/autoprunepolicy/`, { method: "number_of_tags", value: 1 }), 201);
    await prunePass(Date.now());
    expect(await liveTags(frozen.repo)).toEqual(["f1", "f2", "f3"]);
    expect(await liveTags(guarded.repo)).toEqual(["g1", "g3"]);
  });

  test("policies of a disabled user's namespace do not run (Quay skips disabled namespaces)", async () => {
    const token = await registryToken(server.url, ["bob", PASSWORDS.bob], "repository:bob/kept:pull,push");
    await new BearerRegistryClient(server.url, token).pushImage("bob/kept", "t1", { layers: 1, layerSize: 16 });
    await expectJson(await bob.post("/api/v1/user/autoprunepolicy/", { method: "creation_date", value: "1h" }), 201);
    const bobTags = async () => ((await expectJson(await admin.get("/api/v1/repository/bob/kept/tag/?onlyActiveTags=true"), 200)).tags as { name: string }[]).map((t) => t.name);
    stores.users.setEnabled(userIds.bob!, false);
    try {
      await prunePass(Date.now() + DAY);
      expect(await bobTags()).toEqual(["t1"]);
    } finally {
      stores.users.setEnabled(userIds.bob!, true);
    }
    await prunePass(Date.now() + DAY);
    expect(await bobTags()).toEqual([]);
  });
});
