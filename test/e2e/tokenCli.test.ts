// `berth token create|list|revoke` through the real entry point (src/main.ts in a child process)
// on a temporary data directory; the tokens it prints are then checked by OAuthTokenService on
// the same directory, as a server would.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { rmSync } from "node:fs";
import { join } from "node:path";
import { OAuthTokenService } from "../../src/auth/oauthTokens";
import type { Stores } from "../../src/store";
import { ROOT, tempDir } from "../support/server";
import { backendEnv } from "../support/e2eBackend";
import { storesOf } from "../support/e2eStored";
import { findOAuthToken } from "../../src/auth/oauthTokenCode";

let dataDir: string;

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

async function berth(...args: string[]): Promise<Run> {
  const proc = Bun.spawn([process.execPath, join(ROOT, "src/main.ts"), ...args, "--data", dataDir], {
    env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "/tmp", ...(await backendEnv(dataDir)) },
    stdin: "ignore",
    stdout: "pipe",
    stderr: "pipe",
  });
  const [stdout, stderr, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  return { code, stdout, stderr };
}

/** Opens the data directory for one look, as a server process would. */
async function withStores<T>(fn: (stores: Stores, tokens: OAuthTokenService) => T | Promise<T>): Promise<T> {
  const stores = await storesOf(dataDir);
  try {
    return await fn(stores, new OAuthTokenService(stores));
  } finally {
    await stores.close();
  }
}

beforeAll(async () => {
  dataDir = tempDir("berth-token-cli-");
  expect((await berth("user", "add", "alice")).code).toBe(0);
  expect((await berth("user", "add", "bob")).code).toBe(0);
  expect((await berth("org", "add", "acme", "--owner", "alice")).code).toBe(0);
});

afterAll(() => {
  rmSync(dataDir, { recursive: true, force: true });
});

describe("berth token create", () => {
  test("prints the token and nothing else; it authenticates with its scopes and never expires", async () => {
    const run = await berth("token", "create", "--user", "alice", "--scopes", "repo:write user:read");
    expect(run).toMatchObject({ code: 0, stderr: "" });
    expect(run.stdout).toMatch(/^[A-Z0-9]{40}\n$/);
    const caller = await withStores((_, tokens) => tokens.authenticate(`Bearer ${run.stdout.trim()}`));
    expect(caller?.user.username).toBe("alice");
    expect(caller?.scopes).toEqual(["repo:write", "user:read"]);
    expect(await withStores(async (stores) => (await findOAuthToken(stores.oauth.tokens, run.stdout.trim()))?.expiresMs)).toBeNull();
  });

  test("--expires-in sets the expiry; comma-separated scopes work", async () => {
    const before = Date.now();
    const run = await berth("token", "create", "--user", "bob", "--scopes", "repo:read,repo:create", "--expires-in", "30d");
    expect(run.code).toBe(0);
    const found = (await withStores((stores) => findOAuthToken(stores.oauth.tokens, run.stdout.trim())))!;
    expect(found.scopes).toEqual(["repo:read", "repo:create"]);
    expect(found.expiresMs! - before).toBeGreaterThanOrEqual(30 * 86_400_000);
    expect(found.expiresMs! - Date.now()).toBeLessThanOrEqual(30 * 86_400_000);
  });

  test.each<[string, string[], RegExp]>([
    ["unknown user", ["--user", "carol", "--scopes", "repo:read"], /no user "carol"/],
    ["an organization is no user", ["--user", "acme", "--scopes", "repo:read"], /no user "acme"/],
    ["unknown scope", ["--user", "alice", "--scopes", "repo:read repo:fly"], /unknown scope "repo:fly" \(known: repo:read/],
    ["empty scopes", ["--user", "alice", "--scopes", ""], /no scopes/],
    ["no --scopes", ["--user", "alice"], /needs --scopes/],
    ["no --user", ["--scopes", "repo:read"], /needs --user/],
    ["bad --expires-in", ["--user", "alice", "--scopes", "repo:read", "--expires-in", "1y"], /--expires-in must be .* got "1y"/],
    ["unknown flag", ["--user", "alice", "--scopes", "repo:read", "--forever"], /Unknown option '--forever'/],
  ])("%s: exit 2, a message on stderr, nothing on stdout, no token made", async (_name, args, message) => {
    const count = () => withStores(async (stores) => (await stores.oauth.tokens.listForUser((await stores.users.byName("alice"))!.id)).length);
    const before = await count();
    const run = await berth("token", "create", ...args);
    expect(run.code).toBe(2);
    expect(run.stdout).toBe("");
    expect(run.stderr).toMatch(message);
    expect(await count()).toBe(before);
  });

  test("a disabled user gets no token (exit 2)", async () => {
    expect((await berth("user", "disable", "bob")).code).toBe(0);
    const run = await berth("token", "create", "--user", "bob", "--scopes", "repo:read");
    expect(run).toMatchObject({ code: 2, stdout: "" });
    expect(run.stderr).toContain('user "bob" is disabled');
    expect((await berth("user", "enable", "bob")).code).toBe(0);
  });
});

describe("berth token list and revoke", () => {
  test("list shows uuid, scopes and expiry but not the token; revoke ends the token at once", async () => {
    const made = await berth("token", "create", "--user", "alice", "--scopes", "org:admin", "--expires-in", "1h");
    const token = made.stdout.trim();
    const uuid = await withStores(async (stores) => (await findOAuthToken(stores.oauth.tokens, token))!.uuid);

    const list = await berth("token", "list", "--user", "alice");
    expect(list.code).toBe(0);
    const lines = list.stdout.trim().split("\n");
    expect(lines[0]).toMatch(/^UUID\s+SCOPES\s+CREATED\s+EXPIRES\s+APPLICATION$/);
    const line = lines.find((l) => l.startsWith(uuid))!;
    expect(line).toMatch(new RegExp(`^${uuid}\\s+org:admin\\s+\\d{4}-\\d\\d-\\d\\dT\\S+Z\\s+\\d{4}-\\d\\d-\\d\\dT\\S+Z\\s+-$`));
    expect(lines.some((l) => /repo:write,user:read\s.*\snever\s+-$/.test(l))).toBe(true);
    expect(list.stdout).not.toContain(token);
    expect(list.stdout).not.toContain(token.slice(20));

    const revoked = await berth("token", "revoke", uuid);
    expect(revoked).toMatchObject({ code: 0, stdout: `revoked token ${uuid} of alice\n` });
    expect(await withStores((_, tokens) => tokens.authenticate(`Bearer ${token}`))).toBeUndefined();
    expect((await berth("token", "list", "--user", "alice")).stdout).not.toContain(uuid);

    const again = await berth("token", "revoke", uuid);
    expect(again).toMatchObject({ code: 2, stdout: "" });
    expect(again.stderr).toContain(`no token "${uuid}"`);
  });

  test("a user without tokens; list and revoke without their argument; unknown subcommand", async () => {
    const none = await berth("user", "add", "dave");
    expect(none.code).toBe(0);
    expect(await berth("token", "list", "--user", "dave")).toMatchObject({ code: 0, stdout: "no tokens for dave\n" });
    expect(await berth("token", "list", "--user", "nobody")).toMatchObject({ code: 2, stdout: "", stderr: 'berth: no user "nobody"\n' });
    expect((await berth("token", "list")).stderr).toContain("needs --user");
    expect((await berth("token", "revoke")).code).toBe(2);
    const unknown = await berth("token", "frob");
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('unknown command "token frob"');
  });
});
