// Drizzle table: repository mirrors (Quay's RepoMirrorConfig with its root RepoMirrorRule folded
// in: Berth has only the one tag_glob_csv rule per mirror).
import { integer, sqliteTable, text } from "drizzle-orm/sqlite-core";
import { now } from "./common";
import { robots } from "./accounts";
import { repositories } from "./registry";

export const MIRROR_STATUSES = ["CANCEL", "FAIL", "NEVER_RUN", "SUCCESS", "SYNCING", "SYNC_NOW"] as const;
export type MirrorStatus = (typeof MIRROR_STATUSES)[number];

export const repoMirrors = sqliteTable("repo_mirrors", {
  id: integer("id").primaryKey({ autoIncrement: true }),
  repositoryId: integer("repository_id")
    .notNull()
    .unique()
    .references(() => repositories.id, { onDelete: "cascade" }),
  isEnabled: integer("is_enabled", { mode: "boolean" }).notNull().default(true),
  // The robot that performs the pushes; a deleted robot leaves the mirror without one (its syncs fail).
  robotId: integer("robot_id").references(() => robots.id, { onDelete: "set null" }),
  externalReference: text("external_reference").notNull(),
  // Both encrypted (FieldCipher "mirror credential"), as Quay's EncryptedCharField.
  username: text("username"),
  password: text("password"),
  verifyTls: integer("verify_tls", { mode: "boolean" }).notNull().default(true),
  // Quay's external_registry_config.proxy ({http_proxy, https_proxy, no_proxy}) as JSON, encrypted
  // (FieldCipher "mirror credential": a proxy URL may carry a login); null: none.
  proxy: text("proxy"),
  unsignedImages: integer("unsigned_images", { mode: "boolean" }).notNull().default(false),
  // JSON array of glob patterns (tag_glob_csv's rule_value).
  tagGlobs: text("tag_globs").notNull(),
  // JSON array of architectures (Quay's architecture_filter: only these platforms of an index are copied).
  architectureFilter: text("architecture_filter").notNull().default("[]"),
  syncIntervalS: integer("sync_interval_s").notNull(),
  syncStartMs: integer("sync_start_ms"),
  syncExpirationMs: integer("sync_expiration_ms"),
  syncRetriesRemaining: integer("sync_retries_remaining").notNull().default(3),
  syncStatus: text("sync_status", { enum: MIRROR_STATUSES }).notNull().default("NEVER_RUN"),
  // Changes whenever a worker claims or releases the mirror (Quay's sync_transaction_id).
  syncTransactionId: text("sync_transaction_id").notNull(),
  timeoutS: integer("timeout_s").notNull(),
  // Berth's addition: why the last sync failed (Quay keeps it only in its logs).
  lastError: text("last_error"),
  lastSyncMs: integer("last_sync_ms"),
  createdMs: integer("created_ms").notNull().default(now),
});
