// The PostgreSQL ends of `berth migrate` (ends.ts). Both open the database as a server does
// (openPostgres: byte-order check, migrations). The source is read in one REPEATABLE READ,
// READ ONLY transaction: every table as of one moment while nodes may still write. The target
// is loaded in one transaction with the tables' own triggers off.
import { count, sql } from "drizzle-orm";
import { openPostgres, type PgMetaDb } from "../pg/open";
import { pgRunner } from "../dialect/pgRunner";
import { S3UploadRecordStore } from "../meta/s3Uploads";
import type { CopiedTable } from "./copiedTables";
import { keysetBatches, type MetadataSource, type MetadataTarget, type SourceReader, type TargetWriter } from "./ends";

type Queries = Pick<PgMetaDb, "select" | "insert" | "execute">;

async function countRows(db: Queries, table: CopiedTable): Promise<number> {
  const [row] = await db.select({ n: count() }).from(table.pg);
  return row?.n ?? 0;
}

async function nonEmpty(db: Queries, tables: CopiedTable[]): Promise<string[]> {
  const found: string[] = [];
  for (const table of tables) if ((await countRows(db, table)) > 0) found.push(table.name);
  return found;
}

export class PgSource implements MetadataSource {
  private constructor(private readonly db: PgMetaDb) {}

  /** Where the deployment's bucket records its uploads (a migration's own, to PostgreSQL). */
  s3UploadRecords(): S3UploadRecordStore {
    return new S3UploadRecordStore(pgRunner(this.db));
  }

  static async open(url: string): Promise<PgSource> {
    return new PgSource(await openPostgres(url, { max: 2 }));
  }

  read<T>(use: (reader: SourceReader) => Promise<T>): Promise<T> {
    return this.db.transaction((tx) => use(pgReader(tx as unknown as Queries)), { isolationLevel: "repeatable read", accessMode: "read only" });
  }

  async close(): Promise<void> {
    await this.db.$client.close();
  }
}

function pgReader(db: Queries): SourceReader {
  return {
    batches: (table, size) => keysetBatches(db, table.pg as any, table.keyColumns, size),
    count: (table) => countRows(db, table),
    async sequences(tables) {
      const found = new Map<string, number>();
      for (const table of tables) {
        if (!table.identity) continue;
        // Sequences stand outside transactions: this is the value now, never below the ids read.
        const rows = await db.execute<{ last: string | null }>(
          sql`SELECT pg_sequence_last_value(pg_get_serial_sequence(${table.name}, ${table.identity})::regclass) AS last`,
        );
        const last = rows[0]?.last;
        if (last !== null && last !== undefined) found.set(table.name, Number(last));
      }
      return found;
    },
  };
}

export class PgTarget implements MetadataTarget {
  private constructor(private readonly db: PgMetaDb) {}

  /** Where the deployment's bucket records its uploads (a migration's own, to PostgreSQL). */
  s3UploadRecords(): S3UploadRecordStore {
    return new S3UploadRecordStore(pgRunner(this.db));
  }

  static async open(url: string): Promise<PgTarget> {
    return new PgTarget(await openPostgres(url, { max: 2 }));
  }

  nonEmptyTables(tables: CopiedTable[]): Promise<string[]> {
    return nonEmpty(this.db, tables);
  }

  load(tables: CopiedTable[], sequences: Map<string, number>, fill: (writer: TargetWriter) => Promise<void>): Promise<void> {
    return this.db.transaction(async (tx) => {
      // The table owner may do this (session_replication_role would need a superuser); the lock
      // it takes keeps every other session off the tables until the commit, which sees the
      // triggers on again: nobody else ever runs without them.
      for (const table of tables) await tx.execute(sql`ALTER TABLE ${sql.identifier(table.name)} DISABLE TRIGGER USER`);
      // Asked again under those locks: a row written since the first check would be overwritten in effect.
      const filled = await nonEmpty(tx as unknown as Queries, tables);
      if (filled.length > 0) throw new Error(`the target database was written to meanwhile (rows in ${filled.join(", ")}); nothing was loaded`);
      await fill({
        insert: async (table, rows) => {
          await tx.insert(table.pg).values(rows as any);
        },
      });
      for (const table of tables) await tx.execute(sql`ALTER TABLE ${sql.identifier(table.name)} ENABLE TRIGGER USER`);
      for (const table of tables) {
        if (!table.identity) continue;
        const rows = await tx.execute<{ largest: string | null }>(sql`SELECT max(${sql.identifier(table.identity)}) AS largest FROM ${sql.identifier(table.name)}`);
        const floor = Math.max(Number(rows[0]?.largest ?? 0), sequences.get(table.name) ?? 0);
        // The next id handed out is floor + 1 (setval's is_called defaults to true).
        if (floor > 0) await tx.execute(sql`SELECT setval(pg_get_serial_sequence(${table.name}, ${table.identity}), ${floor})`);
      }
    });
  }

  async publish(): Promise<void> {}

  async close(): Promise<void> {
    await this.db.$client.close();
  }
}
