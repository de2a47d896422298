// The JWT behind /v2/auth (quay-api.md 4.3): issue, and verify on every /v2 request.
//
// verify() trusts nothing in the token before the signature checks out: the algorithm is pinned
// to the algorithm of the key named by `kid` (so `alg: none`, HS256-with-the-public-key and any
// RS/ES swap are refused), and every claim Quay requires is checked on top of jose's checks.
// Verified tokens are cached by their exact string until `exp`, so a docker pull that sends the
// same bearer on hundreds of requests pays for one signature check. Each node keeps its own, and
// may: a token's validity depends only on its signature, the keys and the clock, never on state
// another node could change (and cachedClaims stays synchronous: it is the /v2 hot path).

import { decodeProtectedHeader, errors, jwtVerify, SignJWT, type JWTPayload } from "jose";
import { DEFAULT_KEY_GRACE_MS, SIGNING_ALGS, type SigningAlg, type SigningKeyRing } from "./signingKeys.ts";

export interface AccessEntry {
  type: string;
  name: string;
  actions: string[];
}

export interface RegistryClaims {
  iss: string;
  aud: string;
  sub: string;
  iat: number;
  nbf: number;
  exp: number;
  access: AccessEntry[];
  context: Record<string, unknown>;
}

export type VerifyResult = { ok: true; claims: RegistryClaims } | { ok: false; reason: string };

export interface RegistryTokenOptions {
  keys: SigningKeyRing;
  issuer: string;
  lifetimeSeconds?: number;
  leewaySeconds?: number;
  /** Clock in ms; tests inject one. */
  now?: () => number;
  cacheSize?: number;
}

/** Tokens longer than this are refused before any parsing (ours are ~1 KB). */
const MAX_TOKEN_LENGTH = 16 * 1024;
/** Quay's REGISTRY_JWT_AUTH_MAX_FRESH_S is lifetime + 60. */
const LIFETIME_SLACK_SECONDS = 60;

export class RegistryTokenService {
  readonly issuer: string;
  readonly lifetimeSeconds: number;
  readonly leewaySeconds: number;
  private readonly keys: SigningKeyRing;
  private readonly now: () => number;
  private readonly cacheSize: number;
  private readonly cache = new Map<string, RegistryClaims>();

  constructor(opts: RegistryTokenOptions) {
    this.keys = opts.keys;
    this.issuer = opts.issuer;
    this.lifetimeSeconds = opts.lifetimeSeconds ?? 3600;
    this.leewaySeconds = opts.leewaySeconds ?? 30;
    this.now = opts.now ?? Date.now;
    this.cacheSize = opts.cacheSize ?? 10_000;
  }

  /** How long a retired key must keep verifying: the longest exp a token of ours can have, plus leeway. */
  get keyGraceMs(): number {
    return Math.max(DEFAULT_KEY_GRACE_MS, (this.lifetimeSeconds + LIFETIME_SLACK_SECONDS + this.leewaySeconds) * 1000);
  }

  async issue(req: {
    subject: string;
    audience: string;
    access: AccessEntry[];
    context: Record<string, unknown>;
  }): Promise<{ token: string; expiresIn: number; issuedAt: string }> {
    if (!req.subject) throw new TypeError("token subject must not be empty");
    if (!req.access.every(isAccessEntry)) throw new TypeError("malformed access entry");
    const { kid, alg, privateKey } = this.keys.current;
    const iat = Math.floor(this.now() / 1000);
    const token = await new SignJWT({ access: req.access, context: req.context })
      .setProtectedHeader({ alg, kid, typ: "JWT" })
      .setIssuer(this.issuer)
      .setAudience(req.audience)
      .setSubject(req.subject)
      .setIssuedAt(iat)
      .setNotBefore(iat)
      .setExpirationTime(iat + this.lifetimeSeconds)
      .sign(privateKey);
    return { token, expiresIn: this.lifetimeSeconds, issuedAt: new Date(iat * 1000).toISOString() };
  }

  /**
   * The claims of a token verified before and still valid, without a promise: the hot path of
   * every /v2 call in token mode. Undefined means "call verify()".
   */
  cachedClaims(token: string, audience: string): RegistryClaims | undefined {
    const hit = this.cache.get(token);
    if (hit && hit.exp * 1000 > this.now() && hit.aud === audience) return hit;
    return undefined;
  }

  async verify(token: string, audience: string): Promise<VerifyResult> {
    try {
      const nowMs = this.now();
      const hit = this.cache.get(token);
      if (hit) {
        // Checked on every hit: an entry is never served at or after its exp.
        if (hit.exp * 1000 > nowMs && hit.aud === audience) return { ok: true, claims: hit };
        if (hit.exp * 1000 <= nowMs) this.cache.delete(token);
      }
      const result = await this.verifyFully(token, audience, nowMs);
      if (result.ok && result.claims.exp * 1000 > nowMs) this.remember(token, result.claims, nowMs);
      return result;
    } catch {
      return { ok: false, reason: "invalid token" }; // never throw for hostile input
    }
  }

