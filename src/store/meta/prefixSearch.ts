import { sql, type SQL } from "drizzle-orm";
import type { SQLiteColumn } from "drizzle-orm/sqlite-core";

/**
 * `column LIKE 'prefix%'` with the prefix taken literally: `_` is a legal name character and
 * `%` could come from a caller, and both are LIKE wildcards, so they (and the escape) are escaped.
 */
export function startsWith(column: SQLiteColumn, prefix: string): SQL {
  const literal = prefix.replace(/[\\%_]/g, (c) => `\\${c}`);
  return sql`${column} LIKE ${`${literal}%`} ESCAPE '\\'`;
}
