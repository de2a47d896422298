import type { AppTokenStore } from "../store/meta/appTokens";
import type { OAuthStore } from "../store/meta/oauth";
import type { RobotStore } from "../store/meta/robots";
import type { UserRow, UserStore } from "../store/meta/users";
import { CredentialCache } from "./credentialCache";
import { identityName, type Identity } from "./identity";
import type { LoginAttempt, LoginThrottle } from "./loginThrottle";
import { OAuthTokenService } from "./oauthTokens";
import { constantTimeEqual } from "../secrets";
import { hashPassword, needsRehash, verifyPassword } from "./password";
import { appTokenLookup, hashAppTokenCode } from "./appTokenCode";

export type AuthOutcome =
  | { ok: true; identity: Identity }
  | { ok: false; reason: "invalid"; message: string }
  | { ok: false; reason: "throttled"; retryAfterSeconds: number };

export interface AuthenticatorStores {
  users: UserStore;
  robots: RobotStore;
  appTokens: AppTokenStore;
  oauth: OAuthStore;
}

export interface AuthenticatorOptions {
  /** How long a successful check is remembered (0: not at all). */
  cacheMs?: number;
  /** Built where the app is composed (app.ts): a multi-node deployment shares its counters. */
  throttle: LoginThrottle;
  /**
   * A password hashed with older parameters is hashed again after a successful login (off in a
   * read-only registry, which writes nothing).
   */
  rehashPasswords?: boolean;
}

/** The username `docker login` uses with an OAuth access token as its password (Quay's). */
export const OAUTH_TOKEN_USERNAME = "$oauthtoken";
/** The username app-specific tokens log in with. */
export const APP_TOKEN_USERNAME = "$app";

// Every credential check: users (password, by name or email), robots (owner+short and their
// token), app-specific tokens ($app) and OAuth access tokens ($oauthtoken). Each attempt goes
// through the login throttle first (loginThrottle.ts). Successful password, robot and app token
// checks are remembered for a while (config credentialCacheSeconds, 60 by default) so a CI
// hammering /v2/auth does not pay argon2 on every call; the cache is asked only after the
// throttle admitted the attempt, so it is no unthrottled guessing oracle. OAuth tokens are not
// cached: their check is a hash and an indexed read, and a revocation must count at once.

const INVALID = { ok: false as const, reason: "invalid" as const, message: "Invalid Username or Password" };

/** The account still has the password (and email) a cached check succeeded with. */
function samePasswordLogin(current: UserRow, cached: UserRow): boolean {
  return (
    current.passwordHash !== null &&
    cached.passwordHash !== null &&
    constantTimeEqual(current.passwordHash, cached.passwordHash) &&
    current.email === cached.email &&
    current.username === cached.username
  );
}

export class Authenticator {
  readonly cache: CredentialCache<Identity>;
  readonly throttle: LoginThrottle;
  private readonly useCache: boolean;
  private readonly rehashPasswords: boolean;
  private readonly oauthTokens: OAuthTokenService;

  constructor(
    private readonly stores: AuthenticatorStores,
    opts: AuthenticatorOptions,
  ) {
    const cacheMs = opts.cacheMs ?? 60_000;
    this.cache = new CredentialCache<Identity>({ ttlMs: Math.max(cacheMs, 1) });
    this.useCache = cacheMs > 0;
    this.throttle = opts.throttle;
    this.rehashPasswords = opts.rehashPasswords ?? true;
    this.oauthTokens = new OAuthTokenService(stores);
  }

  /**
   * Identical credentials from one address while their check runs share that check: 200 CI jobs
   * behind one address logging in with the same robot at once are one attempt, not 200 (the
   * throttle counts attempts in flight as failures, so all but four were refused with 429).
   * A repeated wrong guess learns nothing more than the first; other guesses are counted each.
   */
  private readonly inFlight = new Map<string, Promise<AuthOutcome>>();

  authenticate(username: string, secret: string, clientAddress: string): Promise<AuthOutcome> {
    const key = `${clientAddress}\0${this.cache.digest(username, secret)}`;
    const running = this.inFlight.get(key);
    if (running) return running;
    const check = this.authenticateOnce(username, secret, clientAddress).finally(() => this.inFlight.delete(key));
    this.inFlight.set(key, check);
    return check;
  }

  private async authenticateOnce(username: string, secret: string, clientAddress: string): Promise<AuthOutcome> {
    const attempt: LoginAttempt = { account: await this.accountKey(username), address: clientAddress };
    const admission = await this.throttle.admit(attempt);
    if (!admission.admitted) return { ok: false, reason: "throttled", retryAfterSeconds: admission.retryAfterSeconds };
    const cacheable = this.useCache && username !== OAUTH_TOKEN_USERNAME;
    if (cacheable) {
      const cached = this.cache.get(username, secret);
      if (cached && (await this.stillValid(cached))) {
        await this.throttle.settle(attempt, true);
        return { ok: true, identity: cached };
      }
    }
    // Only an account that failed from many addresses lately delays anyone.
    if (admission.delayMs > 0) await Bun.sleep(admission.delayMs);
    const generation = this.cache.generation;
    let identity: Identity | undefined;
    try {
      identity = await this.check(username, secret);
    } finally {
      await this.throttle.settle(attempt, identity !== undefined);
    }
    if (!identity) return INVALID;
    if (cacheable) this.cache.set(username, secret, identity, generation, identityName(identity));
    return { ok: true, identity };
  }

