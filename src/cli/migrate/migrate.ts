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
import { copiedTables, type CopiedTable } from "../../store/copy/copiedTables";
import type { SourceReader } from "../../store/copy/ends";
import { CliError } from "../accounts";
import { formatBytes } from "../backupPlan";
import { moveBlobs, unreferencedBlobs, type NamedBlob } from "./blobCopy";
import { openEnds, planMigration, refuseMissingSource, type MigrateArgs } from "./endpoints";
import { moveKeys, planKeys, refuseForeignKeys } from "./keys";
import { copyRows } from "./rowCopy";

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
  refuseMissingSource(plan);
  const keysFrom = plan.direction === "to postgres" ? plan.sqliteDir : nodeDir(opts.dataDir);
  const keys = planKeys(keysFrom, plan.direction === "to postgres" ? (opts.dataDir ?? plan.sqliteDir) : plan.sqliteDir);
  const tables = copiedTables();
  const ends = await openEnds(plan, config, tables);
  try {
    opts.progress(`migrate: ${plan.fromName} → ${plan.toName} (blobs: ${plan.direction === "to postgres" ? "the data directory" : plan.storage} → ${plan.direction === "to postgres" ? plan.storage : "the data directory"})`);
    const { blobs, rows } = await ends.source.read(async (reader) => {
      refuseForeignKeys(keysFrom, await firstRobotToken(reader, tables));
      const blobTable = tables.find((t) => t.name === "blobs")!;
      const pages = reader.batches(blobTable, BLOB_PAGE) as AsyncIterable<NamedBlob[]>;
      const blobs = await moveBlobs(pages, await reader.count(blobTable), { from: ends.sourceBlobs, to: ends.targetBlobs }, opts.progress);
      return { blobs, rows: await copyRows(reader, ends.target, tables, opts.progress) };
    });
    const leftBehind = await unreferencedBlobs(ends.sourceBlobs, blobs.named);
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

async function firstRobotToken(reader: SourceReader, tables: CopiedTable[]): Promise<string | undefined> {
  for await (const [robot] of reader.batches(tables.find((t) => t.name === "robots")!, 1)) return robot?.token as string | undefined;
  return undefined;
}
