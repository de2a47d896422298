// API v1 repositories in process (reference quay-api.md §2.5, §3): create, list, get, update,
// change visibility and delete, with Quay's permission answers (401 anonymous, 403 signed in,
// 404 only for those with namespace-wide rights) and CSRF on every cookie-authenticated write.
// /v2 runs in open mode here, so images are pushed without tokens.
import { beforeAll, describe, expect, test } from "bun:test";
import type { Stores } from "../../src/store";
import type { UserRow } from "../../src/store/meta/users";
import { expectError, RegistryClient } from "../support/registryClient";
import type { TestServer } from "../support/server";
import { expectCsrfError, expectJson, expectProblem, signedIn, V1Client } from "../support/v1Client";
import { worldForFile } from "../support/world";

const ADMIN_PASSWORD = "admin-Secret-1";
const PASSWORDS = { alice: "alice-Secret-1", bob: "bob-Secret-1", carol: "carol-Secret-1", pager: "pager-Secret-1" } as const;

// acme: owned by admin; alice sits in a creator team, carol in a member team.
const world = worldForFile({
  server: { adminPassword: ADMIN_PASSWORD },
  users: PASSWORDS,
  orgs: { acme: { owner: "admin", teams: { builders: { role: "creator", members: ["alice"] }, watchers: { role: "member", members: ["carol"] } } } },
  sessions: ["alice", "bob", "carol", "admin"],
});
let server: TestServer;
let stores: Stores;
let registry: RegistryClient;
const users: Record<string, UserRow> = {};
// Signed-in clients, one per user, made once by the world.
let alice: V1Client;
let bob: V1Client;
let carol: V1Client;
let admin: V1Client;
/** An anonymous client that holds a session (so it can pass CSRF). */
let anon: V1Client;
beforeAll(() => {
  ({ server, stores, registry, anon } = world);
  Object.assign(users, world.users);
  [alice, bob, carol, admin] = [world.session("alice"), world.session("bob"), world.session("carol"), world.session("admin")];
});

let counter = 0;
const uniq = (prefix = "r") => `${prefix}${++counter}-${crypto.randomUUID().slice(0, 6)}`;

/** POST /api/v1/repository as `c`, expecting 201. Returns the full name. */
async function create(c: V1Client, repository: string, opts: { namespace?: string; visibility?: "public" | "private"; description?: string } = {}): Promise<string> {
  const res = await c.post("/api/v1/repository", {
    repository,
    visibility: opts.visibility ?? "private",
    description: opts.description ?? "",
    ...(opts.namespace ? { namespace: opts.namespace } : {}),
  });
  const body = await expectJson(res, 201);
  return `${body.namespace}/${body.name}`;
}

async function grant(repo: string, user: string, role: "read" | "write" | "admin"): Promise<void> {
  await stores.permissions.set((await stores.repositories.find(repo))!.id, { userId: users[user]!.id }, role);
}

const repoPath = (name: string) => `/api/v1/repository/${name}`;

