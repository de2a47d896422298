// Prometheus /metrics on the public port behind metricsToken: the figures an operator watches
// move when a user pushes, pulls, fails a login or is throttled, and no credential of the
// registry itself (session cookie, registry JWT, Basic) opens the endpoint.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createUsers, freePort, startTestServer, type TestServer } from "../support/server";
import { basicAuth, BearerRegistryClient, RegistryClient, registryAuth, registryToken } from "../support/registryClient";
import { WebhookReceiver } from "../support/webhookReceiver";
import { V1Client } from "../support/v1Client";
import { scrape, total, type Series } from "../support/metricsScrape";

const TOKEN = "metrics-token-0123456789abcdef";
const ADMIN_PASSWORD = "admin-Password-1";
const BOB = "bob-Secret-1";

let server: TestServer;
let metricsUrl: string;
const read = (): Promise<Series> => scrape(metricsUrl, TOKEN);

beforeAll(async () => {
  server = await startTestServer({ auth: "token", metricsToken: TOKEN }, { adminPassword: ADMIN_PASSWORD });
  await createUsers(server.server.ctx.stores, { bob: BOB });
  metricsUrl = `${server.url}/metrics`;
});
afterAll(async () => {
  await server?.stop();
});

describe("figures move with the traffic", () => {
  test("a push and a pull: requests by family, method and status, bytes both ways, latency, storage, tokens", async () => {
    const before = await read();
    const token = await registryToken(server.url, ["admin", ADMIN_PASSWORD], "repository:admin/metrics:pull,push");
    const client = new BearerRegistryClient(server.url, token);
    const image = await client.pushImage("admin/metrics", "v1", { layers: 2, layerSize: 50_000 });
    const pulled = await client.fetch("/v2/admin/metrics/manifests/v1", { headers: { Accept: image.mediaType } });
    expect(pulled.status).toBe(200);
    const manifestSize = (await pulled.arrayBuffer()).byteLength;
    const after = await read();
    const moved = (name: string, labels: Record<string, string> = {}) => total(after, name, labels) - total(before, name, labels);

    expect(moved("berth_token_requests_total", { outcome: "issued" })).toBe(1);
    expect(moved("berth_http_requests_total", { family: "auth", method: "GET", status: "200" })).toBe(1);
    expect(moved("berth_http_requests_total", { family: "v2", method: "PUT", status: "201" })).toBe(1); // the manifest
    expect(moved("berth_http_requests_total", { family: "v2", method: "POST", status: "201" })).toBe(3); // config + 2 layers, monolithic
    expect(moved("berth_http_requests_total", { family: "v2", method: "GET", status: "200" })).toBe(1);
    expect(moved("berth_http_request_bytes_total", { family: "v2" })).toBeGreaterThanOrEqual(100_000 + image.bytes.byteLength);
    expect(moved("berth_http_response_bytes_total", { family: "v2" })).toBeGreaterThanOrEqual(manifestSize);
    expect(moved("berth_http_request_duration_seconds_count", { family: "v2" })).toBe(5);
    expect(moved("berth_http_request_duration_seconds_bucket", { family: "v2", le: "+Inf" })).toBe(5);
    expect(total(after, "berth_storage_blob_bytes")).toBeGreaterThanOrEqual(100_000);
    expect(total(after, "berth_uploads_in_flight")).toBe(0);
    // The process's own figures come along.
    expect(total(after, "berth_process_resident_memory_bytes")).toBeGreaterThan(0);
  });

  test("wrong credentials at /v2/auth are refused token requests and failed logins; guessing on is throttled", async () => {
    const before = await read();
    const statuses: number[] = [];
    // Sequential: the throttle lets 3 failures through for free, then refuses (429) while it waits.
    for (let i = 0; i < 6; i++) {
      const res = await registryAuth(server.url, ["bob", `wrong-${i}`], "repository:bob/x:pull");
      statuses.push(res.status);
      await res.arrayBuffer();
    }
    const refused = statuses.filter((s) => s === 401).length;
    const throttled = statuses.filter((s) => s === 429).length;
    expect(refused).toBeGreaterThanOrEqual(3);
    expect(throttled).toBeGreaterThanOrEqual(1);
    const after = await read();
    const moved = (name: string, labels: Record<string, string> = {}) => total(after, name, labels) - total(before, name, labels);
    expect(moved("berth_token_requests_total", { outcome: "refused" })).toBe(refused);
    expect(moved("berth_token_requests_total", { outcome: "throttled" })).toBe(throttled);
    expect(moved("berth_logins_total", { outcome: "failed" })).toBe(refused);
    expect(moved("berth_logins_total", { outcome: "throttled" })).toBe(throttled);
    expect(moved("berth_http_requests_total", { family: "auth", status: "429" })).toBe(throttled);
    await server.server.ctx.authenticator.throttle.reset();
  });

  test("a collection pass is counted", async () => {
    const before = await read();
    await server.server.ctx.lifecycle.runOnce();
    const after = await read();
    expect(total(after, "berth_gc_passes_total") - total(before, "berth_gc_passes_total")).toBe(1);
    expect(total(after, "berth_gc_last_pass_seconds")).toBeGreaterThanOrEqual(0);
    expect(after.has('berth_gc_bytes_freed_total{kind="blobs"}')).toBe(true);
  });

  test("an upload body being received is in flight until it ends", async () => {
    const token = await registryToken(server.url, ["admin", ADMIN_PASSWORD], "repository:admin/inflight:pull,push");
    const client = new BearerRegistryClient(server.url, token);
    const location = await client.startUpload("admin/inflight");
    let push!: ReadableStreamDefaultController<Uint8Array>;
    const body = new ReadableStream<Uint8Array>({ start: (c) => void (push = c) });
    const patch = client.fetch(location, { method: "PATCH", body, headers: { "Content-Type": "application/octet-stream" } });
    push.enqueue(new Uint8Array(1000));
    let during = 0;
    for (let i = 0; i < 100 && during === 0; i++) {
      await Bun.sleep(10);
      during = total(await read(), "berth_uploads_in_flight");
    }
    expect(during).toBe(1);
    push.close();
    expect((await patch).status).toBe(202);
    expect(total(await read(), "berth_uploads_in_flight")).toBe(0);
  });
});

