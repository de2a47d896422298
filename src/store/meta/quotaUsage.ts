// How much storage namespaces and repositories use: the blobs their manifests name, each counted
// once (Quay's QuotaNamespaceSize / QuotaRepositorySize, but exact at every moment). The figures
// are maintained by triggers (../migrations/0012_quota_usage_triggers.sql), so a push reads its
// namespace's in O(1); `recompute*` derive them from the base tables, and `reconcile` repairs any
// namespace whose maintained figures differ from that truth (it never should: the test suite
// compares them after many pushes, mounts and deletions by every path).
import { and, eq, inArray, or, sql, type SQL } from "drizzle-orm";
import { all, changes, lock, LOCK_SPACE, one, type Program, type Runner, type Scope } from "../dialect/program";
import { asNumber } from "../dialect/fragments";

const CHUNK = 500; // far below either dialect's bound-parameter limit

function chunks<T>(items: T[]): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += CHUNK) out.push(items.slice(i, i + CHUNK));
  return out;
}

/** The bytes of each id, read a chunk at a time; ids without a row use nothing. */
function* bytesById(ids: number[], read: (part: number[]) => Program<{ id: number; bytes: number }[]>): Program<Map<number, number>> {
  const out = new Map<number, number>(ids.map((id) => [id, 0]));
  for (const part of chunks(ids)) for (const r of yield* read(part)) out.set(r.id, r.bytes);
  return out;
}

/** The namespace's usage as maintained. */
function* maintainedUsage({ db, t }: Scope, namespaceId: number): Program<number> {
  return (yield* one(db.select({ bytes: t.namespaceUsage.sizeBytes }).from(t.namespaceUsage).where(eq(t.namespaceUsage.namespaceId, namespaceId))))?.bytes ?? 0;
}

/** Every (repository, digest) the manifests name, with its namespace and how many manifests name it. */
function referencedByRepository({ db, t }: Scope) {
  return db
    .select({ repositoryId: t.manifests.repositoryId, namespaceId: t.repositories.namespaceId, digest: t.manifestBlobs.digest, refs: sql<number>`count(*)`.as("refs") })
    .from(t.manifestBlobs)
    .innerJoin(t.manifests, eq(t.manifests.id, t.manifestBlobs.manifestId))
    .innerJoin(t.repositories, eq(t.repositories.id, t.manifests.repositoryId));
}

/** Each repository's bytes, or each namespace's, from the base tables (`where` narrows them). */
function* truthBy(scope: Scope, by: "repository" | "namespace", where?: (s: Scope) => SQL): Program<Map<number, number>> {
  const { db, t } = scope;
  const key = by === "repository" ? t.manifests.repositoryId : t.repositories.namespaceId;
  const named = db
    .selectDistinct({ id: sql<number>`${key}`.as("owner"), digest: t.manifestBlobs.digest })
    .from(t.manifestBlobs)
    .innerJoin(t.manifests, eq(t.manifests.id, t.manifestBlobs.manifestId))
    .innerJoin(t.repositories, eq(t.repositories.id, t.manifests.repositoryId))
    .where(where?.(scope))
    .as("named");
  const rows = yield* all(db.select({ id: named.id, bytes: asNumber(sql`SUM(${t.blobs.size})`) }).from(named).innerJoin(t.blobs, eq(t.blobs.digest, named.digest)).groupBy(sql`${named.id}`));
  return new Map(rows.map((r) => [Number(r.id), Number(r.bytes)]));
}

export interface UsageDrift {
  namespaceId: number;
  /** The namespace's bytes as they were maintained, and as they are. */
  maintained: number;
  actual: number;
}

export class QuotaUsageStore {
  // Built once: every counted push step reads these inside its transaction.
  private readonly usageOf;
  private readonly countedIn;
  private readonly sizeOf;

  constructor(private readonly q: Runner) {
    this.usageOf = q.statement(({ db, t }) => db.select({ bytes: t.namespaceUsage.sizeBytes }).from(t.namespaceUsage).where(eq(t.namespaceUsage.namespaceId, sql.placeholder("ns"))));
    this.countedIn = q.statement(({ db, t }) =>
      db
        .select({ refs: t.namespaceBlobRefs.refs })
        .from(t.namespaceBlobRefs)
        .where(and(eq(t.namespaceBlobRefs.namespaceId, sql.placeholder("ns")), eq(t.namespaceBlobRefs.digest, sql.placeholder("digest")))),
    );
    this.sizeOf = q.statement(({ db, t }) => db.select({ size: t.blobs.size }).from(t.blobs).where(eq(t.blobs.digest, sql.placeholder("digest"))));
  }

  /** The namespace's usage (maintained; equal to `recompute`). */
  async namespaceBytes(namespaceId: number): Promise<number> {
    const step = this.namespaceBytesInTx.bind(this);
    return this.q.run(() => step(namespaceId));
  }

