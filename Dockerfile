# Berth's container image: the single executable, the C libraries it links, CA certificates and
# an unprivileged user; nothing else (no shell, no package manager). Checked for real by
# scripts/container-image.sh (builds it, inspects its files, runs it, pushes and pulls).
#
#   docker build -t berth .
#   docker run -d -p 8080:8080 -v berth-data:/data -e BERTH_ADMIN_PASSWORD=... berth

FROM oven/bun:1.4.5 AS build
WORKDIR /src
COPY package.json bun.lock ./
RUN bun install --frozen-lockfile
COPY . .
RUN bun run build.ts --outfile /out/berth
# The final image's whole file system, gathered here: the binary; the libraries `ldd` says it
# loads (glibc: Bun's executables are dynamically linked); Debian's CA bundle (webhooks over
# HTTPS); passwd/group naming the user; /data owned by that user (a new named volume takes this
# owner); /tmp.
RUN set -eu; \
    [ -f /etc/ssl/certs/ca-certificates.crt ] || { apt-get update -q && apt-get install -y -q --no-install-recommends ca-certificates; }; \
    mkdir -p /rootfs/usr/local/bin /rootfs/etc/ssl/certs /rootfs/data /rootfs/tmp; \
    cp /out/berth /rootfs/usr/local/bin/berth; \
    for lib in $(ldd /out/berth | grep -o '/[^ ]*'); do cp -L --parents "$lib" /rootfs/; done; \
    cp /etc/ssl/certs/ca-certificates.crt /rootfs/etc/ssl/certs/; \
    printf 'root:x:0:0:root:/root:/sbin/nologin\nberth:x:10001:10001:Berth registry:/data:/sbin/nologin\n' > /rootfs/etc/passwd; \
    printf 'root:x:0:\nberth:x:10001:\n' > /rootfs/etc/group; \
    chown 10001:10001 /rootfs/data; chmod 0700 /rootfs/data; chmod 1777 /rootfs/tmp

FROM scratch
COPY --from=build /rootfs/ /
USER 10001:10001
WORKDIR /data
# Bun trusts its built-in roots plus this bundle (mount another there for a private CA's webhooks).
ENV BERTH_DATA=/data NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt
EXPOSE 8080
VOLUME /data
ENTRYPOINT ["/usr/local/bin/berth"]
CMD ["serve"]
