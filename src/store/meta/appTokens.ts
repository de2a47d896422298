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

  create(userId: number, title: string, lookup: string, secretHash: string, expiresMs: number | null): AppTokenRow {
    return this.db
      .insert(appTokens)
      .values({ uuid: crypto.randomUUID(), userId, title, lookup, secretHash, expiresMs })
      .returning(columns)
      .get();
  }

  /** Candidates sharing the code's lookup prefix (normally one). */
  byLookup(lookup: string): AppTokenRow[] {
    return this.db.select(columns).from(appTokens).where(eq(appTokens.lookup, lookup)).all();
  }

  byUuid(uuid: string): AppTokenRow | undefined {
    return this.db.select(columns).from(appTokens).where(eq(appTokens.uuid, uuid)).get();
  }

  touch(id: number): void {
    this.db.update(appTokens).set({ lastAccessedMs: Date.now() }).where(eq(appTokens.id, id)).run();
  }

  revoke(userId: number, uuid: string): boolean {
    return (
      this.db
        .delete(appTokens)
        .where(and(eq(appTokens.userId, userId), eq(appTokens.uuid, uuid)))
        .returning({ id: appTokens.id })
        .all().length > 0
    );
  }

  listFor(userId: number): AppTokenRow[] {
    return this.db.select(columns).from(appTokens).where(eq(appTokens.userId, userId)).orderBy(asc(appTokens.id)).all();
  }
}
