#!/bin/bash
# Manifest GET throughput of two Berth binaries, alternating, in one sitting (token auth): e.g.
# a build before and after a change on the pull path. Needs ../shared/bench and wrk.
#   scripts/bench-pulls.sh OLD_BINARY NEW_BINARY [ROUNDS]
set -euo pipefail
old=$1 new=$2 rounds=${3:-2}
bench_dir="$(cd "$(dirname "$0")/../../shared/bench" && pwd)"
password=bench-Admin-pw-1
for round in $(seq "$rounds"); do
  for bin in "$old" "$new"; do
    data=$(mktemp -d /tmp/berth-bench-XXXX)
    BERTH_LOG_REQUESTS=false BERTH_ADMIN_PASSWORD=$password "$bin" --port 18080 --host 127.0.0.1 --data "$data" --auth token >/dev/null 2>&1 &
    pid=$!
    sleep 1
    (cd "$bench_dir" && bun registry-bench --url http://127.0.0.1:18080 --user admin --password $password --layers 2 --layer-mib 1 push-image >/dev/null 2>&1)
    summary=$(cd "$bench_dir" && bun registry-bench --url http://127.0.0.1:18080 --user admin --password $password --server-pid $pid --duration 8 manifest-rps 2>&1 >/dev/null | tail -1)
    echo "round $round $bin: $summary"
    kill $pid
    wait $pid 2>/dev/null || true
    rm -rf "$data"
  done
done
