import { and, eq, inArray, isNull, sql } from "drizzle-orm";
import type { MetaDb } from "../db";
import type { ReadCache } from "./readCache";
import { manifestBlobs, manifestChildren, manifests, repositoryBlobs, tags } from "../schema";
import { notExpired } from "./tags";

export interface StoredManifest {
  id: number;
  digest: string;
  mediaType: string;
  size: number;
  content: Uint8Array;
}

export interface ReferrerRow {
  digest: string;
  mediaType: string;
  size: number;
  artifactType: string | null;
  annotations: string | null;
}

const manifestColumns = {
  id: manifests.id,
  digest: manifests.digest,
  mediaType: manifests.mediaType,
  size: manifests.size,
  content: manifests.content,
};

/** Manifests as read (by tag, by digest, as referrers); the registry writes them. */
export class ManifestStore {
  private readonly byTag;
  private readonly byDigest;

  constructor(
    private readonly db: MetaDb,
    private readonly cache: ReadCache,
    private readonly clock: () => number = Date.now,
  ) {
    this.byTag = db
      .select({ ...manifestColumns, expiresMs: tags.expiresMs })
      .from(tags)
      .innerJoin(manifests, eq(manifests.id, tags.manifestId))
      .where(
        and(
          eq(tags.repositoryId, sql.placeholder("repo")),
          eq(tags.name, sql.placeholder("tag")),
          isNull(tags.endMs),
          notExpired(sql.placeholder("now")),
        ),
      )
      .prepare();
    this.byDigest = db
      .select(manifestColumns)
      .from(manifests)
      .where(and(eq(manifests.repositoryId, sql.placeholder("repo")), eq(manifests.digest, sql.placeholder("digest"))))
      .prepare();
  }

  /**
   * The manifest a live, unexpired tag points at. A remembered tag with an expiry is checked
   * against the clock on each hit (a proxy cache's tags all have one, and are read on every pull).
   */
  getByTag(repoId: number, tag: string): StoredManifest | undefined {
    const now = this.clock();
    const row = this.cache.get(`tag\0${repoId}\0${tag}`, () => this.byTag.get({ repo: repoId, tag, now }));
    return row?.expiresMs != null && row.expiresMs <= now ? undefined : row;
  }

  getByDigest(repoId: number, digest: string): StoredManifest | undefined {
    return this.byDigest.get({ repo: repoId, digest });
  }

  /** Manifests of the repository whose subject is `subjectDigest`, oldest first. */
  referrers(repoId: number, subjectDigest: string): ReferrerRow[] {
    return this.db
      .select({
        digest: manifests.digest,
        mediaType: manifests.mediaType,
        size: manifests.size,
        artifactType: manifests.artifactType,
        annotations: manifests.annotations,
      })
      .from(manifests)
      .where(and(eq(manifests.repositoryId, repoId), eq(manifests.subjectDigest, subjectDigest)))
      .orderBy(manifests.id)
      .all();
  }
}
