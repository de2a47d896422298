import { and, eq, sql } from "drizzle-orm";
import type { MetaDb } from "../db";
import { blobs, repositories, repositoryBlobs } from "../schema";

/** Which blobs exist, and which repositories may serve them. */
export class BlobLinkStore {
  private readonly linked;

  constructor(private readonly db: MetaDb) {
    this.linked = db
      .select({ size: blobs.size })
      .from(repositoryBlobs)
      .innerJoin(blobs, eq(blobs.digest, repositoryBlobs.digest))
      .where(
        and(
          eq(repositoryBlobs.repositoryId, sql.placeholder("repo")),
          eq(repositoryBlobs.digest, sql.placeholder("digest")),
        ),
      )
      .prepare();
  }

  /** The blob's size when `repoId` may serve it. */
  linkedSize(repoId: number, digest: string): number | undefined {
    return this.linked.get({ repo: repoId, digest })?.size;
  }

  /** A repository that links the blob (to mount it from), or undefined when none does. */
  holder(digest: string): { id: number; fullName: string } | undefined {
    return this.db
      .select({ id: repositories.id, fullName: repositories.fullName })
      .from(repositoryBlobs)
      .innerJoin(repositories, eq(repositories.id, repositoryBlobs.repositoryId))
      .where(eq(repositoryBlobs.digest, digest))
      .limit(1)
      .get();
  }

  /** Bytes of every stored blob, each counted once (the registry's size on disk, uploads aside). */
  totalBytes(): number {
    return Number(this.db.select({ total: sql<number>`COALESCE(SUM(${blobs.size}), 0)` }).from(blobs).get()?.total ?? 0);
  }

}
