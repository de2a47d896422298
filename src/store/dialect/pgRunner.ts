// Store bodies on PostgreSQL (drizzle bun-sql): each step is awaited; `transaction` runs the body
// in drizzle's transaction, every query of it on the transaction's connection.
import { sql, type SQL } from "drizzle-orm";
import * as tables from "../pg/schema";
import type { PgMetaDb } from "../pg/open";
import { driveAsync } from "./drive";
import { pgFragments } from "./fragments";
import { Statement, type QueryBuilder, type Runner, type Scope, type Step, type Tables } from "./program";

interface PgTransactional {
  transaction<T>(body: (tx: unknown) => Promise<T>): Promise<T>;
}

interface PgExecutes {
  execute(query: SQL): Promise<unknown>;
}

interface PreparedPg {
  execute(params?: Record<string, unknown>): Promise<unknown>;
}

async function exec(scope: Scope, root: Scope, step: Step): Promise<unknown> {
  if (step.op === "attempt") {
    // drizzle: a transaction inside a transaction is a SAVEPOINT.
    return (scope.db as unknown as PgTransactional).transaction(async (tx) => {
      const inner: Scope = { ...scope, db: tx as QueryBuilder };
      return driveAsync(step.body(inner), (s) => exec(inner, root, s));
    });
  }
  if (step.op === "lock") {
    await (scope.db as unknown as PgExecutes).execute(sql`SELECT pg_advisory_xact_lock(${step.space}::int, ${step.id}::int)`);
    return undefined;
  }
  let result: any;
  if (step.query instanceof Statement && step.op === "oneLocked") {
    // FOR UPDATE is part of the statement's text: built on the scope's connection with it.
    result = await (step.query.build(scope) as unknown as { for(strength: "update"): PreparedPg }).for("update").execute(step.params);
  } else if (step.query instanceof Statement) {
    // A statement prepared on the pool would run outside the transaction: inside one it is built again on it.
    const query = (scope === root ? step.query.prepared : step.query.build(scope)) as PreparedPg;
    result = await query.execute(step.params);
  } else if (step.op === "oneLocked") {
    result = await (step.query as { for(strength: "update"): PromiseLike<unknown> }).for("update");
  } else {
    result = await (step.query as PromiseLike<unknown>);
  }
  switch (step.op) {
    case "all":
      return result;
    case "one":
    case "oneLocked":
      return result[0];
    case "changes":
      // Bun.sql's result: rows with the command's row count.
      return result.count as number;
  }
}

export function pgRunner(db: PgMetaDb): Runner {
  const root: Scope = { dialect: "pg", db: db as unknown as QueryBuilder, t: tables as unknown as Tables, sql: pgFragments };
  let statements = 0;
  return {
    dialect: "pg",
    run(body) {
      return driveAsync(body(root), (step) => exec(root, root, step));
    },
    runMaybeSync(body) {
      return this.run(body);
    },
    transaction(body) {
      // `immediate` has no PostgreSQL meaning: a guard-then-write body locks the rows it guards.
      return db.transaction(async (tx) => {
        const scope: Scope = { ...root, db: tx as unknown as QueryBuilder };
        return driveAsync(body(scope), (step) => exec(scope, root, step));
      });
    },
    statement(build) {
      return new Statement(build, (build(root) as unknown as { prepare(name: string): unknown }).prepare(`berth_${++statements}`));
    },
  };
}
