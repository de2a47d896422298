// A namespace quota against a real client and the compiled binary: skopeo copies an image that
// fits, and the next one, which would take the namespace past its Reject limit, fails with Quay's
// message; the registry keeps no trace of it, and the organization's usage is the first image's.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { rmSync } from "node:fs";
import { startBinary, tempDir, type BinaryServer } from "../support/server";
import { MiB, OciLayoutWriter, run } from "../support/e2eHelpers";
import { expectJson, signedIn } from "../support/v1Client";

const PASSWORD = "quota-Admin-pw-1";
let srv: BinaryServer;
const dirs: string[] = [];

beforeAll(async () => {
  srv = await startBinary({ env: { BERTH_ADMIN_PASSWORD: PASSWORD } });
  dirs.push(srv.dataDir);
});
afterAll(async () => {
  await srv?.stop();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** An OCI layout holding one image under `tag`; answers its folder and the bytes of its blobs. */
function layout(tag: string, layers: number, layerSize: number): { dir: string; blobBytes: number } {
  const dir = tempDir("berth-quota-oci-");
  dirs.push(dir);
  const writer = new OciLayoutWriter(dir);
  const image = writer.addImage({ layers, layerSize });
  writer.tag(tag, image.manifest);
  return { dir, blobBytes: image.config.size + image.layers.reduce((n, l) => n + l.size, 0) };
}

const copy = (dir: string, tag: string) =>
  run(["skopeo", "--insecure-policy", "copy", "--dest-tls-verify=false", `oci:${dir}:${tag}`, `docker://127.0.0.1:${srv.port}/quotas/app:${tag}`], { allowFail: true });

test("skopeo copy past the namespace's quota fails with Quay's message and leaves nothing behind", async () => {
  const admin = await signedIn(srv.url, "admin", PASSWORD);
  expect((await admin.post("/api/v1/organization/", { name: "quotas" })).status).toBe(201);
  expect((await admin.post("/api/v1/superuser/organization/quotas/quota", { limit: "4 Mi" })).status).toBe(201);
  const [quota] = await expectJson(await admin.get("/api/v1/organization/quotas/quota"), 200);
  expect(quota).toMatchObject({ limit_bytes: 4 * MiB, limit: "4.0 MiB" });
  expect((await admin.post(`/api/v1/organization/quotas/quota/${quota.id}/limit`, { type: "Reject", threshold_percent: 100 })).status).toBe(201);

  const small = layout("small", 1, MiB);
  expect((await copy(small.dir, "small")).code).toBe(0);
  // Each layer fits on its own; the image does not.
  const big = layout("big", 2, 2 * MiB);
  const refused = await copy(big.dir, "big");
  expect(refused.code).not.toBe(0);
  expect(refused.stderr).toContain("Quota has been exceeded on namespace");

  expect((await fetch(`${srv.url}/v2/quotas/app/manifests/big`)).status).toBe(404);
  expect(await expectJson(await fetch(`${srv.url}/v2/quotas/app/tags/list`), 200)).toMatchObject({ tags: ["small"] });
  const view = await expectJson(await admin.get("/api/v1/organization/quotas"), 200);
  expect(view.quota_report).toMatchObject({ quota_bytes: small.blobBytes, configured_quota: 4 * MiB });
});
