// The lifecycle's writes inside one registry transaction: the time machine (moving ended tag
// periods out of their window, purging those past it) and the collector's deletions. Every
// deletion re-checks, inside the transaction, what made its target garbage when the collector
// looked (src/registry/lifecycle/collector.ts has the protocol): the transaction holds the
// repository's row (registry guards read it locked; SQLite's write lock), so what it sees is
// still true when it deletes. Each method is a step of the transaction's body (yield* it).
import { and, eq, inArray, isNotNull, lt, lte, notExists, or, sql } from "drizzle-orm";
import { all, changes, one, type Program, type Runner, type Scope } from "./dialect/program";
import { endsAfter, periodEnd } from "./meta/tagPeriods";
import { announceBlobDeletions, blobDigestLocks, clearAbandonedDeletions, endBlobDeletions } from "./blobDeletions";

/** A manifest the collector found garbage: what the transaction checks again. */
export interface ManifestCandidate {
  id: number;
  digest: string;
  subjectDigest: string | null;
}

/** Far below either dialect's limit on bound parameters; batches stay small anyway. */
const MAX_IN = 500;

function chunks<T>(items: readonly T[]): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += MAX_IN) out.push(items.slice(i, i + MAX_IN));
  return out;
}

const p = sql.placeholder;

/** The collector's per-candidate checks, built once per runner: a pass runs them per manifest, inside its transaction. */
export function lifecycleStatements(q: Runner) {
  return {
    manifest: q.statement(({ db, t }) =>
      db
        .select({ digest: t.manifests.digest, createdMs: t.manifests.createdMs })
        .from(t.manifests)
        .where(and(eq(t.manifests.id, p("id")), eq(t.manifests.repositoryId, p("repo")))),
    ),
    tagged: q.statement((scope) =>
      scope.db
        .select({ id: scope.t.tags.id })
        .from(scope.t.tags)
        .where(and(eq(scope.t.tags.manifestId, p("id")), or(eq(scope.t.tags.immutable, true), endsAfter(scope, p("since")))))
        .limit(1),
    ),
    parent: q.statement(({ db, t }) =>
      db
        .select({ id: t.manifests.id })
        .from(t.manifestChildren)
        .innerJoin(t.manifests, eq(t.manifests.id, t.manifestChildren.manifestId))
        .where(and(eq(t.manifests.repositoryId, p("repo")), eq(t.manifestChildren.childDigest, p("digest"))))
        .limit(1),
    ),
    byDigest: q.statement(({ db, t }) =>
      db
        .select({ id: t.manifests.id })
        .from(t.manifests)
        .where(and(eq(t.manifests.repositoryId, p("repo")), eq(t.manifests.digest, p("digest")))),
    ),
    deleteManifest: q.statement(({ db, t }) => db.delete(t.manifests).where(eq(t.manifests.id, p("id")))),
  };
}

export type LifecycleStatements = ReturnType<typeof lifecycleStatements>;

export class LifecycleTx {
  constructor(
    private readonly scope: Scope,
    private readonly q: LifecycleStatements,
  ) {}

  /**
   * The ended periods of the tag at the manifest still in the time machine (ended at or before
   * `nowMs`, after `sinceMs`), with their immutability.
   */
  *periodsInTimeMachine(repoId: number, name: string, manifestId: number, sinceMs: number, nowMs: number): Program<{ id: number; immutable: boolean }[]> {
    const { db, t } = this.scope;
    const end = periodEnd(this.scope);
    return yield* all(
      db
        .select({ id: t.tags.id, immutable: t.tags.immutable })
        .from(t.tags)
        .where(
          and(
            eq(t.tags.repositoryId, repoId),
            eq(t.tags.name, name),
            eq(t.tags.manifestId, manifestId),
            isNotNull(end),
            lte(end, nowMs),
            endsAfter(this.scope, sinceMs),
          ),
        )
        .orderBy(t.tags.id),
    );
  }

  /** Ends the period at `endMs` (a time before the window's start takes it out of the time machine). */
  *setPeriodEnd(tagId: number, endMs: number): Program<void> {
    const { db, t } = this.scope;
    yield* changes(db.update(t.tags).set({ endMs }).where(eq(t.tags.id, tagId)));
  }

  /**
   * Deletes up to `limit` periods of the repository's tags that ended at or before `endedByMs`
   * (past the time machine's window). A period flagged immutable is never purged.
   */
  *purgePeriods(repoId: number, endedByMs: number, limit: number): Program<number> {
    const { db, t } = this.scope;
    const end = periodEnd(this.scope);
    const rows = yield* all(
      db
        .select({ id: t.tags.id })
        .from(t.tags)
        .where(and(eq(t.tags.repositoryId, repoId), eq(t.tags.immutable, false), isNotNull(end), lte(end, endedByMs)))
        .orderBy(t.tags.id)
        .limit(limit),
    );
    const ids = rows.map((r) => r.id);
    if (ids.length) yield* changes(db.delete(t.tags).where(inArray(t.tags.id, ids)));
    return ids.length;
  }