  /** Call after a password change, robot token regeneration, token revocation or disable. */
  forget(username: string): void {
    this.cache.invalidateUser(username);
  }

  private async stillValid(identity: Identity): Promise<boolean> {
    // A disabled account must stop working at once, cache or not: one indexed read.
    if (identity.kind === "user") {
      const current = await this.stores.users.byId(identity.user.id);
      if (current?.enabled !== true) return false;
      // A password or email changed by another process (the CLI) or another node, which cannot
      // call forget() here, must stop the old credentials at once: the row is read anyway.
      if (identity.via === "password") return samePasswordLogin(current, identity.user);
      if (identity.via !== "appToken") return true;
      // A revocation by another process (the CLI) cannot call forget(), and expiry needs none: a
      // revoked or expired app token must stop here (one more indexed read).
      const row = await this.stores.appTokens.byUuid(identity.appTokenUuid!);
      return row !== undefined && (row.expiresMs === null || row.expiresMs > Date.now());
    }
    if (identity.kind === "robot") {
      // A regenerated token (CLI, other process) must stop the old one at once.
      const current = await this.stores.robots.byName(identity.robot.fullName);
      if (!current?.tokenDigest || !identity.robot.tokenDigest || !constantTimeEqual(current.tokenDigest, identity.robot.tokenDigest)) return false;
      const owner = await this.stores.users.byName(identity.robot.owner);
      return owner === undefined || owner.enabled;
    }
    return true;
  }

  /**
   * The throttle's key for the account a username names: one for a user's name and email, so
   * alternating them buys no extra guesses. $app and $oauthtoken name no account until checked:
   * an account key there would let anyone slow every token login down.
   */
  private async accountKey(username: string): Promise<string | undefined> {
    if (username === APP_TOKEN_USERNAME || username === OAUTH_TOKEN_USERNAME) return undefined;
    if (username.includes("+")) return `robot:${username.toLowerCase()}`;
    const user = await this.userNamed(username);
    return user ? `user:${user.id}` : `name:${username.toLowerCase()}`;
  }

  private async check(username: string, secret: string): Promise<Identity | undefined> {
    if (username === APP_TOKEN_USERNAME) return this.checkAppToken(secret);
    if (username === OAUTH_TOKEN_USERNAME) {
      const found = await this.oauthTokens.authenticateToken(secret);
      return found && { kind: "user", user: found.user, via: "oauth", oauthScopes: found.scopes, oauthTokenUuid: found.tokenUuid };
    }
    if (username.includes("+")) {
      // Tokens are stored encrypted: compare digests (an HMAC), never decrypt on this hot path.
      const robot = await this.stores.robots.byName(username);
      if (!robot?.tokenDigest || !constantTimeEqual(robot.tokenDigest, this.stores.robots.tokenDigest(secret))) return undefined;
      // A disabled user owner disables its robots (org owners have no enabled flag).
      const owner = await this.stores.users.byName(robot.owner);
      if (owner && !owner.enabled) return undefined;
      return { kind: "robot", robot };
    }
    const user = await this.userNamed(username);
    const ok = await verifyPassword(secret, user?.passwordHash);
    if (!user || !ok || !user.enabled) return undefined;
    if (this.rehashPasswords && needsRehash(user.passwordHash!)) await this.rehash(user, secret);
    return { kind: "user", user, via: "password" };
  }

  /** Moves a password checked just now to the current parameters; a failure leaves the old hash, tried again at the next login. */
  private async rehash(user: UserRow, secret: string): Promise<void> {
    try {
      const rehashed = await hashPassword(secret);
      await this.stores.users.replacePasswordHash(user.id, user.passwordHash!, rehashed);
    } catch {
      // the login stands either way
    }
  }

  /** The user a login names, by name or by email. */
  private userNamed(username: string): Promise<UserRow | undefined> {
    return username.includes("@") ? this.stores.users.byEmail(username) : this.stores.users.byName(username);
  }

  private async checkAppToken(code: string): Promise<Identity | undefined> {
    const hash = hashAppTokenCode(code);
    for (const row of await this.stores.appTokens.byLookup(appTokenLookup(code))) {
      if (!constantTimeEqual(row.secretHash, hash)) continue;
      if (row.expiresMs !== null && row.expiresMs <= Date.now()) return undefined;
      const user = await this.stores.users.byId(row.userId);
      if (!user?.enabled) return undefined;
      await this.stores.appTokens.touch(row.id);
      return { kind: "user", user, via: "appToken", appTokenUuid: row.uuid };
    }
    return undefined;
  }
}
