// Quotas as /v2 clients meet them: a push past the Reject limit is refused with Quay's 403 DENIED
// "Quota has been exceeded on namespace" and stores nothing; usage counts each blob once per
// namespace and is exact after deletions (it counts what the database references: collection,
// elsewhere, removes unreferenced manifests and lowers it further); quota_warning and quota_error
// reach webhooks in Quay's namespace payload, once per threshold.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { Stores } from "../../src/store";
import { BearerRegistryClient, expectError, randomBytes, registryToken, type Image } from "../support/registryClient";
import { type TestServer } from "../support/server";
import { WebhookReceiver } from "../support/webhookReceiver";
import { expectJson, type V1Client } from "../support/v1Client";
import { worldForFile } from "../support/world";

const ADMIN_PASSWORD = "admin-Secret-1";
const QUOTA_MESSAGE = "Quota has been exceeded on namespace";

const world = worldForFile({ config: { auth: "token", notificationAllowLoopback: "true" }, server: { adminPassword: ADMIN_PASSWORD }, sessions: ["admin"] });
let server: TestServer;
let stores: Stores;
let su: V1Client;
let receiver: WebhookReceiver;
beforeAll(() => {
  receiver = new WebhookReceiver();
  ({ server, stores } = world);
  su = world.session("admin");
});
afterAll(() => receiver?.stop());

const uniq = () => crypto.randomUUID().slice(0, 8);

/** A new organization with a quota of `bytes` and these limits; answers its name and a /v2 client for its repositories. */
async function orgWithQuota(bytes: number, limits: [string, number][], repos = ["app", "other"]) {
  const org = `qp-${uniq()}`;
  expect((await su.post("/api/v1/organization/", { name: org })).status).toBe(201);
  expect((await su.post(`/api/v1/organization/${org}/quota`, { limit_bytes: bytes })).status).toBe(201);
  const [quota] = await expectJson(await su.get(`/api/v1/organization/${org}/quota`), 200);
  for (const [type, percent] of limits) expect((await su.post(`/api/v1/organization/${org}/quota/${quota.id}/limit`, { type, threshold_percent: percent })).status).toBe(201);
  const scopes = repos.map((r) => `repository:${org}/${r}:pull,push,delete`);
  const v2 = new BearerRegistryClient(server.url, await registryToken(server.url, ["admin", ADMIN_PASSWORD], ...scopes));
  return { org, quotaId: quota.id as number, v2, nsId: async () => (await stores.orgs.namespace(org))!.id };
}

const blobBytes = (image: Image) => image.config.size + image.layers.reduce((n, l) => n + l.size, 0);
const usage = (nsId: number) => stores.quotaUsage.namespaceBytes(nsId);
const truth = (nsId: number) => stores.quotaUsage.recompute(nsId);

describe("a push past the Reject limit", () => {
  test("the manifest PUT answers 403 DENIED with Quay's message; no manifest is stored, the tag stays, usage is unchanged", async () => {
    const { org, v2, nsId } = await orgWithQuota(100_000, [["Reject", 100]]);
    const first = await v2.pushImage(`${org}/app`, "v1", { layers: 1, layerSize: 30_000 });
    // Each layer alone fits; the image as a whole does not.
    const big = await v2.makeImage(`${org}/app`, { layers: 2, layerSize: 40_000 });
    const { res } = await v2.putManifest(`${org}/app`, "v1", big.bytes, big.mediaType);
    const [error] = await expectError(res, 403, "DENIED");
    expect(error).toEqual({ code: "DENIED", message: QUOTA_MESSAGE, detail: {} });
    expect((await v2.fetch(`/v2/${org}/app/manifests/${big.digest}`, { headers: { Accept: big.mediaType } })).status).toBe(404);
    const live = await v2.fetch(`/v2/${org}/app/manifests/v1`, { headers: { Accept: first.mediaType } });
    expect(live.headers.get("docker-content-digest")).toBe(first.digest);
    expect(await usage(await nsId())).toBe(blobBytes(first));
    // Pushed by digest, the same refusal.
    expect((await v2.putManifest(`${org}/app`, big.digest, big.bytes, big.mediaType)).res.status).toBe(403);
  });

  test("a blob that alone would reach it is refused at upload; once usage reaches it no upload starts", async () => {
    const { org, v2, nsId } = await orgWithQuota(100_000, [["Reject", 100]]);
    const bytes = randomBytes(120_000);
    const digest = `sha256:${new Bun.CryptoHasher("sha256").update(bytes).digest("hex")}`;
    const mono = await v2.fetch(`/v2/${org}/app/blobs/uploads/?digest=${digest}`, { method: "POST", body: bytes });
    expect((await expectError(mono, 403, "DENIED"))[0]!.message).toBe(QUOTA_MESSAGE);
    expect((await v2.fetch(`/v2/${org}/app/blobs/${digest}`, { method: "HEAD" })).status).toBe(404);
    await v2.pushImage(`${org}/app`, "v1", { layers: 1, layerSize: 90_000 });
    // A push never takes usage to the limit; a smaller quota can.
    const [quota] = await expectJson(await su.get(`/api/v1/organization/${org}/quota`), 200);
    expect((await su.put(`/api/v1/organization/${org}/quota/${quota.id}`, { limit_bytes: await usage(await nsId()) })).status).toBe(200);
    const start = await v2.fetch(`/v2/${org}/app/blobs/uploads/`, { method: "POST" });
    expect((await expectError(start, 403, "DENIED"))[0]!.message).toBe(QUOTA_MESSAGE);
    // Raising the quota lets pushes through again.
    expect((await su.put(`/api/v1/organization/${org}/quota/${quota.id}`, { limit_bytes: 1_000_000 })).status).toBe(200);
    expect((await v2.fetch(`/v2/${org}/app/blobs/uploads/`, { method: "POST" })).status).toBe(202);
  });
});

