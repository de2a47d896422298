// What a collection pass does with the garbage it finds: delete it (registry operations, each a
// small transaction that re-checks, then files), or, for `berth gc --dry-run`, only count what a
// pass would free, remembering it so the later phases see the store as that pass would leave it.
import { SYSTEM_ACTOR } from "../../events/registryEvents";
import type { BlobStore } from "../../store/blobs/blobStore";
import type { BlobRowState, CollectionReads, RepositoryWindow } from "../../store/meta/collection";
import type { UploadSessions } from "../../store/uploadSessions";
import type { Registry } from "../registry";
import type { ManifestNode } from "./manifestGarbage";
import type { Pacer } from "./pacer";
import { DELETION_OWNER, deletionOwnerGone } from "./deletionOwner";

export interface CollectorDeps {
  registry: Registry;
  reads: CollectionReads;
  blobs: BlobStore;
  uploads: UploadSessions;
}

/** The store's blob digests in pages of `size`, the pacer breathing after each page. */
export async function* digestPages(blobs: BlobStore, size: number, pacer: Pacer): AsyncGenerator<string[]> {
  let page: string[] = [];
  for await (const digest of blobs.list()) {
    page.push(digest);
    if (page.length < size) continue;
    yield page;
    page = [];
    await pacer.breathe();
  }
  if (page.length) yield page;
}

export interface PassEffects {
  /** Crash leftovers and upload sessions, before anything else. */
  prepare(now: number): Promise<{ trashRestored: number; uploadsRemoved: number; uploadBytesFreed: number }>;
  /** Periods that ended at or before `endedByMs`; answers how many went. */
  purgePeriods(repo: RepositoryWindow, endedByMs: number): Promise<number>;
  /** Garbage manifests in deletion order; answers how many went. */
  collectManifests(repo: RepositoryWindow, garbage: ManifestNode[], sinceMs: number, pushedBeforeMs: number): Promise<number>;
  /** Manifests this pass deleted (or, dry, would delete): their blobs no longer count as named. */
  readonly goneManifests: Set<number>;
  collectLinks(repo: RepositoryWindow, digests: string[], linkedBeforeMs: number): Promise<number>;
  /** The rows of a page that nothing references (as this pass leaves the store). */
  unreferencedRows(rows: BlobRowState[]): Promise<BlobRowState[]>;
  collectBlobRows(rows: BlobRowState[]): Promise<number>;
  /** Those of `digests` whose row remains. */
  rowsAmong(digests: string[]): Promise<Set<string>>;
  /** Per digest (`atOnce` at a time), the bytes freed, or undefined when the file stays. */
  deleteFiles(digests: string[], writtenBeforeMs: number, atOnce: number): Promise<(number | undefined)[]>;
}

/** A real pass: every deletion through the registry, files after their rows. */
export class LiveEffects implements PassEffects {
  readonly goneManifests = new Set<number>();

  constructor(
    private readonly deps: CollectorDeps,
    private readonly batch: number,
    private readonly pacer: Pacer,
  ) {}

  private afterWrite(): Promise<void> {
    return this.pacer.breathe(true);
  }

  async prepare(now: number) {
    const { reads, blobs, uploads, registry } = this.deps;
    // A crash between an announced deletion and its end (its process gone, or older than the
    // bound): the announcement goes; the file phase below deletes the bytes again if rowless.
    await registry.clearAbandonedDeletions({ ownerGone: deletionOwnerGone });
    const trash = await blobs.recoverTrash((digest) => reads.hasBlobRow(digest));
    const swept = await uploads.sweep(now);
    return { trashRestored: trash.restored, uploadsRemoved: swept.removed, uploadBytesFreed: swept.bytes };
  }

  async purgePeriods(repo: RepositoryWindow, endedByMs: number): Promise<number> {
    let total = 0;
    for (;;) {
      const out = await this.deps.registry.purgeTagPeriods({ repo: ref(repo), endedByMs, limit: this.batch });
      if (out.kind !== "ok") return total;
      total += out.purged;
      await this.afterWrite();
      if (out.purged < this.batch) return total;
    }
  }

  async collectManifests(repo: RepositoryWindow, garbage: ManifestNode[], sinceMs: number, pushedBeforeMs: number): Promise<number> {
    let total = 0;
    for (let i = 0; i < garbage.length; i += this.batch) {
      const candidates = garbage.slice(i, i + this.batch);
      const out = await this.deps.registry.collectManifests({ repo: ref(repo), candidates, sinceMs, pushedBeforeMs, actor: SYSTEM_ACTOR });
      if (out.kind !== "ok") return total;
      const collected = new Set(out.collected);
      for (const m of candidates) if (collected.has(m.digest)) this.goneManifests.add(m.id);
      total += collected.size;
      await this.afterWrite();
    }
    return total;
  }

