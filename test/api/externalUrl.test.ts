// How the server names itself (token realm and service, Location headers, /config, API v1 error
// `type` URLs) when clients send forged Host / X-Forwarded-* headers: a bad Host is refused with a
// 400, bad forwarded values are ignored, and publicUrl wins over all of them. Nothing a client
// wrote is echoed unchecked.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { startTestServer, type TestServer } from "../support/server";
import { basicAuth, rawRequest, registryToken, type RawResponse } from "../support/registryClient";

const ADMIN_PASSWORD = "admin-Secret-1";
let server: TestServer;
let pinned: TestServer; // with publicUrl
let direct: TestServer; // no trusted proxies: X-Forwarded-* from anyone is ignored
let token: string; // admin, pull+push on REPO
const REPO = "admin/hosts";

beforeAll(async () => {
  // The tests connect from loopback: here that is the trusted reverse proxy.
  server = await startTestServer({ auth: "token", trustedProxies: "127.0.0.1" }, { adminPassword: ADMIN_PASSWORD });
  direct = await startTestServer({ auth: "token" }, { adminPassword: ADMIN_PASSWORD });
  pinned = await startTestServer({ auth: "token", publicUrl: "https://registry.example.com/" }, { adminPassword: ADMIN_PASSWORD });
  token = await registryToken(server.url, ["admin", ADMIN_PASSWORD], `repository:${REPO}:pull,push`);
});
afterAll(async () => {
  await server?.stop();
  await pinned?.stop();
  await direct?.stop();
});

/** Requests where the server names itself: the challenge, an upload's Location, /config, a v1 error. */
function probes(headers: Record<string, string>, bearer?: string): Promise<RawResponse>[] {
  const auth: Record<string, string> = bearer ? { Authorization: `Bearer ${bearer}` } : {};
  return [
    rawRequest(server.url, "GET", "/v2/", headers),
    rawRequest(server.url, "GET", `/v2/${REPO}/manifests/latest`, headers),
    rawRequest(server.url, "POST", `/v2/${REPO}/blobs/uploads/`, { ...headers, ...auth, "Content-Length": "0" }),
    rawRequest(server.url, "GET", "/config", headers),
    rawRequest(server.url, "GET", "/api/v1/user/", headers),
    rawRequest(server.url, "GET", `/v2/auth?service=x&scope=repository:${REPO}:pull`, headers),
  ];
}

function expectNotEchoed(res: RawResponse, ...marks: string[]): void {
  const headers = [...res.headers.entries()].map(([k, v]) => `${k}: ${v}`).join("\n");
  for (const mark of marks) {
    expect(headers.toLowerCase()).not.toContain(mark.toLowerCase());
    expect(res.body.toLowerCase()).not.toContain(mark.toLowerCase());
  }
}

describe("forged Host", () => {
  const port = () => new URL(server.url).port;
  const forged = () => [
    'evil.com"',
    "evil.com\", x=\"y",
    "a,b",
    `127.0.0.1:${port()}, evil.com`, // what two Host headers become
    "evil.com/path",
    "user@evil.com",
    `127.0.0.1:${port()}@evil.com`,
    "evil.com%0d%0aX-Injected:%201",
    "evil.com:99999",
    `evil.com${"x".repeat(300)}`,
    "",
  ];

  test("every invalid Host is a 400 that echoes nothing, wherever it is sent", async () => {
    for (const host of forged()) {
      for (const res of await Promise.all(probes({ Host: host }, token))) {
        expect(res.status).toBe(400);
        expect(res.headers.get("www-authenticate")).toBeNull();
        expect(res.headers.get("location")).toBeNull();
        expectNotEchoed(res, "evil", "x=", "a,b");
      }
    }
  });

  test("CR or LF inside Host never makes a header: the request is refused", async () => {
    for (const host of ["evil.com\rX-Injected: 1", "evil.com\nX-Injected: 1"]) {
      const res = await rawRequest(server.url, "GET", "/v2/", { Host: host });
      expect(res.status).toBe(400);
      expect(res.headers.get("x-injected")).toBeNull();
      expectNotEchoed(res, "evil");
    }
  });

  test("a valid Host names the server everywhere", async () => {
    const [base, manifest, upload, config, v1, auth] = await Promise.all(probes({ Host: "registry.test:5000" }, token));
    expect(base!.headers.get("www-authenticate")).toBe('Bearer realm="http://registry.test:5000/v2/auth",service="registry.test:5000"');
    expect(manifest!.headers.get("www-authenticate")).toStartWith('Bearer realm="http://registry.test:5000/v2/auth"');
    // The token was minted for the real host, so this one is refused: the point is the challenge.
    expect(upload!.status).toBe(401);
    expect(JSON.parse(config!.body).config).toMatchObject({ SERVER_HOSTNAME: "registry.test:5000", PREFERRED_URL_SCHEME: "http" });
    expect(JSON.parse(v1!.body).type).toBe("http://registry.test:5000/api/v1/error/invalid_token");
    expect(auth!.status).toBe(200);
  });
});

