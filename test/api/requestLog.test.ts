// The request log line carries the bytes sent: API v1 JSON answers (which have no Content-Length
// header of their own) used to show 0B. Blob answers are counted from their Content-Length,
// never by reading them.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { rmSync } from "node:fs";
import { loadConfig } from "../../src/config";
import { createLogger } from "../../src/log";
import { startServer, type RunningServer } from "../../src/server";
import { createUsers, tempDir } from "../support/server";
import { basicAuth, BearerRegistryClient, digestOf, randomBytes, registryAuth, registryToken, RegistryClient } from "../support/registryClient";
import { V1Client } from "../support/v1Client";

const lines: string[] = [];
const dataDir = tempDir();
let server: RunningServer;
let base: string;

beforeAll(async () => {
  const config = loadConfig({ host: "127.0.0.1", port: "0", data: dataDir, auth: "none", logRequests: "true" }, {});
  const log = createLogger({ requests: true, write: (s) => lines.push(...s.trimEnd().split("\n")) });
  server = await startServer(config, log, { BERTH_ADMIN_PASSWORD: "admin-password-1" });
  base = server.url;
});

afterAll(async () => {
  await server.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

/** The logged byte count of the last `METHOD path STATUS` line. */
function loggedBytes(method: string, path: string): number {
  server.ctx.log.flush();
  const line = lines.findLast((l) => l.includes(` ${method} ${path} `));
  if (!line) throw new Error(`no log line for ${method} ${path} in:\n${lines.join("\n")}`);
  return Number(/ (\d+)B /.exec(line)![1]);
}

test("an API v1 JSON answer logs the size of its body", async () => {
  const res = await fetch(`${base}/api/v1/discovery`);
  const body = new Uint8Array(await res.arrayBuffer());
  expect(res.status).toBe(200);
  expect(body.byteLength).toBeGreaterThan(1000);
  expect(loggedBytes("GET", "/api/v1/discovery")).toBe(body.byteLength);
  // Quay's error shapes too.
  const missing = await fetch(`${base}/api/v1/repository/nobody/nothing`);
  expect(missing.status).toBe(401);
  expect(loggedBytes("GET", "/api/v1/repository/nobody/nothing")).toBe((await missing.arrayBuffer()).byteLength);
});

test("a blob GET logs its length, a HEAD logs 0", async () => {
  const c = new RegistryClient(base);
  const bytes = randomBytes(300_000);
  const digest = digestOf(bytes);
  const pushed = await c.fetch(`/v2/log/app/blobs/uploads/?digest=${digest}`, { method: "POST", body: bytes });
  expect(pushed.status).toBe(201);
  const got = await c.fetch(`/v2/log/app/blobs/${digest}`);
  expect((await got.arrayBuffer()).byteLength).toBe(300_000);
  expect(loggedBytes("GET", `/v2/log/app/blobs/${digest}`)).toBe(300_000);
  expect((await c.fetch(`/v2/log/app/blobs/${digest}`, { method: "HEAD" })).status).toBe(200);
  expect(loggedBytes("HEAD", `/v2/log/app/blobs/${digest}`)).toBe(0);
});

describe("JSON lines (logFormat json)", () => {
  const ADMIN = "admin-Json-Password-1";
  const BOB = "bob-Json-Secret-1";
  const METRICS_TOKEN = "metrics-secret-token-4f2a9c";
  const jsonLines: string[] = [];
  let json: RunningServer;
  let jsonDir: string;

  beforeAll(async () => {
    jsonDir = tempDir();
    const config = loadConfig({ host: "127.0.0.1", port: "0", data: jsonDir, auth: "token", logFormat: "json", metricsToken: METRICS_TOKEN }, {});
    const log = createLogger({ requests: true, format: "json", write: (s) => jsonLines.push(...s.trimEnd().split("\n")) });
    json = await startServer(config, log, { BERTH_ADMIN_PASSWORD: ADMIN });
    await createUsers(json.ctx.stores, { bob: BOB });
  });
  afterAll(async () => {
    await json.stop();
    rmSync(jsonDir, { recursive: true, force: true });
  });

  function entries(): Record<string, unknown>[] {
    json.ctx.log.flush();
    return jsonLines.map((l) => JSON.parse(l) as Record<string, unknown>);
  }
  const requestEntry = (id: string) => entries().find((e) => e.msg === "request" && e.request_id === id);

  test("every line is an object with time and level; a request line has its fields and the caller", async () => {
    const token = await registryToken(json.url, ["bob", BOB], "repository:bob/app:pull,push");
    const res = await fetch(`${json.url}/v2/bob/app/tags/list`, { headers: { Authorization: `Bearer ${token}`, "X-Request-ID": "trace-42.a" } });
    expect(res.status).toBe(200); // the push scope created the repository
    expect(res.headers.get("x-request-id")).toBe("trace-42.a");
    const entry = requestEntry("trace-42.a");
    expect(entry).toMatchObject({ level: "info", msg: "request", method: "GET", path: "/v2/bob/app/tags/list", status: 200, user: "bob", address: "127.0.0.1" });
    expect(typeof entry!.ms).toBe("number");
    expect(typeof entry!.bytes).toBe("number");
    for (const e of entries()) {
      expect(Date.parse(e.time as string)).toBeGreaterThan(0);
      expect(["debug", "info", "warn", "error"]).toContain(e.level as string);
    }
  });

  test("a malformed or overlong X-Request-ID is replaced by one of ours, which is echoed", async () => {
    for (const given of ["has space", "x".repeat(129), 'quote"d', "new\u00e9line"]) {
      const res = await fetch(`${json.url}/v2/`, { headers: { "X-Request-ID": given } });
      const id = res.headers.get("x-request-id")!;
      expect(id).not.toBe(given);
      expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-z]+$/);
      expect(requestEntry(id)).toBeDefined();
    }
    const none = await fetch(`${json.url}/v2/`);
    expect(none.headers.get("x-request-id")).toMatch(/^[0-9a-f]{8}-[0-9a-z]+$/);
  });

  test("the user of /v2/auth and of an API v1 session is in its line", async () => {
    const res = await registryAuth(json.url, ["bob", BOB], "repository:bob/app:pull");
    expect(res.status).toBe(200);
    expect(requestEntry(res.headers.get("x-request-id")!)).toMatchObject({ path: expect.stringContaining("/v2/auth?"), user: "bob" });
    const session = await new V1Client(json.url).signin("bob", BOB);
    const me = await session.get("/api/v1/user/");
    expect(me.status).toBe(200);
    expect(requestEntry(me.headers.get("x-request-id")!)).toMatchObject({ path: "/api/v1/user/", user: "bob" });
  });

  test("no secret reaches the log: passwords, Basic credentials, JWTs, cookies, CSRF tokens, query tokens, the metrics token", async () => {
    const secrets: string[] = [ADMIN, BOB, METRICS_TOKEN];
    // Basic auth at the token endpoint, wrong and right.
    const wrong = "wrong-Guess-Password-9";
    secrets.push(wrong);
    await (await registryAuth(json.url, ["bob", wrong], "repository:bob/app:pull")).arrayBuffer();
    const jwt = await registryToken(json.url, ["admin", ADMIN], "repository:admin/app:pull,push");
    secrets.push(jwt, basicAuth("admin", ADMIN).slice(6));
    // The JWT on /v2, and in a query string (where no client should put it).
    const c = new BearerRegistryClient(json.url, jwt);
    await c.pushImage("admin/app", "v1", { layers: 1 });
    await (await fetch(`${json.url}/v2/admin/app/tags/list?access_token=${jwt}&n=5`)).arrayBuffer();
    await (await fetch(`${json.url}/api/v1/user/?password=${encodeURIComponent(BOB)}&code=oauth-code-77af&X-Api-Key=apikey-99zz`)).arrayBuffer();
    secrets.push("oauth-code-77af", "apikey-99zz");
    // A session: sign-in with a password, then requests with its cookie and CSRF token.
    const session = await new V1Client(json.url).signin("bob", BOB);
    await session.put("/api/v1/user/", { password: "bob-New-Secret-2" });
    secrets.push("bob-New-Secret-2", session.session()!, session.jar.get("_csrf_token")!, session.csrfToken!);
    await (await session.get("/api/v1/user/")).arrayBuffer();
    // The metrics endpoint, with its token and with a wrong one.
    await (await fetch(`${json.url}/metrics`, { headers: { Authorization: `Bearer ${METRICS_TOKEN}` } })).arrayBuffer();
    await (await fetch(`${json.url}/metrics?token=${METRICS_TOKEN}`)).arrayBuffer();
    json.ctx.log.flush();
    const text = jsonLines.join("\n");
    expect(text).toContain("REDACTED");
    expect(text).toContain("/api/v1/user/");
    for (const secret of secrets) {
      expect(secret.length).toBeGreaterThan(8);
      expect(text).not.toContain(secret);
      expect(text).not.toContain(encodeURIComponent(secret));
    }
  });
});
