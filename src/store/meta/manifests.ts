import { and, eq, inArray, isNull, sql } from "drizzle-orm";
import type { MetaDb } from "../db";
import type { ReadCache } from "./readCache";
import { manifestBlobs, manifestChildren, manifests, repositoryBlobs, tags } from "../schema";
import { closeExpired, liveTag, notExpired } from "./tags";

export interface StoredManifest {
  id: number;
  digest: string;
  mediaType: string;
  size: number;
  content: Uint8Array;
}

export interface NewManifest {
  digest: string;
  mediaType: string;
  artifactType?: string;
  subjectDigest?: string;
  annotations?: Record<string, string>;
  content: Uint8Array;
  /** Every blob the manifest names (config and layers). */
  blobDigests: string[];
  /** The blobs that must be linked to the repository (all but foreign layers). */
  requiredBlobs: string[];
  childDigests: string[];
}

export type PutManifestOutcome =
  | { kind: "ok" }
  | { kind: "missingBlob"; digest: string }
  | { kind: "missingChild"; digest: string }
  /** The tag named is immutable: nothing was stored (Quay refuses the whole push). */
  | { kind: "immutable"; tag: string };

export type DeleteManifestOutcome =
  | { kind: "ok" }
  | { kind: "unknown" }
  /** A live immutable tag points at the manifest; nothing was deleted. */
  | { kind: "immutable"; tag: string };

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

/** Manifests, what they reference, and the tags that point at them. */
export class ManifestStore {
  private readonly byTag;
  private readonly byDigest;

  constructor(
    private readonly db: MetaDb,
    private readonly cache: ReadCache,
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

  /** The manifest a live, unexpired tag points at. Tags with an expiry are not cached (it would outlive it). */
  getByTag(repoId: number, tag: string): StoredManifest | undefined {
    return this.cache.get(
      `tag\0${repoId}\0${tag}`,
      () => this.byTag.get({ repo: repoId, tag, now: Date.now() }),
      (row) => row?.expiresMs == null,
    );
  }

  getByDigest(repoId: number, digest: string): StoredManifest | undefined {
    return this.byDigest.get({ repo: repoId, digest });
  }

  /**
   * Stores the manifest (once per repository and digest) and, with a tag, points the tag at it,
   * closing the tag's previous period so its history is kept.
   */
  put(repoId: number, m: NewManifest, tag?: string): PutManifestOutcome {
    this.cache.clear();
    return this.db.transaction((tx): PutManifestOutcome => {
      // Checked inside the write transaction, so garbage collection cannot unlink a blob
      // between the check and the insert.
      const required = [...new Set(m.requiredBlobs)];
      for (let i = 0; i < required.length; i += 500) {
        const part = required.slice(i, i + 500);
        const linked = new Set(
          tx
            .select({ digest: repositoryBlobs.digest })
            .from(repositoryBlobs)
            .where(and(eq(repositoryBlobs.repositoryId, repoId), inArray(repositoryBlobs.digest, part)))
            .all()
            .map((r) => r.digest),
        );
        const missing = part.find((d) => !linked.has(d));
        if (missing) return { kind: "missingBlob", digest: missing };
      }
      const children = [...new Set(m.childDigests)];
      if (children.length) {
        const present = new Set(
          tx
            .select({ digest: manifests.digest })
            .from(manifests)
            .where(and(eq(manifests.repositoryId, repoId), inArray(manifests.digest, children)))
            .all()
            .map((r) => r.digest),
        );
        const missing = children.find((d) => !present.has(d));
        if (missing) return { kind: "missingChild", digest: missing };
      }
      if (tag !== undefined) {
        closeExpired(tx, repoId, tag, Date.now());
        if (liveTag(tx, repoId, tag)?.immutable) return { kind: "immutable", tag };
      }
      let row = tx
        .select({ id: manifests.id })
        .from(manifests)
        .where(and(eq(manifests.repositoryId, repoId), eq(manifests.digest, m.digest)))
        .get();
      if (!row) {
        row = tx
          .insert(manifests)
          .values({
            repositoryId: repoId,
            digest: m.digest,
            mediaType: m.mediaType,
            artifactType: m.artifactType ?? null,
            subjectDigest: m.subjectDigest ?? null,
            size: m.content.byteLength,
            content: Buffer.from(m.content.buffer, m.content.byteOffset, m.content.byteLength),
            annotations: m.annotations ? JSON.stringify(m.annotations) : null,
          })
          .returning({ id: manifests.id })
          .get();
        const blobDigests = [...new Set(m.blobDigests)];
        if (blobDigests.length)
          tx.insert(manifestBlobs).values(blobDigests.map((digest) => ({ manifestId: row!.id, digest }))).run();
        const childDigests = [...new Set(m.childDigests)];
        if (childDigests.length)
          tx.insert(manifestChildren)
            .values(childDigests.map((childDigest) => ({ manifestId: row!.id, childDigest })))
            .run();
      }
      if (tag === undefined) return { kind: "ok" };
      const live = liveTag(tx, repoId, tag);
      if (live?.manifestId === row.id) return { kind: "ok" };
      const now = Date.now();
      if (live) tx.update(tags).set({ endMs: now }).where(eq(tags.id, live.id)).run();
      tx.insert(tags).values({ repositoryId: repoId, name: tag, manifestId: row.id, startMs: now }).run();
      return { kind: "ok" };
    });
  }

  /**
   * Deletes the manifest and every tag (live or historical) that pointed at it, unless a live
   * immutable tag points at it.
   */
  delete(repoId: number, digest: string): DeleteManifestOutcome {
    this.cache.clear();
    return this.db.transaction((tx): DeleteManifestOutcome => {
      const found = tx
        .select({ id: manifests.id })
        .from(manifests)
        .where(and(eq(manifests.repositoryId, repoId), eq(manifests.digest, digest)))
        .get();
      if (!found) return { kind: "unknown" };
      const guard = tx
        .select({ name: tags.name })
        .from(tags)
        .where(and(eq(tags.manifestId, found.id), isNull(tags.endMs), eq(tags.immutable, true), notExpired(Date.now())))
        .orderBy(tags.name)
        .limit(1)
        .get();
      if (guard) return { kind: "immutable", tag: guard.name };
      tx.delete(manifests).where(eq(manifests.id, found.id)).run();
      return { kind: "ok" };
    });
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
