// The login throttle against a running server: the attacks it must stop and the ones it must not
// turn against the account's owner. Two servers: one taking the TCP peer as the client (no
// trusted proxies: X-Forwarded-For is ignored), one behind a "proxy" at 127.0.0.1
// (trustedProxies), where X-Forwarded-For gives each request the client address a test names.
import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import { DEFAULT_LOGIN_POLICY } from "../../src/auth/loginThrottle";
import { SingleNodeLoginThrottle } from "../../src/auth/singleNodeLoginThrottle";
import { createUsers, resetLoginThrottles, startTestServer, type TestServer } from "../support/server";
import { basicAuth } from "../support/registryClient";
import { hashPassword } from "../../src/auth/password";
import { V1Client } from "../support/v1Client";

const PASSWORDS = { bob: "bob-Secret-1", carol: "carol-Secret-1", dora: "dora-Secret-1" } as const;
/**
 * The proxied server's account counter: hot after 2 failures (10 by default) and then a delay
 * of 500 ms (up to 2 s by default), so a few guesses show what many would.
 */
const ACCOUNT_DELAY_MS = 500;

let direct: TestServer;
let proxied: TestServer;

beforeAll(async () => {
  const policy = { ...DEFAULT_LOGIN_POLICY, account: { ...DEFAULT_LOGIN_POLICY.account, freeFailures: 2, baseMs: ACCOUNT_DELAY_MS, maxMs: ACCOUNT_DELAY_MS } };
  [direct, proxied] = await Promise.all([
    startTestServer({ auth: "token" }),
    startTestServer({ auth: "token", trustedProxies: "127.0.0.1" }, { loginThrottle: new SingleNodeLoginThrottle({ policy }) }),
  ]);
  for (const s of [direct, proxied]) await createUsers(s.server.ctx.stores, PASSWORDS);
});
afterAll(async () => {
  await Promise.all([direct?.stop(), proxied?.stop()]);
});
afterEach(async () => {
  await resetLoginThrottles(direct);
  await resetLoginThrottles(proxied);
});

/** GET /v2/auth with Basic credentials, optionally claiming a client address in X-Forwarded-For. */
async function v2auth(server: TestServer, user: string, password: string, forwardedFor?: string): Promise<number> {
  const q = new URLSearchParams({ service: new URL(server.url).host, scope: "repository:library/app:pull" });
  const headers: Record<string, string> = { Authorization: basicAuth(user, password) };
  if (forwardedFor) headers["X-Forwarded-For"] = forwardedFor;
  const res = await fetch(`${server.url}/v2/auth?${q}`, { headers });
  await res.arrayBuffer();
  return res.status;
}

function tally(statuses: number[]): Record<number, number> {
  const out: Record<number, number> = {};
  for (const s of statuses) out[s] = (out[s] ?? 0) + 1;
  return out;
}

describe("concurrent guessing is counted before the checks run", () => {
  test("60 concurrent wrong passwords for one account at /v2/auth: 4 real checks (401), 56 × 429", async () => {
    const statuses = await Promise.all(Array.from({ length: 60 }, (_, i) => v2auth(direct, "bob", `wrong-${i}`)));
    expect(tally(statuses)).toEqual({ 401: 4, 429: 56 });
  });

  test("the same burst at /api/v1/signin: 4 real checks (403), 56 × 429", async () => {
    const c = new V1Client(direct.url);
    await c.fetchCsrf();
    const statuses = await Promise.all(
      Array.from({ length: 60 }, async (_, i) => (await c.fetch("/api/v1/signin", { json: { username: "bob", password: `wrong-${i}` } })).status),
    );
    expect(tally(statuses)).toEqual({ 403: 4, 429: 56 });
  });

  // Found by the load test (test/e2e/load.test.ts): 200 clients logging in at once as one account
  // from one address were refused with 429 but four, though every password was right.
  test("60 concurrent right passwords for one account from one address: all 200 (one check)", async () => {
    direct.server.ctx.auth!.authenticator.cache.clear();
    const statuses = await Promise.all(Array.from({ length: 60 }, () => v2auth(direct, "bob", PASSWORDS.bob)));
    expect(tally(statuses)).toEqual({ 200: 60 });
  });

  test("60 concurrent copies of one wrong password: one check, 60 × 401, one failure counted", async () => {
    const statuses = await Promise.all(Array.from({ length: 60 }, () => v2auth(direct, "bob", "wrong-same")));
    expect(tally(statuses)).toEqual({ 401: 60 });
    // Three free failures per pair: two more distinct guesses are still checked.
    expect([await v2auth(direct, "bob", "wrong-a"), await v2auth(direct, "bob", "wrong-b")]).toEqual([401, 401]);
  });

  test("a 150-request burst from one address across 150 accounts: 11 real checks", async () => {
    const statuses = await Promise.all(Array.from({ length: 150 }, (_, i) => v2auth(direct, `user${i}`, "wrong-password")));
    expect(tally(statuses)).toEqual({ 401: 11, 429: 139 });
  });
});

