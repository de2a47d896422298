#!/usr/bin/env bun
// A collection pass over a large store while clients pull manifests (docs/BENCHMARKS.md).
//   bun run build.ts && bun scripts/bench-gc.ts [--blobs 100000] [--manifests 20000] [--seconds 8] [--clients 8]
// Generates a store straight into a data directory (test/support/generatedStore.ts: every 5th
// image's only tag ended before the time machine window, so a pass frees a fifth of it), copies
// it, and measures on dist/berth:
//  1. in the server: manifest GETs by tag with no pass, then during the server's first pass
//     (gcIntervalSeconds), then during a second pass over the collected store; the pass's time
//     from its log line, the server's RSS sampled every 20 ms;
//  2. beside the server: the same GETs while `berth gc` runs on the copy (its time and max RSS
//     from /usr/bin/time).
import { cpSync, readFileSync, rmSync } from "node:fs";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { generateStore, type GeneratedStore } from "../test/support/generatedStore";
import { freePort, tempDir } from "../test/support/server";

const { values } = parseArgs({
  args: process.argv.slice(2),
  options: { blobs: { type: "string" }, manifests: { type: "string" }, seconds: { type: "string" }, clients: { type: "string" } },
});
const MANIFESTS = Number(values.manifests ?? 20_000);
const BLOBS = Number(values.blobs ?? 100_000);
const SECONDS = Number(values.seconds ?? 8);
const CLIENTS = Number(values.clients ?? 8);
const BIN = resolve(import.meta.dir, "../dist/berth");
const layers = Math.max(1, Math.floor(BLOBS / MANIFESTS) - 1);

interface Sample {
  at: number;
  ms: number;
}

