// The cached tags of proxy-cache organizations (bookkeeping beside the tags themselves): when
// each was last checked upstream, so a restart does not check every tag again, and when each was
// last pulled (written in batches), which quota eviction orders by.
import { and, asc, eq, gt, isNull, or, sql } from "drizzle-orm";
import type { MetaDb } from "../db";
import type { ManifestCandidate } from "../lifecycleTx";
import { timeMachineMs } from "./tags";
import { manifestChildren, manifests, proxyCacheTags, repositories, tags } from "../schema";

/** A live cached tag that eviction may take. */
export interface EvictionCandidate {
  repoId: number;
  repoName: string;
  tag: string;
  digest: string;
}

export class ProxyCacheTagStore {
  private readonly checked;
  private readonly pulled;

  constructor(private readonly db: MetaDb) {
    this.checked = db
      .select({ ms: proxyCacheTags.checkedMs })
      .from(proxyCacheTags)
      .where(and(eq(proxyCacheTags.repositoryId, sql.placeholder("repo")), eq(proxyCacheTags.name, sql.placeholder("name"))))
      .prepare();
    this.pulled = db
      .update(proxyCacheTags)
      .set({ pulledMs: sql`MAX(${proxyCacheTags.pulledMs}, ${sql.placeholder("ms")})` })
      .where(and(eq(proxyCacheTags.repositoryId, sql.placeholder("repo")), eq(proxyCacheTags.name, sql.placeholder("name"))))
      .prepare();
  }

  /** When the tag was last checked upstream, or undefined (never, or not since the tag was cached). */
  checkedMs(repoId: number, name: string): number | undefined {
    return this.checked.get({ repo: repoId, name })?.ms;
  }

  /** The tag was checked upstream (on a pull) at `ms`. */
  markChecked(repoId: number, name: string, ms: number): void {
    this.db
      .insert(proxyCacheTags)
      .values({ repositoryId: repoId, name, checkedMs: ms, pulledMs: ms })
      .onConflictDoUpdate({ target: [proxyCacheTags.repositoryId, proxyCacheTags.name], set: { checkedMs: ms, pulledMs: sql`MAX(${proxyCacheTags.pulledMs}, ${ms})` } })
      .run();
  }

  /** Records a batch of pulls in one transaction (later times only). */
  recordPulls(pulls: readonly { repoId: number; name: string; ms: number }[]): void {
    if (pulls.length === 0) return;
    this.db.transaction(() => {
      for (const p of pulls) this.pulled.run({ repo: p.repoId, name: p.name, ms: p.ms });
    });
  }

  /**
   * Up to `limit` live, unexpired cached tags of the namespace, least recently pulled first (Quay
   * evicts by its lifetime_end, which every pull renews: the same order).
   */
  leastRecentlyPulled(namespaceId: number, nowMs: number, limit: number): EvictionCandidate[] {
    return this.db
      .select({ repoId: repositories.id, repoName: repositories.fullName, tag: tags.name, digest: manifests.digest })
      .from(proxyCacheTags)
      .innerJoin(repositories, eq(repositories.id, proxyCacheTags.repositoryId))
      .innerJoin(tags, and(eq(tags.repositoryId, proxyCacheTags.repositoryId), eq(tags.name, proxyCacheTags.name), isNull(tags.endMs)))
      .innerJoin(manifests, eq(manifests.id, tags.manifestId))
      .where(and(eq(repositories.namespaceId, namespaceId), eq(tags.immutable, false), or(isNull(tags.expiresMs), gt(tags.expiresMs, nowMs))))
      .orderBy(asc(proxyCacheTags.pulledMs), asc(proxyCacheTags.repositoryId), asc(proxyCacheTags.name))
      .limit(limit)
      .all();
  }

  /** The manifest `digest` of the repository and the manifests it lists there (an index's platforms), the index first: what evicting it may free. */
  imageManifests(repoId: number, digest: string): ManifestCandidate[] {
    const columns = { id: manifests.id, digest: manifests.digest, subjectDigest: manifests.subjectDigest };
    const top = this.db.select(columns).from(manifests).where(and(eq(manifests.repositoryId, repoId), eq(manifests.digest, digest))).get();
    if (!top) return [];
    const children = this.db
      .select(columns)
      .from(manifestChildren)
      .innerJoin(manifests, and(eq(manifests.repositoryId, repoId), eq(manifests.digest, manifestChildren.childDigest)))
      .where(eq(manifestChildren.manifestId, top.id))
      .all();
    return [top, ...children];
  }

  /** The repository's time machine window (periods ended within it keep their manifests). */
  timeMachineMs(repoId: number): number {
    return timeMachineMs(this.db, repoId);
  }
}
