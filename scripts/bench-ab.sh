#!/bin/bash
# Two Berth binaries, alternating, in one sitting (token auth, a fresh data directory per run):
# e.g. a build before and after a change. Needs ../shared/bench and wrk.
#   scripts/bench-ab.sh OLD_BINARY NEW_BINARY [ROUNDS] [SCENARIO...]
# Scenarios are registry-bench's (default: manifest-rps, after an untimed push-image); each run
# prints registry-bench's one-line summary per scenario.
set -euo pipefail
old=$1 new=$2 rounds=${3:-2}
shift 3 2>/dev/null || shift $#
scenarios=("$@")
[ ${#scenarios[@]} -gt 0 ] || scenarios=(manifest-rps)
bench_dir="$(cd "$(dirname "$0")/../../shared/bench" && pwd)"
password=bench-Admin-pw-1
bench() { (cd "$bench_dir" && bun registry-bench --url http://127.0.0.1:18080 --user admin --password $password "$@"); }
for round in $(seq "$rounds"); do
  for bin in "$old" "$new"; do
    data=$(mktemp -d /tmp/berth-bench-XXXX)
    # Rate limits off unless asked: the harness sends everything from 127.0.0.1 (docs/BENCHMARKS.md).
    BERTH_RATE_LIMITS=${BERTH_RATE_LIMITS:-false} BERTH_LOG_REQUESTS=false BERTH_ADMIN_PASSWORD=$password "$bin" --port 18080 --host 127.0.0.1 --data "$data" --auth token >/dev/null 2>&1 &
    pid=$!
    for _ in $(seq 50); do curl -sf http://127.0.0.1:18080/health/instance >/dev/null && break; sleep 0.1; done
    # The image the read scenarios fetch.
    bench --layers 2 --layer-mib 1 push-image >/dev/null 2>&1
    for scenario in "${scenarios[@]}"; do
      summary=$(bench --server-pid $pid --duration 8 "$scenario" 2>&1 >/dev/null | tail -1)
      echo "round $round $(basename "$bin") $scenario: $summary"
    done
    kill $pid
    wait $pid 2>/dev/null || true
    rm -rf "$data"
  done
done
