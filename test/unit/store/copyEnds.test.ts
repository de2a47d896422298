// The ends of `berth migrate` (src/store/copy): a source read in key order across many batches
// (composite keys too), and targets whose load is all or nothing, with the quota triggers back
// on afterwards, and identity sequences past both the largest id and the source's counter.
// The PostgreSQL half needs BERTH_TEST_DATABASE (skipped with a message otherwise).
import { afterAll, describe, expect, test } from "bun:test";
import { existsSync, rmSync } from "node:fs";
import { join } from "node:path";
import { openMetaDb } from "../../../src/store/db";
import { copiedTables, type CopiedTable } from "../../../src/store/copy/copiedTables";
import type { MetadataTarget, Row } from "../../../src/store/copy/ends";
import { SqliteSource, SqliteTarget } from "../../../src/store/copy/sqliteEnds";
import { PgSource, PgTarget } from "../../../src/store/copy/pgEnds";
import { namespaces, manifests, manifestBlobs, repositories } from "../../../src/store/schema";
import { tempDir } from "../../support/server";
import { scratchDatabases, testDatabaseUrl } from "./pgScratch";

const tables = copiedTables();
const table = (name: string) => tables.find((t) => t.name === name)!;
const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

async function allBatches(source: SqliteSource, t: CopiedTable, size: number): Promise<Row[][]> {
  return source.read(async (reader) => {
    const out: Row[][] = [];
    for await (const batch of reader.batches(t, size)) out.push(batch);
    return out;
  });
}

test("a SQLite source reads every row once, in key order, a batch after another (composite keys too), and its counters", async () => {
  const dir = tempDir("berth-copy-src-");
  dirs.push(dir);
  const db = openMetaDb(join(dir, "berth.db"));
  db.insert(namespaces).values([5, 1, 3, 2, 4].map((id) => ({ id, name: `ns${id}` }))).run();
  db.insert(repositories).values({ id: 1, namespaceId: 1, name: "app", fullName: "ns1/app" }).run();
  db.insert(manifests).values([2, 1].map((id) => ({ id, repositoryId: 1, digest: `sha256:${id}`, mediaType: "x", size: 2, content: Buffer.from("{}") }))).run();
  db.insert(manifestBlobs).values(["c", "a", "b"].flatMap((d) => [1, 2].map((manifestId) => ({ manifestId, digest: d })))).run();
  // The newest row deleted: the counter (5) stays past the largest id (4), so ids are never reused.
  db.$client.exec("DELETE FROM namespaces WHERE id = 5");
  db.$client.close();

  const source = SqliteSource.open(dir);
  try {
    const ns = await allBatches(source, table("namespaces"), 2);
    expect(ns.map((b) => b.length)).toEqual([2, 2]);
    expect(ns.flat().map((r) => r.id)).toEqual([1, 2, 3, 4]);
    expect((await allBatches(source, table("namespaces"), 3)).map((b) => b.length)).toEqual([3, 1]);
    const mb = (await allBatches(source, table("manifest_blobs"), 4)).flat();
    expect(mb.map((r) => `${r.manifestId}${r.digest}`)).toEqual(["1a", "1b", "1c", "2a", "2b", "2c"]);
    expect((await allBatches(source, table("manifests"), 1)).flat()[0]!.content).toEqual(Buffer.from("{}"));
    expect(await source.read((r) => r.sequences(tables))).toEqual(new Map([["namespaces", 5], ["repositories", 1], ["manifests", 2]]));
    expect(await source.read((r) => r.count(table("manifest_blobs")))).toBe(6);
  } finally {
    await source.close();
  }
  // The snapshot it read is gone; the data directory's database is untouched.
  expect(existsSync(join(dir, `berth.db.migrate-snapshot-${process.pid}`))).toBe(false);
});

