// The stores over PostgreSQL as a server opens them (`--database`): the same stores on the shared
// node state, keys from the data directory, a clear refusal of a node without them, errors
// without the password. Real PostgreSQL (BERTH_TEST_DATABASE); skipped with a message when unset.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { cpSync, existsSync, rmSync } from "node:fs";
import { join } from "node:path";
import { openPgStores, DatabaseOpenError } from "../../../src/store/pgStores";
import { tempDir } from "../../support/server";
import { scratchDatabases, testDatabaseUrl } from "./pgScratch";

const base = testDatabaseUrl("pgStores.test.ts");
const scratch = base ? scratchDatabases(base) : undefined;
let url = "";
const dirs: string[] = [];
const dataDir = () => {
  const d = tempDir("berth-pgstores-");
  dirs.push(d);
  return d;
};

beforeAll(async () => {
  if (scratch) url = await scratch.create();
});
afterAll(async () => {
  await scratch?.drop();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe.skipIf(!base)("openPgStores", () => {
  test("two nodes with the same keys share one registry; a node without them is refused", async () => {
    const dirA = dataDir();
    const a = await openPgStores(url, { dataDir: dirA, uploadTtlMs: 60_000 });
    try {
      expect(a.dialect).toBe("pg");
      expect(a.shared).toBeDefined();
      expect(existsSync(join(dirA, "keys", "database-secret.key"))).toBe(true);
      expect(await a.users.create("alice", "alice@example.com", null)).toMatchObject({ kind: "ok" });
      const repo = await a.repositories.ensure("alice/app");
      const fresh = dataDir();
      let refused: unknown;
      await openPgStores(url, { dataDir: fresh, uploadTtlMs: 60_000 }).then((s) => s.close(), (e) => (refused = e));
      expect(refused).toBeInstanceOf(DatabaseOpenError);
      expect(String((refused as Error).message)).toContain("copy keys/");
      // Nothing was made in its keys/: a second try with the right keys is not blocked by a wrong one.
      expect(existsSync(join(fresh, "keys", "database-secret.key"))).toBe(false);
      cpSync(join(dirA, "keys"), join(fresh, "keys"), { recursive: true });
      const b = await openPgStores(url, { dataDir: fresh, uploadTtlMs: 60_000 });
      try {
        expect((await b.repositories.find("alice/app"))?.id).toBe(repo.id);
        expect(await b.integrity.databaseProblems()).toEqual([]);
        expect((await b.integrity.uploadSessions()).length).toBe(0);
      } finally {
        await b.close();
      }
    } finally {
      await a.close();
    }
  });

  test("close() ends every connection it opened: the pool and the LISTEN session", async () => {
    const own = await scratch!.create();
    const stores = await openPgStores(own, { dataDir: dataDir(), uploadTtlMs: 60_000 });
    await stores.users.any();
    await stores.close();
    const probe = new (await import("bun")).SQL({ url: base!, max: 1 });
    try {
      const name = new URL(own).pathname.slice(1);
      // The server ends a closed session a moment after the close.
      await Bun.sleep(200);
      const [row] = await probe`SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = ${name}`;
      expect(row.n).toBe(0);
    } finally {
      await probe.close();
    }
  });

  test("an unreachable database or a wrong one: a clear error without the password", async () => {
    for (const bad of ["postgres://berth:hunter2-secret@127.0.0.1:1/none", url.replace(/\/[^/]*$/, "/berth_no_such_db").replace("://", "://berth:hunter2-secret@").replace(/berth@/, "")]) {
      let error: unknown;
      await openPgStores(bad, { dataDir: dataDir(), uploadTtlMs: 60_000 }).then((s) => s.close(), (e) => (error = e));
      expect(error).toBeInstanceOf(DatabaseOpenError);
      const message = (error as Error).message;
      expect(message).toStartWith("cannot open the PostgreSQL database postgres://berth:(set)@");
      expect(message).not.toContain("hunter2");
    }
  });
});
