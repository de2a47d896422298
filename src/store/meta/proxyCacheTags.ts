// The cached tags of proxy-cache organizations (bookkeeping beside the tags themselves): when
// each was last checked upstream, so a restart does not check every tag again, and when each was
// last pulled (written in batches), which quota eviction orders by.
import { and, asc, eq, gt, isNull, lt, or, sql } from "drizzle-orm";
import { timeMachineMs } from "./tagPeriods";
import type { ManifestCandidate } from "../lifecycleTx";
import { all, changes, one, type Runner } from "../dialect/program";

/** A live cached tag that eviction may take. */
export interface EvictionCandidate {
  repoId: number;
  repoName: string;
  tag: string;
  digest: string;
}

export interface TagPull {
  repoId: number;
  name: string;
  ms: number;
}

export class ProxyCacheTagStore {
  private readonly checked;
  private readonly pulled;

  constructor(private readonly q: Runner) {
    const p = sql.placeholder;
    this.checked = q.statement(({ db, t }) =>
      db
        .select({ ms: t.proxyCacheTags.checkedMs })
        .from(t.proxyCacheTags)
        .where(and(eq(t.proxyCacheTags.repositoryId, p("repo")), eq(t.proxyCacheTags.name, p("name")))),
    );
    // Later times only: a row already past `ms` is left as it is.
    this.pulled = q.statement(({ db, t }) => {
      const c = t.proxyCacheTags;
      return db
        .update(c)
        .set({ pulledMs: sql`${p("ms")}` })
        .where(and(eq(c.repositoryId, p("repo")), eq(c.name, p("name")), lt(c.pulledMs, p("ms"))));
    });
  }

  /** When the tag was last checked upstream, or undefined (never, or not since the tag was cached). */
  async checkedMs(repoId: number, name: string): Promise<number | undefined> {
    const checked = this.checked;
    const row = await this.q.run(function* () {
      return yield* one(checked, { repo: repoId, name });
    });
    return row?.ms;
  }

  /** The tag was checked upstream (on a pull) at `ms`. */
  async markChecked(repoId: number, name: string, ms: number): Promise<void> {
    await this.q.run(function* ({ db, t, sql: fragments }) {
      const c = t.proxyCacheTags;
      yield* changes(
        db
          .insert(c)
          .values({ repositoryId: repoId, name, checkedMs: ms, pulledMs: ms })
          .onConflictDoUpdate({ target: [c.repositoryId, c.name], set: { checkedMs: ms, pulledMs: fragments.maxOrNull(c.pulledMs, sql`${ms}`) } }),
      );
    });
  }

  /**
   * Records a batch of pulls in one transaction (later times only). Rows are written in key order
   * (the latest pull of each): two batches at once on PostgreSQL lock their common rows in the
   * same order, so one waits for the other instead of both deadlocking.
   */
  async recordPulls(pulls: readonly TagPull[]): Promise<void> {
    if (pulls.length === 0) return;
    const latest = new Map<string, TagPull>();
    for (const p of pulls) {
      const key = `${p.repoId}\0${p.name}`;
      if ((latest.get(key)?.ms ?? -Infinity) < p.ms) latest.set(key, p);
    }
    const ordered = [...latest].map(([, p]) => p).sort((a, b) => a.repoId - b.repoId || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    const pulled = this.pulled;
    await this.q.transaction(function* () {
      for (const p of ordered) yield* changes(pulled, { repo: p.repoId, name: p.name, ms: p.ms });
    });
  }

  /**
   * Up to `limit` live, unexpired cached tags of the namespace, least recently pulled first (Quay
   * evicts by its lifetime_end, which every pull renews: the same order).
   */
  leastRecentlyPulled(namespaceId: number, nowMs: number, limit: number): Promise<EvictionCandidate[]> {
    return this.q.run(function* ({ db, t }) {
      const { proxyCacheTags: c, repositories, tags, manifests } = t;
      return yield* all(
        db
          .select({ repoId: repositories.id, repoName: repositories.fullName, tag: tags.name, digest: manifests.digest })
          .from(c)
          .innerJoin(repositories, eq(repositories.id, c.repositoryId))
          .innerJoin(tags, and(eq(tags.repositoryId, c.repositoryId), eq(tags.name, c.name), isNull(tags.endMs)))
          .innerJoin(manifests, eq(manifests.id, tags.manifestId))
          .where(and(eq(repositories.namespaceId, namespaceId), eq(tags.immutable, false), or(isNull(tags.expiresMs), gt(tags.expiresMs, nowMs))))
          .orderBy(asc(c.pulledMs), asc(c.repositoryId), asc(c.name))
          .limit(limit),
      );
    });
  }

  /** The manifest `digest` of the repository and the manifests it lists there (an index's platforms), the index first: what evicting it may free. */
  imageManifests(repoId: number, digest: string): Promise<ManifestCandidate[]> {
    return this.q.run(function* ({ db, t }) {
      const { manifests, manifestChildren } = t;
      const columns = { id: manifests.id, digest: manifests.digest, subjectDigest: manifests.subjectDigest };
      const top = yield* one(db.select(columns).from(manifests).where(and(eq(manifests.repositoryId, repoId), eq(manifests.digest, digest))));
      if (!top) return [];
      const children = yield* all(
        db
          .select(columns)
          .from(manifestChildren)
          .innerJoin(manifests, and(eq(manifests.repositoryId, repoId), eq(manifests.digest, manifestChildren.childDigest)))
          .where(eq(manifestChildren.manifestId, top.id))
          .orderBy(asc(manifests.id)),
      );
      return [top, ...children];
    });
  }

  /** The repository's time machine window (periods ended within it keep their manifests): its namespace's tag expiration. */
  timeMachineMs(repoId: number): Promise<number> {
    return this.q.run((scope) => timeMachineMs(scope, repoId));
  }
}