describe("X-Forwarded-Proto and X-Forwarded-Host", () => {
  const host = () => new URL(server.url).host;

  test("values outside the grammar are ignored, not echoed", async () => {
    const bad: Record<string, string>[] = [
      { "X-Forwarded-Proto": 'javascript"' },
      { "X-Forwarded-Proto": "https, http" },
      { "X-Forwarded-Proto": "gopher" },
      { "X-Forwarded-Host": "evil.com/path" },
      { "X-Forwarded-Host": "a.evil.com, b.evil.com" },
      { "X-Forwarded-Host": 'evil.com"' },
      { "X-Forwarded-Host": `evil.${"x".repeat(300)}` },
      { "X-Forwarded-Host": "user@evil.com" },
    ];
    for (const headers of bad) {
      const [base, , upload, config, v1] = await Promise.all(probes(headers, token));
      expect(base!.headers.get("www-authenticate")).toBe(`Bearer realm="http://${host()}/v2/auth",service="${host()}"`);
      expect(upload!.status).toBe(202);
      expect(upload!.headers.get("location")).toStartWith(`http://${host()}/v2/${REPO}/blobs/uploads/`);
      expect(JSON.parse(config!.body).config).toMatchObject({ SERVER_HOSTNAME: host(), PREFERRED_URL_SCHEME: "http" });
      expect(JSON.parse(v1!.body).type).toBe(`http://${host()}/api/v1/error/invalid_token`);
      for (const res of [base!, upload!, config!, v1!]) expectNotEchoed(res, "evil", "javascript", "gopher");
    }
  });

  test("well-formed values from the proxy are used (realm, Location, /config, error type)", async () => {
    const headers = { "X-Forwarded-Proto": "https", "X-Forwarded-Host": "registry.example.org" };
    const [base, , upload, config, v1] = await Promise.all(probes(headers, token));
    expect(base!.headers.get("www-authenticate")).toBe('Bearer realm="https://registry.example.org/v2/auth",service="registry.example.org"');
    // The token's audience is the loopback host, not registry.example.org: refused, and challenged there.
    expect(upload!.status).toBe(401);
    expect(JSON.parse(config!.body).config).toMatchObject({ SERVER_HOSTNAME: "registry.example.org", PREFERRED_URL_SCHEME: "https" });
    expect(JSON.parse(v1!.body).type).toBe("https://registry.example.org/api/v1/error/invalid_token");
  });

  test("without trustedProxies, well-formed values are ignored too (the client is not a proxy)", async () => {
    const headers = { "X-Forwarded-Proto": "https", "X-Forwarded-Host": "registry.example.org" };
    const own = new URL(direct.url).host;
    const base = await rawRequest(direct.url, "GET", "/v2/", headers);
    expect(base.headers.get("www-authenticate")).toBe(`Bearer realm="http://${own}/v2/auth",service="${own}"`);
    const config = await rawRequest(direct.url, "GET", "/config", headers);
    expect(JSON.parse(config.body).config).toMatchObject({ SERVER_HOSTNAME: own, PREFERRED_URL_SCHEME: "http" });
    const v1 = await rawRequest(direct.url, "GET", "/api/v1/user/", headers);
    expect(JSON.parse(v1.body).type).toBe(`http://${own}/api/v1/error/invalid_token`);
    for (const res of [base, config, v1]) expectNotEchoed(res, "registry.example.org");
  });
});

describe("publicUrl", () => {
  test("wins over Host and X-Forwarded-*", async () => {
    const headers = { Host: "other.test:1234", "X-Forwarded-Proto": "http", "X-Forwarded-Host": "proxy.test" };
    const challenge = await rawRequest(pinned.url, "GET", "/v2/", headers);
    expect(challenge.headers.get("www-authenticate")).toBe('Bearer realm="https://registry.example.com/v2/auth",service="registry.example.com"');
    // A token for the service the challenge named, as a client following it asks.
    const q = new URLSearchParams({ service: "registry.example.com", scope: `repository:${REPO}:pull,push` });
    const auth = await fetch(`${pinned.url}/v2/auth?${q}`, { headers: { Authorization: basicAuth("admin", ADMIN_PASSWORD) } });
    const pinnedToken = ((await auth.json()) as { token: string }).token;
    const upload = await rawRequest(pinned.url, "POST", `/v2/${REPO}/blobs/uploads/`, { ...headers, Authorization: `Bearer ${pinnedToken}`, "Content-Length": "0" });
    expect(upload.status).toBe(202);
    expect(upload.headers.get("location")).toStartWith(`https://registry.example.com/v2/${REPO}/blobs/uploads/`);
    const config = await rawRequest(pinned.url, "GET", "/config", headers);
    expect(JSON.parse(config.body).config).toMatchObject({ SERVER_HOSTNAME: "registry.example.com", PREFERRED_URL_SCHEME: "https" });
    const v1 = await rawRequest(pinned.url, "GET", "/api/v1/user/", headers);
    expect(JSON.parse(v1.body).type).toBe("https://registry.example.com/api/v1/error/invalid_token");
  });
});
