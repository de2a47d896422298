// The SQLite database under a test server's stores, for tests that read or break it directly:
// a server on PostgreSQL (BERTH_TEST_API_DATABASE=pg) has none, and such a test says so.
import type { MetaDb } from "../../src/store/db";
import type { Stores } from "../../src/store";

export function sqliteOf(stores: Stores): MetaDb {
  if (!("db" in stores) || stores.dialect !== "sqlite") throw new Error("this test reads the SQLite database directly; the server runs on PostgreSQL");
  return (stores as Stores & { db: MetaDb }).db;
}
