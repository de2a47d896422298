// Compiles Berth into one executable: `bun run build.ts [--target bun-linux-arm64] [--outfile dist/berth]`.
// Migrations are embedded by a macro (src/store/migrationFiles.ts), so the binary needs nothing beside it.
import { parseArgs } from "node:util";

const { values } = parseArgs({
  args: Bun.argv.slice(2),
  options: {
    target: { type: "string" },
    outfile: { type: "string", default: "dist/berth" },
  },
});

const args = ["build", "--compile", "--bytecode", "--minify-syntax", "--minify-whitespace", "--sourcemap=none",
  "src/main.ts", "--outfile", values.outfile!];
if (values.target) args.push(`--target=${values.target}`);
const proc = Bun.spawn([process.execPath, ...args], { stdout: "inherit", stderr: "inherit" });
const code = await proc.exited;
if (code !== 0) {
  console.error(`build failed (exit ${code})`);
  process.exit(code);
}
console.log(`built ${values.outfile}${values.target ? ` for ${values.target}` : ""}`);
