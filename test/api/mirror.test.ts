// Repository mirroring against a second Berth on loopback as the upstream (token auth): Quay's
// mirror API, a sync that copies a two-platform index with a referrer through the registry's
// operations, a tag moved upstream and moved here by the next sync, tags gone upstream ended
// here, the MIRROR state refusing every other writer on both APIs, wrong credentials shown as a
// failed sync with its error, cancel, audit entries and notifications.
import { storedRows } from "../support/serverBackends";
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { BearerRegistryClient, manifestBytes, manifestDescriptor, MT, registryToken, type Image } from "../support/registryClient";
import { createUsers, startTestServer, type TestServer } from "../support/server";
import { expectJson, signedIn, V1Client } from "../support/v1Client";
import { mirrorBody } from "../support/mirrorConfig";

const UP_PASSWORD = "upstream-Secret-1";
const PASSWORD = "mirror-Secret-1";
let upstream: TestServer;
let local: TestServer;
let up: BearerRegistryClient;
let admin: V1Client;
const UP_REPO = "admin/app";
const REPO = "admin/mirrored";
const M = `/api/v1/repository/${REPO}/mirror`;
let index: { digest: string; bytes: Uint8Array };
let platforms: Image[];
let referrer: Image;
let receiver: ReturnType<typeof Bun.serve> | undefined;
/** What the notification webhooks received. */
const received: any[] = [];

/** A two-platform index tagged `tag` upstream, and a signature-like referrer of it. */
async function pushIndex(tag: string) {
  platforms = [await up.pushImage(UP_REPO, undefined, { architecture: "amd64" }), await up.pushImage(UP_REPO, undefined, { architecture: "arm64" })];
  const manifest = {
    schemaVersion: 2,
    mediaType: MT.ociIndex,
    manifests: platforms.map((p, i) => manifestDescriptor(p, { platform: { architecture: i ? "arm64" : "amd64", os: "linux" } })),
  };
  index = await up.pushManifest(UP_REPO, tag, manifest, MT.ociIndex);
  referrer = await up.pushImage(UP_REPO, undefined, { artifactType: "application/vnd.example.signature", subject: { mediaType: MT.ociIndex, digest: index.digest, size: index.bytes.byteLength } });
}

const sync = () => local.server.ctx.mirrors.worker.runOnce();

beforeAll(async () => {
  upstream = await startTestServer({ auth: "token" }, { adminPassword: UP_PASSWORD });
  up = new BearerRegistryClient(upstream.url, await registryToken(upstream.url, ["admin", UP_PASSWORD], `repository:${UP_REPO}:pull,push`));
  await pushIndex("v1");
  await up.pushImage(UP_REPO, "other", { layers: 1 });
  local = await startTestServer({ auth: "token", mirrorAllowLoopback: "true", mirrorPollSeconds: "0", notificationAllowLoopback: "true" }, { adminPassword: PASSWORD });
  admin = await signedIn(local.url, "admin", PASSWORD);
  await expectJson(await admin.post("/api/v1/repository", { repository: "mirrored", visibility: "private", description: "" }), 201);
  receiver = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: async (req) => (received.push(await req.json()), new Response("ok")) });
  for (const event of ["repo_mirror_sync_started", "repo_mirror_sync_success", "repo_mirror_sync_failed"]) {
    const url = `http://127.0.0.1:${receiver.port}/${event}`;
    await expectJson(await admin.post(`/api/v1/repository/${REPO}/notification/`, { event, method: "webhook", config: { url }, eventConfig: {} }), 201);
  }
  await expectJson(await admin.fetch("/api/v1/user/robots/mirror", { method: "PUT" }), 201);
});
afterAll(async () => {
  receiver?.stop(true);
  await local?.stop();
  await upstream?.stop();
});

const config = (extra: Record<string, unknown> = {}) => ({
  ...mirrorBody({ reference: `${new URL(upstream.url).host}/${UP_REPO}`, username: "admin", password: UP_PASSWORD, globs: ["v*"], start: 0 }),
  ...extra,
});

async function localV2(scopes = "pull,push") {
  return new BearerRegistryClient(local.url, await registryToken(local.url, ["admin", PASSWORD], `repository:${REPO}:${scopes}`));
}

