import { and, asc, eq, isNotNull, lte, sql, type SQL } from "drizzle-orm";
import { all, changes, one, type Runner, type Scope, type Tables } from "../dialect/program";

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

const columns = ({ oauthAccessTokens: o, oauthApplications: a }: Tables) => ({
  id: o.id,
  uuid: o.uuid,
  userId: o.userId,
  scope: o.scope,
  applicationId: o.applicationId,
  applicationClientId: a.clientId,
  createdMs: o.createdMs,
  expiresMs: o.expiresMs,
});

type Row = { scope: string; applicationClientId: string | null } & Omit<OAuthTokenInfo, "scopes" | "applicationClientId">;

function info({ scope, ...row }: Row): OAuthTokenInfo {
  return { ...row, scopes: scope.split(" ").filter((s) => s !== "") };
}

/** Tokens with their application's client id, where `where` holds, oldest first. */
function selectTokens({ db, t }: Scope, where: SQL) {
  return db
    .select(columns(t))
    .from(t.oauthAccessTokens)
    .leftJoin(t.oauthApplications, eq(t.oauthApplications.id, t.oauthAccessTokens.applicationId))
    .where(where)
    .orderBy(asc(t.oauthAccessTokens.id));
}

export class OAuthTokenStore {
  private readonly byLookup;

  constructor(
    private readonly q: Runner,
    private readonly now: () => number = Date.now,
  ) {
    // The bearer check runs on every API v1 call made with a token: prepared once.
    this.byLookup = q.statement(({ db, t }) =>
      db
        .select({ ...columns(t), secretHash: t.oauthAccessTokens.secretHash })
        .from(t.oauthAccessTokens)
        .leftJoin(t.oauthApplications, eq(t.oauthApplications.id, t.oauthAccessTokens.applicationId))
        .where(eq(t.oauthAccessTokens.lookup, sql.placeholder("lookup"))),
    );
  }

  async create(input: NewOAuthToken): Promise<OAuthTokenInfo> {
    if (input.lifetimeMs !== undefined && !(Number.isSafeInteger(input.lifetimeMs) && input.lifetimeMs > 0)) {
      throw new RangeError(`token lifetime must be a positive whole number of milliseconds, got ${input.lifetimeMs}`);
    }
    const createdMs = this.now();
    const row = await this.q.run(function* (scope) {
      const { db, t } = scope;
      const [{ uuid }] = (yield* all(
        db
          .insert(t.oauthAccessTokens)
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
          .returning({ uuid: t.oauthAccessTokens.uuid }),
      )) as [{ uuid: string }];
      return yield* one(selectTokens(scope, eq(t.oauthAccessTokens.uuid, uuid)));
    });
    return info(row!);
  }

  /** The unexpired token with this lookup half, with its secret's hash for the caller to compare. */
  async liveByLookup(lookup: string): Promise<(OAuthTokenInfo & { secretHash: string }) | undefined> {
    const byLookup = this.byLookup;
    const row = await this.q.run(function* () {
      return yield* one(byLookup, { lookup });
    });
    if (!row || (row.expiresMs !== null && row.expiresMs <= this.now())) return undefined;
    const { secretHash, ...rest } = row;
    return { ...info(rest), secretHash };
  }

  /** By uuid whether expired or not (for listings and revocation by the owner). */
  async byUuid(uuid: string): Promise<OAuthTokenInfo | undefined> {
    const row = await this.q.run(function* (scope) {
      return yield* one(selectTokens(scope, eq(scope.t.oauthAccessTokens.uuid, uuid)));
    });
    return row && info(row);
  }

  /** The user's tokens, oldest first, expired ones included (callers compare expiresMs). */
  async listForUser(userId: number): Promise<OAuthTokenInfo[]> {
    const rows = await this.q.run(function* (scope) {
      return yield* all(selectTokens(scope, eq(scope.t.oauthAccessTokens.userId, userId)));
    });
    return rows.map(info);
  }

  /** The application's tokens, oldest first. */
  async listForApplication(applicationId: number): Promise<OAuthTokenInfo[]> {
    const rows = await this.q.run(function* (scope) {
      return yield* all(selectTokens(scope, eq(scope.t.oauthAccessTokens.applicationId, applicationId)));
    });
    return rows.map(info);
  }

  /** Deletes the token; it stops working at the next request (nothing caches it). */
  revoke(uuid: string): Promise<boolean> {
    return this.q.run(function* ({ db, t }) {
      const gone = yield* all(db.delete(t.oauthAccessTokens).where(eq(t.oauthAccessTokens.uuid, uuid)).returning({ id: t.oauthAccessTokens.id }));
      return gone.length > 0;
    });
  }

  /** Removes rows that expired before `beforeMs` (default now); answers how many. */
  deleteExpired(beforeMs: number = this.now()): Promise<number> {
    return this.q.run(function* ({ db, t }) {
      const o = t.oauthAccessTokens;
      return yield* changes(db.delete(o).where(and(isNotNull(o.expiresMs), lte(o.expiresMs, beforeMs))));
    });
  }
}
