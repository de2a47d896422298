// Values through the generated PostgreSQL tables and drizzle's bun-sql driver come back as the
// SQLite store hands them out: millisecond times and sizes past 2^31 as numbers, booleans,
// manifest bytes exactly, enums, JSON text unchanged, the `now` default in milliseconds. And the
// trap a PostgreSQL store must step around: raw count(*) is a string.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { eq, sql } from "drizzle-orm";
import { openPostgres, type PgMetaDb } from "../../../src/store/pg/open";
import { manifests, namespaces, repositories, repoMirrors, tags } from "../../../src/store/pg/schema";
import { scratchDatabases, testDatabaseUrl } from "./pgScratch";

const url = testDatabaseUrl("pgRoundTrip.test.ts");

describe.skipIf(!url)("PostgreSQL values round trip (BERTH_TEST_DATABASE)", () => {
  const scratch = scratchDatabases(url!);
  let db: PgMetaDb;
  beforeAll(async () => {
    db = await openPostgres(await scratch.create(), { max: 2 });
  });
  afterAll(async () => {
    await db?.$client.close();
    await scratch.drop();
  });

  test("bigint times and sizes, booleans, bytes, enums and JSON text come back as written", async () => {
    const before = Date.now();
    const [ns] = await db.insert(namespaces).values({ name: "acme", kind: "org" }).returning();
    expect(ns!.kind).toBe("org");
    expect(ns!.createdMs).toBeNumber();
    expect(ns!.createdMs).toBeGreaterThanOrEqual(before - 1000);
    expect(ns!.createdMs).toBeLessThanOrEqual(Date.now() + 1000);
    const [repo] = await db.insert(repositories).values({ namespaceId: ns!.id, name: "app", fullName: "acme/app" }).returning();
    // Bytes that are not UTF-8, and a size past 2^32.
    const content = Buffer.from([0x7b, 0x00, 0xff, 0xfe, 0x0a, 0x7d]);
    const size = 2 ** 40 + 7;
    const [m] = await db
      .insert(manifests)
      .values({ repositoryId: repo!.id, digest: "sha256:x", mediaType: "application/vnd.oci.image.manifest.v1+json", size, content, annotations: '{"b":1,  "a":2}' })
      .returning();
    const [read] = await db.select().from(manifests).where(eq(manifests.id, m!.id));
    expect(read!.size).toBe(size);
    expect(Buffer.isBuffer(read!.content)).toBe(true);
    expect([...read!.content]).toEqual([...content]);
    // JSON is text: key order and spacing kept (jsonb would give {"a": 2, "b": 1}).
    expect(read!.annotations).toBe('{"b":1,  "a":2}');
    const far = 4_102_444_800_000; // 2100-01-01 in ms, past 2^31 many times over
    await db.insert(tags).values({ repositoryId: repo!.id, name: "v1", manifestId: m!.id, startMs: far, expiresMs: far + 1, immutable: true });
    const [tag] = await db.select().from(tags).where(eq(tags.name, "v1"));
    expect(tag).toMatchObject({ startMs: far, expiresMs: far + 1, endMs: null, immutable: true });
    const [mirror] = await db
      .insert(repoMirrors)
      .values({ repositoryId: repo!.id, externalReference: "quay.io/x/y", tagGlobs: "[]", syncIntervalS: 60, syncTransactionId: "t", timeoutS: 10 })
      .returning();
    expect(mirror).toMatchObject({ isEnabled: true, verifyTls: true, unsignedImages: false, syncStatus: "NEVER_RUN", architectureFilter: "[]" });
  });

  test("raw count(*) arrives as a string; a column of the table as a number", async () => {
    const [raw] = await db.select({ n: sql<number>`count(*)` }).from(namespaces);
    expect(raw!.n as unknown).toBe("1");
    const [cast] = await db.select({ n: sql<number>`count(*)::int` }).from(namespaces);
    expect(cast!.n).toBe(1);
    const [row] = await db.select({ id: namespaces.id }).from(namespaces);
    expect(row!.id).toBeNumber();
  });
});
