# Shared by the bench-*.sh scripts (sourced): their common start, a self-signed certificate for
# 127.0.0.1, and waiting until a registry answers /v2/ (200, or 401 with token auth).

# bench_prepare NAME PORT (with $here set): $bench (the shared harness), $OUT (docs/bench/NAME-<date>,
# made), $PORT, $tmp (removed at exit) and $pid (the server; killed at exit).
bench_prepare() {
  bench=${BENCH:-$here/../shared/bench}
  [ -d "$bench" ] || bench=$here/../../shared/bench   # from a worktree under /work/wt
  OUT=${OUT:-$here/docs/bench/$1-$(date +%Y-%m-%d)}
  mkdir -p "$OUT"
  PORT=${PORT:-$2}
  tmp=$(mktemp -d)
  pid=""
  trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$tmp"' EXIT
}

# self_signed DIR: writes DIR/cert.pem and DIR/key.pem (RSA-2048, two days).
self_signed() {
  openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 \
    -keyout "$1/key.pem" -out "$1/cert.pem" 2>/dev/null
}

# wait_up URL: polls URL/v2/ for up to 10 s; exits the script if nothing answers.
wait_up() {
  for _ in $(seq 100); do
    case $(curl -sk -o /dev/null -w '%{http_code}' "$1/v2/" || true) in 200|401) return 0 ;; esac
    sleep 0.1
  done
  echo "not up: $1" >&2; exit 1
}

# bench_rounds ROUNDS "A B C" "C B A": calls the script's `one MODE` for each mode, odd rounds in
# the first order and even rounds in the second, logging the load at each round's start.
bench_rounds() {
  for r in $(seq 1 "$1"); do
    echo "round $r, load $(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$OUT/load.txt" >&2
    if [ $((r % 2)) = 1 ]; then order=$2; else order=$3; fi
    for m in $order; do one "$m"; done
  done
  echo "results in $OUT" >&2
}
