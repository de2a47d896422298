#!/usr/bin/env bash
# A throwaway PostgreSQL on loopback for the tests: `start` prints its URL (idempotent: a running
# cluster is reused), `stop` ends it. Debian's postgresql is installed when missing. The cluster
# trades durability for speed (fsync off): it holds nothing but test data.
# Byte-order text (locale C.UTF-8) as SQLite sorts: openPostgres refuses a language collation.
# Measured facts: ../../../shared/reference/services-recipe.sh (initdb refuses to run as root).
set -euo pipefail
DIR=${BERTH_PG_DIR:-/tmp/berth-services/postgres}
PORT=${BERTH_PG_PORT:-54329}
URL="postgres://berth@127.0.0.1:${PORT}/berth"

# As root, PostgreSQL's tools run as the postgres user; otherwise as ourselves.
as_owner() { if [ "$(id -u)" = 0 ]; then su postgres -c "$*"; else bash -c "$*"; fi; }
bin() {
  local d
  d=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1 || true)
  [ -n "$d" ] && echo "$d"
}

case "${1:-start}" in
  stop)
    if [ -f "$DIR/data/postmaster.pid" ] && [ -n "$(bin)" ]; then
      as_owner "$(bin)/pg_ctl -D $DIR/data -m immediate -w stop" >/dev/null || true
    fi
    exit 0
    ;;
  start) ;;
  *) echo "usage: $0 start|stop" >&2; exit 2 ;;
esac

if [ -z "$(bin)" ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends postgresql >/dev/null
fi
PG=$(bin)

if [ -f "$DIR/data/PG_VERSION" ] && as_owner "$PG/pg_ctl -D $DIR/data status" >/dev/null 2>&1; then
  echo "$URL"
  exit 0
fi
if [ ! -f "$DIR/data/PG_VERSION" ]; then
  rm -rf "$DIR"
  mkdir -p "$DIR"
  [ "$(id -u)" = 0 ] && chown postgres "$DIR"
  as_owner "$PG/initdb -D $DIR/data -U berth --auth=trust -E UTF8 --locale=C.UTF-8 --no-sync" >/dev/null
fi
# A stale pid file from a killed cluster would stop pg_ctl from starting a new one.
rm -f "$DIR/data/postmaster.pid"
as_owner "$PG/pg_ctl -D $DIR/data -l $DIR/postgres.log -w -o \"-p $PORT -k $DIR -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200\" start" >/dev/null
as_owner "$PG/psql -h 127.0.0.1 -p $PORT -U berth -d postgres -tAc \"SELECT 1 FROM pg_database WHERE datname = 'berth'\"" | grep -q 1 ||
  as_owner "$PG/createdb -h 127.0.0.1 -p $PORT -U berth berth"
echo "$URL"
