// The metadata tables `berth migrate` copies between SQLite and PostgreSQL, taken from the schema
// modules (never a hand-written list: a new table is copied without anyone remembering to), in
// foreign-key order, and the few left out on purpose, each with its reason.
import { getTableColumns, is } from "drizzle-orm";
import { getTableConfig, SQLiteTable, type SQLiteColumn } from "drizzle-orm/sqlite-core";
import type { PgTable } from "drizzle-orm/pg-core";
import * as sqliteSchema from "../schema";
import * as pgSchema from "../pg/schema";
import { PG_ONLY_TABLES } from "../pg/nodeState/tables";

/** Tables deliberately not copied, by SQL name: why. */
export const NOT_COPIED: Readonly<Record<string, string>> = {
  uploads: "upload sessions in flight: their bytes sit in the source's upload area, which is not moved; a client whose upload is gone starts it again",
  s3_uploads: "the state of S3 uploads in flight (multipart upload ids, parts and ETags): not moved, as their sessions are not",
  blob_deletions: "a collector's deletions in flight in the source: the target's collector frees what nothing references on its own",
  ...Object.fromEntries(PG_ONLY_TABLES.map((name) => [name, "state several PostgreSQL nodes share (throttles, rate buckets, delivery claims): one node keeps it in memory"])),
};

export interface CopiedTable {
  /** The JS name in both schema modules. */
  key: string;
  /** The SQL name. */
  name: string;
  sqlite: SQLiteTable;
  pg: PgTable;
  /** The primary key's columns (JS names): rows are read in this order, a batch after another. */
  keyColumns: string[];
  /** The AUTOINCREMENT (identity) column's SQL name, when the table has one. */
  identity?: string;
  /** SQL names of the tables its foreign keys point at. */
  references: string[];
  /** How many columns (a batch's rows × columns stays under either dialect's limit of bound parameters). */
  columnCount: number;
}

/** Every SQLite table of the schema (and its PostgreSQL twin) not in NOT_COPIED, parents first. */
export function copiedTables(): CopiedTable[] {
  const found: CopiedTable[] = [];
  for (const [key, table] of Object.entries(sqliteSchema)) {
    if (!is(table, SQLiteTable)) continue;
    const config = getTableConfig(table);
    if (config.name in NOT_COPIED) continue;
    const pg = (pgSchema as Record<string, unknown>)[key] as PgTable | undefined;
    if (!pg) throw new Error(`${config.name}: no PostgreSQL table under the same name in src/store/pg/schema.ts`);
    const columns = Object.entries(getTableColumns(table) as Record<string, SQLiteColumn>);
    const jsKey = (column: SQLiteColumn) => columns.find(([, c]) => c.name === column.name)![0];
    const composite = config.primaryKeys[0]?.columns;
    const keyColumns = composite ? composite.map(jsKey) : columns.filter(([, c]) => c.primary).map(([k]) => k);
    if (keyColumns.length === 0) throw new Error(`${config.name}: no primary key to read it in order by`);
    found.push({
      key,
      name: config.name,
      sqlite: table,
      pg,
      keyColumns,
      identity: columns.find(([, c]) => (c as { autoIncrement?: boolean }).autoIncrement)?.[1].name,
      references: [...new Set(config.foreignKeys.map((fk) => getTableConfig(fk.reference().foreignTable).name))],
      columnCount: columns.length,
    });
  }
  return parentsFirst(found);
}

/** Orders tables so each comes after those it references (schema order otherwise). */
function parentsFirst(tables: CopiedTable[]): CopiedTable[] {
  const byName = new Map(tables.map((t) => [t.name, t]));
  const placed = new Set<string>();
  const out: CopiedTable[] = [];
  const visit = (t: CopiedTable, path: string[]) => {
    if (placed.has(t.name)) return;
    if (path.includes(t.name)) throw new Error(`foreign keys form a cycle: ${[...path, t.name].join(" → ")}`);
    for (const ref of t.references) {
      const parent = byName.get(ref);
      if (parent && parent !== t) visit(parent, [...path, t.name]);
    }
    placed.add(t.name);
    out.push(t);
  };
  for (const t of tables) visit(t, []);
  return out;
}
