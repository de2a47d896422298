// OAuth for scripts (reference quay-api.md §1.3, §2.2 applications, §3.4): org applications,
// the implicit grant at /oauth/authorizeapp, assigned authorizations, and bearer tokens that skip
// CSRF and fresh login but are capped by their scopes.
import { beforeAll, describe, expect, test } from "bun:test";
import type { Stores } from "../../src/store";
import type { UserRow } from "../../src/store/meta/users";
import type { TestServer } from "../support/server";
import { ageLogin, expectCsrfError, expectJson, expectProblem, signedIn, V1Client } from "../support/v1Client";
import { findOAuthToken } from "../../src/auth/oauthTokenCode";
import { worldForFile } from "../support/world";

const PASSWORDS = { owner: "owner-Secret-1", member: "member-Secret-1", other: "other-Secret-1" } as const;
const REDIRECT = "https://tool.example/callback";

const world = worldForFile({ config: { auth: "token" }, users: PASSWORDS });
let server: TestServer;
let stores: Stores;
const users: Record<string, UserRow> = {};
beforeAll(() => {
  ({ server, stores } = world);
  Object.assign(users, world.users);
});

const as = (name: keyof typeof PASSWORDS) => signedIn(server.url, name, PASSWORDS[name]);
const uniq = () => crypto.randomUUID().slice(0, 8);
const bearer = (token: string, init: RequestInit = {}) => ({ ...init, headers: { ...(init.headers as Record<string, string>), Authorization: `Bearer ${token}` } });
const api = (path: string, init?: RequestInit) => fetch(`${server.url}${path}`, { redirect: "manual", ...init });

/** An org of owner's with member in a plain team, and one application; returns the client id. */
async function orgWithApp(): Promise<{ org: string; owner: V1Client; app: any }> {
  const owner = await as("owner");
  const org = `org${uniq()}`;
  await expectJson(await owner.post("/api/v1/organization/", { name: org }), 201);
  await expectJson(await owner.put(`/api/v1/organization/${org}/team/devs`, { role: "member" }), 200);
  await expectJson(await owner.put(`/api/v1/organization/${org}/team/devs/members/member`), 200);
  const app = await expectJson(await owner.post(`/api/v1/organization/${org}/applications`, { name: "ci-bot", redirect_uri: REDIRECT, description: "CI" }), 200);
  return { org, owner, app };
}

/** Submits the authorize form as a signed-in browser would (form fields incl. _csrf_token). */
async function authorize(client: V1Client, fields: Record<string, string>, csrf: string | undefined = client.csrfToken): Promise<Response> {
  const form = new URLSearchParams({ response_type: "token", redirect_uri: REDIRECT, ...fields, ...(csrf ? { _csrf_token: csrf } : {}) });
  return client.fetch("/oauth/authorizeapp", {
    method: "POST",
    body: form.toString(),
    headers: { "Content-Type": "application/x-www-form-urlencoded" },
    csrf: false,
  });
}

function fragment(res: Response): URLSearchParams {
  expect(res.status).toBe(302);
  const location = res.headers.get("location")!;
  return new URLSearchParams(location.slice(location.indexOf("#") + 1));
}

async function tokenFor(client: V1Client, clientId: string, scope: string): Promise<string> {
  const res = await authorize(client, { client_id: clientId, scope });
  expect(res.headers.get("location")!.startsWith(`${REDIRECT}#`)).toBe(true);
  const f = fragment(res);
  expect(f.get("token_type")).toBe("Bearer");
  expect(Number(f.get("expires_in"))).toBeGreaterThan(0);
  return f.get("access_token")!;
}

