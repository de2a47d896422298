#!/bin/bash
# Manifest GETs against Bun's own ceiling, interleaved in one sitting: per round, the ceiling
# server (../shared/bench/ceiling-server.ts: a fixed manifest, no auth), then each Berth binary
# given with token auth, request logs on in JSON (to a file, as a deployment would keep them) and
# /metrics on its own address. Needs ../shared/bench and wrk.
#   scripts/bench-ceiling.sh ROUNDS BINARY...
# With FLOOR=1 each round also runs scripts/featureFloorServer.ts: the ceiling plus the features
# every request has (address, request id, metrics, JSON log line) and no registry work.
# Prints one line per run: "round N NAME: req/s, p99, server CPU µs per request". The CPU per
# request is the figure to compare when other work shares the machine: throughput moves with the
# load beside it, the server's own CPU time per answer much less.
set -euo pipefail
rounds=$1
shift
bench_dir="$(cd "$(dirname "$0")/../.." && pwd)/shared/bench"
[ -d "$bench_dir" ] || bench_dir=/work/shared/bench
password=bench-Admin-pw-1
duration=${DURATION:-8}
work=$(mktemp -d /tmp/berth-ceiling-XXXX)
pid=
trap '[ -n "$pid" ] && kill $pid 2>/dev/null; rm -rf "$work"' EXIT
head -c 1048576 /dev/urandom >"$work/blob.bin"
wait_up() { for _ in $(seq 100); do curl -sf -o /dev/null "$1" && return 0; sleep 0.1; done; return 1; }
bench() { (cd "$bench_dir" && bun registry-bench "$@"); }
figures() { bun "$(dirname "$0")/benchFigures.ts"; }
# manifest-rps against the unauthenticated server $pid on PORT, one line "round N NAME: …"; then stops it.
measure_unauthenticated() {
  wait_up "http://127.0.0.1:$1/v2/"
  summary=$(bench --url "http://127.0.0.1:$1" --server-pid $pid --duration "$duration" manifest-rps 2>"$work/err" | figures || tail -3 "$work/err")
  echo "round $round $2: $summary"
  kill $pid; wait $pid 2>/dev/null || true
}
for round in $(seq "$rounds"); do
  bun "$bench_dir/ceiling-server.ts" --file "$work/blob.bin" --port 18099 >/dev/null 2>&1 &
  pid=$!
  measure_unauthenticated 18099 ceiling
  if [ -n "${FLOOR:-}" ]; then
    # The ceiling plus only the per-request features (address, id, headers, metrics, JSON log).
    bun "$(dirname "$0")/featureFloorServer.ts" --port 18098 --log "$work/floor.jsonl" >/dev/null 2>&1 &
    pid=$!
    measure_unauthenticated 18098 "feature floor"
    rm -f "$work/floor.jsonl"
  fi
  for bin in "$@"; do
    data="$work/data-$round-$(basename "$bin")"
    BERTH_LOG_REQUESTS=true BERTH_LOG_FORMAT=json BERTH_METRICS_ADDRESS=127.0.0.1:18090 BERTH_ADMIN_PASSWORD=$password \
      "$bin" --port 18080 --host 127.0.0.1 --data "$data" --auth token >"$work/log.jsonl" 2>&1 &
    pid=$!
    wait_up http://127.0.0.1:18080/health/instance
    bench --url http://127.0.0.1:18080 --user admin --password $password --layers 2 --layer-mib 1 push-image >/dev/null 2>&1
    summary=$(bench --url http://127.0.0.1:18080 --user admin --password $password --server-pid $pid --duration "$duration" manifest-rps 2>"$work/err" | figures || tail -3 "$work/err")
    scraped=$(curl -sf http://127.0.0.1:18090/metrics | grep -c '^berth_http_requests_total' || true)
    echo "round $round $(basename "$bin"): $summary (log $(wc -l <"$work/log.jsonl") lines, $scraped request series)"
    kill $pid; wait $pid 2>/dev/null || true
    rm -rf "$data" "$work/log.jsonl"
  done
done
