import { join } from "node:path";
import type { BlobStore } from "./blobs/blobStore";
import type { BlobStoreOpener } from "./blobs/openBlobStore";
import { FsBlobStore } from "./blobs/fsBlobStore";
import { openMetaDb, scrubFreedContent, sqliteDatabaseProblems, type MetaDb } from "./db";
import { restrictDataDir } from "./dataDirModes";
import { FieldCipher, loadDatabaseSecret } from "./fieldEncryption";
import type { AuditWriter } from "./auditWriter";
import { singleNodeStoreState, type StoreNodeState } from "./nodeState";
import { assembleStores } from "./assembleStores";
import type { SharedNodeState } from "./pgStores";
import { sqliteRunner } from "./dialect/sqliteRunner";
import { sealPlaintextRobotTokens } from "./robotTokenSealing";
import type { BlobLinkStore } from "./meta/blobLinks";
import type { ManifestStore } from "./meta/manifests";
import type { RepositoryStore } from "./meta/repositories";
import type { TagStore } from "./meta/tags";
import type { UploadRowStore } from "./meta/uploads";
import type { UploadSessions } from "./uploadSessions";
import type { RegistryWrites } from "./registryWrites";
import type { AppTokenStore } from "./meta/appTokens";
import type { OAuthStore } from "./meta/oauth";
import type { AuditLogStore } from "./meta/auditLog";
import type { OrgStore } from "./meta/orgs";
import type { TeamStore } from "./meta/teams";
import type { PermissionStore } from "./meta/permissions";
import type { RobotStore } from "./meta/robots";
import type { UserStore } from "./meta/users";
import type { NamespaceStore } from "./meta/namespaces";
import type { StarStore } from "./meta/stars";
import type { NotificationStore } from "./meta/notifications";
import type { LabelStore } from "./meta/labels";
import type { PrototypeStore } from "./meta/prototypes";
import type { GlobalMessageStore } from "./meta/globalMessages";
import type { AutoPrunePolicyStore } from "./meta/autoPrunePolicies";
import type { ImmutabilityPolicyStore } from "./meta/immutabilityPolicies";
import type { HealthProbeStore } from "./meta/healthProbe";
import type { QuotaStore } from "./meta/quotas";
import type { QuotaUsageStore } from "./meta/quotaUsage";
import type { MirrorStore } from "./meta/mirrors";
import type { MirrorProxyStore } from "./meta/mirrorProxies";
import type { ProxyCacheStore } from "./meta/proxyCaches";
import type { ProxyCacheTagStore } from "./meta/proxyCacheTags";
import type { CollectionReads } from "./meta/collection";
import type { IntegrityReads } from "./meta/integrity";

export interface Stores {
  /** Where the metadata lives: SQLite in the data directory, or PostgreSQL (`--database`). */
  dialect: "sqlite" | "pg";
  /** On PostgreSQL: the state every node shares (login counters, rate buckets, delivery claims, the lifecycle lease). */
  shared?: SharedNodeState;
  blobs: BlobStore;
  /** The registry's transactions (src/registry runs every change to registry state through them). */
  registryWrites: RegistryWrites;
  repositories: RepositoryStore;
  blobLinks: BlobLinkStore;
  manifests: ManifestStore;
  tags: TagStore;
  uploads: UploadSessions;
  users: UserStore;
  robots: RobotStore;
  orgs: OrgStore;
  teams: TeamStore;
  permissions: PermissionStore;
  appTokens: AppTokenStore;
  namespaces: NamespaceStore;
  stars: StarStore;
  notifications: NotificationStore;
  oauth: OAuthStore;
  labels: LabelStore;
  prototypes: PrototypeStore;
  messages: GlobalMessageStore;
  /** The audit log's reads. */
  auditLog: AuditLogStore;
  /** Where audit entries go (queued in memory, written in batches). */
  auditWriter: AuditWriter;
  autoPrunePolicies: AutoPrunePolicyStore;
  immutabilityPolicies: ImmutabilityPolicyStore;
  /** The database side of /health (a read; a write read back). */
  health: HealthProbeStore;
  /** Namespace quotas and their limits. */
  quotas: QuotaStore;
  /** Storage used by namespaces and repositories. */
  quotaUsage: QuotaUsageStore;
  mirrors: MirrorStore;
  mirrorProxies: MirrorProxyStore;
  proxyCaches: ProxyCacheStore;
  proxyCacheTags: ProxyCacheTagStore;
  /** What the collector reads to find garbage (its deletions go through the registry). */
  collection: CollectionReads;
  /** What `berth fsck` reads to check every reference both ways. */
  integrity: IntegrityReads;
  /** What opening found wrong but could live with (modes it could not tighten); the caller warns. */
  warnings: string[];
  /** Flushes queued audit entries, then closes the database. */
  close(): Promise<void>;
}

/** The stores over SQLite: the database handle too (its own chores and tests; PostgreSQL has none). */
export interface SqliteStores extends Stores {
  dialect: "sqlite";
  db: MetaDb;
}

export interface StoreOptions {
  dataDir: string;
  uploadTtlMs: number;
  /** Open upload sessions one owner may hold (the server passes its setting; unlimited otherwise). */
  maxOpenUploadsPerOwner?: number;
  /** The registry's clock (tests pass a fake one). */
  clock?: () => number;
  /** Where blob bytes live (openBlobStore.ts): a store, or one awaiting the database; default: the data directory. */
  blobs?: BlobStore | BlobStoreOpener;
  /** State only one process can hold (nodeState.ts): pieces not given are the single-node ones. */
  nodeState?: Partial<StoreNodeState>;
}

/** Opens the metadata database and blob store under the data directory, creating both. */
export function openStores(opts: StoreOptions): SqliteStores {
  const warnings = restrictDataDir(opts.dataDir);
  const db = openMetaDb(join(opts.dataDir, "berth.db"));
  const databaseSecret = loadDatabaseSecret(join(opts.dataDir, "keys"));
  // Robot tokens written in plaintext by a Berth before encryption: sealed once, and the file
  // rebuilt so their old bytes are gone from disk.
  if (sealPlaintextRobotTokens(db, new FieldCipher(databaseSecret, "robot token")) > 0) {
    const scrubbed = scrubFreedContent(db);
    if (scrubbed !== true) warnings.push(`robot tokens are encrypted now, but old plaintext copies may remain in berth.db until it is rebuilt (${scrubbed})`);
  }
  const state = singleNodeStoreState(db, opts.nodeState);
  const stores = assembleStores(sqliteRunner(db), {
    state,
    databaseSecret,
    blobs: opts.blobs ?? new FsBlobStore(opts.dataDir),
    databaseChecks: () => sqliteDatabaseProblems(db),
    warnings,
    opts,
    closeDatabase: async () => db.$client.close(),
  });
  return { ...stores, dialect: "sqlite", db };
}