describe("usage counts what the database references, each blob once per namespace", () => {
  test("a layer shared by two repositories counts once; deletions give back exactly what nothing else names", async () => {
    const { org, v2, nsId } = await orgWithQuota(10_000_000, [["Reject", 100]]);
    const a = await v2.pushImage(`${org}/app`, "v1", { layers: 2, layerSize: 50_000 });
    // The same layers in a second repository (skopeo and docker mount them) and a config of its own.
    for (const layer of a.layers) expect((await v2.fetch(`/v2/${org}/other/blobs/uploads/?mount=${layer.digest}&from=${org}/app`, { method: "POST" })).status).toBe(201);
    const configBytes = new TextEncoder().encode(JSON.stringify({ architecture: "arm64", os: "linux", rootfs: { type: "layers", diff_ids: [] } }));
    const config = await v2.pushBlob(`${org}/other`, configBytes, "application/vnd.oci.image.config.v1+json");
    const manifest = { schemaVersion: 2, mediaType: a.mediaType, config: { mediaType: config.mediaType, digest: config.digest, size: config.size }, layers: a.manifest.layers };
    const b = await v2.pushManifest(`${org}/other`, "v1", manifest);
    expect(await usage(await nsId())).toBe(blobBytes(a) + config.size);
    expect(await usage(await nsId())).toBe(await truth(await nsId()));

    // What the views show: the organization's total, each repository's own.
    const view = await expectJson(await su.get(`/api/v1/organization/${org}`), 200);
    expect(view.quota_report).toMatchObject({ quota_bytes: blobBytes(a) + config.size, configured_quota: 10_000_000 });
    const list = await expectJson(await su.get(`/api/v1/repository?namespace=${org}`), 200);
    const reports = Object.fromEntries(list.repositories.map((r: any) => [r.name, r.quota_report]));
    expect(reports).toEqual({
      app: { quota_bytes: blobBytes(a), configured_quota: 10_000_000 },
      other: { quota_bytes: blobBytes(a) - a.config.size + config.size, configured_quota: 10_000_000 },
    });

    // Deleting a tag keeps its manifest (restorable): the bytes stay referenced.
    expect((await v2.fetch(`/v2/${org}/app/manifests/v1`, { method: "DELETE" })).status).toBe(202);
    expect(await usage(await nsId())).toBe(blobBytes(a) + config.size);
    // Deleting the manifest gives back only its own config: the layers are still named by the other.
    expect((await v2.fetch(`/v2/${org}/app/manifests/${a.digest}`, { method: "DELETE" })).status).toBe(202);
    expect(await usage(await nsId())).toBe(blobBytes(a) - a.config.size + config.size);
    expect((await v2.fetch(`/v2/${org}/other/manifests/${b.digest}`, { method: "DELETE" })).status).toBe(202);
    expect(await usage(await nsId())).toBe(0);
    expect(await truth(await nsId())).toBe(0);
    expect((await expectJson(await su.get(`/api/v1/organization/${org}`), 200)).quota_report.quota_bytes).toBe(0);
  });
});

