// The registry's writes, as primitives bound to one transaction. src/registry composes them into
// operations (guards first, then the change, then an event); this file knows no rules and no
// policies: it reads and writes rows.
//
// Each method is a step of a transaction body (`yield* tx.liveTag(repo, name)`), so one body runs
// on both dialects (docs/POSTGRES.md, "One store, two dialects"): synchronously inside one SQLite
// transaction (BEGIN IMMEDIATE: what a guard reads is still true when the change is written),
// awaited step by step inside one PostgreSQL transaction, where a guard reads the repository's
// row locked (`lockedRepository`) and the quota check takes the namespace's lock (`lockQuota`).
// registryWrites.ts runs the transactions.
import { and, asc, eq, gt, inArray, isNull, sql } from "drizzle-orm";
import { all, changes, one, oneLocked, type Program, type Scope } from "./dialect/program";
import { NamespaceTxSteps, type RegistryTxStores } from "./registryTxNamespaces";
import { LifecycleTx, type LifecycleStatements } from "./lifecycleTx";
import { liveTagColumns, repositoryColumns, type RegistryStatements } from "./registryStatements";
import { endsAfter } from "./meta/tagPeriods";
import { blobDeletionUnderWay, blobDigestLock } from "./blobDeletions";

export type RepositoryState = "NORMAL" | "READ_ONLY" | "MIRROR";

export interface RepositoryFacts {
  id: number;
  namespaceId: number;
  fullName: string;
  visibility: "private" | "public";
  state: RepositoryState;
}

/** A tag's live period (its expiry not passed: expired ones are closed before they are read). */
export interface LiveTag {
  id: number;
  name: string;
  manifestId: number;
  digest: string;
  startMs: number;
  expiresMs: number | null;
  immutable: boolean;
}

export interface NewManifestRow {
  digest: string;
  mediaType: string;
  artifactType?: string;
  subjectDigest?: string;
  annotations?: Record<string, string>;
  content: Uint8Array;
  /** Every blob the manifest names (config and layers). */
  blobDigests: string[];
  childDigests: string[];
}

export type { CreateRepositoryRow, NewRepositoryRow, RegistryTxStores } from "./registryTxNamespaces";

/** One transaction's view of the registry: what guards read and operations write. */
export class RegistryTx extends NamespaceTxSteps {
  /** The lifecycle's writes (time machine, collection) in this transaction. */
  readonly lifecycle: LifecycleTx;

  constructor(
    scope: Scope,
    stores: RegistryTxStores,
    now: number,
    lifecycle: LifecycleStatements,
    /** The hot statements, built once (registryStatements.ts); they run in the transaction. */
    private readonly q: RegistryStatements,
  ) {
    super(scope, stores, now);
    this.lifecycle = new LifecycleTx(scope, lifecycle);
  }

  *repository(id: number): Program<RepositoryFacts | undefined> {
    return yield* one(this.q.repository, { id });
  }

  /**
   * The repository's facts, its row locked until the transaction ends: what the guards of a
   * write to the repository read first, so two writes to one repository (pushes, tag moves) on
   * PostgreSQL take turns as SQLite's single writer makes them.
   */
  *lockedRepository(id: number): Program<RepositoryFacts | undefined> {
    return yield* oneLocked(this.q.repository, { id });
  }

  /** The robot a MIRROR repository's mirror pushes as, if it has one. */
  *mirrorRobot(repoId: number): Program<string | undefined> {
    const { db, t } = this.scope;
    const row = yield* one(db.select({ name: t.robots.fullName }).from(t.repoMirrors).innerJoin(t.robots, eq(t.robots.id, t.repoMirrors.robotId)).where(eq(t.repoMirrors.repositoryId, repoId)));
    return row?.name;
  }

  /** Whether the namespace is a proxy-cache organization. */
  *isProxyCacheNamespace(namespaceId: number): Program<boolean> {
    const { db, t } = this.scope;
    return (yield* one(db.select({ id: t.proxyCacheConfigs.id }).from(t.proxyCacheConfigs).where(eq(t.proxyCacheConfigs.namespaceId, namespaceId)))) !== undefined;
  }

  *repositoryByName(fullName: string): Program<RepositoryFacts | undefined> {
    const { db, t } = this.scope;
    return yield* one(db.select(repositoryColumns(t)).from(t.repositories).where(eq(t.repositories.fullName, fullName)));
  }

