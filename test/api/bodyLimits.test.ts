// Request bodies are capped before they are read (security review, issue 8 item 2): a JSON body
// on /api/v1, /oauth or /v2/auth stops at maxApiBodyBytes (1 MiB) with a 413 in the API's own
// error shape, refused from Content-Length before a byte of it is sent and cut off at the cap
// when chunked; manifests stop at maxManifestBytes; other paths (health, unknown) are capped too.
// The attack was `head -c 1G /dev/zero | curl --data-binary @- /api/v1/signin`: the server grew
// by twice the body before answering 400.
import { describe, expect, test } from "bun:test";
import { serverForFile, type TestServer } from "../support/server";
import { MiB } from "../support/e2eHelpers";
import { openRaw } from "../support/rawConnection";
import { V1Client } from "../support/v1Client";

let server: TestServer;
serverForFile(
  (started) => {
    server = started;
  },
  { bodyStallSeconds: "1" },
);

/** A body of `total` bytes made on demand, counting how many the server pulled out of it. */
function countedBody(total: number, fill = 0x20): { stream: ReadableStream<Uint8Array>; pulled: () => number } {
  let pulled = 0;
  const stream = new ReadableStream<Uint8Array>(
    {
      pull(controller) {
        if (pulled >= total) return controller.close();
        const n = Math.min(MiB, total - pulled);
        pulled += n;
        controller.enqueue(new Uint8Array(n).fill(fill));
      },
    },
    { highWaterMark: 0 },
  );
  return { stream, pulled: () => pulled };
}

/** Runs `fn` while sampling this process's resident set; returns its result and the peak growth. */
async function peakRssGrowth<T>(fn: () => Promise<T>): Promise<{ result: T; grownBy: number }> {
  Bun.gc(true);
  const before = process.memoryUsage().rss;
  let peak = before;
  const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 2);
  try {
    const result = await fn();
    peak = Math.max(peak, process.memoryUsage().rss);
    return { result, grownBy: peak - before };
  } finally {
    clearInterval(sampler);
  }
}

/** Streams `total` bytes chunked (fetch sends no Content-Length for a stream). */
async function streamTo(path: string, method: string, contentType: string, total: number) {
  const body = countedBody(total);
  const { result: res, grownBy } = await peakRssGrowth(async () => {
    const r = await fetch(`${server.url}${path}`, {
      method,
      headers: { "Content-Type": contentType },
      body: body.stream,
      duplex: "half",
    } as RequestInit);
    return { status: r.status, headers: r.headers, json: (await r.json()) as any };
  });
  return { ...res, pulled: body.pulled(), grownBy };
}

