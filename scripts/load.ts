#!/usr/bin/env bun
// The longer load-and-fault run (test/e2e/load.test.ts is the CI one): dist/berth with token auth,
// CLIENTS concurrent clients pushing and pulling for SECONDS, peak RSS sampled; then, with
// --kill, the load again, SIGKILL after KILL seconds, `berth fsck`, a restart, and every
// acknowledged push pulled byte for byte. Prints one JSON line.
//   bun run build.ts && bun scripts/load.ts --clients 200 --seconds 600 --kill 20
import { parseArgs } from "node:util";
import { rmSync } from "node:fs";
import { startBinary, tempDir, buildBinary } from "../test/support/server";
import { run } from "../test/support/e2eHelpers";
import { loadToken, percentile, runLoad, sampleRss, verifyAcked } from "../test/support/loadDriver";

const { values } = parseArgs({
  options: {
    clients: { type: "string", default: "200" },
    seconds: { type: "string", default: "600" },
    repos: { type: "string", default: "8" },
    kill: { type: "string" },
    keep: { type: "boolean", default: false },
  },
});
const clients = Number(values.clients);
const seconds = Number(values.seconds);
const repos = Number(values.repos);
const password = "load-Admin-pw-1";
const dataDir = tempDir("berth-load-");
const start = () => startBinary({ dataDir, args: ["--auth", "token"], env: { BERTH_ADMIN_PASSWORD: password } });
const loadavg = async () => (await Bun.file("/proc/loadavg").text()).split(" ").slice(0, 3).join(" ");

let srv = await start();
const out: Record<string, unknown> = { clients, seconds, repos, loadBefore: await loadavg() };
const rss = sampleRss(srv.pid);
const steady = await runLoad({ base: srv.url, clients, seconds, repos, user: "admin", password, runId: "steady" });
const mem = rss.stop();
Object.assign(out, {
  pushes: steady.pushes,
  pulls: steady.pulls,
  requestsPerSecond: Math.round(steady.requests / seconds),
  mibUp: Math.round(steady.bytesUp / 2 ** 20),
  mibDown: Math.round(steady.bytesDown / 2 ** 20),
  pushMsP50: Math.round(percentile(steady.pushMs, 50)),
  pushMsP99: Math.round(percentile(steady.pushMs, 99)),
  pullMsP50: Math.round(percentile(steady.pullMs, 50)),
  pullMsP99: Math.round(percentile(steady.pullMs, 99)),
  errors: steady.errors,
  errorSamples: steady.errorSamples,
  serverPeakRssMiB: Math.round(mem.peakMiB),
  serverHwmMiB: Math.round(mem.hwmMiB),
  loadAfter: await loadavg(),
});
const acked = [...steady.acked];
if (values.kill) {
  const stop = new AbortController();
  const load = runLoad({ base: srv.url, clients, seconds: 86400, repos, user: "admin", password, runId: "crash", signal: stop.signal });
  await Bun.sleep(Number(values.kill) * 1000);
  srv.proc.kill("SIGKILL");
  stop.abort();
  await srv.proc.exited;
  const crash = await load;
  acked.push(...crash.acked);
  const fsck = await run([await buildBinary(), "fsck", "--data", dataDir], { allowFail: true });
  srv = await start();
  const checked = await verifyAcked(srv.url, acked, await loadToken(srv.url, "admin", password, repos));
  Object.assign(out, {
    killErrors: crash.errors,
    killPushesAcked: crash.pushes,
    fsckExit: fsck.code,
    fsckSummary: fsck.stdout.trim().split("\n").slice(-1)[0],
    fsckDamage: fsck.stdout.split("\n").filter((l) => l.startsWith("damage:")).length,
    verifiedImages: checked.images,
    verifiedBlobs: checked.blobs,
    verifyFailures: checked.failures.slice(0, 10),
  });
}
await srv.stop();
if (!values.keep) rmSync(dataDir, { recursive: true, force: true });
console.log(JSON.stringify(out));
const failed = steady.errors > 0 || (values.kill && ((out.verifyFailures as string[]).length > 0 || out.fsckExit !== 0));
process.exit(failed ? 1 : 0);
