// A repository mirror of CNCF Distribution (Debian's docker-registry) with htpasswd auth: Basic
// credentials after a Basic challenge, no referrers API (the `sha256-<hex>` tag fallback is used),
// a two-platform index copied whole; wrong credentials fail the sync with the error shown.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { basicAuth, BearerRegistryClient, descriptor, manifestDescriptor, MT, registryToken, type Bytes, type PushedBlob } from "../support/registryClient";
import { freePort, startTestServer, tempDir, type TestServer } from "../support/server";
import { expectJson, signedIn, type V1Client } from "../support/v1Client";
import { mirrorBody } from "../support/mirrorConfig";
import { run } from "../support/e2eHelpers";

const BIN = "/usr/bin/docker-registry";
const USER = "mirror";
const UP_PASSWORD = "distribution-Secret-1";
const PASSWORD = "mirror-Secret-1";
const dir = tempDir("berth-distribution-");
let proc: Bun.Subprocess | undefined;
let upstreamHost = "";
let local: TestServer | undefined;
let admin: V1Client;

beforeAll(async () => {
  if (!existsSync(BIN)) return;
  const port = await freePort();
  upstreamHost = `127.0.0.1:${port}`;
  mkdirSync(join(dir, "storage"));
  writeFileSync(join(dir, "htpasswd"), `${USER}:${await Bun.password.hash(UP_PASSWORD, { algorithm: "bcrypt", cost: 4 })}\n`);
  writeFileSync(
    join(dir, "config.yml"),
    [
      "version: 0.1",
      "log: { level: error }",
      `storage: { filesystem: { rootdirectory: ${join(dir, "storage")} }, delete: { enabled: true } }`,
      `http: { addr: "${upstreamHost}" }`,
      `auth: { htpasswd: { realm: basic-realm, path: ${join(dir, "htpasswd")} } }`,
    ].join("\n"),
  );
  proc = Bun.spawn([BIN, "serve", join(dir, "config.yml")], { stdout: "ignore", stderr: "ignore" });
  for (let i = 0; i < 100; i++) {
    try {
      if ((await fetch(`http://${upstreamHost}/v2/`)).status === 401) break;
    } catch {}
    await Bun.sleep(50);
  }
  local = await startTestServer({ auth: "token", mirrorAllowLoopback: "true", mirrorPollSeconds: "0" }, { adminPassword: PASSWORD });
  admin = await signedIn(local.url, "admin", PASSWORD);
  await expectJson(await admin.post("/api/v1/repository", { repository: "dist", visibility: "private", description: "" }), 201);
  await expectJson(await admin.fetch("/api/v1/user/robots/mirror", { method: "PUT" }), 201);
});
afterAll(async () => {
  proc?.kill();
  await proc?.exited;
  await local?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const M = "/api/v1/repository/admin/dist/mirror";

/** Distribution 2.8 answers a monolithic POST with a session: push blobs as POST then PUT. */
class DistributionClient extends BearerRegistryClient {
  override async pushBlob(repo: string, bytes: Bytes, mediaType: string = MT.ociLayer): Promise<PushedBlob> {
    const d = descriptor(mediaType, bytes);
    const start = await this.fetch(`/v2/${repo}/blobs/uploads/`, { method: "POST" });
    const location = new URL(start.headers.get("location")!, this.base);
    location.searchParams.set("digest", d.digest);
    const put = await this.fetch(location.href, { method: "PUT", headers: { "Content-Type": "application/octet-stream" }, body: bytes });
    if (put.status !== 201) throw new Error(`push blob: ${put.status} ${await put.text()}`);
    return d;
  }
}

describe.skipIf(!existsSync(BIN))("mirroring Distribution with htpasswd", () => {
  test("an index with both platforms and a referrer found through the tag fallback", async () => {
    const up = new DistributionClient(`http://${upstreamHost}`, undefined, { Authorization: basicAuth(USER, UP_PASSWORD) });
    const platforms = [await up.pushImage("team/app", undefined, { architecture: "amd64" }), await up.pushImage("team/app", undefined, { architecture: "arm64" })];
    const index = await up.pushManifest("team/app", "v1", { schemaVersion: 2, mediaType: MT.ociIndex, manifests: platforms.map((p) => manifestDescriptor(p)) }, MT.ociIndex);
    const sig = await up.pushImage("team/app", undefined, { artifactType: "application/vnd.example.signature", subject: { mediaType: MT.ociIndex, digest: index.digest, size: index.bytes.byteLength } });
    // Distribution 2.8 has no referrers API: tools keep the list under the fallback tag.
    await up.pushManifest("team/app", index.digest.replace(":", "-"), { schemaVersion: 2, mediaType: MT.ociIndex, manifests: [manifestDescriptor(sig, { artifactType: "application/vnd.example.signature" })] }, MT.ociIndex);

    const created = await admin.post(M, mirrorBody({ reference: `${upstreamHost}/team/app`, username: USER, password: UP_PASSWORD, globs: ["v*"] }));
    expect(created.status).toBe(201);
    await local!.server.ctx.mirrors.worker.runOnce();
    const view = await expectJson(await admin.get(M), 200);
    expect([view.sync_status, view.last_error]).toEqual(["SUCCESS", null]);
    const v2 = new BearerRegistryClient(local!.url, await registryToken(local!.url, ["admin", PASSWORD], "repository:admin/dist:pull"));
    expect((await expectJson(await v2.fetch("/v2/admin/dist/tags/list"), 200)).tags).toEqual(["v1"]);
    const got = await v2.fetch("/v2/admin/dist/manifests/v1", { headers: { Accept: MT.ociIndex } });
    expect(got.headers.get("docker-content-digest")).toBe(index.digest);
    for (const p of platforms) expect((await v2.fetch(`/v2/admin/dist/blobs/${p.layers[1]!.digest}`)).status).toBe(200);
    const referrers = await expectJson(await v2.fetch(`/v2/admin/dist/referrers/${index.digest}`), 200);
    expect(referrers.manifests.map((m: any) => m.digest)).toEqual([sig.digest]);
    // skopeo copies every platform from the mirror (token flow) and from Distribution: the same bytes.
    const skopeo = (...args: string[]) => run(["skopeo", "--insecure-policy", "copy", "--all", "--preserve-digests", "--src-tls-verify=false", ...args]);
    await skopeo("--src-creds", `admin:${PASSWORD}`, `docker://${new URL(local!.url).host}/admin/dist:v1`, `oci:${join(dir, "from-mirror")}:v1`);
    await skopeo("--src-creds", `${USER}:${UP_PASSWORD}`, `docker://${upstreamHost}/team/app:v1`, `oci:${join(dir, "from-upstream")}:v1`);
    const blobs = (d: string) => readdirSync(join(dir, d, "blobs", "sha256")).sort();
    expect(blobs("from-mirror")).toEqual(blobs("from-upstream"));
    expect(blobs("from-mirror").length).toBe(9); // the index, 2 manifests, 2 configs, 4 layers
  });

  test("a wrong password: FAIL, with the upstream's refusal as the error", async () => {
    expect((await admin.fetch(M, { method: "PUT", json: { external_registry_username: USER, external_registry_password: "wrong" } })).status).toBe(201);
    await admin.post(`${M}/sync-now`);
    await local!.server.ctx.mirrors.worker.runOnce();
    const view = await expectJson(await admin.get(M), 200);
    expect(view.sync_status).toBe("FAIL");
    expect(view.last_error).toContain("refused the credentials");
  });
});