describe("repository mirroring", () => {
  test("creating a mirror: Quay's shape back, the password never, the repository in MIRROR state", async () => {
    const created = await admin.post(M, config());
    expect(created.status).toBe(201);
    const view = await expectJson(await admin.get(M), 200);
    expect(view).toMatchObject({
      is_enabled: true,
      mirror_type: "PULL",
      external_reference: config().external_reference,
      external_registry_username: "admin",
      external_registry_config: { verify_tls: false },
      sync_interval: 3600,
      sync_status: "NEVER_RUN",
      sync_retries_remaining: 3,
      root_rule: { rule_kind: "tag_glob_csv", rule_value: ["v*"] },
      robot_username: "admin+mirror",
      skopeo_timeout_interval: 300,
    });
    expect(JSON.stringify(view)).not.toContain(UP_PASSWORD);
    expect((await expectJson(await admin.get(`/api/v1/repository/${REPO}`), 200)).state).toBe("MIRROR");
    // A second one is a conflict.
    expect((await admin.post(M, config())).status).toBe(409);
  });

  test("PUT refuses what Quay refuses, with its messages, and changes nothing then", async () => {
    const before = await expectJson(await admin.get(M), 200);
    const cases: [Record<string, unknown>, number, string][] = [
      [{ sync_start_date: "2020-01-01" }, 400, "Incorrect DateTime format for sync_start_date."],
      [{ skopeo_timeout_interval: 10 }, 400, "Skopeo timeout interval cannot be less than 300 seconds."],
      [{ external_registry_password: "x" }, 400, "Unable to set a new password without also specifying a username."],
      [{ external_registry_username: null, external_registry_password: "x" }, 400, "Unable to delete username while setting a password."],
      [{ architecture_filter: ["amd64", "x86", "riscv64"] }, 400, "Invalid architectures: riscv64, x86"],
      [{ external_registry_config: { proxy: { https_proxy: "http://169.254.169.254:3128" } } }, 400, "external_registry_config.proxy.https_proxy: 169.254.169.254 is a link-local address"],
      [{ external_registry_config: { proxy: { http_proxy: "socks5://proxy.lan:1080" } } }, 400, "is not an http:// or https:// URL"],
      [{ robot_username: "nobody+bot" }, 400, "Could not find robot with specified username"],
      [{ external_reference: "169.254.169.254/a/b" }, 400, "The provided registry location is not allowed"],
      [{ root_rule: { rule_kind: "tag_glob_csv", rule_value: [] } }, 400, "root_rule"],
    ];
    for (const [body, status, message] of cases) {
      const res = await admin.fetch(M, { method: "PUT", json: { sync_interval: 60, ...body } });
      const text = await res.text();
      expect([body, res.status, text.includes(message)]).toEqual([body, status, true]);
    }
    expect(await expectJson(await admin.get(M), 200)).toEqual(before);
  });

  test("the upstream password is encrypted at rest", async () => {
    const rows = await storedRows<{ username: string; password: string }>(local.server.ctx.config, "SELECT username, password FROM repo_mirrors");
    expect(rows[0]!.password.startsWith("v1$$")).toBe(true);
    expect(JSON.stringify(rows)).not.toContain(UP_PASSWORD);
  });

  test("a sync copies the index, both platforms, their blobs and the referrer; other tags are not copied", async () => {
    expect(await sync()).toEqual([REPO]);
    const view = await expectJson(await admin.get(M), 200);
    expect([view.sync_status, view.last_error]).toEqual(["SUCCESS", null]);
    const v2 = await localV2("pull");
    const tags = await expectJson(await v2.fetch(`/v2/${REPO}/tags/list`), 200);
    expect(tags.tags).toEqual(["v1"]);
    const got = await v2.fetch(`/v2/${REPO}/manifests/v1`, { headers: { Accept: MT.ociIndex } });
    expect(got.headers.get("docker-content-digest")).toBe(index.digest);
    expect(Buffer.from(await got.arrayBuffer()).equals(Buffer.from(index.bytes))).toBe(true);
    for (const p of platforms) {
      expect((await v2.fetch(`/v2/${REPO}/manifests/${p.digest}`, { headers: { Accept: MT.ociManifest } })).status).toBe(200);
      const layer = await v2.fetch(`/v2/${REPO}/blobs/${p.layers[0]!.digest}`);
      expect(Buffer.from(await layer.arrayBuffer()).equals(Buffer.from(p.layers[0]!.bytes))).toBe(true);
    }
    const referrers = await expectJson(await v2.fetch(`/v2/${REPO}/referrers/${index.digest}`), 200);
    expect(referrers.manifests.map((m: any) => m.digest)).toEqual([referrer.digest]);
  });

  test("only the mirror writes a MIRROR repository: a push over /v2 and a tag change over API v1 are refused", async () => {
    const v2 = await localV2();
    const pushed = await v2.fetch(`/v2/${REPO}/blobs/uploads/`, { method: "POST" });
    expect(pushed.status).toBe(405);
    expect(((await pushed.json()) as any).errors[0].message).toContain("is a mirror");
    const moved = await admin.fetch(`/api/v1/repository/${REPO}/tag/v1`, { method: "DELETE" });
    expect(moved.status).toBe(503);
    expect(((await moved.json()) as any).message).toBe("Repository is in read only or mirror mode: MIRROR");
  });

  test("a tag moved upstream moves here at the next sync; a tag gone upstream ends here", async () => {
    const before = index.digest;
    await pushIndex("v1");
    expect(index.digest).not.toBe(before);
    await up.pushImage(UP_REPO, "v2", { layers: 1 });
    expect((await admin.post(`${M}/sync-now`)).status).toBe(204);
    await sync();
    const v2 = await localV2("pull");
    expect((await v2.fetch(`/v2/${REPO}/manifests/v1`, { method: "HEAD", headers: { Accept: MT.ociIndex } })).headers.get("docker-content-digest")).toBe(index.digest);
    expect((await expectJson(await v2.fetch(`/v2/${REPO}/tags/list`), 200)).tags).toEqual(["v1", "v2"]);
    // v2 goes upstream: the next sync ends it here.
    const token = await registryToken(upstream.url, ["admin", UP_PASSWORD], `repository:${UP_REPO}:pull,push,delete`);
    expect((await new BearerRegistryClient(upstream.url, token).fetch(`/v2/${UP_REPO}/manifests/v2`, { method: "DELETE" })).status).toBe(202);
    await admin.post(`${M}/sync-now`);
    await sync();
    expect((await expectJson(await v2.fetch(`/v2/${REPO}/tags/list`), 200)).tags).toEqual(["v1"]);
  });

  test("the audit log has Quay's repo_mirror_* entries; the robot's pushes are its own", async () => {
    const logs = (await expectJson(await admin.get(`/api/v1/repository/${REPO}/logs`), 200)).logs as { kind: string; metadata: any; performer?: { name: string } }[];
    const kinds = logs.map((l) => l.kind);
    expect(kinds).toContain("repo_mirror_config_changed");
    expect(kinds).toContain("repo_mirror_sync_started");
    expect(kinds).toContain("repo_mirror_sync_success");
    expect(logs.find((l) => l.kind === "repo_mirror_sync_success")!.metadata).toMatchObject({ verb: "end", message: expect.stringContaining("with tag pattern 'v*'") });
    expect(logs.find((l) => l.kind === "push_repo")?.performer?.name).toBe("admin+mirror");
  });

  test("repo_mirror_sync_started and _success notifications are delivered with Quay's event data", async () => {
    for (let i = 0; i < 100 && received.length < 2; i++) await Bun.sleep(50);
    expect(received[0]).toMatchObject({ repository: REPO, namespace: "admin", name: "mirrored", message: expect.stringContaining("with tag pattern 'v*'") });
    expect(received.length).toBeGreaterThanOrEqual(2);
  });

  test("wrong credentials: the sync fails, and the API shows FAIL with the error", async () => {
    expect((await admin.fetch(M, { method: "PUT", json: { external_registry_username: "admin", external_registry_password: "wrong" } })).status).toBe(201);
    await admin.post(`${M}/sync-now`);
    await sync();
    const view = await expectJson(await admin.get(M), 200);
    expect(view.sync_status).toBe("FAIL");
    expect(view.last_error).toContain("refused the credentials");
    expect(view.sync_retries_remaining).toBe(2);
    const logs = (await expectJson(await admin.get(`/api/v1/repository/${REPO}/logs`), 200)).logs as { kind: string }[];
    expect(logs.map((l) => l.kind)).toContain("repo_mirror_sync_failed");
    // Back off: not due again at once.
    expect(await sync()).toEqual([]);
  });

  test("sync-cancel: a SYNC_NOW mirror is cancelled and not run", async () => {
    await admin.post(`${M}/sync-now`);
    expect((await admin.post(`${M}/sync-cancel`)).status).toBe(204);
    expect((await expectJson(await admin.get(M), 200)).sync_status).toBe("CANCEL");
    expect(await sync()).toEqual([]);
    // Nothing to cancel now: Quay's 404.
    expect((await admin.post(`${M}/sync-cancel`)).status).toBe(404);
  });
});

