// API v1 app-specific tokens in process (reference quay-api.md §2.9): create over HTTP, log in
// with the code as `$app` at /v2/auth, list, read, revoke; self only, fresh login for changes.
import { beforeAll, describe, expect, test } from "bun:test";
import { registryAuthStatus } from "../support/registryClient";
import { withStaleLogins } from "../support/clock";
import type { TestServer } from "../support/server";
import { expectCsrfError, expectJson, expectProblem, signedIn, V1Client } from "../support/v1Client";
import { worldForFile } from "../support/world";

const PASSWORDS = { ann: "ann-Secret-1", ben: "ben-Secret-1" } as const;

const world = worldForFile({ config: { auth: "token" }, users: PASSWORDS });
let server: TestServer;
beforeAll(() => ({ server } = world));

const as = (name: keyof typeof PASSWORDS) => signedIn(server.url, name, PASSWORDS[name]);

/** Status of GET /v2/auth with `$app` and the code (a pull in the owner's namespace). */
async function appLogin(code: string, owner = "ann"): Promise<number> {
  return registryAuthStatus(server.url, ["$app", code], `repository:${owner}/x:pull`);
}

async function create(c: V1Client, title: string) {
  return (await expectJson(await c.post("/api/v1/user/apptoken", { title }), 200)).token;
}

describe("/api/v1/user/apptoken", () => {
  test("create, log in at /v2/auth, list, get, revoke", async () => {
    const ann = await as("ann");
    const token = await create(ann, "laptop");
    expect(token).toEqual({
      uuid: expect.stringMatching(/^[0-9a-f-]{36}$/),
      title: "laptop",
      last_accessed: null,
      created: expect.stringMatching(/ -0000$/),
      expiration: null,
      token_code: expect.stringMatching(/^[A-Za-z0-9]{120}$/),
    });
    expect(await appLogin(token.token_code)).toBe(200);
    expect(await appLogin(token.token_code.slice(0, -1) + "!")).toBe(401);

    const list = await expectJson(await ann.get("/api/v1/user/apptoken"), 200);
    expect(list.only_expiring).toBeNull();
    const listed = list.tokens.find((t: any) => t.uuid === token.uuid);
    expect(listed).toMatchObject({ title: "laptop", created: token.created, expiration: null });
    expect(listed.token_code).toBeUndefined();
    // The login above was recorded.
    expect(listed.last_accessed).toMatch(/ -0000$/);
    expect(await expectJson(await ann.get("/api/v1/user/apptoken?expiring=true"), 200)).toEqual({ tokens: [], only_expiring: true });

    // The code is shown once: Berth keeps only its hash.
    const one = await expectJson(await ann.get(`/api/v1/user/apptoken/${token.uuid}`), 200);
    expect(one.token).toMatchObject({ uuid: token.uuid, title: "laptop" });
    expect(one.token.token_code).toBeUndefined();

    expect((await ann.delete(`/api/v1/user/apptoken/${token.uuid}`)).status).toBe(204);
    expect(await appLogin(token.token_code)).toBe(401);
    await expectProblem(await ann.get(`/api/v1/user/apptoken/${token.uuid}`), 404, "not_found");
    await expectProblem(await ann.delete(`/api/v1/user/apptoken/${token.uuid}`), 404, "not_found");
  });

  test("a revoked token stops at once even when its login was cached", async () => {
    const ann = await as("ann");
    const token = await create(ann, "ci");
    expect(await appLogin(token.token_code)).toBe(200);
    expect(await appLogin(token.token_code)).toBe(200); // from the credential cache
    expect((await ann.delete(`/api/v1/user/apptoken/${token.uuid}`)).status).toBe(204);
    expect(await appLogin(token.token_code)).toBe(401);
  });

  test("tokens are their owner's: another user sees 404 and cannot revoke", async () => {
    const ann = await as("ann");
    const ben = await as("ben");
    const token = await create(ann, "private");
    const bens = await expectJson(await ben.get("/api/v1/user/apptoken"), 200);
    expect(bens.tokens.map((t: any) => t.uuid)).not.toContain(token.uuid);
    await expectProblem(await ben.get(`/api/v1/user/apptoken/${token.uuid}`), 404, "not_found");
    await expectProblem(await ben.delete(`/api/v1/user/apptoken/${token.uuid}`), 404, "not_found");
    expect(await appLogin(token.token_code)).toBe(200);
  });

  test("401 anonymous", async () => {
    const anon = new V1Client(server.url);
    await anon.fetchCsrf();
    await expectProblem(await anon.get("/api/v1/user/apptoken"), 401, "invalid_token");
    await expectProblem(await anon.post("/api/v1/user/apptoken", { title: "x" }), 401, "invalid_token");
    await expectProblem(await anon.get(`/api/v1/user/apptoken/${crypto.randomUUID()}`), 401, "invalid_token");
    await expectProblem(await anon.delete(`/api/v1/user/apptoken/${crypto.randomUUID()}`), 401, "invalid_token");
  });

  test("create, get one and revoke need a fresh login; listing does not", async () => {
    const ann = await as("ann");
    const token = await create(ann, "old");
    await withStaleLogins(async () => {
      expect((await ann.get("/api/v1/user/apptoken")).status).toBe(200);
      await expectProblem(await ann.post("/api/v1/user/apptoken", { title: "x" }), 401, "fresh_login_required", "Requires fresh login");
      await expectProblem(await ann.get(`/api/v1/user/apptoken/${token.uuid}`), 401, "fresh_login_required");
      await expectProblem(await ann.delete(`/api/v1/user/apptoken/${token.uuid}`), 401, "fresh_login_required");
      expect(await appLogin(token.token_code)).toBe(200);
      // Verifying the password again makes the login fresh.
      expect((await ann.post("/api/v1/signin/verify", { password: PASSWORDS.ann })).status).toBe(200);
      expect((await ann.delete(`/api/v1/user/apptoken/${token.uuid}`)).status).toBe(204);
    });
  });

  test("bad bodies: 400 naming the field", async () => {
    const ann = await as("ann");
    const missing = await expectProblem(await ann.post("/api/v1/user/apptoken", {}), 400, "invalid_request");
    expect(missing.field).toBe("title");
    const wrongType = await expectProblem(await ann.post("/api/v1/user/apptoken", { title: 5 }), 400, "invalid_request");
    expect(wrongType.field).toBe("title");
    await expectProblem(await ann.post("/api/v1/user/apptoken", { title: "x".repeat(256) }), 400, "invalid_request", /^title: /);
  });

  test("CSRF refused for cookie writes without the token", async () => {
    const ann = await as("ann");
    const token = await create(ann, "csrf");
    await expectCsrfError(await ann.post("/api/v1/user/apptoken", { title: "x" }, { csrf: false }));
    await expectCsrfError(await ann.delete(`/api/v1/user/apptoken/${token.uuid}`, { csrf: "forged" }));
    expect(await appLogin(token.token_code)).toBe(200);
  });
});
