// Every store over one runner, whichever dialect's (docs/POSTGRES.md, "One store, two dialects"):
// openStores (SQLite) and openPgStores (PostgreSQL) differ only in what they pass here.
import type { Stores, StoreOptions } from ".";
import type { BlobStore } from "./blobs/blobStore";
import type { BlobStoreOpener } from "./blobs/openBlobStore";
import { S3UploadRecordStore } from "./meta/s3Uploads";
import type { Runner } from "./dialect/program";
import type { StoreNodeState } from "./nodeState";
import { FieldCipher } from "./fieldEncryption";
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

/** What a dialect brings to the stores: its runner's state, its checks, how it closes. */
export interface StoreParts {
  state: StoreNodeState;
  databaseSecret: Uint8Array;
  blobs: BlobStore | BlobStoreOpener;
  databaseChecks: () => Promise<string[]>;
  warnings: string[];
  opts: StoreOptions;
  /** After the audit entries are written: the node state's connections, then the database. */
  closeDatabase: () => Promise<void>;
}

/** Every store over one runner (either dialect's: docs/POSTGRES.md, "One store, two dialects"). */
export function assembleStores(runner: Runner, parts: StoreParts): Omit<Stores, "dialect" | "shared"> {
  const { state, databaseSecret, opts } = parts;
  // An S3 bucket records its uploads' state in this database (blobs/s3/uploadRecords.ts).
  const blobs = typeof parts.blobs === "function" ? parts.blobs(new S3UploadRecordStore(runner)) : parts.blobs;
  const blobLinks = new BlobLinkStore(runner);
  const cache = state.readCache;
  // Reads write what the writer holds first, so a caller sees its own entries.
  const auditLog = new AuditLogStore(runner, () => auditWriter.flush());
  const auditWriter = state.auditWriter(auditLog);
  const orgs = new OrgStore(runner);
  const quotas = new QuotaStore(runner);
  const quotaUsage = new QuotaUsageStore(runner);
  return {
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
    robots: new RobotStore(runner, new FieldCipher(databaseSecret, "robot token")),
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
    integrity: new IntegrityReads(runner, parts.databaseChecks),
    warnings: parts.warnings,
    close: async () => {
      try {
        await auditWriter.close();
      } finally {
        await parts.closeDatabase();
      }
    },
  };
}
