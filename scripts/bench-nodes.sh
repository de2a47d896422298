#!/usr/bin/env bash
# One node on SQLite + filesystem, one node on PostgreSQL + S3 (Ceph RGW), and two nodes on one
# PostgreSQL database and one bucket prefix, each driven by its own load generator at the same time.
# Per round, alternating the order, each run on a fresh data directory, database and prefix:
#   sqlite  dist/berth --auth token
#   pg      dist/berth --auth token --database <scratch> --storage s3://berth-bench/<run>
#   two     two such nodes (the second holding the first's keys/), one registry-bench per node
# Scenarios: push-image (10 x 4 MiB), pull-concurrent (8 clients x 2), manifest-rps (wrk, 32
# connections, DURATION s), many-tags (TAGS manifest PUTs). In `two` each generator uses its own
# repository so the pushes do not collide; the figures are per node (add them for the pair).
#   scripts/bench-nodes.sh [ROUNDS]   (needs dist/berth, wrk, scripts/services/{postgres,rgw}.sh)
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
rounds=${1:-2}
duration=${DURATION:-8}
tags=${TAGS:-500}
password=bench-Admin-pw-1
. "$here/scripts/bench-lib.sh"
bench_prepare nodes 5071
pg_base=$("$here/scripts/services/postgres.sh" start)   # prints the database URL
eval "$("$here/scripts/services/rgw.sh" start)"
pids=()
trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done; rm -rf "$tmp"' EXIT

# A scratch database beside the test one: its URL on stdout.
scratch_db() {
  local name="bench_$(date +%s%N)"
  psql -q "$pg_base" -c "CREATE DATABASE $name" >/dev/null
  local u=${pg_base%/*}
  echo "$u/$name"
}
drop_db() { psql -q "$pg_base" -c "DROP DATABASE IF EXISTS ${1##*/} WITH (FORCE)" >/dev/null; }

# start_node DATA PORT [ARGS...]: a node in the background; its PID appended to pids.
start_node() {
  local data=$1 port=$2; shift 2
  BERTH_RATE_LIMITS=false BERTH_LOG_REQUESTS=false BERTH_ADMIN_PASSWORD=$password BERTH_SERVICE=berth-bench \
    BERTH_S3_PATH_STYLE=true "$here/dist/berth" serve --auth token --host 127.0.0.1 --port "$port" \
    --data "$data" "$@" >> "$OUT/$(basename "$data").log" 2>&1 &
  pids+=($!)
  wait_up "http://127.0.0.1:$port"
}

# drive NAME PORT PID REPO: the scenarios against one node, JSON lines tagged with the mode.
drive() {
  local name=$1 port=$2 node=$3 repo=$4
  (cd "$bench" && bun registry-bench --url "http://127.0.0.1:$port" --user admin --password $password \
    --server-pid "$node" --repo "$repo" --layers 10 --layer-mib 4 --concurrency 8 --rounds 2 \
    push-image pull-concurrent) >> "$OUT/$name.jsonl" 2>> "$OUT/$name.txt"
  (cd "$bench" && bun registry-bench --url "http://127.0.0.1:$port" --user admin --password $password \
    --server-pid "$node" --repo "$repo" --concurrency 32 --duration "$duration" --tags "$tags" \
    manifest-rps many-tags) >> "$OUT/$name.jsonl" 2>> "$OUT/$name.txt"
}

one() {
  local mode=$1 db="" prefix
  sync
  rm -rf "$tmp"/data-* && mkdir -p "$tmp/data-a" "$tmp/data-b"
  pids=()
  prefix="s3://berth-bench/run-$(date +%s%N)"
  case $mode in
    sqlite)
      start_node "$tmp/data-a" "$PORT"
      drive sqlite "$PORT" "${pids[0]}" bench/app ;;
    pg)
      db=$(scratch_db)
      start_node "$tmp/data-a" "$PORT" --database "$db" --storage "$prefix"
      drive pg "$PORT" "${pids[0]}" bench/app ;;
    two)
      db=$(scratch_db)
      start_node "$tmp/data-a" "$PORT" --database "$db" --storage "$prefix"
      cp -a "$tmp/data-a/keys" "$tmp/data-b/keys"
      start_node "$tmp/data-b" $((PORT + 1)) --database "$db" --storage "$prefix"
      drive two-a "$PORT" "${pids[0]}" bench/app-a &
      local ga=$!
      drive two-b $((PORT + 1)) "${pids[1]}" bench/app-b &
      local gb=$!
      wait $ga; wait $gb ;;
  esac
  for p in "${pids[@]}"; do kill "$p"; wait "$p" 2>/dev/null || true; done
  pids=()
  [ -n "$db" ] && drop_db "$db"
  [ "$mode" != sqlite ] && "$here/scripts/services/rgw.sh" purge berth-bench
  return 0
}

bench_rounds "$rounds" "sqlite pg two" "two pg sqlite"
