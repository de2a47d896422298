// Drizzle tables: auto-prune and immutability policies (Quay's NamespaceAutoPrunePolicy,
// RepositoryAutoPrunePolicy, NamespaceImmutabilityPolicy, RepositoryImmutabilityPolicy). One table
// per kind: a row without a repository is the namespace's, one with a repository that
// repository's. Migrations are generated from src/store/tables with `bun run db:generate`.
import { index, integer, sqliteTable, text } from "drizzle-orm/sqlite-core";
import { now } from "./common";
import { namespaces, repositories } from "./registry";

/** Whose policy a row is: a namespace's, or (with repositoryId) one of its repositories'. */
const scopeColumns = () => ({
  id: integer("id").primaryKey({ autoIncrement: true }),
  uuid: text("uuid").notNull().unique(),
  namespaceId: integer("namespace_id")
    .notNull()
    .references(() => namespaces.id, { onDelete: "cascade" }),
  repositoryId: integer("repository_id").references(() => repositories.id, { onDelete: "cascade" }),
});

export const autoPrunePolicies = sqliteTable(
  "autoprune_policies",
  {
    ...scopeColumns(),
    method: text("method", { enum: ["number_of_tags", "creation_date"] }).notNull(),
    // A tag count ("10") or a duration ("7d"), read back by method.
    value: text("value").notNull(),
    tagPattern: text("tag_pattern"),
    tagPatternMatches: integer("tag_pattern_matches", { mode: "boolean" }).notNull().default(true),
    createdMs: integer("created_ms").notNull().default(now),
  },
  (t) => [index("autoprune_policies_ns").on(t.namespaceId, t.repositoryId), index("autoprune_policies_repo").on(t.repositoryId)],
);

export const immutabilityPolicies = sqliteTable(
  "immutability_policies",
  {
    ...scopeColumns(),
    tagPattern: text("tag_pattern").notNull(),
    tagPatternMatches: integer("tag_pattern_matches", { mode: "boolean" }).notNull().default(true),
    createdMs: integer("created_ms").notNull().default(now),
  },
  (t) => [index("immutability_policies_ns").on(t.namespaceId, t.repositoryId), index("immutability_policies_repo").on(t.repositoryId)],
);
