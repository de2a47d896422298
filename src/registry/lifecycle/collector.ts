// The online collector: frees what nothing keeps while the registry serves. It runs in the
// server as a lifecycle task (scheduler.ts, every `gcIntervalSeconds`) and as `berth gc` beside a
// running server (another process on the same data directory).
//
// WHAT IS GARBAGE
// - A tag period that ended more than its namespace's time machine window ago (`tag_expiration_s`;
//   an expired tag ended at its expiry). Within the window it stays listable and restorable.
// - A manifest that no live or time-machine period, no kept index listing it and no kept subject
//   keeps (referrers live as long as their subject), unless it was pushed within the grace period.
// - A repository's link to a blob that no manifest of the repository names, unless it was made
//   (uploaded, mounted, uploaded again) within the grace period.
// - A blob row no repository links and no manifest names; then its file.
// - Upload sessions past their age (`uploadTtlSeconds` idle), their files, upload files without
//   a session. Deleted repositories and namespaces lose their rows at once (by cascade); their
//   blobs are then unlinked and go in the next pass.
//
// PROTOCOL (never stops the world)
// 1. Candidates are found by reads outside any transaction, in pages (SQLite's WAL lets them run
//    beside writers); the event loop is handed back between pages and batches.
// 2. Each deletion is a registry operation over a bounded batch: one short IMMEDIATE transaction
//    that re-checks every candidate against the current state (store/lifecycleTx.ts). Writers
//    wait for at most one batch; readers never wait.
// 3. Order: periods, then manifests (a keeper before what it keeps: one pass frees a whole
//    index), then links, then blob rows, then files, each phase seeing what the one before left.
// 4. Grace: a blob uploaded or mounted moments ago but not yet named by a manifest survives: its
//    link is younger than the grace period, and the unlinking transaction checks its age again.
//    A manifest pushed moments ago (a child before its index) survives the same way.
// 5. A manifest PUT racing a deletion: pushManifest checks the repository's links inside its
//    own transaction; the collector unlinks only inside a transaction that checks no manifest of
//    the repository names the blob. The write lock orders them: either the PUT committed first
//    (the link is named and stays) or the link is gone and the PUT fails with missingBlob
//    (MANIFEST_BLOB_UNKNOWN). A manifest is never stored with a missing blob.
// 6. Files go only after their rows (and a row only when no link and no manifest reference it,
//    re-checked), and each file's deletion is announced in the database first, because pushes
//    run on every node while one collects and S3 has no rename and no conditional delete
//    (store/blobDeletions.ts):
//    a. A transaction takes the digests' locks (PostgreSQL advisory; SQLite's writer) for a group
//       of up to FILES_ANNOUNCED_AT_ONCE files, and for each that has no blob row inserts a
//       `blob_deletions` row (digest, started_ms, owner: host/pid). A digest with a row is left
//       alone, and so is one another collector announced (younger than the bound).
//    b. The bytes go: FsBlobStore moves the file aside, S3BlobStore copies it aside (if
//       unmodified since its stat) and deletes it; then each checks the mtime or the row again
//       and puts the bytes back if either says a push arrived. A file written less than
//       FILE_GRACE_FLOOR_MS ago stays whatever the grace (a push writes its file before its row).
//    c. The group's announcements are deleted (only those still as made in a).
//    A finished upload commits its bytes, then writes its row in a transaction that takes the
//    same lock: while an announcement stands it writes nothing and tries again (a short backoff)
//    until the announcement is gone; with its row committed it stats the object and commits its
//    upload again if a deletion took it (the upload's bytes are dropped only after that: on S3
//    `commitUpload(…, { keepUpload })`; a directory's rename keeps nothing but its collector only
//    moves files aside and puts back a fresh one). So a blob row and an announcement never stand
//    together, a row committed is never followed by a deletion of its bytes, and a push that
//    raced one restores them before it answers. Deleting blob rows (phase 3) and mounting take
//    the digest's lock too: a mount's source row cannot go before the mount commits, and a
//    manifest PUT needs the repository's links (5), which need the rows.
// 7. A crash: each transaction is atomic and files follow rows, so a crash leaves at most files
//    without rows (the next pass frees them), files set aside in trash/ (the next pass, or
//    `berth fsck --repair`, puts back those still referenced and drops the rest), or an
//    announcement never ended: older than BLOB_DELETION_ABANDONED_MS it is abandoned, a push
//    waiting on it takes it over (writes its row, restores its bytes), the next pass (or fsck
//    --repair) clears it and the file phase deletes the bytes again if still rowless; the next
//    pass on the same host clears it at once when its owner's process is gone
//    (deletionOwner.ts). A collector merely stalled past the bound re-checks the row after its
//    delete and puts the bytes back.
//    Nodes' clocks must agree far better than the bound (a minute).
// 8. Two collectors (the server's and `berth gc`, or two nodes') may overlap: every step
//    re-checks, so the second finds nothing left to do where the first went; a standing
//    announcement keeps a second collector off the digest; a blob set aside on a filesystem is
//    named with its collector's process id, and only the set-aside blobs of dead processes are
//    recovered.
import type { RepositoryWindow } from "../../store/meta/collection";
import { digestPages, DryRunEffects, LiveEffects, type CollectorDeps, type PassEffects } from "./collectorEffects";
import { Pacer, type PacerOptions } from "./pacer";
import { manifestGarbage, type ManifestNode } from "./manifestGarbage";
import type { LifecycleTask } from "./scheduler";

