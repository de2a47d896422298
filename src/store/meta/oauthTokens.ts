import { and, asc, eq, isNotNull, lte, sql } from "drizzle-orm";
import type { MetaDb } from "../db";
import { oauthAccessTokens, oauthApplications } from "../schema";

// OAuth access tokens (bearer tokens for API v1). The caller (src/auth/oauthTokenCode.ts) makes
// the token and hashes its secret half: a row keeps the lookup half and that hash, and this store
// never sees the token whole. Scope names are stored and returned as given: what they mean is
// auth's and perm's business, not the store's.

export interface OAuthTokenInfo {
  id: number;
  uuid: string;
  userId: number;
  scopes: string[];
  applicationId: number | null;
  /** The issuing application's client id; null for tokens minted outside one (CLI). */
  applicationClientId: string | null;
  createdMs: number;
  /** Null: never expires. */
  expiresMs: number | null;
}

export interface NewOAuthToken {
  userId: number;
  /** The token's lookup half (unique) and the hash of its secret half. */
  lookup: string;
  secretHash: string;
  scopes: readonly string[];
  applicationId?: number | null;
  /** Omitted: the token never expires. */
  lifetimeMs?: number;
}

const columns = {
  id: oauthAccessTokens.id,
  uuid: oauthAccessTokens.uuid,
  userId: oauthAccessTokens.userId,
  scope: oauthAccessTokens.scope,
  applicationId: oauthAccessTokens.applicationId,
  applicationClientId: oauthApplications.clientId,
  createdMs: oauthAccessTokens.createdMs,
  expiresMs: oauthAccessTokens.expiresMs,
};

type Row = { scope: string; applicationClientId: string | null } & Omit<OAuthTokenInfo, "scopes" | "applicationClientId">;

function info({ scope, ...row }: Row): OAuthTokenInfo {
  return { ...row, scopes: scope.split(" ").filter((s) => s !== "") };
}

export class OAuthTokenStore {
  private readonly byLookup;

  constructor(
    private readonly db: MetaDb,
    private readonly now: () => number = Date.now,
  ) {
    // The bearer check runs on every API v1 call made with a token: prepared once.
    this.byLookup = db
      .select({ ...columns, secretHash: oauthAccessTokens.secretHash })
      .from(oauthAccessTokens)
      .leftJoin(oauthApplications, eq(oauthApplications.id, oauthAccessTokens.applicationId))
      .where(eq(oauthAccessTokens.lookup, sql.placeholder("lookup")))
      .prepare();
  }

  async create(input: NewOAuthToken): Promise<OAuthTokenInfo> {
    if (input.lifetimeMs !== undefined && !(Number.isSafeInteger(input.lifetimeMs) && input.lifetimeMs > 0)) {
      throw new RangeError(`token lifetime must be a positive whole number of milliseconds, got ${input.lifetimeMs}`);
    }
    const createdMs = this.now();
    const row = this.db
      .insert(oauthAccessTokens)
      .values({
        uuid: crypto.randomUUID(),
        userId: input.userId,
        applicationId: input.applicationId ?? null,
        scope: input.scopes.join(" "),
        lookup: input.lookup,
        secretHash: input.secretHash,
        createdMs,
        expiresMs: input.lifetimeMs === undefined ? null : createdMs + input.lifetimeMs,
      })
      .returning({ uuid: oauthAccessTokens.uuid })
      .get();
    return (await this.byUuid(row.uuid))!;
  }

  /** The unexpired token with this lookup half, with its secret's hash for the caller to compare. */
  async liveByLookup(lookup: string): Promise<(OAuthTokenInfo & { secretHash: string }) | undefined> {
    const row = this.byLookup.get({ lookup });
    if (!row || (row.expiresMs !== null && row.expiresMs <= this.now())) return undefined;
    const { secretHash, ...rest } = row;
    return { ...info(rest), secretHash };
  }

  /** By uuid whether expired or not (for listings and revocation by the owner). */
  async byUuid(uuid: string): Promise<OAuthTokenInfo | undefined> {
    const row = this.select().where(eq(oauthAccessTokens.uuid, uuid)).get();
    return row && info(row);
  }

  /** The user's tokens, oldest first, expired ones included (callers compare expiresMs). */
  async listForUser(userId: number): Promise<OAuthTokenInfo[]> {
    return this.select().where(eq(oauthAccessTokens.userId, userId)).orderBy(asc(oauthAccessTokens.id)).all().map(info);
  }

  async listForApplication(applicationId: number): Promise<OAuthTokenInfo[]> {
    return this.select().where(eq(oauthAccessTokens.applicationId, applicationId)).orderBy(asc(oauthAccessTokens.id)).all().map(info);
  }

  /** Deletes the token; it stops working at the next request (nothing caches it). */
  async revoke(uuid: string): Promise<boolean> {
    return this.db.delete(oauthAccessTokens).where(eq(oauthAccessTokens.uuid, uuid)).returning({ id: oauthAccessTokens.id }).all().length > 0;
  }

  /** Removes rows that expired before `beforeMs` (default now); answers how many. */
  async deleteExpired(beforeMs: number = this.now()): Promise<number> {
    return this.db
      .delete(oauthAccessTokens)
      .where(and(isNotNull(oauthAccessTokens.expiresMs), lte(oauthAccessTokens.expiresMs, beforeMs)))
      .returning({ id: oauthAccessTokens.id })
      .all().length;
  }

  private select() {
    return this.db
      .select(columns)
      .from(oauthAccessTokens)
      .leftJoin(oauthApplications, eq(oauthApplications.id, oauthAccessTokens.applicationId))
      .$dynamic();
  }
}