describe("quota_warning and quota_error notifications", () => {
  async function hookOn(repo: string, event: string) {
    const hook = receiver.hook();
    const res = await su.post(`/api/v1/repository/${repo}/notification/`, { event, method: "webhook", config: { url: hook.url }, eventConfig: {}, title: event });
    expect(res.status).toBe(201);
    return hook;
  }
  const until = async (cond: () => boolean | Promise<boolean>) => {
    const deadline = Date.now() + 5_000;
    while (!(await cond())) {
      if (Date.now() > deadline) throw new Error("no delivery in time");
      await Bun.sleep(10);
    }
  };
  /** Deliveries are queued inside the push request: an empty outbox means none will come. */
  const settled = () => until(async () => (await stores.notifications.pending()).length === 0);

  test("crossing the Warning share fires quota_warning once, in Quay's namespace payload, to every repository listening", async () => {
    const { org, v2 } = await orgWithQuota(100_000, [["Warning", 50], ["Reject", 100]]);
    // Pushes create repositories; notifications need them first.
    await v2.pushImage(`${org}/app`, "v0", { layers: 1, layerSize: 1_000 });
    await v2.pushImage(`${org}/other`, "v0", { layers: 1, layerSize: 1_000 });
    const onApp = await hookOn(`${org}/app`, "quota_warning");
    const onOther = await hookOn(`${org}/other`, "quota_warning");
    const onError = await hookOn(`${org}/app`, "quota_error");
    const before = await stores.quotaUsage.namespaceBytes((await stores.orgs.namespace(org))!.id);
    await v2.pushImage(`${org}/app`, "v1", { layers: 1, layerSize: 60_000 });
    await until(() => receiver.of(onApp.path).length === 1 && receiver.of(onOther.path).length === 1);
    const [payload] = receiver.of(onApp.path);
    // The upload of the layer crossed the share (as in Quay, blob uploads measure too).
    const used = before + 60_000;
    const host = new URL(server.url).host;
    expect(payload).toEqual({
      namespace: org,
      homepage: `http://${host}/organization/${org}`,
      threshold_percent: 50,
      usage_bytes: used,
      limit_bytes: 100_000,
      usage_percent: Math.floor(used / 1000),
      usage_bytes_formatted: `${(used / 1024).toFixed(2)} KB`,
      limit_bytes_formatted: "97.66 KB",
    });
    // Still past the Warning share: no second event.
    await v2.pushImage(`${org}/app`, "v2", { layers: 1, layerSize: 1_000 });
    await settled();
    expect(receiver.of(onApp.path)).toHaveLength(1);
    expect(receiver.of(onError.path)).toHaveLength(0);
  });

  test("a refused push fires quota_error once; below the share again, the next crossing fires anew", async () => {
    const { org, v2, nsId } = await orgWithQuota(100_000, [["Warning", 50], ["Reject", 100]]);
    await v2.pushImage(`${org}/app`, "v0", { layers: 1, layerSize: 1_000 });
    const onError = await hookOn(`${org}/app`, "quota_error");
    const onWarning = await hookOn(`${org}/app`, "quota_warning");
    for (let i = 0; i < 2; i++) {
      const big = await v2.makeImage(`${org}/app`, { layers: 2, layerSize: 50_000 });
      expect((await v2.putManifest(`${org}/app`, `big${i}`, big.bytes, big.mediaType)).res.status).toBe(403);
    }
    await until(() => receiver.of(onError.path).length >= 1);
    await settled();
    expect(receiver.of(onError.path)).toHaveLength(1);
    expect(receiver.of(onError.path)[0]).toMatchObject({ namespace: org, threshold_percent: 100, limit_bytes: 100_000 });
    expect((receiver.of(onError.path)[0]!.usage_percent as number) >= 100).toBe(true);

    const mid = await v2.pushImage(`${org}/app`, "mid", { layers: 1, layerSize: 55_000 });
    await until(() => receiver.of(onWarning.path).length === 1);
    // Below the share again (the image deleted), then past it again: a new warning.
    expect((await v2.fetch(`/v2/${org}/app/manifests/${mid.digest}`, { method: "DELETE" })).status).toBe(202);
    await v2.pushImage(`${org}/app`, "small", { layers: 1, layerSize: 1_000 });
    await v2.pushImage(`${org}/app`, "mid2", { layers: 1, layerSize: 55_000 });
    await until(() => receiver.of(onWarning.path).length === 2);
    expect(await usage(await nsId())).toBe(await truth(await nsId()));
  });

  test("a limit added while usage is past it fires at once (Quay's retroactive notification)", async () => {
    const { org, quotaId, v2 } = await orgWithQuota(100_000, []);
    await v2.pushImage(`${org}/app`, "v1", { layers: 1, layerSize: 70_000 });
    const hook = await hookOn(`${org}/app`, "quota_warning");
    expect((await su.post(`/api/v1/organization/${org}/quota/${quotaId}/limit`, { type: "Warning", threshold_percent: 60 })).status).toBe(201);
    await until(() => receiver.of(hook.path).length === 1);
    expect(receiver.of(hook.path)[0]).toMatchObject({ threshold_percent: 60 });
  });

  test("test notifications of the quota events carry Quay's sample data", async () => {
    const { org, v2 } = await orgWithQuota(100_000, []);
    await v2.pushImage(`${org}/app`, "v1", { layers: 1, layerSize: 100 });
    const hook = await hookOn(`${org}/app`, "quota_error");
    const [n] = (await expectJson(await su.get(`/api/v1/repository/${org}/app/notification/`), 200)).notifications;
    expect((await su.post(`/api/v1/repository/${org}/app/notification/${n.uuid}/test`)).status).toBe(200);
    await until(() => receiver.of(hook.path).length === 1);
    expect(receiver.of(hook.path)[0]).toEqual({
      namespace: org,
      homepage: `http://${new URL(server.url).host}/organization/${org}`,
      threshold_percent: 100,
      usage_bytes: 1127428915,
      limit_bytes: 1073741824,
      usage_percent: 105,
      usage_bytes_formatted: "1.05 GB",
      limit_bytes_formatted: "1.00 GB",
    });
  });
});
