// The caller's own account over API v1 (reference quay-api.md §2.1, §1.7): sign-up, PUT and
// DELETE /api/v1/user/ behind fresh login, and POST /api/v1/user/initialize on an empty registry.
import { beforeAll, describe, expect, test } from "bun:test";
import type { Stores } from "../../src/store";
import { registryAuthStatus, RegistryClient } from "../support/registryClient";
import { startTestServer, type TestServer } from "../support/server";
import { ageLogin, expectCsrfError, expectJson, expectProblem, signedIn, V1Client } from "../support/v1Client";
import { worldForFile } from "../support/world";

const world = worldForFile({ config: { auth: "token" }, users: { olga: "olga-Secret-1" } });
let server: TestServer;
let stores: Stores;
beforeAll(() => ({ server, stores } = world));
const ELEVEN_MINUTES = 11 * 60 * 1000;

const uniq = () => `u${crypto.randomUUID().slice(0, 8)}`;
const secret = () => server.server.ctx.cookieSecrets[0]!;

async function signUp(username = uniq(), password = "Signup-Secret-1"): Promise<{ client: V1Client; username: string; password: string }> {
  const client = new V1Client(server.url);
  await client.fetchCsrf();
  const res = await client.post("/api/v1/user/", { username, password, email: `${username}@example.com` });
  const body = await expectJson(res, 200);
  expect(body.username).toBe(username);
  return { client, username, password };
}

/** A /v2/auth token for the user (proves the password works at the registry). */
async function registryLogin(user: string, password: string): Promise<number> {
  return registryAuthStatus(server.url, [user, password], `repository:${user}/app:pull,push`);
}

describe("POST /api/v1/user/ (sign-up)", () => {
  test("creates the account, signs in with a new CSRF token, and the password works at /v2/auth", async () => {
    const client = new V1Client(server.url);
    const anonymousToken = await client.fetchCsrf();
    const username = uniq();
    const res = await client.post("/api/v1/user/", { username, password: "Signup-Secret-1", email: `${username}@example.com` });
    const body = await expectJson(res, 200);
    expect(body).toMatchObject({ anonymous: false, username, email: `${username}@example.com`, is_me: true });
    expect(res.headers.get("x-next-csrf-token")).not.toBe(anonymousToken);
    expect((await expectJson(await client.get("/api/v1/user/"), 200)).username).toBe(username);
    expect(await registryLogin(username, "Signup-Secret-1")).toBe(200);
  });

  test("needs the CSRF token even though the caller is anonymous", async () => {
    const client = new V1Client(server.url);
    await client.fetchCsrf();
    await expectCsrfError(await client.post("/api/v1/user/", { username: uniq(), password: "Signup-Secret-1" }, { csrf: false }));
  });

  test("400 naming the field: taken name, an org's name, short password, bad email, bad name, missing body", async () => {
    const { username } = await signUp();
    const client = new V1Client(server.url);
    await client.fetchCsrf();
    const cases: [unknown, string][] = [
      [{ username, password: "Signup-Secret-1" }, "username"],
      [{ username: "olga", password: "Signup-Secret-1" }, "username"],
      [{ username: uniq(), password: "short" }, "password"],
      [{ username: uniq(), password: "has white space" }, "password"],
      [{ username: uniq(), password: "Signup-Secret-1", email: "not-an-address" }, "email"],
      [{ username: "Bad Name", password: "Signup-Secret-1" }, "username"],
      [{ password: "Signup-Secret-1" }, "username"],
    ];
    for (const [body, field] of cases) {
      const problem = await expectProblem(await client.post("/api/v1/user/", body), 400, "invalid_request");
      expect(problem.field).toBe(field);
    }
    expect(await stores.users.byName("Bad Name")).toBeUndefined();
  });

  test("with userCreation off: refused", async () => {
    const closed = await startTestServer({ auth: "token", userCreation: "false" });
    try {
      const client = new V1Client(closed.url);
      await client.fetchCsrf();
      const res = await client.post("/api/v1/user/", { username: uniq(), password: "Signup-Secret-1" });
      expect(res.status).toBe(403);
      expect(((await res.json()) as any).message).toContain("User creation is disabled");
    } finally {
      await closed.stop();
    }
  });
});

