// `berth migrate`: a registry moved between a data directory (SQLite, blobs in the directory)
// and the scale-out backends (PostgreSQL, blobs in S3), either way, so that a round trip gives
// back the same rows and bytes. docs/POSTGRES.md, "berth migrate", says what moves and why.
//
// 1. Both sides opened; the target refused unless empty (never overwritten); the keys checked.
// 2. The source read as of one moment (a snapshot of berth.db, or one read-only transaction).
// 3. Blobs: each one its metadata names streamed into the target store, re-hashed on the way.
//    Any blob missing or damaged in the source: refused, naming them, before any metadata.
// 4. Metadata: every table in foreign-key order, in batches, in one transaction.
// 5. Keys (keys/, tls/) copied; a data directory's database renamed into place last.
import type { Config } from "../../config";
import type { BlobStore } from "../../store/blobs/blobStore";
import { copiedTables } from "../../store/copy/copiedTables";
import { CliError } from "../accounts";
import { formatBytes, inParallel } from "../backupPlan";
import { moveBlob, type NamedBlob } from "./blobCopy";
import { openEnds, planMigration, type MigrateArgs } from "./endpoints";
import { moveKeys, planKeys } from "./keys";
import { copyRows } from "./rowCopy";

const BLOBS_AT_ONCE = 4;
const BLOB_PAGE = 500;

export interface MigrateOptions extends MigrateArgs {
  /** The PostgreSQL deployment's data directory (its keys): --data; needed when migrating from PostgreSQL. */
  dataDir?: string;
  /** Progress lines (stderr). */
  progress: (line: string) => void;
}

export async function migrate(config: Config, opts: MigrateOptions): Promise<string> {
  const started = performance.now();
  const plan = planMigration(opts);
  const keys = plan.direction === "to postgres" ? planKeys(plan.sqliteDir, opts.dataDir ?? plan.sqliteDir) : planKeys(nodeDir(opts.dataDir), plan.sqliteDir);
  const ends = await openEnds(plan, config);
  const tables = copiedTables();
  try {
    const filled = await ends.target.nonEmptyTables(tables);
    if (filled.length > 0) throw new CliError(`${plan.toName} is not empty (rows in ${filled.slice(0, 5).join(", ")}${filled.length > 5 ? ", …" : ""}): migrate into an empty database; nothing was written`, 1);
    opts.progress(`migrate: ${plan.fromName} → ${plan.toName} (blobs: ${plan.direction === "to postgres" ? "the data directory" : plan.storage} → ${plan.direction === "to postgres" ? plan.storage : "the data directory"})`);
    const { named, blobs, rows } = await ends.source.read(async (reader) => {
      const blobTable = tables.find((t) => t.name === "blobs")!;
      const named = new Set<string>();
      const tally = { copied: 0, present: 0, bytes: 0, total: await reader.count(blobTable) };
      const problems: string[] = [];
      let lastReport = performance.now();
      for await (const page of reader.batches(blobTable, BLOB_PAGE)) {
        await inParallel(page as unknown as NamedBlob[], BLOBS_AT_ONCE, async (blob) => {
          named.add(blob.digest);
          const outcome = await moveBlob(ends.sourceBlobs, ends.targetBlobs, blob);
          if (typeof outcome === "object") problems.push(`${blob.digest}: ${outcome.problem}`);
          else {
            tally[outcome]++;
            tally.bytes += blob.size;
          }
          if (performance.now() - lastReport > 2000) {
            lastReport = performance.now();
            opts.progress(`  blobs: ${tally.copied + tally.present + problems.length} of ${tally.total} (${formatBytes(tally.bytes)})`);
          }
        });
      }
      if (problems.length > 0) {
        throw new CliError(
          `${problems.length} of ${tally.total} blobs of the source cannot be moved; no metadata was written to ${plan.toName} ` +
            `(run berth fsck on the source):\n  ${problems.slice(0, 10).join("\n  ")}${problems.length > 10 ? "\n  …" : ""}`,
          1,
        );
      }
      opts.progress(`  blobs: ${tally.total}: ${tally.copied} copied, ${tally.present} already there; every one verified (${formatBytes(tally.bytes)})`);
      const rows = await copyRows(reader, ends.target, tables, opts.progress);
      return { named, blobs: tally, rows };
    });
    const leftBehind = await unreferencedBlobs(ends.sourceBlobs, named);
    const keyFiles = moveKeys(keys);
    await ends.target.publish();
    const totalRows = [...rows.values()].reduce((a, b) => a + b, 0);
    const perTable = [...rows].filter(([, n]) => n > 0).map(([t, n]) => `${t} ${n}`).join(", ");
    return [
      `migrate: ${plan.fromName} → ${plan.toName}`,
      `  metadata: ${totalRows} rows of ${rows.size} tables in one transaction (${perTable || "none"})`,
      `  blobs: ${blobs.total} named, ${blobs.copied} copied, ${blobs.present} already there; every one re-hashed (${formatBytes(blobs.bytes)})`,
      `  not copied: ${leftBehind.count} blobs nothing references (${formatBytes(leftBehind.bytes)}; berth gc collects them)`,
      `  keys: ${keys ? `${keyFiles} file(s) copied to ${keys.to}` : `stay in ${plan.sqliteDir} (every node needs its keys/)`}`,
      `  ${((performance.now() - started) / 1000).toFixed(1)} s`,
    ].join("\n");
  } finally {
    await ends.source.close();
    await ends.target.close();
  }
}

function nodeDir(dataDir: string | undefined): string {
  if (dataDir === undefined) throw new CliError("migrate from PostgreSQL needs --data NODE_DIR: a data directory of the deployment, holding its keys/ (robot tokens and mirror credentials are encrypted with them)", 2);
  return dataDir;
}

/** Blobs the source store holds that no metadata names: counted, not copied. */
async function unreferencedBlobs(store: BlobStore, named: Set<string>): Promise<{ count: number; bytes: number }> {
  let count = 0;
  let bytes = 0;
  for await (const digest of store.list()) {
    if (named.has(digest)) continue;
    count++;
    const s = await store.stat(digest);
    if (s.exists) bytes += s.size;
  }
  return { count, bytes };
}
