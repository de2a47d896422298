// `berth restore DIR --data TARGET`: a data directory made from a backup (backup.ts says what a
// backup holds). Every blob is copied, not linked, and re-hashed on the way: a restore is when
// damage would otherwise go unseen, and the restored directory then shares nothing with the
// backup. The database goes in last, so a restore that stops part way leaves no directory a
// server would take for a registry. The server started on TARGET applies its migrations, as
// after an upgrade. Stop any server on TARGET first.
import { existsSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { copyDurably, copyVerified, fsyncDir, replaceWithCopy, sweepTemporaries } from "../store/backupFiles";
import { blobFilePath } from "../store/blobs/fsBlobStore";
import { restrictDataDir } from "../store/dataDirModes";
import { DATABASE_FILE, databaseProblem, snapshotBlobs } from "../store/snapshot";
import { CliError } from "./accounts";
import { entriesOf, sameDirectory, SECRET_DIRS } from "./backup";
import { BACKUP_INFO_FILE, formatBytes, inParallel, parseBackupInfo, PLACING_AT_ONCE } from "./backupPlan";

/** What a data directory holds that a restore with --force replaces; anything else stays. */
export const DATA_DIR_ENTRIES = [
  ...["", "-wal", "-shm", "-journal"].map((s) => DATABASE_FILE + s),
  ...SECRET_DIRS,
  "blobs",
  "uploads",
  "trash",
  "quarantine",
];

export async function restore(dir: string, target: string, opts: { force: boolean }): Promise<string> {
  const started = performance.now();
  const infoPath = join(dir, BACKUP_INFO_FILE);
  const info = parseBackupInfo(existsSync(infoPath) ? readFileSync(infoPath, "utf8") : undefined, dir);
  const snapshot = join(dir, DATABASE_FILE);
  const broken = databaseProblem(snapshot);
  if (broken) throw new CliError(`${snapshot} is damaged: ${broken}`, 1);
  if (sameDirectory(dir, target)) throw new CliError("the target cannot be the backup directory", 2);
  const there = entriesOf(target);
  if (there.length > 0 && !opts.force) {
    throw new CliError(`${target} is not empty (${there.slice(0, 5).join(", ")}${there.length > 5 ? ", …" : ""}): restore into a new directory, or pass --force to replace the registry there`, 1);
  }
  for (const name of DATA_DIR_ENTRIES) rmSync(join(target, name), { recursive: true, force: true });
  sweepTemporaries(target);
  restrictDataDir(target);

  const named = snapshotBlobs(snapshot);
  const problems: string[] = [];
  let bytes = 0;
  await inParallel(named, PLACING_AT_ONCE, async (blob) => {
    const copied = await copyVerified(blobFilePath(dir, blob.digest), blobFilePath(target, blob.digest), blob.digest);
    if (copied === "missing") problems.push(`${blob.digest}: missing from the backup`);
    else if (!copied.ok) problems.push(`${blob.digest}: its bytes hash to ${copied.actual}`);
    else if (copied.size !== blob.size) problems.push(`${blob.digest}: ${copied.size} bytes where the database says ${blob.size}`);
    else bytes += copied.size;
  });
  if (problems.length > 0) {
    const list = problems.slice(0, 10).join("\n  ");
    throw new CliError(`${problems.length} of ${named.length} blobs of the backup are damaged; nothing was restored to serve from (no database in ${target}):\n  ${list}`, 1);
  }
  let keyFiles = 0;
  for (const name of SECRET_DIRS) keyFiles += replaceWithCopy(join(dir, name), join(target, name));
  // Last, and whole or not at all (copyDurably renames an fsynced copy into place).
  const copied = await copyDurably(snapshot, join(target, DATABASE_FILE));
  if (typeof copied !== "number") throw new CliError(`${snapshot} vanished during the restore`, 1);
  fsyncDir(target);
  restrictDataDir(target);
  const secs = ((performance.now() - started) / 1000).toFixed(1);
  return (
    `restore: ${target} from the backup of ${info.createdAt} (${info.source}): ${named.length} blobs (${formatBytes(bytes)}) copied and verified, ` +
    `database (${formatBytes(copied)}), ${keyFiles} key files; ${secs} s. Start it with: berth serve --data ${target}`
  );
}
