import { and, asc, desc, eq, gt, isNotNull, isNull, lte, or, sql, type Placeholder, type SQL } from "drizzle-orm";
import type { MetaDb } from "../db";
import type { ReadCache } from "./readCache";
import { outlineManifest } from "../../oci";
import { manifests, tags } from "../schema";

/** A transaction or the database itself: what the helpers below write through. */
type Writer = Pick<MetaDb, "update">;
type Reader = Pick<MetaDb, "select">;

/** SQL: the row's live period has not passed its expiry (rows without one never expire). */
export function notExpired(nowMs: number | Placeholder): SQL {
  return or(isNull(tags.expiresMs), gt(tags.expiresMs, nowMs))!;
}

/**
 * Closes live periods that have passed their expiry, at the expiry (never before their start),
 * so the write that follows sees only truly live rows. Reads filter with notExpired instead.
 */
export function closeExpired(tx: Writer, repoId: number, name: string, nowMs: number): void {
  tx.update(tags)
    .set({ endMs: sql`MAX(${tags.expiresMs}, ${tags.startMs})` })
    .where(
      and(
        eq(tags.repositoryId, repoId),
        eq(tags.name, name),
        isNull(tags.endMs),
        isNotNull(tags.expiresMs),
        lte(tags.expiresMs, nowMs),
      ),
    )
    .run();
}

/** The live (unended) row of a tag; call closeExpired first so an expired row is not taken for it. */
export function liveTag(tx: Reader, repoId: number, name: string) {
  return tx
    .select({ id: tags.id, manifestId: tags.manifestId, expiresMs: tags.expiresMs, immutable: tags.immutable })
    .from(tags)
    .where(and(eq(tags.repositoryId, repoId), eq(tags.name, name), isNull(tags.endMs)))
    .get();
}

/** One period of a tag's life, for API v1's history listing. */
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

/** "immutable": the tag's live period is immutable, so it cannot point anywhere else (not even where it points now, as in Quay). */
export type TagWriteOutcome = "ok" | "unknownManifest" | "immutable";
/** Ending a tag: "notLive" when it has no live period (never existed, deleted, or expired). */
export type TagEndOutcome = "ok" | "notLive" | "immutable";
/** Setting an expiry is refused on an immutable tag; clearing one never is. */
export type TagExpiryOutcome = "ok" | "notLive" | "immutable";
/** Making a tag immutable is refused while it has an expiry (Quay without IMMUTABLE_TAGS_CAN_EXPIRE). */
export type TagImmutabilityOutcome = "ok" | "notLive" | "expiring";

/** Tags: the live ones /v2 lists, and the periods API v1 lists, moves, ends and restores. */
export class TagStore {
  constructor(
    private readonly db: MetaDb,
    private readonly cache: ReadCache,
  ) {}

  /** Live tag names in lexical order after `last`, at most `limit`. */
  list(repoId: number, last: string | undefined, limit: number | undefined): string[] {
    let q = this.db
      .select({ name: tags.name })
      .from(tags)
      .where(
        and(
          eq(tags.repositoryId, repoId),
          isNull(tags.endMs),
          notExpired(Date.now()),
          last !== undefined ? gt(tags.name, last) : undefined,
        ),
      )
      .orderBy(asc(tags.name))
      .$dynamic();
    if (limit !== undefined) q = q.limit(limit);
    return q.all().map((r) => r.name);
  }

