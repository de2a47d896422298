import { and, eq, isNull, type SQL } from "drizzle-orm";
import type { SQLiteColumn } from "drizzle-orm/sqlite-core";
import { oneLocked, type Program, type Scope } from "../dialect/program";

/** Whose policies: a namespace's own (repositoryId null) or one repository's. */
export interface PolicyScope {
  namespaceId: number;
  repositoryId: number | null;
}

/** SQL: the rows of exactly this scope (a namespace's own rows leave out its repositories'). */
export function inScope(table: { namespaceId: SQLiteColumn; repositoryId: SQLiteColumn }, scope: PolicyScope): SQL {
  return and(eq(table.namespaceId, scope.namespaceId), scope.repositoryId === null ? isNull(table.repositoryId) : eq(table.repositoryId, scope.repositoryId))!;
}

/**
 * The namespace's row, locked (a body's first step in a write transaction): no row stands for
 * "the scope's policies" (nor for "the org's admins", teams.ts), so two writes to one namespace's
 * policies at once on PostgreSQL take turns and their count and duplicate guards hold. SQLite's
 * single writer needs nothing.
 */
export function* lockNamespace({ db, t }: Scope, namespaceId: number): Program<void> {
  yield* oneLocked(db.select({ id: t.namespaces.id }).from(t.namespaces).where(eq(t.namespaces.id, namespaceId)));
}