describe("POST /api/v1/repository", () => {
  test("in the caller's own namespace: 201 {namespace, name, kind}", async () => {
    const name = uniq("own");
    const res = await alice.post("/api/v1/repository", { repository: name, visibility: "private", description: "first *repo*" });
    expect(await expectJson(res, 201)).toEqual({ namespace: "alice", name, kind: "image" });
    const view = await expectJson(await alice.get(repoPath(`alice/${name}`)), 200);
    expect(view).toMatchObject({ namespace: "alice", name, description: "first *repo*", is_public: false, is_organization: false, can_write: true, can_admin: true });
    // The explicit namespace gives the same.
    const other = uniq("own");
    expect(await expectJson(await alice.post("/api/v1/repository", { repository: other, namespace: "alice", visibility: "public", description: "", repo_kind: "image" }), 201)).toEqual({
      namespace: "alice",
      name: other,
      kind: "image",
    });
    expect((await stores.repositories.find(`alice/${other}`))?.visibility).toBe("public");
  });

  test("in an organization where the caller sits in a creator team; the creator gets admin", async () => {
    const name = uniq("org");
    const res = await alice.post("/api/v1/repository", { repository: name, namespace: "acme", visibility: "private", description: "org repo" });
    expect(await expectJson(res, 201)).toEqual({ namespace: "acme", name, kind: "image" });
    const view = await expectJson(await alice.get(repoPath(`acme/${name}`)), 200);
    expect(view).toMatchObject({ namespace: "acme", name, is_organization: true, can_write: true, can_admin: true });
    // The org's owners (admin team) see it too; a member-team user does not.
    expect((await expectJson(await admin.get(repoPath(`acme/${name}`)), 200)).can_admin).toBe(true);
    await expectProblem(await carol.get(repoPath(`acme/${name}`)), 403, "insufficient_scope");
  });

  test("a member team is not enough to create in the organization", async () => {
    const res = await carol.post("/api/v1/repository", { repository: uniq(), namespace: "acme", visibility: "private", description: "" });
    await expectProblem(res, 403, "insufficient_scope", "Unauthorized");
  });

  test("an extended name with slashes", async () => {
    const name = `${uniq("group")}/sub/leaf`;
    expect(await expectJson(await alice.post("/api/v1/repository", { repository: name, visibility: "private", description: "" }), 201)).toEqual({
      namespace: "alice",
      name,
      kind: "image",
    });
    expect((await expectJson(await alice.get(repoPath(`alice/${name}`)), 200)).name).toBe(name);
  });

  test("a duplicate: 400 Repository already exists", async () => {
    const name = uniq("dup");
    await create(alice, name);
    await expectProblem(await alice.post("/api/v1/repository", { repository: name, visibility: "private", description: "" }), 400, "invalid_request", "Repository already exists");
  });

  test("someone else's namespace: 403, whether or not the repository exists", async () => {
    const existing = uniq("taken");
    await create(alice, existing);
    for (const repository of [uniq("new"), existing]) {
      await expectProblem(await bob.post("/api/v1/repository", { repository, namespace: "alice", visibility: "private", description: "" }), 403, "insufficient_scope", "Unauthorized");
    }
    // An organization the caller is not in, and a namespace nobody holds.
    await expectProblem(await bob.post("/api/v1/repository", { repository: uniq(), namespace: "acme", visibility: "private", description: "" }), 403, "insufficient_scope");
    await expectProblem(await bob.post("/api/v1/repository", { repository: uniq(), namespace: "nobody-here", visibility: "private", description: "" }), 403, "insufficient_scope");
    expect(await stores.orgs.namespace("nobody-here")).toBeUndefined();
  });

  test("invalid names: 400", async () => {
    for (const repository of ["UPPER", "-dash", "a//b", "trailing/", ".dot", "sp ace", "x".repeat(300)]) {
      const res = await alice.post("/api/v1/repository", { repository, visibility: "private", description: "" });
      const body = await expectProblem(res, 400, "invalid_request");
      expect({ repository, detail: body.detail }).toEqual({ repository, detail: "Invalid repository name" });
    }
    // The empty name fails the schema, naming the field.
    const body = await expectProblem(await alice.post("/api/v1/repository", { repository: "", visibility: "private", description: "" }), 400, "invalid_request", /^repository/);
    expect(body.field).toBe("repository");
  });

  test("a body without description, or with a bad visibility: 400 naming the field", async () => {
    const missing = await expectProblem(await alice.post("/api/v1/repository", { repository: uniq(), visibility: "private" }), 400, "invalid_request", /^description/);
    expect(missing.field).toBe("description");
    const bad = await expectProblem(await alice.post("/api/v1/repository", { repository: uniq(), visibility: "secret", description: "" }), 400, "invalid_request", /^visibility/);
    expect(bad.field).toBe("visibility");
    await expectProblem(await alice.fetch("/api/v1/repository", { method: "POST", body: "not json", headers: { "Content-Type": "application/json" } }), 400, "invalid_request");
  });

  test("anonymous: 401", async () => {
    const name = uniq("anon");
    await expectProblem(await anon.post("/api/v1/repository", { repository: name, namespace: "alice", visibility: "public", description: "" }), 401, "invalid_token", "Requires authentication");
    expect((await stores.repositories.find(`alice/${name}`))).toBeUndefined();
  });

  test("without the CSRF token: 403, nothing created", async () => {
    const name = uniq("csrf");
    await expectCsrfError(await alice.post("/api/v1/repository", { repository: name, visibility: "private", description: "" }, { csrf: false }));
    await expectCsrfError(await alice.post("/api/v1/repository", { repository: name, visibility: "private", description: "" }, { csrf: bob.csrfToken! }));
    expect((await stores.repositories.find(`alice/${name}`))).toBeUndefined();
  });
});

