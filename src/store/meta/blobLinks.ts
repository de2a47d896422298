import { and, eq, sql, sum } from "drizzle-orm";
import { one, type Runner } from "../dialect/program";

/** Which blobs exist, and which repositories may serve them. */
export class BlobLinkStore {
  private readonly linked;

  constructor(private readonly q: Runner) {
    this.linked = q.statement(({ db, t }) =>
      db
        .select({ size: t.blobs.size })
        .from(t.repositoryBlobs)
        .innerJoin(t.blobs, eq(t.blobs.digest, t.repositoryBlobs.digest))
        .where(and(eq(t.repositoryBlobs.repositoryId, sql.placeholder("repo")), eq(t.repositoryBlobs.digest, sql.placeholder("digest")))),
    );
  }

  /** The blob's size when `repoId` may serve it. */
  linkedSize(repoId: number, digest: string): Promise<number | undefined> {
    const linked = this.linked;
    return this.q.run(function* () {
      return (yield* one(linked, { repo: repoId, digest }))?.size;
    });
  }

  /** A repository that links the blob (to mount it from), or undefined when none does. */
  holder(digest: string): Promise<{ id: number; fullName: string } | undefined> {
    return this.q.run(function* ({ db, t }) {
      return yield* one(
        db
          .select({ id: t.repositories.id, fullName: t.repositories.fullName })
          .from(t.repositoryBlobs)
          .innerJoin(t.repositories, eq(t.repositories.id, t.repositoryBlobs.repositoryId))
          .where(eq(t.repositoryBlobs.digest, digest))
          .limit(1),
      );
    });
  }

  /**
   * For a proxy cache: another repository of the same namespace that links the blob, when a
   * manifest of `repoId` names it (so only what this repository's upstream manifests name is
   * shared, and only within the organization).
   */
  sameNamespaceHolder(repoId: number, digest: string): Promise<{ id: number; fullName: string } | undefined> {
    return this.q.run(function* ({ db, t }) {
      const named = yield* one(
        db
          .select({ one: sql`1` })
          .from(t.manifestBlobs)
          .innerJoin(t.manifests, eq(t.manifests.id, t.manifestBlobs.manifestId))
          .where(and(eq(t.manifestBlobs.digest, digest), eq(t.manifests.repositoryId, repoId)))
          .limit(1),
      );
      if (!named) return undefined;
      const ns = yield* one(db.select({ ns: t.repositories.namespaceId }).from(t.repositories).where(eq(t.repositories.id, repoId)));
      if (!ns) return undefined;
      return yield* one(
        db
          .select({ id: t.repositories.id, fullName: t.repositories.fullName })
          .from(t.repositoryBlobs)
          .innerJoin(t.repositories, eq(t.repositories.id, t.repositoryBlobs.repositoryId))
          .where(and(eq(t.repositoryBlobs.digest, digest), eq(t.repositories.namespaceId, ns.ns)))
          .limit(1),
      );
    });
  }

  /** Bytes of every stored blob, each counted once (the registry's size on disk, uploads aside). */
  totalBytes(): Promise<number> {
    return this.q.run(function* ({ db, t }) {
      // sum() answers a string (or null) on both dialects.
      return Number((yield* one(db.select({ total: sum(t.blobs.size) }).from(t.blobs)))?.total ?? 0);
    });
  }
}
