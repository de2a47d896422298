#!/usr/bin/env bash
# ../shared/bench/registry-bench with TLS on, Berth against CNCF Distribution (Debian
# `docker-registry`) in one sitting: both serve HTTPS with the same self-signed certificate for
# 127.0.0.1 (registry-bench --insecure), each on a fresh data directory after `sync`, rounds
# alternating the order. Distribution runs without auth and without its access log (QUIET);
# Berth runs as shipped (token auth; the harness does the token flow) and, with BERTH_NONE=1,
# also with --auth none (what Distribution runs as). JSON lines in $OUT; FIRST_ROUND=N continues
# an earlier sitting's numbering (the order alternates with the round's parity).
# SCENARIOS="many-tags token-rps" runs only those.
#   scripts/bench-tls.sh [ROUNDS] [extra registry-bench args...]   (needs a built dist/berth)
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
rounds=${1:-2}; shift || true
. "$here/scripts/bench-lib.sh"
bench_prepare tls 5067
command -v docker-registry >/dev/null || { echo "apt-get install docker-registry" >&2; exit 1; }

self_signed "$tmp"


one() {
  local name=$1; shift
  sync
  rm -rf "$tmp/data" && mkdir -p "$tmp/data"
  if [ "$name" = distribution ]; then
    cat > "$tmp/config.yml" <<YAML
version: 0.1
log:
  level: error
  accesslog:
    disabled: true
storage:
  cache:
    blobdescriptor: inmemory
  filesystem:
    rootdirectory: $tmp/data
  delete:
    enabled: true
http:
  addr: 127.0.0.1:$PORT
  tls:
    certificate: $tmp/cert.pem
    key: $tmp/key.pem
YAML
    docker-registry serve "$tmp/config.yml" > "$tmp/log" 2>&1 & pid=$!
  else
    local auth=token
    [ "$name" = berth-none ] && auth=none
    # Rate limits off unless asked, as in bench-compare.sh: the harness sends everything from
    # 127.0.0.1, and token-rps (tens of thousands of logins a second from one address) is what
    # the /v2/auth limit exists to refuse; the 429s then spill into the next scenario.
    BERTH_RATE_LIMITS=${BERTH_RATE_LIMITS:-false} BERTH_LOG_REQUESTS=false BERTH_ADMIN_PASSWORD=bench-pass-1 "$here/dist/berth" serve --auth $auth \
      --host 127.0.0.1 --port "$PORT" --data "$tmp/data" --tls-cert "$tmp/cert.pem" --tls-key "$tmp/key.pem" > "$tmp/log" 2>&1 & pid=$!
  fi
  wait_up "https://127.0.0.1:$PORT"
  (cd "$bench" && bun registry-bench --url "https://127.0.0.1:$PORT" --insecure --user admin --password bench-pass-1 \
    --server-pid "$pid" "$@" ${SCENARIOS:-all}) >> "$OUT/$name-tls.jsonl" 2>> "$OUT/$name-tls.txt" || echo "$name: registry-bench failed" >&2
  kill "$pid"; wait "$pid" 2>/dev/null || true; pid=""
}

first=${FIRST_ROUND:-1}
for r in $(seq "$first" $((first + rounds - 1))); do
  echo "round $r, load $(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$OUT/load.txt" >&2
  if [ $((r % 2)) = 1 ]; then order="distribution berth"; else order="berth distribution"; fi
  if [ -n "${BERTH_NONE:-}" ]; then
    if [ $((r % 2)) = 1 ]; then order="$order berth-none"; else order="berth-none $order"; fi
  fi
  for n in $order; do one "$n" "$@"; done
done
echo "load at the end $(cut -d' ' -f1-3 /proc/loadavg)" >> "$OUT/load.txt"
echo "results in $OUT" >&2