describe("who may use the mirror API", () => {
  const REDIRECT = "https://tool.example/callback";
  /** An OAuth token of admin's with `scope` (the implicit grant, as a script gets one). */
  async function oauthToken(scope: string): Promise<string> {
    const org = `mirrororg${crypto.randomUUID().slice(0, 6)}`;
    await expectJson(await admin.post("/api/v1/organization/", { name: org }), 201);
    const app = await expectJson(await admin.post(`/api/v1/organization/${org}/applications`, { name: "tool", redirect_uri: REDIRECT, description: "" }), 200);
    const form = new URLSearchParams({ response_type: "token", redirect_uri: REDIRECT, client_id: app.client_id, scope, _csrf_token: admin.csrfToken! });
    const res = await admin.fetch("/oauth/authorizeapp", { method: "POST", body: form.toString(), headers: { "Content-Type": "application/x-www-form-urlencoded" }, csrf: false });
    const location = res.headers.get("location")!;
    return new URLSearchParams(location.slice(location.indexOf("#") + 1)).get("access_token")!;
  }
  const bearer = (token: string, method = "GET") => fetch(`${local.url}${M}${method === "POST" ? "/sync-now" : ""}`, { method, headers: { Authorization: `Bearer ${token}` } });

  test("anonymous callers, other users, registry tokens and OAuth tokens without repo:admin are refused", async () => {
    expect((await fetch(`${local.url}${M}`)).status).toBe(401);
    await createUsers(local.server.ctx.stores, { bob: "bob-Secret-1" });
    const bob = await signedIn(local.url, "bob", "bob-Secret-1");
    expect((await bob.get(M)).status).toBe(403);
    expect((await bob.post(`${M}/sync-now`)).status).toBe(403);
    expect((await bob.post(M, config())).status).toBe(403);
    const jwt = await registryToken(local.url, ["admin", PASSWORD], `repository:${REPO}:pull,push`);
    expect((await bearer(jwt)).status).toBe(401);
    expect((await bearer(await oauthToken("repo:read"))).status).toBe(403);
  });

  test("an OAuth token with repo:admin reads and asks for a sync without CSRF; a session needs its CSRF token", async () => {
    const token = await oauthToken("repo:admin");
    expect((await bearer(token)).status).toBe(200);
    expect((await bearer(token, "POST")).status).toBe(204);
    expect((await admin.fetch(`${M}/sync-cancel`, { method: "POST", csrf: false })).status).toBe(403);
  });

  test("an upstream on this host is refused unless mirrorAllowLoopback is on", async () => {
    const strict = await startTestServer({ auth: "token", mirrorPollSeconds: "0" }, { adminPassword: PASSWORD });
    try {
      const a = await signedIn(strict.url, "admin", PASSWORD);
      await expectJson(await a.post("/api/v1/repository", { repository: "m", visibility: "private", description: "" }), 201);
      await expectJson(await a.fetch("/api/v1/user/robots/mirror", { method: "PUT" }), 201);
      for (const reference of [`${new URL(upstream.url).host}/${UP_REPO}`, "localhost:5000/a/b", "169.254.169.254/a/b"]) {
        const res = await a.post("/api/v1/repository/admin/m/mirror", config({ external_reference: reference }));
        expect([reference, res.status]).toEqual([reference, 400]);
        expect(((await res.json()) as any).detail).toContain("The provided registry location is not allowed");
      }
    } finally {
      await strict.stop();
    }
  });
});