  /** namespaceBytes as a step of a transaction's body (the registry's quota guard). */
  *namespaceBytesInTx(namespaceId: number): Program<number> {
    return (yield* one(this.usageOf, { ns: namespaceId }))?.bytes ?? 0;
  }

  /**
   * What the blobs would add to the namespace's usage: those no manifest of the namespace names
   * yet, each once. `size` stands in for a blob whose row the same step is about to write.
   */
  async bytesNewToNamespace(namespaceId: number, wanted: { digest: string; size?: number }[]): Promise<number> {
    const step = this.bytesNewToNamespaceInTx.bind(this);
    return this.q.run(() => step(namespaceId, wanted));
  }

  /** bytesNewToNamespace as a step of a transaction's body (the quota guard). */
  *bytesNewToNamespaceInTx(namespaceId: number, wanted: { digest: string; size?: number }[]): Program<number> {
    const given = new Map<string, number | undefined>();
    for (const b of wanted) given.set(b.digest, b.size ?? given.get(b.digest));
    let bytes = 0;
    for (const [digest, size] of given) {
      if (yield* one(this.countedIn, { ns: namespaceId, digest })) continue;
      // A digest with no blob row and no size given (a foreign layer) takes no space here.
      bytes += (yield* one(this.sizeOf, { digest }))?.size ?? size ?? 0;
    }
    return bytes;
  }

  /** Usage of several namespaces at once (missing ones use nothing). */
  async namespacesBytes(namespaceIds: number[]): Promise<Map<number, number>> {
    return this.q.run(({ db, t }) =>
      bytesById(namespaceIds, (part) => all(db.select({ id: t.namespaceUsage.namespaceId, bytes: t.namespaceUsage.sizeBytes }).from(t.namespaceUsage).where(inArray(t.namespaceUsage.namespaceId, part)))),
    );
  }

  /** Each repository's usage: the blobs its own manifests name, each once (Quay's repository size). */
  async repositoriesBytes(repositoryIds: number[]): Promise<Map<number, number>> {
    return this.q.run(({ db, t }) =>
      bytesById(repositoryIds, (part) => all(db.select({ id: t.repositoryUsage.repositoryId, bytes: t.repositoryUsage.sizeBytes }).from(t.repositoryUsage).where(inArray(t.repositoryUsage.repositoryId, part)))),
    );
  }

  /** The namespace's usage from the base tables: the truth the maintained figure must equal. */
  async recompute(namespaceId: number): Promise<number> {
    return this.q.run(function* (scope) {
      return (yield* truthBy(scope, "namespace", ({ t }) => eq(t.repositories.namespaceId, namespaceId))).get(namespaceId) ?? 0;
    });
  }

  /** A repository's usage from the base tables. */
  async recomputeRepository(repositoryId: number): Promise<number> {
    return this.q.run(function* (scope) {
      return (yield* truthBy(scope, "repository", ({ t }) => eq(t.manifests.repositoryId, repositoryId))).get(repositoryId) ?? 0;
    });
  }

  /**
   * Compares every namespace's maintained figures (reference counts, repository and namespace
   * bytes) with the base tables and rebuilds the namespaces that differ. Finding them reads
   * outside any transaction; each rebuild is one, briefly, so a push in between is never lost.
   */
  async reconcile(): Promise<{ checked: number; drifted: UsageDrift[] }> {
    const suspects = await this.q.run(driftedNamespaces);
    const drifted: UsageDrift[] = [];
    for (const namespaceId of suspects) {
      const fixed = await this.q.transaction(
        function* (scope) {
          return yield* rebuild(scope, namespaceId);
        },
        { immediate: true },
      );
      if (fixed) drifted.push(fixed);
    }
    const checked = await this.q.run(function* ({ db, t }) {
      return (yield* one(db.select({ n: asNumber(sql`count(*)`) }).from(t.namespaces)))?.n ?? 0;
    });
    return { checked, drifted };
  }
}