describe("someone else's failures never lock the owner out", () => {
  const ATTACKER = "198.51.100.66";
  const OWNER = "203.0.113.5";

  test("an attacker failing from another address: the owner's right password keeps working", async () => {
    for (let round = 0; round < 2; round++) {
      // The attacker is turned away after its free guesses…
      const attacker = [];
      for (let i = 0; i < 5; i++) attacker.push(await v2auth(proxied, "bob", `guess-${round}-${i}`, ATTACKER));
      expect(attacker.at(-1)).toBe(429);
      // …and the owner, elsewhere, is not.
      expect(await v2auth(proxied, "bob", PASSWORDS.bob, OWNER)).toBe(200);
      const c = new V1Client(proxied.url);
      await c.fetchCsrf();
      const signin = await c.fetch("/api/v1/signin", { json: { username: "bob", password: PASSWORDS.bob }, headers: { "X-Forwarded-For": OWNER } });
      expect(signin.status).toBe(200);
    }
  });

  test("guesses spread over many addresses slow the account down but never refuse the owner", async () => {
    const guesses = await Promise.all(Array.from({ length: 6 }, (_, i) => v2auth(proxied, "dora", `guess-${i}`, `198.51.100.${i % 3}`)));
    expect(tally(guesses)).toEqual({ 401: 6 }); // two from each address, each a real (slowed) check
    const started = performance.now();
    expect(await v2auth(proxied, "dora", PASSWORDS.dora, OWNER)).toBe(200);
    const took = performance.now() - started;
    expect(took).toBeGreaterThanOrEqual(ACCOUNT_DELAY_MS / 2); // slowed…
    expect(took).toBeLessThan(ACCOUNT_DELAY_MS + 1500); // …by at most the account delay
  });

  test("a cached success is not delayed by the account's attackers", async () => {
    expect(await v2auth(proxied, "carol", PASSWORDS.carol, OWNER)).toBe(200); // remembered for 60 s
    await Promise.all(Array.from({ length: 6 }, (_, i) => v2auth(proxied, "carol", `guess-${i}`, `198.51.100.${i % 3}`)));
    const started = performance.now();
    expect(await v2auth(proxied, "carol", PASSWORDS.carol, OWNER)).toBe(200);
    expect(performance.now() - started).toBeLessThan(ACCOUNT_DELAY_MS / 2);
  });
});

describe("one account, one counter", () => {
  test("alternating username and email buys no extra guesses", async () => {
    const statuses = [];
    for (const name of ["carol", "carol@example.com", "carol", "carol@example.com", "carol", "carol@example.com"]) {
      statuses.push(await v2auth(direct, name, "wrong-password"));
    }
    expect(statuses).toEqual([401, 401, 401, 401, 429, 429]);
    // It is the account's counter that stops them, not the address's: another account is fine.
    expect(await v2auth(direct, "dora", "wrong-password")).toBe(401);
  });

  test("signin/verify counts towards the same counter", async () => {
    const c = new V1Client(direct.url);
    await c.signin("carol", PASSWORDS.carol);
    const statuses = [];
    for (let i = 0; i < 4; i++) statuses.push((await c.fetch("/api/v1/signin/verify", { json: { password: `wrong-${i}` } })).status);
    expect(statuses).toEqual([403, 403, 403, 403]);
    expect(await v2auth(direct, "carol@example.com", PASSWORDS.carol)).toBe(429);
    expect(await v2auth(direct, "dora", PASSWORDS.dora)).toBe(200);
  });
});

describe("logins by email", () => {
  test("a password change ends the cached login by email too", async () => {
    const { stores } = direct.server.ctx;
    expect(await v2auth(direct, "bob@example.com", PASSWORDS.bob)).toBe(200); // now cached
    const bob = (await stores.users.byName("bob"))!;
    const oldHash = bob.passwordHash!;
    await stores.users.setPassword(bob.id, await hashPassword("bob-New-Secret-2"));
    direct.server.ctx.authenticator.forget("bob"); // what PUT /api/v1/user/ does
    try {
      expect(await v2auth(direct, "bob@example.com", PASSWORDS.bob)).toBe(401);
    } finally {
      await stores.users.setPassword(bob.id, oldHash);
      direct.server.ctx.authenticator.forget("bob");
    }
  });
});

describe("X-Forwarded-For", () => {
  test("without trusted proxies it is ignored: a new header per guess gets no new guesses", async () => {
    const statuses = [];
    for (let i = 0; i < 6; i++) statuses.push(await v2auth(direct, "bob", `wrong-${i}`, `192.0.2.${i}`));
    expect(statuses).toEqual([401, 401, 401, 401, 429, 429]);
  });

  test("behind a trusted proxy each client address has its own counter", async () => {
    const statuses = [];
    for (let i = 0; i < 5; i++) statuses.push(await v2auth(proxied, "bob", `wrong-${i}`, `192.0.2.${i}`));
    expect(statuses).toEqual([401, 401, 401, 401, 401]);
  });

  test("behind a trusted proxy, what the client wrote left of the proxy's entry is not believed", async () => {
    const statuses = [];
    for (let i = 0; i < 6; i++) statuses.push(await v2auth(proxied, "bob", `wrong-${i}`, `192.0.2.${i}, 198.51.100.9`));
    expect(statuses).toEqual([401, 401, 401, 401, 429, 429]);
  });
});