describe("organization applications", () => {
  test("admins create, list, read, update, reset the secret and delete", async () => {
    const { org, owner, app } = await orgWithApp();
    expect(app).toMatchObject({ name: "ci-bot", redirect_uri: REDIRECT, description: "CI", application_uri: "" });
    expect(app.client_id).toMatch(/^[A-Z0-9]{20}$/);
    expect(app.client_secret).toMatch(/^[A-Z0-9]{40}$/);
    const base = `/api/v1/organization/${org}/applications`;
    expect((await expectJson(await owner.get(base), 200)).applications.map((a: any) => a.client_id)).toEqual([app.client_id]);
    expect(await expectJson(await owner.get(`${base}/${app.client_id}`), 200)).toEqual(app);
    const updated = await expectJson(await owner.put(`${base}/${app.client_id}`, { name: "ci", redirect_uri: REDIRECT, application_uri: "https://tool.example" }), 200);
    expect(updated).toMatchObject({ name: "ci", application_uri: "https://tool.example", client_secret: app.client_secret });
    const reset = await expectJson(await owner.post(`${base}/${app.client_id}/resetclientsecret`), 200);
    expect(reset.client_secret).not.toBe(app.client_secret);
    expect((await owner.delete(`${base}/${app.client_id}`)).status).toBe(204);
    await expectProblem(await owner.get(`${base}/${app.client_id}`), 404, "not_found");
  });

  test("401 anonymous, 403 for a member, 400 naming the field, CSRF refused", async () => {
    const { org, owner, app } = await orgWithApp();
    const base = `/api/v1/organization/${org}/applications`;
    await expectProblem(await api(base), 401, "invalid_token");
    const member = await as("member");
    await expectProblem(await member.get(base), 403, "insufficient_scope");
    await expectProblem(await member.get(`${base}/${app.client_id}`), 403, "insufficient_scope");
    expect((await expectProblem(await owner.post(base, { description: "no name" }), 400, "invalid_request")).field).toBe("name");
    expect((await expectProblem(await owner.post(base, { name: "x", redirect_uri: "ftp://x" }), 400, "invalid_request")).field).toBe("redirect_uri");
    expect((await expectProblem(await owner.put(`${base}/${app.client_id}`, { name: "x" }), 400, "invalid_request")).field).toBe("redirect_uri");
    await expectCsrfError(await owner.post(base, { name: "x" }, { csrf: false }));
  });
});

