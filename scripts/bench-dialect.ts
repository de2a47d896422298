// What the dialect runner (src/store/dialect) costs on SQLite: the converted stores' reads and
// writes through it, beside the same queries called directly as the stores did before
// (drizzle's synchronous .all()/.get()/.run() in an async method), and beside the design not
// taken (async bodies awaiting each SQLite query). CPU time per call, medians of interleaved
// rounds. With BERTH_TEST_DATABASE set, the same read on PostgreSQL through the runner and direct.
// docs/BENCHMARKS.md ("One store body, two dialects: the runner's cost").
//   bun scripts/bench-dialect.ts [rounds] [calls]
import { and, eq, inArray, sql } from "drizzle-orm";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SQL } from "bun";
import { openMetaDb } from "../src/store/db";
import { manifestLabels, manifests, namespaces, repositories, stars, users } from "../src/store/schema";
import { sqliteRunner } from "../src/store/dialect/sqliteRunner";
import { pgRunner } from "../src/store/dialect/pgRunner";
import { all } from "../src/store/dialect/program";
import { StarStore } from "../src/store/meta/stars";
import { LabelStore } from "../src/store/meta/labels";
import { openPostgres } from "../src/store/pg/open";
import * as pgTables from "../src/store/pg/schema";

const rounds = Number(process.argv[2] ?? 3);
const CALLS = Number(process.argv[3] ?? 100_000);

const dir = mkdtempSync(join(tmpdir(), "berth-bench-dialect-"));
const db = openMetaDb(join(dir, "berth.db"));
db.insert(namespaces).values({ name: "bench" }).run();
db.insert(users).values({ username: "ann", uuid: crypto.randomUUID() }).run();
db.insert(repositories).values(Array.from({ length: 50 }, (_, i) => ({ namespaceId: 1, name: `r${i}`, fullName: `bench/r${i}` }))).run();
db.insert(manifests).values({ repositoryId: 1, digest: "sha256:x", mediaType: "m", size: 1, content: Buffer.from("{}") }).run();
const repoIds = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
for (const id of [1, 3, 5]) db.insert(stars).values({ userId: 1, repositoryId: id }).run();
const runner = sqliteRunner(db);
const starStore = new StarStore(runner);
const labelStore = new LabelStore(runner);
const labelled = await labelStore.add({ manifestId: 1, key: "k", value: "v", mediaType: "text/plain", sourceType: "api" });
await labelStore.addFromManifest(1, { a: "1" });

const labelColumns = {
  uuid: manifestLabels.uuid,
  key: manifestLabels.key,
  value: manifestLabels.value,
  mediaType: manifestLabels.mediaType,
  sourceType: manifestLabels.sourceType,
  createdMs: manifestLabels.createdMs,
};
const labelledFromManifest = db
  .select({ id: manifestLabels.id })
  .from(manifestLabels)
  .where(and(eq(manifestLabels.manifestId, sql.placeholder("manifest")), eq(manifestLabels.sourceType, "manifest")))
  .limit(1)
  .prepare();

// The stores' bodies before the runner (git show HEAD~2:src/store/meta/{stars,labels}.ts).
const direct = {
  async starredAmong(userId: number, ids: number[]) {
    return new Set(db.select({ id: stars.repositoryId }).from(stars).where(and(eq(stars.userId, userId), inArray(stars.repositoryId, ids))).all().map((r) => r.id));
  },
  async star(userId: number, repositoryId: number) {
    db.insert(stars).values({ userId, repositoryId }).onConflictDoNothing().run();
  },
  async unstar(userId: number, repositoryId: number) {
    return db.delete(stars).where(and(eq(stars.userId, userId), eq(stars.repositoryId, repositoryId))).returning({ id: stars.repositoryId }).all().length > 0;
  },
  async getLabel(manifestId: number, uuid: string) {
    return db.select(labelColumns).from(manifestLabels).where(and(eq(manifestLabels.manifestId, manifestId), eq(manifestLabels.uuid, uuid))).get();
  },
  async deleteLabel(manifestId: number, uuid: string) {
    return db.transaction(() => {
      const found = db.select({ id: manifestLabels.id, sourceType: manifestLabels.sourceType }).from(manifestLabels).where(and(eq(manifestLabels.manifestId, manifestId), eq(manifestLabels.uuid, uuid))).get();
      if (!found) return "notFound";
      db.delete(manifestLabels).where(eq(manifestLabels.id, found.id)).run();
      return "ok";
    });
  },
  async addFromManifestAgain(manifestId: number) {
    return db.transaction(() => !labelledFromManifest.get({ manifest: manifestId }));
  },
};

