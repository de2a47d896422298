// Drizzle tables: audit log, OAuth applications and tokens, labels, default permissions,
// notifications, stars. Migrations are generated from src/store/tables with `bun run db:generate`.
import { index, integer, primaryKey, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";
import { users, robots, teams } from "./accounts";
import { now } from "./common";
import { manifests, namespaces, repositories } from "./registry";

// One row per audited action (Quay's LogEntry). No foreign keys: entries outlive the
// namespaces, repositories and accounts they mention, so names are copied in as well.
export const logEntries = sqliteTable(
  "log_entries",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    kind: text("kind").notNull(),
    namespaceId: integer("namespace_id"),
    namespaceName: text("namespace_name"),
    repositoryId: integer("repository_id"),
    // "user" or "robot"; null for anonymous callers and the system.
    performerKind: text("performer_kind"),
    performerId: integer("performer_id"),
    performerName: text("performer_name"),
    ip: text("ip"),
    // JSON object with the kind's details (repo, tag, manifest_digest, role, …).
    metadata: text("metadata").notNull().default("{}"),
    createdMs: integer("created_ms").notNull().default(now),
  },
  (t) => [
    index("log_entries_namespace").on(t.namespaceId, t.createdMs),
    index("log_entries_repository").on(t.repositoryId, t.createdMs),
    index("log_entries_performer").on(t.performerName, t.createdMs),
    index("log_entries_created").on(t.createdMs),
  ],
);

// OAuth applications belong to organizations; scripts obtain tokens through them.
export const oauthApplications = sqliteTable("oauth_applications", {
  id: integer("id").primaryKey({ autoIncrement: true }),
  namespaceId: integer("namespace_id")
    .notNull()
    .references(() => namespaces.id, { onDelete: "cascade" }),
  clientId: text("client_id").notNull().unique(),
  // Shown again to org admins (as Quay does), so kept, compared in constant time.
  clientSecret: text("client_secret").notNull(),
  name: text("name").notNull(),
  description: text("description").notNull().default(""),
  applicationUri: text("application_uri").notNull().default(""),
  redirectUri: text("redirect_uri").notNull().default(""),
  avatarEmail: text("avatar_email"),
  createdMs: integer("created_ms").notNull().default(now),
});

// Bearer tokens for API v1, capped by `scope`. Only a hash of the secret part is kept.
export const oauthAccessTokens = sqliteTable(
  "oauth_access_tokens",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    uuid: text("uuid").notNull().unique(),
    // Null for tokens minted outside an application (`berth token create`, user/initialize).
    applicationId: integer("application_id").references(() => oauthApplications.id, { onDelete: "cascade" }),
    userId: integer("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    // Space-separated scope names.
    scope: text("scope").notNull(),
    lookup: text("lookup").notNull().unique(),
    secretHash: text("secret_hash").notNull(),
    createdMs: integer("created_ms").notNull().default(now),
    expiresMs: integer("expires_ms"),
  },
  (t) => [index("oauth_access_tokens_user").on(t.userId)],
);

// Labels on a manifest: from the image config at push time, or added over API v1.
export const manifestLabels = sqliteTable(
  "manifest_labels",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    uuid: text("uuid").notNull().unique(),
    manifestId: integer("manifest_id")
      .notNull()
      .references(() => manifests.id, { onDelete: "cascade" }),
    key: text("key").notNull(),
    value: text("value").notNull(),
    mediaType: text("media_type").notNull().default("text/plain"),
    // "manifest", "api" or "internal".
    sourceType: text("source_type").notNull(),
    createdMs: integer("created_ms").notNull().default(now),
  },
  (t) => [index("manifest_labels_manifest").on(t.manifestId)],
);

// Default permissions of an organization (Quay's prototypes): when `activating` (or anyone, when
// null) creates a repository in the org, the delegate gets `role` on it.
export const permissionPrototypes = sqliteTable(
  "permission_prototypes",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    uuid: text("uuid").notNull().unique(),
    namespaceId: integer("namespace_id")
      .notNull()
      .references(() => namespaces.id, { onDelete: "cascade" }),
    activatingUserId: integer("activating_user_id").references(() => users.id, { onDelete: "cascade" }),
    activatingRobotId: integer("activating_robot_id").references(() => robots.id, { onDelete: "cascade" }),
    delegateUserId: integer("delegate_user_id").references(() => users.id, { onDelete: "cascade" }),
    delegateRobotId: integer("delegate_robot_id").references(() => robots.id, { onDelete: "cascade" }),
    delegateTeamId: integer("delegate_team_id").references(() => teams.id, { onDelete: "cascade" }),
    role: text("role", { enum: ["read", "write", "admin"] }).notNull(),
  },
  (t) => [index("permission_prototypes_namespace").on(t.namespaceId)],
);

// Repository notifications (event + method + config), e.g. a webhook on repo_push.
export const repositoryNotifications = sqliteTable(
  "repository_notifications",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    uuid: text("uuid").notNull().unique(),
    repositoryId: integer("repository_id")
      .notNull()
      .references(() => repositories.id, { onDelete: "cascade" }),
    event: text("event").notNull(),
    method: text("method").notNull(),
    config: text("config").notNull().default("{}"),
    eventConfig: text("event_config").notNull().default("{}"),
    title: text("title"),
    numberOfFailures: integer("number_of_failures").notNull().default(0),
    createdMs: integer("created_ms").notNull().default(now),
  },
  (t) => [index("repository_notifications_repo").on(t.repositoryId, t.event)],
);

// The delivery outbox: a row per event to send, retried with backoff until it succeeds or gives up.
export const notificationDeliveries = sqliteTable(
  "notification_deliveries",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    notificationId: integer("notification_id")
      .notNull()
      .references(() => repositoryNotifications.id, { onDelete: "cascade" }),
    payload: text("payload").notNull(),
    attempts: integer("attempts").notNull().default(0),
    nextAttemptMs: integer("next_attempt_ms").notNull(),
    lastError: text("last_error"),
    createdMs: integer("created_ms").notNull().default(now),
  },
  (t) => [index("notification_deliveries_due").on(t.nextAttemptMs)],
);

export const stars = sqliteTable(
  "stars",
  {
    userId: integer("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    repositoryId: integer("repository_id")
      .notNull()
      .references(() => repositories.id, { onDelete: "cascade" }),
    createdMs: integer("created_ms").notNull().default(now),
  },
  (t) => [primaryKey({ columns: [t.userId, t.repositoryId] }), index("stars_repository").on(t.repositoryId)],
);

// An org admin's request that a user authorize an application (Quay's oauthtokenassignment):
// the assigned user sees it and completes the OAuth flow, or dismisses it.
export const oauthTokenAssignments = sqliteTable(
  "oauth_token_assignments",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    uuid: text("uuid").notNull().unique(),
    applicationId: integer("application_id")
      .notNull()
      .references(() => oauthApplications.id, { onDelete: "cascade" }),
    assignedUserId: integer("assigned_user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    assignerUserId: integer("assigner_user_id").references(() => users.id, { onDelete: "set null" }),
    redirectUri: text("redirect_uri").notNull(),
    scope: text("scope").notNull(),
    responseType: text("response_type").notNull().default("token"),
    createdMs: integer("created_ms").notNull().default(now),
  },
  (t) => [index("oauth_token_assignments_user").on(t.assignedUserId)],
);
