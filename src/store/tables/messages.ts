// Drizzle table: global messages (Quay's Messages), the banners superusers show every user.
// Migrations are generated from src/store/tables with `bun run db:generate`.
import { integer, sqliteTable, text } from "drizzle-orm/sqlite-core";
import { now } from "./common";

export const globalMessages = sqliteTable("global_messages", {
  id: integer("id").primaryKey({ autoIncrement: true }),
  uuid: text("uuid").notNull().unique(),
  content: text("content").notNull(),
  mediaType: text("media_type", { enum: ["text/plain", "text/markdown"] }).notNull(),
  severity: text("severity", { enum: ["info", "warning", "error"] }).notNull(),
  createdMs: integer("created_ms").notNull().default(now),
});
