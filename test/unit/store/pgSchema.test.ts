// The PostgreSQL tables are generated from the SQLite ones (src/store/pg/fromSqlite.ts): every
// SQLite table has its PostgreSQL twin with the same columns, keys and indexes, and the embedded
// PostgreSQL migrations are what drizzle-kit generates from them (no change left ungenerated).
import { describe, expect, test } from "bun:test";
import { cpSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { getTableConfig as pgConfig, PgTable } from "drizzle-orm/pg-core";
import { getTableConfig as sqliteConfig, SQLiteTable } from "drizzle-orm/sqlite-core";
import { is } from "drizzle-orm";
import * as sqliteSchema from "../../../src/store/schema";
import * as pgSchema from "../../../src/store/pg/schema";
import { PG_ONLY_TABLES } from "../../../src/store/pg/nodeState/tables";

const root = join(import.meta.dir, "../../..");
const sqliteTables = Object.entries(sqliteSchema).filter(([, v]) => is(v, SQLiteTable)) as [string, SQLiteTable][];
const allPgTables = Object.entries(pgSchema).filter(([, v]) => is(v, PgTable)) as [string, PgTable][];
/** The tables of state several nodes share, which one SQLite node keeps in memory (src/store/pg/nodeState/tables.ts). */
const pgOnly = new Set<string>(PG_ONLY_TABLES);
const pgTables = new Map(allPgTables.filter(([, t]) => !pgOnly.has(pgConfig(t).name)));

/** The type a SQLite column must have in PostgreSQL. */
function expectedType(columnType: string): string {
  return { SQLiteInteger: "bigint", SQLiteBoolean: "boolean", SQLiteText: "text", SQLiteBlobBuffer: "bytea" }[columnType] ?? `?${columnType}`;
}

describe("PostgreSQL schema generated from the SQLite schema", () => {
  test("the PostgreSQL-only tables are exactly the listed ones, none of them a SQLite table's name", () => {
    expect(allPgTables.map(([, t]) => pgConfig(t).name).filter((n) => pgOnly.has(n)).sort()).toEqual([...PG_ONLY_TABLES].sort());
    for (const [, t] of sqliteTables) expect(pgOnly.has(sqliteConfig(t).name)).toBe(false);
  });

  test("every SQLite table has a PostgreSQL table of the same export name and table name, and no other but the PostgreSQL-only ones", () => {
    expect(sqliteTables.length).toBeGreaterThan(30);
    expect([...pgTables.keys()].sort()).toEqual(sqliteTables.map(([k]) => k).sort());
    for (const [key, table] of sqliteTables) expect(pgConfig(pgTables.get(key)!).name).toBe(sqliteConfig(table).name);
  });

  for (const [key, table] of sqliteTables) {
    test(`${sqliteConfig(table).name}: columns, keys, indexes and foreign keys`, () => {
      const s = sqliteConfig(table);
      const p = pgConfig(pgTables.get(key)!);
      const sqliteColumns = s.columns.map((c) => ({
        name: c.name,
        type: expectedType(c.columnType),
        notNull: c.notNull,
        primary: c.primary,
        unique: c.isUnique,
        hasDefault: c.default !== undefined || (c as any).autoIncrement === true,
      }));
      const pgColumns = p.columns.map((c) => ({
        name: c.name,
        type: c.getSQLType(),
        notNull: c.notNull,
        primary: c.primary,
        unique: c.isUnique,
        hasDefault: c.default !== undefined || c.generatedIdentity !== undefined,
      }));
      expect(pgColumns).toEqual(sqliteColumns);
      expect(p.primaryKeys.map((k) => k.columns.map((c) => c.name))).toEqual(s.primaryKeys.map((k) => k.columns.map((c) => c.name)));
      const indexes = (list: { config: { name: string; unique: boolean; where?: unknown; columns: unknown[] } }[]) =>
        list.map(({ config }) => ({ name: config.name, unique: config.unique, partial: config.where !== undefined, columns: config.columns.map((c: any) => c.name) }));
      expect(indexes(p.indexes as any)).toEqual(indexes(s.indexes as any));
      const fks = (list: { getName(): string; onDelete?: string; reference(): { columns: { name: string }[]; foreignColumns: { name: string; table: unknown }[] } }[]) =>
        list.map((fk) => ({ name: fk.getName(), onDelete: fk.onDelete, columns: fk.reference().columns.map((c) => c.name), to: fk.reference().foreignColumns.map((c) => c.name) }));
      expect(fks(p.foreignKeys as any)).toEqual(fks(s.foreignKeys as any));
    });
  }

  // Spawns drizzle-kit (a few seconds): the migrations are checked in, so a schema change without
  // `bun run db:generate:pg` would ship a binary whose PostgreSQL tables lag behind SQLite's.
  test("the PostgreSQL migrations are up to date with the schema", () => {
    const dir = mkdtempSync(join(tmpdir(), "berth-pg-migrations-"));
    try {
      cpSync(join(root, "src/store/pg/migrations"), join(dir, "migrations"), { recursive: true });
      const config = join(dir, "drizzle.config.ts");
      writeFileSync(config, `export default { dialect: "postgresql", schema: ${JSON.stringify(join(root, "src/store/pg/schema.ts"))}, out: "./migrations" };\n`);
      const before = readdirSync(join(dir, "migrations")).sort();
      const run = Bun.spawnSync([process.execPath, join(root, "node_modules/drizzle-kit/bin.cjs"), "generate", "--config", config], { cwd: dir, stdout: "pipe", stderr: "pipe" });
      expect(run.exitCode).toBe(0);
      expect(readdirSync(join(dir, "migrations")).sort()).toEqual(before);
      expect(run.stdout.toString() + run.stderr.toString()).toContain("No schema changes");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000); // drizzle-kit's start under a loaded machine
});