/** Files younger than this stay whatever the grace period (a push's file precedes its row). */
export const FILE_GRACE_FLOOR_MS = 60_000;
const PAGE = 500;
const FILES_AT_ONCE = 8;
/** Files whose deletions one transaction announces (PROTOCOL 6): a push of one of them waits for the group. */
const FILES_ANNOUNCED_AT_ONCE = 64;

export interface CollectorSettings {
  /** Links and manifests made within this long stay (pushes in flight); files at least a minute. */
  graceMs: number;
  /** Rows per deleting transaction. */
  batchSize?: number;
  /** How the pass gives way between batches (pacer.ts): its share of the event loop, a gap after writes. */
  pace?: PacerOptions;
}

export interface CollectionReport {
  periodsPurged: number;
  manifestsCollected: number;
  linksRemoved: number;
  blobRowsRemoved: number;
  filesRemoved: number;
  /** Bytes of blob files removed. */
  bytesFreed: number;
  uploadsRemoved: number;
  uploadBytesFreed: number;
  /** Blobs a crashed pass had set aside and that were still referenced. */
  trashRestored: number;
  ms: number;
  /** The server was shutting down: the pass ended between two batches. */
  stoppedEarly: boolean;
}

export class Collector implements LifecycleTask {
  readonly name = "collect";
  private readonly batch: number;

  constructor(
    private readonly deps: CollectorDeps,
    private readonly settings: CollectorSettings,
  ) {
    this.batch = settings.batchSize ?? 200;
  }

  async run(now: number, stopping?: AbortSignal): Promise<string> {
    return describeCollection(await this.collect(now, { stopping }));
  }

  /**
   * One pass at `now`; with `dryRun`, counts what it would free and changes nothing. `stopping`
   * ends the pass early, between two batches (the next pass carries on).
   */
  async collect(now: number, opts: { dryRun?: boolean; stopping?: AbortSignal } = {}): Promise<CollectionReport> {
    const started = performance.now();
    const stopped = () => opts.stopping?.aborted === true;
    const pacer = new Pacer(this.settings.pace);
    const fx: PassEffects = opts.dryRun ? new DryRunEffects(this.deps) : new LiveEffects(this.deps, this.batch, pacer);
    const report: CollectionReport = {
      ...(await fx.prepare(now)),
      periodsPurged: 0,
      manifestsCollected: 0,
      linksRemoved: 0,
      blobRowsRemoved: 0,
      filesRemoved: 0,
      bytesFreed: 0,
      ms: 0,
      stoppedEarly: false,
    };
    for (let after = 0; !stopped(); ) {
      const repos = await this.deps.reads.repositories(after, PAGE);
      if (repos.length === 0) break;
      for (const repo of repos) if (!stopped()) await this.collectRepository(fx, pacer, repo, now, report);
      after = repos.at(-1)!.id;
    }
    if (!stopped()) await this.collectBlobRows(fx, pacer, report, stopped);
    if (!stopped()) await this.collectFiles(fx, pacer, now - Math.max(this.settings.graceMs, FILE_GRACE_FLOOR_MS), report, stopped);
    report.stoppedEarly = stopped();
    report.ms = Math.round(performance.now() - started);
    return report;
  }

