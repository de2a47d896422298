// `berth backup DIR`: a consistent copy of a data directory while its server runs, pushes and
// collection passes included. `berth restore` (restore.ts) makes a data directory from it.
//
// WHAT DIR HOLDS
//   berth.db      the metadata database as it was at one moment (upload sessions left out)
//   blobs/        exactly the blobs that database names, laid out as in the data directory
//   keys/, tls/   the data directory's signing keys, cookie secrets, database secret (robot
//                 tokens are encrypted with it) and --tls auto's CA and certificate
//   backup.json   written last: when, from where, how many blobs and bytes
// Everything is owner-only (0700 directories, 0600 files): DIR holds secrets and private images.
//
// PROTOCOL
// 1. Snapshot: `VACUUM INTO DIR/berth.db.new`: one read transaction, so the copy is the registry
//    at one moment; in WAL mode it neither waits for the server's writers nor holds them up.
// 2. Blobs: every blob row of the snapshot (each layer and config a manifest names has one;
//    manifests themselves are rows) is put into DIR/blobs: kept if an earlier backup left it
//    there with the right size (content-addressed files never change in place: the name is the
//    content; restore re-hashes anyway), else hard-linked from the data directory, else (another
//    file system) copied, hashed on the way, fsynced.
// 3. The collector: a blob the snapshot names may be collected after the snapshot was taken (its
//    tag deleted meanwhile and the grace period past). The collector deletes a file only after
//    its row, in a transaction that re-checks every reference (collector.ts, steps 2 and 6), so
//    a file missing at step 2 was either collected after the snapshot, and a newer snapshot
//    names it no more, or set aside for an instant while the collector re-checks it (a push of
//    the same digest), and it is back by the next attempt. So when any file is missing, a new
//    snapshot is taken and step 2 runs again for it (consistentSnapshot in backupPlan.ts, up to
//    SNAPSHOT_ATTEMPTS times); a link, once made, keeps the bytes whatever the collector does
//    next. A backup whose database names a blob it lacks is never committed: after the last
//    attempt the backup fails and the previous one stays.
// 4. Commit: keys/ and tls/ are copied beside and swapped in; berth.db.new is renamed over
//    berth.db; then the blobs the new snapshot does not name (an earlier backup's) are removed;
//    then backup.json. A crash at any point leaves a whole backup: the earlier database with a
//    superset of its blobs, or the new one with its own.
// One backup at a time per DIR (DIR/backup.lock holds the writer's process id; a lock whose
// process is gone is taken over, and what that backup left half-written is swept). On the same file system the hard links make a backup cost
// little space and survive a deletion, a bad collection pass or a broken database, but not the
// disk's failure: back up onto another disk (the blobs are then copied) for that.
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { blobDigestsUnder, blobFilePath, processAlive } from "../store/blobs/fsBlobStore";
import { fileSize, fsyncDir, placeBlob, replaceWithCopy, sweepTemporaries } from "../store/backupFiles";
import { DATABASE_FILE, snapshotDatabase, snapshotBlobs } from "../store/snapshot";
import { CliError } from "./accounts";
import { BACKUP_INFO_FILE, consistentSnapshot, describeBackup, type BackupInfo } from "./backupPlan";

/** The directories of a data directory a backup carries beside the database and blobs. */
export const SECRET_DIRS = ["keys", "tls"];

export interface BackupOptions {
  berthVersion: string;
  /** Runs after each snapshot, before its blobs are placed (tests run the collector here). */
  afterSnapshot?: () => Promise<void>;
}

export async function backup(dataDir: string, dir: string, opts: BackupOptions): Promise<string> {
  const started = performance.now();
  const livePath = join(dataDir, DATABASE_FILE);
  if (!existsSync(livePath)) throw new CliError(`${dataDir} holds no Berth database (${DATABASE_FILE}): is --data right?`, 1);
  if (sameDirectory(dataDir, dir)) throw new CliError("the backup directory cannot be the data directory", 2);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chmodSync(dir, 0o700);
  const unlock = takeLock(dir);
  try {
    sweepTemporaries(dir);
    return await backupLocked(dataDir, dir, opts, started);
  } finally {
    unlock();
  }
}