// The design not taken: async bodies awaiting drizzle's SQLite queries (thenables). No transaction
// can span the awaits on SQLite (it would commit at the first), so the delete takes two statements.
const awaited = {
  async starredAmong(userId: number, ids: number[]) {
    const rows = await db.select({ id: stars.repositoryId }).from(stars).where(and(eq(stars.userId, userId), inArray(stars.repositoryId, ids)));
    return new Set(rows.map((r) => r.id));
  },
  async star(userId: number, repositoryId: number) {
    await db.insert(stars).values({ userId, repositoryId }).onConflictDoNothing();
  },
  async unstar(userId: number, repositoryId: number) {
    return (await db.delete(stars).where(and(eq(stars.userId, userId), eq(stars.repositoryId, repositoryId))).returning({ id: stars.repositoryId })).length > 0;
  },
  async getLabel(manifestId: number, uuid: string) {
    return (await db.select(labelColumns).from(manifestLabels).where(and(eq(manifestLabels.manifestId, manifestId), eq(manifestLabels.uuid, uuid))))[0];
  },
};

type Case = { name: string; calls: number; run: (i: number) => Promise<unknown> };
const ways: Record<string, Case[]> = {
  direct: [
    { name: "StarStore.starredAmong (read, 10 ids)", calls: 1, run: () => direct.starredAmong(1, repoIds) },
    { name: "StarStore.star + unstar (2 writes)", calls: 2, run: async (i) => (await direct.star(1, 20 + (i % 20)), direct.unstar(1, 20 + (i % 20))) },
    { name: "LabelStore.get (read)", calls: 1, run: () => direct.getLabel(1, labelled.uuid) },
    { name: "LabelStore.delete, not found (transaction: 1 read)", calls: 1, run: () => direct.deleteLabel(1, "none") },
    { name: "LabelStore.addFromManifest, already labelled (transaction: 1 prepared read)", calls: 1, run: () => direct.addFromManifestAgain(1) },
  ],
  runner: [
    { name: "StarStore.starredAmong (read, 10 ids)", calls: 1, run: () => starStore.starredAmong(1, repoIds) },
    { name: "StarStore.star + unstar (2 writes)", calls: 2, run: async (i) => (await starStore.star(1, 20 + (i % 20)), starStore.unstar(1, 20 + (i % 20))) },
    { name: "LabelStore.get (read)", calls: 1, run: () => labelStore.get(1, labelled.uuid) },
    { name: "LabelStore.delete, not found (transaction: 1 read)", calls: 1, run: () => labelStore.delete(1, "none") },
    { name: "LabelStore.addFromManifest, already labelled (transaction: 1 prepared read)", calls: 1, run: () => labelStore.addFromManifest(1, { a: "1" }) },
  ],
  awaited: [
    { name: "StarStore.starredAmong (read, 10 ids)", calls: 1, run: () => awaited.starredAmong(1, repoIds) },
    { name: "StarStore.star + unstar (2 writes)", calls: 2, run: async (i) => (await awaited.star(1, 20 + (i % 20)), awaited.unstar(1, 20 + (i % 20))) },
    { name: "LabelStore.get (read)", calls: 1, run: () => awaited.getLabel(1, labelled.uuid) },
  ],
};

/** CPU µs per call (user + system), and wall µs per call. */
async function measure(c: Case, n: number): Promise<[number, number]> {
  const cpu = process.cpuUsage();
  const t = performance.now();
  for (let i = 0; i < n; i++) await c.run(i);
  const used = process.cpuUsage(cpu);
  return [(used.user + used.system) / (n * c.calls), ((performance.now() - t) * 1000) / (n * c.calls)];
}

