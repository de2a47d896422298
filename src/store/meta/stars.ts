import { and, asc, count, eq, gt, inArray } from "drizzle-orm";
import { all, changes, type Runner } from "../dialect/program";

/** Repositories users starred (Quay's /user/starred and `starred=true` listings). */
export class StarStore {
  constructor(private readonly q: Runner) {}

  async star(userId: number, repositoryId: number): Promise<void> {
    await this.q.run(function* ({ db, t }) {
      yield* changes(db.insert(t.stars).values({ userId, repositoryId }).onConflictDoNothing());
    });
  }

  /** False when the user had not starred it. */
  unstar(userId: number, repositoryId: number): Promise<boolean> {
    return this.q.run(function* ({ db, t }) {
      return (yield* changes(db.delete(t.stars).where(and(eq(t.stars.userId, userId), eq(t.stars.repositoryId, repositoryId))))) > 0;
    });
  }

  /** Full names of the user's starred repositories in name order, after `after`. */
  starredBy(userId: number, after: string | undefined, limit: number): Promise<string[]> {
    return this.q.run(function* ({ db, t }) {
      const conditions = [eq(t.stars.userId, userId)];
      if (after !== undefined) conditions.push(gt(t.repositories.fullName, after));
      const rows = yield* all(
        db
          .select({ name: t.repositories.fullName })
          .from(t.stars)
          .innerJoin(t.repositories, eq(t.repositories.id, t.stars.repositoryId))
          .where(and(...conditions))
          .orderBy(asc(t.repositories.fullName))
          .limit(limit),
      );
      return rows.map((r) => r.name);
    });
  }

  /** How many users starred each of these repositories (absent: none). */
  async countsFor(repositoryIds: number[]): Promise<Map<number, number>> {
    if (!repositoryIds.length) return new Map();
    const rows = await this.q.run(function* ({ db, t }) {
      return yield* all(
        db
          .select({ id: t.stars.repositoryId, n: count() })
          .from(t.stars)
          .where(inArray(t.stars.repositoryId, repositoryIds))
          .groupBy(t.stars.repositoryId),
      );
    });
    return new Map(rows.map((r) => [r.id, r.n]));
  }

  /** Which of these repositories the user starred. */
  async starredAmong(userId: number, repositoryIds: number[]): Promise<Set<number>> {
    if (!repositoryIds.length) return new Set();
    const rows = await this.q.run(function* ({ db, t }) {
      return yield* all(
        db
          .select({ id: t.stars.repositoryId })
          .from(t.stars)
          .where(and(eq(t.stars.userId, userId), inArray(t.stars.repositoryId, repositoryIds))),
      );
    });
    return new Set(rows.map((r) => r.id));
  }
}
