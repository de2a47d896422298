import { and, count, eq, gte, lt } from "drizzle-orm";
import type { MetaDb } from "../db";
import { uploads } from "../schema";

export interface UploadRow {
  id: string;
  repositoryId: number;
  offset: number;
  expiresMs: number;
}

/** Upload session rows: a restart can continue or reject a session cleanly. */
export class UploadRowStore {
  constructor(private readonly db: MetaDb) {}

  create(id: string, repositoryId: number, expiresMs: number): void {
    this.db.insert(uploads).values({ id, repositoryId, expiresMs }).run();
  }

  /**
   * Creates the row unless `owner` already has `max` open sessions (not finished, cancelled or
   * expired at `nowMs`). Count and insert share one transaction, so racing starts cannot pass
   * the cap together. It takes the write lock up front: a transaction that reads first cannot
   * wait for the lock once another process (`berth gc`) has written since its read, and fails
   * with SQLITE_BUSY at once.
   */
  createWithinCap(id: string, repositoryId: number, expiresMs: number, owner: string, max: number, nowMs: number): boolean {
    return this.db.transaction(
      (tx) => {
        const open = tx
          .select({ n: count() })
          .from(uploads)
          .where(and(eq(uploads.owner, owner), gte(uploads.expiresMs, nowMs)))
          .get()!.n;
        if (open >= max) return false;
        tx.insert(uploads).values({ id, repositoryId, expiresMs, owner }).run();
        return true;
      },
      { behavior: "immediate" },
    );
  }

  get(id: string, repositoryId: number): UploadRow | undefined {
    return this.db
      .select({ id: uploads.id, repositoryId: uploads.repositoryId, offset: uploads.offset, expiresMs: uploads.expiresMs })
      .from(uploads)
      .where(and(eq(uploads.id, id), eq(uploads.repositoryId, repositoryId)))
      .get();
  }

  setOffset(id: string, offset: number, expiresMs: number): void {
    this.db.update(uploads).set({ offset, expiresMs, updatedMs: Date.now() }).where(eq(uploads.id, id)).run();
  }

  delete(id: string): void {
    this.db.delete(uploads).where(eq(uploads.id, id)).run();
  }

  expired(nowMs: number): string[] {
    return this.db.select({ id: uploads.id }).from(uploads).where(lt(uploads.expiresMs, nowMs)).all().map((r) => r.id);
  }

  createdBefore(ms: number): string[] {
    return this.db.select({ id: uploads.id }).from(uploads).where(lt(uploads.createdMs, ms)).all().map((r) => r.id);
  }

  exists(id: string): boolean {
    return this.db.select({ id: uploads.id }).from(uploads).where(eq(uploads.id, id)).get() !== undefined;
  }
}
