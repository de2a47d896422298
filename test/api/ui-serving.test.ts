// The web UI served at / (issue 12): the app shell on every deep link, the bundle's files, the
// security headers, and never a path the APIs own.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { startTestServer, type TestServer } from "../support/server";

let server: TestServer;

beforeAll(async () => {
  server = await startTestServer({ auth: "token" });
});
afterAll(async () => {
  await server?.stop();
});

async function shell(path: string): Promise<{ res: Response; html: string }> {
  const res = await fetch(`${server.url}${path}`);
  return { res, html: await res.text() };
}

function expectSecurityHeaders(res: Response) {
  const csp = res.headers.get("content-security-policy") ?? "";
  expect(csp).toContain("script-src 'self'");
  expect(csp).not.toContain("unsafe-inline");
  expect(csp).not.toContain("unsafe-eval");
  expect(csp).toContain("frame-ancestors 'none'");
  expect(res.headers.get("x-frame-options")).toBe("DENY");
  expect(res.headers.get("referrer-policy")).toBe("same-origin");
  expect(res.headers.get("x-content-type-options")).toBe("nosniff");
}

describe("the app shell", () => {
  test.each([
    "/",
    "/repository",
    "/repository/library/alpine?tab=tags",
    "/repository/ns/deep/name?tab=history",
    "/organization/acme",
    "/organization/acme?tab=robots",
    "/user/alice",
    "/superuser",
    "/signin",
  ])("%s answers the shell on reload", async (path) => {
    const { res, html } = await shell(path);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("text/html; charset=utf-8");
    expect(html).toContain('<div id="root"></div>');
    expectSecurityHeaders(res);
  });

  test("no inline script: every script and stylesheet is a bundle file that is served", async () => {
    const { html } = await shell("/");
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
    expect(html).not.toContain("<style");
    const refs = [...html.matchAll(/(?:src|href)="(\/static\/ui\/[^"]+)"/g)].map((m) => m[1]!);
    expect(refs.some((r) => r.endsWith(".js"))).toBe(true);
    expect(refs.some((r) => r.endsWith(".css"))).toBe(true);
    for (const ref of refs) {
      const res = await fetch(`${server.url}${ref}`);
      expect(res.status).toBe(200);
      expect(res.headers.get("cache-control")).toContain("immutable");
      expectSecurityHeaders(res);
      expect((await res.arrayBuffer()).byteLength).toBeGreaterThan(1000);
    }
  });

  test("the bundle names no other origin (no CDN, no web font from the network)", async () => {
    const { html } = await shell("/");
    for (const ref of [...html.matchAll(/(?:src|href)="(\/static\/ui\/[^"]+)"/g)].map((m) => m[1]!)) {
      const text = await (await fetch(`${server.url}${ref}`)).text();
      expect(text).not.toMatch(/url\(["']?https?:/);
      expect(text).not.toMatch(/@import\s+(url\()?["']?https?:/);
    }
  });

  test("compressed for a browser that takes gzip", async () => {
    const res = await fetch(`${server.url}/`, { headers: { "accept-encoding": "gzip" }, decompress: false } as RequestInit);
    expect(res.headers.get("content-encoding")).toBe("gzip");
    const plain = new TextDecoder().decode(Bun.gunzipSync(new Uint8Array(await res.arrayBuffer())));
    expect(plain).toContain('<div id="root"></div>');
  });

  test("a client that takes no gzip gets the files as they are", async () => {
    const { html } = await shell("/");
    const script = /src="(\/static\/ui\/[^"]+\.js)"/.exec(html)![1]!;
    const res = await fetch(`${server.url}${script}`, { headers: { "accept-encoding": "identity" }, decompress: false } as RequestInit);
    expect(res.headers.get("content-encoding")).toBeNull();
    const text = await res.text();
    expect(Number(res.headers.get("content-length"))).toBe(new TextEncoder().encode(text).byteLength);
    // The app mounts on the shell's root (a boolean: a failure would print the whole bundle).
    expect(text.includes('getElementById("root")')).toBe(true);
  });

  test("HEAD answers the headers without a body", async () => {
    const res = await fetch(`${server.url}/organization/acme`, { method: "HEAD" });
    expect(res.status).toBe(200);
    expect(await res.text()).toBe("");
  });

  test("an unknown bundle file is a 404, and a path with a slash is not a file", async () => {
    expect((await fetch(`${server.url}/static/ui/nope-123.js`)).status).toBe(404);
    expect((await fetch(`${server.url}/static/ui/..%2Fpackage.json`)).status).toBe(404);
  });

  test("POST to a UI path is not the shell", async () => {
    const res = await fetch(`${server.url}/signin`, { method: "POST", body: "x" });
    expect(res.status).toBe(404);
  });
});

describe("never shadowing the APIs", () => {
  test("/v2/ is the registry's challenge", async () => {
    const res = await fetch(`${server.url}/v2/`);
    expect(res.status).toBe(401);
    expect(res.headers.get("www-authenticate")).toContain("Bearer");
  });

  test("/api/v1 paths, served or not, answer JSON", async () => {
    const known = await fetch(`${server.url}/api/v1/discovery`);
    expect(known.status).toBe(200);
    expect(known.headers.get("content-type")).toContain("json");
    const unknown = await fetch(`${server.url}/api/v1/repository/ns/name/nothing-here`);
    expect(unknown.headers.get("content-type")).toContain("json");
  });

  test.each(["/csrf_token", "/config", "/health", "/health/instance"])("%s keeps its own answer", async (path) => {
    const res = await fetch(`${server.url}${path}`);
    expect(res.headers.get("content-type")).toContain("json");
    expect(await res.text()).not.toContain('<div id="root">');
  });

  test.each(["/oauth/authorize", "/metrics", "/v2", "/api", "/apiv1", "/repositoryx", "/users", "/nothing"])("%s is not the shell", async (path) => {
    const res = await fetch(`${server.url}${path}`);
    expect(await res.text()).not.toContain('<div id="root">');
  });
});
