#!/bin/bash
# Two Berth binaries, alternating, in one sitting (token auth, a fresh data directory per run):
# e.g. a build before and after a change. Needs ../shared/bench and wrk.
#   scripts/bench-ab.sh OLD_BINARY NEW_BINARY [MORE_BINARIES...] [ROUNDS] [SCENARIO...]
# Scenarios are registry-bench's (default: manifest-rps, after an untimed push-image); each run
# prints registry-bench's one-line summary per scenario.
# BENCH_DIR: the harness (default ../shared/bench beside the checkout, or /work/shared/bench);
# BENCH_PORT: the port the binaries listen on (18080); BENCH_JSONL: a file the JSON lines are
# appended to, each with "build" and "round" added, for medians afterwards.
set -euo pipefail
bins=()
while [ $# -gt 0 ] && [ -x "$1" ] && [ -f "$1" ]; do bins+=("$1"); shift; done
[ ${#bins[@]} -ge 2 ] || { echo "usage: $0 OLD_BINARY NEW_BINARY [MORE_BINARIES...] [ROUNDS] [SCENARIO...]" >&2; exit 2; }
rounds=2
if [[ ${1:-} =~ ^[0-9]+$ ]]; then rounds=$1; shift; fi
scenarios=("$@")
[ ${#scenarios[@]} -gt 0 ] || scenarios=(manifest-rps)
here="$(cd "$(dirname "$0")" && pwd)"
bench_dir=${BENCH_DIR:-$here/../../shared/bench}
[ -d "$bench_dir" ] || bench_dir=/work/shared/bench
port=${BENCH_PORT:-18080}
password=bench-Admin-pw-1
bench() { (cd "$bench_dir" && bun registry-bench --url http://127.0.0.1:$port --user admin --password $password "$@"); }
for round in $(seq "$rounds"); do
  for bin in "${bins[@]}"; do
    data=$(mktemp -d /tmp/berth-bench-XXXX)
    # Rate limits off unless asked: the harness sends everything from 127.0.0.1 (docs/BENCHMARKS.md).
    BERTH_RATE_LIMITS=${BERTH_RATE_LIMITS:-false} BERTH_LOG_REQUESTS=false BERTH_ADMIN_PASSWORD=$password "$bin" --port "$port" --host 127.0.0.1 --data "$data" --auth token >/dev/null 2>&1 &
    pid=$!
    for _ in $(seq 50); do curl -sf http://127.0.0.1:$port/health/instance >/dev/null && break; sleep 0.1; done
    # The image the read scenarios fetch.
    bench --layers 2 --layer-mib 1 push-image >/dev/null 2>&1
    for scenario in "${scenarios[@]}"; do
      out=$(mktemp)
      summary=$(bench --server-pid $pid --duration 8 "$scenario" 2>&1 >"$out" | tail -1)
      if [ -n "${BENCH_JSONL:-}" ]; then
        while read -r line; do
          printf '%s\n' "$line" | bun -e 'const l = JSON.parse(await Bun.stdin.text()); console.log(JSON.stringify({ build: process.argv.at(-2), round: Number(process.argv.at(-1)), ...l }))' "$(basename "$bin")" "$round" >>"$BENCH_JSONL"
        done <"$out"
      fi
      rm -f "$out"
      echo "round $round $(basename "$bin") $scenario: $summary"
    done
    kill $pid
    wait $pid 2>/dev/null || true
    rm -rf "$data"
  done
done
