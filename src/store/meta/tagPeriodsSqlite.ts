// The tag period SQL of ./tagPeriods.ts bound to SQLite's tables, for the registry transactions
// that still run on bun:sqlite directly (registryTx.ts, registryTxNamespaces.ts, lifecycleTx.ts
// import it through ./tags.ts). It goes when they run through the dialect runner.
import { eq, type Placeholder, type SQL } from "drizzle-orm";
import type { MetaDb } from "../db";
import * as tables from "../schema";
import { sqliteFragments } from "../dialect/fragments";
import * as periods from "./tagPeriods";

const scope = { t: tables, sql: sqliteFragments };

/** SQL: the row's live period has not passed its expiry (rows without one never expire). */
export function notExpired(nowMs: number | Placeholder, table: { expiresMs: typeof tables.tags.expiresMs } = tables.tags): SQL {
  return periods.notExpired(nowMs, table);
}

/** SQL: when the period ends (./tagPeriods.ts, periodEnd). */
export const periodEnd: SQL<number | null> = periods.periodEnd(scope);

/** SQL: the period is live, or ended after `sinceMs`. */
export function endsAfter(sinceMs: number | Placeholder): SQL {
  return periods.endsAfter(scope, sinceMs);
}

/** The repository's time machine window in ms, read through a database or a transaction. */
export function timeMachineMs(q: Pick<MetaDb, "select">, repoId: number): number {
  const row = q
    .select({ s: tables.namespaces.tagExpirationS })
    .from(tables.repositories)
    .innerJoin(tables.namespaces, eq(tables.namespaces.id, tables.repositories.namespaceId))
    .where(eq(tables.repositories.id, repoId))
    .get();
  return (row?.s ?? 0) * 1000;
}
