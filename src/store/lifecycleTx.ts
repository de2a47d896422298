// The lifecycle's writes inside one registry transaction: the time machine (moving ended tag
// periods out of their window, purging those past it) and the collector's deletions. Every
// deletion re-checks, inside the transaction, what made its target garbage when the collector
// looked (src/registry/lifecycle/collector.ts has the protocol): the transaction holds the write
// lock, so what it sees is still true when it deletes.
import { and, eq, inArray, isNotNull, lt, lte, notExists, or, sql } from "drizzle-orm";
import { blobs, manifestBlobs, manifestChildren, manifests, repositoryBlobs, tags } from "./schema";
import { endsAfter, periodEnd } from "./meta/tags";
import type { MetaDb } from "./db";
import type { Tx } from "./registryTx";

/** A manifest the collector found garbage: what the transaction checks again. */
export interface ManifestCandidate {
  id: number;
  digest: string;
  subjectDigest: string | null;
}

/** SQLite's limit on bound variables is far above this; batches stay small anyway. */
const MAX_IN = 500;

function chunks<T>(items: readonly T[]): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += MAX_IN) out.push(items.slice(i, i + MAX_IN));
  return out;
}

const p = sql.placeholder;

/** The collector's per-candidate checks, prepared once per database: a pass runs them per manifest, inside its write lock. */
export function prepareLifecycleStatements(db: MetaDb) {
  return {
    manifest: db
      .select({ digest: manifests.digest, createdMs: manifests.createdMs })
      .from(manifests)
      .where(and(eq(manifests.id, p("id")), eq(manifests.repositoryId, p("repo"))))
      .prepare(),
    tagged: db
      .select({ id: tags.id })
      .from(tags)
      .where(and(eq(tags.manifestId, p("id")), or(eq(tags.immutable, true), endsAfter(p("since")))))
      .limit(1)
      .prepare(),
    parent: db
      .select({ id: manifests.id })
      .from(manifestChildren)
      .innerJoin(manifests, eq(manifests.id, manifestChildren.manifestId))
      .where(and(eq(manifests.repositoryId, p("repo")), eq(manifestChildren.childDigest, p("digest"))))
      .limit(1)
      .prepare(),
    byDigest: db
      .select({ id: manifests.id })
      .from(manifests)
      .where(and(eq(manifests.repositoryId, p("repo")), eq(manifests.digest, p("digest"))))
      .prepare(),
    deleteManifest: db.delete(manifests).where(eq(manifests.id, p("id"))).prepare(),
  };
}

export type LifecycleStatements = ReturnType<typeof prepareLifecycleStatements>;

export class LifecycleTx {
  /** `q` runs on the transaction's connection: prepared statements take part in it. */
  constructor(
    private readonly tx: Tx,
    private readonly q: LifecycleStatements,
  ) {}

  /**
   * The ended periods of the tag at the manifest still in the time machine (ended at or before
   * `nowMs`, after `sinceMs`), with their immutability.
   */
  periodsInTimeMachine(repoId: number, name: string, manifestId: number, sinceMs: number, nowMs: number): { id: number; immutable: boolean }[] {
    return this.tx
      .select({ id: tags.id, immutable: tags.immutable })
      .from(tags)
      .where(
        and(
          eq(tags.repositoryId, repoId),
          eq(tags.name, name),
          eq(tags.manifestId, manifestId),
          isNotNull(periodEnd),
          lte(periodEnd, nowMs),
          endsAfter(sinceMs),
        ),
      )
      .orderBy(tags.id)
      .all();
  }

  /** Ends the period at `endMs` (a time before the window's start takes it out of the time machine). */
  setPeriodEnd(tagId: number, endMs: number): void {
    this.tx.update(tags).set({ endMs }).where(eq(tags.id, tagId)).run();
  }

  /**
   * Deletes up to `limit` periods of the repository's tags that ended at or before `endedByMs`
   * (past the time machine's window). A period flagged immutable is never purged.
   */
  purgePeriods(repoId: number, endedByMs: number, limit: number): number {
    const ids = this.tx
      .select({ id: tags.id })
      .from(tags)
      .where(and(eq(tags.repositoryId, repoId), eq(tags.immutable, false), isNotNull(periodEnd), lte(periodEnd, endedByMs)))
      .limit(limit)
      .all()
      .map((r) => r.id);
    if (ids.length) this.tx.delete(tags).where(inArray(tags.id, ids)).run();
    return ids.length;
  }

