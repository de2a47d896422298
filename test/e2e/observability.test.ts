// Metrics and logs of the compiled binary: /metrics on its own address (metricsAddress, from the
// environment), JSON request lines on stdout, while skopeo pushes and pulls with a password.
// What an operator would check: the figures moved, the public port does not serve /metrics,
// every line is JSON naming the user, and the password is nowhere in the output.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { rmSync } from "node:fs";
import { freePort, startBinary, tempDir, type BinaryServer } from "../support/server";
import { layoutRef, OciLayoutWriter, run } from "../support/e2eHelpers";
import { scrape, total } from "../support/metricsScrape";

const ADMIN_PASSWORD = "e2e-Observe-pw-73";
let srv: BinaryServer;
let metricsPort: number;
const dirs: string[] = [];

beforeAll(async () => {
  metricsPort = await freePort();
  srv = await startBinary({
    args: ["--auth", "token"],
    env: {
      BERTH_ADMIN_PASSWORD: ADMIN_PASSWORD,
      BERTH_METRICS_ADDRESS: `127.0.0.1:${metricsPort}`,
      BERTH_LOG_FORMAT: "json",
      BERTH_LOG_REQUESTS: "true",
    },
  });
  dirs.push(srv.dataDir);
});

afterAll(async () => {
  await srv?.stop();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

test("skopeo pushes and pulls; /metrics on metricsAddress counts it; JSON lines name the user and hold no password", async () => {
  const metricsUrl = `http://127.0.0.1:${metricsPort}/metrics`;
  const before = await scrape(metricsUrl);
  const src = tempDir("berth-observe-src-");
  const dst = tempDir("berth-observe-dst-");
  dirs.push(src, dst);
  const layout = new OciLayoutWriter(src);
  const image = layout.addImage({ layers: 2, layerSize: 64 * 1024 });
  layout.tag("v1", image.manifest);
  const registry = `127.0.0.1:${srv.port}`;
  const creds = `admin:${ADMIN_PASSWORD}`;
  await run(["skopeo", "--insecure-policy", "copy", "--dest-tls-verify=false", "--dest-creds", creds, `oci:${src}:v1`, `docker://${registry}/admin/observed:v1`]);
  await run(["skopeo", "--insecure-policy", "copy", "--src-tls-verify=false", "--src-creds", creds, `docker://${registry}/admin/observed:v1`, `oci:${dst}:v1`]);
  expect(layoutRef(dst, "v1")?.digest).toBe(image.manifest.digest);

  const after = await scrape(metricsUrl);
  const moved = (name: string, labels: Record<string, string> = {}) => total(after, name, labels) - total(before, name, labels);
  expect(moved("berth_token_requests_total", { outcome: "issued" })).toBeGreaterThanOrEqual(2);
  expect(moved("berth_http_requests_total", { family: "v2", method: "PUT", status: "201" })).toBeGreaterThanOrEqual(1);
  expect(moved("berth_http_requests_total", { family: "v2", method: "GET", status: "200" })).toBeGreaterThanOrEqual(4); // manifest, config, 2 layers
  const layerBytes = image.layers.reduce((n, l) => n + l.size, 0);
  expect(moved("berth_http_response_bytes_total", { family: "v2" })).toBeGreaterThanOrEqual(layerBytes);
  expect(total(after, "berth_storage_blob_bytes")).toBeGreaterThanOrEqual(layerBytes);
  expect(total(after, "berth_process_resident_memory_bytes")).toBeGreaterThan(0);

  // The metrics port serves /metrics only; the public port does not serve it at all.
  expect((await fetch(`http://127.0.0.1:${metricsPort}/v2/`)).status).toBe(404);
  const publicMetrics = await fetch(`${srv.url}/metrics`);
  await publicMetrics.arrayBuffer();
  expect(publicMetrics.status).toBe(404);

  // Lines are written in batches every 50 ms.
  await Bun.sleep(200);
  const lines = srv.output().trim().split("\n").filter((l) => l.startsWith("{"));
  const entries = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
  const requests = entries.filter((e) => e.msg === "request");
  expect(requests.some((e) => e.method === "PUT" && String(e.path).startsWith("/v2/admin/observed/manifests/") && e.user === "admin" && e.status === 201)).toBe(true);
  expect(requests.some((e) => String(e.path).startsWith("/v2/auth?") && e.user === "admin" && e.status === 200)).toBe(true);
  expect(requests.every((e) => typeof e.request_id === "string" && typeof e.time === "string")).toBe(true);
  expect(srv.output()).not.toContain(ADMIN_PASSWORD);
  expect(srv.output()).not.toContain(Buffer.from(`admin:${ADMIN_PASSWORD}`).toString("base64"));
}, 120_000);
