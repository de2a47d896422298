// Build-time macro: imported `with { type: "macro" }`, so the SQL is read when the code is
// bundled or transpiled and ends up inside the compiled binary (drizzle's migrate() would read a
// folder at run time, which does not exist beside a single executable).
import { readMigrationFiles } from "drizzle-orm/migrator";

export function embeddedMigrations() {
  return readMigrationFiles({ migrationsFolder: `${import.meta.dir}/migrations` });
}
