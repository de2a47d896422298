// A repository mirror in the compiled binary, syncing from a second Berth (token auth) behind a
// slow loopback relay, killed with SIGKILL in the middle of its sync: started again on the same
// data directory, it resumes (the interrupted sync runs again at once) and fetches only what the
// first run had not stored; afterwards every tag is the upstream's, byte for byte.
import { afterAll, expect, test } from "bun:test";
import { rmSync } from "node:fs";
import { BearerRegistryClient, registryToken } from "../support/registryClient";
import { startBinary, startTestServer, tempDir, type BinaryServer, type TestServer } from "../support/server";
import { expectJson, signedIn } from "../support/v1Client";
import { mirrorBody } from "../support/mirrorConfig";
import { onPgS3 } from "../support/e2eBackend";

const UP_PASSWORD = "upstream-Secret-1";
const PASSWORD = "mirror-Secret-1";
const TAGS = 24;
const dataDir = tempDir("berth-mirror-e2e-");
let upstream: TestServer | undefined;
let relay: ReturnType<typeof Bun.serve> | undefined;
let berth: BinaryServer | undefined;
afterAll(async () => {
  await berth?.stop();
  relay?.stop(true);
  await upstream?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

/** Blob GETs the relay passed on, by digest. */
const blobFetches = new Map<string, number>();

test("SIGKILL in the middle of a sync: the next start resumes it and copies only what is missing", async () => {
  let upstreamUrl = "";
  relay = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    async fetch(req) {
      const url = new URL(req.url);
      const blob = /\/blobs\/(sha256:[0-9a-f]{64})$/.exec(url.pathname)?.[1];
      if (blob && req.method === "GET") {
        blobFetches.set(blob, (blobFetches.get(blob) ?? 0) + 1);
        await Bun.sleep(60); // slow enough for the kill to land mid-sync
      }
      // The Host is kept: the upstream names the relay in its token realm and service.
      const headers = new Headers(req.headers);
      const body = req.method === "GET" || req.method === "HEAD" ? undefined : await req.arrayBuffer();
      return fetch(`${upstreamUrl}${url.pathname}${url.search}`, { method: req.method, headers, body, redirect: "manual" });
    },
  });
  const relayHost = `127.0.0.1:${relay.port}`;
  upstream = await startTestServer({ auth: "token" }, { adminPassword: UP_PASSWORD });
  upstreamUrl = upstream.url;
  const relayUrl = `http://${relayHost}`;
  const up = new BearerRegistryClient(relayUrl, await registryToken(relayUrl, ["admin", UP_PASSWORD], "repository:admin/app:pull,push"));
  const digests: Record<string, string> = {};
  for (let i = 0; i < TAGS; i++) digests[`v${i}`] = (await up.pushImage("admin/app", `v${i}`, { layers: 2, layerSize: 32 * 1024 })).digest;
  const blobsUpstream = TAGS * 3;

  const env = { BERTH_ADMIN_PASSWORD: PASSWORD, BERTH_MIRROR_ALLOW_LOOPBACK: "true", BERTH_MIRROR_POLL_SECONDS: "1", BERTH_MIRROR_CONCURRENCY: "1" };
  berth = await startBinary({ dataDir, args: ["--auth", "token"], env });
  const admin = await signedIn(berth.url, "admin", PASSWORD);
  await expectJson(await admin.post("/api/v1/repository", { repository: "mirrored", visibility: "private", description: "" }), 201);
  await expectJson(await admin.fetch("/api/v1/user/robots/mirror", { method: "PUT" }), 201);
  const created = await admin.post(
    "/api/v1/repository/admin/mirrored/mirror",
    mirrorBody({ reference: `${relayHost}/admin/app`, username: "admin", password: UP_PASSWORD, globs: ["v*"], interval: 86400 }),
  );
  expect(created.status).toBe(201);

  // Wait until part of the images are here, then kill it.
  const localTags = async (server: BinaryServer) => {
    const token = await registryToken(server.url, ["admin", PASSWORD], "repository:admin/mirrored:pull");
    const res = await new BearerRegistryClient(server.url, token).fetch("/v2/admin/mirrored/tags/list");
    return res.status === 200 ? (((await res.json()) as { tags: string[] | null }).tags ?? []) : [];
  };
  const deadline = Date.now() + 60_000;
  while ((await localTags(berth)).length < 4 && Date.now() < deadline) await Bun.sleep(50);
  await berth.kill();
  const fetchedBefore = [...blobFetches.values()].reduce((a, b) => a + b, 0);
  expect(fetchedBefore).toBeGreaterThan(0);
  expect(fetchedBefore).toBeLessThan(blobsUpstream);

  berth = await startBinary({ dataDir, args: ["--auth", "token"], env });
  const again = await signedIn(berth.url, "admin", PASSWORD);
  const M = "/api/v1/repository/admin/mirrored/mirror";
  if (onPgS3) {
    // On PostgreSQL a starting node takes no SYNCING mirror for its own orphan (another node may be
    // running it, docs/POSTGRES.md): it waits for the claim to expire (skopeo_timeout_interval,
    // 300 s at least). An administrator cuts that short: cancel, then sync now.
    await Bun.sleep(1500); // a poll or more
    expect((await expectJson(await again.get(M), 200)).sync_status).toBe("SYNCING");
    expect((await again.post(`${M}/sync-cancel`)).status).toBe(204);
    expect((await again.post(`${M}/sync-now`)).status).toBe(204);
  }
  let view: any;
  while (Date.now() < deadline + 60_000) {
    view = await expectJson(await again.get(M), 200);
    if (view.sync_status === "SUCCESS" || view.sync_status === "FAIL") break;
    await Bun.sleep(100);
  }
  expect([view.sync_status, view.last_error]).toEqual(["SUCCESS", null]);
  expect((await localTags(berth)).length).toBe(TAGS);
  // Resumed, not restarted: every blob crossed at most twice (the ones in flight at the kill), and
  // all of them together less than two full copies.
  const total = [...blobFetches.values()].reduce((a, b) => a + b, 0);
  expect(blobFetches.size).toBe(blobsUpstream);
  expect(Math.max(...blobFetches.values())).toBeLessThanOrEqual(2);
  expect(total - fetchedBefore).toBeLessThan(blobsUpstream);
  // Every tag is the upstream's manifest.
  const token = await registryToken(berth.url, ["admin", PASSWORD], "repository:admin/mirrored:pull");
  const local = new BearerRegistryClient(berth.url, token);
  for (const [tag, digest] of Object.entries(digests)) {
    const res = await local.fetch(`/v2/admin/mirrored/manifests/${tag}`, { method: "HEAD", headers: { Accept: "application/vnd.oci.image.manifest.v1+json" } });
    expect([tag, res.headers.get("docker-content-digest")]).toEqual([tag, digest]);
  }
}, 120_000);
