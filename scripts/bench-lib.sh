# Shared by the bench-*.sh scripts (sourced): a self-signed certificate for 127.0.0.1, and
# waiting until a registry answers /v2/ (200, or 401 with token auth).

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
