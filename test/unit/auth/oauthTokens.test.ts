import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { rmSync } from "node:fs";
import { bearerToken, OAuthTokenService } from "../../../src/auth/oauthTokens";
import { openStores, type SqliteStores as Stores } from "../../../src/store";
import { OAuthStore } from "../../../src/store/meta/oauth";
import { sqliteRunner } from "../../../src/store/dialect/sqliteRunner";
import { tempDir } from "../../support/server";
import { findOAuthToken, issueOAuthToken } from "../../../src/auth/oauthTokenCode";

describe("bearerToken", () => {
  test.each<[string | null | undefined, string | undefined]>([
    ["Bearer ABC", "ABC"],
    ["bearer ABC", "ABC"],
    ["BEARER ABC", "ABC"],
    ["Bearer   ABC", "ABC"],
    ["  Bearer ABC  ", "ABC"],
    ["Bearer eyJhbGciOi.x.y", "eyJhbGciOi.x.y"],
    ["Bearer", undefined],
    ["Bearer ", undefined],
    ["Bearer A B", undefined],
    ["Basic YWxpY2U6cHc=", undefined],
    ["BearerABC", undefined],
    ["Bearer\tABC", undefined],
    ["", undefined],
    [null, undefined],
    [undefined, undefined],
  ])("%p → %p", (header, token) => {
    expect(bearerToken(header)).toBe(token);
  });
});

describe("OAuthTokenService", () => {
  let dir: string;
  let stores: Stores;
  let clock: number;
  let oauth: OAuthStore;
  let service: OAuthTokenService;
  let alice: number;

  beforeEach(async () => {
    dir = tempDir("berth-oauth-svc-");
    stores = openStores({ dataDir: dir, uploadTtlMs: 60_000 });
    clock = 1_700_000_000_000;
    oauth = new OAuthStore(sqliteRunner(stores.db), () => clock);
    service = new OAuthTokenService({ users: stores.users, oauth });
    const out = await stores.users.create("alice", "alice@example.com", null);
    if (out.kind !== "ok") throw new Error("alice");
    alice = out.user.id;
  });
  afterEach(async () => {
    await stores.close();
    rmSync(dir, { recursive: true, force: true });
  });

  async function mint(scopes: string, opts = {}): Promise<string> {
    const out = await service.mint(alice, scopes, opts);
    if (!out.ok) throw new Error(out.message);
    return out.token;
  }

  test("a minted token authenticates as its user with its scopes", async () => {
    const out = await service.mint(alice, "repo:write,user:read");
    expect(out.ok).toBe(true);
    if (!out.ok) return;
    expect(out.token).toMatch(/^[A-Z0-9]{40}$/);
    expect(out.info).toMatchObject({ userId: alice, scopes: ["repo:write", "user:read"], expiresMs: null });
    const caller = (await service.authenticate(`Bearer ${out.token}`))!;
    expect(caller.user.username).toBe("alice");
    expect(caller.scopes).toEqual(["repo:write", "user:read"]);
    expect(caller.tokenId).toBe(out.info.id);
    expect(caller.tokenUuid).toBe(out.info.uuid);
    expect("applicationClientId" in caller).toBe(false);
    expect((await service.authenticateToken(out.token))?.user.id).toBe(alice);
  });

  test("scopes are stored canonically, deduplicated", async () => {
    await mint("user:read repo:read user:read");
    expect((await oauth.tokens.listForUser(alice))[0]!.scopes).toEqual(["repo:read", "user:read"]);
    expect((await service.mint(alice, ["repo:admin", "repo:read"])).ok).toBe(true);
    expect((await oauth.tokens.listForUser(alice))[1]!.scopes).toEqual(["repo:read", "repo:admin"]);
  });

  test("a token issued through an application names its client id", async () => {
    const ns = await stores.orgs.create("acme", alice);
    if (ns.kind !== "ok") throw new Error("acme");
    const app = await oauth.applications.create({ namespaceId: ns.namespaceId, name: "ci" });
    const token = await mint("repo:read", { applicationId: app.id });
    expect((await service.authenticate(`Bearer ${token}`))?.applicationClientId).toBe(app.clientId);
  });

  test("invalid: not bearer, unknown, wrong secret, revoked, expired", async () => {
    const token = await mint("repo:read");
    const expiring = await mint("repo:read", { lifetimeMs: 5000 });
    expect(await service.authenticate(`Basic ${token}`)).toBeUndefined();
    expect(await service.authenticate(undefined)).toBeUndefined();
    expect(await service.authenticate(`Bearer ${"A".repeat(40)}`)).toBeUndefined();
    expect(await service.authenticate(`Bearer ${token.slice(0, 20)}${"Z".repeat(20)}`)).toBeUndefined();
    expect(await service.authenticate(`Bearer ${expiring}`)).toBeDefined();
    clock += 5000;
    expect(await service.authenticate(`Bearer ${expiring}`)).toBeUndefined();
    const uuid = (await findOAuthToken(oauth.tokens, token))!.uuid;
    expect(await oauth.tokens.revoke(uuid)).toBe(true);
    expect(await service.authenticate(`Bearer ${token}`)).toBeUndefined();
  });

  test("a disabled user's token is invalid while disabled (no caching)", async () => {
    const token = await mint("repo:read");
    await stores.users.setEnabled(alice, false);
    expect(await service.authenticate(`Bearer ${token}`)).toBeUndefined();
    await stores.users.setEnabled(alice, true);
    expect((await service.authenticate(`Bearer ${token}`))?.user.id).toBe(alice);
  });

  test("a stored scope string that no longer parses makes the token invalid", async () => {
    const { token } = await issueOAuthToken(oauth.tokens, { userId: alice, scopes: ["repo:read", "repo:retired"] });
    expect(await findOAuthToken(oauth.tokens, token)).toBeDefined();
    expect(await service.authenticate(`Bearer ${token}`)).toBeUndefined();
  });

  test.each<[string, () => ReturnType<OAuthTokenService["mint"]>, string, RegExp]>([
    ["unknown scope", () => service.mint(alice, "repo:read repo:fly"), "badScopes", /unknown scope "repo:fly"/],
    ["no scopes", () => service.mint(alice, ""), "badScopes", /no scopes/],
    ["no scopes (list)", () => service.mint(alice, []), "badScopes", /no scopes/],
    ["zero lifetime", () => service.mint(alice, "repo:read", { lifetimeMs: 0 }), "badLifetime", /positive/],
    ["unknown user", () => service.mint(9999, "repo:read"), "unknownUser", /no user/],
  ])("mint refuses: %s", async (_name, call, reason, message) => {
    const out = await call();
    expect(out.ok).toBe(false);
    if (out.ok) return;
    expect(out.reason as string).toBe(reason);
    expect(out.message).toMatch(message);
    expect(await oauth.tokens.listForUser(alice)).toEqual([]);
  });

  test("mint refuses a disabled user", async () => {
    await stores.users.setEnabled(alice, false);
    expect(await service.mint(alice, "repo:read")).toMatchObject({ ok: false, reason: "disabledUser", message: 'user "alice" is disabled' });
  });
});
