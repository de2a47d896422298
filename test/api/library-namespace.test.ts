// Issue 8 item 4: single-component names live in `library` (`docker pull alpine` is
// library/alpine). Anybody could sign up as `library`, push `alpine`, make it public, and every
// anonymous pull of `alpine` served their image. `library` is reserved now: an organization
// owned by the superusers, made at start; no sign-up, org creation, superuser panel, user
// initialize or CLI may take the name. A data directory where someone already holds it is
// contained at start (see src/auth/libraryNamespace.ts).
import { beforeAll, describe, expect, test } from "bun:test";
import { rmSync } from "node:fs";
import { CliError, orgAdd, userAdd } from "../../src/cli/accounts";
import { loadConfig, type Config } from "../../src/config";
import { createLogger } from "../../src/log";
import { startServer, type RunningServer } from "../../src/server";
import { openStores, type Stores } from "../../src/store";
import { SYSTEM_ACTOR } from "../../src/events/registryEvents";
import { registryFor } from "../support/registryFixture";
import { BearerRegistryClient, MT, registryAuth, registryToken } from "../support/registryClient";
import { createUsers, resetLoginThrottles, startTestServer, tempDir, type TestServer } from "../support/server";
import { expectJson, signedIn, V1Client } from "../support/v1Client";
import { worldForFile } from "../support/world";

const ADMIN_PASSWORD = "admin-Secret-1";
const MALLORY_PASSWORD = "mallory-Secret-1";

async function anonymousClient(url: string): Promise<V1Client> {
  const c = new V1Client(url);
  await c.fetchCsrf();
  return c;
}

/** The members of library's owners team, by name. */
async function libraryOwners(stores: Stores): Promise<string[]> {
  const org = (await stores.orgs.org("library"))!;
  return (await stores.teams.teamMembers((await stores.teams.team(org.id, "owners"))!.id)).map((m) => m.name);
}

/** Starts Berth (token auth) in this process on `dataDir`, keeping its log lines; `env` as BERTH_* variables. */
async function startOn(dataDir: string, env: Record<string, string> = {}): Promise<{ server: RunningServer; url: string; log: () => string }> {
  let out = "";
  const config = loadConfig({ host: "127.0.0.1", port: "0", data: dataDir, logRequests: "false", auth: "token" }, env);
  const server = await startServer(config, createLogger({ requests: false, write: (s) => (out += s) }), { BERTH_ADMIN_PASSWORD: ADMIN_PASSWORD });
  server.ctx.log.flush();
  return { server, url: `http://127.0.0.1:${new URL(server.url).port}`, log: () => out };
}

/** The actions a /v2/auth answer grants on its first scope (read from the token's claims). */
async function grantedActions(res: Response): Promise<string[]> {
  const { token } = (await res.json()) as { token: string };
  return JSON.parse(Buffer.from(token.split(".")[1]!, "base64url").toString("utf8")).access[0].actions;
}

const pullTagsAnonymously = (url: string) => fetch(`${url}/v2/alpine/tags/list`);

describe("the attack: claiming library to serve `docker pull alpine`", () => {
  const world = worldForFile({ config: { auth: "token" }, server: { adminPassword: ADMIN_PASSWORD }, users: { mallory: MALLORY_PASSWORD } });
  let server: TestServer;
  let stores: Stores;
  beforeAll(() => ({ server, stores } = world));

  test("sign-up, org creation and the superuser panel refuse the name; nobody but the superusers may push there", async () => {
    const anon = await anonymousClient(server.url);
    const signUp = await anon.post("/api/v1/user/", { username: "library", password: "library-Secret-1", email: "lib@example.com" });
    expect(signUp.status).toBe(400);
    const mallory = await signedIn(server.url, "mallory", MALLORY_PASSWORD);
    expect((await mallory.post("/api/v1/organization/", { name: "library", email: "lib@example.com" })).status).toBe(400);
    const admin = await signedIn(server.url, "admin", ADMIN_PASSWORD);
    expect((await admin.post("/api/v1/superuser/users/", { username: "library", email: "lib2@example.com" })).status).toBe(400);
    expect(await stores.users.byName("library")).toBeUndefined();

    // mallory gets no push on library/alpine, so nothing of hers is what `alpine` serves.
    await resetLoginThrottles(server);
    expect(await grantedActions(await registryAuth(server.url, ["mallory", MALLORY_PASSWORD], "repository:alpine:pull,push"))).toEqual([]);
    expect((await stores.repositories.find("library/alpine"))).toBeUndefined();
    expect((await pullTagsAnonymously(server.url)).status).toBe(401);
  });

  test("library is an organization the superusers own: the admin publishes alpine for everybody", async () => {
    expect(await stores.orgs.org("library")).toBeDefined();
    expect(await libraryOwners(stores)).toEqual(["admin"]);
    await resetLoginThrottles(server);
    const token = await registryToken(server.url, ["admin", ADMIN_PASSWORD], "repository:alpine:pull,push");
    const { res } = await new BearerRegistryClient(server.url, token).putManifest("alpine", "latest", { schemaVersion: 2, mediaType: MT.ociIndex, manifests: [] });
    expect(res.status).toBe(201);
    const admin = await signedIn(server.url, "admin", ADMIN_PASSWORD);
    expect((await admin.post("/api/v1/repository/library/alpine/changevisibility", { visibility: "public" })).status).toBe(200);
    const pulled = await pullTagsAnonymously(server.url);
    expect(await pulled.json()).toEqual({ name: "alpine", tags: ["latest"] });
  });
});

