import { Database } from "bun:sqlite";
import { drizzle, type BunSQLiteDatabase } from "drizzle-orm/bun-sqlite";
import * as schema from "./schema";
import { embeddedMigrations } from "./migrationFiles" with { type: "macro" };

export type MetaDb = BunSQLiteDatabase<typeof schema> & { $client: Database };

/** Opens (creating if needed) the metadata database and applies pending migrations. */
export function openMetaDb(path: string): MetaDb {
  const sqlite = new Database(path, { create: true, strict: true });
  sqlite.exec("PRAGMA journal_mode = WAL");
  sqlite.exec("PRAGMA busy_timeout = 5000");
  sqlite.exec("PRAGMA foreign_keys = ON");
  sqlite.exec("PRAGMA synchronous = NORMAL");
  const db = drizzle(sqlite, { schema }) as MetaDb;
  const migrations = embeddedMigrations();
  // The same call drizzle's bun-sqlite migrate() makes, fed with the embedded files.
  (db as any).dialect.migrate(migrations, (db as any).session, { migrationsFolder: "" });
  return db;
}
