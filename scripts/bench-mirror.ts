#!/usr/bin/env bun
// A repository mirror syncing N tags from a loopback upstream (docs/BENCHMARKS.md).
//   bun run build.ts && bun scripts/bench-mirror.ts [--tags 200] [--layers 2] [--layer-kib 64] [--concurrency 1]
// Two dist/berth processes with token auth: the upstream gets N tagged images (config + layers of
// random bytes); the mirror gets a repository mirror of it (rule "*"), created due now. Measured:
// the first sync (everything copied) from the mirror's creation until the API says SUCCESS, then
// a second sync with nothing new (sync-now until SUCCESS: N manifests fetched and compared).
import { rmSync } from "node:fs";
import { parseArgs } from "node:util";
import { BearerRegistryClient, registryToken } from "../test/support/registryClient";
import { startBinary, type BinaryServer } from "../test/support/server";
import { signedIn, type V1Client } from "../test/support/v1Client";
import { mirrorBody } from "../test/support/mirrorConfig";

const { values } = parseArgs({
  args: process.argv.slice(2),
  options: { tags: { type: "string" }, layers: { type: "string" }, "layer-kib": { type: "string" }, concurrency: { type: "string" } },
});
const TAGS = Number(values.tags ?? 200);
const LAYERS = Number(values.layers ?? 2);
const LAYER_BYTES = Number(values["layer-kib"] ?? 64) * 1024;
const PASSWORD = "bench-Secret-1";

async function untilDone(client: V1Client, path: string): Promise<any> {
  for (;;) {
    const view = (await (await client.get(path)).json()) as any;
    if (view.sync_status === "SUCCESS" || view.sync_status === "FAIL") return view;
    await Bun.sleep(50);
  }
}

let upstream: BinaryServer | undefined;
let mirror: BinaryServer | undefined;
try {
  const env = { BERTH_ADMIN_PASSWORD: PASSWORD };
  upstream = await startBinary({ args: ["--auth", "token"], env });
  const up = new BearerRegistryClient(upstream.url, await registryToken(upstream.url, ["admin", PASSWORD], "repository:admin/app:pull,push"));
  const pushStart = performance.now();
  for (let i = 0; i < TAGS; i++) await up.pushImage("admin/app", `t${i}`, { layers: LAYERS, layerSize: LAYER_BYTES });
  console.log(`upstream: ${TAGS} tags × (config + ${LAYERS} × ${LAYER_BYTES / 1024} KiB) pushed in ${((performance.now() - pushStart) / 1000).toFixed(1)} s`);

  mirror = await startBinary({
    args: ["--auth", "token"],
    env: { ...env, BERTH_MIRROR_ALLOW_LOOPBACK: "true", BERTH_MIRROR_POLL_SECONDS: "1", BERTH_MIRROR_CONCURRENCY: values.concurrency ?? "1" },
  });
  const admin = await signedIn(mirror.url, "admin", PASSWORD);
  await admin.post("/api/v1/repository", { repository: "mirrored", visibility: "private", description: "" });
  await admin.fetch("/api/v1/user/robots/mirror", { method: "PUT" });
  const M = "/api/v1/repository/admin/mirrored/mirror";
  const first = performance.now();
  const created = await admin.post(M, mirrorBody({ reference: `${new URL(upstream.url).host}/admin/app`, username: "admin", password: PASSWORD, globs: ["*"], interval: 86400, timeout: 3600 }));
  if (created.status !== 201) throw new Error(`mirror: ${created.status} ${await created.text()}`);
  const view = await untilDone(admin, M);
  const firstS = (performance.now() - first) / 1000;
  if (view.sync_status !== "SUCCESS") throw new Error(`first sync: ${view.last_error}`);
  const mib = (TAGS * (LAYERS * LAYER_BYTES)) / 1024 / 1024;
  console.log(`first sync: ${TAGS} tags, ${TAGS * (LAYERS + 2)} blobs and manifests, ${mib.toFixed(1)} MiB of layers: ${firstS.toFixed(2)} s (${(TAGS / firstS).toFixed(1)} tags/s)`);

  const second = performance.now();
  const said = () => mirror!.output().split("\n").filter((l) => l.includes("mirror admin/mirrored:"));
  await admin.post(`${M}/sync-now`);
  // Done when the server logged the second sync's summary.
  while (said().length < 2) await Bun.sleep(20);
  console.log(`second sync, nothing new: ${((performance.now() - second) / 1000).toFixed(2)} s`);
  for (const line of said()) console.log(`server said: ${line.slice(line.indexOf("mirror "))}`);
} finally {
  await mirror?.stop();
  await upstream?.stop();
  for (const s of [mirror, upstream]) if (s) rmSync(s.dataDir, { recursive: true, force: true });
}
