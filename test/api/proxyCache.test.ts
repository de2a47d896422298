// Proxy-cache organizations against a second Berth on loopback as the upstream (token auth),
// reached through a counting relay that can also play an upstream that is down: Quay's
// proxycache API, a cold pull through the cache byte for byte, Quay's expiry of cached tags (the
// cached copy served while the upstream is down until the tag expires, then 404s), a tag moved
// upstream seen after expiration_s, the check time kept across a restart, quota eviction of the
// least recently pulled image, 32 concurrent first pulls fetching each blob from the upstream
// once, pushes refused, and who may pull.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { Database } from "bun:sqlite";
import { readFileSync, readdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { BearerRegistryClient, expectError, manifestDescriptor, MT, registryToken, type Image } from "../support/registryClient";
import { createUsers, startTestServer, tempDir, type TestServer } from "../support/server";
import { onPostgres, onServerPostgres, storedRows } from "../support/serverBackends";
import { expectJson, expectProblem, signedIn, V1Client } from "../support/v1Client";

const UP_PASSWORD = "upstream-Secret-1";
const PASSWORD = "cache-Secret-1";
const PASSWORDS = { member: "member-Secret-1", outsider: "outsider-Secret-1" };
const ORG = "cache";
const P = `/api/v1/organization/${ORG}/proxycache`;
let upstream: TestServer;
let local: TestServer;
/** The local server's data directory (kept across its restart). */
const localDir = tempDir();
let up: BearerRegistryClient;
let admin: V1Client;
let relay: ReturnType<typeof Bun.serve>;
/** The relay answers 503 to everything while set (an upstream that is down). */
let upstreamDown = false;
/** GETs the upstream answered 200 through the relay, by path (a 401 asking for a token moves no bytes). */
const upstreamGets = new Map<string, number>();
/** The local server's clock runs `skewMs` ahead (expiration_s is measured with it). */
let skewMs = 0;
let image: Image;
/** While set, the relay sends the first half of this blob's bytes and holds the rest until `release` is called. */
let stalled: { digest: string; release?: () => void } | undefined;

/** `body` with its second half held back until `stalled.release()`. */
function holdSecondHalf(body: Uint8Array): ReadableStream<Uint8Array> {
  const half = body.byteLength >> 1;
  let sent = 0;
  return new ReadableStream({
    async pull(controller) {
      if (sent === 0) {
        sent = 1;
        return controller.enqueue(body.subarray(0, half));
      }
      await new Promise<void>((resolve) => (stalled!.release = resolve));
      controller.enqueue(body.subarray(half));
      controller.close();
    },
  });
}

beforeAll(async () => {
  upstream = await startTestServer({ auth: "token" }, { adminPassword: UP_PASSWORD });
  up = new BearerRegistryClient(upstream.url, await registryToken(upstream.url, ["admin", UP_PASSWORD], ...["app", "other", "big", "multi", "slow"].map((r) => `repository:admin/${r}:pull,push`)));
  image = await up.pushImage("admin/app", "v1", { layers: 3, layerSize: 3 * 1024 * 1024 });
  relay = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    async fetch(req) {
      if (upstreamDown) return new Response("down", { status: 503 });
      const url = new URL(req.url);
      // The Host stays the relay's, so the upstream's token realm names the relay too (credentials go only to the configured host).
      const headers = new Headers(req.headers);
      const res = await fetch(`${upstream.url}${url.pathname}${url.search}`, { method: req.method, headers, redirect: "manual" });
      if (req.method === "GET" && res.status === 200) upstreamGets.set(url.pathname, (upstreamGets.get(url.pathname) ?? 0) + 1);
      if (stalled && res.status === 200 && url.pathname.endsWith(`/blobs/${stalled.digest}`)) {
        return new Response(holdSecondHalf(new Uint8Array(await res.arrayBuffer())), { status: 200, headers: res.headers });
      }
      return new Response(res.body, { status: res.status, headers: res.headers });
    },
  });
  local = await startLocal();
  await createUsers(local.server.ctx.stores, PASSWORDS);
  admin = await signedIn(local.url, "admin", PASSWORD);
  await expectJson(await admin.post("/api/v1/organization/", { name: ORG, email: "cache@example.com" }), 201);
  await expectJson(await admin.put(`/api/v1/organization/${ORG}/team/readers`, { role: "member" }), 200);
  await expectJson(await admin.put(`/api/v1/organization/${ORG}/team/readers/members/member`), 200);
});
afterAll(async () => {
  relay?.stop(true);
  await local?.stop();
  await upstream?.stop();
  rmSync(localDir, { recursive: true, force: true });
});