describe("cancelling a running sync", () => {
  test("sync-cancel stops it between two steps; the mirror stays CANCEL until asked again", async () => {
    // A relay that answers blobs slowly, so the sync is still running when the cancel comes.
    const relay = Bun.serve({
      hostname: "127.0.0.1",
      port: 0,
      async fetch(req) {
        const url = new URL(req.url);
        if (url.pathname.includes("/blobs/")) await Bun.sleep(400);
        return fetch(`${upstream.url}${url.pathname}${url.search}`, { method: req.method, headers: req.headers, redirect: "manual" });
      },
    });
    try {
      await expectJson(await admin.post("/api/v1/repository", { repository: "slow", visibility: "private", description: "" }), 201);
      const S = "/api/v1/repository/admin/slow/mirror";
      expect((await admin.post(S, config({ external_reference: `127.0.0.1:${relay.port}/${UP_REPO}`, root_rule: { rule_kind: "tag_glob_csv", rule_value: ["*"] } }))).status).toBe(201);
      const started = Date.now();
      const running = sync();
      for (let i = 0; i < 200 && (await expectJson(await admin.get(S), 200)).sync_status !== "SYNCING"; i++) await Bun.sleep(20);
      expect((await admin.post(`${S}/sync-cancel`)).status).toBe(204);
      await running;
      const view = await expectJson(await admin.get(S), 200);
      expect([view.sync_status, view.sync_retries_remaining]).toEqual(["CANCEL", 0]);
      const logs = (await expectJson(await admin.get("/api/v1/repository/admin/slow/logs"), 200)).logs as { kind: string; metadata: any }[];
      expect(logs.find((l) => l.kind === "repo_mirror_sync_failed")?.metadata.message).toContain("cancelled");
      expect(Date.now() - started).toBeLessThan(15_000);
      expect(await sync()).toEqual([]);
    } finally {
      relay.stop(true);
    }
  });
});

