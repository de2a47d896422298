// API v1 sessions in process (reference quay-api.md §1.2–1.5, §1.7, §2.1): the signed session
// cookie, CSRF, sign-in and its refusals, the backoff, the current-user view, verify and sign-out.
import { beforeAll, describe, expect, setSystemTime, test } from "bun:test";
import { basicAuth } from "../support/registryClient";
import { appTokenLookup, hashAppTokenCode, newAppTokenCode } from "../../src/auth/appTokenCode";
import { orgAdd, robotAdd, userSetEnabled } from "../../src/cli/accounts";
import type { Stores } from "../../src/store";
import type { UserRow } from "../../src/store/meta/users";
import { startTestServer, type TestServer } from "../support/server";
import { expectCsrfError, expectJson, expectProblem, SESSION_COOKIE, signedIn, V1Client } from "../support/v1Client";
import { worldForFile } from "../support/world";

const ADMIN_PASSWORD = "admin-Secret-1";
const PASSWORDS = { alice: "alice-Secret-1", bob: "bob-Secret-1", carol: "carol-Secret-1", dave: "dave-Secret-1" } as const;
const INVALID_CREDENTIALS = { message: "Invalid Username or Password", invalidCredentials: true };

const world = worldForFile({ server: { adminPassword: ADMIN_PASSWORD }, users: PASSWORDS });
let server: TestServer;
let stores: Stores;
const users: Record<string, UserRow> = {};
beforeAll(() => {
  ({ server, stores } = world);
  Object.assign(users, world.users);
});

const client = () => new V1Client(server.url);

/** `<json>.<signature>` → its parts (the cookie is URL-decoded first). */
function splitSigned(value: string): { json: string; signature: string } {
  const dot = value.lastIndexOf(".");
  return { json: value.slice(0, dot), signature: value.slice(dot + 1) };
}

function sessionSetCookie(res: Response): string | undefined {
  return res.headers.getSetCookie().find((c) => c.startsWith(`${SESSION_COOKIE}=`));
}