  /**
   * Whether something keeps the manifest now: a live or time-machine period (ended after
   * `sinceMs`; an immutable one whatever its end), a push at or after `pushedBeforeMs`, an index
   * of the repository listing it, or its subject in the repository (referrers live as long as
   * their subject). Also true when the manifest is gone or changed (nothing to delete).
   */
  manifestKept(repoId: number, m: ManifestCandidate, sinceMs: number, pushedBeforeMs: number): boolean {
    const row = this.q.manifest.get({ id: m.id, repo: repoId });
    if (!row || row.digest !== m.digest || row.createdMs >= pushedBeforeMs) return true;
    if (this.q.tagged.get({ id: m.id, since: sinceMs })) return true;
    if (this.q.parent.get({ repo: repoId, digest: m.digest })) return true;
    return m.subjectDigest !== null && this.q.byDigest.get({ repo: repoId, digest: m.subjectDigest }) !== undefined;
  }

  /** Deletes a manifest with its periods, blob and child lists and labels (by cascade). */
  deleteManifest(id: number): void {
    this.q.deleteManifest.run({ id });
  }

  /**
   * Unlinks those of `digests` from the repository whose link is older than `linkedBeforeMs`
   * (not uploaded or mounted again since) and that no manifest of the repository references.
   * Answers the digests unlinked.
   */
  unlinkUnreferenced(repoId: number, digests: string[], linkedBeforeMs: number): string[] {
    const referenced = this.tx
      .select({ one: sql`1` })
      .from(manifestBlobs)
      .innerJoin(manifests, eq(manifests.id, manifestBlobs.manifestId))
      .where(and(eq(manifests.repositoryId, repositoryBlobs.repositoryId), eq(manifestBlobs.digest, repositoryBlobs.digest)));
    const unlinked: string[] = [];
    for (const part of chunks(digests)) {
      const rows = this.tx
        .delete(repositoryBlobs)
        .where(
          and(
            eq(repositoryBlobs.repositoryId, repoId),
            inArray(repositoryBlobs.digest, part),
            lt(repositoryBlobs.createdMs, linkedBeforeMs),
            notExists(referenced),
          ),
        )
        .returning({ digest: repositoryBlobs.digest })
        .all();
      for (const r of rows) unlinked.push(r.digest);
    }
    return unlinked;
  }

  /** Deletes those of `digests` no repository links and no manifest references; answers them with their sizes. */
  deleteUnreferencedBlobs(digests: string[]): { digest: string; size: number }[] {
    const deleted: { digest: string; size: number }[] = [];
    for (const part of chunks(digests)) {
      const rows = this.tx
        .delete(blobs)
        .where(
          and(
            inArray(blobs.digest, part),
            notExists(this.tx.select({ one: sql`1` }).from(repositoryBlobs).where(eq(repositoryBlobs.digest, blobs.digest))),
            notExists(this.tx.select({ one: sql`1` }).from(manifestBlobs).where(eq(manifestBlobs.digest, blobs.digest))),
          ),
        )
        .returning({ digest: blobs.digest, size: blobs.size })
        .all();
      deleted.push(...rows);
    }
    return deleted;
  }

  /** Corrects a blob row's size to what its verified bytes hold (fsck's repair). */
  setBlobSize(digest: string, size: number): void {
    this.tx.update(blobs).set({ size }).where(eq(blobs.digest, digest)).run();
  }

  /**
   * Forgets a blob whose bytes are lost or damaged (fsck's repair): its row and, by cascade, every
   * repository's link, so HEAD answers 404 and the next push uploads it again. Answers the links dropped.
   */
  forgetLostBlob(digest: string): number {
    const links = this.tx.select({ one: sql`1` }).from(repositoryBlobs).where(eq(repositoryBlobs.digest, digest)).all().length;
    this.tx.delete(blobs).where(eq(blobs.digest, digest)).run();
    return links;
  }
}