function startLocal(): Promise<TestServer> {
  return startTestServer({ auth: "token", mirrorAllowLoopback: "true" }, { adminPassword: PASSWORD, clock: () => Date.now() + skewMs, dataDir: localDir });
}

/** Writes the pulls the cache batches (as its timer or a stop would). */
const flushPulls = () => local.server.ctx.proxyCaches.stop();

const relayHost = () => `127.0.0.1:${relay.port}`;
const cacheBody = (extra: Record<string, unknown> = {}) => ({
  upstream_registry: relayHost(),
  upstream_registry_username: "admin",
  upstream_registry_password: UP_PASSWORD,
  expiration_s: 60,
  insecure: true,
  ...extra,
});

async function pullClient(user: string, password: string, repo: string, scopes = "pull") {
  return new BearerRegistryClient(local.url, await registryToken(local.url, [user, password], `repository:${repo}:${scopes}`));
}

async function bytesOf(res: Response): Promise<Uint8Array> {
  expect(res.status).toBe(200);
  return new Uint8Array(await res.arrayBuffer());
}

/**
 * A one-layer image of 8 MiB pushed upstream as admin/NAME:v1, and a member's client that has
 * pulled its manifest through the cache (its layer not fetched yet).
 */
async function manifestPulledThrough(name: string) {
  const image = await up.pushImage(`admin/${name}`, "v1", { layers: 1, layerSize: 8 * 1024 * 1024 });
  const repo = `${ORG}/admin/${name}`;
  const c = await pullClient("member", PASSWORDS.member, repo);
  expect((await c.fetch(`/v2/${repo}/manifests/v1`)).status).toBe(200);
  return { layer: image.layers[0]!, repo, c };
}

/** Pulls `tag` of `repo` through the cache: the manifest and every blob, byte for byte as the upstream has them. */
async function pullImage(c: BearerRegistryClient, repo: string, tag: string, expected: Image) {
  const manifest = await c.fetch(`/v2/${repo}/manifests/${tag}`, { headers: { Accept: expected.mediaType } });
  expect(manifest.headers.get("docker-content-digest")).toBe(expected.digest);
  expect(await bytesOf(manifest)).toEqual(expected.bytes);
  for (const blob of [expected.config, ...expected.layers]) {
    expect(await bytesOf(await c.fetch(`/v2/${repo}/blobs/${blob.digest}`))).toEqual(blob.bytes);
  }
}

