// Drizzle tables: namespaces, repositories, blobs, manifests, tags, uploads. Migrations are generated from src/store/tables with `bun run db:generate`
// and embedded into the binary (see ../migrationFiles.ts).
import { sql } from "drizzle-orm";
import {
  blob,
  index,
  integer,
  primaryKey,
  sqliteTable,
  text,
  uniqueIndex,
} from "drizzle-orm/sqlite-core";

import { now } from "./common";

export const namespaces = sqliteTable("namespaces", {
  id: integer("id").primaryKey({ autoIncrement: true }),
  name: text("name").notNull().unique(),
  // "user" or "org"; namespaces auto-created by an open-mode push are "user" without an owner row.
  kind: text("kind", { enum: ["user", "org"] }).notNull().default("user"),
  // An organization's contact address (a user's lives on its users row).
  email: text("email"),
  // How long ended tags stay restorable (Quay's removed_tag_expiration_s, two weeks by default).
  tagExpirationS: integer("tag_expiration_s").notNull().default(1209600),
  createdMs: integer("created_ms").notNull().default(now),
});

export const repositories = sqliteTable(
  "repositories",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    namespaceId: integer("namespace_id")
      .notNull()
      .references(() => namespaces.id, { onDelete: "cascade" }),
    // The part after the namespace; may contain slashes.
    name: text("name").notNull(),
    // namespace/name, what /v2 and _catalog speak.
    fullName: text("full_name").notNull().unique(),
    visibility: text("visibility", { enum: ["private", "public"] }).notNull().default("private"),
    // Quay's repository state: READ_ONLY refuses every write to the repository's content, MIRROR
    // every write but its mirror's (repo_mirrors.robot_id).
    state: text("state", { enum: ["NORMAL", "READ_ONLY", "MIRROR"] }).notNull().default("NORMAL"),
    description: text("description"),
    createdMs: integer("created_ms").notNull().default(now),
    updatedMs: integer("updated_ms").notNull().default(now),
  },
  (t) => [uniqueIndex("repositories_ns_name").on(t.namespaceId, t.name)],
);

export const blobs = sqliteTable("blobs", {
  digest: text("digest").primaryKey(),
  size: integer("size").notNull(),
  createdMs: integer("created_ms").notNull().default(now),
});

// A blob's bytes being deleted by a collector (src/registry/lifecycle/collector.ts, PROTOCOL 6):
// written before the object is touched, in a transaction that finds no blob row; removed once
// the object is gone. While it stands no blob row for the digest is written (a push waits), so
// a row never names bytes a deletion is taking. One older than the bound, or whose collector
// (`owner`: host/pid) is gone, was left by a crash.
export const blobDeletions = sqliteTable("blob_deletions", {
  digest: text("digest").primaryKey(),
  startedMs: integer("started_ms").notNull(),
  owner: text("owner").notNull(),
});

// A blob is readable only through a repository linked to it (uploaded, mounted, or referenced).
export const repositoryBlobs = sqliteTable(
  "repository_blobs",
  {
    repositoryId: integer("repository_id")
      .notNull()
      .references(() => repositories.id, { onDelete: "cascade" }),
    digest: text("digest")
      .notNull()
      .references(() => blobs.digest, { onDelete: "cascade" }),
    createdMs: integer("created_ms").notNull().default(now),
  },
  (t) => [primaryKey({ columns: [t.repositoryId, t.digest] }), index("repository_blobs_digest").on(t.digest)],
);

export const manifests = sqliteTable(
  "manifests",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    repositoryId: integer("repository_id")
      .notNull()
      .references(() => repositories.id, { onDelete: "cascade" }),
    digest: text("digest").notNull(),
    mediaType: text("media_type").notNull(),
    artifactType: text("artifact_type"),
    subjectDigest: text("subject_digest"),
    size: integer("size").notNull(),
    // The exact bytes pushed: the digest covers them, so they are never re-serialised.
    content: blob("content", { mode: "buffer" }).notNull(),
    annotations: text("annotations"),
    createdMs: integer("created_ms").notNull().default(now),
  },
  (t) => [
    uniqueIndex("manifests_repo_digest").on(t.repositoryId, t.digest),
    index("manifests_repo_subject").on(t.repositoryId, t.subjectDigest),
  ],
);

