// The decisions of `berth backup` and `berth restore`, apart from their files (backup.ts says the
// protocol): which blobs a backup reuses, places or drops; the loop that retakes the snapshot
// until every blob it names is in the backup; what backup.json holds.
import type { Placed } from "../store/backupFiles";
import type { SnapshotBlob } from "../store/snapshot";
import { CliError } from "./accounts";

/** backup.json: written last, so a directory without it holds no finished backup. */
export interface BackupInfo {
  format: 1;
  /** The Berth that wrote it. */
  berth: string;
  createdAt: string;
  /** The data directory it was taken from. */
  source: string;
  blobs: number;
  bytes: number;
}

export const BACKUP_INFO_FILE = "backup.json";

export interface BlobPlan {
  /** Already in the backup with the right size (an earlier backup's): kept as they are. */
  reuse: SnapshotBlob[];
  /** To link or copy from the data directory. */
  place: SnapshotBlob[];
  /** In the backup but named by the snapshot no more: removed once the snapshot is in place. */
  stale: string[];
}

/** Splits the blobs a snapshot names by what the backup directory holds already (digest → size). */
export function planBlobs(named: SnapshotBlob[], present: ReadonlyMap<string, number>): BlobPlan {
  const plan: BlobPlan = { reuse: [], place: [], stale: [] };
  const wanted = new Set<string>();
  for (const blob of named) {
    wanted.add(blob.digest);
    (present.get(blob.digest) === blob.size ? plan.reuse : plan.place).push(blob);
  }
  for (const digest of present.keys()) if (!wanted.has(digest)) plan.stale.push(digest);
  return plan;
}

export interface SnapshotSteps {
  /** Takes a new snapshot of the database (replacing the previous attempt's); answers its blobs. */
  snapshot(): SnapshotBlob[] | Promise<SnapshotBlob[]>;
  /** Puts one blob from the data directory into the backup. */
  place(blob: SnapshotBlob): Promise<Placed>;
  pause(ms: number): Promise<void>;
}

export interface SnapshotOutcome {
  named: SnapshotBlob[];
  stale: string[];
  reused: number;
  linked: number;
  copied: number;
  /** Bytes linked or copied by this backup. */
  placedBytes: number;
  /** Snapshots taken: more than one when the collector freed a blob the first one named. */
  attempts: number;
}

export const SNAPSHOT_ATTEMPTS = 5;
/** Blobs linked or copied at once: copies wait on fsync, and several flushes overlap. */
export const PLACING_AT_ONCE = 8;

/** Runs `fn` over `items`, at most `limit` at a time; the first failure is thrown once all settled. */
export async function inParallel<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  let failure: { error: unknown } | undefined;
  const worker = async () => {
    while (next < items.length && !failure) {
      const item = items[next++]!;
      try {
        await fn(item);
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  if (failure) throw failure.error;
}

/**
 * Takes snapshots until one whose every blob is in the backup. A blob file missing from the data
 * directory was collected after the snapshot (the collector deletes a file only after its row),
 * or is for an instant set aside while the collector re-checks it; a newer snapshot no longer
 * names the first, and finds the second back in place.
 */
export async function consistentSnapshot(present: Map<string, number>, steps: SnapshotSteps, attempts = SNAPSHOT_ATTEMPTS): Promise<SnapshotOutcome> {
  const out = { reused: 0, linked: 0, copied: 0, placedBytes: 0 };
  let missing: string[] = [];
  for (let attempt = 1; attempt <= attempts; attempt++) {
    if (attempt > 1) await steps.pause(100 * attempt);
    const named = await steps.snapshot();
    const plan = planBlobs(named, present);
    missing = [];
    await inParallel(plan.place, PLACING_AT_ONCE, async (blob) => {
      const placed = await steps.place(blob);
      if (placed === "missing") missing.push(blob.digest);
      else if (typeof placed === "object") {
        throw new CliError(`blob ${blob.digest} in the data directory does not hash to its digest (it hashes to ${placed.damaged}): run \`berth fsck\`, then back up again`, 1);
      } else {
        out[placed]++;
        out.placedBytes += blob.size;
        present.set(blob.digest, blob.size);
      }
    });
    if (missing.length === 0) return { ...out, named, stale: plan.stale, reused: plan.reuse.length, attempts: attempt };
  }
  throw new CliError(`${missing.length} blob(s) the database names kept vanishing from the data directory (${missing.slice(0, 3).join(", ")}): run \`berth fsck\`, then back up again`, 1);
}

/** Reads backup.json, refusing what this Berth cannot restore. */
export function parseBackupInfo(text: string | undefined, dir: string): BackupInfo {
  if (text === undefined) throw new CliError(`${dir} holds no finished backup (no ${BACKUP_INFO_FILE})`, 1);
  let info: Partial<BackupInfo>;
  try {
    info = JSON.parse(text);
  } catch {
    throw new CliError(`${dir}/${BACKUP_INFO_FILE} is not JSON`, 1);
  }
  if (info?.format !== 1) throw new CliError(`${dir}/${BACKUP_INFO_FILE}: backup format ${JSON.stringify(info?.format)} is not one this Berth restores (1)`, 1);
  return info as BackupInfo;
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ["KiB", "MiB", "GiB", "TiB"];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(1)} ${units[i]}`;
}

/** The line `berth backup` prints. */
export function describeBackup(dir: string, o: SnapshotOutcome, sizes: { databaseBytes: number; keyFiles: number }, ms: number): string {
  const total = o.named.reduce((sum, b) => sum + b.size, 0);
  const retried = o.attempts > 1 ? `; ${o.attempts} snapshots (blobs were collected meanwhile)` : "";
  return (
    `backup: ${dir}: database snapshot (${formatBytes(sizes.databaseBytes)}), ${o.named.length} blobs (${formatBytes(total)}): ` +
    `${o.reused} already there, ${o.linked} linked, ${o.copied} copied (${formatBytes(o.placedBytes)}), ` +
    `${o.stale.length} no longer needed removed; ${sizes.keyFiles} key files${retried}; ${(ms / 1000).toFixed(1)} s`
  );
}