function percentile(samples: Sample[], p: number): number {
  if (samples.length === 0) return NaN;
  const sorted = samples.map((s) => s.ms).sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

function describe(label: string, samples: Sample[], seconds: number): string {
  return `${label}: ${samples.length} GETs in ${seconds.toFixed(1)} s (${Math.round(samples.length / seconds)}/s), p50 ${percentile(samples, 50).toFixed(2)} ms, p99 ${percentile(samples, 99).toFixed(2)} ms, max ${percentile(samples, 100).toFixed(1)} ms`;
}

function rssMiB(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return m ? Number(m[1]) / 1024 : NaN;
}

/** Manifest GETs by tag from `CLIENTS` loops until `stop()`; every answer must be a 200. */
function pull(url: string, store: GeneratedStore) {
  const samples: Sample[] = [];
  let running = true;
  const loops = Array.from({ length: CLIENTS }, async (_, c) => {
    let i = c * 7919;
    while (running) {
      const live = store.liveTags[i++ % store.liveTags.length]!;
      const started = performance.now();
      const res = await fetch(`${url}/v2/${live.repo}/manifests/${live.tag}`, { headers: { Accept: "application/vnd.oci.image.manifest.v1+json" } });
      await res.arrayBuffer();
      if (res.status !== 200) throw new Error(`GET ${live.repo}:${live.tag}: ${res.status}`);
      samples.push({ at: started, ms: performance.now() - started });
    }
  });
  return {
    samples,
    async stop() {
      running = false;
      await Promise.all(loops);
    },
  };
}

async function serve(dataDir: string, env: Record<string, string>) {
  const port = await freePort();
  const proc = Bun.spawn([BIN, "serve", "--host", "127.0.0.1", "--port", String(port), "--data", dataDir, "--auth", "none"], {
    env: { PATH: process.env.PATH ?? "", BERTH_LOG_REQUESTS: "false", ...env },
    stdout: "pipe",
    stderr: "inherit",
  });
  let log = "";
  void (async () => {
    for await (const chunk of proc.stdout as ReadableStream<Uint8Array>) log += new TextDecoder().decode(chunk);
  })();
  const url = `http://127.0.0.1:${port}`;
  for (;;) {
    try {
      if ((await fetch(`${url}/health/instance`)).ok) break;
    } catch {}
    await Bun.sleep(50);
  }
  return { url, proc, log: () => log, startedAt: performance.now() };
}

/** The pass lines the server logged so far: [end time in this process's clock, ms]. */
async function waitForPass(srv: Awaited<ReturnType<typeof serve>>, n: number, rss: number[]): Promise<{ line: string; end: number; ms: number }> {
  for (;;) {
    const lines = srv.log().split("\n").filter((l) => l.includes("lifecycle collect:"));
    if (lines.length >= n) {
      const line = lines[n - 1]!;
      const ms = Number(/ in (\d+) ms/.exec(line)![1]);
      return { line: line.replace(/^\S+ INFO /, ""), end: performance.now(), ms };
    }
    rss.push(rssMiB(srv.proc.pid));
    await Bun.sleep(20);
  }
}

const root = tempDir("berth-bench-gc-");
const a = join(root, "a");
const b = join(root, "b");
try {
  let t = performance.now();
  const store = generateStore(a, {
    repositories: 200,
    manifests: MANIFESTS,
    layersPerManifest: layers,
    orphanBlobs: Math.max(0, BLOBS - MANIFESTS * (1 + layers)),
    blobBytes: 1024,
    garbageEvery: 5,
    historyEvery: 3,
    agoMs: 3 * 3600_000,
  }, "bench");
  console.log(`store: ${store.blobs} blobs, ${MANIFESTS} manifests in 200 repositories, ${store.liveTags.length} live tags; garbage: ${store.garbageManifests} manifests, ${store.garbageBlobs} blobs (${store.garbageBytes} bytes); generated in ${((performance.now() - t) / 1000).toFixed(1)} s`);
  t = performance.now();
  cpSync(a, b, { recursive: true, preserveTimestamps: true });
  console.log(`copied in ${((performance.now() - t) / 1000).toFixed(1)} s`);

  // 1. In the server: the first pass starts one interval after start.
  const interval = SECONDS + 4;
  const srv = await serve(a, { BERTH_GC_INTERVAL_SECONDS: String(interval), BERTH_GC_GRACE_SECONDS: "3600" });
  await Bun.sleep(1000); // warm up
  const idleRss: number[] = [];
  const load = pull(srv.url, store);
  const baselineFrom = performance.now();
  while (performance.now() - baselineFrom < SECONDS * 1000) {
    idleRss.push(rssMiB(srv.proc.pid));
    await Bun.sleep(20);
  }
  const baselineTo = performance.now();
  const passRss: number[] = [];
  const first = await waitForPass(srv, 1, passRss);
  const secondRss: number[] = [];
  const second = await waitForPass(srv, 2, secondRss);
  await load.stop();
  srv.proc.kill("SIGTERM");
  await srv.proc.exited;
  const within = (from: number, to: number) => load.samples.filter((s) => s.at >= from && s.at < to);
  console.log(describe("no pass", within(baselineFrom, baselineTo), (baselineTo - baselineFrom) / 1000));
  console.log(`first pass in the server: ${first.line}`);
  console.log(describe("  GETs during it", within(first.end - first.ms, first.end), first.ms / 1000));
  console.log(`  server RSS: ${Math.max(...idleRss).toFixed(0)} MiB before, peak ${Math.max(...passRss).toFixed(0)} MiB during the pass`);
  console.log(`second pass (nothing left to free): ${second.line}`);
  console.log(describe("  GETs during it", within(second.end - second.ms, second.end), second.ms / 1000));
  console.log(`  server RSS peak ${Math.max(...secondRss).toFixed(0)} MiB`);

  // 2. Beside the server: `berth gc` on the copy.
  const srv2 = await serve(b, { BERTH_GC_INTERVAL_SECONDS: "0" });
  await Bun.sleep(1000);
  const load2 = pull(srv2.url, store);
  await Bun.sleep(2000);
  const gcFrom = performance.now();
  const gc = Bun.spawn(["/usr/bin/time", "-f", "%e s, max RSS %M kB", BIN, "gc", "--data", b], { stdout: "pipe", stderr: "pipe", env: { PATH: process.env.PATH ?? "" } });
  const [gcOut, gcErr] = await Promise.all([new Response(gc.stdout).text(), new Response(gc.stderr).text(), gc.exited]);
  const gcTo = performance.now();
  await Bun.sleep(2000);
  await load2.stop();
  srv2.proc.kill("SIGTERM");
  await srv2.proc.exited;
  console.log(`berth gc beside the server: ${gcOut.trim()} (${gcErr.trim()})`);
  console.log(describe("  GETs before it", load2.samples.filter((s) => s.at < gcFrom), 2));
  console.log(describe("  GETs during it", load2.samples.filter((s) => s.at >= gcFrom && s.at < gcTo), (gcTo - gcFrom) / 1000));
} finally {
  rmSync(root, { recursive: true, force: true });
}
