// With BERTH_TEST_API_DATABASE=pg (and BERTH_TEST_DATABASE), in-process test servers keep their
// metadata in a scratch PostgreSQL database of their own instead of SQLite: one per data directory,
// so a restart on the same directory finds its registry. `bun run test` (CI) runs the API suite
// this way too, with BERTH_TEST_API_STORAGE=s3 (scripts/test.ts). The database of a server
// started on a data directory its test gave (a restart) is left behind with that directory
// unless the test drops it (dropApiDatabase): drop `berth_api_*` databases after such a run.
import { SQL } from "bun";

const base = process.env.BERTH_TEST_API_DATABASE === "pg" ? process.env.BERTH_TEST_DATABASE : undefined;
if (process.env.BERTH_TEST_API_DATABASE === "pg" && !base) throw new Error("BERTH_TEST_API_DATABASE=pg needs BERTH_TEST_DATABASE");
const byDataDir = new Map<string, string>();
let admin: SQL | undefined;
let made = 0;

/** The `database` setting for a server on `dataDir`, or none (SQLite). */
export async function apiDatabaseOverrides(dataDir: string): Promise<Record<string, string>> {
  if (!base) return {};
  let name = byDataDir.get(dataDir);
  if (!name) {
    name = `berth_api_${process.pid}_${made++}_${Date.now()}`;
    admin ??= new SQL({ url: base, max: 1 });
    await admin.unsafe(`CREATE DATABASE "${name}"`);
    byDataDir.set(dataDir, name);
  }
  const u = new URL(base);
  u.pathname = `/${name}`;
  return { database: u.toString() };
}

/** Drops the database of a data directory the test server made and removed (a given one may be served again). */
export async function dropApiDatabase(dataDir: string): Promise<void> {
  const name = byDataDir.get(dataDir);
  if (!name || !admin) return;
  byDataDir.delete(dataDir);
  await admin.unsafe(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
}
