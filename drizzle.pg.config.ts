// The PostgreSQL migrations (`bun run db:generate:pg`), from the tables generated out of the
// SQLite ones; embedded into the binary like the SQLite migrations (src/store/pg/migrationFiles.ts).
import { defineConfig } from "drizzle-kit";

export default defineConfig({
  dialect: "postgresql",
  schema: "./src/store/pg/schema.ts",
  out: "./src/store/pg/migrations",
});
