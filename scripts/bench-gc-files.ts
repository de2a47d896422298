#!/usr/bin/env bun
// The collector's file phase over many rowless files (each deletion announced, PROTOCOL 6), on a
// data directory: `bun scripts/bench-gc-files.ts [--files 5000] [--rows 20000]`.
// Writes `rows` blobs with rows (kept) and `files` blob files without rows (freed), then times
// one pass (the pass's own figure, and the file phase's share is what changes with announcements).
import { mkdirSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { parseArgs } from "node:util";
import { openStores } from "../src/store";
import { Collector } from "../src/registry/lifecycle/collector";
import { blobFilePath } from "../src/store/blobs/fsBlobStore";
import { registryFor } from "../test/support/registryFixture";
import { tempDir } from "../test/support/server";

const { values } = parseArgs({ args: process.argv.slice(2), options: { files: { type: "string" }, rows: { type: "string" } } });
const FILES = Number(values.files ?? 5000);
const ROWS = Number(values.rows ?? 20000);
const dir = tempDir("berth-bench-gcfiles-");
const stores = openStores({ dataDir: dir, uploadTtlMs: 86_400_000 });
const { registry } = registryFor(stores);
const old = new Date(Date.now() - 3600_000);
const put = (i: number, kind: string) => {
  const bytes = `${kind}-${i}`;
  const digest = `sha256:${new Bun.CryptoHasher("sha256").update(bytes).digest("hex")}`;
  const path = blobFilePath(dir, digest);
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, bytes);
  utimesSync(path, old, old);
  return { digest, size: bytes.length };
};
const kept = Array.from({ length: ROWS }, (_, i) => put(i, "kept"));
stores.db.$client.run("INSERT INTO namespaces (name) VALUES ('bench')");
stores.db.$client.run("INSERT INTO repositories (namespace_id, name, full_name) VALUES (1, 'app', 'bench/app')");
const insertBlob = stores.db.$client.prepare("INSERT INTO blobs (digest, size) VALUES (?, ?)");
const insertLink = stores.db.$client.prepare("INSERT INTO repository_blobs (repository_id, digest) VALUES (1, ?)");
stores.db.$client.transaction(() => {
  for (const b of kept) {
    insertBlob.run(b.digest, b.size);
    insertLink.run(b.digest);
  }
})();
for (let i = 0; i < FILES; i++) put(i, "free");
const collector = new Collector({ registry, reads: stores.collection, blobs: stores.blobs, uploads: stores.uploads }, { graceMs: 0, pace: { share: 1 } });
const t0 = performance.now();
const report = await collector.collect(Date.now() - 120_000);
const ms = performance.now() - t0;
console.log(`${FILES} rowless files, ${ROWS} kept: freed ${report.filesRemoved} files in ${ms.toFixed(0)} ms (${((ms * 1000) / Math.max(1, report.filesRemoved)).toFixed(0)} µs a file)`);
await stores.close();
rmSync(dir, { recursive: true, force: true });
