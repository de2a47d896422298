#!/usr/bin/env bash
# Builds Berth's container image from the Dockerfile and proves that it runs, on a machine where
# no image can be pulled (only Debian packages and npm are reachable):
#   1. starts its own dockerd (Debian's docker.io) with its own socket and data root, no bridge,
#      no iptables;
#   2. makes the base images locally: `debootstrap bookworm` (the configured apt mirror) imported
#      as debian:bookworm-slim, and on it a stand-in for the Dockerfile's oven/bun:<version>
#      holding this machine's Bun (the same version, or the script stops);
#   3. builds the image (`docker build --network host`: the build stage fetches npm packages);
#   4. checks the image: its files are the binary, the C libraries it links, the CA bundle, passwd/
#      group, /data and /tmp, nothing else; it runs as user 10001;
#   5. runs it (--network host) with a named volume on /data: /v2/ answers with Berth's token
#      challenge, the process runs as 10001, skopeo pushes an image as the bootstrap admin, the
#      data is in the volume (owned by 10001); `berth backup` in a second container copies it to a
#      bind mount; a new container on the same volume pulls the image back byte for byte, and so
#      does a server on a new volume made by `berth restore` (fsck clean).
# Needs root, `apt-get install docker.io debootstrap`, bun and skopeo. Not part of `bun test`.
# The debootstrapped base and dockerd's data root are kept in $WORK (a second run skips the
# debootstrap and reuses the build cache); remove $WORK to start from nothing.
#   scripts/container-image.sh            WORK=/var/tmp/berth-container-image PORT=(a free one)
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
WORK=${WORK:-/var/tmp/berth-container-image}
# A free loopback port unless told (with --network host the container shares the machine's).
PORT=${PORT:-$(bun -e 'const s = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } }); console.log(s.port); s.stop(true)')}
IMAGE=${IMAGE:-berth:local-test}
NAME=berth-image-check-$$
VOLUME=berth-image-check-$$
PASSWORD=image-check-$RANDOM$RANDOM
started=$(date +%s)

say() { printf '\n== %s (%ds)\n' "$*" $(( $(date +%s) - started )); }
fail() { echo "FAIL: $*" >&2; exit 1; }
for tool in dockerd debootstrap bun skopeo curl; do
  command -v "$tool" >/dev/null || fail "needs $tool (apt-get install docker.io debootstrap skopeo curl)"
done
[ "$(id -u)" = 0 ] || fail "needs root (dockerd, debootstrap)"

mkdir -p "$WORK"
SOCK=$WORK/docker.sock
export DOCKER_HOST=unix://$SOCK
# Debian's engine has no buildx: the classic builder (multi-stage builds work).
export DOCKER_BUILDKIT=0
DOCKER=/usr/bin/docker
[ -x "$DOCKER" ] || DOCKER=docker
docker() { "$DOCKER" "$@"; }

DOCKERD_PID=""
cleanup() {
  local status=$?
  set +e
  if [ -n "$DOCKERD_PID" ]; then
    [ "$status" = 0 ] || { echo "-- the container's last lines:"; docker logs "$NAME" 2>&1 | tail -15; }
    docker rm -f "$NAME" >/dev/null 2>&1
    docker volume rm "$VOLUME" >/dev/null 2>&1
    kill "$DOCKERD_PID" 2>/dev/null
    wait "$DOCKERD_PID" 2>/dev/null
    # dockerd leaves its network namespace mounted in the exec root.
    umount "$WORK/exec/netns/default" 2>/dev/null
  fi
  rm -rf "$WORK/layout-src" "$WORK/layout-back" "$WORK/backups"
}
trap cleanup EXIT
trap "exit 130" INT TERM

say "starting dockerd (socket $SOCK, data root $WORK/docker)"
dockerd --host "unix://$SOCK" --data-root "$WORK/docker" --exec-root "$WORK/exec" --pidfile "$WORK/dockerd.pid" \
  --bridge=none --iptables=false >"$WORK/dockerd.log" 2>&1 &
DOCKERD_PID=$!
for _ in $(seq 1 60); do docker version >/dev/null 2>&1 && break; sleep 0.5; done
docker version >/dev/null 2>&1 || { tail -20 "$WORK/dockerd.log"; fail "dockerd did not start"; }
echo "storage driver: $(docker info --format '{{.Driver}}')"

BUN_TAG=$(sed -n 's/^FROM oven\/bun:\([^ ]*\).*/\1/p' "$ROOT/Dockerfile" | head -1)
[ -n "$BUN_TAG" ] || fail "the Dockerfile names no oven/bun base"
[ "$(bun --version)" = "$BUN_TAG" ] || fail "this machine's Bun is $(bun --version), the Dockerfile's oven/bun:$BUN_TAG: the stand-in would lie"

