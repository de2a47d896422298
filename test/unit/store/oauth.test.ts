import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { rmSync } from "node:fs";
import { openStores, type Stores } from "../../../src/store";
import { OAuthStore } from "../../../src/store/meta/oauth";
import { tempDir } from "../../support/server";
import { findOAuthToken, issueOAuthToken } from "../../../src/auth/oauthTokenCode";

let dir: string;
let stores: Stores;
let clock: number;
let oauth: OAuthStore;
let alice: number;
let bob: number;
let acme: number;
let other: number;

beforeEach(async () => {
  dir = tempDir("berth-oauth-");
  stores = openStores({ dataDir: dir, uploadTtlMs: 60_000 });
  clock = 1_700_000_000_000;
  oauth = new OAuthStore(stores.db, () => clock);
  const user = (name: string) => {
    const out = stores.users.create(name, null, null);
    if (out.kind !== "ok") throw new Error(name);
    return out.user.id;
  };
  alice = user("alice");
  bob = user("bob");
  const org = async (name: string) => {
    const out = await stores.orgs.create(name, alice);
    if (out.kind !== "ok") throw new Error(name);
    return out.namespaceId;
  };
  acme = await org("acme");
  other = await org("other");
});
afterEach(() => {
  stores.close();
  rmSync(dir, { recursive: true, force: true });
});

/** A different character at `index` of the same alphabet. */
function flip(token: string, index: number): string {
  const c = token[index] === "A" ? "B" : "A";
  return token.slice(0, index) + c + token.slice(index + 1);
}

describe("applications", () => {
  test("create: Quay-shaped client id and secret, defaults for optional fields", async () => {
    const app = await oauth.applications.create({ namespaceId: acme, name: "ci" });
    expect(app.clientId).toMatch(/^[A-Z0-9]{20}$/);
    expect(app.clientSecret).toMatch(/^[A-Z0-9]{40}$/);
    expect(app).toMatchObject({ namespaceId: acme, name: "ci", description: "", applicationUri: "", redirectUri: "", avatarEmail: null });
    expect(await oauth.applications.byClientId(app.clientId)).toEqual(app);
    expect(await oauth.applications.byId(app.id)).toEqual(app);
    expect(await oauth.applications.byClientId("NOPE")).toBeUndefined();
  });

  test("listFor answers one namespace's applications, oldest first", async () => {
    const a = await oauth.applications.create({ namespaceId: acme, name: "a", description: "first", redirectUri: "https://a.example/cb" });
    const b = await oauth.applications.create({ namespaceId: acme, name: "b", avatarEmail: "b@example.com" });
    await oauth.applications.create({ namespaceId: other, name: "x" });
    expect((await oauth.applications.listFor(acme)).map((x) => x.clientId)).toEqual([a.clientId, b.clientId]);
    expect((await oauth.applications.listFor(acme))[1]!.avatarEmail).toBe("b@example.com");
  });

  test("update changes only given fields, and only within the namespace", async () => {
    const app = await oauth.applications.create({ namespaceId: acme, name: "ci", description: "old" });
    expect(await oauth.applications.update(other, app.clientId, { name: "stolen" })).toBeUndefined();
    const updated = await oauth.applications.update(acme, app.clientId, { name: "ci2", redirectUri: "https://x/cb" });
    expect(updated).toEqual({ ...app, name: "ci2", redirectUri: "https://x/cb" });
    expect(await oauth.applications.update(acme, app.clientId, {})).toEqual(updated);
    expect(await oauth.applications.update(other, app.clientId, {})).toBeUndefined();
    expect(await oauth.applications.update(acme, "NOPE", { name: "x" })).toBeUndefined();
  });

  test("resetSecret and verifySecret", async () => {
    const app = await oauth.applications.create({ namespaceId: acme, name: "ci" });
    expect((await oauth.applications.verifySecret(app.clientId, app.clientSecret))?.id).toBe(app.id);
    expect(await oauth.applications.resetSecret(other, app.clientId)).toBeUndefined();
    const reset = (await oauth.applications.resetSecret(acme, app.clientId))!;
    expect(reset.clientSecret).toMatch(/^[A-Z0-9]{40}$/);
    expect(reset.clientSecret).not.toBe(app.clientSecret);
    expect(await oauth.applications.verifySecret(app.clientId, app.clientSecret)).toBeUndefined();
    expect((await oauth.applications.verifySecret(app.clientId, reset.clientSecret))?.id).toBe(app.id);
    expect(await oauth.applications.verifySecret(app.clientId, "")).toBeUndefined();
    expect(await oauth.applications.verifySecret("NOPE", "")).toBeUndefined();
  });

  test("delete: only within the namespace, and it takes the application's tokens along", async () => {
    const app = await oauth.applications.create({ namespaceId: acme, name: "ci" });
    const { token } = await issueOAuthToken(oauth.tokens, { userId: alice, scopes: ["repo:read"], applicationId: app.id });
    expect(await oauth.applications.delete(other, app.clientId)).toBe(false);
    expect(await findOAuthToken(oauth.tokens, token)).toBeDefined();
    expect(await oauth.applications.delete(acme, app.clientId)).toBe(true);
    expect(await oauth.applications.delete(acme, app.clientId)).toBe(false);
    expect(await findOAuthToken(oauth.tokens, token)).toBeUndefined();
  });
});

