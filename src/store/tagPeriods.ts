// A tag period's end as the registry's transactions compare it, in either dialect (scope.sql):
// the time it ended, or its expiry once that has passed. The read stores' own copy is
// meta/tags.ts's `periodEnd`/`endsAfter` (SQLite's spelling until that store is converted).
import { eq, sql, type Placeholder, type SQL } from "drizzle-orm";
import { one, type Program, type Scope } from "./dialect/program";

type Spelling = Pick<Scope, "t" | "sql">;

/** SQL: when the period ended (its end, or its expiry when it has one); NULL while it is open-ended. */
export function periodEnd({ t, sql: dialect }: Spelling): SQL<number | null> {
  return sql<number | null>`COALESCE(${t.tags.endMs}, ${dialect.maxOrNull(t.tags.expiresMs, t.tags.startMs)})`;
}

/** SQL: the period is live, or ended after `sinceMs` (the start of the time machine's window). */
export function endsAfter(scope: Spelling, sinceMs: number | Placeholder): SQL {
  const end = periodEnd(scope);
  return sql`(${end} IS NULL OR ${end} > ${sinceMs})`;
}

/**
 * How long ended periods of the repository's tags stay listable and restorable: its namespace's
 * time machine window (Quay's removed_tag_expiration_s).
 */
export function* timeMachineMs({ db, t }: Scope, repoId: number): Program<number> {
  const row = yield* one(
    db
      .select({ s: t.namespaces.tagExpirationS })
      .from(t.repositories)
      .innerJoin(t.namespaces, eq(t.namespaces.id, t.repositories.namespaceId))
      .where(eq(t.repositories.id, repoId)),
  );
  return (row?.s ?? 0) * 1000;
}
