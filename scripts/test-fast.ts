// `bun run test:fast`: the unit and API tests, test files spread over worker processes (one per
// core). Bun 1.4's --parallel workers do not read bunfig.toml's [test] timeout (they fall back to
// 5 s), so the one timeout bunfig.toml sets is read here and passed on. Stress tests
// (`*Stress.test.ts`: minutes of load on purpose) run in the full suite only. Extra arguments go
// to `bun test` (e.g. a path filter).
import { join } from "node:path";

const root = join(import.meta.dir, "..");
const bunfig = await Bun.file(join(root, "bunfig.toml")).text();
const timeout = bunfig.match(/^\s*timeout\s*=\s*([\d_]+)/m)?.[1]?.replaceAll("_", "");
if (!timeout) throw new Error("bunfig.toml sets no [test] timeout");
const args = process.argv.slice(2);
const proc = Bun.spawn([process.execPath, "test", "--parallel", `--timeout=${timeout}`, "--path-ignore-patterns=**/*Stress.test.ts", ...(args.length ? args : ["test/unit", "test/api"])], {
  cwd: root,
  stdio: ["inherit", "inherit", "inherit"],
});
process.exit(await proc.exited);