describe("GET /api/v1/repository", () => {
  test("needs one of namespace, public or starred", async () => {
    await expectProblem(await alice.get("/api/v1/repository"), 400, "invalid_request");
    await expectProblem(await anon.get("/api/v1/repository?last_modified=true"), 400, "invalid_request");
  });

  test("namespace= lists only the repositories the caller can read", async () => {
    const ns = "carol"; // a namespace of its own, so the listing is exact
    const priv = await create(carol, uniq("priv"), { description: "hidden" });
    const pub = await create(carol, uniq("pub"), { visibility: "public", description: "shown" });
    const shared = await create(carol, uniq("shared"));
    await grant(shared, "bob", "read");
    const names = async (c: V1Client) =>
      ((await expectJson(await c.get(`/api/v1/repository?namespace=${ns}`), 200)).repositories as { namespace: string; name: string }[]).map((r) => `${r.namespace}/${r.name}`);

    expect((await names(carol)).sort()).toEqual([priv, pub, shared].sort());
    const seenByBob = await names(bob);
    expect(seenByBob).toContain(shared);
    expect(seenByBob).not.toContain(priv);
    expect(await names(anon)).not.toContain(priv);
    expect(await names(anon)).not.toContain(shared);
    // Others' public repositories need public=true (Quay lists only granted ones otherwise).
    expect(seenByBob).not.toContain(pub);
    expect(await names(anon)).toEqual([]);
    const withPublic = (await expectJson(await bob.get(`/api/v1/repository?namespace=${ns}&public=true`), 200)).repositories.map(
      (r: { namespace: string; name: string }) => `${r.namespace}/${r.name}`,
    );
    expect(withPublic.sort()).toEqual([pub, shared].sort());

    const body = await expectJson(await carol.get(`/api/v1/repository?namespace=${ns}`), 200);
    expect(body.next_page).toBeUndefined();
    const row = (await body.repositories.find((r: { name: string }) => `carol/${r.name}` === priv));
    expect(row).toEqual({
      namespace: "carol",
      name: priv.slice("carol/".length),
      description: "hidden",
      is_public: false,
      kind: "image",
      state: "NORMAL",
      is_starred: false,
      // Nothing pushed, no quota on the namespace (Quay's add_quota_view).
      quota_report: { quota_bytes: 0, configured_quota: null },
    });
  });

  test("last_modified and popularity only when asked; popularity counts pushes and pulls", async () => {
    const repo = await create(alice, uniq("pop"));
    const image = await registry.pushImage(repo, "v1");
    for (let i = 0; i < 3; i++) {
      const res = await registry.fetch(`/v2/${repo}/manifests/v1`, { headers: { Accept: image.mediaType } });
      expect(res.status).toBe(200);
      await res.arrayBuffer();
    }
    const rowOf = async (query: string) =>
      (await expectJson(await alice.get(`/api/v1/repository?namespace=alice${query}`), 200)).repositories.find((r: any) => `alice/${r.name}` === repo);
    const plain = await rowOf("");
    expect(plain.last_modified).toBeUndefined();
    expect(plain.popularity).toBeUndefined();
    const rich = await rowOf("&last_modified=true&popularity=true");
    expect(Math.abs(rich.last_modified - Date.now() / 1000)).toBeLessThan(60);
    expect(rich.popularity).toBe(4); // one push, three pulls
    // The repository view's stats: per day, as Quay's includeStats.
    const view = await expectJson(await alice.get(`/api/v1/repository/${repo}?includeStats=true`), 200);
    expect(view.stats).toEqual([{ date: new Date().toISOString().slice(0, 10), count: 4 }]);
    expect((await expectJson(await alice.get(`/api/v1/repository/${repo}`), 200)).stats).toBeUndefined();
  });

  test("public=true lists public repositories to anonymous callers, never private ones", async () => {
    const pub = await create(alice, uniq("pub"), { visibility: "public", description: "open" });
    const priv = await create(alice, uniq("priv"));
    const body = await expectJson(await new V1Client(server.url).get("/api/v1/repository?public=true"), 200);
    const names = body.repositories.map((r: { namespace: string; name: string }) => `${r.namespace}/${r.name}`);
    expect(names).toContain(pub);
    expect(names).not.toContain(priv);
    for (const r of body.repositories) expect(r.is_public).toBe(true);
    const row = (await body.repositories.find((r: { namespace: string; name: string }) => `${r.namespace}/${r.name}` === pub));
    expect(row.is_starred).toBeUndefined(); // only for signed-in callers
    expect(row.description).toBe("open");
    // Signed in, public=true adds the public ones to the caller's own.
    const bobs = (await expectJson(await bob.get("/api/v1/repository?public=true"), 200)).repositories.map(
      (r: { namespace: string; name: string }) => `${r.namespace}/${r.name}`,
    );
    expect(bobs).toContain(pub);
    expect(bobs).not.toContain(priv);
  });

  test("booleans as Python clients send them (True, 1) count; False and 0 do not", async () => {
    const pub = await create(alice, uniq("pub"), { visibility: "public" });
    await registry.pushImage(pub, "v1");
    const listed = async (query: string) => {
      const res = await new V1Client(server.url).get(`/api/v1/repository?${query}`);
      if (res.status === 400) return "refused";
      return (await expectJson(res, 200)).repositories.find((r: any) => `${r.namespace}/${r.name}` === pub);
    };
    expect(await listed("public=True&last_modified=True&popularity=1")).toMatchObject({ last_modified: expect.any(Number), popularity: 1 });
    const plain = await listed("public=1&last_modified=False&popularity=0");
    expect(plain).toBeDefined();
    expect(plain.last_modified).toBeUndefined();
    expect(plain.popularity).toBeUndefined();
    // public=False is no request for public repositories: one of the three is still missing.
    expect(await listed("public=False")).toBe("refused");
    const view = await expectJson(await alice.get(`/api/v1/repository/${pub}?includeStats=True&includeTags=False`), 200);
    expect(view.stats).toEqual([expect.objectContaining({ count: 1 })]);
    expect(view.tags).toBeUndefined();
  });

  test("starred: star, list (also as starred=true), is_starred, unstar; only readable repositories", async () => {
    const name = uniq("star");
    const mine = await create(alice, name, { description: "starred" });
    const theirs = await create(bob, uniq("private"));
    expect(await expectJson(await alice.post("/api/v1/user/starred", { namespace: "alice", repository: name }), 201)).toEqual({ namespace: "alice", repository: name });
    const listed = await expectJson(await alice.get("/api/v1/user/starred"), 200);
    expect(listed.repositories).toContainEqual({ namespace: "alice", name, description: "starred", is_public: false });
    const viaList = (await expectJson(await alice.get("/api/v1/repository?starred=true"), 200)).repositories;
    expect(viaList.map((r: any) => `${r.namespace}/${r.name}`)).toContain(mine);
    expect(viaList.every((r: any) => r.is_starred === true)).toBe(true);
    expect((await expectJson(await alice.get(repoPath(mine)), 200)).is_starred).toBe(true);
    expect((await expectJson(await bob.get(repoPath(theirs)), 200)).is_starred).toBe(false);
    // Someone else's private repository cannot be starred (and does not leak).
    await expectProblem(await alice.post("/api/v1/user/starred", { namespace: "bob", repository: theirs.slice(4) }), 403, "insufficient_scope");
    // A shared repository starred, then access lost: no longer listed.
    await stores.permissions.set((await stores.repositories.find(theirs))!.id, { userId: users.alice!.id }, "read");
    await expectJson(await alice.post("/api/v1/user/starred", { namespace: "bob", repository: theirs.slice(4) }), 201);
    expect((await expectJson(await alice.get("/api/v1/user/starred"), 200)).repositories.map((r: any) => r.name)).toContain(theirs.slice(4));
    await stores.permissions.remove((await stores.repositories.find(theirs))!.id, { userId: users.alice!.id });
    expect((await expectJson(await alice.get("/api/v1/user/starred"), 200)).repositories.map((r: any) => r.name)).not.toContain(theirs.slice(4));
    // Unstar (a name with slashes works too); a second time is 404.
    expect((await alice.delete(`/api/v1/user/starred/${mine}`)).status).toBe(204);
    await expectProblem(await alice.delete(`/api/v1/user/starred/${mine}`), 404, "not_found");
    expect((await expectJson(await alice.get(repoPath(mine)), 200)).is_starred).toBe(false);
  });

  test("starred: anonymous refused (400 for starred=true, 401 for /user/starred), bad body 400, CSRF", async () => {
    await expectProblem(await anon.get("/api/v1/repository?starred=true"), 400, "invalid_request");
    await expectProblem(await anon.get("/api/v1/user/starred"), 401, "invalid_token");
    expect((await expectProblem(await alice.post("/api/v1/user/starred", { namespace: "alice" }), 400, "invalid_request")).field).toBe("repository");
    await expectCsrfError(await alice.post("/api/v1/user/starred", { namespace: "alice", repository: "x" }, { csrf: false }));
  });

  test("pages of 100 with next_page", async () => {
    const pager = await signedIn(server.url, "pager", PASSWORDS.pager);
    const all: string[] = [];
    for (let i = 0; i < 230; i++) all.push((await stores.repositories.ensure(`pager/repo-${String(i).padStart(3, "0")}`)).fullName);
    // Someone else's repositories, listed before and after pager's, stay out.
    await stores.repositories.ensure("pagea/x");
    await stores.repositories.ensure("pagez/x");

    const seen: string[] = [];
    const pageSizes: number[] = [];
    let next: string | undefined;
    for (let guard = 0; guard < 10; guard++) {
      const res = await pager.get(`/api/v1/repository?namespace=pager${next ? `&next_page=${encodeURIComponent(next)}` : ""}`);
      const body = await expectJson(res, 200);
      pageSizes.push(body.repositories.length);
      seen.push(...body.repositories.map((r: { namespace: string; name: string }) => `${r.namespace}/${r.name}`));
      next = body.next_page;
      if (next === undefined) break;
      expect(typeof next).toBe("string");
    }
    expect(pageSizes).toEqual([100, 100, 30]);
    expect(new Set(seen).size).toBe(230);
    expect(seen.sort()).toEqual(all.sort());
    // Another user sees none of them, and gets no next_page.
    const bobs = await expectJson(await bob.get("/api/v1/repository?namespace=pager"), 200);
    expect(bobs).toEqual({ repositories: [] });
  });
});

