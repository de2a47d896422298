// Rate limits as a client meets them: bursts past the allowance get 429 with Retry-After in each
// API's own error body (/v2 and /v2/auth: TOOMANYREQUESTS; API v1: Quay's problem body), the
// buckets refill with time (an injected clock), an account's limit is its own (another account,
// or the same account from elsewhere), and the address is the one the server derives: taken from
// X-Forwarded-For only when the peer is a trusted proxy, so a client cannot spoof fresh buckets.
import { afterAll, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import { SingleNodeRateLimiter } from "../../src/auth/singleNodeRateLimiter";
import { basicAuth, registryToken } from "../support/registryClient";
import { createUsers, startTestServer, type TestServer } from "../support/server";
import { signedIn, type V1Client } from "../support/v1Client";

const PASSWORDS = { alice: "alice-Secret-1", bob: "bob-Secret-1" } as const;
// Three at once, then one every two seconds: Retry-After says 2.
const LIMIT = { burst: "3", perSecond: "0.5" };
const LIMITS = {
  rateLimits: "true",
  rateLimitAuthBurst: LIMIT.burst,
  rateLimitAuthPerSecond: LIMIT.perSecond,
  rateLimitV2WritesBurst: LIMIT.burst,
  rateLimitV2WritesPerSecond: LIMIT.perSecond,
  rateLimitV1WritesBurst: LIMIT.burst,
  rateLimitV1WritesPerSecond: LIMIT.perSecond,
};

let nowMs = 1_700_000_000_000;
/** Every bucket full again: each test starts from a clean allowance. */
const anHourLater = () => (nowMs += 3_600_000);

/** Behind a trusted proxy (the test itself, 127.0.0.1): X-Forwarded-For names the client. */
let proxied: TestServer;
/** Open mode, trusting only 10.0.0.0/8: a peer at 127.0.0.1 cannot pick its address. */
let direct: TestServer;
const tokens: Record<string, string> = {};
const sessions: Record<string, V1Client> = {};

beforeAll(async () => {
  proxied = await startTestServer(
    { auth: "token", trustedProxies: "127.0.0.1", ...LIMITS },
    { nodeState: { rateLimiter: new SingleNodeRateLimiter({ now: () => nowMs }) } },
  );
  direct = await startTestServer(
    { auth: "none", trustedProxies: "10.0.0.0/8", ...LIMITS, rateLimitReadsBurst: LIMIT.burst, rateLimitReadsPerSecond: LIMIT.perSecond },
    { nodeState: { rateLimiter: new SingleNodeRateLimiter({ now: () => nowMs }) } },
  );
  await createUsers(proxied.server.ctx.stores, PASSWORDS);
  for (const name of ["alice", "bob"] as const) {
    anHourLater();
    tokens[name] = await registryToken(proxied.url, [name, PASSWORDS[name]], `repository:${name}/app:pull,push`);
    sessions[name] = await signedIn(proxied.url, name, PASSWORDS[name]);
  }
});
afterAll(async () => {
  await proxied?.stop();
  await direct?.stop();
});
beforeEach(anHourLater);

/** POST /v2/<name>/blobs/uploads/ as `user` (anonymous in open mode) from `from` (X-Forwarded-For). */
function startUpload(server: TestServer, repo: string, from: string, user?: "alice" | "bob"): Promise<Response> {
  const headers: Record<string, string> = { "X-Forwarded-For": from };
  if (user) headers.Authorization = `Bearer ${tokens[user]}`;
  return fetch(`${server.url}/v2/${repo}/blobs/uploads/`, { method: "POST", headers });
}

async function expectV2Limited(res: Response, retryAfter = "2") {
  expect(res.status).toBe(429);
  expect(res.headers.get("retry-after")).toBe(retryAfter);
  const body = (await res.json()) as { errors: { code: string; message: string }[] };
  expect(body.errors[0]!.code).toBe("TOOMANYREQUESTS");
  expect(body.errors[0]!.message).toContain(`retry in ${retryAfter} s`);
}

describe("/v2 writes", () => {
  test("a burst past the allowance gets 429 TOOMANYREQUESTS with Retry-After; one more is allowed once a token has refilled", async () => {
    for (let i = 0; i < 3; i++) expect((await startUpload(proxied, "alice/app", "10.1.0.1", "alice")).status).toBe(202);
    await expectV2Limited(await startUpload(proxied, "alice/app", "10.1.0.1", "alice"));
    nowMs += 1_000;
    await expectV2Limited(await startUpload(proxied, "alice/app", "10.1.0.1", "alice"), "1");
    nowMs += 1_000;
    expect((await startUpload(proxied, "alice/app", "10.1.0.1", "alice")).status).toBe(202);
    await expectV2Limited(await startUpload(proxied, "alice/app", "10.1.0.1", "alice"));
  });

  test("a limited account is limited from any address, and limits no other account", async () => {
    for (let i = 0; i < 3; i++) expect((await startUpload(proxied, "alice/app", "10.1.1.1", "alice")).status).toBe(202);
    // A fresh address: alice's own bucket is empty.
    await expectV2Limited(await startUpload(proxied, "alice/app", "10.1.1.2", "alice"));
    // bob, from that address or from alice's: his bucket is his.
    expect((await startUpload(proxied, "bob/app", "10.1.1.2", "bob")).status).toBe(202);
    expect((await startUpload(proxied, "bob/app", "10.1.1.3", "bob")).status).toBe(202);
  });

  test("reads are not limited by default", async () => {
    for (let i = 0; i < 10; i++) {
      const res = await fetch(`${proxied.url}/v2/alice/app/tags/list`, { headers: { Authorization: `Bearer ${tokens.alice}`, "X-Forwarded-For": "10.1.2.1" } });
      expect(res.status).toBe(200);
    }
  });
});

describe("the client address", () => {
  test("X-Forwarded-For from a peer that is not a trusted proxy is ignored: a new header each time buys nothing", async () => {
    for (let i = 0; i < 3; i++) expect((await startUpload(direct, "open/app", `10.2.0.${i}`)).status).toBe(202);
    await expectV2Limited(await startUpload(direct, "open/app", "10.2.0.99"));
    await expectV2Limited(await startUpload(direct, "open/app", "192.0.2.7, 10.2.0.98"));
  });

  test("behind a trusted proxy each client has its own bucket", async () => {
    for (let i = 0; i < 5; i++) expect((await startUpload(proxied, "alice/app", `10.1.3.${i}`)).status).toBe(401);
    // Anonymous writes were counted per forwarded address: the fourth from one address is refused before the token check.
    for (let i = 0; i < 3; i++) await startUpload(proxied, "alice/app", "10.1.3.50");
    await expectV2Limited(await startUpload(proxied, "alice/app", "10.1.3.50"));
  });

  test("reads, when switched on, are limited the same way", async () => {
    const tags = (from: string) => fetch(`${direct.url}/v2/open/app/tags/list`, { headers: { "X-Forwarded-For": from } });
    for (let i = 0; i < 3; i++) expect((await tags(`10.3.0.${i}`)).status).toBe(200);
    await expectV2Limited(await tags("10.3.0.9"));
  });
});

describe("/v2/auth", () => {
  const auth = (from: string, user?: "alice" | "bob") =>
    fetch(`${proxied.url}/v2/auth?service=${new URL(proxied.url).host}&scope=repository:alice/app:pull`, {
      headers: { "X-Forwarded-For": from, ...(user ? { Authorization: basicAuth(user, PASSWORDS[user]) } : {}) },
    });

  test("token requests past the allowance get 429 TOOMANYREQUESTS per address, then per account", async () => {
    for (let i = 0; i < 3; i++) expect((await auth("10.4.0.1")).status).toBe(200);
    await expectV2Limited(await auth("10.4.0.1"));
    for (let i = 0; i < 3; i++) expect((await auth("10.4.0.2", "alice")).status).toBe(200);
    await expectV2Limited(await auth("10.4.0.3", "alice"));
    expect((await auth("10.4.0.3", "bob")).status).toBe(200);
  });
});

describe("API v1 writes", () => {
  // An invalid body: a write the route refuses, after the rate limit has counted it.
  const write = (user: "alice" | "bob", from: string) =>
    sessions[user]!.fetch("/api/v1/repository", { json: { repository: "" }, headers: { "X-Forwarded-For": from } });

  test("a burst past the allowance gets 429 in Quay's problem body with Retry-After, per address and per account", async () => {
    for (let i = 0; i < 3; i++) expect((await write("alice", "10.5.0.1")).status).toBe(400);
    const limited = await write("alice", "10.5.0.1");
    expect(limited.status).toBe(429);
    expect(limited.headers.get("retry-after")).toBe("2");
    expect(await limited.json()).toMatchObject({ status: 429, error_type: "too_many_requests", detail: "Too many requests; try again in 2 s" });
    // Elsewhere, alice is still limited; bob is not.
    expect((await write("alice", "10.5.0.2")).status).toBe(429);
    expect((await write("bob", "10.5.0.2")).status).toBe(400);
    nowMs += 2_000;
    expect((await write("alice", "10.5.0.3")).status).toBe(400);
  });

  test("reads are not limited by default", async () => {
    for (let i = 0; i < 10; i++) expect((await sessions.alice!.fetch("/api/v1/user/", { headers: { "X-Forwarded-For": "10.5.1.1" } })).status).toBe(200);
  });
});
