// A migrated database described the same way for both dialects, table by table: columns (by name:
// SQLite appends the columns a migration adds; type
// mapped to PostgreSQL's, nullability, default), primary key, unique and plain indexes (partial or
// not), foreign keys with their ON DELETE, and the triggers. Compared by pgMigrations.test.ts.
import type { Database } from "bun:sqlite";
import type { SQL } from "bun";

export type Column = { name: string; type: string; notNull: boolean; default: string | null };
export type Index = { name: string; columns: string[]; unique: boolean; partial: boolean };
export type ForeignKey = { columns: string[]; table: string; to: string[]; onDelete: string };
export type Table = { columns: Column[]; primaryKey: string[]; identity: string[]; indexes: Index[]; foreignKeys: ForeignKey[] };
export type Schema = { tables: Record<string, Table>; triggers: string[] };

/** The millisecond clock default of either dialect, under one name. */
const NOW_DEFAULTS = ["CAST(unixepoch('subsec') * 1000 AS INTEGER)", "(floor((EXTRACT(epoch FROM statement_timestamp()) * (1000)::numeric)))::bigint"];

function normalDefault(value: string | null): string | null {
  if (value === null) return null;
  if (NOW_DEFAULTS.includes(value)) return "now";
  // PostgreSQL spells a text literal 'x'::text.
  return value.replace(/::text$/, "");
}

const byName = <T extends { name: string }>(a: T, b: T) => a.name.localeCompare(b.name);
const byKey = (a: ForeignKey, b: ForeignKey) => JSON.stringify(a).localeCompare(JSON.stringify(b));

/** SQLite as migrated; `booleans` names the INTEGER columns drizzle reads as booleans ("table.column"). */
export function describeSqlite(db: Database, booleans: Set<string>): Schema {
  const tables: Record<string, Table> = {};
  const names = db.query<{ name: string; sql: string }, []>(
    "SELECT name, sql FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name <> '__drizzle_migrations' ORDER BY name",
  ).all();
  for (const { name, sql } of names) {
    const info = db.query<{ name: string; type: string; notnull: number; dflt_value: string | null; pk: number }, []>(`PRAGMA table_info("${name}")`).all();
    const columns = info.map((c) => ({
      name: c.name,
      type: sqliteTypeInPostgres(c.type.toLowerCase(), booleans.has(`${name}.${c.name}`)),
      // A primary key column is NOT NULL in PostgreSQL whether or not SQLite says so.
      notNull: c.notnull === 1 || c.pk > 0,
      default: normalDefault(c.dflt_value),
    })).sort(byName);
    const primaryKey = info.filter((c) => c.pk > 0).sort((a, b) => a.pk - b.pk).map((c) => c.name);
    const identity = /AUTOINCREMENT/i.test(sql) ? primaryKey : [];
    const indexes = db
      .query<{ name: string; unique: number; origin: string; partial: number }, []>(`PRAGMA index_list("${name}")`)
      .all()
      .filter((i) => i.origin !== "pk")
      .map((i) => ({
        name: i.name,
        unique: i.unique === 1,
        partial: i.partial === 1,
        columns: db.query<{ name: string; seqno: number }, []>(`PRAGMA index_info("${i.name}")`).all().sort((a, b) => a.seqno - b.seqno).map((c) => c.name),
      }))
      .sort(byName);
    const fkRows = db.query<{ id: number; seq: number; table: string; from: string; to: string; on_delete: string }, []>(`PRAGMA foreign_key_list("${name}")`).all();
    const foreignKeys = [...new Set(fkRows.map((r) => r.id))]
      .map((id) => {
        const rows = fkRows.filter((r) => r.id === id).sort((a, b) => a.seq - b.seq);
        return { columns: rows.map((r) => r.from), table: rows[0]!.table, to: rows.map((r) => r.to), onDelete: rows[0]!.on_delete.toUpperCase() };
      })
      .sort(byKey);
    tables[name] = { columns, primaryKey, identity, indexes, foreignKeys };
  }
  const triggers = db.query<{ name: string }, []>("SELECT name FROM sqlite_master WHERE type = 'trigger' ORDER BY name").all().map((t) => t.name);
  return { tables, triggers };
}

function sqliteTypeInPostgres(type: string, boolean: boolean): string {
  if (type === "integer") return boolean ? "boolean" : "bigint";
  return type === "blob" ? "bytea" : type;
}

const ON_DELETE: Record<string, string> = { a: "NO ACTION", r: "RESTRICT", c: "CASCADE", n: "SET NULL", d: "SET DEFAULT" };

/** PostgreSQL's public schema as migrated. */
export async function describePostgres(sql: SQL): Promise<Schema> {
  const tables: Record<string, Table> = {};
  const columnRows = await sql`
    SELECT table_name, column_name, data_type, is_nullable, column_default, is_identity
    FROM information_schema.columns WHERE table_schema = 'public' ORDER BY table_name, ordinal_position`;
  for (const c of columnRows) {
    const table = (tables[c.table_name] ??= { columns: [], primaryKey: [], identity: [], indexes: [], foreignKeys: [] });
    table.columns.push({ name: c.column_name, type: c.data_type, notNull: c.is_nullable === "NO", default: normalDefault(c.column_default) });
    if (c.is_identity === "YES") table.identity.push(c.column_name);
  }
  // Every index, the primary key's too; a UNIQUE constraint is a unique index of the same name.
  const indexRows = await sql`
    SELECT t.relname AS table_name, i.relname AS index_name, x.indisunique AS unique, x.indisprimary AS primary,
           x.indpred IS NOT NULL AS partial,
           array(SELECT a.attname FROM unnest(x.indkey) WITH ORDINALITY k(attnum, n)
                 JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum ORDER BY k.n)::text[] AS columns
    FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class t ON t.oid = x.indrelid
    JOIN pg_namespace s ON s.oid = t.relnamespace WHERE s.nspname = 'public'`;
  for (const r of indexRows) {
    const table = tables[r.table_name]!;
    if (r.primary) table.primaryKey = r.columns;
    else table.indexes.push({ name: r.index_name, columns: r.columns, unique: r.unique, partial: r.partial });
  }
  const fkRows = await sql`
    SELECT t.relname AS table_name, f.relname AS target, c.confdeltype AS on_delete,
           array(SELECT a.attname FROM unnest(c.conkey) WITH ORDINALITY k(attnum, n)
                 JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.attnum ORDER BY k.n)::text[] AS columns,
           array(SELECT a.attname FROM unnest(c.confkey) WITH ORDINALITY k(attnum, n)
                 JOIN pg_attribute a ON a.attrelid = c.confrelid AND a.attnum = k.attnum ORDER BY k.n)::text[] AS "to"
    FROM pg_constraint c JOIN pg_class t ON t.oid = c.conrelid JOIN pg_class f ON f.oid = c.confrelid
    JOIN pg_namespace s ON s.oid = t.relnamespace WHERE s.nspname = 'public' AND c.contype = 'f'`;
  for (const r of fkRows) {
    tables[r.table_name]!.foreignKeys.push({ columns: r.columns, table: r.target, to: r.to, onDelete: ON_DELETE[r.on_delete]! });
  }
  for (const table of Object.values(tables)) {
    table.columns.sort(byName);
    table.indexes.sort(byName);
    table.foreignKeys.sort(byKey);
  }
  const triggerRows = await sql`
    SELECT DISTINCT trigger_name FROM information_schema.triggers WHERE trigger_schema = 'public' ORDER BY trigger_name`;
  return { tables, triggers: triggerRows.map((t: { trigger_name: string }) => t.trigger_name) };
}
