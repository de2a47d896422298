import { and, asc, eq, gt, isNull } from "drizzle-orm";
import type { MetaDb } from "../db";
import type { ReadCache } from "./readCache";
import { tags } from "../schema";

/** Live tags (history rows are kept by ManifestStore.put and endTag). */
export class TagStore {
  constructor(
    private readonly db: MetaDb,
    private readonly cache: ReadCache,
  ) {}

  /** Live tag names in lexical order after `last`, at most `limit`. */
  list(repoId: number, last: string | undefined, limit: number | undefined): string[] {
    let q = this.db
      .select({ name: tags.name })
      .from(tags)
      .where(and(eq(tags.repositoryId, repoId), isNull(tags.endMs), last !== undefined ? gt(tags.name, last) : undefined))
      .orderBy(asc(tags.name))
      .$dynamic();
    if (limit !== undefined) q = q.limit(limit);
    return q.all().map((r) => r.name);
  }

  /** Ends the live period of a tag; the manifest stays. */
  end(repoId: number, name: string): boolean {
    this.cache.clear();
    const res = this.db
      .update(tags)
      .set({ endMs: Date.now() })
      .where(and(eq(tags.repositoryId, repoId), eq(tags.name, name), isNull(tags.endMs)))
      .returning({ id: tags.id })
      .all();
    return res.length > 0;
  }
}
