// The floor under a Berth manifest GET: Bun's ceiling server (one fixed manifest, no auth) plus
// only the per-request work issue 11 asks of every request, and nothing of a registry (no token
// check, no lookup, no audit). What it costs above the ceiling server is what those features
// cost on this runtime; what Berth costs above it is the registry's own work.
//   bun scripts/featureFloorServer.ts [--port 18098] [--log FILE]
// Per request: the client's address (server.requestIP), the headers Berth reads (Host,
// Authorization, Accept, X-Request-ID, X-Forwarded-For, Content-Length, Transfer-Encoding), a
// request id (a prefix and a counter, as Berth's), two clock reads, the answer with prebuilt
// Headers plus X-Request-ID set on it, its Content-Length read back (for the bytes-out figure),
// a counter and a latency histogram bucket (typed arrays, as Berth's metrics), and a JSON log
// line by Berth's own logger (src/log.ts: appended to a buffer written to FILE at 64 KiB). Used by scripts/bench-ceiling.sh (FLOOR=1).
import { openSync, writeSync } from "node:fs";
import { parseArgs } from "node:util";
import { createLogger } from "../src/log";

const { values } = parseArgs({ args: Bun.argv.slice(2), options: { port: { type: "string", default: "18098" }, log: { type: "string", default: "/dev/null" } } });
const digest = `sha256:${"c".repeat(64)}`;
const manifest = new TextEncoder().encode(
  JSON.stringify({
    schemaVersion: 2,
    mediaType: "application/vnd.oci.image.manifest.v1+json",
    config: { mediaType: "application/vnd.oci.image.config.v1+json", digest: `sha256:${"a".repeat(64)}`, size: 1234 },
    layers: [{ mediaType: "application/vnd.oci.image.layer.v1.tar", digest: `sha256:${"b".repeat(64)}`, size: 1048576 }],
  }),
);
const headers = new Headers({
  "Content-Type": "application/vnd.oci.image.manifest.v1+json",
  "Content-Length": String(manifest.byteLength),
  "Docker-Content-Digest": digest,
  ETag: `"${digest}"`,
  "Docker-Distribution-API-Version": "registry/2.0",
});
// Berth's own logger: the same line, batching and write as a request of the registry.
const logFd = openSync(values.log!, "a");
const log = createLogger({ requests: true, format: "json", write: (text) => void writeSync(logFd, text) });
const prefix = crypto.randomUUID().slice(0, 8);
let counter = 0;
const requests = new Float64Array(64);
const latency = new Float64Array(16);
let headerBytes = 0;
const BOUNDS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

Bun.serve({
  hostname: "127.0.0.1",
  port: Number(values.port),
  fetch(request, server) {
    const started = performance.now();
    const url = request.url;
    const path = url.slice(url.indexOf("/", 8));
    const address = server.requestIP(request)?.address ?? "";
    const h = request.headers;
    const host = h.get("host");
    const auth = h.get("authorization");
    const accept = h.get("accept");
    const given = h.get("x-request-id");
    const forwarded = h.get("x-forwarded-for");
    const bodied = h.get("content-length") !== null || h.get("transfer-encoding") !== null;
    // Read as Berth reads them (Host checked, the token taken, Accept negotiated): counted, unused.
    headerBytes += (host?.length ?? 0) + (auth?.length ?? 0) + (accept?.length ?? 0) + (forwarded?.length ?? 0) + (bodied ? 1 : 0);
    const id = given ?? `${prefix}-${(counter++).toString(36)}`;
    const response =
      path === "/v2/" || path === "/v2"
        ? new Response("{}", { headers: { "Content-Type": "application/json" } })
        : new Response(request.method === "HEAD" ? null : manifest, { headers });
    response.headers.set("X-Request-ID", id);
    const bytes = Number(response.headers.get("content-length")) || 0;
    const seconds = (performance.now() - started) / 1000;
    requests[response.status & 63]!++;
    let bucket = 0;
    while (bucket < BOUNDS.length && seconds > BOUNDS[bucket]!) bucket++;
    latency[bucket]!++;
    log.request({ method: request.method, path, status: response.status, bytes, ms: seconds * 1000, id, address });
    return response;
  },
});
console.error(`feature floor server on 127.0.0.1:${values.port}`);
