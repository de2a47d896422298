import { and, asc, desc, eq, gt, isNull } from "drizzle-orm";
import { outlineManifest } from "../../oci";
import { all, type Runner } from "../dialect/program";
import { endsAfter, notExpired, timeMachineMs } from "./tagPeriods";

/** One period of a tag's life, for API v1's history listing (live, or ended within the time machine's window). */
export interface TagPeriod {
  name: string;
  startMs: number;
  /** When the period ended (an expiry already passed counts), or undefined while live. */
  endMs: number | undefined;
  /** The live period's expiry, when one is set. */
  expiresMs: number | undefined;
  digest: string;
  mediaType: string;
  /** The layers' compressed bytes as the manifest lists them (Quay's layers_compressed_size, as API v1's manifest view); 0 for an index. */
  size: number;
  /** Whether the period was (or, live, is) protected from moves, deletion and expiry. */
  immutable: boolean;
}

export interface TagHistoryQuery {
  /** Only this tag's periods. */
  name?: string;
  /** Only live, unexpired periods. */
  onlyActive?: boolean;
  offset: number;
  limit: number;
}

/** Tags as read: the live ones /v2 lists and the periods API v1 lists (the registry writes them). */
export class TagStore {
  constructor(
    private readonly q: Runner,
    private readonly clock: () => number = Date.now,
  ) {}

  /** The repository's namespace's time machine window, in seconds. */
  timeMachineSeconds(repoId: number): Promise<number> {
    return this.q.run(function* (scope) {
      return (yield* timeMachineMs(scope, repoId)) / 1000;
    });
  }

  /** Live tag names in lexical order after `last`, at most `limit`. */
  list(repoId: number, last: string | undefined, limit: number | undefined): Promise<string[]> {
    const now = this.clock();
    return this.q.run(function* ({ db, t }) {
      let q = db
        .select({ name: t.tags.name })
        .from(t.tags)
        .where(
          and(
            eq(t.tags.repositoryId, repoId),
            isNull(t.tags.endMs),
            notExpired(now, t.tags),
            last !== undefined ? gt(t.tags.name, last) : undefined,
          ),
        )
        .orderBy(asc(t.tags.name))
        .$dynamic();
      if (limit !== undefined) q = q.limit(limit);
      return (yield* all(q)).map((r) => r.name);
    });
  }

  /**
   * Periods (live, and ended within the namespace's time machine window), newest start first,
   * then by name; `limit` rows from `offset`.
   */
  async history(repoId: number, q: TagHistoryQuery): Promise<TagPeriod[]> {
    const now = this.clock();
    const rows = await this.q.run(function* (scope) {
      const { db, t } = scope;
      const since = now - (yield* timeMachineMs(scope, repoId));
      return yield* all(
        db
          .select({
            name: t.tags.name,
            startMs: t.tags.startMs,
            endMs: t.tags.endMs,
            expiresMs: t.tags.expiresMs,
            digest: t.manifests.digest,
            mediaType: t.manifests.mediaType,
            content: t.manifests.content,
            immutable: t.tags.immutable,
          })
          .from(t.tags)
          .innerJoin(t.manifests, eq(t.manifests.id, t.tags.manifestId))
          .where(
            and(
              eq(t.tags.repositoryId, repoId),
              q.name !== undefined ? eq(t.tags.name, q.name) : undefined,
              q.onlyActive ? and(isNull(t.tags.endMs), notExpired(now, t.tags)) : endsAfter(scope, since),
            ),
          )
          .orderBy(desc(t.tags.startMs), asc(t.tags.name), desc(t.tags.id))
          .limit(q.limit)
          .offset(q.offset),
      );
    });
    return rows.map((r) => {
      const expired = r.endMs === null && r.expiresMs !== null && r.expiresMs <= now;
      return {
        name: r.name,
        startMs: r.startMs,
        endMs: r.endMs ?? (expired ? Math.max(r.expiresMs!, r.startMs) : undefined),
        expiresMs: r.expiresMs ?? undefined,
        digest: r.digest,
        mediaType: r.mediaType,
        size: outlineManifest(r.content, r.mediaType).layersCompressedSize,
        immutable: r.immutable,
      };
    });
  }
}