// Blobs (config and layers) an image manifest references.
export const manifestBlobs = sqliteTable(
  "manifest_blobs",
  {
    manifestId: integer("manifest_id")
      .notNull()
      .references(() => manifests.id, { onDelete: "cascade" }),
    digest: text("digest").notNull(),
  },
  (t) => [primaryKey({ columns: [t.manifestId, t.digest] }), index("manifest_blobs_digest").on(t.digest)],
);

// Child manifests an index references (same repository).
export const manifestChildren = sqliteTable(
  "manifest_children",
  {
    manifestId: integer("manifest_id")
      .notNull()
      .references(() => manifests.id, { onDelete: "cascade" }),
    childDigest: text("child_digest").notNull(),
  },
  (t) => [primaryKey({ columns: [t.manifestId, t.childDigest] }), index("manifest_children_child").on(t.childDigest)],
);

// A tag row is one period during which a tag pointed at a manifest. The live tag has endMs NULL;
// ended rows are the tag's history (listed and restored by API v1). A live tag with expiresMs in
// the past counts as ended at expiresMs (read paths filter it; write paths close it first).
export const tags = sqliteTable(
  "tags",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    repositoryId: integer("repository_id")
      .notNull()
      .references(() => repositories.id, { onDelete: "cascade" }),
    name: text("name").notNull(),
    manifestId: integer("manifest_id")
      .notNull()
      .references(() => manifests.id, { onDelete: "cascade" }),
    startMs: integer("start_ms").notNull(),
    endMs: integer("end_ms"),
    expiresMs: integer("expires_ms"),
    // An immutable tag cannot be moved, deleted or given an expiry until the flag is cleared.
    immutable: integer("immutable", { mode: "boolean" }).notNull().default(false),
  },
  (t) => [
    uniqueIndex("tags_live").on(t.repositoryId, t.name).where(sql`end_ms IS NULL`),
    index("tags_repo_name").on(t.repositoryId, t.name, t.startMs),
    index("tags_manifest").on(t.manifestId),
  ],
);

export const uploads = sqliteTable(
  "uploads",
  {
    id: text("id").primaryKey(),
    repositoryId: integer("repository_id")
      .notNull()
      .references(() => repositories.id, { onDelete: "cascade" }),
    // Bytes durably accepted so far; the upload file is truncated back to this on resume.
    offset: integer("offset").notNull().default(0),
    createdMs: integer("created_ms").notNull().default(now),
    updatedMs: integer("updated_ms").notNull().default(now),
    expiresMs: integer("expires_ms").notNull(),
    // Who opened the session ("user:alice", "robot:org+ci", "address:10.0.0.7"): open sessions
    // are capped per owner. Null for sessions from before the cap.
    owner: text("owner"),
  },
  (t) => [index("uploads_expires").on(t.expiresMs), index("uploads_owner").on(t.owner, t.expiresMs)],
);

// An upload's state in an S3 bucket (src/store/blobs/s3/uploadState.ts): the multipart upload's
// key and id, its parts with their ETags and sizes, and the small objects not yet a part, as
// JSON. Keyed by the upload session's id but not tied to its row: the blob store writes it
// (before any object of the upload) and removes it last, and the sweep finds one without a row.
export const s3Uploads = sqliteTable("s3_uploads", {
  id: text("id").primaryKey(),
  state: text("state").notNull(),
  // When the upload was last written (the sweep leaves one written within the last minute).
  modifiedMs: integer("modified_ms").notNull(),
});

