// What the collector reads to find garbage, outside any transaction (SQLite's WAL lets these
// reads run beside writers). Everything comes in pages, so one call never holds the event loop
// or the memory for long; the deletions re-check inside their transactions (../lifecycleTx.ts).
// A pass over a large store runs these hundreds of thousands of times: they are prepared once.
import { and, asc, count, eq, gt, gte, isNotNull, lt, lte, or, sql, type AnyColumn } from "drizzle-orm";
import type { MetaDb } from "../db";
import { blobs, manifestBlobs, manifestChildren, manifests, namespaces, repositories, repositoryBlobs, tags } from "../schema";
import { endsAfter, periodEnd } from "./tags";

export interface RepositoryWindow {
  id: number;
  fullName: string;
  /** How long ended tag periods stay in the time machine (the namespace's tag_expiration_s). */
  timeMachineMs: number;
}

/** A manifest as the collector's mark phase sees it. */
export interface ManifestRow {
  id: number;
  digest: string;
  subjectDigest: string | null;
  /** When it was last pushed. */
  createdMs: number;
  /** A live or time-machine period points at it (or an immutable one, whatever its end). */
  tagged: boolean;
  /** Digests of the manifests it lists (an index). */
  children: string[];
}

export interface BlobRowState {
  digest: string;
  size: number;
  /** No repository links it and no manifest names it. */
  unreferenced: boolean;
}

const p = sql.placeholder;

function prepareReads(db: MetaDb) {
  /** Manifest ids of one repository in (from, to]. */
  const inRange = (id: AnyColumn) => and(gt(id, p("from")), lte(id, p("to")));
  return {
    repositories: db
      .select({ id: repositories.id, fullName: repositories.fullName, s: namespaces.tagExpirationS })
      .from(repositories)
      .innerJoin(namespaces, eq(namespaces.id, repositories.namespaceId))
      .where(gt(repositories.id, p("after")))
      .orderBy(asc(repositories.id))
      .limit(p("limit"))
      .prepare(),
    purgeable: db
      .select({ n: count() })
      .from(tags)
      .where(and(eq(tags.repositoryId, p("repo")), eq(tags.immutable, false), isNotNull(periodEnd), lte(periodEnd, p("endedBy"))))
      .prepare(),
    manifests: db
      .select({ id: manifests.id, digest: manifests.digest, subjectDigest: manifests.subjectDigest, createdMs: manifests.createdMs })
      .from(manifests)
      .where(and(eq(manifests.repositoryId, p("repo")), gt(manifests.id, p("after"))))
      .orderBy(asc(manifests.id))
      .limit(p("limit"))
      .prepare(),
    tagged: db
      .selectDistinct({ id: tags.manifestId })
      .from(tags)
      .where(and(eq(tags.repositoryId, p("repo")), inRange(tags.manifestId), or(eq(tags.immutable, true), endsAfter(p("since")))))
      .prepare(),
    children: db
      .select({ manifestId: manifestChildren.manifestId, childDigest: manifestChildren.childDigest })
      .from(manifestChildren)
      .innerJoin(manifests, eq(manifests.id, manifestChildren.manifestId))
      .where(and(eq(manifests.repositoryId, p("repo")), inRange(manifestChildren.manifestId)))
      .prepare(),
    named: db
      .select({ manifestId: manifestBlobs.manifestId, digest: manifestBlobs.digest })
      .from(manifestBlobs)
      .innerJoin(manifests, eq(manifests.id, manifestBlobs.manifestId))
      .where(and(eq(manifests.repositoryId, p("repo")), inRange(manifestBlobs.manifestId)))
      .prepare(),
    oldLinks: db
      .select({ digest: repositoryBlobs.digest })
      .from(repositoryBlobs)
      .where(and(eq(repositoryBlobs.repositoryId, p("repo")), gt(repositoryBlobs.digest, p("after")), lt(repositoryBlobs.createdMs, p("before"))))
      .orderBy(asc(repositoryBlobs.digest))
      .limit(p("limit"))
      .prepare(),
    blobRows: db.select({ digest: blobs.digest, size: blobs.size }).from(blobs).where(gt(blobs.digest, p("after"))).orderBy(asc(blobs.digest)).limit(p("limit")).prepare(),
    // Rows of a range that some repository links: one scan of the digest index (a probe per
    // row costs several times more over a large store).
    linkedInRange: db
      .selectDistinct({ digest: repositoryBlobs.digest })
      .from(repositoryBlobs)
      .where(and(gt(repositoryBlobs.digest, p("from")), lte(repositoryBlobs.digest, p("to"))))
      .prepare(),
    rowsInRange: db.select({ digest: blobs.digest }).from(blobs).where(and(gte(blobs.digest, p("from")), lte(blobs.digest, p("to")))).prepare(),
    linkedIn: db.select({ r: repositoryBlobs.repositoryId }).from(repositoryBlobs).where(eq(repositoryBlobs.digest, p("digest"))).prepare(),
    namedBy: db.select({ m: manifestBlobs.manifestId }).from(manifestBlobs).where(eq(manifestBlobs.digest, p("digest"))).prepare(),
    rowExists: db.select({ d: blobs.digest }).from(blobs).where(eq(blobs.digest, p("digest"))).prepare(),
  };
}

