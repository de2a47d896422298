// With BERTH_TEST_E2E_BACKEND=pg+s3 (and BERTH_TEST_DATABASE, BERTH_TEST_S3), every binary the
// end-to-end tests start (servers through startBinary, CLI chores through their helpers) keeps its
// metadata in a scratch PostgreSQL database and its blobs under a fresh prefix of the test bucket:
// one pair per data directory, so a restart on the same directory (or a chore on it) finds its
// registry. Everything made is removed after the last test file (test/support/e2eBackendCleanup.ts,
// a preload in bunfig.toml). Unset, the binaries run on SQLite and the filesystem (the default).
import { existsSync } from "node:fs";
import { freshS3Store, s3BinaryEnv, testS3Settings } from "./s3";
import { scratchDatabases } from "../unit/store/pgScratch";

const mode = process.env.BERTH_TEST_E2E_BACKEND;
if (mode && mode !== "pg+s3") throw new Error(`BERTH_TEST_E2E_BACKEND=${mode}: only pg+s3 is known`);
const base = mode ? process.env.BERTH_TEST_DATABASE : undefined;
if (mode && (!base || !testS3Settings())) throw new Error("BERTH_TEST_E2E_BACKEND=pg+s3 needs BERTH_TEST_DATABASE and BERTH_TEST_S3");

/** True when the end-to-end binaries run on PostgreSQL + S3. */
export const onPgS3 = mode === "pg+s3";

interface Backend {
  env: Record<string, string>;
  database: string;
  cleanup(): Promise<void>;
}

const byDataDir = new Map<string, Promise<Backend>>();
let scratch: ReturnType<typeof scratchDatabases> | undefined;

async function makeBackend(): Promise<Backend> {
  scratch ??= scratchDatabases(base!);
  const database = await scratch.create();
  const bucket = await freshS3Store();
  return {
    database,
    env: { ...s3BinaryEnv(), BERTH_DATABASE: database, BERTH_STORAGE: `s3://${testS3Settings()!.bucket}/${bucket.prefix}` },
    async cleanup() {
      await scratch!.dropOne(database);
      await bucket.cleanup();
    },
  };
}

/**
 * The environment that puts a binary serving (or a chore working on) `dataDir` on the test
 * backend: `BERTH_DATABASE`, `BERTH_STORAGE` and the S3 settings, the same for every call with
 * that directory; nothing in the default mode.
 */
export async function backendEnv(dataDir: string): Promise<Record<string, string>> {
  if (!onPgS3) return {};
  let backend = byDataDir.get(dataDir);
  if (!backend) {
    // In the map before any await: a second call for the directory meanwhile gets the same pair.
    backend = dropRemoved().then(makeBackend);
    byDataDir.set(dataDir, backend);
  }
  return (await backend).env;
}

/**
 * Drops the backends of data directories their tests removed (so done with): the test gateway
 * keeps objects in memory (6 GiB at most), which a whole run's 1–2 GiB blobs would fill.
 */
async function dropRemoved(): Promise<void> {
  // The entries as they are now: the directory asking is added while this awaits, before its
  // binary makes it, and would otherwise be taken for removed and wait on its own backend.
  for (const [dir, backend] of [...byDataDir]) {
    if (existsSync(dir)) continue;
    byDataDir.delete(dir);
    await (await backend).cleanup();
  }
}

/** Drops every database and bucket prefix made (after the last test file). */
export async function dropAllBackends(): Promise<void> {
  const all = [...byDataDir.values()];
  byDataDir.clear();
  const left: string[] = [];
  for (const b of all) {
    const backend = await b.catch(() => undefined);
    if (!backend) continue;
    await backend.cleanup().catch((e: unknown) => left.push(`${backend.database}: ${String(e)}`));
  }
  await scratch?.drop();
  scratch = undefined;
  if (left.length) console.warn(`e2e backend cleanup left behind:\n${left.join("\n")}`);
}

/** The backend environment for a CLI chore: the one of the data directory its `--data` names. */
export async function choreEnv(args: string[]): Promise<Record<string, string>> {
  const at = args.indexOf("--data");
  return at >= 0 && args[at + 1] ? backendEnv(args[at + 1]!) : {};
}