describe("PUT /api/v1/user/", () => {
  test("changes profile fields, email and tag expiration; shows them in the user view", async () => {
    const { client } = await signUp();
    const body = await expectJson(
      await client.put("/api/v1/user/", { given_name: "Ada", family_name: "L", company: "Berth", location: "Air gap", email: "ada@example.org", tag_expiration_s: 604800 }),
      200,
    );
    expect(body).toMatchObject({ given_name: "Ada", family_name: "L", company: "Berth", location: "Air gap", email: "ada@example.org", tag_expiration_s: 604800 });
    expect((await expectJson(await client.get("/api/v1/user/"), 200)).company).toBe("Berth");
  });

  test("a new password ends other sessions and keeps this one, with a new CSRF token", async () => {
    const { client, username, password } = await signUp();
    const other = await signedIn(server.url, username, password);
    const res = await client.put("/api/v1/user/", { password: "Changed-Secret-2" });
    expect(res.status).toBe(200);
    expect(res.headers.get("x-next-csrf-token")).toMatch(/^[A-Za-z0-9_-]{64}$/);
    expect((await expectJson(await client.get("/api/v1/user/"), 200)).username).toBe(username);
    await expectProblem(await other.get("/api/v1/user/"), 401, "invalid_token");
    expect(await registryLogin(username, password)).toBe(401);
    expect(await registryLogin(username, "Changed-Secret-2")).toBe(200);
  });

  test("fresh login: an old login gets 401 fresh_login_required until /signin/verify", async () => {
    const { client, password } = await signUp();
    await ageLogin(client, secret(), ELEVEN_MINUTES);
    await expectProblem(await client.put("/api/v1/user/", { company: "x" }), 401, "fresh_login_required", "Requires fresh login");
    await expectProblem(await client.delete("/api/v1/user/"), 401, "fresh_login_required");
    await expectJson(await client.post("/api/v1/signin/verify", { password }), 200);
    expect((await expectJson(await client.put("/api/v1/user/", { company: "x" }), 200)).company).toBe("x");
  });

  test("401 anonymous, 400 for a bad expiration option or password, CSRF refused", async () => {
    const anon = new V1Client(server.url);
    await anon.fetchCsrf();
    await expectProblem(await anon.put("/api/v1/user/", { company: "x" }), 401, "invalid_token");
    const { client } = await signUp();
    expect((await expectProblem(await client.put("/api/v1/user/", { tag_expiration_s: 5 }), 400, "invalid_request")).field).toBe("tag_expiration_s");
    expect((await expectProblem(await client.put("/api/v1/user/", { password: "short" }), 400, "invalid_request")).field).toBe("password");
    expect((await expectProblem(await client.put("/api/v1/user/", { company: 7 }), 400, "invalid_request")).field).toBe("company");
    await expectCsrfError(await client.put("/api/v1/user/", { company: "x" }, { csrf: false }));
  });
});

describe("DELETE /api/v1/user/", () => {
  test("removes the account, its repositories and its logins", async () => {
    const { client, username, password } = await signUp();
    await expectJson(await client.post("/api/v1/repository", { repository: "app", visibility: "public", description: "" }), 201);
    const res = await client.delete("/api/v1/user/");
    expect(res.status).toBe(204);
    expect(await stores.users.byName(username)).toBeUndefined();
    expect(await stores.repositories.find(`${username}/app`)).toBeUndefined();
    expect(await registryLogin(username, password)).toBe(401);
    const anon = await new RegistryClient(server.url).fetch(`/v2/${username}/app/tags/list`);
    expect(anon.status).toBe(401);
    await expectProblem(await client.get("/api/v1/user/"), 401, "invalid_token");
  });

  test("refused while the user is an organization's only admin", async () => {
    const { client, username } = await signUp();
    const org = `org${uniq()}`;
    await expectJson(await client.post("/api/v1/organization/", { name: org }), 201);
    const body = await expectProblem(await client.delete("/api/v1/user/"), 400, "invalid_request");
    expect(body.detail).toContain(org);
    expect(await stores.users.byName(username)).toBeDefined();
  });
});

describe("POST /api/v1/user/initialize", () => {
  test("off by default: 400 with Quay's message", async () => {
    const res = await fetch(`${server.url}/api/v1/user/initialize`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ username: "first", password: "First-Secret-1" }),
    });
    expect(res.status).toBe(400);
    expect(((await res.json()) as any).message).toBe("Cannot initialize user, FEATURE_USER_INITIALIZE is False");
  });

  test("on an empty registry: creates the first user (no CSRF), signs in, and an all-scopes token works", async () => {
    const fresh = await startTestServer({ auth: "token", userInitialize: "true" });
    try {
      expect(await fresh.server.ctx.stores.users.any()).toBe(false); // no bootstrap admin
      const post = (body: unknown) =>
        fetch(`${fresh.url}/api/v1/user/initialize`, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });
      const bad = await post({ username: "admin", password: "short" });
      expect(bad.status).toBe(400);
      expect(((await bad.json()) as any).message).toContain("Password");
      const res = await post({ username: "admin", password: "Admin-Secret-1", email: "admin@example.com", access_token: true });
      const body = await expectJson(res, 200);
      expect(body).toMatchObject({ username: "admin", email: "admin@example.com" });
      expect(body.access_token).toMatch(/^[A-Za-z0-9]{40}$/);
      const me = await expectJson(await fetch(`${fresh.url}/api/v1/user/`, { headers: { Authorization: `Bearer ${body.access_token}` } }), 200);
      expect(me).toMatchObject({ username: "admin", super_user: true });
      const again = await post({ username: "second", password: "Second-Secret-1" });
      expect(again.status).toBe(400);
      expect(((await again.json()) as any).message).toBe("Cannot initialize user in a non-empty database");
    } finally {
      await fresh.stop();
    }
  });
});