/** The cases every target passes: `open` makes a fresh empty one, `nextNamespaceId` inserts a row without id. */
function targetCases(open: () => Promise<MetadataTarget>, probe: (target: MetadataTarget) => Promise<{ triggersOn: boolean; nextNamespaceId: number }>) {
  test("a load that fails part way leaves no row, and the triggers on", async () => {
    const target = await open();
    try {
      const failing = target.load(tables, new Map(), async (w) => {
        await w.insert(table("namespaces"), [{ id: 1, name: "ns1", kind: "user", tagExpirationS: 1, createdMs: 1 }]);
        throw new Error("the source broke");
      });
      await expect(failing).rejects.toThrow("the source broke");
      expect(await target.nonEmptyTables(tables)).toEqual([]);
      expect((await probe(target)).triggersOn).toBe(true);
    } finally {
      await target.close();
    }
  });

  test("a load commits its rows; the next id is past the source's counter and the largest id", async () => {
    const target = await open();
    try {
      await target.load(tables, new Map([["namespaces", 9]]), async (w) => {
        await w.insert(table("namespaces"), [{ id: 4, name: "ns4", kind: "org", tagExpirationS: 1, createdMs: 1 }]);
      });
      expect(await target.nonEmptyTables(tables)).toEqual(["namespaces"]);
      const after = await probe(target);
      expect(after).toEqual({ triggersOn: true, nextNamespaceId: 10 });
    } finally {
      await target.close();
    }
  });
}

describe("a SQLite target", () => {
  const dbOf = (t: MetadataTarget) => (t as unknown as { db: ReturnType<typeof openMetaDb> }).db;
  targetCases(
    async () => {
      const dir = tempDir("berth-copy-dst-");
      dirs.push(dir);
      return new SqliteTarget(dir);
    },
    async (target) => {
      const client = dbOf(target).$client;
      const triggers = client.prepare<{ n: number }, []>("SELECT count(*) AS n FROM sqlite_master WHERE type = 'trigger'").get()!.n;
      const row = client.prepare<{ id: number }, []>("INSERT INTO namespaces (name) VALUES ('probe') RETURNING id").get()!;
      return { triggersOn: triggers > 0, nextNamespaceId: row.id };
    },
  );
});

const url = testDatabaseUrl("copyEnds.test.ts");
describe.skipIf(!url)("a PostgreSQL target", () => {
  const scratch = url ? scratchDatabases(url) : undefined;
  afterAll(async () => {
    await scratch?.drop();
  });
  targetCases(
    async () => PgTarget.open(await scratch!.create()),
    async (target) => {
      const client = (target as unknown as { db: { $client: import("bun").SQL } }).db.$client;
      const [off] = await client`SELECT count(*)::int AS n FROM pg_trigger WHERE NOT tgisinternal AND tgenabled <> 'O'`;
      const [all] = await client`SELECT count(*)::int AS n FROM pg_trigger WHERE NOT tgisinternal`;
      const [row] = await client`INSERT INTO namespaces (name) VALUES ('probe') RETURNING id`;
      return { triggersOn: off.n === 0 && all.n > 0, nextNamespaceId: Number(row.id) };
    },
  );

  test("a PostgreSQL source reads every row once, in key order, a batch after another, and its counters", async () => {
    const dbUrl = await scratch!.create();
    const target = await PgTarget.open(dbUrl);
    try {
      await target.load(tables, new Map([["namespaces", 7]]), async (w) => {
        await w.insert(table("namespaces"), [3, 1, 2].map((id) => ({ id, name: `ns${id}`, kind: "org", tagExpirationS: 1, createdMs: 1 })));
        await w.insert(table("repositories"), [{ id: 1, namespaceId: 1, name: "app", fullName: "ns1/app", visibility: "private", state: "NORMAL", description: null, createdMs: 1, updatedMs: 1 }]);
        await w.insert(table("quota_notices"), [[2, 90], [1, 80], [1, 50]].map(([namespaceId, thresholdPercent]) => ({ namespaceId, thresholdPercent, notifiedMs: 1, cleared: true, reached: false })));
      });
    } finally {
      await target.close();
    }
    const source = await PgSource.open(dbUrl);
    try {
      const read = (name: string) =>
        source.read(async (reader) => {
          const out: Row[][] = [];
          for await (const batch of reader.batches(table(name), 2)) out.push(batch);
          return out;
        });
      expect((await read("namespaces")).map((b) => b.map((r) => r.id))).toEqual([[1, 2], [3]]);
      const notices = await read("quota_notices");
      expect(notices.map((b) => b.map((r) => `${r.namespaceId}:${r.thresholdPercent}:${r.cleared}`))).toEqual([["1:50:true", "1:80:true"], ["2:90:true"]]);
      expect(await source.read((r) => r.sequences(tables))).toEqual(new Map([["namespaces", 7], ["repositories", 1]]));
    } finally {
      await source.close();
    }
  });
});