describe("GET /csrf_token", () => {
  test("creates a signed session cookie holding the token", async () => {
    const c = client();
    const res = await c.fetch("/csrf_token");
    const body = await expectJson<{ csrf_token: string }>(res, 200);
    expect(Object.keys(body)).toEqual(["csrf_token"]);
    expect(body.csrf_token).toMatch(/^[A-Za-z0-9_-]{64}$/);

    const header = sessionSetCookie(res)!;
    expect(header).toBeDefined();
    expect(header).toMatch(/; HttpOnly/i);
    expect(header).toMatch(/; SameSite=Lax/i);
    expect(header).toMatch(/; Path=\//);
    expect(header).toMatch(/; Max-Age=2678400/); // 31 days, Quay's SESSION_TIMEOUT
    expect(header).not.toMatch(/; Secure/i); // plain http

    const value = c.session()!;
    expect(value).toMatch(/\.[A-Za-z0-9+/]{43}$/); // HMAC-SHA256, base64 without padding
    const { json } = splitSigned(value);
    expect(JSON.parse(json)).toEqual({ c: body.csrf_token });
  });

  test("the session's lifetime is configurable (sessionLifetimeSeconds)", async () => {
    const short = await startTestServer({ sessionLifetimeSeconds: "3600" });
    try {
      const res = await fetch(`${short.url}/csrf_token`);
      expect(res.headers.getSetCookie().find((h) => h.startsWith(`${SESSION_COOKIE}=`))).toMatch(/; Max-Age=3600/);
    } finally {
      await short.stop();
    }
  });

  test("the server ends a login after sessionLifetimeSeconds, whatever the browser keeps", async () => {
    // Security review (issue 8): with a 60 s lifetime a kept cookie still worked after 75 s.
    const short = await startTestServer({ sessionLifetimeSeconds: "60" }, { adminPassword: ADMIN_PASSWORD });
    try {
      const c = await signedIn(short.url, "admin", ADMIN_PASSWORD);
      const at = (ms: number) => setSystemTime(new Date(Date.now() + ms));
      try {
        at(59_000);
        expect((await expectJson(await c.get("/api/v1/user/"), 200)).username).toBe("admin");
        at(75_000);
        await expectProblem(await c.get("/api/v1/user/"), 401, "invalid_token");
        // Nor does it write, even with its CSRF token: the expired session's token went with it.
        const write = await c.post("/api/v1/repository", { repository: "late", visibility: "private", description: "" });
        expect(write.status).toBe(403);
      } finally {
        setSystemTime();
      }
      expect((await short.server.ctx.stores.repositories.find("admin/late"))).toBeUndefined();
    } finally {
      await short.stop();
    }
  });

  test("keeps the token while the session lasts", async () => {
    const c = client();
    const first = await c.fetchCsrf();
    expect(await c.fetchCsrf()).toBe(first);
    expect(await client().fetchCsrf()).not.toBe(first);
  });
});

describe("POST /api/v1/signin", () => {
  test("without a CSRF token: 403 in Quay's {error} shape", async () => {
    // No session at all.
    await expectCsrfError(await client().post("/api/v1/signin", { username: "alice", password: PASSWORDS.alice }));
    // A session, but no header.
    const c = client();
    await c.fetchCsrf();
    await expectCsrfError(await c.post("/api/v1/signin", { username: "alice", password: PASSWORDS.alice }, { csrf: false }));
    // A wrong token.
    await expectCsrfError(await c.post("/api/v1/signin", { username: "alice", password: PASSWORDS.alice }, { csrf: "x".repeat(64) }));
    // Another session's token.
    const other = await client().fetchCsrf();
    await expectCsrfError(await c.post("/api/v1/signin", { username: "alice", password: PASSWORDS.alice }, { csrf: other }));
    // The token without its session cookie.
    await expectCsrfError(await c.post("/api/v1/signin", { username: "alice", password: PASSWORDS.alice }, { cookies: false }));
    // Still signed out.
    await expectProblem(await c.get("/api/v1/user/"), 401, "invalid_token");
  });

  test("the token may come as the _csrf_token parameter", async () => {
    const c = client();
    const token = await c.fetchCsrf();
    const res = await c.post(`/api/v1/signin?_csrf_token=${token}`, { username: "alice", password: PASSWORDS.alice }, { csrf: false });
    expect(await expectJson(res, 200)).toEqual({ success: true });
  });

  test("a wrong password: 403 with invalidCredentials", async () => {
    const c = client();
    const res = await c.signinRaw("alice", "wrong-Password-1");
    expect(await expectJson(res, 403)).toEqual({ ...INVALID_CREDENTIALS, needsEmailVerification: false });
    expect(res.headers.get("x-next-csrf-token")).toBeNull();
    // So does an unknown user, with the same answer.
    expect(await expectJson(await c.signinRaw("nobody", "wrong-Password-1"), 403)).toEqual({ ...INVALID_CREDENTIALS, needsEmailVerification: false });
    await expectProblem(await c.get("/api/v1/user/"), 401, "invalid_token");
  });

  test("a body without a password: 400 naming the field", async () => {
    const c = client();
    await c.fetchCsrf();
    const body = await expectProblem(await c.post("/api/v1/signin", { username: "alice" }), 400, "invalid_request", /password/);
    expect(body.field).toBe("password");
    await expectProblem(await c.fetch("/api/v1/signin", { method: "POST", body: "{nope", headers: { "Content-Type": "application/json" } }), 400, "invalid_request");
  });

  test("success: {success: true}, a new CSRF token, and the old one stops working", async () => {
    const c = client();
    const before = await c.fetchCsrf();
    const cookieBefore = c.session();
    const res = await c.signinRaw("alice", PASSWORDS.alice);
    expect(await expectJson(res, 200)).toEqual({ success: true });
    const next = res.headers.get("x-next-csrf-token");
    expect(next).toMatch(/^[A-Za-z0-9_-]{64}$/);
    expect(next).not.toBe(before);
    expect(sessionSetCookie(res)).toBeDefined();
    expect(c.session()).not.toBe(cookieBefore);

    const me = await expectJson(await c.get("/api/v1/user/"), 200);
    expect(me.username).toBe("alice");
    // GET /csrf_token now answers the new token.
    expect(await c.fetchCsrf()).toBe(next!);
    // The pre-login token is refused on writes; the new one works.
    await expectCsrfError(await c.post("/api/v1/repository", { repository: "x", visibility: "private", description: "" }, { csrf: before }));
    await expectCsrfError(await c.post("/api/v1/signout", undefined, { csrf: before }));
    expect((await c.get("/api/v1/user/")).status).toBe(200);
  });

  test("by email address", async () => {
    const c = client();
    expect(await expectJson(await c.signinRaw("bob@example.com", PASSWORDS.bob), 200)).toEqual({ success: true });
    expect((await expectJson(await c.get("/api/v1/user/"), 200)).username).toBe("bob");
  });

  test("robot tokens and app-specific tokens are for the registry only", async () => {
    const robotToken = await robotAdd(stores, "alice+ci");
    // The credentials are good (the authenticator takes them)...
    const ok = await server.server.ctx.authenticator.authenticate("alice+ci", robotToken, "10.9.9.9");
    expect(ok.ok).toBe(true);
    // ...but API v1 sign-in refuses them like a wrong password.
    const c = client();
    expect(await expectJson(await c.signinRaw("alice+ci", robotToken), 403)).toMatchObject(INVALID_CREDENTIALS);
    const code = newAppTokenCode();
    await stores.appTokens.create(users.alice!.id, "cli", appTokenLookup(code), hashAppTokenCode(code), null);
    expect(await expectJson(await c.signinRaw("$app", code), 403)).toMatchObject(INVALID_CREDENTIALS);
    // Nor is the app token a password for its owner.
    expect(await expectJson(await c.signinRaw("alice", code), 403)).toMatchObject(INVALID_CREDENTIALS);
    await expectProblem(await c.get("/api/v1/user/"), 401, "invalid_token");
  });

  test("organizations cannot sign in", async () => {
    await orgAdd(stores, "signin-org", "alice");
    expect(await expectJson(await client().signinRaw("signin-org", "whatever-1"), 403)).toMatchObject(INVALID_CREDENTIALS);
  });

  test("a disabled user cannot sign in, and a disabled user's session ends", async () => {
    const c = await signedIn(server.url, "carol", PASSWORDS.carol);
    expect((await c.get("/api/v1/user/")).status).toBe(200);
    await userSetEnabled(stores, "carol", false);
    try {
      await expectProblem(await c.get("/api/v1/user/"), 401, "invalid_token");
      expect(await expectJson(await client().signinRaw("carol", PASSWORDS.carol), 403)).toMatchObject(INVALID_CREDENTIALS);
    } finally {
      await userSetEnabled(stores, "carol", true);
    }
    await signedIn(server.url, "carol", PASSWORDS.carol);
  });

  test("five wrong passwords: 429 with Retry-After", async () => {
    const c = client();
    await c.fetchCsrf();
    const statuses: number[] = [];
    let last!: Response;
    for (let i = 0; i < 5; i++) {
      last = await c.signinRaw("dave", `wrong-Password-${i}`);
      statuses.push(last.status);
    }
    expect(statuses).toEqual([403, 403, 403, 403, 429]);
    expect(Number(last.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
    expect(await last.text()).toBe("Too many login attempts.");
    // The right password is refused too while the backoff lasts.
    expect((await c.signinRaw("dave", PASSWORDS.dave)).status).toBe(429);
  });
});

describe("GET /api/v1/user/", () => {
  test("the admin's view, with and without the trailing slash", async () => {
    const c = await signedIn(server.url, "admin", ADMIN_PASSWORD);
    for (const path of ["/api/v1/user/", "/api/v1/user"]) {
      const me = await expectJson(await c.get(path), 200);
      expect(me).toMatchObject({
        anonymous: false,
        username: "admin",
        is_me: true,
        can_create_repo: true,
        verified: true,
        super_user: true,
        // The superusers own the reserved `library` organization.
        organizations: [expect.objectContaining({ name: "library", is_org_admin: true })],
        logins: [],
        prompts: [],
        has_password_set: true,
      });
      expect(me.avatar).toMatchObject({ name: "admin", kind: "user" });
      expect(me.avatar.hash).toMatch(/^[0-9a-f]{64}$/);
      expect(me.avatar.color).toMatch(/^#[0-9a-f]{6}$/);
      expect(me.global_readonly_super_user).toBeUndefined();
    }
  });

  test("a user's view lists organizations and has no super_user key", async () => {
    await orgAdd(stores, "acme", "bob");
    const ns = (await stores.orgs.namespace("acme"))!;
    const team = await stores.teams.setTeam(ns.id, "readers", "member");
    await stores.teams.addMember(team, { userId: users.alice!.id });

    const bob = await expectJson(await (await signedIn(server.url, "bob", PASSWORDS.bob)).get("/api/v1/user/"), 200);
    expect(bob.username).toBe("bob");
    expect(bob.email).toBe("bob@example.com");
    expect(bob.avatar.hash).toBe(new Bun.CryptoHasher("sha256").update("bob@example.com").digest("hex"));
    expect(bob.super_user).toBeUndefined();
    expect(bob.organizations).toEqual([
      { name: "acme", avatar: expect.objectContaining({ name: "acme", kind: "org" }), can_create_repo: true, public: false, is_org_admin: true, preferred_namespace: false },
    ]);

    const alice = await expectJson(await (await signedIn(server.url, "alice", PASSWORDS.alice)).get("/api/v1/user/"), 200);
    expect(alice.organizations).toContainEqual(expect.objectContaining({ name: "acme", can_create_repo: false, is_org_admin: false }));
  });

  test("anonymous: 401 invalid_token with session_required false", async () => {
    for (const c of [client(), await (async () => {
      const c = client();
      await c.fetchCsrf(); // an anonymous session is still anonymous
      return c;
    })()]) {
      const body = await expectProblem(await c.get("/api/v1/user/"), 401, "invalid_token", "Requires authentication");
      expect(body.session_required).toBe(false);
    }
  });

  test("Basic auth is not accepted on API v1", async () => {
    const res = await client().get("/api/v1/user/", { headers: { Authorization: basicAuth("admin", ADMIN_PASSWORD) } });
    const body = await expectProblem(res, 401, "invalid_token");
    expect(body.session_required).toBe(false);
    // A write with Basic auth and no session is a CSRF failure, not a login.
    await expectCsrfError(
      await client().post("/api/v1/repository", { repository: "basic", visibility: "private", description: "" }, { headers: { Authorization: basicAuth("admin", ADMIN_PASSWORD) } }),
    );
    expect((await stores.repositories.find("admin/basic"))).toBeUndefined();
  });

  test("a tampered session cookie: 401 and the cookie is cleared", async () => {
    const c = await signedIn(server.url, "alice", PASSWORDS.alice);
    const { json, signature } = splitSigned(c.session()!);
    const data = JSON.parse(json);
    const admin = (await stores.users.byName("admin"))!;

    const forgeries = {
      "another user's uuid under alice's signature": `${JSON.stringify({ ...data, u: admin.uuid })}.${signature}`,
      "unsigned JSON": JSON.stringify({ u: admin.uuid, t: Date.now(), c: "x" }),
      "a wrong signature": `${JSON.stringify({ u: admin.uuid, t: Date.now(), c: "x" })}.${"A".repeat(43)}`,
      "a signature by another secret": `${json}.${Buffer.from(new Bun.CryptoHasher("sha256", "not-the-secret").update(json).digest()).toString("base64").replace(/=+$/, "")}`,
      "garbage": "garbage",
    };
    for (const [what, value] of Object.entries(forgeries)) {
      const forged = client();
      forged.jar.set(SESSION_COOKIE, encodeURIComponent(value));
      const res = await forged.get("/api/v1/user/");
      const cleared = sessionSetCookie(res);
      const body = await expectProblem(res, 401, "invalid_token");
      expect({ what, detail: body.detail }).toEqual({ what, detail: "Invalid session; sign in again" });
      expect({ what, cleared }).toEqual({ what, cleared: expect.stringMatching(/^_csrf_token=; .*Max-Age=0/) });
      expect(forged.session()).toBeUndefined();
      // A write with it fails too, and creates nothing.
      forged.jar.set(SESSION_COOKIE, encodeURIComponent(value));
      const write = await forged.post("/api/v1/repository", { repository: "forged", visibility: "private", description: "" }, { csrf: "x" });
      expect({ what, status: write.status }).toEqual({ what, status: 401 });
    }
    expect((await stores.repositories.find("admin/forged"))).toBeUndefined();
    // The genuine cookie still works.
    expect((await expectJson(await c.get("/api/v1/user/"), 200)).username).toBe("alice");
  });

  test("a tampered cookie does not break /v2 or /health", async () => {
    const headers = { Cookie: `${SESSION_COOKIE}=${encodeURIComponent('{"u":"x"}.AAAA')}` };
    expect((await fetch(`${server.url}/v2/`, { headers })).status).toBe(200);
    expect((await fetch(`${server.url}/health/instance`, { headers })).status).toBe(200);
  });
});

describe("GET /api/v1/users/<name>", () => {
  test("the limited view, to anyone", async () => {
    const body = await expectJson(await client().get("/api/v1/users/alice"), 200);
    expect(body).toEqual({
      anonymous: false,
      username: "alice",
      avatar: { name: "alice", hash: expect.stringMatching(/^[0-9a-f]{64}$/), color: expect.stringMatching(/^#/), kind: "user" },
    });
  });

  test("unknown: 404", async () => {
    await expectProblem(await client().get("/api/v1/users/nobody-here"), 404, "not_found");
  });
});

describe("POST /api/v1/signin/verify", () => {
  test("renews the login with a new CSRF token", async () => {
    const c = await signedIn(server.url, "alice", PASSWORDS.alice);
    const before = c.csrfToken!;
    const loginTime = JSON.parse(splitSigned(c.session()!).json).t as number;
    await Bun.sleep(5);
    const res = await c.post("/api/v1/signin/verify", { password: PASSWORDS.alice });
    expect(await expectJson(res, 200)).toEqual({ success: true });
    const next = res.headers.get("x-next-csrf-token");
    expect(next).toMatch(/^[A-Za-z0-9_-]{64}$/);
    expect(next).not.toBe(before);
    expect(JSON.parse(splitSigned(c.session()!).json).t).toBeGreaterThan(loginTime);
    await expectCsrfError(await c.post("/api/v1/signin/verify", { password: PASSWORDS.alice }, { csrf: before }));
    expect((await expectJson(await c.get("/api/v1/user/"), 200)).username).toBe("alice");
  });

  test("a wrong password: 403 with invalidCredentials, the session stays", async () => {
    const c = await signedIn(server.url, "alice", PASSWORDS.alice);
    const token = c.csrfToken;
    const res = await c.post("/api/v1/signin/verify", { password: "wrong-Password-1" });
    expect(await expectJson(res, 403)).toMatchObject(INVALID_CREDENTIALS);
    expect(res.headers.get("x-next-csrf-token")).toBeNull();
    expect(c.csrfToken).toBe(token);
    expect((await c.get("/api/v1/user/")).status).toBe(200);
  });

  test("wrong passwords there count towards the backoff", async () => {
    const c = await signedIn(server.url, "dave", PASSWORDS.dave);
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) statuses.push((await c.post("/api/v1/signin/verify", { password: `wrong-Password-${i}` })).status);
    expect(statuses).toEqual([403, 403, 403, 403, 429]);
  });

  test("anonymous: 401", async () => {
    const c = client();
    await c.fetchCsrf();
    await expectProblem(await c.post("/api/v1/signin/verify", { password: PASSWORDS.alice }), 401, "invalid_token");
  });
});

describe("POST /api/v1/signout", () => {
  test("ends every session of the user", async () => {
    const one = await signedIn(server.url, "bob", PASSWORDS.bob);
    const two = await signedIn(server.url, "bob", PASSWORDS.bob);
    const alice = await signedIn(server.url, "alice", PASSWORDS.alice);
    expect((await two.get("/api/v1/user/")).status).toBe(200);

    const res = await one.post("/api/v1/signout");
    expect(await expectJson(res, 200)).toEqual({ success: true });
    expect(sessionSetCookie(res)).toMatch(/Max-Age=0/);
    expect(one.session()).toBeUndefined();

    await expectProblem(await one.get("/api/v1/user/"), 401, "invalid_token");
    await expectProblem(await two.get("/api/v1/user/"), 401, "invalid_token");
    // The old cookie, replayed, is dead too.
    const replay = client();
    for (const [k, v] of two.jar) replay.jar.set(k, v);
    await expectProblem(await replay.get("/api/v1/user/"), 401, "invalid_token");
    // Other users are not affected.
    expect((await alice.get("/api/v1/user/")).status).toBe(200);
  });

  test("signing in again right after signing out works", async () => {
    const c = await signedIn(server.url, "bob", PASSWORDS.bob);
    expect((await c.post("/api/v1/signout")).status).toBe(200);
    await c.signin("bob", PASSWORDS.bob);
    expect((await expectJson(await c.get("/api/v1/user/"), 200)).username).toBe("bob");
  });

  test("needs the CSRF token", async () => {
    const c = await signedIn(server.url, "bob", PASSWORDS.bob);
    await expectCsrfError(await c.post("/api/v1/signout", undefined, { csrf: false }));
    expect((await c.get("/api/v1/user/")).status).toBe(200);
  });

  test("anonymous: success, nothing to end", async () => {
    const c = client();
    await c.fetchCsrf();
    expect(await expectJson(await c.post("/api/v1/signout"), 200)).toEqual({ success: true });
  });
});

describe("unknown API v1 paths", () => {
  test("404 in the problem shape", async () => {
    await expectProblem(await client().get("/api/v1/nothing-here"), 404, "not_found");
  });
});
