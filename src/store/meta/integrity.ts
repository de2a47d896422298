// What `berth fsck` reads to check every reference both ways, in pages (it may run beside a
// running server: reads only, SQLite's WAL keeps them out of the writers' way).
import { and, asc, eq, gt, inArray } from "drizzle-orm";
import type { MetaDb } from "../db";
import { blobs, manifests, repositories, repositoryBlobs, uploads } from "../schema";

export interface StoredManifestRow {
  id: number;
  repositoryId: number;
  repository: string;
  digest: string;
  mediaType: string;
  content: Uint8Array;
}

export class IntegrityReads {
  constructor(private readonly db: MetaDb) {}

  /** Blob rows after `afterDigest`, by digest. */
  async blobRows(afterDigest: string, limit: number): Promise<{ digest: string; size: number }[]> {
    return this.db.select({ digest: blobs.digest, size: blobs.size }).from(blobs).where(gt(blobs.digest, afterDigest)).orderBy(asc(blobs.digest)).limit(limit).all();
  }

  /** The rows of those of `digests` that have one, by digest. */
  async blobSizes(digests: string[]): Promise<Map<string, number>> {
    if (digests.length === 0) return new Map();
    return new Map(this.db.select({ digest: blobs.digest, size: blobs.size }).from(blobs).where(inArray(blobs.digest, digests)).all().map((r) => [r.digest, r.size]));
  }

  /** Manifests of every repository after `afterId`, by id, with their bytes. */
  async manifests(afterId: number, limit: number): Promise<StoredManifestRow[]> {
    return this.db
      .select({
        id: manifests.id,
        repositoryId: manifests.repositoryId,
        repository: repositories.fullName,
        digest: manifests.digest,
        mediaType: manifests.mediaType,
        content: manifests.content,
      })
      .from(manifests)
      .innerJoin(repositories, eq(repositories.id, manifests.repositoryId))
      .where(gt(manifests.id, afterId))
      .orderBy(asc(manifests.id))
      .limit(limit)
      .all();
  }

  /** Those of `digests` the repository links (and whose blob row exists: links cascade with it). */
  async linkedAmong(repoId: number, digests: string[]): Promise<Set<string>> {
    if (digests.length === 0) return new Set();
    return new Set(
      this.db
        .select({ d: repositoryBlobs.digest })
        .from(repositoryBlobs)
        .where(and(eq(repositoryBlobs.repositoryId, repoId), inArray(repositoryBlobs.digest, digests)))
        .all()
        .map((r) => r.d),
    );
  }

  /** Those of `digests` that are manifests of the repository. */
  async manifestsAmong(repoId: number, digests: string[]): Promise<Set<string>> {
    if (digests.length === 0) return new Set();
    return new Set(
      this.db
        .select({ d: manifests.digest })
        .from(manifests)
        .where(and(eq(manifests.repositoryId, repoId), inArray(manifests.digest, digests)))
        .all()
        .map((r) => r.d),
    );
  }

  /** Every upload session (few: capped per account). */
  async uploadSessions(): Promise<{ id: string; createdMs: number }[]> {
    return this.db.select({ id: uploads.id, createdMs: uploads.createdMs }).from(uploads).all();
  }

  /** SQLite's own checks: page structure and foreign keys; empty when both pass. */
  async databaseProblems(): Promise<string[]> {
    const client = this.db.$client;
    const integrity = client.prepare<{ integrity_check: string }, []>("PRAGMA integrity_check").all().map((r) => r.integrity_check);
    const problems = integrity.length === 1 && integrity[0] === "ok" ? [] : integrity;
    for (const fk of client.prepare<{ table: string; rowid: number; parent: string }, []>("PRAGMA foreign_key_check").all()) {
      problems.push(`${fk.table} row ${fk.rowid} names a missing ${fk.parent} row`);
    }
    return problems;
  }
}