const results = new Map<string, number[][]>();
const record = (key: string, v: [number, number]) => results.set(key, [...(results.get(key) ?? []), v]);
for (const cases of Object.values(ways)) for (const c of cases) await measure(c, 2000); // warm up
for (let round = 0; round < rounds; round++) {
  for (const [way, cases] of Object.entries(ways)) for (const c of cases) record(`${c.name}|${way}`, await measure(c, CALLS / c.calls));
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
console.log(`SQLite, ${CALLS} calls per case, median of ${rounds} interleaved rounds (µs per call: CPU / wall)`);
console.log("| operation | direct (before) | runner | async bodies awaiting each query |");
console.log("|---|---|---|---|");
const names = [...new Set([...results.keys()].map((k) => k.split("|")[0]!))];
for (const name of names) {
  const cell = (way: string) => {
    const r = results.get(`${name}|${way}`);
    return r ? `${median(r.map((x) => x[0]!)).toFixed(2)} / ${median(r.map((x) => x[1]!)).toFixed(2)}` : "—";
  };
  console.log(`| ${name} | ${cell("direct")} | ${cell("runner")} | ${cell("awaited")} |`);
}

// The runner alone: a "query" that costs nothing, so what remains is driving the body.
const free = { all: () => [] as unknown[], get: () => undefined, run: () => ({ changes: 0 }), toSQL: () => ({}) };
const freeCases: Record<string, Case> = {
  direct: { name: "", calls: 1, run: async () => free.all() },
  runner: { name: "", calls: 1, run: () => runner.run(function* () { return yield* all(free); }) },
  "runner, transaction": { name: "", calls: 1, run: () => runner.transaction(function* () { return yield* all(free); }) },
};
const freeResults: Record<string, [number, number][]> = {};
for (let round = 0; round < rounds; round++)
  for (const [way, c] of Object.entries(freeCases)) (freeResults[way] ??= []).push(await measure(c, CALLS));
console.log(`\nA query that costs nothing, ${CALLS} calls (µs per call: CPU / wall): what the runner itself adds`);
for (const [way, r] of Object.entries(freeResults)) console.log(`| ${way} | ${median(r.map((x) => x[0])).toFixed(3)} / ${median(r.map((x) => x[1])).toFixed(3)} |`);

db.$client.close();
rmSync(dir, { recursive: true, force: true });

const base = process.env.BERTH_TEST_DATABASE;
if (base) {
  const admin = new SQL({ url: base, max: 1 });
  const name = `berth_bench_dialect_${process.pid}`;
  await admin.unsafe(`CREATE DATABASE "${name}"`);
  const url = new URL(base);
  url.pathname = `/${name}`;
  const pg = await openPostgres(url.toString(), { max: 4 });
  try {
    const t = pgTables;
    await pg.insert(t.namespaces).values({ name: "bench" });
    await pg.insert(t.users).values({ username: "ann", uuid: crypto.randomUUID() });
    await pg.insert(t.repositories).values(Array.from({ length: 50 }, (_, i) => ({ namespaceId: 1, name: `r${i}`, fullName: `bench/r${i}` })));
    for (const id of [1, 3, 5]) await pg.insert(t.stars).values({ userId: 1, repositoryId: id });
    const pgStars = new StarStore(pgRunner(pg));
    const pgCalls = Math.min(CALLS, 20_000);
    const pgCases: Record<string, Case> = {
      direct: {
        name: "",
        calls: 1,
        run: async () => new Set((await pg.select({ id: t.stars.repositoryId }).from(t.stars).where(and(eq(t.stars.userId, 1), inArray(t.stars.repositoryId, repoIds)))).map((r) => r.id)),
      },
      runner: { name: "", calls: 1, run: () => pgStars.starredAmong(1, repoIds) },
    };
    const pgResults: Record<string, [number, number][]> = {};
    for (const c of Object.values(pgCases)) await measure(c, 1000);
    for (let round = 0; round < rounds; round++)
      for (const [way, c] of Object.entries(pgCases)) (pgResults[way] ??= []).push(await measure(c, pgCalls));
    console.log(`\nPostgreSQL (loopback), StarStore.starredAmong, ${pgCalls} calls one at a time (µs per call: CPU / wall)`);
    for (const [way, r] of Object.entries(pgResults))
      console.log(`| ${way} | ${median(r.map((x) => x[0])).toFixed(2)} / ${median(r.map((x) => x[1])).toFixed(2)} |`);
  } finally {
    await pg.$client.close();
    await admin.unsafe(`DROP DATABASE "${name}" WITH (FORCE)`);
    await admin.close();
  }
}
