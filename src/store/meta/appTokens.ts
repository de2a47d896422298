import { and, asc, eq } from "drizzle-orm";
import type { MetaDb } from "../db";
import { appTokens } from "../schema";

export interface AppTokenRow {
  id: number;
  uuid: string;
  userId: number;
  title: string;
  secretHash: string;
  expiresMs: number | null;
  createdMs: number;
  lastAccessedMs: number | null;
}

const columns = {
  id: appTokens.id,
  uuid: appTokens.uuid,
  userId: appTokens.userId,
  title: appTokens.title,
  secretHash: appTokens.secretHash,
  expiresMs: appTokens.expiresMs,
  createdMs: appTokens.createdMs,
  lastAccessedMs: appTokens.lastAccessedMs,
};

/** App-specific tokens. The caller hashes the code; this store never sees it whole. */
export class AppTokenStore {
  constructor(private readonly db: MetaDb) {}

  async create(userId: number, title: string, lookup: string, secretHash: string, expiresMs: number | null): Promise<AppTokenRow> {
    return this.db
      .insert(appTokens)
      .values({ uuid: crypto.randomUUID(), userId, title, lookup, secretHash, expiresMs })
      .returning(columns)
      .get();
  }

  /** Candidates sharing the code's lookup prefix (normally one). */
  async byLookup(lookup: string): Promise<AppTokenRow[]> {
    return this.db.select(columns).from(appTokens).where(eq(appTokens.lookup, lookup)).all();
  }

  async byUuid(uuid: string): Promise<AppTokenRow | undefined> {
    return this.db.select(columns).from(appTokens).where(eq(appTokens.uuid, uuid)).get();
  }

  async touch(id: number): Promise<void> {
    this.db.update(appTokens).set({ lastAccessedMs: Date.now() }).where(eq(appTokens.id, id)).run();
  }

  async revoke(userId: number, uuid: string): Promise<boolean> {
    return (
      this.db
        .delete(appTokens)
        .where(and(eq(appTokens.userId, userId), eq(appTokens.uuid, uuid)))
        .returning({ id: appTokens.id })
        .all().length > 0
    );
  }

  async listFor(userId: number): Promise<AppTokenRow[]> {
    return this.db.select(columns).from(appTokens).where(eq(appTokens.userId, userId)).orderBy(asc(appTokens.id)).all();
  }
}
