// push_repo / pull_repo audit entries from /v2 (reference quay-api.md §2.11): who, where, what,
// from which address, in token mode (users, robots, app tokens, anonymous) and in --auth none.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { appTokenLookup, hashAppTokenCode, newAppTokenCode } from "../../src/auth/appTokenCode";
import { robotAdd } from "../../src/cli/accounts";
import type { Stores } from "../../src/store";
import type { LogEntry } from "../../src/store/meta/auditLog";
import { createUsers, setRepoVisibility, startTestServer, type TestServer } from "../support/server";
import { BearerRegistryClient, RegistryClient, registryToken } from "../support/registryClient";

const PASSWORDS = { alice: "alice-Secret-1", bob: "bob-Secret-1" } as const;
const UA = "audit-test/1.0";
const uniq = () => crypto.randomUUID().slice(0, 8);

/** A registry client that sends a fixed User-Agent and, when given, a bearer token. */
class Client extends BearerRegistryClient {
  constructor(base: string, token?: string) {
    super(base, token, { "User-Agent": UA });
  }
}

/** The repository's entries, newest first. */
async function entriesOf(stores: Stores, repo: string): Promise<LogEntry[]> {
  const row = (await stores.repositories.find(repo))!;
  return (await stores.auditLog.page({ repositoryId: row.id, startMs: 0, endMs: Date.now() + 1000 }, undefined, 100)).entries;
}

async function pull(client: RegistryClient, repo: string, ref: string, mediaType: string): Promise<void> {
  const res = await client.fetch(`/v2/${repo}/manifests/${ref}`, { headers: { Accept: mediaType } });
  expect(res.status).toBe(200);
  await res.arrayBuffer();
}

