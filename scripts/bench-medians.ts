#!/usr/bin/env bun
// Medians per scenario and field over registry-bench JSON lines: one table row per file.
//   bun scripts/bench-medians.ts docs/bench/tls-2026-12-02/*.jsonl
import { basename } from "node:path";

const FIELDS: Record<string, string[]> = {
  "push-large": ["monolithic_mib_s", "chunked_mib_s", "server_rss_peak_mib", "server_cpu_s"],
  "pull-large": ["mib_s", "ttfb_ms"],
  "push-image": ["seconds"],
  "pull-concurrent": ["mib_s", "manifest_p50_ms", "manifest_p99_ms", "errors"],
  "manifest-rps": ["rps", "latency_p50_ms", "latency_p99_ms", "non_200"],
  "token-rps": ["rps", "latency_p99_ms", "non_200"],
  "many-tags": ["create_per_s", "tags_list_paged_s", "catalog_s"],
};
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
for (const file of Bun.argv.slice(2)) {
  const lines = (await Bun.file(file).text()).split("\n").filter(Boolean).map((l) => JSON.parse(l));
  const out: string[] = [];
  for (const [scenario, fields] of Object.entries(FIELDS)) {
    const runs = lines.filter((l) => l.scenario === scenario && l.run !== "median" && !l.error);
    if (!runs.length) continue;
    const vals = fields.filter((f) => runs.some((r) => typeof r[f] === "number")).map((f) => `${f}=${median(runs.map((r) => r[f]).filter((v) => typeof v === "number"))}`);
    out.push(`${scenario}(${runs.length}): ${vals.join(" ")}; load ${runs.map((r) => r.host_load_1m).join("/")}`);
  }
  console.log(`${basename(file)}\n  ${out.join("\n  ")}`);
}
