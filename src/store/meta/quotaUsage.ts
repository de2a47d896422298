// How much storage namespaces and repositories use: the blobs their manifests name, each counted
// once (Quay's QuotaNamespaceSize / QuotaRepositorySize, but exact at every moment). A namespace's
// figure is maintained by triggers (../migrations/0010_quota_usage_triggers.sql) so a push reads
// it in O(1); `recompute` derives it from the base tables, and `reconcile` repairs any namespace
// whose maintained figure differs from that truth (it never should: the test suite compares them
// after many pushes, mounts and deletions).
import { and, eq, inArray, sql } from "drizzle-orm";
import type { MetaDb } from "../db";
import { blobs, manifestBlobs, manifests, namespaceBlobRefs, namespaces, namespaceUsage, repositories } from "../schema";

/** What reads usage: the database, or a registry transaction (the quota guard reads it). */
export type UsageReader = Pick<MetaDb, "select" | "selectDistinct">;

const CHUNK = 500; // SQLite's bound-variable limit, with room to spare

function chunks<T>(items: T[]): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += CHUNK) out.push(items.slice(i, i + CHUNK));
  return out;
}

/** The namespace's usage as maintained. */
export function maintainedUsage(db: UsageReader, namespaceId: number): number {
  return db.select({ bytes: namespaceUsage.sizeBytes }).from(namespaceUsage).where(eq(namespaceUsage.namespaceId, namespaceId)).get()?.bytes ?? 0;
}

/**
 * What the blobs would add to the namespace's usage: those no manifest of the namespace names
 * yet, each once. `size` stands in for a blob whose row the same step is about to write.
 */
export function bytesNewToNamespace(db: UsageReader, namespaceId: number, wanted: { digest: string; size?: number }[]): number {
  const given = new Map<string, number | undefined>();
  for (const b of wanted) given.set(b.digest, b.size ?? given.get(b.digest));
  const counted = new Set<string>();
  for (const part of chunks([...given.keys()])) {
    const rows = db
      .select({ digest: namespaceBlobRefs.digest })
      .from(namespaceBlobRefs)
      .where(and(eq(namespaceBlobRefs.namespaceId, namespaceId), inArray(namespaceBlobRefs.digest, part)))
      .all();
    for (const r of rows) counted.add(r.digest);
  }
  const fresh = [...given.keys()].filter((d) => !counted.has(d));
  const sizes = new Map<string, number>();
  for (const part of chunks(fresh)) {
    for (const r of db.select({ digest: blobs.digest, size: blobs.size }).from(blobs).where(inArray(blobs.digest, part)).all()) sizes.set(r.digest, r.size);
  }
  // A digest with no blob row and no size given (a foreign layer) takes no space here.
  return fresh.reduce((sum, d) => sum + (sizes.get(d) ?? given.get(d) ?? 0), 0);
}

/** Every (namespace, digest) the manifests name, with how many manifests name it. */
function referencedBlobs(db: UsageReader) {
  return db
    .select({ namespaceId: repositories.namespaceId, digest: manifestBlobs.digest, refs: sql<number>`count(*)`.as("refs") })
    .from(manifestBlobs)
    .innerJoin(manifests, eq(manifests.id, manifestBlobs.manifestId))
    .innerJoin(repositories, eq(repositories.id, manifests.repositoryId));
}

/** The namespace's usage from the base tables. */
function recomputedUsage(db: UsageReader, namespaceId: number): number {
  const referenced = db
    .selectDistinct({ digest: manifestBlobs.digest })
    .from(manifestBlobs)
    .innerJoin(manifests, eq(manifests.id, manifestBlobs.manifestId))
    .innerJoin(repositories, eq(repositories.id, manifests.repositoryId))
    .where(eq(repositories.namespaceId, namespaceId));
  const row = db.select({ total: sql<number>`COALESCE(SUM(${blobs.size}), 0)` }).from(blobs).where(inArray(blobs.digest, referenced)).get();
  return Number(row?.total ?? 0);
}

type UsageWriter = UsageReader & Pick<MetaDb, "insert" | "delete">;

export interface UsageDrift {
  namespaceId: number;
  maintained: number;
  actual: number;
}

export class QuotaUsageStore {
  constructor(private readonly db: MetaDb) {}

  /** The namespace's usage (maintained; equal to `recompute`). */
  namespaceBytes(namespaceId: number): number {
    return maintainedUsage(this.db, namespaceId);
  }

  /** Usage of several namespaces at once (missing ones use nothing). */
  namespacesBytes(namespaceIds: number[]): Map<number, number> {
    const out = new Map<number, number>(namespaceIds.map((id) => [id, 0]));
    for (const part of chunks(namespaceIds)) {
      const rows = this.db.select({ id: namespaceUsage.namespaceId, bytes: namespaceUsage.sizeBytes }).from(namespaceUsage).where(inArray(namespaceUsage.namespaceId, part)).all();
      for (const r of rows) out.set(r.id, r.bytes);
    }
    return out;
  }