  /** The tag's live period; one whose expiry has passed is closed first (at its expiry) and is not live. */
  *liveTag(repoId: number, name: string): Program<LiveTag | undefined> {
    yield* changes(this.q.closeExpiredTag, { repo: repoId, name, now: this.now });
    return yield* one(this.q.liveTag, { repo: repoId, name });
  }

  /** The live, unexpired tags pointing at a manifest, by name. */
  *liveTagsOf(manifestId: number): Program<LiveTag[]> {
    const { db, t } = this.scope;
    return yield* all(
      db
        .select(liveTagColumns(t))
        .from(t.tags)
        .innerJoin(t.manifests, eq(t.manifests.id, t.tags.manifestId))
        .where(and(eq(t.tags.manifestId, manifestId), isNull(t.tags.endMs), sql`(${t.tags.expiresMs} IS NULL OR ${t.tags.expiresMs} > ${this.now})`))
        .orderBy(t.tags.name),
    );
  }

  *manifestId(repoId: number, digest: string): Program<number | undefined> {
    return (yield* one(this.q.manifestId, { repo: repoId, digest }))?.id;
  }

  /** Whether the tag pointed at the manifest in a period that is live or ended after `sinceMs` (in the time machine). */
  *tagPointedAt(repoId: number, name: string, manifestId: number, sinceMs: number): Program<boolean> {
    const { db, t } = this.scope;
    const row = yield* one(
      db
        .select({ id: t.tags.id })
        .from(t.tags)
        .where(and(eq(t.tags.repositoryId, repoId), eq(t.tags.name, name), eq(t.tags.manifestId, manifestId), endsAfter(this.scope, sinceMs)))
        .limit(1),
    );
    return row !== undefined;
  }

  /** Starts a new period of the tag at the manifest (the caller ended the live one). */
  *startTag(repoId: number, name: string, manifestId: number, immutable = false): Program<void> {
    yield* changes(this.q.startTag, { repo: repoId, name, manifest: manifestId, now: this.now, immutable });
  }

  /** The immutability policies that apply to the repository: its own and its namespace's. */
  *immutabilityRules(repoId: number): Program<{ tagPattern: string; tagPatternMatches: boolean }[]> {
    return yield* all(this.q.immutabilityRules, { repo: repoId });
  }

  /** Up to `limit` live, unexpired tags of a namespace (or one of its repositories) with ids after `afterId`, by id. */
  *liveTagsAfter(scope: { namespaceId: number; repositoryId: number | null }, afterId: number, limit: number): Program<{ id: number; name: string; immutable: boolean }[]> {
    const { db, t } = this.scope;
    const inNamespace = db.select({ id: t.repositories.id }).from(t.repositories).where(eq(t.repositories.namespaceId, scope.namespaceId));
    return yield* all(
      db
        .select({ id: t.tags.id, name: t.tags.name, immutable: t.tags.immutable })
        .from(t.tags)
        .where(
          and(
            scope.repositoryId === null ? inArray(t.tags.repositoryId, inNamespace) : eq(t.tags.repositoryId, scope.repositoryId),
            isNull(t.tags.endMs),
            sql`(${t.tags.expiresMs} IS NULL OR ${t.tags.expiresMs} > ${this.now})`,
            gt(t.tags.id, afterId),
          ),
        )
        .orderBy(asc(t.tags.id))
        .limit(limit),
    );
  }

  /** Makes the tags immutable and clears their expiries (an immutable tag does not expire). */
  *makeImmutable(tagIds: number[]): Program<void> {
    const { db, t } = this.scope;
    if (tagIds.length) yield* changes(db.update(t.tags).set({ immutable: true, expiresMs: null }).where(inArray(t.tags.id, tagIds)));
  }

  *endTag(tagId: number): Program<void> {
    yield* changes(this.q.endTag, { id: tagId, now: this.now });
  }

  *setTagExpiry(tagId: number, expiresMs: number | null): Program<void> {
    const { db, t } = this.scope;
    yield* changes(db.update(t.tags).set({ expiresMs }).where(eq(t.tags.id, tagId)));
  }

  *setTagImmutable(tagId: number, immutable: boolean): Program<void> {
    const { db, t } = this.scope;
    yield* changes(db.update(t.tags).set({ immutable }).where(eq(t.tags.id, tagId)));
  }

  /** The first of `digests` the repository may not serve (not uploaded, mounted or given to it). */
  *missingBlob(repoId: number, digests: string[]): Program<string | undefined> {
    // One prepared lookup per digest: cheaper than preparing an IN (…) of this push's length.
    for (const digest of new Set(digests)) if (!(yield* one(this.q.linkedBlob, { repo: repoId, digest }))) return digest;
    return undefined;
  }

