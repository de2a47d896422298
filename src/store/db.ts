import { Database } from "bun:sqlite";
import { closeSync, openSync } from "node:fs";
import { drizzle, type BunSQLiteDatabase } from "drizzle-orm/bun-sqlite";
import * as schema from "./schema";
import { embeddedMigrations } from "./migrationFiles" with { type: "macro" };

export type MetaDb = BunSQLiteDatabase<typeof schema> & { $client: Database };

/** Opens (creating if needed) the metadata database and applies pending migrations. */
export function openMetaDb(path: string): MetaDb {
  // Owner-only from its first byte: SQLite gives -wal and -shm the mode of the database file.
  closeSync(openSync(path, "a", 0o600));
  const sqlite = new Database(path, { create: true, strict: true });
  sqlite.exec("PRAGMA journal_mode = WAL");
  sqlite.exec("PRAGMA busy_timeout = 5000");
  sqlite.exec("PRAGMA foreign_keys = ON");
  sqlite.exec("PRAGMA synchronous = NORMAL");
  const db = drizzle(sqlite, { schema }) as MetaDb;
  reuseStatements(db, sqlite);
  const migrations = embeddedMigrations();
  // The same call drizzle's bun-sqlite migrate() makes, fed with the embedded files.
  (db as any).dialect.migrate(migrations, (db as any).session, { migrationsFolder: "" });
  return db;
}

/** Statements drizzle may reuse, by SQL text; more distinct texts than this evict the oldest. */
const STATEMENT_CACHE_SIZE = 512;

/**
 * Drizzle's bun-sqlite session compiles every query anew (`client.prepare(sql)` per call): a
 * manifest push spent ~12 % of its CPU in SQLite's prepare and more building the same SQL
 * again (profile in docs/BENCHMARKS.md). The session gets a client whose `prepare` returns the
 * statement already compiled for that text. Safe to share: drizzle runs a statement to
 * completion synchronously (run/all/get/values), never holding it across an await. Evicted
 * statements are left to the garbage collector, not finalized: a caller may still hold one.
 */
function reuseStatements(db: MetaDb, sqlite: Database): void {
  const session = (db as any).session as { client: Database };
  const cache = new Map<string, ReturnType<Database["prepare"]>>();
  session.client = {
    prepare(sql: string) {
      let stmt = cache.get(sql);
      if (stmt) {
        // Most recently used last: a Map keeps insertion order.
        cache.delete(sql);
      } else {
        stmt = sqlite.prepare(sql);
        if (cache.size >= STATEMENT_CACHE_SIZE) cache.delete(cache.keys().next().value!);
      }
      cache.set(sql, stmt);
      return stmt;
    },
    exec: (sql: string) => sqlite.exec(sql),
    transaction: (fn: () => void) => sqlite.transaction(fn),
  } as unknown as Database;
}

/**
 * After secrets were rewritten (plaintext to encrypted): rebuilds the file so no freed page or
 * cell keeps an old copy, then empties the WAL, whose frames may hold old pages too.
 */
export function scrubFreedContent(db: MetaDb): true | string {
  try {
    db.$client.exec("VACUUM");
    // [busy, frames in the log, frames checkpointed]: busy means a reader kept old frames.
    const result = db.$client.prepare<{ busy: number }, []>("PRAGMA wal_checkpoint(TRUNCATE)").get();
    return result?.busy ? "another process was reading" : true;
  } catch (e: any) {
    return String(e?.message ?? e);
  }
}

/** SQLite's own checks, page structure and foreign keys (`berth fsck`): empty when both pass. */
export async function sqliteDatabaseProblems(db: MetaDb): Promise<string[]> {
  const client = db.$client;
  const integrity = client.prepare<{ integrity_check: string }, []>("PRAGMA integrity_check").all().map((r) => r.integrity_check);
  const problems = integrity.length === 1 && integrity[0] === "ok" ? [] : integrity;
  for (const fk of client.prepare<{ table: string; rowid: number; parent: string }, []>("PRAGMA foreign_key_check").all()) {
    problems.push(`${fk.table} row ${fk.rowid} names a missing ${fk.parent} row`);
  }
  return problems;
}
