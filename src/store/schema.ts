// Drizzle tables for Berth's metadata. Migrations in ./migrations are generated from this file
// with `bun run db:generate` and embedded into the binary (see migrations.ts).
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

const now = sql`(CAST(unixepoch('subsec') * 1000 AS INTEGER))`;

export const namespaces = sqliteTable("namespaces", {
  id: integer("id").primaryKey({ autoIncrement: true }),
  name: text("name").notNull().unique(),
  // "user" or "org"; namespaces auto-created by an open-mode push are "user" without an owner row.
  kind: text("kind", { enum: ["user", "org"] }).notNull().default("user"),
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
  },
  (t) => [index("uploads_expires").on(t.expiresMs)],
);

// ---- Accounts and permissions (the model behind /v2/auth and API v1) ----

export const users = sqliteTable("users", {
  id: integer("id").primaryKey({ autoIncrement: true }),
  // The user's own namespace has the same name (namespaces.kind = "user").
  username: text("username").notNull().unique(),
  email: text("email").unique(),
  passwordHash: text("password_hash"),
  enabled: integer("enabled", { mode: "boolean" }).notNull().default(true),
  // Superuser by the CLI (`berth user add --superuser`); config lists add more.
  superuser: integer("superuser", { mode: "boolean" }).notNull().default(false),
  // Rotated on sign-out so every session of the user ends (Quay does the same).
  uuid: text("uuid").notNull().unique(),
  createdMs: integer("created_ms").notNull().default(now),
});

export const robots = sqliteTable(
  "robots",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    namespaceId: integer("namespace_id")
      .notNull()
      .references(() => namespaces.id, { onDelete: "cascade" }),
    shortName: text("short_name").notNull(),
    // owner+short, the login name.
    fullName: text("full_name").notNull().unique(),
    // Kept so owners can read it again, as in Quay; compared in constant time.
    token: text("token").notNull(),
    description: text("description"),
    createdMs: integer("created_ms").notNull().default(now),
  },
  (t) => [uniqueIndex("robots_ns_short").on(t.namespaceId, t.shortName)],
);

export const teams = sqliteTable(
  "teams",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    namespaceId: integer("namespace_id")
      .notNull()
      .references(() => namespaces.id, { onDelete: "cascade" }),
    name: text("name").notNull(),
    role: text("role", { enum: ["member", "creator", "admin"] }).notNull().default("member"),
    description: text("description"),
    createdMs: integer("created_ms").notNull().default(now),
  },
  (t) => [uniqueIndex("teams_ns_name").on(t.namespaceId, t.name)],
);

export const teamMembers = sqliteTable(
  "team_members",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    teamId: integer("team_id")
      .notNull()
      .references(() => teams.id, { onDelete: "cascade" }),
    userId: integer("user_id").references(() => users.id, { onDelete: "cascade" }),
    robotId: integer("robot_id").references(() => robots.id, { onDelete: "cascade" }),
  },
  (t) => [
    uniqueIndex("team_members_user").on(t.teamId, t.userId),
    uniqueIndex("team_members_robot").on(t.teamId, t.robotId),
  ],
);

// A grant of read/write/admin on one repository to exactly one of a user, robot or team.
export const repositoryPermissions = sqliteTable(
  "repository_permissions",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    repositoryId: integer("repository_id")
      .notNull()
      .references(() => repositories.id, { onDelete: "cascade" }),
    userId: integer("user_id").references(() => users.id, { onDelete: "cascade" }),
    robotId: integer("robot_id").references(() => robots.id, { onDelete: "cascade" }),
    teamId: integer("team_id").references(() => teams.id, { onDelete: "cascade" }),
    role: text("role", { enum: ["read", "write", "admin"] }).notNull(),
  },
  (t) => [
    uniqueIndex("repo_perm_user").on(t.repositoryId, t.userId),
    uniqueIndex("repo_perm_robot").on(t.repositoryId, t.robotId),
    uniqueIndex("repo_perm_team").on(t.repositoryId, t.teamId),
  ],
);

// App-specific tokens: `$app` + code at /v2/auth. Only a hash of the code is kept.
export const appTokens = sqliteTable(
  "app_tokens",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    uuid: text("uuid").notNull().unique(),
    userId: integer("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    title: text("title").notNull(),
    // First characters of the code, to find the row without scanning every hash.
    lookup: text("lookup").notNull(),
    secretHash: text("secret_hash").notNull(),
    createdMs: integer("created_ms").notNull().default(now),
    expiresMs: integer("expires_ms"),
    lastAccessedMs: integer("last_accessed_ms"),
  },
  (t) => [index("app_tokens_lookup").on(t.lookup)],
);