  /** The namespace's usage from the base tables: the truth the maintained figure must equal. */
  recompute(namespaceId: number): number {
    return recomputedUsage(this.db, namespaceId);
  }

  /** Each repository's usage: the blobs its own manifests name, each once (Quay's repository size). */
  repositoriesBytes(repositoryIds: number[]): Map<number, number> {
    const out = new Map<number, number>(repositoryIds.map((id) => [id, 0]));
    for (const part of chunks(repositoryIds)) {
      const named = this.db
        .selectDistinct({ repositoryId: manifests.repositoryId, digest: manifestBlobs.digest })
        .from(manifestBlobs)
        .innerJoin(manifests, eq(manifests.id, manifestBlobs.manifestId))
        .where(inArray(manifests.repositoryId, part))
        .as("named");
      const rows = this.db
        .select({ repositoryId: named.repositoryId, bytes: sql<number>`SUM(${blobs.size})` })
        .from(named)
        .innerJoin(blobs, eq(blobs.digest, named.digest))
        .groupBy(named.repositoryId)
        .all();
      for (const r of rows) out.set(r.repositoryId, Number(r.bytes));
    }
    return out;
  }

  /**
   * Compares every namespace's maintained figures with the base tables and rebuilds those that
   * differ. Finding them reads without the write lock; each rebuild takes it briefly and looks
   * again, so a push in between is never lost.
   */
  reconcile(): { checked: number; drifted: UsageDrift[] } {
    const suspects = this.driftedNamespaces();
    const drifted: UsageDrift[] = [];
    for (const namespaceId of suspects) {
      const fixed = this.db.transaction((tx) => rebuild(tx, namespaceId), { behavior: "immediate" });
      if (fixed) drifted.push(fixed);
    }
    const checked = this.db.select({ n: sql<number>`count(*)` }).from(namespaceUsage).get()?.n ?? 0;
    return { checked: Number(checked), drifted };
  }

  /** Namespaces whose reference counts or usage differ from the base tables. */
  private driftedNamespaces(): number[] {
    // Builders are consumed by set operations: a fresh one for each side.
    const expected = () => referencedBlobs(this.db).groupBy(repositories.namespaceId, manifestBlobs.digest);
    const actual = () => this.db.select({ namespaceId: namespaceBlobRefs.namespaceId, digest: namespaceBlobRefs.digest, refs: namespaceBlobRefs.refs }).from(namespaceBlobRefs);
    const ids = new Set<number>();
    for (const r of expected().except(actual()).all()) ids.add(r.namespaceId);
    for (const r of actual().except(expected()).all()) ids.add(r.namespaceId);
    const truth = new Map<number, number>();
    const totals = this.db
      .select({ namespaceId: namespaceBlobRefs.namespaceId, bytes: sql<number>`SUM(${blobs.size})` })
      .from(namespaceBlobRefs)
      .innerJoin(blobs, eq(blobs.digest, namespaceBlobRefs.digest))
      .groupBy(namespaceBlobRefs.namespaceId)
      .all();
    for (const t of totals) truth.set(t.namespaceId, Number(t.bytes));
    for (const u of this.db.select({ id: namespaceUsage.namespaceId, bytes: namespaceUsage.sizeBytes }).from(namespaceUsage).all()) {
      if ((truth.get(u.id) ?? 0) !== u.bytes) ids.add(u.id);
      truth.delete(u.id);
    }
    for (const [id, bytes] of truth) if (bytes !== 0) ids.add(id);
    return [...ids].sort((a, b) => a - b);
  }
}

/** Rebuilds one namespace's counts from the base tables; the drift it repaired, if any. */
function rebuild(db: UsageWriter, namespaceId: number): UsageDrift | undefined {
  if (!db.select({ id: namespaces.id }).from(namespaces).where(eq(namespaces.id, namespaceId)).get()) return undefined; // removed meanwhile
  const refsOf = () => sortRefs(db.select({ digest: namespaceBlobRefs.digest, refs: namespaceBlobRefs.refs }).from(namespaceBlobRefs).where(eq(namespaceBlobRefs.namespaceId, namespaceId)).all());
  const maintained = maintainedUsage(db, namespaceId);
  const before = refsOf();
  db.delete(namespaceBlobRefs).where(eq(namespaceBlobRefs.namespaceId, namespaceId)).run();
  db.insert(namespaceBlobRefs).select(referencedBlobs(db).where(eq(repositories.namespaceId, namespaceId)).groupBy(repositories.namespaceId, manifestBlobs.digest)).run();
  const actual = recomputedUsage(db, namespaceId);
  db.insert(namespaceUsage).values({ namespaceId, sizeBytes: actual }).onConflictDoUpdate({ target: namespaceUsage.namespaceId, set: { sizeBytes: actual } }).run();
  const same = maintained === actual && JSON.stringify(before) === JSON.stringify(refsOf());
  return same ? undefined : { namespaceId, maintained, actual };
}

const sortRefs = (rows: { digest: string; refs: number }[]) => [...rows].sort((a, b) => (a.digest < b.digest ? -1 : a.digest > b.digest ? 1 : 0));
