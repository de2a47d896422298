// Build-time macro, as ../migrationFiles.ts: the PostgreSQL migrations end up inside the binary.
import { readMigrationFiles } from "drizzle-orm/migrator";

export function embeddedPgMigrations() {
  return readMigrationFiles({ migrationsFolder: `${import.meta.dir}/migrations` });
}
