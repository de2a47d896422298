// The registry's writes, as primitives bound to one transaction. src/registry composes them into
// operations (guards first, then the change, then an event); this file knows no rules and no
// policies: it reads and writes rows.
//
// `transact` takes the write lock up front (BEGIN IMMEDIATE), so what a guard reads is still true
// when the change is written. The body runs synchronously: on bun:sqlite an async callback would
// commit at its first await. Stores called inside (permissions, prototypes) open their own
// transactions, which nest as savepoints on the same connection.
import { and, asc, eq, gt, inArray, isNull, sql } from "drizzle-orm";
import type { MetaDb } from "./db";
import type { ReadCache } from "./meta/readCache";
import { blobs, immutabilityPolicies, manifestBlobs, manifestChildren, manifests, proxyCacheConfigs, repoMirrors, repositories, repositoryBlobs, robots, tags } from "./schema";
import { NamespaceTxSteps, type RegistryTxStores } from "./registryTxNamespaces";
import { LifecycleTx, prepareLifecycleStatements, type LifecycleStatements } from "./lifecycleTx";
import { liveTagColumns, prepareRegistryStatements, repositoryColumns, type RegistryStatements } from "./registryStatements";
import { endsAfter } from "./meta/tags";

export type Tx = Parameters<Parameters<MetaDb["transaction"]>[0]>[0];

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
    tx: Tx,
    stores: RegistryTxStores,
    now: number,
    lifecycle: LifecycleStatements,
    /** The hot statements, prepared once (registryStatements.ts); they run on the transaction's connection. */
    private readonly q: RegistryStatements,
  ) {
    super(tx, stores, now);
    this.lifecycle = new LifecycleTx(tx, lifecycle);
  }

  repository(id: number): RepositoryFacts | undefined {
    return this.q.repository.get({ id });
  }

  /** The robot a MIRROR repository's mirror pushes as, if it has one. */
  mirrorRobot(repoId: number): string | undefined {
    return this.tx.select({ name: robots.fullName }).from(repoMirrors).innerJoin(robots, eq(robots.id, repoMirrors.robotId)).where(eq(repoMirrors.repositoryId, repoId)).get()?.name;
  }

  /** Whether the namespace is a proxy-cache organization. */
  isProxyCacheNamespace(namespaceId: number): boolean {
    return this.tx.select({ id: proxyCacheConfigs.id }).from(proxyCacheConfigs).where(eq(proxyCacheConfigs.namespaceId, namespaceId)).get() !== undefined;
  }

  repositoryByName(fullName: string): RepositoryFacts | undefined {
    return this.tx.select(repositoryColumns).from(repositories).where(eq(repositories.fullName, fullName)).get();
  }

  /** The tag's live period; one whose expiry has passed is closed first (at its expiry) and is not live. */
  liveTag(repoId: number, name: string): LiveTag | undefined {
    this.q.closeExpiredTag.run({ repo: repoId, name, now: this.now });
    return this.q.liveTag.get({ repo: repoId, name });
  }

  /** The live, unexpired tags pointing at a manifest, by name. */
  liveTagsOf(manifestId: number): LiveTag[] {
    return this.tx
      .select(liveTagColumns)
      .from(tags)
      .innerJoin(manifests, eq(manifests.id, tags.manifestId))
      .where(and(eq(tags.manifestId, manifestId), isNull(tags.endMs), sql`(${tags.expiresMs} IS NULL OR ${tags.expiresMs} > ${this.now})`))
      .orderBy(tags.name)
      .all();
  }

  manifestId(repoId: number, digest: string): number | undefined {
    return this.q.manifestId.get({ repo: repoId, digest })?.id;
  }

  /** Whether the tag pointed at the manifest in a period that is live or ended after `sinceMs` (in the time machine). */
  tagPointedAt(repoId: number, name: string, manifestId: number, sinceMs: number): boolean {
    return (
      this.tx
        .select({ id: tags.id })
        .from(tags)
        .where(and(eq(tags.repositoryId, repoId), eq(tags.name, name), eq(tags.manifestId, manifestId), endsAfter(sinceMs)))
        .limit(1)
        .get() !== undefined
    );
  }

  /** Starts a new period of the tag at the manifest (the caller ended the live one). */
  startTag(repoId: number, name: string, manifestId: number, immutable = false): void {
    this.q.startTag.run({ repo: repoId, name, manifest: manifestId, now: this.now, immutable });
  }

  /** The immutability policies that apply to the repository: its own and its namespace's. */
  immutabilityRules(repoId: number): { tagPattern: string; tagPatternMatches: boolean }[] {
    return this.q.immutabilityRules.all({ repo: repoId });
  }

  /** Up to `limit` live, unexpired tags of a namespace (or one of its repositories) with ids after `afterId`, by id. */
  liveTagsAfter(scope: { namespaceId: number; repositoryId: number | null }, afterId: number, limit: number): { id: number; name: string; immutable: boolean }[] {
    const inNamespace = this.tx.select({ id: repositories.id }).from(repositories).where(eq(repositories.namespaceId, scope.namespaceId));
    return this.tx
      .select({ id: tags.id, name: tags.name, immutable: tags.immutable })
      .from(tags)
      .where(
        and(
          scope.repositoryId === null ? inArray(tags.repositoryId, inNamespace) : eq(tags.repositoryId, scope.repositoryId),
          isNull(tags.endMs),
          sql`(${tags.expiresMs} IS NULL OR ${tags.expiresMs} > ${this.now})`,
          gt(tags.id, afterId),
        ),
      )
      .orderBy(asc(tags.id))
      .limit(limit)
      .all();
  }

  /** Makes the tags immutable and clears their expiries (an immutable tag does not expire). */
  makeImmutable(tagIds: number[]): void {
    if (tagIds.length) this.tx.update(tags).set({ immutable: true, expiresMs: null }).where(inArray(tags.id, tagIds)).run();
  }

  endTag(tagId: number): void {
    this.q.endTag.run({ id: tagId, now: this.now });
  }

  setTagExpiry(tagId: number, expiresMs: number | null): void {
    this.tx.update(tags).set({ expiresMs }).where(eq(tags.id, tagId)).run();
  }

  setTagImmutable(tagId: number, immutable: boolean): void {
    this.tx.update(tags).set({ immutable }).where(eq(tags.id, tagId)).run();
  }

  /** The first of `digests` the repository may not serve (not uploaded, mounted or given to it). */
  missingBlob(repoId: number, digests: string[]): string | undefined {
    // One prepared lookup per digest: cheaper than preparing an IN (…) of this push's length.
    return [...new Set(digests)].find((digest) => !this.q.linkedBlob.get({ repo: repoId, digest }));
  }

  /** The first of `digests` that is not a manifest of the repository. */
  missingManifest(repoId: number, digests: string[]): string | undefined {
    return [...new Set(digests)].find((digest) => !this.q.manifestId.get({ repo: repoId, digest }));
  }

  /**
   * Stores the manifest once per repository and digest; answers its id (the existing one if
   * stored before). A push of a stored manifest refreshes its push time: the collector's grace
   * period covers a manifest pushed moments ago (say, the child of an index about to follow).
   */
  insertManifest(repoId: number, m: NewManifestRow): number {
    const existing = this.manifestId(repoId, m.digest);
    if (existing !== undefined) {
      this.q.refreshManifest.run({ id: existing, now: this.now });
      return existing;
    }
    const row = this.q.insertManifest.get({
      repo: repoId,
      digest: m.digest,
      mediaType: m.mediaType,
      artifactType: m.artifactType ?? null,
      subjectDigest: m.subjectDigest ?? null,
      size: m.content.byteLength,
      content: Buffer.from(m.content.buffer, m.content.byteOffset, m.content.byteLength),
      annotations: m.annotations ? JSON.stringify(m.annotations) : null,
      now: this.now,
    })!;
    for (const digest of new Set(m.blobDigests)) this.q.manifestBlob.run({ id: row.id, digest });
    for (const digest of new Set(m.childDigests)) this.q.manifestChild.run({ id: row.id, digest });
    return row.id;
  }

  /** Deletes the manifest with every period of every tag that pointed at it (by cascade). */
  deleteManifest(manifestId: number): void {
    this.tx.delete(manifests).where(eq(manifests.id, manifestId)).run();
  }

  /** The blob's size when the repository may serve it. */
  linkedBlobSize(repoId: number, digest: string): number | undefined {
    return this.tx
      .select({ size: blobs.size })
      .from(repositoryBlobs)
      .innerJoin(blobs, eq(blobs.digest, repositoryBlobs.digest))
      .where(and(eq(repositoryBlobs.repositoryId, repoId), eq(repositoryBlobs.digest, digest)))
      .get()?.size;
  }

  /**
   * Records a committed blob and links it to the repository (idempotent). Linking again (a
   * re-upload, a mount) refreshes the link's time: the collector's grace period counts from it.
   */
  linkBlob(repoId: number, digest: string, size: number): void {
    this.tx.insert(blobs).values({ digest, size, createdMs: this.now }).onConflictDoNothing().run();
    this.tx
      .insert(repositoryBlobs)
      .values({ repositoryId: repoId, digest, createdMs: this.now })
      .onConflictDoUpdate({ target: [repositoryBlobs.repositoryId, repositoryBlobs.digest], set: { createdMs: this.now } })
      .run();
  }

  unlinkBlob(repoId: number, digest: string): boolean {
    return (
      this.tx
        .delete(repositoryBlobs)
        .where(and(eq(repositoryBlobs.repositoryId, repoId), eq(repositoryBlobs.digest, digest)))
        .returning({ d: repositoryBlobs.digest })
        .all().length > 0
    );
  }

  /** Marks the repository changed (API v1's last_modified). */
  touch(repoId: number): void {
    this.q.touch.run({ id: repoId, now: this.now });
  }

}

/** Runs registry transactions: one write lock, one clock, the read cache forgotten after each. */
export class RegistryWrites {
  private readonly lifecycle: LifecycleStatements;
  private readonly statements: RegistryStatements;

  constructor(
    private readonly db: MetaDb,
    private readonly cache: ReadCache,
    private readonly stores: RegistryTxStores,
    private readonly clock: () => number = Date.now,
  ) {
    this.lifecycle = prepareLifecycleStatements(db);
    this.statements = prepareRegistryStatements(db);
  }

  /** `body` runs inside one IMMEDIATE transaction; throwing rolls everything back. */
  transact<T>(body: (tx: RegistryTx) => T): T {
    try {
      return this.db.transaction((tx) => body(new RegistryTx(tx, this.stores, this.clock(), this.lifecycle, this.statements)), { behavior: "immediate" });
    } finally {
      // Cached reads (repository by name, manifest by tag) may have changed.
      this.cache.clear();
    }
  }
}
