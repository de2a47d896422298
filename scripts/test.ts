// `bun run test`: the whole suite; `bun run test:fast` (`--fast`): the unit and API tests, test
// files spread over worker processes (one per core). Bun 1.4 reads no timeout from bunfig.toml
// (`bun test` alone gives every test and hook 5 s, measured), so the one timeout bunfig.toml
// sets is read here and passed on as --timeout. Stress tests (`*Stress.test.ts`: minutes of load
// on purpose) run in the full suite only. Extra arguments go to `bun test` (e.g. a path filter).
import { join } from "node:path";

const root = join(import.meta.dir, "..");
const bunfig = await Bun.file(join(root, "bunfig.toml")).text();
const timeout = bunfig.match(/^\s*timeout\s*=\s*([\d_]+)/m)?.[1]?.replaceAll("_", "");
if (!timeout) throw new Error("bunfig.toml sets no [test] timeout");
const fast = process.argv[2] === "--fast";
const args = process.argv.slice(fast ? 3 : 2);
const command = fast
  ? ["test", "--parallel", `--timeout=${timeout}`, "--path-ignore-patterns=**/*Stress.test.ts", ...(args.length ? args : ["test/unit", "test/api"])]
  : ["test", `--timeout=${timeout}`, ...args];
const run = async (cmd: string[], env: Record<string, string> = {}) =>
  Bun.spawn([process.execPath, ...cmd], { cwd: root, stdio: ["inherit", "inherit", "inherit"], env: { ...process.env, ...env } }).exited;
let code = await run(command);
// The whole suite (no --fast, no path given) with PostgreSQL and S3 at hand (BERTH_TEST_DATABASE,
// BERTH_TEST_S3; .ci/run starts both): the API and end-to-end tests once more on them.
if (!fast && args.length === 0 && process.env.BERTH_TEST_DATABASE && process.env.BERTH_TEST_S3) {
  code = (await apiOnPgS3()) || code;
  code = (await e2eOnPgS3()) || code;
}
process.exit(code);

/** The API tests with every in-process test server on a scratch database and bucket prefix (test/support/apiDatabase.ts, s3.ts). */
function apiOnPgS3(): Promise<number> {
  console.error("\nThe API tests again, every test server on PostgreSQL and S3 (BERTH_TEST_API_DATABASE=pg BERTH_TEST_API_STORAGE=s3):");
  return run(["test", `--timeout=${timeout}`, "--path-ignore-patterns=**/*Stress.test.ts", "test/api"], { BERTH_TEST_API_DATABASE: "pg", BERTH_TEST_API_STORAGE: "s3" });
}

/**
 * The end-to-end tests once more, every binary on a scratch database and bucket prefix
 * (test/support/e2eBackend.ts). Left out: the files that pick their own backends (postgres,
 * s3Storage, migrate, nodes*: they ran above), mirrorDistribution (no binary, only in-process
 * servers), and load: a minute of 200 clients whose blobs the test gateway's 6 GiB of memory may
 * not hold, with nothing of the backend the others do not exercise.
 */
function e2eOnPgS3(): Promise<number> {
  console.error("\nThe end-to-end tests on PostgreSQL + S3 (BERTH_TEST_E2E_BACKEND=pg+s3):");
  const skip = "**/{postgres,s3Storage,migrate,nodes*,mirrorDistribution,load}.test.ts";
  return run(["test", `--timeout=${timeout}`, `--path-ignore-patterns=${skip}`, "test/e2e"], { BERTH_TEST_E2E_BACKEND: "pg+s3" });
}
