// `docker login -u '$oauthtoken' -p <OAuth access token>`, as Quay accepts it: /v2/auth takes the
// token as the password, and the token's scopes cap what the registry token grants (Quay's
// SCOPE_MAX_REPO_ROLES): repo:read → pull, repo:write → push, repo:admin → "*"; pushing a new
// repository needs repo:create; superuser powers need super:user; without repo scopes only
// public repositories can be pulled, as by anyone. Tokens are minted the way
// `berth token create` does (tokenCreate).
import { beforeAll, describe, expect, test } from "bun:test";
import { userSetEnabled } from "../../src/cli/accounts";
import { tokenCreate } from "../../src/cli/tokens";
import type { Stores } from "../../src/store";
import { resetLoginThrottles, setRepoVisibility, type TestServer } from "../support/server";
import { BearerRegistryClient, registryAuth, registryToken } from "../support/registryClient";
import { findOAuthToken, issueOAuthToken } from "../../src/auth/oauthTokenCode";
import { worldForFile } from "../support/world";

const ADMIN_PASSWORD = "admin-Secret-1";
const PASSWORDS = { alice: "alice-Secret-1", bob: "bob-Secret-1" } as const;
const OAUTH = "$oauthtoken";

const world = worldForFile({ config: { auth: "token" }, server: { adminPassword: ADMIN_PASSWORD }, users: PASSWORDS });
let server: TestServer;
let stores: Stores;
beforeAll(async () => {
  ({ server, stores } = world);
  // alice/app and bob/private (private), bob/public (public), each with an image tagged v1.
  for (const [user, repo] of [["alice", "alice/app"], ["bob", "bob/private"], ["bob", "bob/public"]] as const) {
    const token = await registryToken(server.url, [user, PASSWORDS[user]], `repository:${repo}:pull,push`);
    await new BearerRegistryClient(server.url, token).pushImage(repo, "v1");
  }
  await setRepoVisibility(server, "bob/public", "public");
});

async function mint(user: string, scopes: string): Promise<string> {
  return tokenCreate(stores, { user, scopes });
}

/** The actions /v2/auth grants a `$oauthtoken` login on `repo`. */
async function granted(oauthToken: string, repo: string, actions = "pull,push"): Promise<string[]> {
  const jwt = await registryToken(server.url, [OAUTH, oauthToken], `repository:${repo}:${actions}`);
  const claims = JSON.parse(Buffer.from(jwt.split(".")[1]!, "base64url").toString()) as { access: { actions: string[] }[] };
  return claims.access[0]!.actions;
}