  /**
   * Whether something keeps the manifest now: a live or time-machine period (ended after
   * `sinceMs`; an immutable one whatever its end), a push at or after `pushedBeforeMs`, an index
   * of the repository listing it, or its subject in the repository (referrers live as long as
   * their subject). Also true when the manifest is gone or changed (nothing to delete).
   */
  *manifestKept(repoId: number, m: ManifestCandidate, sinceMs: number, pushedBeforeMs: number): Program<boolean> {
    const row = yield* one(this.q.manifest, { id: m.id, repo: repoId });
    if (!row || row.digest !== m.digest || row.createdMs >= pushedBeforeMs) return true;
    if (yield* one(this.q.tagged, { id: m.id, since: sinceMs })) return true;
    if (yield* one(this.q.parent, { repo: repoId, digest: m.digest })) return true;
    return m.subjectDigest !== null && (yield* one(this.q.byDigest, { repo: repoId, digest: m.subjectDigest })) !== undefined;
  }

  /** Deletes a manifest with its periods, blob and child lists and labels (by cascade). */
  *deleteManifest(id: number): Program<void> {
    yield* changes(this.q.deleteManifest, { id });
  }

  /**
   * Unlinks those of `digests` from the repository whose link is older than `linkedBeforeMs`
   * (not uploaded or mounted again since) and that no manifest of the repository references.
   * Answers the digests unlinked.
   */
  *unlinkUnreferenced(repoId: number, digests: string[], linkedBeforeMs: number): Program<string[]> {
    const { db, t } = this.scope;
    const referenced = db
      .select({ one: sql`1` })
      .from(t.manifestBlobs)
      .innerJoin(t.manifests, eq(t.manifests.id, t.manifestBlobs.manifestId))
      .where(and(eq(t.manifests.repositoryId, t.repositoryBlobs.repositoryId), eq(t.manifestBlobs.digest, t.repositoryBlobs.digest)));
    const unlinked: string[] = [];
    for (const part of chunks(digests)) {
      const rows = yield* all(
        db
          .delete(t.repositoryBlobs)
          .where(
            and(
              eq(t.repositoryBlobs.repositoryId, repoId),
              inArray(t.repositoryBlobs.digest, part),
              lt(t.repositoryBlobs.createdMs, linkedBeforeMs),
              notExists(referenced),
            ),
          )
          .returning({ digest: t.repositoryBlobs.digest }),
      );
      for (const r of rows) unlinked.push(r.digest);
    }
    return unlinked;
  }

  /** Deletes those of `digests` no repository links and no manifest references; answers them with their sizes. */
  *deleteUnreferencedBlobs(digests: string[]): Program<{ digest: string; size: number }[]> {
    const { db, t } = this.scope;
    const deleted: { digest: string; size: number }[] = [];
    for (const part of chunks(digests)) {
      // A push linking one of these waits, then finds the row gone and writes it again.
      yield* blobDigestLocks(part);
      const rows = yield* all(
        db
          .delete(t.blobs)
          .where(
            and(
              inArray(t.blobs.digest, part),
              notExists(db.select({ one: sql`1` }).from(t.repositoryBlobs).where(eq(t.repositoryBlobs.digest, t.blobs.digest))),
              notExists(db.select({ one: sql`1` }).from(t.manifestBlobs).where(eq(t.manifestBlobs.digest, t.blobs.digest))),
            ),
          )
          .returning({ digest: t.blobs.digest, size: t.blobs.size }),
      );
      deleted.push(...rows);
    }
    return deleted;
  }

  /** Announces the deletion of rowless digests' bytes at `nowMs` (blobDeletions.ts); answers those announced. */
  *announceBlobDeletions(digests: string[], nowMs: number, owner: string): Program<string[]> {
    return yield* announceBlobDeletions(this.scope, digests, nowMs, owner);
  }

  *endBlobDeletions(digests: string[], startedMs: number): Program<void> {
    yield* endBlobDeletions(this.scope, digests, startedMs);
  }

  /** Clears the deletions a crashed collector announced and never ended; answers their digests. */
  *clearAbandonedDeletions(nowMs: number, ownerGone: (owner: string) => boolean): Program<string[]> {
    return yield* clearAbandonedDeletions(this.scope, nowMs, ownerGone);
  }

  /** Corrects a blob row's size to what its verified bytes hold (fsck's repair). */
  *setBlobSize(digest: string, size: number): Program<void> {
    const { db, t } = this.scope;
    yield* changes(db.update(t.blobs).set({ size }).where(eq(t.blobs.digest, digest)));
  }

  /**
   * Forgets a blob whose bytes are lost or damaged (fsck's repair): its row and, by cascade, every
   * repository's link, so HEAD answers 404 and the next push uploads it again. Answers the links dropped.
   */
  *forgetLostBlob(digest: string): Program<number> {
    const { db, t } = this.scope;
    const links = (yield* all(db.select({ one: sql`1` }).from(t.repositoryBlobs).where(eq(t.repositoryBlobs.digest, digest)))).length;
    yield* changes(db.delete(t.blobs).where(eq(t.blobs.digest, digest)));
    return links;
  }
}
