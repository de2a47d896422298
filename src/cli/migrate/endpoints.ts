// What `berth migrate --from … --to … --storage …` names: one side a data directory (SQLite and
// its blobs), the other a PostgreSQL database with its blobs in S3. Each side opened as the ends
// of the copy; the target refused unless it is empty.
import { existsSync, mkdirSync, readdirSync } from "node:fs";
import { join, resolve } from "node:path";
import type { Config } from "../../config";
import type { BlobStore } from "../../store/blobs/blobStore";
import { FsBlobStore } from "../../store/blobs/fsBlobStore";
import { openS3BlobStore, recordedStorage } from "../../store/blobs/openBlobStore";
import type { CopiedTable } from "../../store/copy/copiedTables";
import type { MetadataSource, MetadataTarget } from "../../store/copy/ends";
import { PgSource, PgTarget } from "../../store/copy/pgEnds";
import { SqliteSource, SqliteTarget } from "../../store/copy/sqliteEnds";
import { CliError } from "../accounts";
import { DATABASE_FILE } from "../../store/snapshot";

export interface MigrateArgs {
  from?: string;
  to?: string;
  /** s3://bucket/prefix: the PostgreSQL side's blobs. */
  storage?: string;
}

export interface Plan {
  direction: "to postgres" | "from postgres";
  /** Printable names (a database URL without its password). */
  fromName: string;
  toName: string;
  storage: string;
  /** The data directory of each side: the SQLite one, and the PostgreSQL deployment's (keys). */
  sqliteDir: string;
  pgUrl: string;
}

const isDatabaseUrl = (s: string) => /^postgres(ql)?:\/\//.test(s);

export function printableUrl(url: string): string {
  const u = new URL(url);
  if (u.password) u.password = "***";
  return u.toString();
}

export function planMigration(args: MigrateArgs): Plan {
  const { from, to, storage } = args;
  if (!from || !to) throw new CliError("migrate needs --from and --to: a data directory and a postgres:// URL, one each way", 2);
  if (isDatabaseUrl(from) === isDatabaseUrl(to)) {
    throw new CliError("migrate moves a registry between a data directory and PostgreSQL: exactly one of --from and --to must be a postgres:// URL (berth backup/restore copy a data directory)", 2);
  }
  if (!storage) throw new CliError("migrate needs --storage s3://bucket/prefix: where the PostgreSQL deployment keeps its blobs (with the S3 settings serve takes: BERTH_S3_*)", 2);
  const toPg = isDatabaseUrl(to);
  const sqliteDir = resolve(toPg ? from : to);
  const pgUrl = toPg ? to : from;
  return {
    direction: toPg ? "to postgres" : "from postgres",
    fromName: toPg ? sqliteDir : printableUrl(pgUrl),
    toName: toPg ? printableUrl(pgUrl) : sqliteDir,
    storage: storage.replace(/\/+$/, ""),
    sqliteDir,
    pgUrl,
  };
}

/** Refuses a source data directory without a database, before anything else is looked at. */
export function refuseMissingSource(plan: Plan): void {
  if (plan.direction === "to postgres" && !existsSync(join(plan.sqliteDir, DATABASE_FILE))) {
    throw new CliError(`${plan.sqliteDir} holds no Berth database (${DATABASE_FILE}): is --from right?`, 1);
  }
}

/** What a data directory may hold before it becomes a migration's target: an interrupted run's blobs and keys. */
const RESUMABLE = new Set(["blobs", "uploads", "trash", "keys", "tls", `${DATABASE_FILE}.migrating`, `${DATABASE_FILE}.migrating-wal`, `${DATABASE_FILE}.migrating-shm`]);

/** Refuses a target data directory that holds a registry (or anything else a migration did not leave). */
export function refuseUsedDirectory(dir: string): void {
  if (!existsSync(dir)) return;
  const there = readdirSync(dir).filter((name) => !RESUMABLE.has(name));
  if (there.length > 0) {
    throw new CliError(`${dir} is not empty (${there.slice(0, 5).join(", ")}${there.length > 5 ? ", …" : ""}): migrate into a new directory; nothing there is overwritten`, 1);
  }
}

export interface Ends {
  source: MetadataSource;
  target: MetadataTarget;
  sourceBlobs: BlobStore;
  targetBlobs: BlobStore;
}

/** Refuses a target whose tables hold rows: nothing is ever overwritten. */
async function refuseFilledTarget(target: MetadataTarget, tables: CopiedTable[], name: string): Promise<void> {
  const filled = await target.nonEmptyTables(tables);
  if (filled.length === 0) return;
  throw new CliError(`${name} is not empty (rows in ${filled.slice(0, 5).join(", ")}${filled.length > 5 ? ", …" : ""}): migrate into an empty database; nothing was written`, 1);
}

/** Opens both sides, the target first (refused unless empty, before any snapshot is taken); whatever opened is closed again when a later step fails. */
export async function openEnds(plan: Plan, config: Config, tables: CopiedTable[]): Promise<Ends> {
  const opened: { close(): Promise<void> }[] = [];
  try {
    const s3 = await openS3BlobStore(config, plan.storage);
    if (plan.direction === "to postgres") {
      const recorded = recordedStorage(plan.sqliteDir);
      const target = await PgTarget.open(plan.pgUrl);
      opened.push(target);
      await refuseFilledTarget(target, tables, plan.toName);
      const source = SqliteSource.open(plan.sqliteDir);
      opened.push(source);
      const sourceBlobs = recorded ? (await openS3BlobStore(config, recorded))(source.s3UploadRecords()) : new FsBlobStore(plan.sqliteDir);
      // The blobs go through the bucket's upload path, recording their uploads in the target database.
      return { source, target, sourceBlobs, targetBlobs: s3(target.s3UploadRecords()) };
    }
    refuseUsedDirectory(plan.sqliteDir);
    mkdirSync(plan.sqliteDir, { recursive: true, mode: 0o700 });
    const target = new SqliteTarget(plan.sqliteDir);
    opened.push(target);
    await refuseFilledTarget(target, tables, plan.toName);
    const source = await PgSource.open(plan.pgUrl);
    opened.push(source);
    return { source, target, sourceBlobs: s3(source.s3UploadRecords()), targetBlobs: new FsBlobStore(plan.sqliteDir) };
  } catch (e) {
    for (const end of opened) await end.close();
    throw e;
  }
}
