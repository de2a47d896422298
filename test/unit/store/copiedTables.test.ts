// `berth migrate` copies the tables the schema modules list (src/store/copy/copiedTables.ts), not
// a hand-written list: every table of either schema is copied or left out on purpose with its
// reason, and parents come before the tables that reference them.
import { expect, test } from "bun:test";
import { is } from "drizzle-orm";
import { getTableConfig as pgConfig, PgTable } from "drizzle-orm/pg-core";
import { getTableConfig as sqliteConfig, SQLiteTable } from "drizzle-orm/sqlite-core";
import * as sqliteSchema from "../../../src/store/schema";
import * as pgSchema from "../../../src/store/pg/schema";
import { copiedTables, NOT_COPIED } from "../../../src/store/copy/copiedTables";

const copied = copiedTables();
const copiedNames = copied.map((t) => t.name);

test("every table of the SQLite and the PostgreSQL schema is copied or deliberately skipped, never both", () => {
  const sqliteNames = Object.values(sqliteSchema).filter((v) => is(v, SQLiteTable)).map((t) => sqliteConfig(t as SQLiteTable).name);
  const pgNames = Object.values(pgSchema).filter((v) => is(v, PgTable)).map((t) => pgConfig(t as PgTable).name);
  const accounted = new Set([...copiedNames, ...Object.keys(NOT_COPIED)]);
  expect([...sqliteNames, ...pgNames].filter((n) => !accounted.has(n))).toEqual([]);
  expect(copiedNames.filter((n) => n in NOT_COPIED)).toEqual([]);
  // Each skipped table exists (a stale entry would hide a renamed table) and says why.
  for (const [name, why] of Object.entries(NOT_COPIED)) {
    expect([...sqliteNames, ...pgNames]).toContain(name);
    expect(why.length).toBeGreaterThan(20);
  }
  expect(new Set(copiedNames).size).toBe(copiedNames.length);
  expect(copiedNames).toEqual(expect.arrayContaining(["users", "robots", "blobs", "manifests", "tags", "repository_usage", "namespace_blob_refs", "log_entries"]));
});

test("each table comes after every table its foreign keys point at", () => {
  copied.forEach((table, i) => {
    for (const parent of table.references) {
      if (parent === table.name || parent in NOT_COPIED) continue;
      expect(copiedNames.indexOf(parent), `${table.name} → ${parent}`).toBeLessThan(i);
      expect(copiedNames.indexOf(parent)).toBeGreaterThanOrEqual(0);
    }
  });
});

test("every copied table has a key to read it in order by, and its PostgreSQL twin", () => {
  for (const table of copied) {
    expect(table.keyColumns.length, table.name).toBeGreaterThan(0);
    expect(pgConfig(table.pg).name).toBe(table.name);
  }
  expect(copied.find((t) => t.name === "users")?.identity).toBe("id");
  expect(copied.find((t) => t.name === "stars")?.keyColumns).toEqual(["userId", "repositoryId"]);
});
