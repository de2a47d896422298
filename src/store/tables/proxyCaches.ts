// Drizzle table: proxy-cache organizations (Quay's ProxyCacheConfig): an organization that is a
// pull-through cache of one upstream registry.
import { index, integer, primaryKey, sqliteTable, text } from "drizzle-orm/sqlite-core";
import { now } from "./common";
import { namespaces, repositories } from "./registry";

/** Quay's DEFAULT_PROXY_CACHE_EXPIRATION (24 hours). */
export const DEFAULT_PROXY_CACHE_EXPIRATION_S = 86400;

export const proxyCacheConfigs = sqliteTable("proxy_cache_configs", {
  id: integer("id").primaryKey({ autoIncrement: true }),
  namespaceId: integer("namespace_id")
    .notNull()
    .unique()
    .references(() => namespaces.id, { onDelete: "cascade" }),
  // The images prefix of the cached registry: "quay.io/myorg", "docker.io".
  upstreamRegistry: text("upstream_registry").notNull(),
  // Both encrypted (FieldCipher "proxy cache credential"), as Quay's EncryptedCharField.
  username: text("username"),
  password: text("password"),
  expirationS: integer("expiration_s").notNull().default(DEFAULT_PROXY_CACHE_EXPIRATION_S),
  insecure: integer("insecure", { mode: "boolean" }).notNull().default(false),
  createdMs: integer("created_ms").notNull().default(now),
});

/**
 * The cached tags of proxy-cache organizations: when each was last checked upstream (a restart
 * does not check them all again) and last pulled (written in batches; quota eviction takes the
 * least recently pulled first). Keyed by name: a tag's rows change when it moves.
 */
export const proxyCacheTags = sqliteTable(
  "proxy_cache_tags",
  {
    repositoryId: integer("repository_id")
      .notNull()
      .references(() => repositories.id, { onDelete: "cascade" }),
    name: text("name").notNull(),
    checkedMs: integer("checked_ms").notNull(),
    pulledMs: integer("pulled_ms").notNull(),
  },
  (t) => [primaryKey({ columns: [t.repositoryId, t.name] }), index("proxy_cache_tags_pulled").on(t.pulledMs)],
);
