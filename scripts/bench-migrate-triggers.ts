// `berth migrate` loads rows copied with their quota figures (*_blob_refs, *_usage), so the quota
// triggers must not count them again. This measures the choice: a load of 200 repositories,
// 20,000 manifests naming 3 of 30,000 blobs each, with the triggers off (PostgreSQL: ALTER TABLE
// … DISABLE TRIGGER USER; SQLite: dropped and made again) against on (what clearing their
// figures afterwards and loading the copied ones would start from). docs/BENCHMARKS.md.
// BERTH_TEST_DATABASE=$(scripts/services/postgres.sh start) bun scripts/bench-migrate-triggers.ts
import { SQL } from "bun";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sql } from "drizzle-orm";
import { openPostgres } from "../src/store/pg/open";
import { openMetaDb } from "../src/store/db";
import * as pgTables from "../src/store/pg/schema";
import * as sqliteTables from "../src/store/schema";

const REPOS = 200, MANIFESTS = 20_000, LAYERS = 3, BLOBS = 30_000;
const TRIGGERED = ["blobs", "manifests", "manifest_blobs", "repository_blob_refs"];
const digest = (n: number) => "sha256:" + n.toString(16).padStart(64, "0");
const rows: Record<string, Record<string, unknown>[]> = {
  namespaces: [{ id: 1, name: "ns", kind: "org" }],
  repositories: Array.from({ length: REPOS }, (_, i) => ({ id: i + 1, namespaceId: 1, name: `r${i}`, fullName: `ns/r${i}` })),
  blobs: Array.from({ length: BLOBS }, (_, i) => ({ digest: digest(i), size: 1000 + i })),
  manifests: Array.from({ length: MANIFESTS }, (_, i) => ({ id: i + 1, repositoryId: (i % REPOS) + 1, digest: digest(1e9 + i), mediaType: "x", size: 2, content: Buffer.from("{}") })),
  manifestBlobs: Array.from({ length: MANIFESTS * LAYERS }, (_, k) => ({ manifestId: Math.floor(k / LAYERS) + 1, digest: digest((Math.floor(k / LAYERS) * 7 + (k % LAYERS) * 13) % BLOBS) })),
};

async function pg(off: boolean): Promise<number> {
  const base = process.env.BERTH_TEST_DATABASE!;
  const admin = new SQL({ url: base, max: 1 });
  const name = `bench_migrate_${off ? "off" : "on"}_${Date.now()}`;
  await admin.unsafe(`CREATE DATABASE "${name}"`);
  const url = new URL(base);
  url.pathname = `/${name}`;
  const db = await openPostgres(url.toString(), { max: 1 });
  const started = performance.now();
  await db.transaction(async (tx) => {
    if (off) for (const t of TRIGGERED) await tx.execute(sql.raw(`ALTER TABLE ${t} DISABLE TRIGGER USER`));
    for (const [key, list] of Object.entries(rows)) for (let i = 0; i < list.length; i += 500) await tx.insert((pgTables as any)[key]).values(list.slice(i, i + 500));
    if (off) for (const t of TRIGGERED) await tx.execute(sql.raw(`ALTER TABLE ${t} ENABLE TRIGGER USER`));
  });
  const ms = performance.now() - started;
  await db.$client.close();
  await admin.unsafe(`DROP DATABASE "${name}" WITH (FORCE)`);
  await admin.close();
  return ms;
}

function sqlite(off: boolean): number {
  const dir = mkdtempSync(join(tmpdir(), "bench-migrate-"));
  const db = openMetaDb(join(dir, "berth.db"));
  const started = performance.now();
  db.$client.exec("BEGIN IMMEDIATE");
  const triggers = db.$client.prepare<{ name: string; sql: string }, []>("SELECT name, sql FROM sqlite_master WHERE type = 'trigger'").all();
  if (off) for (const t of triggers) db.$client.exec(`DROP TRIGGER "${t.name}"`);
  for (const [key, list] of Object.entries(rows)) for (let i = 0; i < list.length; i += 500) db.insert((sqliteTables as any)[key]).values(list.slice(i, i + 500)).run();
  if (off) for (const t of triggers) db.$client.exec(t.sql);
  db.$client.exec("COMMIT");
  const ms = performance.now() - started;
  db.$client.close();
  rmSync(dir, { recursive: true, force: true });
  return ms;
}

for (let round = 1; round <= 2; round++) {
  console.log(`round ${round}: sqlite off ${sqlite(true).toFixed(0)} ms, on ${sqlite(false).toFixed(0)} ms; postgres off ${(await pg(true)).toFixed(0)} ms, on ${(await pg(false)).toFixed(0)} ms`);
}
