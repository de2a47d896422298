// Drizzle table: the row /health/endtoend writes and reads back to prove the database takes
// writes (one row, overwritten each time).
import { integer, sqliteTable, text } from "drizzle-orm/sqlite-core";

export const healthProbes = sqliteTable("health_probes", {
  id: integer("id").primaryKey(),
  token: text("token").notNull(),
  writtenMs: integer("written_ms").notNull(),
});