test("user initialize refuses the name, and the first account, a configured superuser, owns library at once", async () => {
  const server = await startTestServer({ auth: "token", userInitialize: "true" });
  try {
    const anon = await anonymousClient(server.url);
    const refused = await anon.post("/api/v1/user/initialize", { username: "library", password: "library-Secret-1", email: "l@example.com" });
    expect(refused.status).toBe(400);
    const ok = await anon.post("/api/v1/user/initialize", { username: "admin", password: ADMIN_PASSWORD, email: "a@example.com" });
    expect(ok.status).toBe(200);
    expect(await libraryOwners(server.server.ctx.stores)).toEqual(["admin"]);
  } finally {
    await server.stop();
  }
});

describe("the owners of library follow the superusers", () => {
  test("added by the CLI, the superuser panel or the config list: owners at once; off the list: not at the next start", async () => {
    const dataDir = tempDir();
    const settings = { BERTH_SUPERUSERS: "admin,root", BERTH_SUPERUSER_FULL_ACCESS: "false" };
    let { server, url } = await startOn(dataDir, settings);
    try {
      const stores = server.ctx.stores;
      expect(await libraryOwners(stores)).toEqual(["admin"]);
      // `root` is on the config list: made later with the CLI, it owns library without a restart.
      await userAdd(stores, "root", { email: "root@example.com" }, server.ctx.config);
      expect(await libraryOwners(stores)).toEqual(["admin", "root"]);
      const password = "carol-Secret-1";
      await createUsers(stores, { carol: password });
      const admin = await signedIn(url, "admin", ADMIN_PASSWORD);
      await expectJson(await admin.put("/api/v1/superuser/users/carol", { superuser: true }), 200);
      expect(await libraryOwners(stores)).toEqual(["admin", "carol", "root"]);
      // Without superuser full access, ownership is what lets carol publish there.
      expect(await grantedActions(await registryAuth(url, ["carol", password], "repository:library/tool:pull,push"))).toEqual(["pull", "push"]);
    } finally {
      await server.stop();
    }
    ({ server } = await startOn(dataDir, { ...settings, BERTH_SUPERUSERS: "admin" }));
    try {
      expect(await libraryOwners(server.ctx.stores)).toEqual(["admin", "carol"]);
    } finally {
      await server.stop();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  test("the CLI refuses the reserved name for users and organizations", async () => {
    const dataDir = tempDir();
    const stores = openStores({ dataDir, uploadTtlMs: 60_000 });
    try {
      const lists = { superusers: ["admin"], readonlySuperusers: [] };
      await expect(userAdd(stores, "library", {}, lists)).rejects.toThrow(/reserved/);
      await userAdd(stores, "owner", {}, lists);
      await expect(orgAdd(stores, "library", "owner")).rejects.toThrow(CliError);
      expect(await stores.orgs.namespace("library")).toBeUndefined();
    } finally {
      await stores.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

describe("a data directory from before the reservation", () => {
  /** What an older Berth allowed: a user `library` with a public library/alpine. */
  async function squattedDataDir(asSuperuser = false): Promise<string> {
    const dataDir = tempDir();
    const stores = openStores({ dataDir, uploadTtlMs: 60_000 });
    stores.db.$client.run("INSERT INTO namespaces (name, kind) VALUES ('library', 'user')");
    stores.db.$client.run(
      "INSERT INTO users (username, email, password_hash, superuser, uuid) VALUES ('library', 'lib@example.com', NULL, ?, ?)",
      [asSuperuser ? 1 : 0, crypto.randomUUID()],
    );
    const made = await registryFor(stores).registry.createRepository({ fullName: "library/alpine", visibility: "public", actor: SYSTEM_ACTOR });
    expect(made.kind).toBe("ok");
    await stores.close();
    return dataDir;
  }

  test("a user holding library: disabled, its public repositories made private, nothing deleted, a loud warning", async () => {
    const dataDir = await squattedDataDir();
    const { server, url, log } = await startOn(dataDir);
    try {
      expect((await pullTagsAnonymously(url)).status).toBe(401);
      const stores = server.ctx.stores;
      expect((await stores.users.byName("library"))?.enabled).toBe(false);
      expect((await stores.repositories.find("library/alpine"))?.visibility).toBe("private");
      expect(log()).toContain('WARNING: the reserved namespace "library" is held by the ordinary user account "library"');
      expect(log()).toContain("library/alpine");
    } finally {
      await server.stop();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  test("a superuser account holding library is trusted: left as it is, with a warning", async () => {
    const dataDir = await squattedDataDir(true);
    const { server, url, log } = await startOn(dataDir);
    try {
      expect((await pullTagsAnonymously(url)).status).toBe(200);
      expect((await server.ctx.stores.users.byName("library"))?.enabled).toBe(true);
      expect(log()).toContain('WARNING: the reserved namespace "library" is the superuser account library');
    } finally {
      await server.stop();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  test("an organization someone made: its owners become the superusers, other writers are named", async () => {
    const dataDir = tempDir();
    const stores = openStores({ dataDir, uploadTtlMs: 60_000 });
    const { mallory } = await createUsers(stores, { mallory: MALLORY_PASSWORD });
    const claim = await stores.orgs.claimReserved("library");
    await stores.orgs.setOwners(claim.namespaceId, [mallory.id]);
    await registryFor(stores).registry.createRepository({ fullName: "library/alpine", visibility: "public", creator: { userId: mallory.id }, actor: SYSTEM_ACTOR });
    await stores.close();
    const { server, log } = await startOn(dataDir);
    try {
      expect(await libraryOwners(server.ctx.stores)).toEqual(["admin"]);
      expect(log()).toContain("WARNING: library owners: removed mallory");
      expect(log()).toContain("mallory (admin on library/alpine)");
    } finally {
      await server.stop();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
