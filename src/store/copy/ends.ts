// The two ends of a metadata copy (`berth migrate`): a source read as of one moment and a target
// loaded in one transaction. One implementation per dialect (sqliteEnds.ts, pgEnds.ts); the copy
// itself (src/migrate) only moves rows between them.
import { sql, type SQL } from "drizzle-orm";
import type { CopiedTable } from "./copiedTables";

export type Row = Record<string, unknown>;

export interface SourceReader {
  /** The table's rows in primary-key order, at most `size` at a time. */
  batches(table: CopiedTable, size: number): AsyncIterable<Row[]>;
  /** How many rows the table holds. */
  count(table: CopiedTable): Promise<number>;
  /** The highest id each identity table handed out (its sequence, which may be past the largest id left), by table name. */
  sequences(tables: CopiedTable[]): Promise<Map<string, number>>;
}

export interface MetadataSource {
  /** Runs `use` over the source as of one moment (a snapshot file, or one read-only transaction). */
  read<T>(use: (reader: SourceReader) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

export interface TargetWriter {
  insert(table: CopiedTable, rows: Row[]): Promise<void>;
}

export interface MetadataTarget {
  /** The copied tables that hold rows already (a target must be empty). */
  nonEmptyTables(tables: CopiedTable[]): Promise<string[]>;
  /**
   * One transaction: the quota usage triggers off (the *_blob_refs and *_usage rows are copied as
   * they are; counted again they would be doubled), `fill` inserts every row, then each identity
   * sequence is moved to `sequences`' value or the largest id, whichever is higher. All or nothing.
   */
  load(tables: CopiedTable[], sequences: Map<string, number>, fill: (writer: TargetWriter) => Promise<void>): Promise<void>;
  /** After the blobs and keys are in place: makes the loaded metadata the target's (a data directory's rename; nothing on PostgreSQL). */
  publish(): Promise<void>;
  close(): Promise<void>;
}

/** Drizzle's select builder, as both dialects' databases offer it (awaited: SQLite's answers at once). */
interface Selecting {
  select(): { from(table: unknown): any };
}

/**
 * Rows of `table` (the dialect's own table object) in key order, `size` at a time: each batch
 * starts after the last key of the one before (a row-value comparison, which both dialects
 * have), so no batch rescans what earlier ones read, as OFFSET would.
 */
export async function* keysetBatches(db: Selecting, table: Record<string, any>, keyColumns: string[], size: number): AsyncIterable<Row[]> {
  const columns = keyColumns.map((k) => table[k]);
  let last: Row | undefined;
  for (;;) {
    let query = db.select().from(table);
    if (last) {
      const after = last;
      const values = keyColumns.map((k, i) => sql.param(after[k], columns[i]));
      query = query.where(sql`(${sql.join(columns, sql`, `)}) > (${sql.join(values, sql`, `)})` as SQL);
    }
    const rows = (await query.orderBy(...columns).limit(size)) as Row[];
    if (rows.length > 0) yield rows;
    if (rows.length < size) return;
    last = rows[rows.length - 1];
  }
}
