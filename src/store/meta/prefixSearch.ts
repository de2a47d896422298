import { sql, type SQL } from "drizzle-orm";
import type { SQLiteColumn } from "drizzle-orm/sqlite-core";

/**
 * `column LIKE 'prefix%'` with the prefix taken literally: `_` is a legal name character and
 * `%` could come from a caller, and both are LIKE wildcards, so they (and the escape) are escaped.
 */
export function startsWith(column: SQLiteColumn, prefix: string): SQL {
  return sql`${column} LIKE ${`${likeLiteral(prefix)}%`} ESCAPE '\\'`;
}

/** `column LIKE '%part%'` (ASCII case-insensitive in SQLite) with `part` taken literally. */
export function contains(column: SQLiteColumn, part: string): SQL {
  return sql`${column} LIKE ${`%${likeLiteral(part)}%`} ESCAPE '\\'`;
}

/** `text` for a LIKE pattern with `\` as its escape: its wildcards and escapes taken literally. */
export function likeLiteral(text: string): string {
  return text.replace(/[\\%_]/g, (c) => `\\${c}`);
}