async function backupLocked(dataDir: string, dir: string, opts: BackupOptions, started: number): Promise<string> {
  const livePath = join(dataDir, DATABASE_FILE);
  const staging = join(dir, `${DATABASE_FILE}.new`);
  const present = await blobsPresent(dir);
  // Hard links only where the data directory's file system is the backup's: linking across
  // fails anyway, and this way the first blob does not find out by error.
  const link = statSync(dataDir).dev === statSync(dir).dev;
  const outcome = await consistentSnapshot(present, {
    snapshot: async () => {
      rmSync(staging, { force: true });
      snapshotDatabase(livePath, staging);
      const named = snapshotBlobs(staging);
      await opts.afterSnapshot?.();
      return named;
    },
    place: (blob) => placeBlob(dataDir, dir, blob.digest, { link }),
    pause: (ms) => Bun.sleep(ms),
  });
  let keyFiles = 0;
  for (const name of SECRET_DIRS) keyFiles += replaceWithCopy(join(dataDir, name), join(dir, name));
  renameSync(staging, join(dir, DATABASE_FILE));
  fsyncDir(dir);
  for (const digest of outcome.stale) rmSync(blobFilePath(dir, digest), { force: true });
  const info: BackupInfo = {
    format: 1,
    berth: opts.berthVersion,
    createdAt: new Date().toISOString(),
    source: dataDir,
    blobs: outcome.named.length,
    bytes: outcome.named.reduce((sum, b) => sum + b.size, 0),
  };
  const infoTmp = join(dir, `${BACKUP_INFO_FILE}.new`);
  writeFileSync(infoTmp, JSON.stringify(info, null, 2) + "\n", { mode: 0o600 });
  renameSync(infoTmp, join(dir, BACKUP_INFO_FILE));
  fsyncDir(dir);
  const databaseBytes = fileSize(join(dir, DATABASE_FILE)) ?? 0;
  return describeBackup(dir, outcome, { databaseBytes, keyFiles }, performance.now() - started);
}

const LOCK_FILE = "backup.lock";

/** Takes DIR's lock (a file holding this process's id); answers its release. */
function takeLock(dir: string): () => void {
  const path = join(dir, LOCK_FILE);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      writeFileSync(path, `${process.pid}\n`, { flag: "wx", mode: 0o600 });
      return () => rmSync(path, { force: true });
    } catch (e: any) {
      if (e?.code !== "EEXIST") throw e;
    }
    const pid = Number(readFileSync(path, "utf8").trim());
    // Our own id in the file is a crashed run's (a container's process is often 1 each time).
    if (Number.isSafeInteger(pid) && pid > 0 && pid !== process.pid && processAlive(pid)) {
      throw new CliError(`another backup (process ${pid}) is writing ${dir}; if none is, remove ${path}`, 1);
    }
    rmSync(path, { force: true });
  }
  throw new CliError(`cannot take ${path}`, 1);
}

/** The blobs an earlier backup left in `dir`: digest → size. */
async function blobsPresent(dir: string): Promise<Map<string, number>> {
  const present = new Map<string, number>();
  for await (const digest of blobDigestsUnder(dir)) {
    const size = fileSize(blobFilePath(dir, digest));
    if (size !== undefined) present.set(digest, size);
  }
  return present;
}

/** Whether `b` exists and is the directory `a`, by another name or not. */
export function sameDirectory(a: string, b: string): boolean {
  if (!existsSync(b)) return false;
  const sa = statSync(a);
  const sb = statSync(b);
  return sa.dev === sb.dev && sa.ino === sb.ino;
}

/** Names of `dir`'s entries, none when it does not exist. */
export function entriesOf(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch (e: any) {
    if (e?.code === "ENOENT") return [];
    throw e;
  }
}
