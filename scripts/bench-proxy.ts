#!/usr/bin/env bun
// A cold pull through a proxy-cache organization against a direct pull from its upstream
// (docs/BENCHMARKS.md).
//   bun run build.ts && bun scripts/bench-proxy.ts [--mib 256] [--runs 3]
// Two dist/berth processes with token auth on loopback: the upstream gets, per run, an image with
// one layer of random bytes in a repository of its own; the cache has an org `cache` caching it.
// Per run: the layer GET from the upstream directly, then through the cache cold (the manifest
// first, as a client does: the cache learns the layer's size from it), then warm. Measured: time
// to the first byte of the layer and MiB/s over the whole body, read by this process.
import { parseArgs } from "node:util";
import { BearerRegistryClient, registryToken } from "../test/support/registryClient";
import { startBinary, type BinaryServer } from "../test/support/server";
import { signedIn } from "../test/support/v1Client";

const { values } = parseArgs({ args: process.argv.slice(2), options: { mib: { type: "string" }, runs: { type: "string" } } });
const MIB = Number(values.mib ?? 256);
const RUNS = Number(values.runs ?? 3);
const PASSWORD = "bench-Secret-1";

async function timedGet(c: BearerRegistryClient, path: string): Promise<{ ttfbMs: number; mibps: number; bytes: number }> {
  const t0 = performance.now();
  const res = await c.fetch(path);
  if (res.status !== 200) throw new Error(`${path}: ${res.status} ${await res.text()}`);
  const reader = res.body!.getReader();
  let first = 0;
  let bytes = 0;
  for (let r = await reader.read(); !r.done; r = await reader.read()) {
    if (!first) first = performance.now();
    bytes += r.value.byteLength;
  }
  const s = (performance.now() - t0) / 1000;
  return { ttfbMs: first - t0, mibps: bytes / 1024 / 1024 / s, bytes };
}

let upstream: BinaryServer | undefined;
let cache: BinaryServer | undefined;
try {
  const env = { BERTH_ADMIN_PASSWORD: PASSWORD };
  upstream = await startBinary({ args: ["--auth", "token"], env });
  cache = await startBinary({ args: ["--auth", "token"], env: { ...env, BERTH_MIRROR_ALLOW_LOOPBACK: "true" } });
  const admin = await signedIn(cache.url, "admin", PASSWORD);
  await admin.post("/api/v1/organization/", { name: "cache", email: "cache@example.com" });
  const made = await admin.post("/api/v1/organization/cache/proxycache", {
    upstream_registry: new URL(upstream.url).host,
    upstream_registry_username: "admin",
    upstream_registry_password: PASSWORD,
    insecure: true,
  });
  if (made.status !== 201) throw new Error(`proxycache: ${made.status} ${await made.text()}`);
  const fmt = (m: { ttfbMs: number; mibps: number }) => `TTFB ${m.ttfbMs.toFixed(1)} ms, ${m.mibps.toFixed(0)} MiB/s`;
  for (let run = 1; run <= RUNS; run++) {
    const repo = `admin/app${run}`;
    const up = new BearerRegistryClient(upstream.url, await registryToken(upstream.url, ["admin", PASSWORD], `repository:${repo}:pull,push`));
    const image = await up.pushImage(repo, "v1", { layers: 1, layerSize: MIB * 1024 * 1024 });
    const layer = image.layers[0]!.digest;
    const direct = await timedGet(up, `/v2/${repo}/blobs/${layer}`);
    const c = new BearerRegistryClient(cache.url, await registryToken(cache.url, ["admin", PASSWORD], `repository:cache/${repo}:pull`));
    const m0 = performance.now();
    const manifest = await c.fetch(`/v2/cache/${repo}/manifests/v1`);
    await manifest.arrayBuffer();
    const manifestMs = performance.now() - m0;
    const cold = await timedGet(c, `/v2/cache/${repo}/blobs/${layer}`);
    const warm = await timedGet(c, `/v2/cache/${repo}/blobs/${layer}`);
    if (cold.bytes !== direct.bytes || warm.bytes !== direct.bytes) throw new Error("sizes differ");
    console.log(`run ${run}: ${MIB} MiB layer | direct: ${fmt(direct)} | cold through the cache: manifest ${manifestMs.toFixed(1)} ms, ${fmt(cold)} | warm: ${fmt(warm)}`);
  }
} finally {
  await cache?.stop();
  await upstream?.stop();
}
