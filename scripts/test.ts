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
if (!fast && args.length === 0 && process.env.BERTH_TEST_DATABASE && process.env.BERTH_TEST_S3) {
  console.error("\nThe API tests again, every test server on PostgreSQL and S3 (BERTH_TEST_API_DATABASE=pg BERTH_TEST_API_STORAGE=s3):");
  const again = await run(["test", `--timeout=${timeout}`, "--path-ignore-patterns=**/*Stress.test.ts", "test/api"], { BERTH_TEST_API_DATABASE: "pg", BERTH_TEST_API_STORAGE: "s3" });
  code ||= again;
}
process.exit(code);
