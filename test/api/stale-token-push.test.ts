// Issue 8 item 10: a registry token outlives what it was issued for (an hour). A push with a
// token issued before its organization or user was deleted re-created the namespace as an
// orphan nobody could see or re-create. A push creates a repository only inside a namespace
// that exists when the write happens, and only while the caller may still create there.
import { beforeAll, describe, expect, test } from "bun:test";
import type { Stores } from "../../src/store";
import { BearerRegistryClient, expectError, MT, randomBytes, registryToken, digestOf } from "../support/registryClient";
import { resetLoginThrottles, type TestServer } from "../support/server";
import { expectJson, V1Client } from "../support/v1Client";
import { worldForFile } from "../support/world";

const ADMIN_PASSWORD = "admin-Secret-1";
const PASSWORDS = { alice: "alice-Secret-1", bob: "bob-Secret-1", carol: "carol-Secret-1" } as const;

const world = worldForFile({ config: { auth: "token" }, server: { adminPassword: ADMIN_PASSWORD }, users: PASSWORDS, sessions: ["admin", "alice"] });
let server: TestServer;
let stores: Stores;
let admin: V1Client;
let alice: V1Client;
beforeAll(() => {
  ({ server, stores } = world);
  [admin, alice] = [world.session("admin"), world.session("alice")];
});

const pushToken = async (creds: readonly [string, string], repo: string) => {
  await resetLoginThrottles(server);
  return registryToken(server.url, creds, `repository:${repo}:pull,push`);
};

/** The two writes that may create a repository: an upload start and a manifest PUT (an empty index needs no blobs). */
async function expectPushRefused(token: string, repo: string, status: number, code: string): Promise<void> {
  const client = new BearerRegistryClient(server.url, token);
  const blob = randomBytes(32);
  const upload = await client.fetch(`/v2/${repo}/blobs/uploads/?digest=${digestOf(blob)}`, { method: "POST", body: blob });
  await expectError(upload, status, code);
  const { res } = await client.putManifest(repo, "v1", { schemaVersion: 2, mediaType: MT.ociIndex, manifests: [] });
  await expectError(res, status, code);
}

describe("a token issued before its namespace was deleted", () => {
  test("organization: the push is refused, the namespace stays gone and can be created again", async () => {
    await expectJson(await alice.post("/api/v1/organization/", { name: "acme", email: "acme@example.com" }), 201);
    const token = await pushToken(["alice", PASSWORDS.alice], "acme/app");
    expect((await stores.repositories.find("acme/app"))).toBeDefined();
    expect((await alice.delete("/api/v1/organization/acme")).status).toBe(204);

    await expectPushRefused(token, "acme/app", 404, "NAME_UNKNOWN");
    expect(await stores.orgs.namespace("acme")).toBeUndefined();
    expect(await stores.repositories.find("acme/app")).toBeUndefined();
    await expectJson(await alice.post("/api/v1/organization/", { name: "acme", email: "acme@example.com" }), 201);
  });

  test("user: the push is refused and the name can be signed up again", async () => {
    const token = await pushToken(["bob", PASSWORDS.bob], "bob/app");
    expect((await admin.delete("/api/v1/superuser/users/bob")).status).toBe(204);

    await expectPushRefused(token, "bob/app", 403, "DENIED");
    expect(await stores.orgs.namespace("bob")).toBeUndefined();
    const anon = new V1Client(server.url);
    await anon.fetchCsrf();
    await expectJson(await anon.post("/api/v1/user/", { username: "bob", password: "bob-Secret-2", email: "bob2@example.com" }), 200);
  });

  test("a superuser's push that made an organization does not make it again", async () => {
    const token = await pushToken(["admin", ADMIN_PASSWORD], "madebypush/app");
    expect((await stores.orgs.namespace("madebypush"))?.kind).toBe("org");
    expect((await admin.delete("/api/v1/organization/madebypush")).status).toBe(204);

    await expectPushRefused(token, "madebypush/app", 404, "NAME_UNKNOWN");
    expect(await stores.orgs.namespace("madebypush")).toBeUndefined();
  });
});

describe("the right to create is asked when the write happens", () => {
  test("a creator removed from the team cannot re-create a deleted repository; one still in it can", async () => {
    await expectJson(await alice.post("/api/v1/organization/", { name: "corp", email: "corp@example.com" }), 201);
    await expectJson(await alice.put("/api/v1/organization/corp/team/builders", { role: "creator" }), 200);
    await expectJson(await alice.put("/api/v1/organization/corp/team/builders/members/carol", {}), 200);
    const stale = await pushToken(["carol", PASSWORDS.carol], "corp/one");
    const fresh = await pushToken(["carol", PASSWORDS.carol], "corp/two");
    expect((await alice.delete("/api/v1/repository/corp/one")).status).toBe(204);
    expect((await alice.delete("/api/v1/repository/corp/two")).status).toBe(204);

    // Still a creator: the push brings the repository back, carol its admin.
    const client = new BearerRegistryClient(server.url, fresh);
    await client.pushBlob("corp/two", randomBytes(16));
    const two = (await stores.repositories.find("corp/two"));
    expect(two).toBeDefined();
    expect((await stores.permissions.reposGrantedTo({ userId: (await stores.users.byName("carol"))!.id })).map((r) => [r.repository, r.role])).toContainEqual(["corp/two", "admin"]);

    expect((await alice.delete("/api/v1/organization/corp/team/builders/members/carol")).status).toBe(204);
    await expectPushRefused(stale, "corp/one", 403, "DENIED");
    expect((await stores.repositories.find("corp/one"))).toBeUndefined();
  });
});
