// Drizzle tables: users, robots, teams, grants, app tokens. Migrations are generated from src/store/tables with `bun run db:generate`
// and embedded into the binary (see ../migrationFiles.ts).
import {
  index,
  integer,
  primaryKey,
  sqliteTable,
  text,
  uniqueIndex,
} from "drizzle-orm/sqlite-core";

import { now } from "./common";
import { namespaces, repositories } from "./registry";

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
  // Quay's free-form profile fields (given_name, family_name, company, location, …) as JSON.
  profile: text("profile"),
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
    // Encrypted (AES-256-GCM, "v1$$…", key in keys/database-secret.key) so owners can read it
    // again, as in Quay; logins compare tokenDigest instead and never decrypt.
    token: text("token").notNull(),
    // HMAC-SHA256 of the token under a key derived from the same secret; null only for a
    // plaintext row from before encryption, which the next start seals.
    tokenDigest: text("token_digest"),
    description: text("description"),
    // Quay's unstructured_metadata, a JSON object chosen by the owner.
    metadata: text("metadata"),
    lastAccessedMs: integer("last_accessed_ms"),
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
