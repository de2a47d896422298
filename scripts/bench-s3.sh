#!/usr/bin/env bash
# Blobs on the filesystem against blobs in S3 (a single-node Ceph RGW on loopback, memstore:
# objects in RAM, so this measures Berth's S3 path and RGW's CPU, not disks). Per round,
# alternating the order, each run on a fresh data directory and a fresh bucket prefix:
#   fs   dist/berth --auth none
#   s3   dist/berth --auth none --storage s3://berth-bench/<run> (scripts/services/rgw.sh)
# Scenarios: push-large and pull-large (SIZE_MIB, 16 MiB chunks), push-image, pull-concurrent.
#   scripts/bench-s3.sh [ROUNDS]        (needs a built dist/berth; starts the gateway if needed)
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
rounds=${1:-2}
size=${SIZE_MIB:-256}   # memstore is RAM (6 GiB): the chunked and monolithic blobs, and their copies
. "$here/scripts/bench-lib.sh"
bench_prepare s3 5067
eval "$("$here/scripts/services/rgw.sh" start)"

one() {
  local mode=$1 storage=()
  sync
  rm -rf "$tmp/data" && mkdir -p "$tmp/data"
  [ "$mode" = s3 ] && storage=(--storage "s3://berth-bench/run-$(date +%s%N)")
  BERTH_LOG_REQUESTS=false BERTH_S3_PATH_STYLE=true "$here/dist/berth" serve --auth none \
    --host 127.0.0.1 --port "$PORT" --data "$tmp/data" "${storage[@]}" > "$tmp/log" 2>&1 & pid=$!
  wait_up "http://127.0.0.1:$PORT"
  (cd "$bench" && bun registry-bench --url "http://127.0.0.1:$PORT" --server-pid "$pid" --size-mib "$size" \
    --layers 10 --layer-mib 4 --concurrency 8 --rounds 2 push-large pull-large push-image pull-concurrent) \
    >> "$OUT/$mode.jsonl" 2>> "$OUT/$mode.txt"
  kill "$pid"; wait "$pid" 2>/dev/null || true; pid=""
  [ "$mode" = s3 ] && "$here/scripts/services/rgw.sh" purge berth-bench
  return 0
}

bench_rounds "$rounds" "fs s3" "s3 fs"
