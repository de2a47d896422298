// What `berth fsck` reads to check every reference both ways, in pages (it may run beside a
// running server: reads only, SQLite's WAL keeps them out of the writers' way).
import { and, asc, eq, gt, inArray } from "drizzle-orm";
import { all, type Runner } from "../dialect/program";

export interface StoredManifestRow {
  id: number;
  repositoryId: number;
  repository: string;
  digest: string;
  mediaType: string;
  content: Uint8Array;
}

export class IntegrityReads {
  constructor(
    private readonly q: Runner,
    /** The database's own checks (SQLite's integrity and foreign-key checks; PostgreSQL has none to run: it enforces its foreign keys). */
    private readonly checks: () => Promise<string[]>,
  ) {}

  /** Blob rows after `afterDigest`, by digest. */
  blobRows(afterDigest: string, limit: number): Promise<{ digest: string; size: number }[]> {
    return this.q.run(function* ({ db, t }) {
      return yield* all(db.select({ digest: t.blobs.digest, size: t.blobs.size }).from(t.blobs).where(gt(t.blobs.digest, afterDigest)).orderBy(asc(t.blobs.digest)).limit(limit));
    });
  }

  /** The rows of those of `digests` that have one, by digest. */
  async blobSizes(digests: string[]): Promise<Map<string, number>> {
    if (digests.length === 0) return new Map();
    const rows = await this.q.run(function* ({ db, t }) {
      return yield* all(db.select({ digest: t.blobs.digest, size: t.blobs.size }).from(t.blobs).where(inArray(t.blobs.digest, digests)));
    });
    return new Map(rows.map((r) => [r.digest, r.size]));
  }

  /** Manifests of every repository after `afterId`, by id, with their bytes. */
  manifests(afterId: number, limit: number): Promise<StoredManifestRow[]> {
    return this.q.run(function* ({ db, t }) {
      return yield* all(
        db
          .select({
            id: t.manifests.id,
            repositoryId: t.manifests.repositoryId,
            repository: t.repositories.fullName,
            digest: t.manifests.digest,
            mediaType: t.manifests.mediaType,
            content: t.manifests.content,
          })
          .from(t.manifests)
          .innerJoin(t.repositories, eq(t.repositories.id, t.manifests.repositoryId))
          .where(gt(t.manifests.id, afterId))
          .orderBy(asc(t.manifests.id))
          .limit(limit),
      );
    });
  }

  /** Those of `digests` the repository links (and whose blob row exists: links cascade with it). */
  async linkedAmong(repoId: number, digests: string[]): Promise<Set<string>> {
    if (digests.length === 0) return new Set();
    const rows = await this.q.run(function* ({ db, t }) {
      return yield* all(
        db
          .select({ d: t.repositoryBlobs.digest })
          .from(t.repositoryBlobs)
          .where(and(eq(t.repositoryBlobs.repositoryId, repoId), inArray(t.repositoryBlobs.digest, digests))),
      );
    });
    return new Set(rows.map((r) => r.d));
  }

  /** Those of `digests` that are manifests of the repository. */
  async manifestsAmong(repoId: number, digests: string[]): Promise<Set<string>> {
    if (digests.length === 0) return new Set();
    const rows = await this.q.run(function* ({ db, t }) {
      return yield* all(db.select({ d: t.manifests.digest }).from(t.manifests).where(and(eq(t.manifests.repositoryId, repoId), inArray(t.manifests.digest, digests))));
    });
    return new Set(rows.map((r) => r.d));
  }

  /** Every upload session (few: capped per account). */
  uploadSessions(): Promise<{ id: string; createdMs: number }[]> {
    return this.q.run(function* ({ db, t }) {
      return yield* all(db.select({ id: t.uploads.id, createdMs: t.uploads.createdMs }).from(t.uploads).orderBy(asc(t.uploads.id)));
    });
  }

  /** The database's own checks; empty when they pass. */
  databaseProblems(): Promise<string[]> {
    return this.checks();
  }
}