/** Namespaces whose reference counts or bytes differ from the base tables. */
function* driftedNamespaces(scope: Scope): Program<number[]> {
  const { db, t } = scope;
  const ids = new Set<number>();
  // Builders are consumed by set operations: a fresh one for each side.
  const expected = () => referencedByRepository(scope).groupBy(t.manifests.repositoryId, t.manifestBlobs.digest, t.repositories.namespaceId);
  const actual = () =>
    db
      .select({ repositoryId: t.repositoryBlobRefs.repositoryId, namespaceId: t.repositoryBlobRefs.namespaceId, digest: t.repositoryBlobRefs.digest, refs: t.repositoryBlobRefs.refs })
      .from(t.repositoryBlobRefs);
  for (const r of yield* all(expected().except(actual()))) ids.add(r.namespaceId);
  for (const r of yield* all(actual().except(expected()))) ids.add(r.namespaceId);
  // A namespace counts each blob once per repository naming it.
  const expectedNs = () =>
    db
      .select({ namespaceId: t.repositories.namespaceId, digest: t.manifestBlobs.digest, refs: sql<number>`count(DISTINCT ${t.manifests.repositoryId})`.as("refs") })
      .from(t.manifestBlobs)
      .innerJoin(t.manifests, eq(t.manifests.id, t.manifestBlobs.manifestId))
      .innerJoin(t.repositories, eq(t.repositories.id, t.manifests.repositoryId))
      .groupBy(t.repositories.namespaceId, t.manifestBlobs.digest);
  const actualNs = () => db.select({ namespaceId: t.namespaceBlobRefs.namespaceId, digest: t.namespaceBlobRefs.digest, refs: t.namespaceBlobRefs.refs }).from(t.namespaceBlobRefs);
  for (const r of yield* all(expectedNs().except(actualNs()))) ids.add(r.namespaceId);
  for (const r of yield* all(actualNs().except(expectedNs()))) ids.add(r.namespaceId);
  const repoNamespace = new Map((yield* all(db.select({ id: t.repositories.id, ns: t.repositories.namespaceId }).from(t.repositories))).map((r) => [r.id, r.ns]));
  const compare = (truth: Map<number, number>, maintained: { id: number; bytes: number }[], nsOf: (id: number) => number | undefined) => {
    for (const m of maintained) {
      if ((truth.get(m.id) ?? 0) !== m.bytes) ids.add(nsOf(m.id) ?? -1);
      truth.delete(m.id);
    }
    for (const [id, bytes] of truth) if (bytes !== 0) ids.add(nsOf(id) ?? -1);
  };
  compare(yield* truthBy(scope, "namespace"), yield* all(db.select({ id: t.namespaceUsage.namespaceId, bytes: t.namespaceUsage.sizeBytes }).from(t.namespaceUsage)), (id) => id);
  compare(yield* truthBy(scope, "repository"), yield* all(db.select({ id: t.repositoryUsage.repositoryId, bytes: t.repositoryUsage.sizeBytes }).from(t.repositoryUsage)), (id) => repoNamespace.get(id));
  ids.delete(-1);
  return [...ids].sort((a, b) => a - b);
}

/**
 * Rebuilds one namespace's figures: its rows are cleared and its repositories' reference counts
 * inserted again from the base tables, which the triggers count as on any push. The drift it
 * repaired, if any. Holds the namespace's quota lock (as a counted push does).
 */
function* rebuild(scope: Scope, namespaceId: number): Program<UsageDrift | undefined> {
  const { db, t } = scope;
  if (!(yield* one(db.select({ id: t.namespaces.id }).from(t.namespaces).where(eq(t.namespaces.id, namespaceId))))) return undefined; // removed meanwhile
  yield* lock(LOCK_SPACE.namespaceQuota, namespaceId);
  const ownRepositories = db.select({ id: t.repositories.id }).from(t.repositories).where(eq(t.repositories.namespaceId, namespaceId));
  const snapshot = function* (): Program<string> {
    return JSON.stringify([
      yield* all(db.select().from(t.repositoryBlobRefs).where(eq(t.repositoryBlobRefs.namespaceId, namespaceId)).orderBy(t.repositoryBlobRefs.repositoryId, t.repositoryBlobRefs.digest)),
      yield* all(db.select().from(t.namespaceBlobRefs).where(eq(t.namespaceBlobRefs.namespaceId, namespaceId)).orderBy(t.namespaceBlobRefs.digest)),
      yield* all(db.select().from(t.repositoryUsage).where(inArray(t.repositoryUsage.repositoryId, ownRepositories)).orderBy(t.repositoryUsage.repositoryId)),
    ]);
  };
  const maintained = yield* maintainedUsage(scope, namespaceId);
  const before = yield* snapshot();
  yield* changes(db.delete(t.repositoryBlobRefs).where(or(eq(t.repositoryBlobRefs.namespaceId, namespaceId), inArray(t.repositoryBlobRefs.repositoryId, ownRepositories))));
  yield* changes(db.delete(t.namespaceBlobRefs).where(eq(t.namespaceBlobRefs.namespaceId, namespaceId)));
  yield* changes(db.delete(t.namespaceUsage).where(eq(t.namespaceUsage.namespaceId, namespaceId)));
  yield* changes(db.delete(t.repositoryUsage).where(inArray(t.repositoryUsage.repositoryId, ownRepositories)));
  yield* changes(
    db.insert(t.repositoryBlobRefs).select(referencedByRepository(scope).where(eq(t.repositories.namespaceId, namespaceId)).groupBy(t.manifests.repositoryId, t.manifestBlobs.digest, t.repositories.namespaceId)),
  );
  const actual = yield* maintainedUsage(scope, namespaceId);
  const after = yield* snapshot();
  return maintained === actual && before === after ? undefined : { namespaceId, maintained, actual };
}