describe("architecture_filter (Quay's copy_filtered_architectures, a sparse index)", () => {
  test("only the listed platforms are copied, the index stored as it is upstream; a platform added later is copied; none matching fails the sync", async () => {
    await expectJson(await admin.post("/api/v1/repository", { repository: "filtered", visibility: "private", description: "" }), 201);
    const F = "/api/v1/repository/admin/filtered/mirror";
    expect((await admin.post(F, config({ architecture_filter: ["arm64"] }))).status).toBe(201);
    expect((await expectJson(await admin.get(F), 200)).architecture_filter).toEqual(["arm64"]);
    await sync();
    expect((await expectJson(await admin.get(F), 200)).sync_status).toBe("SUCCESS");
    const v2 = new BearerRegistryClient(local.url, await registryToken(local.url, ["admin", PASSWORD], "repository:admin/filtered:pull"));
    const got = await v2.fetch("/v2/admin/filtered/manifests/v1", { headers: { Accept: MT.ociIndex } });
    expect(got.headers.get("docker-content-digest")).toBe(index.digest);
    expect(Buffer.from(await got.arrayBuffer()).equals(Buffer.from(index.bytes))).toBe(true);
    const [amd, arm] = platforms as [Image, Image];
    const has = async (p: Image) => (await v2.fetch(`/v2/admin/filtered/manifests/${p.digest}`, { headers: { Accept: MT.ociManifest } })).status;
    const hasLayer = async (p: Image) => (await v2.fetch(`/v2/admin/filtered/blobs/${p.layers[0]!.digest}`, { method: "HEAD" })).status;
    expect([await has(arm), await hasLayer(arm), await has(amd), await hasLayer(amd)]).toEqual([200, 200, 404, 404]);

    expect((await admin.fetch(F, { method: "PUT", json: { architecture_filter: ["amd64", "arm64"] } })).status).toBe(201);
    await admin.post(`${F}/sync-now`);
    await sync();
    expect([await has(arm), await has(amd), await hasLayer(amd)]).toEqual([200, 200, 200]);

    expect((await admin.fetch(F, { method: "PUT", json: { architecture_filter: ["s390x"] } })).status).toBe(201);
    await admin.post(`${F}/sync-now`);
    await sync();
    const failed = await expectJson(await admin.get(F), 200);
    expect([failed.sync_status, failed.last_error]).toEqual(["FAIL", "No matching architectures. Requested: ['s390x'], Available: ['amd64', 'arm64']"]);
  });
});

