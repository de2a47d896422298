// Load and fault: the compiled binary with token auth, 200 concurrent clients pushing and pulling
// for 60 s on loopback (every byte checked by digest): no errors, peak RSS recorded. Then the same
// load again, SIGKILL in the middle of it, `berth fsck` on the data directory finds no damage, and
// after a restart every push that was acknowledged (manifest PUT answered 201), in either run,
// pulls byte for byte. BERTH_TEST_LOAD_SECONDS / BERTH_TEST_LOAD_CLIENTS change the first run;
// scripts/load.ts is the longer variant.
import { afterAll, expect, test } from "bun:test";
import { rmSync } from "node:fs";
import { buildBinary, startBinary, tempDir, type BinaryServer } from "../support/server";
import { backendEnv } from "../support/e2eBackend";
import { run } from "../support/e2eHelpers";
import { loadToken, percentile, runLoad, sampleRss, verifyAcked, type AckedImage, type LoadStats } from "../support/loadDriver";

const SECONDS = Number(process.env.BERTH_TEST_LOAD_SECONDS ?? 60);
const CLIENTS = Number(process.env.BERTH_TEST_LOAD_CLIENTS ?? 200);
const KILL_AFTER_MS = 6000;
const PASSWORD = "load-Admin-pw-1";
const REPOS = 8;

const dataDir = tempDir("berth-load-");
let srv: BinaryServer | undefined;
const acked: AckedImage[] = [];
afterAll(async () => {
  await srv?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

const start = () => startBinary({ dataDir, args: ["--auth", "token"], env: { BERTH_ADMIN_PASSWORD: PASSWORD } });

function summary(label: string, s: LoadStats, seconds: number): string {
  const mib = (n: number) => (n / 1024 / 1024).toFixed(0);
  return (
    `${label}: ${s.pushes} image pushes (${(s.pushes / seconds).toFixed(0)}/s), ${s.pulls} pulls, ${s.requests} requests (${(s.requests / seconds).toFixed(0)}/s), ` +
    `${mib(s.bytesUp)} MiB up, ${mib(s.bytesDown)} MiB down; push p50/p99 ${percentile(s.pushMs, 50).toFixed(0)}/${percentile(s.pushMs, 99).toFixed(0)} ms, ` +
    `pull p50/p99 ${percentile(s.pullMs, 50).toFixed(0)}/${percentile(s.pullMs, 99).toFixed(0)} ms; errors ${s.errors}${s.errorSamples.length ? `\n  ${s.errorSamples.join("\n  ")}` : ""}`
  );
}

test(`${CLIENTS} clients push and pull for ${SECONDS} s with token auth: no errors, peak RSS recorded`, async () => {
  srv = await start();
  const rss = sampleRss(srv.pid);
  const stats = await runLoad({ base: srv.url, clients: CLIENTS, seconds: SECONDS, repos: REPOS, user: "admin", password: PASSWORD, runId: "steady" });
  const mem = rss.stop();
  console.log(`${summary("load", stats, SECONDS)}\nload: server peak RSS ${mem.peakMiB.toFixed(0)} MiB (VmHWM ${mem.hwmMiB.toFixed(0)} MiB), load average ${(await Bun.file("/proc/loadavg").text()).split(" ").slice(0, 3).join(" ")}`);
  acked.push(...stats.acked);
  expect(stats.errorSamples).toEqual([]);
  expect(stats.errors).toBe(0);
  expect(stats.pushes).toBeGreaterThan(CLIENTS);
  expect(stats.pulls).toBeGreaterThan(CLIENTS);
  // Memory stays bounded under load (a leak would show; the idle server is ~60 MiB).
  expect(mem.hwmMiB).toBeLessThan(400);
}, (SECONDS + 90) * 1000);

test("SIGKILL under load: fsck finds no damage, every acknowledged push pulls byte for byte after a restart", async () => {
  srv ??= await start();
  const stop = new AbortController();
  const load = runLoad({ base: srv.url, clients: CLIENTS, seconds: 600, repos: REPOS, user: "admin", password: PASSWORD, runId: "crash", signal: stop.signal });
  await Bun.sleep(KILL_AFTER_MS);
  srv.proc.kill("SIGKILL");
  stop.abort(); // after the kill: requests in flight fail, they are not cancelled
  await srv.proc.exited;
  const stats = await load;
  console.log(`${summary("under kill", stats, KILL_AFTER_MS / 1000)}; ${stats.cutOff} clients cut off by the kill`);
  expect(stats.errorSamples).toEqual([]);
  expect(stats.pushes).toBeGreaterThan(0);
  expect(stats.cutOff).toBeGreaterThan(0); // the kill did land in the middle of requests
  acked.push(...stats.acked);

  const fsck = await run([await buildBinary(), "fsck", "--data", dataDir], { allowFail: true, env: await backendEnv(dataDir) });
  console.log(`fsck after SIGKILL: ${fsck.stdout.trim().split("\n").slice(-1)[0]}`);
  expect(fsck.stdout).not.toContain("damage:");
  expect(fsck.code).toBe(0);

  srv = await start();
  const token = await loadToken(srv.url, "admin", PASSWORD, REPOS);
  const t = performance.now();
  const checked = await verifyAcked(srv.url, acked, token);
  console.log(`after restart: ${checked.images} acknowledged images and ${checked.blobs} blobs checked in ${((performance.now() - t) / 1000).toFixed(1)} s`);
  expect(checked.failures.slice(0, 10)).toEqual([]);
  expect(checked.images).toBe(acked.length);
}, 300_000);
