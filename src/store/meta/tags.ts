import { and, asc, desc, eq, gt, isNull, or, sql, type Placeholder, type SQL } from "drizzle-orm";
import type { MetaDb } from "../db";
import type { ReadCache } from "./readCache";
import { outlineManifest } from "../../oci";
import { manifests, namespaces, repositories, tags } from "../schema";

/** SQL: the row's live period has not passed its expiry (rows without one never expire); `table` a body's `t.tags`. */
export function notExpired(nowMs: number | Placeholder, table: { expiresMs: typeof tags.expiresMs } = tags): SQL {
  return or(isNull(table.expiresMs), gt(table.expiresMs, nowMs))!;
}

/**
 * SQL: when the period ends: its end, else its expiry (never before its start), else NULL (a
 * live tag without expiry). A period whose end has passed is in its namespace's time machine
 * until `end + window`, then it is purged.
 */
export const periodEnd: SQL<number | null> = sql`COALESCE(${tags.endMs}, MAX(${tags.expiresMs}, ${tags.startMs}))`;

/** SQL: the period is live, or ended after `sinceMs` (the start of the time machine's window). */
export function endsAfter(sinceMs: number | Placeholder): SQL {
  return sql`(${periodEnd} IS NULL OR ${periodEnd} > ${sinceMs})`;
}

/**
 * How long ended periods of the repository's tags stay listable and restorable: its namespace's
 * time machine window (Quay's removed_tag_expiration_s). Reads through a database or a transaction.
 */
export function timeMachineMs(q: Pick<MetaDb, "select">, repoId: number): number {
  const row = q
    .select({ s: namespaces.tagExpirationS })
    .from(repositories)
    .innerJoin(namespaces, eq(namespaces.id, repositories.namespaceId))
    .where(eq(repositories.id, repoId))
    .get();
  return (row?.s ?? 0) * 1000;
}

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
    private readonly db: MetaDb,
    private readonly cache: ReadCache,
    private readonly clock: () => number = Date.now,
  ) {}


  /** The repository's namespace's time machine window, in seconds. */
  timeMachineSeconds(repoId: number): number {
    return timeMachineMs(this.db, repoId) / 1000;
  }

  /** Live tag names in lexical order after `last`, at most `limit`. */
  list(repoId: number, last: string | undefined, limit: number | undefined): string[] {
    let q = this.db
      .select({ name: tags.name })
      .from(tags)
      .where(
        and(
          eq(tags.repositoryId, repoId),
          isNull(tags.endMs),
          notExpired(this.clock()),
          last !== undefined ? gt(tags.name, last) : undefined,
        ),
      )
      .orderBy(asc(tags.name))
      .$dynamic();
    if (limit !== undefined) q = q.limit(limit);
    return q.all().map((r) => r.name);
  }

  /**
   * Periods (live, and ended within the namespace's time machine window), newest start first,
   * then by name; `limit` rows from `offset`.
   */
  history(repoId: number, q: TagHistoryQuery): TagPeriod[] {
    const now = this.clock();
    const since = now - timeMachineMs(this.db, repoId);
    const rows = this.db
      .select({
        name: tags.name,
        startMs: tags.startMs,
        endMs: tags.endMs,
        expiresMs: tags.expiresMs,
        digest: manifests.digest,
        mediaType: manifests.mediaType,
        content: manifests.content,
        immutable: tags.immutable,
      })
      .from(tags)
      .innerJoin(manifests, eq(manifests.id, tags.manifestId))
      .where(
        and(
          eq(tags.repositoryId, repoId),
          q.name !== undefined ? eq(tags.name, q.name) : undefined,
          q.onlyActive ? and(isNull(tags.endMs), notExpired(now)) : endsAfter(since),
        ),
      )
      .orderBy(desc(tags.startMs), asc(tags.name), desc(tags.id))
      .limit(q.limit)
      .offset(q.offset)
      .all();
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
