import { and, asc, eq } from "drizzle-orm";
import { all, changes, one, type Runner, type Tables } from "../dialect/program";

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

const columns = ({ appTokens }: Tables) => ({
  id: appTokens.id,
  uuid: appTokens.uuid,
  userId: appTokens.userId,
  title: appTokens.title,
  secretHash: appTokens.secretHash,
  expiresMs: appTokens.expiresMs,
  createdMs: appTokens.createdMs,
  lastAccessedMs: appTokens.lastAccessedMs,
});

/** App-specific tokens. The caller hashes the code; this store never sees it whole. */
export class AppTokenStore {
  constructor(private readonly q: Runner) {}

  create(userId: number, title: string, lookup: string, secretHash: string, expiresMs: number | null): Promise<AppTokenRow> {
    return this.q.run(function* ({ db, t }) {
      const [row] = yield* all(db.insert(t.appTokens).values({ uuid: crypto.randomUUID(), userId, title, lookup, secretHash, expiresMs }).returning(columns(t)));
      return row!;
    });
  }

  /** Candidates sharing the code's lookup prefix (normally one), oldest first. */
  byLookup(lookup: string): Promise<AppTokenRow[]> {
    return this.q.run(function* ({ db, t }) {
      return yield* all(db.select(columns(t)).from(t.appTokens).where(eq(t.appTokens.lookup, lookup)).orderBy(asc(t.appTokens.id)));
    });
  }

  byUuid(uuid: string): Promise<AppTokenRow | undefined> {
    return this.q.run(function* ({ db, t }) {
      return yield* one(db.select(columns(t)).from(t.appTokens).where(eq(t.appTokens.uuid, uuid)));
    });
  }

  async touch(id: number): Promise<void> {
    await this.q.run(function* ({ db, t }) {
      yield* changes(db.update(t.appTokens).set({ lastAccessedMs: Date.now() }).where(eq(t.appTokens.id, id)));
    });
  }

  /** False when the user has no such token. */
  revoke(userId: number, uuid: string): Promise<boolean> {
    return this.q.run(function* ({ db, t }) {
      return (yield* changes(db.delete(t.appTokens).where(and(eq(t.appTokens.userId, userId), eq(t.appTokens.uuid, uuid))))) > 0;
    });
  }

  listFor(userId: number): Promise<AppTokenRow[]> {
    return this.q.run(function* ({ db, t }) {
      return yield* all(db.select(columns(t)).from(t.appTokens).where(eq(t.appTokens.userId, userId)).orderBy(asc(t.appTokens.id)));
    });
  }
}