describe("GET /api/v1/repository/<ns>/<name>", () => {
  test("the repository view with the tags pushed through /v2", async () => {
    const repo = await create(alice, uniq("tagged"), { description: "has tags" });
    const latest = await registry.pushImage(repo, "latest");
    const v1 = await registry.pushImage(repo, "v1");
    await registry.pushImage(repo); // untagged: not listed

    const view = await expectJson(await alice.get(repoPath(repo)), 200);
    expect(view).toMatchObject({
      namespace: "alice",
      name: repo.slice("alice/".length),
      kind: "image",
      description: "has tags",
      is_public: false,
      is_organization: false,
      is_starred: false,
      status_token: "",
      trust_enabled: false,
      tag_expiration_s: expect.any(Number),
      is_free_account: true,
      state: "NORMAL",
      can_write: true,
      can_admin: true,
    });
    expect(Object.keys(view.tags).sort()).toEqual(["latest", "v1"]);
    expect(view.tags.latest).toMatchObject({ name: "latest", manifest_digest: latest.digest, size: expect.any(Number) });
    expect(view.tags.v1).toMatchObject({ name: "v1", manifest_digest: v1.digest });

    const noTags = await expectJson(await alice.get(`${repoPath(repo)}?includeTags=false`), 200);
    expect(noTags.tags).toBeUndefined();
    expect(noTags.name).toBe(view.name);
  });

  test("can_write and can_admin follow the caller's grant", async () => {
    const repo = await create(alice, uniq("grants"));
    await grant(repo, "bob", "read");
    expect(await expectJson(await bob.get(repoPath(repo)), 200)).toMatchObject({ can_write: false, can_admin: false });
    await grant(repo, "bob", "write");
    expect(await expectJson(await bob.get(repoPath(repo)), 200)).toMatchObject({ can_write: true, can_admin: false });
    await grant(repo, "bob", "admin");
    expect(await expectJson(await bob.get(repoPath(repo)), 200)).toMatchObject({ can_write: true, can_admin: true });
  });

  test("private: 401 anonymous, 403 to another user; a missing one answers the same", async () => {
    const repo = await create(alice, uniq("secret"));
    const missing = `alice/${uniq("missing")}`;
    for (const name of [repo, missing]) {
      await expectProblem(await anon.get(repoPath(name)), 401, "invalid_token", "Requires authentication");
      await expectProblem(await new V1Client(server.url).get(repoPath(name)), 401, "invalid_token");
      await expectProblem(await bob.get(repoPath(name)), 403, "insufficient_scope", "Unauthorized");
    }
  });

  test("missing, to its namespace owner: 404", async () => {
    await expectProblem(await alice.get(repoPath(`alice/${uniq("missing")}`)), 404, "not_found");
    // The org's admins have namespace-wide rights too; creators do not.
    const missing = `acme/${uniq("missing")}`;
    await expectProblem(await admin.get(repoPath(missing)), 404, "not_found");
    await expectProblem(await alice.get(repoPath(missing)), 403, "insufficient_scope");
  });

  test("a path without a repository name: 404", async () => {
    await create(alice, uniq("x"));
    await expectProblem(await alice.get(repoPath("alice")), 404, "not_found");
    await expectProblem(await alice.delete(repoPath("alice")), 404, "not_found");
    // Nor do malformed paths name one.
    await expectProblem(await alice.get(repoPath("alice/%zz")), 404, "not_found");
    await expectProblem(await alice.get(repoPath("/alice/x")), 404, "not_found");
    await expectProblem(await anon.get(repoPath("alice/UPPER")), 404, "not_found");
  });

  test("a repository named like a sub-resource is still itself", async () => {
    const repo = await create(alice, "changevisibility", { description: "odd name" });
    expect(repo).toBe("alice/changevisibility");
    expect((await expectJson(await alice.get(repoPath(repo)), 200)).description).toBe("odd name");
    expect(await expectJson(await alice.put(repoPath(repo), { description: "renamed" }), 200)).toEqual({ success: true });
    expect(await expectJson(await alice.post(`${repoPath(repo)}/changevisibility`, { visibility: "public" }), 200)).toEqual({ success: true });
    expect((await expectJson(await anon.get(repoPath(repo)), 200)).description).toBe("renamed");
    expect((await alice.delete(repoPath(repo))).status).toBe(204);
    expect((await stores.repositories.find(repo))).toBeUndefined();
  });
});

