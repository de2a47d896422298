// How much storage namespaces and repositories use: the blobs their manifests name, each counted
// once (Quay's QuotaNamespaceSize / QuotaRepositorySize, but exact at every moment). The figures
// are maintained by triggers (../migrations/0012_quota_usage_triggers.sql), so a push reads its
// namespace's in O(1); `recompute*` derive them from the base tables, and `reconcile` repairs any
// namespace whose maintained figures differ from that truth (it never should: the test suite
// compares them after many pushes, mounts and deletions by every path).
import { and, eq, inArray, or, sql } from "drizzle-orm";
import type { MetaDb } from "../db";
import { blobs, manifestBlobs, manifests, namespaceBlobRefs, namespaces, namespaceUsage, repositories, repositoryBlobRefs, repositoryUsage } from "../schema";

type UsageReader = Pick<MetaDb, "select" | "selectDistinct">;
type UsageWriter = UsageReader & Pick<MetaDb, "insert" | "delete">;

const CHUNK = 500; // SQLite's bound-variable limit, with room to spare

function chunks<T>(items: T[]): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += CHUNK) out.push(items.slice(i, i + CHUNK));
  return out;
}

/** The namespace's usage as maintained. */
function maintainedUsage(db: UsageReader, namespaceId: number): number {
  return db.select({ bytes: namespaceUsage.sizeBytes }).from(namespaceUsage).where(eq(namespaceUsage.namespaceId, namespaceId)).get()?.bytes ?? 0;
}

/** Every (repository, digest) the manifests name, with its namespace and how many manifests name it. */
function referencedByRepository(db: UsageReader) {
  return db
    .select({ repositoryId: manifests.repositoryId, namespaceId: repositories.namespaceId, digest: manifestBlobs.digest, refs: sql<number>`count(*)`.as("refs") })
    .from(manifestBlobs)
    .innerJoin(manifests, eq(manifests.id, manifestBlobs.manifestId))
    .innerJoin(repositories, eq(repositories.id, manifests.repositoryId));
}

/** Each repository's bytes, or each namespace's, from the base tables (`where` narrows them). */
function truthBy(db: UsageReader, by: "repository" | "namespace", where?: ReturnType<typeof eq>): Map<number, number> {
  const key = by === "repository" ? manifests.repositoryId : repositories.namespaceId;
  const named = db
    .selectDistinct({ id: sql<number>`${key}`.as("owner"), digest: manifestBlobs.digest })
    .from(manifestBlobs)
    .innerJoin(manifests, eq(manifests.id, manifestBlobs.manifestId))
    .innerJoin(repositories, eq(repositories.id, manifests.repositoryId))
    .where(where)
    .as("named");
  const rows = db.select({ id: named.id, bytes: sql<number>`SUM(${blobs.size})` }).from(named).innerJoin(blobs, eq(blobs.digest, named.digest)).groupBy(sql`${named.id}`).all();
  return new Map(rows.map((r) => [Number(r.id), Number(r.bytes)]));
}

export interface UsageDrift {
  namespaceId: number;
  /** The namespace's bytes as they were maintained, and as they are. */
  maintained: number;
  actual: number;
}

export class QuotaUsageStore {
  // Prepared: every counted push step reads these inside its transaction (the same connection).
  private readonly usageOf;
  private readonly countedIn;
  private readonly sizeOf;

  constructor(private readonly db: MetaDb) {
    this.usageOf = db.select({ bytes: namespaceUsage.sizeBytes }).from(namespaceUsage).where(eq(namespaceUsage.namespaceId, sql.placeholder("ns"))).prepare();
    this.countedIn = db
      .select({ refs: namespaceBlobRefs.refs })
      .from(namespaceBlobRefs)
      .where(and(eq(namespaceBlobRefs.namespaceId, sql.placeholder("ns")), eq(namespaceBlobRefs.digest, sql.placeholder("digest"))))
      .prepare();
    this.sizeOf = db.select({ size: blobs.size }).from(blobs).where(eq(blobs.digest, sql.placeholder("digest"))).prepare();
  }

  /** The namespace's usage (maintained; equal to `recompute`). */
  async namespaceBytes(namespaceId: number): Promise<number> {
    return this.namespaceBytesInTx(namespaceId);
  }