describe("POST /oauth/authorizeapp (implicit grant)", () => {
  test("a signed-in user gets a token in the fragment; it acts as that user within its scopes, without CSRF", async () => {
    const { app } = await orgWithApp();
    const member = await as("member");
    const token = await tokenFor(member, app.client_id, "repo:read repo:create user:read");
    // No cookie, no CSRF token: the bearer alone.
    expect((await expectJson(await api("/api/v1/user/", bearer(token)), 200)).username).toBe("member");
    const created = await api("/api/v1/repository", bearer(token, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ repository: `r${uniq()}`, visibility: "private", description: "" }) }));
    const repo = await expectJson(created, 201);
    const path = `/api/v1/repository/member/${repo.name}`;
    expect((await expectJson(await api(path, bearer(token)), 200)).can_admin).toBe(true);
    // The user could change it; the token (repo:read) may not.
    await expectProblem(await api(path, bearer(token, { method: "PUT", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ description: "x" }) })), 403, "insufficient_scope");
    await expectProblem(await api(path, bearer(token, { method: "DELETE" })), 403, "insufficient_scope");
    // Without user:admin, no account changes, even though tokens skip fresh login.
    await expectProblem(await api("/api/v1/user/robots", bearer(token)), 403, "insufficient_scope");
  });

  test("tokens skip fresh login; org:admin scope reaches org administration", async () => {
    const { org, owner, app } = await orgWithApp();
    const token = await tokenFor(owner, app.client_id, "org:admin user:admin");
    await ageLogin(owner, server.server.ctx.cookieSecrets[0]!, 11 * 60 * 1000);
    await expectProblem(await owner.put("/api/v1/user/", { company: "session" }), 401, "fresh_login_required");
    const put = await api("/api/v1/user/", bearer(token, { method: "PUT", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ company: "token" }) }));
    expect((await expectJson(put, 200)).company).toBe("token");
    expect((await expectJson(await api(`/api/v1/organization/${org}/members`, bearer(token)), 200)).members.map((m: any) => m.name).sort()).toEqual(["member", "owner"]);
    const robot = await api(`/api/v1/user/robots/bot${uniq()}`, bearer(token, { method: "PUT" }));
    expect(robot.status).toBe(201);
  });

  test("an invalid or revoked bearer is anonymous: no fallback to the session cookie", async () => {
    const { app } = await orgWithApp();
    const member = await as("member");
    const token = await tokenFor(member, app.client_id, "user:read");
    const withCookie = (t: string) => ({ headers: { Cookie: member.cookieHeader(), Authorization: `Bearer ${t}` } });
    expect((await expectJson(await api("/api/v1/user/", withCookie(token)), 200)).username).toBe("member");
    await expectProblem(await api("/api/v1/user/", withCookie("X".repeat(40))), 401, "invalid_token");
    const info = (await stores.oauth.tokens.listForUser(users.member!.id)).at(-1)!;
    expect(await stores.oauth.tokens.revoke(info.uuid)).toBe(true);
    await expectProblem(await api("/api/v1/user/", withCookie(token)), 401, "invalid_token");
  });

  test("deleting the application revokes its tokens", async () => {
    const { org, owner, app } = await orgWithApp();
    const token = await tokenFor(owner, app.client_id, "user:read");
    expect((await api("/api/v1/user/", bearer(token))).status).toBe(200);
    expect((await owner.delete(`/api/v1/organization/${org}/applications/${app.client_id}`)).status).toBe(204);
    expect((await api("/api/v1/user/", bearer(token))).status).toBe(401);
  });

  test("refusals: anonymous 401, CSRF, unknown client, foreign redirect, bad scope, code flow", async () => {
    const { app } = await orgWithApp();
    const anon = new V1Client(server.url);
    await anon.fetchCsrf();
    expect((await authorize(anon, { client_id: app.client_id, scope: "user:read" })).status).toBe(401);
    const member = await as("member");
    const noCsrf = await authorize(member, { client_id: app.client_id, scope: "user:read" }, "wrong");
    await expectCsrfError(noCsrf);
    expect((await authorize(member, { client_id: "NOPE", scope: "user:read" })).status).toBe(404);
    const foreign = await authorize(member, { client_id: app.client_id, scope: "user:read", redirect_uri: "https://tool.example.evil/cb" });
    expect(foreign.status).toBe(302);
    expect(foreign.headers.get("location")).toBe(`${REDIRECT}?error=redirect_uri_mismatch`);
    expect(fragment(await authorize(member, { client_id: app.client_id, scope: "repo:read nonsense" })).get("error")).toBe("invalid_scope");
    expect(fragment(await authorize(member, { client_id: app.client_id, scope: "user:read", response_type: "code" })).get("error")).toBe("unsupported_response_type");
    expect((await stores.oauth.tokens.listForUser(users.member!.id)).filter((t) => t.applicationClientId === app.client_id)).toHaveLength(0);
  });
});

