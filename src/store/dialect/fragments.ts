// SQL that SQLite and PostgreSQL spell differently (docs/POSTGRES.md, the inventory), one function
// per meaning; a store body takes them from its scope (`scope.sql`), never writes either spelling.
import { sql, type SQL, type SQLWrapper } from "drizzle-orm";

export interface Fragments {
  /** The larger of two values, NULL when either is NULL (SQLite's scalar two-argument MAX). */
  maxOrNull(a: SQLWrapper, b: SQLWrapper): SQL<number | null>;
  /** An integer member of a JSON object kept as text; NULL when absent. */
  jsonInteger(column: SQLWrapper, key: string): SQL<number | null>;
  /** `column LIKE pattern ESCAPE '\'`, ASCII case-insensitive (PostgreSQL under C.UTF-8 folds non-ASCII letters too). */
  likeIgnoringCase(column: SQLWrapper, pattern: string): SQL;
  /** NULL-safe equality: NULL equals NULL. */
  isSame(column: SQLWrapper, value: unknown): SQL;
}

export const sqliteFragments: Fragments = {
  maxOrNull: (a, b) => sql<number | null>`MAX(${a}, ${b})`,
  jsonInteger: (column, key) => sql<number | null>`json_extract(${column}, ${`$.${key}`})`.mapWith(Number),
  likeIgnoringCase: (column, pattern) => sql`${column} LIKE ${pattern} ESCAPE '\\'`,
  isSame: (column, value) => sql`${column} IS ${value}`,
};

export const pgFragments: Fragments = {
  // GREATEST ignores NULLs where SQLite's MAX answers NULL.
  maxOrNull: (a, b) => sql<number | null>`(CASE WHEN ${a} IS NULL OR ${b} IS NULL THEN NULL ELSE GREATEST(${a}, ${b}) END)`.mapWith(Number),
  jsonInteger: (column, key) => sql<number | null>`((${column})::jsonb ->> ${key})::bigint`.mapWith(Number),
  likeIgnoringCase: (column, pattern) => sql`${column} ILIKE ${pattern} ESCAPE '\\'`,
  isSame: (column, value) => sql`${column} IS NOT DISTINCT FROM ${value}`,
};

/** A number computed in SQL (`sum`, `count(*)` spelled by hand): PostgreSQL answers bigint and numeric as strings. */
export function asNumber<T extends number | null = number>(expression: SQL): SQL<T> {
  // drizzle passes NULL through without calling the decoder.
  return expression.mapWith(Number) as SQL<T>;
}