describe("PUT /api/v1/repository/<ns>/<name>", () => {
  test("updates the description; needs write", async () => {
    const repo = await create(alice, uniq("desc"), { description: "old" });
    expect(await expectJson(await alice.put(repoPath(repo), { description: "new **text**" }), 200)).toEqual({ success: true });
    expect((await expectJson(await alice.get(repoPath(repo)), 200)).description).toBe("new **text**");

    // No grant: 403; a read-only grant: 403; anonymous: 401.
    await expectProblem(await bob.put(repoPath(repo), { description: "bob" }), 403, "insufficient_scope");
    await grant(repo, "bob", "read");
    await expectProblem(await bob.put(repoPath(repo), { description: "bob" }), 403, "insufficient_scope");
    await expectProblem(await anon.put(repoPath(repo), { description: "anon" }), 401, "invalid_token");
    expect((await expectJson(await alice.get(repoPath(repo)), 200)).description).toBe("new **text**");

    await grant(repo, "bob", "write");
    expect(await expectJson(await bob.put(repoPath(repo), { description: "by bob" }), 200)).toEqual({ success: true });
    expect((await expectJson(await alice.get(repoPath(repo)), 200)).description).toBe("by bob");
  });

  test("description is required", async () => {
    const repo = await create(alice, uniq("desc"));
    const body = await expectProblem(await alice.put(repoPath(repo), {}), 400, "invalid_request", /^description/);
    expect(body.field).toBe("description");
  });

  test("missing: 404 to the owner, 403 to others", async () => {
    await expectProblem(await alice.put(repoPath(`alice/${uniq("gone")}`), { description: "x" }), 404, "not_found");
    await expectProblem(await bob.put(repoPath(`alice/${uniq("gone")}`), { description: "x" }), 403, "insufficient_scope");
  });
});