describe("the proxycache endpoints (Quay's shapes)", () => {
  test("no configuration: Quay's empty view; members may read it, others not", async () => {
    expect(await expectJson(await admin.get(P), 200)).toEqual({ upstream_registry: "", expiration_s: "", insecure: "" });
    const member = await signedIn(local.url, "member", PASSWORDS.member);
    expect((await member.get(P)).status).toBe(200);
    const outsider = await signedIn(local.url, "outsider", PASSWORDS.outsider);
    expect((await outsider.get(P)).status).toBe(403);
    expect((await fetch(`${local.url}${P}`)).status).toBe(401);
  });

  test("validateproxycache: Valid with the right login, a failed login otherwise; org admins only", async () => {
    expect(await expectJson(await admin.post(`/api/v1/organization/${ORG}/validateproxycache`, cacheBody()), 202)).toBe("Valid");
    await expectProblem(
      await admin.post(`/api/v1/organization/${ORG}/validateproxycache`, cacheBody({ upstream_registry_password: "wrong" })),
      400,
      "invalid_request",
      "Failed login to remote registry. Please verify entered details and try again.",
    );
    const member = await signedIn(local.url, "member", PASSWORDS.member);
    expect((await member.post(`/api/v1/organization/${ORG}/validateproxycache`, cacheBody())).status).toBe(403);
  });

  test("an organization with an immutable tag is not made a cache (Quay's check)", async () => {
    await expectJson(await admin.post("/api/v1/organization/", { name: "frozen", email: "frozen@example.com" }), 201);
    const c = new BearerRegistryClient(local.url, await registryToken(local.url, ["admin", PASSWORD], "repository:frozen/app:pull,push"));
    await c.pushImage("frozen/app", "v1", { layers: 1 });
    const row = (await local.server.ctx.stores.repositories.find("frozen/app"))!;
    expect((await local.server.ctx.registry.setTagImmutable({ repo: { id: row.id, name: row.fullName }, tag: "v1", immutable: true, actor: {} })).kind).toBe("ok");
    await expectProblem(await admin.post("/api/v1/organization/frozen/proxycache", cacheBody()), 400, "invalid_request", "Cannot convert organization to proxy cache: immutable tags exist");
  });

  test("creating: org admins only, CSRF checked, Created; once; credentials encrypted at rest and never shown", async () => {
    const member = await signedIn(local.url, "member", PASSWORDS.member);
    expect((await member.post(P, cacheBody())).status).toBe(403);
    const noCsrf = await fetch(`${local.url}${P}`, { method: "POST", headers: { Cookie: admin.cookieHeader(), "Content-Type": "application/json" }, body: JSON.stringify(cacheBody()) });
    expect(noCsrf.status).toBe(403);
    expect(await expectJson(await admin.post(P, cacheBody()), 201)).toBe("Created");
    await expectProblem(await admin.post(P, cacheBody()), 400, "invalid_request", "Proxy Cache Configuration already exists");
    expect(await expectJson(await admin.get(P), 200)).toEqual({ upstream_registry: relayHost(), expiration_s: 60, insecure: true });
    for (const f of readdirSync(local.dataDir, { recursive: true }) as string[]) {
      if (!/\.(db|sqlite)(-wal)?$/.test(f)) continue;
      expect(readFileSync(join(local.dataDir, f)).includes(UP_PASSWORD)).toBe(false);
    }
    // The stored row, on either database (on PostgreSQL the data directory holds no database file).
    expect(JSON.stringify(await storedRows(local.server.ctx.config, "SELECT * FROM proxy_cache_configs"))).not.toContain(UP_PASSWORD);
    const logs = await expectJson(await admin.get(`/api/v1/organization/${ORG}/logs`), 200);
    expect(logs.logs.find((l: any) => l.kind === "create_proxy_cache_config")?.metadata).toMatchObject({ upstream_registry: relayHost() });
  });
});

