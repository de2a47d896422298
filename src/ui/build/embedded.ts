// Build-time macro: imported `with { type: "macro" }`, so the web UI is bundled when the server
// code is bundled (bun build --compile) and the result is inside the binary as string constants.
import type { UiBundle } from "./bundle";

export function embeddedUi(): UiBundle {
  const child = Bun.spawnSync([process.execPath, `${import.meta.dir}/cli.ts`], { stderr: "pipe", env: { ...process.env, NODE_ENV: "production" } });
  if (child.exitCode !== 0) throw new Error(`web UI build failed: ${child.stderr.toString()}`);
  return JSON.parse(child.stdout.toString()) as UiBundle;
}
