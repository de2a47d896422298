// Namespace quotas (Quay's UserOrganizationQuota and QuotaLimits) and the storage namespaces and
// repositories use. Usage is what the database references: every blob named by a manifest of
// the repository (or of the namespace's repositories), each counted once. The *_blob_refs and
// *_usage tables are those figures kept up to date by triggers (migration
// 0012_quota_usage_triggers.sql), so every path that adds or removes a manifest (a push, a
// deletion, the collector, a repository or namespace removed by cascade) keeps them exact;
// QuotaUsageStore.recompute derives them from the base tables, and reconcile compares.
import { sql } from "drizzle-orm";
import { integer, primaryKey, sqliteTable, text, uniqueIndex, index } from "drizzle-orm/sqlite-core";
import { now } from "./common";
import { namespaces, repositories } from "./registry";

/** One quota per namespace (Quay supports only one too). */
export const namespaceQuotas = sqliteTable("namespace_quotas", {
  id: integer("id").primaryKey({ autoIncrement: true }),
  namespaceId: integer("namespace_id")
    .notNull()
    .unique()
    .references(() => namespaces.id, { onDelete: "cascade" }),
  limitBytes: integer("limit_bytes").notNull(),
  createdMs: integer("created_ms").notNull().default(now),
});

/** A threshold of a quota: at `percent` of its bytes, warn or refuse pushes. */
export const quotaLimits = sqliteTable(
  "quota_limits",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    quotaId: integer("quota_id")
      .notNull()
      .references(() => namespaceQuotas.id, { onDelete: "cascade" }),
    type: text("type", { enum: ["Warning", "Reject"] }).notNull(),
    percent: integer("percent").notNull(),
  },
  (t) => [uniqueIndex("quota_limits_quota_type_percent").on(t.quotaId, t.type, t.percent)],
);

/** How many manifests of the repository name each blob (maintained by triggers). */
export const repositoryBlobRefs = sqliteTable(
  "repository_blob_refs",
  {
    repositoryId: integer("repository_id")
      .notNull()
      .references(() => repositories.id, { onDelete: "cascade" }),
    // The repository's namespace (a repository never moves): its rows can be uncounted from the
    // namespace even when they go with their repository, by cascade.
    namespaceId: integer("namespace_id").notNull(),
    digest: text("digest").notNull(),
    refs: integer("refs").notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.repositoryId, t.digest] }),
    index("repository_blob_refs_digest").on(t.digest),
    // Rows a deletion brought to zero, found at once and removed.
    index("repository_blob_refs_unreferenced").on(t.repositoryId).where(sql`refs <= 0`),
  ],
);

/** The bytes of the blobs in repository_blob_refs (maintained by triggers). */
export const repositoryUsage = sqliteTable("repository_usage", {
  repositoryId: integer("repository_id")
    .primaryKey()
    .references(() => repositories.id, { onDelete: "cascade" }),
  sizeBytes: integer("size_bytes").notNull().default(0),
});

/** How many repositories of the namespace name each blob (maintained by triggers). */
export const namespaceBlobRefs = sqliteTable(
  "namespace_blob_refs",
  {
    namespaceId: integer("namespace_id")
      .notNull()
      .references(() => namespaces.id, { onDelete: "cascade" }),
    digest: text("digest").notNull(),
    refs: integer("refs").notNull(),
  },
  (t) => [primaryKey({ columns: [t.namespaceId, t.digest] }), index("namespace_blob_refs_digest").on(t.digest)],
);

/** The bytes of the blobs in namespace_blob_refs (maintained by triggers). */
export const namespaceUsage = sqliteTable("namespace_usage", {
  namespaceId: integer("namespace_id")
    .primaryKey()
    .references(() => namespaces.id, { onDelete: "cascade" }),
  sizeBytes: integer("size_bytes").notNull().default(0),
});

/**
 * Which quota thresholds were notified, so a threshold fires once until usage drops below it or
 * the cooldown passes (Quay's QuotaNotificationState). `reached`: usage itself reached the
 * threshold; a notice raised by a refused push or an upload's projection is cleared only by the
 * cooldown (usage falling below it says nothing), so retried pushes do not flood anyone.
 */
export const quotaNotices = sqliteTable(
  "quota_notices",
  {
    namespaceId: integer("namespace_id")
      .notNull()
      .references(() => namespaces.id, { onDelete: "cascade" }),
    thresholdPercent: integer("threshold_percent").notNull(),
    notifiedMs: integer("notified_ms").notNull(),
    cleared: integer("cleared", { mode: "boolean" }).notNull().default(false),
    reached: integer("reached", { mode: "boolean" }).notNull().default(false),
  },
  (t) => [primaryKey({ columns: [t.namespaceId, t.thresholdPercent] })],
);
