import { OAuthTokenService } from "../auth/oauthTokens";
import type { Stores } from "../store";
import type { OAuthTokenInfo } from "../store/meta/oauth";
import type { UserRow } from "../store/meta/users";
import { CliError } from "./accounts";
import { parseDuration } from "./duration";

// `berth token create|list|revoke`: OAuth bearer tokens for API v1, minted without an OAuth
// application (for scripts and the first admin). `create` prints the token and nothing else on
// stdout, so `TOKEN=$(berth token create …)` works. Bad input exits 2. A revocation takes effect
// at the next request of a running server: bearer checks are not cached.

export interface TokenCreateOptions {
  user?: string;
  scopes?: string;
  expiresIn?: string;
}

function bad(message: string): never {
  throw new CliError(message, 2);
}

async function userNamed(stores: Stores, name: string | undefined, command: string): Promise<UserRow> {
  if (!name) bad(`token ${command} needs --user NAME`);
  const user = await stores.users.byName(name);
  if (!user) bad(`no user "${name}"`);
  return user;
}

export async function tokenCreate(stores: Stores, opts: TokenCreateOptions): Promise<string> {
  const user = await userNamed(stores, opts.user, "create");
  if (opts.scopes === undefined) bad(`token create needs --scopes "repo:read repo:write …"`);
  let lifetimeMs: number | undefined;
  if (opts.expiresIn !== undefined) {
    lifetimeMs = parseDuration(opts.expiresIn);
    if (lifetimeMs === undefined) bad(`--expires-in must be a whole number and a unit s, m, h, d or w (e.g. 30d), got "${opts.expiresIn}"`);
  }
  const out = await new OAuthTokenService(stores).mint(user.id, opts.scopes, { lifetimeMs });
  if (!out.ok) bad(out.message);
  return out.token;
}

function describe(token: OAuthTokenInfo, now: number): string[] {
  const expires = token.expiresMs === null ? "never" : new Date(token.expiresMs).toISOString() + (token.expiresMs <= now ? " (expired)" : "");
  return [token.uuid, token.scopes.join(","), new Date(token.createdMs).toISOString(), expires, token.applicationClientId ?? "-"];
}

/** One line per token under a header, columns aligned; the secret is never shown again. */
export async function tokenList(stores: Stores, userName: string | undefined, now = Date.now()): Promise<string> {
  const user = await userNamed(stores, userName, "list");
  const tokens = await stores.oauth.tokens.listForUser(user.id);
  if (tokens.length === 0) return `no tokens for ${user.username}`;
  const rows = [["UUID", "SCOPES", "CREATED", "EXPIRES", "APPLICATION"], ...tokens.map((t) => describe(t, now))];
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((r) => r.map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i]!))).join("  ")).join("\n");
}

export async function tokenRevoke(stores: Stores, uuid: string | undefined): Promise<string> {
  if (!uuid) bad("token revoke needs the token's UUID (see berth token list --user NAME)");
  const token = await stores.oauth.tokens.byUuid(uuid);
  if (!token || !await stores.oauth.tokens.revoke(uuid)) bad(`no token "${uuid}"`);
  const owner = await stores.users.byId(token.userId);
  return `revoked token ${uuid}${owner ? ` of ${owner.username}` : ""}`;
}