  /** The first of `digests` that is not a manifest of the repository. */
  *missingManifest(repoId: number, digests: string[]): Program<string | undefined> {
    for (const digest of new Set(digests)) if (!(yield* one(this.q.manifestId, { repo: repoId, digest }))) return digest;
    return undefined;
  }

  /**
   * Stores the manifest once per repository and digest; answers its id (the existing one if
   * stored before). A push of a stored manifest refreshes its push time: the collector's grace
   * period covers a manifest pushed moments ago (say, the child of an index about to follow).
   */
  *insertManifest(repoId: number, m: NewManifestRow): Program<number> {
    const existing = yield* this.manifestId(repoId, m.digest);
    if (existing !== undefined) {
      yield* changes(this.q.refreshManifest, { id: existing, now: this.now });
      return existing;
    }
    const [row] = yield* all(this.q.insertManifest, {
      repo: repoId,
      digest: m.digest,
      mediaType: m.mediaType,
      artifactType: m.artifactType ?? null,
      subjectDigest: m.subjectDigest ?? null,
      size: m.content.byteLength,
      content: Buffer.from(m.content.buffer, m.content.byteOffset, m.content.byteLength),
      annotations: m.annotations ? JSON.stringify(m.annotations) : null,
      now: this.now,
    });
    // In digest order: each row updates its blob's reference counts in the namespace (the usage
    // triggers), so two pushes naming the same blobs take those rows' locks in one order
    // (PostgreSQL would otherwise find them waiting on each other: a deadlock).
    for (const digest of [...new Set(m.blobDigests)].sort()) yield* changes(this.q.manifestBlob, { id: row!.id, digest });
    for (const digest of new Set(m.childDigests)) yield* changes(this.q.manifestChild, { id: row!.id, digest });
    return row!.id;
  }

  /** Deletes the manifest with every period of every tag that pointed at it (by cascade). */
  *deleteManifest(manifestId: number): Program<void> {
    const { db, t } = this.scope;
    yield* changes(db.delete(t.manifests).where(eq(t.manifests.id, manifestId)));
  }

  /**
   * Whether a collector is deleting the digest's bytes right now (blobDeletions.ts): its row must
   * not be written until that ends. Holds the digest's lock until the transaction ends.
   */
  *blobDeletionUnderWay(digest: string): Program<boolean> {
    return yield* blobDeletionUnderWay(this.scope, digest, this.now);
  }

  /** Holds the digest's lock until the transaction ends: its row stays as read (a mount's source). */
  *lockBlobDigest(digest: string): Program<void> {
    yield* blobDigestLock(digest);
  }

  /** The blob's size when the repository may serve it. */
  *linkedBlobSize(repoId: number, digest: string): Program<number | undefined> {
    const { db, t } = this.scope;
    const row = yield* one(
      db
        .select({ size: t.blobs.size })
        .from(t.repositoryBlobs)
        .innerJoin(t.blobs, eq(t.blobs.digest, t.repositoryBlobs.digest))
        .where(and(eq(t.repositoryBlobs.repositoryId, repoId), eq(t.repositoryBlobs.digest, digest))),
    );
    return row?.size;
  }

  /**
   * Records a committed blob and links it to the repository (idempotent). Linking again (a
   * re-upload, a mount) refreshes the link's time: the collector's grace period counts from it.
   */
  *linkBlob(repoId: number, digest: string, size: number): Program<void> {
    const { db, t } = this.scope;
    yield* changes(db.insert(t.blobs).values({ digest, size, createdMs: this.now }).onConflictDoNothing());
    yield* changes(
      db
        .insert(t.repositoryBlobs)
        .values({ repositoryId: repoId, digest, createdMs: this.now })
        .onConflictDoUpdate({ target: [t.repositoryBlobs.repositoryId, t.repositoryBlobs.digest], set: { createdMs: this.now } }),
    );
  }

  *unlinkBlob(repoId: number, digest: string): Program<boolean> {
    const { db, t } = this.scope;
    const gone = yield* all(
      db
        .delete(t.repositoryBlobs)
        .where(and(eq(t.repositoryBlobs.repositoryId, repoId), eq(t.repositoryBlobs.digest, digest)))
        .returning({ d: t.repositoryBlobs.digest }),
    );
    return gone.length > 0;
  }

  /** Marks the repository changed (API v1's last_modified). */
  *touch(repoId: number): Program<void> {
    yield* changes(this.q.touch, { id: repoId, now: this.now });
  }
}