export class CollectionReads {
  private readonly q;

  constructor(db: MetaDb) {
    this.q = prepareReads(db);
  }

  /** Repositories after `afterId`, by id, with their namespace's time machine window. */
  repositories(afterId: number, limit: number): RepositoryWindow[] {
    return this.q.repositories.all({ after: afterId, limit }).map((r) => ({ id: r.id, fullName: r.fullName, timeMachineMs: r.s * 1000 }));
  }

  /** How many periods of the repository ended at or before `endedByMs` (what a purge would take). */
  purgeablePeriods(repoId: number, endedByMs: number): number {
    return this.q.purgeable.get({ repo: repoId, endedBy: endedByMs })!.n;
  }

  /**
   * The repository's manifests after `afterId`, with what they list; `tagged` counts periods
   * ending after `sinceMs`.
   */
  manifests(repoId: number, afterId: number, limit: number, sinceMs: number): ManifestRow[] {
    const rows = this.q.manifests.all({ repo: repoId, after: afterId, limit });
    if (rows.length === 0) return [];
    const range = { repo: repoId, from: afterId, to: rows.at(-1)!.id };
    const tagged = new Set(this.q.tagged.all({ ...range, since: sinceMs }).map((r) => r.id));
    const children = new Map<number, string[]>();
    for (const c of this.q.children.all(range)) children.set(c.manifestId, [...(children.get(c.manifestId) ?? []), c.childDigest]);
    return rows.map((r) => ({ ...r, tagged: tagged.has(r.id), children: children.get(r.id) ?? [] }));
  }

  /** The blobs the repository's manifests with ids in (fromId, toId] name. */
  blobsNamed(repoId: number, fromId: number, toId: number): { manifestId: number; digest: string }[] {
    return this.q.named.all({ repo: repoId, from: fromId, to: toId });
  }

  /** The repository's links older than `linkedBeforeMs`, by digest after `afterDigest`. */
  oldLinks(repoId: number, afterDigest: string, linkedBeforeMs: number, limit: number): string[] {
    return this.q.oldLinks.all({ repo: repoId, after: afterDigest, before: linkedBeforeMs, limit }).map((r) => r.digest);
  }

  /** Blob rows after `afterDigest`, each with whether anything still references it. */
  blobRows(afterDigest: string, limit: number): BlobRowState[] {
    const rows = this.q.blobRows.all({ after: afterDigest, limit });
    if (rows.length === 0) return [];
    const linked = new Set(this.q.linkedInRange.all({ from: afterDigest, to: rows.at(-1)!.digest }).map((r) => r.digest));
    // Few rows lack a link; only they are asked whether a manifest names them.
    return rows.map((r) => ({ ...r, unreferenced: !linked.has(r.digest) && this.q.namedBy.get({ digest: r.digest }) === undefined }));
  }

  /** Repositories linking the blob, and manifests naming it (a dry run's what-if). */
  referencesOf(digest: string): { linkedIn: number[]; namedBy: number[] } {
    return { linkedIn: this.q.linkedIn.all({ digest }).map((x) => x.r), namedBy: this.q.namedBy.all({ digest }).map((x) => x.m) };
  }

  hasBlobRow(digest: string): boolean {
    return this.q.rowExists.get({ digest }) !== undefined;
  }

  /**
   * Those of `digests` that have a blob row. Asked as one range (the store lists digests grouped
   * by prefix, so a page's range holds about as many rows as the page).
   */
  blobRowsAmong(digests: string[]): Set<string> {
    if (digests.length === 0) return new Set();
    const sorted = [...digests].sort();
    const wanted = new Set(digests);
    return new Set(this.q.rowsInRange.all({ from: sorted[0]!, to: sorted.at(-1)! }).map((r) => r.digest).filter((d) => wanted.has(d)));
  }
}
