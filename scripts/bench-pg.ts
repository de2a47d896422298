// A primary-key read of a repository row, prepared once, through drizzle's bun-sql driver against
// a real PostgreSQL, beside the same read through the query builder and the same prepared read on
// SQLite. docs/BENCHMARKS.md ("PostgreSQL: one prepared primary-key read").
//   BERTH_TEST_DATABASE=$(scripts/services/postgres.sh start) bun scripts/bench-pg.ts [rounds]
import { SQL } from "bun";
import { eq, sql } from "drizzle-orm";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openPostgres } from "../src/store/pg/open";
import * as pgTables from "../src/store/pg/schema";
import { openMetaDb } from "../src/store/db";
import { namespaces, repositories } from "../src/store/schema";

const base = process.env.BERTH_TEST_DATABASE;
if (!base) throw new Error("BERTH_TEST_DATABASE is unset (scripts/services/postgres.sh start prints a URL)");
const rounds = Number(process.argv[2] ?? 3);
const ROWS = 1000;
const READS = 20_000;
const CONCURRENCY = 32;

const admin = new SQL({ url: base, max: 1 });
const name = `berth_bench_${process.pid}`;
await admin.unsafe(`CREATE DATABASE "${name}"`);
const url = new URL(base);
url.pathname = `/${name}`;
const pg = await openPostgres(url.toString(), { max: CONCURRENCY });
const dir = mkdtempSync(join(tmpdir(), "berth-bench-pg-"));
const lite = openMetaDb(join(dir, "berth.db"));

try {
  await pg.insert(pgTables.namespaces).values({ name: "bench" });
  lite.insert(namespaces).values({ name: "bench" }).run();
  const rows = Array.from({ length: ROWS }, (_, i) => ({ namespaceId: 1, name: `r${i}`, fullName: `bench/r${i}` }));
  await pg.insert(pgTables.repositories).values(rows);
  lite.insert(repositories).values(rows).run();

  const pgPrepared = pg.select().from(pgTables.repositories).where(eq(pgTables.repositories.id, sql.placeholder("id"))).prepare("bench_repo_by_id");
  const litePrepared = lite.select().from(repositories).where(eq(repositories.id, sql.placeholder("id"))).prepare();
  const id = (i: number) => (i % ROWS) + 1;

  const results: Record<string, number[]> = {};
  const record = (key: string, value: number) => (results[key] ??= []).push(value);
  for (let round = 0; round < rounds; round++) {
    let t = performance.now();
    for (let i = 0; i < READS; i++) if (!(await pgPrepared.execute({ id: id(i) }))[0]) throw new Error("missing row");
    record("pg prepared, one at a time (µs/read)", ((performance.now() - t) * 1000) / READS);

    t = performance.now();
    for (let i = 0; i < READS; i++) await pg.select().from(pgTables.repositories).where(eq(pgTables.repositories.id, id(i)));
    record("pg query builder, one at a time (µs/read)", ((performance.now() - t) * 1000) / READS);

    t = performance.now();
    let next = 0;
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (next < READS) await pgPrepared.execute({ id: id(next++) });
      }),
    );
    record(`pg prepared, ${CONCURRENCY} at once (reads/s)`, READS / ((performance.now() - t) / 1000));

    t = performance.now();
    for (let i = 0; i < READS; i++) if (!litePrepared.get({ id: id(i) })) throw new Error("missing row");
    record("sqlite prepared (µs/read)", ((performance.now() - t) * 1000) / READS);
  }
  const median = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)]!;
  for (const [key, values] of Object.entries(results)) {
    console.log(`${key}: median ${median(values).toFixed(1)} (rounds: ${values.map((v) => v.toFixed(1)).join(", ")})`);
  }
} finally {
  lite.$client.close();
  rmSync(dir, { recursive: true, force: true });
  await pg.$client.close();
  await admin.unsafe(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  await admin.close();
}
