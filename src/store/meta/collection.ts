// What the collector reads to find garbage, outside any transaction (SQLite's WAL lets these
// reads run beside writers). Everything comes in pages, so one call never holds the event loop
// or the memory for long; the deletions re-check inside their transactions (../lifecycleTx.ts).
// A pass over a large store runs these hundreds of thousands of times: they are statements built
// once (../dialect/program.ts).
import { and, asc, count, eq, gt, gte, isNotNull, lt, lte, or, sql, type AnyColumn } from "drizzle-orm";
import { all, one, type Runner, type Statement, type Query } from "../dialect/program";
import { endsAfter, periodEnd } from "./tagPeriods";

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

function prepareReads(q: Runner) {
  /** Manifest ids of one repository in (from, to]. */
  const inRange = (id: AnyColumn) => and(gt(id, p("from")), lte(id, p("to")));
  return {
    repositories: q.statement(({ db, t }) =>
      db
        .select({ id: t.repositories.id, fullName: t.repositories.fullName, s: t.namespaces.tagExpirationS })
        .from(t.repositories)
        .innerJoin(t.namespaces, eq(t.namespaces.id, t.repositories.namespaceId))
        .where(gt(t.repositories.id, p("after")))
        .orderBy(asc(t.repositories.id))
        .limit(p("limit")),
    ),
    purgeable: q.statement((scope) => {
      const { db, t } = scope;
      const end = periodEnd(scope);
      return db
        .select({ n: count() })
        .from(t.tags)
        .where(and(eq(t.tags.repositoryId, p("repo")), eq(t.tags.immutable, false), isNotNull(end), lte(end, p("endedBy"))));
    }),
    manifests: q.statement(({ db, t }) =>
      db
        .select({ id: t.manifests.id, digest: t.manifests.digest, subjectDigest: t.manifests.subjectDigest, createdMs: t.manifests.createdMs })
        .from(t.manifests)
        .where(and(eq(t.manifests.repositoryId, p("repo")), gt(t.manifests.id, p("after"))))
        .orderBy(asc(t.manifests.id))
        .limit(p("limit")),
    ),
    tagged: q.statement((scope) => {
      const { db, t } = scope;
      return db
        .selectDistinct({ id: t.tags.manifestId })
        .from(t.tags)
        .where(and(eq(t.tags.repositoryId, p("repo")), inRange(t.tags.manifestId), or(eq(t.tags.immutable, true), endsAfter(scope, p("since")))));
    }),
    children: q.statement(({ db, t }) =>
      db
        .select({ manifestId: t.manifestChildren.manifestId, childDigest: t.manifestChildren.childDigest })
        .from(t.manifestChildren)
        .innerJoin(t.manifests, eq(t.manifests.id, t.manifestChildren.manifestId))
        .where(and(eq(t.manifests.repositoryId, p("repo")), inRange(t.manifestChildren.manifestId)))
        .orderBy(asc(t.manifestChildren.manifestId), asc(t.manifestChildren.childDigest)),
    ),
    named: q.statement(({ db, t }) =>
      db
        .select({ manifestId: t.manifestBlobs.manifestId, digest: t.manifestBlobs.digest })
        .from(t.manifestBlobs)
        .innerJoin(t.manifests, eq(t.manifests.id, t.manifestBlobs.manifestId))
        .where(and(eq(t.manifests.repositoryId, p("repo")), inRange(t.manifestBlobs.manifestId)))
        .orderBy(asc(t.manifestBlobs.manifestId), asc(t.manifestBlobs.digest)),
    ),
    oldLinks: q.statement(({ db, t }) =>
      db
        .select({ digest: t.repositoryBlobs.digest })
        .from(t.repositoryBlobs)
        .where(and(eq(t.repositoryBlobs.repositoryId, p("repo")), gt(t.repositoryBlobs.digest, p("after")), lt(t.repositoryBlobs.createdMs, p("before"))))
        .orderBy(asc(t.repositoryBlobs.digest))
        .limit(p("limit")),
    ),
    blobRows: q.statement(({ db, t }) =>
      db.select({ digest: t.blobs.digest, size: t.blobs.size }).from(t.blobs).where(gt(t.blobs.digest, p("after"))).orderBy(asc(t.blobs.digest)).limit(p("limit")),
    ),
    // Rows of a range that some repository links: one scan of the digest index (a probe per
    // row costs several times more over a large store).
    linkedInRange: q.statement(({ db, t }) =>
      db
        .selectDistinct({ digest: t.repositoryBlobs.digest })
        .from(t.repositoryBlobs)
        .where(and(gt(t.repositoryBlobs.digest, p("from")), lte(t.repositoryBlobs.digest, p("to")))),
    ),
    rowsInRange: q.statement(({ db, t }) => db.select({ digest: t.blobs.digest }).from(t.blobs).where(and(gte(t.blobs.digest, p("from")), lte(t.blobs.digest, p("to"))))),
    linkedIn: q.statement(({ db, t }) =>
      db.select({ r: t.repositoryBlobs.repositoryId }).from(t.repositoryBlobs).where(eq(t.repositoryBlobs.digest, p("digest"))).orderBy(asc(t.repositoryBlobs.repositoryId)),
    ),
    namedBy: q.statement(({ db, t }) =>
      db.select({ m: t.manifestBlobs.manifestId }).from(t.manifestBlobs).where(eq(t.manifestBlobs.digest, p("digest"))).orderBy(asc(t.manifestBlobs.manifestId)),
    ),
    namedByAny: q.statement(({ db, t }) => db.select({ m: t.manifestBlobs.manifestId }).from(t.manifestBlobs).where(eq(t.manifestBlobs.digest, p("digest"))).limit(1)),
    rowExists: q.statement(({ db, t }) => db.select({ d: t.blobs.digest }).from(t.blobs).where(eq(t.blobs.digest, p("digest")))),
  };
}

