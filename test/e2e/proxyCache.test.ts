// A proxy-cache organization in the compiled binary, pulled with skopeo: the upstream is a second
// Berth (token auth, in this process) behind a relay that counts what it serves. A cold pull
// through the cache gives the upstream's bytes; a second pull, with the upstream stopped, gives
// them again from the cache.
import { afterAll, expect, test } from "bun:test";
import { readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { BearerRegistryClient, digestOf, registryToken } from "../support/registryClient";
import { run } from "../support/e2eHelpers";
import { startBinary, startTestServer, tempDir, type BinaryServer, type TestServer } from "../support/server";
import { expectJson, signedIn } from "../support/v1Client";

const UP_PASSWORD = "upstream-Secret-1";
const PASSWORD = "cache-Secret-1";
const work = tempDir("berth-proxy-e2e-");
let upstream: TestServer | undefined;
let relay: ReturnType<typeof Bun.serve> | undefined;
let berth: BinaryServer | undefined;
afterAll(async () => {
  await berth?.stop();
  relay?.stop(true);
  await upstream?.stop();
  rmSync(work, { recursive: true, force: true });
});

const skopeo = (...args: string[]) => run(["skopeo", "--insecure-policy", ...args]);

test("skopeo pulls through a cache org: the upstream's bytes, then the same with the upstream stopped", async () => {
  upstream = await startTestServer({ auth: "token" }, { adminPassword: UP_PASSWORD });
  const upstreamUrl = upstream.url;
  const blobGets = new Map<string, number>();
  relay = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    async fetch(req) {
      const url = new URL(req.url);
      // The Host is kept: the upstream names the relay in its token realm.
      const body = req.method === "GET" || req.method === "HEAD" ? undefined : await req.arrayBuffer();
      const res = await fetch(`${upstreamUrl}${url.pathname}${url.search}`, { method: req.method, headers: new Headers(req.headers), body, redirect: "manual" });
      if (req.method === "GET" && res.status === 200 && url.pathname.includes("/blobs/")) blobGets.set(url.pathname, (blobGets.get(url.pathname) ?? 0) + 1);
      return res;
    },
  });
  const relayUrl = `http://127.0.0.1:${relay.port}`;
  const up = new BearerRegistryClient(relayUrl, await registryToken(relayUrl, ["admin", UP_PASSWORD], "repository:admin/app:pull,push"));
  const image = await up.pushImage("admin/app", "v1", { layers: 3, layerSize: 2 * 1024 * 1024, format: "docker" });

  berth = await startBinary({ dataDir: join(work, "data"), args: ["--auth", "token"], env: { BERTH_ADMIN_PASSWORD: PASSWORD, BERTH_MIRROR_ALLOW_LOOPBACK: "true" } });
  const admin = await signedIn(berth.url, "admin", PASSWORD);
  await expectJson(await admin.post("/api/v1/organization/", { name: "cache", email: "cache@example.com" }), 201);
  const config = { upstream_registry: `127.0.0.1:${relay.port}`, upstream_registry_username: "admin", upstream_registry_password: UP_PASSWORD, insecure: true };
  expect(await expectJson(await admin.post("/api/v1/organization/cache/proxycache", config), 201)).toBe("Created");

  const reg = new URL(berth.url).host;
  const pull = async (dir: string) => {
    await skopeo("copy", "--src-tls-verify=false", "--src-creds", `admin:${PASSWORD}`, `docker://${reg}/cache/admin/app:v1`, `dir:${dir}`);
    expect(digestOf(new Uint8Array(readFileSync(join(dir, "manifest.json"))))).toBe(image.digest);
    for (const blob of [image.config, ...image.layers]) {
      const bytes = readFileSync(join(dir, blob.digest.slice("sha256:".length)));
      expect(digestOf(new Uint8Array(bytes))).toBe(blob.digest);
    }
  };
  await pull(join(work, "cold"));
  for (const blob of [image.config, ...image.layers]) expect(blobGets.get(`/v2/admin/app/blobs/${blob.digest}`)).toBe(1);

  await upstream.stop();
  upstream = undefined;
  relay.stop(true);
  relay = undefined;
  await pull(join(work, "warm"));
});