describe("POST /oauth/authorize/assignuser", () => {
  test("an org admin assigns; the user sees it, authorizes it, and it is settled", async () => {
    const { owner, app } = await orgWithApp();
    const q = new URLSearchParams({ client_id: app.client_id, redirect_uri: REDIRECT, scope: "repo:read user:read", username: "other", response_type: "token" });
    expect(await expectJson(await owner.post(`/oauth/authorize/assignuser?${q}`), 200)).toEqual({ message: "Token assigned successfully" });
    const other = await as("other");
    const listed = (await expectJson(await other.get("/api/v1/user/assignedauthorization"), 200)).authorizations;
    expect(listed).toHaveLength(1);
    expect(listed[0]).toMatchObject({ application: { clientId: app.client_id, name: "ci-bot" }, responseType: "token", redirectUri: REDIRECT });
    expect(listed[0].scopes.map((s: any) => s.scope)).toEqual(["repo:read", "user:read"]);
    const token = fragment(await authorize(other, { client_id: app.client_id, scope: "repo:read user:read", assignment_uuid: listed[0].uuid })).get("access_token")!;
    expect((await expectJson(await api("/api/v1/user/", bearer(token)), 200)).username).toBe("other");
    expect((await expectJson(await other.get("/api/v1/user/assignedauthorization"), 200)).authorizations).toEqual([]);
  });

  test("only org admins assign; unknown users and scopes are 400; the user may dismiss", async () => {
    const { owner, app } = await orgWithApp();
    const q = (extra: Record<string, string>) => new URLSearchParams({ client_id: app.client_id, redirect_uri: REDIRECT, scope: "user:read", username: "other", ...extra });
    const member = await as("member");
    await expectProblem(await member.post(`/oauth/authorize/assignuser?${q({})}`), 403, "insufficient_scope");
    expect((await expectProblem(await owner.post(`/oauth/authorize/assignuser?${q({ username: "nobody" })}`), 400, "invalid_request")).field).toBe("username");
    expect((await expectProblem(await owner.post(`/oauth/authorize/assignuser?${q({ scope: "root" })}`), 400, "invalid_request")).field).toBe("scope");
    await expectCsrfError(await owner.post(`/oauth/authorize/assignuser?${q({})}`, undefined, { csrf: false }));
    await expectJson(await owner.post(`/oauth/authorize/assignuser?${q({})}`), 200);
    const other = await as("other");
    const [one] = (await expectJson(await other.get("/api/v1/user/assignedauthorization"), 200)).authorizations;
    expect((await other.delete(`/api/v1/user/assignedauthorization/${one.uuid}`)).status).toBe(204);
    await expectProblem(await other.delete(`/api/v1/user/assignedauthorization/${one.uuid}`), 404, "not_found");
  });
});

describe("/api/v1/user/authorizations (the applications a user authorized)", () => {
  test("lists each token with its application, organization and Quay's scope information; revoking stops the token", async () => {
    const { org, app } = await orgWithApp();
    const other = await as("other");
    const token = await tokenFor(other, app.client_id, "repo:read user:admin");
    // A CLI token is no authorization of an application: not listed.
    const cli = await server.server.ctx.oauth.mint(users.other!.id, "user:read");
    if (!cli.ok) throw new Error(cli.message);

    const listed = (await expectJson(await other.get("/api/v1/user/authorizations"), 200)).authorizations;
    const mine = listed.filter((a: any) => a.application.organization.name === org);
    expect(mine).toEqual([
      {
        uuid: expect.stringMatching(/^[0-9a-f-]{36}$/),
        application: {
          name: "ci-bot",
          description: "CI",
          url: "",
          avatar: expect.objectContaining({ name: "ci-bot", kind: "app" }),
          organization: { name: org, avatar: expect.objectContaining({ name: org, kind: "org" }) },
        },
        scopes: [
          { scope: "repo:read", title: "View all visible repositories", description: expect.any(String), icon: "fa-hdd-o", dangerous: false },
          { scope: "user:admin", title: "Administer User", description: expect.any(String), icon: "fa-gear", dangerous: true },
        ],
      },
    ]);
    const { uuid } = mine[0];
    expect(listed.map((a: any) => a.uuid)).not.toContain((await findOAuthToken(stores.oauth.tokens, cli.token))!.uuid);
    expect(await expectJson(await other.get(`/api/v1/user/authorizations/${uuid}`), 200)).toEqual(mine[0]);

    // Another user neither reads nor revokes it.
    const member = await as("member");
    await expectProblem(await member.get(`/api/v1/user/authorizations/${uuid}`), 404, "not_found");
    await expectProblem(await member.delete(`/api/v1/user/authorizations/${uuid}`), 404, "not_found");
    await expectCsrfError(await other.delete(`/api/v1/user/authorizations/${uuid}`, { csrf: false }));
    expect((await api("/api/v1/user/", bearer(token))).status).toBe(200);

    expect((await other.delete(`/api/v1/user/authorizations/${uuid}`)).status).toBe(204);
    await expectProblem(await api("/api/v1/user/", bearer(token)), 401, "invalid_token");
    await expectProblem(await other.get(`/api/v1/user/authorizations/${uuid}`), 404, "not_found");
    await expectProblem(await other.delete(`/api/v1/user/authorizations/${uuid}`), 404, "not_found");
    // The CLI token is not reachable here and keeps working.
    await expectProblem(await other.delete(`/api/v1/user/authorizations/${(await findOAuthToken(stores.oauth.tokens, cli.token))!.uuid}`), 404, "not_found");
    expect((await api("/api/v1/user/", bearer(cli.token))).status).toBe(200);
  });

  test("401 anonymous", async () => {
    await expectProblem(await api("/api/v1/user/authorizations"), 401, "invalid_token");
  });
});

