import { and, eq, sql } from "drizzle-orm";
import type { MetaDb } from "../db";
import { blobs, manifestBlobs, manifests, repositories, repositoryBlobs } from "../schema";

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

  /**
   * For a proxy cache: another repository of the same namespace that links the blob, when a
   * manifest of `repoId` names it (so only what this repository's upstream manifests name is
   * shared, and only within the organization).
   */
  sameNamespaceHolder(repoId: number, digest: string): { id: number; fullName: string } | undefined {
    const named = this.db
      .select({ one: sql`1` })
      .from(manifestBlobs)
      .innerJoin(manifests, eq(manifests.id, manifestBlobs.manifestId))
      .where(and(eq(manifestBlobs.digest, digest), eq(manifests.repositoryId, repoId)))
      .limit(1)
      .get();
    if (!named) return undefined;
    const ns = this.db.select({ ns: repositories.namespaceId }).from(repositories).where(eq(repositories.id, repoId)).get();
    if (!ns) return undefined;
    return this.db
      .select({ id: repositories.id, fullName: repositories.fullName })
      .from(repositoryBlobs)
      .innerJoin(repositories, eq(repositories.id, repositoryBlobs.repositoryId))
      .where(and(eq(repositoryBlobs.digest, digest), eq(repositories.namespaceId, ns.ns)))
      .limit(1)
      .get();
  }

  /** Bytes of every stored blob, each counted once (the registry's size on disk, uploads aside). */
  totalBytes(): number {
    return Number(this.db.select({ total: sql<number>`COALESCE(SUM(${blobs.size}), 0)` }).from(blobs).get()?.total ?? 0);
  }

}
