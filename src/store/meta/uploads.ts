import { and, asc, count, eq, gte, lt } from "drizzle-orm";
import { all, changes, one, oneLocked, type Program, type Runner } from "../dialect/program";

export interface UploadRow {
  id: string;
  repositoryId: number;
  offset: number;
  expiresMs: number;
}

/** Upload session rows: a restart can continue or reject a session cleanly. */
export class UploadRowStore {
  constructor(private readonly q: Runner) {}

  async create(id: string, repositoryId: number, expiresMs: number): Promise<void> {
    await this.q.run(function* ({ db, t }) {
      yield* changes(db.insert(t.uploads).values({ id, repositoryId, expiresMs }));
    });
  }

  /**
   * Creates the row unless `owner` already has `max` open sessions (not finished, cancelled or
   * expired at `nowMs`). Count and insert share one transaction, so racing starts cannot pass
   * the cap together. SQLite: it takes the write lock up front (a transaction that reads first
   * cannot wait for the lock once another process, `berth gc`, has written since its read, and
   * fails with SQLITE_BUSY at once). PostgreSQL: the repository's row is locked first, so starts
   * in one repository take turns; an owner's sessions in several repositories at once may pass
   * the cap by the few that race (the cap bounds resources, not a count to the unit).
   */
  createWithinCap(id: string, repositoryId: number, expiresMs: number, owner: string, max: number, nowMs: number): Promise<boolean> {
    return this.q.transaction(
      function* ({ db, t }): Program<boolean> {
        yield* oneLocked(db.select({ id: t.repositories.id }).from(t.repositories).where(eq(t.repositories.id, repositoryId)));
        const open = (yield* one(db.select({ n: count() }).from(t.uploads).where(and(eq(t.uploads.owner, owner), gte(t.uploads.expiresMs, nowMs)))))!.n;
        if (open >= max) return false;
        yield* changes(db.insert(t.uploads).values({ id, repositoryId, expiresMs, owner }));
        return true;
      },
      { immediate: true },
    );
  }

  get(id: string, repositoryId: number): Promise<UploadRow | undefined> {
    return this.q.run(function* ({ db, t }) {
      const u = t.uploads;
      return yield* one(
        db
          .select({ id: u.id, repositoryId: u.repositoryId, offset: u.offset, expiresMs: u.expiresMs })
          .from(u)
          .where(and(eq(u.id, id), eq(u.repositoryId, repositoryId))),
      );
    });
  }

  async setOffset(id: string, offset: number, expiresMs: number): Promise<void> {
    await this.q.run(function* ({ db, t }) {
      yield* changes(db.update(t.uploads).set({ offset, expiresMs, updatedMs: Date.now() }).where(eq(t.uploads.id, id)));
    });
  }

  async delete(id: string): Promise<void> {
    await this.q.run(function* ({ db, t }) {
      yield* changes(db.delete(t.uploads).where(eq(t.uploads.id, id)));
    });
  }

  expired(nowMs: number): Promise<string[]> {
    return this.q.run(function* ({ db, t }) {
      return (yield* all(db.select({ id: t.uploads.id }).from(t.uploads).where(lt(t.uploads.expiresMs, nowMs)).orderBy(asc(t.uploads.id)))).map((r) => r.id);
    });
  }

  createdBefore(ms: number): Promise<string[]> {
    return this.q.run(function* ({ db, t }) {
      return (yield* all(db.select({ id: t.uploads.id }).from(t.uploads).where(lt(t.uploads.createdMs, ms)).orderBy(asc(t.uploads.id)))).map((r) => r.id);
    });
  }

  exists(id: string): Promise<boolean> {
    return this.q.run(function* ({ db, t }) {
      return (yield* one(db.select({ id: t.uploads.id }).from(t.uploads).where(eq(t.uploads.id, id)))) !== undefined;
    });
  }
}
