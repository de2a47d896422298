// Drizzle table: proxy-cache organizations (Quay's ProxyCacheConfig): an organization that is a
// pull-through cache of one upstream registry.
import { integer, sqliteTable, text } from "drizzle-orm/sqlite-core";
import { now } from "./common";
import { namespaces } from "./registry";

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
