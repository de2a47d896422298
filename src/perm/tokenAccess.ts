import { parseBearer } from "../auth/basicCredentials";
import { noteCaller } from "../requestNotes";
import { ANONYMOUS, tokenSubject, type Identity, type TokenSubject } from "../auth/identity";
import type { RegistryClaims, RegistryTokenService } from "../auth/registryToken";
import { serviceFor, type ServiceSettings } from "../auth/serviceName";
import type { UserStore } from "../store/meta/users";
import type { RobotStore } from "../store/meta/robots";
import type { OAuthStore } from "../store/meta/oauth";
import { parseScopes } from "../auth/oauthScopeNames";
import type { AccessDecision, AccessPolicy, BearerIdentity, CatalogFilter, RepoAction } from "./access";
import type { RepoRoleResolver } from "./repoRoles";
import { roleAtLeast, tokenAllows } from "./roles";

const ALLOWED: AccessDecision = { allowed: true };

// Per verified token, its granted actions indexed by repository (the same union tokenAllows
// computes), so the hot path costs one Map lookup. Per node, and correct so: derived from frozen claims.
const grantIndex = new WeakMap<RegistryClaims, Map<string, Set<string>>>();
function grantsOf(claims: RegistryClaims): Map<string, Set<string>> {
  let index = grantIndex.get(claims);
  if (!index) {
    index = new Map();
    for (const entry of claims.access) {
      if (entry.type !== "repository" || typeof entry.name !== "string" || !Array.isArray(entry.actions)) continue;
      // The canonical name the token endpoint checked (see tokenAllows): compared as is.
      const name = entry.name;
      const set = index.get(name) ?? new Set<string>();
      for (const a of entry.actions) set.add(a);
      index.set(name, set);
    }
    grantIndex.set(claims, index);
  }
  return index;
}

// Per verified token, whom it names (null: anonymous), so repeated pulls share one object.
const subjectIndex = new WeakMap<RegistryClaims, TokenSubject | null>();

function allows(granted: Set<string> | undefined, actions: RepoAction[]): boolean {
  return granted !== undefined && (granted.has("*") || actions.every((a) => granted.has(a)));
}

/**
 * Docker token auth: /v2 accepts only `Bearer <jwt>` minted by /v2/auth, and the token's
 * `access` claim is the whole grant. Public repositories may be pulled with no token at all.
 */
export class TokenAccessPolicy implements AccessPolicy {
  readonly mode = "token" as const;
  /**
   * The claims check() verified, by request: the handler that runs next asks for the subject
   * (events, audit) without parsing and looking the token up again (a ~700-character key).
   */
  private readonly verified = new WeakMap<Request, RegistryClaims>();

  constructor(
    private readonly tokens: RegistryTokenService,
    private readonly roles: RepoRoleResolver,
    private readonly accounts: { users: UserStore; robots: RobotStore; oauth: OAuthStore },
    private readonly settings: ServiceSettings,
  ) {}

  async checkBase(request: Request): Promise<AccessDecision> {
    const claims = await this.claims(request);
    if (claims === undefined) return { allowed: false, reason: "unauthenticated", message: "authentication required" };
    if (!claims.ok) return { allowed: false, reason: "invalidToken", message: claims.reason };
    return { allowed: true };
  }

  check(request: Request, repo: string, actions: RepoAction[]): AccessDecision | Promise<AccessDecision> {
    // Fast path: a bearer verified before (no promise, ~10 % of a manifest GET).
    const header = request.headers.get("authorization");
    if (header !== null && header.startsWith("Bearer ")) {
      const cached = this.tokens.cachedClaims(header.slice(7).trim(), serviceFor(this.settings, request));
      if (cached && allows(grantsOf(cached).get(repo), actions)) {
        this.verifiedFor(request, cached);
        return ALLOWED;
      }
    }
    return this.checkVerifying(request, repo, actions);
  }

  /** check() for a token not verified before, or one that does not grant the actions. */
  private async checkVerifying(request: Request, repo: string, actions: RepoAction[]): Promise<AccessDecision> {
    const claims = await this.claims(request);
    if (claims?.ok) this.verifiedFor(request, claims.claims);
    if (claims?.ok && tokenAllows(claims.claims.access, repo, actions)) return ALLOWED;
    // Anonymous pulls of public repositories work without any token, as on Quay.
    if (actions.every((a) => a === "pull") && (await this.roles.isPublic(repo))) return { allowed: true };
    if (claims === undefined) return { allowed: false, reason: "unauthenticated", message: "authentication required" };
    if (!claims.ok) return { allowed: false, reason: "invalidToken", message: claims.reason };
    // An anonymous token: logging in may help. Someone logged in is told they are refused, not
    // asked to authenticate again. Same answer for "missing" and "not yours" either way:
    // private repositories never leak.
    if (tokenSubject(claims.claims.sub, claims.claims.context) === undefined) {
      return { allowed: false, reason: "unauthenticated", message: "authentication required" };
    }
    return { allowed: false, reason: "insufficient", message: "requested access to the resource is denied" };
  }

