// SQL about a tag period's life, written once for both dialects: store bodies pass their scope's
// tables and fragments (src/store/dialect/program.ts).
import { eq, gt, isNull, or, sql, type Placeholder, type SQL } from "drizzle-orm";
import { one, type Program, type Scope, type Tables } from "../dialect/program";

/** SQL: the row's live period has not passed its expiry (rows without one never expire). */
export function notExpired(nowMs: number | Placeholder, table: Pick<Tables["tags"], "expiresMs">): SQL {
  return or(isNull(table.expiresMs), gt(table.expiresMs, nowMs))!;
}

/**
 * SQL: when the period ends: its end, else its expiry (never before its start), else NULL (a
 * live tag without expiry). A period whose end has passed is in its namespace's time machine
 * until `end + window`, then it is purged.
 */
export function periodEnd({ t, sql: fragments }: Pick<Scope, "t" | "sql">): SQL<number | null> {
  return sql<number | null>`COALESCE(${t.tags.endMs}, ${fragments.maxOrNull(t.tags.expiresMs, t.tags.startMs)})`;
}

/** SQL: the period is live, or ended after `sinceMs` (the start of the time machine's window). */
export function endsAfter(scope: Pick<Scope, "t" | "sql">, sinceMs: number | Placeholder): SQL {
  const end = periodEnd(scope);
  return sql`(${end} IS NULL OR ${end} > ${sinceMs})`;
}

/**
 * How long ended periods of the repository's tags stay listable and restorable: its namespace's
 * time machine window (Quay's removed_tag_expiration_s).
 */
export function* timeMachineMs({ db, t }: Pick<Scope, "db" | "t">, repoId: number): Program<number> {
  const row = yield* one(
    db
      .select({ s: t.namespaces.tagExpirationS })
      .from(t.repositories)
      .innerJoin(t.namespaces, eq(t.namespaces.id, t.repositories.namespaceId))
      .where(eq(t.repositories.id, repoId)),
  );
  return (row?.s ?? 0) * 1000;
}