  /** Periods (live and ended), newest start first, then by name; `limit` rows from `offset`. */
  history(repoId: number, q: TagHistoryQuery): TagPeriod[] {
    const now = Date.now();
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
          q.onlyActive ? and(isNull(tags.endMs), notExpired(now)) : undefined,
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

  /** Ends the live period of a tag; the manifest stays. */
  endLive(repoId: number, name: string): TagEndOutcome {
    this.cache.clear();
    return this.db.transaction((tx): TagEndOutcome => {
      const now = Date.now();
      closeExpired(tx, repoId, name, now);
      const live = liveTag(tx, repoId, name);
      if (!live) return "notLive";
      if (live.immutable) return "immutable";
      tx.update(tags).set({ endMs: now }).where(eq(tags.id, live.id)).run();
      return "ok";
    });
  }


  /** Points the tag at a manifest of the repository (creating or moving it; history kept). */
  pointAt(repoId: number, name: string, digest: string): TagWriteOutcome {
    return this.retarget(repoId, name, digest, false);
  }

  /** Points the tag back at a manifest it pointed at before; "unknownManifest" if it never did. */
  restore(repoId: number, name: string, digest: string): TagWriteOutcome {
    return this.retarget(repoId, name, digest, true);
  }

  /** Sets (or, with null, clears) the live tag's expiry. */
  changeExpiry(repoId: number, name: string, expiresMs: number | null): TagExpiryOutcome {
    this.cache.clear();
    return this.db.transaction((tx): TagExpiryOutcome => {
      closeExpired(tx, repoId, name, Date.now());
      const live = liveTag(tx, repoId, name);
      if (!live) return "notLive";
      if (live.immutable && expiresMs !== null) return "immutable";
      tx.update(tags).set({ expiresMs }).where(eq(tags.id, live.id)).run();
      return "ok";
    });
  }


  /** Marks the live tag immutable or mutable again (who may clear the flag is API v1's rule). */
  setImmutable(repoId: number, name: string, immutable: boolean): TagImmutabilityOutcome {
    this.cache.clear();
    return this.db.transaction((tx): TagImmutabilityOutcome => {
      closeExpired(tx, repoId, name, Date.now());
      const live = liveTag(tx, repoId, name);
      if (!live) return "notLive";
      if (immutable && live.expiresMs !== null) return "expiring";
      tx.update(tags).set({ immutable }).where(eq(tags.id, live.id)).run();
      return "ok";
    });
  }

  /**
   * `quay.immutable=true` on a pushed image: its live tags become immutable, except those with
   * an expiry (setImmutable's rule). Answers the names marked.
   */
  markImmutableForManifest(manifestId: number): string[] {
    this.cache.clear();
    return this.db
      .update(tags)
      .set({ immutable: true })
      .where(and(eq(tags.manifestId, manifestId), isNull(tags.endMs), isNull(tags.expiresMs), eq(tags.immutable, false)))
      .returning({ name: tags.name })
      .all()
      .map((r) => r.name);
  }

  /**
   * `quay.expires-after` on a pushed image: its live, mutable tags expire `durationMs` after
   * they started (immutable ones keep living, changeExpiry's rule). Answers the names changed.
   */
  expireForManifest(manifestId: number, durationMs: number): string[] {
    this.cache.clear();
    return this.db
      .update(tags)
      .set({ expiresMs: sql`${tags.startMs} + ${durationMs}` })
      .where(and(eq(tags.manifestId, manifestId), isNull(tags.endMs), eq(tags.immutable, false), notExpired(Date.now())))
      .returning({ name: tags.name })
      .all()
      .map((r) => r.name);
  }

  private retarget(repoId: number, name: string, digest: string, mustBePast: boolean): TagWriteOutcome {
    this.cache.clear();
    return this.db.transaction((tx): TagWriteOutcome => {
      const manifest = tx
        .select({ id: manifests.id })
        .from(manifests)
        .where(and(eq(manifests.repositoryId, repoId), eq(manifests.digest, digest)))
        .get();
      if (!manifest) return "unknownManifest";
      if (mustBePast) {
        const before = tx
          .select({ id: tags.id })
          .from(tags)
          .where(and(eq(tags.repositoryId, repoId), eq(tags.name, name), eq(tags.manifestId, manifest.id)))
          .limit(1)
          .get();
        if (!before) return "unknownManifest";
      }
      const now = Date.now();
      closeExpired(tx, repoId, name, now);
      const live = liveTag(tx, repoId, name);
      if (live?.immutable) return "immutable";
      if (live?.manifestId === manifest.id) return "ok";
      if (live) tx.update(tags).set({ endMs: now }).where(eq(tags.id, live.id)).run();
      tx.insert(tags).values({ repositoryId: repoId, name, manifestId: manifest.id, startMs: now }).run();
      return "ok";
    });
  }
}