describe("tokens from the CLI (berth token create) work the same way", () => {
  test("minted for a user with scopes; capped; unknown scopes refused", async () => {
    const minted = await server.server.ctx.oauth.mint(users.other!.id, "user:read");
    if (!minted.ok) throw new Error(minted.message);
    expect((await expectJson(await api("/api/v1/user/", bearer(minted.token)), 200)).username).toBe("other");
    await expectProblem(await api("/api/v1/repository?public=true", bearer(minted.token)), 403, "insufficient_scope");
    expect((await server.server.ctx.oauth.mint(users.other!.id, "user:read root")).ok).toBe(false);
  });
});

// Security review (issue 8): a bearer token never mints, widens or renews credentials. Each row
// calls a method that would do so with a token holding every scope; the answer is 401 and the
// credentials of everyone involved stay as they were.
describe("bearer tokens never mint, widen or renew credentials", () => {
  const ALL = "repo:read repo:write repo:admin repo:create user:read user:admin org:admin super:user";
  const json = (method: string, body: unknown): RequestInit => ({ method, headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });

  /** What each row must leave alone: tokens, app tokens, assignments, passwords, uuids (sessions), superuser flags. */
  const credentials = async () =>
    Object.fromEntries(
      await Promise.all([users.owner!, users.other!, (await stores.users.byName("admin"))!].map(async (u) => {
        const row = (await stores.users.byId(u.id))!;
        return [
          row.username,
          {
            oauthTokens: (await stores.oauth.tokens.listForUser(row.id)).length,
            appTokens: (await stores.appTokens.listFor(row.id)).length,
            assignments: (await stores.oauth.assignments.listFor(row.id)).length,
            uuid: row.uuid,
            passwordHash: row.passwordHash,
            superuser: row.superuser,
          },
        ];
      })),
    );

  const mint = async (userId: number, scope: string) => {
    const minted = await server.server.ctx.oauth.mint(userId, scope);
    if (!minted.ok) throw new Error(minted.message);
    return minted.token;
  };

  test("a repo:read token cannot authorize an application for more scopes (the reported attack)", async () => {
    const { app } = await orgWithApp();
    const token = await mint(users.member!.id, "repo:read");
    const before = await credentials();
    const tokensBefore = (await stores.oauth.tokens.listForUser(users.member!.id)).length;
    const form = new URLSearchParams({ client_id: app.client_id, redirect_uri: REDIRECT, response_type: "token", scope: ALL });
    const res = await api("/oauth/authorizeapp", bearer(token, { method: "POST", body: form.toString(), headers: { "Content-Type": "application/x-www-form-urlencoded" } }));
    expect((await expectProblem(res, 401, "invalid_token")).session_required).toBe(true);
    expect(res.headers.get("location")).toBeNull();
    expect(await stores.oauth.tokens.listForUser(users.member!.id)).toHaveLength(tokensBefore);
    expect(await credentials()).toEqual(before);
  });

  test("every minting, widening or renewing method refuses a token holding every scope", async () => {
    const { app } = await orgWithApp();
    const owner = await mint(users.owner!.id, ALL);
    const admin = await mint((await stores.users.byName("admin"))!.id, ALL);
    const grant = new URLSearchParams({ client_id: app.client_id, redirect_uri: REDIRECT, response_type: "token", scope: ALL });
    const assign = new URLSearchParams({ client_id: app.client_id, redirect_uri: REDIRECT, response_type: "token", scope: ALL, username: "other" });
    const rows: [string, string, string, RequestInit][] = [
      ["authorize an application (new OAuth token)", owner, "/oauth/authorizeapp", { method: "POST", body: grant.toString(), headers: { "Content-Type": "application/x-www-form-urlencoded" } }],
      ["assign an authorization to another user", owner, `/oauth/authorize/assignuser?${assign}`, { method: "POST" }],
      ["verify the password (a fresh session)", owner, "/api/v1/signin/verify", json("POST", { password: PASSWORDS.owner })],
      ["sign out (ends every session)", owner, "/api/v1/signout", { method: "POST" }],
      ["create an app token (a registry password)", owner, "/api/v1/user/apptoken", json("POST", { title: "from a token" })],
      ["set one's own password", owner, "/api/v1/user/", json("PUT", { password: "taken-Over-1" })],
      ["set another user's password (superuser panel)", admin, "/api/v1/superuser/users/other", json("PUT", { password: "taken-Over-1" })],
      ["make another user a superuser (superuser panel)", admin, "/api/v1/superuser/users/other", json("PUT", { superuser: true })],
    ];
    const outcomes = [];
    for (const [what, token, path, init] of rows) {
      const before = await credentials();
      const res = await api(path, bearer(token, init));
      const body = await res.text();
      outcomes.push({
        what,
        status: res.status,
        sessionRequired: res.status === 401 ? JSON.parse(body).session_required : body,
        cookie: res.headers.getSetCookie().length,
        unchanged: JSON.stringify(await credentials()) === JSON.stringify(before),
      });
    }
    expect(outcomes).toEqual(rows.map(([what]) => ({ what, status: 401, sessionRequired: true, cookie: 0, unchanged: true })));
  });

  test("the same methods still work from a session; tokens keep what Quay scripts use them for", async () => {
    const { org, owner, app } = await orgWithApp();
    expect(fragment(await authorize(owner, { client_id: app.client_id, scope: "user:read" })).get("access_token")).toBeTruthy();
    expect((await owner.post("/api/v1/signin/verify", { password: PASSWORDS.owner })).status).toBe(200);
    expect((await owner.post("/api/v1/user/apptoken", { title: "laptop" })).status).toBe(200);
    // Profile changes, robots (org:admin) and the superuser panel's account creation (Quay's
    // documented bootstrap: user/initialize with access_token, then create users) stay open to tokens.
    const token = await mint(users.owner!.id, "org:admin user:admin");
    expect((await expectJson(await api("/api/v1/user/", bearer(token, json("PUT", { company: "acme" }))), 200)).company).toBe("acme");
    expect((await api(`/api/v1/organization/${org}/robots/bot${uniq()}`, bearer(token, { method: "PUT" }))).status).toBe(201);
    const su = await mint((await stores.users.byName("admin"))!.id, "super:user");
    const made = await expectJson(await api("/api/v1/superuser/users/", bearer(su, json("POST", { username: `new${uniq()}` }))), 200);
    expect(made.password).toMatch(/^[A-Z0-9]{32}$/);
  });
});
