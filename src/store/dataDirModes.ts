// The data directory holds password hashes, robot tokens (encrypted, with their key beside
// them in keys/), signing keys and private images: only its owner may read it. New files get
// owner-only modes where they are made (and `berth` runs with umask 077); a directory from an
// older Berth (0755, berth.db 0644) is tightened at every open.
import { chmodSync, lstatSync, mkdirSync, readdirSync } from "node:fs";
import { join } from "node:path";

const DIRECTORIES = ["keys", "uploads", "blobs", "trash"];
const DATABASE_FILES = ["berth.db", "berth.db-wal", "berth.db-shm", "berth.db-journal"];
/** Directories whose files are secrets or unfinished private content. */
const FILE_DIRECTORIES = ["keys", "uploads"];

/**
 * Makes the directory 0700 (creating it), its known subdirectories 0700 and the database,
 * key and upload files 0600. Answers what could not be changed (a mount point owned by
 * someone else, say) rather than refusing to start; the caller warns.
 */
export function restrictDataDir(dataDir: string): string[] {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const problems: string[] = [];
  const restrict = (path: string, mode: number) => {
    try {
      const st = lstatSync(path);
      if (st.isSymbolicLink() || (st.mode & 0o777) === mode) return;
      chmodSync(path, mode);
    } catch (e: any) {
      if (e?.code !== "ENOENT") problems.push(`cannot make ${path} mode ${mode.toString(8)}: ${e?.code ?? e}`);
    }
  };
  restrict(dataDir, 0o700);
  for (const dir of DIRECTORIES) restrict(join(dataDir, dir), 0o700);
  for (const file of DATABASE_FILES) restrict(join(dataDir, file), 0o600);
  for (const dir of FILE_DIRECTORIES) {
    let names: string[] = [];
    try {
      names = readdirSync(join(dataDir, dir));
    } catch {}
    for (const name of names) restrict(join(dataDir, dir, name), 0o600);
  }
  return problems;
}
