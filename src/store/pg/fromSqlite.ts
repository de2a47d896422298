// The PostgreSQL tables are generated from the SQLite ones (src/store/tables), so the two schemas
// cannot drift: one description, two dialects. Column by column:
// - every INTEGER becomes `bigint` read as a JS number: SQLite's integers are 64-bit, and
//   millisecond times and byte sizes outgrow PostgreSQL's 32-bit `integer`;
//   an AUTOINCREMENT key becomes a `bigint` identity (a sequence: ids are never reused either);
//   a plain INTEGER PRIMARY KEY (health_probes) gets no default: SQLite would pick a rowid, so
//   writers must give the id (the one writer does);
// - `integer({ mode: "boolean" })` becomes `boolean`; TEXT stays `text` (enums stay unchecked
//   text, as in SQLite); BLOB becomes `bytea`;
// - JSON stays `text`: the bytes written come back unchanged (jsonb would reorder keys and drop
//   whitespace), and a query reading inside casts (`col::jsonb`, docs/POSTGRES.md);
// - the `now` default (unixepoch('subsec') in milliseconds) becomes the statement's time in ms;
// - indexes (partial ones with their WHERE), unique columns, composite primary keys and foreign
//   keys (same names, same ON DELETE) are carried over.
import { getTableConfig, type SQLiteColumn, type SQLiteTable } from "drizzle-orm/sqlite-core";
import {
  bigint,
  boolean,
  customType,
  foreignKey,
  index,
  pgTable,
  primaryKey,
  text,
  uniqueIndex,
  type PgColumn,
  type PgColumnBuilderBase,
  type PgTableWithColumns,
} from "drizzle-orm/pg-core";
import { getTableColumns, sql, type SQL } from "drizzle-orm";
import { now } from "../tables/common";

/** Milliseconds since the epoch at the statement's start (SQLite's 'now' is per statement too). */
export const pgNow = sql`(floor(extract(epoch from statement_timestamp()) * 1000)::bigint)`;

/** Raw bytes (drizzle's pg-core has no bytea builder); Bun.sql hands back a Buffer. */
const bytea = customType<{ data: Buffer; driverData: Buffer }>({
  dataType: () => "bytea",
  fromDriver: (value) => (Buffer.isBuffer(value) ? value : Buffer.from(value as Uint8Array)),
});

/** The PostgreSQL table of a SQLite table, typed with the same column names and data types. */
export type PgTableOf<T extends SQLiteTable> = PgTableWithColumns<{
  name: T["_"]["name"];
  schema: undefined;
  dialect: "pg";
  columns: { [K in keyof T["_"]["columns"]]: PgColumnOf<T["_"]["columns"][K]> };
}>;
type PgColumnOf<C> = C extends SQLiteColumn<infer B, any, any> ? PgColumn<B> : never;

// Tables converted so far, by name: foreign keys find their target here (resolved lazily, when
// drizzle first reads a table's config, so the order of conversion does not matter).
const converted = new Map<string, PgTableWithColumns<any>>();

export function pgTableFrom<T extends SQLiteTable>(source: T): PgTableOf<T> {
  const config = getTableConfig(source);
  const keyOf = new Map<string, string>();
  const columns: Record<string, PgColumnBuilderBase> = {};
  for (const [key, column] of Object.entries(getTableColumns(source) as Record<string, SQLiteColumn>)) {
    keyOf.set(column.name, key);
    columns[key] = pgColumn(column);
  }
  const table = pgTable(config.name, columns, (self) => {
    const pick = (cols: SQLiteColumn[]) => cols.map((c) => self[keyOf.get(c.name)!]!) as [any, ...any[]];
    return [
      ...config.primaryKeys.map((pk) => primaryKey({ columns: pick(pk.columns) })),
      ...config.indexes.map(({ config: ix }) => {
        const built = (ix.unique ? uniqueIndex : index)(ix.name).on(...pick(ix.columns as SQLiteColumn[]));
        return ix.where ? built.where(ix.where) : built;
      }),
      ...config.foreignKeys.map((fk) => {
        const ref = fk.reference();
        const target = converted.get(getTableConfig(ref.foreignTable).name);
        if (!target) throw new Error(`${config.name}: foreign key to ${getTableConfig(ref.foreignTable).name}, which has no PostgreSQL table`);
        const targetColumns = ref.foreignColumns.map((c) => (target as any)[keyOfColumn(ref.foreignTable, c.name)]);
        const built = foreignKey({ name: fk.getName(), columns: pick(ref.columns), foreignColumns: targetColumns as [any, ...any[]] });
        if (fk.onDelete) built.onDelete(fk.onDelete);
        if (fk.onUpdate) built.onUpdate(fk.onUpdate);
        return built;
      }),
    ];
  });
  converted.set(config.name, table);
  return table as unknown as PgTableOf<T>;
}

function keyOfColumn(table: SQLiteTable, name: string): string {
  const columns = getTableColumns(table) as Record<string, SQLiteColumn>;
  return Object.keys(columns).find((k) => columns[k]!.name === name)!;
}

function pgColumn(column: SQLiteColumn): PgColumnBuilderBase {
  let built: any;
  switch (column.columnType) {
    case "SQLiteInteger":
      built = bigint(column.name, { mode: "number" });
      if ((column as any).autoIncrement) built = built.generatedByDefaultAsIdentity();
      break;
    case "SQLiteBoolean":
      built = boolean(column.name);
      break;
    case "SQLiteText":
      built = column.enumValues?.length ? text(column.name, { enum: column.enumValues as [string, ...string[]] }) : text(column.name);
      break;
    case "SQLiteBlobBuffer":
      built = bytea(column.name);
      break;
    default:
      throw new Error(`${column.name}: no PostgreSQL type for ${column.columnType}`);
  }
  if (column.primary) built = built.primaryKey();
  if (column.notNull && !column.primary) built = built.notNull();
  if (column.isUnique) built = built.unique(column.uniqueName);
  if (column.default !== undefined) built = built.default(column.default === now ? pgNow : (column.default as SQL | string | number | boolean));
  return built;
}
