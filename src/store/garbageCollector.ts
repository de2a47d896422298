import { and, eq, lt, notExists, sql } from "drizzle-orm";
import type { BlobStore } from "./blobs/blobStore";
import type { MetaDb } from "./db";
import { blobs, manifestBlobs, manifests, repositoryBlobs } from "./schema";

// Garbage collection protocol (safe while pushes are in flight):
// 1. Unlink repository↔blob links older than the grace period that no manifest of that
//    repository references (layers of deleted manifests, abandoned pushes). Young links belong
//    to pushes whose manifest has not arrived yet.
// 2. Delete blob rows that no link and no manifest references, in one statement: a concurrent
//    push either linked first (row kept) or re-inserts the row after us.
// 3. For every stored file without a row, BlobStore.deleteUnreferenced sets the bytes aside and
//    puts them back if they were written within the grace period or a row has appeared.
//    Pushes write the file (fresh mtime) before the row; manifest PUTs check links inside the
//    transaction that inserts the manifest, so they never reference a blob unlinked in step 1.

export interface GcReport {
  linksRemoved: number;
  rowsRemoved: number;
  filesRemoved: number;
  bytesFreed: number;
}

export async function collectGarbage(db: MetaDb, store: BlobStore, graceMs: number, now = Date.now()): Promise<GcReport> {
  const cutoff = now - graceMs;
  await store.recoverTrash((digest) => hasRow(db, digest));

  const referencedInRepo = db
    .select({ one: sql`1` })
    .from(manifestBlobs)
    .innerJoin(manifests, eq(manifests.id, manifestBlobs.manifestId))
    .where(and(eq(manifests.repositoryId, repositoryBlobs.repositoryId), eq(manifestBlobs.digest, repositoryBlobs.digest)));
  const links = db
    .delete(repositoryBlobs)
    .where(and(lt(repositoryBlobs.createdMs, cutoff), notExists(referencedInRepo)))
    .returning({ digest: repositoryBlobs.digest })
    .all();

  const rows = db
    .delete(blobs)
    .where(
      and(
        notExists(db.select({ one: sql`1` }).from(repositoryBlobs).where(eq(repositoryBlobs.digest, blobs.digest))),
        notExists(db.select({ one: sql`1` }).from(manifestBlobs).where(eq(manifestBlobs.digest, blobs.digest))),
      ),
    )
    .returning({ digest: blobs.digest })
    .all();

  let filesRemoved = 0;
  let bytesFreed = 0;
  for await (const digest of store.list()) {
    if (hasRow(db, digest)) continue;
    const s = await store.stat(digest);
    if (await store.deleteUnreferenced(digest, graceMs, () => hasRow(db, digest))) {
      filesRemoved++;
      bytesFreed += s.exists ? s.size : 0;
    }
  }
  return { linksRemoved: links.length, rowsRemoved: rows.length, filesRemoved, bytesFreed };
}

function hasRow(db: MetaDb, digest: string): boolean {
  return db.select({ d: blobs.digest }).from(blobs).where(eq(blobs.digest, digest)).get() !== undefined;
}
