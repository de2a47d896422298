#!/usr/bin/env bash
# A throwaway single-node Ceph RADOS Gateway on loopback: the real S3 engine the S3 blob store's
# tests run against (signatures, multipart, listing are checked by Ceph, not by a mock).
#
#   scripts/services/rgw.sh start   # installs Debian's ceph packages when missing, starts it
#   scripts/services/rgw.sh stop    # ends the daemons it started, by their pid files
#   scripts/services/rgw.sh env     # prints the settings (also in $BERTH_RGW_DIR/env)
#   scripts/services/rgw.sh purge BUCKET   # drops a bucket and its objects at once (benchmarks)
#   scripts/services/rgw.sh health  # Ceph's health (a full OSD makes every write wait forever)
#
# Objects live in memory (memstore): nothing survives `stop`. `start` on a running gateway only
# prints the settings. Needs root for apt-get, and only for that.
set -euo pipefail
D=${BERTH_RGW_DIR:-/tmp/berth-rgw}
PORT=${BERTH_RGW_PORT:-7480}
MON_PORT=${BERTH_RGW_MON_PORT:-3300}
KEY=berth-test-key
SECRET=berth-test-secret
DAEMONS=(client.rgw.a osd.0 mon.a)

print_env() {
  cat <<ENV
export BERTH_TEST_S3=s3://berth-test
export BERTH_S3_ENDPOINT=http://127.0.0.1:$PORT
export BERTH_S3_REGION=us-east-1
export BERTH_S3_ACCESS_KEY=$KEY
export BERTH_S3_SECRET_KEY=$SECRET
export BERTH_S3_PATH_STYLE=true
ENV
}

stop() {
  local pids=()
  for n in "${DAEMONS[@]}"; do
    f=$D/run/$n.pid
    if [ -f "$f" ]; then pids+=("$(cat "$f")"); kill "${pids[-1]}" 2>/dev/null || true; rm -f "$f"; fi
  done
  # Wait so a following start finds the ports free; memstore holds nothing worth a clean
  # shutdown, so a daemon slow to go (ceph-osd takes seconds) is killed after a second.
  for i in $(seq 1 100); do
    local alive=0
    for p in "${pids[@]}"; do kill -0 "$p" 2>/dev/null && alive=1; done
    [ $alive = 0 ] && return 0
    [ "$i" = 20 ] && for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null || true; done
    sleep 0.05
  done
}

running() {
  [ -f "$D/run/client.rgw.a.pid" ] && kill -0 "$(cat "$D/run/client.rgw.a.pid")" 2>/dev/null &&
    curl -s -o /dev/null "http://127.0.0.1:$PORT/"
}

case "${1:-start}" in
  stop) stop; exit 0 ;;
  env) print_env; exit 0 ;;
  purge)
    # memstore is RAM: a benchmark empties its bucket between runs, its space back at once.
    CEPH_CONF=$D/ceph.conf radosgw-admin bucket rm --bucket="${2:?bucket}" --purge-objects >/dev/null 2>&1 || true
    CEPH_CONF=$D/ceph.conf radosgw-admin gc process --include-all >/dev/null 2>&1 || true
    exit 0 ;;
  health) CEPH_CONF=$D/ceph.conf timeout 10 ceph health detail 2>&1 || true; exit 0 ;;
  start) ;;
  *) echo "usage: $0 start|stop|env|purge BUCKET|health" >&2; exit 2 ;;
esac

if running; then print_env; exit 0; fi

need=()
for p in ceph-mon ceph-osd radosgw uuid-runtime curl; do
  dpkg -s "$p" 2>/dev/null | grep -q '^Status: install ok' || need+=("$p")
done
if [ ${#need[@]} -gt 0 ]; then
  echo "rgw.sh: installing ${need[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

stop
rm -rf "$D"
mkdir -p "$D"/{run,log,mon.a,osd.0}
export CEPH_CONF=$D/ceph.conf
FSID=$(uuidgen)
# Without the two `ms ... mode = crc` lines radosgw retries forever with -13 (auth none still
# negotiates a secure mode); the paxos timings cut the start from ~22 s to ~2.5 s.
cat >"$CEPH_CONF" <<CONF
[global]
fsid = $FSID
mon host = v2:127.0.0.1:$MON_PORT
auth cluster required = none
auth service required = none
auth client required = none
ms mon client mode = crc
ms client mode = crc
paxos propose interval = 0.05
paxos min wait = 0.01
osd pool default size = 1
osd pool default min size = 1
osd pool default pg num = 8
osd pool default pgp num = 8
osd pool default pg autoscale mode = off
mon allow pool size one = true
mon warn on pool no redundancy = false
osd crush chooseleaf type = 0
osd objectstore = memstore
# 6 GiB of RAM at most (the CI machines have 24): CI's suites on S3 write several GiB in all, and
# a full OSD makes every write wait forever (a hung test, not a failed one).
memstore device bytes = 6442450944
run dir = $D/run
admin socket = $D/run/\$name.asok
log file = $D/log/\$name.log
pid file = $D/run/\$name.pid
public addr = 127.0.0.1
[mon.a]
mon data = $D/mon.a
[osd.0]
osd data = $D/osd.0
[client.rgw.a]
# tcp_nodelay: without it every GET with a body waited ~40 ms on loopback (Nagle's algorithm
# against the client's delayed ACK; measured 46 ms against 1-2 ms), which made the API suite on
# S3 take minutes.
rgw frontends = beast endpoint=127.0.0.1:$PORT tcp_nodelay=1
rgw dynamic resharding = false
# Deleted objects' space comes back within seconds, not RGW's default two hours: memstore is RAM.
rgw gc obj min wait = 5
rgw gc processor period = 5
CONF
monmaptool --create --add a "127.0.0.1:$MON_PORT" --fsid "$FSID" "$D/monmap" >/dev/null
ceph-authtool --create-keyring "$D/mon.keyring" --gen-key -n mon. --cap mon 'allow *' >/dev/null
ceph-mon --mkfs -i a --monmap "$D/monmap" --keyring "$D/mon.keyring"
ceph-mon -i a
ceph osd create >/dev/null
ceph-osd -i 0 --mkfs >/dev/null 2>&1
ceph osd crush add-bucket localhost host >/dev/null 2>&1
ceph osd crush move localhost root=default >/dev/null 2>&1
ceph osd crush add osd.0 1 host=localhost >/dev/null 2>&1
ceph-osd -i 0 2>/dev/null
for _ in $(seq 1 600); do ceph osd dump 2>/dev/null | grep -q '^osd.0 up' && break; sleep 0.05; done
radosgw -n client.rgw.a
radosgw-admin user create --uid=berth --display-name=berth --access-key="$KEY" --secret="$SECRET" >/dev/null
for _ in $(seq 1 600); do curl -s -o /dev/null "http://127.0.0.1:$PORT/" && break; sleep 0.05; done
running || { echo "rgw.sh: the gateway did not come up (see $D/log)" >&2; exit 1; }
print_env >"$D/env"
print_env
