import type { AppTokenStore } from "../store/meta/appTokens";
import type { RobotStore } from "../store/meta/robots";
import type { UserStore } from "../store/meta/users";
import { CredentialCache } from "./credentialCache";
import type { Identity } from "./identity";
import { LoginThrottle } from "./loginThrottle";
import { constantTimeEqual, verifyPassword } from "./password";
import { appTokenLookup, hashAppTokenCode } from "./appTokenCode";

export type AuthOutcome =
  | { ok: true; identity: Identity }
  | { ok: false; reason: "invalid"; message: string }
  | { ok: false; reason: "throttled"; retryAfterSeconds: number };

export interface AuthenticatorStores {
  users: UserStore;
  robots: RobotStore;
  appTokens: AppTokenStore;
}

// Credential checks behind /v2/auth: users (password, by name or email), robots (owner+short and
// their token) and app-specific tokens ($app). Successful checks are remembered for a while
// (config credentialCacheSeconds, 60 by default) so a CI hammering /v2/auth does not pay argon2
// on every call; failures always re-check and count towards the exponential backoff per
// account and per address.

const INVALID = { ok: false as const, reason: "invalid" as const, message: "Invalid Username or Password" };

export class Authenticator {
  readonly cache: CredentialCache<Identity>;
  readonly throttle: LoginThrottle;
  private readonly useCache: boolean;

  constructor(
    private readonly stores: AuthenticatorStores,
    opts: { cacheMs?: number; throttle?: LoginThrottle } = {},
  ) {
    const cacheMs = opts.cacheMs ?? 60_000;
    this.cache = new CredentialCache<Identity>({ ttlMs: Math.max(cacheMs, 1) });
    this.useCache = cacheMs > 0;
    this.throttle = opts.throttle ?? new LoginThrottle();
  }

  async authenticate(username: string, secret: string, clientAddress: string): Promise<AuthOutcome> {
    // "$app" names no account: every app token logs in under it, so an account key there would
    // let anyone lock all app-token logins out. The codes are unguessable; the address key
    // still slows a guesser.
    const account = username === "$app" ? undefined : `account:${username.toLowerCase()}`;
    const keys = account ? [account, `address:${clientAddress}`] : [`address:${clientAddress}`];
    const gate = this.throttle.check(keys);
    if (!gate.allowed) return { ok: false, reason: "throttled", retryAfterSeconds: gate.retryAfterSeconds };
    if (this.useCache) {
      const cached = this.cache.get(username, secret);
      if (cached && this.stillValid(cached)) return { ok: true, identity: cached };
    }
    const generation = this.cache.generation;
    const identity = await this.check(username, secret);
    if (!identity) {
      this.throttle.failure(keys);
      return INVALID;
    }
    if (account) this.throttle.success([account]);
    if (this.useCache) this.cache.set(username, secret, identity, generation);
    return { ok: true, identity };
  }

  /** Call after a password change, robot token regeneration, token revocation or disable. */
  forget(username: string): void {
    this.cache.invalidateUser(username);
  }

  private stillValid(identity: Identity): boolean {
    // A disabled account must stop working at once, cache or not: one indexed read.
    if (identity.kind === "user") {
      if (this.stores.users.byId(identity.user.id)?.enabled !== true) return false;
      if (identity.via !== "appToken") return true;
      // The cache entry is keyed "$app", so forget(owner) cannot reach it: a revoked or expired
      // app token must stop here (one more indexed read).
      const row = this.stores.appTokens.byUuid(identity.appTokenUuid!);
      return row !== undefined && (row.expiresMs === null || row.expiresMs > Date.now());
    }
    if (identity.kind === "robot") {
      // A regenerated token (CLI, other process) must stop the old one at once.
      const current = this.stores.robots.byName(identity.robot.fullName);
      if (!current?.tokenDigest || !identity.robot.tokenDigest || !constantTimeEqual(current.tokenDigest, identity.robot.tokenDigest)) return false;
      const owner = this.stores.users.byName(identity.robot.owner);
      return owner === undefined || owner.enabled;
    }
    return true;
  }

  private async check(username: string, secret: string): Promise<Identity | undefined> {
    if (username === "$app") return this.checkAppToken(secret);
    if (username.includes("+")) {
      // Tokens are stored encrypted: compare digests (an HMAC), never decrypt on this hot path.
      const robot = this.stores.robots.byName(username);
      if (!robot?.tokenDigest || !constantTimeEqual(robot.tokenDigest, this.stores.robots.tokenDigest(secret))) return undefined;
      // A disabled user owner disables its robots (org owners have no enabled flag).
      const owner = this.stores.users.byName(robot.owner);
      if (owner && !owner.enabled) return undefined;
      return { kind: "robot", robot };
    }
    const user = username.includes("@") ? this.stores.users.byEmail(username) : this.stores.users.byName(username);
    const ok = await verifyPassword(secret, user?.passwordHash);
    if (!user || !ok || !user.enabled) return undefined;
    return { kind: "user", user, via: "password" };
  }

  private checkAppToken(code: string): Identity | undefined {
    const hash = hashAppTokenCode(code);
    for (const row of this.stores.appTokens.byLookup(appTokenLookup(code))) {
      if (!constantTimeEqual(row.secretHash, hash)) continue;
      if (row.expiresMs !== null && row.expiresMs <= Date.now()) return undefined;
      const user = this.stores.users.byId(row.userId);
      if (!user?.enabled) return undefined;
      this.stores.appTokens.touch(row.id);
      return { kind: "user", user, via: "appToken", appTokenUuid: row.uuid };
    }
    return undefined;
  }
}
