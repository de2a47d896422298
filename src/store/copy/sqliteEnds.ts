// The SQLite ends of `berth migrate` (ends.ts). The source is a snapshot of the data directory's
// database (snapshot.ts: VACUUM INTO, one read transaction, so a server may even be running),
// migrated to this binary's schema in the copy, never in place. The target is a new database file
// beside the data directory's name, filled in one transaction, then renamed into place.
import { count } from "drizzle-orm";
import { existsSync, readdirSync, renameSync, rmSync } from "node:fs";
import { join } from "node:path";
import { processAlive } from "../blobs/fsBlobStore";
import { openMetaDb, type MetaDb } from "../db";
import { sqliteRunner } from "../dialect/sqliteRunner";
import { S3UploadRecordStore } from "../meta/s3Uploads";
import { DATABASE_FILE, snapshotDatabase } from "../snapshot";
import type { CopiedTable } from "./copiedTables";
import { keysetBatches, type MetadataSource, type MetadataTarget, type SourceReader, type TargetWriter } from "./ends";

const removeDatabaseFiles = (path: string) => {
  for (const suffix of ["", "-wal", "-shm", "-journal"]) rmSync(path + suffix, { force: true });
};

const SNAPSHOT_PREFIX = `${DATABASE_FILE}.migrate-snapshot-`;

/** Removes the snapshots of migrations whose process is gone (killed part way). */
function sweepSnapshots(dataDir: string): void {
  for (const name of readdirSync(dataDir)) {
    const pid = Number(/^berth\.db\.migrate-snapshot-(\d+)$/.exec(name)?.[1]);
    if (pid > 0 && !processAlive(pid)) removeDatabaseFiles(join(dataDir, name));
  }
}

export class SqliteSource implements MetadataSource {
  private constructor(
    private readonly db: MetaDb,
    private readonly path: string,
  ) {}

  /** Snapshots `<dataDir>/berth.db` into a private file beside it (removed by close). */
  static open(dataDir: string): SqliteSource {
    const live = join(dataDir, DATABASE_FILE);
    if (!existsSync(live)) throw new Error(`${dataDir} holds no Berth database (${DATABASE_FILE})`);
    sweepSnapshots(dataDir);
    const path = join(dataDir, `${SNAPSHOT_PREFIX}${process.pid}`);
    removeDatabaseFiles(path);
    snapshotDatabase(live, path);
    return new SqliteSource(openMetaDb(path), path);
  }

  async read<T>(use: (reader: SourceReader) => Promise<T>): Promise<T> {
    return use(sqliteReader(this.db));
  }

  /** The snapshot's upload records: a source's bucket is only read (no upload is begun there). */
  s3UploadRecords(): S3UploadRecordStore {
    return new S3UploadRecordStore(sqliteRunner(this.db));
  }

  async close(): Promise<void> {
    this.db.$client.close();
    removeDatabaseFiles(this.path);
  }
}

function sqliteReader(db: MetaDb): SourceReader {
  return {
    batches: (table, size) => keysetBatches(db, table.sqlite as any, table.keyColumns, size),
    count: (table) => countRows(db, table),
    async sequences() {
      const rows = db.$client.prepare<{ name: string; seq: number }, []>("SELECT name, seq FROM sqlite_sequence").all();
      return new Map(rows.map((r) => [r.name, Number(r.seq)]));
    },
  };
}

async function countRows(db: MetaDb, table: CopiedTable): Promise<number> {
  const [row] = await db.select({ n: count() }).from(table.sqlite);
  return row?.n ?? 0;
}

/** A new data directory's database: written as `berth.db.migrating`, renamed to berth.db by publish(). */
export class SqliteTarget implements MetadataTarget {
  private readonly db: MetaDb;
  private readonly staging: string;

  constructor(private readonly dataDir: string) {
    this.staging = join(dataDir, `${DATABASE_FILE}.migrating`);
    // What an interrupted run left: never served (it has not the live name), so nothing to keep.
    removeDatabaseFiles(this.staging);
    this.db = openMetaDb(this.staging);
  }

  async nonEmptyTables(tables: CopiedTable[]): Promise<string[]> {
    const found: string[] = [];
    for (const table of tables) if ((await countRows(this.db, table)) > 0) found.push(table.name);
    return found;
  }

  async load(tables: CopiedTable[], sequences: Map<string, number>, fill: (writer: TargetWriter) => Promise<void>): Promise<void> {
    const client = this.db.$client;
    // A private file nothing else opens, so the transaction may span the awaits of the source's
    // reads. SQLite cannot switch triggers off: they are dropped and made again from their own
    // text inside the transaction (SQLite's DDL is transactional too).
    client.exec("BEGIN IMMEDIATE");
    try {
      const triggers = client.prepare<{ name: string; sql: string }, []>("SELECT name, sql FROM sqlite_master WHERE type = 'trigger' ORDER BY name").all();
      for (const t of triggers) client.exec(`DROP TRIGGER "${t.name.replaceAll('"', '""')}"`);
      await fill({
        insert: async (table, rows) => {
          this.db.insert(table.sqlite).values(rows as any).run();
        },
      });
      for (const t of triggers) client.exec(t.sql);
      // AUTOINCREMENT's counter: at least the largest id (the inserts saw to that), and as high
      // as the source's, so ids stay never reused.
      const raise = client.prepare("UPDATE sqlite_sequence SET seq = max(seq, ?) WHERE name = ?");
      const add = client.prepare("INSERT INTO sqlite_sequence (name, seq) SELECT ?, ? WHERE NOT EXISTS (SELECT 1 FROM sqlite_sequence WHERE name = ?)");
      for (const table of tables) {
        const seq = sequences.get(table.name);
        if (!table.identity || !seq) continue;
        raise.run(seq, table.name);
        add.run(table.name, seq, table.name);
      }
      client.exec("COMMIT");
    } catch (e) {
      client.exec("ROLLBACK");
      throw e;
    }
  }

  /** Renames the loaded database into place: from here on the directory is a registry. */
  async publish(): Promise<void> {
    this.db.$client.exec("PRAGMA wal_checkpoint(TRUNCATE)");
    this.db.$client.close();
    renameSync(this.staging, join(this.dataDir, DATABASE_FILE));
    removeDatabaseFiles(this.staging);
  }

  async close(): Promise<void> {
    try {
      this.db.$client.close();
    } catch {}
    removeDatabaseFiles(this.staging);
  }
}