  /** namespaceBytes inside a registry transaction (RegistryTx), whose body stays synchronous on SQLite. */
  namespaceBytesInTx(namespaceId: number): number {
    return this.usageOf.get({ ns: namespaceId })?.bytes ?? 0;
  }

  /**
   * What the blobs would add to the namespace's usage: those no manifest of the namespace names
   * yet, each once. `size` stands in for a blob whose row the same step is about to write.
   */
  async bytesNewToNamespace(namespaceId: number, wanted: { digest: string; size?: number }[]): Promise<number> {
    return this.bytesNewToNamespaceInTx(namespaceId, wanted);
  }

  /** bytesNewToNamespace inside a registry transaction (the quota guard), whose body stays synchronous on SQLite. */
  bytesNewToNamespaceInTx(namespaceId: number, wanted: { digest: string; size?: number }[]): number {
    const given = new Map<string, number | undefined>();
    for (const b of wanted) given.set(b.digest, b.size ?? given.get(b.digest));
    let bytes = 0;
    for (const [digest, size] of given) {
      if (this.countedIn.get({ ns: namespaceId, digest })) continue;
      // A digest with no blob row and no size given (a foreign layer) takes no space here.
      bytes += this.sizeOf.get({ digest })?.size ?? size ?? 0;
    }
    return bytes;
  }

  /** Usage of several namespaces at once (missing ones use nothing). */
  async namespacesBytes(namespaceIds: number[]): Promise<Map<number, number>> {
    const out = new Map<number, number>(namespaceIds.map((id) => [id, 0]));
    for (const part of chunks(namespaceIds)) {
      const rows = this.db.select({ id: namespaceUsage.namespaceId, bytes: namespaceUsage.sizeBytes }).from(namespaceUsage).where(inArray(namespaceUsage.namespaceId, part)).all();
      for (const r of rows) out.set(r.id, r.bytes);
    }
    return out;
  }

  /** Each repository's usage: the blobs its own manifests name, each once (Quay's repository size). */
  async repositoriesBytes(repositoryIds: number[]): Promise<Map<number, number>> {
    const out = new Map<number, number>(repositoryIds.map((id) => [id, 0]));
    for (const part of chunks(repositoryIds)) {
      const rows = this.db.select({ id: repositoryUsage.repositoryId, bytes: repositoryUsage.sizeBytes }).from(repositoryUsage).where(inArray(repositoryUsage.repositoryId, part)).all();
      for (const r of rows) out.set(r.id, r.bytes);
    }
    return out;
  }

  /** The namespace's usage from the base tables: the truth the maintained figure must equal. */
  async recompute(namespaceId: number): Promise<number> {
    return truthBy(this.db, "namespace", eq(repositories.namespaceId, namespaceId)).get(namespaceId) ?? 0;
  }

  /** A repository's usage from the base tables. */
  async recomputeRepository(repositoryId: number): Promise<number> {
    return truthBy(this.db, "repository", eq(manifests.repositoryId, repositoryId)).get(repositoryId) ?? 0;
  }

  /**
   * Compares every namespace's maintained figures (reference counts, repository and namespace
   * bytes) with the base tables and rebuilds the namespaces that differ. Finding them reads
   * without the write lock; each rebuild takes it briefly, so a push in between is never lost.
   */
  async reconcile(): Promise<{ checked: number; drifted: UsageDrift[] }> {
    const suspects = this.driftedNamespaces();
    const drifted: UsageDrift[] = [];
    for (const namespaceId of suspects) {
      const fixed = this.db.transaction((tx) => rebuild(tx, namespaceId), { behavior: "immediate" });
      if (fixed) drifted.push(fixed);
    }
    const checked = this.db.select({ n: sql<number>`count(*)` }).from(namespaces).get()?.n ?? 0;
    return { checked: Number(checked), drifted };
  }

