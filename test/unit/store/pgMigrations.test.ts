// The embedded PostgreSQL migrations against a real PostgreSQL (BERTH_TEST_DATABASE, started by
// scripts/services/postgres.sh; .ci/run sets it): a fresh database migrated by openPostgres has
// the tables of SQLite as migrated, column for column, key for key, trigger for trigger; the
// quota triggers count the same; opening again changes nothing; nodes starting together do not
// trip over each other.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { SQL } from "bun";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { getTableConfig, SQLiteTable } from "drizzle-orm/sqlite-core";
import { is } from "drizzle-orm";
import { openMetaDb, type MetaDb } from "../../../src/store/db";
import * as sqliteSchema from "../../../src/store/schema";
import { openPostgres } from "../../../src/store/pg/open";
import { PG_ONLY_TABLES } from "../../../src/store/pg/nodeState/tables";
import { describePostgres, describeSqlite, type Schema } from "./pgDescribe";
import { scratchDatabases, testDatabaseUrl } from "./pgScratch";

const url = testDatabaseUrl("pgMigrations.test.ts");

describe.skipIf(!url)("PostgreSQL migrations (BERTH_TEST_DATABASE)", () => {
  const scratch = scratchDatabases(url!);
  let dir = "";
  let sqlite: MetaDb;
  let expected: Schema;
  let actual: Schema;
  let pgUrl = "";

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "berth-pg-schema-"));
    sqlite = openMetaDb(join(dir, "berth.db"));
    const booleans = new Set<string>();
    for (const table of Object.values(sqliteSchema).filter((v) => is(v, SQLiteTable)) as SQLiteTable[]) {
      const config = getTableConfig(table);
      for (const c of config.columns) if (c.columnType === "SQLiteBoolean") booleans.add(`${config.name}.${c.name}`);
    }
    expected = describeSqlite(sqlite.$client, booleans);
    pgUrl = await scratch.create();
    const pg = await openPostgres(pgUrl, { max: 2 });
    actual = await describePostgres(pg.$client);
    await pg.$client.close();
  });
  afterAll(async () => {
    sqlite?.$client.close();
    rmSync(dir, { recursive: true, force: true });
    await scratch.drop();
  });

  test("the same tables", () => {
    expect(Object.keys(expected.tables).length).toBeGreaterThan(30);
    // Besides the tables of state several nodes share (src/store/pg/nodeState/tables.ts).
    expect(Object.keys(actual.tables).sort()).toEqual([...Object.keys(expected.tables), ...PG_ONLY_TABLES].sort());
  });

  // One test per table, so a difference names its table. The list is SQLite's as migrated.
  const tableNames = (() => {
    const names = Object.values(sqliteSchema).filter((v) => is(v, SQLiteTable)).map((t) => getTableConfig(t as SQLiteTable).name);
    return names.sort();
  })();
  for (const name of tableNames) {
    test(`${name}: columns, types, nullability, defaults, primary key, identity, indexes, foreign keys`, () => {
      expect(actual.tables[name]).toEqual(expected.tables[name]!);
    });
  }

  test("the same triggers", () => {
    expect(expected.triggers.length).toBeGreaterThan(0);
    expect(actual.triggers).toEqual(expected.triggers);
  });

  test("the quota triggers count the same bytes as SQLite's through a push, a second manifest, deletions and a repository's removal", async () => {
    // Portable SQL, ? placeholders (numbered $n for PostgreSQL).
    const steps: [string, unknown[]][] = [
      [`INSERT INTO namespaces (id, name) VALUES (?, 'acme')`, [1]],
      [`INSERT INTO repositories (id, namespace_id, name, full_name) VALUES (?, 1, 'app', 'acme/app'), (2, 1, 'lib', 'acme/lib')`, [1]],
      [`INSERT INTO blobs (digest, size) VALUES ('sha256:a', ?), ('sha256:b', 200)`, [100]],
      [`INSERT INTO manifests (id, repository_id, digest, media_type, size, content) VALUES (?, 1, 'sha256:m1', 'x', 1, ?)`, [1, Buffer.from("{}")]],
      [`INSERT INTO manifest_blobs (manifest_id, digest) VALUES (?, 'sha256:a'), (1, 'sha256:b')`, [1]],
      [`INSERT INTO manifests (id, repository_id, digest, media_type, size, content) VALUES (?, 2, 'sha256:m2', 'x', 1, ?)`, [2, Buffer.from("{}")]],
      [`INSERT INTO manifest_blobs (manifest_id, digest) VALUES (?, 'sha256:a'), (2, 'sha256:c')`, [2]],
      // A layer whose blob row arrives after the manifest (a foreign layer pushed later).
      [`INSERT INTO blobs (digest, size) VALUES ('sha256:c', ?)`, [30]],
      [`DELETE FROM manifests WHERE id = ?`, [1]],
      [`DELETE FROM repositories WHERE id = ?`, [2]],
    ];
    const usage = `SELECT 'r' || repository_id AS k, size_bytes AS v FROM repository_usage UNION ALL SELECT 'n' || namespace_id, size_bytes FROM namespace_usage ORDER BY k`;
    const pg = (await openPostgres(await scratch.create(), { max: 1 })).$client;
    const lite = openMetaDb(join(dir, "triggers.db"));
    try {
      for (const [i, [statement, params]] of steps.entries()) {
        lite.$client.prepare(statement).run(...(params as any[]));
        let n = 0;
        await pg.unsafe(statement.replace(/\?/g, () => `$${++n}`), params);
        const fromPg = (await pg.unsafe(usage)).map((r: { k: string; v: unknown }) => [r.k, Number(r.v)]);
        const fromSqlite = lite.$client.query<{ k: string; v: number }, []>(usage).all().map((r) => [r.k, r.v]);
        expect({ step: i, usage: fromPg }).toEqual({ step: i, usage: fromSqlite });
      }
    } finally {
      lite.$client.close();
      await pg.close();
    }
  });

  test("opening a migrated database again is a no-op: no migration re-run, rows kept", async () => {
    const first = await openPostgres(pgUrl, { max: 1 });
    const before = await first.$client`SELECT id, hash, created_at FROM drizzle.__drizzle_migrations ORDER BY id`;
    await first.$client`INSERT INTO namespaces (name) VALUES ('kept')`;
    await first.$client.close();
    const again = await openPostgres(pgUrl, { max: 1 });
    try {
      expect([...(await again.$client`SELECT id, hash, created_at FROM drizzle.__drizzle_migrations ORDER BY id`)]).toEqual([...before]);
      expect([...(await again.$client`SELECT name FROM namespaces`)]).toEqual([{ name: "kept" }]);
      expect(await describePostgres(again.$client)).toEqual(actual);
    } finally {
      await again.$client.close();
    }
  });

  test("a database that sorts text by a language's rules (ICU en-US) is refused before anything is written", async () => {
    const admin = new SQL({ url: url!, max: 1 });
    const name = `berth_test_${process.pid}_icu_${Date.now()}`;
    await admin.unsafe(`CREATE DATABASE "${name}" TEMPLATE template0 LOCALE_PROVIDER icu ICU_LOCALE 'en-US' LOCALE 'C.UTF-8'`);
    const u = new URL(url!);
    u.pathname = `/${name}`;
    try {
      await expect(openPostgres(u.toString(), { max: 1 })).rejects.toThrow(/byte order/);
      const probe = new SQL({ url: u.toString(), max: 1 });
      expect((await probe`SELECT count(*)::int AS n FROM pg_namespace WHERE nspname = 'drizzle'`)[0].n).toBe(0);
      await probe.close();
    } finally {
      await admin.unsafe(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      await admin.close();
    }
  });

  test("nodes opening a fresh database at the same time: one migrates, the others wait and find it done", async () => {
    const fresh = await scratch.create();
    const nodes = await Promise.all([openPostgres(fresh, { max: 1 }), openPostgres(fresh, { max: 1 }), openPostgres(fresh, { max: 1 })]);
    try {
      const rows = await nodes[0]!.$client`SELECT count(*)::int AS n FROM drizzle.__drizzle_migrations`;
      expect(rows[0].n).toBe((await nodes[1]!.$client`SELECT count(DISTINCT hash)::int AS n FROM drizzle.__drizzle_migrations`)[0].n);
      expect(await describePostgres(nodes[2]!.$client)).toEqual(actual);
    } finally {
      for (const node of nodes) await node.$client.close();
    }
  });
});
