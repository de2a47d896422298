#!/usr/bin/env bash
# Runs ../shared/bench/registry-bench against CNCF Distribution and Berth in one sitting,
# alternating, each on a fresh data directory; Berth both open (--auth none) and with token auth. Writes JSON lines to $OUT (docs/bench/<date>).
#   scripts/bench-compare.sh [ROUNDS] [extra registry-bench args...]
# Needs: apt-get install docker-registry wrk; a built dist/berth (bun run build.ts).
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
bench=${BENCH:-$here/../shared/bench}
rounds=${1:-2}; shift || true
OUT=${OUT:-$here/docs/bench/$(date +%Y-%m-%d)}
mkdir -p "$OUT"
BERTH_PORT=${BERTH_PORT:-5065}
tmp=$(mktemp -d)
trap 'kill $(cat "$tmp/berth.pid" 2>/dev/null) 2>/dev/null || true; ROOT="$tmp/dist" "$bench/distribution.sh" stop >/dev/null 2>&1 || true; rm -rf "$tmp"' EXIT

# Each run starts after `sync`: Berth fsyncs its blobs, Distribution does not, and a run must
# not pay for the previous registry's dirty pages.
for r in $(seq 1 "$rounds"); do
  sync
  rm -rf "$tmp/dist"
  pid=$(ROOT="$tmp/dist" QUIET=1 "$bench/distribution.sh" start noauth)
  (cd "$bench" && bun registry-bench --url http://127.0.0.1:5055 --server-pid "$pid" "$@" all) >> "$OUT/distribution.jsonl" 2>> "$OUT/distribution.txt"
  ROOT="$tmp/dist" "$bench/distribution.sh" stop >/dev/null

  # none and token run every scenario; token-nocache only token-rps (credential cache off).
  for mode in none token token-nocache; do
    sync
    scenarios=all; cache=60
    if [ "$mode" = token-nocache ]; then scenarios=token-rps; cache=0; fi
    rm -rf "$tmp/berth-data"
    # Rate limits off unless asked: the harness sends everything from 127.0.0.1 (docs/BENCHMARKS.md).
    BERTH_RATE_LIMITS=${BERTH_RATE_LIMITS:-false} \
    BERTH_CREDENTIAL_CACHE_SECONDS=$cache BERTH_LOG_REQUESTS=false BERTH_ADMIN_PASSWORD=bench-pass-1 \
      "$here/dist/berth" serve --auth "${mode%-nocache}" \
      --host 127.0.0.1 --port "$BERTH_PORT" --data "$tmp/berth-data" > "$tmp/berth.log" 2>&1 &
    echo $! > "$tmp/berth.pid"
    for _ in $(seq 50); do curl -sf "http://127.0.0.1:$BERTH_PORT/health/instance" >/dev/null && break; sleep 0.1; done
    (cd "$bench" && bun registry-bench --url "http://127.0.0.1:$BERTH_PORT" --user admin --password bench-pass-1 \
      --server-pid "$(cat "$tmp/berth.pid")" "$@" $scenarios) >> "$OUT/berth-auth-$mode.jsonl" 2>> "$OUT/berth-auth-$mode.txt"
    kill "$(cat "$tmp/berth.pid")"; wait "$(cat "$tmp/berth.pid")" 2>/dev/null || true
  done
done
echo "results in $OUT" >&2