describe("token mode", () => {
  let server: TestServer;
  let stores: Stores;

  beforeAll(async () => {
    server = await startTestServer({ auth: "token" }, { adminPassword: "admin-Secret-1" });
    stores = server.server.ctx.stores;
    await createUsers(stores, PASSWORDS);
  });
  afterAll(async () => {
    await server?.stop();
  });

  const tokenFor = (creds: readonly [string, string] | undefined, scope: string) => registryToken(server.url, creds, scope);

  test("a user's push and pulls: performer, namespace, metadata and address", async () => {
    const name = `app-${uniq()}`;
    const repo = `alice/${name}`;
    const client = new Client(server.url, await tokenFor(["alice", PASSWORDS.alice], `repository:${repo}:pull,push`));
    const image = await client.pushImage(repo, "v1", { layers: 1, layerSize: 64 });
    await pull(client, repo, "v1", image.mediaType);
    await pull(client, repo, image.digest, image.mediaType);
    // HEAD is not a pull (clients check for updates with it).
    expect((await client.fetch(`/v2/${repo}/manifests/v1`, { method: "HEAD", headers: { Accept: image.mediaType } })).status).toBe(200);

    const [byDigest, byTag, push, created] = await entriesOf(stores, repo);
    expect(await entriesOf(stores, repo)).toHaveLength(4);
    // The push created the repository: create_repo, as POST /repository logs it (same change, same entry).
    expect(created).toMatchObject({ kind: "create_repo", performer: { kind: "user", name: "alice" }, metadata: { repo: name, namespace: "alice" } });
    const alice = { kind: "user", name: "alice" };
    const common = { repo: name, namespace: "alice", "user-agent": UA, mediaType: image.mediaType, username: "alice" };
    expect(push).toMatchObject({ kind: "push_repo", namespaceName: "alice", performer: alice, metadata: { ...common, tag: "v1" } });
    expect(byTag).toMatchObject({ kind: "pull_repo", namespaceName: "alice", performer: alice, metadata: { ...common, tag: "v1" } });
    expect(byDigest).toMatchObject({ kind: "pull_repo", performer: alice, metadata: { ...common, manifest_digest: image.digest } });
    expect(byDigest!.metadata.tag).toBeUndefined();
    expect(push!.metadata.manifest_digest).toBeUndefined();
    for (const e of [push, byTag, byDigest]) expect(e!.ip).toMatch(/^(::ffff:)?127\.0\.0\.1$/);

    // The namespace filter (v1's organization/user logs) finds them too, and the performer filter.
    const nsId = (await stores.orgs.namespace("alice"))!.id;
    const window = { startMs: 0, endMs: Date.now() + 1000 };
    expect((await stores.auditLog.page({ ...window, namespaceId: nsId, kinds: ["push_repo"] })).entries.map((e) => e.metadata.repo)).toContain(name);
    expect((await stores.auditLog.page({ ...window, performerName: "bob" })).entries.map((e) => e.metadata.repo)).not.toContain(name);
  });

  test("a robot's pull names the robot (Quay: username + is_robot)", async () => {
    const repo = `alice/robot-${uniq()}`;
    const image = await new Client(server.url, await tokenFor(["alice", PASSWORDS.alice], `repository:${repo}:pull,push`)).pushImage(repo, "v1", {
      layers: 1,
      layerSize: 64,
    });
    const robotName = `alice+r${uniq()}`;
    const secret = await robotAdd(stores, robotName);
    await stores.permissions.set((await stores.repositories.find(repo))!.id, { robotId: (await stores.robots.byName(robotName))!.id }, "read");
    await pull(new Client(server.url, await tokenFor([robotName, secret], `repository:${repo}:pull`)), repo, "v1", image.mediaType);
    const [pulled] = await entriesOf(stores, repo);
    expect(pulled).toMatchObject({
      kind: "pull_repo",
      performer: { kind: "robot", name: robotName },
      metadata: { repo: repo.slice(6), namespace: "alice", tag: "v1", username: robotName, is_robot: true },
    });
  });

  test("an app-specific token's pull names the user and the token", async () => {
    const repo = `alice/apptoken-${uniq()}`;
    const image = await new Client(server.url, await tokenFor(["alice", PASSWORDS.alice], `repository:${repo}:pull,push`)).pushImage(repo, "v1", {
      layers: 1,
      layerSize: 64,
    });
    const code = newAppTokenCode();
    const alice = (await stores.users.byName("alice"))!;
    const row = await stores.appTokens.create(alice.id, "laptop", appTokenLookup(code), hashAppTokenCode(code), null);
    await pull(new Client(server.url, await tokenFor(["$app", code], `repository:${repo}:pull`)), repo, "v1", image.mediaType);
    const [pulled] = await entriesOf(stores, repo);
    expect(pulled).toMatchObject({
      performer: { kind: "user", name: "alice" },
      metadata: { username: "alice", app_specific_token: row.uuid, app_specific_token_title: "laptop" },
    });
  });

  test("an anonymous pull of a public repository has no performer, with or without a token", async () => {
    const repo = `bob/public-${uniq()}`;
    const image = await new Client(server.url, await tokenFor(["bob", PASSWORDS.bob], `repository:${repo}:pull,push`)).pushImage(repo, "v1", {
      layers: 1,
      layerSize: 64,
    });
    await setRepoVisibility(server, repo, "public");
    await pull(new Client(server.url), repo, "v1", image.mediaType);
    await pull(new Client(server.url, await tokenFor(undefined, `repository:${repo}:pull`)), repo, "v1", image.mediaType);
    // Both pulls are anonymous and otherwise identical: within one batch window they fold into one entry.
    const pulls = (await entriesOf(stores, repo)).filter((e) => e.kind === "pull_repo");
    expect(pulls).toHaveLength(1);
    const e = pulls[0]!;
    expect(e.performer).toBeUndefined();
    expect(e.namespaceName).toBe("bob");
    expect(e.metadata).toEqual({ count: 2, repo: repo.slice(4), namespace: "bob", "user-agent": UA, tag: "v1", mediaType: image.mediaType });
  });

  test("a refused pull writes nothing", async () => {
    const repo = `alice/private-${uniq()}`;
    const image = await new Client(server.url, await tokenFor(["alice", PASSWORDS.alice], `repository:${repo}:pull,push`)).pushImage(repo, "v1", {
      layers: 1,
      layerSize: 64,
    });
    const res = await new Client(server.url, await tokenFor(["bob", PASSWORDS.bob], `repository:${repo}:pull`)).fetch(`/v2/${repo}/manifests/v1`, {
      headers: { Accept: image.mediaType },
    });
    expect(res.status).toBe(401);
    expect((await entriesOf(stores, repo)).map((e) => e.kind)).toEqual(["push_repo", "create_repo"]);
  });
});

describe("--auth none", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(async () => {
    await server?.stop();
  });

  test("pushes and pulls are logged without a performer", async () => {
    const repo = `open/app-${uniq()}`;
    const client = new Client(server.url);
    const image = await client.pushImage(repo, undefined, { layers: 1, layerSize: 64 });
    await pull(client, repo, image.digest, image.mediaType);
    const stores = server.server.ctx.stores;
    const entries = await entriesOf(stores, repo);
    expect(entries.map((e) => e.kind)).toEqual(["pull_repo", "push_repo", "create_repo"]);
    for (const e of entries) {
      expect(e.performer).toBeUndefined();
      expect(e.namespaceName).toBe("open");
    }
    const [pulled, pushed, created] = entries;
    for (const e of [pulled!, pushed!]) {
      expect(e.metadata).toEqual({ repo: repo.slice(5), namespace: "open", "user-agent": UA, manifest_digest: image.digest, mediaType: image.mediaType });
    }
    expect(created!.metadata).toEqual({ repo: repo.slice(5), namespace: "open" });
  });
});
