// The PostgreSQL the tests may use (BERTH_TEST_DATABASE, from scripts/services/postgres.sh; .ci/run
// sets it) and empty databases made beside it for one test file.
import { afterAll, beforeAll } from "bun:test";
import { SQL } from "bun";
import { openPostgres, type PgMetaDb } from "../../../src/store/pg/open";

/** The URL, or undefined after saying on the console that the file's tests are skipped. */
export function testDatabaseUrl(file: string): string | undefined {
  const url = process.env.BERTH_TEST_DATABASE;
  if (!url) console.warn(`${file}: BERTH_TEST_DATABASE is unset, the PostgreSQL tests are SKIPPED (scripts/services/postgres.sh start prints a URL)`);
  return url;
}

/** Creates an empty database beside the one in `base` and answers its URL; `drop` removes them all. */
export function scratchDatabases(base: string) {
  const admin = new SQL({ url: base, max: 1 });
  const made: string[] = [];
  const dropNamed = (name: string) => admin.unsafe(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  return {
    async create(): Promise<string> {
      const name = `berth_test_${process.pid}_${made.length}_${Date.now()}`;
      await admin.unsafe(`CREATE DATABASE "${name}"`);
      made.push(name);
      const u = new URL(base);
      u.pathname = `/${name}`;
      return u.toString();
    },
    /** Drops one database `create` made (by its URL). */
    async dropOne(url: string) {
      const name = new URL(url).pathname.slice(1);
      const at = made.indexOf(name);
      if (at < 0) return;
      made.splice(at, 1);
      await dropNamed(name);
    },
    async drop() {
      for (const name of made) await dropNamed(name);
      made.length = 0;
      await admin.close();
    },
  };
}

/**
 * Two pools on one fresh migrated database, standing for two Berth nodes; opened before the
 * file's tests and closed after them. `url` is the database's, for a third node.
 */
export function twoNodes(base: string): { a: PgMetaDb; b: PgMetaDb; url: string } {
  const scratch = scratchDatabases(base);
  const nodes = {} as { a: PgMetaDb; b: PgMetaDb; url: string };
  beforeAll(async () => {
    nodes.url = await scratch.create();
    nodes.a = await openPostgres(nodes.url, { max: 4 });
    nodes.b = await openPostgres(nodes.url, { max: 4 });
  });
  afterAll(async () => {
    await nodes.a?.$client.close();
    await nodes.b?.$client.close();
    await scratch.drop();
  });
  return nodes;
}
