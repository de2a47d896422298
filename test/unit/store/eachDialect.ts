// One test suite, run against both dialects: SQLite (a fresh database per test) and the real
// PostgreSQL named by BERTH_TEST_DATABASE (one scratch database per file, emptied before each
// test). Without BERTH_TEST_DATABASE the PostgreSQL half is skipped, and the console says so.
// Rows the stores under test need (users, repositories, manifests) are written by the helpers
// below, themselves store bodies (src/store/dialect/program.ts), so they run on both.
import { afterAll, afterEach, beforeAll, beforeEach, describe } from "bun:test";
import { rmSync } from "node:fs";
import { join } from "node:path";
import { eq } from "drizzle-orm";
import { openMetaDb, type MetaDb } from "../../../src/store/db";
import { openPostgres, type PgMetaDb } from "../../../src/store/pg/open";
import { sqliteRunner } from "../../../src/store/dialect/sqliteRunner";
import { pgRunner } from "../../../src/store/dialect/pgRunner";
import { all, changes, one, type Runner } from "../../../src/store/dialect/program";
import { tempDir } from "../../support/server";
import { scratchDatabases, testDatabaseUrl } from "./pgScratch";

export interface Backend {
  runner: Runner;
  /** Closes the connection under the stores (a failing database). */
  close(): Promise<void>;
}

/** `suite` runs once per dialect, inside describe(`${name} on sqlite|postgres`); `get()` answers the current test's backend. */
export function describeEachDialect(file: string, name: string, suite: (get: () => Backend) => void): void {
  describe(`${name} on sqlite`, () => {
    let dir = "";
    let db: MetaDb | undefined;
    let backend: Backend;
    beforeEach(() => {
      dir = tempDir("berth-dialect-");
      const opened = openMetaDb(join(dir, "berth.db"));
      db = opened;
      backend = { runner: sqliteRunner(opened), close: async () => opened.$client.close() };
    });
    afterEach(() => {
      db?.$client.close();
      rmSync(dir, { recursive: true, force: true });
    });
    suite(() => backend);
  });

  const url = testDatabaseUrl(file);
  describe.skipIf(!url)(`${name} on postgres (BERTH_TEST_DATABASE)`, () => {
    const scratch = url ? scratchDatabases(url) : undefined;
    let scratchUrl = "";
    let admin: PgMetaDb;
    let truncate = "";
    let db: PgMetaDb | undefined;
    let backend: Backend;
    beforeAll(async () => {
      scratchUrl = await scratch!.create();
      admin = await openPostgres(scratchUrl, { max: 1 });
      const rows = await admin.$client`SELECT tablename FROM pg_tables WHERE schemaname = 'public'`;
      truncate = `TRUNCATE ${rows.map((r: { tablename: string }) => `"${r.tablename}"`).join(", ")} RESTART IDENTITY CASCADE`;
    });
    beforeEach(async () => {
      await admin.$client.unsafe(truncate);
      // A pool per test, so a test may close it.
      const opened = await openPostgres(scratchUrl, { max: 4 });
      db = opened;
      backend = { runner: pgRunner(opened), close: () => opened.$client.close() };
    });
    afterEach(async () => {
      await db?.$client.close();
    });
    afterAll(async () => {
      await admin?.$client.close();
      await scratch?.drop();
    });
    suite(() => backend);
  });
}

// Rows for the stores under test, written through the same runner.

export function addUser(runner: Runner, username: string): Promise<number> {
  return runner.run(function* ({ db, t }) {
    const [row] = yield* all(db.insert(t.users).values({ username, uuid: crypto.randomUUID() }).returning({ id: t.users.id }));
    return row!.id;
  });
}

/** A repository "ns/name", with its namespace when new. */
export function addRepository(runner: Runner, fullName: string): Promise<number> {
  const [namespace, ...rest] = fullName.split("/");
  return runner.transaction(function* ({ db, t }) {
    yield* changes(db.insert(t.namespaces).values({ name: namespace! }).onConflictDoNothing());
    const ns = (yield* one(db.select({ id: t.namespaces.id }).from(t.namespaces).where(eq(t.namespaces.name, namespace!))))!;
    const [row] = yield* all(db.insert(t.repositories).values({ namespaceId: ns.id, name: rest.join("/"), fullName }).returning({ id: t.repositories.id }));
    return row!.id;
  });
}

export function addManifest(runner: Runner, repositoryId: number, nonce: string): Promise<number> {
  const content = Buffer.from(JSON.stringify({ schemaVersion: 2, nonce }));
  const digest = `sha256:${new Bun.CryptoHasher("sha256").update(content).digest("hex")}`;
  return runner.run(function* ({ db, t }) {
    const [row] = yield* all(
      db
        .insert(t.manifests)
        .values({ repositoryId, digest, mediaType: "application/vnd.oci.image.manifest.v1+json", size: content.length, content })
        .returning({ id: t.manifests.id }),
    );
    return row!.id;
  });
}

export function namespaceIdOf(runner: Runner, name: string): Promise<number> {
  return runner.run(function* ({ db, t }) {
    return (yield* one(db.select({ id: t.namespaces.id }).from(t.namespaces).where(eq(t.namespaces.name, name))))!.id;
  });
}

/** The two scopes of policies: namespace "ns"'s own and its repository "ns/app"'s. */
export async function addPolicyScopes(runner: Runner) {
  const repositoryId = await addRepository(runner, "ns/app");
  const namespaceId = await namespaceIdOf(runner, "ns");
  return { ns: { namespaceId, repositoryId: null }, repo: { namespaceId, repositoryId } };
}
