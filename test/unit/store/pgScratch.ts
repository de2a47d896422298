// The PostgreSQL the tests may use (BERTH_TEST_DATABASE, from scripts/services/postgres.sh; .ci/run
// sets it) and empty databases made beside it for one test file.
import { SQL } from "bun";

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
  return {
    async create(): Promise<string> {
      const name = `berth_test_${process.pid}_${made.length}_${Date.now()}`;
      await admin.unsafe(`CREATE DATABASE "${name}"`);
      made.push(name);
      const u = new URL(base);
      u.pathname = `/${name}`;
      return u.toString();
    },
    async drop() {
      for (const name of made) await admin.unsafe(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      await admin.close();
    },
  };
}
