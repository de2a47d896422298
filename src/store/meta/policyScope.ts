import { and, eq, isNull, type SQL } from "drizzle-orm";
import type { SQLiteColumn } from "drizzle-orm/sqlite-core";

/** Whose policies: a namespace's own (repositoryId null) or one repository's. */
export interface PolicyScope {
  namespaceId: number;
  repositoryId: number | null;
}

/** SQL: the rows of exactly this scope (a namespace's own rows leave out its repositories'). */
export function inScope(table: { namespaceId: SQLiteColumn; repositoryId: SQLiteColumn }, scope: PolicyScope): SQL {
  return and(eq(table.namespaceId, scope.namespaceId), scope.repositoryId === null ? isNull(table.repositoryId) : eq(table.repositoryId, scope.repositoryId))!;
}
