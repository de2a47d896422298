// Opens the PostgreSQL metadata database (drizzle's bun-sql driver over Bun.sql) and applies the
// embedded migrations. The server opens it with `--database` (src/store/pgStores.ts); `berth migrate` too.
import { SQL } from "bun";
import { drizzle, type BunSQLDatabase } from "drizzle-orm/bun-sql";
import * as schema from "./schema";
import { embeddedPgMigrations } from "./migrationFiles" with { type: "macro" };

export type PgMetaDb = BunSQLDatabase<typeof schema> & { $client: SQL };

/** Any fixed number: the advisory lock that lets one node at a time migrate. */
const MIGRATION_LOCK = 0x6265_7274;

/** Connects (a pool of `max` connections) and brings the schema up to date. */
export async function openPostgres(url: string, options: { max?: number } = {}): Promise<PgMetaDb> {
  const client = new SQL({ url, max: options.max ?? 10 });
  try {
    await refuseLocaleOrder(client);
    await migrate(client);
  } catch (e) {
    await client.close();
    throw e;
  }
  return drizzle({ client, schema }) as PgMetaDb;
}

/** Names in an order only a byte-wise collation gives (punctuation, case, a prefix). */
const BYTE_ORDER = ["B", "_", "a", "a-c", "a/b", "a_b", "ab"];

/**
 * SQLite compares text byte by byte; so do the registry's pages (`_catalog`, tag lists: `last=`
 * cursors), unique names and prefix searches. A database whose collation follows a language
 * (en_US, ICU) orders "a/b" and "a-c" otherwise, so it is refused rather than served.
 */
async function refuseLocaleOrder(client: SQL): Promise<void> {
  const [row] = await client`SELECT array_agg(x ORDER BY x) AS sorted FROM unnest(${BYTE_ORDER}::text[]) x`;
  if (JSON.stringify(row.sorted) !== JSON.stringify(BYTE_ORDER)) {
    throw new Error(
      "the PostgreSQL database sorts text by a language's rules; Berth needs byte order: create it with " +
        "CREATE DATABASE … TEMPLATE template0 LOCALE 'C.UTF-8' (or LC_COLLATE 'C')",
    );
  }
}

/**
 * drizzle's migrator, with one difference: nodes starting together take turns (an advisory lock
 * held by the migrating transaction), else two could apply the same migration at once. Same
 * bookkeeping table as drizzle's (drizzle.__drizzle_migrations, newest `created_at` wins); the
 * whole run is one transaction, since PostgreSQL's DDL is transactional: all or nothing.
 */
async function migrate(client: SQL): Promise<void> {
  const migrations = embeddedPgMigrations();
  await client.begin(async (tx) => {
    await tx`SELECT pg_advisory_xact_lock(${MIGRATION_LOCK})`;
    await tx`CREATE SCHEMA IF NOT EXISTS drizzle`;
    await tx`CREATE TABLE IF NOT EXISTS drizzle.__drizzle_migrations (id SERIAL PRIMARY KEY, hash text NOT NULL, created_at bigint)`;
    const [last] = await tx`SELECT created_at FROM drizzle.__drizzle_migrations ORDER BY created_at DESC LIMIT 1`;
    const applied = last ? Number(last.created_at) : -1;
    for (const migration of migrations) {
      if (migration.folderMillis <= applied) continue;
      for (const statement of migration.sql) if (statement.trim()) await tx.unsafe(statement);
      await tx`INSERT INTO drizzle.__drizzle_migrations (hash, created_at) VALUES (${migration.hash}, ${migration.folderMillis})`;
    }
  });
}