describe("POST /api/v1/repository/<ns>/<name>/changevisibility", () => {
  test("needs admin; public repositories are readable anonymously", async () => {
    const repo = await create(alice, uniq("vis"), { description: "flip" });
    await expectProblem(await anon.get(repoPath(repo)), 401, "invalid_token");

    await grant(repo, "bob", "write");
    await expectProblem(await bob.post(`${repoPath(repo)}/changevisibility`, { visibility: "public" }), 403, "insufficient_scope");
    await expectProblem(await anon.post(`${repoPath(repo)}/changevisibility`, { visibility: "public" }), 401, "invalid_token");
    await expectProblem(await anon.get(repoPath(repo)), 401, "invalid_token");

    expect(await expectJson(await alice.post(`${repoPath(repo)}/changevisibility`, { visibility: "public" }), 200)).toEqual({ success: true });
    const view = await expectJson(await new V1Client(server.url).get(repoPath(repo)), 200);
    expect(view).toMatchObject({ name: repo.slice("alice/".length), is_public: true, description: "flip", can_write: false, can_admin: false });
    expect(view.is_starred).toBeUndefined();
    const listed = (await expectJson(await new V1Client(server.url).get("/api/v1/repository?public=true"), 200)).repositories;
    expect(listed.map((r: { namespace: string; name: string }) => `${r.namespace}/${r.name}`)).toContain(repo);
    // Anonymous reads do not extend to writes.
    await expectProblem(await anon.put(repoPath(repo), { description: "anon" }), 401, "invalid_token");

    await grant(repo, "bob", "admin");
    expect(await expectJson(await bob.post(`${repoPath(repo)}/changevisibility`, { visibility: "private" }), 200)).toEqual({ success: true });
    await expectProblem(await anon.get(repoPath(repo)), 401, "invalid_token");
  });

  test("a bad visibility: 400", async () => {
    const repo = await create(alice, uniq("vis"));
    const body = await expectProblem(await alice.post(`${repoPath(repo)}/changevisibility`, { visibility: "everyone" }), 400, "invalid_request", /^visibility/);
    expect(body.field).toBe("visibility");
    expect((await stores.repositories.find(repo))?.visibility).toBe("private");
  });

  test("other POST paths under a repository: 404", async () => {
    const repo = await create(alice, uniq("post"));
    await expectProblem(await alice.post(`${repoPath(repo)}/changestate`, { state: "NORMAL" }), 404, "not_found");
  });
});