describe("external_registry_config.proxy", () => {
  test("a sync goes through the proxy (its login never shown back); no_proxy sends it direct", async () => {
    const seen: string[] = [];
    const proxy = Bun.serve({
      hostname: "127.0.0.1",
      port: 0,
      async fetch(req) {
        // A forward proxy: the request line names the upstream's URL.
        seen.push(`${req.headers.get("proxy-authorization") ? "auth " : ""}${new URL(req.url).pathname}`);
        const headers = new Headers(req.headers);
        headers.delete("proxy-authorization");
        const res = await fetch(req.url, { method: req.method, headers, redirect: "manual", proxy: false } as RequestInit);
        return new Response(res.body, { status: res.status, headers: res.headers });
      },
    });
    try {
      await expectJson(await admin.post("/api/v1/repository", { repository: "proxied", visibility: "private", description: "" }), 201);
      const P = "/api/v1/repository/admin/proxied/mirror";
      const proxyUrl = `http://puser:proxy-Secret-9@127.0.0.1:${proxy.port}`;
      const body = config({ external_registry_config: { verify_tls: false, proxy: { http_proxy: proxyUrl } } });
      expect((await admin.post(P, body)).status).toBe(201);
      const view = await expectJson(await admin.get(P), 200);
      expect(view.external_registry_config.proxy).toEqual({ http_proxy: `http://puser:********@127.0.0.1:${proxy.port}` });
      await sync();
      expect((await expectJson(await admin.get(P), 200)).sync_status).toBe("SUCCESS");
      expect(seen).toContain("auth /v2/admin/app/tags/list");
      expect(seen.some((p) => p.startsWith("auth /v2/admin/app/blobs/"))).toBe(true);
      const v2 = new BearerRegistryClient(local.url, await registryToken(local.url, ["admin", PASSWORD], "repository:admin/proxied:pull"));
      expect((await v2.fetch("/v2/admin/proxied/manifests/v1", { method: "HEAD", headers: { Accept: MT.ociIndex } })).headers.get("docker-content-digest")).toBe(index.digest);

      expect((await admin.fetch(P, { method: "PUT", json: { external_registry_config: { proxy: { no_proxy: "127.0.0.1" } } } })).status).toBe(201);
      const logs = await expectJson(await admin.get("/api/v1/repository/admin/proxied/logs"), 200);
      expect(logs.logs.find((l: any) => l.kind === "repo_mirror_config_changed" && l.metadata.changed === "no_proxy")?.metadata.to).toBe("127.0.0.1");
      const before = seen.length;
      await admin.post(`${P}/sync-now`);
      await sync();
      expect((await expectJson(await admin.get(P), 200)).sync_status).toBe("SUCCESS");
      expect(seen.length).toBe(before);
      expect(JSON.stringify(await expectJson(await admin.get(P), 200))).not.toContain("proxy-Secret-9");
    } finally {
      proxy.stop(true);
    }
  });
});

describe("the mirror's pushes are pushes", () => {
  test("a namespace over its quota fails the sync with Quay's quota message, and nothing is stored", async () => {
    await expectJson(await admin.post("/api/v1/organization/", { name: "mirrorq" }), 201);
    await expectJson(await admin.post("/api/v1/repository", { namespace: "mirrorq", repository: "m", visibility: "private", description: "" }), 201);
    await expectJson(await admin.fetch("/api/v1/organization/mirrorq/robots/mirror", { method: "PUT" }), 201);
    expect((await admin.post("/api/v1/superuser/organization/mirrorq/quota", { limit_bytes: 1 })).status).toBe(201);
    const [quota] = (await expectJson(await admin.get("/api/v1/organization/mirrorq/quota"), 200)) as { id: number }[];
    expect((await admin.post(`/api/v1/organization/mirrorq/quota/${quota!.id}/limit`, { type: "Reject", threshold_percent: 100 })).status).toBe(201);
    const Q = "/api/v1/repository/mirrorq/m/mirror";
    expect((await admin.post(Q, config({ robot_username: "mirrorq+mirror" }))).status).toBe(201);
    await sync();
    const view = await expectJson(await admin.get(Q), 200);
    expect([view.sync_status, view.last_error]).toEqual(["FAIL", expect.stringContaining("Quota has been exceeded on namespace")]);
    const id = (await local.server.ctx.stores.repositories.find("mirrorq/m"))!.id;
    expect((await local.server.ctx.stores.tags.list(id, undefined, undefined))).toEqual([]);
  });
});
