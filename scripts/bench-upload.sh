#!/usr/bin/env bash
# Uploads against their ceiling, and what TLS costs: per round, alternating, each on a fresh data
# directory after `sync`:
#   ceiling   ../shared/bench/ceiling-server.ts --hash --write DIR (hashes, writes, fsyncs): push-large
#   plain     dist/berth, token auth, TLS off: push-large, pull-large
#   tls       dist/berth, token auth, --tls-cert/--tls-key (a self-signed certificate for 127.0.0.1): the same
# Rounds alternate the order (ceiling-plain-tls, then tls-plain-ceiling). JSON lines in $OUT.
#   scripts/bench-upload.sh [ROUNDS]        (needs a built dist/berth)
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
rounds=${1:-3}
. "$here/scripts/bench-lib.sh"
bench_prepare upload 5066

self_signed "$tmp"
head -c 16M /dev/urandom > "$tmp/served"


one() {
  local mode=$1
  sync
  rm -rf "$tmp/data" && mkdir -p "$tmp/data"
  local url scenarios=(push-large pull-large) insecure=()
  case $mode in
    ceiling)
      bun "$bench/ceiling-server.ts" --file "$tmp/served" --port "$PORT" --hash --write "$tmp/data" 2>"$tmp/log" & pid=$!
      url=http://127.0.0.1:$PORT; scenarios=(push-large) ;;
    plain|tls)
      local tls=()
      [ "$mode" = tls ] && tls=(--tls-cert "$tmp/cert.pem" --tls-key "$tmp/key.pem") && insecure=(--insecure)
      BERTH_LOG_REQUESTS=false BERTH_ADMIN_PASSWORD=bench-pass-1 "$here/dist/berth" serve --auth token \
        --host 127.0.0.1 --port "$PORT" --data "$tmp/data" "${tls[@]}" > "$tmp/log" 2>&1 & pid=$!
      url=$([ "$mode" = tls ] && echo https || echo http)://127.0.0.1:$PORT ;;
  esac
  wait_up "$url"
  (cd "$bench" && bun registry-bench --url "$url" "${insecure[@]}" --user admin --password bench-pass-1 \
    --server-pid "$pid" "${scenarios[@]}") >> "$OUT/$mode.jsonl" 2>> "$OUT/$mode.txt"
  kill "$pid"; wait "$pid" 2>/dev/null || true; pid=""
}

bench_rounds "$rounds" "ceiling plain tls" "tls plain ceiling"
