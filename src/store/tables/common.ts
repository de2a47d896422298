import { sql } from "drizzle-orm";

/** Milliseconds since the epoch, as SQLite computes it for column defaults. */
export const now = sql`(CAST(unixepoch('subsec') * 1000 AS INTEGER))`;
