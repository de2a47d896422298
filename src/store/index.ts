import { join } from "node:path";
import type { BlobStore } from "./blobs/blobStore";
import { FsBlobStore } from "./blobs/fsBlobStore";
import { openMetaDb, scrubFreedContent, type MetaDb } from "./db";
import { restrictDataDir } from "./dataDirModes";
import { FieldCipher, loadDatabaseSecret } from "./fieldEncryption";
import { BlobLinkStore } from "./meta/blobLinks";
import { ManifestStore } from "./meta/manifests";
import { RepositoryStore } from "./meta/repositories";
import { TagStore } from "./meta/tags";
import { UploadRowStore } from "./meta/uploads";
import { UploadSessions } from "./uploadSessions";
import { RegistryWrites } from "./registryWrites";
import { AppTokenStore } from "./meta/appTokens";
import { OAuthStore } from "./meta/oauth";
import { AuditLogStore } from "./meta/auditLog";
import type { AuditWriter } from "./auditWriter";
import { singleNodeStoreState, type StoreNodeState } from "./nodeState";
import { OrgStore } from "./meta/orgs";
import { TeamStore } from "./meta/teams";
import { PermissionStore } from "./meta/permissions";
import { RobotStore } from "./meta/robots";
import { UserStore } from "./meta/users";
import { NamespaceStore } from "./meta/namespaces";
import { StarStore } from "./meta/stars";
import { NotificationStore } from "./meta/notifications";
import { LabelStore } from "./meta/labels";
import { PrototypeStore } from "./meta/prototypes";
import { GlobalMessageStore } from "./meta/globalMessages";
import { AutoPrunePolicyStore } from "./meta/autoPrunePolicies";
import { ImmutabilityPolicyStore } from "./meta/immutabilityPolicies";
import { HealthProbeStore } from "./meta/healthProbe";
import { QuotaStore } from "./meta/quotas";
import { QuotaUsageStore } from "./meta/quotaUsage";
import { MirrorStore } from "./meta/mirrors";
import { MirrorProxyStore } from "./meta/mirrorProxies";
import { ProxyCacheStore } from "./meta/proxyCaches";
import { ProxyCacheTagStore } from "./meta/proxyCacheTags";
import { CollectionReads } from "./meta/collection";
import { IntegrityReads } from "./meta/integrity";
import { sqliteRunner } from "./dialect/sqliteRunner";
import { sealPlaintextRobotTokens } from "./robotTokenSealing";

export interface Stores {
  db: MetaDb;
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

export interface StoreOptions {
  dataDir: string;
  uploadTtlMs: number;
  /** Open upload sessions one owner may hold (the server passes its setting; unlimited otherwise). */
  maxOpenUploadsPerOwner?: number;
  /** The registry's clock (tests pass a fake one). */
  clock?: () => number;
  /** Where blob bytes live (openBlobStore.ts); default: the data directory. */
  blobs?: BlobStore;
  /** State only one process can hold (nodeState.ts): pieces not given are the single-node ones. */
  nodeState?: Partial<StoreNodeState>;
}

/** Opens the metadata database and blob store under the data directory, creating both. */
export function openStores(opts: StoreOptions): Stores {
  const warnings = restrictDataDir(opts.dataDir);
  const db = openMetaDb(join(opts.dataDir, "berth.db"));
  const databaseSecret = loadDatabaseSecret(join(opts.dataDir, "keys"));
  const robotCipher = new FieldCipher(databaseSecret, "robot token");
  // Robot tokens written in plaintext by a Berth before encryption: sealed once, and the file
  // rebuilt so their old bytes are gone from disk.
  if (sealPlaintextRobotTokens(db, robotCipher) > 0) {
    const scrubbed = scrubFreedContent(db);
    if (scrubbed !== true) warnings.push(`robot tokens are encrypted now, but old plaintext copies may remain in berth.db until it is rebuilt (${scrubbed})`);
  }
  const blobs = opts.blobs ?? new FsBlobStore(opts.dataDir);
  // The stores converted to dialect-neutral bodies run through it (docs/POSTGRES.md).
  const runner = sqliteRunner(db);
  const blobLinks = new BlobLinkStore(runner);
  const state = singleNodeStoreState(db, opts.nodeState);
  const cache = state.readCache;
  // Reads write what the writer holds first, so a caller sees its own entries.
  const auditLog = new AuditLogStore(runner, () => auditWriter.flush());
  const auditWriter = state.auditWriter(auditLog);
  const orgs = new OrgStore(runner);
  const quotas = new QuotaStore(runner);
  const quotaUsage = new QuotaUsageStore(runner);
  return {
    db,
    blobs,
    registryWrites: new RegistryWrites(runner, cache, { quotas, quotaUsage }, opts.clock),
    repositories: new RepositoryStore(runner, cache),
    blobLinks,
    manifests: new ManifestStore(runner, cache, opts.clock),
    tags: new TagStore(runner, opts.clock),
    uploads: new UploadSessions(
      new UploadRowStore(runner),
      blobs,
      { locks: state.uploadLocks, hashes: state.uploadHashes },
      opts.uploadTtlMs,
      opts.maxOpenUploadsPerOwner,
    ),
    users: new UserStore(runner),
    robots: new RobotStore(runner, robotCipher),
    orgs,
    teams: new TeamStore(runner),
    permissions: new PermissionStore(runner),
    appTokens: new AppTokenStore(runner),
    namespaces: new NamespaceStore(runner),
    stars: new StarStore(runner),
    notifications: new NotificationStore(runner),
    oauth: new OAuthStore(runner),
    labels: new LabelStore(runner),
    prototypes: new PrototypeStore(runner),
    messages: new GlobalMessageStore(runner),
    auditLog,
    auditWriter,
    autoPrunePolicies: new AutoPrunePolicyStore(runner),
    immutabilityPolicies: new ImmutabilityPolicyStore(runner),
    health: new HealthProbeStore(runner),
    quotas,
    quotaUsage,
    mirrors: new MirrorStore(runner, new FieldCipher(databaseSecret, "mirror credential"), opts.clock),
    mirrorProxies: new MirrorProxyStore(runner, new FieldCipher(databaseSecret, "mirror credential")),
    proxyCaches: new ProxyCacheStore(runner, new FieldCipher(databaseSecret, "proxy cache credential"), cache),
    proxyCacheTags: new ProxyCacheTagStore(runner),
    collection: new CollectionReads(runner),
    integrity: new IntegrityReads(db),
    warnings,
    close: async () => {
      try {
        await auditWriter.close();
      } finally {
        db.$client.close();
      }
    },
  };
}