  /** Number of cached verified tokens (tests, metrics). */
  get cachedTokens(): number {
    return this.cache.size;
  }

  /** Drop all cached verifications (e.g. after a key is withdrawn). */
  clearCache(): void {
    this.cache.clear();
  }

  private async verifyFully(token: string, audience: string, nowMs: number): Promise<VerifyResult> {
    const fail = (reason: string): VerifyResult => ({ ok: false, reason });
    if (typeof token !== "string" || token.length === 0) return fail("missing token");
    if (token.length > MAX_TOKEN_LENGTH) return fail("token too long");
    let header;
    try {
      header = decodeProtectedHeader(token);
    } catch {
      return fail("malformed token");
    }
    if (typeof header.alg !== "string" || !SIGNING_ALGS.includes(header.alg as SigningAlg)) return fail("algorithm not allowed");
    if (typeof header.kid !== "string") return fail("missing key id");
    const key = this.keys.verificationKey(header.kid, nowMs, this.keyGraceMs);
    if (!key) return fail("unknown or expired signing key");
    if (header.alg !== key.alg) return fail("algorithm not allowed");

    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, key.publicKey, {
        algorithms: [key.alg],
        issuer: this.issuer,
        audience,
        clockTolerance: this.leewaySeconds,
        currentDate: new Date(nowMs),
        requiredClaims: ["iat", "nbf", "exp", "sub"],
      }));
    } catch (e) {
      return fail(reasonFor(e));
    }

    const now = Math.floor(nowMs / 1000);
    const { iss, aud, sub, iat, nbf, exp, access, context } = payload as Record<string, unknown>;
    if (typeof aud !== "string" || aud !== audience) return fail("wrong audience"); // no aud arrays
    if (typeof iat !== "number" || typeof nbf !== "number" || typeof exp !== "number") return fail("malformed token");
    if (iat > now + this.leewaySeconds) return fail("token issued in the future");
    if (exp - iat > this.lifetimeSeconds + LIFETIME_SLACK_SECONDS) return fail("token lifetime too long");
    if (typeof sub !== "string" || sub === "") return fail("missing sub");
    if (!Array.isArray(access) || !access.every(isAccessEntry)) return fail("malformed access claim");
    if (context !== undefined && !isPlainObject(context)) return fail("malformed context claim");

    const claims: RegistryClaims = {
      iss: iss as string,
      aud,
      sub,
      iat,
      nbf,
      exp,
      access: access.map((a: AccessEntry) => ({ type: a.type, name: a.name, actions: [...a.actions] })),
      context: (context as Record<string, unknown> | undefined) ?? {},
    };
    return { ok: true, claims: deepFreeze(claims) };
  }

  // Bounded: when full, drop expired entries, then the oldest tenth (Map keeps insertion order).
  private remember(token: string, claims: RegistryClaims, nowMs: number): void {
    if (this.cache.size >= this.cacheSize) {
      for (const [t, c] of this.cache) if (c.exp * 1000 <= nowMs) this.cache.delete(t);
      if (this.cache.size >= this.cacheSize) {
        let drop = Math.max(1, Math.floor(this.cacheSize / 10));
        for (const t of this.cache.keys()) {
          if (drop-- <= 0) break;
          this.cache.delete(t);
        }
      }
    }
    this.cache.set(token, claims);
  }
}

function reasonFor(e: unknown): string {
  if (e instanceof errors.JWTExpired) return "token expired";
  if (e instanceof errors.JWTClaimValidationFailed) {
    if (e.reason === "missing") return `missing ${e.claim}`;
    if (e.claim === "nbf") return "token not yet valid";
    if (e.claim === "aud") return "wrong audience";
    if (e.claim === "iss") return "wrong issuer";
    return `invalid ${e.claim} claim`;
  }
  if (e instanceof errors.JWSSignatureVerificationFailed) return "invalid signature";
  if (e instanceof errors.JOSEAlgNotAllowed) return "algorithm not allowed";
  return "malformed token";
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function isAccessEntry(v: unknown): v is AccessEntry {
  return (
    isPlainObject(v) &&
    typeof v.type === "string" && v.type !== "" &&
    typeof v.name === "string" && v.name !== "" &&
    Array.isArray(v.actions) && v.actions.every((a) => typeof a === "string")
  );
}

// Cached claims are shared between requests: freeze them so no handler can edit another's grant.
function deepFreeze<T>(v: T): T {
  if (typeof v === "object" && v !== null && !Object.isFrozen(v)) {
    Object.freeze(v);
    for (const x of Object.values(v)) deepFreeze(x);
  }
  return v;
}