type Reads = ReturnType<typeof prepareReads>;

export class CollectionReads {
  private readonly s: Reads;

  constructor(private readonly q: Runner) {
    this.s = prepareReads(q);
  }

  /** Every row of one statement. */
  private rows<Q extends Query>(statement: Statement<Q>, params: Record<string, unknown>) {
    return this.q.run(function* () {
      return yield* all(statement, params);
    });
  }

  /** Repositories after `afterId`, by id, with their namespace's time machine window. */
  async repositories(afterId: number, limit: number): Promise<RepositoryWindow[]> {
    const rows = await this.rows(this.s.repositories, { after: afterId, limit });
    return rows.map((r) => ({ id: r.id, fullName: r.fullName, timeMachineMs: r.s * 1000 }));
  }

  /** How many periods of the repository ended at or before `endedByMs` (what a purge would take). */
  purgeablePeriods(repoId: number, endedByMs: number): Promise<number> {
    const purgeable = this.s.purgeable;
    return this.q.run(function* () {
      return (yield* one(purgeable, { repo: repoId, endedBy: endedByMs }))!.n;
    });
  }

  /**
   * The repository's manifests after `afterId`, with what they list; `tagged` counts periods
   * ending after `sinceMs`.
   */
  manifests(repoId: number, afterId: number, limit: number, sinceMs: number): Promise<ManifestRow[]> {
    const s = this.s;
    return this.q.run(function* () {
      const rows = yield* all(s.manifests, { repo: repoId, after: afterId, limit });
      if (rows.length === 0) return [];
      const range = { repo: repoId, from: afterId, to: rows.at(-1)!.id };
      const tagged = new Set((yield* all(s.tagged, { ...range, since: sinceMs })).map((r) => r.id));
      const children = new Map<number, string[]>();
      for (const c of yield* all(s.children, range)) children.set(c.manifestId, [...(children.get(c.manifestId) ?? []), c.childDigest]);
      return rows.map((r) => ({ ...r, tagged: tagged.has(r.id), children: children.get(r.id) ?? [] }));
    });
  }

  /** The blobs the repository's manifests with ids in (fromId, toId] name. */
  blobsNamed(repoId: number, fromId: number, toId: number): Promise<{ manifestId: number; digest: string }[]> {
    return this.rows(this.s.named, { repo: repoId, from: fromId, to: toId });
  }

  /** The repository's links older than `linkedBeforeMs`, by digest after `afterDigest`. */
  async oldLinks(repoId: number, afterDigest: string, linkedBeforeMs: number, limit: number): Promise<string[]> {
    return (await this.rows(this.s.oldLinks, { repo: repoId, after: afterDigest, before: linkedBeforeMs, limit })).map((r) => r.digest);
  }

  /** Blob rows after `afterDigest`, each with whether anything still references it. */
  blobRows(afterDigest: string, limit: number): Promise<BlobRowState[]> {
    const s = this.s;
    return this.q.run(function* () {
      const rows = yield* all(s.blobRows, { after: afterDigest, limit });
      if (rows.length === 0) return [];
      const linked = new Set((yield* all(s.linkedInRange, { from: afterDigest, to: rows.at(-1)!.digest })).map((r) => r.digest));
      // Few rows lack a link; only they are asked whether a manifest names them.
      const out: BlobRowState[] = [];
      for (const r of rows) out.push({ ...r, unreferenced: !linked.has(r.digest) && (yield* one(s.namedByAny, { digest: r.digest })) === undefined });
      return out;
    });
  }

  /** Repositories linking the blob, and manifests naming it (a dry run's what-if). */
  referencesOf(digest: string): Promise<{ linkedIn: number[]; namedBy: number[] }> {
    const s = this.s;
    return this.q.run(function* () {
      return { linkedIn: (yield* all(s.linkedIn, { digest })).map((x) => x.r), namedBy: (yield* all(s.namedBy, { digest })).map((x) => x.m) };
    });
  }

  hasBlobRow(digest: string): Promise<boolean> {
    const rowExists = this.s.rowExists;
    return this.q.run(function* () {
      return (yield* one(rowExists, { digest })) !== undefined;
    });
  }

  /**
   * Those of `digests` that have a blob row. Asked as one range (the store lists digests grouped
   * by prefix, so a page's range holds about as many rows as the page).
   */
  async blobRowsAmong(digests: string[]): Promise<Set<string>> {
    if (digests.length === 0) return new Set();
    const sorted = [...digests].sort();
    const wanted = new Set(digests);
    const rows = await this.rows(this.s.rowsInRange, { from: sorted[0]!, to: sorted.at(-1)! });
    return new Set(rows.map((r) => r.digest).filter((d) => wanted.has(d)));
  }
}