describe("who may read /metrics on the public port", () => {
  async function status(headers: Record<string, string>, path = "/metrics"): Promise<Response> {
    const res = await fetch(`${server.url}${path}`, { headers });
    await res.arrayBuffer();
    return res;
  }

  test("the metrics token, as a Bearer", async () => {
    expect((await status({ Authorization: `Bearer ${TOKEN}` })).status).toBe(200);
  });

  test("anonymous, a wrong token, the token in the query or as Basic: 401 with a Bearer challenge", async () => {
    const anonymous = await status({});
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get("www-authenticate")).toContain("Bearer");
    expect((await status({ Authorization: `Bearer ${TOKEN}x` })).status).toBe(401);
    expect((await status({ Authorization: `Bearer ${TOKEN.slice(0, -1)}` })).status).toBe(401);
    expect((await status({}, `/metrics?token=${TOKEN}`)).status).toBe(401);
    expect((await status({ Authorization: basicAuth("admin", TOKEN) })).status).toBe(401);
  });

  test("the registry's own credentials open nothing: Basic, a superuser's registry JWT, a session cookie", async () => {
    expect((await status({ Authorization: basicAuth("admin", ADMIN_PASSWORD) })).status).toBe(401);
    const jwt = await registryToken(server.url, ["admin", ADMIN_PASSWORD], "registry:catalog:*");
    expect((await status({ Authorization: `Bearer ${jwt}` })).status).toBe(401);
    const session = await new V1Client(server.url).signin("admin", ADMIN_PASSWORD);
    expect((await session.get("/metrics")).status).toBe(401);
    expect((await session.get("/api/v1/user/")).status).toBe(200); // the session itself works
  });

  test("without metricsToken or metricsAddress, /metrics is not served", async () => {
    const plain = await startTestServer({ auth: "none" });
    try {
      const res = await fetch(`${plain.url}/metrics`);
      await res.arrayBuffer();
      expect(res.status).toBe(404);
    } finally {
      await plain.stop();
    }
  });
});

describe("webhook deliveries", () => {
  test("a delivered webhook and one whose receiver is down are counted apart", async () => {
    const receiver = new WebhookReceiver();
    const hooked = await startTestServer({ notificationAllowLoopback: "true", metricsToken: TOKEN }, { notify: { retryDelaysMs: [3_600_000], resolve: async () => ["127.0.0.1"] } });
    try {
      const url = `${hooked.url}/metrics`;
      const before = await scrape(url, TOKEN);
      const stores = hooked.server.ctx.stores;
      const hook = receiver.hook();
      const down = `http://127.0.0.1:${await freePort()}/hook`;
      for (const [repo, target] of [["hooks/up", hook.url], ["hooks/down", down]] as const) {
        const repositoryId = (await stores.repositories.ensure(repo)).id;
        await stores.notifications.create({ repositoryId, event: "repo_push", method: "webhook", config: { url: target }, eventConfig: {}, title: repo });
        await new RegistryClient(hooked.url).pushImage(repo, "v1");
      }
      const moved = async (outcome: string) => total(await scrape(url, TOKEN), "berth_webhook_deliveries_total", { outcome }) - total(before, "berth_webhook_deliveries_total", { outcome });
      // Sent after the pushes answered: wait for both outcomes (at most 5 s).
      let seen = { delivered: 0, failed: 0 };
      for (let i = 0; i < 250 && (seen.delivered < 1 || seen.failed < 1); i++) {
        await Bun.sleep(20);
        seen = { delivered: await moved("delivered"), failed: await moved("failed") };
      }
      expect(seen).toEqual({ delivered: 1, failed: 1 });
      expect(receiver.of(hook.path)).toHaveLength(1);
    } finally {
      await hooked.stop();
      receiver.stop();
    }
  });
});
