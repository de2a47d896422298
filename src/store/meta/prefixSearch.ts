import type { SQL, SQLWrapper } from "drizzle-orm";
import type { Fragments } from "../dialect/fragments";

// Name searches (users, robots, teams, repositories), ASCII case-insensitive on both dialects.
// A store body passes its scope's `sql`; a store not converted yet passes `sqliteFragments`.

/**
 * `column` starts with `prefix`, taken literally: `_` is a legal name character and `%` could
 * come from a caller, and both are LIKE wildcards, so they (and the escape) are escaped.
 */
export function startsWith(sql: Fragments, column: SQLWrapper, prefix: string): SQL {
  return sql.likeIgnoringCase(column, `${likeLiteral(prefix)}%`);
}

/** `column` contains `part`, taken literally. */
export function contains(sql: Fragments, column: SQLWrapper, part: string): SQL {
  return sql.likeIgnoringCase(column, `%${likeLiteral(part)}%`);
}

/** `text` for a LIKE pattern with `\` as its escape: its wildcards and escapes taken literally. */
export function likeLiteral(text: string): string {
  return text.replace(/[\\%_]/g, (c) => `\\${c}`);
}
