// Reads registry-bench JSON lines on stdin; prints the last one's request rate, p99 and the
// server's CPU time per request (scripts/bench-ceiling.sh).
export {};
const lines = (await Bun.stdin.text()).trim().split("\n");
const r = JSON.parse(lines.at(-1)!);
if (r.error) {
  console.log(`error: ${r.error}`);
} else {
  const cpu = (1e6 * r.server_cpu_s) / r.requests;
  console.log(`${Math.round(r.rps)} req/s, p99 ${r.latency_p99_ms} ms, ${cpu.toFixed(1)} µs CPU/request, non-200 ${r.non_200}, load ${r.host_load_1m}`);
}