  async collectLinks(repo: RepositoryWindow, digests: string[], linkedBeforeMs: number): Promise<number> {
    const out = await this.deps.registry.collectBlobLinks({ repo: ref(repo), digests, linkedBeforeMs, actor: SYSTEM_ACTOR });
    await this.afterWrite();
    return out.kind === "ok" ? out.unlinked.length : 0;
  }

  async unreferencedRows(rows: BlobRowState[]): Promise<BlobRowState[]> {
    return rows.filter((r) => r.unreferenced);
  }

  async collectBlobRows(rows: BlobRowState[]): Promise<number> {
    const out = await this.deps.registry.collectBlobRows({ digests: rows.map((r) => r.digest) });
    await this.afterWrite();
    return out.deleted.length;
  }

  rowsAmong(digests: string[]): Promise<Set<string>> {
    return this.deps.reads.blobRowsAmong(digests);
  }

  /** Announced first (no row, so no push may write one meanwhile: it waits), then deleted, then ended. */
  async deleteFiles(digests: string[], writtenBeforeMs: number, atOnce: number): Promise<(number | undefined)[]> {
    const { registry, blobs, reads } = this.deps;
    const announced = await registry.announceBlobDeletions({ digests, owner: DELETION_OWNER });
    const mine = new Set(announced.digests);
    try {
      return await inGroups(digests, atOnce, (d) => (mine.has(d) ? blobs.deleteUnreferenced(d, writtenBeforeMs, () => reads.hasBlobRow(d)) : undefined));
    } finally {
      await registry.endBlobDeletions(announced);
    }
  }
}

/** `berth gc --dry-run`: counts what a pass would free and changes nothing (uploads are not counted). */
export class DryRunEffects implements PassEffects {
  readonly goneManifests = new Set<number>();
  /** digest → repositories whose link would go. */
  private readonly goneLinks = new Map<string, Set<number>>();
  private readonly goneRows = new Set<string>();

  constructor(private readonly deps: CollectorDeps) {}

  async prepare() {
    return { trashRestored: 0, uploadsRemoved: 0, uploadBytesFreed: 0 };
  }

  async purgePeriods(repo: RepositoryWindow, endedByMs: number): Promise<number> {
    return this.deps.reads.purgeablePeriods(repo.id, endedByMs);
  }

  async collectManifests(_repo: RepositoryWindow, garbage: ManifestNode[]): Promise<number> {
    for (const m of garbage) this.goneManifests.add(m.id);
    return garbage.length;
  }

  async collectLinks(repo: RepositoryWindow, digests: string[]): Promise<number> {
    for (const d of digests) {
      const repos = this.goneLinks.get(d) ?? new Set<number>();
      repos.add(repo.id);
      this.goneLinks.set(d, repos);
    }
    return digests.length;
  }

  async unreferencedRows(rows: BlobRowState[]): Promise<BlobRowState[]> {
    const out: BlobRowState[] = [];
    for (const r of rows) if (r.unreferenced || (await this.wouldBeUnreferenced(r.digest))) out.push(r);
    return out;
  }

  private async wouldBeUnreferenced(digest: string): Promise<boolean> {
    const gone = this.goneLinks.get(digest);
    if (!gone) return false;
    const refs = await this.deps.reads.referencesOf(digest);
    return refs.linkedIn.every((r) => gone.has(r)) && refs.namedBy.every((m) => this.goneManifests.has(m));
  }

  async collectBlobRows(rows: BlobRowState[]): Promise<number> {
    for (const r of rows) this.goneRows.add(r.digest);
    return rows.length;
  }

  async rowsAmong(digests: string[]): Promise<Set<string>> {
    const found = await this.deps.reads.blobRowsAmong(digests);
    for (const d of found) if (this.goneRows.has(d)) found.delete(d);
    return found;
  }

  async deleteFiles(digests: string[], writtenBeforeMs: number, atOnce: number): Promise<(number | undefined)[]> {
    return inGroups(digests, atOnce, async (digest) => {
      const s = await this.deps.blobs.stat(digest);
      return s.exists && s.modifiedMs < writtenBeforeMs ? s.size : undefined;
    });
  }
}

/** `work` over the items, `atOnce` at a time; the answers in the items' order. */
async function inGroups<T, R>(items: T[], atOnce: number, work: (item: T) => R | Promise<R>): Promise<R[]> {
  const out: R[] = [];
  for (let i = 0; i < items.length; i += atOnce) out.push(...(await Promise.all(items.slice(i, i + atOnce).map(work))));
  return out;
}

function ref(repo: RepositoryWindow) {
  return { id: repo.id, name: repo.fullName };
}