describe("pulls through the cache", () => {
  test("a cold pull is fetched from the upstream and served byte for byte, the repository created", async () => {
    const c = await pullClient("member", PASSWORDS.member, `${ORG}/admin/app`);
    await pullImage(c, `${ORG}/admin/app`, "v1", image);
    expect((await local.server.ctx.stores.repositories.find(`${ORG}/admin/app`))).toBeDefined();
  });

  test("outside cache orgs the manifest GET's question is answered at once, without a promise; inside one it is a pull", async () => {
    const { pulls } = local.server.ctx.proxyCaches;
    // The memory of cache orgs is read again after the writes above (once, a promise).
    await pulls.manifest("elsewhere/app", "latest");
    expect(pulls.manifest("elsewhere/app", "latest")).toBeUndefined();
    const inCache = pulls.manifest(`${ORG}/admin/app`, "v1");
    expect(inCache).toBeInstanceOf(Promise);
    await inCache;
  });

  test("a cached tag lives expiration_s past its last pull: served while the upstream is down until then, then 404 (Quay's expiry)", async () => {
    const repo = `${ORG}/admin/app`;
    const c = await pullClient("member", PASSWORDS.member, repo);
    skewMs += 50_000; // within expiration_s (60 s) of the check: served from the cache, the pull renews the expiry
    await pullImage(c, repo, "v1", image);
    await flushPulls();
    upstreamDown = true;
    try {
      skewMs += 20_000; // 70 s: re-checked, the upstream fails; the pull at 50 s keeps the tag until 110 s
      await pullImage(c, repo, "v1", image);
      skewMs += 45_000; // 115 s: expired (a failed check renews nothing), and nothing can fetch it again
      await expectError(await c.fetch(`/v2/${repo}/manifests/v1`, { headers: { Accept: image.mediaType } }), 404, "MANIFEST_UNKNOWN");
      const tags = await c.fetch(`/v2/${repo}/tags/list`);
      expect(((await tags.json()) as { tags: string[] }).tags ?? []).not.toContain("v1");
      // Nothing cached and the upstream down: Quay's 404s, never a 500.
      await expectError(await c.fetch(`/v2/${repo}/manifests/never-cached`), 404, "MANIFEST_UNKNOWN");
      await expectError(await c.fetch(`/v2/${repo}/blobs/sha256:${"1".repeat(64)}`), 404, "BLOB_UNKNOWN");
      const fresh = await pullClient("member", PASSWORDS.member, `${ORG}/admin/nothing`);
      await expectError(await fresh.fetch(`/v2/${ORG}/admin/nothing/manifests/v1`), 404, "NAME_UNKNOWN");
    } finally {
      upstreamDown = false;
    }
    // Back up: fetched again and cached anew.
    await pullImage(c, repo, "v1", image);
  });

  test("a tag moved upstream is seen once expiration_s has passed, not before", async () => {
    const c = await pullClient("member", PASSWORDS.member, `${ORG}/admin/app`);
    await pullImage(c, `${ORG}/admin/app`, "v1", image); // checked now
    const moved = await up.pushImage("admin/app", "v1", { layers: 1 });
    const before = await c.fetch(`/v2/${ORG}/admin/app/manifests/v1`, { headers: { Accept: image.mediaType } });
    expect(before.headers.get("docker-content-digest")).toBe(image.digest);
    await before.arrayBuffer();
    skewMs += 61_000;
    await pullImage(c, `${ORG}/admin/app`, "v1", moved);
    image = moved;
  });

  test("a restart within expiration_s does not ask the upstream again: the check time is stored", async () => {
    const manifestGets = () => upstreamGets.get("/v2/admin/app/manifests/v1") ?? 0;
    const before = manifestGets();
    await local.stop();
    local = await startLocal();
    admin = await signedIn(local.url, "admin", PASSWORD);
    skewMs += 30_000;
    const c = await pullClient("member", PASSWORDS.member, `${ORG}/admin/app`);
    await pullImage(c, `${ORG}/admin/app`, "v1", image);
    expect(manifestGets()).toBe(before);
    skewMs += 31_000; // past expiration_s since the check: asked again
    await pullImage(c, `${ORG}/admin/app`, "v1", image);
    expect(manifestGets()).toBe(before + 1);
  });

  test("an upgrade from before the check times were stored: each live cached tag is recorded as never checked and never pulled", async () => {
    const manifestGets = () => upstreamGets.get("/v2/admin/app/manifests/v1") ?? 0;
    await flushPulls();
    await local.stop();
    // The registry as the release before the table was made left it: SQLite before migration
    // 0015 (0016 to 0018 came after it), PostgreSQL before 0002 (0003 to 0005 after it).
    const config = local.server.ctx.config;
    if (onPostgres(config)) {
      const journal = JSON.parse(readFileSync(join(import.meta.dir, "../../src/store/pg/migrations/meta/_journal.json"), "utf8")) as { entries: { tag: string; when: number }[] };
      const since = journal.entries.find((e) => e.tag === "0002_proxy_cache_tags_mirror_proxy")!.when;
      await onServerPostgres(
        config,
        `DROP TABLE proxy_cache_tags; ALTER TABLE repo_mirrors DROP COLUMN proxy; DROP TABLE delivery_claims, login_throttle_counters, rate_buckets, blob_deletions, s3_uploads; DROP SEQUENCE read_cache_changes;
         DELETE FROM drizzle.__drizzle_migrations WHERE created_at >= ${since}`,
      );
    } else {
      const journal = JSON.parse(readFileSync(join(import.meta.dir, "../../src/store/migrations/meta/_journal.json"), "utf8")) as { entries: { tag: string; when: number }[] };
      const since = journal.entries.find((e) => e.tag === "0015_proxy_cache_tags")!.when;
      const old = new Database(join(localDir, "berth.db"));
      old.exec("DROP TABLE proxy_cache_tags; ALTER TABLE repo_mirrors DROP COLUMN proxy; DROP TABLE blob_deletions; DROP TABLE s3_uploads");
      old.run("DELETE FROM __drizzle_migrations WHERE created_at >= ?", [since]);
      old.close();
    }
    local = await startLocal();
    admin = await signedIn(local.url, "admin", PASSWORD);
    const recorded = await storedRows(
      local.server.ctx.config,
      "SELECT r.full_name AS repo, p.name AS tag, p.checked_ms AS checked, p.pulled_ms AS pulled FROM proxy_cache_tags p JOIN repositories r ON r.id = p.repository_id",
    );
    expect(recorded).toContainEqual({ repo: `${ORG}/admin/app`, tag: "v1", checked: 0, pulled: 0 });
    // Never checked: the next pull asks the upstream, as the first pull after a restart did before.
    const before = manifestGets();
    const c = await pullClient("member", PASSWORDS.member, `${ORG}/admin/app`);
    await pullImage(c, `${ORG}/admin/app`, "v1", image);
    expect(manifestGets()).toBe(before + 1);
  });

  test("32 concurrent first pulls of an uncached image fetch each blob from the upstream once", async () => {
    const other = await up.pushImage("admin/other", "latest", { layers: 2, layerSize: 4 * 1024 * 1024 });
    const c = await pullClient("member", PASSWORDS.member, `${ORG}/admin/other`);
    await Promise.all(Array.from({ length: 32 }, () => pullImage(c, `${ORG}/admin/other`, "latest", other)));
    for (const blob of [other.config, ...other.layers]) expect(upstreamGets.get(`/v2/admin/other/blobs/${blob.digest}`)).toBe(1);
    expect(upstreamGets.get("/v2/admin/other/manifests/latest")).toBe(1);
  });

  test("the first client gets a layer's bytes as they arrive, before the upstream has sent it all; it is stored once whole", async () => {
    const { layer, repo, c } = await manifestPulledThrough("big");
    stalled = { digest: layer.digest };
    try {
      const res = await c.fetch(`/v2/${repo}/blobs/${layer.digest}`);
      expect(res.status).toBe(200);
      const reader = res.body!.getReader();
      let received = 0;
      while (received < layer.bytes.byteLength >> 1) received += (await reader.read()).value!.byteLength;
      // Half of the layer is here and the upstream holds the rest: nothing is stored yet.
      expect(received).toBe(layer.bytes.byteLength >> 1);
      const stores = local.server.ctx.stores;
      expect((await stores.blobLinks.linkedSize((await stores.repositories.find(repo))!.id, layer.digest))).toBeUndefined();
      stalled.release!();
      for (let r = await reader.read(); !r.done; r = await reader.read()) received += r.value.byteLength;
      expect(received).toBe(layer.bytes.byteLength);
    } finally {
      stalled?.release?.();
      stalled = undefined;
    }
    // Stored whole: a HEAD now answers from the cache with its length.
    const head = await c.fetch(`/v2/${repo}/blobs/${layer.digest}`, { method: "HEAD" });
    expect(head.headers.get("content-length")).toBe(String(layer.bytes.byteLength));
    expect(upstreamGets.get(`/v2/admin/big/blobs/${layer.digest}`)).toBe(1);
  });

  test("a first client slower than the store still gets every byte of the layer (the store works on its own copy)", async () => {
    const { layer, repo, c } = await manifestPulledThrough("slow");
    const res = await c.fetch(`/v2/${repo}/blobs/${layer.digest}`);
    expect(res.status).toBe(200);
    // Nothing read until the cache has stored the whole layer.
    const stores = local.server.ctx.stores;
    const repoId = (await stores.repositories.find(repo))!.id;
    for (let i = 0; i < 200 && (await stores.blobLinks.linkedSize(repoId, layer.digest)) === undefined; i++) await Bun.sleep(25);
    expect(await stores.blobLinks.linkedSize(repoId, layer.digest)).toBe(layer.bytes.byteLength);
    const received = new Uint8Array(await res.arrayBuffer());
    expect(received.byteLength).toBe(layer.bytes.byteLength);
    expect(Buffer.from(received).equals(Buffer.from(layer.bytes))).toBe(true);
  });

  test("a layer another cached repository of the organization has is linked, not fetched from the upstream again", async () => {
    const push = new BearerRegistryClient(upstream.url, await registryToken(upstream.url, ["admin", UP_PASSWORD], "repository:admin/s1:pull,push", "repository:admin/s2:pull,push"));
    const s1 = await push.pushImage("admin/s1", "v1", { layers: 1, layerSize: 256 * 1024 });
    for (const b of [s1.config, ...s1.layers]) await push.pushBlob("admin/s2", b.bytes, b.mediaType);
    await push.pushManifest("admin/s2", "v1", s1.bytes, s1.mediaType);
    const c1 = await pullClient("member", PASSWORDS.member, `${ORG}/admin/s1`);
    await pullImage(c1, `${ORG}/admin/s1`, "v1", s1);
    const stores = local.server.ctx.stores;
    const s1Id = (await stores.repositories.find(`${ORG}/admin/s1`))!.id;
    for (let t = 0; t < 500 && (await stores.blobLinks.linkedSize(s1Id, s1.layers[0]!.digest)) === undefined; t++) await Bun.sleep(10);
    const c2 = await pullClient("member", PASSWORDS.member, `${ORG}/admin/s2`);
    await pullImage(c2, `${ORG}/admin/s2`, "v1", s1);
    expect(upstreamGets.get("/v2/admin/s2/manifests/v1")).toBe(1);
    expect(upstreamGets.get(`/v2/admin/s2/blobs/${s1.layers[0]!.digest}`)).toBeUndefined();
    // A digest no manifest of the repository names is not linked from elsewhere (it is the upstream's to answer).
    const other = (await stores.repositories.find(`${ORG}/admin/app`))!.id;
    const foreign = image.layers[0]!.digest;
    expect((await stores.blobLinks.linkedSize(other, foreign))).toBeDefined();
    await c2.fetch(`/v2/${ORG}/admin/s2/blobs/${foreign}`, { method: "HEAD" });
    expect((await stores.blobLinks.linkedSize((await stores.repositories.find(`${ORG}/admin/s2`))!.id, foreign))).toBeUndefined();
  });

  test("an index is cached with its platforms on demand; a HEAD of an uncached blob stores it first", async () => {
    const platforms = [await up.pushImage("admin/multi", undefined, { architecture: "amd64" }), await up.pushImage("admin/multi", undefined, { architecture: "arm64" })];
    const index = await up.pushManifest("admin/multi", "v1", {
      schemaVersion: 2,
      mediaType: MT.ociIndex,
      manifests: platforms.map((p, i) => manifestDescriptor(p, { platform: { architecture: i ? "arm64" : "amd64", os: "linux" } })),
    }, MT.ociIndex);
    const repo = `${ORG}/admin/multi`;
    const c = await pullClient("member", PASSWORDS.member, repo);
    const got = await c.fetch(`/v2/${repo}/manifests/v1`, { headers: { Accept: MT.ociIndex } });
    expect(await bytesOf(got)).toEqual(index.bytes);
    // Only what was asked for is fetched: the arm64 image is not, until a client asks for it.
    expect(upstreamGets.get(`/v2/admin/multi/manifests/${platforms[1]!.digest}`)).toBeUndefined();
    const arm = platforms[1]!;
    await pullImage(c, repo, arm.digest, arm);
    const layer = platforms[0]!.layers[0]!;
    const head = await c.fetch(`/v2/${repo}/blobs/${layer.digest}`, { method: "HEAD" });
    expect(head.status).toBe(200);
    expect(head.headers.get("content-length")).toBe(String(layer.bytes.byteLength));
  });

  test("pushes into a cache org are refused, even for its admin", async () => {
    const c = await pullClient("admin", PASSWORD, `${ORG}/admin/app`, "pull,push");
    await expectError(await c.fetch(`/v2/${ORG}/admin/app/blobs/uploads/`, { method: "POST" }), 405, "UNSUPPORTED");
    const put = await c.putManifest(`${ORG}/admin/app`, "pushed", image.bytes, image.mediaType);
    await expectError(put.res, 405, "UNSUPPORTED");
    // API v1's tag writes meet the same rule in the registry's guards.
    const tagged = await admin.put(`/api/v1/repository/${ORG}/admin/app/tag/copied`, { manifest_digest: image.digest });
    expect(tagged.status).toBe(503);
    expect(((await tagged.json()) as { message: string }).message).toContain("proxy cache organization");
    expect((await admin.delete(`/api/v1/repository/${ORG}/admin/app/tag/v1`)).status).toBe(503);
  });

  test("who may pull: members and the org's robots yes; outsiders and anonymous callers no", async () => {
    const repo = `${ORG}/admin/app`;
    const outsider = await pullClient("outsider", PASSWORDS.outsider, repo);
    await expectError(await outsider.fetch(`/v2/${repo}/manifests/v1`), 401, "DENIED");
    await expectError(await fetch(`${local.url}/v2/${repo}/manifests/v1`), 401, "UNAUTHORIZED");
    const robot = await expectJson(await admin.put(`/api/v1/organization/${ORG}/robots/puller`), 201);
    const bot = await pullClient(robot.name, robot.token, repo);
    await pullImage(bot, repo, "v1", image);
  });

  test("other credentials: an app token pulls as its member; OAuth tokens need org:admin for the endpoints and repo:read to pull", async () => {
    const repo = `${ORG}/admin/app`;
    const member = await signedIn(local.url, "member", PASSWORDS.member);
    const code = (await expectJson(await member.post("/api/v1/user/apptoken", { title: "ci" }), 200)).token.token_code;
    const viaApp = new BearerRegistryClient(local.url, await registryToken(local.url, ["$app", code], `repository:${repo}:pull`));
    await pullImage(viaApp, repo, "v1", image);
    const bearer = async (user: string, scope: string) => {
      const minted = await local.server.ctx.oauth.mint((await local.server.ctx.stores.users.byName(user))!.id, scope);
      if (!minted.ok) throw new Error(minted.message);
      return { Authorization: `Bearer ${minted.token}` };
    };
    const validate = (headers: Record<string, string>) =>
      fetch(`${local.url}/api/v1/organization/${ORG}/validateproxycache`, { method: "POST", headers: { ...headers, "Content-Type": "application/json" }, body: JSON.stringify(cacheBody()) });
    // The configuration exists: an admin's org:admin token gets Quay's "already exists", a repo:admin one no further than 403.
    await expectProblem(await validate(await bearer("admin", "org:admin")), 400, "invalid_request", "Proxy Cache Configuration already exists");
    expect((await validate(await bearer("admin", "repo:admin user:admin"))).status).toBe(403);
    expect((await fetch(`${local.url}${P}`, { headers: await bearer("member", "repo:read") })).status).toBe(403);
    expect((await fetch(`${local.url}${P}`, { headers: await bearer("admin", "org:admin") })).status).toBe(200);
  });

  test("quota eviction: an image that would pass the Reject limit evicts the least recently pulled images first", async () => {
    const org = "small";
    await expectJson(await admin.post("/api/v1/organization/", { name: org, email: "small@example.com" }), 201);
    await expectJson(await admin.put(`/api/v1/organization/${org}/team/readers`, { role: "member" }), 200);
    await expectJson(await admin.put(`/api/v1/organization/${org}/team/readers/members/member`), 200);
    expect(await expectJson(await admin.post(`/api/v1/organization/${org}/proxycache`, cacheBody()), 201)).toBe("Created");
    // Room for two 1 MiB images, not three.
    expect((await admin.post(`/api/v1/superuser/organization/${org}/quota`, { limit_bytes: 2.5 * 1024 * 1024 })).status).toBe(201);
    const [quota] = (await expectJson(await admin.get(`/api/v1/organization/${org}/quota`), 200)) as { id: number }[];
    expect((await admin.post(`/api/v1/organization/${org}/quota/${quota!.id}/limit`, { type: "Reject", threshold_percent: 100 })).status).toBe(201);
    const images: Image[] = [];
    for (const name of ["e1", "e2", "e3"]) {
      const push = new BearerRegistryClient(upstream.url, await registryToken(upstream.url, ["admin", UP_PASSWORD], `repository:admin/${name}:pull,push`));
      images.push(await push.pushImage(`admin/${name}`, "v1", { layers: 1, layerSize: 1024 * 1024 }));
    }
    const pull = async (i: number) => {
      const repo = `${org}/admin/e${i + 1}`;
      await pullImage(await pullClient("member", PASSWORDS.member, repo), repo, "v1", images[i]!);
      // The client has every byte a moment before the cache has stored the last blob.
      const stores = local.server.ctx.stores;
      const repoId = (await stores.repositories.find(repo))!.id;
      const missing = async () => (await Promise.all(images[i]!.layers.map((l) => stores.blobLinks.linkedSize(repoId, l.digest)))).some((s) => s === undefined);
      for (let t = 0; t < 500 && (await missing()); t++) await Bun.sleep(10);
      skewMs += 1000; // each pull at its own time
    };
    const cached = async (i: number) => {
      const stores = local.server.ctx.stores;
      const repo = (await stores.repositories.find(`${org}/admin/e${i + 1}`));
      return repo !== undefined && (await stores.manifests.getByTag(repo.id, "v1")) !== undefined;
    };
    const usage = async () => local.server.ctx.stores.quotaUsage.namespaceBytes((await local.server.ctx.stores.orgs.namespace(org))!.id);
    await pull(0);
    await pull(1);
    expect(await usage()).toBeGreaterThan(2 * 1024 * 1024);
    await pull(2); // would pass the limit: image 1, pulled least recently, goes; image 2 stays
    expect([(await cached(0)), (await cached(1)), (await cached(2))]).toEqual([false, true, true]);
    expect(await usage()).toBeLessThan(2.5 * 1024 * 1024);
    await pull(1); // image 2 is now more recently pulled than image 3
    const gets = upstreamGets.get("/v2/admin/e1/manifests/v1") ?? 0;
    await pull(0); // image 1 again, fetched from the upstream: image 3 makes room, not image 2
    expect(upstreamGets.get("/v2/admin/e1/manifests/v1")).toBe(gets + 1);
    expect([(await cached(0)), (await cached(1)), (await cached(2))]).toEqual([true, true, false]);
    expect(await usage()).toBeLessThan(2.5 * 1024 * 1024);
    // The audit log says what went, as the system.
    const logs = await expectJson(await admin.get(`/api/v1/organization/${org}/logs`), 200);
    expect(logs.logs.find((l: { kind: string; metadata: { repo?: string; tag?: string } }) => l.kind === "permanently_delete_tag" && l.metadata.repo === "admin/e1")?.metadata.tag).toBe("v1");
  });

  test("an image larger than the whole quota is refused (403 DENIED) when nothing can make room", async () => {
    const big = await up.pushImage("admin/big", "huge", { layers: 1, layerSize: 3 * 1024 * 1024 });
    const repo = "small/admin/big";
    const c = await pullClient("member", PASSWORDS.member, repo);
    const res = await c.fetch(`/v2/${repo}/manifests/huge`, { headers: { Accept: big.mediaType } });
    expect(res.status).toBe(403);
    expect(((await res.json()) as { errors: { code: string }[] }).errors[0]!.code).toBe("DENIED");
  });

  test("with the upstream stopped, what is cached is still served until it expires", async () => {
    const repo = `${ORG}/admin/app`;
    const c = await pullClient("member", PASSWORDS.member, repo);
    skewMs += 3600_000;
    await pullImage(c, repo, "v1", image); // expired: fetched again, checked now
    skewMs += 50_000;
    await pullImage(c, repo, "v1", image); // renews the expiry to 110 s
    await flushPulls();
    await upstream.stop();
    relay.stop(true); // nothing listens at the upstream's address any more
    skewMs += 20_000; // re-checked: the connection is refused, the tag has not expired
    await pullImage(c, repo, "v1", image);
    skewMs += 45_000;
    await expectError(await c.fetch(`/v2/${repo}/manifests/v1`, { headers: { Accept: image.mediaType } }), 404, "MANIFEST_UNKNOWN");
  });

  test("deleting the configuration: Deleted, then Quay's empty view and a 404", async () => {
    expect(await expectJson(await admin.delete(P), 201)).toBe("Deleted");
    expect(await expectJson(await admin.get(P), 200)).toEqual({ upstream_registry: "", expiration_s: "", insecure: "" });
    expect((await admin.delete(P)).status).toBe(404);
  });
});