  /** Namespaces whose reference counts or bytes differ from the base tables. */
  private driftedNamespaces(): number[] {
    const ids = new Set<number>();
    // Builders are consumed by set operations: a fresh one for each side.
    const expected = () => referencedByRepository(this.db).groupBy(manifests.repositoryId, manifestBlobs.digest);
    const actual = () =>
      this.db
        .select({ repositoryId: repositoryBlobRefs.repositoryId, namespaceId: repositoryBlobRefs.namespaceId, digest: repositoryBlobRefs.digest, refs: repositoryBlobRefs.refs })
        .from(repositoryBlobRefs);
    for (const r of expected().except(actual()).all()) ids.add(r.namespaceId);
    for (const r of actual().except(expected()).all()) ids.add(r.namespaceId);
    // A namespace counts each blob once per repository naming it.
    const expectedNs = () =>
      this.db
        .select({ namespaceId: repositories.namespaceId, digest: manifestBlobs.digest, refs: sql<number>`count(DISTINCT ${manifests.repositoryId})`.as("refs") })
        .from(manifestBlobs)
        .innerJoin(manifests, eq(manifests.id, manifestBlobs.manifestId))
        .innerJoin(repositories, eq(repositories.id, manifests.repositoryId))
        .groupBy(repositories.namespaceId, manifestBlobs.digest);
    const actualNs = () => this.db.select({ namespaceId: namespaceBlobRefs.namespaceId, digest: namespaceBlobRefs.digest, refs: namespaceBlobRefs.refs }).from(namespaceBlobRefs);
    for (const r of expectedNs().except(actualNs()).all()) ids.add(r.namespaceId);
    for (const r of actualNs().except(expectedNs()).all()) ids.add(r.namespaceId);
    const repoNamespace = new Map(this.db.select({ id: repositories.id, ns: repositories.namespaceId }).from(repositories).all().map((r) => [r.id, r.ns]));
    const compare = (truth: Map<number, number>, maintained: { id: number; bytes: number }[], nsOf: (id: number) => number | undefined) => {
      for (const m of maintained) {
        if ((truth.get(m.id) ?? 0) !== m.bytes) ids.add(nsOf(m.id) ?? -1);
        truth.delete(m.id);
      }
      for (const [id, bytes] of truth) if (bytes !== 0) ids.add(nsOf(id) ?? -1);
    };
    compare(truthBy(this.db, "namespace"), this.db.select({ id: namespaceUsage.namespaceId, bytes: namespaceUsage.sizeBytes }).from(namespaceUsage).all(), (id) => id);
    compare(truthBy(this.db, "repository"), this.db.select({ id: repositoryUsage.repositoryId, bytes: repositoryUsage.sizeBytes }).from(repositoryUsage).all(), (id) => repoNamespace.get(id));
    ids.delete(-1);
    return [...ids].sort((a, b) => a - b);
  }
}

/**
 * Rebuilds one namespace's figures: its rows are cleared and its repositories' reference counts
 * inserted again from the base tables, which the triggers count as on any push. The drift it
 * repaired, if any.
 */
function rebuild(db: UsageWriter, namespaceId: number): UsageDrift | undefined {
  if (!db.select({ id: namespaces.id }).from(namespaces).where(eq(namespaces.id, namespaceId)).get()) return undefined; // removed meanwhile
  const ownRepositories = db.select({ id: repositories.id }).from(repositories).where(eq(repositories.namespaceId, namespaceId));
  const snapshot = () =>
    JSON.stringify([
      db.select().from(repositoryBlobRefs).where(eq(repositoryBlobRefs.namespaceId, namespaceId)).orderBy(repositoryBlobRefs.repositoryId, repositoryBlobRefs.digest).all(),
      db.select().from(namespaceBlobRefs).where(eq(namespaceBlobRefs.namespaceId, namespaceId)).orderBy(namespaceBlobRefs.digest).all(),
      db.select().from(repositoryUsage).where(inArray(repositoryUsage.repositoryId, ownRepositories)).orderBy(repositoryUsage.repositoryId).all(),
    ]);
  const maintained = maintainedUsage(db, namespaceId);
  const before = snapshot();
  db.delete(repositoryBlobRefs).where(or(eq(repositoryBlobRefs.namespaceId, namespaceId), inArray(repositoryBlobRefs.repositoryId, ownRepositories))).run();
  db.delete(namespaceBlobRefs).where(eq(namespaceBlobRefs.namespaceId, namespaceId)).run();
  db.delete(namespaceUsage).where(eq(namespaceUsage.namespaceId, namespaceId)).run();
  db.delete(repositoryUsage).where(inArray(repositoryUsage.repositoryId, ownRepositories)).run();
  db.insert(repositoryBlobRefs).select(referencedByRepository(db).where(eq(repositories.namespaceId, namespaceId)).groupBy(manifests.repositoryId, manifestBlobs.digest)).run();
  const actual = maintainedUsage(db, namespaceId);
  return maintained === actual && before === snapshot() ? undefined : { namespaceId, maintained, actual };
}
