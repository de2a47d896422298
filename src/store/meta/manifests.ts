import { and, asc, eq, isNull, sql } from "drizzle-orm";
import { all, one, type Runner, type Tables } from "../dialect/program";
import type { MaybePromise, ReadCache } from "./readCache";
import { notExpired } from "./tagPeriods";

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

const manifestColumns = ({ manifests: m }: Tables) => ({
  id: m.id,
  digest: m.digest,
  mediaType: m.mediaType,
  size: m.size,
  content: m.content,
});

/** The manifest GET's two reads, built once. */
function pullStatements(q: Runner) {
  const p = sql.placeholder;
  return {
    byTag: q.statement(({ db, t }) =>
      db
        .select({ ...manifestColumns(t), expiresMs: t.tags.expiresMs })
        .from(t.tags)
        .innerJoin(t.manifests, eq(t.manifests.id, t.tags.manifestId))
        .where(and(eq(t.tags.repositoryId, p("repo")), eq(t.tags.name, p("tag")), isNull(t.tags.endMs), notExpired(p("now"), t.tags)))
        .limit(1),
    ),
    byDigest: q.statement(({ db, t }) =>
      db
        .select(manifestColumns(t))
        .from(t.manifests)
        .where(and(eq(t.manifests.repositoryId, p("repo")), eq(t.manifests.digest, p("digest")))),
    ),
  };
}

/** Manifests as read (by tag, by digest, as referrers); the registry writes them. */
export class ManifestStore {
  private readonly pull: ReturnType<typeof pullStatements>;

  constructor(
    private readonly q: Runner,
    private readonly cache: ReadCache,
    private readonly clock: () => number = Date.now,
  ) {
    this.pull = pullStatements(q);
  }

  /**
   * The manifest a live, unexpired tag points at. A remembered tag with an expiry is checked
   * against the clock on each hit (a proxy cache's tags all have one, and are read on every pull).
   */
  getByTag(repoId: number, tag: string): Promise<StoredManifest | undefined> {
    return Promise.resolve(this.getByTagMaybeSync(repoId, tag));
  }

  /** getByTag() at once when remembered or on SQLite (the manifest GET path), a promise otherwise. */
  getByTagMaybeSync(repoId: number, tag: string): MaybePromise<StoredManifest | undefined> {
    const now = this.clock();
    const byTag = this.pull.byTag;
    const row = this.cache.get(`tag\0${repoId}\0${tag}`, () =>
      this.q.runMaybeSync(function* () {
        return yield* one(byTag, { repo: repoId, tag, now });
      }),
    );
    return row instanceof Promise ? unlessExpiredLater(row, now) : unlessExpired(row, now);
  }

  getByDigest(repoId: number, digest: string): Promise<StoredManifest | undefined> {
    return Promise.resolve(this.getByDigestMaybeSync(repoId, digest));
  }

  /** getByDigest() at once on SQLite (the manifest GET path), a promise otherwise. */
  getByDigestMaybeSync(repoId: number, digest: string): MaybePromise<StoredManifest | undefined> {
    const byDigest = this.pull.byDigest;
    return this.q.runMaybeSync(function* () {
      return yield* one(byDigest, { repo: repoId, digest });
    });
  }

  /** Manifests of the repository whose subject is `subjectDigest`, oldest first. */
  referrers(repoId: number, subjectDigest: string): Promise<ReferrerRow[]> {
    return this.q.run(function* ({ db, t }) {
      const m = t.manifests;
      return yield* all(
        db
          .select({ digest: m.digest, mediaType: m.mediaType, size: m.size, artifactType: m.artifactType, annotations: m.annotations })
          .from(m)
          .where(and(eq(m.repositoryId, repoId), eq(m.subjectDigest, subjectDigest)))
          .orderBy(asc(m.id)),
      );
    });
  }
}

async function unlessExpiredLater<R extends { expiresMs: number | null }>(row: Promise<R | undefined>, now: number): Promise<R | undefined> {
  return unlessExpired(await row, now);
}

function unlessExpired<R extends { expiresMs: number | null }>(row: R | undefined, now: number): R | undefined {
  return row?.expiresMs != null && row.expiresMs <= now ? undefined : row;
}