  async catalogFilter(request: Request): Promise<CatalogFilter> {
    // Like Distribution, an unauthenticated catalog request gets a challenge (scope
    // registry:catalog:*) so clients log in; the list is then what the token's user may read.
    const bearer = await this.bearerIdentity(request);
    if (bearer === undefined) return { allowed: false, reason: "unauthenticated", message: "authentication required" };
    if (!bearer.ok) return { allowed: false, reason: "invalidToken", message: bearer.reason };
    const identity = bearer.identity;
    if (identity.kind === "anonymous") return { allowed: true, canSee: () => false };
    return { allowed: true, canSee: async (repo) => roleAtLeast((await this.roles.standing(identity, repo)).role, "read") };
  }

  async bearerIdentity(request: Request): Promise<BearerIdentity | undefined> {
    const claims = await this.claims(request);
    if (claims === undefined) return undefined;
    if (!claims.ok) return claims;
    return { ok: true, identity: (await this.identityOf(claims.claims)) ?? ANONYMOUS };
  }

  verifiedSubject(request: Request): TokenSubject | undefined {
    // check() verified this request's token moments ago.
    const claims = this.verified.get(request) ?? this.cachedClaimsOf(request);
    if (!claims) return undefined;
    let subject = subjectIndex.get(claims);
    if (subject === undefined) {
      subject = tokenSubject(claims.sub, claims.context) ?? null;
      subjectIndex.set(claims, subject);
    }
    return subject ?? undefined;
  }

  /** The claims check() verified for this request: the request's caller for the log, its subject for events. */
  private verifiedFor(request: Request, claims: RegistryClaims): void {
    this.verified.set(request, claims);
    if (claims.sub) noteCaller(request, claims.sub);
  }

  /** The claims of the request's token when verified before (a request check() did not see). */
  private cachedClaimsOf(request: Request): RegistryClaims | undefined {
    const header = request.headers.get("authorization");
    if (header === null) return undefined;
    const token = header.startsWith("Bearer ") ? header.slice(7).trim() : parseBearer(header);
    if (!token) return undefined;
    return this.tokens.cachedClaims(token, serviceFor(this.settings, request));
  }

  private async claims(request: Request): Promise<{ ok: true; claims: RegistryClaims } | { ok: false; reason: string } | undefined> {
    const header = request.headers.get("authorization");
    if (!header) return undefined;
    const token = parseBearer(header);
    if (!token) return { ok: false, reason: "only Bearer tokens from the token realm are accepted on /v2" };
    return this.tokens.verify(token, serviceFor(this.settings, request));
  }

  /** Whom the token speaks for now: undefined for anonymous tokens and accounts gone since. */
  private async identityOf(claims: RegistryClaims): Promise<Identity | undefined> {
    const subject = tokenSubject(claims.sub, claims.context);
    return subject && (await identityOfTokenSubject(this.accounts, subject));
  }
}

type TokenAccounts = { users: UserStore; robots: RobotStore; oauth: OAuthStore };

/**
 * Whom a verified token's subject names now: undefined once the account is gone or disabled (a
 * robot stops with its user owner), or its OAuth token revoked or expired, whatever the token
 * still says. A token minted for an OAuth token keeps that token's scopes as its cap.
 */
export async function identityOfTokenSubject(accounts: TokenAccounts, subject: TokenSubject): Promise<Identity | undefined> {
  if (subject.kind === "robot") {
    const robot = await accounts.robots.byName(subject.name);
    if (!robot) return undefined;
    const owner = await accounts.users.byName(robot.owner);
    return owner && !owner.enabled ? undefined : { kind: "robot", robot };
  }
  if (subject.oauthTokenUuid !== undefined) return oauthIdentity(accounts, subject.name, subject.oauthTokenUuid);
  const user = await accounts.users.byName(subject.name);
  return user?.enabled ? { kind: "user", user, via: "password" } : undefined;
}

async function oauthIdentity(accounts: TokenAccounts, name: string, tokenUuid: string): Promise<Identity | undefined> {
  const token = await accounts.oauth.tokens.byUuid(tokenUuid);
  if (!token || (token.expiresMs !== null && token.expiresMs <= Date.now())) return undefined;
  const scopes = parseScopes(token.scopes.join(" "));
  const user = await accounts.users.byId(token.userId);
  if (!scopes.ok || !user?.enabled || user.username !== name) return undefined;
  return { kind: "user", user, via: "oauth", oauthScopes: scopes.scopes, oauthTokenUuid: tokenUuid };
}
