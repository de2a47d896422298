#!/usr/bin/env bun
// The web UI's numbers for docs/BENCHMARKS.md:
//   bun run build.ts && bun scripts/ui-bench.ts [--repos 1000] [--tags 5000] [--runs 5]
// 1. the first page's bundle: each file's size gzipped as served, and what the browser fetched
//    for the repository list on a cold cache (Resource Timing's transferSize);
// 2. time to first render in headless Chromium on localhost, cold cache (a new browser context
//    each run, signed in): from navigation start to the first row of the repository list with
//    `--repos` repositories, and of the tag list of one repository with `--tags` tags;
// 3. the binary's size.
// The machine's load average is printed too: on a shared machine it moves the figures.
import { statSync, rmSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { launchBrowser, signIn } from "../test/support/browser";
import { ROOT, startBinary } from "../test/support/server";
import { adminClient, ok, pushImage } from "../test/support/uiSeed";

const { values } = parseArgs({ args: process.argv.slice(2), options: { repos: { type: "string" }, tags: { type: "string" }, runs: { type: "string" } } });
const REPOS = Number(values.repos ?? 1000);
const TAGS = Number(values.tags ?? 5000);
const RUNS = Number(values.runs ?? 5);
const PASSWORD = "bench-password-1";

/** Runs `work` over `items` with `n` in flight. */
async function pool<T>(items: T[], n: number, work: (item: T) => Promise<unknown>) {
  let next = 0;
  await Promise.all(Array.from({ length: n }, async () => {
    while (next < items.length) await work(items[next++]!);
  }));
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

const srv = await startBinary({ args: ["--auth", "token"], env: { BERTH_ADMIN_PASSWORD: PASSWORD } });
const browser = await launchBrowser();
try {
  // 1. The bundle as served.
  const shell = await (await fetch(`${srv.url}/`)).text();
  const files = [...shell.matchAll(/(?:src|href)="(\/static\/ui\/[^"]+)"/g)].map((m) => m[1]!);
  let gz = 0;
  for (const f of files) {
    const res = await fetch(`${srv.url}${f}`, { headers: { "accept-encoding": "gzip" }, decompress: false } as RequestInit);
    const bytes = (await res.arrayBuffer()).byteLength;
    gz += bytes;
    console.log(`${f}: ${(bytes / 1024).toFixed(1)} KiB ${res.headers.get("content-encoding") ?? "identity"}`);
  }
  console.log(`shell's script and styles gzipped: ${(gz / 1024).toFixed(1)} KiB`);

  // Seeding over the API.
  const c = await adminClient(srv.url, "admin", PASSWORD);
  let t = Date.now();
  await pool(Array.from({ length: REPOS }, (_, i) => `r${String(i).padStart(4, "0")}`), 8, (name) => ok(c.post("/api/v1/repository", { namespace: "admin", repository: name, visibility: "private", description: `repository ${name}`, repo_kind: "image" })));
  console.log(`seeded ${REPOS} repositories in ${Date.now() - t} ms`);
  t = Date.now();
  const { image, dir } = await pushImage(`127.0.0.1:${srv.port}`, "admin/big", ["base"], `admin:${PASSWORD}`, { layers: 1, layerSize: 4096 });
  rmSync(dir, { recursive: true, force: true });
  await pool(Array.from({ length: TAGS }, (_, i) => `t${String(i).padStart(5, "0")}`), 8, (tag) => ok(c.put(`/api/v1/repository/admin/big/tag/${tag}`, { manifest_digest: image.manifest.digest })));
  console.log(`seeded ${TAGS} tags in ${Date.now() - t} ms`);

  // 2. First render, cold cache.
  const signedIn = await browser.newContext({ baseURL: srv.url });
  await signIn(await signedIn.newPage(), "admin", PASSWORD);
  const session = await signedIn.storageState();
  await signedIn.close();
  /** Navigation start to the first row of `table`, in a new context (cold cache) with the session cookie. */
  const measure = async (path: string, table: string, mark: string) => {
    const times: number[] = [];
    let transfer = 0;
    for (let i = 0; i < RUNS; i++) {
      const cold = await browser.newContext({ baseURL: srv.url, viewport: { width: 1280, height: 800 }, storageState: session });
      const p = await cold.newPage();
      await p.goto(path, { waitUntil: "commit" });
      await p.getByRole("table", { name: table }).getByRole("row").nth(1).waitFor();
      // The app marks the first render with rows (src/ui/app/firstRender.ts): milliseconds since
      // navigation start (evaluated as a string: this file is type-checked without the DOM).
      times.push(await p.evaluate(`performance.getEntriesByName("berth:${mark}")[0].startTime`));
      transfer = await p.evaluate("performance.getEntriesByType('resource').concat(performance.getEntriesByType('navigation')).reduce((n, e) => n + e.transferSize, 0)");
      await cold.close();
    }
    console.log(`${path}: first row after ${median(times).toFixed(0)} ms (median of ${RUNS}; runs ${times.map((x) => x.toFixed(0)).join(", ")}); ${(transfer / 1024).toFixed(1)} KiB transferred`);
  };
  await measure("/repository?namespace=admin", "Repositories", "repositories");
  await measure("/repository/admin/big?tab=tags", "Tags", "tags");

  console.log(`load average: ${(await Bun.file("/proc/loadavg").text()).split(" ").slice(0, 3).join(" ")}`);
  // 3. The binary.
  console.log(`dist/berth: ${(statSync(join(ROOT, "dist/berth")).size / 1e6).toFixed(1)} MB`);
} finally {
  await browser.close();
  await srv.stop();
  rmSync(srv.dataDir, { recursive: true, force: true });
}