describe("DELETE /api/v1/repository/<ns>/<name>", () => {
  test("204, then 404, and /v2 answers NAME_UNKNOWN; the name is reusable", async () => {
    const repo = await create(alice, uniq("del"));
    const image = await registry.pushImage(repo, "latest");
    expect((await registry.fetch(`/v2/${repo}/manifests/latest`)).status).toBe(200);

    const res = await alice.delete(repoPath(repo));
    expect(res.status).toBe(204);
    expect(await res.text()).toBe("");
    await expectProblem(await alice.get(repoPath(repo)), 404, "not_found");
    await expectProblem(await alice.delete(repoPath(repo)), 404, "not_found");
    await expectError(await registry.fetch(`/v2/${repo}/manifests/latest`), 404, "NAME_UNKNOWN");
    await expectError(await registry.fetch(`/v2/${repo}/manifests/${image.digest}`), 404, "NAME_UNKNOWN");
    await expectError(await registry.fetch(`/v2/${repo}/tags/list`), 404, "NAME_UNKNOWN");
    const list = (await expectJson(await alice.get("/api/v1/repository?namespace=alice"), 200)).repositories;
    expect(list.map((r: { name: string }) => `alice/${r.name}`)).not.toContain(repo);

    // The name is free again, and nothing of the old repository comes back with it.
    await create(alice, repo.slice("alice/".length));
    expect((await expectJson(await alice.get(repoPath(repo)), 200)).tags).toEqual({});
    await expectError(await registry.fetch(`/v2/${repo}/manifests/latest`), 404, "MANIFEST_UNKNOWN");
  });

  test("needs admin: 403 with write, 401 anonymous", async () => {
    const repo = await create(alice, uniq("del"), { visibility: "public" });
    await grant(repo, "bob", "write");
    await expectProblem(await bob.delete(repoPath(repo)), 403, "insufficient_scope");
    await expectProblem(await anon.delete(repoPath(repo)), 401, "invalid_token");
    expect((await stores.repositories.find(repo))).toBeDefined();
    // Its grants go with it: a new repository of the same name does not inherit bob's write.
    expect((await alice.delete(repoPath(repo))).status).toBe(204);
    await create(alice, repo.slice("alice/".length));
    await expectProblem(await bob.get(repoPath(repo)), 403, "insufficient_scope");
  });
});

