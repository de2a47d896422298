#!/usr/bin/env bun
// `berth backup` and `berth restore` over a large store (docs/BENCHMARKS.md).
//   bun run build.ts && bun scripts/bench-backup.ts [--manifests 5000] [--layers 2] [--blob-kib 64] [--other-fs /dev/shm]
// Generates a store straight into a data directory (test/support/generatedStore.ts), then times
// on dist/berth: a first backup on the same file system (hard links), a second one with nothing
// changed, a backup onto another file system (copies, hashed), a second one there, and a restore
// (every blob copied and re-hashed). Wall time and the backup's max RSS from /usr/bin/time.
import { rmSync } from "node:fs";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { generateStore } from "../test/support/generatedStore";
import { tempDir } from "../test/support/server";

const { values } = parseArgs({
  args: process.argv.slice(2),
  options: { manifests: { type: "string" }, layers: { type: "string" }, "blob-kib": { type: "string" }, "other-fs": { type: "string" } },
});
const MANIFESTS = Number(values.manifests ?? 5000);
const LAYERS = Number(values.layers ?? 2);
const BLOB_BYTES = Number(values["blob-kib"] ?? 64) * 1024;
const OTHER_FS = values["other-fs"] ?? "/dev/shm";
const BIN = resolve(import.meta.dir, "../dist/berth");

function timed(label: string, args: string[]): void {
  const proc = Bun.spawnSync(["/usr/bin/time", "-f", "%e s, max RSS %M KiB", BIN, ...args], { env: { PATH: process.env.PATH ?? "" } });
  const out = proc.stdout.toString().trim();
  const time = proc.stderr.toString().trim().split("\n").at(-1);
  if (proc.exitCode !== 0) throw new Error(`${label} failed: ${out} ${proc.stderr}`);
  console.log(`${label.padEnd(40)} ${time}\n    ${out}`);
}

const data = tempDir("berth-bench-backup-");
const here = join(tempDir("berth-bench-backup-dest-"), "backup");
const there = join(OTHER_FS, `berth-bench-backup-${process.pid}`);
const restored = join(tempDir("berth-bench-backup-restored-"), "data");
try {
  const started = performance.now();
  const store = generateStore(data, { repositories: 8, manifests: MANIFESTS, layersPerManifest: LAYERS, orphanBlobs: 0, blobBytes: BLOB_BYTES, garbageEvery: 0, historyEvery: 0, agoMs: 3600_000 });
  console.log(`store: ${store.blobs} blobs of ${BLOB_BYTES / 1024} KiB (${((store.blobs * BLOB_BYTES) / 2 ** 30).toFixed(2)} GiB), ${MANIFESTS} manifests; generated in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  timed("backup, same file system (links)", ["backup", here, "--data", data]);
  timed("again, nothing changed", ["backup", here, "--data", data]);
  timed(`backup onto ${OTHER_FS} (copies)`, ["backup", there, "--data", data]);
  timed("again, nothing changed", ["backup", there, "--data", data]);
  timed(`restore from ${OTHER_FS} (re-hashed copies)`, ["restore", there, "--data", restored]);
} finally {
  for (const d of [data, join(here, ".."), there, join(restored, "..")]) rmSync(d, { recursive: true, force: true });
}