describe("$oauthtoken at /v2/auth", () => {
  test.each<[string, string, string, string, string[]]>([
    ["repo:read pulls, never pushes", "alice", "repo:read", "alice/app", ["pull"]],
    ["repo:write pushes", "alice", "repo:write", "alice/app", ["pull", "push"]],
    ["repo:admin pushes", "alice", "repo:admin", "alice/app", ["pull", "push"]],
    ["no repo scope: nothing on a private repository", "alice", "user:read", "alice/app", []],
    ["no repo scope: public repositories pull, as for anyone", "alice", "user:read", "bob/public", ["pull"]],
    ["repo:write does not reach other people's repositories", "alice", "repo:write", "bob/private", []],
    // (pull on a missing repository of one's own namespace is granted, as without a token scope)
    ["repo:write alone cannot create a repository", "alice", "repo:write", "alice/new-by-push", ["pull"]],
    ["repo:read + repo:create still cannot push", "alice", "repo:read repo:create", "alice/new-by-push-2", ["pull"]],
    ["a superuser's token without super:user is an ordinary user's", "admin", "repo:admin", "bob/private", []],
    ["with super:user the superuser's powers apply, capped by the repo scope", "admin", "repo:read super:user", "bob/private", ["pull"]],
  ])("%s", async (_name, user, scopes, repo, actions) => {
    expect(await granted(await mint(user, scopes), repo)).toEqual(actions);
  });

  test.each<[string, string[]]>([
    ["repo:write", []],
    ["repo:admin", ["*"]],
  ])("%s asks for * → %j", async (scopes, actions) => {
    expect(await granted(await mint("alice", scopes), "alice/app", "*")).toEqual(actions);
  });

  test("repo:write + repo:create pushes a new repository", async () => {
    expect(await granted(await mint("alice", "repo:write repo:create"), "alice/created-by-oauth")).toEqual(["pull", "push"]);
    expect((await stores.repositories.find("alice/created-by-oauth"))).toBeDefined();
    expect((await stores.repositories.find("alice/new-by-push"))).toBeUndefined();
  });

  test("the registry token names the OAuth token it came from (Quay's context)", async () => {
    const oauthToken = await mint("alice", "repo:read");
    const info = (await findOAuthToken(stores.oauth.tokens, oauthToken))!;
    const jwt = await registryToken(server.url, [OAUTH, oauthToken], "repository:alice/app:pull");
    const claims = JSON.parse(Buffer.from(jwt.split(".")[1]!, "base64url").toString());
    expect(claims.sub).toBe("alice");
    expect(claims.context).toMatchObject({ entity_kind: "oauthtoken", entity_reference: info.uuid, kind: "user", user: "alice" });
  });

  test("a wrong, revoked or expired token, or a disabled user's, is refused with 401", async () => {
    const status = async (t: string) => (await registryAuth(server.url, [OAUTH, t], "repository:alice/app:pull")).status;
    expect(await status("not-a-token")).toBe(401);
    const revoked = await mint("alice", "repo:read");
    expect(await status(revoked)).toBe(200);
    await stores.oauth.tokens.revoke((await findOAuthToken(stores.oauth.tokens, revoked))!.uuid);
    expect(await status(revoked)).toBe(401); // at once: OAuth logins are not cached
    const alice = (await stores.users.byName("alice"))!;
    const expiring = (await issueOAuthToken(stores.oauth.tokens, { userId: alice.id, scopes: ["repo:read"], lifetimeMs: 1 })).token;
    await Bun.sleep(5);
    expect(await status(expiring)).toBe(401);
    const bobs = await mint("bob", "repo:read");
    await userSetEnabled(stores, "bob", false);
    try {
      expect(await status(bobs)).toBe(401);
    } finally {
      await userSetEnabled(stores, "bob", true);
    }
    await resetLoginThrottles(server);
  });
});

describe("$oauthtoken on /v2 with the registry token", () => {
  test("a repo:read token pulls but cannot push", async () => {
    const jwt = await registryToken(server.url, [OAUTH, await mint("alice", "repo:read")], "repository:alice/app:pull,push");
    const client = new BearerRegistryClient(server.url, jwt);
    expect((await client.fetch("/v2/alice/app/manifests/v1", { headers: { Accept: "application/vnd.oci.image.manifest.v1+json" } })).status).toBe(200);
    const upload = await client.fetch("/v2/alice/app/blobs/uploads/", { method: "POST" });
    expect(upload.status).toBe(401);
    await upload.arrayBuffer();
  });

  test("a repo:write token pushes an image that then pulls", async () => {
    const jwt = await registryToken(server.url, [OAUTH, await mint("alice", "repo:write")], "repository:alice/app:pull,push");
    const client = new BearerRegistryClient(server.url, jwt);
    const image = await client.pushImage("alice/app", "v2");
    const res = await client.fetch("/v2/alice/app/manifests/v2", { headers: { Accept: image.mediaType } });
    expect(res.status).toBe(200);
    expect(res.headers.get("docker-content-digest")).toBe(image.digest);
    await res.arrayBuffer();
  });

  test("the catalog lists what the token's scopes let it read", async () => {
    const catalog = async (scopes: string) => {
      const jwt = await registryToken(server.url, [OAUTH, await mint("alice", scopes)], "registry:catalog:*");
      const res = await new BearerRegistryClient(server.url, jwt).fetch("/v2/_catalog");
      return ((await res.json()) as { repositories: string[] }).repositories;
    };
    expect(await catalog("repo:read")).toContain("alice/app");
    expect(await catalog("user:read")).not.toContain("alice/app");
  });
});