describe("JSON bodies stop at maxApiBodyBytes (1 MiB)", () => {
  test("300 MiB streamed chunked to /api/v1/signin: 413 in Quay's shape, a few MiB read, memory flat", async () => {
    const res = await streamTo("/api/v1/signin", "POST", "application/json", 300 * MiB);
    expect(res.status).toBe(413);
    expect(res.json).toMatchObject({ status: 413, error_type: "invalid_request" });
    expect(res.json.detail).toContain("1048576 bytes");
    expect(res.headers.get("connection")).toBe("close");
    // The server stopped reading at the cap; the client saw the answer and stopped sending.
    expect(res.pulled).toBeLessThan(32 * MiB);
    expect(res.grownBy).toBeLessThan(64 * MiB);
  });

  test("the same on /oauth/authorizeapp and /v2/auth (OCI's error shape there)", async () => {
    const oauth = await streamTo("/oauth/authorizeapp", "POST", "application/x-www-form-urlencoded", 64 * MiB);
    expect(oauth.status).toBe(413);
    expect(oauth.json.error_type).toBe("invalid_request");
    const token = await streamTo("/v2/auth", "POST", "application/x-www-form-urlencoded", 64 * MiB);
    expect(token.status).toBe(413);
    expect(token.json).toEqual({ errors: [{ code: "SIZE_INVALID", message: expect.stringContaining("1048576"), detail: { limit: 1048576 } }] });
    expect(token.pulled).toBeLessThan(32 * MiB);
  });

  test("paths that read no body are capped as well: health, csrf_token, unknown paths", async () => {
    for (const [method, path] of [
      ["POST", "/health/instance"],
      ["POST", "/csrf_token"],
      ["PUT", "/no/such/path"],
      ["POST", "/api/v1/no/such/route"],
    ] as const) {
      const body = countedBody(64 * MiB);
      const res = await fetch(`${server.url}${path}`, { method, body: body.stream, duplex: "half" } as RequestInit);
      expect({ path, status: res.status }).toEqual({ path, status: 413 });
      await res.arrayBuffer();
      expect(body.pulled()).toBeLessThan(32 * MiB);
    }
    // A GET with a chunked body (fetch will not send one; Bun hands no GET body to the app):
    // answered, and the connection closes instead of draining whatever the client keeps sending.
    const conn = await openRaw(server.url, ["GET /health/instance HTTP/1.1", "Transfer-Encoding: chunked"]);
    conn.write(`${(2 * MiB).toString(16)}\r\n`);
    conn.write(new Uint8Array(2 * MiB));
    const res = await conn.response(3000);
    expect(res.status).toBe(200);
    expect(res.headers.get("connection")).toBe("close");
    await conn.closed(3000);
  });

  test("a Content-Length over the cap is refused before any of the body is sent", async () => {
    const cases = [
      { head: "POST /api/v1/signin HTTP/1.1", type: "application/json", shape: (b: any) => expect(b.error_type).toBe("invalid_request") },
      { head: "POST /oauth/authorizeapp HTTP/1.1", type: "application/x-www-form-urlencoded", shape: (b: any) => expect(b.status).toBe(413) },
      { head: "GET /v2/auth HTTP/1.1", type: "application/x-www-form-urlencoded", shape: (b: any) => expect(b.errors[0].code).toBe("SIZE_INVALID") },
      { head: "POST /health/instance HTTP/1.1", type: "text/plain", shape: (b: string) => expect(b).toContain("1048576") },
    ];
    for (const c of cases) {
      const conn = await openRaw(server.url, [c.head, `Content-Type: ${c.type}`, `Content-Length: ${2 * 1024 ** 3}`]);
      const res = await conn.response(3000);
      expect({ head: c.head, status: res.status }).toEqual({ head: c.head, status: 413 });
      c.shape(res.headers.get("content-type")?.includes("json") ? JSON.parse(res.body) : res.body);
      // It does not wait for the 2 GiB either.
      await conn.closed(3000);
    }
  });

  test("a body that trickles in is cut off after bodyStallSeconds: 408 in the API's shape, connection closed", async () => {
    const conn = await openRaw(server.url, ["POST /api/v1/signin HTTP/1.1", "Content-Type: application/json", "Content-Length: 100"]);
    conn.write('{"username": ');
    const res = await conn.response(4000);
    expect(res.status).toBe(408);
    expect(JSON.parse(res.body)).toMatchObject({ status: 408, error_type: "invalid_request" });
    await conn.closed(1000);
  });

  test("bodies within the cap, chunked or not, still reach their route", async () => {
    const client = new V1Client(server.url);
    await client.fetchCsrf();
    // Just under 1 MiB of JSON (padded with spaces), sent chunked: parsed, and the route answers.
    const json = JSON.stringify({ username: "nobody", password: "wrong-password" });
    const padded = json.slice(0, -1) + " ".repeat(MiB - json.length - 1) + "}";
    const chunked = new Response(padded).body!;
    const res = await fetch(`${server.url}/api/v1/signin`, {
      method: "POST",
      headers: { "Content-Type": "application/json", Cookie: client.cookieHeader(), "X-CSRF-Token": client.csrfToken! },
      body: chunked,
      duplex: "half",
    } as RequestInit);
    expect(res.status).toBe(403);
    expect(((await res.json()) as any).invalidCredentials).toBe(true);
  });
});

describe("manifests stop at maxManifestBytes (4 MiB)", () => {
  test("a manifest PUT streamed chunked beyond the cap: 413 SIZE_INVALID, reading stops at the cap", async () => {
    const res = await streamTo("/v2/caps/app/manifests/latest", "PUT", "application/vnd.oci.image.manifest.v1+json", 300 * MiB);
    expect(res.status).toBe(413);
    expect(res.json.errors[0]).toMatchObject({ code: "SIZE_INVALID", detail: { limit: 4 * MiB } });
    expect(res.pulled).toBeLessThan(36 * MiB);
    expect(res.grownBy).toBeLessThan(64 * MiB);
  });

  test("a manifest Content-Length over the cap is refused before the body is sent", async () => {
    const conn = await openRaw(server.url, [
      "PUT /v2/caps/app/manifests/latest HTTP/1.1",
      "Content-Type: application/vnd.oci.image.manifest.v1+json",
      `Content-Length: ${5 * MiB}`,
    ]);
    const res = await conn.response(3000);
    expect(res.status).toBe(413);
    expect(JSON.parse(res.body).errors[0].code).toBe("SIZE_INVALID");
    await conn.closed(3000);
  });
});