describe("access tokens", () => {
  test("create answers a 40-character token once; the row keeps no part of the secret", async () => {
    const made = await issueOAuthToken(oauth.tokens, { userId: alice, scopes: ["repo:read", "user:read"] });
    expect(made.token).toMatch(/^[A-Z0-9]{40}$/);
    expect(made).toMatchObject({ userId: alice, scopes: ["repo:read", "user:read"], applicationId: null, applicationClientId: null, createdMs: clock, expiresMs: null });
    expect(made.uuid).toMatch(/^[0-9a-f-]{36}$/);
    const raw = stores.db.$client.query("SELECT * FROM oauth_access_tokens").all() as Record<string, unknown>[];
    expect(raw).toHaveLength(1);
    const stored = JSON.stringify(raw);
    expect(stored).not.toContain(made.token.slice(20));
    expect(raw[0]!.lookup).toBe(made.token.slice(0, 20));
    expect(raw[0]!.scope).toBe("repo:read user:read");
  });

  test("find answers the token's facts", async () => {
    const app = await oauth.applications.create({ namespaceId: acme, name: "ci" });
    const made = await issueOAuthToken(oauth.tokens, { userId: bob, scopes: ["repo:write"], applicationId: app.id, lifetimeMs: 60_000 });
    const { token, ...facts } = made;
    expect(await findOAuthToken(oauth.tokens, token)).toEqual(facts);
    expect(facts).toMatchObject({ userId: bob, scopes: ["repo:write"], applicationId: app.id, applicationClientId: app.clientId, expiresMs: clock + 60_000 });
  });

  test.each<[string, (token: string) => string]>([
    ["wrong secret, right lookup (first secret char)", (t) => flip(t, 20)],
    ["wrong secret, right lookup (last char)", (t) => flip(t, 39)],
    ["wrong lookup, right secret", (t) => flip(t, 0)],
    ["lower-cased", (t) => t.toLowerCase()],
    ["one character short", (t) => t.slice(0, 39)],
    ["one character long", (t) => t + "A"],
    ["lookup half only", (t) => t.slice(0, 20)],
    ["with whitespace", (t) => ` ${t}`],
    ["empty", () => ""],
    ["non-alnum", (t) => t.slice(0, 39) + "-"],
  ])("find refuses: %s", async (_name, mangle) => {
    const { token } = await issueOAuthToken(oauth.tokens, { userId: alice, scopes: ["repo:read"] });
    expect(await findOAuthToken(oauth.tokens, mangle(token))).toBeUndefined();
    expect(await findOAuthToken(oauth.tokens, token)).toBeDefined();
  });

  test("expiry: valid until expiresMs, gone at it", async () => {
    const { token } = await issueOAuthToken(oauth.tokens, { userId: alice, scopes: ["repo:read"], lifetimeMs: 1000 });
    clock += 999;
    expect(await findOAuthToken(oauth.tokens, token)).toBeDefined();
    clock += 1;
    expect(await findOAuthToken(oauth.tokens, token)).toBeUndefined();
    // Still listed (with its expiry) until purged.
    expect(await oauth.tokens.listForUser(alice)).toHaveLength(1);
  });

  test.each([0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY])("create refuses lifetime %p", (lifetimeMs) => {
    expect(() => issueOAuthToken(oauth.tokens, { userId: alice, scopes: ["repo:read"], lifetimeMs })).toThrow(RangeError);
  });

  test("revoke stops the token; revoking twice answers false", async () => {
    const keep = await issueOAuthToken(oauth.tokens, { userId: alice, scopes: ["repo:read"] });
    const gone = await issueOAuthToken(oauth.tokens, { userId: alice, scopes: ["repo:read"] });
    expect(await oauth.tokens.revoke(gone.uuid)).toBe(true);
    expect(await findOAuthToken(oauth.tokens, gone.token)).toBeUndefined();
    expect(await oauth.tokens.byUuid(gone.uuid)).toBeUndefined();
    expect(await oauth.tokens.revoke(gone.uuid)).toBe(false);
    expect((await findOAuthToken(oauth.tokens, keep.token))?.uuid).toBe(keep.uuid);
  });

  test("listForUser and listForApplication", async () => {
    const app = await oauth.applications.create({ namespaceId: acme, name: "ci" });
    const a1 = await issueOAuthToken(oauth.tokens, { userId: alice, scopes: ["repo:read"] });
    const a2 = await issueOAuthToken(oauth.tokens, { userId: alice, scopes: ["user:admin"], applicationId: app.id });
    const b1 = await issueOAuthToken(oauth.tokens, { userId: bob, scopes: ["repo:admin"], applicationId: app.id });
    expect((await oauth.tokens.listForUser(alice)).map((t) => t.uuid)).toEqual([a1.uuid, a2.uuid]);
    expect((await oauth.tokens.listForUser(bob)).map((t) => t.scopes)).toEqual([["repo:admin"]]);
    expect((await oauth.tokens.listForApplication(app.id)).map((t) => t.uuid)).toEqual([a2.uuid, b1.uuid]);
    expect((await oauth.tokens.listForApplication(app.id)).every((t) => t.applicationClientId === app.clientId)).toBe(true);
    expect(JSON.stringify(await oauth.tokens.listForUser(alice))).not.toContain(a1.token.slice(20));
  });

  test("deleting the user deletes the user's tokens", async () => {
    const { token } = await issueOAuthToken(oauth.tokens, { userId: bob, scopes: ["repo:read"] });
    stores.db.$client.run("DELETE FROM users WHERE id = ?", [bob]);
    expect(await findOAuthToken(oauth.tokens, token)).toBeUndefined();
  });

  test("deleteExpired removes only expired rows", async () => {
    await issueOAuthToken(oauth.tokens, { userId: alice, scopes: ["repo:read"], lifetimeMs: 10 });
    const lasting = await issueOAuthToken(oauth.tokens, { userId: alice, scopes: ["repo:read"], lifetimeMs: 10_000 });
    const forever = await issueOAuthToken(oauth.tokens, { userId: alice, scopes: ["repo:read"] });
    clock += 10;
    expect(await oauth.tokens.deleteExpired()).toBe(1);
    expect((await oauth.tokens.listForUser(alice)).map((t) => t.uuid)).toEqual([lasting.uuid, forever.uuid]);
  });

  test("openStores wires the store in as stores.oauth", async () => {
    const { token } = await issueOAuthToken(stores.oauth.tokens, { userId: alice, scopes: ["repo:read"] });
    expect((await findOAuthToken(stores.oauth.tokens, token))?.userId).toBe(alice);
  });
});