if ! docker image inspect debian:bookworm-slim >/dev/null 2>&1; then
  BASE_TAR=$WORK/bookworm-minbase.tar
  if [ ! -s "$BASE_TAR" ]; then
    MIRROR=$(grep -hs -m1 -o 'http[^ ]*/debian$' /etc/apt/sources.list.d/*.sources || true)
    [ -n "$MIRROR" ] || MIRROR=$(grep -hs -m1 -o '^deb \S*debian\S*' /etc/apt/sources.list | sed 's/^deb //' || true)
    MIRROR=${MIRROR:-http://deb.debian.org/debian}
    say "debootstrap bookworm (minbase) from $MIRROR"
    rm -rf "$WORK/rootfs"
    debootstrap --variant=minbase bookworm "$WORK/rootfs" "$MIRROR" >"$WORK/debootstrap.log" 2>&1 || { tail -20 "$WORK/debootstrap.log"; fail "debootstrap failed"; }
    # The apt mirror the build stage may use (CA certificates) is this machine's.
    echo "deb $MIRROR bookworm main" >"$WORK/rootfs/etc/apt/sources.list"
    tar -C "$WORK/rootfs" -cf "$BASE_TAR.tmp" . && mv "$BASE_TAR.tmp" "$BASE_TAR"
    rm -rf "$WORK/rootfs"
  fi
  say "docker import as debian:bookworm-slim"
  docker import "$BASE_TAR" debian:bookworm-slim >/dev/null
fi

# Made again each run (seconds): it follows this machine's Bun and CA settings.
if true; then
  say "stand-in for oven/bun:$BUN_TAG: bookworm with this machine's Bun $BUN_TAG"
  rm -rf "$WORK/bun-base" && mkdir -p "$WORK/bun-base"
  cp "$(command -v bun)" "$WORK/bun-base/bun"
  # Where npm is reached through a TLS-intercepting proxy, this machine trusts its CA through
  # NODE_EXTRA_CA_CERTS: the stand-in trusts the same for `bun install`, kept apart from the
  # system bundle so it never reaches the final image (which takes Debian's ca-certificates).
  if [ -n "${NODE_EXTRA_CA_CERTS:-}" ] && [ -f "$NODE_EXTRA_CA_CERTS" ]; then cp "$NODE_EXTRA_CA_CERTS" "$WORK/bun-base/build-ca.crt"; else : >"$WORK/bun-base/build-ca.crt"; fi
  printf '%s\n' 'FROM debian:bookworm-slim' 'COPY bun /usr/local/bin/bun' 'COPY build-ca.crt /usr/local/share/build-ca.crt' \
    'ENV NODE_EXTRA_CA_CERTS=/usr/local/share/build-ca.crt' 'RUN ln -s bun /usr/local/bin/bunx' >"$WORK/bun-base/Dockerfile"
  docker build -q --network host -t "oven/bun:$BUN_TAG" "$WORK/bun-base" >/dev/null
fi

say "docker build -t $IMAGE $ROOT"
docker build --network host -t "$IMAGE" "$ROOT" >"$WORK/build.log" 2>&1 || { tail -30 "$WORK/build.log"; fail "docker build failed"; }

say "what the image holds"
docker history --format '{{.Size}}\t{{.CreatedBy}}' "$IMAGE"
docker create --name "$NAME-files" "$IMAGE" >/dev/null
FILES=$(docker export "$NAME-files" | tar -t | sed 's#/$##' | sort)
docker rm "$NAME-files" >/dev/null
echo "$FILES" | sed 's/^/  /'
# Directories, the binary, glibc's pieces ldd names, the CA bundle, passwd and group; docker
# itself adds .dockerenv and the mount points it manages (etc/hosts, resolv.conf, proc, sys, dev).
UNEXPECTED=$(echo "$FILES" | grep -Ev '^(\.|\.dockerenv|usr|usr/local|usr/local/bin|usr/local/bin/berth|lib|lib64|usr/lib|(usr/)?lib(64|/x86_64-linux-gnu|/aarch64-linux-gnu)?(/(libc|libm|libdl|libpthread|libgcc_s|libstdc\+\+)\.so[.0-9]*|/ld-linux[-a-z0-9_]*\.so[.0-9]*)?|etc|etc/ssl|etc/ssl/certs|etc/ssl/certs/ca-certificates\.crt|etc/passwd|etc/group|etc/hosts|etc/hostname|etc/resolv\.conf|etc/mtab|data|tmp|proc|sys|dev|dev/.*)$' || true)
[ -z "$UNEXPECTED" ] || fail "the image holds more than the binary, its libraries, CA certificates and the user: $UNEXPECTED"
echo "$FILES" | grep -qx 'usr/local/bin/berth' || fail "no /usr/local/bin/berth"
echo "$FILES" | grep -qx 'etc/ssl/certs/ca-certificates.crt' || fail "no CA bundle"
[ "$(docker image inspect -f '{{.Config.User}}' "$IMAGE")" = "10001:10001" ] || fail "the image does not name user 10001"
echo "image size: $(docker image inspect -f '{{.Size}}' "$IMAGE") bytes"

say "docker run (--network host, volume $VOLUME on /data, port $PORT)"
docker volume create "$VOLUME" >/dev/null
run_berth() {
  [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT/" || true)" = 000 ] || fail "something else answers on port $PORT"
  docker run -d --name "$NAME" --network host -v "$VOLUME:/data" \
    -e BERTH_PORT="$PORT" -e BERTH_HOST=127.0.0.1 -e BERTH_ADMIN_PASSWORD="$PASSWORD" "$@" "$IMAGE" >/dev/null
  for _ in $(seq 1 100); do
    [ "$(docker inspect -f '{{.State.Running}}' "$NAME")" = true ] || break
    [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT/v2/" || true)" = 401 ] && return 0
    sleep 0.1
  done
  docker logs "$NAME" | tail -20
  fail "berth in the container does not answer /v2/"
}
run_berth
curl -s -D - -o /dev/null "http://127.0.0.1:$PORT/v2/" | grep -i '^www-authenticate: Bearer realm=' || fail "/v2/ answered without Berth's token challenge"
UID_RUNNING=$(ps -o uid= -p "$(docker inspect -f '{{.State.Pid}}' "$NAME")" | tr -d ' ')
[ "$UID_RUNNING" = 10001 ] || fail "the server runs as uid $UID_RUNNING, not 10001"
echo "serving /v2/ as uid $UID_RUNNING"

say "skopeo push as admin, then the data in the volume"
ROOT="$ROOT" LAYOUT="$WORK/layout-src" bun -e '
  const { OciLayoutWriter, MiB } = await import(process.env.ROOT + "/test/support/e2eHelpers.ts");
  const layout = new OciLayoutWriter(process.env.LAYOUT);
  layout.tag("v1", layout.addImage({ layers: 2, layerSize: MiB }).manifest);
'
skopeo --insecure-policy copy -q --dest-tls-verify=false --dest-creds "admin:$PASSWORD" --preserve-digests \
  "oci:$WORK/layout-src:v1" "docker://127.0.0.1:$PORT/admin/check:v1"
MOUNT=$(docker volume inspect -f '{{.Mountpoint}}' "$VOLUME")
ls -ln "$MOUNT"
[ "$(stat -c %u "$MOUNT/berth.db")" = 10001 ] || fail "berth.db in the volume is not owned by 10001"
[ -n "$(find "$MOUNT/blobs" -type f | head -1)" ] || fail "no blobs in the volume"

say "berth backup in a second container beside the server (a bind mount owned by 10001)"
rm -rf "$WORK/backups" && mkdir -p "$WORK/backups" && chown 10001:10001 "$WORK/backups"
docker run --rm -v "$VOLUME:/data" -v "$WORK/backups:/backups" "$IMAGE" backup /backups/berth

pull_back() {
  rm -rf "$WORK/layout-back"
  skopeo --insecure-policy copy -q --src-tls-verify=false --src-creds "admin:$PASSWORD" --preserve-digests \
    "docker://127.0.0.1:$PORT/admin/check:v1" "oci:$WORK/layout-back:v1"
  for f in "$WORK"/layout-src/blobs/sha256/*; do
    cmp -s "$f" "$WORK/layout-back/blobs/sha256/$(basename "$f")" || fail "$(basename "$f") did not come back byte for byte"
  done
}

say "a new container on the same volume serves what the first stored"
docker rm -f "$NAME" >/dev/null
run_berth
pull_back
docker logs "$NAME" 2>&1 | tail -2

say "berth restore into a new volume; a server on it serves the image"
docker rm -f "$NAME" >/dev/null
docker volume rm "$VOLUME" >/dev/null
docker volume create "$VOLUME" >/dev/null
docker run --rm -v "$VOLUME:/data" -v "$WORK/backups:/backups:ro" "$IMAGE" restore /backups/berth
run_berth
pull_back
docker run --rm -v "$VOLUME:/data" "$IMAGE" fsck

# Images left untagged by earlier runs' builds (the build cache of this one stays).
docker image prune -f >/dev/null
say "all checks passed in $(( $(date +%s) - started )) s"
