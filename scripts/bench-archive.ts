#!/usr/bin/env bun
// Import and export throughput and peak memory of `berth import` / `berth export` (compiled
// binary) on an image set of SIZE GiB: 4 images of 4 random layers each, written as an OCI layout.
//   bun run build.ts && bun scripts/bench-archive.ts [SIZE_GIB=2] [WORKDIR=/tmp] [--no-tar-import]
// Steps: import the layout directory into data directory A, export A to a tar, import the tar
// into a fresh data directory B. Each prints MiB/s and the process's peak RSS (GNU time).
import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { open } from "node:fs/promises";
import { join, resolve } from "node:path";
import { SeededBytes, MiB, GiB } from "../test/support/e2eHelpers";

const sizeGiB = Number(process.argv[2] ?? 2);
const work = mkdtempSync(join(process.argv[3]?.startsWith("--") ? "/tmp" : (process.argv[3] ?? "/tmp"), "berth-bench-archive-"));
const bin = resolve(import.meta.dir, "../dist/berth");
const IMAGES = 4;
const LAYERS = 4;
const layerSize = Math.floor((sizeGiB * GiB) / (IMAGES * LAYERS));

function sha256(bytes: Uint8Array | string): string {
  return `sha256:${new Bun.CryptoHasher("sha256").update(bytes).digest("hex")}`;
}

async function writeBlobFromSeed(dir: string, seed: string, size: number): Promise<{ digest: string; size: number }> {
  const gen = new SeededBytes(seed);
  const tmp = join(dir, "blobs/sha256/tmp");
  const fh = await open(tmp, "w");
  const h = new Bun.CryptoHasher("sha256");
  for (const chunk of gen.chunks(0, size, 4 * MiB)) {
    h.update(chunk);
    await fh.write(chunk);
  }
  await fh.close();
  const digest = `sha256:${h.digest("hex")}`;
  await Bun.$`mv ${tmp} ${join(dir, "blobs/sha256", digest.slice(7))}`;
  return { digest, size };
}

function writeJson(dir: string, value: unknown): { digest: string; size: number } {
  const bytes = new TextEncoder().encode(JSON.stringify(value));
  const digest = sha256(bytes);
  writeFileSync(join(dir, "blobs/sha256", digest.slice(7)), bytes);
  return { digest, size: bytes.byteLength };
}

async function makeLayout(dir: string): Promise<void> {
  mkdirSync(join(dir, "blobs/sha256"), { recursive: true });
  writeFileSync(join(dir, "oci-layout"), JSON.stringify({ imageLayoutVersion: "1.0.0" }));
  const refs = [];
  for (let i = 0; i < IMAGES; i++) {
    const layers = [];
    for (let l = 0; l < LAYERS; l++) {
      layers.push({ mediaType: "application/vnd.oci.image.layer.v1.tar", ...(await writeBlobFromSeed(dir, `${i}-${l}`, layerSize)) });
    }
    const config = { mediaType: "application/vnd.oci.image.config.v1+json", ...writeJson(dir, { architecture: "amd64", os: "linux", rootfs: { type: "layers", diff_ids: layers.map((l) => l.digest) } }) };
    const manifest = writeJson(dir, { schemaVersion: 2, mediaType: "application/vnd.oci.image.manifest.v1+json", config, layers });
    refs.push({ mediaType: "application/vnd.oci.image.manifest.v1+json", ...manifest, annotations: { "org.opencontainers.image.ref.name": `bench/image${i}:v1` } });
  }
  writeFileSync(join(dir, "index.json"), JSON.stringify({ schemaVersion: 2, manifests: refs }));
}

async function timed(label: string, args: string[], bytes: number): Promise<void> {
  await Bun.$`sync`;
  const proc = Bun.spawn(["/usr/bin/time", "-f", "%U %S %e %M", bin, ...args], { stdout: "pipe", stderr: "pipe" });
  const [out, err, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  if (code !== 0) throw new Error(`${label}: ${err}${out}`);
  const [user, sys, seconds, kb] = err.trim().split("\n").pop()!.split(" ").map(Number) as [number, number, number, number];
  console.log(`${label}: ${(bytes / MiB / seconds).toFixed(0)} MiB/s (${seconds.toFixed(1)} s), peak RSS ${(kb / 1024).toFixed(0)} MiB, CPU user ${user} s sys ${sys} s`);
}

async function prepare(data: string): Promise<void> {
  const proc = Bun.spawn([bin, "user", "add", "admin", "--superuser", "--password-stdin", "--data", data], { stdin: new TextEncoder().encode("bench-password-123\n"), stdout: "ignore" });
  await proc.exited;
  await Bun.$`${bin} org add bench --owner admin --data ${data}`.quiet();
}

try {
  const layout = join(work, "layout");
  await makeLayout(layout);
  const total = IMAGES * LAYERS * layerSize;
  console.log(`image set: ${IMAGES} images × ${LAYERS} layers × ${(layerSize / MiB).toFixed(0)} MiB = ${(total / GiB).toFixed(2)} GiB`);
  const a = join(work, "a");
  const b = join(work, "b");
  await prepare(a);
  await prepare(b);
  await timed("import (layout directory)", ["import", layout, "--data", a], total);
  rmSync(layout, { recursive: true });
  const tar = join(work, "set.tar");
  await timed("export", ["export", "--data", a, "--output", tar], statSync(tar + "", { throwIfNoEntry: false })?.size ?? total);
  if (!process.argv.includes("--no-tar-import")) {
    await timed("import (tar)", ["import", tar, "--data", b], total);
    // Again into a third directory: the first run's numbers depend on what the page cache holds.
    const c = join(work, "c");
    await prepare(c);
    await timed("import (tar, again)", ["import", tar, "--data", c], total);
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}
