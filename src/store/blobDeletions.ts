// Announced deletions of blob bytes (the `blob_deletions` table): how a collector on one node and
// a push on another agree about a digest without the object store's help (S3 has no conditional
// delete and no rename). The protocol is in src/registry/lifecycle/collector.ts (PROTOCOL 6).
//
// Every step that writes or deletes a blob row, or announces a deletion, first takes the digest's
// lock (`blobDigestLock`): on PostgreSQL an advisory transaction lock, so "no row, so announce"
// and "no announcement, so write the row" never both pass at once; on SQLite nothing (its single
// writer already serialises them). Hence the invariant: a blob row and an announced deletion of
// the same digest never stand together.
import { and, eq, inArray } from "drizzle-orm";
import { all, changes, lock, LOCK_SPACE, one, type Program, type Scope } from "./dialect/program";

/**
 * An announcement older than this was left by a collector that crashed (or stalled) between its
 * announcement and its end: a push takes it over, the next pass clears it. Deleting one object
 * takes milliseconds (plus, on S3, a server-side copy aside); nodes' clocks must agree far better.
 * A stalled collector that wakes after a push took over still re-checks the row after its delete
 * and puts the bytes back (BlobStore.deleteUnreferenced).
 */
export const BLOB_DELETION_ABANDONED_MS = 60_000;

/** The digest's lock until the transaction ends (PostgreSQL; SQLite needs none). */
export function* blobDigestLock(digest: string): Program<void> {
  yield* lock(LOCK_SPACE.blobDigest, digestKey(digest));
}

/** The digests' locks in one order (two batches at once wait for each other instead of deadlocking). */
export function* blobDigestLocks(digests: readonly string[]): Program<void> {
  for (const key of [...new Set(digests.map(digestKey))].sort((a, b) => a - b)) yield* lock(LOCK_SPACE.blobDigest, key);
}

/** The first 32 bits of the digest's hex, as a signed int4 (pg_advisory_xact_lock's key). */
function digestKey(digest: string): number {
  const hex = digest.slice(digest.indexOf(":") + 1, digest.indexOf(":") + 9);
  return Number.parseInt(hex, 16) | 0;
}

/**
 * Announces the deletion of each digest's bytes at `nowMs` unless a blob row exists or another
 * collector's announcement (younger than the bound) stands; an abandoned one is taken over.
 * Answers the digests announced (`endBlobDeletions` names them with `nowMs`); leave the others.
 * A few digests at a time: their pushes wait while the batch's bytes go.
 */
export function* announceBlobDeletions(scope: Scope, digests: readonly string[], nowMs: number, owner: string): Program<string[]> {
  const { db, t } = scope;
  if (digests.length === 0) return [];
  yield* blobDigestLocks(digests);
  const rows = new Set((yield* all(db.select({ digest: t.blobs.digest }).from(t.blobs).where(inArray(t.blobs.digest, [...digests])))).map((r) => r.digest));
  const standing = new Map(
    (yield* all(db.select().from(t.blobDeletions).where(inArray(t.blobDeletions.digest, [...digests])))).map((r) => [r.digest, r.startedMs]),
  );
  const announced: string[] = [];
  for (const digest of new Set(digests)) {
    if (rows.has(digest)) continue;
    const since = standing.get(digest);
    if (since !== undefined && since > nowMs - BLOB_DELETION_ABANDONED_MS) continue;
    // Taken over with a later time: the crashed collector's late end no longer matches it.
    if (since !== undefined) yield* changes(db.update(t.blobDeletions).set({ startedMs: nowMs, owner }).where(eq(t.blobDeletions.digest, digest)));
    else yield* changes(db.insert(t.blobDeletions).values({ digest, startedMs: nowMs, owner }));
    announced.push(digest);
  }
  return announced;
}

/** Ends the announcements made at `startedMs` (one taken over since is another's and stays). */
export function* endBlobDeletions(scope: Scope, digests: readonly string[], startedMs: number): Program<void> {
  const { db, t } = scope;
  if (digests.length === 0) return;
  yield* changes(db.delete(t.blobDeletions).where(and(inArray(t.blobDeletions.digest, [...digests]), eq(t.blobDeletions.startedMs, startedMs))));
}

/**
 * Whether a deletion of the digest's bytes is under way at `nowMs` (the caller must not write its
 * row yet); an abandoned announcement is removed, and the caller goes on. Takes the digest's lock.
 */
export function* blobDeletionUnderWay(scope: Scope, digest: string, nowMs: number): Program<boolean> {
  const { db, t } = scope;
  yield* blobDigestLock(digest);
  const standing = yield* one(db.select({ startedMs: t.blobDeletions.startedMs }).from(t.blobDeletions).where(eq(t.blobDeletions.digest, digest)));
  if (!standing) return false;
  if (standing.startedMs > nowMs - BLOB_DELETION_ABANDONED_MS) return true;
  yield* changes(db.delete(t.blobDeletions).where(eq(t.blobDeletions.digest, digest)));
  return false;
}

/**
 * Removes the announcements left by a crash: older than the bound at `nowMs`, or made by a
 * collector `ownerGone` says has ended (a process of this host). Answers their digests.
 */
export function* clearAbandonedDeletions(scope: Scope, nowMs: number, ownerGone: (owner: string) => boolean): Program<string[]> {
  const { db, t } = scope;
  const standing = yield* all(db.select().from(t.blobDeletions).orderBy(t.blobDeletions.digest));
  const cleared: string[] = [];
  for (const r of standing) {
    if (r.startedMs > nowMs - BLOB_DELETION_ABANDONED_MS && !ownerGone(r.owner)) continue;
    // Only as read: one taken over meanwhile is another collector's.
    if ((yield* changes(db.delete(t.blobDeletions).where(and(eq(t.blobDeletions.digest, r.digest), eq(t.blobDeletions.startedMs, r.startedMs))))) > 0) cleared.push(r.digest);
  }
  return cleared;
}
