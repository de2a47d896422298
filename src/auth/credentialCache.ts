// A short-lived memory of successful credential checks, so a client that sends the same Basic
// credentials on every request (docker, skopeo against /v2/auth) does not pay argon2 each time.
//
// Keys are HMAC-SHA256(processKey, username + "\0" + secret): the secret itself is never held,
// and the per-process random key means a heap dump's digests cannot be matched against a
// precomputed table of sha256(user\0password). Only successes are cached; failures always
// re-check (and go through the login throttle).
//
// Each node keeps its own (docs/ARCHITECTURE.md, "State one process holds"): the Authenticator
// re-reads the account on every hit and drops an entry whose password, token or state changed,
// so a change made by another process or node counts at once. invalidateUser() forgets early:
// call it on password change, robot token regeneration, token revocation, and when a user is
// disabled or deleted. It finds entries by their owner, the account the
// credentials turned out to belong to, so a login by email or as $app is forgotten with the
// user's name. A check that was already running when the user was
// invalidated must not re-populate the cache with the old secret: pass the generation read
// before the check to set(), and stale results are dropped.

import { createHmac, randomBytes } from "node:crypto";

export interface CredentialCacheOptions {
  ttlMs?: number;
  maxEntries?: number;
  now?: () => number;
}

interface Entry<V> {
  /** The name the credentials were presented under. */
  user: string;
  /** The account they belong to (invalidateUser's key). */
  owner: string;
  value: V;
  expires: number;
}

export class CredentialCache<V> {
  private readonly ttlMs: number;
  private readonly maxEntries: number;
  private readonly now: () => number;
  private readonly key = randomBytes(32);
  private readonly entries = new Map<string, Entry<V>>();
  private gen = 0;

  constructor(opts: CredentialCacheOptions = {}) {
    this.ttlMs = opts.ttlMs ?? 60_000;
    this.maxEntries = opts.maxEntries ?? 10_000;
    this.now = opts.now ?? Date.now;
  }

  get(user: string, secret: string): V | undefined {
    const id = this.digest(user, secret);
    const e = this.entries.get(id);
    if (!e) return undefined;
    if (e.expires <= this.now() || e.user !== user) {
      this.entries.delete(id);
      return undefined;
    }
    return e.value;
  }

  /** Bumped by every invalidation; read it before a slow check and hand it to set(). */
  get generation(): number {
    return this.gen;
  }

  /** `owner`: the account the credentials belong to, when not `user` itself (an email, $app). */
  set(user: string, secret: string, value: V, generation?: number, owner: string = user): void {
    if (generation !== undefined && generation !== this.gen) return; // raced an invalidation
    const now = this.now();
    const id = this.digest(user, secret);
    this.entries.delete(id);
    if (this.entries.size >= this.maxEntries) {
      for (const [k, e] of this.entries) if (e.expires <= now) this.entries.delete(k);
      // Still full: drop the oldest (Map iteration is insertion order).
      for (const k of this.entries.keys()) {
        if (this.entries.size < this.maxEntries) break;
        this.entries.delete(k);
      }
    }
    this.entries.set(id, { user, owner, value, expires: now + this.ttlMs });
  }

  invalidateUser(username: string): void {
    this.gen++;
    for (const [k, e] of this.entries) if (e.owner === username) this.entries.delete(k);
  }

  clear(): void {
    this.gen++;
    this.entries.clear();
  }

  get size(): number {
    return this.entries.size;
  }

  /** The keyed digest of a credential pair (what entries are stored under; never the secret). */
  digest(user: string, secret: string): string {
    return createHmac("sha256", this.key).update(user + "\0" + secret, "utf8").digest("hex");
  }
}
