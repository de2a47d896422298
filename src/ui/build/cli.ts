// `bun src/ui/build/cli.ts`: builds the web UI and prints the bundle as JSON. The macro runs this
// in a child process: Bun.build cannot run inside a macro while the bundler waits for it.
import { buildUi } from "./bundle";

process.stdout.write(JSON.stringify(await buildUi()));
