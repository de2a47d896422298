# Builds the single executable with Bun, ships only the binary.
FROM oven/bun:1.4.5 AS build
WORKDIR /src
COPY package.json bun.lock ./
RUN bun install --frozen-lockfile
COPY . .
RUN bun run build.ts --outfile /out/berth

FROM debian:bookworm-slim
RUN useradd --system --uid 10001 --home-dir /data berth && mkdir -p /data && chown berth /data
COPY --from=build /out/berth /usr/local/bin/berth
USER berth
WORKDIR /data
ENV BERTH_DATA=/data
EXPOSE 8080
VOLUME /data
ENTRYPOINT ["/usr/local/bin/berth"]
CMD ["serve"]
