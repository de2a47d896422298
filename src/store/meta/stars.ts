import { and, asc, count, eq, gt, inArray } from "drizzle-orm";
import type { MetaDb } from "../db";
import { repositories, stars } from "../schema";

/** Repositories users starred (Quay's /user/starred and `starred=true` listings). */
export class StarStore {
  constructor(private readonly db: MetaDb) {}

  async star(userId: number, repositoryId: number): Promise<void> {
    this.db.insert(stars).values({ userId, repositoryId }).onConflictDoNothing().run();
  }

  /** False when the user had not starred it. */
  async unstar(userId: number, repositoryId: number): Promise<boolean> {
    return (
      this.db
        .delete(stars)
        .where(and(eq(stars.userId, userId), eq(stars.repositoryId, repositoryId)))
        .returning({ id: stars.repositoryId })
        .all().length > 0
    );
  }

  /** Full names of the user's starred repositories in name order, after `after`. */
  async starredBy(userId: number, after: string | undefined, limit: number): Promise<string[]> {
    const conditions = [eq(stars.userId, userId)];
    if (after !== undefined) conditions.push(gt(repositories.fullName, after));
    return this.db
      .select({ name: repositories.fullName })
      .from(stars)
      .innerJoin(repositories, eq(repositories.id, stars.repositoryId))
      .where(and(...conditions))
      .orderBy(asc(repositories.fullName))
      .limit(limit)
      .all()
      .map((r) => r.name);
  }

  /** How many users starred each of these repositories (absent: none). */
  async countsFor(repositoryIds: number[]): Promise<Map<number, number>> {
    if (!repositoryIds.length) return new Map();
    const rows = this.db
      .select({ id: stars.repositoryId, n: count() })
      .from(stars)
      .where(inArray(stars.repositoryId, repositoryIds))
      .groupBy(stars.repositoryId)
      .all();
    return new Map(rows.map((r) => [r.id, r.n]));
  }

  /** Which of these repositories the user starred. */
  async starredAmong(userId: number, repositoryIds: number[]): Promise<Set<number>> {
    if (!repositoryIds.length) return new Set();
    return new Set(
      this.db
        .select({ id: stars.repositoryId })
        .from(stars)
        .where(and(eq(stars.userId, userId), inArray(stars.repositoryId, repositoryIds)))
        .all()
        .map((r) => r.id),
    );
  }
}
