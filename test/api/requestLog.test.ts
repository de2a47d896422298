// The request log line carries the bytes sent: API v1 JSON answers (which have no Content-Length
// header of their own) used to show 0B. Blob answers are counted from their Content-Length,
// never by reading them.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { rmSync } from "node:fs";
import { loadConfig } from "../../src/config";
import { createLogger } from "../../src/log";
import { startServer, type RunningServer } from "../../src/server";
import { tempDir } from "../support/server";
import { digestOf, randomBytes, RegistryClient } from "../support/registryClient";

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
