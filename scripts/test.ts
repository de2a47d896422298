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
const proc = Bun.spawn([process.execPath, ...command], { cwd: root, stdio: ["inherit", "inherit", "inherit"] });
process.exit(await proc.exited);
