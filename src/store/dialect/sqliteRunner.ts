// Store bodies on SQLite: every step runs synchronously (bun:sqlite), so a body runs from start to
// end without yielding to the event loop, and `transaction` wraps it in a real SQLite transaction
// that commits when the body returns. (An async callback would commit at its first await.)
import * as tables from "../schema";
import type { MetaDb } from "../db";
import { driveSync } from "./drive";
import { sqliteFragments } from "./fragments";
import { Statement, type Query, type Runner, type Scope, type Step } from "./program";

interface SyncQuery {
  all(params?: unknown): unknown[];
  get(params?: unknown): unknown;
  run(params?: unknown): { changes: number };
}

function exec(scope: Scope, step: Step): unknown {
  if (step.op === "attempt") {
    // drizzle: a transaction inside a transaction is a SAVEPOINT.
    return (scope.db as unknown as Pick<MetaDb, "transaction">).transaction((tx) => driveSync(step.body({ ...scope, db: tx }), (s) => exec({ ...scope, db: tx }, s)));
  }
  // One writer: the bodies never interleave, so there is nothing to lock.
  if (step.op === "lock") return undefined;
  const statement = step.query instanceof Statement;
  // A Statement was prepared on the same connection, so it runs inside the transaction too.
  const query = (statement ? (step.query as Statement<Query>).prepared : step.query) as SyncQuery;
  switch (step.op) {
    case "all":
      return statement ? query.all(step.params) : query.all();
    case "one":
    case "oneLocked":
      return statement ? query.get(step.params) : query.get();
    case "changes":
      return (statement ? query.run(step.params) : query.run()).changes;
  }
}

export function sqliteRunner(db: MetaDb): Runner {
  const root: Scope = { dialect: "sqlite", db, t: tables, sql: sqliteFragments };
  const execRoot = (step: Step) => exec(root, step);
  return {
    dialect: "sqlite",
    run(body) {
      try {
        return Promise.resolve(driveSync(body(root), execRoot));
      } catch (e) {
        return Promise.reject(e);
      }
    },
    runMaybeSync(body) {
      return driveSync(body(root), execRoot);
    },
    transaction(body, options) {
      try {
        const config = options?.immediate ? { behavior: "immediate" as const } : undefined;
        return Promise.resolve(
          db.transaction((tx) => {
            const scope: Scope = { ...root, db: tx };
            return driveSync(body(scope), (step) => exec(scope, step));
          }, config),
        );
      } catch (e) {
        return Promise.reject(e);
      }
    },
    statement(build) {
      return new Statement(build, (build(root) as unknown as { prepare(): unknown }).prepare());
    },
  };
}