  private async collectRepository(fx: PassEffects, pacer: Pacer, repo: RepositoryWindow, now: number, report: CollectionReport): Promise<void> {
    const { reads } = this.deps;
    const sinceMs = now - repo.timeMachineMs;
    const pushedBeforeMs = now - this.settings.graceMs;
    report.periodsPurged += await fx.purgePeriods(repo, sinceMs);

    const nodes: ManifestNode[] = [];
    for (let after = 0; ; ) {
      const rows = await reads.manifests(repo.id, after, PAGE, sinceMs);
      if (rows.length === 0) break;
      after = rows.at(-1)!.id;
      for (const r of rows) {
        nodes.push({ id: r.id, digest: r.digest, subjectDigest: r.subjectDigest, root: r.tagged || r.createdMs >= pushedBeforeMs, children: r.children });
      }
      await pacer.breathe();
    }
    report.manifestsCollected += await fx.collectManifests(repo, manifestGarbage(nodes), sinceMs, pushedBeforeMs);

    // The blobs the remaining manifests name. A manifest pushed since the listing is not here,
    // but the unlinking transaction sees it (and the links it needs are young anyway).
    const named = new Set<string>();
    for (let i = 0; i < nodes.length; i += PAGE) {
      const from = i === 0 ? 0 : nodes[i - 1]!.id;
      const to = nodes[Math.min(i + PAGE, nodes.length) - 1]!.id;
      for (const b of await reads.blobsNamed(repo.id, from, to)) if (!fx.goneManifests.has(b.manifestId)) named.add(b.digest);
      await pacer.breathe();
    }
    for (let after = ""; ; ) {
      const old = await reads.oldLinks(repo.id, after, pushedBeforeMs, this.batch);
      if (old.length === 0) break;
      after = old.at(-1)!;
      const unnamed = old.filter((d) => !named.has(d));
      if (unnamed.length) report.linksRemoved += await fx.collectLinks(repo, unnamed, pushedBeforeMs);
      await pacer.breathe();
    }
  }

  private async collectBlobRows(fx: PassEffects, pacer: Pacer, report: CollectionReport, stopped: () => boolean): Promise<void> {
    for (let after = ""; !stopped(); ) {
      const rows = await this.deps.reads.blobRows(after, this.batch);
      if (rows.length === 0) break;
      after = rows.at(-1)!.digest;
      const unreferenced = await fx.unreferencedRows(rows);
      if (unreferenced.length) report.blobRowsRemoved += await fx.collectBlobRows(unreferenced);
      await pacer.breathe();
    }
  }

  /** Every stored file without a row (freed by this pass, or left by a crash or a refused push). */
  private async collectFiles(fx: PassEffects, pacer: Pacer, writtenBeforeMs: number, report: CollectionReport, stopped: () => boolean): Promise<void> {
    for await (const page of digestPages(this.deps.blobs, PAGE, pacer)) {
      if (stopped()) return;
      const withRow = await fx.rowsAmong(page);
      const rowless = page.filter((d) => !withRow.has(d));
      // A few at a time: each file is a handful of filesystem calls on the thread pool, and a
      // busy server answers its requests between them.
      for (let i = 0; i < rowless.length; i += FILES_ANNOUNCED_AT_ONCE) {
        for (const freed of await fx.deleteFiles(rowless.slice(i, i + FILES_ANNOUNCED_AT_ONCE), writtenBeforeMs, FILES_AT_ONCE)) {
          if (freed === undefined) continue;
          report.filesRemoved++;
          report.bytesFreed += freed;
        }
      }
    }
  }
}

/** The pass as one log line: counts and bytes freed. */
export function describeCollection(r: CollectionReport): string {
  return (
    `purged ${r.periodsPurged} tag periods, ${r.manifestsCollected} manifests, ${r.linksRemoved} blob links, ${r.blobRowsRemoved} blob rows; ` +
    `freed ${r.filesRemoved} blob files (${r.bytesFreed} bytes) and ${r.uploadsRemoved} uploads (${r.uploadBytesFreed} bytes)` +
    `${r.trashRestored ? `; restored ${r.trashRestored} blobs a crashed pass had set aside` : ""} in ${r.ms} ms` +
    (r.stoppedEarly ? " (stopped early: shutting down)" : "")
  );
}
