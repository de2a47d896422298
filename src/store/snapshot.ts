// The database side of `berth backup` and `berth restore` (src/cli/backup.ts says the protocol):
// a consistent copy of berth.db taken while a server writes it, and what such a copy names.
// Plain SQLite files, not openMetaDb(): a backup must not migrate the live database of a server
// that may be older than this binary, and a restore leaves migrating to the server it starts.
import { Database } from "bun:sqlite";
import { closeSync, existsSync, fsyncSync, openSync } from "node:fs";

export const DATABASE_FILE = "berth.db";

export interface SnapshotBlob {
  digest: string;
  size: number;
}

/**
 * Writes the database at `livePath` as it is at one moment into `into` (which must not exist):
 * VACUUM INTO reads inside one read transaction, which in WAL mode neither waits for writers nor
 * holds them up. Upload sessions are left out of the copy: their half-written files are not part
 * of a backup, and a client whose upload is gone starts it again. The copy is fsynced.
 */
export function snapshotDatabase(livePath: string, into: string): void {
  if (!existsSync(livePath)) throw new Error(`no database at ${livePath}`);
  // Owner-only from its first byte, whatever the umask (VACUUM INTO fills an empty file).
  closeSync(openSync(into, "wx", 0o600));
  // Read-only: a backup never writes the live database (VACUUM INTO only reads it).
  const live = new Database(livePath, { readonly: true });
  try {
    live.exec("PRAGMA busy_timeout = 5000");
    live.prepare("VACUUM INTO ?").run(into);
  } finally {
    live.close();
  }
  const copy = new Database(into, { readwrite: true, create: false });
  try {
    copy.exec("PRAGMA busy_timeout = 5000");
    copy.exec("DELETE FROM uploads");
  } finally {
    copy.close();
  }
  fsyncFile(into);
}

/** The blob rows of a snapshot (every layer and config its manifests name), by digest. */
export function snapshotBlobs(path: string): SnapshotBlob[] {
  const db = new Database(path, { readonly: true });
  try {
    return db.prepare<SnapshotBlob, []>("SELECT digest, size FROM blobs ORDER BY digest").all();
  } finally {
    db.close();
  }
}

/** SQLite's own check of a database file: undefined when sound, else what it found. */
export function databaseProblem(path: string): string | undefined {
  let db: Database | undefined;
  try {
    db = new Database(path, { readonly: true });
    const rows = db.prepare<{ quick_check: string }, []>("PRAGMA quick_check").all();
    const found = rows.map((r) => r.quick_check).filter((r) => r !== "ok");
    return found.length ? found.slice(0, 5).join("; ") : undefined;
  } catch (e: any) {
    return String(e?.message ?? e);
  } finally {
    db?.close();
  }
}

function fsyncFile(path: string): void {
  const fd = openSync(path, "r");
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}