describe("CSRF on repository writes", () => {
  test("every cookie-authenticated write without the token: 403, nothing changes", async () => {
    const repo = await create(alice, uniq("csrf"), { description: "kept" });
    const writes: [string, (init: { csrf: boolean | string }) => Promise<Response>][] = [
      ["create", (init) => alice.post("/api/v1/repository", { repository: uniq("csrf"), visibility: "private", description: "" }, init)],
      ["update", (init) => alice.put(repoPath(repo), { description: "changed" }, init)],
      ["changevisibility", (init) => alice.post(`${repoPath(repo)}/changevisibility`, { visibility: "public" }, init)],
      ["delete", (init) => alice.delete(repoPath(repo), init)],
    ];
    for (const [what, run] of writes) {
      for (const csrf of [false, "", "not-the-token", bob.csrfToken!]) {
        const res = await run({ csrf });
        expect({ what, csrf, status: res.status }).toEqual({ what, csrf, status: 403 });
        expect(await res.json()).toEqual({ error: "CSRF token was invalid or missing." });
      }
    }
    const view = await expectJson(await alice.get(repoPath(repo)), 200);
    expect(view).toMatchObject({ description: "kept", is_public: false });
    expect((await stores.repositories.list(undefined, undefined, (n) => n.startsWith("alice/csrf"))).length).toBe(1);
  });
});
